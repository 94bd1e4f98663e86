//! The store: the flake's `artifacts/` folder, written as a transaction.
//!
//! - [`transaction`]: an artifact (all its files and its metadata) is staged
//!   beside its folder and swapped in with one atomic rename, so readers and
//!   interrupted runs see the old artifact or the new one, never a mix;
//!   leftovers of an interrupted run are cleaned (or rolled back) by the next.
//! - [`committer`]: `generate` stores its artifacts from one thread, in
//!   batches, while its generators go on.
//! - [`meta`]: the metadata kept with every artifact, with a digest of each
//!   stored file, so damage is detected without decrypting.
//! - [`lock`]: one run holds the store at a time.
//! - [`git`]: everything stored is `git add`ed (flakes only see tracked files).

pub mod committer;
pub mod git;
pub mod links;
pub mod lock;
pub mod meta;
pub mod transaction;

pub use meta::{Meta, MetaRead, META_FILE};
pub use transaction::{recover, Staged, Staging};
