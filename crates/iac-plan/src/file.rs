//! Saved plan files (`iac plan -out=FILE`): the plan, the configuration it was
//! made from, and the variable values, with sensitive values only as fingerprints.

use std::collections::BTreeMap;

use iac_value::addr::InstanceAddr;
use iac_value::{from_json, to_json, Fingerprinter, JsonOptions, Path, PathStep, Value};
use serde_json::{json, Value as Json};

use crate::{Action, Drift, OutputChange, Plan, PlanMode, Reason, ResourceChange};

pub const PLAN_FORMAT: u64 = 1;

#[derive(Clone, Debug, PartialEq)]
pub enum PlanVariable {
    Value(Value),
    /// A sensitive value: it must be supplied again at apply, and must match this fingerprint.
    Sensitive(String),
}

pub struct PlanFile {
    pub plan: Plan,
    /// Configuration files by path relative to the root module directory.
    pub config_files: Vec<(String, String)>,
    pub variables: BTreeMap<String, PlanVariable>,
    pub targets: Vec<String>,
    pub fingerprint_salt: String,
    /// A digest of the prior state's content, so a plan made before an
    /// interrupted apply (same serial, other content) is refused too.
    pub prior_digest: String,
    /// The environment (`-e`) the plan was made for.
    pub environment: Option<String>,
}

#[derive(Debug)]
pub struct PlanFileError(pub String);

impl std::fmt::Display for PlanFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no-op",
        Action::Create => "create",
        Action::Read => "read",
        Action::Update => "update",
        Action::DeleteThenCreate => "delete-then-create",
        Action::CreateThenDelete => "create-then-delete",
        Action::Delete => "delete",
        Action::Forget => "forget",
    }
}

fn action_from(s: &str) -> Option<Action> {
    Some(match s {
        "no-op" => Action::NoOp,
        "create" => Action::Create,
        "read" => Action::Read,
        "update" => Action::Update,
        "delete-then-create" => Action::DeleteThenCreate,
        "create-then-delete" => Action::CreateThenDelete,
        "delete" => Action::Delete,
        "forget" => Action::Forget,
        _ => return None,
    })
}

fn path_json(p: &Path) -> Json {
    Json::Array(
        p.iter()
            .map(|s| match s {
                PathStep::Key(k) => json!(k),
                PathStep::Index(i) => json!(i),
            })
            .collect(),
    )
}

fn path_from(j: &Json) -> Path {
    j.as_array()
        .map(|a| {
            a.iter()
                .map(|s| match s {
                    Json::Number(n) => PathStep::Index(n.as_u64().unwrap_or(0) as usize),
                    other => PathStep::Key(other.as_str().unwrap_or("").to_string()),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn reason_json(r: &Reason) -> Json {
    let paths = |p: &[Path]| Json::Array(p.iter().map(path_json).collect());
    match r {
        Reason::ReplaceBecause(p) => json!({"kind": "replace_because", "paths": paths(p)}),
        Reason::UpdateBecause(p) => json!({"kind": "update_because", "paths": paths(p)}),
        Reason::ReplaceTriggeredBy(s) => json!({"kind": "replace_triggered_by", "by": s}),
        Reason::RemovedNotDestroyed => json!({"kind": "forget_because_removed_block"}),
        other => json!({"kind": other.code().unwrap_or("none")}),
    }
}

fn reason_from(j: &Json) -> Reason {
    let paths = || {
        j.get("paths")
            .and_then(Json::as_array)
            .map(|a| a.iter().map(path_from).collect())
            .unwrap_or_default()
    };
    match j.get("kind").and_then(Json::as_str).unwrap_or("none") {
        "replace_because" => Reason::ReplaceBecause(paths()),
        "update_because" => Reason::UpdateBecause(paths()),
        "replace_triggered_by" => {
            Reason::ReplaceTriggeredBy(j.get("by").and_then(Json::as_str).unwrap_or("").into())
        }
        "not_in_state" => Reason::NotInState,
        "replace_by_request" => Reason::ReplaceByRequest,
        "replace_because_tainted" => Reason::Tainted,
        "delete_because_no_resource_config" => Reason::RemovedFromConfig,
        "forget_because_removed_block" => Reason::RemovedNotDestroyed,
        "delete_because_count_index" => Reason::CountIndexOutOfRange,
        "delete_because_each_key" => Reason::EachKeyNotInForEach,
        "delete_because_wrong_repetition" => Reason::WrongRepetition,
        "delete_because_destroy" => Reason::DestroyRequested,
        "delete_because_deposed" => Reason::DeposedObject,
        "read_because_config_unknown" => Reason::ReadDeferred,
        "read_because_check_nested" => Reason::ReadForCheck,
        _ => Reason::None,
    }
}

impl PlanFile {
    pub fn to_json(&self) -> Json {
        let fp = Fingerprinter::new(self.fingerprint_salt.clone());
        let opts = JsonOptions::Fingerprint(&fp);
        let v = |x: &Option<Value>| x.as_ref().map(|x| to_json(x, &opts));
        let changes: Vec<Json> = self
            .plan
            .changes
            .iter()
            .map(|c| {
                json!({
                    "address": c.addr.to_string(),
                    "deposed": c.deposed,
                    "previous_address": c.previous_addr.as_ref().map(|a| a.to_string()),
                    "import_id": c.import_id,
                    "provider": c.provider,
                    "action": action_name(c.action),
                    "reason": reason_json(&c.reason),
                    "before": v(&c.before),
                    "after": v(&c.after),
                    "requires_replace": c.requires_replace.iter().map(path_json).collect::<Vec<_>>(),
                    "notes": c.notes,
                    "dependencies": c.dependencies,
                    "create_before_destroy": c.create_before_destroy,
                })
            })
            .collect();
        let outputs: Vec<Json> = self
            .plan
            .outputs
            .iter()
            .map(|o| {
                let mark = |x: &Option<Value>| x.clone().map(|x| x.mark_if(o.sensitive));
                json!({"name": o.name, "before": v(&mark(&o.before)), "after": v(&mark(&o.after)), "sensitive": o.sensitive})
            })
            .collect();
        let drift: Vec<Json> = self
            .plan
            .drift
            .iter()
            .map(|d| json!({"address": d.addr.to_string(), "before": to_json(&d.before, &opts), "after": v(&d.after)}))
            .collect();
        let variables: serde_json::Map<String, Json> = self
            .variables
            .iter()
            .map(|(k, pv)| {
                (
                    k.clone(),
                    match pv {
                        PlanVariable::Value(x) => json!({"value": to_json(x, &opts)}),
                        PlanVariable::Sensitive(f) => json!({"sensitive_fingerprint": f}),
                    },
                )
            })
            .collect();
        json!({
            "iac_plan_format": PLAN_FORMAT,
            "iac_version": env!("CARGO_PKG_VERSION"),
            "mode": match self.plan.mode { PlanMode::Normal => "normal", PlanMode::Destroy => "destroy", PlanMode::RefreshOnly => "refresh-only" },
            "prior_lineage": self.plan.prior_lineage,
            "prior_serial": self.plan.prior_serial,
            "fingerprint_salt": self.fingerprint_salt,
            "prior_digest": self.prior_digest,
            "environment": self.environment,
            "targets": self.targets,
            "variables": variables,
            "resource_changes": changes,
            "output_changes": outputs,
            "drift": drift,
            "data": self.plan.data.iter().map(|(a, v)| json!({"address": a.to_string(), "value": to_json(v, &opts)})).collect::<Vec<_>>(),
            "configuration": self.config_files.iter().map(|(p, t)| json!({"path": p, "text": t})).collect::<Vec<_>>(),
        })
    }

    pub fn from_json(j: &Json) -> Result<PlanFile, PlanFileError> {
        let bad = |m: &str| PlanFileError(format!("not a valid iac plan file: {m}"));
        match j.get("iac_plan_format").and_then(Json::as_u64) {
            Some(PLAN_FORMAT) => {}
            Some(n) => {
                return Err(PlanFileError(format!(
                    "plan file format {n} is not supported by this iac (it reads {PLAN_FORMAT})"
                )))
            }
            None => return Err(bad("missing iac_plan_format")),
        }
        let s = |k: &str| j.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let opt_v = |x: Option<&Json>| match x {
            None | Some(Json::Null) => None,
            Some(x) => Some(from_json(x)),
        };
        let mut changes = Vec::new();
        for c in j
            .get("resource_changes")
            .and_then(Json::as_array)
            .ok_or_else(|| bad("no resource_changes"))?
        {
            let addr: InstanceAddr = c
                .get("address")
                .and_then(Json::as_str)
                .ok_or_else(|| bad("a change has no address"))?
                .parse()
                .map_err(|e| bad(&format!("{e}")))?;
            changes.push(ResourceChange {
                addr,
                deposed: c.get("deposed").and_then(Json::as_str).map(String::from),
                previous_addr: c
                    .get("previous_address")
                    .and_then(Json::as_str)
                    .and_then(|a| a.parse().ok())
                    .map(Box::new),
                import_id: c.get("import_id").and_then(Json::as_str).map(String::from),
                provider: c
                    .get("provider")
                    .and_then(Json::as_str)
                    .unwrap_or("builtin")
                    .to_string(),
                action: action_from(c.get("action").and_then(Json::as_str).unwrap_or(""))
                    .ok_or_else(|| bad("unknown action"))?,
                reason: reason_from(c.get("reason").unwrap_or(&Json::Null)),
                before: opt_v(c.get("before")),
                after: opt_v(c.get("after")),
                notes: c
                    .get("notes")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|d| d.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                requires_replace: c
                    .get("requires_replace")
                    .and_then(Json::as_array)
                    .map(|a| a.iter().map(path_from).collect())
                    .unwrap_or_default(),
                dependencies: c
                    .get("dependencies")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|d| d.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
                create_before_destroy: c
                    .get("create_before_destroy")
                    .and_then(Json::as_bool)
                    .unwrap_or(false),
            });
        }
        let outputs = j
            .get("output_changes")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .map(|o| OutputChange {
                        name: o
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or("")
                            .to_string(),
                        before: opt_v(o.get("before")),
                        after: opt_v(o.get("after")),
                        sensitive: o.get("sensitive").and_then(Json::as_bool).unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let drift = j
            .get("drift")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| {
                        Some(Drift {
                            addr: d.get("address")?.as_str()?.parse().ok()?,
                            before: from_json(d.get("before")?),
                            after: opt_v(d.get("after")),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut variables = BTreeMap::new();
        if let Some(m) = j.get("variables").and_then(Json::as_object) {
            for (k, v) in m {
                let pv = match v.get("sensitive_fingerprint").and_then(Json::as_str) {
                    Some(f) => PlanVariable::Sensitive(f.to_string()),
                    None => PlanVariable::Value(from_json(v.get("value").unwrap_or(&Json::Null))),
                };
                variables.insert(k.clone(), pv);
            }
        }
        let config_files = j
            .get("configuration")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        Some((
                            f.get("path")?.as_str()?.to_string(),
                            f.get("text")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mode = match s("mode").as_str() {
            "destroy" => PlanMode::Destroy,
            "refresh-only" => PlanMode::RefreshOnly,
            _ => PlanMode::Normal,
        };
        Ok(PlanFile {
            plan: Plan {
                mode,
                changes,
                outputs,
                drift,
                prior_lineage: s("prior_lineage"),
                prior_serial: j.get("prior_serial").and_then(Json::as_u64).unwrap_or(0),
                errored: false,
                data: j
                    .get("data")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|d| {
                                Some((
                                    d.get("address")?.as_str()?.parse().ok()?,
                                    from_json(d.get("value")?),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            config_files,
            variables,
            targets: j
                .get("targets")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            fingerprint_salt: s("fingerprint_salt"),
            prior_digest: s("prior_digest"),
            environment: j
                .get("environment")
                .and_then(Json::as_str)
                .map(String::from),
        })
    }
}
