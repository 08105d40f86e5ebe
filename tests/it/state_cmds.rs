//! `iac state ...`, `iac output`, `iac show`, `iac graph`, `iac fmt`.

use crate::support::Work;

#[test]
fn state_list_show_mv_rm_pull_push() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\nresource \"terraform_data\" \"b\" {\n  count = 2\n}\n");
    w.apply();
    let r = w.iac(&["state", "list"]).ok();
    assert_eq!(
        r.stdout,
        "terraform_data.a\nterraform_data.b[0]\nterraform_data.b[1]\n"
    );
    let r = w.iac(&["state", "list", "terraform_data.b"]).ok();
    assert_eq!(r.stdout.lines().count(), 2);
    let r = w.iac(&["state", "show", "terraform_data.a"]).ok();
    assert!(r.stdout.contains("input  = \"x\""), "{}", r.stdout);
    let serial = w.state()["serial"].as_u64().unwrap();
    w.iac(&["state", "mv", "terraform_data.a", "terraform_data.c"])
        .ok();
    assert!(w.addresses().contains(&"terraform_data.c".to_string()));
    assert_eq!(w.state()["serial"].as_u64().unwrap(), serial + 1);
    w.iac(&["state", "rm", "terraform_data.b[1]"]).ok();
    assert_eq!(
        w.addresses(),
        vec!["terraform_data.b[0]", "terraform_data.c"]
    );
    let pulled = w.iac(&["state", "pull"]).ok().stdout;
    w.write("old.json", &pulled);
    w.iac(&["state", "rm", "terraform_data.c"]).ok();
    let r = w.iac(&["state", "push", "old.json"]).code(1);
    assert!(r.stderr.contains("older than the current"), "{}", r.stderr);
    w.iac(&["state", "push", "-force", "old.json"]).ok();
    assert!(w.addresses().contains(&"terraform_data.c".to_string()));
    let r = w.iac(&["state", "show", "nope.x"]).code(1);
    assert!(
        r.stderr.contains("no instance nope.x in state"),
        "{}",
        r.stderr
    );
}

#[test]
fn graph_is_dot() {
    let w = Work::new("resource \"terraform_data\" \"a\" {}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.id\n}\n");
    let r = w.iac(&["graph"]).ok();
    assert!(r.stdout.starts_with("digraph iac {"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("\"terraform_data.b\" -> \"terraform_data.a\";"),
        "{}",
        r.stdout
    );
}

#[test]
fn fmt_check_and_rewrite() {
    let w =
        Work::new("resource \"terraform_data\" \"a\" {\ninput=1\n  triggers_replace   =  2\n}\n");
    let r = w.iac(&["fmt", "-check"]).code(3);
    assert_eq!(r.stdout.trim(), "./main.tf");
    w.iac(&["fmt"]).ok();
    assert_eq!(
        w.read("main.tf"),
        "resource \"terraform_data\" \"a\" {\n  input            = 1\n  triggers_replace = 2\n}\n"
    );
    w.iac(&["fmt", "-check"]).ok();
}

#[test]
fn show_and_outputs() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = { k = \"v\" }\n}\noutput \"o\" { value = terraform_data.a.output }\noutput \"n\" { value = 3 }\n");
    w.apply();
    let r = w.iac(&["show"]).ok();
    assert!(r.stdout.contains("# terraform_data.a:"), "{}", r.stdout);
    let r = w.iac(&["output", "-json"]).ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["o"]["value"]["k"], "v");
    assert_eq!(j["n"]["value"], 3);
    let r = w.iac(&["output", "nn"]).code(1);
    assert!(r.stderr.contains("Did you mean \"n\"?"), "{}", r.stderr);
}

#[test]
fn version_as_terraform_prints_it() {
    let w = Work::new("");
    let r = w.iac(&["version"]).ok();
    let mut lines = r.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(format!("iac v{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert!(
        lines.next().is_some_and(|l| l.starts_with("on linux_")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+ provider aws (built in)"),
        "{}",
        r.stdout
    );
    let j: serde_json::Value =
        serde_json::from_str(&w.iac(&["version", "-json"]).ok().stdout).unwrap();
    assert_eq!(j["iac_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(j["providers"], serde_json::json!(["aws", "builtin"]));
}
