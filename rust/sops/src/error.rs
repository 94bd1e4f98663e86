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

    /// A recipient string is neither an X25519 `age1…` key nor an `ssh-ed25519` key.
    #[error("invalid recipient {recipient:?}: {reason}")]
    InvalidRecipient {
        /// The recipient as given (a public key, so safe to show).
        recipient: String,
        /// Why it was rejected.
        reason: String,
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

    /// Encryption failed (wrapping the data key with age, or AES-GCM).
    #[error("encryption failed: {0}")]
    Encrypt(String),

    /// The operating system's random number generator failed.
    #[error("could not get random bytes from the operating system: {0}")]
    Random(std::io::Error),
}
