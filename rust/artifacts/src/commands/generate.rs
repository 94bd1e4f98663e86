//! `artifacts generate`: plan, ask every prompt, build generators in one
//! batch, run them in parallel, encrypt and store the results.

use crate::cli::GenerateArgs;
use crate::generate::{self, Generated};
use crate::plan::{Node, Status};
use crate::prompts::{self, Answers, Given};
use crate::sandbox::Sandbox;
use crate::store::{self, META_FILE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub fn run(flake: &str, args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let (flake, plan) = super::plan(flake, &args.select)?;
    super::report_problems(&plan);
    let mut failures = plan.problems.len();

    let todo: Vec<(usize, &Node)> = plan
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| args.regenerate || n.status != Status::UpToDate)
        .collect();
    let up_to_date = plan.nodes.len() - todo.len();
    if todo.is_empty() {
        eprintln!("Nothing to generate: all {up_to_date} artifacts are up to date.");
        return Ok(exit(failures));
    }

    // Every prompt before anything runs.
    let mut given = Given::default();
    for value in &args.prompts {
        given.add_value(value).map_err(anyhow::Error::msg)?;
    }
    if let Some(target) = &args.prompt_stdin {
        given.add_stdin(target).map_err(anyhow::Error::msg)?;
    }
    for target in given.unused(&todo) {
        eprintln!("warning: the answer for {target} matches no prompt being asked (`artifacts list` shows what needs generating)");
    }
    let answers = match prompts::collect(&todo, &given) {
        Ok(answers) => answers,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            eprintln!("Nothing was generated.");
            return Ok(ExitCode::from(1));
        }
    };

    let programs = build_generators(&todo);
    let (sandbox, warning) = Sandbox::detect(args.no_sandbox);
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);

    let results = run_parallel(&todo, &programs, &answers, &sandbox, jobs);
    let mut written = Vec::new();
    let mut generated = 0;
    for ((_, node), result) in todo.iter().zip(results) {
        match result {
            Ok(paths) => {
                generated += 1;
                written.extend(paths);
            }
            Err(message) => {
                failures += 1;
                eprintln!(
                    "error: {}, artifact {}: {message}",
                    node.scope, node.artifact.name
                );
            }
        }
    }
    if !flake.in_git {
        eprintln!(
            "note: {} is not in a git repository; nothing was `git add`ed",
            flake.root.display()
        );
    } else if let Err(e) = store::git_add(&flake.root, &written) {
        failures += 1;
        eprintln!("error: {e}");
    }
    eprintln!("Generated {generated}, failed {failures}, already up to date {up_to_date}.");
    Ok(exit(failures))
}

fn exit(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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

/// A node's outcome: the paths it wrote, or why it failed.
type Outcome = Result<Vec<PathBuf>, String>;

/// Runs the nodes on `jobs` threads; results in `todo` order.
fn run_parallel(
    todo: &[(usize, &Node)],
    programs: &BTreeMap<usize, Result<PathBuf, String>>,
    answers: &Answers,
    sandbox: &Sandbox,
    jobs: usize,
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..todo.len()).map(|_| None).collect());
    let total = todo.len();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(total) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some((index, node)) = todo.get(k) else {
                    break;
                };
                eprintln!("[{}/{total}] {}: generating", k + 1, node.label());
                let empty = BTreeMap::new();
                let result = programs[index]
                    .clone()
                    .and_then(|program| {
                        generate::run(
                            node,
                            &program,
                            answers.get(index).unwrap_or(&empty),
                            sandbox,
                        )
                    })
                    .and_then(|files| store_node(node, &files));
                if let Ok(paths) = &result {
                    eprintln!(
                        "[{}/{total}] {}: stored {} file(s) with {}",
                        k + 1,
                        node.label(),
                        paths.len() - 1,
                        node.backend.name()
                    );
                }
                results.lock().unwrap()[k] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every node ran"))
        .collect()
}

/// Encrypts every file first, then replaces the stored ones, so a failure
/// leaves the previous files in place.
fn store_node(node: &Node, files: &Generated) -> Result<Vec<PathBuf>, String> {
    let mut sealed = Vec::new();
    for (file, path) in node.stored_files() {
        let plaintext = &files[&file.name];
        let bytes = if file.secret {
            node.backend.seal(plaintext, &node.recipients)?
        } else {
            plaintext.to_vec()
        };
        sealed.push((path, bytes));
    }
    let meta = serde_json::to_vec_pretty(&node.meta()).expect("metadata serialises");
    sealed.push((node.dir.join(META_FILE), meta));
    for (path, bytes) in &sealed {
        store::write_atomically(path, bytes).map_err(|e| {
            format!(
                "cannot write {}: {e}\n  hint: check permissions of the flake's artifacts folder",
                path.display()
            )
        })?;
    }
    Ok(sealed.into_iter().map(|(p, _)| p).collect())
}
