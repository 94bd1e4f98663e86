//! Which sops store a file uses.

use std::path::Path;

/// The sops store (file format) of an encrypted file, as sops-nix's `format`
/// option names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// sops' YAML store: a mapping whose leaves are `ENC[…]` values.
    Yaml,
    /// sops' JSON store: an object whose leaves are `ENC[…]` values.
    Json,
    /// sops' binary store: `{"data": ENC[…], "sops": {…}}`, one opaque value.
    Binary,
}

impl Format {
    /// Guesses the format from a file name as sops does: `.yaml`/`.yml` is
    /// YAML, `.json` is JSON, everything else binary. (sops also knows
    /// `.env` and `.ini`, which this crate does not read: such files fail to
    /// parse as the binary store.)
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Format::Yaml,
            Some("json") => Format::Json,
            _ => Format::Binary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_extension() {
        assert_eq!(Format::from_path(Path::new("a/secrets.yaml")), Format::Yaml);
        assert_eq!(Format::from_path(Path::new("s.yml")), Format::Yaml);
        assert_eq!(Format::from_path(Path::new("s.json")), Format::Json);
        assert_eq!(Format::from_path(Path::new("ssh_key")), Format::Binary);
        assert_eq!(Format::from_path(Path::new("s.YAML.bin")), Format::Binary);
    }
}
