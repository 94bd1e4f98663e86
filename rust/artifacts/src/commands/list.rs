//! `artifacts list`: every selected artifact with its backend, status,
//! description and dependencies; `--json` for scripts.

use crate::cli::ListArgs;
use crate::plan::{Node, Plan};
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
        }
    }
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
        for (row, node) in &rows {
            let mut status = row.status.to_string();
            if row.generator_changed {
                status.push_str(" (generator changed: `generate --regenerate` applies it)");
            }
            println!("{:<width$}  {:<8}  {status}", node.label(), row.backend);
            if let Some(description) = row.description {
                println!("{:<width$}    {description}", "");
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
