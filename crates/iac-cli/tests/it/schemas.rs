//! The JSON documents iac writes match the schemas under `schemas/`.

use serde_json::Value as Json;

use crate::support::Work;

/// A small JSON Schema checker for the keywords our schemas use:
/// type, const, enum, required, properties, additionalProperties, items, minimum.
fn check(schema: &Json, v: &Json, path: &str, errs: &mut Vec<String>) {
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Json::String(s) => vec![s.as_str()],
            Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errs.push(format!("{path}: expected {types:?}, got {v}"));
            return;
        }
    }
    if let Some(c) = schema.get("const") {
        if c != v {
            errs.push(format!("{path}: expected {c}, got {v}"));
        }
    }
    if let Some(Json::Array(options)) = schema.get("enum") {
        if !options.contains(v) {
            errs.push(format!("{path}: {v} is not one of {options:?}"));
        }
    }
    if let Some(m) = schema.get("minimum").and_then(Json::as_f64) {
        if v.as_f64().is_some_and(|x| x < m) {
            errs.push(format!("{path}: {v} is below {m}"));
        }
    }
    if let Json::Object(obj) = v {
        if let Some(Json::Array(req)) = schema.get("required") {
            for r in req.iter().filter_map(Json::as_str) {
                if !obj.contains_key(r) {
                    errs.push(format!("{path}: missing required \"{r}\""));
                }
            }
        }
        let props = schema.get("properties").and_then(Json::as_object);
        for (k, val) in obj {
            let sub = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(s, val, &sub, errs),
                None => match schema.get("additionalProperties") {
                    Some(Json::Bool(false)) => {
                        errs.push(format!("{path}: unexpected property \"{k}\""))
                    }
                    Some(s @ Json::Object(_)) => check(s, val, &sub, errs),
                    _ => {}
                },
            }
        }
    }
    if let (Json::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(s, item, &format!("{path}[{i}]"), errs);
        }
    }
}

fn schema(name: &str) -> Json {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[track_caller]
fn assert_valid(schema: &Json, doc: &Json) {
    let mut errs = Vec::new();
    check(schema, doc, "$", &mut errs);
    assert!(errs.is_empty(), "{}\n{doc:#}", errs.join("\n"));
}

const CONFIG: &str = r#"
resource "terraform_data" "a" {
  count = 2
  input = { n = count.index }
}
resource "random_password" "p" {
  length = 10
  lifecycle {
    create_before_destroy = true
  }
}
resource "terraform_data" "m" {
  for_each = toset(["x"])
  input    = random_password.p.result
}
output "o" { value = terraform_data.a[*].id }
output "s" {
  value     = random_password.p.result
  sensitive = true
}
"#;

#[test]
fn state_and_plan_json_match_their_schemas() {
    let w = Work::new(CONFIG);
    let plan = w.iac(&["plan", "-json"]).ok();
    let plan: Json = serde_json::from_str(&plan.stdout).unwrap();
    assert_valid(&schema("plan.schema.json"), &plan);
    w.apply();
    assert_valid(&schema("state.schema.json"), &w.state());
    // A plan with every kind of change.
    w.write(
        "main.tf",
        &CONFIG
            .replace("count = 2", "count = 1")
            .replace("length = 10", "length = 12")
            .replace("n = count.index", "n = count.index + 1"),
    );
    let plan = w.iac(&["plan", "-json"]).ok();
    let plan: Json = serde_json::from_str(&plan.stdout).unwrap();
    assert_valid(&schema("plan.schema.json"), &plan);
    let actions: Vec<String> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["address"].as_str().unwrap(),
                c["change"]["actions"]
            )
        })
        .collect();
    assert!(
        actions.contains(&"terraform_data.a[1]=[\"delete\"]".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"random_password.p=[\"create\",\"delete\"]".to_string()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"terraform_data.a[0]=[\"update\"]".to_string()),
        "{actions:?}"
    );
    // The sensitive output is never in the JSON.
    assert_eq!(plan["output_changes"]["s"]["after"], Json::Null);
    assert_eq!(plan["output_changes"]["s"]["after_sensitive"], true);
}

#[test]
fn checker_rejects_wrong_documents() {
    let s = schema("state.schema.json");
    let mut errs = Vec::new();
    check(
        &s,
        &serde_json::json!({"version": 2, "serial": -1}),
        "$",
        &mut errs,
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("missing required \"lineage\"")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|e| e.contains("expected 1")), "{errs:?}");
}
