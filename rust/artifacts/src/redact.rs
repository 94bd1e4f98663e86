//! Keeping secret values out of what the CLI shows of a child's output
//! (generator logs, `--verbose`, script backends' output in errors).
//!
//! A redactor holds every secret value of a run that the CLI knows: prompt
//! answers, the secret files a generator wrote, values read back. Each is
//! searched for in the forms a program is likely to print:
//!
//! - as written (without trailing whitespace), and each line of a
//!   multi-line value;
//! - escaped: JSON (`jq -R .`), shell single quotes (`'it'\''s'`, bash
//!   `set -x`) and shell backslashes (`printf %q`);
//! - encoded on one line: base64 (standard and URL-safe, padded or not),
//!   also inside a longer base64 text (each of the three alignments of the
//!   value to base64's 3-byte groups), and hex (lower and upper case);
//! - encoded and wrapped: a log line that is a full line of the value's
//!   base64 wrapped at 76 (`base64`) or 64 (`openssl base64`) columns, or
//!   of its hex wrapped at 60 (`xxd -p`), at any alignment of the value in
//!   the encoded text; and the last, shorter line of the value's own
//!   wrapped encoding.
//!
//! Short values. An empty value (or only whitespace) redacts nothing: as a
//! pattern it would match everywhere. Plain and escaped forms are searched
//! whatever the length (a one-letter answer costs readability, not a leak).
//! Encodings of values shorter than [`MIN_ENCODED`] bytes are not: a
//! 2-character hex or 4-character base64 text occurs by chance in any log
//! and says little. Within a longer base64 text a value must span at least
//! [`MIN_EMBEDDED`] bytes; a wrapped encoding's last line is redacted only
//! when it carries at least [`MIN_LAST_LINE`] bytes (a shorter one may show
//! the value's last few bytes); lines of a multi-line value shorter than
//! [`MIN_ENCODED`] bytes (`}`, `-----`) are not searched on their own.
//!
//! Cost stays linear in the output: one Aho-Corasick pass for every short
//! pattern, one memmem pass per long form (a megabyte-long pattern would
//! make the automaton huge), and one hash lookup per log line for wrapped
//! encodings (their full-width lines are precomputed as rolling hashes).
//! A value the program transforms otherwise (hashed, split, reformatted)
//! cannot be recognised: a program should not print its secrets.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Secret files bigger than this are not read for redaction (a program
/// printing a 16 MiB secret is not the case to pay memory for).
const MAX_FILE: u64 = 16 << 20;

/// The secret files among `files` (name → whether secret) found in `dir`,
/// as values for [`Redactor::and`]: `<secret NAME>`, or
/// `<secret ARTIFACT/NAME>` with `artifact`.
pub fn secret_files<'a>(
    files: impl IntoIterator<Item = (&'a String, bool)>,
    dir: &Path,
    artifact: Option<&str>,
) -> Vec<(String, Zeroizing<Vec<u8>>)> {
    files
        .into_iter()
        .filter(|(_, secret)| *secret)
        .filter_map(|(name, _)| {
            let path = dir.join(name);
            // Not following links: only a regular file the program wrote.
            let meta = std::fs::symlink_metadata(&path).ok()?;
            if !meta.file_type().is_file() || meta.len() > MAX_FILE {
                return None;
            }
            let value = Zeroizing::new(std::fs::read(&path).ok()?);
            let label = match artifact {
                Some(a) => format!("<secret {a}/{name}>"),
                None => format!("<secret {name}>"),
            };
            Some((label, value))
        })
        .collect()
}

/// Below this many bytes a value's encodings are not searched for.
const MIN_ENCODED: usize = 4;
/// A value inside a longer base64 text is found if it spans this many bytes.
const MIN_EMBEDDED: usize = 12;
/// The last line of a wrapped encoding is redacted if it carries this many.
const MIN_LAST_LINE: usize = 6;
/// Forms longer than this are searched with memmem, not the automaton.
const LONG: usize = 1024;
/// Line widths of wrapped base64 (`base64`, `openssl base64`) and hex (`xxd -p`).
const BASE64_WIDTHS: [usize; 2] = [76, 64];
const HEX_WIDTH: usize = 60;

/// Values added later (a generator's secret files, once written) make a
/// new part; each part is one pass over the text.
#[derive(Clone, Default)]
pub struct Redactor {
    parts: Vec<Arc<Part>>,
}

struct Part {
    /// Short patterns, each with the index of its value's placeholder.
    matcher: Option<(AhoCorasick, Vec<usize>)>,
    long: Vec<(memchr::memmem::Finder<'static>, usize)>,
    /// Rolling hash of a (normalised) whole log line → placeholder index.
    lines: HashMap<u64, usize>,
    /// Placeholder per value, e.g. `<prompt password>`.
    placeholders: Vec<String>,
}

impl Redactor {
    /// A redactor for prompt `answers` (prompt name → answer).
    pub fn new<'a>(answers: impl IntoIterator<Item = (&'a String, &'a [u8])>) -> Redactor {
        Redactor::of(
            answers
                .into_iter()
                .map(|(name, answer)| (format!("<prompt {name}>"), answer)),
        )
    }

    /// A redactor for `values` (placeholder, value).
    pub fn of<'a>(values: impl IntoIterator<Item = (String, &'a [u8])>) -> Redactor {
        Redactor::default().and(values)
    }

    /// This redactor, and `values` (placeholder, value) too.
    pub fn and<'a>(&self, values: impl IntoIterator<Item = (String, &'a [u8])>) -> Redactor {
        let part = Part::of(values);
        let mut parts = self.parts.clone();
        if !part.placeholders.is_empty() {
            parts.push(Arc::new(part));
        }
        Redactor { parts }
    }

    /// `text` with every value replaced by its placeholder.
    pub fn redact(&self, text: &[u8]) -> Vec<u8> {
        let mut text = text.to_vec();
        for part in &self.parts {
            text = part.redact(&text);
        }
        text
    }
}

impl Part {
    fn of<'a>(values: impl IntoIterator<Item = (String, &'a [u8])>) -> Part {
        let mut patterns: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut placeholders = Vec::new();
        let mut lines = HashMap::new();
        for (placeholder, value) in values {
            if value.trim_ascii().is_empty() {
                continue;
            }
            let index = placeholders.len();
            placeholders.push(placeholder);
            for form in forms(value) {
                if !form.is_empty() {
                    patterns.entry(form).or_insert(index);
                }
            }
            wrapped_lines(value, index, &mut lines);
        }
        let (short, long): (Vec<_>, Vec<_>) =
            patterns.into_iter().partition(|(p, _)| p.len() <= LONG);
        let (needles, indexes): (Vec<_>, Vec<_>) = short.into_iter().unzip();
        let matcher = (!needles.is_empty()).then(|| {
            let automaton = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles)
                .expect("byte patterns always build");
            (automaton, indexes)
        });
        Part {
            matcher,
            long: long
                .into_iter()
                .map(|(p, i)| (memchr::memmem::Finder::new(&p).into_owned(), i))
                .collect(),
            lines,
            placeholders,
        }
    }

    fn redact(&self, text: &[u8]) -> Vec<u8> {
        if self.placeholders.is_empty() {
            return text.to_vec();
        }
        // (start, end, placeholder) of every hit, then merged in order.
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        if let Some((automaton, indexes)) = &self.matcher {
            hits.extend(
                automaton
                    .find_iter(text)
                    .map(|m| (m.start(), m.end(), indexes[m.pattern().as_usize()])),
            );
        }
        for (finder, index) in &self.long {
            let len = finder.needle().len();
            hits.extend(finder.find_iter(text).map(|at| (at, at + len, *index)));
        }
        if !self.lines.is_empty() {
            let mut start = 0;
            for line in text.split(|b| *b == b'\n') {
                let trimmed = line.trim_ascii();
                if let Some(index) = self.line_hit(trimmed) {
                    let lead = line.len() - line.trim_ascii_start().len();
                    hits.push((start + lead, start + lead + trimmed.len(), index));
                }
                start += line.len() + 1;
            }
        }
        if hits.is_empty() {
            return text.to_vec();
        }
        hits.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut out = Vec::with_capacity(text.len());
        let mut done = 0;
        let mut hits = hits.into_iter().peekable();
        while let Some((start, mut end, index)) = hits.next() {
            if start < done {
                continue; // inside the previous replacement
            }
            // Overlapping hits are replaced as one.
            while let Some(&(next, next_end, _)) = hits.peek() {
                if next >= end {
                    break;
                }
                end = end.max(next_end);
                hits.next();
            }
            out.extend_from_slice(&text[done..start]);
            out.extend_from_slice(self.placeholders[index].as_bytes());
            done = end;
        }
        out.extend_from_slice(&text[done..]);
        out
    }

    /// Whether a whole (trimmed) log line is a line of a wrapped encoding.
    fn line_hit(&self, line: &[u8]) -> Option<usize> {
        if line.len() > BASE64_WIDTHS[0] || line.len() < 2 * MIN_LAST_LINE {
            return None;
        }
        if line.iter().all(u8::is_ascii_hexdigit) {
            let lower: Vec<u8> = line.iter().map(u8::to_ascii_lowercase).collect();
            if let Some(i) = self.lines.get(&hash(&lower)) {
                return Some(*i);
            }
        }
        let is_base64 = |b: &u8| b.is_ascii_alphanumeric() || b"+/=-_".contains(b);
        if line.iter().all(is_base64) {
            // URL-safe base64 is looked up as standard.
            let standard: Vec<u8> = line
                .iter()
                .map(|b| match b {
                    b'-' => b'+',
                    b'_' => b'/',
                    b => *b,
                })
                .collect();
            return self.lines.get(&hash(&standard)).copied();
        }
        None
    }
}

/// The one-line forms in which `value` may show up in a log.
fn forms(value: &[u8]) -> Vec<Vec<u8>> {
    let trimmed = value.trim_ascii();
    let mut plain = vec![trimmed.to_vec()];
    // A multi-line value printed line by line.
    if trimmed.contains(&b'\n') {
        plain.extend(
            trimmed
                .split(|b| *b == b'\n')
                .map(|l| l.trim_ascii().to_vec())
                .filter(|l| l.len() >= MIN_ENCODED),
        );
    }
    let mut all = Vec::new();
    for form in &plain {
        all.push(form.clone());
        if form.contains(&b'\'') {
            // bash `set -x`: 'it'\''s'
            all.push(replace(form, b"'", b"'\\''"));
        }
        all.push(backslashed(form));
        all.push(json_escaped(form));
        if form.len() >= MIN_ENCODED {
            all.extend(encodings(form));
        }
    }
    // `echo "$value" | base64` encodes a newline the value may not have had.
    if trimmed.len() >= MIN_ENCODED {
        all.extend(encodings(value));
        all.extend(encodings(&[trimmed, b"\n"].concat()));
        // Inside a longer base64 text: each alignment to the 3-byte groups.
        for skip in 0..3 {
            let groups = value.len().saturating_sub(skip) / 3 * 3;
            if groups >= MIN_EMBEDDED {
                let inner = &value[skip..skip + groups];
                for engine in [
                    &base64::engine::general_purpose::STANDARD_NO_PAD,
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                ] {
                    all.push(engine.encode(inner).into_bytes());
                }
            }
        }
    }
    all
}

/// base64 (standard and URL-safe, padded or not) and hex (both cases).
fn encodings(form: &[u8]) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        all.push(engine.encode(form).into_bytes());
    }
    let hex = hex(form);
    all.push(hex.to_ascii_uppercase());
    all.push(hex);
    all
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
    out
}

/// bash's `printf %q` for a value without control characters: a backslash
/// before each character the shell would take specially (bash 5.2's list;
/// `~` and `#` only at the start). Values with control characters get
/// bash's `$'…'` form, which is not searched for (their lines are).
fn backslashed(form: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(form.len() * 2);
    for (i, b) in form.iter().enumerate() {
        if b" \t'\"\\|&;()<>!{}*[]?^$`,".contains(b) || (i == 0 && b"~#".contains(b)) {
            out.push(b'\\');
        }
        out.push(*b);
    }
    out
}

/// The value as inside a JSON string (`jq -R .`), without the quotes.
fn json_escaped(form: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(form);
    let quoted = serde_json::to_string(&text).unwrap_or_default();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default();
    inner.as_bytes().to_vec()
}

/// Records the full-width lines of `value`'s wrapped encodings, at every
/// alignment of the value in a longer encoded text, and the last line of
/// its own wrapped encoding.
fn wrapped_lines(value: &[u8], index: usize, lines: &mut HashMap<u64, usize>) {
    let engine = &base64::engine::general_purpose::STANDARD_NO_PAD;
    for width in BASE64_WIDTHS {
        // A full line carries width / 4 * 3 bytes: shorter values fit on
        // one line, found as one-line encodings.
        if value.len() < width / 4 * 3 {
            continue;
        }
        for skip in 0..3 {
            let groups = value.len().saturating_sub(skip) / 3 * 3;
            let encoded = engine.encode(&value[skip..skip + groups]).into_bytes();
            windows(&encoded, width, 4, index, lines);
        }
        let own = base64::engine::general_purpose::STANDARD
            .encode(value)
            .into_bytes();
        last_line(&own, width, 4 * MIN_LAST_LINE / 3, index, lines);
    }
    if value.len() >= HEX_WIDTH / 2 {
        let encoded = hex(value);
        windows(&encoded, HEX_WIDTH, 2, index, lines);
        last_line(&encoded, HEX_WIDTH, 2 * MIN_LAST_LINE, index, lines);
    }
}

/// A polynomial hash (mod 2^64) of a whole line; [`windows`] computes the
/// same for every window of an encoding in one pass. A collision only
/// redacts a line too many.
const BASE: u64 = 0x100_0000_01b3;

fn hash(line: &[u8]) -> u64 {
    line.iter()
        .fold(0u64, |h, b| h.wrapping_mul(BASE).wrapping_add(*b as u64))
}

/// Records the hash of every `width`-long window of `encoded` starting at
/// a multiple of `step`.
fn windows(
    encoded: &[u8],
    width: usize,
    step: usize,
    index: usize,
    lines: &mut HashMap<u64, usize>,
) {
    if encoded.len() < width {
        return;
    }
    let mut prefix = Vec::with_capacity(encoded.len() + 1);
    prefix.push(0u64);
    for b in encoded {
        let last = *prefix.last().expect("starts with 0");
        prefix.push(u64::wrapping_add(last.wrapping_mul(BASE), *b as u64));
    }
    let power = (0..width).fold(1u64, |p, _| p.wrapping_mul(BASE));
    for start in (0..=encoded.len() - width).step_by(step) {
        let h = prefix[start + width].wrapping_sub(prefix[start].wrapping_mul(power));
        lines.entry(h).or_insert(index);
    }
}

/// Records the last, shorter line of `encoded` wrapped at `width`, if it
/// has at least `min` characters.
fn last_line(
    encoded: &[u8],
    width: usize,
    min: usize,
    index: usize,
    lines: &mut HashMap<u64, usize>,
) {
    let rest = encoded.len() % width;
    if rest >= min {
        lines
            .entry(hash(&encoded[encoded.len() - rest..]))
            .or_insert(index);
    }
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

    #[test]
    fn an_empty_or_blank_value_redacts_nothing() {
        for value in ["", "\n", "  \n"] {
            assert_eq!(redact(value, "a\nb\n\nc"), "a\nb\n\nc", "{value:?}");
        }
    }

    #[test]
    fn the_newline_after_a_value_stays() {
        assert_eq!(redact("s3cret", "s3cret\nnext\n"), "<prompt pw>\nnext\n");
    }

    #[test]
    fn escaped_forms_are_replaced() {
        let value = r#"it's a "secret" $x, ok"#;
        assert_eq!(
            redact(value, r#"json: "it's a \"secret\" $x, ok""#),
            r#"json: "<prompt pw>""#
        );
        assert_eq!(
            redact(value, r#"q: it\'s\ a\ \"secret\"\ \$x\,\ ok"#),
            "q: <prompt pw>"
        );
    }

    /// `text` wrapped at `width` columns, as `base64` and `xxd -p` print it.
    fn wrap(text: &[u8], width: usize) -> String {
        text.chunks(width)
            .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
            .collect()
    }

    #[test]
    fn wrapped_encodings_are_replaced_line_by_line() {
        let value: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
        let r = Redactor::of([("<v>".to_string(), value.as_slice())]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&value);
        let url = base64::engine::general_purpose::URL_SAFE.encode(&value);
        for (log, width) in [
            (b64.as_bytes(), 76),
            (b64.as_bytes(), 64),
            (url.as_bytes(), 76),
            (&hex(&value)[..], 60),
            (&hex(&value).to_ascii_uppercase()[..], 60),
        ] {
            let shown = String::from_utf8(r.redact(wrap(log, width).as_bytes())).unwrap();
            assert!(shown.lines().all(|l| l == "<v>"), "width {width}: {shown}");
        }
        // Inside a longer encoded text, at each alignment.
        for before in 0..3 {
            let mut stream = vec![b'x'; 100 + before];
            stream.extend_from_slice(&value);
            stream.extend_from_slice(&[b'y'; 100]);
            let log = wrap(
                base64::engine::general_purpose::STANDARD
                    .encode(&stream)
                    .as_bytes(),
                76,
            );
            let shown = String::from_utf8(r.redact(log.as_bytes())).unwrap();
            let b64_lines: Vec<&str> = log.lines().collect();
            // Every line that lies wholly within the value is gone.
            let inner = (value.len() - 2 * 57) / 57;
            assert!(
                shown.lines().filter(|l| *l == "<v>").count() >= inner,
                "alignment {before}: {shown}"
            );
            assert_eq!(shown.lines().count(), b64_lines.len());
        }
    }

    #[test]
    fn ten_megabytes_of_log_with_a_megabyte_secret_is_quick() {
        let secret: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let started = std::time::Instant::now();
        let r = Redactor::of([("<big>".to_string(), secret.as_slice())]);
        let mut log = Vec::new();
        while log.len() < 10 << 20 {
            log.extend_from_slice(b"some ordinary line of output 0123456789abcdef\n");
        }
        log.extend_from_slice(&secret);
        log.extend_from_slice(
            wrap(
                base64::engine::general_purpose::STANDARD
                    .encode(&secret)
                    .as_bytes(),
                76,
            )
            .as_bytes(),
        );
        let shown = r.redact(&log);
        assert!(!shown
            .windows(64)
            .any(|w| secret.windows(64).next() == Some(w)));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}
