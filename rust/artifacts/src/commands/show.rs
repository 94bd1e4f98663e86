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
    let ctx = super::prepare(flake, &select, "show", crate::store::lock::IfBusy::Wait)?;
    let plan = &ctx.plan;
    super::report_problems(plan);
    // `alpha/token` may name the shared artifact alpha declares.
    let mut selected: Vec<_> = plan.selected().map(|(_, n)| n).collect();
    selected.sort_by_key(|n| n.scope.name != scope);
    let Some(node) = selected.first() else {
        anyhow::bail!("machine or home {scope} has no usable artifact {artifact}");
    };
    let identities = || {
        Identities::given_or_default(&args.identities).map_err(|e| match e.as_str() {
            crate::identities::NONE => anyhow::anyhow!(
                "{e}\n  hint: pass --identity with an admin age key or SSH private key"
            ),
            _ => anyhow::anyhow!(e),
        })
    };
    let files: Vec<_> = node
        .stored_files_of(node.stored_backend)
        .filter(|(f, _)| file.is_none_or(|want| f.name == want))
        .collect();
    let declared_names = node.artifact.files.keys().map(String::as_str);
    if files.is_empty() {
        let typed = file.unwrap_or("");
        let hint = crate::suggest::did_you_mean(typed, declared_names.clone())
            .unwrap_or_else(|| format!("its files are {}", crate::suggest::list(declared_names)));
        anyhow::bail!(
            "{}, artifact {}: no file named `{typed}`; {hint}",
            node.scope,
            node.artifact.name,
        );
    }
    if files.len() > 1 {
        let names: Vec<_> = files.iter().map(|(f, _)| f.name.as_str()).collect();
        anyhow::bail!(
            "{} has several files ({}): name one\n  hint: `{}`",
            node.label(),
            names.join(", "),
            ctx.flake
                .command(&format!("show {}/{}", node.label(), names[0]))
        );
    }
    let (declared, path) = &files[0];
    // Nothing of it is in the flake: the machine makes it when it activates.
    if node.backend.on_machine() {
        anyhow::bail!(
            "{}, artifact {}: the {} backend generates it on the target when the configuration is activated, so the flake holds no value to show\n  hint: read {} on the machine",
            node.scope,
            node.artifact.name,
            node.backend.name(),
            declared.path.as_deref().unwrap_or("the file")
        );
    }
    if let crate::plan::Status::Damaged { reason } = &node.status {
        eprintln!("warning: {}: {reason}", node.label());
    }
    // A script backend reads back through its deserialize script.
    if let Some(script) = node.stored_backend.as_script() {
        let call = node.script_call(script);
        let out = call
            .deserialize()
            .map_err(|e| anyhow::anyhow!("{}, artifact {}: {e}", node.scope, node.artifact.name))?;
        let bytes = zeroize::Zeroizing::new(std::fs::read(out.files().join(&declared.name))?);
        std::io::stdout().write_all(&bytes)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(link) = crate::store::links::in_artifact(&node.root, &node.dir) {
        anyhow::bail!(
            "{}, artifact {}: {}; nothing is shown\n  hint: {}",
            node.scope,
            node.artifact.name,
            crate::store::links::refusal(&link),
            crate::store::links::hint(&link)
        );
    }
    let mut stored = crate::store::links::open(path).map_err(|e| {
        anyhow::anyhow!(
            "{}, artifact {}: cannot read {}: {e}\n  hint: run `{}`",
            node.scope,
            node.artifact.name,
            path.display(),
            ctx.flake.command(&format!(
                "generate --machine {} --artifact {}",
                node.scope.name, node.artifact.name
            ))
        )
    })?;
    // Decrypted whole before anything is printed: a damaged file shows
    // nothing rather than a part.
    let mut plaintext = zeroize::Zeroizing::new(Vec::new());
    if declared.secret {
        node.stored_backend.open(&mut stored, &mut *plaintext, &identities()?).map_err(|e| {
            anyhow::anyhow!("{}, artifact {}, file {}: {e}\n  hint: use an identity among the artifact's recipients (artifacts.adminRecipients)", node.scope, node.artifact.name, declared.name)
        })?;
    } else {
        std::io::Read::read_to_end(&mut stored, &mut plaintext)?;
    }
    std::io::stdout().write_all(&plaintext)?;
    Ok(ExitCode::SUCCESS)
}
