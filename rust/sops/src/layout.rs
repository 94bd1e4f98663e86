//! The on-disk JSON layout of sops' binary store.
//!
//! `{"data": "<ENC[…]>", "sops": {…metadata…}}`, tab-indented with a final
//! newline, metadata keys in the order sops 3.11 writes them (Go
//! `stores/json/store.go` and `stores/stores.go`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;

/// A whole binary-store sops file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SopsFile {
    /// The encrypted file content (`""` for an empty file).
    pub data: String,
    /// The sops metadata block.
    pub sops: Metadata,
}

/// The `sops` metadata block. Only what age files need is typed; other key
/// sources (`pgp`, `kms`, …) are kept in `other` and ignored.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<Vec<AgeKey>>,
    pub lastmodified: String,
    pub mac: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unencrypted_comment_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_comment_regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_only_encrypted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_groups: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shamir_threshold: Option<Value>,
    pub version: String,
    /// Other key sources and future fields, ignored.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// One `sops.age[]` entry: a recipient and the data key age-encrypted to it.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AgeKey {
    /// The `age1…` recipient.
    pub recipient: String,
    /// The 32-byte data key as an ASCII-armored age file.
    pub enc: String,
}

/// Parses file bytes into the layout.
pub(crate) fn parse(file: &[u8]) -> Result<SopsFile, Error> {
    serde_json::from_slice(file).map_err(|e| {
        // serde_json errors name positions and field names, never values.
        Error::Malformed(e.to_string())
    })
}

/// Writes the layout as sops does: tab indentation, trailing newline.
pub(crate) fn write(file: &SopsFile) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    file.serialize(&mut serializer)
        .expect("serialising strings into a Vec cannot fail");
    out.push(b'\n');
    out
}
