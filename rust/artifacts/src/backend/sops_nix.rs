//! sops-nix: one sops file (binary store layout, so any bytes round-trip)
//! per secret file, with the data key wrapped for each `age1…` recipient;
//! SSH host keys are converted to their `age1…` form as sops-nix does.

use super::Backend;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};

pub struct SopsNix;

impl SopsNix {
    fn age_recipients(recipients: &[Recipient]) -> Result<Vec<String>, KeyError> {
        recipients.iter().map(Recipient::age_x25519).collect()
    }
}

impl Backend for SopsNix {
    fn name(&self) -> &'static str {
        "sops-nix"
    }

    fn stored_name(&self, file: &str) -> String {
        format!("{file}.sops")
    }

    fn check_recipients(&self, recipients: &[Recipient]) -> Result<(), KeyError> {
        Self::age_recipients(recipients).map(|_| ())
    }

    fn seal(&self, plaintext: &[u8], recipients: &[Recipient]) -> Result<Vec<u8>, String> {
        let keys = Self::age_recipients(recipients).map_err(|e| e.to_string())?;
        let parsed = keys
            .iter()
            .map(|k| artifacts_sops::parse_recipient(k).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        artifacts_sops::encrypt(plaintext, &parsed).map_err(|e| format!("cannot encrypt: {e}"))
    }

    fn open(&self, sealed: &[u8], identities: &Identities) -> Result<Vec<u8>, String> {
        let keys: Vec<Box<dyn age::Identity>> = identities
            .keys
            .iter()
            .map(|k| Box::new(Shared(k.clone())) as Box<dyn age::Identity>)
            .collect();
        artifacts_sops::decrypt(sealed, &keys).map_err(|e| format!("cannot decrypt: {e}"))
    }
}

/// A shared identity where the sops crate wants owned boxes.
struct Shared(std::sync::Arc<dyn age::Identity + Send + Sync>);

impl age::Identity for Shared {
    fn unwrap_stanza(
        &self,
        stanza: &age_core::format::Stanza,
    ) -> Option<Result<age_core::format::FileKey, age::DecryptError>> {
        self.0.unwrap_stanza(stanza)
    }
}
