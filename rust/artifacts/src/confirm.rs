//! Asking before a step that cannot be undone: `--regenerate` replaces
//! stored values (a CA, a host's password) with new ones. Asked only on a
//! terminal; `--yes`, or no terminal at all (scripts, CI), goes ahead,
//! since the flag itself already says what to do.

use crate::plan::{Node, Status};
use std::io::{BufRead, IsTerminal, Write};

/// Whether the run goes ahead with replacing the stored values of `nodes`
/// (label and why each is in the run, if it was pulled in). Nothing is
/// asked when none of them has stored values.
pub fn rotation(nodes: &[(&Node, Option<&str>)], yes: bool) -> std::io::Result<bool> {
    let replaced: Vec<&(&Node, Option<&str>)> = nodes
        .iter()
        .filter(|(n, _)| !matches!(n.status, Status::Missing { .. }))
        .collect();
    if yes || replaced.is_empty() || !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    let width = replaced
        .iter()
        .map(|(n, _)| n.label().len())
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "--regenerate replaces the stored values of {} with new ones:\n",
        count(replaced.len())
    );
    for (node, why) in &replaced {
        let mut line = format!("  {:<width$}  {}", node.label(), node.status);
        if let Some(why) = why {
            line.push_str(&format!(" ({why})"));
        }
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str("Machines keep the old values until they are deployed again.\n");
    yes_or_no(&text, "Replace them?")
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 artifact".into()
    } else {
        format!("{n} artifacts")
    }
}

/// Shows `text` and `question [y/N]` on the terminal and reads the answer:
/// only `y`/`yes` (any case) agrees; Enter or end of input does not.
pub fn yes_or_no(text: &str, question: &str) -> std::io::Result<bool> {
    // Not holding stderr's lock while waiting: the Ctrl-C handler writes
    // to stderr and would wait for the answer before it could end the run.
    {
        let mut stderr = std::io::stderr().lock();
        write!(stderr, "{text}{question} [y/N] ")?;
        stderr.flush()?;
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}
