//! Deploy strategies as data, knowing no cloud.
//!
//! A deployment's configuration becomes a typed [`Spec`]; [`plan`] turns the spec,
//! the release the configuration asks for and the releases state remembers into
//! [`Step`]s. The plan shows those steps (their `Display` is the plan's note), and
//! [`run`] executes the same steps against the small traits a cloud implements:
//! a [`Fleet`] that launches, checks, retires and removes a release's servers, a
//! [`Router`] that sets traffic weights and confirms them, a [`Clock`], a
//! [`Probe`] for `check_url` and a source of [`Metrics`] for analysis. Tests
//! drive every strategy against the fakes in [`fake`], with a clock they control, failures at every step and a crash
//! resumed at every step.
//!
//! Traffic only ever moves to a release whose health gate passed. A gate that
//! fails sends traffic back to the live release and removes the new one (unless
//! `rollback { automatic = false }`): the run ends with [`Failure::Gate`]. Any
//! other error stops the run where it is ([`Failure::Error`]); a later run resumes,
//! finding what the stopped one made by release id instead of making it again.

pub mod analysis;
mod release;
mod run;
mod spec;
mod steps;

pub mod fake;

pub use analysis::{Analysis, Metric, Metrics, OpenMetrics, Source};
pub use release::{Release, Status};
pub use run::{
    abort, promote, rollback, run, Clock, Cloud, Error, Failure, Fleet, Health, HookRunner,
    HttpProbe, Probe, Router, ShellHooks, SystemClock,
};
pub use spec::{CanaryStep, Gate, Hook, Hooks, Spec, SpecError, Strategy, Threshold};
pub use steps::{plan, plan_promotion, Note, Planned, Step, Words};

#[cfg(test)]
mod tests;
