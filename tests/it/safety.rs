//! Bugs that damage real infrastructure (issue #10), each through the `iac`
//! binary against moto and checked by reading moto back with the SDK.

use crate::moto::{block, Moto};
use crate::support::{Run, Work};

fn run(w: &Work, m: &Moto, args: &[&str]) -> Run {
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
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

const REGIONS: &str = r#"
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-1"
}

resource "aws_vpc" "east" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_vpc" "west" {
  provider   = aws.west
  cidr_block = "10.2.0.0/16"
}

data "aws_availability_zones" "west" {
  provider = aws.west
}

resource "aws_subnet" "west" {
  provider          = aws.west
  vpc_id            = aws_vpc.west.id
  cidr_block        = "10.2.1.0/24"
  availability_zone = data.aws_availability_zones.west.names[0]
}

module "replica" {
  source    = "./replica"
  providers = { aws = aws.west }
}

module "inherits" {
  source = "./replica"
  cidr   = "10.4.0.0/16"
}

output "west_zone" {
  value = aws_subnet.west.availability_zone
}
"#;

const REPLICA: &str = r#"
variable "cidr" {
  default = "10.3.0.0/16"
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}
"#;

#[test]
fn aliased_provider_configurations_route_every_call_to_their_region() {
    let m = Moto::start();
    let w = Work::new(REGIONS);
    w.write("replica/main.tf", REPLICA);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    // Each VPC is where its configuration says, and nowhere else.
    assert_eq!(vpc_cidrs(&m, "us-east-1"), ["10.1.0.0/16", "10.4.0.0/16"]);
    assert_eq!(vpc_cidrs(&m, "us-west-1"), ["10.2.0.0/16", "10.3.0.0/16"]);
    let zone = w.state()["outputs"]["west_zone"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(zone.starts_with("us-west-1"), "{zone}");
    // State records the configuration of each object.
    let state = w.state();
    let provider_of = |addr: &str| -> String {
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == addr)
            .map(|r| r["provider"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    assert_eq!(provider_of("aws_vpc.west"), "aws.west");
    assert_eq!(provider_of("module.replica.aws_vpc.this"), "aws.west");
    assert_eq!(provider_of("module.inherits.aws_vpc.this"), "aws");
    assert_eq!(provider_of("aws_vpc.east"), "aws");

    // `iac providers` shows each configuration and what it serves.
    let r = run(&w, &m, &["providers"]).ok();
    assert!(
        r.stdout.contains(
            "  aws.west\n    aws_subnet.west\n    aws_vpc.west\n    data.aws_availability_zones.west\n    module.replica.aws_vpc.this\n"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("  aws.west: 3 object(s)"), "{}", r.stdout);

    // Refresh reads each object through its own configuration: nothing to do.
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // An object does not silently move to another configuration (another region).
    w.write(
        "main.tf",
        &REGIONS.replacen(
            "  provider   = aws.west\n  cidr_block = \"10.2.0.0/16\"",
            "  cidr_block = \"10.2.0.0/16\"",
            1,
        ),
    );
    let r = run(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("error[E0712]: aws_vpc.west was created through provider configuration `aws.west`, and the configuration now names `aws`"),
        "{}",
        r.stderr
    );
    w.write("main.tf", REGIONS);

    // Removed from the configuration, an object is deleted in its own region.
    let w2 = REGIONS.replace(
        "resource \"aws_vpc\" \"east\" {\n  cidr_block = \"10.1.0.0/16\"\n}\n",
        "",
    );
    w.write("main.tf", &w2);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(vpc_cidrs(&m, "us-east-1"), ["10.4.0.0/16"]);
    assert_eq!(vpc_cidrs(&m, "us-west-1").len(), 2);

    run(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(vpc_cidrs(&m, "us-east-1").is_empty());
    assert!(vpc_cidrs(&m, "us-west-1").is_empty());
}

#[test]
fn an_undeclared_provider_configuration_is_an_error_with_its_span() {
    let w = Work::new(
        r#"
provider "aws" {
  alias  = "west"
  region = "us-west-1"
}

resource "aws_vpc" "a" {
  provider   = aws.wets
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "b" {
  provider   = random
  cidr_block = "10.0.0.0/16"
}

module "m" {
  source    = "./m"
  providers = { aws = aws.east }
}
"#,
    );
    w.write(
        "m/main.tf",
        r#"
provider "aws" {
  alias = "peer"
}

provider "aws" {
  region = "eu-west-1"
}

resource "aws_vpc" "p" {
  provider   = aws.peer
  cidr_block = "10.9.0.0/16"
}
"#,
    );
    let r = w.iac(&["validate"]).code(1);
    let e = &r.stderr;
    assert!(
        e.contains("error[E0707]: Reference to undeclared provider configuration `aws.wets`"),
        "{e}"
    );
    assert!(e.contains("main.tf:8:16"), "{e}");
    assert!(e.contains("did you mean `aws.west`?"), "{e}");
    assert!(
        e.contains("error[E0708]: Provider `random` does not offer \"aws_vpc\""),
        "{e}"
    );
    assert!(
        e.contains("Reference to undeclared provider configuration `aws.east`"),
        "{e}"
    );
    // The module's aliased configuration must be passed in; its own settings are refused.
    assert!(
        e.contains("error[E0707]: module.m has no provider configuration `aws.peer`"),
        "{e}"
    );
    assert!(
        e.contains("error[E0128]: Provider settings inside a called module are not supported"),
        "{e}"
    );
}

#[test]
fn validate_checks_blocks_without_instances_and_every_provider_block() {
    let w = Work::new(
        r#"
variable "n" {
  default = 0
}

variable "names" {
  default = []
}

provider "aws" {
  region      = "us-east-1"
  bogus_token = "x"
}

provider "aws" {
  alias = "second"
  regoin = "eu-west-1"
}

resource "aws_vpc" "counted" {
  count      = var.n
  cidr_block = "10.0.0.0/16"
  bogus_arg  = 1
}

resource "aws_vpc" "each" {
  for_each   = toset(var.names)
  cidr_block = each.value
  tagz       = {}
}

# count.index is unknown while checking, so an empty list is not indexed.
resource "aws_vpc" "indexed" {
  count      = length(var.names)
  cidr_block = var.names[count.index]
}
"#,
    );
    let r = w.iac(&["validate"]).code(1);
    let e = &r.stderr;
    for (arg, line) in [
        ("bogus_token", "main.tf:12:3"),
        ("regoin", "main.tf:17:3"),
        ("bogus_arg", "main.tf:23:3"),
        ("tagz", "main.tf:29:3"),
    ] {
        assert!(
            e.contains(&format!("Unsupported argument \"{arg}\"")),
            "{arg}: {e}"
        );
        assert!(e.contains(line), "{arg} at {line}: {e}");
    }
    assert_eq!(e.matches("error[").count(), 4, "{e}");
    // Plan checks the same blocks (before reaching any cloud).
    let main = w.read("main.tf");
    let start = main.find("provider \"aws\" {").unwrap();
    let end = main.find("resource \"aws_vpc\" \"counted\"").unwrap();
    w.write("main.tf", &format!("{}{}", &main[..start], &main[end..]));
    let offline = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ];
    let r = w.iac_env(&["plan"], &offline).code(1);
    assert!(
        r.stderr.contains("Unsupported argument \"bogus_arg\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Unsupported argument \"tagz\""),
        "{}",
        r.stderr
    );
}

const JSON_SECRET: &str = r#"
resource "random_password" "pw" {
  length  = 20
  special = false
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "app/db-credentials"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = jsonencode({ username = "admin", password = random_password.pw.result })
}

resource "aws_secretsmanager_secret" "url" {
  name                    = "app/db-url"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "url" {
  secret_id     = aws_secretsmanager_secret.url.id
  secret_string = "postgres://admin:${random_password.pw.result}@db:5432/app"
}

# The credentials read back out of the secret.
resource "aws_db_instance" "app" {
  identifier          = "app"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = jsondecode(aws_secretsmanager_secret_version.db.secret_string)["username"]
  password            = jsondecode(aws_secretsmanager_secret_version.db.secret_string).password
  skip_final_snapshot = true
}

output "credentials" {
  value     = jsonencode({ password = random_password.pw.result })
  sensitive = true
}
"#;

fn credentials(m: &Moto) -> serde_json::Value {
    serde_json::from_str(&m.secret_value("app/db-credentials")).expect("the secret is JSON")
}

#[test]
fn a_generated_password_inside_jsonencode_is_never_overwritten() {
    let m = Moto::start();
    let w = Work::new(JSON_SECRET);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let first = credentials(&m);
    let password = first["password"].as_str().expect("a password").to_string();
    assert_eq!(password.len(), 20);
    assert_eq!(first["username"], "admin");
    assert_eq!(
        m.secret_value("app/db-url"),
        format!("postgres://admin:{password}@db:5432/app")
    );
    let db = block(
        m.rds()
            .describe_db_instances()
            .db_instance_identifier("app")
            .send(),
    )
    .unwrap();
    assert_eq!(db.db_instances()[0].master_username(), Some("admin"));
    // The plaintext is nowhere in state.
    assert!(!w.read("iac.tfstate").contains(&password));

    // Re-plans know the secret is unchanged without holding it.
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(credentials(&m)["password"], password.as_str());
    let versions = block(
        m.secrets()
            .list_secret_version_ids()
            .secret_id("app/db-credentials")
            .send(),
    )
    .unwrap();
    assert_eq!(versions.versions().len(), 1, "no new version was written");

    // A changed expression around the password cannot be evaluated without the
    // plaintext: refused at plan time, with the way out; the secret is untouched.
    w.write(
        "main.tf",
        &JSON_SECRET.replace(
            "username = \"admin\",",
            "username = \"admin\", port = 5432,",
        ),
    );
    let r = run(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("error[E0711]: aws_secretsmanager_secret_version.db: the new value of `secret_string` needs a secret iac does not keep"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("-replace"), "{}", r.stderr);
    run(&w, &m, &["apply", "-auto-approve"]).code(1);
    assert_eq!(credentials(&m)["password"], password.as_str());

    // A new password reaches both secrets, in full.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-replace=random_password.pw"],
    )
    .ok();
    let now = credentials(&m);
    let new_password = now["password"].as_str().expect("a password").to_string();
    assert_eq!(new_password.len(), 20);
    assert_ne!(new_password, password);
    assert_eq!(now["port"], 5432);
    assert_eq!(
        m.secret_value("app/db-url"),
        format!("postgres://admin:{new_password}@db:5432/app")
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!w.read("iac.tfstate").contains(&new_password));
}

const SENSITIVE_USER: &str = r#"
variable "db_user" {
  type      = string
  sensitive = true
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_db_instance" "app" {
  identifier          = "app"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = var.db_user
  password            = var.db_password
  skip_final_snapshot = true
}
"#;

fn db_resource_id(m: &Moto) -> String {
    let out = block(
        m.rds()
            .describe_db_instances()
            .db_instance_identifier("app")
            .send(),
    )
    .expect("the database exists");
    out.db_instances()[0]
        .dbi_resource_id()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_sensitive_username_neither_replaces_the_database_nor_reaches_state() {
    let m = Moto::start();
    let w = Work::new(SENSITIVE_USER);
    let vars = [
        "-var",
        "db_user=dbadmin",
        "-var",
        "db_password=correct-horse-battery",
    ];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(vars.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let go = |args: &[&str]| {
        let a = with(args);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&w, &m, &a)
    };
    go(&["apply", "-auto-approve"]).ok();
    let id = db_resource_id(&m);
    let state = w.read("iac.tfstate");
    assert!(!state.contains("dbadmin"), "{state}");
    assert!(!state.contains("correct-horse-battery"));
    let r = go(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A state written by an earlier version, with the name in plaintext: no
    // replacement, and the next apply stops keeping it in plaintext.
    let mut s = w.state();
    for r in s["resources"].as_array_mut().unwrap() {
        r["attributes"]["username"] = serde_json::json!("dbadmin");
    }
    w.write("iac.tfstate", &serde_json::to_string_pretty(&s).unwrap());
    let r = go(&["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("forces replacement"), "{}", r.stdout);
    go(&["apply", "-auto-approve"]).ok();
    assert!(!w.read("iac.tfstate").contains("dbadmin"));
    assert_eq!(db_resource_id(&m), id, "the database was not replaced");
    let db = block(
        m.rds()
            .describe_db_instances()
            .db_instance_identifier("app")
            .send(),
    )
    .unwrap();
    assert_eq!(db.db_instances()[0].master_username(), Some("dbadmin"));
}

const ALL_PROTOCOLS: &str = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "separate" {
  name   = "separate"
  vpc_id = aws_vpc.v.id
}

resource "aws_security_group_rule" "all_in" {
  type              = "ingress"
  from_port         = -1
  to_port           = -1
  protocol          = "-1"
  cidr_blocks       = ["10.0.0.0/8"]
  security_group_id = aws_security_group.separate.id
}

resource "aws_security_group_rule" "all_out" {
  type              = "egress"
  from_port         = 0
  to_port           = 0
  protocol          = "all"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.separate.id
}

resource "aws_security_group" "inline" {
  name   = "inline"
  vpc_id = aws_vpc.v.id

  ingress {
    from_port   = -1
    to_port     = -1
    protocol    = "-1"
    cidr_blocks = ["10.0.0.0/8"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

#[test]
fn all_protocol_rules_survive_refresh() {
    let m = Moto::start();
    let w = Work::new(ALL_PROTOCOLS);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("has been deleted"), "{}", r.stdout);
    // AWS holds each rule once, as "all protocols".
    let id = w.attrs("aws_security_group.separate")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let g = block(m.ec2().describe_security_groups().group_ids(id).send()).unwrap();
    let g = &g.security_groups()[0];
    let all_in: Vec<_> = g
        .ip_permissions()
        .iter()
        .filter(|p| p.ip_protocol() == Some("-1"))
        .collect();
    assert_eq!(all_in.len(), 1);
    assert_eq!(all_in[0].ip_ranges()[0].cidr_ip(), Some("10.0.0.0/8"));
    // A second apply has nothing to do (re-creating would fail as a duplicate).
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    // Removed outside iac, the rule is seen gone and put back.
    block(
        m.ec2()
            .revoke_security_group_ingress()
            .group_id(
                w.attrs("aws_security_group.separate")["id"]
                    .as_str()
                    .unwrap(),
            )
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("10.0.0.0/8")
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = run(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_security_group_rule.all_in has been deleted"),
        "{}",
        r.stdout
    );
    assert!(r.summary().starts_with("Plan: 1 to add"), "{}", r.stdout);
}
