//! `iac state ...`, `iac output`, `iac show`, `iac graph`, `iac fmt`.

use crate::support::Work;

#[test]
fn a_local_state_is_read_from_its_binary_copy_until_the_file_changes() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\n");
    w.apply();
    let debug = [("IAC_LOG", "debug")];
    // A read of the JSON leaves a copy; the next read takes the copy.
    w.iac(&["plan", "-detailed-exitcode"]).ok();
    assert!(w.path().join(".iac/cache/state/iac.tfstate").exists());
    let second = w.iac_env(&["plan", "-detailed-exitcode"], &debug).ok();
    let copy = w.path().join(".iac/cache/state/iac.tfstate");
    assert!(
        second
            .stderr
            .contains(&format!("read from its binary copy {}", copy.display())),
        "{}",
        second.stderr
    );
    // A state edited by hand is read as edited: the copy is of other text.
    let text = w.read("iac.tfstate");
    assert!(text.contains("\"input\": \"x\""), "{text}");
    w.write(
        "iac.tfstate",
        &text.replace("\"input\": \"x\"", "\"input\": \"edited\""),
    );
    let edited = w.iac_env(&["plan", "-detailed-exitcode"], &debug);
    assert_eq!(edited.code, 2, "{}", edited.stderr);
    assert!(
        edited.stdout.contains("\"edited\" -> \"x\""),
        "{}",
        edited.stdout
    );
    assert!(!edited.stderr.contains("binary copy"), "{}", edited.stderr);
    // A copy that is not one (damaged, or from another build) is a miss too.
    w.write(".iac/cache/state/iac.tfstate", "not a copy");
    let damaged = w.iac_env(&["plan", "-detailed-exitcode"], &debug);
    assert_eq!(damaged.code, 2, "{}", damaged.stderr);
    assert!(
        !damaged.stderr.contains("binary copy"),
        "{}",
        damaged.stderr
    );
    let again = w.iac_env(&["plan", "-detailed-exitcode"], &debug);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("binary copy"), "{}", again.stderr);
}

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
    assert_eq!(lines.next(), Some("Terraform language 1.11.4"));
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
    assert_eq!(j["terraform_version"], "1.11.4");
}

/// `required_version` is checked against the Terraform language iac
/// implements; `required_providers` names only providers iac has.
#[test]
fn required_version_and_required_providers() {
    let tf = |version: &str, providers: &str| {
        format!("terraform {{\n  required_version = \"{version}\"\n  required_providers {{\n{providers}  }}\n}}\n")
    };
    let ours = "    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n    random = {\n      source = \"registry.terraform.io/hashicorp/random\"\n    }\n    null = \"~> 3.0\"\n";
    let w = Work::new(&tf(">= 1.5, < 2.0", ours));
    w.iac(&["validate"]).ok();
    w.write("main.tf", &tf("< 1.0", ours));
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("error[E0135]: Unsupported Terraform version"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("requires Terraform < 1.0"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Terraform 1.11.4"), "{}", r.stderr);
    w.write(
        "main.tf",
        &tf(
            "~> 1.11.0",
            "    google = {\n      source = \"hashicorp/google\"\n    }\n    aws = {\n      source = \"someone/aws\"\n    }\n",
        ),
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("iac has no provider \"google\" (hashicorp/google)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("iac has no provider \"aws\" (someone/aws)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the providers iac has are aws, random, null, local, terraform"),
        "{}",
        r.stderr
    );
}

/// Module calls with `count` and `for_each` through the binary: instance
/// addresses in plans and state, outputs as a list and a map, `-target` of one
/// module instance, `state list`/`mv`/`rm` of module instances.
#[test]
fn module_instances_in_plans_targets_and_state_commands() {
    let main = |names: &str| {
        format!(
            "module \"web\" {{\n  source = \"./web\"\n  count  = 2\n  name   = \"web-${{count.index}}\"\n}}\n\
             module \"site\" {{\n  source   = \"./web\"\n  for_each = {{ {names} }}\n  name     = each.value\n}}\n\
             output \"web\" {{\n  value = module.web[*].name\n}}\n\
             output \"site\" {{\n  value = {{ for k, s in module.site : k => s.name }}\n}}\n"
        )
    };
    let w = Work::new(&main("a = \"alpha\", b = \"beta\""));
    w.write(
        "web/main.tf",
        "variable \"name\" {}\nresource \"terraform_data\" \"x\" {\n  input = var.name\n}\noutput \"name\" {\n  value = terraform_data.x.output\n}\n",
    );
    let r = w.iac(&["plan"]).ok();
    for a in [
        "module.web[0].terraform_data.x will be created",
        "module.web[1].terraform_data.x will be created",
        "module.site[\"a\"].terraform_data.x will be created",
        "module.site[\"b\"].terraform_data.x will be created",
    ] {
        assert!(r.stdout.contains(a), "{a}: {}", r.stdout);
    }
    w.apply();
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(out["web"]["value"], serde_json::json!(["web-0", "web-1"]));
    assert_eq!(
        out["site"]["value"],
        serde_json::json!({"a": "alpha", "b": "beta"})
    );
    let r = w.iac(&["state", "list", "module.site"]).ok();
    assert_eq!(
        r.stdout,
        "module.site[\"a\"].terraform_data.x\nmodule.site[\"b\"].terraform_data.x\n"
    );

    // One instance targeted: only it changes.
    w.write("main.tf", &main("a = \"ALPHA\", b = \"BETA\""));
    let r = w
        .iac(&["apply", "-auto-approve", "-target=module.site[\"a\"]"])
        .ok();
    assert!(r.stdout.contains("0 added, 1 changed"), "{}", r.stdout);
    let attrs = |a: &str| w.attrs(a)["input"].clone();
    assert_eq!(attrs("module.site[\"a\"].terraform_data.x"), "ALPHA");
    assert_eq!(attrs("module.site[\"b\"].terraform_data.x"), "beta");

    // A call renamed in state keeps every instance's key.
    w.iac(&["state", "mv", "module.site", "module.place"]).ok();
    let r = w.iac(&["state", "list", "module.place"]).ok();
    assert_eq!(
        r.stdout,
        "module.place[\"a\"].terraform_data.x\nmodule.place[\"b\"].terraform_data.x\n"
    );
    w.iac(&["state", "mv", "module.place", "module.site"]).ok();
    w.iac(&["state", "rm", "module.web[1]"]).ok();
    assert!(!w
        .addresses()
        .contains(&"module.web[1].terraform_data.x".to_string()));
    assert!(w
        .addresses()
        .contains(&"module.web[0].terraform_data.x".to_string()));
    // The whole configuration again: web[1] is created anew, b updated.
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("1 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    w.iac(&["plan", "-detailed-exitcode"]).code(0);
}

/// `iac console` with piped input: each line evaluated against the
/// configuration and state (resources as state holds them), secrets hidden,
/// errors with their place, exit 1 when any line failed.
#[test]
fn console_evaluates_piped_expressions_against_state() {
    use std::io::Write;
    let w = Work::new(
        "variable \"env\" {\n  default = \"dev\"\n}\nvariable \"secret\" {\n  default   = \"hunter2\"\n  sensitive = true\n}\nlocals {\n  names = [for i in range(2) : \"${var.env}-${i}\"]\n}\nresource \"terraform_data\" \"a\" {\n  count = 2\n  input = local.names[count.index]\n}\n",
    );
    w.apply();
    let run = |input: &str, args: &[&str]| {
        let mut c = w.command(&[&["console"], args].concat());
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().expect("iac console");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        crate::support::Run::from(child.wait_with_output().unwrap())
    };
    let r = run(
        "local.names\nterraform_data.a[1].output\nlength(terraform_data.a)\nvar.secret\nupper(var.env)\n",
        &["-var", "env=prod"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout, "[\n  \"prod-0\",\n  \"prod-1\",\n]\n\"dev-1\"\n2\n(sensitive value)\n\"PROD\"\n",
        "resources as state holds them (applied with env = dev), locals from -var"
    );
    assert!(!r.stdout.contains("hunter2"));
    // Objects and multi-line strings as `terraform console` writes them.
    let r = run("{a = 1, bb = [true], f = \"x\\ny\\n\"}\n\"x\\ny\"\n", &[]);
    assert_eq!(
        r.stdout,
        "{\n  \"a\" = 1\n  \"bb\" = [\n    true,\n  ]\n  \"f\" = <<-EOT\n  x\n  y\n  \n  EOT\n}\n<<EOT\nx\ny\nEOT\n",
        "{}",
        r.stderr
    );
    let r = run("nope.x\n1 +\n", &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("<console-input>:1:1"), "{}", r.stderr);
    assert!(r.stderr.contains("Invalid HCL syntax"), "{}", r.stderr);
    // Nothing was changed or locked.
    assert_eq!(w.state()["serial"], 1);
}

/// Commands leave no lock file behind: the local lock's file goes when the lock
/// is released (as Terraform's `.terraform.tfstate.lock.info` does).
#[test]
fn no_lock_file_is_left_behind() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n}\n");
    for args in [
        &["plan"][..],
        &["apply", "-auto-approve"],
        &["plan", "-detailed-exitcode"],
        &["state", "list"],
        &["show"],
        &["output"],
        &["console"],
    ] {
        let _ = w.iac(args);
        assert!(
            !w.path().join("iac.tfstate.lock").exists(),
            "{args:?} left iac.tfstate.lock"
        );
    }
}
