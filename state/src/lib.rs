//! State: the document that remembers what iac created, and the backends that
//! keep it (local file with a journal and a lock). Sensitive values are stored
//! only as salted fingerprints.

pub mod cache;
mod crypto;
mod document;
mod local;
mod lock;
pub mod terraform;

pub use crypto::{is_envelope, unseal, StateCipher, PASSPHRASE_ROUNDS};
pub use document::{
    terraform_message, AdoptedFrom, InstanceState, OutputState, ReadError, ResourceObject, State,
    StateOp, STATE_VERSION,
};
pub use local::LocalBackend;
pub use lock::{now_rfc3339, parse_rfc3339, LockGuard, LockInfo};

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid iac state file: {message}")]
    Parse { path: String, message: String },
    #[error(
        "{path} was written by a newer iac (state format {found}, this iac reads {supported})"
    )]
    TooNew {
        path: String,
        found: u64,
        supported: u64,
    },
    /// The backend holds a state Terraform wrote: `document` is its text, for
    /// `iac init -migrate-state` to take over.
    #[error("{path}: {}", terraform_message(*format, version))]
    Terraform {
        path: String,
        format: u64,
        version: String,
        document: Vec<u8>,
    },
    #[error("the state is locked\n{0}")]
    Locked(LockInfo),
    #[error("the lock ID \"{given}\" does not match the lock held ({held})")]
    LockIdMismatch { given: String, held: String },
    #[error("{0}")]
    Refused(String),
    /// A conditional write found the stored state changed since it was read.
    #[error("{0} changed since this run read it; another writer got in between, so this write was refused to keep their change. Run the command again.")]
    Conflict(String),
    /// A remote backend could not be reached or answered with an error.
    #[error("{0}")]
    Remote(String),
}

impl StateError {
    /// Maps a document's read error to the backend's error, naming where it was read.
    pub fn from_read(e: ReadError, path: String, document: &[u8]) -> StateError {
        match e {
            ReadError::TooNew(found) => StateError::TooNew {
                path,
                found,
                supported: STATE_VERSION,
            },
            ReadError::Terraform { format, version } => StateError::Terraform {
                path,
                format,
                version,
                document: document.to_vec(),
            },
            ReadError::Invalid(message) => StateError::Parse { path, message },
        }
    }
}

/// A place that keeps state: reads and writes snapshots, appends per-operation
/// records durably, and hands out an exclusive lock.
/// The one way a new version of state is written outside an apply's journal: its
/// serial follows the version it was made from (`prior_serial`), so a writer that
/// read an older version cannot pass for a newer one.
pub fn commit(
    backend: &dyn Backend,
    prior_serial: u64,
    next: &mut State,
) -> Result<(), StateError> {
    next.serial = prior_serial + 1;
    backend.write(next)
}

pub trait Backend: Send + Sync {
    /// Human name, for messages ("local state file iac.tfstate").
    fn describe(&self) -> String;
    /// Takes the lock, waiting up to `timeout`.
    fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError>;
    /// Reads the newest state, replaying any operations recorded since the last snapshot.
    fn read(&self) -> Result<Option<State>, StateError>;
    /// How the last read was made, when there is more to say than `describe`
    /// (for `IAC_LOG=debug`).
    fn read_note(&self) -> Option<String> {
        None
    }
    /// Replaces the state with a new snapshot, atomically, keeping a backup of the previous one.
    fn write(&self, state: &State) -> Result<(), StateError>;
    /// Durably records completed operations on top of `base` (the last snapshot).
    /// Costs in proportion to the operations, not to the state.
    fn append(&self, base: &State, ops: &[StateOp]) -> Result<(), StateError>;
    /// Breaks a lock left behind by a crashed run.
    fn force_unlock(&self, id: &str) -> Result<(), StateError>;
}
