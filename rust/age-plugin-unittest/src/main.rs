//! `age-plugin-unittest`: a small age plugin for the tests, run by age
//! clients (the `artifacts` CLI through the `age` crate, the reference
//! `age`) as a separate process speaking the age plugin protocol, exactly
//! as they run `age-plugin-yubikey`. See [`keys`] for what it is not.
//!
//! - `age-plugin-unittest --generate [--pin]` prints a new identity file
//!   (`# recipient: age1unittest1…` and the `AGE-PLUGIN-UNITTEST-1…` line).
//!   A `--pin` identity asks the client for the PIN `123456` before it
//!   unwraps anything, as a hardware key asks for its PIN.
//! - `--age-plugin=recipient-v1` / `identity-v1`: the state machines.
//!
//! On every file key it unwraps it sends the client a message
//! (`unittest: unwrapped with …`), so the tests see messages reach the user.

mod keys;

use age_core::format::{FileKey, Stanza};
use age_core::secrecy::ExposeSecret;
use age_plugin::{identity, recipient, run_state_machine, Callbacks, PluginHandler};
use keys::{Identity, Mode, Recipient};
use std::collections::{HashMap, HashSet};
use std::io;

struct Handler;

impl PluginHandler for Handler {
    type RecipientV1 = Wrapper;
    type IdentityV1 = Unwrapper;

    fn recipient_v1(self) -> io::Result<Wrapper> {
        Ok(Wrapper::default())
    }

    fn identity_v1(self) -> io::Result<Unwrapper> {
        Ok(Unwrapper::default())
    }
}

/// recipient-v1: wraps file keys to recipients (and to identities, whose
/// recipient it derives, as `age -e -i` asks).
#[derive(Default)]
struct Wrapper {
    recipients: Vec<Recipient>,
}

impl recipient::RecipientPluginV1 for Wrapper {
    fn add_recipient(
        &mut self,
        index: usize,
        _: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        let recipient = Recipient::from_bytes(bytes).ok_or(recipient::Error::Recipient {
            index,
            message: "not a unittest recipient".into(),
        })?;
        self.recipients.push(recipient);
        Ok(())
    }

    fn add_identity(
        &mut self,
        index: usize,
        _: &str,
        bytes: &[u8],
    ) -> Result<(), recipient::Error> {
        let identity = Identity::from_bytes(bytes).ok_or(recipient::Error::Identity {
            index,
            message: "not a unittest identity".into(),
        })?;
        self.recipients.push(identity.recipient());
        Ok(())
    }

    fn labels(&mut self) -> HashSet<String> {
        HashSet::new()
    }

    fn wrap_file_keys(
        &mut self,
        file_keys: Vec<FileKey>,
        _: impl Callbacks<recipient::Error>,
    ) -> io::Result<Result<Vec<Vec<Stanza>>, Vec<recipient::Error>>> {
        Ok(Ok(file_keys
            .iter()
            .map(|key| self.recipients.iter().map(|r| r.wrap(key)).collect())
            .collect()))
    }
}

/// identity-v1: unwraps the stanzas made for its identities, ignores every
/// other stanza (the protocol's MUST).
#[derive(Default)]
struct Unwrapper {
    identities: Vec<(usize, Identity)>,
}

impl identity::IdentityPluginV1 for Unwrapper {
    fn add_identity(&mut self, index: usize, _: &str, bytes: &[u8]) -> Result<(), identity::Error> {
        let identity = Identity::from_bytes(bytes).ok_or(identity::Error::Identity {
            index,
            message: "not a unittest identity".into(),
        })?;
        self.identities.push((index, identity));
        Ok(())
    }

    fn unwrap_file_keys(
        &mut self,
        files: Vec<Vec<Stanza>>,
        mut callbacks: impl Callbacks<identity::Error>,
    ) -> io::Result<HashMap<usize, Result<FileKey, Vec<identity::Error>>>> {
        let mut keys = HashMap::new();
        for (file_index, stanzas) in files.iter().enumerate() {
            'file: for (index, identity) in &self.identities {
                let recipient = identity.recipient();
                for (stanza_index, stanza) in stanzas.iter().enumerate() {
                    let Some(opened) = recipient.unwrap(stanza) else {
                        continue;
                    };
                    let result = match opened {
                        Err(message) => Err(vec![identity::Error::Stanza {
                            file_index,
                            stanza_index,
                            message,
                        }]),
                        Ok(key) => match check_pin(identity, *index, &mut callbacks)? {
                            Err(e) => Err(vec![e]),
                            Ok(()) => {
                                callbacks
                                    .message(&format!("unittest: unwrapped with identity {index}"))?
                                    .ok();
                                Ok(key)
                            }
                        },
                    };
                    keys.insert(file_index, result);
                    break 'file;
                }
            }
        }
        Ok(keys)
    }
}

/// A PIN identity asks the client for its PIN; a client that cannot ask
/// (no terminal) or a wrong PIN is an error for that identity.
fn check_pin(
    identity: &Identity,
    index: usize,
    callbacks: &mut impl Callbacks<identity::Error>,
) -> io::Result<Result<(), identity::Error>> {
    if identity.mode != Mode::Pin {
        return Ok(Ok(()));
    }
    let refused = |message: &str| identity::Error::Identity {
        index,
        message: message.into(),
    };
    Ok(
        match callbacks.request_secret("Enter the PIN of the unittest key")? {
            Ok(pin) if pin.expose_secret() == keys::PIN => Ok(()),
            Ok(_) => Err(refused("wrong PIN")),
            Err(_) => Err(refused(
                "the PIN is needed, and the client could not ask for it",
            )),
        },
    )
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(machine) = args.iter().find_map(|a| a.strip_prefix("--age-plugin=")) {
        return run_state_machine(machine, Handler);
    }
    match args.first().map(String::as_str) {
        Some("--generate") => {
            let mode = match args.get(1).map(String::as_str) {
                Some("--pin") => Mode::Pin,
                _ => Mode::Plain,
            };
            let identity = Identity::generate(mode);
            age_plugin::print_new_identity(
                keys::NAME,
                &identity.to_bytes(),
                &identity.recipient().0,
            );
            Ok(())
        }
        _ => {
            eprintln!("usage: age-plugin-unittest --generate [--pin]");
            std::process::exit(2)
        }
    }
}
