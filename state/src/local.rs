//! The local backend: a snapshot file written atomically (temp file, fsync,
//! rename) with a `.backup` of the previous one, an fsync'd append-only journal
//! of completed operations beside it, and an advisory lock file.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Backend, LockGuard, LockInfo, State, StateError, StateOp};

pub struct LocalBackend {
    path: PathBuf,
    journal: Mutex<Option<(File, String, u64)>>,
    cipher: Option<crate::StateCipher>,
    /// Whether the last read took the state from its binary copy.
    from_copy: std::sync::atomic::AtomicBool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn fsync_dir(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes `bytes` to `path` atomically: temp file, fsync, rename, fsync of the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let tmp = with_suffix(path, &format!(".tmp-{}", std::process::id()));
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    fsync_dir(path);
    Ok(())
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> LocalBackend {
        LocalBackend {
            path: path.into(),
            journal: Mutex::new(None),
            cipher: None,
            from_copy: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Encrypts what this backend writes (snapshot, backup, journal records).
    pub fn with_cipher(mut self, cipher: Option<crate::StateCipher>) -> LocalBackend {
        self.cipher = cipher;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn journal_path(&self) -> PathBuf {
        with_suffix(&self.path, ".journal")
    }

    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    /// Where the binary copy of this state is kept (see `crate::cache`):
    /// `.iac/cache/state/` beside the state file.
    pub fn cache_path(&self) -> PathBuf {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = self.path.file_name().unwrap_or(self.path.as_os_str());
        dir.join(".iac").join("cache").join("state").join(name)
    }

    fn read_snapshot(&self) -> Result<Option<State>, StateError> {
        if self.cipher.is_none() {
            if let Some(state) = self.read_copy() {
                return Ok(Some(state));
            }
        }
        let bytes = match std::fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return self.terraform_beside();
            }
            Err(e) => return Err(io(&self.path)(e)),
        };
        if self.cipher.is_none() && !crate::crypto::is_sealed(&bytes) {
            return self.read_plain(&bytes).map(Some);
        }
        self.forget_copy();
        let text = crate::unseal(
            &bytes,
            self.cipher.as_ref(),
            &format!("the state file {}", self.path.display()),
        )?;
        State::from_json_bytes(&text)
            .map(Some)
            .map_err(|e| StateError::from_read(e, self.path.display().to_string(), &text))
    }

    /// Removes the binary copy of a state that is encrypted now: the copy is
    /// plaintext, of what the state held before.
    fn forget_copy(&self) {
        if std::fs::remove_file(self.cache_path()).is_ok() {
            fsync_dir(&self.cache_path());
        }
    }

    /// The state from its binary copy, when the copy is of exactly the state
    /// file's bytes. The two files are compared as they are read, a buffer at a
    /// time, so neither text is held in memory (a state of 2,000 objects is a
    /// megabyte of JSON). A sealed (encrypted) file never matches: copies are
    /// made only of plaintext.
    fn read_copy(&self) -> Option<State> {
        let entry = std::fs::File::open(self.cache_path()).ok()?;
        let len = entry.metadata().map_or(0, |m| m.len());
        let text = std::fs::File::open(&self.path).ok()?;
        let state = crate::cache::read(
            std::io::BufReader::with_capacity(64 << 10, entry),
            len,
            text,
        )?;
        self.from_copy
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Some(state)
    }

    /// A plaintext state, from its JSON, and the binary copy made for next time
    /// (a copy that cannot be written is only a slower next read).
    fn read_plain(&self, bytes: &[u8]) -> Result<State, StateError> {
        let cache = self.cache_path();
        self.from_copy
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let state = State::from_json_bytes(bytes)
            .map_err(|e| StateError::from_read(e, self.path.display().to_string(), bytes))?;
        if let Some(dir) = cache.parent() {
            if std::fs::create_dir_all(dir).is_ok() {
                let entry = crate::cache::encode(bytes, &state);
                // Renamed into place: a reader never sees half an entry.
                let tmp = with_suffix(&cache, &format!(".tmp-{}", std::process::id()));
                let mut opts = OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let written = opts.open(&tmp).and_then(|mut f| f.write_all(&entry));
                if written
                    .and_then(|()| std::fs::rename(&tmp, &cache))
                    .is_err()
                {
                    let _ = std::fs::remove_file(&tmp);
                }
            }
        }
        Ok(state)
    }

    /// No iac state here, but Terraform's `terraform.tfstate` beside where it would
    /// be: a plan now would create every object again (duplicates in the cloud), so
    /// the read stops and names the state for `iac init -migrate-state` to take over.
    fn terraform_beside(&self) -> Result<Option<State>, StateError> {
        let tf = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.join("terraform.tfstate"),
            _ => PathBuf::from("terraform.tfstate"),
        };
        if self.path.file_name() == tf.file_name() {
            return Ok(None);
        }
        let Ok(bytes) = std::fs::read(&tf) else {
            return Ok(None);
        };
        match State::from_json_bytes(&bytes) {
            Err(e @ crate::ReadError::Terraform { .. }) => {
                Err(StateError::from_read(e, tf.display().to_string(), &bytes))
            }
            // Not Terraform's (or not a state at all): not ours to judge.
            _ => Ok(None),
        }
    }

    /// Replays the journal onto the snapshot it was written against. A torn last
    /// line (a crash mid-write) is ignored: that operation was never acknowledged.
    fn replay(&self, state: &mut State) -> Result<usize, StateError> {
        let jp = self.journal_path();
        let f = match File::open(&jp) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io(&jp)(e)),
        };
        let mut lines = BufReader::new(f).lines();
        let Some(Ok(header)) = lines.next() else {
            return Ok(0);
        };
        let Ok(h) = serde_json::from_str::<serde_json::Value>(&header) else {
            return Ok(0);
        };
        if h.get("lineage").and_then(|l| l.as_str()) != Some(state.lineage.as_str())
            || h.get("base_serial").and_then(|s| s.as_u64()) != Some(state.serial)
        {
            // Written against another snapshot: already folded into a newer one.
            return Ok(0);
        }
        let mut n = 0;
        for line in lines {
            let Ok(line) = line else { break };
            let line = if line.starts_with("{\"iac_encrypted_state\"") {
                let what = format!("the state journal {}", jp.display());
                match crate::unseal(line.as_bytes(), self.cipher.as_ref(), &what) {
                    Ok(plain) => String::from_utf8_lossy(&plain).into_owned(),
                    // A torn last record fails to open like any torn line.
                    Err(StateError::Refused(m)) if m.contains("cannot be decrypted") => break,
                    Err(e) => return Err(e),
                }
            } else {
                line
            };
            let Ok(j) = serde_json::from_str::<serde_json::Value>(&line) else {
                break;
            };
            let Ok(op) = StateOp::from_json(&j) else {
                break;
            };
            state.apply_op(&op);
            n += 1;
        }
        Ok(n)
    }
}

/// Whether the open file `f` is the file now at `path` (same device and inode).
fn same_file(f: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("local state file {}", self.path.display())
    }

    fn read_note(&self) -> Option<String> {
        self.from_copy
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| format!("read from its binary copy {}", self.cache_path().display()))
    }

    fn lock(&self, operation: &str, timeout: Duration) -> Result<LockGuard, StateError> {
        let lp = self.lock_path();
        if let Some(dir) = lp.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lp)
                .map_err(io(&lp))?;
            match f.try_lock() {
                Ok(()) => {
                    // The holder before us removes the file as it lets go: if
                    // the file we locked is no longer the one at the path, the
                    // lock is not ours; open the path again.
                    if !same_file(&f, &lp) {
                        continue;
                    }
                    let info = LockInfo::new(operation, &self.path.display().to_string());
                    f.set_len(0).map_err(io(&lp))?;
                    f.write_all(
                        serde_json::to_string_pretty(&info)
                            .unwrap_or_default()
                            .as_bytes(),
                    )
                    .map_err(io(&lp))?;
                    // Not synced: the lock is the kernel's (gone with the process
                    // or the machine), the text only says who holds it; a reader
                    // that finds it empty after a crash says the holder is unknown.
                    // On release the file goes (while still locked, so no one
                    // else holds it): no lock file is left behind.
                    return Ok(LockGuard::new(info, move || {
                        let _ = std::fs::remove_file(&lp);
                        drop(f);
                    }));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        let text = std::fs::read_to_string(&lp).unwrap_or_default();
                        let info = serde_json::from_str(&text).unwrap_or_else(|_| {
                            LockInfo::unknown(&self.path.display().to_string())
                        });
                        return Err(StateError::Locked(info));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(&lp)(e)),
            }
        }
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        let Some(mut state) = self.read_snapshot()? else {
            return Ok(None);
        };
        self.replay(&mut state)?;
        Ok(Some(state))
    }

    fn write(&self, state: &State) -> Result<(), StateError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        if let Ok(old) = std::fs::read(&self.path) {
            write_atomic(&self.backup_path(), &old)?;
        }
        let mut text =
            serde_json::to_string_pretty(&state.to_json()).map_err(|e| StateError::Parse {
                path: self.path.display().to_string(),
                message: e.to_string(),
            })?;
        text.push('\n');
        let bytes = match &self.cipher {
            Some(c) => c.seal(text.as_bytes()),
            None => text.into_bytes(),
        };
        write_atomic(&self.path, &bytes)?;
        if self.cipher.is_some() {
            self.forget_copy();
        }
        // The snapshot now holds everything the journal recorded.
        if let Ok(mut j) = self.journal.lock() {
            *j = None;
        }
        match std::fs::remove_file(self.journal_path()) {
            Ok(()) => fsync_dir(&self.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&self.journal_path())(e)),
        }
        Ok(())
    }

    fn append(&self, base: &State, ops: &[StateOp]) -> Result<(), StateError> {
        let jp = self.journal_path();
        let mut guard = self
            .journal
            .lock()
            .map_err(|_| StateError::Refused("journal lock poisoned".into()))?;
        let fresh = !matches!(&*guard, Some((_, l, s)) if *l == base.lineage && *s == base.serial);
        if fresh {
            // Continue a journal written against this same snapshot (a resumed run), else start one.
            let continuing = std::fs::File::open(&jp)
                .ok()
                .and_then(|f| BufReader::new(f).lines().next())
                .and_then(|l| l.ok())
                .and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
                .is_some_and(|h| {
                    h.get("lineage").and_then(|x| x.as_str()) == Some(base.lineage.as_str())
                        && h.get("base_serial").and_then(|x| x.as_u64()) == Some(base.serial)
                });
            let mut opts = OpenOptions::new();
            if continuing {
                opts.append(true);
            } else {
                opts.write(true).create(true).truncate(true);
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&jp).map_err(io(&jp))?;
            if !continuing {
                let header =
                    json!({"journal": 1, "lineage": base.lineage, "base_serial": base.serial});
                f.write_all(format!("{header}\n").as_bytes())
                    .map_err(io(&jp))?;
            }
            *guard = Some((f, base.lineage.clone(), base.serial));
            if !continuing {
                fsync_dir(&jp);
            }
        }
        let Some((f, _, _)) = guard.as_mut() else {
            return Ok(());
        };
        let fp = base.fingerprinter();
        let mut buf = String::new();
        for op in ops {
            let line = op.to_json(&fp).to_string();
            match &self.cipher {
                // seal() ends its envelope with a newline.
                Some(c) => buf.push_str(&String::from_utf8_lossy(&c.seal(line.as_bytes()))),
                None => {
                    buf.push_str(&line);
                    buf.push('\n');
                }
            }
        }
        f.write_all(buf.as_bytes()).map_err(io(&jp))?;
        f.sync_data().map_err(io(&jp))?;
        Ok(())
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let lp = self.lock_path();
        let text = std::fs::read_to_string(&lp).unwrap_or_default();
        let held: Option<LockInfo> = serde_json::from_str(&text).ok();
        let f = match OpenOptions::new().read(true).write(true).open(&lp) {
            Ok(f) => f,
            Err(_) => return Err(StateError::Refused("the state is not locked".into())),
        };
        match f.try_lock() {
            Ok(()) => {
                // The holder is gone (a local lock dies with its process); clear what it left.
                if let Some(h) = &held {
                    if h.id != id {
                        return Err(StateError::LockIdMismatch {
                            given: id.to_string(),
                            held: h.id.clone(),
                        });
                    }
                }
                let _ = std::fs::remove_file(&lp);
                drop(f);
                Ok(())
            }
            Err(_) => Err(StateError::Refused(format!(
                "the lock is held by a running process{}; a local lock is released when that process exits, so stop it instead",
                held.map(|h| format!(" ({})", h.who)).unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ResourceObject, StateOp};
    use iac_value::Value;

    fn op(name: &str) -> StateOp {
        StateOp::SetObject {
            addr: format!("terraform_data.{name}").parse().unwrap(),
            provider: "builtin".into(),
            deposed: None,
            object: Some(ResourceObject {
                attributes: Value::map([("id", Value::string(name))]),
                dependencies: vec![],
                create_before_destroy: false,
                tainted: false,
            }),
        }
    }

    #[test]
    fn journal_replays_onto_its_snapshot_and_ignores_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.tfstate"));
        let base = State::new();
        b.write(&base).unwrap();
        b.append(&base, &[op("a")]).unwrap();
        b.append(&base, &[op("b")]).unwrap();
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(b.journal_path())
            .unwrap();
        f.write_all(b"{\"op\":\"set\",\"addr").unwrap();
        let s = b.read().unwrap().unwrap();
        assert_eq!(s.resources.len(), 2);
        // A new process continues the same journal.
        let b2 = LocalBackend::new(dir.path().join("s.tfstate"));
        let s2 = b2.read().unwrap().unwrap();
        assert_eq!(s2.serial, base.serial);
        b2.write(&State {
            serial: s2.serial + 1,
            ..s2
        })
        .unwrap();
        assert!(!b2.journal_path().exists());
        let s3 = b2.read().unwrap().unwrap();
        assert_eq!(s3.resources.len(), 2);
        assert_eq!(s3.serial, 1);
        assert!(b2.backup_path().exists());
    }

    #[test]
    fn state_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.tfstate"));
        b.write(&State::new()).unwrap();
        let mode = std::fs::metadata(b.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn second_lock_fails_with_holder_info() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.tfstate"));
        let g = b.lock("apply", Duration::ZERO).unwrap();
        match b.lock("plan", Duration::from_millis(250)) {
            Err(StateError::Locked(info)) => {
                assert_eq!(info.operation, "apply");
                assert_eq!(Some(info.id.clone()), g.info.as_ref().map(|i| i.id.clone()));
            }
            other => panic!("expected a lock error, got {:?}", other.err()),
        }
        drop(g);
        assert!(b.lock("plan", Duration::ZERO).is_ok());
    }

    #[test]
    fn a_plain_state_is_read_from_its_binary_copy_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s.tfstate"));
        let mut state = State::new();
        state.apply_op(&op("a"));
        b.write(&state).unwrap();
        assert!(!b.cache_path().exists());
        // The first read makes the copy, beside the state.
        let first = b.read().unwrap().unwrap();
        assert_eq!(
            b.cache_path(),
            dir.path().join(".iac/cache/state/s.tfstate")
        );
        let entry = std::fs::read(b.cache_path()).unwrap();
        let text = std::fs::read(b.path()).unwrap();
        assert_eq!(
            format!("{:?}", crate::cache::decode(&entry, &text).unwrap()),
            format!("{first:?}")
        );
        // The copy is what the next read uses: one made for another state,
        // stored against this file's text, is what comes back.
        let mut other = first.clone();
        other.apply_op(&op("from-the-copy"));
        std::fs::write(b.cache_path(), crate::cache::encode(&text, &other)).unwrap();
        let second = b.read().unwrap().unwrap();
        assert_eq!(second.resources.len(), 2);
        // A state file changed by hand is read from its text, and copied again.
        let edited = String::from_utf8(text)
            .unwrap()
            .replace("\"a\"", "\"edited\"");
        std::fs::write(b.path(), &edited).unwrap();
        let third = b.read().unwrap().unwrap();
        assert_eq!(third.resources.len(), 1);
        let id = third.resources.values().next().unwrap();
        assert_eq!(
            id.current.as_ref().unwrap().attributes.get_attr("id"),
            &Value::string("edited")
        );
        let entry = std::fs::read(b.cache_path()).unwrap();
        assert!(crate::cache::decode(&entry, edited.as_bytes()).is_some());
    }

    #[test]
    fn an_encrypted_state_has_no_binary_copy() {
        let dir = tempfile::tempdir().unwrap();
        let key = crate::StateCipher::from_passphrase("correct horse battery").unwrap();
        let b = LocalBackend::new(dir.path().join("s.tfstate")).with_cipher(Some(key));
        let mut state = State::new();
        state.apply_op(&op("a"));
        b.write(&state).unwrap();
        assert_eq!(b.read().unwrap().unwrap().resources.len(), 1);
        assert!(!b.cache_path().exists());
        assert!(!dir.path().join(".iac").exists());
    }
}
