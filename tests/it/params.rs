//! SSM parameters (a secret store that keeps nothing in state but fingerprints)
//! and CloudWatch log groups, through the `iac` binary against moto.

use crate::moto::{block, Moto};
use crate::support::{Run, Work};

const SECRET: &str = "s3cr3t-Value-Not-For-State";

fn iac(w: &Work, m: &Moto, args: &[&str]) -> Run {
    let mut env = m.env();
    env.push(("IAC_VAR_db_password", SECRET.to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

const PARAMS: &str = r#"
variable "db_password" {
  type      = string
  sensitive = true
}
variable "host" { default = "db.internal" }
variable "retention" { default = 7 }

resource "aws_ssm_parameter" "password" {
  name  = "/app/db/password"
  type  = "SecureString"
  value = var.db_password
}

resource "aws_ssm_parameter" "host" {
  name           = "/app/db/host"
  type           = "String"
  insecure_value = var.host
  tags           = { App = "web" }
}

data "aws_ssm_parameter" "host" {
  name = aws_ssm_parameter.host.name
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/app/web"
  retention_in_days = var.retention
  tags              = { App = "web" }
}

output "host" { value = data.aws_ssm_parameter.host.insecure_value }
"#;

#[test]
fn ssm_parameters_keep_secrets_out_of_state_and_log_groups_against_moto() {
    let m = Moto::start();
    let ssm = aws_sdk_ssm::Client::new(&m.sdk());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&m.sdk());
    let w = Work::new(PARAMS);
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET));
    let (password, host) = block(async {
        let p = ssm
            .get_parameter()
            .name("/app/db/password")
            .with_decryption(true)
            .send()
            .await
            .expect("password");
        let h = ssm
            .get_parameter()
            .name("/app/db/host")
            .send()
            .await
            .expect("host");
        (
            p.parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_string(),
            h.parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_string(),
        )
    });
    assert_eq!(password, SECRET);
    assert_eq!(host, "db.internal");
    let state = std::fs::read_to_string(w.path().join("iac.tfstate")).expect("state");
    assert!(!state.contains(SECRET), "the secret is in state");
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["host"]["value"], "db.internal");
    block(async {
        let g = logs
            .describe_log_groups()
            .log_group_name_prefix("/app/web")
            .send()
            .await
            .expect("groups");
        assert_eq!(g.log_groups()[0].retention_in_days(), Some(7));
    });

    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Changed outside iac: the secret's fingerprint no longer matches, so the
    // plan puts it back, without ever showing either value.
    block(async {
        ssm.put_parameter()
            .name("/app/db/password")
            .value("changed-by-hand")
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .expect("put");
    });
    let r = iac(&w, &m, &["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains(SECRET) && !r.stdout.contains("changed-by-hand"),
        "{}",
        r.stdout
    );
    iac(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "retention=30",
            "-var",
            "host=db2.internal",
        ],
    )
    .ok();
    block(async {
        let p = ssm
            .get_parameter()
            .name("/app/db/password")
            .with_decryption(true)
            .send()
            .await
            .expect("password");
        assert_eq!(p.parameter().and_then(|p| p.value()), Some(SECRET));
        let g = logs
            .describe_log_groups()
            .log_group_name_prefix("/app/web")
            .send()
            .await
            .expect("groups");
        assert_eq!(g.log_groups()[0].retention_in_days(), Some(30));
    });
    let state = std::fs::read_to_string(w.path().join("iac.tfstate")).expect("state");
    assert!(!state.contains(SECRET) && !state.contains("changed-by-hand"));
    let r = iac(
        &w,
        &m,
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            "retention=30",
            "-var",
            "host=db2.internal",
        ],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    iac(
        &w,
        &m,
        &[
            "destroy",
            "-auto-approve",
            "-var",
            "retention=30",
            "-var",
            "host=db2.internal",
        ],
    )
    .ok();
    block(async {
        assert!(ssm
            .get_parameter()
            .name("/app/db/password")
            .send()
            .await
            .is_err());
        let g = logs
            .describe_log_groups()
            .log_group_name_prefix("/app/web")
            .send()
            .await
            .expect("groups");
        assert!(g.log_groups().is_empty());
    });
}

/// KMS keys and aliases: settings in place, a new target for an alias, and a
/// destroy that schedules the key's deletion rather than deleting it at once.
#[test]
fn kms_keys_and_aliases_against_moto() {
    let m = Moto::start();
    let kms = aws_sdk_kms::Client::new(&m.sdk());
    let w = Work::new(
        r#"
variable "about" { default = "app data" }
variable "rotate" { default = true }

resource "aws_kms_key" "data" {
  description             = var.about
  enable_key_rotation     = var.rotate
  deletion_window_in_days = 7
  tags                    = { App = "web" }
}

resource "aws_kms_alias" "data" {
  name          = "alias/app-data"
  target_key_id = aws_kms_key.data.key_id
}

output "key" { value = aws_kms_key.data.key_id }
output "arn" { value = aws_kms_alias.data.target_key_arn == aws_kms_key.data.arn }
"#,
    );
    crate::moto::iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&crate::moto::iac(&w, &m, &["output", "-json"]).ok().stdout)
            .expect("json");
    let key = out["key"]["value"].as_str().expect("key").to_string();
    assert_eq!(out["arn"]["value"], true);
    block(async {
        let d = kms.describe_key().key_id(&key).send().await.expect("key");
        assert_eq!(
            d.key_metadata().and_then(|m| m.description()),
            Some("app data")
        );
        let r = kms
            .get_key_rotation_status()
            .key_id(&key)
            .send()
            .await
            .expect("rotation");
        assert!(r.key_rotation_enabled());
        let a = kms.list_aliases().send().await.expect("aliases");
        assert!(a
            .aliases()
            .iter()
            .any(|a| a.alias_name() == Some("alias/app-data")
                && a.target_key_id() == Some(key.as_str())));
    });
    let r = crate::moto::iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let vars = ["-var", "about=app data, v2", "-var", "rotate=false"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = crate::moto::iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    block(async {
        let d = kms.describe_key().key_id(&key).send().await.expect("key");
        assert_eq!(
            d.key_metadata().and_then(|m| m.description()),
            Some("app data, v2")
        );
        let r = kms
            .get_key_rotation_status()
            .key_id(&key)
            .send()
            .await
            .expect("rotation");
        assert!(!r.key_rotation_enabled());
    });
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = crate::moto::iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    crate::moto::iac(&w, &m, &args).ok();
    block(async {
        let d = kms.describe_key().key_id(&key).send().await.expect("key");
        assert_eq!(
            d.key_metadata()
                .and_then(|m| m.key_state())
                .map(|s| s.as_str()),
            Some("PendingDeletion")
        );
        let a = kms.list_aliases().send().await.expect("aliases");
        assert!(a
            .aliases()
            .iter()
            .all(|a| a.alias_name() != Some("alias/app-data")));
    });
}

/// A key's rotation period: sent with EnableKeyRotation on create and again on a
/// change (checked in the JSON requests through the recording proxy: moto keeps
/// no period), kept as written, quiet on re-plan; out of range is refused.
#[test]
fn kms_rotation_period_against_moto() {
    let m = crate::moto::Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let cfg = |days: u32| {
        format!(
            "resource \"aws_kms_key\" \"k\" {{\n  description             = \"rotated\"\n  enable_key_rotation     = true\n  rotation_period_in_days = {days}\n  deletion_window_in_days = 7\n}}\n"
        )
    };
    let w = crate::support::Work::new(&cfg(180));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let sent = proxy.requests("EnableKeyRotation");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].get("RotationPeriodInDays").map(String::as_str),
        Some("180")
    );
    assert_eq!(w.attrs("aws_kms_key.k")["rotation_period_in_days"], 180);
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg(400));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let sent = proxy.requests("EnableKeyRotation");
    assert_eq!(
        sent.last()
            .and_then(|r| r.get("RotationPeriodInDays"))
            .map(String::as_str),
        Some("400")
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg(30));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("KMS rotates a key every 90 to 2560 days"),
        "{}",
        r.stderr
    );
    w.write("main.tf", &cfg(400));
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
}
