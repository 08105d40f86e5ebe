//! The expression conformance suite: every case of
//! `tests/conformance/expressions.txt` evaluated by iac and compared with what
//! Terraform 1.11.4 gave for it (`expressions.json`, written by
//! `scripts/conformance-golden.py` where Terraform is installed). A case is
//! identical when both give the same value, or both an error.
//!
//! Cases that differ today are listed, with why, in `known_differences.txt`: the
//! test fails when a case differs that is not listed, and when a listed case no
//! longer differs (so the list only shrinks by being fixed). `UPDATE_EXPECT=1`
//! rewrites the list: fixed cases leave it, new ones are added at its end.

use std::collections::BTreeSet;
use std::path::PathBuf;

use iac_config::{EmptyNamespace, EvalContext};
use iac_diagnostics::FileId;
use iac_value::{to_json, JsonOptions, Number};
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

#[derive(serde::Deserialize)]
struct Golden {
    expr: String,
    /// The value as JSON text, as Terraform wrote it (absent for an error).
    json: Option<String>,
    error: Option<String>,
}

/// What iac gives for one expression: its value as JSON, or why it failed.
fn evaluate(expr: &str) -> Result<Json, String> {
    let e = iac_syntax::parse_expression(FileId(0), expr).map_err(|d| d.message)?;
    let here = dir();
    let mut ctx = EvalContext::new(&EmptyNamespace, here.clone(), here);
    let v = ctx.eval(&e).map_err(|d| d.message)?;
    // As outputs have it: a secret in an output not marked sensitive is an error.
    if v.contains_sensitive() {
        return Err("Output refers to sensitive values".into());
    }
    if !v.is_wholly_known() {
        return Err("not known after evaluation".into());
    }
    Ok(to_json(&v, &JsonOptions::Omit))
}

/// JSON values equal as values: numbers by their exact value, every digit
/// (an integer written as `3` equals one written as `3.0`), everything else
/// exactly.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            match (Number::parse(x.as_str()), Number::parse(y.as_str())) {
                (Some(p), Some(q)) => p.compare(&q).is_eq(),
                _ => x == y,
            }
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The cases that differ, each with what Terraform and iac gave.
fn differing(cases: &[Golden]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in cases {
        let got = evaluate(&c.expr);
        let expected: Result<Option<Json>, &str> = match (&c.json, &c.error) {
            (Some(j), _) => Ok(serde_json::from_str(j).ok()),
            (None, Some(e)) => Err(e),
            (None, None) => panic!("{}: neither a value nor an error", c.expr),
        };
        let ok = match (&expected, &got) {
            (Err(_), Err(_)) => true,
            (Ok(Some(e)), Ok(g)) => same(e, g),
            _ => false,
        };
        if !ok {
            let show = |r: Result<String, String>| match r {
                Ok(v) => v,
                Err(e) => format!("error: {e}"),
            };
            let tf = match (&c.json, &c.error) {
                (Some(j), _) => j.clone(),
                (_, Some(e)) => format!("error: {e}"),
                _ => String::new(),
            };
            let iac = show(got.map(|g| g.to_string()));
            out.push((c.expr.clone(), format!("terraform {tf} | iac {iac}")));
        }
    }
    out
}

#[test]
fn expressions_as_terraform_evaluates_them() {
    let text = std::fs::read_to_string(dir().join("expressions.json")).expect("expressions.json");
    let cases: Vec<Golden> = serde_json::from_str(&text).expect("expressions.json is JSON");
    let listed: Vec<String> = std::fs::read_to_string(dir().join("expressions.txt"))
        .expect("expressions.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let golden: Vec<&str> = cases.iter().map(|c| c.expr.as_str()).collect();
    assert_eq!(
        listed, golden,
        "expressions.json is not of expressions.txt: run scripts/conformance-golden.py"
    );
    let diff = differing(&cases);
    let known_path = dir().join("known_differences.txt");
    let known_text = std::fs::read_to_string(&known_path).unwrap_or_default();
    let known: BTreeSet<&str> = known_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let now: BTreeSet<&str> = diff.iter().map(|(e, _)| e.as_str()).collect();
    println!(
        "conformance: {} of {} expressions identical to Terraform 1.11.4 ({} known differences)",
        cases.len() - diff.len(),
        cases.len(),
        diff.len()
    );
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let mut out: Vec<String> = known_text
            .lines()
            .filter(|l| l.trim().is_empty() || l.starts_with('#') || now.contains(l))
            .map(String::from)
            .collect();
        let new: Vec<&(String, String)> = diff
            .iter()
            .filter(|(e, _)| !known.contains(e.as_str()))
            .collect();
        if !new.is_empty() {
            out.push(String::new());
            out.push("# Not yet sorted under a reason".into());
            out.extend(new.iter().map(|(e, _)| e.clone()));
        }
        std::fs::write(&known_path, out.join("\n") + "\n").expect("write known_differences.txt");
        return;
    }
    let new: Vec<String> = diff
        .iter()
        .filter(|(e, _)| !known.contains(e.as_str()))
        .map(|(e, why)| format!("  {e}\n      {why}"))
        .collect();
    let fixed: Vec<&&str> = known.iter().filter(|e| !now.contains(**e)).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "cases that differ from Terraform and are not in known_differences.txt:\n{}\n\
         cases in known_differences.txt that no longer differ (or are not cases): {fixed:?}\n\
         (UPDATE_EXPECT=1 rewrites the list)",
        new.join("\n")
    );
}
