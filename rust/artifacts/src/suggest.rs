//! "Did you mean …": when a machine, home, artifact, file or prompt name
//! is not known, the closest known names, so a typo costs one look rather
//! than a `list` and a second try.

use crate::eval::flake::Flake;
use crate::eval::manifest::ScopeKind;
use crate::eval::Evaluation;
use std::collections::{BTreeMap, BTreeSet};

/// The known names closest to `typed`, best first, at most three: those a
/// typo away (a letter wrong, missing, extra or two swapped, per three
/// letters typed) and those `typed` begins.
pub fn closest<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed_lower = typed.to_lowercase();
    let allowed = (typed.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = known
        .into_iter()
        .filter(|k| *k != typed)
        .filter_map(|k| {
            let distance = strsim::damerau_levenshtein(&typed_lower, &k.to_lowercase());
            let begins = typed.chars().count() >= 2 && k.starts_with(typed);
            (distance <= allowed || begins).then_some((distance, k))
        })
        .collect();
    near.sort();
    near.dedup();
    near.into_iter().take(3).map(|(_, k)| k).collect()
}

/// "did you mean `alpha`?" (or "`alpha` or `alps`"), if anything is close.
pub fn did_you_mean<'a>(typed: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let near = closest(typed, known);
    let quoted: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => None,
        [one] => Some(format!("did you mean {one}?")),
        [first @ .., last] => Some(format!("did you mean {} or {last}?", first.join(", "))),
    }
}

/// "alpha, beta and 4 more": known names to show when none is close.
pub fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 8;
    let names: Vec<&str> = names.into_iter().collect();
    let mut text = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// What a closer look at a name that matched nothing says: the closest
/// names, or all of them when there are a few and none is close.
fn hint<'a>(typed: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match did_you_mean(typed, known.clone()) {
        Some(hint) => format!("; {hint}"),
        None => match list(known) {
            all if all.is_empty() => String::new(),
            all => format!(" (there are: {all})"),
        },
    }
}

/// The error for `--machine`/`--artifact` values (`machines`, `wanted`;
/// or a `show` target) that name nothing the flake declares, with the
/// closest names; `None` when every name is known.
pub fn unknown_selection(
    flake: &Flake,
    machines: &[String],
    wanted: &[String],
    evaluation: &Evaluation,
) -> Option<String> {
    // Scope name → (kind, its artifacts with whether each is shared).
    let mut scopes: BTreeMap<&str, (ScopeKind, BTreeMap<&str, bool>)> = BTreeMap::new();
    for m in &evaluation.scopes {
        let artifacts = m
            .artifacts
            .values()
            .map(|a| (a.name.as_str(), a.shared))
            .collect();
        scopes.insert(&m.name, (m.kind, artifacts));
    }
    let shared: BTreeSet<&str> = scopes
        .values()
        .flat_map(|(_, a)| a.iter().filter(|(_, s)| **s).map(|(n, _)| *n))
        .collect();
    if !shared.is_empty() {
        let artifacts = shared.iter().map(|a| (*a, true)).collect();
        scopes
            .entry("shared")
            .or_insert((ScopeKind::Shared, artifacts));
    }
    // Configurations that do not evaluate: their names are known, their
    // artifacts are not (the planning problems say why).
    let failed: BTreeSet<&str> = evaluation
        .failures
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let list_hint = format!(
        "\n  hint: `{}` shows every machine and artifact",
        flake.command("list")
    );

    for typed in machines {
        if !scopes.contains_key(typed.as_str()) && !failed.contains(typed.as_str()) {
            let known = scopes.keys().copied().chain(failed.iter().copied());
            return Some(format!(
                "no machine or home is named `{typed}`{}{list_hint}",
                hint(typed, known.collect::<Vec<_>>())
            ));
        }
    }
    let chosen: Vec<&str> = if machines.is_empty() {
        scopes.keys().copied().collect()
    } else {
        machines.iter().map(String::as_str).collect()
    };
    if chosen.iter().any(|c| failed.contains(c)) {
        return None; // their artifacts are unknown
    }
    let declared = |scope: &str| {
        scopes
            .get(scope)
            .map(|(_, a)| a.keys().copied().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let available: BTreeSet<&str> = chosen.iter().flat_map(|c| declared(c)).collect();
    for typed in wanted {
        if available.contains(typed.as_str()) {
            continue;
        }
        let elsewhere: Vec<&str> = scopes
            .iter()
            .filter(|(_, (_, a))| a.contains_key(typed.as_str()))
            .map(|(s, _)| *s)
            .collect();
        let whose = match chosen.as_slice() {
            [one] => match scopes.get(one).map(|(k, _)| *k) {
                Some(ScopeKind::Shared) => "no shared artifact is".to_string(),
                Some(ScopeKind::Home) => format!("home {one} declares no artifact"),
                _ => format!("machine {one} declares no artifact"),
            },
            _ if machines.is_empty() => "no machine or home declares an artifact".to_string(),
            _ => format!("none of {} declares an artifact", chosen.join(", ")),
        };
        let more = if elsewhere.is_empty() {
            hint(typed, available.iter().copied())
        } else {
            format!(" (declared by {})", list(elsewhere))
        };
        return Some(format!("{whose} named `{typed}`{more}{list_hint}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_name_meant() {
        let known = ["alpha", "beta", "gamma", "alps"];
        assert_eq!(closest("alhpa", known), ["alpha"]);
        assert_eq!(closest("ALPHA", known), ["alpha"]);
        assert_eq!(closest("al", known), ["alps", "alpha"]);
        assert_eq!(closest("zeta", known), ["beta"]);
        assert!(closest("xylophone", known).is_empty());
        assert_eq!(closest("secrte", ["secret", "public"]), ["secret"]);
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            did_you_mean("alhpa", ["alpha"]).unwrap(),
            "did you mean `alpha`?"
        );
        assert_eq!(
            did_you_mean("alp", ["alpha", "alps"]).unwrap(),
            "did you mean `alps` or `alpha`?"
        );
        assert_eq!(did_you_mean("q", ["alpha"]), None);
        let many: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        assert_eq!(
            list(many.iter().map(String::as_str)),
            "m0, m1, m2, m3, m4, m5, m6, m7 and 2 more"
        );
    }
}
