//! Taking over a state Terraform wrote (format 4, Terraform 0.12 and later).
//!
//! Every resource instance, deposed object, dependency, `create_before_destroy`,
//! taint and output is carried over under Terraform's own addresses; the lineage
//! is kept (it is the same history), and where it came from is recorded in
//! `adopted_from`. What iac must not keep is not kept: a plaintext secret (an
//! attribute Terraform lists in `sensitive_attributes`, one iac's schema marks
//! sensitive, a value equal to one of those elsewhere in the same object, a
//! sensitive output) is stored as iac stores every secret, as a salted
//! fingerprint, and named in the report so the user knows what to rotate.

use std::collections::{BTreeMap, BTreeSet};

use iac_value::addr::{InstanceAddr, ResourceMode};
use iac_value::{from_json, Value};
use serde_json::Value as Json;

use crate::{AdoptedFrom, InstanceState, OutputState, ResourceObject, State};

/// What iac knows of a resource type, for carrying its objects over.
pub struct TypeFacts {
    /// The iac provider that serves the type (`aws`, `builtin`).
    pub provider: String,
    /// Its attributes and nested blocks; others are left behind (iac's refresh
    /// reads what it keeps).
    pub attributes: BTreeSet<String>,
    /// Attributes iac's schema marks sensitive.
    pub sensitive: BTreeSet<String>,
    /// Attributes of any type: Terraform stores them as `{"value": .., "type": ..}`.
    pub dynamic: BTreeSet<String>,
}

/// The outcome of taking a Terraform state over.
pub struct Adoption {
    pub state: State,
    /// The Terraform version that wrote it.
    pub terraform_version: String,
    /// Where plaintext secrets were found (`aws_db_instance.main: password`,
    /// `output.db_password`): now fingerprints, and worth rotating.
    pub plaintext: Vec<String>,
    /// Instances of types iac does not have, carried over as they are.
    pub unsupported: Vec<String>,
    /// Per type, the attributes Terraform kept that iac does not.
    pub dropped: BTreeMap<String, BTreeSet<String>>,
}

/// Reads a Terraform state document and converts it; `facts` says what iac knows
/// of a type (`None`: a type iac does not have).
pub fn adopt_terraform(
    text: &[u8],
    facts: &dyn Fn(ResourceMode, &str) -> Option<TypeFacts>,
) -> Result<Adoption, String> {
    let doc: Json =
        serde_json::from_slice(text).map_err(|e| format!("not a JSON document: {e}"))?;
    let format = doc.get("version").and_then(Json::as_u64).unwrap_or(0);
    let terraform_version = str_of(&doc, "terraform_version");
    if format != 4 {
        return Err(match format {
            0..=3 => format!("state format {format} is from Terraform before 0.12; run `terraform apply` once with Terraform 0.12 or later to upgrade it, then adopt it"),
            _ => format!("state format {format} is newer than the Terraform state format iac takes over (4)"),
        });
    }
    let lineage = str_of(&doc, "lineage");
    let serial = doc.get("serial").and_then(Json::as_u64).unwrap_or(0);
    let mut state = State::new();
    if !lineage.is_empty() {
        state.lineage = lineage.clone();
    }
    state.serial = serial;
    state.adopted_from = Some(AdoptedFrom {
        tool: "terraform".into(),
        version: terraform_version.clone(),
        lineage,
        serial,
        at: crate::now_rfc3339(),
    });
    let mut out = Adoption {
        state,
        terraform_version,
        plaintext: Vec::new(),
        unsupported: Vec::new(),
        dropped: BTreeMap::new(),
    };
    if let Some(outputs) = doc.get("outputs").and_then(Json::as_object) {
        for (name, o) in outputs {
            let sensitive = o.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
            let value = from_json(o.get("value").unwrap_or(&Json::Null));
            if sensitive && !value.is_null() {
                out.plaintext.push(format!("output.{name}"));
            }
            let value = if sensitive { value.sensitive() } else { value };
            out.state
                .outputs
                .insert(name.clone(), OutputState { value, sensitive });
        }
    }
    let resources = doc
        .get("resources")
        .and_then(Json::as_array)
        .ok_or("the state has no \"resources\"")?;
    for r in resources {
        adopt_resource(r, facts, &mut out)?;
    }
    Ok(out)
}

/// The root outputs of a Terraform state document (for `terraform_remote_state`):
/// each value, marked sensitive where Terraform says it is.
pub fn terraform_outputs(text: &[u8]) -> Result<BTreeMap<String, Value>, String> {
    let doc: Json =
        serde_json::from_slice(text).map_err(|e| format!("not a JSON document: {e}"))?;
    let mut out = BTreeMap::new();
    for (name, o) in doc
        .get("outputs")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
    {
        let value = from_json(o.get("value").unwrap_or(&Json::Null));
        let sensitive = o.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
        out.insert(
            name.clone(),
            if sensitive { value.sensitive() } else { value },
        );
    }
    Ok(out)
}

fn str_of(j: &Json, key: &str) -> String {
    j.get(key)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

fn adopt_resource(
    r: &Json,
    facts: &dyn Fn(ResourceMode, &str) -> Option<TypeFacts>,
    out: &mut Adoption,
) -> Result<(), String> {
    let mode = match r.get("mode").and_then(Json::as_str) {
        Some("data") => ResourceMode::Data,
        _ => ResourceMode::Managed,
    };
    let ty = str_of(r, "type");
    let name = str_of(r, "name");
    let module = str_of(r, "module");
    let known = facts(mode, &ty);
    let provider = provider_name(&str_of(r, "provider"), known.as_ref());
    let prefix = if module.is_empty() {
        String::new()
    } else {
        format!("{module}.")
    };
    let data = if mode == ResourceMode::Data {
        "data."
    } else {
        ""
    };
    for inst in r
        .get("instances")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let key = match inst.get("index_key") {
            None | Some(Json::Null) => String::new(),
            Some(k @ Json::Number(_)) => format!("[{k}]"),
            Some(k @ Json::String(_)) => format!("[{k}]"),
            Some(other) => {
                return Err(format!(
                    "{prefix}{data}{ty}.{name}: index key {other} is neither a number nor a string"
                ))
            }
        };
        let address = format!("{prefix}{data}{ty}.{name}{key}");
        let addr: InstanceAddr = address
            .parse()
            .map_err(|e| format!("{address}: not an address iac reads: {e}"))?;
        if inst.get("attributes_flat").is_some() && inst.get("attributes").is_none() {
            return Err(format!("{address}: attributes in the flat form of Terraform before 0.12; upgrade the state with Terraform 0.12 or later first"));
        }
        let raw = inst
            .get("attributes")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let mut attrs: BTreeMap<String, Value> = BTreeMap::new();
        // The plugin SDK most of a provider's types are written on cannot store
        // null: an unset string is "", an unset list or map empty. iac keeps null
        // there, so carry such zero values over as null (not for `builtin` types,
        // whose values are the user's own).
        let zero_is_null = known.as_ref().is_some_and(|f| f.provider != "builtin");
        for (k, v) in raw {
            let v = if zero_is_null { null_zeroes(v) } else { v };
            match &known {
                Some(f) if !f.attributes.contains(&k) => {
                    out.dropped.entry(ty.clone()).or_default().insert(k);
                }
                Some(f) if f.dynamic.contains(&k) => {
                    let inner = match &v {
                        Json::Object(o) if o.contains_key("value") && o.contains_key("type") => {
                            o["value"].clone()
                        }
                        other => other.clone(),
                    };
                    attrs.insert(k, from_json(&inner));
                }
                _ => {
                    attrs.insert(k, from_json(&v));
                }
            }
        }
        // Secrets: what Terraform marked, what iac's schema marks, and copies of those.
        let mut secret_attrs: BTreeSet<String> = known
            .as_ref()
            .map(|f| f.sensitive.clone())
            .unwrap_or_default();
        for path in inst
            .get("sensitive_attributes")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(first) = path
                .as_array()
                .and_then(|steps| steps.first())
                .filter(|s| s.get("type").and_then(Json::as_str) == Some("get_attr"))
                .and_then(|s| s.get("value"))
                .and_then(Json::as_str)
            {
                secret_attrs.insert(first.to_string());
            }
        }
        let mut plaintexts: Vec<Value> = Vec::new();
        let mut found: BTreeSet<String> = BTreeSet::new();
        for a in &secret_attrs {
            if let Some(v) = attrs.get_mut(a) {
                if !v.is_null() {
                    collect_leaves(v, &mut plaintexts);
                    found.insert(a.clone());
                    *v = std::mem::replace(v, Value::Null).sensitive();
                }
            }
        }
        if !plaintexts.is_empty() {
            for (k, v) in attrs.iter_mut() {
                if !secret_attrs.contains(k) && mark_copies(v, &plaintexts) {
                    found.insert(k.clone());
                }
            }
        }
        if !found.is_empty() {
            let list: Vec<&str> = found.iter().map(String::as_str).collect();
            out.plaintext
                .push(format!("{address}: {}", list.join(", ")));
        }
        let object = ResourceObject {
            attributes: Value::Map(attrs.into()),
            dependencies: inst
                .get("dependencies")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| d.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            create_before_destroy: inst
                .get("create_before_destroy")
                .and_then(Json::as_bool)
                .unwrap_or(false),
            tainted: inst.get("status").and_then(Json::as_str) == Some("tainted"),
        };
        if known.is_none() && !out.unsupported.contains(&address) {
            out.unsupported.push(address.clone());
        }
        let entry: &mut InstanceState = out.state.resources.entry(addr).or_default();
        entry.provider = provider.clone();
        match inst.get("deposed").and_then(Json::as_str) {
            Some(k) => {
                entry.deposed.insert(k.to_string(), object);
            }
            None => entry.current = Some(object),
        }
    }
    Ok(())
}

/// `provider["registry.terraform.io/hashicorp/aws"].west` -> `aws.west`; the
/// built-in `terraform` provider is iac's `builtin`.
fn provider_name(tf: &str, known: Option<&TypeFacts>) -> String {
    let (source, alias) = match tf.rsplit_once("].") {
        Some((s, a)) => (s, Some(a)),
        None => (tf.trim_end_matches(']'), None),
    };
    let local = source
        .trim_start_matches("provider[")
        .trim_matches('"')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let base = match known {
        Some(f) => f.provider.clone(),
        None if local == "terraform" => "builtin".into(),
        None => local,
    };
    match alias {
        Some(a) => format!("{base}.{a}"),
        None => base,
    }
}

/// `""`, `[]` and `{}` as null, in attributes and in nested blocks' attributes.
fn null_zeroes(v: Json) -> Json {
    match v {
        Json::String(s) if s.is_empty() => Json::Null,
        Json::Array(a) if a.is_empty() => Json::Null,
        Json::Object(o) if o.is_empty() => Json::Null,
        Json::Array(a) => Json::Array(
            a.into_iter()
                .map(|e| match e {
                    Json::Object(_) => null_zeroes(e),
                    other => other,
                })
                .collect(),
        ),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, e)| (k, null_zeroes(e))).collect()),
        other => other,
    }
}

/// The plaintext leaves of a secret (strings and numbers worth matching elsewhere).
fn collect_leaves(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::String(s) if !s.is_empty() => out.push(v.clone()),
        Value::List(items) | Value::Set(items) => items.iter().for_each(|i| collect_leaves(i, out)),
        Value::Map(m) => m.values().for_each(|i| collect_leaves(i, out)),
        _ => {}
    }
}

/// Marks as sensitive every part of `v` equal to one of the secrets; says whether any was.
fn mark_copies(v: &mut Value, secrets: &[Value]) -> bool {
    if secrets.contains(v) {
        *v = std::mem::replace(v, Value::Null).sensitive();
        return true;
    }
    match v {
        Value::List(items) | Value::Set(items) => {
            let mut any = false;
            for i in items {
                any |= mark_copies(i, secrets);
            }
            any
        }
        Value::Map(m) => {
            let mut any = false;
            for i in m.values_mut() {
                any |= mark_copies(i, secrets);
            }
            any
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(_: ResourceMode, ty: &str) -> Option<TypeFacts> {
        (ty == "terraform_data").then(|| TypeFacts {
            provider: "builtin".into(),
            attributes: ["id", "input", "output", "triggers_replace"]
                .map(String::from)
                .into(),
            sensitive: BTreeSet::new(),
            dynamic: ["input", "output", "triggers_replace"]
                .map(String::from)
                .into(),
        })
    }

    #[test]
    fn instances_secrets_and_unknown_types_are_carried_over() {
        let doc = serde_json::json!({
            "version": 4, "terraform_version": "1.11.4", "serial": 7, "lineage": "l-1",
            "outputs": {"pw": {"value": "hunter2", "type": "string", "sensitive": true}},
            "resources": [
                {"module": "module.m", "mode": "managed", "type": "terraform_data", "name": "s",
                 "provider": "provider[\"terraform.io/builtin/terraform\"]",
                 "instances": [{"index_key": "k", "schema_version": 0, "status": "tainted",
                    "attributes": {"id": "x", "input": {"value": "hunter2", "type": "string"},
                                   "output": {"value": "hunter2", "type": "string"}, "triggers_replace": null},
                    "sensitive_attributes": [[{"type": "get_attr", "value": "input"}]],
                    "dependencies": ["module.m.terraform_data.a"], "create_before_destroy": true},
                   {"index_key": "k", "deposed": "00aa", "schema_version": 0,
                    "attributes": {"id": "old", "input": null, "output": null, "triggers_replace": null}}]},
                {"mode": "managed", "type": "google_thing", "name": "g",
                 "provider": "provider[\"registry.terraform.io/hashicorp/google\"].eu",
                 "instances": [{"schema_version": 1, "attributes": {"id": "g1"}}]}
            ]
        });
        let a = adopt_terraform(doc.to_string().as_bytes(), &facts).unwrap();
        assert_eq!(a.state.lineage, "l-1");
        assert_eq!(a.state.adopted_from.as_ref().unwrap().serial, 7);
        let addr: InstanceAddr = "module.m.terraform_data.s[\"k\"]".parse().unwrap();
        let inst = &a.state.resources[&addr];
        let cur = inst.current.as_ref().unwrap();
        assert!(cur.tainted && cur.create_before_destroy);
        assert_eq!(cur.dependencies, vec!["module.m.terraform_data.a"]);
        assert!(cur.attributes.get_attr("input").is_marked());
        assert!(
            cur.attributes.get_attr("output").is_marked(),
            "a copy of the secret"
        );
        assert_eq!(
            inst.deposed["00aa"].attributes.get_attr("id"),
            &Value::string("old")
        );
        assert_eq!(
            a.plaintext,
            vec![
                "output.pw".to_string(),
                "module.m.terraform_data.s[\"k\"]: input, output".to_string()
            ]
        );
        assert_eq!(a.unsupported, vec!["google_thing.g".to_string()]);
        let g: InstanceAddr = "google_thing.g".parse().unwrap();
        assert_eq!(a.state.resources[&g].provider, "google.eu");
        let written = a.state.to_json().to_string();
        assert!(!written.contains("hunter2"), "no plaintext in iac's state");
    }

    #[test]
    fn old_formats_are_refused_with_the_way_forward() {
        let e = adopt_terraform(br#"{"version": 3, "serial": 1, "modules": []}"#, &facts)
            .err()
            .unwrap();
        assert!(e.contains("before 0.12"), "{e}");
    }
}
