//! The plan as JSON for machines (`iac plan -json`, `iac show -json`).
//! Sensitive values are `null` here, with `*_sensitive` saying where they were.

use serde_json::{json, Value as Json};

use iac_value::addr::{InstanceKey, ResourceMode};
use iac_value::{path_to_string, to_json, JsonOptions, Value};

use crate::{Plan, PlanMode};

/// `format_version` of the JSON plan; bumped on incompatible changes.
pub const JSON_FORMAT_VERSION: &str = "1.0";

fn sensitive_mask(v: &Value) -> Json {
    match v {
        Value::Sensitive(_) | Value::Redacted(_) => Json::Bool(true),
        Value::List(items) | Value::Set(items) => {
            Json::Array(items.iter().map(sensitive_mask).collect())
        }
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), sensitive_mask(v)))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

fn unknown_mask(v: &Value) -> Json {
    match v {
        Value::Unknown => Json::Bool(true),
        Value::Sensitive(inner) => unknown_mask(inner),
        Value::List(items) | Value::Set(items) => {
            Json::Array(items.iter().map(unknown_mask).collect())
        }
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), unknown_mask(v)))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

pub fn render_json(plan: &Plan) -> Json {
    let opt = JsonOptions::Omit;
    let changes: Vec<Json> = plan
        .changes
        .iter()
        .map(|c| {
            let mut j = json!({
                "address": c.addr.to_string(),
                "module_address": c.addr.resource.module.iter().map(|m| format!("module.{m}")).collect::<Vec<_>>().join("."),
                "mode": if c.addr.resource.mode == ResourceMode::Data { "data" } else { "managed" },
                "type": c.addr.resource.ty,
                "name": c.addr.resource.name,
                "index": match &c.addr.key { InstanceKey::None => Json::Null, InstanceKey::Int(i) => json!(i), InstanceKey::Str(s) => json!(s) },
                "provider_name": c.provider,
                "change": {
                    "actions": c.action.json_actions(),
                    "before": c.before.as_ref().map(|v| to_json(v, &opt)),
                    "after": c.after.as_ref().map(|v| to_json(v, &opt)),
                    "after_unknown": c.after.as_ref().map(unknown_mask).unwrap_or(json!(false)),
                    "before_sensitive": c.before.as_ref().map(sensitive_mask).unwrap_or(json!(false)),
                    "after_sensitive": c.after.as_ref().map(sensitive_mask).unwrap_or(json!(false)),
                    "replace_paths": c.requires_replace.iter().map(|p| path_to_string(p)).collect::<Vec<_>>(),
                },
                "reason": c.reason.describe(&c.addr),
            });
            if !c.notes.is_empty() {
                j["notes"] = json!(c.notes);
            }
            if let Some(code) = c.reason.code() {
                j["action_reason"] = json!(code);
            }
            if let Some(prev) = &c.previous_addr {
                j["previous_address"] = json!(prev.to_string());
            }
            if let Some(id) = &c.import_id {
                j["change"]["importing"] = json!({"id": id});
            }
            if let Some(d) = &c.deposed {
                j["deposed"] = json!(d);
            }
            j
        })
        .collect();
    let drift: Vec<Json> = plan
        .drift
        .iter()
        .map(|d| {
            json!({
                "address": d.addr.to_string(),
                "change": {
                    "actions": if d.after.is_some() { json!(["update"]) } else { json!(["delete"]) },
                    "before": to_json(&d.before, &opt),
                    "after": d.after.as_ref().map(|v| to_json(v, &opt)),
                }
            })
        })
        .collect();
    let outputs: serde_json::Map<String, Json> = plan
        .outputs
        .iter()
        .map(|o| {
            let hide = |v: &Option<Value>| {
                if o.sensitive {
                    Json::Null
                } else {
                    v.as_ref().map(|v| to_json(v, &opt)).unwrap_or(Json::Null)
                }
            };
            (
                o.name.clone(),
                json!({
                    "actions": o.action().json_actions(),
                    "before": hide(&o.before),
                    "after": hide(&o.after),
                    "after_unknown": o.after.as_ref().is_some_and(Value::is_unknown),
                    "before_sensitive": o.sensitive,
                    "after_sensitive": o.sensitive,
                }),
            )
        })
        .collect();
    let (add, change, destroy) = plan.counts();
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "iac_version": env!("CARGO_PKG_VERSION"),
        "mode": match plan.mode { PlanMode::Normal => "normal", PlanMode::Destroy => "destroy", PlanMode::RefreshOnly => "refresh-only" },
        "errored": plan.errored,
        "prior_state": { "lineage": plan.prior_lineage, "serial": plan.prior_serial },
        "summary": { "import": plan.imports(), "add": add, "change": change, "destroy": destroy, "has_changes": plan.has_changes() },
        "resource_changes": changes,
        "resource_drift": drift,
        "output_changes": outputs,
    })
}
