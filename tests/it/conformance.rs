//! The plan conformance suite: every scenario under `tests/conformance/plans/`
//! (a `script` of `plan N [flags]` / `apply N [flags]` steps over configurations
//! `N/`) run through the `iac` binary and compared, step by step, with what
//! Terraform 1.11.4 did (`tests/conformance/plans.json`, written by
//! `scripts/conformance-golden.py plans` where Terraform is installed): whether
//! the step succeeded, the resource changes (address, actions, moved from), the
//! output changes, and the outputs after an apply.
//!
//! Scenarios that differ today are listed, each under its reason, in
//! `plan_differences.txt`; the test fails when a listed one matches or an
//! unlisted one differs. `UPDATE_EXPECT=1` rewrites the list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

use crate::support::{Run, Work};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

/// Makes `work` hold configuration `src`; iac's state and working files stay.
fn use_config(work: &Path, src: &Path) {
    for e in std::fs::read_dir(work).expect("read work").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name == ".iac" || name.starts_with("iac.tfstate") {
            continue;
        }
        let p = e.path();
        if p.is_dir() {
            std::fs::remove_dir_all(&p).expect("rm dir");
        } else {
            std::fs::remove_file(&p).expect("rm");
        }
    }
    copy_dir(src, work);
}

fn copy_dir(src: &Path, dst: &Path) {
    for e in std::fs::read_dir(src).expect("read config").flatten() {
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// What a plan document says will change, as `plans.json` writes it.
fn summary(doc: &Json) -> (Vec<String>, Vec<String>) {
    let mut changes: Vec<String> = doc["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let actions: Vec<&str> = c["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(Json::as_str)
                .collect();
            let prev = c["previous_address"].as_str();
            if actions == ["no-op"] && prev.is_none() {
                return None;
            }
            let mut line = format!("{} {}", c["address"].as_str()?, actions.join(","));
            if let Some(p) = prev {
                line.push_str(&format!(" <- {p}"));
            }
            Some(line)
        })
        .collect();
    changes.sort();
    let outputs = doc["output_changes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, o)| {
            let actions: Vec<&str> = o["actions"]
                .as_array()?
                .iter()
                .filter_map(Json::as_str)
                .collect();
            (actions != ["no-op"]).then(|| format!("{name} {}", actions.join(",")))
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    (changes, outputs)
}

/// One scenario under iac: each step as `plans.json` records Terraform's.
fn run_scenario(name: &str) -> Vec<Json> {
    let src = dir().join("plans").join(name);
    let w = Work::new("");
    let script = std::fs::read_to_string(src.join("script")).expect("script");
    let mut steps = Vec::new();
    for line in script.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let (verb, n, flags) = (words[0], words[1], &words[2..]);
        use_config(w.path(), &src.join(n));
        let mut args = vec!["plan", "-input=false", "-out=p.plan"];
        args.extend(flags);
        let r: Run = w.iac(&args);
        let mut step = json!({"step": line, "ok": r.code == 0});
        if r.code == 0 {
            let doc: Json = serde_json::from_str(&w.iac(&["show", "-json", "p.plan"]).stdout)
                .unwrap_or(Json::Null);
            let (changes, outputs) = summary(&doc);
            step["changes"] = json!(changes);
            step["outputs"] = json!(outputs);
            if verb == "apply" {
                let a = w.iac(&["apply", "-input=false", "p.plan"]);
                step["ok"] = json!(a.code == 0);
                let out: Json =
                    serde_json::from_str(&w.iac(&["output", "-json"]).stdout).unwrap_or(json!({}));
                let values: BTreeMap<String, Json> = out
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        let shown = if v["sensitive"] == json!(true) {
                            json!("(sensitive)")
                        } else {
                            v["value"].clone()
                        };
                        (k.clone(), shown)
                    })
                    .collect();
                step["values"] = json!(values);
            }
        }
        steps.push(step);
    }
    steps
}

/// Steps equal as far as the suite compares them: success, and when both
/// succeeded, the changes and the outputs.
fn same_step(tf: &Json, iac: &Json) -> bool {
    if tf["ok"] != iac["ok"] {
        return false;
    }
    tf["ok"] == json!(false)
        || ["changes", "outputs", "values"]
            .iter()
            .all(|k| tf.get(*k).unwrap_or(&Json::Null) == iac.get(*k).unwrap_or(&Json::Null))
}

#[test]
fn plans_as_terraform_makes_them() {
    let golden: BTreeMap<String, Vec<Json>> = serde_json::from_str(
        &std::fs::read_to_string(dir().join("plans.json")).expect("plans.json"),
    )
    .expect("plans.json is JSON");
    let names: Vec<String> = std::fs::read_dir(dir().join("plans"))
        .expect("plans")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        names,
        golden.keys().cloned().collect::<Vec<_>>(),
        "plans.json is not of tests/conformance/plans: run scripts/conformance-golden.py plans"
    );
    // Two threads: each scenario is a few runs of the binary.
    let half = names.len().div_ceil(2);
    let results: Vec<(String, Vec<Json>)> = std::thread::scope(|s| {
        let parts: Vec<_> = names
            .chunks(half)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|n| (n.clone(), run_scenario(n)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().expect("scenario thread"))
            .collect()
    });
    let mut differing: Vec<(String, String)> = Vec::new();
    for (name, steps) in &results {
        let tf = &golden[name];
        let bad = tf.len() != steps.len() || tf.iter().zip(steps).any(|(a, b)| !same_step(a, b));
        if bad {
            let detail = tf
                .iter()
                .zip(steps)
                .filter(|(a, b)| !same_step(a, b))
                .map(|(a, b)| format!("    terraform {a}\n    iac       {b}"))
                .collect::<Vec<_>>()
                .join("\n");
            differing.push((name.clone(), detail));
        }
    }
    println!(
        "conformance: {} of {} plan scenarios identical to Terraform 1.11.4",
        names.len() - differing.len(),
        names.len()
    );
    let known_path = dir().join("plan_differences.txt");
    let known_text = std::fs::read_to_string(&known_path).unwrap_or_default();
    let known: BTreeSet<&str> = known_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    let now: BTreeSet<&str> = differing.iter().map(|(n, _)| n.as_str()).collect();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let mut out: Vec<String> = known_text
            .lines()
            .filter(|l| l.trim().is_empty() || l.starts_with('#') || now.contains(l))
            .map(String::from)
            .collect();
        let new: Vec<&String> = differing
            .iter()
            .map(|(n, _)| n)
            .filter(|n| !known.contains(n.as_str()))
            .collect();
        if !new.is_empty() {
            out.push(String::new());
            out.push("# Not yet sorted under a reason".into());
            out.extend(new.into_iter().cloned());
        }
        std::fs::write(&known_path, out.join("\n") + "\n").expect("write plan_differences.txt");
        return;
    }
    let new: Vec<String> = differing
        .iter()
        .filter(|(n, _)| !known.contains(n.as_str()))
        .map(|(n, d)| format!("  {n}\n{d}"))
        .collect();
    let fixed: Vec<&&str> = known.iter().filter(|n| !now.contains(**n)).collect();
    assert!(
        new.is_empty() && fixed.is_empty(),
        "scenarios that differ from Terraform and are not in plan_differences.txt:\n{}\n\
         scenarios in plan_differences.txt that no longer differ: {fixed:?}\n\
         (UPDATE_EXPECT=1 rewrites the list)",
        new.join("\n")
    );
}
