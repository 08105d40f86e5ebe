//! The provider block as Terraform users write it: static credentials, the
//! `skip_*` settings every emulator setup has, endpoints by Terraform's service
//! names, `max_retries`; settings iac cannot honour yet are refused by name.

use crate::moto::{block, Moto};
use crate::support::Work;

fn settings(endpoint: &str) -> String {
    format!(
        r#"
provider "aws" {{
  region                      = "us-west-2"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 2

  endpoints {{
    ec2            = "{endpoint}"
    elbv2          = "{endpoint}"
    rds            = "{endpoint}"
    secretsmanager = "{endpoint}"
    s3             = "{endpoint}"
    sts            = "{endpoint}"
    iam            = "{endpoint}"
  }}
}}

resource "aws_vpc" "v" {{
  cidr_block = "10.7.0.0/16"
}}
"#
    )
}

#[test]
fn a_terraform_emulator_provider_block_works_without_any_environment() {
    let m = Moto::start();
    let endpoint = m.env()[0].1.clone();
    let w = Work::new(&settings(&endpoint));
    // No AWS_* variables at all: everything comes from the block.
    let none = [
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    let mut c = w.command(&["apply", "-auto-approve"]);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    for (k, v) in none {
        c.env(k, v);
    }
    let r: crate::support::Run = c.output().expect("run iac").into();
    let r = r.ok();
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    // In the block's region, through the block's endpoint.
    let vpcs = block(m.ec2_in("us-west-2").describe_vpcs().send()).unwrap();
    assert!(vpcs
        .vpcs()
        .iter()
        .any(|v| v.cidr_block() == Some("10.7.0.0/16")));
    // The secret key is nowhere in state.
    assert!(!w.read("iac.tfstate").contains("secret_key"));
}

#[test]
fn settings_iac_cannot_honour_yet_are_refused_by_name() {
    let m = Moto::start();
    let endpoint = m.env()[0].1.clone();
    let text = settings(&endpoint).replace(
        "  max_retries                 = 2\n",
        "  max_retries                 = 2\n\n  assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/deploy\"\n  }\n\n  default_tags {\n    tags = { team = \"web\" }\n  }\n",
    );
    let w = Work::new(&text);
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // validate knows the settings (no "unsupported argument")...
    w.iac(&["validate"]).ok();
    // ...and a plan says which cannot be honoured, and why, before touching anything.
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(
        r.stderr.contains("`assume_role` is not supported yet"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("no STS client yet"), "{}", r.stderr);
    assert!(
        r.stderr.contains("`default_tags` is not supported yet"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("Unsupported argument"), "{}", r.stderr);
    let half = settings(&endpoint).replace("  secret_key                  = \"test\"\n", "");
    w.write("main.tf", &half);
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(
        r.stderr.contains("Set both access_key and secret_key"),
        "{}",
        r.stderr
    );
}
