//! Progress lines during an apply: each operation as it starts and finishes,
//! and every few seconds what is still running.

use crate::ui::parse_duration;
use iac_engine::ApplyEvent;
use iac_plan::Action;
use std::io::Write as _;

/// Operations under way, for the "Still creating..." lines of long applies.
pub(crate) type Running =
    std::sync::Mutex<std::collections::BTreeMap<String, (Action, std::time::Instant)>>;

pub(crate) fn progress_interval() -> std::time::Duration {
    std::env::var("IAC_PROGRESS_INTERVAL")
        .ok()
        .and_then(|t| parse_duration(&t).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(std::time::Duration::from_secs(10))
}

pub(crate) fn still_running(running: &Running) {
    let Ok(r) = running.lock() else { return };
    for (addr, (action, since)) in r.iter() {
        let verb = match action {
            Action::Create => "creating",
            Action::Update => "modifying",
            Action::Delete => "destroying",
            Action::Read => "reading",
            _ => "working",
        };
        println!(
            "{addr}: Still {verb}... [{}s elapsed]",
            since.elapsed().as_secs()
        );
    }
    let _ = std::io::stdout().flush();
}

pub(crate) fn track_event(running: &Running, ev: &ApplyEvent) {
    let Ok(mut r) = running.lock() else { return };
    match ev {
        ApplyEvent::Started { addr, action, .. } => {
            r.insert(addr.clone(), (*action, std::time::Instant::now()));
        }
        ApplyEvent::Finished { addr, .. } => {
            r.remove(addr);
        }
        ApplyEvent::Output { .. } => {}
    }
}

pub(crate) fn print_event(ev: ApplyEvent) {
    let ev = &ev;
    match ev {
        ApplyEvent::Started { addr, action, .. } => {
            let verb = match action {
                Action::Create => "Creating...",
                Action::Update => "Modifying...",
                Action::Delete => "Destroying...",
                Action::Read => "Reading...",
                _ => "Working...",
            };
            println!("{addr}: {verb}");
        }
        ApplyEvent::Finished {
            addr,
            action,
            elapsed,
            id,
            error,
            ..
        } => {
            let secs = elapsed.as_secs();
            let what = match (action, error) {
                (Action::Create, false) => "Creation complete",
                (Action::Update, false) => "Modifications complete",
                (Action::Delete, false) => "Destruction complete",
                (Action::Read, false) => "Read complete",
                (Action::Create, true) => "Creation failed",
                (Action::Update, true) => "Modifications failed",
                (Action::Delete, true) => "Destruction failed",
                (_, true) => "Failed",
                _ => "Complete",
            };
            let id = id
                .as_ref()
                .map(|i| format!(" [id={i}]"))
                .unwrap_or_default();
            println!("{addr}: {what} after {secs}s{id}");
        }
        ApplyEvent::Output { addr, line } => println!("{addr}{line}"),
    }
    let _ = std::io::stdout().flush();
}
