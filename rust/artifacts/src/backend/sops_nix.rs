//! sops-nix: one sops file (binary store layout, so any bytes round-trip)
//! per secret file, with the data key wrapped for each `age1…` recipient;
//! SSH host keys are converted to their `age1…` form as sops-nix does.

use super::Backend;
use crate::identities::Identities;
use crate::keys::{KeyError, Recipient};
use std::io::{Read, Write};
use zeroize::Zeroizing;

/// The largest file a sops file holds here: the format is one JSON
/// document whose value is encrypted at once, so it is built in memory.
pub const MAX_BYTES: u64 = 16 << 20;

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

    fn seal(
        &self,
        plaintext: &mut dyn Read,
        sealed: &mut dyn Write,
        recipients: &[Recipient],
    ) -> Result<(), String> {
        let keys = Self::age_recipients(recipients).map_err(|e| e.to_string())?;
        let parsed = keys
            .iter()
            .map(|k| artifacts_sops::parse_recipient(k).map_err(|e| e.to_string()))
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
