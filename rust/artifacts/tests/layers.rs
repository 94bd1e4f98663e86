//! The crate reads top-down: no module of `src/` (a top-level file or
//! folder) uses, through any chain of `crate::…` paths, a module that uses
//! it back. A lower layer returns data or takes a callback instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// Top-level module → the top-level modules its code names as `crate::X`.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, module: Option<&str>, edges: &mut BTreeMap<String, BTreeSet<String>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let own = module.unwrap_or(&name).to_string();
            if path.is_dir() {
                walk(&path, Some(&own), edges);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || own == "lib" || own == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let used = edges.entry(own.clone()).or_default();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let target: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    // `output` holds the crate's print macros, used everywhere.
                    if !target.is_empty() && target != own && target != "output" {
                        used.insert(target);
                    }
                }
            }
        }
    }
    let mut edges = BTreeMap::new();
    walk(Path::new(SRC), None, &mut edges);
    edges
}

/// Every module reachable from `from` through `edges`.
fn reachable(edges: &BTreeMap<String, BTreeSet<String>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(module) = todo.pop() {
        for next in edges.get(&module).into_iter().flatten() {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_module_reaches_itself() {
    let edges = uses();
    assert!(edges.contains_key("plan") && edges.contains_key("eval"));
    let cycles: Vec<String> = edges
        .keys()
        .filter(|m| reachable(&edges, m).contains(*m))
        .map(|m| {
            let back: Vec<&String> = edges[m]
                .iter()
                .filter(|n| reachable(&edges, n).contains(m))
                .collect();
            format!("{m} -> {back:?} -> … -> {m}")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn evaluation_and_leaves_use_nothing_above_them() {
    let edges = uses();
    for (module, allowed) in [
        ("eval", &["interrupt", "names"][..]),
        ("interrupt", &[]),
        ("names", &[]),
        // Plugin recipients may ask the user (a PIN): through plugin_ui,
        // itself a leaf but for the interrupt it honours.
        ("keys", &["plugin_ui"]),
        ("plugin_ui", &["interrupt"]),
        ("clock", &[]),
    ] {
        let extra: Vec<&String> = edges[module]
            .iter()
            .filter(|m| !allowed.contains(&m.as_str()))
            .collect();
        assert!(extra.is_empty(), "{module} uses {extra:?}");
    }
}
