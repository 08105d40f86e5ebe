//! Plans: the action and reason for each resource instance, attribute diffs,
//! output changes and drift; the plan file; renderers (text and JSON).

mod action;
mod file;
mod render_json;
mod render_markdown;
mod render_text;

pub use action::{decide_action, ActionInputs};
pub use file::{PlanFile, PlanFileError, PlanVariable, PLAN_FORMAT};
pub use render_json::render_json;
pub use render_markdown::{render_markdown, MarkdownOptions, DEFAULT_LIMIT as MARKDOWN_LIMIT};
pub use render_text::{render_text, summary_line, TextOptions};

use std::collections::BTreeMap;

use iac_value::addr::InstanceAddr;
use iac_value::{path_to_string, Path, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    /// Replace: delete the old object, then create the new one (the default).
    DeleteThenCreate,
    /// Replace with `create_before_destroy`: create the new object, then delete the old one.
    CreateThenDelete,
    Delete,
    /// A `removed` block with `destroy = false`: the object leaves state and
    /// stays in the cloud, no longer managed.
    Forget,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// Terraform's `actions` array for JSON output.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }
}

/// Why an action was chosen. Every action that changes something has one.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    None,
    NotInState,
    /// The listed attributes changed and the provider cannot update them in place.
    ReplaceBecause(Vec<Path>),
    /// `-replace=ADDR`.
    ReplaceByRequest,
    /// A reference in `replace_triggered_by` changed.
    ReplaceTriggeredBy(String),
    /// A create failed half-way in an earlier apply.
    Tainted,
    UpdateBecause(Vec<Path>),
    RemovedFromConfig,
    CountIndexOutOfRange,
    EachKeyNotInForEach,
    /// The resource has `count` now but was a single instance, or the other way round.
    WrongRepetition,
    DestroyRequested,
    /// An old object left by create-before-destroy.
    DeposedObject,
    /// A `removed` block with `destroy = false` names it.
    RemovedNotDestroyed,
    /// A data source read at apply time because its configuration depends on unknown values.
    ReadDeferred,
    /// A data source scoped to a check block: read again at apply, so the check
    /// verifies what the apply left.
    ReadForCheck,
}

impl Reason {
    pub fn describe(&self, addr: &InstanceAddr) -> String {
        let list = |paths: &[Path]| {
            paths
                .iter()
                .map(|p| format!("`{}`", path_to_string(p)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Reason::None => String::new(),
            Reason::NotInState => "not in state".to_string(),
            Reason::ReplaceBecause(p) => {
                format!("{} changed and cannot be updated in place", list(p))
            }
            Reason::ReplaceByRequest => "replacement requested with -replace".to_string(),
            Reason::ReplaceTriggeredBy(r) => format!("`{r}` changed (replace_triggered_by)"),
            Reason::Tainted => {
                "it is tainted (an earlier create did not finish, or it was marked so)".to_string()
            }
            Reason::UpdateBecause(p) => format!("{} changed", list(p)),
            Reason::RemovedFromConfig => format!("{} is not in the configuration", addr.resource),
            Reason::CountIndexOutOfRange => format!("index {} is out of range for count", addr.key),
            Reason::EachKeyNotInForEach => format!("key {} is not in for_each", addr.key),
            Reason::WrongRepetition => "count or for_each was added or removed".to_string(),
            Reason::DestroyRequested => "destroy was requested".to_string(),
            Reason::DeposedObject => "an old object left by create_before_destroy".to_string(),
            Reason::RemovedNotDestroyed => {
                "a removed block with `destroy = false` names it".to_string()
            }
            Reason::ReadDeferred => {
                "its configuration depends on values known only after apply".to_string()
            }
            Reason::ReadForCheck => "its check block is verified again after the apply".to_string(),
        }
    }

    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            Reason::None => return None,
            Reason::NotInState => "not_in_state",
            Reason::ReplaceBecause(_) => "replace_because_cannot_update",
            Reason::ReplaceByRequest => "replace_by_request",
            Reason::ReplaceTriggeredBy(_) => "replace_by_triggers",
            Reason::Tainted => "replace_because_tainted",
            Reason::UpdateBecause(_) => "update_because_changed",
            Reason::RemovedFromConfig | Reason::RemovedNotDestroyed => {
                "delete_because_no_resource_config"
            }
            Reason::CountIndexOutOfRange => "delete_because_count_index",
            Reason::EachKeyNotInForEach => "delete_because_each_key",
            Reason::WrongRepetition => "delete_because_wrong_repetition",
            Reason::DestroyRequested => "delete_because_destroy",
            Reason::DeposedObject => "delete_because_deposed",
            Reason::ReadDeferred => "read_because_config_unknown",
            Reason::ReadForCheck => "read_because_check_nested",
        })
    }
}

/// The planned change of one resource instance (or one deposed object).
#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub addr: InstanceAddr,
    pub deposed: Option<String>,
    /// Set when a `moved` block renamed the instance.
    /// Boxed: rarely set, and every change of a plan carries the field.
    pub previous_addr: Option<Box<InstanceAddr>>,
    /// Set when an `import` block adopts an existing object with this id.
    pub import_id: Option<String>,
    pub provider: String,
    pub action: Action,
    pub reason: Reason,
    /// The prior (refreshed) value; `None` for a create.
    pub before: Option<Value>,
    /// The planned value with unknowns; `None` for a delete.
    pub after: Option<Value>,
    pub requires_replace: Vec<Path>,
    /// Resource addresses this instance depends on (for apply ordering).
    pub dependencies: Vec<String>,
    pub create_before_destroy: bool,
    /// What the provider says the change will do beyond the diff (downtime, ...).
    pub notes: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    pub fn action(&self) -> Action {
        match (&self.before, &self.after) {
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) if b != a => Action::Update,
            _ => Action::NoOp,
        }
    }
}

/// An object that changed (or vanished) outside of iac since the last apply.
#[derive(Clone, Debug)]
pub struct Drift {
    pub addr: InstanceAddr,
    pub before: Value,
    /// `None`: deleted outside of iac.
    pub after: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanMode {
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: PlanMode,
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    pub drift: Vec<Drift>,
    /// Lineage and serial of the state the plan was made against.
    pub prior_lineage: String,
    pub prior_serial: u64,
    /// Set when the plan was cut short by errors and must not be applied.
    pub errored: bool,
    /// Data sources read while planning, so apply sees the same values.
    pub data: BTreeMap<InstanceAddr, Value>,
}

impl Plan {
    /// How many objects the plan imports.
    pub fn imports(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.import_id.is_some())
            .count()
    }

    /// Counts as Terraform does: a replacement is one add and one destroy.
    pub fn counts(&self) -> (usize, usize, usize) {
        let (mut add, mut change, mut destroy) = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => add += 1,
                Action::Update => change += 1,
                Action::Delete => destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    add += 1;
                    destroy += 1;
                }
                // Terraform's summary line counts no forgets; the plan warns of them.
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        (add, change, destroy)
    }

    /// Whether applying the plan would change anything (resources, outputs or, for
    /// a refresh-only plan, state).
    pub fn has_changes(&self) -> bool {
        let res = self.changes.iter().any(|c| {
            !matches!(c.action, Action::NoOp | Action::Read)
                || c.previous_addr.is_some()
                || c.import_id.is_some()
        });
        let outs = self.outputs.iter().any(|o| o.action() != Action::NoOp);
        res || outs || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }
}
