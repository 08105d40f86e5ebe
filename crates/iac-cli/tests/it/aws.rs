//! The AWS provider through the `iac` binary against moto, checked by reading moto
//! with the SDK rather than trusting iac's state.

use aws_sdk_ec2::types::{Filter, InstanceStateName, Tag};

use crate::moto::{block, Moto};
use crate::support::{Run, Work};

const NETWORK: &str = r#"
variable "instance_type" { default = "t3.micro" }
variable "servers" { default = 2 }
variable "ami_name" { default = "amzn-ami-*" }

data "aws_availability_zones" "zones" {
  state = "available"
}

data "aws_ami" "image" {
  owners      = ["amazon"]
  most_recent = true
  filter {
    name   = "name"
    values = [var.ami_name]
  }
}

resource "aws_vpc" "main" {
  cidr_block = "10.10.0.0/16"
  tags = { Name = "main" }
}

resource "aws_subnet" "public" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.zones.names[count.index]
}

resource "aws_instance" "web" {
  count         = var.servers
  ami           = data.aws_ami.image.id
  instance_type = var.instance_type
  subnet_id     = aws_subnet.public[count.index % 2].id
  tags = { Name = "web-${count.index}", Role = "web" }
}

output "instance_ids" { value = aws_instance.web[*].id }
"#;

fn iac(w: &Work, m: &Moto, args: &[&str]) -> Run {
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

fn running_web(m: &Moto) -> Vec<aws_sdk_ec2::types::Instance> {
    let ec2 = m.ec2();
    block(async {
        let out = ec2
            .describe_instances()
            .filters(Filter::builder().name("tag:Role").values("web").build())
            .send()
            .await
            .expect("describe");
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.state().and_then(|s| s.name()) == Some(&InstanceStateName::Running))
            .cloned()
            .collect()
    })
}

#[test]
fn network_and_servers_lifecycle_against_moto() {
    let m = Moto::start();
    let w = Work::new(NETWORK);
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("Apply complete! Resources: 5 added"),
        "{}",
        r.stdout
    );
    let web = running_web(&m);
    assert_eq!(web.len(), 2);
    let vpc_id = w.attrs("aws_vpc.main")["id"].as_str().unwrap().to_string();
    let vpcs = block(m.ec2().describe_vpcs().vpc_ids(&vpc_id).send()).unwrap();
    assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.10.0.0/16"));
    let subnets = block(
        m.ec2()
            .describe_subnets()
            .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
            .send(),
    )
    .unwrap();
    let mut azs: Vec<&str> = subnets
        .subnets()
        .iter()
        .filter_map(|s| s.availability_zone())
        .collect();
    azs.sort();
    azs.dedup();
    assert_eq!(azs.len(), 2, "two subnets in two zones");

    // Nothing to do.
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Update in place: a tag and the instance type (stop, modify, start).
    let id0 = w.attrs("aws_instance.web[0]")["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.write(
        "main.tf",
        &NETWORK.replace("Role = \"web\" }", "Role = \"web\", Tier = \"front\" }"),
    );
    let r = iac(&w, &m, &["plan", "-var", "instance_type=t3.small"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 2 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("~ instance_type"), "{}", r.stdout);
    iac(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "instance_type=t3.small"],
    )
    .ok();
    let web = running_web(&m);
    let i0 = web
        .iter()
        .find(|i| i.instance_id() == Some(id0.as_str()))
        .expect("same instance");
    assert_eq!(i0.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert!(i0
        .tags()
        .iter()
        .any(|t| t.key() == Some("Tier") && t.value() == Some("front")));

    // Drift: a tag changed and an instance terminated outside iac.
    let id1 = w.attrs("aws_instance.web[1]")["id"]
        .as_str()
        .unwrap()
        .to_string();
    block(
        m.ec2()
            .create_tags()
            .resources(&id0)
            .tags(Tag::builder().key("Name").value("hand-edited").build())
            .send(),
    )
    .unwrap();
    block(m.ec2().terminate_instances().instance_ids(&id1).send()).unwrap();
    let r = iac(&w, &m, &["plan", "-var", "instance_type=t3.small"]).ok();
    assert!(
        r.stdout.contains("Objects have changed outside of iac"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("# aws_instance.web[1] has been deleted"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("\"hand-edited\""), "{}", r.stdout);
    assert_eq!(
        r.summary(),
        "Plan: 1 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "instance_type=t3.small"],
    )
    .ok();
    let web = running_web(&m);
    assert_eq!(web.len(), 2);
    assert!(web.iter().all(|i| i
        .tags()
        .iter()
        .any(|t| t.key() == Some("Name") && t.value().unwrap_or("").starts_with("web-"))));

    // Replacement: a new image replaces the servers, and says why.
    let r = iac(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "instance_type=t3.small",
            "-var",
            "ami_name=amzn2-ami-*",
        ],
    )
    .ok();
    assert!(
        r.stdout
            .contains("because `ami` changed and cannot be updated in place"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.summary(),
        "Plan: 2 to add, 0 to change, 2 to destroy.",
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
            "instance_type=t3.small",
            "-var",
            "ami_name=amzn2-ami-*",
        ],
    )
    .ok();
    let web = running_web(&m);
    assert_eq!(web.len(), 2);
    assert!(web.iter().all(|i| i.instance_id() != Some(id0.as_str())));

    // Destroy leaves nothing running, and the VPC gone.
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(running_web(&m).is_empty());
    let vpcs = block(
        m.ec2()
            .describe_vpcs()
            .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
            .send(),
    )
    .unwrap();
    assert!(vpcs.vpcs().is_empty());
}

#[test]
fn no_credentials_is_one_clear_sentence() {
    let w = Work::new("resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n");
    let r = w.iac_env(
        &["plan"],
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_PROFILE", ""),
            ("AWS_CONFIG_FILE", "/dev/null"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("No AWS credentials were found"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("scripts/moto.sh"), "{}", r.stderr);
}

#[test]
fn provider_block_endpoints_and_unknown_attributes() {
    let m = Moto::start();
    let w = Work::new(&format!(
        "provider \"aws\" {{\n  region = \"eu-west-1\"\n  endpoints {{\n    ec2 = \"{}\"\n  }}\n}}\nresource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.1.0.0/16\"\n}}\n",
        m.endpoint
    ));
    let r = w
        .iac_env(
            &["apply", "-auto-approve"],
            &[
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_ENDPOINT_URL", ""),
            ],
        )
        .ok();
    assert!(
        r.stdout.contains("Apply complete! Resources: 1 added"),
        "{}",
        r.stdout
    );
    assert!(w.attrs("aws_vpc.v")["arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:ec2:eu-west-1:"));
    w.write(
        "main.tf",
        &w.read("main.tf").replace(
            "cidr_block = \"10.1.0.0/16\"",
            "cidr_blok = \"10.1.0.0/16\"",
        ),
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("Unsupported argument \"cidr_blok\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("did you mean `cidr_block`?"),
        "{}",
        r.stderr
    );
}
