//! The metadata beside each stored artifact (`.meta.json`): what decides
//! staleness without decrypting (backend, recipients, generator) and a
//! digest of every stored file, so a truncated, swapped or edited file is
//! detected by `check`, `list` and `generate`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

pub const META_FILE: &str = ".meta.json";

/// Version 1 had no digests; such metadata is treated as unreadable, which
/// is safe: it is rebuilt from the files when they decrypt. Version 2 had
/// no generation ids and no dependency records; it reads fine, its
/// generation counts as unknown (see [`Meta::generation`]), and the next
/// write makes it version 3.
pub const META_VERSION: u64 = 3;
/// The oldest version read as it is.
const OLDEST_READABLE: u64 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub version: u64,
    pub backend: String,
    /// The recipients the secret files were encrypted to, as declared.
    pub recipients: Vec<String>,
    /// The generator that made the files (store path): a change is
    /// reported, and acted on only with `--regenerate`.
    pub generator: Option<String>,
    /// Digest of the declaration's `validation` value: a change makes the
    /// artifact stale.
    #[serde(default)]
    pub validation: Option<String>,
    /// Stored file name (e.g. `key.age`) → `sha256:<hex>` of its bytes.
    pub files: BTreeMap<String, String>,
    /// A random id of the values, made when they are generated (or
    /// adopted) and kept unchanged by a rekey or a backend switch. Random
    /// rather than a digest of the plaintext: a digest of a low-entropy
    /// secret in the repository would let anyone guess it offline.
    /// `None` (version 2 metadata): unknown, so dependents are not stale
    /// until this artifact is generated again.
    /// Stored secret files encrypted to the administrators only (never
    /// deployed): a change of the flag re-encrypts them.
    #[serde(
        default,
        rename = "adminsOnly",
        skip_serializing_if = "std::collections::BTreeSet::is_empty"
    )]
    pub admins_only: std::collections::BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// When the values were made (unix seconds), for rotation policies.
    #[serde(default, rename = "madeAt", skip_serializing_if = "Option::is_none")]
    pub made_at: Option<u64>,
    /// `<scope>/<artifact>` of each dependency → the generation of the
    /// values these were made from: a dependency whose generation differs
    /// now makes this artifact stale.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependencies: BTreeMap<String, String>,
}

/// Where stored values come from: their generation and what they were made
/// from. Kept as it is when the values are only re-encrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub generation: Option<String>,
    pub made_at: Option<u64>,
    pub dependencies: BTreeMap<String, String>,
}

impl Origin {
    /// Values made now from dependencies of the given generations.
    pub fn new(dependencies: BTreeMap<String, String>) -> Origin {
        let (generation, made_at) = new_generation();
        Origin {
            generation: Some(generation),
            made_at: Some(made_at),
            dependencies,
        }
    }
}

impl Meta {
    /// The origin recorded in this metadata.
    pub fn origin(&self) -> Origin {
        Origin {
            generation: self.generation.clone(),
            made_at: self.made_at,
            dependencies: self.dependencies.clone(),
        }
    }

    /// This metadata recording `origin`.
    pub fn with_origin(mut self, origin: Origin) -> Meta {
        self.generation = origin.generation;
        self.made_at = origin.made_at;
        self.dependencies = origin.dependencies;
        self
    }
}

/// A new random generation id (128 bits, hex) and the current time.
fn new_generation() -> (String, u64) {
    let mut bytes = [0u8; 16];
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: writes at most the remaining length into `bytes`.
        let n = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if n > 0 {
            filled += n as usize;
        } else if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            panic!(
                "the kernel's random source failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    let id = bytes.iter().map(|b| format!("{b:02x}")).collect();
    (id, crate::clock::now())
}

/// What reading an artifact's metadata found.
#[derive(Debug)]
pub enum MetaRead {
    Missing,
    /// Present but unusable (not JSON, another version, ...): why.
    Corrupt(String),
    Found(Meta),
}

impl Meta {
    pub fn read(artifact_dir: &Path) -> MetaRead {
        let read = super::links::open(&artifact_dir.join(META_FILE)).and_then(|mut file| {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map(|_| bytes)
        });
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return MetaRead::Missing,
            Err(e) => return MetaRead::Corrupt(e.to_string()),
        };
        match serde_json::from_slice::<Meta>(&bytes) {
            Ok(meta) if (OLDEST_READABLE..=META_VERSION).contains(&meta.version) => {
                MetaRead::Found(meta)
            }
            Ok(meta) => MetaRead::Corrupt(format!(
                "it has version {}, expected {META_VERSION}",
                meta.version
            )),
            Err(e) => MetaRead::Corrupt(format!("it is not valid metadata ({e})")),
        }
    }
}

/// `sha256:<hex>` of everything read from `reader`.
pub fn digest(mut reader: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut reader, &mut HashWriter(&mut hasher))?;
    Ok(format_digest(hasher))
}

pub fn digest_file(path: &Path) -> std::io::Result<String> {
    digest(super::links::open(path)?)
}

fn format_digest(hasher: Sha256) -> String {
    let bytes = hasher.finalize();
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256:");
    for b in bytes {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A writer that hashes what passes through it on the way to `inner`.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    pub written: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }
    pub fn finish(self) -> (W, String) {
        (self.inner, format_digest(self.hasher))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex() {
        assert_eq!(
            digest(&b"abc"[..]).unwrap(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut hashing = Hashing::new(Vec::new());
        hashing.write_all(b"abc").unwrap();
        let (bytes, d) = hashing.finish();
        assert_eq!(bytes, b"abc");
        assert_eq!(d, digest(&b"abc"[..]).unwrap());
    }

    #[test]
    fn unreadable_metadata_is_told_apart_from_missing() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(Meta::read(dir.path()), MetaRead::Missing));
        std::fs::write(dir.path().join(META_FILE), "{ not json").unwrap();
        assert!(matches!(Meta::read(dir.path()), MetaRead::Corrupt(_)));
        std::fs::write(
            dir.path().join(META_FILE),
            r#"{"backend":"agenix","recipients":[],"generator":null}"#,
        )
        .unwrap();
        assert!(
            matches!(Meta::read(dir.path()), MetaRead::Corrupt(_)),
            "version 1 has no digests"
        );
    }

    #[test]
    fn version_2_reads_with_an_unknown_generation_and_version_3_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(META_FILE),
            r#"{"version":2,"backend":"agenix","recipients":[],"generator":null,"files":{}}"#,
        )
        .unwrap();
        let MetaRead::Found(old) = Meta::read(dir.path()) else {
            panic!("version 2 reads")
        };
        assert_eq!(old.origin(), Origin::default());
        let dependencies = BTreeMap::from([("alpha/ca".to_string(), "00ff".to_string())]);
        let (a, b) = (Origin::new(dependencies.clone()), Origin::new(dependencies));
        assert_ne!(a.generation, b.generation, "random ids");
        assert_eq!(a.generation.as_ref().unwrap().len(), 32);
        let new = Meta {
            version: META_VERSION,
            ..old
        }
        .with_origin(a.clone());
        std::fs::write(
            dir.path().join(META_FILE),
            serde_json::to_vec(&new).unwrap(),
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(META_FILE)).unwrap();
        assert!(text.contains(r#""madeAt":"#), "{text}");
        let MetaRead::Found(back) = Meta::read(dir.path()) else {
            panic!("version 3 reads")
        };
        assert_eq!(back.origin(), a);
    }
}
