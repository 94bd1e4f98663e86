//! `artifacts rekey`: re-encrypts stored artifacts for their current
//! recipients and backend (a new host key, an administrator added or
//! removed, a backend switch, lost metadata) from their stored values. No
//! generator runs and nothing is asked; `generate` does the same as part of
//! its work.

use super::work::{self, Readback, Work};
use crate::cli::RekeyArgs;
use crate::interrupt::{self, Phase};
use crate::store::lock::IfBusy;
use std::process::ExitCode;
use std::sync::Mutex;

pub fn run(flake: &str, args: &RekeyArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(flake, &args.select, "rekey", IfBusy::Stop)?;
    let (flake, plan) = (&ctx.flake, &ctx.plan);
    super::report_problems(plan);
    let mut summary = work::Summary {
        failed: plan.problems.len(),
        ..Default::default()
    };
    let mut todo = Work::rekey(plan);
    todo.report_refusals(plan, flake, &mut summary);
    if todo.restore.is_empty() {
        eprintln!(
            "Nothing to re-encrypt: every stored artifact is encrypted for its current recipients."
        );
        return Ok(work::exit(&summary));
    }
    todo.drop_missing_plugins(plan, &mut summary);
    let readback = Readback::prepare(plan, &mut todo, &args.identities, &mut summary);
    interrupt::set_phase(Phase::Working);
    let stored = Mutex::new(Vec::new());
    readback.restore_all(plan, &todo, &stored, &mut summary);
    work::git_add(
        flake,
        &stored.into_inner().unwrap_or_else(|e| e.into_inner()),
        &mut summary,
    );
    summary.print();
    Ok(work::exit(&summary))
}
