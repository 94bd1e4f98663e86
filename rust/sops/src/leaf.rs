//! A decrypted leaf value and the bytes sops hashes for it.
//!
//! Facts from sops' `aes/cipher.go` (`Cipher.Decrypt`) and `sops.go`
//! (`ToBytes`): the plaintext of a `type:int` value is parsed with Go's
//! `strconv.Atoi` and hashed as `strconv.Itoa`; `float` with `ParseFloat`
//! and `FormatFloat(f, 'f', -1, 64)`; `bool` with `ParseBool` and hashed as
//! `True`/`False`; `str` and `bytes` as their bytes. `time` and `comment`
//! values are refused here (comments are not hashed and never reach this).

use zeroize::Zeroizing;

use crate::Error;

/// A leaf after decryption (or as stored, for unencrypted leaves).
pub(crate) enum Leaf {
    /// Text (`type:str`), exactly as decrypted.
    Str(Zeroizing<Vec<u8>>),
    /// Raw bytes (`type:bytes`).
    Bytes(Zeroizing<Vec<u8>>),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Leaf {
    /// Interprets decrypted plaintext by its `type:` tag. `path` (key names,
    /// not secret) is only for messages; errors never include the plaintext.
    pub(crate) fn from_plaintext(
        plaintext: Vec<u8>,
        kind: &str,
        path: &str,
    ) -> Result<Leaf, Error> {
        let plaintext = Zeroizing::new(plaintext);
        let bad = || Error::Malformed(format!("the value at {path:?} is not a valid {kind}"));
        let text = || std::str::from_utf8(&plaintext).map_err(|_| bad());
        Ok(match kind {
            "str" => Leaf::Str(plaintext),
            "bytes" => Leaf::Bytes(plaintext),
            // Rust's integer syntax (optional sign, decimal digits) is Atoi's.
            "int" => Leaf::Int(text()?.parse().map_err(|_| bad())?),
            "float" => Leaf::Float(parse_go_float(text()?).ok_or_else(bad)?),
            "bool" => Leaf::Bool(parse_go_bool(text()?).ok_or_else(bad)?),
            "time" => {
                return Err(Error::Unsupported(format!(
                    "the value at {path:?} is a YAML timestamp (type:time)"
                )))
            }
            other => {
                return Err(Error::Malformed(format!(
                    "the value at {path:?} has an unknown type {other:?}"
                )))
            }
        })
    }

    /// What sops' `ToBytes` feeds the MAC for this value.
    pub(crate) fn mac_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(match self {
            Leaf::Str(b) | Leaf::Bytes(b) => b.to_vec(),
            Leaf::Int(i) => i.to_string().into_bytes(),
            Leaf::Float(f) => go_format_float(*f).into_bytes(),
            Leaf::Bool(true) => b"True".to_vec(),
            Leaf::Bool(false) => b"False".to_vec(),
        })
    }

    /// The sops type name, for messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Leaf::Str(_) => "str",
            Leaf::Bytes(_) => "bytes",
            Leaf::Int(_) => "int",
            Leaf::Float(_) => "float",
            Leaf::Bool(_) => "bool",
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms sops writes
/// (`FormatFloat` output). Go's hex floats and `_` separators are not
/// accepted: such a file was not written by sops, and refusing it only
/// fails the read.
fn parse_go_float(s: &str) -> Option<f64> {
    if s.contains(['_', 'x', 'X']) {
        return None;
    }
    s.parse().ok()
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest decimal that
/// reads back as `f`, never in exponent form — which is what Rust's
/// `Display` for `f64` prints — and Go's spellings of the non-finite values.
pub(crate) fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "+Inf".into()
    } else if f == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings are what Go 1.22 prints for `FormatFloat(f, 'f', -1, 64)`.
    #[test]
    fn formats_floats_like_go() {
        for (f, go) in [
            (1.5, "1.5"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.1, "0.1"),
            (1e21, "1000000000000000000000"),
            (1e-7, "0.0000001"),
            (123456789.125, "123456789.125"),
            (f64::INFINITY, "+Inf"),
        ] {
            assert_eq!(go_format_float(f), go);
        }
    }

    #[test]
    fn hashes_like_sops_to_bytes() {
        let leaf = |p: &[u8], kind| Leaf::from_plaintext(p.to_vec(), kind, "k").unwrap();
        assert_eq!(*leaf(b"5432", "int").mac_bytes(), b"5432");
        assert_eq!(*leaf(b"+7", "int").mac_bytes(), b"7");
        assert_eq!(*leaf(b"1.50", "float").mac_bytes(), b"1.5");
        assert_eq!(*leaf(b"True", "bool").mac_bytes(), b"True");
        assert_eq!(*leaf(b"f", "bool").mac_bytes(), b"False");
        assert_eq!(*leaf(b"a\n", "str").mac_bytes(), b"a\n");
        for (p, kind) in [(&b"x"[..], "int"), (b"yes", "bool"), (b"0x1p-2", "float")] {
            assert!(matches!(
                Leaf::from_plaintext(p.to_vec(), kind, "k"),
                Err(Error::Malformed(_))
            ));
        }
        assert!(matches!(
            Leaf::from_plaintext(b"2024-01-01T00:00:00Z".to_vec(), "time", "k"),
            Err(Error::Unsupported(_))
        ));
    }
}
