//! Saved plans: exactly what was planned is applied; stale plans are refused;
//! secrets never appear in plan files, state, JSON output or logs.

use crate::support::Work;

#[test]
fn saved_plan_applies_exactly_and_refuses_when_stale() {
    let w = Work::new("variable \"v\" { default = \"a\" }\nresource \"terraform_data\" \"x\" {\n  input = var.v\n}\n");
    let r = w.iac(&["plan", "-out=p.plan", "-var", "v=planned"]).ok();
    assert!(
        r.stdout.contains("Saved the plan to: p.plan"),
        "{}",
        r.stdout
    );
    // The configuration changes after planning: the saved plan still applies what was planned.
    w.write("main.tf", "variable \"v\" { default = \"a\" }\nresource \"terraform_data\" \"x\" {\n  input = \"edited\"\n}\n");
    let r = w.iac(&["apply", "p.plan"]).ok();
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    assert_eq!(w.attrs("terraform_data.x")["input"], "planned");
    // Applying it again: the state has moved on.
    let r = w.iac(&["apply", "p.plan"]).code(1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    // A plan made, then overtaken by another apply, is refused too.
    w.iac(&["plan", "-out=p2.plan"]).ok();
    w.apply();
    let r = w.iac(&["apply", "p2.plan"]).code(1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    let show = w.iac(&["show", "-json", "p2.plan"]).ok();
    let j: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(j["format_version"], "1.0");
    assert_eq!(j["resource_changes"][0]["change"]["actions"][0], "update");
}

#[test]
fn secrets_never_reach_plan_files_state_or_json() {
    let secret = "correct-horse-battery-staple";
    let w = Work::new(
        r#"
variable "db_password" {
  type      = string
  sensitive = true
}
resource "terraform_data" "uses" {
  input = "prefix-${var.db_password}"
}
resource "random_password" "p" {
  length = 24
}
resource "terraform_data" "gen" {
  input = random_password.p.result
}
output "pw" {
  value     = var.db_password
  sensitive = true
}
"#,
    );
    let env = [("IAC_VAR_db_password", secret)];
    let plan = w
        .iac_env(&["plan", "-out=p.plan", "-markdown=comment.md"], &env)
        .ok();
    let shown_md = w.iac(&["show", "-markdown", "p.plan"]).ok();
    assert!(plan.stdout.contains("(sensitive value)"), "{}", plan.stdout);
    let json = w.iac_env(&["plan", "-json"], &env).ok();
    // Without the secret the saved plan cannot be applied.
    let r = w.iac(&["apply", "p.plan"]).code(1);
    assert!(
        r.stderr
            .contains("Sensitive variable \"db_password\" must be given again"),
        "{}",
        r.stderr
    );
    let wrong = w
        .iac_env(&["apply", "p.plan"], &[("IAC_VAR_db_password", "nope")])
        .code(1);
    assert!(
        wrong.stderr.contains("differs from the value planned"),
        "{}",
        wrong.stderr
    );
    let apply = w.iac_env(&["apply", "p.plan"], &env).ok();
    let show = w.iac(&["show", "-json"]).ok();
    let out = w.iac(&["output"]).ok();
    // A second plan sees no change: the fingerprint matches.
    let again = w.iac_env(&["plan", "-detailed-exitcode"], &env).code(0);
    let generated = {
        // The generated password exists only in memory during apply; check the state has a fingerprint only.
        let a = w.attrs("random_password.p");
        assert!(a["result"]["$sensitive"]
            .as_str()
            .unwrap()
            .starts_with("pbkdf2-sha256:"));
        a
    };
    let artifacts = [
        w.read("iac.tfstate"),
        w.read("iac.tfstate.backup"),
        w.read("p.plan"),
        w.read("comment.md"),
        shown_md.stdout,
        plan.stdout,
        plan.stderr,
        json.stdout,
        apply.stdout,
        apply.stderr,
        show.stdout,
        out.stdout,
        again.stdout,
        generated.to_string(),
    ];
    for (i, a) in artifacts.iter().enumerate() {
        assert!(
            !a.contains(secret),
            "artifact {i} contains the secret:\n{a}"
        );
    }
    let r = w.iac(&["output", "pw"]).code(1);
    assert!(r.stderr.contains("is sensitive"), "{}", r.stderr);
}
