//! Names that become paths: scope, artifact, file and prompt names are
//! checked before anything is written, with the same rule the modules assert
//! (lib/names.nix), so a declaration can never write outside the store
//! or onto the store's own files (`.meta.json`, staging folders).

/// The longest name accepted: far beyond any real one, well within every
/// file system's limit once an extension is added.
pub const MAX_LEN: usize = 128;

/// The rule, as shown to users.
pub const RULE: &str =
    "1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -";

/// Checks `name` against [`RULE`]; the error says what is wrong with it.
pub fn check(name: &str) -> Result<(), String> {
    let first_ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let rest_ok = |c: char| first_ok(c) || matches!(c, '.' | '@' | '+' | '-');
    let mut chars = name.chars();
    let problem = match chars.next() {
        None => Some("it is empty".to_string()),
        Some(_) if name.len() > MAX_LEN => Some(format!("it is longer than {MAX_LEN} characters")),
        Some(c) if !first_ok(c) => Some(format!(
            "it starts with {c:?} (names starting with `.` are reserved for the store's own files)"
        )),
        Some(_) => chars
            .find(|c| !rest_ok(*c))
            .map(|c| format!("it contains {c:?}")),
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(format!(
            "`{}` is not a valid name: {why}; names are {RULE}",
            name.escape_debug()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "alpha",
            "alice@alpha",
            "ssh-host-key",
            "id_ed25519.pub",
            "wg0+1",
            "0",
            "_x",
        ] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn names_that_could_escape_or_collide_are_refused() {
        for name in [
            "",
            ".",
            "..",
            "../../x",
            "/etc/passwd",
            "a/b",
            ".meta.json",
            "-rf",
            "a b",
            "tab\t",
            "new\nline",
            "ünïcode",
            &"x".repeat(129),
        ] {
            assert!(check(name).is_err(), "{name:?} passed");
        }
        assert!(check(&"x".repeat(128)).is_ok());
    }
}
