//! Storing one planned artifact from plaintext files, and reading it back:
//! secret files go through the node's backend, public ones are copied; both
//! are streamed, so memory stays bounded whatever their size.

use crate::generate::Output;
use crate::identities::Identities;
use crate::plan::Node;
use crate::redact::Redactor;
use crate::store::meta::Origin;
use crate::store::{Staged, Staging};
use std::fs::File;
use std::path::Path;

/// Encrypts the declared files found in `files` and replaces the stored
/// artifact with them in one atomic step. A script backend's `serialize`
/// stores them instead (its output shown through `redactor` on failure);
/// the flake then keeps only the artifact's metadata, so a later backend
/// switch knows where the values are. `origin` is recorded with them: new
/// for generated values, the stored one for re-encrypted values.
pub fn write(node: &Node, files: &Path, redactor: &Redactor, origin: Origin) -> Result<(), String> {
    match stage(node, files, redactor, origin)? {
        None => Ok(()),
        Some(staged) => staged
            .swap_in()
            .and_then(|swapped| swapped.finish())
            .map_err(|e| not_stored(node, &e)),
    }
}

/// What [`write`] does up to the swap: the artifact written whole beside
/// its folder, to be synced and swapped in (`None`: a passthrough section
/// stores nothing).
pub fn stage(
    node: &Node,
    files: &Path,
    redactor: &Redactor,
    origin: Origin,
) -> Result<Option<Staged>, String> {
    refuse_links(node)?;
    // A passthrough section stores nothing, not even metadata: the
    // generator's checked output is all there is (BACKEND_GUIDE.md).
    if let Some(script) = node.backend.as_script() {
        if script.passthrough(crate::backend::script::Context::of(node.scope.kind)) {
            return Ok(None);
        }
    }
    let mut staging = Staging::new(&node.dir).map_err(|e| {
        format!(
            "cannot write into {}: {e}\n  hint: check permissions of the flake's artifacts folder",
            node.dir.display()
        )
    })?;
    if let Some(script) = node.backend.as_script() {
        node.script_call(script).serialize(files, redactor)?;
    }
    for file in node
        .artifact
        .files
        .values()
        .filter(|_| node.backend.as_script().is_none())
    {
        let mut input = crate::store::links::open(&files.join(&file.name))
            .map_err(|e| format!("cannot read the generated file {}: {e}", file.name))?;
        let stored_name = crate::backend::stored_name(node.backend, file);
        staging
            .add(&stored_name, |out| {
                if file.secret {
                    node.backend
                        .seal(&mut input, out, &node.recipients_for(file))
                } else {
                    std::io::copy(&mut input, out)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            })
            .map_err(|e| format!("file {}: {e}", file.name))?;
    }
    if crate::interrupt::interrupted() {
        return Err("interrupted before it was stored".into());
    }
    staging
        .stage(node.meta().with_origin(origin))
        .map(Some)
        .map_err(|e| not_stored(node, &e))
}

/// Why `node` could not be stored, and what to do.
pub fn not_stored(node: &Node, e: &std::io::Error) -> String {
    format!("cannot store into {}: {e}\n  hint: check permissions and free space of the flake's artifacts folder", node.dir.display())
}

/// Refuses to write where a symbolic link lies on the way to (or at) the
/// artifact's folder or one of its files: the swap would replace or delete
/// whatever the link points to.
fn refuse_links(node: &Node) -> Result<(), String> {
    match crate::store::links::in_artifact(&node.root, &node.dir) {
        None => Ok(()),
        Some(link) => Err(format!(
            "{}; nothing was written\n  hint: {}",
            crate::store::links::refusal(&link),
            crate::store::links::hint(&link)
        )),
    }
}

/// Decrypts the stored files of `node` into a private directory, as the
/// backend that stored them wrote them (another one during a migration).
pub fn read(node: &Node, identities: &Identities) -> Result<Output, String> {
    if let Some(script) = node.stored_backend.as_script() {
        return node.script_call(script).deserialize();
    }
    let output = Output::empty()?;
    for (file, path) in node.stored_files_of(node.stored_backend) {
        let mut sealed = crate::store::links::open(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut plain = File::create(output.files().join(&file.name))
            .map_err(|e| format!("cannot write into a private directory: {e}"))?;
        if file.secret {
            node.stored_backend
                .open(&mut sealed, &mut plain, identities)
                .map_err(|e| format!("file {}: {e}", file.name))?;
        } else {
            std::io::copy(&mut sealed, &mut plain)
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(output)
}

/// Records in the flake that a script backend holds `node`'s values (its
/// metadata alone), so a later backend switch knows where they are.
pub fn record(node: &Node, origin: Origin) -> Result<(), String> {
    refuse_links(node)?;
    let staging = Staging::new(&node.dir)
        .map_err(|e| format!("cannot write into {}: {e}", node.dir.display()))?;
    staging
        .commit(node.meta().with_origin(origin))
        .map_err(|e| format!("cannot write into {}: {e}", node.dir.display()))
}
