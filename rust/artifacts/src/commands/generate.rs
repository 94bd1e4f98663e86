//! `artifacts generate`: plan, ask every prompt, build generators in one
//! batch, run them in parallel and store each result as one transaction;
//! rebuild lost metadata from files that decrypt; `git add` everything
//! stored, also when interrupted or when other artifacts failed.

use crate::cli::GenerateArgs;
use crate::generate;
use crate::identities::Identities;
use crate::interrupt::{self, Phase};
use crate::plan::{Node, Status};
use crate::prompts::{self, Answers, Given};
use crate::sandbox::Sandbox;
use crate::store::lock::IfBusy;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
struct Summary {
    generated: usize,
    rebuilt: usize,
    failed: usize,
    up_to_date: usize,
}

pub fn run(flake: &str, args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(flake, &args.select, "generate", IfBusy::Stop)?;
    let (flake, plan) = (&ctx.flake, &ctx.plan);
    super::report_problems(plan);
    let mut summary = Summary {
        failed: plan.problems.len(),
        ..Summary::default()
    };

    let mut todo: Vec<(usize, &Node)> = Vec::new();
    let mut rebuild: Vec<&Node> = Vec::new();
    let mut add: Vec<PathBuf> = Vec::new();
    for (index, node) in plan.nodes.iter().enumerate() {
        match &node.status {
            _ if args.regenerate => todo.push((index, node)),
            status if status.needs_generator() => todo.push((index, node)),
            Status::Unverified { .. } => rebuild.push(node),
            Status::Damaged { reason } => {
                summary.failed += 1;
                let dir = node.dir.strip_prefix(&flake.root).unwrap_or(&node.dir);
                eprintln!(
                    "error: {}, artifact {}: {reason}; it is left as it is\n  hint: restore it with `git checkout -- {}`, or replace it with `{}`",
                    node.scope,
                    node.artifact.name,
                    dir.display(),
                    flake.command(&format!(
                        "generate --regenerate --machine {} --artifact {}",
                        node.scope.name, node.artifact.name
                    ))
                );
            }
            Status::Untracked { .. } => add.push(node.dir.clone()),
            _ => summary.up_to_date += 1,
        }
    }
    if todo.is_empty() && rebuild.is_empty() && add.is_empty() {
        if summary.failed == 0 {
            eprintln!(
                "Nothing to generate: all {} artifacts are up to date.",
                summary.up_to_date
            );
        }
        return Ok(exit(summary.failed));
    }

    // Every prompt before anything runs.
    interrupt::set_phase(Phase::Asking);
    let answers = match ask(args, &todo)? {
        Ok(answers) => answers,
        Err(code) => return Ok(code),
    };
    interrupt::set_phase(Phase::Working);

    let stored = Mutex::new(Vec::new());
    rebuild_metadata(&rebuild, &args.identities, &stored, &mut summary);
    if !todo.is_empty() {
        let programs = build_generators(&todo);
        let (sandbox, warning) = Sandbox::detect(args.no_sandbox);
        if let Some(warning) = warning {
            eprintln!("warning: {warning}");
        }
        let jobs = args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let timeout = (args.timeout > 0).then(|| Duration::from_secs(args.timeout));
        let run = Run {
            programs: &programs,
            answers: &answers,
            sandbox: &sandbox,
            timeout,
            stored: &stored,
        };
        for ((_, node), result) in todo.iter().zip(run.parallel(&todo, jobs)) {
            match result {
                Ok(()) => summary.generated += 1,
                Err(message) => {
                    summary.failed += 1;
                    eprintln!(
                        "error: {}, artifact {}: {message}",
                        node.scope, node.artifact.name
                    );
                }
            }
        }
    }

    add.extend(stored.into_inner().unwrap_or_else(|e| e.into_inner()));
    let added = add.len();
    match &flake.git {
        None => eprintln!(
            "note: {} is not in a git repository; nothing was `git add`ed",
            flake.root.display()
        ),
        Some(git) => match crate::store::git::add(&git.top, &add) {
            Ok(()) if added > 0 => {
                eprintln!("Added {added} artifact folder(s) to git, so Nix sees them.")
            }
            Ok(()) => {}
            Err(e) => {
                summary.failed += 1;
                eprintln!("error: {e}");
            }
        },
    }
    let mut line = format!(
        "Generated {}, failed {}, already up to date {}",
        summary.generated, summary.failed, summary.up_to_date
    );
    if summary.rebuilt > 0 {
        line.push_str(&format!(", metadata rebuilt {}", summary.rebuilt));
    }
    eprintln!("{line}.");
    if interrupt::interrupted() {
        eprintln!("Interrupted: the artifacts generated above are stored whole and added to git; the others keep their earlier files.");
        return Ok(ExitCode::from(130));
    }
    Ok(exit(summary.failed))
}

fn exit(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Collects every answer up front; `Err` is the exit code when some prompt
/// cannot be answered (nothing has run).
fn ask(args: &GenerateArgs, todo: &[(usize, &Node)]) -> anyhow::Result<Result<Answers, ExitCode>> {
    let mut given = Given::default();
    for value in &args.prompts {
        given.add_value(value).map_err(anyhow::Error::msg)?;
    }
    if let Some(target) = &args.prompt_stdin {
        given.add_stdin(target).map_err(anyhow::Error::msg)?;
    }
    for target in given.unused(todo) {
        eprintln!("warning: the answer for {target} matches no prompt being asked (`artifacts list` shows what needs generating)");
    }
    Ok(prompts::collect(todo, &given).map_err(|errors| {
        for e in errors {
            eprintln!("error: {e}");
        }
        eprintln!("Nothing was generated.");
        ExitCode::from(1)
    }))
}

/// Artifacts whose metadata is missing or unreadable: when their files
/// decrypt, they are stored again unchanged (to the declared recipients)
/// with new metadata; otherwise they are reported and left alone.
fn rebuild_metadata(
    nodes: &[&Node],
    identity_paths: &[PathBuf],
    stored: &Mutex<Vec<PathBuf>>,
    summary: &mut Summary,
) {
    if nodes.is_empty() {
        return;
    }
    let paths = if identity_paths.is_empty() {
        Identities::default_paths()
    } else {
        identity_paths.to_vec()
    };
    let identities = Identities::load(&paths);
    for node in nodes {
        let needs_identity = node.artifact.files.values().any(|f| f.secret);
        let result = match &identities {
            Err(e) => Err(e.clone()),
            Ok(ids) if needs_identity && ids.is_empty() => {
                Err("no identity to decrypt them with".into())
            }
            Ok(ids) => crate::store::artifact::read(node, ids)
                .and_then(|out| crate::store::artifact::write(node, &out.files())),
        };
        let Status::Unverified { reason } = &node.status else {
            continue;
        };
        match result {
            Ok(()) => {
                summary.rebuilt += 1;
                stored
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(node.dir.clone());
                eprintln!("{}: {reason}; rebuilt it from the stored files, which decrypt (values unchanged)", node.label());
            }
            Err(e) => {
                summary.failed += 1;
                eprintln!(
                    "error: {}, artifact {}: {reason}, and the files cannot be checked: {e}; they are left as they are\n  hint: pass --identity with a key among the artifact's recipients (artifacts.adminRecipients) to rebuild it, or replace it with --regenerate",
                    node.scope, node.artifact.name
                );
            }
        }
    }
}

/// Node index → the program to run, or why there is none. Derivations are
/// realised with one batched build call.
fn build_generators(todo: &[(usize, &Node)]) -> BTreeMap<usize, Result<PathBuf, String>> {
    let derivations: BTreeSet<String> = todo
        .iter()
        .filter_map(|(_, n)| n.artifact.generator.as_ref()?.drv_path.clone())
        .collect();
    let build_error = crate::nix::build(&derivations.into_iter().collect::<Vec<_>>()).err();
    todo.iter()
        .map(|(i, node)| {
            let program = match &node.artifact.generator {
                None => Err(format!(
                    "it has no generator\n  hint: set artifacts.store.{}.generator",
                    node.artifact.name
                )),
                Some(g) if !Path::new(&g.path).exists() => Err(match &build_error {
                    Some(e) => e.to_string(),
                    None => format!("the generator {} does not exist", g.path),
                }),
                Some(g) => generate::resolve_program(Path::new(&g.path)),
            };
            (*i, program)
        })
        .collect()
}

/// What every worker shares.
struct Run<'a> {
    programs: &'a BTreeMap<usize, Result<PathBuf, String>>,
    answers: &'a Answers,
    sandbox: &'a Sandbox,
    timeout: Option<Duration>,
    /// Artifact folders stored so far, to `git add` whatever happens next.
    stored: &'a Mutex<Vec<PathBuf>>,
}

impl Run<'_> {
    /// Runs the nodes on `jobs` threads; results in `todo` order. After an
    /// interrupt no new generator starts.
    fn parallel(&self, todo: &[(usize, &Node)], jobs: usize) -> Vec<Result<(), String>> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<(), String>>>> =
            Mutex::new((0..todo.len()).map(|_| None).collect());
        let total = todo.len();
        std::thread::scope(|s| {
            for _ in 0..jobs.min(total) {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some((index, node)) = todo.get(k) else {
                        break;
                    };
                    let result = if interrupt::interrupted() {
                        Err("not generated: interrupted".to_string())
                    } else {
                        eprintln!("[{}/{total}] {}: generating", k + 1, node.label());
                        self.one(*index, node)
                    };
                    if result.is_ok() {
                        eprintln!(
                            "[{}/{total}] {}: stored with {}",
                            k + 1,
                            node.label(),
                            node.backend.name()
                        );
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(result);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|r| r.expect("every node ran"))
            .collect()
    }

    fn one(&self, index: usize, node: &Node) -> Result<(), String> {
        let program = self.programs[&index].clone()?;
        let empty = BTreeMap::new();
        let answers = self.answers.get(&index).unwrap_or(&empty);
        let output = generate::run(node, &program, answers, self.sandbox, self.timeout)?;
        crate::store::artifact::write(node, &output.files())?;
        self.stored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(node.dir.clone());
        Ok(())
    }
}
