//! sops-nix: one sops file (binary store layout, so any bytes round-trip)
//! per secret file, with the data key wrapped for each `age1…` recipient;
//! SSH host keys are converted to their `age1…` form as sops-nix does.
//! An age plugin's recipient (an admin's YubiKey) gets its entry too, made
//! by the plugin's program: sops reads and writes such entries since 3.10,
//! and the machine's sops-nix skips the entries its host key cannot open.

use super::Backend;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};
use zeroize::Zeroizing;

/// The largest file a sops file holds here: the format is one JSON
/// document whose value is encrypted at once, so it is built in memory.
pub const MAX_BYTES: u64 = 16 << 20;

pub struct SopsNix;

impl Backend for SopsNix {
    fn name(&self) -> &'static str {
        "sops-nix"
    }

    fn stored_name(&self, file: &str) -> String {
        format!("{file}.sops")
    }

    fn check_recipients(&self, recipients: &[Recipient]) -> Result<(), KeyError> {
        recipients
            .iter()
            .try_for_each(|r| r.sops_form().map(|_| ()))
    }

    fn seal(
        &self,
        plaintext: &mut dyn Read,
        sealed: &mut dyn Write,
        recipients: &[Recipient],
    ) -> Result<(), String> {
        let parsed = recipients
            .iter()
            .map(|r| {
                let form = r.sops_form().map_err(|e| e.to_string())?;
                let ui = crate::plugin_ui::PluginUi::new(r.plugin_program().unwrap_or_default());
                artifacts_sops::parse_recipient_with(&form, ui).map_err(|e| match e {
                    artifacts_sops::Error::MissingPlugin { recipient, program } => {
                        crate::keys::missing_plugin_error(&recipient, &program)
                    }
                    other => other.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut bytes = Zeroizing::new(Vec::new());
        Read::take(&mut *plaintext, MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the file to encrypt: {e}"))?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!(
                "the file is larger than {} MiB, the most the sops-nix backend stores (a sops file is one JSON document, encrypted in memory)\n  hint: store this artifact with the agenix backend, which streams",
                MAX_BYTES >> 20
            ));
        }
        let out =
            artifacts_sops::encrypt(&bytes, &parsed).map_err(|e| format!("cannot encrypt: {e}"))?;
        sealed
            .write_all(&out)
            .map_err(|e| format!("cannot write: {e}"))
    }

    fn open(
        &self,
        sealed: &mut dyn Read,
        plaintext: &mut dyn Write,
        identities: &Identities,
    ) -> Result<(), String> {
        let mut bytes = Vec::new();
        // Base64 and JSON make a sops file about 1.4 times its content.
        Read::take(&mut *sealed, MAX_BYTES * 2)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read: {e}"))?;
        let keys = identities.boxed();
        let out = Zeroizing::new(
            artifacts_sops::decrypt(&bytes, &keys).map_err(|e| format!("cannot decrypt: {e}"))?,
        );
        plaintext
            .write_all(&out)
            .map_err(|e| format!("cannot write: {e}"))
    }
}
