//! Remote state backends. Both keep the whole state document as one snapshot and
//! refuse to overwrite a snapshot they did not read (S3: `If-Match` on the ETag;
//! PostgreSQL: a revision checked in the writing transaction), and both hand out
//! a lock that a crashed holder cannot keep forever (S3: a lock object created
//! with `If-None-Match: *`, broken with `force-unlock`; PostgreSQL: a session
//! advisory lock, released by the server when the holder's connection dies).
//!
//! The `Backend` trait is synchronous and is called from inside the engine's
//! async runtime, so each backend drives its client on a runtime of its own
//! ([`Bridge`]).

mod pg;
mod s3;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iac_state::{Backend, LockGuard, LockInfo, State, StateError, StateOp};

pub use pg::{PgBackend, PgConfig};
pub use s3::{S3Backend, S3Config};

/// Runs async client calls to completion from synchronous code, whether or not
/// the caller is itself on a runtime.
pub(crate) struct Bridge {
    rt: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub(crate) fn new() -> Result<Bridge, StateError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("iac-state")
            .enable_all()
            .build()
            .map_err(|e| StateError::Remote(format!("cannot start the state runtime: {e}")))?;
        Ok(Bridge { rt: Some(rt) })
    }

    pub(crate) fn run<F>(&self, f: F) -> Result<F::Output, StateError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let rt = self.rt.as_ref().expect("runtime lives until drop");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(f.await);
        });
        rx.recv()
            .map_err(|_| StateError::Remote("the state backend's task failed".into()))
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// What a remote store can do; [`Remote`] builds the backend semantics on it.
pub(crate) trait Store: Send + Sync + 'static {
    fn describe(&self) -> String;
    /// The stored snapshot and its version, if any.
    fn get(&self) -> Result<Option<(Vec<u8>, String)>, StateError>;
    /// Stores `bytes` if the stored version is still `expected` (`None`: nothing
    /// stored yet); returns the new version, or `StateError::Conflict`.
    fn put(
        &self,
        bytes: Vec<u8>,
        expected: Option<&str>,
        state: &State,
    ) -> Result<String, StateError>;
    /// Takes the lock if free: `Ok(Ok(release))`, or `Ok(Err(holder))` when held.
    #[allow(clippy::type_complexity)]
    fn try_lock(
        &self,
        info: &LockInfo,
    ) -> Result<Result<Box<dyn FnOnce() + Send>, LockInfo>, StateError>;
    fn force_unlock(&self, id: &str) -> Result<(), StateError>;
}

/// What this process last knew of the stored snapshot's version.
#[derive(Clone, Debug)]
enum Known {
    NotRead,
    Absent,
    Version(String),
}

pub(crate) struct Remote<S: Store> {
    store: Arc<S>,
    cipher: Option<iac_state::StateCipher>,
    known: Mutex<Known>,
    /// The snapshot being built by `append`: the base it started from plus the
    /// operations recorded so far.
    pending: Mutex<Option<State>>,
}

impl<S: Store> Remote<S> {
    pub(crate) fn new(store: S, cipher: Option<iac_state::StateCipher>) -> Remote<S> {
        Remote {
            store: Arc::new(store),
            cipher,
            known: Mutex::new(Known::NotRead),
            pending: Mutex::new(None),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        let plain = iac_state::unseal(bytes, self.cipher.as_ref(), &self.store.describe())?;
        State::from_json_bytes(&plain)
            .map_err(|e| StateError::from_read(e, self.store.describe(), &plain))
    }

    fn put(&self, state: &State) -> Result<(), StateError> {
        let mut known = self.known.lock().expect("not poisoned");
        if matches!(*known, Known::NotRead) {
            *known = match self.store.get() {
                Ok(Some((_, v))) => Known::Version(v),
                // Only Terraform's state is there (a store that keeps it apart from
                // iac's, as PostgreSQL's table): iac's is written fresh beside it.
                Ok(None) | Err(StateError::Terraform { .. }) => Known::Absent,
                Err(e) => return Err(e),
            };
        }
        let expected = match &*known {
            Known::Version(v) => Some(v.as_str()),
            _ => None,
        };
        let mut bytes = serde_json::to_vec_pretty(&state.to_json())
            .map_err(|e| StateError::Remote(format!("cannot encode the state: {e}")))?;
        bytes.push(b'\n');
        if let Some(c) = &self.cipher {
            bytes = c.seal(&bytes);
        }
        let v = self.store.put(bytes, expected, state)?;
        *known = Known::Version(v);
        Ok(())
    }
}

/// How long to wait between attempts to take a held lock.
fn backoff(attempt: u32) -> Duration {
    // 200 ms doubling to 1.6 s, spread by process id so waiters do not move in step.
    let base = 200u64 << attempt.min(3);
    Duration::from_millis(base + u64::from(std::process::id() % 97) * 3)
}

impl<S: Store> Backend for Remote<S> {
    fn describe(&self) -> String {
        self.store.describe()
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        let info = LockInfo::new(operation, &self.store.describe());
        let deadline = Instant::now() + timeout;
        let mut attempt = 0;
        loop {
            match self.store.try_lock(&info)? {
                Ok(release) => return Ok(LockGuard::new(info, release)),
                Err(holder) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(StateError::Locked(holder));
                    }
                    std::thread::sleep(backoff(attempt).min(deadline - now));
                    attempt += 1;
                }
            }
        }
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        let got = self.store.get()?;
        let mut known = self.known.lock().expect("not poisoned");
        match got {
            None => {
                *known = Known::Absent;
                Ok(None)
            }
            Some((bytes, v)) => {
                let state = self.parse(&bytes)?;
                *known = Known::Version(v);
                Ok(Some(state))
            }
        }
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        self.put(state)?;
        *self.pending.lock().expect("not poisoned") = None;
        Ok(())
    }

    fn append(&self, base: &State, ops: &[StateOp]) -> Result<(), StateError> {
        // A remote store has no cheap append: each batch of completed operations
        // is written as a whole snapshot at the base's serial, so a crash loses
        // nothing and the final write still raises the serial by exactly one.
        let mut pending = self.pending.lock().expect("not poisoned");
        let fresh =
            !matches!(&*pending, Some(p) if p.lineage == base.lineage && p.serial == base.serial);
        if fresh {
            *pending = Some(base.clone());
        }
        let p = pending.as_mut().expect("set above");
        for op in ops {
            p.apply_op(op);
        }
        self.put(p)
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        self.store.force_unlock(id)
    }
}

/// A stable 63-bit number for a name (advisory lock keys).
pub(crate) fn key_of(name: &str) -> i64 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(name.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) >> 1) as i64
}
