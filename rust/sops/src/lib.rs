//! Reading and writing [sops](https://github.com/getsops/sops) files for age
//! recipients, byte-compatible with sops 3.x and sops-nix.
//!
//! # Layout: sops' binary store
//!
//! Every file this crate writes is what `sops encrypt --input-type binary
//! --output-type binary` writes: a JSON object with one value and the
//! metadata (sops indents with tabs and ends the file with a newline),
//!
//! ```json
//! {
//!     "data": "ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]",
//!     "sops": {
//!         "age": [{"recipient": "age1…", "enc": "-----BEGIN AGE ENCRYPTED FILE-----\n…"}],
//!         "lastmodified": "2024-01-01T00:00:00Z",
//!         "mac": "ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]",
//!         "unencrypted_suffix": "_unencrypted",
//!         "version": "3.11.0"
//!     }
//! }
//! ```
//!
//! **Why binary:** an artifact file is opaque bytes (binary keys, non-UTF-8
//! data, trailing newlines, empty files). The YAML/JSON/dotenv stores would
//! parse and re-serialise it; the binary store keeps the whole file as the
//! single value `data`, and sops-nix with `format = "binary"` writes the
//! decrypted `data` back byte-for-byte. So every artifact round-trips
//! exactly, with one sops file per artifact file.
//!
//! # Cryptography (facts from sops' source, checked against the `sops` binary)
//!
//! - A random 32-byte data key; `data` is AES-256-GCM encrypted with a random
//!   32-byte nonce and the additional data `data:` (key path joined by `:`
//!   plus a trailing `:`). Empty content is stored as `""`, unencrypted, as
//!   sops does.
//! - The MAC is SHA-512 of the plaintext, upper-case hex, encrypted with the
//!   data key and the `lastmodified` timestamp (Go RFC 3339) as additional
//!   data.
//! - The data key is age-encrypted separately for each recipient, armored,
//!   in `sops.age[].enc`.
//!
//! # Reading one key of any sops file
//!
//! [`decrypt_key`] reads what sops-nix reads for one secret from an existing
//! sops file in the YAML, JSON or binary store (`sops.secrets.<name>.key`),
//! verifying the whole file's MAC first. It is for importing secrets that
//! were made with the `sops` tool; this crate still writes only the binary
//! store.
//!
//! # Keys
//!
//! sops-nix decrypts with the machine's SSH host key converted to an X25519
//! age identity, so `ssh-ed25519` recipients are converted to `age1…` (see
//! [`ssh_ed25519_to_age`]) before encryption.
//!
//! An age plugin's recipient (`age1yubikey1…`) is listed as written and its
//! data key wrapped by the plugin's program, `age-plugin-<name>` on PATH
//! ([`parse_recipient_with`] passes the callbacks it may talk to the user
//! through). sops reads and writes such entries since 3.10 (`age/keysource.go`:
//! `plugin.NewRecipient`, `plugin.NewIdentity`); every sops 3.x, the one in
//! sops-nix included, loads the entry without parsing it and skips it when
//! its identities do not open it, so a machine decrypting with its host key
//! is not disturbed by an administrator's plugin entry.

#![warn(missing_docs)]

mod datakey;
mod decrypt;
mod document;
mod encrypt;
mod error;
mod extract;
mod format;
mod layout;
mod leaf;
mod mac;
mod recipient;
mod rules;
mod ssh;
mod timestamp;
mod value;

pub use age;
pub use decrypt::{decrypt, recipients};
pub use encrypt::{encrypt, SOPS_VERSION};
pub use error::Error;
pub use extract::decrypt_key;
pub use format::Format;
pub use recipient::{parse_recipient, parse_recipient_with, Recipient};
pub use ssh::{ssh_ed25519_private_to_age_identity, ssh_ed25519_to_age};
