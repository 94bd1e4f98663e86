//! Keeping prompt answers out of what the CLI shows of a generator's output.
//!
//! Every answer is searched for as written, without its trailing newline,
//! line by line for multi-line answers, in the quoting bash's `set -x`
//! prints (`'it'\''s'`), and in its common encodings standing on their own:
//! base64 (standard and URL-safe, padded or not) and hex (lower and upper
//! case). All patterns are matched in one linear pass (Aho-Corasick).
//! An answer the generator transforms otherwise (hashed, split, base64 in the
//! middle of a longer encoded text) cannot be recognised: a generator should
//! not print its secrets.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use std::collections::BTreeMap;

pub struct Redactor {
    matcher: Option<AhoCorasick>,
    /// Placeholder per pattern, e.g. `<prompt password>`.
    placeholders: Vec<String>,
}

impl Redactor {
    /// A redactor for `answers` (prompt name → answer).
    pub fn new<'a>(answers: impl IntoIterator<Item = (&'a String, &'a [u8])>) -> Redactor {
        let mut patterns: BTreeMap<Vec<u8>, String> = BTreeMap::new();
        for (name, answer) in answers {
            let placeholder = format!("<prompt {name}>");
            for form in forms(answer) {
                if !form.is_empty() {
                    patterns.entry(form).or_insert_with(|| placeholder.clone());
                }
            }
        }
        let (needles, placeholders): (Vec<_>, Vec<_>) = patterns.into_iter().unzip();
        let matcher = (!needles.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .expect("byte patterns always build")
        });
        Redactor {
            matcher,
            placeholders,
        }
    }

    /// `text` with every answer replaced by its placeholder.
    pub fn redact(&self, text: &[u8]) -> Vec<u8> {
        let Some(matcher) = &self.matcher else {
            return text.to_vec();
        };
        let mut out = Vec::with_capacity(text.len());
        matcher.replace_all_with_bytes(text, &mut out, |m, _, out| {
            out.extend_from_slice(self.placeholders[m.pattern().as_usize()].as_bytes());
            true
        });
        out
    }
}

/// The forms in which an answer may show up in a log.
fn forms(answer: &[u8]) -> Vec<Vec<u8>> {
    let trimmed = answer.trim_ascii_end();
    // `echo` adds a newline the answer may not have had.
    let mut plain = vec![answer.to_vec(), trimmed.to_vec(), [trimmed, b"\n"].concat()];
    // A multi-line answer printed line by line.
    if trimmed.contains(&b'\n') {
        plain.extend(
            trimmed
                .split(|b| *b == b'\n')
                .map(|l| l.trim_ascii_end().to_vec()),
        );
    }
    let mut all = Vec::new();
    for form in plain {
        if form.contains(&b'\'') {
            // bash `set -x`: 'it'\''s'
            all.push(replace(&form, b"'", b"'\\''"));
        }
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            all.push(engine.encode(&form).into_bytes());
        }
        let hex: String = form.iter().map(|b| format!("{b:02x}")).collect();
        all.push(hex.to_uppercase().into_bytes());
        all.push(hex.into_bytes());
        all.push(form);
    }
    all
}

fn replace(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(answer: &str, log: &str) -> String {
        let name = "pw".to_string();
        let r = Redactor::new([(&name, answer.as_bytes())]);
        String::from_utf8(r.redact(log.as_bytes())).unwrap()
    }

    #[test]
    fn answers_and_their_encodings_are_replaced() {
        assert_eq!(redact("s3cret\n", "got s3cret!"), "got <prompt pw>!");
        assert_eq!(
            redact("s3cret", "b64 czNjcmV0 hex 733363726574 HEX 733363726574"),
            "b64 <prompt pw> hex <prompt pw> HEX <prompt pw>"
        );
        assert_eq!(redact("it's", "+ echo 'it'\\''s'"), "+ echo '<prompt pw>'");
        assert_eq!(
            redact("line one\nline two\n", "x line two y"),
            "x <prompt pw> y"
        );
        assert_eq!(redact("", "nothing to hide"), "nothing to hide");
    }
}
