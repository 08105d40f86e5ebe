//! The provider block as Terraform users write it: static credentials, the
//! `skip_*` settings every emulator setup has, endpoints by Terraform's service
//! names, `max_retries`, `assume_role`, the account guards, `default_tags` and
//! `ignore_tags`.

use crate::moto::{block, iac, Moto};
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

/// `assume_role` acts as the role (moto's STS hands out the role's session), and
/// `allowed_account_ids`/`forbidden_account_ids` stop a plan in the wrong account
/// before anything is read or changed; a half-set static key is refused.
#[test]
fn assume_role_and_account_guards() {
    let m = Moto::start();
    let endpoint = m.env()[0].1.clone();
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let with = |extra: &str| {
        settings(&endpoint).replace(
            "  max_retries                 = 2\n",
            &format!("  max_retries                 = 2\n{extra}"),
        )
    };
    let role = "\n  assume_role {\n    role_arn     = \"arn:aws:iam::123456789012:role/deploy\"\n    session_name = \"ci\"\n    external_id  = \"x-1\"\n    duration     = \"15m\"\n  }\n";
    // Through a counting proxy (the block's endpoints point at it): the role is
    // assumed with STS before anything else is called.
    let proxy = crate::proxy::Proxy::start(&endpoint, 0);
    let w = Work::new(&with(role).replace(&endpoint, &proxy.endpoint));
    w.iac(&["validate"]).ok();
    w.iac_env(&["apply", "-auto-approve"], &env).ok();
    assert!(
        proxy.count("AssumeRole") >= 1,
        "no AssumeRole call ({} calls through the proxy)",
        proxy.count_prefix("")
    );
    let vpcs = block(async {
        m.ec2_in("us-west-2")
            .describe_vpcs()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr")
                    .values("10.7.0.0/16")
                    .build(),
            )
            .send()
            .await
            .expect("vpcs")
            .vpcs()
            .len()
    });
    assert_eq!(vpcs, 1, "the VPC was made through the assumed role");
    w.iac_env(&["destroy", "-auto-approve"], &env).ok();

    // The account moto answers for is 123456789012.
    w.write(
        "main.tf",
        &with("  allowed_account_ids = [\"111111111111\"]\n"),
    );
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(r.stderr.contains("account 123456789012"), "{}", r.stderr);
    assert!(r.stderr.contains("allowed_account_ids"), "{}", r.stderr);
    w.write(
        "main.tf",
        &with("  forbidden_account_ids = [\"123456789012\"]\n"),
    );
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(r.stderr.contains("forbidden_account_ids"), "{}", r.stderr);
    w.write(
        "main.tf",
        &with("  allowed_account_ids = [\"123456789012\"]\n"),
    );
    w.iac_env(&["plan"], &env).ok();

    let half = settings(&endpoint).replace("  secret_key                  = \"test\"\n", "");
    w.write("main.tf", &half);
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(
        r.stderr.contains("Set both access_key and secret_key"),
        "{}",
        r.stderr
    );
}

/// The same configuration scripts/terraform-golden.sh gives Terraform: a provider
/// configuration per region, and its region and partition.
fn regions_config(regions: &[&str]) -> String {
    let mut s = String::new();
    for r in regions {
        let k = r.replace('-', "_");
        s.push_str(&format!(
            "provider \"aws\" {{\n  alias  = \"{k}\"\n  region = \"{r}\"\n}}\n\
             data \"aws_region\" \"{k}\" {{\n  provider = aws.{k}\n}}\n\
             data \"aws_partition\" \"{k}\" {{\n  provider = aws.{k}\n}}\n\
             output \"{k}\" {{\n  value = join(\"\\t\", [data.aws_region.{k}.name, data.aws_region.{k}.description, data.aws_region.{k}.endpoint, data.aws_partition.{k}.partition, data.aws_partition.{k}.dns_suffix, data.aws_partition.{k}.reverse_dns_prefix])\n}}\n"
        ));
    }
    s
}

#[test]
fn region_and_partition_data_sources_say_what_terraform_says() {
    let golden = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/it/testdata/terraform/regions.txt"),
    )
    .expect("golden file");
    let regions: Vec<&str> = golden
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(regions.len() > 30);
    let m = Moto::start();
    let w = Work::new(&regions_config(&regions));
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(&["apply", "-auto-approve"], &env).ok();
    let r = w.iac_env(&["output", "-json"], &env).ok();
    let outputs: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON outputs");
    for line in golden.lines() {
        let region = line.split('\t').next().unwrap_or_default();
        let ours = outputs[region.replace('-', "_")]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(ours, line, "{region}");
    }
    // A region iac does not know is an error on the data source, not a guess.
    let w = Work::new("data \"aws_region\" \"x\" {\n  name = \"xx-nowhere-1\"\n}\n");
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(
        r.stderr.contains("no matching region found"),
        "{}",
        r.stderr
    );
}

const ALB: &str = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.8.0.0/16"
}

data "aws_availability_zones" "az" {}

resource "aws_subnet" "s" {
  count             = 2
  vpc_id            = aws_vpc.v.id
  cidr_block        = cidrsubnet("10.8.0.0/16", 8, count.index)
  availability_zone = data.aws_availability_zones.az.names[count.index]
}

resource "aws_alb" "web" {
  name    = "web"
  subnets = aws_subnet.s[*].id
}

resource "aws_alb_target_group" "web" {
  name     = "web"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.v.id
}

resource "aws_alb_listener" "http" {
  load_balancer_arn = aws_alb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_alb_target_group.web.arn
  }
}
"#;

#[test]
fn the_aws_alb_names_are_the_load_balancer_types() {
    let m = Moto::start();
    let w = Work::new(ALB);
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(&["apply", "-auto-approve"], &env).ok();
    let arn = w.attrs("aws_alb.web")["arn"].as_str().unwrap().to_string();
    let lbs = block(m.elb().describe_load_balancers().names("web").send()).unwrap();
    assert_eq!(
        lbs.load_balancers()[0].load_balancer_arn(),
        Some(arn.as_str())
    );
    let listeners = block(m.elb().describe_listeners().load_balancer_arn(&arn).send()).unwrap();
    assert_eq!(listeners.listeners()[0].port(), Some(80));
    let r = w.iac_env(&["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    w.iac_env(&["destroy", "-auto-approve"], &env).ok();
    let lbs = block(m.elb().describe_load_balancers().send()).unwrap();
    assert!(lbs.load_balancers().is_empty());
}

const TAGGED: &str = r#"
variable "team" { default = "web" }

provider "aws" {
  default_tags {
    tags = { Team = var.team, ManagedBy = "iac" }
  }
  ignore_tags {
    key_prefixes = ["kubernetes.io/"]
  }
}

resource "aws_vpc" "v" {
  cidr_block = "10.9.0.0/16"
  tags       = { Name = "main", ManagedBy = "me" }
}

resource "aws_s3_bucket" "b" {
  bucket = "iac-default-tags"
}

resource "aws_iam_role" "r" {
  name               = "tagged"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
"#;

/// `default_tags` reach every taggable type, the resource's own tags win, and
/// nothing shows as a change afterwards; changing them updates in place;
/// `ignore_tags` keys set outside iac are neither reported nor removed.
#[test]
fn default_tags_reach_every_type_without_a_perpetual_diff() {
    let m = Moto::start();
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let w = Work::new(TAGGED);
    w.iac_env(&["apply", "-auto-approve"], &env).ok();
    let (ec2, s3, iam) = (m.ec2(), m.s3(), m.iam());
    let read = |vpc: &str| {
        block(async {
            let v = ec2
                .describe_tags()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("resource-id")
                        .values(vpc)
                        .build(),
                )
                .send()
                .await
                .expect("tags");
            let mut vpc_tags: Vec<(String, String)> = v
                .tags()
                .iter()
                .filter(|t| !t.key().unwrap_or_default().starts_with("iac:"))
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            vpc_tags.sort();
            let b = s3
                .get_bucket_tagging()
                .bucket("iac-default-tags")
                .send()
                .await
                .expect("bucket tags");
            let mut bucket: Vec<(String, String)> = b
                .tag_set()
                .iter()
                .filter(|t| !t.key().starts_with("iac:"))
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            bucket.sort();
            let r = iam
                .get_role()
                .role_name("tagged")
                .send()
                .await
                .expect("role");
            let mut role: Vec<(String, String)> = r
                .role()
                .map(|r| {
                    r.tags()
                        .iter()
                        .filter(|t| !t.key().starts_with("iac:"))
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            role.sort();
            (vpc_tags, bucket, role)
        })
    };
    let state = w.state();
    let vpc = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == "aws_vpc.v"))
        .map(|r| {
            r["attributes"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .expect("vpc in state");
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    let (vpc_tags, bucket, role) = read(&vpc);
    assert_eq!(
        vpc_tags,
        vec![
            pair("ManagedBy", "me"),
            pair("Name", "main"),
            pair("Team", "web")
        ]
    );
    assert_eq!(bucket, vec![pair("ManagedBy", "iac"), pair("Team", "web")]);
    assert_eq!(role, vec![pair("ManagedBy", "iac"), pair("Team", "web")]);

    let r = w.iac_env(&["plan", "-detailed-exitcode"], &env).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A tag under an ignored prefix, added outside iac: no drift, and kept.
    block(async {
        ec2.create_tags()
            .resources(&vpc)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("kubernetes.io/cluster/x")
                    .value("owned")
                    .build(),
            )
            .send()
            .await
            .expect("tag");
    });
    let r = w.iac_env(&["plan", "-detailed-exitcode"], &env).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // New default tags: every object is updated in place, none replaced.
    let r = w.iac_env(&["plan", "-var", "team=data"], &env).ok();
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 3 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    w.iac_env(&["apply", "-auto-approve", "-var", "team=data"], &env)
        .ok();
    let (vpc_tags, bucket, role) = read(&vpc);
    assert_eq!(
        vpc_tags,
        vec![
            pair("ManagedBy", "me"),
            pair("Name", "main"),
            pair("Team", "data"),
            pair("kubernetes.io/cluster/x", "owned")
        ]
    );
    assert!(bucket.contains(&pair("Team", "data")), "{bucket:?}");
    assert!(role.contains(&pair("Team", "data")), "{role:?}");
    let r = w
        .iac_env(&["plan", "-detailed-exitcode", "-var", "team=data"], &env)
        .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // State keeps the resource's own tags in tags, and all of them in tags_all.
    let state = w.state();
    let v = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["address"] == "aws_vpc.v"))
        .expect("vpc");
    assert_eq!(
        v["attributes"]["tags"],
        serde_json::json!({"ManagedBy": "me", "Name": "main"})
    );
    assert_eq!(
        v["attributes"]["tags_all"],
        serde_json::json!({"ManagedBy": "me", "Name": "main", "Team": "data"})
    );
}

/// `override_provider { default_tags { tags = ... } }` on an aws_s3_object puts
/// its own default tags in the place of the provider's (S3 allows 10 tags on an
/// object): written to S3, read back, no change on a second plan, changed in
/// place.
#[test]
fn an_object_overrides_the_providers_default_tags() {
    let m = Moto::start();
    let tf = |over: &str| {
        format!(
            r#"
provider "aws" {{
  default_tags {{
    tags = {{ Team = "web", Env = "prod" }}
  }}
}}

resource "aws_s3_bucket" "b" {{
  bucket        = "iac-override-tags"
  force_destroy = true
}}

resource "aws_s3_object" "plain" {{
  bucket  = aws_s3_bucket.b.id
  key     = "plain.txt"
  content = "plain"
}}

resource "aws_s3_object" "own" {{
  bucket  = aws_s3_bucket.b.id
  key     = "own.txt"
  content = "own"
  tags    = {{ Kind = "logo" }}

  override_provider {{
    default_tags {{
      tags = {over}
    }}
  }}
}}
"#
        )
    };
    let w = Work::new(&tf("{}"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let s3 = m.s3();
    let tags_of = |key: &str| -> Vec<(String, String)> {
        let mut t: Vec<(String, String)> = block(
            s3.get_object_tagging()
                .bucket("iac-override-tags")
                .key(key)
                .send(),
        )
        .expect("tags")
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
        t.sort();
        t
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        tags_of("plain.txt"),
        vec![pair("Env", "prod"), pair("Team", "web")]
    );
    assert_eq!(tags_of("own.txt"), vec![pair("Kind", "logo")]);
    assert_eq!(
        w.attrs("aws_s3_object.own")["tags_all"],
        serde_json::json!({"Kind": "logo"})
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Other default tags for the object: updated in place.
    w.write("main.tf", &tf("{ Env = \"dev\" }"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        tags_of("own.txt"),
        vec![pair("Env", "dev"), pair("Kind", "logo")]
    );
    assert_eq!(
        w.attrs("aws_s3_object.own")["tags"],
        serde_json::json!({"Kind": "logo"})
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// The per-resource `region` of the AWS provider 6: an object written with
/// another region is made, read, changed and destroyed there through the one
/// provider configuration; data sources look there; `region = null` (what
/// modules pass by default) and the configuration's own region by name are the
/// same region, so neither plans a change; another region replaces.
#[test]
fn a_region_argument_puts_an_object_in_that_region() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |away: &str, home: &str| {
        format!(
            r#"
provider "aws" {{
  region = "us-east-1"
}}

variable "region" {{
  type    = string
  default = null
}}

resource "aws_vpc" "away" {{
  region     = "{away}"
  cidr_block = "10.81.0.0/16"
  tags       = {{ Name = "away" }}
}}

resource "aws_subnet" "away" {{
  region            = "{away}"
  vpc_id            = aws_vpc.away.id
  cidr_block        = "10.81.1.0/24"
  availability_zone = "{away}a"
}}

resource "aws_vpc" "home" {{
  region     = {home}
  cidr_block = "10.82.0.0/16"
}}

data "aws_availability_zones" "away" {{
  region = "{away}"
}}

data "aws_region" "away" {{
  region = "{away}"
}}

data "aws_region" "home" {{}}

output "zones" {{ value = data.aws_availability_zones.away.names }}
output "regions" {{ value = [data.aws_region.away.region, data.aws_region.home.region, data.aws_region.home.name] }}
output "arn" {{ value = aws_vpc.away.arn }}
"#
        )
    };
    let w = Work::new(&main("eu-west-1", "var.region"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert_eq!(vpc_cidrs(&m, "eu-west-1"), vec!["10.81.0.0/16"]);
    assert_eq!(vpc_cidrs(&m, "us-east-1"), vec!["10.82.0.0/16"]);
    let subnets = block(
        m.ec2_in("eu-west-1")
            .describe_subnets()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("cidr-block")
                    .values("10.81.1.0/24")
                    .build(),
            )
            .send(),
    )
    .expect("subnets");
    assert_eq!(subnets.subnets().len(), 1, "the subnet is in eu-west-1 too");
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert!(
        out["zones"]["value"]
            .as_array()
            .expect("zones")
            .iter()
            .all(|z| z.as_str().is_some_and(|z| z.starts_with("eu-west-1"))),
        "{out}"
    );
    assert_eq!(
        out["regions"]["value"],
        serde_json::json!(["eu-west-1", "us-east-1", "us-east-1"])
    );
    assert!(
        out["arn"]["value"]
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws:ec2:eu-west-1:")),
        "{out}"
    );
    // A refresh reads each region's VPCs in one call.
    let before = proxy.count("DescribeVpcs");
    let r = crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_eq!(proxy.count("DescribeVpcs") - before, 2, "one per region");

    // The configuration's own region, by name: the same region, no change.
    w.write("main.tf", &main("eu-west-1", "\"us-east-1\""));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another region: replaced, made in the new one, gone from the old.
    w.write("main.tf", &main("eu-central-1", "null"));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("aws_vpc.away must be replaced")
            && r.stdout.contains("forces replacement"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(vpc_cidrs(&m, "eu-west-1").is_empty());
    assert_eq!(vpc_cidrs(&m, "eu-central-1"), vec!["10.81.0.0/16"]);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(vpc_cidrs(&m, "eu-central-1").is_empty());
    assert!(vpc_cidrs(&m, "us-east-1").is_empty());
}

fn vpc_cidrs(m: &Moto, region: &str) -> Vec<String> {
    let out = block(m.ec2_in(region).describe_vpcs().send()).expect("describe vpcs");
    let mut cidrs: Vec<String> = out
        .vpcs()
        .iter()
        .filter(|v| !v.is_default().unwrap_or(false))
        .filter_map(|v| v.cidr_block().map(String::from))
        .collect();
    cidrs.sort();
    cidrs
}

/// A provider block may use the root module's locals, as Terraform's examples
/// write it (`region = local.region`), however they are ordered; one that needs
/// a data source is not known when the provider is configured: E0704, never a
/// guessed region.
#[test]
fn a_provider_block_uses_the_root_modules_locals() {
    let m = Moto::start();
    let w = Work::new(
        r#"
provider "aws" {
  region = local.region
}

locals {
  region = "eu-${local.side}-1"
  side   = var.side
}

variable "side" {
  default = "west"
}

resource "aws_vpc" "v" {
  cidr_block = "10.83.0.0/16"
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(vpc_cidrs(&m, "eu-west-1"), vec!["10.83.0.0/16"]);
    assert!(vpc_cidrs(&m, "us-east-1").is_empty());
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();

    w.write(
        "main.tf",
        r#"
data "aws_availability_zones" "all" {}

provider "aws" {
  region = local.region
}

locals {
  region = substr(data.aws_availability_zones.all.names[0], 0, 9)
}
"#,
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("E0704")
            && r.stderr
                .contains("depends on values known only after apply"),
        "{}",
        r.stderr
    );
}
