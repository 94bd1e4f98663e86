//! `artifacts show MACHINE/ARTIFACT[/FILE]`: decrypts stored files with an
//! administrator's identity and writes them to standard output (the user
//! asked to see them; nothing else is printed there).

use crate::cli::ShowArgs;
use crate::identities::Identities;
use std::io::Write;
use std::process::ExitCode;

pub fn run(flake: &str, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let mut parts = args.target.splitn(3, '/');
    let (Some(scope), Some(artifact)) = (parts.next(), parts.next()) else {
        anyhow::bail!(
            "`{}` is not MACHINE/ARTIFACT or MACHINE/ARTIFACT/FILE",
            args.target
        );
    };
    let file = parts.next();
    let select = crate::cli::SelectArgs {
        machines: vec![scope.to_string()],
        artifacts: vec![artifact.to_string()],
    };
    let (_, plan) = super::plan(flake, &select)?;
    super::report_problems(&plan);
    let Some(node) = plan.nodes.first() else {
        anyhow::bail!("machine or home {scope} has no usable artifact {artifact}");
    };
    let paths = if args.identities.is_empty() {
        Identities::default_paths()
    } else {
        args.identities.clone()
    };
    let identities = Identities::load(&paths).map_err(anyhow::Error::msg)?;
    if identities.is_empty() {
        anyhow::bail!("no identity to decrypt with\n  hint: pass --identity with an admin age key or SSH private key");
    }
    let files: Vec<_> = node
        .stored_files()
        .filter(|(f, _)| file.is_none_or(|want| f.name == want))
        .collect();
    if files.is_empty() {
        anyhow::bail!(
            "{}, artifact {}: no file {}",
            node.scope,
            node.artifact.name,
            file.unwrap_or("")
        );
    }
    if files.len() > 1 {
        let names: Vec<_> = files.iter().map(|(f, _)| f.name.as_str()).collect();
        anyhow::bail!(
            "{} has several files ({}): name one, e.g. {}/{}",
            node.label(),
            names.join(", "),
            node.label(),
            names[0]
        );
    }
    let (declared, path) = &files[0];
    let stored = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!("{}, artifact {}: cannot read {}: {e}\n  hint: run `artifacts generate --machine {} --artifact {}`", node.scope, node.artifact.name, path.display(), node.scope.name, node.artifact.name)
    })?;
    let plaintext = if declared.secret {
        zeroize::Zeroizing::new(node.backend.open(&stored, &identities).map_err(|e| {
            anyhow::anyhow!("{}, artifact {}, file {}: {e}\n  hint: use an identity among the artifact's recipients (artifacts.adminRecipients)", node.scope, node.artifact.name, declared.name)
        })?)
    } else {
        zeroize::Zeroizing::new(stored)
    };
    std::io::stdout().write_all(&plaintext)?;
    Ok(ExitCode::SUCCESS)
}
