//! Lock records shared by every backend: who holds the lock, since when, and a
//! guard that releases it when dropped.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(now.saturating_sub(then)))
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

/// Current UTC time as RFC 3339, without a date library.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch of a `YYYY-MM-DDTHH:MM:SS...Z` time (as written by `now_rfc3339`).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

pub(crate) fn who() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host} (pid {})", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let parsed = parse_rfc3339(&now_rfc3339()).unwrap();
        assert!(parsed.abs_diff(now) <= 1, "{parsed} vs {now}");
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(parse_rfc3339("garbage"), None);
    }
}
