//! Output for CI and GitOps: the Markdown pull-request comment, `iac drift`,
//! JSON plans with their environment, and progress lines during applies.

use std::process::Stdio;

use crate::support::Work;

const CHANGES: &str = r#"
variable "n" {
  default = 3
}
resource "terraform_data" "keep" {
  input = "v1"
}
resource "terraform_data" "many" {
  count = var.n
  input = count.index
}
resource "terraform_data" "swap" {
  input            = "a"
  triggers_replace = ["one"]
}
output "keep" {
  value = terraform_data.keep.output
}
"#;

#[test]
fn markdown_comment_summarises_warns_and_folds_the_plan() {
    let w = Work::new(CHANGES);
    w.iac(&["apply", "-auto-approve", "-e", "staging"]).ok();
    w.write(
        "main.tf",
        &CHANGES
            .replace("\"v1\"", "\"v2\"")
            .replace("default = 3", "default = 1")
            .replace("[\"one\"]", "[\"two\"]"),
    );
    let r = w
        .iac(&[
            "plan",
            "-e",
            "staging",
            "-out=p.bin",
            "-markdown=comment.md",
        ])
        .ok();
    assert!(r.stdout.contains("Environment: staging"), "{}", r.stdout);
    let md = w.read("comment.md");
    let first = md.lines().next().unwrap();
    assert_eq!(first, "### iac plan for `staging`");
    for want in [
        "**Plan: 1 to add, 1 to change, 3 to destroy.**",
        "> [!WARNING]\n> This plan destroys 2 and replaces 1 resource instance(s).",
        "**:warning: Destroy (2)**\n\n- `terraform_data.many[1]`: index [1] is out of range for count\n- `terraform_data.many[2]`",
        "**:warning: Replace (1)**\n\n- `terraform_data.swap`",
        "**Update (1)**\n\n- `terraform_data.keep`: `input` changed",
        "**Outputs (1)**\n\n- `keep` (update)",
        "<details><summary>Full plan</summary>\n\n```diff\n",
        // Markers in the first column, for the diff colouring.
        "\n!       input  = \"v1\" -> \"v2\"",
        "\n-   resource \"terraform_data\" \"many\" {",
        "</details>",
    ] {
        assert!(md.contains(want), "missing {want:?} in:\n{md}");
    }
    assert!(!md.contains("cut"), "{md}");
    // The same comment can be made later from the saved plan.
    let shown = w.iac(&["show", "-markdown", "p.bin"]).ok();
    assert_eq!(shown.stdout, md);
    // No changes: a short comment, no banner.
    let quiet = Work::new("resource \"terraform_data\" \"a\" {}\n");
    quiet.apply();
    quiet.iac(&["plan", "-markdown=c.md"]).ok();
    let md = quiet.read("c.md");
    assert!(
        md.contains("**No changes. Your infrastructure matches the configuration.**"),
        "{md}"
    );
    assert!(!md.contains("[!WARNING]"), "{md}");
}

#[test]
fn markdown_comment_stays_under_the_size_limit_and_says_what_it_cut() {
    let w = Work::new(
        "resource \"terraform_data\" \"r\" {\n  count = 1500\n  input = \"a fairly long value to make the plan text big, number ${count.index}\"\n}\n",
    );
    w.iac(&["plan", "-out=p.bin", "-markdown=c.md"]).ok();
    let md = w.read("c.md");
    assert!(md.len() < 65_000, "{} characters", md.len());
    assert!(md.contains("**Create (1500)**"), "{md}");
    assert!(md.contains("- … and 1400 more"), "{md}");
    assert!(
        md.contains("_1400 address(es) are not listed above"),
        "{md}"
    );
    assert!(
        md.contains("_The full plan is ") && md.contains("Run `iac show p.bin` to see all of it._"),
        "{}",
        &md[md.len().saturating_sub(600)..]
    );
    // The folded plan is cut at a line and its block is still closed.
    let details = md.find("</details>").expect("details closed");
    assert!(
        md[..details].ends_with("```\n\n"),
        "{}",
        &md[details - 200..details + 20]
    );
}

#[test]
fn drift_exits_2_when_objects_changed_outside_and_writes_nothing() {
    let w = Work::new(
        "resource \"local_file\" \"f\" {\n  filename = \"out.txt\"\n  content  = \"hello\"\n}\n",
    );
    w.apply();
    let serial = w.state()["serial"].clone();
    let clean = w.iac(&["drift"]).code(0);
    assert!(
        clean
            .stdout
            .contains("No drift: the real objects match the state and the configuration."),
        "{}",
        clean.stdout
    );
    std::fs::remove_file(w.path().join("out.txt")).unwrap();
    let drifted = w.iac(&["drift", "-markdown=drift.md"]).code(2);
    assert!(
        drifted.stdout.contains("# local_file.f has been deleted"),
        "{}",
        drifted.stdout
    );
    assert!(
        drifted
            .stdout
            .contains("Drift detected: 1 object(s) changed outside of iac; 1 to add, 0 to change, 0 to destroy to match the configuration again."),
        "{}",
        drifted.stdout
    );
    let md = w.read("drift.md");
    assert!(md.starts_with("### iac drift report for `default`"), "{md}");
    assert!(
        md.contains("**Drifted (1)**\n\n- `local_file.f` (deleted outside of iac)"),
        "{md}"
    );
    let json = w.iac(&["drift", "-json"]).code(2);
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(j["drift_detected"], true);
    assert_eq!(j["resource_drift"][0]["address"], "local_file.f");
    assert_eq!(j["resource_drift"][0]["change"]["actions"][0], "delete");
    crate::schemas::assert_valid(&crate::schemas::schema("plan.schema.json"), &j);
    // A drift check records nothing.
    assert_eq!(w.state()["serial"], serial);
    assert!(!w.path().join("out.txt").exists());
}

#[test]
fn json_plan_names_its_environment() {
    let w = Work::new("resource \"terraform_data\" \"a\" {}\n");
    let r = w.iac(&["plan", "-json", "-e", "live"]).ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["environment"], "live");
    crate::schemas::assert_valid(&crate::schemas::schema("plan.schema.json"), &j);
    w.iac(&["plan", "-e", "live", "-out=p.bin"]).ok();
    let shown = w.iac(&["show", "-json", "p.bin"]).ok();
    let j: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(j["environment"], "live");
}

#[test]
fn long_operations_report_progress_while_they_run() {
    let w = Work::new(
        "resource \"local_file\" \"slow\" {\n  filename = \"pipe\"\n  content  = \"x\"\n}\n",
    );
    assert!(std::process::Command::new("mkfifo")
        .arg(w.path().join("pipe"))
        .status()
        .unwrap()
        .success());
    let child = w
        .command(&["apply", "-auto-approve"])
        .env("IAC_PROGRESS_INTERVAL", "200ms")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(std::fs::read_to_string(w.path().join("pipe")).unwrap(), "x");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let still = stdout
        .lines()
        .filter(|l| l.starts_with("local_file.slow: Still creating... ["))
        .count();
    assert!(still >= 3, "{stdout}");
    assert!(
        stdout.contains("local_file.slow: Creation complete after 1s"),
        "{stdout}"
    );
}

#[test]
fn the_example_ci_flow_runs_against_moto() {
    let m = crate::moto::Moto::start();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut c = std::process::Command::new("bash");
    c.arg(root.join("examples/ci/run-locally.sh"))
        .env("IAC", crate::support::bin());
    for (k, v) in m.env() {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.ends_with("CI flow passed.\n"), "{stdout}");
    // The workflows run the same commands as the script.
    let wf = |name: &str| {
        std::fs::read_to_string(root.join("examples/ci/.github/workflows").join(name)).unwrap()
    };
    assert!(wf("iac-plan.yml")
        .contains("-out=plan.bin \\\n            -markdown=comment.md -detailed-exitcode"));
    assert!(wf("iac-apply.yml").contains("iac apply -auto-approve -input=false -lock-timeout=10m"));
    assert!(
        wf("iac-drift.yml").contains("iac drift -input=false -lock-timeout=5m -markdown=drift.md")
    );
}
