//! `artifacts list`: every selected artifact with its backend, status,
//! description and dependencies; `--json` for scripts.

use crate::cli::ListArgs;
use crate::plan::{rotation, Node, Plan};
use crate::store::lock::IfBusy;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Serialize)]
struct Row<'a> {
    scope: &'a crate::eval::manifest::Scope,
    artifact: &'a str,
    description: Option<&'a str>,
    backend: &'a str,
    /// `status` plus what it carries (`missing`, `reason`, `untracked`).
    #[serde(flatten)]
    status: &'a crate::plan::Status,
    generator_changed: bool,
    files: Vec<&'a str>,
    /// Labels of the artifacts this one reads (`alpha/ca`, `shared/token`).
    dependencies: Vec<String>,
    /// For shared artifacts: the machines and homes declaring it.
    declared_by: Vec<&'a str>,
    /// Who the secret files are for (declared; `needs-rekey` when the
    /// stored ones differ).
    recipients: Vec<&'a str>,
    /// When the stored values were made (RFC 3339, UTC), if known.
    made_at: Option<String>,
    /// `rotateAfter` as declared, and when the values fall due by it.
    rotate_after: Option<&'a str>,
    due_at: Option<String>,
}

impl<'a> Row<'a> {
    fn of(plan: &'a Plan, n: &'a Node) -> Row<'a> {
        Row {
            scope: &n.scope,
            artifact: &n.artifact.name,
            description: n.artifact.description.as_deref(),
            backend: n.backend.name(),
            status: &n.status,
            generator_changed: n.generator_changed,
            files: n.artifact.files.keys().map(String::as_str).collect(),
            dependencies: n
                .depends_on
                .iter()
                .map(|&d| plan.nodes[d].label())
                .collect(),
            declared_by: n.declared_by.iter().map(|s| s.name.as_str()).collect(),
            recipients: n.recipients.iter().map(|r| r.text.as_str()).collect(),
            made_at: stored(n)
                .then_some(n.origin.made_at)
                .flatten()
                .map(rotation::date),
            rotate_after: n.artifact.rotate_after.as_deref(),
            due_at: stored(n)
                .then(|| rotation::due_at(n))
                .flatten()
                .map(rotation::date),
        }
    }
}

/// Whether `n` has stored values whose metadata can be believed.
fn stored(n: &Node) -> bool {
    n.status.readable()
}

/// "made 3 days ago (2026-11-30), due 2027-02-28" for the text listing.
fn age_line(n: &Node, now: u64) -> Option<String> {
    let made = n.origin.made_at.filter(|_| stored(n))?;
    let mut line = format!(
        "made {} ago ({})",
        rotation::age(now.saturating_sub(made)),
        &rotation::date(made)[..10]
    );
    if let Some(due) = rotation::due_at(n) {
        line.push_str(&format!(", due {}", &rotation::date(due)[..10]));
    }
    Some(line)
}

pub fn run(flake: &str, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(flake, &args.select, "list", IfBusy::Wait)?;
    let plan = &ctx.plan;
    super::report_problems(plan);
    let rows: Vec<(Row, &Node)> = plan
        .selected()
        .map(|(_, n)| (Row::of(plan, n), n))
        .collect();
    if args.json {
        let rows: Vec<&Row> = rows.iter().map(|(r, _)| r).collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let width = rows.iter().map(|(_, n)| n.label().len()).max().unwrap_or(0);
        let now = rotation::now();
        for (row, node) in &rows {
            let mut status = row.status.to_string();
            if row.generator_changed {
                status.push_str(" (generator changed: `generate --regenerate` applies it)");
            }
            println!("{:<width$}  {:<8}  {status}", node.label(), row.backend);
            if let Some(description) = row.description {
                println!("{:<width$}    {description}", "");
            }
            if let Some(line) = age_line(node, now) {
                println!("{:<width$}    {line}", "");
            }
            if !row.dependencies.is_empty() {
                println!(
                    "{:<width$}    depends on {}",
                    "",
                    row.dependencies.join(", ")
                );
            }
        }
    }
    Ok(if plan.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
