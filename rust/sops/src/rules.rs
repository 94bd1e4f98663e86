//! Which values of a tree sops encrypts: the suffix rules.
//!
//! Facts from sops' `stores/stores.go` (`metadata.ToInternal`: at most one
//! rule per file, and `_unencrypted` as `unencrypted_suffix` when none is
//! set) and `sops.go` (`Tree.shouldBeEncrypted`: a value is left in clear
//! when any key on its path ends with `unencrypted_suffix`; with
//! `encrypted_suffix`, only values with a key on the path ending with it are
//! encrypted). The path is the chain of map keys: list items add nothing.
//! The regex rules are refused earlier (`decrypt::check_key_sources_and_rules`).

use crate::layout::Metadata;
use crate::Error;

/// sops' `DefaultUnencryptedSuffix`.
const DEFAULT_UNENCRYPTED_SUFFIX: &str = "_unencrypted";

/// The encryption rule of one file.
pub(crate) enum Rule {
    /// Keys ending with this suffix (anywhere on the path) stay in clear.
    UnencryptedSuffix(String),
    /// Only keys ending with this suffix (anywhere on the path) are encrypted.
    EncryptedSuffix(String),
}

impl Rule {
    /// The file's rule; more than one is an error in sops too.
    pub(crate) fn of(meta: &Metadata) -> Result<Rule, Error> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        let rules = [
            &meta.unencrypted_suffix,
            &meta.encrypted_suffix,
            &meta.unencrypted_regex,
            &meta.encrypted_regex,
            &meta.unencrypted_comment_regex,
            &meta.encrypted_comment_regex,
        ];
        if rules.into_iter().filter_map(set).count() > 1 {
            return Err(Error::Malformed(
                "more than one encryption rule (sops allows one of the suffix and regex rules)"
                    .into(),
            ));
        }
        Ok(
            match (set(&meta.unencrypted_suffix), set(&meta.encrypted_suffix)) {
                (_, Some(suffix)) => Rule::EncryptedSuffix(suffix.to_owned()),
                (Some(suffix), None) => Rule::UnencryptedSuffix(suffix.to_owned()),
                (None, None) => Rule::UnencryptedSuffix(DEFAULT_UNENCRYPTED_SUFFIX.into()),
            },
        )
    }

    /// sops' `shouldBeEncrypted` for a value at `path` (map keys only).
    pub(crate) fn encrypts(&self, path: &[&str]) -> bool {
        match self {
            Rule::UnencryptedSuffix(s) => !path.iter().any(|k| k.ends_with(s.as_str())),
            Rule::EncryptedSuffix(s) => path.iter().any(|k| k.ends_with(s.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_apply_to_any_key_on_the_path() {
        let un = Rule::UnencryptedSuffix("_unencrypted".into());
        assert!(un.encrypts(&["db", "password"]));
        assert!(!un.encrypts(&["db_unencrypted", "password"]));
        assert!(!un.encrypts(&["db", "note_unencrypted"]));
        let en = Rule::EncryptedSuffix("_enc".into());
        assert!(!en.encrypts(&["db", "password"]));
        assert!(en.encrypts(&["db_enc", "password"]));
    }
}
