//! Reading one key of a sops YAML or JSON file, as sops-nix does for a
//! secret with `format = "yaml"`/`"json"` and `key = "db/password"`.
//!
//! The whole tree is decrypted and checked against the MAC, as `sops
//! decrypt` does, before the one value is handed out; only that value is
//! kept. Facts from sops' `sops.go` (`Tree.Decrypt`, `walkBranch`,
//! `walkSlice`): values are visited in file order, each decrypted with its
//! map-key path joined by `:` plus a trailing `:` as additional data (list
//! items add nothing to the path), nulls are skipped, comments are not
//! hashed. From sops-nix's `recurseSecretKey` (sops-install-secrets): the
//! key is split at `/` and followed through maps only, and the value must
//! be a string, which is written as is.

use std::ptr;

use zeroize::Zeroizing;

use crate::decrypt::{check_key_sources_and_rules, data_key, decrypt, verify_mac};
use crate::document::{self, Node};
use crate::leaf::Leaf;
use crate::mac::Mac;
use crate::rules::Rule;
use crate::value::{self, ValueError};
use crate::{timestamp, Error, Format};

/// Decrypts a sops file made by `sops` 3.x for age recipients and returns
/// the value sops-nix would write for the secret `key`.
///
/// - [`Format::Yaml`] / [`Format::Json`]: `key` is sops-nix's `key` option,
///   a `/`-separated path through nested maps (`db/password`). The value
///   must be a string; its bytes are returned exactly (sops-nix writes them
///   as is, without adding a newline). sops-nix itself only follows nested
///   keys in YAML files; here JSON files may be nested too.
/// - [`Format::Binary`]: the whole `data` value; `key` is ignored, as
///   sops-nix ignores it for `format = "binary"`.
///
/// Every value of the file is decrypted and the MAC over all of them is
/// checked before anything is returned: [`Error::ValueTampered`],
/// [`Error::MacTampered`] or [`Error::MacMismatch`] for a modified file,
/// [`Error::NoMatchingIdentity`] for a wrong key. A key that does not exist
/// or does not name a string gives [`Error::KeyNotFound`],
/// [`Error::NotAMap`], [`Error::NotAValue`] or [`Error::NotAString`], which
/// list the key names (never values). Rules this crate does not implement
/// (regex encryption rules, Shamir key groups, YAML timestamps) give
/// [`Error::Unsupported`].
pub fn decrypt_key(
    file: &[u8],
    format: Format,
    key: &str,
    identities: &[Box<dyn age::Identity>],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    if format == Format::Binary {
        return decrypt(file, identities).map(Zeroizing::new);
    }
    if key.is_empty() {
        return Err(Error::Unsupported(
            "an empty key (sops-nix then writes the whole file as sops re-serialises it); name one key"
                .into(),
        ));
    }
    let doc = document::parse(file, format)?;
    check_key_sources_and_rules(&doc.sops)?;
    let rule = Rule::of(&doc.sops)?;
    timestamp::go_rfc3339(&doc.sops.lastmodified)?;
    // Key names are in clear text: a wrong key is reported before any
    // identity is tried.
    let target = locate(&doc.data, key)?;
    let data_key = data_key(&doc.sops, identities)?;

    let mac_only_encrypted = doc.sops.mac_only_encrypted.unwrap_or(false);
    let mut walk = Walk {
        data_key: &data_key,
        rule: &rule,
        mac_only_encrypted,
        mac: Mac::new(mac_only_encrypted),
        target,
        found: None,
    };
    walk.map(&doc.data, &mut Vec::new())?;
    let Walk { mac, found, .. } = walk;
    verify_mac(&doc.sops, &data_key, &mac.finish())?;

    match found {
        Some(Leaf::Str(bytes)) if std::str::from_utf8(&bytes).is_ok() => Ok(bytes),
        Some(Leaf::Str(_)) => Err(Error::Unsupported(format!(
            "the value of key {key:?} is not UTF-8 text, which sops' YAML and JSON stores cannot carry"
        ))),
        Some(leaf) => Err(Error::NotAString {
            key: key.into(),
            kind: leaf.kind(),
        }),
        None => Err(Error::NotAString {
            key: key.into(),
            kind: target.kind(),
        }),
    }
}

/// Follows `key` through maps as sops-nix does; the node must be a leaf.
fn locate<'d>(data: &'d [(String, Node)], key: &str) -> Result<&'d Node, Error> {
    let mut level = data;
    let mut walked = String::new();
    let mut segments = key.split('/').peekable();
    while let Some(segment) = segments.next() {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(segment);
        let node = level
            .iter()
            .find(|(k, _)| k == segment)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::KeyNotFound {
                key: walked.clone(),
                available: names(level),
            })?;
        match (node, segments.peek()) {
            (Node::Map(inner), Some(_)) => level = inner,
            (other, Some(_)) => {
                return Err(Error::NotAMap {
                    key: walked,
                    // An encrypted leaf's type is only known after decryption.
                    kind: if matches!(other, Node::Seq(_)) {
                        "list"
                    } else {
                        "value"
                    },
                });
            }
            (Node::Map(inner), None) => {
                return Err(Error::NotAValue {
                    key: walked,
                    kind: "map",
                    available: names(inner),
                })
            }
            (Node::Seq(_), None) => {
                return Err(Error::NotAValue {
                    key: walked,
                    kind: "list",
                    available: Vec::new(),
                })
            }
            (leaf, None) => return Ok(leaf),
        }
    }
    unreachable!("split yields at least one segment")
}

fn names(level: &[(String, Node)]) -> Vec<String> {
    level.iter().map(|(k, _)| k.clone()).collect()
}

/// sops' `Tree.Decrypt` walk: decrypts and hashes every value, keeping the
/// decrypted target.
struct Walk<'a> {
    data_key: &'a [u8; 32],
    rule: &'a Rule,
    mac_only_encrypted: bool,
    mac: Mac,
    target: &'a Node,
    found: Option<Leaf>,
}

impl<'a> Walk<'a> {
    fn map(&mut self, items: &'a [(String, Node)], path: &mut Vec<&'a str>) -> Result<(), Error> {
        for (key, node) in items {
            path.push(key);
            self.node(node, path)?;
            path.pop();
        }
        Ok(())
    }

    fn node(&mut self, node: &'a Node, path: &mut Vec<&'a str>) -> Result<(), Error> {
        let encrypted = self.rule.encrypts(path);
        let joined = || path.join(":");
        let leaf = match node {
            Node::Map(items) => return self.map(items, path),
            Node::Seq(items) => {
                return items.iter().try_for_each(|item| self.node(item, path));
            }
            Node::Null => return Ok(()),
            Node::Str(ciphertext) if encrypted => {
                let additional_data = format!("{}:", joined());
                let (plaintext, kind) =
                    value::decrypt_typed(self.data_key, ciphertext, &additional_data).map_err(
                        |e| match e {
                            ValueError::Authentication => Error::ValueTampered,
                            ValueError::Malformed(why) => {
                                Error::Malformed(format!("the value at {:?}: {why}", joined()))
                            }
                        },
                    )?;
                Leaf::from_plaintext(plaintext, kind, &joined())?
            }
            other if encrypted => {
                return Err(Error::Malformed(format!(
                    "the value at {:?} is a {} in clear, but the file's rules say it is encrypted",
                    joined(),
                    other.kind()
                )))
            }
            Node::Str(s) => Leaf::Str(Zeroizing::new(s.clone().into_bytes())),
            Node::Int(i) => Leaf::Int(*i),
            Node::Float(f) => Leaf::Float(*f),
            Node::Bool(b) => Leaf::Bool(*b),
            Node::BigUInt => {
                return Err(Error::Malformed(format!(
                    "the value at {:?} is an integer too large for sops",
                    joined()
                )))
            }
        };
        if !self.mac_only_encrypted || encrypted {
            self.mac.update(&leaf.mac_bytes());
        }
        if ptr::eq(node, self.target) {
            self.found = Some(leaf);
        }
        Ok(())
    }
}
