//! The one place an apply changes state: every completed operation is applied to
//! the working state and appended to the backend's journal before anything that
//! depends on it starts; the final snapshot, with the serial raised once, is
//! written at the end.

use iac_diagnostics::Diagnostic;
use iac_state::{Backend, State, StateOp};

pub(crate) struct Recorder<'a> {
    backend: &'a dyn Backend,
    /// The snapshot the journal stands on (the state the plan was made from).
    base: State,
    pub working: State,
    dirty: bool,
}

impl<'a> Recorder<'a> {
    /// Opens the record of an apply; the journal needs a snapshot to stand on, so
    /// a backend without one gets the plan's state first.
    pub fn open(backend: &'a dyn Backend, state: State) -> Result<Recorder<'a>, Diagnostic> {
        match backend.read() {
            Ok(None) => backend
                .write(&state)
                .map_err(|e| Diagnostic::error("E0602", format!("Cannot write state: {e}")))?,
            Ok(Some(_)) => {}
            Err(e) => {
                return Err(Diagnostic::error(
                    "E0602",
                    format!("Cannot read state: {e}"),
                ))
            }
        }
        Ok(Recorder {
            backend,
            base: state.clone(),
            working: state,
            dirty: false,
        })
    }

    /// Makes completed operations durable: applied to the working state and
    /// appended to the journal, one write for the batch.
    pub fn record(&mut self, ops: &[StateOp]) -> Result<(), Diagnostic> {
        if ops.is_empty() {
            return Ok(());
        }
        for op in ops {
            self.working.apply_op(op);
        }
        self.dirty = true;
        self.backend
            .append(&self.base, ops)
            .map_err(|e| Diagnostic::error("E0602", format!("Cannot record state: {e}")))
    }

    /// Changes the working state only; the final snapshot carries it.
    pub fn set(&mut self, op: &StateOp) {
        self.working.apply_op(op);
        self.dirty = true;
    }

    /// Writes the final snapshot (the journal folded in) with the serial raised
    /// once, if anything changed.
    pub fn commit(&mut self, help: &str) -> Result<(), Diagnostic> {
        if !self.dirty {
            return Ok(());
        }
        iac_state::commit(self.backend, self.base.serial, &mut self.working).map_err(|e| {
            let d = Diagnostic::error(
                "E0602",
                format!("Cannot write the final state snapshot: {e}"),
            );
            if help.is_empty() {
                d
            } else {
                d.with_help(help.to_string())
            }
        })
    }

    pub fn into_state(self) -> State {
        self.working
    }
}
