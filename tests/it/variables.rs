//! Variable precedence, types, validation and required values.

use crate::support::Work;

const CONFIG: &str = r#"
variable "v" {
  type    = string
  default = "default"
}
variable "n" {
  type    = number
  default = 1
  validation {
    condition     = var.n < 10
    error_message = "n must be below 10."
  }
}
variable "tags" {
  type    = map(string)
  default = {}
}
output "v" { value = var.v }
output "n" { value = var.n }
output "tags" { value = var.tags }
"#;

fn v_after(w: &Work, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut a = vec!["apply", "-auto-approve"];
    a.extend_from_slice(args);
    w.iac_env(&a, env).ok();
    w.state()["outputs"]["v"]["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn precedence_from_lowest_to_highest() {
    let w = Work::new(CONFIG);
    assert_eq!(v_after(&w, &[], &[]), "default");
    w.write("terraform.tfvars", "v = \"tfvars\"\n");
    assert_eq!(v_after(&w, &[], &[]), "tfvars");
    w.write("x.auto.tfvars", "v = \"auto\"\n");
    assert_eq!(v_after(&w, &[], &[]), "auto");
    w.write("extra.tfvars", "v = \"varfile\"\n");
    assert_eq!(v_after(&w, &["-var-file=extra.tfvars"], &[]), "varfile");
    assert_eq!(
        v_after(&w, &["-var-file=extra.tfvars"], &[("IAC_VAR_v", "env")]),
        "env"
    );
    assert_eq!(
        v_after(
            &w,
            &["-var-file=extra.tfvars", "-var", "v=cli"],
            &[("IAC_VAR_v", "env")]
        ),
        "cli"
    );
}

#[test]
fn types_and_validation() {
    let w = Work::new(CONFIG);
    w.iac(&[
        "apply",
        "-auto-approve",
        "-var",
        "n=5",
        "-var",
        "tags={a = \"b\"}",
    ])
    .ok();
    assert_eq!(w.state()["outputs"]["n"]["value"], 5);
    assert_eq!(w.state()["outputs"]["tags"]["value"]["a"], "b");
    let r = w.iac(&["plan", "-var", "n=50"]).code(1);
    assert!(r.stderr.contains("n must be below 10."), "{}", r.stderr);
    let r = w.iac(&["plan", "-var", "n=abc"]).code(1);
    assert!(r.stderr.contains("a number is required"), "{}", r.stderr);
    let r = w.iac(&["plan", "-var", "nope=1"]).code(1);
    assert!(
        r.stderr.contains("Value for undeclared variable \"nope\""),
        "{}",
        r.stderr
    );
    let r = w.iac(&["plan", "-var", "vv=1"]).code(1);
    assert!(r.stderr.contains("did you mean `v`?"), "{}", r.stderr);
}

#[test]
fn required_variable_without_value() {
    let w = Work::new("variable \"region\" {\n  type = string\n}\n");
    let r = w.iac(&["plan", "-input=false"]).code(1);
    assert!(
        r.stderr
            .contains("No value for required variable \"region\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:1:1"), "{}", r.stderr);
    assert!(r.stderr.contains("IAC_VAR_region"), "{}", r.stderr);
}

#[test]
fn environments_have_their_own_state_and_variables() {
    let w = Work::new(
        r#"
variable "size" {
  default = "small"
}
resource "terraform_data" "fleet" {
  input = var.size
}
"#,
    );
    w.write("env/live.tfvars", "size = \"large\"\n");
    w.write("env/sandbox.tfvars", "size = \"tiny\"\n");
    let live = w.iac(&["apply", "-auto-approve", "-e", "live"]).ok();
    assert!(
        live.stdout.starts_with("Environment: live\n"),
        "{}",
        live.stdout
    );
    w.iac_env(&["apply", "-auto-approve"], &[("IAC_ENV", "sandbox")])
        .ok();
    let read = |env: &str| -> String {
        let s: serde_json::Value =
            serde_json::from_str(&w.read(&format!("iac.tfstate.d/{env}/iac.tfstate"))).unwrap();
        s["resources"][0]["attributes"]["input"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(read("live"), "large");
    assert_eq!(read("sandbox"), "tiny");
    assert!(!w.path().join("iac.tfstate").exists(), "no default state");
    // Environment file < IAC_VAR_* < -var.
    let plan = w
        .iac_env(&["plan", "-e", "live"], &[("IAC_VAR_size", "env-var")])
        .ok();
    assert!(
        plan.stdout.contains("\"large\" -> \"env-var\""),
        "{}",
        plan.stdout
    );
    let plan = w
        .iac_env(
            &["plan", "-e", "live", "-var", "size=flag"],
            &[("IAC_VAR_size", "env-var")],
        )
        .ok();
    assert!(
        plan.stdout.contains("\"large\" -> \"flag\""),
        "{}",
        plan.stdout
    );
    // Commands on state follow the environment too.
    let list = w.iac(&["state", "list", "-e", "sandbox"]).ok();
    assert_eq!(list.stdout.trim(), "terraform_data.fleet");
}

#[test]
fn a_secret_in_a_committed_variables_file_is_a_warning() {
    let w = Work::new(
        r#"
variable "db_password" {
  type      = string
  sensitive = true
}
resource "terraform_data" "x" {
  input = var.db_password
}
"#,
    );
    w.write("env/live.tfvars", "db_password = \"hunter2-in-git\"\n");
    let git = |args: &[&str]| {
        assert!(std::process::Command::new("git")
            .args(args)
            .current_dir(w.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap()
            .status
            .success());
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "x"]);
    let r = w.iac(&["plan", "-e", "live"]).ok();
    assert!(
        r.stderr
            .contains("warning[W0221]: Value for sensitive variable \"db_password\" comes from")
            && r.stderr
                .contains("env/live.tfvars, which is committed to version control"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("IAC_VAR_db_password"), "{}", r.stderr);
    assert!(r.stderr.contains("env/live.tfvars:1:"), "{}", r.stderr);
    // Kept out of version control: no warning.
    git(&["rm", "-q", "--cached", "env/live.tfvars"]);
    w.write(".gitignore", "env/live.tfvars\n");
    let r = w.iac(&["plan", "-e", "live"]).ok();
    assert!(!r.stderr.contains("W0221"), "{}", r.stderr);
}

/// An environment value for a variable the configuration does not declare is
/// ignored (the environment serves every configuration), as Terraform ignores
/// TF_VAR_ values; on the command line it is an error.
#[test]
fn undeclared_variables_in_the_environment_are_ignored() {
    let w = Work::new("variable \"a\" { default = 1 }\noutput \"a\" { value = var.a }\n");
    w.iac_env(
        &["plan"],
        &[("IAC_VAR_elsewhere", "1"), ("TF_VAR_other", "2")],
    )
    .ok();
    let r = w.iac(&["plan", "-var", "elsewhere=1"]).code(1);
    assert!(r.stderr.contains("undeclared variable"), "{}", r.stderr);
}

/// A `-var` value for a variable without a type is a string; where a bool is
/// wanted, "true" and "false" convert as in Terraform.
#[test]
fn string_true_and_false_are_bools_where_a_bool_is_wanted() {
    let w = crate::support::Work::new(
        r#"
variable "on" { default = true }
output "pick" { value = var.on ? "yes" : "no" }
output "not" { value = !var.on }
output "and" { value = var.on && true }
output "tmpl" { value = "%{if var.on}on%{else}off%{endif}" }
output "for" { value = [for x in [1, 2] : x if var.on] }
"#,
    );
    w.iac(&["apply", "-auto-approve", "-var", "on=false"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["pick"]["value"], "no");
    assert_eq!(out["not"]["value"], true);
    assert_eq!(out["and"]["value"], false);
    assert_eq!(out["tmpl"]["value"], "off");
    assert_eq!(out["for"]["value"], serde_json::json!([]));
    let r = crate::support::Work::new("output \"x\" { value = \"yes\" ? 1 : 2 }\n");
    let r = r.iac(&["plan"]).code(1);
    assert!(r.stderr.contains("a bool condition"), "{}", r.stderr);
}

/// What Terraform 1.10 and later write in variable and output blocks: a heredoc
/// description, and `ephemeral = true`, which iac takes as sensitive (the value
/// is in no plan, state or output in plaintext).
#[test]
fn heredoc_descriptions_and_ephemeral_values() {
    let w = Work::new(
        r#"
variable "token" {
  description = <<EOF
The API token.
Rotated monthly.
EOF
  type      = string
  ephemeral = true
  default   = "tok-plaintext-value"
}

resource "terraform_data" "uses" {
  input = length(var.token)
}

output "token" {
  value     = var.token
  ephemeral = true
}
"#,
    );
    let r = w.iac(&["apply", "-auto-approve"]).ok();
    assert!(!r.stdout.contains("tok-plaintext-value"), "{}", r.stdout);
    assert!(!w.read("iac.tfstate").contains("tok-plaintext-value"));
    let r = w.iac(&["output", "token"]).code(1);
    assert!(r.stderr.contains("sensitive"), "{}", r.stderr);
}
