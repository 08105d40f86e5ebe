//! Create, update, replace, delete, no-op; count and for_each; moved;
//! prevent_destroy; create_before_destroy; failures mid-apply; interrupts.

use crate::support::Work;

#[test]
fn create_noop_update_replace_delete() {
    let w = Work::new(
        r#"
resource "terraform_data" "a" {
  input = "one"
}
resource "terraform_data" "b" {
  input            = terraform_data.a.output
  triggers_replace = [1]
}
"#,
    );
    let plan = w.iac(&["plan"]).ok();
    assert_eq!(plan.summary(), "Plan: 2 to add, 0 to change, 0 to destroy.");
    w.apply();
    let a_id = w.attrs("terraform_data.a")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(w.attrs("terraform_data.b")["output"], "one");

    // No changes: exit 0 with -detailed-exitcode.
    let r = w.iac(&["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Update in place keeps the id; dependents update too (as Terraform plans it).
    w.write("main.tf", &w.read("main.tf").replace("\"one\"", "\"two\""));
    let r = w.iac(&["plan", "-detailed-exitcode"]).code(2);
    assert_eq!(r.summary(), "Plan: 0 to add, 2 to change, 0 to destroy.");
    assert!(
        r.stdout.contains("~ input  = \"one\" -> \"two\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("(because `input` changed)"),
        "{}",
        r.stdout
    );
    w.apply();
    assert_eq!(w.attrs("terraform_data.a")["id"], a_id.as_str());
    assert_eq!(w.attrs("terraform_data.b")["output"], "two");

    // A change to triggers_replace replaces, and says why.
    let b_id = w.attrs("terraform_data.b")["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.write("main.tf", &w.read("main.tf").replace("[1]", "[2]"));
    let r = w.iac(&["plan"]).ok();
    assert_eq!(r.summary(), "Plan: 1 to add, 0 to change, 1 to destroy.");
    assert!(
        r.stdout.contains("terraform_data.b must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("because `triggers_replace` changed and cannot be updated in place"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("# forces replacement"), "{}", r.stdout);
    w.apply();
    assert_ne!(w.attrs("terraform_data.b")["id"], b_id.as_str());

    // Removing a resource deletes it with its reason.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"two\"\n}\n",
    );
    let r = w.iac(&["plan"]).ok();
    assert_eq!(r.summary(), "Plan: 0 to add, 0 to change, 1 to destroy.");
    assert!(
        r.stdout
            .contains("because terraform_data.b is not in the configuration"),
        "{}",
        r.stdout
    );
    w.apply();
    assert_eq!(w.addresses(), vec!["terraform_data.a"]);

    // Destroy removes everything, outputs included, without evaluating the configuration.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"a\" {\n  input = \"two\"\n}\nlocals {\n  id = terraform_data.a.id\n}\noutput \"o\" {\n  value = local.id\n}\n",
    );
    w.apply();
    let r = w.iac(&["destroy", "-auto-approve"]).ok();
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 0 added, 0 changed, 1 destroyed."),
        "{}",
        r.stdout
    );
    assert!(w.addresses().is_empty());
    assert_eq!(w.state()["outputs"], serde_json::json!({}));
}

#[test]
fn count_and_for_each_grow_and_shrink() {
    let w = Work::new(
        r#"
variable "n" { default = 3 }
variable "keys" { default = ["x", "y"] }
resource "terraform_data" "c" {
  count = var.n
  input = "c${count.index}"
}
resource "terraform_data" "e" {
  for_each = toset(var.keys)
  input    = each.value
}
output "c_ids" { value = length(terraform_data.c[*].id) }
"#,
    );
    w.apply();
    assert_eq!(
        w.addresses(),
        vec![
            "terraform_data.c[0]",
            "terraform_data.c[1]",
            "terraform_data.c[2]",
            "terraform_data.e[\"x\"]",
            "terraform_data.e[\"y\"]"
        ]
    );
    let c0 = w.attrs("terraform_data.c[0]")["id"].clone();
    let r = w
        .iac(&["plan", "-var", "n=5", "-var", "keys=[\"y\", \"z\"]"])
        .ok();
    assert_eq!(r.summary(), "Plan: 3 to add, 0 to change, 1 to destroy.");
    assert!(
        r.stdout.contains("because key [\"x\"] is not in for_each"),
        "{}",
        r.stdout
    );
    w.iac(&[
        "apply",
        "-auto-approve",
        "-var",
        "n=1",
        "-var",
        "keys=[\"y\", \"z\"]",
    ])
    .ok();
    assert_eq!(
        w.addresses(),
        vec![
            "terraform_data.c[0]",
            "terraform_data.e[\"y\"]",
            "terraform_data.e[\"z\"]"
        ]
    );
    assert_eq!(
        w.attrs("terraform_data.c[0]")["id"],
        c0,
        "shrinking count keeps the first instance"
    );
    let out = w.iac(&["output", "-json", "c_ids"]).ok();
    assert_eq!(out.stdout.trim(), "1");
}

#[test]
fn moved_renames_without_replacing() {
    let w = Work::new("resource \"terraform_data\" \"old\" {\n  input = 1\n}\n");
    w.apply();
    let id = w.attrs("terraform_data.old")["id"].clone();
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"new\" {\n  input = 1\n}\nmoved {\n  from = terraform_data.old\n  to   = terraform_data.new\n}\n",
    );
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout
            .contains("# terraform_data.old has moved to terraform_data.new"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 0 to add, 0 to change, 0 to destroy.");
    w.apply();
    assert_eq!(w.addresses(), vec!["terraform_data.new"]);
    assert_eq!(w.attrs("terraform_data.new")["id"], id);
    // Adding count to a single resource moves it to [0] by itself.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"new\" {\n  count = 1\n  input = 1\n}\n",
    );
    w.apply();
    assert_eq!(w.attrs("terraform_data.new[0]")["id"], id);
}

#[test]
fn removed_blocks_forget_or_destroy() {
    let w = Work::new(
        "resource \"local_file\" \"kept\" {\n  filename = \"${path.module}/kept.txt\"\n  content  = \"k\"\n}\n\
         resource \"local_file\" \"gone\" {\n  filename = \"${path.module}/gone.txt\"\n  content  = \"g\"\n}\n",
    );
    w.apply();
    assert_eq!(w.read("kept.txt"), "k");
    w.write(
        "main.tf",
        "removed {\n  from = local_file.kept\n  lifecycle {\n    destroy = false\n  }\n}\nremoved {\n  from = local_file.gone\n}\n",
    );
    let r = w.iac(&["plan", "-json"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let actions: Vec<(String, serde_json::Value)> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("local_file.gone".to_string(), serde_json::json!(["delete"])),
            ("local_file.kept".to_string(), serde_json::json!(["forget"])),
        ]
    );
    // Through a saved plan: the forget survives the file.
    let r = w.iac(&["plan", "-out", "p.plan"]).ok();
    assert!(
        r.stdout.contains(
            "# local_file.kept will no longer be managed by iac, but will not be destroyed"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Warning: Some objects will no longer be managed by iac"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 0 to add, 0 to change, 1 to destroy.");
    let r = w.iac(&["apply", "p.plan"]).ok();
    assert!(
        r.stdout.contains("0 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );
    assert!(w.addresses().is_empty(), "{:?}", w.addresses());
    assert_eq!(w.read("kept.txt"), "k", "left where it was");
    assert!(!w.dir.path().join("gone.txt").exists());
    w.iac(&["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn preconditions_postconditions_and_checks() {
    let main = |n: u32| {
        format!(
            "resource \"terraform_data\" \"a\" {{\n  input = \"x\"\n  lifecycle {{\n    precondition {{\n      condition     = {n} > 5\n      error_message = \"n is too small: {n}\"\n    }}\n    postcondition {{\n      condition     = self.output == \"y\"\n      error_message = \"the output is ${{self.output}}\"\n    }}\n  }}\n}}\n\
             resource \"terraform_data\" \"after\" {{\n  input = terraform_data.a.output\n}}\n\
             check \"c\" {{\n  assert {{\n    condition     = terraform_data.a.output == \"nope\"\n    error_message = \"the output is not nope\"\n  }}\n}}\n"
        )
    };
    // A precondition that fails stops the plan, with its message at the condition.
    let w = Work::new(&main(1));
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("error[E0222]: Resource precondition failed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("n is too small: 1"), "{}", r.stderr);
    // It holds: the postcondition, unknown at plan (the output is computed),
    // is checked after the create, which fails the resource; it stays in state
    // and what depends on it is not done.
    w.write("main.tf", &main(6));
    let r = w.iac(&["apply", "-auto-approve"]).code(1);
    assert!(
        r.stderr.contains("Resource postcondition failed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("the output is x"), "{}", r.stderr);
    assert_eq!(w.addresses(), vec!["terraform_data.a"]);
    // A check that fails is a warning: the run goes on and succeeds.
    w.write(
        "main.tf",
        &main(6).replace("self.output == \"y\"", "self.output == \"x\""),
    );
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(
        r.stderr
            .contains("warning[W0223]: Check block assertion failed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("the output is not nope"), "{}", r.stderr);
    assert_eq!(
        w.addresses(),
        vec!["terraform_data.a", "terraform_data.after"]
    );
    let r = w.iac(&["plan", "-detailed-exitcode"]).code(0);
    assert!(
        r.stderr.contains("W0223"),
        "checks run at plan too: {}",
        r.stderr
    );
}

/// A data source scoped to a check block: read at plan (the check sees it)
/// and again at apply, its errors warnings, its value unknown when it fails,
/// out of reach of everything but its check (as Terraform's).
#[test]
fn check_blocks_with_a_scoped_data_source() {
    let main = |path: &str, name: &str| {
        format!(
            "resource \"terraform_data\" \"a\" {{\n  input = \"x\"\n}}\n\
             check \"remote\" {{\n  data \"terraform_remote_state\" \"other\" {{\n    backend = \"local\"\n    config = {{ path = \"{path}\" }}\n  }}\n  assert {{\n    condition     = data.terraform_remote_state.other.outputs.name == \"{name}\"\n    error_message = \"other is named ${{data.terraform_remote_state.other.outputs.name}}\"\n  }}\n}}\n"
        )
    };
    let w = Work::new(&main("other.tfstate", "other"));
    w.write(
        "other.tfstate",
        r#"{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "5f1e0c7a-6b1d-4a40-9d55-1f0d7c9a0b11", "outputs": {"name": {"value": "other", "type": "string"}}, "resources": []}"#,
    );
    // Read at plan, and planned to be read again at apply.
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout
            .contains("# data.terraform_remote_state.other will be read during apply")
            && r.stdout
                .contains("check block is verified again after the apply")
            && r.stdout
                .contains(" <= data \"terraform_remote_state\" \"other\""),
        "{}",
        r.stdout
    );
    assert!(
        !r.stderr.contains("W0223"),
        "the assertion holds: {}",
        r.stderr
    );
    let r = w.apply();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    // An assertion on what it read that fails is the check's warning.
    w.write("main.tf", &main("other.tfstate", "another"));
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(
        r.stderr.contains("W0223") && r.stderr.contains("other is named other"),
        "{}",
        r.stderr
    );
    // The data source failing is a warning too, never an error: the run goes on.
    w.write("main.tf", &main("missing.tfstate", "other"));
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stderr
            .contains("warning[W0224]: Unable to find remote state"),
        "{}",
        r.stderr
    );
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(r.stderr.contains("W0224"), "{}", r.stderr);
    // Nothing outside the check block can refer to it.
    w.write(
        "main.tf",
        &format!(
            "{}output \"leak\" {{\n  value = data.terraform_remote_state.other.outputs\n}}\n",
            main("other.tfstate", "other")
        ),
    );
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Reference to scoped resource")
            && r.stderr.contains("declared inside check \"remote\""),
        "{}",
        r.stderr
    );
}

#[test]
fn local_exec_provisioners() {
    let main = |b_failure: &str| {
        format!(
            "resource \"null_resource\" \"a\" {{\n  triggers = {{ v = \"x\" }}\n  provisioner \"local-exec\" {{\n    command     = \"echo created ${{self.triggers.v}} $GREETING >> log.txt; echo to-stdout; echo to-stderr >&2\"\n    environment = {{ GREETING = \"hi\" }}\n  }}\n  provisioner \"local-exec\" {{\n    when    = destroy\n    command = \"echo destroyed ${{self.triggers.v}} >> log.txt\"\n  }}\n}}\n\
             resource \"terraform_data\" \"b\" {{\n  depends_on = [null_resource.a]\n  provisioner \"local-exec\" {{\n    command     = \"pwd > where.txt; exit 3\"\n    working_dir = \"sub\"\n{b_failure}  }}\n}}\n"
        )
    };
    let w = Work::new(&main(""));
    std::fs::create_dir_all(w.path().join("sub")).unwrap();
    // b's command fails: an error, and b is left tainted; a ran its command with
    // its environment, and its output (both streams) is shown as Terraform shows it.
    let r = w.iac(&["apply", "-auto-approve"]).code(1);
    assert_eq!(w.read("log.txt"), "created x hi\n");
    assert!(
        r.stdout
            .contains("null_resource.a: Provisioning with 'local-exec'..."),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("null_resource.a (local-exec): Executing: [\"/bin/sh\" \"-c\" \"echo created x $GREETING"), "{}", r.stdout);
    assert!(
        r.stdout.contains("null_resource.a (local-exec): to-stdout"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("null_resource.a (local-exec): to-stderr"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains(
            "local-exec provisioner of terraform_data.b failed: the command exited with status 3"
        ),
        "{}",
        r.stderr
    );
    assert!(
        w.read("sub/where.txt").trim().ends_with("/sub"),
        "working_dir"
    );
    let b = w.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "terraform_data.b")
        .cloned()
        .unwrap();
    assert_eq!(b["status"], "tainted", "{b}");
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout
            .contains("terraform_data.b is tainted, so must be replaced")
            || r.stdout.contains("# terraform_data.b must be replaced"),
        "{}",
        r.stdout
    );
    // on_failure = continue: a warning, the object kept.
    w.write("main.tf", &main("    on_failure  = continue\n"));
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(r.stderr.contains("warning[W0607]"), "{}", r.stderr);
    assert_eq!(
        w.read("log.txt"),
        "created x hi\n",
        "a is not created again"
    );
    // Destroy-time provisioners run before the object goes.
    w.iac(&["destroy", "-auto-approve"]).ok();
    assert_eq!(w.read("log.txt"), "created x hi\ndestroyed x\n");
    // What iac cannot run is refused when the configuration is read.
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"c\" {\n  provisioner \"remote-exec\" {\n    inline = [\"true\"]\n  }\n  connection {\n    host = \"x\"\n  }\n}\n",
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("The \"remote-exec\" provisioner is not supported"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Connection blocks are not supported"),
        "{}",
        r.stderr
    );
}

/// `random_uuid`, `random_shuffle` and `local_sensitive_file`, as the random
/// and local providers have them.
#[test]
fn random_uuid_random_shuffle_and_local_sensitive_file() {
    let w = Work::new(
        "variable \"key\" {\n  default   = \"s3cr3t-key\"\n  sensitive = true\n}\n\
         resource \"random_uuid\" \"u\" {\n}\n\
         resource \"random_shuffle\" \"az\" {\n  input        = [\"a\", \"b\", \"c\", \"d\"]\n  result_count = 2\n  seed         = \"fixed\"\n}\n\
         resource \"local_sensitive_file\" \"k\" {\n  filename = \"${path.module}/key.pem\"\n  content  = var.key\n}\n\
         output \"uuid\" {\n  value = random_uuid.u.result\n}\n\
         output \"picked\" {\n  value = random_shuffle.az.result\n}\n",
    );
    let r = w.apply();
    assert!(!r.stdout.contains("s3cr3t-key"), "{}", r.stdout);
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).unwrap();
    let uuid = out["uuid"]["value"].as_str().unwrap().to_string();
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4", "a version 4 UUID: {uuid}");
    let picked: Vec<String> = serde_json::from_value(out["picked"]["value"].clone()).unwrap();
    assert_eq!(picked.len(), 2);
    assert!(picked
        .iter()
        .all(|p| ["a", "b", "c", "d"].contains(&p.as_str())));
    assert_ne!(picked[0], picked[1]);
    // The file has the secret, with the local provider's default mode; state does not.
    assert_eq!(w.read("key.pem"), "s3cr3t-key");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(w.path().join("key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    assert!(!w.read("iac.tfstate").contains("s3cr3t-key"));
    // Nothing changes on a second plan: the UUID and the order are kept.
    w.iac(&["plan", "-detailed-exitcode"]).code(0);
    let again: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(again["uuid"]["value"], uuid.as_str());
    // A changed file is drift: the next apply writes it again.
    std::fs::write(w.path().join("key.pem"), "tampered").unwrap();
    w.apply();
    assert_eq!(w.read("key.pem"), "s3cr3t-key");
}

#[test]
fn prevent_destroy_stops_the_plan_with_the_span() {
    let w = Work::new(
        "resource \"terraform_data\" \"db\" {\n  input = 1\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n",
    );
    w.apply();
    let r = w.iac(&["destroy", "-auto-approve"]).code(1);
    assert!(
        r.stderr
            .contains("error[E0504]: Instance cannot be destroyed: terraform_data.db"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:4:5"), "{}", r.stderr);
    w.write(
        "main.tf",
        "resource \"terraform_data\" \"db\" {\n  input = 1\n  triggers_replace = 2\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n",
    );
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Instance cannot be destroyed"),
        "{}",
        r.stderr
    );
    assert_eq!(w.addresses(), vec!["terraform_data.db"]);
}

#[test]
fn create_before_destroy_creates_first() {
    let w = Work::new(
        "resource \"terraform_data\" \"a\" {\n  triggers_replace = 1\n  lifecycle {\n    create_before_destroy = true\n  }\n}\nresource \"terraform_data\" \"b\" {\n  triggers_replace = 1\n}\n",
    );
    w.apply();
    w.write("main.tf", &w.read("main.tf").replace("= 1", "= 2"));
    let r = w.iac(&["apply", "-auto-approve", "-parallelism=1"]).ok();
    let pos = |needle: &str| {
        r.stdout
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing in\n{}", r.stdout))
    };
    assert!(
        r.stdout.contains("+/- resource \"terraform_data\" \"a\""),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("-/+ resource \"terraform_data\" \"b\""),
        "{}",
        r.stdout
    );
    assert!(pos("terraform_data.a: Creating...") < pos("terraform_data.a: Destroying..."));
    assert!(pos("terraform_data.b: Destroying...") < pos("terraform_data.b: Creating..."));
    let s = w.state();
    assert!(s["resources"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r.get("deposed").is_none()));
}

#[test]
fn failure_mid_apply_skips_dependents_and_keeps_the_rest() {
    let w = Work::new(
        r#"
resource "terraform_data" "independent" {
  input = 1
}
resource "local_file" "bad" {
  filename = "a_directory"
  content  = "x"
}
resource "terraform_data" "needs_bad" {
  input = local_file.bad.id
}
resource "terraform_data" "ok_chain" {
  input = terraform_data.independent.id
}
"#,
    );
    std::fs::create_dir(w.path().join("a_directory")).unwrap();
    let r = w.iac(&["apply", "-auto-approve"]).code(1);
    assert!(
        r.stderr
            .contains("local_file.bad (filename): Cannot write a_directory"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("1 operation(s) not carried out"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("terraform_data.needs_bad: Creating"),
        "{}",
        r.stdout
    );
    assert_eq!(
        w.addresses(),
        vec!["terraform_data.independent", "terraform_data.ok_chain"]
    );
    // Fix the cause; the next apply creates only what is missing.
    std::fs::remove_dir(w.path().join("a_directory")).unwrap();
    let r = w.iac(&["plan"]).ok();
    assert_eq!(r.summary(), "Plan: 2 to add, 0 to change, 0 to destroy.");
    w.apply();
    assert_eq!(w.read("a_directory"), "x");
}

#[test]
fn drift_of_a_local_file_is_shown_and_repaired() {
    let w = Work::new(
        "resource \"local_file\" \"f\" {\n  filename = \"f.txt\"\n  content  = \"v1\"\n}\n",
    );
    w.apply();
    std::fs::write(w.path().join("f.txt"), "edited").unwrap();
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout.contains("Objects have changed outside of iac"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 1 to add, 0 to change, 1 to destroy.");
    // refresh-only accepts the drift into state instead.
    let r = w.iac(&["apply", "-refresh-only", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("Objects have changed outside of iac"),
        "{}",
        r.stdout
    );
    assert_eq!(w.attrs("local_file.f")["content"], "edited");
    std::fs::remove_file(w.path().join("f.txt")).unwrap();
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout.contains("# local_file.f has been deleted"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 1 to add, 0 to change, 0 to destroy.");
    w.apply();
    assert_eq!(w.read("f.txt"), "v1");
}

#[test]
fn target_and_replace() {
    let w = Work::new(
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\nresource \"terraform_data\" \"b\" {\n  input = terraform_data.a.id\n}\nresource \"terraform_data\" \"c\" {\n  input = 3\n}\n",
    );
    let r = w
        .iac(&["apply", "-auto-approve", "-target=terraform_data.b"])
        .ok();
    assert!(
        r.stderr.contains("Resource targeting is in effect"),
        "{}",
        r.stderr
    );
    assert_eq!(w.addresses(), vec!["terraform_data.a", "terraform_data.b"]);
    w.apply();
    let a = w.attrs("terraform_data.a")["id"].clone();
    let r = w.iac(&["plan", "-replace=terraform_data.a"]).ok();
    assert!(
        r.stdout
            .contains("(because replacement requested with -replace)"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 1 to add, 1 to change, 1 to destroy.");
    w.iac(&["apply", "-auto-approve", "-replace=terraform_data.a"])
        .ok();
    assert_ne!(w.attrs("terraform_data.a")["id"], a);
    assert_eq!(
        w.attrs("terraform_data.b")["input"],
        w.attrs("terraform_data.a")["id"]
    );
}

#[test]
fn modules_pass_inputs_and_outputs() {
    let w = Work::new(
        r#"
module "net" {
  source = "./modules/net"
  name   = "core"
}
resource "terraform_data" "uses" {
  input = module.net.label
}
output "label" { value = module.net.label }
"#,
    );
    w.write(
        "modules/net/main.tf",
        "variable \"name\" { type = string }\nresource \"terraform_data\" \"n\" {\n  input = \"net-${var.name}\"\n}\noutput \"label\" { value = terraform_data.n.output }\n",
    );
    w.apply();
    assert!(w
        .addresses()
        .contains(&"module.net.terraform_data.n".to_string()));
    assert_eq!(w.attrs("terraform_data.uses")["output"], "net-core");
    let r = w.iac(&["output", "-raw", "label"]).ok();
    assert_eq!(r.stdout, "net-core");
}

#[test]
fn lock_held_fails_fast_with_holder_then_waits() {
    let w = Work::new("resource \"terraform_data\" \"a\" {}\n");
    w.apply();
    // Another process holding the lock (iac removes the file when it lets go).
    let lock_path = w.path().join("iac.tfstate.lock");
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .unwrap();
    f.try_lock().unwrap();
    std::fs::write(&lock_path, r#"{"ID":"abc123","Operation":"apply","Who":"someone@elsewhere","Created":"2026-01-01T00:00:00Z","Version":"0.1.0","Path":"iac.tfstate"}"#).unwrap();
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Error acquiring the state lock"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("someone@elsewhere"), "{}", r.stderr);
    assert!(r.stderr.contains("force-unlock abc123"), "{}", r.stderr);
    // With -lock-timeout the second run waits for the holder.
    let child = w
        .command(&["plan", "-lock-timeout=20s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(f);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn interrupt_lets_running_work_finish_and_saves_state() {
    // A local_file written to a FIFO blocks until the test reads it: an operation that is "running".
    let w = Work::new(
        r#"
resource "local_file" "slow" {
  filename = "pipe"
  content  = "done"
}
resource "terraform_data" "after" {
  input = local_file.slow.id
}
"#,
    );
    let status = std::process::Command::new("mkfifo")
        .arg(w.path().join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let child = w
        .command(&["apply", "-auto-approve"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Let the running write finish.
    let content = std::fs::read_to_string(w.path().join("pipe")).unwrap();
    assert_eq!(content, "done");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(stderr.contains("Apply interrupted"), "{stderr}");
    // The finished operation is in state; the one after it never started.
    assert_eq!(w.addresses(), vec!["local_file.slow"]);
}

#[test]
fn sigkill_mid_apply_loses_nothing_that_completed() {
    let mut tf = String::new();
    for i in 0..20 {
        tf.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = {i}\n}}\n"
        ));
    }
    tf.push_str("resource \"local_file\" \"block\" {\n  filename = \"pipe\"\n  content  = \"x\"\n  depends_on = [terraform_data.r0, terraform_data.r1, terraform_data.r2, terraform_data.r3, terraform_data.r4, terraform_data.r5, terraform_data.r6, terraform_data.r7, terraform_data.r8, terraform_data.r9, terraform_data.r10, terraform_data.r11, terraform_data.r12, terraform_data.r13, terraform_data.r14, terraform_data.r15, terraform_data.r16, terraform_data.r17, terraform_data.r18, terraform_data.r19]\n}\n");
    let w = Work::new(&tf);
    assert!(std::process::Command::new("mkfifo")
        .arg(w.path().join("pipe"))
        .status()
        .unwrap()
        .success());
    let mut child = w
        .command(&["apply", "-auto-approve"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the 20 creates are recorded (the FIFO write blocks after them).
    let journal = w.path().join("iac.tfstate.journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let lines = std::fs::read_to_string(&journal)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines > 20 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("pipe")).unwrap();
    // The journal is replayed: the 20 objects are known, with their ids.
    let r = w.iac(&["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    let list = w.iac(&["state", "list"]).ok();
    assert_eq!(list.stdout.lines().count(), 20, "{}", list.stdout);
    w.apply();
    assert_eq!(w.addresses().len(), 21);
    assert!(
        !journal.exists(),
        "the journal is folded into the snapshot at the end"
    );
}

#[test]
fn data_sources_are_read_at_plan_or_deferred_to_apply() {
    let w = Work::new(
        r#"
data "local_file" "config" {
  filename = "settings.txt"
}
resource "local_file" "generated" {
  filename = "generated.txt"
  content  = "generated"
}
data "local_file" "later" {
  filename = local_file.generated.filename
  depends_on = [local_file.generated]
}
resource "terraform_data" "uses" {
  input = "${trimspace(data.local_file.config.content)}/${data.local_file.later.content}"
}
output "uses" { value = terraform_data.uses.output }
"#,
    );
    w.write("settings.txt", "from-file\n");
    let r = w.iac(&["plan"]).ok();
    // Known configuration: read while planning. Depends on a pending change: read during apply.
    assert!(
        r.stdout
            .contains("# data.local_file.later will be read during apply"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("data.local_file.config will be read"),
        "{}",
        r.stdout
    );
    w.apply();
    assert_eq!(w.state()["outputs"]["uses"]["value"], "from-file/generated");
    let r = w.iac(&["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let bad = Work::new("data \"local_file\" \"x\" {\n  filename = \"missing.txt\"\n}\n");
    let r = bad.iac(&["plan"]).code(1);
    assert!(r.stderr.contains("Cannot read file"), "{}", r.stderr);
    assert!(r.stderr.contains("main.tf:2:14"), "{}", r.stderr);
}

#[test]
fn ignore_changes_and_replace_triggered_by() {
    let w = Work::new(
        r#"
variable "v" { default = "a" }
variable "trigger" { default = 1 }
resource "terraform_data" "ignored" {
  input = var.v
  lifecycle {
    ignore_changes = [input]
  }
}
resource "terraform_data" "source" {
  input = var.trigger
}
resource "terraform_data" "follower" {
  input = "static"
  lifecycle {
    replace_triggered_by = [terraform_data.source]
  }
}
"#,
    );
    w.apply();
    let follower = w.attrs("terraform_data.follower")["id"].clone();
    // A change to an ignored argument plans nothing.
    let r = w
        .iac(&["plan", "-var", "v=b", "-detailed-exitcode"])
        .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // A change to the trigger's resource replaces the follower, and says why.
    let r = w.iac(&["plan", "-var", "trigger=2"]).ok();
    assert!(
        r.stdout
            .contains("(because `terraform_data.source` changed (replace_triggered_by))"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 1 to add, 1 to change, 1 to destroy.");
    w.iac(&["apply", "-auto-approve", "-var", "trigger=2"]).ok();
    assert_ne!(w.attrs("terraform_data.follower")["id"], follower);
    assert_eq!(w.attrs("terraform_data.ignored")["input"], "a");
    // An unknown attribute in ignore_changes is named.
    w.write(
        "main.tf",
        &w.read("main.tf")
            .replace("ignore_changes = [input]", "ignore_changes = [inptu]"),
    );
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("Unsupported attribute \"inptu\" in ignore_changes"),
        "{}",
        r.stderr
    );
}

#[test]
fn interactive_apply_asks_for_yes() {
    use std::io::Write;
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = 1\n}\n");
    let answer = |text: &str| {
        let mut child = w
            .command(&["apply"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let no = answer("no\n");
    assert_eq!(no.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no.stdout).contains("Only 'yes' will be accepted to approve."));
    assert!(String::from_utf8_lossy(&no.stderr).contains("Apply cancelled."));
    assert!(!w.path().join("iac.tfstate").exists() || w.addresses().is_empty());
    let yes = answer("yes\n");
    assert_eq!(
        yes.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&yes.stderr)
    );
    assert_eq!(w.addresses(), vec!["terraform_data.a"]);
}

/// The parse of an unchanged file is reused from `.iac/cache/syntax`; an edited
/// file, a damaged entry or a file with errors is parsed again, with the same result.
#[test]
fn unchanged_files_are_not_parsed_again() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = \"one\"\n}\n");
    let debug = [("IAC_LOG", "debug")];
    let counts = |r: &crate::support::Run| {
        r.stderr
            .lines()
            .find(|l| l.contains("configuration: "))
            .map(|l| l.split("configuration: ").nth(1).unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let first = w.iac_env(&["plan"], &debug).ok();
    assert!(
        counts(&first).starts_with("1 file(s) parsed, 0 taken"),
        "{}",
        first.stderr
    );
    let second = w.iac_env(&["plan"], &debug).ok();
    assert!(
        counts(&second).starts_with("0 file(s) parsed, 1 taken"),
        "{}",
        second.stderr
    );
    assert_eq!(first.stdout, second.stdout);

    w.apply();
    w.write("main.tf", &w.read("main.tf").replace("\"one\"", "\"two\""));
    let edited = w.iac_env(&["plan"], &debug).ok();
    assert!(
        counts(&edited).starts_with("1 file(s) parsed"),
        "{}",
        edited.stderr
    );
    assert!(
        edited.stdout.contains("\"one\" -> \"two\""),
        "{}",
        edited.stdout
    );

    // A damaged entry is a miss, never a wrong tree or a failure.
    let cache = w.path().join(".iac/cache/syntax");
    for e in std::fs::read_dir(&cache).expect("cache dir").flatten() {
        let mut bytes = std::fs::read(e.path()).expect("entry");
        let n = bytes.len();
        bytes.truncate(n / 2);
        std::fs::write(e.path(), bytes).expect("damage");
    }
    let damaged = w.iac_env(&["plan"], &debug).ok();
    assert!(
        counts(&damaged).starts_with("1 file(s) parsed"),
        "{}",
        damaged.stderr
    );
    assert_eq!(damaged.stdout, edited.stdout);

    // A file with an error is not cached: the error comes every time.
    w.write(
        "bad.tf",
        "resource \"terraform_data\" \"b\" {\n  input = \n}\n",
    );
    for _ in 0..2 {
        let r = w.iac_env(&["plan"], &debug).code(1);
        assert!(r.stderr.contains("bad.tf:2"), "{}", r.stderr);
    }
}

/// The other providers real configurations lean on: `null_resource`,
/// `random_string`, `random_integer`; and Terraform 0.11's bare `list`/`map`
/// type constraints.
#[test]
fn null_resource_random_string_integer_and_bare_collection_types() {
    let config = |trigger: &str| {
        format!(
            r#"
variable "names" {{
  type    = list
  default = ["a", "b"]
}}

variable "sizes" {{
  type    = map
  default = {{ small = 1 }}
}}

resource "null_resource" "n" {{
  triggers = {{
    version = "{trigger}"
  }}
}}

resource "random_string" "suffix" {{
  length  = 12
  special = false
  upper   = false
}}

resource "random_integer" "port" {{
  min  = 8000
  max  = 8099
  seed = "fixed"
}}

output "suffix" {{
  value = random_string.suffix.result
}}

output "port" {{
  value = random_integer.port.result
}}

output "names" {{
  value = length(var.names) + var.sizes["small"]
}}
"#
        )
    };
    let w = Work::new(&config("1"));
    w.apply();
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).unwrap();
    let suffix = out["suffix"]["value"].as_str().unwrap().to_string();
    assert_eq!(suffix.len(), 12);
    assert!(
        suffix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{suffix}"
    );
    let port = out["port"]["value"].as_f64().unwrap();
    assert!((8000.0..=8099.0).contains(&port), "{port}");
    assert_eq!(out["names"]["value"], 3);
    let null_id = w.attrs("null_resource.n")["id"].clone();
    assert!(!null_id.is_null());
    w.iac(&["plan", "-detailed-exitcode"]).code(0);

    // A new trigger replaces the null_resource only.
    w.write("main.tf", &config("2"));
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );
    assert_ne!(w.attrs("null_resource.n")["id"], null_id);
    let again: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(again["suffix"]["value"], suffix.as_str());

    // The same seed and range give the same number.
    let w2 = Work::new(&config("1"));
    w2.apply();
    let out2: serde_json::Value =
        serde_json::from_str(&w2.iac(&["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(out2["port"]["value"], out["port"]["value"]);
}
