//! The error type of this crate.

/// Everything that can go wrong while reading, writing or converting keys.
///
/// Messages never contain plaintext, data keys or private key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `encrypt` was called without any recipient.
    #[error("no recipients given: a sops file needs at least one age recipient")]
    NoRecipients,

    /// A recipient string is neither an X25519 `age1…` key, an `ssh-ed25519`
    /// key nor an age plugin recipient.
    #[error("invalid recipient {recipient:?}: {reason}")]
    InvalidRecipient {
        /// The recipient as given (a public key, so safe to show).
        recipient: String,
        /// Why it was rejected.
        reason: String,
    },

    /// An age plugin recipient whose plugin program is not on PATH.
    #[error("recipient {recipient} needs the age plugin program {program}, which is not on PATH")]
    MissingPlugin {
        /// The recipient as given (a public key, so safe to show).
        recipient: String,
        /// The program that was looked for (`age-plugin-<name>`).
        program: String,
    },

    /// An OpenSSH private key could not be used (its content is never shown).
    #[error("invalid SSH private key: {0}")]
    InvalidSshPrivateKey(String),

    /// The bytes are not a sops file in the binary (JSON `data` + `sops`) layout.
    #[error("not a valid sops binary-store file: {0}")]
    Malformed(String),

    /// The file is a sops file, but uses a feature this crate does not read
    /// (Shamir key groups, regex encryption rules, a non-string value, …).
    #[error("unsupported sops file: {0}")]
    Unsupported(String),

    /// The metadata lists no age recipient, so no age identity can open it.
    #[error("the sops file has no age recipients (it may be encrypted with PGP or a KMS only)")]
    NoAgeRecipients,

    /// None of the given identities matches any age recipient of the file.
    #[error(
        "none of the given identities can decrypt this sops file (wrong key?); it is encrypted to: {}",
        recipients.join(", ")
    )]
    NoMatchingIdentity {
        /// The age recipients listed in the file.
        recipients: Vec<String>,
    },

    /// An identity matched, but the wrapped data key is damaged or has the wrong size.
    #[error("the data key wrapped for {recipient} is corrupt: {reason}")]
    CorruptDataKey {
        /// The recipient whose `enc` entry failed.
        recipient: String,
        /// What failed.
        reason: String,
    },

    /// An age plugin identity failed on the data key wrapped for `recipient`
    /// (its program is missing, a PIN was refused, the hardware key is absent).
    #[error("the age plugin could not open the data key wrapped for {recipient}: {reason}")]
    PluginFailed {
        /// The recipient whose `enc` entry the plugin tried.
        recipient: String,
        /// The plugin's own words.
        reason: String,
    },

    /// The encrypted `data` value failed AES-GCM authentication.
    #[error("the encrypted value failed authentication: the file was tampered with or corrupted")]
    ValueTampered,

    /// The encrypted MAC failed AES-GCM authentication (the MAC or `lastmodified`
    /// was altered).
    #[error(
        "the file's MAC failed authentication: the MAC or lastmodified field was tampered with or corrupted"
    )]
    MacTampered,

    /// The MAC decrypted fine but does not match the decrypted values.
    #[error("MAC mismatch: the values do not match the file's MAC (the file was tampered with)")]
    MacMismatch,

    /// `decrypt_key`: the key (or its first `/`-separated part that is
    /// missing, `key`) does not exist; `available` lists the key names at
    /// that level (key names are clear text in sops files).
    #[error(
        "the key {key:?} does not exist in the sops file; keys at that level: {}",
        list(available)
    )]
    KeyNotFound {
        /// The key up to the missing part.
        key: String,
        /// The keys that exist where it was looked up, in file order.
        available: Vec<String>,
    },

    /// `decrypt_key`: a part of the key names a value that is not a map, so
    /// the rest of the key cannot be looked up in it.
    #[error(
        "the key {key:?} is a {kind}, not a map, so the rest of the key cannot be looked up in it"
    )]
    NotAMap {
        /// The key up to the part that is not a map.
        key: String,
        /// `list`, or `value` for a leaf.
        kind: &'static str,
    },

    /// `decrypt_key`: the key names a map or a list, not one value.
    #[error("the key {key:?} names a {kind}, not a single value; {}", if available.is_empty() { "sops-nix cannot select list items".to_string() } else { format!("keys in it: {}", list(available)) })]
    NotAValue {
        /// The key as given.
        key: String,
        /// `map` or `list`.
        kind: &'static str,
        /// For a map, its keys in file order.
        available: Vec<String>,
    },

    /// `decrypt_key`: the value is not a string; sops-nix refuses such
    /// values ("is not a string"), so there is nothing it would write.
    #[error(
        "the value of key {key:?} is a {kind}, not a string: sops-nix only writes string values"
    )]
    NotAString {
        /// The key as given.
        key: String,
        /// The value's type (`int`, `float`, `bool`, `null`, …), never the value.
        kind: &'static str,
    },

    /// Encryption failed (wrapping the data key with age, or AES-GCM).
    #[error("encryption failed: {0}")]
    Encrypt(String),

    /// The operating system's random number generator failed.
    #[error("could not get random bytes from the operating system: {0}")]
    Random(std::io::Error),
}

/// Key names for a message, comma-separated.
fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}
