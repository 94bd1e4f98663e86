//! `artifacts generate`: decide what the graph needs, ask every prompt,
//! build generators in one batch, run them in dependency order (independent
//! branches in parallel) and store each result as one transaction; re-encrypt
//! what only needs new recipients; `git add` everything stored, also when
//! interrupted or when other artifacts failed.

use super::artifact;
use super::work::{self, Readback, Work};
use crate::cli::GenerateArgs;
use crate::generate::{self, Output};
use crate::interrupt::{self, Phase};
use crate::plan::{Node, Plan};
use crate::progress::{Outcome, Progress};
use crate::prompts::{self, Answers, Given, Typed};
use crate::sandbox::Sandbox;
use crate::store::committer::{Committer, Failed};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub fn run(flake: &str, args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare_to_generate(flake, &args.select, args.regenerate)?;
    let (flake, plan) = (&ctx.flake, &ctx.plan);
    // Answers naming no declared prompt stop the run before anything else:
    // a typo would otherwise leave the prompt unanswered.
    let given = given_answers(args, flake, plan)?;
    super::report_problems(plan);
    let mut summary = work::Summary {
        failed: plan.problems.len(),
        ..Default::default()
    };
    let mut todo = Work::decide(plan, args.regenerate);
    todo.report_refusals(plan, flake, &mut summary);
    if todo.is_empty() {
        if summary.failed == 0 {
            crate::progress::note(format!(
                "Nothing to generate: all {} artifacts are up to date.",
                summary.up_to_date
            ));
        }
        return Ok(work::exit(&summary));
    }
    todo.drop_missing_plugins(plan, &mut summary);
    for (&i, why) in &todo.pulled_in {
        crate::progress::note(format!(
            "{}: will be generated too: {why}",
            plan.nodes[i].label()
        ));
    }
    interrupt::set_phase(Phase::Asking);
    if args.regenerate {
        let rotated: Vec<(&Node, Option<&str>)> = todo
            .generate
            .iter()
            .map(|&i| (&plan.nodes[i], todo.pulled_in.get(&i).map(String::as_str)))
            .collect();
        if !crate::confirm::rotation(&rotated, args.yes)? {
            eprintln!("Nothing was changed.");
            return Ok(ExitCode::from(1));
        }
    }

    // Stored values the run reads back (dependencies, rekeys): decrypted
    // before anything is asked or run, so a missing identity stops nothing
    // half-way.
    let readback = Readback::prepare(plan, &mut todo, &args.identities, &mut summary);

    interrupt::set_phase(Phase::Asking);
    let runnable: Vec<(usize, &Node)> =
        todo.generate.iter().map(|&i| (i, &plan.nodes[i])).collect();
    let answers = match ask(&given, flake, &runnable) {
        Ok(answers) => answers,
        Err(code) => return Ok(code),
    };
    // The sandbox's /etc is prepared before anything is written: a run
    // that cannot isolate its generators changes nothing.
    let sandbox = match todo.generate.is_empty() {
        true => None,
        false => Some(
            Sandbox::detect(args.no_sandbox, todo.generate.len()).map_err(anyhow::Error::msg)?,
        ),
    };
    interrupt::set_phase(Phase::Working);

    let stored = Mutex::new(Vec::new());
    readback.restore_all(plan, &todo, &stored, &mut summary);
    work::record_all(plan, &todo, &stored, &mut summary);
    if let Some((sandbox, warning)) = sandbox {
        let programs = programs(&runnable, ctx.build_error.as_deref());
        if let Some(warning) = warning {
            eprintln!("warning: {warning}");
        }
        let jobs = args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let progress = Progress::new(todo.generate.len());
        let (mut outcomes, committed) = std::thread::scope(|scope| {
            let committer = Committer::start(scope, flake.git.as_ref().map(|g| g.top.clone()));
            let run = Run {
                plan,
                programs: &programs,
                answers: &answers,
                sandbox: &sandbox,
                timeout: (args.timeout > 0).then(|| Duration::from_secs(args.timeout)),
                committer: &committer,
                readback: &readback,
                progress: &progress,
            };
            let outcomes = run.in_order(&todo.generate, jobs);
            (outcomes, committer.finish())
        });
        stored_by(committed, plan, &stored, &mut outcomes);
        for outcome in outcomes.into_values() {
            match outcome {
                Outcome::Stored => summary.generated += 1,
                Outcome::Failed(_) => summary.failed += 1,
                Outcome::Interrupted { .. } => summary.interrupted += 1,
            }
        }
    }
    let mut add = todo.add.clone();
    add.extend(stored.into_inner().unwrap_or_else(|e| e.into_inner()));
    work::git_add(flake, &add, &mut summary);
    summary.print();
    if interrupt::interrupted() {
        eprintln!(
            "{}",
            if summary.generated + summary.rekeyed + summary.restored == 0 {
                "Interrupted: nothing was stored; every artifact keeps its earlier files."
            } else {
                "Interrupted: the artifacts stored above are whole; the others keep their earlier files."
            }
        );
        return Ok(ExitCode::from(130));
    }
    Ok(work::exit(&summary))
}

/// The `--prompt` and `--prompt-stdin` answers, resolved against the
/// prompts the plan declares.
fn given_answers(
    args: &GenerateArgs,
    flake: &crate::eval::flake::Flake,
    plan: &Plan,
) -> anyhow::Result<Given> {
    let mut typed = Typed::default();
    for value in &args.prompts {
        typed.add_value(value).map_err(anyhow::Error::msg)?;
    }
    if let Some(target) = &args.prompt_stdin {
        typed.add_stdin(target).map_err(anyhow::Error::msg)?;
    }
    typed.resolve(&plan.nodes).map_err(|errors| {
        anyhow::anyhow!(
            "{}\n  hint: nothing was generated; `{}` shows the artifacts",
            errors.join("\nerror: "),
            flake.command("list")
        )
    })
}

/// Collects every answer up front; `Err` is the exit code when some prompt
/// cannot be answered (nothing has run).
fn ask(
    given: &Given,
    flake: &crate::eval::flake::Flake,
    todo: &[(usize, &Node)],
) -> Result<Answers, ExitCode> {
    for unused in given.unused(todo) {
        eprintln!(
            "note: {unused}\n  hint: `{}` shows what needs generating",
            flake.command("list")
        );
    }
    prompts::collect(todo, given).map_err(|errors| {
        for e in errors {
            eprintln!("error: {e}");
        }
        eprintln!("Nothing was generated.");
        ExitCode::from(1)
    })
}

/// Node index → the program to run, or why there is none. The derivations
/// were realised with the run's one batched build call (`build_error`: why
/// it failed, for the generators whose output is missing).
fn programs(
    todo: &[(usize, &Node)],
    build_error: Option<&str>,
) -> BTreeMap<usize, Result<PathBuf, String>> {
    todo.iter()
        .map(|(i, node)| {
            let program = match &node.artifact.generator {
                None => Err(format!(
                    "it has no generator\n  hint: set artifacts.store.{}.generator",
                    node.artifact.name
                )),
                Some(g) if !Path::new(&g.path).exists() => Err(match build_error {
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
struct Run<'a, 's> {
    plan: &'s Plan,
    programs: &'a BTreeMap<usize, Result<PathBuf, String>>,
    answers: &'a Answers,
    sandbox: &'a Sandbox,
    timeout: Option<Duration>,
    /// Stores what the generators made.
    committer: &'a Committer<'s>,
    /// Dependencies read back from the store.
    readback: &'a Readback,
    progress: &'a Progress,
}

/// The scheduler's state: a node is ready once every dependency it
/// generates in this run is stored; a failure fails its dependents.
#[derive(Default)]
struct Schedule {
    ready: VecDeque<usize>,
    /// node → dependencies of this run not yet done.
    waiting: BTreeMap<usize, usize>,
    running: usize,
    outputs: BTreeMap<usize, Arc<Output>>,
    /// The generation ids of the values stored in this run.
    generations: BTreeMap<usize, String>,
    results: BTreeMap<usize, Outcome>,
}

impl<'s> Run<'_, 's> {
    /// Runs `todo` on `jobs` threads in dependency order; results by node.
    fn in_order(&self, todo: &BTreeSet<usize>, jobs: usize) -> BTreeMap<usize, Outcome> {
        let mut schedule = Schedule::default();
        for &i in todo {
            let pending = self.plan.nodes[i]
                .depends_on
                .iter()
                .filter(|d| todo.contains(d))
                .count();
            if pending == 0 {
                schedule.ready.push_back(i);
            } else {
                schedule.waiting.insert(i, pending);
            }
        }
        let state = (Mutex::new(schedule), Condvar::new());
        std::thread::scope(|s| {
            for _ in 0..jobs.min(todo.len()) {
                s.spawn(|| self.worker(todo, &state));
            }
        });
        let schedule = state.0.into_inner().unwrap_or_else(|e| e.into_inner());
        schedule.results
    }

    fn worker(&self, todo: &BTreeSet<usize>, (lock, changed): &(Mutex<Schedule>, Condvar)) {
        loop {
            let (i, inputs, made_from) = {
                let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(i) = s.ready.pop_front() {
                        s.running += 1;
                        let inputs = self.inputs(i, &s.outputs);
                        let made_from = crate::plan::made_from(&self.plan.nodes, i, |d| {
                            s.generations.get(&d).cloned()
                        });
                        break (i, inputs, made_from);
                    }
                    if s.running == 0 {
                        return; // nothing runs, nothing is ready: all done
                    }
                    s = changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            };
            let node = &self.plan.nodes[i];
            let (outcome, output) = if interrupt::interrupted() {
                (Outcome::Interrupted { started: false }, None)
            } else {
                self.progress.started(node);
                match self.one(i, node, &inputs, made_from) {
                    Ok(output) => (Outcome::Stored, Some(output)),
                    // Killed by the interrupt, or ending with it: counted
                    // as interrupted, not as a failure of its own.
                    Err(_) if interrupt::interrupted() => {
                        (Outcome::Interrupted { started: true }, None)
                    }
                    Err(e) => (Outcome::Failed(e), None),
                }
            };
            self.progress.finished(node, &outcome);
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            s.running -= 1;
            if let Some((output, generation)) = output {
                s.outputs.insert(i, output);
                s.generations.insert(i, generation);
            }
            for &d in node.dependents.iter().filter(|d| todo.contains(d)) {
                match &outcome {
                    Outcome::Stored => {
                        let left = s.waiting.get_mut(&d).expect("dependents wait");
                        *left -= 1;
                        if *left == 0 {
                            s.waiting.remove(&d);
                            s.ready.push_back(d);
                        }
                    }
                    Outcome::Interrupted { .. } => {
                        end_with_dependents(&mut s, self, todo, d, &node.label(), &|_| {
                            Outcome::Interrupted { started: false }
                        })
                    }
                    Outcome::Failed(_) => {
                        end_with_dependents(&mut s, self, todo, d, &node.label(), &|because| {
                            Outcome::Failed(format!(
                                "not generated: its dependency {because} failed"
                            ))
                        })
                    }
                }
            }
            s.results.insert(i, outcome);
            changed.notify_all();
        }
    }

    /// `$in`: dependency name → its plaintext files, fresh or read back.
    fn inputs(&self, i: usize, fresh: &BTreeMap<usize, Arc<Output>>) -> Vec<(String, Arc<Output>)> {
        self.plan.nodes[i]
            .depends_on
            .iter()
            .filter_map(|d| {
                let output = fresh.get(d).or_else(|| self.readback.outputs.get(d))?;
                Some((self.plan.nodes[*d].artifact.name.clone(), output.clone()))
            })
            .collect()
    }

    fn one(
        &self,
        index: usize,
        node: &Node,
        inputs: &[(String, Arc<Output>)],
        made_from: BTreeMap<String, String>,
    ) -> Result<(Arc<Output>, String), String> {
        if let Some(missing) = node.depends_on.iter().find(|d| {
            !inputs
                .iter()
                .any(|(n, _)| *n == self.plan.nodes[**d].artifact.name)
        }) {
            return Err(format!(
                "its dependency {} is not available",
                self.plan.nodes[*missing].label()
            ));
        }
        let program = self.programs[&index].clone()?;
        let empty = BTreeMap::new();
        let answers = self.answers.get(&index).unwrap_or(&empty);
        // The dependencies' secret values, kept out of its logs.
        let read_back: Vec<_> = node
            .depends_on
            .iter()
            .flat_map(|d| {
                let dep = &self.plan.nodes[*d].artifact;
                let files = inputs
                    .iter()
                    .find(|(n, _)| *n == dep.name)
                    .map(|(_, o)| o.files());
                files.map_or_else(Vec::new, |dir| {
                    crate::redact::secret_files(
                        dep.files.iter().map(|(n, f)| (n, f.secret)),
                        &dir,
                        Some(&dep.name),
                    )
                })
            })
            .collect();
        let inputs: Vec<(&str, PathBuf)> = inputs
            .iter()
            .map(|(n, o)| (n.as_str(), o.files()))
            .collect();
        let show = self.progress.output(node);
        let output = generate::run(
            &node.scope.name,
            &node.artifact,
            &program,
            answers,
            &inputs,
            self.sandbox,
            self.timeout,
            show,
            &read_back,
        )?;
        let redactor = crate::redact::Redactor::new(answers.iter().map(|(n, a)| (n, a.as_slice())))
            .and(read_back.iter().map(|(l, v)| (l.clone(), v.as_slice())));
        let origin = crate::store::meta::Origin::new(made_from);
        let generation = origin.generation.clone().expect("new origins have one");
        let output = Arc::new(output);
        let after = node.depends_on.clone();
        if node.backend.as_script().is_some() {
            // A script backend's `serialize` runs here, its failure this
            // generator's; a passthrough stores nothing.
            if let Some(staged) = artifact::stage(node, &output.files(), &redactor, origin)? {
                self.committer
                    .commit(index, after, move || Ok(Some(staged)));
            }
        } else {
            // Encrypted, written, synced and swapped in by the committer,
            // after its dependencies, while this slot runs the next one.
            let files = Arc::clone(&output);
            let node: &'s Node = &self.plan.nodes[index];
            self.committer.commit(index, after, move || {
                artifact::stage(node, &files.files(), &redactor, origin)
            });
        }
        Ok((output, generation))
    }
}

/// Waits for the committer: adds what it stored to `stored` (to `git add`
/// whatever happens next) and what it could not store to the failures.
fn stored_by(
    results: crate::store::committer::Results,
    plan: &Plan,
    stored: &Mutex<Vec<PathBuf>>,
    outcomes: &mut BTreeMap<usize, Outcome>,
) {
    let mut stored = stored.lock().unwrap_or_else(|e| e.into_inner());
    for (i, done) in results {
        let node = &plan.nodes[i];
        let why = match done {
            Ok(()) => {
                stored.push(node.dir.clone());
                continue;
            }
            Err(Failed::Stage(why)) => why,
            Err(Failed::Io(e)) => artifact::not_stored(node, &e),
            Err(Failed::Dependency(d)) => format!(
                "not stored: its dependency {} could not be stored",
                plan.nodes[d].label()
            ),
        };
        eprintln!(
            "error: {}, artifact {}: {why}",
            node.scope, node.artifact.name
        );
        // Failing because the run was interrupted is not a failure of its own.
        let outcome = match interrupt::interrupted() {
            true => Outcome::Interrupted { started: true },
            false => Outcome::Failed(why),
        };
        outcomes.insert(i, outcome);
    }
}

/// Ends `i` and everything depending on it (within `todo`) without
/// running them, because the dependency labelled `because` ended without
/// being stored; `outcome` says how each ends, given that label.
fn end_with_dependents(
    s: &mut Schedule,
    run: &Run,
    todo: &BTreeSet<usize>,
    i: usize,
    because: &str,
    outcome: &dyn Fn(&str) -> Outcome,
) {
    if s.results.contains_key(&i) {
        return;
    }
    s.waiting.remove(&i);
    let result = outcome(because);
    run.progress.finished(&run.plan.nodes[i], &result);
    s.results.insert(i, result);
    let label = run.plan.nodes[i].label();
    for &d in run.plan.nodes[i]
        .dependents
        .iter()
        .filter(|d| todo.contains(d))
    {
        end_with_dependents(s, run, todo, d, &label, outcome);
    }
}
