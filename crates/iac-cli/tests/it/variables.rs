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
