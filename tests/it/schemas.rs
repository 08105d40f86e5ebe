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

pub fn schema(name: &str) -> Json {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[track_caller]
pub fn assert_valid(schema: &Json, doc: &Json) {
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
        &serde_json::json!({"iac_state": 1, "serial": -1}),
        "$",
        &mut errs,
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("missing required \"lineage\"")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|e| e.contains("expected 2")), "{errs:?}");
}

/// Every resource type and data source has its schema under `schemas/`, and
/// the files match the code (`UPDATE_EXPECT=1` rewrites them).
#[test]
fn resource_schemas_are_exported_and_current() {
    let w = Work::new("");
    let r = w.iac(&["providers", "schema", "-json"]).ok();
    let all: Json = serde_json::from_str(&r.stdout).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let mut expected_files = Vec::new();
    for (provider, ps) in all["providers"].as_object().unwrap() {
        for (kind, dir) in [("resources", "resources"), ("data_sources", "data-sources")] {
            for (ty, schema) in ps[kind].as_object().unwrap() {
                let rel = format!("{dir}/{ty}.json");
                let doc = serde_json::json!({"provider": provider, "type": ty, "kind": kind, "schema": schema});
                let text = format!("{}\n", serde_json::to_string_pretty(&doc).unwrap());
                let path = root.join(&rel);
                if std::env::var_os("UPDATE_EXPECT").is_some() {
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(&path, &text).unwrap();
                }
                let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
                assert_eq!(
                    on_disk, text,
                    "schemas/{rel} is out of date; run the tests with UPDATE_EXPECT=1"
                );
                expected_files.push(rel);
            }
        }
    }
    for dir in ["resources", "data-sources"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let name = format!("{dir}/{}", e.unwrap().file_name().to_string_lossy());
            assert!(
                expected_files.contains(&name),
                "schemas/{name} has no resource type any more"
            );
        }
    }
    assert!(expected_files.contains(&"resources/aws_instance.json".to_string()));
}

/// Every argument, block and attribute Terraform's AWS provider (5.100.0) has
/// for an AWS type iac has is either offered by iac or named as not supported,
/// with why (E0221): nothing a Terraform configuration says is silently dropped.
/// The names come from `terraform providers schema -json`
/// (testdata/terraform/aws_names.json, regenerated by scripts/terraform-golden.sh).
#[test]
fn every_terraform_argument_is_offered_or_refused_with_a_reason() {
    let w = Work::new("");
    let r = w.iac(&["providers", "schema", "-json"]).ok();
    let all: Json = serde_json::from_str(&r.stdout).unwrap();
    let aws = &all["providers"]["aws"];
    let names: Json =
        serde_json::from_str(include_str!("testdata/terraform/aws_names.json")).unwrap();
    let mut gaps = Vec::new();
    let mut stale = Vec::new();
    for kind in ["resources", "data_sources"] {
        for (ty, tf) in names[kind].as_object().unwrap() {
            check_names(ty, tf, &aws[kind][ty], &mut gaps, &mut stale);
        }
    }
    assert!(
        gaps.is_empty(),
        "{} names Terraform's AWS provider has are neither offered nor refused with a reason:\n{}",
        gaps.len(),
        gaps.join("\n")
    );
    assert!(
        stale.is_empty(),
        "names refused that Terraform does not have, or that iac offers after all:\n{}",
        stale.join("\n")
    );
}

/// One block of a type (the type itself at the top, `aws_instance.root_block_device`
/// below): every name Terraform's provider has in it is offered or refused with
/// a reason, every name refused is one Terraform has (or the provider 6's), and
/// each nested block iac offers is checked the same way.
fn check_names(at: &str, tf: &Json, ours: &Json, gaps: &mut Vec<String>, stale: &mut Vec<String>) {
    let empty = serde_json::Map::new();
    let attrs = ours["attributes"].as_object().unwrap_or(&empty);
    let blocks = ours["blocks"].as_object().unwrap_or(&empty);
    let refused = ours["not_supported"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // `id` and `tags_all` are optional in the plugin SDK's schemas, and
    // set by no configuration; iac has them as computed attributes.
    let offered = |n: &str, argument: bool| {
        attrs.get(n).is_some_and(|a| {
            !argument
                || a["optional"] == true
                || a["required"] == true
                || n == "id"
                || n == "tags_all"
        }) || blocks.contains_key(n)
    };
    for (list, argument) in [("arguments", true), ("computed", false)] {
        for n in tf[list].as_array().unwrap() {
            let n = n.as_str().unwrap();
            if !offered(n, argument) && !refused.contains_key(n) {
                gaps.push(format!("{at}.{n}"));
            }
        }
    }
    let known: Vec<&str> = ["arguments", "computed"]
        .iter()
        .flat_map(|l| {
            tf[*l]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap())
        })
        .collect();
    for (n, why) in &refused {
        assert!(
            !why.as_str().unwrap().is_empty(),
            "{at}.{n}: no reason given"
        );
        // The AWS provider 6's own names (not in 5.100.0's schema).
        let later = why.as_str().unwrap().starts_with("AWS provider 6");
        if (!known.contains(&n.as_str()) && !later) || offered(n, true) {
            stale.push(format!("{at}.{n}"));
        }
    }
    if let Some(nested) = tf["blocks"].as_object() {
        for (n, sub) in nested {
            if let Some(b) = blocks.get(n) {
                check_names(&format!("{at}.{n}"), sub, &b["block"], gaps, stale);
            }
        }
    }
}
