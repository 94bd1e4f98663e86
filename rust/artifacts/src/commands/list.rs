use crate::cli::ListArgs;
use serde::Serialize;
use std::process::ExitCode;

#[derive(Serialize)]
struct Row<'a> {
    scope: &'a crate::manifest::Scope,
    artifact: &'a str,
    backend: &'a str,
    #[serde(flatten)]
    status: &'a crate::plan::Status,
    files: Vec<&'a str>,
}

pub fn run(flake: &str, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let ctx = super::prepare(
        flake,
        &args.select,
        "list",
        crate::store::lock::IfBusy::Wait,
    )?;
    let plan = &ctx.plan;
    super::report_problems(plan);
    let rows: Vec<Row> = plan
        .nodes
        .iter()
        .map(|n| Row {
            scope: &n.scope,
            artifact: &n.artifact.name,
            backend: n.backend.name(),
            status: &n.status,
            files: n.artifact.files.keys().map(String::as_str).collect(),
        })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let width = rows
            .iter()
            .map(|r| r.scope.name.len() + r.artifact.len() + 1)
            .max()
            .unwrap_or(0);
        for (row, node) in rows.iter().zip(&plan.nodes) {
            println!(
                "{:<width$}  {:<8}  {}",
                node.label(),
                row.backend,
                row.status
            );
        }
    }
    Ok(if plan.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
