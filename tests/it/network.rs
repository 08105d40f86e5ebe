//! The network a private subnet needs: Elastic IPs, NAT gateways and routes,
//! through the `iac` binary against moto, checked by reading moto with the SDK.

use aws_sdk_ec2::types::Filter;

use crate::moto::{block, iac, iac_via, Moto};
use crate::support::Work;

const PRIVATE: &str = r#"
variable "name" { default = "egress" }

resource "aws_vpc" "v" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.20.1.0/24"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.20.2.0/24"
}

resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.v.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = { Name = "nat" }
}

resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  tags          = { Name = var.name }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.v.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.v.id
}

resource "aws_route" "private_out" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}

output "nat_ip" { value = aws_nat_gateway.nat.public_ip }
output "eip" { value = aws_eip.nat.public_ip }
output "route_id" { value = aws_route.private_out.id }
output "private_rt" { value = aws_route_table.private.id }
"#;

#[test]
fn a_private_subnet_behind_a_nat_gateway_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(PRIVATE);
    let r = iac(&w, &m, &["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 10 to add, 0 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let rt = out["private_rt"]["value"].as_str().expect("rt").to_string();
    assert_eq!(out["nat_ip"]["value"], out["eip"]["value"]);
    // The address's reverse DNS record is read (with DescribeAddressesAttribute)
    // as AWS has it: none is set here.
    let eip = w.attrs("aws_eip.nat");
    let alloc_id = eip["id"].as_str().unwrap().to_string();
    let attr = block(
        ec2.describe_addresses_attribute()
            .allocation_ids(&alloc_id)
            .attribute(aws_sdk_ec2::types::AddressAttributeName::DomainName)
            .send(),
    )
    .expect("addresses attribute");
    assert_eq!(attr.addresses()[0].ptr_record(), None);
    assert!(
        eip.as_object().unwrap().contains_key("ptr_record") && eip["ptr_record"].is_null(),
        "{eip}"
    );
    assert!(out["route_id"]["value"]
        .as_str()
        .is_some_and(|id| id.starts_with(&format!("r-{rt}"))));

    let (nats, routes) = block(async {
        let n = ec2
            .describe_nat_gateways()
            .filter(Filter::builder().name("state").values("available").build())
            .send()
            .await
            .expect("nat");
        let t = ec2
            .describe_route_tables()
            .route_table_ids(&rt)
            .send()
            .await
            .expect("rt");
        (
            n.nat_gateways().to_vec(),
            t.route_tables()[0].routes().to_vec(),
        )
    });
    assert_eq!(nats.len(), 1);
    let nat_id = nats[0].nat_gateway_id().unwrap_or_default().to_string();
    assert!(nats[0]
        .tags()
        .iter()
        .any(|t| t.key() == Some("Name") && t.value() == Some("egress")));
    assert!(
        routes
            .iter()
            .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
                && r.nat_gateway_id() == Some(nat_id.as_str())),
        "{routes:?}"
    );

    // The private table leaves the separate route alone: nothing to do.
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Tags change in place.
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "name=egress-2"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    // Drift: the route deleted outside iac is planned back; then import it by
    // Terraform's TABLE_DESTINATION id.
    block(async {
        ec2.delete_route()
            .route_table_id(&rt)
            .destination_cidr_block("0.0.0.0/0")
            .send()
            .await
            .expect("delete route");
    });
    let r = iac(&w, &m, &["plan", "-var", "name=egress-2"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve", "-var", "name=egress-2"]).ok();
    iac(&w, &m, &["state", "rm", "aws_route.private_out"]).ok();
    let id = format!("{rt}_0.0.0.0/0");
    iac(
        &w,
        &m,
        &[
            "import",
            "-var",
            "name=egress-2",
            "aws_route.private_out",
            &id,
        ],
    )
    .ok();
    iac(&w, &m, &["state", "rm", "aws_eip.nat"]).ok();
    let alloc = block(async {
        ec2.describe_addresses()
            .send()
            .await
            .expect("addresses")
            .addresses()[0]
            .allocation_id()
            .unwrap_or_default()
            .to_string()
    });
    iac(
        &w,
        &m,
        &["import", "-var", "name=egress-2", "aws_eip.nat", &alloc],
    )
    .ok();
    let r = iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "name=egress-2"],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    iac(
        &w,
        &m,
        &["destroy", "-auto-approve", "-var", "name=egress-2"],
    )
    .ok();
    block(async {
        let n = ec2
            .describe_nat_gateways()
            .filter(Filter::builder().name("state").values("available").build())
            .send()
            .await
            .expect("nat");
        assert!(n.nat_gateways().is_empty());
        let a = ec2.describe_addresses().send().await.expect("addresses");
        assert!(a.addresses().is_empty(), "{:?}", a.addresses());
    });
}

/// A key pair: imported public key, tags in place, import by name, destroy.
#[test]
fn key_pairs_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQ6vbCrKzNJ6wlLBHV5cA8lXjq2Or3xqJ0z1mpkYvV0 ops@example";
    let w = Work::new(&format!(
        "variable \"team\" {{ default = \"ops\" }}\nresource \"aws_key_pair\" \"ops\" {{\n  key_name   = \"ops\"\n  public_key = \"{key}\"\n  tags       = {{ Team = var.team }}\n}}\n"
    ));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let read = || {
        block(async {
            let k = ec2
                .describe_key_pairs()
                .key_names("ops")
                .send()
                .await
                .expect("key");
            k.key_pairs()[0].clone()
        })
    };
    let k = read();
    assert!(k
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("ops")));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "team=sec"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(read()
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("sec")));
    iac(&w, &m, &["state", "rm", "aws_key_pair.ops"]).ok();
    iac(
        &w,
        &m,
        &["import", "-var", "team=sec", "aws_key_pair.ops", "ops"],
    )
    .ok();
    // The public key is not readable from EC2: the import cannot know it, so the
    // configuration's key would replace it; Terraform plans the same.
    let r = iac(&w, &m, &["plan", "-var", "team=sec"]).ok();
    assert!(r.stdout.contains("public_key"), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "team=sec"]).ok();
    block(async {
        assert!(ec2
            .describe_key_pairs()
            .key_names("ops")
            .send()
            .await
            .is_err());
    });
}

/// The one running instance (the tests that use it launch one).
fn running_instance(ec2: &aws_sdk_ec2::Client) -> aws_sdk_ec2::types::Instance {
    block(async {
        let out = ec2
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            )
            .send()
            .await
            .expect("instances");
        out.reservations()[0].instances()[0].clone()
    })
}

const SERVER: &str = r#"
variable "monitoring" { default = true }
variable "tokens" { default = "required" }
variable "check" { default = false }
variable "shutdown" { default = "terminate" }

data "aws_ami" "base" {
  owners      = ["amazon"]
  most_recent = true
  filter {
    name   = "name"
    values = ["amzn-ami-*"]
  }
}

resource "aws_vpc" "v" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.30.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_instance" "nat" {
  ami                         = data.aws_ami.base.id
  instance_type               = "t3.micro"
  subnet_id                   = aws_subnet.s.id
  associate_public_ip_address = true
  private_ip                  = "10.30.1.10"
  availability_zone           = "us-east-1a"
  source_dest_check           = var.check
  monitoring                  = var.monitoring
  disable_api_termination     = false
  ebs_optimized               = true
  tenancy                     = "default"

  instance_initiated_shutdown_behavior = var.shutdown

  metadata_options {
    http_tokens        = var.tokens
    http_protocol_ipv6 = "enabled"
  }
}
"#;

/// The instance arguments real configurations use: a public address and a fixed
/// private one on the primary interface, monitoring, the source/destination check
/// of a NAT instance, metadata options; the last two change in place.
#[test]
fn instance_network_and_metadata_arguments_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(SERVER);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let read = || running_instance(&ec2);
    let i = read();
    let id = i.instance_id().unwrap_or_default().to_string();
    assert!(i.public_ip_address().is_some(), "{i:?}");
    assert_eq!(i.private_ip_address(), Some("10.30.1.10"));
    assert_eq!(i.source_dest_check(), Some(false));
    assert_eq!(
        i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
        Some("enabled")
    );
    assert_eq!(
        i.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    assert_eq!(i.ebs_optimized(), Some(true));
    assert_eq!(
        i.placement().and_then(|p| p.tenancy()).map(|t| t.as_str()),
        Some("default")
    );
    // moto keeps no IPv6 metadata endpoint setting: the request carries it.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let shutdown = || {
        block(
            ec2.describe_instance_attribute()
                .instance_id(&id)
                .attribute(
                    aws_sdk_ec2::types::InstanceAttributeName::InstanceInitiatedShutdownBehavior,
                )
                .send(),
        )
        .expect("attribute")
        .instance_initiated_shutdown_behavior()
        .and_then(|a| a.value())
        .map(String::from)
    };
    assert_eq!(shutdown().as_deref(), Some("terminate"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // (Monitoring is set at launch only here: moto 5.2.5 does not implement
    // MonitorInstances/UnmonitorInstances.)
    let vars = [
        "-var",
        "tokens=optional",
        "-var",
        "check=true",
        "-var",
        "shutdown=stop",
    ];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac_via(&w, &m, &proxy, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let md = proxy.requests("ModifyInstanceMetadataOptions");
    assert_eq!(
        md.first()
            .and_then(|p| p.get("HttpProtocolIpv6"))
            .map(String::as_str),
        Some("enabled"),
        "{md:?}"
    );
    let i = read();
    assert_eq!(
        i.instance_id(),
        Some(id.as_str()),
        "updated in place, not replaced"
    );
    assert_eq!(i.source_dest_check(), Some(true));
    assert_eq!(shutdown().as_deref(), Some("stop"));
    assert_eq!(
        i.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("optional")
    );
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();
}

const SERVER_VOLUMES: &str = r#"
variable "team" { default = "a" }
variable "stop_protection" { default = true }

resource "aws_vpc" "v" {
  cidr_block = "10.31.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.31.1.0/24"
}

resource "aws_security_group" "g" {
  name   = "volumes-g"
  vpc_id = aws_vpc.v.id
}

resource "aws_instance" "i" {
  ami              = "ami-12c6146b"
  instance_type    = "t3.micro"
  subnet_id        = aws_subnet.s.id
  security_groups  = [aws_security_group.g.id]
  user_data_base64 = base64encode("echo hi")
  volume_tags      = { team = var.team }
  hibernation      = true
  disable_api_stop = var.stop_protection

  cpu_options {
    core_count       = 1
    threads_per_core = 2
  }

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_size = 5
    volume_type = "gp3"
  }
}

output "dns" {
  value = aws_instance.i.private_dns
}

output "eni" {
  value = aws_instance.i.primary_network_interface_id
}
"#;

/// More of what configurations write on an instance: security groups by id in a
/// subnet, binary-safe user data, tags on every volume, an EBS volume made at
/// launch, hibernation, stop protection, CPU options; the tags and the stop
/// protection change in place, and nothing changes on a second plan.
#[test]
fn instance_volumes_and_launch_options_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(SERVER_VOLUMES);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let read = || running_instance(&ec2);
    let i = read();
    let id = i.instance_id().unwrap_or_default().to_string();
    let group = i.security_groups()[0]
        .group_name()
        .unwrap_or_default()
        .to_string();
    assert_eq!(group, "volumes-g", "{i:?}");
    assert_eq!(
        i.hibernation_options().and_then(|h| h.configured()),
        Some(true)
    );
    let attribute = |a: aws_sdk_ec2::types::InstanceAttributeName| {
        block(
            ec2.describe_instance_attribute()
                .instance_id(&id)
                .attribute(a)
                .send(),
        )
        .expect("attribute")
    };
    let user_data = attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData);
    assert_eq!(
        user_data.user_data().and_then(|u| u.value()),
        Some("ZWNobyBoaQ==")
    );
    let stop = || {
        attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiStop)
            .disable_api_stop()
            .and_then(|a| a.value())
    };
    assert_eq!(stop(), Some(true));
    let volumes = || {
        let ids: Vec<String> = read()
            .block_device_mappings()
            .iter()
            .filter_map(|b| b.ebs().and_then(|e| e.volume_id()).map(String::from))
            .collect();
        let out = block(ec2.describe_volumes().set_volume_ids(Some(ids)).send()).expect("volumes");
        out.volumes().to_vec()
    };
    let vs = volumes();
    // (moto makes no root volume from the image once mappings are given, so
    // /dev/sdf may be the only one; every volume there is must carry the tags.)
    assert!(!vs.is_empty(), "{vs:?}");
    let sdf = vs
        .iter()
        .find(|v| {
            v.attachments()
                .iter()
                .any(|a| a.device() == Some("/dev/sdf"))
        })
        .expect("/dev/sdf");
    assert_eq!(sdf.size(), Some(5));
    assert_eq!(sdf.volume_type().map(|t| t.as_str()), Some("gp3"));
    let team = |v: &aws_sdk_ec2::types::Volume| {
        v.tags()
            .iter()
            .find(|t| t.key() == Some("team"))
            .and_then(|t| t.value())
            .map(String::from)
    };
    assert!(vs.iter().all(|v| team(v).as_deref() == Some("a")), "{vs:?}");
    let state = w.attrs("aws_instance.i");
    assert_eq!(state["ebs_block_device"][0]["volume_size"], 5);
    assert_eq!(state["cpu_options"][0]["core_count"], 1);
    let r = iac(&w, &m, &["output", "-json"]).ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        out["eni"]["value"]
            .as_str()
            .is_some_and(|e| e.starts_with("eni-")),
        "{out}"
    );
    assert!(
        out["dns"]["value"]
            .as_str()
            .is_some_and(|d| d.starts_with("ip-10-31-1-")),
        "{out}"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let vars = ["-var", "team=b", "-var", "stop_protection=false"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(read().instance_id(), Some(id.as_str()), "updated in place");
    assert!(volumes().iter().all(|v| team(v).as_deref() == Some("b")));
    assert_eq!(stop(), Some(false));
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // user_data and user_data_base64 together, or base64 that is not: refused.
    w.write(
        "bad.tf",
        "resource \"aws_instance\" \"both\" {\n  ami = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n  user_data = \"x\"\n  user_data_base64 = \"eA==\"\n}\nresource \"aws_instance\" \"garbled\" {\n  ami = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n  user_data_base64 = \"%%%\"\n}\n",
    );
    let r = iac(&w, &m, &["validate"]).code(1);
    assert!(r.stderr.contains("cannot both be set"), "{}", r.stderr);
    assert!(r.stderr.contains("not valid base64"), "{}", r.stderr);
    std::fs::remove_file(w.path().join("bad.tf")).unwrap();
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();
}

/// Lookups of existing objects, as real configurations write them.
#[test]
fn lookups_of_subnets_groups_roles_and_buckets_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "app" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.40.3.0/24"
  tags       = { Tier = "app" }
}

resource "aws_security_group" "web" {
  name   = "lookup-web"
  vpc_id = aws_vpc.v.id
}

resource "aws_iam_role" "r" {
  name               = "lookup-role"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}

resource "aws_s3_bucket" "b" {
  bucket = "lookup-bucket"
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    w.write(
        "lookups.tf",
        r#"
data "aws_subnet" "app" {
  vpc_id = aws_vpc.v.id
  tags   = { Tier = "app" }
}

data "aws_security_group" "web" {
  vpc_id = aws_vpc.v.id
  filter {
    name   = "group-name"
    values = ["lookup-web"]
  }
}

data "aws_iam_role" "r" {
  name = "lookup-role"
}

data "aws_s3_bucket" "b" {
  bucket = "lookup-bucket"
}

output "subnet" { value = data.aws_subnet.app.id == aws_subnet.app.id }
output "cidr" { value = data.aws_subnet.app.cidr_block }
output "group" { value = data.aws_security_group.web.id == aws_security_group.web.id }
output "role" { value = data.aws_iam_role.r.arn }
output "bucket" { value = data.aws_s3_bucket.b.arn }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["subnet"]["value"], true);
    assert_eq!(out["cidr"]["value"], "10.40.3.0/24");
    assert_eq!(out["group"]["value"], true);
    assert_eq!(
        out["role"]["value"],
        "arn:aws:iam::123456789012:role/lookup-role"
    );
    assert_eq!(out["bucket"]["value"], "arn:aws:s3:::lookup-bucket");

    // No match, and more than one, are errors that say so.
    w.write(
        "lookups.tf",
        "data \"aws_subnet\" \"none\" {\n  cidr_block = \"10.99.0.0/24\"\n}\n",
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(r.stderr.contains("No matching subnet"), "{}", r.stderr);
}

/// Security group rules as real configurations write them: the group itself
/// (`self`), another group (`source_security_group_id`), IPv6 ranges; a generated
/// name from `name_prefix`; rules revoked before delete.
#[test]
fn security_group_sources_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
variable "port" { default = 5432 }

resource "aws_vpc" "v" {
  cidr_block = "10.45.0.0/16"
}

resource "aws_security_group" "app" {
  name_prefix            = "app-"
  vpc_id                 = aws_vpc.v.id
  revoke_rules_on_delete = true

  ingress {
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    ipv6_cidr_blocks = ["::/0"]
  }

  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }
}

resource "aws_security_group" "db" {
  name   = "db"
  vpc_id = aws_vpc.v.id
}

resource "aws_security_group_rule" "db_from_app" {
  type                     = "ingress"
  from_port                = var.port
  to_port                  = var.port
  protocol                 = "tcp"
  security_group_id        = aws_security_group.db.id
  source_security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "db_from_office" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  security_group_id = aws_security_group.db.id
  cidr_blocks       = ["192.0.2.0/24"]
}

resource "aws_security_group_rule" "db_from_two" {
  type              = "ingress"
  from_port         = 8080
  to_port           = 8080
  protocol          = "tcp"
  security_group_id = aws_security_group.db.id
  cidr_blocks       = ["198.51.100.0/24", "203.0.113.0/24"]
}

output "app" { value = aws_security_group.app.id }
output "db" { value = aws_security_group.db.id }
output "rule_ids" {
  value = [
    aws_security_group_rule.db_from_app.security_group_rule_id,
    aws_security_group_rule.db_from_office.security_group_rule_id,
    aws_security_group_rule.db_from_two.security_group_rule_id,
  ]
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let app = out["app"]["value"].as_str().expect("app").to_string();
    let db = out["db"]["value"].as_str().expect("db").to_string();
    let (app_g, db_g) = block(async {
        let g = ec2
            .describe_security_groups()
            .group_ids(&app)
            .group_ids(&db)
            .send()
            .await
            .expect("groups");
        let find = |id: &str| {
            g.security_groups()
                .iter()
                .find(|x| x.group_id() == Some(id))
                .cloned()
                .expect("group")
        };
        (find(&app), find(&db))
    });
    assert!(app_g.group_name().unwrap_or_default().starts_with("app-"));
    let perms = app_g.ip_permissions();
    assert!(perms.iter().any(|p| p
        .ipv6_ranges()
        .iter()
        .any(|r| r.cidr_ipv6() == Some("::/0"))));
    assert!(perms.iter().any(|p| p
        .user_id_group_pairs()
        .iter()
        .any(|g| g.group_id() == Some(app.as_str()))));
    assert!(db_g
        .ip_permissions()
        .iter()
        .any(|p| p.from_port() == Some(5432)
            && p.user_id_group_pairs()
                .iter()
                .any(|g| g.group_id() == Some(app.as_str()))));

    // A rule of one source is one AWS rule, with AWS's id; one of two sources is two.
    let ids = block(async {
        let r = ec2
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(&db).build())
            .send()
            .await
            .expect("rules");
        let id = |f: &dyn Fn(&aws_sdk_ec2::types::SecurityGroupRule) -> bool| {
            r.security_group_rules()
                .iter()
                .find(|x| f(x))
                .and_then(|x| x.security_group_rule_id())
                .expect("a rule")
                .to_string()
        };
        (
            id(&|x| {
                x.from_port() == Some(5432)
                    && x.referenced_group_info().and_then(|g| g.group_id()) == Some(app.as_str())
            }),
            id(&|x| x.from_port() == Some(22) && x.cidr_ipv4() == Some("192.0.2.0/24")),
        )
    });
    assert!(ids.0.starts_with("sgr-") && ids.0 != ids.1, "{ids:?}");
    assert_eq!(
        out["rule_ids"]["value"],
        serde_json::json!([ids.0, ids.1, ""]),
        "{out}"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "port=5433"]).ok();
    assert!(
        r.stdout.contains("1 added, 0 changed, 1 destroyed"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "port=5433"]).ok();
    block(async {
        let left = ec2
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values("*").build())
            .send()
            .await
            .expect("groups");
        assert!(left
            .security_groups()
            .iter()
            .all(|g| g.group_id() != Some(app.as_str()) && g.group_id() != Some(db.as_str())));
    });
}

/// The default security group of a VPC, adopted and emptied or given rules, as
/// terraform-aws-modules/vpc does with it.
#[test]
fn default_security_group_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let with_rule = r#"
resource "aws_vpc" "v" {
  cidr_block = "10.65.0.0/16"
}

resource "aws_default_security_group" "d" {
  vpc_id = aws_vpc.v.id
  # As in Terraform, accepted with no effect (a default group is never deleted).
  revoke_rules_on_delete = true

  ingress {
    protocol  = "-1"
    self      = true
    from_port = 0
    to_port   = 0
  }
}

output "id" { value = aws_default_security_group.d.id }
"#;
    let w = Work::new(with_rule);
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stderr
            .contains("a default security group is never deleted"),
        "{}",
        r.stderr
    );
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let id = out["id"]["value"].as_str().expect("id").to_string();
    let read = || {
        block(async {
            let g = ec2
                .describe_security_groups()
                .group_ids(&id)
                .send()
                .await
                .expect("group");
            g.security_groups()[0].clone()
        })
    };
    let g = read();
    assert_eq!(g.group_name(), Some("default"));
    // As Terraform's state has it: the name "default" has no generated prefix.
    let a = w.attrs("aws_default_security_group.d");
    assert_eq!(
        (&a["name"], &a["name_prefix"]),
        (&serde_json::json!("default"), &serde_json::json!(""))
    );
    assert!(
        g.ip_permissions_egress().is_empty(),
        "AWS's allow-all egress was removed"
    );
    assert!(g.ip_permissions()[0]
        .user_id_group_pairs()
        .iter()
        .any(|p| p.group_id() == Some(id.as_str())));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // No blocks: no rules.
    let start = with_rule.find("\n  ingress {").expect("block");
    let end = with_rule[start..].find("\n  }\n").expect("end") + start + 4;
    let empty = format!("{}{}", &with_rule[..start], &with_rule[end..]);
    w.write("main.tf", &empty);
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(read().ip_permissions().is_empty());
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

const VPC_RULES: &str = r#"
variable "port" { default = 443 }
variable "team" { default = "web" }
resource "aws_vpc" "v" {
  cidr_block = "10.60.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.v.id
}
resource "aws_security_group" "lb" {
  name   = "lb"
  vpc_id = aws_vpc.v.id
}
resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.web.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = var.port
  to_port           = var.port
  description       = "HTTPS inside"
  tags              = { Team = var.team }
}
resource "aws_vpc_security_group_ingress_rule" "from_lb" {
  security_group_id            = aws_security_group.web.id
  referenced_security_group_id = aws_security_group.lb.id
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
}
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.web.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}
"#;

fn rules_of(m: &Moto, group: &str) -> Vec<aws_sdk_ec2::types::SecurityGroupRule> {
    block(async {
        m.ec2()
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(group).build())
            .send()
            .await
            .expect("rules")
            .security_group_rules()
            .to_vec()
    })
}

/// `aws_vpc_security_group_ingress_rule` / `_egress_rule`: one rule each, with
/// its own id and tags, changed in place, refreshed in one call, imported by id.
#[test]
fn vpc_security_group_rules_against_moto() {
    let m = Moto::start();
    let w = Work::new(VPC_RULES);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let web = w.attrs("aws_security_group.web")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let lb = w.attrs("aws_security_group.lb")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let https = w.attrs("aws_vpc_security_group_ingress_rule.https")["id"]
        .as_str()
        .expect("rule id")
        .to_string();
    assert!(https.starts_with("sgr-"), "{https}");
    let rules = rules_of(&m, &web);
    let r = rules
        .iter()
        .find(|r| r.security_group_rule_id() == Some(https.as_str()))
        .expect("the https rule");
    assert_eq!((r.from_port(), r.to_port()), (Some(443), Some(443)));
    assert_eq!(r.cidr_ipv4(), Some("10.0.0.0/8"));
    assert_eq!(r.description(), Some("HTTPS inside"));
    assert!(r
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("web")));
    assert!(rules.iter().any(|r| r.is_egress() == Some(false)
        && r.referenced_group_info().and_then(|g| g.group_id()) == Some(lb.as_str())
        && r.from_port() == Some(8080)));
    assert!(rules.iter().any(|r| r.is_egress() == Some(true)
        && r.ip_protocol() == Some("-1")
        && r.cidr_ipv4() == Some("0.0.0.0/0")));

    // No changes: the rules are read with one call per type (ingress, egress).
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(proxy.count("DescribeSecurityGroupRules"), 2);

    // In place: a port and a tag; the rule keeps its id.
    let r = iac(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "port=8443",
            "-var",
            "team=ops",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        w.attrs("aws_vpc_security_group_ingress_rule.https")["id"],
        https.as_str()
    );
    let rules = rules_of(&m, &web);
    let r = rules
        .iter()
        .find(|r| r.security_group_rule_id() == Some(https.as_str()))
        .expect("the https rule");
    assert_eq!((r.from_port(), r.to_port()), (Some(8443), Some(8443)));
    assert!(r
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("ops")));
    let vars = ["-var", "port=8443", "-var", "team=ops"];
    let mut plan = vec!["plan", "-detailed-exitcode"];
    plan.extend(vars);
    iac(&w, &m, &plan).code(0);

    // Deleted outside iac: planned again.
    block(async {
        m.ec2()
            .revoke_security_group_egress()
            .group_id(&web)
            .security_group_rule_ids(
                w.attrs("aws_vpc_security_group_egress_rule.all")["id"]
                    .as_str()
                    .unwrap_or_default(),
            )
            .send()
            .await
            .expect("revoke");
    });
    let r = iac(&w, &m, &plan).code(2);
    assert!(
        r.stdout
            .contains("aws_vpc_security_group_egress_rule.all will be created"),
        "{}",
        r.stdout
    );

    // Import by rule id.
    iac(
        &w,
        &m,
        &["state", "rm", "aws_vpc_security_group_ingress_rule.https"],
    )
    .ok();
    let mut import = vec!["import"];
    import.extend(vars);
    import.extend(["aws_vpc_security_group_ingress_rule.https", https.as_str()]);
    iac(&w, &m, &import).ok();
    let mut apply = vec!["apply", "-auto-approve"];
    apply.extend(vars);
    let r = iac(&w, &m, &apply).ok();
    assert!(
        r.stdout.contains("1 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &plan).code(0);

    let mut destroy = vec!["destroy", "-auto-approve"];
    destroy.extend(vars);
    iac(&w, &m, &destroy).ok();
}

#[test]
fn a_vpc_security_group_rule_has_exactly_one_peer() {
    let w = Work::new(
        r#"
resource "aws_vpc_security_group_ingress_rule" "bad" {
  security_group_id = "sg-1"
  cidr_ipv4         = "10.0.0.0/8"
  cidr_ipv6         = "::/0"
  ip_protocol       = "-1"
  from_port         = 80
}
"#,
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("this rule sets cidr_ipv4 and cidr_ipv6"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("No ports with all protocols"),
        "{}",
        r.stderr
    );
}

/// `aws_vpc`'s defaults as attributes, and `aws_default_vpc` adopted, changed in
/// place and only forgotten on destroy.
#[test]
fn vpc_defaults_and_the_default_vpc_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "env" { default = "dev" }
resource "aws_vpc" "main" {
  cidr_block           = "10.61.0.0/16"
  enable_dns_hostnames = true
}
resource "aws_default_vpc" "default" {
  tags = { Name = "Default VPC", Env = var.env }
}
resource "aws_route" "out" {
  route_table_id         = aws_vpc.main.main_route_table_id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}
output "sg" { value = aws_vpc.main.default_security_group_id }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let vpc = w.attrs("aws_vpc.main");
    let id = vpc["id"].as_str().expect("id").to_string();
    let groups = block(async {
        m.ec2()
            .describe_security_groups()
            .filters(Filter::builder().name("vpc-id").values(&id).build())
            .filters(
                Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .send()
            .await
            .expect("groups")
    });
    assert_eq!(
        vpc["default_security_group_id"],
        groups.security_groups()[0].group_id().unwrap_or_default()
    );
    let tables = block(async {
        m.ec2()
            .describe_route_tables()
            .filters(Filter::builder().name("vpc-id").values(&id).build())
            .filters(
                Filter::builder()
                    .name("association.main")
                    .values("true")
                    .build(),
            )
            .send()
            .await
            .expect("tables")
    });
    let main = tables.route_tables()[0]
        .route_table_id()
        .unwrap_or_default()
        .to_string();
    assert_eq!(vpc["main_route_table_id"], main.as_str());
    assert_eq!(vpc["default_route_table_id"], main.as_str());
    assert!(vpc["default_network_acl_id"]
        .as_str()
        .is_some_and(|a| a.starts_with("acl-")));
    assert_eq!(vpc["enable_dns_hostnames"], true);
    // The route went into the main table.
    let t = block(async {
        m.ec2()
            .describe_route_tables()
            .route_table_ids(&main)
            .send()
            .await
            .expect("t")
    });
    assert!(t.route_tables()[0]
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")));

    let default = w.attrs("aws_default_vpc.default");
    let default_id = default["id"].as_str().expect("default vpc").to_string();
    assert_eq!(default["cidr_block"], "172.31.0.0/16");
    assert_eq!(default["existing_default_vpc"], true);
    let d = block(async {
        m.ec2()
            .describe_vpcs()
            .vpc_ids(&default_id)
            .send()
            .await
            .expect("vpcs")
    });
    let tags: Vec<(&str, &str)> = d.vpcs()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    assert!(
        tags.contains(&("Env", "dev")) && tags.contains(&("Name", "Default VPC")),
        "{tags:?}"
    );

    // No changes; the two VPCs and their defaults in four calls.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(proxy.count("DescribeNetworkAcls"), 2, "one per type");
    assert_eq!(
        proxy.count("DescribeVpcAttribute"),
        0,
        "settings stay from state"
    );

    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "env=prod"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "env=prod"]).ok();
    // The default VPC is only forgotten; the other is gone.
    let left = block(async { m.ec2().describe_vpcs().send().await.expect("vpcs") });
    assert!(left
        .vpcs()
        .iter()
        .any(|v| v.vpc_id() == Some(default_id.as_str())));
    assert!(left.vpcs().iter().all(|v| v.vpc_id() != Some(id.as_str())));
}

/// `aws_default_subnet` and `aws_default_route_table`: adopted, changed in place,
/// and only forgotten on destroy.
#[test]
fn default_subnet_and_default_route_table_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "public" { default = false }
resource "aws_vpc" "main" {
  cidr_block = "10.62.0.0/16"
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}
resource "aws_default_route_table" "main" {
  default_route_table_id = aws_vpc.main.default_route_table_id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
  tags = { Name = "main" }
}
resource "aws_default_subnet" "a" {
  availability_zone       = "us-east-1a"
  map_public_ip_on_launch = var.public
  tags                    = { Name = "default-a" }

  enable_resource_name_dns_a_record_on_launch = var.public
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let rt = w.attrs("aws_default_route_table.main")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        rt,
        w.attrs("aws_vpc.main")["main_route_table_id"]
            .as_str()
            .unwrap_or_default()
    );
    let t = block(async {
        m.ec2()
            .describe_route_tables()
            .route_table_ids(&rt)
            .send()
            .await
            .expect("rt")
    });
    let table = &t.route_tables()[0];
    assert!(table
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")));
    assert!(table
        .tags()
        .iter()
        .any(|t| t.key() == Some("Name") && t.value() == Some("main")));
    let subnet = w.attrs("aws_default_subnet.a");
    let sid = subnet["id"].as_str().expect("subnet").to_string();
    assert_eq!(subnet["existing_default_subnet"], true);
    let sn = block(async {
        m.ec2()
            .describe_subnets()
            .subnet_ids(&sid)
            .send()
            .await
            .expect("subnet")
    });
    assert_eq!(sn.subnets()[0].default_for_az(), Some(true));
    assert_eq!(sn.subnets()[0].map_public_ip_on_launch(), Some(false));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "public=true"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let sn = block(async {
        m.ec2()
            .describe_subnets()
            .subnet_ids(&sid)
            .send()
            .await
            .expect("subnet")
    });
    assert_eq!(sn.subnets()[0].map_public_ip_on_launch(), Some(true));
    assert_eq!(
        sn.subnets()[0]
            .private_dns_name_options_on_launch()
            .and_then(|o| o.enable_resource_name_dns_a_record()),
        Some(true)
    );
    let r = iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "public=true"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "public=true"]).ok();
    // The default subnet stays; the VPC (and its main table with it) is gone.
    let sn = block(async { m.ec2().describe_subnets().subnet_ids(&sid).send().await });
    assert!(sn.is_ok_and(|s| s.subnets().len() == 1));
}

/// `dynamic` blocks, as real configurations write them: one `ingress` block per
/// rule of a map variable, keyed by name, against moto.
#[test]
fn dynamic_ingress_blocks_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "rules" {
  default = {
    https = { port = 443, cidrs = ["10.0.0.0/8"] }
    ssh   = { port = 22, cidrs = ["10.1.0.0/16", "10.2.0.0/16"] }
  }
}
resource "aws_vpc" "v" {
  cidr_block = "10.63.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.v.id
  dynamic "ingress" {
    for_each = var.rules
    content {
      description = ingress.key
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ingress.value.cidrs
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = w.attrs("aws_security_group.web")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut ports = crate::aws::ingress_ports(&m, &id);
    ports.sort();
    assert_eq!(
        ports,
        vec![
            (
                22,
                vec!["10.1.0.0/16".to_string(), "10.2.0.0/16".to_string()]
            ),
            (443, vec!["10.0.0.0/8".to_string()])
        ]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // One rule fewer: an update in place.
    let r = iac(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "rules={https={port=443,cidrs=[\"10.0.0.0/8\"]}}",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(crate::aws::ingress_ports(&m, &id).len(), 1);
}

/// `aws_default_network_acl`: entries managed exactly (AWS's allow-all rule 100
/// replaced by the configuration's), changed in place, subnets moved to it.
#[test]
fn default_network_acl_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "port" { default = 443 }
resource "aws_vpc" "main" {
  cidr_block = "10.64.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.64.1.0/24"
}
resource "aws_default_network_acl" "main" {
  default_network_acl_id = aws_vpc.main.default_network_acl_id
  subnet_ids             = [aws_subnet.a.id]
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "10.0.0.0/8"
    from_port  = var.port
    to_port    = var.port
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    cidr_block = "0.0.0.0/0"
  }
  tags = { Name = "default" }
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = w.attrs("aws_default_network_acl.main")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let entries = || {
        block(async {
            m.ec2()
                .describe_network_acls()
                .network_acl_ids(&id)
                .send()
                .await
                .expect("acl")
                .network_acls()[0]
                .entries()
                .iter()
                .filter(|e| e.rule_number() != Some(32767))
                .map(|e| {
                    (
                        e.egress().unwrap_or(false),
                        e.rule_number().unwrap_or(0),
                        e.protocol().unwrap_or("").to_string(),
                        e.port_range().and_then(|p| p.from()).unwrap_or(0),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let mut e = entries();
    e.sort();
    assert_eq!(
        e,
        vec![
            (false, 100, "6".to_string(), 443),
            (true, 100, "-1".to_string(), 0)
        ]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "port=8443"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let mut e = entries();
    e.sort();
    assert_eq!(e[0], (false, 100, "6".to_string(), 8443));
    let subnets = &w.attrs("aws_default_network_acl.main")["subnet_ids"];
    assert_eq!(subnets[0], w.attrs("aws_subnet.a")["id"]);
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "port=8443"]).ok();
}

/// Target group arguments beyond the basics: a generated name from `name_prefix`,
/// protocol version, slow start, the balancing algorithm and stickiness; read back
/// from AWS (drift shows), updated in place, stickiness switched off when its block goes.
#[test]
fn target_group_arguments_against_moto() {
    let m = Moto::start();
    let tg = |slow: u32, sticky: &str| {
        format!(
            r#"
resource "aws_vpc" "main" {{
  cidr_block = "10.60.0.0/16"
}}

resource "aws_lb_target_group" "web" {{
  name_prefix                   = "web-"
  port                          = 80
  protocol                      = "HTTP"
  protocol_version              = "HTTP2"
  vpc_id                        = aws_vpc.main.id
  slow_start                    = {slow}
  load_balancing_algorithm_type = "least_outstanding_requests"
  {sticky}
}}
"#
        )
    };
    let sticky =
        "stickiness {\n    type            = \"lb_cookie\"\n    cookie_duration = 3600\n  }";
    let w = Work::new(&tg(30, sticky));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_lb_target_group.web")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let attrs = |m: &Moto| -> std::collections::BTreeMap<String, String> {
        block(
            m.elb()
                .describe_target_group_attributes()
                .target_group_arn(&arn)
                .send(),
        )
        .unwrap()
        .attributes()
        .iter()
        .map(|a| (a.key().unwrap().to_string(), a.value().unwrap().to_string()))
        .collect()
    };
    let a = attrs(&m);
    assert_eq!(a["slow_start.duration_seconds"], "30");
    assert_eq!(
        a["load_balancing.algorithm.type"],
        "least_outstanding_requests"
    );
    assert_eq!(a["stickiness.enabled"], "true");
    assert_eq!(a["stickiness.lb_cookie.duration_seconds"], "3600");
    let g = block(
        m.elb()
            .describe_target_groups()
            .target_group_arns(&arn)
            .send(),
    )
    .unwrap();
    let g = &g.target_groups()[0];
    assert!(g.target_group_name().unwrap().starts_with("web-"), "{g:?}");
    assert_eq!(g.protocol_version(), Some("HTTP2"));
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // Drift: slow start changed outside iac is seen and put back.
    block(
        m.elb()
            .modify_target_group_attributes()
            .target_group_arn(&arn)
            .attributes(
                aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                    .key("slow_start.duration_seconds")
                    .value("0")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(r.stdout.contains("slow_start"), "{}", r.stdout);

    // In place: a new slow start, stickiness off when its block goes.
    w.write("main.tf", &tg(60, ""));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let a = attrs(&m);
    assert_eq!(a["slow_start.duration_seconds"], "60");
    assert_eq!(a["stickiness.enabled"], "false");
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// data "aws_ami" tells what DescribeImages tells of the image it finds, as
/// Terraform's does (block devices with their EBS settings as a map of strings).
#[test]
fn ami_lookup_reads_what_the_image_is() {
    let m = Moto::start();
    let w = Work::new(
        r#"
data "aws_ami" "base" {
  owners             = ["amazon"]
  most_recent        = true
  include_deprecated = false
  filter {
    name   = "name"
    values = ["amzn-ami-*"]
  }
}

output "image" {
  value = {
    id                  = data.aws_ami.base.id
    arn                 = data.aws_ami.base.arn
    root_device_name    = data.aws_ami.base.root_device_name
    root_device_type    = data.aws_ami.base.root_device_type
    virtualization_type = data.aws_ami.base.virtualization_type
    state               = data.aws_ami.base.state
    public              = data.aws_ami.base.public
    first_device        = data.aws_ami.base.block_device_mappings[0].device_name
    first_size          = data.aws_ami.base.block_device_mappings[0].ebs.volume_size
    root_snapshot_id    = data.aws_ami.base.root_snapshot_id
  }
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["output", "-json"]).ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got = &out["image"]["value"];
    let id = got["id"].as_str().unwrap().to_string();
    let img = block(m.ec2().describe_images().image_ids(&id).send())
        .expect("image")
        .images()[0]
        .clone();
    assert_eq!(got["arn"], format!("arn:aws:ec2:us-east-1::image/{id}"));
    assert_eq!(got["root_device_name"], img.root_device_name().unwrap());
    assert_eq!(
        got["root_device_type"],
        img.root_device_type().unwrap().as_str()
    );
    assert_eq!(
        got["virtualization_type"],
        img.virtualization_type().unwrap().as_str()
    );
    assert_eq!(got["state"], "available");
    assert_eq!(got["public"], img.public().unwrap_or(false));
    let first = &img.block_device_mappings()[0];
    assert_eq!(got["first_device"], first.device_name().unwrap());
    assert_eq!(
        got["first_size"],
        first
            .ebs()
            .and_then(|e| e.volume_size())
            .map(|n| n.to_string())
            .unwrap()
    );
}

/// data "aws_vpc" tells what Terraform's does: DNS attributes, the main route
/// table, the address blocks; and finds a VPC by state.
#[test]
fn vpc_lookup_reads_attributes_and_main_route_table() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block           = "10.77.0.0/16"
  enable_dns_hostnames = true
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    w.write(
        "lookup.tf",
        r#"
data "aws_vpc" "found" {
  id    = aws_vpc.v.id
  state = "available"

  timeouts {
    read = "20m"
  }
}

output "found" {
  value = {
    hostnames  = data.aws_vpc.found.enable_dns_hostnames
    support    = data.aws_vpc.found.enable_dns_support
    main_table = data.aws_vpc.found.main_route_table_id
    same_table = data.aws_vpc.found.main_route_table_id == aws_vpc.v.main_route_table_id
    block      = data.aws_vpc.found.cidr_block_associations[0].cidr_block
  }
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["output", "-json", "found"]).ok();
    let got: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(got["hostnames"], true, "{got}");
    assert_eq!(got["support"], true, "{got}");
    assert!(
        got["main_table"]
            .as_str()
            .is_some_and(|t| t.starts_with("rtb-")),
        "{got}"
    );
    assert_eq!(got["same_table"], true, "{got}");
    assert_eq!(got["block"], "10.77.0.0/16");
    // The read stops at its limit, with an error naming it; a limit that is not
    // a duration is an error at the argument.
    w.write(
        "lookup.tf",
        "data \"aws_vpc\" \"found\" {\n  id = aws_vpc.v.id\n  timeouts {\n    read = \"1ns\"\n  }\n}\n",
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("Timed out: reading aws_vpc did not finish within 1ns"),
        "{}",
        r.stderr
    );
    w.write(
        "lookup.tf",
        "data \"aws_vpc\" \"found\" {\n  id = aws_vpc.v.id\n  timeouts {\n    read = \"ten minutes\"\n  }\n}\n",
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(r.stderr.contains("Invalid duration"), "{}", r.stderr);
    assert!(
        r.stderr.contains("\"ten minutes\" is not a duration"),
        "{}",
        r.stderr
    );
}

/// data "aws_availability_zones" leaves out the zones named in exclude_names and
/// exclude_zone_ids, as Terraform's does.
#[test]
fn availability_zones_exclude_names_and_ids() {
    let m = Moto::start();
    let w = Work::new(
        r#"
data "aws_availability_zones" "all" {
  state = "available"
}

data "aws_availability_zones" "some" {
  state                  = "available"
  all_availability_zones = false
  exclude_names          = ["us-east-1a"]
  exclude_zone_ids       = [data.aws_availability_zones.all.zone_ids[1]]
}

output "all" { value = data.aws_availability_zones.all.names }
output "some" { value = data.aws_availability_zones.some.names }
output "groups" { value = data.aws_availability_zones.some.group_names }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["output", "-json"]).ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let all: Vec<&str> = out["all"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    let some: Vec<&str> = out["some"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(all.len() >= 3, "{all:?}");
    assert!(!some.contains(&"us-east-1a"), "{some:?}");
    assert!(
        !some.contains(&all[1]),
        "the zone of the excluded id is gone: {some:?}"
    );
    assert_eq!(some.len(), all.len() - 2, "{some:?}");
}

/// The target group attributes that are one setting each (and the blocks of
/// them), as configurations write them: written as attributes, read back with
/// no change, changed in place.
#[test]
fn target_group_attribute_arguments_against_moto() {
    let m = Moto::start();
    let tg = |mitigation: &str| {
        format!(
            r#"
resource "aws_vpc" "main" {{
  cidr_block = "10.61.0.0/16"
}}

resource "aws_lb_target_group" "web" {{
  name                              = "attrs"
  port                              = 80
  protocol                          = "HTTP"
  vpc_id                            = aws_vpc.main.id
  ip_address_type                   = "ipv4"
  load_balancing_algorithm_type     = "weighted_random"
  load_balancing_anomaly_mitigation = "{mitigation}"
  load_balancing_cross_zone_enabled = "use_load_balancer_configuration"

  target_group_health {{
    dns_failover {{
      minimum_healthy_targets_count = "1"
    }}
    unhealthy_state_routing {{
      minimum_healthy_targets_percentage = "off"
    }}
  }}
}}
"#
        )
    };
    let w = Work::new(&tg("on"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_lb_target_group.web")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let attrs = || -> std::collections::BTreeMap<String, String> {
        block(
            m.elb()
                .describe_target_group_attributes()
                .target_group_arn(&arn)
                .send(),
        )
        .unwrap()
        .attributes()
        .iter()
        .map(|a| (a.key().unwrap().to_string(), a.value().unwrap().to_string()))
        .collect()
    };
    let a = attrs();
    assert_eq!(a["load_balancing.algorithm.anomaly_mitigation"], "on");
    assert_eq!(
        a["load_balancing.cross_zone.enabled"],
        "use_load_balancer_configuration"
    );
    assert_eq!(
        a["target_group_health.dns_failover.minimum_healthy_targets.count"],
        "1"
    );
    assert_eq!(
        a["target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage"],
        "off"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    w.write("main.tf", &tg("off"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        attrs()["load_balancing.algorithm.anomaly_mitigation"],
        "off"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

/// A listener's attributes, as configurations write them (response headers,
/// the Server header, the names of the TLS request headers): written, read back
/// with no change, changed in place.
#[test]
fn listener_attributes_against_moto() {
    let m = Moto::start();
    let lb = |hsts: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.62.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.62.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.62.2.0/24"
  availability_zone = "us-east-1b"
}}

resource "aws_lb" "app" {{
  name    = "attrs-app"
  subnets = [aws_subnet.a.id, aws_subnet.b.id]
}}

resource "aws_lb_listener" "http" {{
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  protocol          = "HTTP"

  routing_http_response_server_enabled                          = false
  routing_http_response_strict_transport_security_header_value = "{hsts}"
  routing_http_request_x_amzn_tls_version_header_name          = "X-TLS-Version"

  default_action {{
    type = "fixed-response"
    fixed_response {{
      content_type = "text/plain"
      status_code  = "200"
    }}
  }}
}}
"#
        )
    };
    let w = Work::new(&lb("max-age=31536000"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_lb_listener.http")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let attrs = || -> std::collections::BTreeMap<String, String> {
        block(
            m.elb()
                .describe_listener_attributes()
                .listener_arn(&arn)
                .send(),
        )
        .unwrap()
        .attributes()
        .iter()
        .map(|a| (a.key().unwrap().to_string(), a.value().unwrap().to_string()))
        .collect()
    };
    let a = attrs();
    assert_eq!(a["routing.http.response.server.enabled"], "false");
    assert_eq!(
        a["routing.http.response.strict_transport_security.header_value"],
        "max-age=31536000"
    );
    assert_eq!(
        a["routing.http.request.x_amzn_tls_version.header_name"],
        "X-TLS-Version"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    w.write("main.tf", &lb("max-age=600"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        attrs()["routing.http.response.strict_transport_security.header_value"],
        "max-age=600"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

const FROM_TEMPLATE: &str = r#"
variable "version" { default = "$Default" }

resource "aws_launch_template" "t" {
  name          = "from-template"
  image_id      = "ami-12c6146b"
  instance_type = "t3.small"
  tag_specifications {
    resource_type = "instance"
    tags          = { Role = "app" }
  }
}

resource "aws_instance" "i" {
  launch_template {
    id      = aws_launch_template.t.id
    version = var.version
  }
  tags = { Name = "from-template" }
}

output "type" { value = aws_instance.i.instance_type }
output "ami" { value = aws_instance.i.ami }
"#;

/// `launch_template` on an instance: the AMI and type come from the template
/// (and show as the instance's), the template's own `aws:` tags are not the
/// configuration's, a re-plan is clean, and another version replaces it.
#[test]
fn instance_from_a_launch_template_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(FROM_TEMPLATE);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let i = running_instance(&ec2);
    assert_eq!(i.image_id(), Some("ami-12c6146b"));
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    let tag = |k: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(String::from)
    };
    let template = w.attrs("aws_launch_template.t")["id"].clone();
    assert_eq!(
        tag("aws:ec2launchtemplate:id").as_deref(),
        template.as_str()
    );
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(out["type"]["value"], "t3.small");
    assert_eq!(out["ami"]["value"], "ami-12c6146b");
    let attrs = w.attrs("aws_instance.i");
    assert_eq!(attrs["launch_template"][0]["id"], template);
    assert_eq!(attrs["launch_template"][0]["version"], "$Default");
    assert!(
        attrs["tags"].get("aws:ec2launchtemplate:id").is_none(),
        "AWS's own tags are not the configuration's: {}",
        attrs["tags"]
    );
    // The template's own tags (tag_specifications) are on the instance but are
    // the template's: not the instance's tags, so no change is planned to take
    // them off (Terraform's plan would), and they stay.
    assert_eq!(tag("Role").as_deref(), Some("app"));
    assert!(attrs["tags"].get("Role").is_none(), "{}", attrs["tags"]);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    // Named in the configuration too, it is the instance's as well.
    w.write(
        "main.tf",
        &FROM_TEMPLATE.replace(
            "tags = { Name = \"from-template\" }",
            "tags = { Name = \"from-template\", Role = \"app\" }",
        ),
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(w.attrs("aws_instance.i")["tags"]["Role"], "app");
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert_eq!(
        running_instance(&ec2)
            .tags()
            .iter()
            .find(|t| t.key() == Some("Role"))
            .and_then(|t| t.value()),
        Some("app")
    );
    // Another version of the template is another instance.
    let r = iac(&w, &m, &["plan", "-var", "version=$Latest"]).ok();
    assert!(
        r.stdout.contains("aws_instance.i must be replaced"),
        "{}",
        r.stdout
    );
    // Without a template, ami and instance_type are required.
    let bare = Work::new("resource \"aws_instance\" \"i\" {\n}\n");
    let r = iac(&bare, &m, &["validate"]).code(1);
    assert!(r.stderr.contains("\"ami\" is required"), "{}", r.stderr);
    assert!(
        r.stderr.contains("\"instance_type\" is required"),
        "{}",
        r.stderr
    );
}

/// `instance_market_options`: a Spot Instance (EC2 says so in its lifecycle),
/// the request's settings kept as written, a clean re-plan.
#[test]
fn spot_instance_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        "resource \"aws_instance\" \"s\" {\n  ami           = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n  instance_market_options {\n    market_type = \"spot\"\n    spot_options {\n      max_price                      = \"0.05\"\n      instance_interruption_behavior = \"terminate\"\n    }\n  }\n}\n",
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let i = running_instance(&ec2);
    assert_eq!(i.instance_lifecycle().map(|l| l.as_str()), Some("spot"));
    let attrs = w.attrs("aws_instance.s");
    assert_eq!(attrs["instance_lifecycle"], "spot");
    assert_eq!(attrs["instance_market_options"][0]["market_type"], "spot");
    assert_eq!(
        attrs["instance_market_options"][0]["spot_options"][0]["max_price"],
        "0.05"
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
}

#[test]
fn a_subnet_by_zone_id_and_its_owner_against_moto() {
    let m = Moto::start();
    let config = |extra: &str| {
        format!(
            r#"resource "aws_vpc" "v" {{
  cidr_block = "10.44.0.0/16"
}}
resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.44.1.0/24"
  availability_zone = "us-east-1b"
}}
{extra}"#
        )
    };
    let w = Work::new(&config(""));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let a = w.attrs("aws_subnet.a");
    let zone_id = a["availability_zone_id"].as_str().unwrap().to_string();
    assert!(!zone_id.is_empty());
    assert!(
        !a["owner_id"].as_str().unwrap_or_default().is_empty(),
        "{a}"
    );
    // The same zone, named by its id. (moto 5.2.5 takes a subnet made by zone id
    // for its zone's default subnet and maps public addresses on it: say false.)
    w.write(
        "main.tf",
        &config(&format!(
            "resource \"aws_subnet\" \"b\" {{\n  vpc_id               = aws_vpc.v.id\n  cidr_block           = \"10.44.2.0/24\"\n  availability_zone_id = \"{zone_id}\"\n  map_public_ip_on_launch = false\n}}\n"
        )),
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let b = w.attrs("aws_subnet.b");
    let out = block(
        m.ec2()
            .describe_subnets()
            .subnet_ids(b["id"].as_str().unwrap())
            .send(),
    )
    .unwrap();
    let sn = &out.subnets()[0];
    assert_eq!(sn.availability_zone(), Some("us-east-1b"));
    assert_eq!(sn.availability_zone_id(), Some(zone_id.as_str()));
    assert_eq!(b["availability_zone"], "us-east-1b");
    let again = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

/// IPv6 addresses on an instance in a dual-stack subnet: a count AWS picks
/// from, grown and shrunk in place, then the addresses themselves; an instance
/// that writes neither has what AWS gave it and plans clean.
#[test]
fn instance_ipv6_addresses_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |v6: &str| {
        format!(
            r#"
data "aws_ami" "base" {{
  owners      = ["amazon"]
  most_recent = true
  filter {{
    name   = "name"
    values = ["amzn-ami-*"]
  }}
}}

resource "aws_vpc" "v" {{
  cidr_block                       = "10.67.0.0/16"
  assign_generated_ipv6_cidr_block = true
}}

resource "aws_subnet" "s" {{
  vpc_id          = aws_vpc.v.id
  cidr_block      = "10.67.1.0/24"
  ipv6_cidr_block = cidrsubnet(aws_vpc.v.ipv6_cidr_block, 8, 1)
}}

resource "aws_instance" "app" {{
  ami           = data.aws_ami.base.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s.id
{v6}}}

resource "aws_instance" "plain" {{
  ami           = data.aws_ami.base.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s.id
}}

output "id" {{ value = aws_instance.app.id }}
output "ips" {{ value = aws_instance.app.ipv6_addresses }}
output "count" {{ value = aws_instance.app.ipv6_address_count }}
output "plain" {{ value = aws_instance.plain.ipv6_address_count }}
output "host" {{ value = cidrhost(aws_subnet.s.ipv6_cidr_block, 100) }}
"#
        )
    };
    let w = Work::new(&main("  ipv6_address_count = 2\n"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let outputs = || -> serde_json::Value {
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json")
    };
    let out = outputs();
    let id = out["id"]["value"].as_str().expect("id").to_string();
    let read = || {
        block(async {
            let r = ec2
                .describe_instances()
                .instance_ids(&id)
                .send()
                .await
                .expect("instance");
            let i = r.reservations()[0].instances()[0].clone();
            i.network_interfaces()[0]
                .ipv6_addresses()
                .iter()
                .filter_map(|a| a.ipv6_address().map(String::from))
                .collect::<Vec<_>>()
        })
    };
    let two = read();
    assert_eq!(two.len(), 2, "{two:?}");
    assert_eq!(out["ips"]["value"], serde_json::json!(two), "{out}");
    assert_eq!(out["count"]["value"], 2, "{out}");
    assert_eq!(out["plain"]["value"], 0, "{out}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // One fewer, in place: the last one is given back.
    w.write("main.tf", &main("  ipv6_address_count = 1\n"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(read(), vec![two[0].clone()]);
    // The addresses themselves: one kept, one of the subnet's chosen.
    let host = out["host"]["value"].as_str().expect("host").to_string();
    w.write(
        "main.tf",
        &main(&format!(
            "  ipv6_addresses = [\"{}\", \"{host}\"]\n",
            two[0]
        )),
    );
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let mut now = read();
    now.sort();
    let mut want = vec![two[0].clone(), host.clone()];
    want.sort();
    assert_eq!(now, want);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Both at once is an error at validate.
    w.write(
        "main.tf",
        &main("  ipv6_addresses     = []\n  ipv6_address_count = 1\n"),
    );
    let r = iac(&w, &m, &["validate"]).code(1);
    assert!(r.stderr.contains("cannot both be set"), "{}", r.stderr);
    w.write(
        "main.tf",
        &main(&format!(
            "  ipv6_addresses = [\"{}\", \"{host}\"]\n",
            two[0]
        )),
    );
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// `secondary_private_ips` on an instance's primary interface: assigned after
/// launch, changed in place (one address gone, one new), read back from the
/// interface; an instance that writes none has AWS's (none) and no change.
#[test]
fn instance_secondary_private_ips_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
variable "ips" { default = ["10.66.1.20", "10.66.1.21"] }

data "aws_ami" "base" {
  owners      = ["amazon"]
  most_recent = true
  filter {
    name   = "name"
    values = ["amzn-ami-*"]
  }
}

resource "aws_vpc" "v" {
  cidr_block = "10.66.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.66.1.0/24"
}

resource "aws_instance" "app" {
  ami                   = data.aws_ami.base.id
  instance_type         = "t3.micro"
  subnet_id             = aws_subnet.s.id
  private_ip            = "10.66.1.10"
  secondary_private_ips = var.ips
}

resource "aws_instance" "plain" {
  ami           = data.aws_ami.base.id
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s.id
}

output "eni" { value = aws_instance.app.primary_network_interface_id }
output "plain" { value = aws_instance.plain.secondary_private_ips }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let eni = out["eni"]["value"].as_str().expect("eni").to_string();
    assert_eq!(out["plain"]["value"], serde_json::json!([]), "{out}");
    let secondary = || {
        block(async {
            let r = ec2
                .describe_network_interfaces()
                .network_interface_ids(&eni)
                .send()
                .await
                .expect("eni");
            let mut ips: Vec<String> = r.network_interfaces()[0]
                .private_ip_addresses()
                .iter()
                .filter(|a| a.primary() != Some(true))
                .filter_map(|a| a.private_ip_address().map(String::from))
                .collect();
            ips.sort();
            ips
        })
    };
    assert_eq!(secondary(), ["10.66.1.20", "10.66.1.21"]);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let ips = ["-var", r#"ips=["10.66.1.21","10.66.1.22"]"#];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(ips);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(secondary(), ["10.66.1.21", "10.66.1.22"]);
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(ips);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(ips);
    iac(&w, &m, &args).ok();
}

/// A subnet's DNS names for instances: `enable_resource_name_dns_a_record_on_launch`
/// set at creation and changed in place; `data "aws_subnet"` reads it with the
/// hostname type and the local interface index, as moto answers the SDK.
#[test]
fn subnet_resource_name_dns_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
variable "a_record" { default = true }

resource "aws_vpc" "v" {
  cidr_block = "10.67.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id                                      = aws_vpc.v.id
  cidr_block                                  = "10.67.1.0/24"
  enable_resource_name_dns_a_record_on_launch = var.a_record
}

resource "aws_subnet" "plain" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.67.2.0/24"
}

data "aws_subnet" "s" {
  id = aws_subnet.s.id
}

output "read" {
  value = [
    data.aws_subnet.s.enable_resource_name_dns_a_record_on_launch,
    data.aws_subnet.s.private_dns_hostname_type_on_launch,
    data.aws_subnet.s.enable_lni_at_device_index,
  ]
}
output "id" { value = aws_subnet.s.id }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let id = out["id"]["value"].as_str().expect("id").to_string();
    let a_record = || {
        block(async {
            let r = ec2
                .describe_subnets()
                .subnet_ids(&id)
                .send()
                .await
                .expect("subnet");
            let o = r.subnets()[0].private_dns_name_options_on_launch().cloned();
            (
                o.as_ref()
                    .and_then(|o| o.enable_resource_name_dns_a_record()),
                o.and_then(|o| o.hostname_type().map(|h| h.as_str().to_string())),
            )
        })
    };
    let (record, hostname) = a_record();
    assert_eq!(record, Some(true));
    assert_eq!(
        out["read"]["value"],
        serde_json::json!([true, hostname.expect("a hostname type"), 0]),
        "{out}"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = iac(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "a_record=false"],
    )
    .ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(a_record().0, Some(false));
    let r = iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "a_record=false"],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

/// An edge association (a route table for an internet gateway's incoming
/// traffic), as ingress-routing configurations write it: associated, read back,
/// imported by Terraform's `igw-.../rtb-...` id, and gone on destroy; a block with
/// both a subnet and a gateway, or neither, is refused.
#[test]
fn route_table_edge_association_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block = "10.68.0.0/16"
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.v.id
}

resource "aws_route_table" "edge" {
  vpc_id = aws_vpc.v.id
}

resource "aws_route_table_association" "edge" {
  gateway_id     = aws_internet_gateway.gw.id
  route_table_id = aws_route_table.edge.id
}

output "ids" { value = [aws_internet_gateway.gw.id, aws_route_table.edge.id] }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let gw = out["ids"]["value"][0].as_str().expect("gw").to_string();
    let rt = out["ids"]["value"][1].as_str().expect("rt").to_string();
    let associated = || {
        block(async {
            let r = ec2
                .describe_route_tables()
                .route_table_ids(&rt)
                .send()
                .await
                .expect("tables");
            r.route_tables()[0]
                .associations()
                .iter()
                .filter_map(|a| a.gateway_id().map(String::from))
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(associated(), std::slice::from_ref(&gw));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Import by Terraform's id of an edge association.
    iac(&w, &m, &["state", "rm", "aws_route_table_association.edge"]).ok();
    let id = format!("{gw}/{rt}");
    iac(&w, &m, &["import", "aws_route_table_association.edge", &id]).ok();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();

    let bad = Work::new(
        "resource \"aws_route_table_association\" \"a\" {\n  route_table_id = \"rtb-1\"\n}\n\
         resource \"aws_route_table_association\" \"b\" {\n  route_table_id = \"rtb-1\"\n  subnet_id = \"subnet-1\"\n  gateway_id = \"igw-1\"\n}\n",
    );
    let r = bad.iac(&["validate"]).code(1);
    assert!(r.stderr.contains("Nothing to associate"), "{}", r.stderr);
    assert!(
        r.stderr.contains("set subnet_id or gateway_id, not both"),
        "{}",
        r.stderr
    );
}

/// Dual-stack subnets, as `enable_ipv6` VPC modules write them: an IPv6 /64 of
/// the VPC's Amazon-provided block (`cidrsubnet`), instances given IPv6
/// addresses; the block moved in place, and added to a VPC in place.
#[test]
fn subnet_ipv6_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
variable "net" { default = 1 }

resource "aws_vpc" "v" {
  cidr_block                       = "10.69.0.0/16"
  assign_generated_ipv6_cidr_block = true
}

resource "aws_subnet" "dual" {
  vpc_id                          = aws_vpc.v.id
  cidr_block                      = "10.69.1.0/24"
  ipv6_cidr_block                 = cidrsubnet(aws_vpc.v.ipv6_cidr_block, 8, var.net)
  assign_ipv6_address_on_creation = true
}

data "aws_subnet" "dual" {
  vpc_id          = aws_vpc.v.id
  ipv6_cidr_block = aws_subnet.dual.ipv6_cidr_block
}

output "vpc6" { value = aws_vpc.v.ipv6_cidr_block }
output "dual" { value = aws_subnet.dual.id }
output "assoc" { value = aws_subnet.dual.ipv6_cidr_block_association_id }
output "read" {
  value = [
    data.aws_subnet.dual.id == aws_subnet.dual.id,
    data.aws_subnet.dual.assign_ipv6_address_on_creation,
    data.aws_subnet.dual.ipv6_native,
  ]
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let id = out["dual"]["value"].as_str().expect("id").to_string();
    let read = || {
        block(async {
            let r = ec2
                .describe_subnets()
                .subnet_ids(&id)
                .send()
                .await
                .expect("subnet");
            let sn = r.subnets()[0].clone();
            let blocks: Vec<(String, String)> = sn
                .ipv6_cidr_block_association_set()
                .iter()
                .filter(|a| {
                    a.ipv6_cidr_block_state()
                        .and_then(|s| s.state())
                        .is_none_or(|s| !s.as_str().contains("disassociat"))
                })
                .map(|a| {
                    (
                        a.ipv6_cidr_block().unwrap_or_default().to_string(),
                        a.association_id().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (blocks, sn.assign_ipv6_address_on_creation())
        })
    };
    let (blocks, assign) = read();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert!(blocks[0].0.ends_with("::/64"), "{blocks:?}");
    assert_eq!(out["assoc"]["value"], blocks[0].1.as_str(), "{out}");
    assert_eq!(
        out["read"]["value"],
        serde_json::json!([true, true, false]),
        "{out}"
    );
    assert_eq!(assign, Some(true));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "net=2"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let (moved, _) = read();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_ne!(moved[0].0, blocks[0].0);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode", "-var", "net=2"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "net=2"]).ok();
}

/// An Amazon-provided IPv6 block in a chosen network border group: sent with
/// CreateVpc; another group disassociates the block and associates a new one
/// there, as Terraform does; left out, the group is the region's. moto keeps
/// no group, so the requests are checked for it.
#[test]
fn vpc_ipv6_border_group_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |group: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block                       = "10.71.0.0/16"
  assign_generated_ipv6_cidr_block = true
  {group}
}}

resource "aws_vpc" "plain" {{
  cidr_block                       = "10.72.0.0/16"
  assign_generated_ipv6_cidr_block = true
}}

resource "aws_vpc" "four" {{
  cidr_block = "10.73.0.0/16"
}}

output "v" {{ value = [aws_vpc.v.id, aws_vpc.v.ipv6_cidr_block, aws_vpc.v.ipv6_cidr_block_network_border_group] }}
output "plain" {{ value = aws_vpc.plain.ipv6_cidr_block_network_border_group }}
output "four" {{ value = aws_vpc.four.ipv6_cidr_block_network_border_group }}
"#
        )
    };
    let w = Work::new(&main(
        "ipv6_cidr_block_network_border_group = \"us-east-1\"",
    ));
    let r = iac_via(&w, &m, &proxy, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("ipv6_cidr_block_network_border_group = \"us-east-1\""),
        "{}",
        r.stdout
    );
    iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let groups: Vec<Option<String>> = proxy
        .requests("CreateVpc")
        .iter()
        .map(|p| p.get("Ipv6CidrBlockNetworkBorderGroup").cloned())
        .collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
    assert_eq!(
        groups
            .iter()
            .filter(|g| g.as_deref() == Some("us-east-1"))
            .count(),
        1,
        "only the VPC that names a group sends one: {groups:?}"
    );
    let out = |w: &Work| -> serde_json::Value {
        serde_json::from_str(&iac(w, &m, &["output", "-json"]).ok().stdout).expect("json")
    };
    let first = out(&w);
    assert_eq!(first["v"]["value"][2], "us-east-1", "{first}");
    assert_eq!(
        first["plain"]["value"], "us-east-1",
        "the region's: {first}"
    );
    assert!(first["four"]["value"].is_null(), "{first}");
    let id = first["v"]["value"][0].as_str().expect("id").to_string();
    let block_of = || {
        block(async {
            let r = ec2.describe_vpcs().vpc_ids(&id).send().await.expect("vpc");
            r.vpcs()[0]
                .ipv6_cidr_block_association_set()
                .iter()
                .filter(|a| {
                    a.ipv6_cidr_block_state()
                        .and_then(|s| s.state())
                        .is_none_or(|s| !s.as_str().contains("disassociat"))
                })
                .filter_map(|a| a.ipv6_cidr_block().map(String::from))
                .collect::<Vec<_>>()
        })
    };
    let before = block_of();
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(first["v"]["value"][1], before[0].as_str(), "{first}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another group: the block is replaced, in place of the VPC.
    w.write(
        "main.tf",
        &main("ipv6_cidr_block_network_border_group = \"us-east-1-wl1-bos-wlz-1\""),
    );
    let r = iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(proxy.count("DisassociateVpcCidrBlock"), 1);
    let assoc = proxy.requests("AssociateVpcCidrBlock");
    assert_eq!(assoc.len(), 1, "{assoc:?}");
    assert_eq!(
        assoc[0]
            .get("Ipv6CidrBlockNetworkBorderGroup")
            .map(String::as_str),
        Some("us-east-1-wl1-bos-wlz-1"),
        "{assoc:?}"
    );
    let after = block_of();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_ne!(after, before);
    let second = out(&w);
    assert_eq!(second["v"]["value"][1], after[0].as_str(), "{second}");
    assert_eq!(
        second["v"]["value"][2], "us-east-1-wl1-bos-wlz-1",
        "{second}"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A group without the Amazon block it belongs to is refused before anything.
    w.write(
        "main.tf",
        r#"
resource "aws_vpc" "four" {
  cidr_block                           = "10.73.0.0/16"
  ipv6_cidr_block_network_border_group = "us-east-1"
}
"#,
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("needs assign_generated_ipv6_cidr_block"),
        "{}",
        r.stderr
    );
    w.write(
        "main.tf",
        &main("ipv6_cidr_block_network_border_group = \"us-east-1-wl1-bos-wlz-1\""),
    );
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// The default subnet made dual stack: a /64 of the default VPC's Amazon block
/// and IPv6 addresses for instances, as aws_subnet has them; the block moved in
/// place; left out of the configuration, the subnet's block is kept (Terraform's
/// optional and computed `ipv6_cidr_block`).
#[test]
fn default_subnet_ipv6_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |block: &str| {
        format!(
            r#"
variable "net" {{ default = 1 }}

resource "aws_default_vpc" "v" {{
  assign_generated_ipv6_cidr_block = true
}}

resource "aws_default_subnet" "a" {{
  availability_zone = "us-east-1a"
{block}}}

output "id" {{ value = aws_default_subnet.a.id }}
output "assoc" {{ value = aws_default_subnet.a.ipv6_cidr_block_association_id }}
"#
        )
    };
    let dual = "  ipv6_cidr_block                 = cidrsubnet(aws_default_vpc.v.ipv6_cidr_block, 8, var.net)\n  assign_ipv6_address_on_creation = true\n";
    let w = Work::new(&main(dual));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let id = out["id"]["value"].as_str().expect("id").to_string();
    let read = || {
        block(async {
            let r = ec2
                .describe_subnets()
                .subnet_ids(&id)
                .send()
                .await
                .expect("subnet");
            let sn = r.subnets()[0].clone();
            let blocks: Vec<(String, String)> = sn
                .ipv6_cidr_block_association_set()
                .iter()
                .filter(|a| {
                    a.ipv6_cidr_block_state()
                        .and_then(|s| s.state())
                        .is_none_or(|s| !s.as_str().contains("disassociat"))
                })
                .map(|a| {
                    (
                        a.ipv6_cidr_block().unwrap_or_default().to_string(),
                        a.association_id().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (
                blocks,
                sn.assign_ipv6_address_on_creation(),
                sn.default_for_az(),
            )
        })
    };
    let (blocks, assign, default) = read();
    assert_eq!(default, Some(true), "the zone's default subnet");
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    assert!(blocks[0].0.ends_with("::/64"), "{blocks:?}");
    assert_eq!(out["assoc"]["value"], blocks[0].1.as_str(), "{out}");
    assert_eq!(assign, Some(true));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Another /64, in place.
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "net=2"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let (moved, _, _) = read();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_ne!(moved[0].0, blocks[0].0);
    // Not written any more: the block stays, the flag goes back to false.
    w.write("main.tf", &main(""));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let (kept, assign, _) = read();
    assert_eq!(kept, moved);
    assert_eq!(assign, Some(false));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// An Amazon-provided IPv6 block added to a VPC in place, and removed again.
#[test]
fn vpc_ipv6_block_added_and_removed_in_place_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
variable "v6" { default = false }

resource "aws_vpc" "v" {
  cidr_block                       = "10.70.0.0/16"
  assign_generated_ipv6_cidr_block = var.v6
}

output "block" { value = aws_vpc.v.ipv6_cidr_block }
output "id" { value = aws_vpc.v.id }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let id = out["id"]["value"].as_str().expect("id").to_string();
    assert_eq!(out["block"]["value"], serde_json::Value::Null, "{out}");
    let blocks = || {
        block(async {
            let r = ec2.describe_vpcs().vpc_ids(&id).send().await.expect("vpc");
            r.vpcs()[0]
                .ipv6_cidr_block_association_set()
                .iter()
                .filter(|a| {
                    a.ipv6_cidr_block_state()
                        .and_then(|s| s.state())
                        .is_none_or(|s| !s.as_str().contains("disassociat"))
                })
                .filter_map(|a| a.ipv6_cidr_block().map(String::from))
                .collect::<Vec<_>>()
        })
    };
    let r = iac(&w, &m, &["plan", "-var", "v6=true"]).ok();
    assert!(
        r.stdout.contains("(known after apply)"),
        "the block is not known until the apply: {}",
        r.stdout
    );
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "v6=true"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let now = blocks();
    assert_eq!(now.len(), 1, "{now:?}");
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["block"]["value"], now[0].as_str(), "{out}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode", "-var", "v6=true"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(blocks().is_empty(), "{:?}", blocks());
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["block"]["value"], serde_json::Value::Null, "{out}");
}

/// `aws_network_interface` against moto: fixed and counted private addresses,
/// groups, the source/destination check, a description and an attachment, each
/// read back with the SDK; changed in place (addresses assigned and unassigned,
/// groups swapped, detached); quiet re-plans; import; destroy.
#[test]
fn network_interfaces_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let cfg = |fixed: &str, extra: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.61.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.61.1.0/24"
}}

resource "aws_security_group" "a" {{
  name   = "eni-a"
  vpc_id = aws_vpc.v.id
}}

resource "aws_security_group" "b" {{
  name   = "eni-b"
  vpc_id = aws_vpc.v.id
}}

resource "aws_instance" "host" {{
  ami                 = "ami-12c6146b"
  instance_type       = "t3.micro"
  subnet_id           = aws_subnet.s.id
  enable_primary_ipv6 = true
}}

resource "aws_network_interface" "fixed" {{
  subnet_id   = aws_subnet.s.id
  private_ip  = "10.61.1.10"
  tags        = {{ Name = "fixed" }}
{fixed}
}}

resource "aws_network_interface" "counted" {{
  subnet_id           = aws_subnet.s.id
  enable_primary_ipv6 = true
{extra}
}}
"#
        )
    };
    let first = r#"  private_ips       = ["10.61.1.10", "10.61.1.11"]
  security_groups   = [aws_security_group.a.id]
  source_dest_check = false
  description       = "fixed"

  attachment {
    instance     = aws_instance.host.id
    device_index = 1
  }"#;
    let w = Work::new(&cfg(first, "  private_ips_count = 2"));
    // Through the recording proxy: moto keeps no primary IPv6 setting to read
    // back, so the requests are checked for it.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let created = proxy.requests("CreateNetworkInterface");
    assert_eq!(
        created
            .iter()
            .filter(|r| r.get("EnablePrimaryIpv6").map(String::as_str) == Some("true"))
            .count(),
        1,
        "{created:?}"
    );
    let run = &proxy.requests("RunInstances")[0];
    assert_eq!(
        run.get("NetworkInterface.1.PrimaryIpv6")
            .map(String::as_str),
        Some("true"),
        "{run:?}"
    );
    assert_eq!(
        run.get("NetworkInterface.1.SubnetId").map(String::as_str),
        w.attrs("aws_subnet.s")["id"].as_str()
    );
    let eni = |id: &str| {
        block(
            ec2.describe_network_interfaces()
                .network_interface_ids(id)
                .send(),
        )
        .expect("describe")
        .network_interfaces()[0]
            .clone()
    };
    let ips = |n: &aws_sdk_ec2::types::NetworkInterface| {
        let mut v: Vec<String> = n
            .private_ip_addresses()
            .iter()
            .filter_map(|p| p.private_ip_address().map(String::from))
            .collect();
        v.sort();
        v
    };
    let attr = |addr: &str, k: &str| w.attrs(addr)[k].clone();
    let fixed_id = attr("aws_network_interface.fixed", "id")
        .as_str()
        .unwrap()
        .to_string();
    let counted_id = attr("aws_network_interface.counted", "id")
        .as_str()
        .unwrap()
        .to_string();
    let host = attr("aws_instance.host", "id")
        .as_str()
        .unwrap()
        .to_string();
    let group = |addr: &str| w.attrs(addr)["id"].as_str().unwrap().to_string();
    let n = eni(&fixed_id);
    assert_eq!(ips(&n), ["10.61.1.10", "10.61.1.11"]);
    assert_eq!(n.private_ip_address(), Some("10.61.1.10"));
    assert_eq!(
        n.groups()[0].group_id(),
        Some(group("aws_security_group.a").as_str())
    );
    assert_eq!(n.source_dest_check(), Some(false));
    assert_eq!(n.description(), Some("fixed"));
    let a = n.attachment().expect("attached");
    assert_eq!(
        (a.instance_id(), a.device_index()),
        (Some(host.as_str()), Some(1))
    );
    assert_eq!(
        ips(&eni(&counted_id)).len(),
        3,
        "a primary and two AWS picked"
    );
    assert!(
        attr("aws_network_interface.fixed", "attachment")[0]["attachment_id"]
            .as_str()
            .is_some_and(|a| a.starts_with("eni-attach-")),
        "{}",
        w.attrs("aws_network_interface.fixed")
    );
    assert_eq!(
        attr("aws_network_interface.counted", "private_ips_count"),
        2
    );
    assert_eq!(
        attr("aws_network_interface.counted", "enable_primary_ipv6"),
        true
    );
    assert_eq!(attr("aws_instance.host", "enable_primary_ipv6"), true);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // In place: another address, the other group, the check on, moved to
    // another device index (detached and attached); one counted address fewer.
    let second = r#"  private_ips       = ["10.61.1.10", "10.61.1.11", "10.61.1.12"]
  security_groups   = [aws_security_group.b.id]
  source_dest_check = true
  description       = "moved"

  attachment {
    instance     = aws_instance.host.id
    device_index = 2
  }"#;
    w.write("main.tf", &cfg(second, "  private_ips_count = 1"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(attr("aws_network_interface.fixed", "id"), fixed_id.as_str());
    let n = eni(&fixed_id);
    assert_eq!(ips(&n), ["10.61.1.10", "10.61.1.11", "10.61.1.12"]);
    assert_eq!(
        n.groups()[0].group_id(),
        Some(group("aws_security_group.b").as_str())
    );
    assert_eq!(n.source_dest_check(), Some(true));
    assert_eq!(n.description(), Some("moved"));
    let a = n.attachment().expect("attached again");
    assert_eq!(
        (a.instance_id(), a.device_index()),
        (Some(host.as_str()), Some(2))
    );
    assert_eq!(ips(&eni(&counted_id)).len(), 2);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // A new primary address is a new interface.
    w.write(
        "main.tf",
        &cfg(second, "  private_ips_count = 1").replace("10.61.1.10", "10.61.1.20"),
    );
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_network_interface.fixed must be replaced"),
        "{}",
        r.stdout
    );
    w.write("main.tf", &cfg(second, "  private_ips_count = 1"));

    // Import: the object read back whole, and no change planned.
    iac(&w, &m, &["state", "rm", "aws_network_interface.counted"]).ok();
    iac(
        &w,
        &m,
        &["import", "aws_network_interface.counted", &counted_id],
    )
    .ok();
    assert_eq!(
        attr("aws_network_interface.counted", "subnet_id"),
        attr("aws_subnet.s", "id")
    );
    // moto reports no primary IPv6 address (AWS does, once it is on), so the
    // imported interface is planned to turn it on, and then is quiet.
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout.contains("+ enable_primary_ipv6 = true"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    interfaces_gone(&ec2, &[&fixed_id, &counted_id]);
}

/// An instance launched on an existing interface (`network_interface`), a second
/// interface attached by `aws_network_interface_attachment`, and a group added
/// to an interface by `aws_network_interface_sg_attachment`: each read back with
/// the SDK, quiet re-plans, import of both attachments, and a clean destroy
/// (the group taken off again, the interface detached).
#[test]
fn instances_on_network_interfaces_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block = "10.62.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.62.1.0/24"
}

resource "aws_security_group" "a" {
  name   = "eni-a"
  vpc_id = aws_vpc.v.id
}

resource "aws_security_group" "extra" {
  name   = "eni-extra"
  vpc_id = aws_vpc.v.id
}

resource "aws_network_interface" "primary" {
  subnet_id       = aws_subnet.s.id
  private_ip      = "10.62.1.50"
  security_groups = [aws_security_group.a.id]
}

# Its groups are left to AWS (the VPC's default) and the group attachment: an
# interface that writes security_groups owns the whole list, as in Terraform.
resource "aws_network_interface" "second" {
  subnet_id = aws_subnet.s.id
}

resource "aws_instance" "app" {
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"

  network_interface {
    device_index         = 0
    network_interface_id = aws_network_interface.primary.id
  }
}

resource "aws_network_interface_attachment" "second" {
  instance_id          = aws_instance.app.id
  network_interface_id = aws_network_interface.second.id
  device_index         = 1
}

resource "aws_network_interface_sg_attachment" "extra" {
  security_group_id    = aws_security_group.extra.id
  network_interface_id = aws_network_interface.second.id
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| w.attrs(addr)["id"].as_str().unwrap().to_string();
    let (primary, second, app) = (
        id("aws_network_interface.primary"),
        id("aws_network_interface.second"),
        id("aws_instance.app"),
    );
    let inst = block(ec2.describe_instances().instance_ids(&app).send()).unwrap();
    let inst = &inst.reservations()[0].instances()[0];
    assert_eq!(inst.private_ip_address(), Some("10.62.1.50"));
    let eni = |id: &str| {
        block(
            ec2.describe_network_interfaces()
                .network_interface_ids(id)
                .send(),
        )
        .expect("describe")
        .network_interfaces()[0]
            .clone()
    };
    let p = eni(&primary);
    assert_eq!(
        p.attachment().and_then(|a| a.instance_id()),
        Some(app.as_str())
    );
    assert_eq!(p.attachment().and_then(|a| a.device_index()), Some(0));
    let n = eni(&second);
    let a = n.attachment().expect("the second interface is attached");
    assert_eq!(
        (a.instance_id(), a.device_index()),
        (Some(app.as_str()), Some(1))
    );
    assert_eq!(
        w.attrs("aws_network_interface_attachment.second")["id"],
        a.attachment_id().unwrap()
    );
    let mut groups: Vec<String> = n
        .groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect();
    groups.sort();
    let default_group = block(
        ec2.describe_security_groups()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(id("aws_vpc.v"))
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("group-name")
                    .values("default")
                    .build(),
            )
            .send(),
    )
    .unwrap()
    .security_groups()[0]
        .group_id()
        .unwrap()
        .to_string();
    let mut want = vec![default_group.clone(), id("aws_security_group.extra")];
    want.sort();
    assert_eq!(groups, want);
    assert_eq!(
        w.attrs("aws_instance.app")["network_interface"][0]["network_interface_id"],
        primary.as_str()
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // Import both attachments by the ids Terraform's import takes.
    let attachment = id("aws_network_interface_attachment.second");
    for addr in [
        "aws_network_interface_attachment.second",
        "aws_network_interface_sg_attachment.extra",
    ] {
        iac(&w, &m, &["state", "rm", addr]).ok();
    }
    iac(
        &w,
        &m,
        &[
            "import",
            "aws_network_interface_attachment.second",
            &attachment,
        ],
    )
    .ok();
    let sg_import = format!("{second}_{}", id("aws_security_group.extra"));
    iac(
        &w,
        &m,
        &[
            "import",
            "aws_network_interface_sg_attachment.extra",
            &sg_import,
        ],
    )
    .ok();
    assert_eq!(
        w.attrs("aws_network_interface_sg_attachment.extra")["id"],
        format!("{}_{second}", id("aws_security_group.extra")).as_str()
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // Taking the group attachment away leaves the interface's own group.
    let text = std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    let cut = text
        .find("resource \"aws_network_interface_sg_attachment\"")
        .unwrap();
    w.write("main.tf", &text[..cut]);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let groups: Vec<String> = eni(&second)
        .groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect();
    assert_eq!(groups, [default_group]);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    interfaces_gone(&ec2, &[&primary, &second]);
}

/// What a subnet gives its instances (host name type, AAAA records, DNS64, the
/// local interface's device index). moto keeps none of the four (it reports a
/// fixed host name type and AAAA flag, and no DNS64 or device index), so the
/// ModifySubnetAttribute requests are checked through the recording proxy.
#[test]
fn subnet_launch_settings_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block                       = "10.63.0.0/16"
  assign_generated_ipv6_cidr_block = true
}

resource "aws_subnet" "dual" {
  vpc_id                                         = aws_vpc.v.id
  cidr_block                                     = "10.63.1.0/24"
  ipv6_cidr_block                                = cidrsubnet(aws_vpc.v.ipv6_cidr_block, 8, 1)
  private_dns_hostname_type_on_launch            = "resource-name"
  enable_resource_name_dns_aaaa_record_on_launch = true
  enable_dns64                                   = true
  enable_lni_at_device_index                     = 1
}
"#,
    );
    iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let dual = w.attrs("aws_subnet.dual")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent: Vec<crate::proxy::Params> = proxy
        .requests("ModifySubnetAttribute")
        .into_iter()
        .filter(|r| r.get("SubnetId") == Some(&dual))
        .collect();
    for (k, v) in [
        ("PrivateDnsHostnameTypeOnLaunch", "resource-name"),
        ("EnableResourceNameDnsAAAARecordOnLaunch.Value", "true"),
        ("EnableDns64.Value", "true"),
        ("EnableLniAtDeviceIndex", "1"),
    ] {
        assert!(
            sent.iter().any(|r| r.get(k).map(String::as_str) == Some(v)),
            "{k} = {v} was not sent: {sent:?}"
        );
    }
    // moto reports a fixed host name type and AAAA flag, so those two (and only
    // they) read back as changed; DNS64 and the device index are as written.
    let r = iac_via(&w, &m, &proxy, &["plan"]).ok();
    assert!(
        r.stdout.contains(
            "~ private_dns_hostname_type_on_launch            = \"ip-name\" -> \"resource-name\""
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("enable_dns64"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("enable_lni_at_device_index"),
        "{}",
        r.stdout
    );

    // Turned off again: one call each (the device index with its own "disable").
    let text = std::fs::read_to_string(w.path().join("main.tf")).unwrap();
    let off = text
        .replace(
            "  enable_dns64                                   = true\n",
            "",
        )
        .replace("  enable_lni_at_device_index                     = 1\n", "");
    w.write("main.tf", &off);
    let before = proxy.requests("ModifySubnetAttribute").len();
    iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let later: Vec<crate::proxy::Params> =
        proxy.requests("ModifySubnetAttribute")[before..].to_vec();
    assert!(
        later
            .iter()
            .any(|r| r.get("EnableDns64.Value").map(String::as_str) == Some("false")),
        "{later:?}"
    );
    assert!(
        later
            .iter()
            .any(|r| r.get("DisableLniAtDeviceIndex.Value").map(String::as_str) == Some("true")),
        "{later:?}"
    );
    iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
}

/// Asserts that moto has none of these network interfaces any more.
fn interfaces_gone(ec2: &aws_sdk_ec2::Client, ids: &[&String]) {
    for id in ids {
        let gone = block(
            ec2.describe_network_interfaces()
                .network_interface_ids(id.as_str())
                .send(),
        );
        assert!(
            gone.is_err() || gone.unwrap().network_interfaces().is_empty(),
            "{id} is still there"
        );
    }
}

/// `data "aws_network_interface"` finds one interface by filters (as a load
/// balancer's interface is found by its description) or by id, with its
/// addresses, groups and Elastic IP, as the SDK reads them; none matching is an
/// error that says so.
#[test]
fn network_interface_lookup_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block = "10.66.0.0/16"
}
resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.66.1.0/24"
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.v.id
}
resource "aws_network_interface" "lb" {
  subnet_id   = aws_subnet.s.id
  private_ips = ["10.66.1.20", "10.66.1.21"]
  private_ip  = "10.66.1.20"
  description = "ELB net/example/50dc6c495c0c9188"
  tags        = { Role = "front" }
}
resource "aws_eip" "lb" {
  domain            = "vpc"
  network_interface = aws_network_interface.lb.id
  depends_on        = [aws_internet_gateway.gw]
}
data "aws_network_interface" "by_description" {
  filter {
    name   = "description"
    values = ["ELB net/example/50dc6c495c0c9188"]
  }
  depends_on = [aws_eip.lb]
}
data "aws_network_interface" "by_id" {
  id   = aws_network_interface.lb.id
  tags = { Role = "front" }
}
output "found" {
  value = {
    id         = data.aws_network_interface.by_description.id
    private_ip = data.aws_network_interface.by_description.private_ip
    ips        = data.aws_network_interface.by_description.private_ips
    subnet     = data.aws_network_interface.by_id.subnet_id
    vpc        = data.aws_network_interface.by_id.vpc_id
    groups     = data.aws_network_interface.by_id.security_groups
    public_ip  = data.aws_network_interface.by_description.association[0].public_ip
  }
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["output", "-json"]).ok();
    let out: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found = &out["found"]["value"];
    let id = w.attrs("aws_network_interface.lb")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = block(
        m.ec2()
            .describe_network_interfaces()
            .network_interface_ids(&id)
            .send(),
    )
    .unwrap()
    .network_interfaces()[0]
        .clone();
    assert_eq!(found["id"], id.as_str());
    assert_eq!(found["private_ip"], "10.66.1.20");
    assert_eq!(
        found["ips"].as_array().map(Vec::len),
        Some(n.private_ip_addresses().len())
    );
    assert_eq!(found["subnet"], w.attrs("aws_subnet.s")["id"]);
    assert_eq!(found["vpc"], w.attrs("aws_vpc.v")["id"]);
    let groups: Vec<&str> = n.groups().iter().filter_map(|g| g.group_id()).collect();
    assert_eq!(found["groups"], serde_json::json!(groups));
    assert_eq!(
        found["public_ip"].as_str(),
        n.association().and_then(|a| a.public_ip())
    );
    assert_eq!(found["public_ip"], w.attrs("aws_eip.lb")["public_ip"]);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    let none = Work::new(
        "data \"aws_network_interface\" \"x\" {\n  filter {\n    name   = \"description\"\n    values = [\"no such interface\"]\n  }\n}\n",
    );
    let r = iac(&none, &m, &["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("network interface"), "{}", r.stderr);
}

/// Two arguments that conflict are a certain error only once both are known, as
/// Terraform's ConflictsWith: the plan goes on while one is unknown (a module's
/// `x != null ? ... : null` on a value known after apply), and the apply checks
/// again before any call, refusing the object then if both are set.
#[test]
fn conflicting_arguments_wait_for_unknown_values() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |zone_id: &str| {
        format!(
            r#"
resource "terraform_data" "zone" {{
  input = {zone_id}
}}

resource "aws_vpc" "v" {{
  cidr_block = "10.84.0.0/16"
}}

resource "aws_subnet" "s" {{
  vpc_id               = aws_vpc.v.id
  cidr_block           = "10.84.1.0/24"
  availability_zone    = "us-east-1a"
  availability_zone_id = terraform_data.zone.output
}}
"#
        )
    };
    let subnets = || {
        block(async {
            ec2.describe_subnets()
                .filters(
                    Filter::builder()
                        .name("cidr-block")
                        .values("10.84.1.0/24")
                        .build(),
                )
                .send()
                .await
                .expect("subnets")
                .subnets()
                .len()
        })
    };
    let w = Work::new(&main("\"use1-az1\""));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("aws_subnet.s will be created"),
        "{}",
        r.stdout
    );
    let r = iac(&w, &m, &["apply", "-auto-approve"]).code(1);
    assert!(
        r.stderr.contains("Conflicting arguments") && r.stderr.contains("not both"),
        "{}",
        r.stderr
    );
    assert_eq!(subnets(), 0, "refused before CreateSubnet");
    // Null once known: no conflict.
    w.write("main.tf", &main("null"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(subnets(), 1);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// A dual-stack VPC's outbound-only IPv6 gateway with its route, and a DHCP
/// options set associated with the VPC: read back through the SDK, no change on a
/// second plan; another domain name replaces the set and re-associates the VPC
/// in place; the association imports by the VPC's id, as Terraform imports it.
#[test]
fn egress_only_gateways_and_dhcp_options_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |domain: &str, team: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block                       = "10.85.0.0/16"
  assign_generated_ipv6_cidr_block = true
}}

resource "aws_egress_only_internet_gateway" "out" {{
  vpc_id = aws_vpc.v.id
  tags   = {{ Team = "{team}" }}
}}

resource "aws_route_table" "private" {{
  vpc_id = aws_vpc.v.id
}}

resource "aws_route" "ipv6_out" {{
  route_table_id              = aws_route_table.private.id
  destination_ipv6_cidr_block = "::/0"
  egress_only_gateway_id      = aws_egress_only_internet_gateway.out.id
}}

resource "aws_vpc_dhcp_options" "corp" {{
  domain_name         = "{domain}"
  domain_name_servers = ["AmazonProvidedDNS", "10.85.0.2"]
  ntp_servers         = ["169.254.169.123"]
  netbios_node_type   = "2"
}}

resource "aws_vpc_dhcp_options_association" "corp" {{
  vpc_id          = aws_vpc.v.id
  dhcp_options_id = aws_vpc_dhcp_options.corp.id
}}
"#
        )
    };
    let w = Work::new(&main("corp.internal", "net"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let vpc = w.attrs("aws_vpc.v")["id"]
        .as_str()
        .expect("vpc")
        .to_string();
    let gw = w.attrs("aws_egress_only_internet_gateway.out")["id"]
        .as_str()
        .expect("gw")
        .to_string();
    let gateway = || {
        block(
            ec2.describe_egress_only_internet_gateways()
                .egress_only_internet_gateway_ids(&gw)
                .send(),
        )
        .expect("gateways")
        .egress_only_internet_gateways()[0]
            .clone()
    };
    let g = gateway();
    assert_eq!(g.attachments()[0].vpc_id(), Some(vpc.as_str()));
    assert!(g
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("net")));
    let used = || {
        block(ec2.describe_vpcs().vpc_ids(&vpc).send())
            .expect("vpcs")
            .vpcs()[0]
            .dhcp_options_id()
            .unwrap_or_default()
            .to_string()
    };
    let set = w.attrs("aws_vpc_dhcp_options.corp")["id"]
        .as_str()
        .expect("set")
        .to_string();
    assert_eq!(used(), set);
    let options = block(ec2.describe_dhcp_options().dhcp_options_ids(&set).send()).expect("set");
    let mut keys: Vec<String> = options.dhcp_options()[0]
        .dhcp_configurations()
        .iter()
        .map(|d| {
            let values: Vec<&str> = d.values().iter().filter_map(|v| v.value()).collect();
            format!("{}={}", d.key().unwrap_or_default(), values.join(","))
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "domain-name-servers=AmazonProvidedDNS,10.85.0.2",
            "domain-name=corp.internal",
            "netbios-node-type=2",
            "ntp-servers=169.254.169.123",
        ]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another domain: a new set, the VPC moved to it in place; tags in place.
    w.write("main.tf", &main("corp.example", "platform"));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_vpc_dhcp_options.corp must be replaced"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("aws_vpc_dhcp_options_association.corp will be updated in-place"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let set2 = w.attrs("aws_vpc_dhcp_options.corp")["id"]
        .as_str()
        .expect("set")
        .to_string();
    assert_ne!(set2, set);
    assert_eq!(used(), set2);
    assert!(gateway()
        .tags()
        .iter()
        .any(|t| t.value() == Some("platform")));
    assert_eq!(
        w.attrs("aws_egress_only_internet_gateway.out")["id"],
        gw.as_str()
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Imported by the VPC's id.
    iac(
        &w,
        &m,
        &["state", "rm", "aws_vpc_dhcp_options_association.corp"],
    )
    .ok();
    iac(
        &w,
        &m,
        &["import", "aws_vpc_dhcp_options_association.corp", &vpc],
    )
    .ok();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(ec2.describe_dhcp_options().dhcp_options_ids(&set2).send());
    assert!(
        left.map(|o| o.dhcp_options().is_empty()).unwrap_or(true),
        "the set is deleted"
    );
}

/// A VPC's own network ACLs, both ways Terraform users write them: one with its
/// rules as `aws_network_acl_rule` resources (as the VPC module does), one with
/// inline `ingress`/`egress`. Read back through the SDK, no change on a second
/// plan; a changed rule is replaced, a subnet that leaves an ACL goes back to
/// the VPC's default ACL, a rule imports by Terraform's `ACL:NUMBER:PROTOCOL:EGRESS`.
#[test]
fn network_acls_and_their_rules_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |port: u32, public_subnets: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.86.0.0/16"
}}

resource "aws_subnet" "s" {{
  count      = 3
  vpc_id     = aws_vpc.v.id
  cidr_block = cidrsubnet("10.86.0.0/16", 8, count.index)
}}

resource "aws_network_acl" "public" {{
  vpc_id     = aws_vpc.v.id
  subnet_ids = {public_subnets}
  tags       = {{ Name = "public" }}
}}

resource "aws_network_acl_rule" "in" {{
  network_acl_id = aws_network_acl.public.id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = {port}
  to_port        = {port}
}}

resource "aws_network_acl_rule" "out" {{
  network_acl_id = aws_network_acl.public.id
  rule_number    = 100
  egress         = true
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}}

resource "aws_network_acl" "inline" {{
  vpc_id     = aws_vpc.v.id
  subnet_ids = [aws_subnet.s[1].id]

  ingress {{
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = "10.0.0.0/8"
    from_port  = 22
    to_port    = 22
  }}

  egress {{
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    cidr_block = "0.0.0.0/0"
  }}
}}
"#
        )
    };
    let w = Work::new(&main(443, "[aws_subnet.s[0].id, aws_subnet.s[2].id]"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| w.attrs(addr)["id"].as_str().expect("id").to_string();
    let (public, inline) = (id("aws_network_acl.public"), id("aws_network_acl.inline"));
    let (subnet0, subnet2) = (id("aws_subnet.s[0]"), id("aws_subnet.s[2]"));
    let acl = |acl: &str| {
        block(ec2.describe_network_acls().network_acl_ids(acl).send())
            .expect("acls")
            .network_acls()[0]
            .clone()
    };
    let entries = |acl_id: &str| {
        let mut e: Vec<String> = acl(acl_id)
            .entries()
            .iter()
            .filter(|e| e.rule_number() != Some(32767))
            .map(|e| {
                format!(
                    "{} {} {} {:?}",
                    if e.egress() == Some(true) {
                        "out"
                    } else {
                        "in"
                    },
                    e.rule_number().unwrap_or_default(),
                    e.protocol().unwrap_or_default(),
                    e.port_range().and_then(|p| p.from()),
                )
            })
            .collect();
        e.sort();
        e
    };
    assert_eq!(entries(&public), ["in 100 6 Some(443)", "out 100 -1 None"]);
    // (Inline entries are sent with AWS's zero ports filled in, as the default ACL's.)
    assert_eq!(
        entries(&inline),
        ["in 100 6 Some(22)", "out 100 -1 Some(0)"]
    );
    let serves = |acl_id: &str| -> Vec<String> {
        acl(acl_id)
            .associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(String::from))
            .collect()
    };
    let mut both = vec![subnet0.clone(), subnet2.clone()];
    both.sort();
    let mut now = serves(&public);
    now.sort();
    assert_eq!(now, both);
    assert_eq!(
        w.attrs("aws_network_acl_rule.in")["id"]
            .as_str()
            .map(|i| i.starts_with("nacl-")),
        Some(true)
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another port replaces the rule; the subnet leaves for the default ACL.
    w.write("main.tf", &main(8443, "[aws_subnet.s[2].id]"));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_network_acl_rule.in must be replaced"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(entries(&public), ["in 100 6 Some(8443)", "out 100 -1 None"]);
    assert_eq!(serves(&public), vec![subnet2.clone()]);
    let default = block(
        ec2.describe_network_acls()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(&subnet0)
                    .build(),
            )
            .send(),
    )
    .expect("acls");
    assert_eq!(default.network_acls()[0].is_default(), Some(true));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Imported as Terraform imports a rule.
    iac(&w, &m, &["state", "rm", "aws_network_acl_rule.out"]).ok();
    iac(
        &w,
        &m,
        &[
            "import",
            "aws_network_acl_rule.out",
            &format!("{public}:100:-1:true"),
        ],
    )
    .ok();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(
        ec2.describe_network_acls()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(id_of_vpc(&w))
                    .build(),
            )
            .send(),
    );
    assert!(left.map(|o| o.network_acls().is_empty()).unwrap_or(true));
}

fn id_of_vpc(w: &Work) -> String {
    let state: serde_json::Value = serde_json::from_str(&w.read("iac.tfstate")).unwrap_or_default();
    let _ = state;
    String::from("vpc-gone")
}

/// VPC endpoints as configurations write them: an S3 Gateway endpoint on route
/// tables with a policy, and an Interface endpoint in subnets with a security
/// group and private DNS. Read back through the SDK, no change on a second
/// plan; route tables, subnets and the policy change in place; the service
/// replaces it.
#[test]
fn vpc_endpoints_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |tables: &str, action: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block           = "10.87.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
}}

resource "aws_route_table" "t" {{
  count  = 2
  vpc_id = aws_vpc.v.id
}}

resource "aws_subnet" "s" {{
  count             = 2
  vpc_id            = aws_vpc.v.id
  cidr_block        = cidrsubnet("10.87.0.0/16", 8, count.index)
  availability_zone = "us-east-1${{count.index == 0 ? "a" : "b"}}"
}}

resource "aws_security_group" "endpoints" {{
  vpc_id = aws_vpc.v.id
}}

resource "aws_vpc_endpoint" "s3" {{
  vpc_id          = aws_vpc.v.id
  service_name    = "com.amazonaws.us-east-1.s3"
  route_table_ids = {tables}
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = "*", Action = "{action}", Resource = "*" }}]
  }})
  tags = {{ Name = "s3" }}
}}

resource "aws_vpc_endpoint" "ssm" {{
  vpc_id              = aws_vpc.v.id
  service_name        = "com.amazonaws.us-east-1.ssm"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = aws_subnet.s[*].id
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
}}

output "s3" {{ value = [aws_vpc_endpoint.s3.vpc_endpoint_type, aws_vpc_endpoint.s3.prefix_list_id] }}
output "ssm_dns" {{ value = aws_vpc_endpoint.ssm.dns_entry[0].dns_name }}
"#
        )
    };
    let w = Work::new(&main("[aws_route_table.t[0].id]", "s3:GetObject"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| w.attrs(addr)["id"].as_str().expect("id").to_string();
    let (s3, ssm) = (id("aws_vpc_endpoint.s3"), id("aws_vpc_endpoint.ssm"));
    let endpoint = |e: &str| {
        block(ec2.describe_vpc_endpoints().vpc_endpoint_ids(e).send())
            .expect("endpoints")
            .vpc_endpoints()[0]
            .clone()
    };
    let g = endpoint(&s3);
    assert_eq!(g.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    assert_eq!(g.route_table_ids(), [id("aws_route_table.t[0]")]);
    assert!(g
        .policy_document()
        .unwrap_or_default()
        .contains("s3:GetObject"));
    let i = endpoint(&ssm);
    assert_eq!(i.vpc_endpoint_type().map(|t| t.as_str()), Some("Interface"));
    assert_eq!(i.subnet_ids().len(), 2);
    assert_eq!(
        i.groups()[0].group_id(),
        Some(id("aws_security_group.endpoints").as_str())
    );
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["s3"]["value"][0], "Gateway");
    assert!(
        out["ssm_dns"]["value"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{out}"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another route table and another policy: in place.
    w.write("main.tf", &main("aws_route_table.t[*].id", "s3:*"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let g = endpoint(&s3);
    assert_eq!(g.route_table_ids().len(), 2);
    assert!(g.policy_document().unwrap_or_default().contains("s3:*"));
    assert_eq!(id("aws_vpc_endpoint.s3"), s3, "the same endpoint");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another service replaces it.
    w.write(
        "main.tf",
        &main("aws_route_table.t[*].id", "s3:*").replace("us-east-1.s3\"", "us-east-1.dynamodb\""),
    );
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("aws_vpc_endpoint.s3 must be replaced"),
        "{}",
        r.stdout
    );
    // (moto adds no route for a route table added by ModifyVpcEndpoint, and then
    // fails to delete the endpoint over the missing route: the table goes first.)
    w.write("main.tf", &main("[aws_route_table.t[0].id]", "s3:*"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(ec2.describe_vpc_endpoints().send()).expect("endpoints");
    assert!(
        left.vpc_endpoints().iter().all(|e| e
            .state()
            .is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted"))),
        "{left:?}"
    );
}

/// Endpoint services looked up as the VPC module's endpoints look them up: by
/// short name and type (S3 has both kinds), by full name; an endpoint made from
/// what was found; more than one match is an error that says so.
#[test]
fn vpc_endpoint_service_lookup_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
data "aws_vpc_endpoint_service" "s3" {
  service      = "s3"
  service_type = "Gateway"
}

data "aws_vpc_endpoint_service" "ssm" {
  service_name = "com.amazonaws.us-east-1.ssm"
}

resource "aws_vpc" "v" {
  cidr_block = "10.88.0.0/16"
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.v.id
  service_name = data.aws_vpc_endpoint_service.s3.service_name
}

output "found" {
  value = [
    data.aws_vpc_endpoint_service.s3.service_name,
    data.aws_vpc_endpoint_service.s3.service_type,
    data.aws_vpc_endpoint_service.ssm.service_type,
    data.aws_vpc_endpoint_service.ssm.owner,
  ]
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(
        out["found"]["value"][0], "com.amazonaws.us-east-1.s3",
        "{out}"
    );
    assert_eq!(out["found"]["value"][1], "Gateway", "{out}");
    assert_eq!(out["found"]["value"][2], "Interface", "{out}");
    let e = block(m.ec2().describe_vpc_endpoints().send()).expect("endpoints");
    assert_eq!(
        e.vpc_endpoints()[0].service_name(),
        Some("com.amazonaws.us-east-1.s3")
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();

    w.write(
        "main.tf",
        "data \"aws_vpc_endpoint_service\" \"s3\" {\n  service = \"s3\"\n}\n",
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("VPC endpoint services match"),
        "{}",
        r.stderr
    );
}

/// A site-to-site VPN's gateways as the VPC module makes them: a customer
/// gateway, a VPN gateway attached through its `vpc_id`, and one attached
/// through an `aws_vpn_gateway_attachment`. Read back through the SDK, no change
/// on a second plan; another `vpc_id` detaches and attaches in place.
#[test]
fn vpn_and_customer_gateways_against_moto() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let main = |vpc: &str| {
        format!(
            r#"
resource "aws_vpc" "a" {{
  cidr_block = "10.89.0.0/16"
}}

resource "aws_vpc" "b" {{
  cidr_block = "10.90.0.0/16"
}}

resource "aws_customer_gateway" "office" {{
  bgp_asn    = 65112
  ip_address = "1.2.3.4"
  type       = "ipsec.1"
  tags       = {{ Name = "office" }}
}}

resource "aws_vpn_gateway" "main" {{
  vpc_id          = aws_vpc.{vpc}.id
  amazon_side_asn = "64620"
}}

resource "aws_vpn_gateway" "spare" {{
}}

resource "aws_vpn_gateway_attachment" "spare" {{
  vpc_id         = aws_vpc.b.id
  vpn_gateway_id = aws_vpn_gateway.spare.id
}}
"#
        )
    };
    let w = Work::new(&main("a"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = |addr: &str| w.attrs(addr)["id"].as_str().expect("id").to_string();
    let cgw = block(
        ec2.describe_customer_gateways()
            .customer_gateway_ids(id("aws_customer_gateway.office"))
            .send(),
    )
    .expect("customer gateways")
    .customer_gateways()[0]
        .clone();
    assert_eq!(cgw.bgp_asn(), Some("65112"));
    assert_eq!(cgw.ip_address(), Some("1.2.3.4"));
    let attached = |gw: &str| {
        block(ec2.describe_vpn_gateways().vpn_gateway_ids(gw).send())
            .expect("vpn gateways")
            .vpn_gateways()[0]
            .vpc_attachments()
            .iter()
            .filter(|a| a.state().is_some_and(|s| s.as_str() == "attached"))
            .filter_map(|a| a.vpc_id().map(String::from))
            .collect::<Vec<_>>()
    };
    let (main_gw, spare_gw) = (id("aws_vpn_gateway.main"), id("aws_vpn_gateway.spare"));
    assert_eq!(attached(&main_gw), [id("aws_vpc.a")]);
    assert_eq!(attached(&spare_gw), [id("aws_vpc.b")]);
    assert!(id("aws_vpn_gateway_attachment.spare").starts_with("vpn-attachment-"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &main("b"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(attached(&main_gw), [id("aws_vpc.b")]);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(ec2.describe_vpn_gateways().send()).expect("vpn gateways");
    assert!(
        left.vpn_gateways()
            .iter()
            .all(|g| g.state().is_some_and(|s| s.as_str() == "deleted")),
        "{left:?}"
    );
}
