//! Names that become paths, checked before anything is written with the
//! same rules the modules assert (lib/names.nix), so a declaration can never
//! write outside the store or onto the store's own files (`.meta.json`,
//! staging folders). Two rules:
//! - [`check`]: scope, artifact and prompt names (and template names), which
//!   also become unit names, command-line targets and environment values:
//!   a narrow ASCII set;
//! - [`check_file`]: file names, as wide as is safe everywhere a file name
//!   goes (stored file, `$out`, `$in`, `$inputs`, deploy paths): the
//!   original nixos-artifacts accepts `files."fifth secret"`.
//!
//! Both rules are tested against one table shared with the Nix side,
//! tests/golden/names.json.

/// The longest name accepted, in bytes: far beyond any real one, well
/// within every file system's limit once an extension is added.
pub const MAX_LEN: usize = 128;

/// The rule for scope, artifact and prompt names, as shown to users.
pub const RULE: &str =
    "1 to 128 characters, the first one of A-Z a-z 0-9 _, the others of A-Z a-z 0-9 _ . @ + -";

/// The rule for file names, as shown to users.
pub const FILE_RULE: &str =
    "1 to 128 bytes without \"/\" or control characters, not starting with \".\" or \"-\"";

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
    refuse(name, problem, RULE)
}

/// Checks a file name against [`FILE_RULE`]: one path component (no `/`,
/// never `.` or `..`), never hidden (`.x` is the store's), never taken for
/// an option (`-x`), printable (no control character ends up in a message,
/// a log line or a unit's output).
pub fn check_file(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        Some("it is empty".to_string())
    } else if name.len() > MAX_LEN {
        Some(format!("it is longer than {MAX_LEN} bytes"))
    } else if name.starts_with('.') {
        Some(
            "it starts with \".\" (names starting with \".\" are reserved for the store's own files)"
                .to_string(),
        )
    } else if name.starts_with('-') {
        Some("it starts with \"-\"".to_string())
    } else {
        name.chars()
            .find(|c| *c == '/' || c.is_control())
            .map(|c| format!("it contains {c:?}"))
    };
    refuse(name, problem, FILE_RULE)
}

fn refuse(name: &str, problem: Option<String>, rule: &str) -> Result<(), String> {
    match problem {
        None => Ok(()),
        Some(why) => Err(format!(
            "`{}` is not a valid name: {why}; names are {rule}",
            name.escape_debug()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, check_file};
    use serde_json::Value;

    /// The table both sides are tested against (rust/nix-tests/tests/names.rs
    /// evaluates it with lib/names.nix).
    fn table() -> Value {
        serde_json::from_str(include_str!("../../../tests/golden/names.json")).unwrap()
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_shared_table_holds() {
        let table = table();
        for (rule, check) in [
            ("names", check as fn(&str) -> Result<(), String>),
            ("fileNames", check_file),
        ] {
            for name in strings(&table[rule]["valid"]) {
                assert_eq!(check(&name), Ok(()), "{rule}: {name:?}");
            }
            for name in strings(&table[rule]["invalid"]) {
                assert!(check(&name).is_err(), "{rule}: {name:?} passed");
            }
        }
    }

    #[test]
    fn lengths_count_bytes() {
        assert!(check_file(&"é".repeat(64)).is_ok());
        let error = check_file(&format!("{}x", "é".repeat(64))).unwrap_err();
        assert!(error.contains("longer than 128 bytes"), "{error}");
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let cases = [
            ("", "it is empty"),
            (".x", "it starts with \".\""),
            ("..", "it starts with \".\""),
            ("-x", "it starts with \"-\""),
            ("a/b", "it contains '/'"),
            ("x\ty", "it contains '\\t'"),
            ("x\u{85}y", "it contains '\\u{85}'"),
        ];
        for (name, expected) in cases {
            let error = check_file(name).unwrap_err();
            assert!(error.contains(expected), "{name:?}: {error}");
            assert!(
                !error.contains('\t') && !error.contains('\u{85}'),
                "{error}"
            );
        }
    }
}
