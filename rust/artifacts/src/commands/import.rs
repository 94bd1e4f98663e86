//! `artifacts import`: existing values (a plaintext file, an age file, a
//! key of a sops file, a `clan vars export` tree) stored as declared
//! artifacts through the same transaction as generated ones, so adopting a
//! fleet never means rotating its secrets. No generator runs. Plaintext is
//! read once, into the run's private temporary folder, and nowhere else.

use super::work::{self, Summary};
use crate::cli::{ImportArg, ImportArgs};
use crate::generate::Output;
use crate::identities::Identities;
use crate::plan::{closure, Node, Plan, Status};
use crate::redact::Redactor;
use crate::store::meta::Origin;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where one file's value comes from.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Age(PathBuf),
    Sops { path: PathBuf, key: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) | Source::Age(p) => write!(f, "{}", p.display()),
            Source::Sops { path, key } => write!(f, "{} (key {key})", path.display()),
        }
    }
}

/// `MACHINE/ARTIFACT/FILE` and its source.
struct Wanted {
    target: String,
    scope: String,
    artifact: String,
    file: String,
    source: Source,
}

pub fn run(flake: &str, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let (wanted, leftovers) = match &args.from_folder {
        Some(dir) => from_folder(dir)?,
        None => (pairs(&args.order)?, Vec::new()),
    };
    if wanted.is_empty() && leftovers.is_empty() {
        anyhow::bail!("nothing to import\n  hint: name a target and its source, e.g. `artifacts import alpha/db/password --from-file ./password`, or pass --from-folder");
    }
    let ctx = super::prepare(
        flake,
        &crate::cli::SelectArgs::default(),
        "import",
        crate::store::lock::IfBusy::Stop,
    )?;
    let (flake, plan) = (&ctx.flake, &ctx.plan);
    let (by_node, mut leftovers) = resolve(plan, wanted, leftovers, args.from_folder.is_some())?;
    if !leftovers.is_empty() {
        leftovers.sort();
        eprintln!(
            "warning: {} file(s) of the folder match no declared artifact file and are not imported:\n    {}",
            leftovers.len(),
            leftovers.join("\n    ")
        );
    }
    if by_node.is_empty() {
        anyhow::bail!("no file of the folder matches a declared artifact file; nothing was imported\n  hint: `{}` shows every machine, artifact and file", flake.command("list"));
    }
    check_whole(plan, &by_node)?;
    confirm(plan, &by_node, args.yes)?;

    // Every value is read (and every age or sops file decrypted) before
    // anything is stored: a wrong identity stops the run with nothing changed.
    let identities = std::cell::OnceCell::new();
    let identities = || {
        identities
            .get_or_init(|| Identities::given_or_default(&args.identities))
            .as_ref()
            .map_err(|e| {
                anyhow::anyhow!("{e}\n  hint: pass --identity with a key the file is encrypted to")
            })
    };
    let mut outputs = Vec::new();
    for (&i, files) in &by_node {
        let node = &plan.nodes[i];
        let output = Output::empty().map_err(anyhow::Error::msg)?;
        for (file, source) in files {
            read_source(source, &output.files().join(file), &identities).map_err(|e| {
                anyhow::anyhow!(
                    "{}, artifact {}, file {file}: nothing was imported, because {source} cannot be read: {e}",
                    node.scope,
                    node.artifact.name
                )
            })?;
        }
        outputs.push((i, output));
    }

    crate::interrupt::set_phase(crate::interrupt::Phase::Working);
    let mut summary = Summary::default();
    let mut stored = Vec::new();
    // Imported values count as made now, from the dependencies' current
    // values (or those imported with them): nothing stale follows.
    let mut origins: BTreeMap<usize, Origin> = outputs
        .iter()
        .map(|(i, _)| (*i, Origin::new(BTreeMap::new())))
        .collect();
    let generations: BTreeMap<usize, String> = origins
        .iter()
        .filter_map(|(i, o)| Some((*i, o.generation.clone()?)))
        .collect();
    for (i, origin) in &mut origins {
        origin.dependencies =
            crate::plan::made_from(&plan.nodes, *i, |d| generations.get(&d).cloned());
    }
    for (i, output) in &outputs {
        let node = &plan.nodes[*i];
        let origin = origins.remove(i).expect("one origin per import");
        match crate::commands::artifact::write(node, &output.files(), &Redactor::default(), origin)
        {
            Ok(()) => {
                stored.push(node.dir.clone());
                crate::progress::note(format_args!(
                    "{}: imported, stored with {}",
                    node.label(),
                    node.backend.name()
                ));
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!(
                    "error: {}, artifact {}: {e}; its stored values are as they were",
                    node.scope, node.artifact.name
                );
            }
        }
    }
    drop(outputs);
    work::git_add(flake, &stored, &mut summary);
    report_stale_dependents(plan, &by_node, flake);
    Ok(work::exit(&summary))
}

/// Pairs each target with the one source after it (`--key` belongs to the
/// `--from-sops` before it).
fn pairs(order: &[ImportArg]) -> anyhow::Result<Vec<Wanted>> {
    let usage =
        "each TARGET is followed by its source, e.g. `alpha/db/password --from-file ./password`";
    let mut wanted = Vec::new();
    let mut items = order.iter().peekable();
    while let Some(item) = items.next() {
        let ImportArg::Target(target) = item else {
            anyhow::bail!(
                "{} comes before any target\n  hint: {usage}",
                describe(item)
            );
        };
        let source = match items.next() {
            Some(ImportArg::File(p)) => Source::File(p.clone()),
            Some(ImportArg::Age(p)) => Source::Age(p.clone()),
            Some(ImportArg::Sops(p)) => match items.next() {
                Some(ImportArg::Key(key)) => Source::Sops {
                    path: p.clone(),
                    key: key.clone(),
                },
                _ => anyhow::bail!(
                    "--from-sops {} needs --key KEY after it (the key of the sops file, e.g. `db/password`)",
                    p.display()
                ),
            },
            Some(other) => anyhow::bail!("{target} is followed by {}\n  hint: {usage}", describe(other)),
            None => anyhow::bail!("{target} has no source\n  hint: {usage}"),
        };
        let mut parts = target.splitn(3, '/');
        let (Some(scope), Some(artifact), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!("`{target}` is not MACHINE/ARTIFACT/FILE (or shared/ARTIFACT/FILE)");
        };
        wanted.push(Wanted {
            target: target.clone(),
            scope: scope.into(),
            artifact: artifact.into(),
            file: file.into(),
            source,
        });
    }
    Ok(wanted)
}

fn describe(item: &ImportArg) -> String {
    match item {
        ImportArg::Target(t) => format!("the target {t}"),
        ImportArg::File(p) => format!("--from-file {}", p.display()),
        ImportArg::Age(p) => format!("--from-age {}", p.display()),
        ImportArg::Sops(p) => format!("--from-sops {}", p.display()),
        ImportArg::Key(k) => format!("--key {k}"),
    }
}

/// Every regular file of a `clan vars export` tree as a wanted import, and
/// what is not in that layout (listed, never silently skipped).
fn from_folder(dir: &Path) -> anyhow::Result<(Vec<Wanted>, Vec<String>)> {
    let mut wanted = Vec::new();
    let mut leftovers = Vec::new();
    let mut files = Vec::new();
    walk(dir, dir, &mut files, &mut leftovers).map_err(|e| {
        anyhow::anyhow!(
            "cannot read {}: {e}\n  hint: pass the folder `clan vars export` wrote",
            dir.display()
        )
    })?;
    for relative in files {
        let parts: Vec<&str> = relative.split('/').collect();
        let (scope, artifact, file) = match parts.as_slice() {
            ["per-machine", machine, artifact, file] => (*machine, *artifact, *file),
            ["shared", artifact, file] => ("shared", *artifact, *file),
            _ => {
                leftovers.push(relative.clone());
                continue;
            }
        };
        wanted.push(Wanted {
            // As found in the folder, for the list of leftovers.
            target: relative.clone(),
            scope: scope.into(),
            artifact: artifact.into(),
            file: file.into(),
            source: Source::File(dir.join(&relative)),
        });
    }
    Ok((wanted, leftovers))
}

/// Collects the regular files under `dir` as paths relative to `base`;
/// symlinks and other special files are leftovers (never followed).
fn walk(
    base: &Path,
    dir: &Path,
    files: &mut Vec<String>,
    leftovers: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let relative = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(base, &path, files, leftovers)?;
        } else if kind.is_file() {
            files.push(relative);
        } else {
            leftovers.push(format!("{relative} (not a regular file)"));
        }
    }
    Ok(())
}

/// The node a target names: `alpha/token` may name the shared artifact
/// `token` that alpha declares, as in `show`.
fn find(plan: &Plan, scope: &str, artifact: &str) -> Option<usize> {
    let named = |n: &Node| n.artifact.name == artifact;
    plan.nodes
        .iter()
        .position(|n| named(n) && n.scope.name == scope)
        .or_else(|| {
            plan.nodes
                .iter()
                .position(|n| named(n) && n.declared_by.iter().any(|s| s.name == scope))
        })
}

type ByNode = BTreeMap<usize, BTreeMap<String, Source>>;

/// Groups the wanted files by node; unknown targets are errors when named
/// on the command line and leftovers when found in a folder.
fn resolve(
    plan: &Plan,
    wanted: Vec<Wanted>,
    mut leftovers: Vec<String>,
    from_folder: bool,
) -> anyhow::Result<(ByNode, Vec<String>)> {
    let mut by_node = ByNode::new();
    for w in wanted {
        let node = find(plan, &w.scope, &w.artifact)
            .filter(|&i| plan.nodes[i].artifact.files.contains_key(&w.file));
        let Some(i) = node else {
            if from_folder {
                leftovers.push(w.target);
                continue;
            }
            let hint = match find(plan, &w.scope, &w.artifact) {
                Some(i) => format!(
                    "its files are {}",
                    crate::suggest::list(plan.nodes[i].artifact.files.keys().map(String::as_str))
                ),
                None => "`artifacts list` shows every machine and artifact".into(),
            };
            anyhow::bail!(
                "{}: no such declared artifact file; nothing was imported\n  hint: {hint}",
                w.target
            );
        };
        let node = &plan.nodes[i];
        if node.backend.on_machine() {
            anyhow::bail!(
                "{}, artifact {}: its backend ({}) generates it on the machine, so nothing of it is stored in the flake; nothing was imported\n  hint: give it a storing backend (agenix, sops-nix) to import a value",
                node.scope,
                node.artifact.name,
                node.backend.name()
            );
        }
        if let Status::Unusable { reason } = &node.status {
            anyhow::bail!(
                "{}, artifact {}: {reason}; nothing was imported",
                node.scope,
                node.artifact.name
            );
        }
        if by_node
            .entry(i)
            .or_default()
            .insert(w.file.clone(), w.source)
            .is_some()
        {
            anyhow::bail!("{} is named twice; nothing was imported", w.target);
        }
    }
    Ok((by_node, leftovers))
}

/// An artifact is imported whole: a value for each declared file.
fn check_whole(plan: &Plan, by_node: &ByNode) -> anyhow::Result<()> {
    let mut partial = Vec::new();
    for (&i, files) in by_node {
        let node = &plan.nodes[i];
        let missing: Vec<&str> = node
            .artifact
            .files
            .keys()
            .filter(|f| !files.contains_key(*f))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            partial.push(format!(
                "{} would lack {}",
                node.label(),
                missing.join(", ")
            ));
        }
    }
    if partial.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "an artifact is imported with all its files at once, so nothing was imported:\n    {}\n  hint: name a source for each missing file",
        partial.join("\n    ")
    )
}

/// Replacing stored values asks first on a terminal; without one it needs
/// `--yes`.
fn confirm(plan: &Plan, by_node: &ByNode, yes: bool) -> anyhow::Result<()> {
    let replaced: Vec<&Node> = by_node
        .keys()
        .map(|&i| &plan.nodes[i])
        .filter(|n| !matches!(n.status, Status::Missing { .. } | Status::NotStored { .. }))
        .collect();
    if yes || replaced.is_empty() {
        return Ok(());
    }
    let labels: Vec<String> = replaced
        .iter()
        .map(|n| format!("  {}  {}", n.label(), n.status))
        .collect();
    let text = format!(
        "import replaces the stored values of:\n{}\nMachines keep the old values until they are deployed again.\n",
        labels.join("\n")
    );
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("{text}nothing was imported\n  hint: pass --yes to replace them");
    }
    if crate::confirm::yes_or_no(&text, "Replace them?")? {
        Ok(())
    } else {
        anyhow::bail!("nothing was imported")
    }
}

/// Writes the plaintext of `source` to `to` (in a private folder).
fn read_source<'a>(
    source: &Source,
    to: &Path,
    identities: &dyn Fn() -> anyhow::Result<&'a Identities>,
) -> anyhow::Result<()> {
    let mut out = std::fs::File::create(to)?;
    match source {
        Source::File(path) => {
            std::io::copy(&mut std::fs::File::open(path)?, &mut out)?;
        }
        Source::Age(path) => {
            let agenix = crate::backend::builtin("agenix").expect("agenix is built in");
            agenix
                .open(&mut std::fs::File::open(path)?, &mut out, identities()?)
                .map_err(anyhow::Error::msg)?;
        }
        Source::Sops { path, key } => {
            let bytes = std::fs::read(path)?;
            let format = artifacts_sops::Format::from_path(path);
            let value = artifacts_sops::decrypt_key(&bytes, format, key, &identities()?.boxed())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::io::Write::write_all(&mut out, &value)?;
        }
    }
    Ok(())
}

/// Dependents made from the replaced values are stale now.
fn report_stale_dependents(plan: &Plan, by_node: &ByNode, flake: &crate::eval::flake::Flake) {
    let imported: BTreeSet<usize> = by_node.keys().copied().collect();
    let dependents = closure(
        imported
            .iter()
            .flat_map(|&i| plan.nodes[i].dependents.clone()),
        |i| plan.nodes[i].dependents.clone(),
    );
    let stale: Vec<String> = dependents
        .into_iter()
        .filter(|i| !imported.contains(i))
        .map(|i| &plan.nodes[i])
        .filter(|n| !n.backend.on_machine() && !matches!(n.status, Status::Missing { .. }))
        .map(Node::label)
        .collect();
    if !stale.is_empty() {
        crate::progress::note(format_args!(
            "note: {} were made from the values replaced now and are stale: `{}` makes them again",
            stale.join(", "),
            flake.command("generate")
        ));
    }
}
