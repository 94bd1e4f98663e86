//! One file per subcommand; the shared first steps live here: locate the
//! flake, take the store's lock, evaluate once, finish what an interrupted
//! run left, plan.

pub mod artifact;
pub mod check;
pub mod generate;
pub mod import;
pub mod list;
pub mod rekey;
pub mod show;
mod work;

use crate::cli::SelectArgs;
use crate::eval::flake::Flake;
use crate::interrupt::{self, Phase};
use crate::plan::{Plan, Selection};
use crate::store::lock::{IfBusy, StoreLock};
use std::collections::BTreeSet;

/// A planned command holding the store.
pub struct Context {
    pub flake: Flake,
    pub plan: Plan,
    /// Why the one batched build failed, if it did (the outputs that exist
    /// are usable; the others fail their artifact with this).
    pub build_error: Option<String>,
    _lock: StoreLock,
}

/// Locates the flake, locks its store (`command` names the holder),
/// evaluates it once, recovers from interrupted runs, plans `select` and
/// runs the check scripts of script backends (built first).
pub fn prepare(
    flake: &str,
    select: &SelectArgs,
    command: &str,
    if_busy: IfBusy,
) -> anyhow::Result<Context> {
    prepare_with(flake, select, command, if_busy, None)
}

/// [`prepare`] for `generate`: the generators the run may need are built in
/// the same single batch as the script backends' programs.
pub fn prepare_to_generate(
    flake: &str,
    select: &SelectArgs,
    regenerate: bool,
) -> anyhow::Result<Context> {
    prepare_with(flake, select, "generate", IfBusy::Stop, Some(regenerate))
}

fn prepare_with(
    flake: &str,
    select: &SelectArgs,
    command: &str,
    if_busy: IfBusy,
    generating: Option<bool>,
) -> anyhow::Result<Context> {
    interrupt::set_phase(Phase::Reading);
    let stale = crate::secret_dir::remove_stale();
    if stale > 0 {
        eprintln!(
            "note: removed {stale} private temporary folder(s) left by a run that was killed"
        );
    }
    let flake = Flake::locate(flake)?;
    let lock_path =
        crate::store::lock::lock_path(&flake.root, flake.git.as_ref().map(|g| g.dir.as_path()));
    let lock = StoreLock::acquire(&lock_path, command, if_busy).map_err(anyhow::Error::msg)?;
    let evaluation = crate::eval::evaluate(&flake)?;
    for note in &evaluation.notes {
        eprintln!("note: {note}");
    }
    // A mistyped name stops here, before anything is built or planned.
    if let Some(unknown) =
        crate::suggest::unknown_selection(&flake, &select.machines, &select.artifacts, &evaluation)
    {
        anyhow::bail!(unknown);
    }
    let bases: BTreeSet<_> = evaluation
        .scopes
        .iter()
        .filter_map(|m| {
            flake
                .artifacts_dir(&evaluation.out_path, m.directory.as_deref())
                .ok()
        })
        .collect();
    // A base reached through a link is reported by planning, never cleaned.
    for base in bases
        .into_iter()
        .filter(|b| crate::store::links::first_link(&flake.source_root, b).is_none())
    {
        let done = crate::store::recover(&base)
            .map_err(|e| anyhow::anyhow!("cannot clean up {} after an interrupted run: {e}\n  hint: check the folder's permissions", base.display()))?;
        for restored in &done.restored {
            eprintln!(
                "note: an interrupted run was rolled back: {} is as it was before",
                restored.display()
            );
        }
        if done.removed > 0 {
            eprintln!(
                "note: removed {} leftover(s) of an interrupted run in {}",
                done.removed,
                base.display()
            );
        }
    }
    let selection = Selection {
        scopes: select.machines.clone(),
        artifacts: select.artifacts.clone(),
    };
    let registry = crate::backend::Registry::load(&flake.root);
    let mut plan = Plan::build(&flake, &evaluation, &selection, &registry);
    plan.mark_untracked(&flake).map_err(anyhow::Error::msg)?;
    // One build for everything the run may need: script backends' programs
    // and (for generate) every generator that may run, counting unchecked
    // script-backed artifacts as needing it.
    let relevant = plan.relevant();
    let generators = match generating {
        Some(regenerate) => work::may_generate(&plan, regenerate),
        None => BTreeSet::new(),
    };
    let mut derivations = plan.derivations(&relevant, &generators);
    // The runtime inputs of the generators that may run, in the same batch.
    derivations.extend(generators.iter().flat_map(|&i| {
        plan.nodes[i]
            .artifact
            .runtime_inputs
            .iter()
            .filter_map(|input| input.drv_path.clone())
    }));
    derivations.sort();
    derivations.dedup();
    let build_error = crate::eval::nix::build(&derivations)
        .err()
        .map(|e| e.to_string());
    plan.run_checks(&relevant);
    if plan.selected().next().is_none()
        && plan.problems.is_empty()
        && !(select.machines.is_empty() && select.artifacts.is_empty())
    {
        let flags: Vec<String> = (select.machines.iter().map(|m| format!("--machine {m}")))
            .chain(select.artifacts.iter().map(|a| format!("--artifact {a}")))
            .collect();
        anyhow::bail!(
            "no artifact matches {}\n  hint: `{}` shows every machine and artifact",
            flags.join(" "),
            flake.command("list")
        );
    }
    Ok(Context {
        flake,
        plan,
        build_error,
        _lock: lock,
    })
}

/// Prints planning problems as errors.
pub fn report_problems(plan: &Plan) {
    for problem in &plan.problems {
        eprintln!("error: {problem}");
    }
}

/// What helps a damaged artifact: restoring it from git, or new values.
pub fn damage_hint(flake: &Flake, node: &crate::plan::Node) -> String {
    if let Some(link) = crate::store::links::in_artifact(&node.root, &node.dir) {
        return crate::store::links::hint(&link);
    }
    let dir = node.dir.strip_prefix(&flake.root).unwrap_or(&node.dir);
    format!(
        "restore it with `git checkout -- {}`, or replace it with new values with `{}`",
        dir.display(),
        flake.command(&format!(
            "generate --regenerate --machine {} --artifact {}",
            node.scope.name, node.artifact.name
        ))
    )
}
