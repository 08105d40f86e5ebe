//! Lock records shared by every backend: who holds the lock, since when, and a
//! guard that releases it when dropped.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who holds a lock, printed when someone else wants it. The field names are
/// Terraform's, so lock objects look familiar to anyone who has read one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Created")]
    pub created: String,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Path")]
    pub path: String,
}

impl LockInfo {
    /// A new lock record for this process.
    pub fn new(operation: &str, path: &str) -> LockInfo {
        LockInfo {
            id: iac_value::new_salt(),
            operation: operation.to_string(),
            who: who(),
            created: now_rfc3339(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            path: path.to_string(),
        }
    }

    /// What is printed when the holder left no readable record.
    pub fn unknown(path: &str) -> LockInfo {
        LockInfo {
            id: "unknown".into(),
            operation: "unknown".into(),
            who: "another process".into(),
            created: "unknown".into(),
            version: "unknown".into(),
            path: path.to_string(),
        }
    }

    /// How long ago the lock was taken, when `created` is readable.
    pub fn age(&self) -> Option<Duration> {
        let then = parse_rfc3339(&self.created)?;
        Some(Duration::from_secs(
            iac_value::time::now_secs().saturating_sub(then),
        ))
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Lock Info:")?;
        writeln!(f, "  ID:        {}", self.id)?;
        writeln!(f, "  Path:      {}", self.path)?;
        writeln!(f, "  Operation: {}", self.operation)?;
        writeln!(f, "  Who:       {}", self.who)?;
        writeln!(f, "  Version:   {}", self.version)?;
        write!(f, "  Created:   {}", self.created)
    }
}

/// Held while a run owns the state; dropping it releases the lock.
pub struct LockGuard {
    release: Option<Box<dyn FnOnce() + Send>>,
    pub info: Option<LockInfo>,
}

impl LockGuard {
    /// A guard for runs with `-lock=false`.
    pub fn none() -> LockGuard {
        LockGuard {
            release: None,
            info: None,
        }
    }

    /// A guard that runs `release` when dropped.
    pub fn new(info: LockInfo, release: impl FnOnce() + Send + 'static) -> LockGuard {
        LockGuard {
            release: Some(Box::new(release)),
            info: Some(info),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(r) = self.release.take() {
            r();
        }
    }
}

pub use iac_value::time::{now_rfc3339, parse_rfc3339};

pub(crate) fn who() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host} (pid {})", std::process::id())
}
