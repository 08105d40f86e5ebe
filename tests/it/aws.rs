//! The AWS provider through the `iac` binary against moto, checked by reading moto
//! with the SDK rather than trusting iac's state.

use aws_sdk_ec2::types::{Filter, InstanceStateName, Tag};

use crate::moto::{block, iac, Moto};
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

fn run_env(w: &Work, args: &[&str], env: &[(&'static str, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

const FLEET: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.20.1.0/24"
}
resource "aws_instance" "fleet" {
  count         = var.n
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.a.id
  tags = { Role = "fleet", Index = count.index }
}
variable "n" { default = 5 }
"#;

fn fleet_in_moto(m: &Moto) -> Vec<String> {
    let ec2 = m.ec2();
    let mut ids: Vec<String> = block(async {
        ec2.describe_instances()
            .filters(Filter::builder().name("tag:Role").values("fleet").build())
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            )
            .send()
            .await
            .expect("describe")
    })
    .reservations()
    .iter()
    .flat_map(|r| r.instances())
    .filter_map(|i| i.instance_id().map(String::from))
    .collect();
    ids.sort();
    ids
}

fn fleet_in_state(w: &Work) -> Vec<String> {
    let s = w.state();
    let mut ids: Vec<String> = s["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "aws_instance")
        .filter_map(|r| r["attributes"]["id"].as_str().map(String::from))
        .collect();
    ids.sort();
    ids
}

#[test]
fn throttling_and_server_errors_still_converge_without_duplicates() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 5);
    let w = Work::new(FLEET);
    let env = m.env_via(&proxy.endpoint);
    let r = run_env(&w, &["apply", "-auto-approve"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        proxy.faults.load(std::sync::atomic::Ordering::SeqCst) >= 3,
        "faults were injected"
    );
    let moto_ids = fleet_in_moto(&m);
    assert_eq!(moto_ids.len(), 5, "exactly five instances, no duplicates");
    assert_eq!(fleet_in_state(&w), moto_ids);
    let r = run_env(&w, &["plan", "-detailed-exitcode"], &env);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn refresh_of_200_instances_is_batched() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let out = block(
        ec2.run_instances()
            .image_id("ami-12c6146b")
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(200)
            .max_count(200)
            .send(),
    )
    .expect("run 200");
    let mut ids: Vec<String> = out
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(String::from))
        .collect();
    ids.push("i-0123456789abcdef0".into()); // never existed: the batch must cope with NotFound
    let resources: Vec<serde_json::Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            serde_json::json!({
                "address": format!("aws_instance.fleet[{i}]"), "module": "", "mode": "managed", "type": "aws_instance",
                "name": "fleet", "index_key": i, "provider": "aws", "status": "ready", "create_before_destroy": false,
                "dependencies": [], "attributes": {"id": id, "ami": "ami-12c6146b", "instance_type": "t3.micro"}
            })
        })
        .collect();
    let state = serde_json::json!({
        "version": 1, "serial": 1, "lineage": "test-lineage", "iac_version": "0.1.0",
        "fingerprint_salt": "salt", "outputs": {}, "resources": resources
    });
    let w = Work::new("resource \"aws_instance\" \"fleet\" {\n  count         = 201\n  ami           = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n}\n");
    w.write("iac.tfstate", &state.to_string());
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = run_env(&w, &["plan", "-refresh-only"], &m.env_via(&proxy.endpoint)).ok();
    assert!(
        r.stdout
            .contains("# aws_instance.fleet[200] has been deleted"),
        "{}",
        r.stdout
    );
    let describes = proxy.count("DescribeInstances");
    let all_describes = proxy.count_prefix("Describe");
    assert!(
        all_describes <= 4,
        "refresh of 201 instances took {all_describes} Describe* calls in all"
    );
    assert!(
        (1..=3).contains(&describes),
        "refresh of 201 instances took {describes} DescribeInstances calls"
    );
}

#[test]
fn sigkill_while_creating_20_instances_then_rerun_gives_exactly_20() {
    let m = Moto::start();
    let slow = crate::proxy::Proxy::start_with(
        &m.endpoint,
        0,
        Some(("RunInstances", std::time::Duration::from_millis(400))),
    );
    let w = Work::new(&FLEET.replace("default = 5", "default = 20"));
    let env = m.env_via(&slow.endpoint);
    let mut cmd = w.command(&["apply", "-auto-approve"]);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some, but not all, instances are recorded.
    let journal = w.path().join("iac.tfstate.journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = std::fs::read_to_string(&journal)
            .map(|s| s.matches("aws_instance.fleet").count())
            .unwrap_or(0);
        if n >= 5 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "apply made no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = fleet_in_moto(&m).len();
    assert!(before < 20, "killed before finishing ({before} created)");
    // Give requests the proxy was still holding time to reach moto, as a lost response would.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let r = run_env(&w, &["apply", "-auto-approve"], &m.env());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let moto_ids = fleet_in_moto(&m);
    assert_eq!(moto_ids.len(), 20, "exactly 20 instances after the re-run");
    assert_eq!(fleet_in_state(&w), moto_ids, "state matches what exists");
}

#[test]
fn import_blocks_and_the_import_command_adopt_existing_objects() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let vpc = block(ec2.create_vpc().cidr_block("10.30.0.0/16").send()).unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let run = block(
        ec2.run_instances()
            .image_id("ami-12c6146b")
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(1)
            .max_count(1)
            .send(),
    )
    .unwrap();
    let inst = run.instances()[0].instance_id().unwrap().to_string();
    let w = Work::new(&format!(
        "resource \"aws_vpc\" \"adopted\" {{\n  cidr_block = \"10.30.0.0/16\"\n}}\nresource \"aws_instance\" \"legacy\" {{\n  ami           = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n  tags          = {{ Name = \"legacy\" }}\n}}\nimport {{\n  to = aws_instance.legacy\n  id = \"{inst}\"\n}}\n"
    ));
    let r = iac(&w, &m, &["import", "aws_vpc.adopted", &vpc_id]).ok();
    assert!(r.stdout.contains("Import successful!"), "{}", r.stdout);
    assert_eq!(w.attrs("aws_vpc.adopted")["id"], vpc_id.as_str());
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains(&format!(
            "# aws_instance.legacy will be imported (id {inst}) and will be updated in-place"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.summary(),
        "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(w.attrs("aws_instance.legacy")["id"], inst.as_str());
    let tagged = block(ec2.describe_instances().instance_ids(&inst).send()).unwrap();
    let i = &tagged.reservations()[0].instances()[0];
    assert!(i
        .tags()
        .iter()
        .any(|t| t.key() == Some("Name") && t.value() == Some("legacy")));
    let all = block(ec2.describe_instances().send()).unwrap();
    assert_eq!(
        all.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .count(),
        1,
        "nothing was created"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Importing what does not exist, or what is not configured, is refused.
    let r = iac(&w, &m, &["import", "aws_vpc.other", "vpc-12345678"]).code(1);
    assert!(
        r.stderr
            .contains("Import target aws_vpc.other is not in the configuration"),
        "{}",
        r.stderr
    );
    iac(&w, &m, &["state", "rm", "aws_vpc.adopted"]).ok();
    let r = iac(&w, &m, &["import", "aws_vpc.adopted", "vpc-12345678"]).code(1);
    assert!(
        r.stderr
            .contains("no object with id \"vpc-12345678\" exists"),
        "{}",
        r.stderr
    );
}

const FIREWALL: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}
resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]
    description = "https"
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "admin" {
  vpc_id      = aws_vpc.main.id
  description = "rules are separate resources"
}
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["192.168.0.0/16"]
  security_group_id = aws_security_group.admin.id
}
"#;

pub(crate) fn ingress_ports(m: &Moto, group: &str) -> Vec<(i32, Vec<String>)> {
    let out = block(m.ec2().describe_security_groups().group_ids(group).send()).unwrap();
    let mut v: Vec<(i32, Vec<String>)> = out.security_groups()[0]
        .ip_permissions()
        .iter()
        .map(|p| {
            let mut c: Vec<String> = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip().map(String::from))
                .collect();
            c.sort();
            (p.from_port().unwrap_or(-1), c)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn security_groups_and_rules_against_moto() {
    let m = Moto::start();
    let w = Work::new(FIREWALL);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let sg = w.attrs("aws_security_group.web")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = w.attrs("aws_security_group.admin")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        ingress_ports(&m, &sg),
        vec![
            (80, vec!["0.0.0.0/0".to_string()]),
            (443, vec!["0.0.0.0/0".to_string(), "10.0.0.0/8".to_string()])
        ]
    );
    assert_eq!(
        ingress_ports(&m, &admin),
        vec![(22, vec!["192.168.0.0/16".to_string()])]
    );
    let out = block(m.ec2().describe_security_groups().group_ids(&sg).send()).unwrap();
    assert_eq!(
        out.security_groups()[0].ip_permissions_egress().len(),
        1,
        "only the configured egress rule"
    );
    // A group without inline rules leaves them to the standalone rule: nothing is planned.
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Update in place: a port changes.
    w.write(
        "main.tf",
        &FIREWALL.replace(
            "from_port   = 443\n    to_port     = 443",
            "from_port   = 8443\n    to_port     = 8443",
        ),
    );
    let r = iac(&w, &m, &["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let ports: Vec<i32> = ingress_ports(&m, &sg).into_iter().map(|p| p.0).collect();
    assert_eq!(ports, vec![80, 8443]);
    assert_eq!(
        w.attrs("aws_security_group.web")["id"],
        sg.as_str(),
        "same group"
    );
    // Drift: a rule revoked outside iac comes back.
    block(
        m.ec2()
            .revoke_security_group_ingress()
            .group_id(&sg)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(80)
                    .to_port(80)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("0.0.0.0/0")
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("# aws_security_group.web has changed"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("~ egress"),
        "unchanged rules are not shown as changed:\n{}",
        r.stdout
    );
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(ingress_ports(&m, &sg).iter().any(|p| p.0 == 80));
    // A standalone rule that changes is replaced; destroy removes the group.
    w.write(
        "main.tf",
        &w.read("main.tf").replace("192.168.0.0/16", "172.16.0.0/12"),
    );
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_security_group_rule.ssh must be replaced"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        ingress_ports(&m, &admin),
        vec![(22, vec!["172.16.0.0/12".to_string()])]
    );
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let gone = block(
        m.ec2()
            .describe_security_groups()
            .filters(Filter::builder().name("group-id").values(&sg).build())
            .send(),
    )
    .unwrap();
    assert!(gone.security_groups().is_empty());
}

const ROUTING: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.50.0.0/16"
}
resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.50.1.0/24"
}
resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "gw" }
}
resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}
resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}
"#;

fn default_route(m: &Moto, rt: &str) -> Option<String> {
    let out = block(m.ec2().describe_route_tables().route_table_ids(rt).send()).unwrap();
    out.route_tables()[0]
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.gateway_id().map(String::from))
}

#[test]
fn gateways_route_tables_and_associations_against_moto() {
    let m = Moto::start();
    let w = Work::new(ROUTING);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let (vpc, igw, rt) = (
        w.attrs("aws_vpc.main")["id"].as_str().unwrap().to_string(),
        w.attrs("aws_internet_gateway.gw")["id"]
            .as_str()
            .unwrap()
            .to_string(),
        w.attrs("aws_route_table.public")["id"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let g = block(
        m.ec2()
            .describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send(),
    )
    .unwrap();
    assert_eq!(
        g.internet_gateways()[0].attachments()[0].vpc_id(),
        Some(vpc.as_str())
    );
    assert_eq!(default_route(&m, &rt), Some(igw.clone()));
    let t = block(m.ec2().describe_route_tables().route_table_ids(&rt).send()).unwrap();
    let subnet = w.attrs("aws_subnet.public")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(t.route_tables()[0]
        .associations()
        .iter()
        .any(|a| a.subnet_id() == Some(subnet.as_str())));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Drift: the default route deleted by hand comes back.
    block(
        m.ec2()
            .delete_route()
            .route_table_id(&rt)
            .destination_cidr_block("0.0.0.0/0")
            .send(),
    )
    .unwrap();
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("# aws_route_table.public has changed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(default_route(&m, &rt), Some(igw.clone()));
    // Update in place: tags.
    w.write(
        "main.tf",
        &ROUTING.replace("tags   = { Name = \"gw\" }", "tags   = { Name = \"edge\" }"),
    );
    let r = iac(&w, &m, &["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let g = block(
        m.ec2()
            .describe_internet_gateways()
            .internet_gateway_ids(&igw)
            .send(),
    )
    .unwrap();
    assert!(g.internet_gateways()[0]
        .tags()
        .iter()
        .any(|t| t.value() == Some("edge")));
    // Destroy in reverse dependency order leaves nothing behind.
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(
        m.ec2()
            .describe_internet_gateways()
            .filters(
                Filter::builder()
                    .name("internet-gateway-id")
                    .values(&igw)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    assert!(left.internet_gateways().is_empty());
    let vpcs = block(
        m.ec2()
            .describe_vpcs()
            .filters(Filter::builder().name("vpc-id").values(&vpc).build())
            .send(),
    )
    .unwrap();
    assert!(vpcs.vpcs().is_empty());
}

/// The web-servers example applies against moto, and every object in it can be
/// forgotten and imported back by id with no change planned afterwards.
#[test]
fn web_servers_example_and_import_of_every_type() {
    let m = Moto::start();
    let w = Work::new("");
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/web-servers");
    for f in ["main.tf", "init.sh"] {
        w.write(f, &std::fs::read_to_string(example.join(f)).unwrap());
    }
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("Apply complete! Resources: 11 added"),
        "{}",
        r.stdout
    );
    let s = w.state();
    let objects: Vec<(String, String, String)> = s["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["type"].as_str().unwrap().to_string(),
                r["attributes"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut imported = Vec::new();
    for (addr, ty, id) in &objects {
        if ty == "aws_route_table_association" {
            continue; // Imported by subnet/route table pair in Terraform; not supported yet.
        }
        iac(&w, &m, &["state", "rm", addr]).ok();
        let r = iac(&w, &m, &["import", addr, id]);
        assert_eq!(r.code, 0, "import {addr} {id}: {}", r.stderr);
        imported.push(ty.clone());
    }
    imported.sort();
    imported.dedup();
    assert_eq!(
        imported,
        [
            "aws_instance",
            "aws_internet_gateway",
            "aws_route_table",
            "aws_security_group",
            "aws_subnet",
            "aws_vpc"
        ]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(
        r.code, 0,
        "after importing everything, nothing to do:\n{}\n{}",
        r.stdout, r.stderr
    );
}

#[test]
fn default_vpc_and_subnet_lookups() {
    let m = Moto::start();
    let w = Work::new(
        r#"
data "aws_vpc" "default" {
  default = true
}
data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
}
resource "aws_vpc" "tagged" {
  cidr_block = "10.60.0.0/16"
  tags       = { Team = "core" }
}
data "aws_vpc" "by_tag" {
  tags       = { Team = "core" }
  depends_on = [aws_vpc.tagged]
}
output "default_cidr" { value = data.aws_vpc.default.cidr_block }
output "subnets" { value = length(data.aws_subnets.default.ids) }
output "by_tag" { value = data.aws_vpc.by_tag.id == aws_vpc.tagged.id }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let s = w.state();
    let default = block(
        m.ec2()
            .describe_vpcs()
            .filters(Filter::builder().name("isDefault").values("true").build())
            .send(),
    )
    .unwrap();
    assert_eq!(
        s["outputs"]["default_cidr"]["value"],
        default.vpcs()[0].cidr_block().unwrap()
    );
    let subnets = block(
        m.ec2()
            .describe_subnets()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(default.vpcs()[0].vpc_id().unwrap())
                    .build(),
            )
            .send(),
    )
    .unwrap();
    assert_eq!(s["outputs"]["subnets"]["value"], subnets.subnets().len());
    assert!(subnets.subnets().len() > 1);
    assert_eq!(s["outputs"]["by_tag"]["value"], true);
    let bad = Work::new("data \"aws_vpc\" \"none\" {\n  cidr_block = \"10.99.0.0/16\"\n}\n");
    let r = iac(&bad, &m, &["plan"]).code(1);
    assert!(r.stderr.contains("No VPC matches"), "{}", r.stderr);
}

/// Something done to an object behind iac's back, given its id.
type OutsideChange = dyn Fn(&Moto, &str);

/// One resource through its whole life against moto: create, no-op, update in
/// place, replacement, a change outside iac, a deletion outside iac, destroy.
struct Life<'a> {
    addr: &'a str,
    v1: String,
    /// An in-place update, if the type has one.
    v2: Option<String>,
    /// A change that forces replacement, if the type has one.
    v3: Option<String>,
    change_outside: Option<&'a OutsideChange>,
    delete_outside: &'a OutsideChange,
    /// The id `iac import` takes, when it is not the object's id.
    import_id: Option<&'a dyn Fn(&Work) -> String>,
}

fn id_of(w: &Work, addr: &str) -> String {
    w.attrs(addr)["id"].as_str().unwrap_or_default().to_string()
}

fn run_life(life: Life<'_>) {
    let m = Moto::start();
    let w = Work::new(&life.v1);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let first = id_of(&w, life.addr);
    assert!(!first.is_empty(), "{} was created", life.addr);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    let mut current = life.v1.clone();
    if let Some(v2) = &life.v2 {
        w.write("main.tf", v2);
        let r = iac(&w, &m, &["plan"]).ok();
        assert!(
            r.stdout
                .contains(&format!("# {} will be updated in-place", life.addr)),
            "{}",
            r.stdout
        );
        iac(&w, &m, &["apply", "-auto-approve"]).ok();
        assert_eq!(id_of(&w, life.addr), first, "updated in place");
        iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
        current = v2.clone();
    }
    if let Some(v3) = &life.v3 {
        w.write("main.tf", v3);
        let r = iac(&w, &m, &["plan"]).ok();
        assert!(
            r.stdout
                .contains(&format!("# {} must be replaced", life.addr)),
            "{}",
            r.stdout
        );
        iac(&w, &m, &["apply", "-auto-approve"]).ok();
        assert_ne!(id_of(&w, life.addr), first, "replaced");
        iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
        current = v3.clone();
    }
    let _ = current;
    if let Some(change) = life.change_outside {
        let id = id_of(&w, life.addr);
        change(&m, &id);
        let r = iac(&w, &m, &["plan"]).ok();
        assert!(
            r.stdout.contains(&format!("# {} has changed", life.addr)),
            "{}",
            r.stdout
        );
        iac(&w, &m, &["apply", "-auto-approve"]).ok();
        iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    }
    let id = id_of(&w, life.addr);
    (life.delete_outside)(&m, &id);
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains(&format!("# {} has been deleted", life.addr)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(&format!("# {} will be created", life.addr)),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    // Forgotten and imported back: nothing to do afterwards.
    let import_id = match life.import_id {
        Some(f) => f(&w),
        None => id_of(&w, life.addr),
    };
    iac(&w, &m, &["state", "rm", life.addr]).ok();
    let r = iac(&w, &m, &["import", life.addr, &import_id]);
    assert_eq!(r.code, 0, "import {} {import_id}: {}", life.addr, r.stderr);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    // Forgotten and imported back: nothing to do afterwards.
    let import_id = match life.import_id {
        Some(f) => f(&w),
        None => id_of(&w, life.addr),
    };
    iac(&w, &m, &["state", "rm", life.addr]).ok();
    let r = iac(&w, &m, &["import", life.addr, &import_id]);
    assert_eq!(r.code, 0, "import {} {import_id}: {}", life.addr, r.stderr);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(w.addresses().is_empty());
}

fn tag(m: &Moto, id: &str) {
    block(
        m.ec2()
            .create_tags()
            .resources(id)
            .tags(Tag::builder().key("Name").value("changed-by-hand").build())
            .send(),
    )
    .unwrap();
}

#[test]
fn life_of_a_vpc() {
    let cfg = |cidr: &str, tags: &str| {
        format!(
            "resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"{cidr}\"\n  tags = {{ {tags} }}\n}}\n"
        )
    };
    run_life(Life {
        addr: "aws_vpc.v",
        v1: cfg("10.70.0.0/16", "Name = \"v1\""),
        v2: Some(cfg("10.70.0.0/16", "Name = \"v2\"")),
        v3: Some(cfg("10.71.0.0/16", "Name = \"v2\"")),
        change_outside: Some(&tag),
        import_id: None,
        delete_outside: &|m, id| {
            block(m.ec2().delete_vpc().vpc_id(id).send()).unwrap();
        },
    });
}

#[test]
fn life_of_a_subnet() {
    let cfg = |cidr: &str, public: bool| {
        format!("resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.80.0.0/16\"\n}}\nresource \"aws_subnet\" \"s\" {{\n  vpc_id = aws_vpc.v.id\n  cidr_block = \"{cidr}\"\n  map_public_ip_on_launch = {public}\n}}\n")
    };
    run_life(Life {
        addr: "aws_subnet.s",
        v1: cfg("10.80.1.0/24", false),
        v2: Some(cfg("10.80.1.0/24", true)),
        v3: Some(cfg("10.80.2.0/24", true)),
        change_outside: Some(&tag),
        import_id: None,
        delete_outside: &|m, id| {
            block(m.ec2().delete_subnet().subnet_id(id).send()).unwrap();
        },
    });
}

#[test]
fn life_of_an_internet_gateway() {
    let cfg = |name: &str| {
        format!("resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.90.0.0/16\"\n}}\nresource \"aws_internet_gateway\" \"g\" {{\n  vpc_id = aws_vpc.v.id\n  tags = {{ Name = \"{name}\" }}\n}}\n")
    };
    run_life(Life {
        addr: "aws_internet_gateway.g",
        v1: cfg("a"),
        v2: Some(cfg("b")),
        v3: None,
        change_outside: Some(&tag),
        import_id: None,
        delete_outside: &|m, id| {
            let g = block(
                m.ec2()
                    .describe_internet_gateways()
                    .internet_gateway_ids(id)
                    .send(),
            )
            .unwrap();
            let vpc = g.internet_gateways()[0].attachments()[0]
                .vpc_id()
                .unwrap()
                .to_string();
            block(
                m.ec2()
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send(),
            )
            .unwrap();
            block(
                m.ec2()
                    .delete_internet_gateway()
                    .internet_gateway_id(id)
                    .send(),
            )
            .unwrap();
        },
    });
}

#[test]
fn life_of_a_security_group() {
    let cfg = |name: &str, port: u16| {
        format!("resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.100.0.0/16\"\n}}\nresource \"aws_security_group\" \"g\" {{\n  name = \"{name}\"\n  vpc_id = aws_vpc.v.id\n  ingress {{\n    from_port = {port}\n    to_port = {port}\n    protocol = \"tcp\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }}\n}}\n")
    };
    run_life(Life {
        addr: "aws_security_group.g",
        v1: cfg("one", 80),
        v2: Some(cfg("one", 81)),
        v3: Some(cfg("two", 81)),
        change_outside: Some(&tag),
        import_id: None,
        delete_outside: &|m, id| {
            block(m.ec2().delete_security_group().group_id(id).send()).unwrap();
        },
    });
}

#[test]
fn life_of_a_route_table_and_its_association() {
    let base = "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.110.0.0/16\"\n}\nresource \"aws_vpc\" \"b\" {\n  cidr_block = \"10.111.0.0/16\"\n}\nresource \"aws_internet_gateway\" \"g\" {\n  vpc_id = aws_vpc.a.id\n}\nresource \"aws_internet_gateway\" \"h\" {\n  vpc_id = aws_vpc.b.id\n}\n";
    let rt = |vpc: &str, gw: &str, cidr: &str| {
        format!("{base}resource \"aws_route_table\" \"r\" {{\n  vpc_id = aws_vpc.{vpc}.id\n  route {{\n    cidr_block = \"{cidr}\"\n    gateway_id = aws_internet_gateway.{gw}.id\n  }}\n}}\n")
    };
    run_life(Life {
        addr: "aws_route_table.r",
        v1: rt("a", "g", "0.0.0.0/0"),
        v2: Some(rt("a", "g", "192.168.0.0/16")),
        v3: Some(rt("b", "h", "192.168.0.0/16")),
        change_outside: Some(&|m, id| {
            block(
                m.ec2()
                    .delete_route()
                    .route_table_id(id)
                    .destination_cidr_block("192.168.0.0/16")
                    .send(),
            )
            .unwrap();
        }),
        import_id: None,
        delete_outside: &|m, id| {
            block(m.ec2().delete_route_table().route_table_id(id).send()).unwrap();
        },
    });
    let assoc = |subnet: &str| {
        format!("resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.120.0.0/16\"\n}}\nresource \"aws_subnet\" \"one\" {{\n  vpc_id = aws_vpc.v.id\n  cidr_block = \"10.120.1.0/24\"\n}}\nresource \"aws_subnet\" \"two\" {{\n  vpc_id = aws_vpc.v.id\n  cidr_block = \"10.120.2.0/24\"\n}}\nresource \"aws_route_table\" \"r\" {{\n  vpc_id = aws_vpc.v.id\n}}\nresource \"aws_route_table_association\" \"a\" {{\n  subnet_id = aws_subnet.{subnet}.id\n  route_table_id = aws_route_table.r.id\n}}\n")
    };
    run_life(Life {
        addr: "aws_route_table_association.a",
        v1: assoc("one"),
        v2: None,
        v3: Some(assoc("two")),
        change_outside: None,
        import_id: Some(&|w: &Work| {
            let a = w.attrs("aws_route_table_association.a");
            format!(
                "{}/{}",
                a["subnet_id"].as_str().unwrap(),
                a["route_table_id"].as_str().unwrap()
            )
        }),
        delete_outside: &|m, id| {
            block(m.ec2().disassociate_route_table().association_id(id).send()).unwrap();
        },
    });
}

#[test]
fn life_of_a_security_group_rule() {
    let rule = |port: u16| {
        format!("resource \"aws_vpc\" \"v\" {{\n  cidr_block = \"10.130.0.0/16\"\n}}\nresource \"aws_security_group\" \"g\" {{\n  vpc_id = aws_vpc.v.id\n}}\nresource \"aws_security_group_rule\" \"r\" {{\n  type = \"ingress\"\n  from_port = {port}\n  to_port = {port}\n  protocol = \"tcp\"\n  cidr_blocks = [\"10.0.0.0/8\"]\n  security_group_id = aws_security_group.g.id\n}}\n")
    };
    run_life(Life {
        addr: "aws_security_group_rule.r",
        v1: rule(22),
        v2: None,
        v3: Some(rule(2222)),
        change_outside: None,
        import_id: Some(&|w: &Work| {
            let g = w.attrs("aws_security_group.g")["id"]
                .as_str()
                .unwrap()
                .to_string();
            format!("{g}_ingress_tcp_2222_2222_10.0.0.0/8")
        }),
        delete_outside: &|m, _id| {
            let groups = block(
                m.ec2()
                    .describe_security_groups()
                    .filters(
                        Filter::builder()
                            .name("ip-permission.from-port")
                            .values("2222")
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
            let g = groups.security_groups()[0].group_id().unwrap().to_string();
            block(
                m.ec2()
                    .revoke_security_group_ingress()
                    .group_id(g)
                    .ip_permissions(
                        aws_sdk_ec2::types::IpPermission::builder()
                            .ip_protocol("tcp")
                            .from_port(2222)
                            .to_port(2222)
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
        },
    });
}

#[test]
fn root_block_device_is_created_and_resized_in_place() {
    let m = Moto::start();
    let cfg = |size: u32| {
        format!("resource \"aws_instance\" \"db\" {{\n  ami           = \"ami-12c6146b\"\n  instance_type = \"t3.micro\"\n  root_block_device {{\n    volume_size = {size}\n    volume_type = \"gp3\"\n  }}\n}}\n")
    };
    let w = Work::new(&cfg(10));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let root = w.attrs("aws_instance.db")["root_block_device"][0].clone();
    let volume = root["volume_id"]
        .as_str()
        .expect("a root volume id")
        .to_string();
    let size = |m: &Moto| {
        let out = block(m.ec2().describe_volumes().volume_ids(&volume).send()).unwrap();
        (
            out.volumes()[0].size(),
            out.volumes()[0]
                .volume_type()
                .map(|t| t.as_str().to_string()),
        )
    };
    assert_eq!(size(&m), (Some(10), Some("gp3".to_string())));
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    w.write("main.tf", &cfg(20));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("# aws_instance.db will be updated in-place"),
        "{}",
        r.stdout
    );
    let id = w.attrs("aws_instance.db")["id"].clone();
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(size(&m).0, Some(20));
    assert_eq!(w.attrs("aws_instance.db")["id"], id);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
}

/// The root volume's encryption, IOPS, throughput and own tags, as
/// configurations write them for gp3: launched so, read back from the volume,
/// no change on a second plan; IOPS, throughput and tags change in place
/// (ModifyVolume, tags), encryption replaces the instance.
#[test]
fn root_block_device_encryption_iops_and_tags_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let cfg = |iops: u32, throughput: &str, encrypted: bool, tag: &str| {
        format!(
            r#"
resource "aws_instance" "db" {{
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  root_block_device {{
    volume_size = 12
    volume_type = "gp3"
    iops        = {iops}
    {throughput}
    encrypted   = {encrypted}
    tags        = {{ Name = "{tag}" }}
  }}
}}
"#
        )
    };
    let w = Work::new(&cfg(3000, "", true, "root"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let run = &proxy.requests("RunInstances")[0];
    assert_eq!(
        run.get("BlockDeviceMapping.1.Ebs.Iops").map(String::as_str),
        Some("3000"),
        "{run:?}"
    );
    assert_eq!(
        run.get("BlockDeviceMapping.1.Ebs.Encrypted")
            .map(String::as_str),
        Some("true"),
        "{run:?}"
    );
    let volume = || {
        w.attrs("aws_instance.db")["root_block_device"][0]["volume_id"]
            .as_str()
            .expect("a root volume id")
            .to_string()
    };
    let read = |id: &str| {
        let out = block(m.ec2().describe_volumes().volume_ids(id).send()).unwrap();
        let v = out.volumes()[0].clone();
        let name = v
            .tags()
            .iter()
            .find(|t| t.key() == Some("Name"))
            .and_then(|t| t.value().map(String::from));
        (v.encrypted(), v.iops(), v.throughput(), name)
    };
    let first = volume();
    assert_eq!(
        read(&first),
        (Some(true), Some(3000), None, Some("root".to_string()))
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // moto keeps no throughput from RunInstances; ModifyVolume sets it.
    w.write("main.tf", &cfg(4000, "throughput = 250", true, "data"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(volume(), first, "the same volume");
    assert_eq!(
        read(&first),
        (Some(true), Some(4000), Some(250), Some("data".to_string()))
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &cfg(4000, "throughput = 250", false, "data"));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains("aws_instance.db must be replaced"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

#[test]
fn credentials_from_a_named_profile() {
    let m = Moto::start();
    let w = Work::new("provider \"aws\" {\n  profile = \"iac-test\"\n}\nresource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.140.0.0/16\"\n}\n");
    w.write(
        "creds",
        "[iac-test]\naws_access_key_id = test\naws_secret_access_key = test\n",
    );
    w.write("config", "[profile iac-test]\nregion = eu-central-1\n");
    let creds = w.path().join("creds").display().to_string();
    let config = w.path().join("config").display().to_string();
    let env = [
        ("AWS_ENDPOINT_URL", m.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", ""),
        ("AWS_SECRET_ACCESS_KEY", ""),
        ("AWS_REGION", ""),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.as_str()),
        ("AWS_CONFIG_FILE", config.as_str()),
    ];
    w.iac_env(&["apply", "-auto-approve"], &env).ok();
    assert!(w.attrs("aws_vpc.v")["arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:ec2:eu-central-1:"));
    w.write("main.tf", &w.read("main.tf").replace("iac-test", "nobody"));
    let r = w.iac_env(&["plan"], &env).code(1);
    assert!(
        r.stderr.contains("No AWS credentials were found"),
        "{}",
        r.stderr
    );
}

/// A create whose answer never came back (the process died while the request was
/// in flight) is adopted on the next run through its token tag, not made twice.
#[test]
fn a_create_lost_in_flight_is_adopted_not_repeated() {
    let m = Moto::start();
    let slow = crate::proxy::Proxy::start_with(
        &m.endpoint,
        0,
        Some((
            "CreateSecurityGroup",
            std::time::Duration::from_millis(1500),
        )),
    );
    let w = Work::new(
        "resource \"aws_vpc\" \"v\" {\n  cidr_block = \"10.150.0.0/16\"\n}\nresource \"aws_security_group\" \"g\" {\n  name   = \"lost-in-flight\"\n  vpc_id = aws_vpc.v.id\n}\n",
    );
    let mut cmd = w.command(&["apply", "-auto-approve"]);
    for (k, v) in m.env_via(&slow.endpoint) {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = w.path().join("iac.tfstate.journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .contains("aws_vpc.v")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the VPC was never recorded"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    // The held request still reaches AWS: the group exists, but iac never heard of it.
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let groups = || {
        block(
            m.ec2()
                .describe_security_groups()
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values("lost-in-flight")
                        .build(),
                )
                .send(),
        )
        .unwrap()
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect::<Vec<_>>()
    };
    assert_eq!(groups().len(), 1, "the create reached AWS");
    assert!(!w.addresses().contains(&"aws_security_group.g".to_string()));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let ids = groups();
    assert_eq!(ids.len(), 1, "adopted, not created again");
    assert_eq!(w.attrs("aws_security_group.g")["id"], ids[0].as_str());
}

#[test]
fn one_object_deleted_outside_is_the_only_one_reported() {
    // A batched read that hits a missing id fails as a whole, and the error may
    // name the wrong id (moto names a live one about half the time): each id
    // reported missing is confirmed on its own before it counts as deleted.
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
}
resource "aws_subnet" "s" {
  count      = 8
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    for i in [0, 3, 5, 7] {
        let id = w.attrs(&format!("aws_subnet.s[{i}]"))["id"]
            .as_str()
            .unwrap()
            .to_string();
        block(m.ec2().delete_subnet().subnet_id(id).send()).unwrap();
        let r = iac(&w, &m, &["plan"]).ok();
        let deleted: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.ends_with("has been deleted"))
            .collect();
        assert_eq!(
            deleted,
            vec![format!("  # aws_subnet.s[{i}] has been deleted").as_str()],
            "{}",
            r.stdout
        );
        assert_eq!(r.summary(), "Plan: 1 to add, 0 to change, 0 to destroy.");
        iac(&w, &m, &["apply", "-auto-approve"]).ok();
    }
}

/// `iac import` into an instance of a module called with `for_each`.
#[test]
fn import_into_a_module_instance() {
    let m = Moto::start();
    let ec2 = m.ec2();
    let vpc = block(ec2.create_vpc().cidr_block("10.40.0.0/16").send()).unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let w = Work::new(
        "module \"net\" {\n  source   = \"./net\"\n  for_each = { a = \"10.40.0.0/16\" }\n  cidr     = each.value\n}\n",
    );
    w.write(
        "net/main.tf",
        "variable \"cidr\" {}\nresource \"aws_vpc\" \"v\" {\n  cidr_block = var.cidr\n}\n",
    );
    let r = iac(&w, &m, &["import", "module.net[\"a\"].aws_vpc.v", &vpc_id]).ok();
    assert!(r.stdout.contains("Import successful!"), "{}", r.stdout);
    assert_eq!(
        w.attrs("module.net[\"a\"].aws_vpc.v")["id"],
        vpc_id.as_str()
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // An import block in the root module can name an object in a module instance too.
    let other = block(ec2.create_vpc().cidr_block("10.41.0.0/16").send()).unwrap();
    let other_id = other.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    w.write(
        "main.tf",
        &format!(
            "module \"net\" {{\n  source   = \"./net\"\n  for_each = {{ a = \"10.40.0.0/16\", b = \"10.41.0.0/16\" }}\n  cidr     = each.value\n}}\nimport {{\n  to = module.net[\"b\"].aws_vpc.v\n  id = \"{other_id}\"\n}}\n"
        ),
    );
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("1 imported, 0 added"), "{}", r.stdout);
    assert_eq!(
        w.attrs("module.net[\"b\"].aws_vpc.v")["id"],
        other_id.as_str()
    );
}

/// `aws_instance`'s launch options: what moto keeps (the dedicated host, the
/// CPU credits it reports, the Windows password) is read back from moto; what it
/// does not keep is checked in the RunInstances request iac sent, through a
/// recording proxy. Re-plans are quiet (blocks left out are as AWS has them),
/// refresh reads credits for the batch in one call, and a change to an option
/// that only a new instance can take replaces it.
#[test]
fn instance_launch_options_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let env = m.env_via(&proxy.endpoint);
    let cfg = |enclave: bool, extra: &str| {
        format!(
            r#"resource "aws_instance" "win" {{
  ami               = "ami-12c6146b"
  instance_type     = "t3.micro"
  get_password_data = true
  host_id           = "h-0123456789abcdef0"
  placement_group   = "cluster-a"
  tags              = {{ Role = "options" }}

  credit_specification {{
    cpu_credits = "standard"
  }}
  enclave_options {{
    enabled = {enclave}
  }}
  private_dns_name_options {{
    hostname_type                     = "ip-name"
    enable_resource_name_dns_a_record = true
  }}
  capacity_reservation_specification {{
    capacity_reservation_preference = "open"
  }}
  ephemeral_block_device {{
    device_name = "/dev/sdf"
    no_device   = true
  }}
  {extra}
}}
"#
        )
    };
    let maintenance = "maintenance_options {\n    auto_recovery = \"default\"\n  }";
    let w = Work::new(&cfg(false, maintenance));
    run_env(&w, &["apply", "-auto-approve"], &env).ok();

    // Sent as written.
    let runs = proxy.requests("RunInstances");
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    for (k, v) in [
        ("CreditSpecification.CpuCredits", "standard"),
        ("MaintenanceOptions.AutoRecovery", "default"),
        ("PrivateDnsNameOptions.HostnameType", "ip-name"),
        ("PrivateDnsNameOptions.EnableResourceNameDnsARecord", "true"),
        ("EnclaveOptions.Enabled", "false"),
        (
            "CapacityReservationSpecification.CapacityReservationPreference",
            "open",
        ),
        ("Placement.GroupName", "cluster-a"),
        ("Placement.HostId", "h-0123456789abcdef0"),
    ] {
        assert_eq!(run.get(k).map(String::as_str), Some(v), "{k} in {run:?}");
    }
    // A device of the image left out (moto takes no instance store mapping
    // without an EBS part, which AWS does; that request is unit-tested).
    let left_out = run
        .iter()
        .find(|(k, v)| {
            k.starts_with("BlockDeviceMapping.") && k.ends_with(".DeviceName") && *v == "/dev/sdf"
        })
        .map(|(k, _)| k.trim_end_matches("DeviceName").to_string())
        .expect("a mapping for /dev/sdf");
    assert_eq!(
        run.get(&format!("{left_out}NoDevice")).map(String::as_str),
        Some("")
    );

    // Read back from moto.
    let a = w.attrs("aws_instance.win");
    let id = a["id"].as_str().unwrap().to_string();
    let ec2 = m.ec2();
    let inst = block(ec2.describe_instances().instance_ids(&id).send()).unwrap();
    let inst = &inst.reservations()[0].instances()[0];
    assert_eq!(
        inst.placement().and_then(|p| p.host_id()),
        Some("h-0123456789abcdef0")
    );
    assert_eq!(a["host_id"], "h-0123456789abcdef0");
    let credits = block(
        ec2.describe_instance_credit_specifications()
            .instance_ids(&id)
            .send(),
    )
    .unwrap();
    assert_eq!(
        a["credit_specification"][0]["cpu_credits"],
        credits.instance_credit_specifications()[0]
            .cpu_credits()
            .unwrap()
    );
    let password = block(ec2.get_password_data().instance_id(&id).send()).unwrap();
    assert!(!password.password_data().unwrap_or_default().is_empty());
    assert!(
        a["password_data"].as_str().is_some_and(|p| p.len() >= 100),
        "{a}"
    );
    assert_eq!(a["placement_group"], "cluster-a");
    assert_eq!(a["maintenance_options"][0]["auto_recovery"], "default");
    assert_eq!(a["ephemeral_block_device"][0]["no_device"], true);

    // Quiet re-plans; the credits of the batch in one call, the password in one.
    let before = (
        proxy.count("DescribeInstanceCreditSpecifications"),
        proxy.count("GetPasswordData"),
    );
    run_env(&w, &["plan", "-detailed-exitcode"], &env).code(0);
    assert_eq!(
        (
            proxy.count("DescribeInstanceCreditSpecifications") - before.0,
            proxy.count("GetPasswordData") - before.1
        ),
        (1, 1)
    );
    // Left out, automatic recovery is as AWS has it: still no change.
    w.write("main.tf", &cfg(false, ""));
    run_env(&w, &["plan", "-detailed-exitcode"], &env).code(0);

    // Only a new instance takes a different placement group or enclave setting.
    w.write("main.tf", &cfg(false, "").replace("cluster-a", "cluster-b"));
    let r = run_env(&w, &["plan"], &env).ok();
    assert!(
        r.stdout.contains("# aws_instance.win must be replaced"),
        "{}",
        r.stdout
    );
    w.write("main.tf", &cfg(true, ""));
    let r = run_env(&w, &["apply", "-auto-approve"], &env).ok();
    assert!(
        r.stdout.contains("must be replaced") || r.stdout.contains("replaced"),
        "{}",
        r.stdout
    );
    let new_id = w.attrs("aws_instance.win")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_id, id);
    let last = proxy.requests("RunInstances").pop().unwrap();
    assert_eq!(
        last.get("EnclaveOptions.Enabled").map(String::as_str),
        Some("true")
    );
    run_env(&w, &["plan", "-detailed-exitcode"], &env).code(0);

    run_env(&w, &["destroy", "-auto-approve"], &env).ok();
    let gone = block(ec2.describe_instances().instance_ids(&new_id).send()).unwrap();
    assert_eq!(
        gone.reservations()[0].instances()[0]
            .state()
            .and_then(|s| s.name()),
        Some(&InstanceStateName::Terminated)
    );
}

/// An instance written the way the community EC2 module writes it: every
/// optional argument passed through from a variable that defaults to null, and
/// every optional block a `dynamic` block over a variable that defaults to empty.
/// Nothing it leaves unset is refused, and it applies and re-plans quietly.
#[test]
fn an_instance_written_like_the_community_module_applies_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "placement_group" { default = null }
variable "host_id" { default = null }
variable "get_password_data" { default = null }
variable "cpu_core_count" { default = null }
variable "cpu_threads_per_core" { default = null }
variable "enable_primary_ipv6" { default = null }
variable "credit_specification" { default = null }
variable "maintenance_options" { default = {} }
variable "private_dns_name_options" { default = {} }
variable "enclave_options_enabled" { default = null }
variable "capacity_reservation_specification" { default = {} }
variable "network_interface" { default = [] }
variable "ephemeral_block_device" { default = [] }

resource "aws_instance" "this" {
  ami                  = "ami-12c6146b"
  instance_type        = "t3.micro"
  placement_group      = var.placement_group
  host_id              = var.host_id
  get_password_data    = var.get_password_data
  cpu_core_count       = var.cpu_core_count
  cpu_threads_per_core = var.cpu_threads_per_core
  enable_primary_ipv6  = var.enable_primary_ipv6

  dynamic "credit_specification" {
    for_each = var.credit_specification == null ? [] : [var.credit_specification]
    content {
      cpu_credits = credit_specification.value
    }
  }
  dynamic "maintenance_options" {
    for_each = length(var.maintenance_options) > 0 ? [var.maintenance_options] : []
    content {
      auto_recovery = try(maintenance_options.value.auto_recovery, null)
    }
  }
  dynamic "private_dns_name_options" {
    for_each = length(var.private_dns_name_options) > 0 ? [var.private_dns_name_options] : []
    content {
      hostname_type = try(private_dns_name_options.value.hostname_type, null)
    }
  }
  dynamic "enclave_options" {
    for_each = var.enclave_options_enabled != null ? [var.enclave_options_enabled] : []
    content {
      enabled = enclave_options.value
    }
  }
  dynamic "capacity_reservation_specification" {
    for_each = length(var.capacity_reservation_specification) > 0 ? [var.capacity_reservation_specification] : []
    content {
      capacity_reservation_preference = try(capacity_reservation_specification.value.capacity_reservation_preference, null)
    }
  }
  dynamic "network_interface" {
    for_each = var.network_interface
    content {
      device_index         = network_interface.value.device_index
      network_interface_id = network_interface.value.network_interface_id
    }
  }
  dynamic "ephemeral_block_device" {
    for_each = var.ephemeral_block_device
    content {
      device_name = ephemeral_block_device.value.device_name
      no_device   = try(ephemeral_block_device.value.no_device, null)
    }
  }
}
"#,
    );
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    assert!(!r.stderr.contains("E0221"), "{}", r.stderr);
    let id = w.attrs("aws_instance.this")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = block(m.ec2().describe_instances().instance_ids(&id).send()).unwrap();
    assert_eq!(out.reservations()[0].instances().len(), 1);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    // The same module with a block asked for: it is sent.
    let r = iac(
        &w,
        &m,
        &[
            "plan",
            "-var",
            r#"maintenance_options={auto_recovery="disabled"}"#,
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("auto_recovery = \"disabled\""),
        "{}",
        r.stdout
    );
}

/// An instance as the terraform-aws-modules/ec2-instance module writes one: a
/// `credit_specification` whose `cpu_credits` is null (the instance's credits
/// are left as they are, as in Terraform), termination protection on, and
/// `force_destroy` (AWS provider 6), which takes the protection off to destroy.
#[test]
fn an_instance_written_like_the_ec2_instance_module_applies_and_destroys() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |protected: bool| {
        format!(
            r#"
variable "cpu_credits" {{
  type    = string
  default = null
}}

resource "aws_instance" "this" {{
  ami                     = "ami-12c6146b"
  instance_type           = "t3.micro"
  disable_api_termination = {protected}
  force_destroy           = true

  credit_specification {{
    cpu_credits = var.cpu_credits
  }}
}}
"#
        )
    };
    let w = Work::new(&main(false));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = w.attrs("aws_instance.this")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Termination protection on, in place.
    w.write("main.tf", &main(true));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let protected = || {
        block(
            m.ec2()
                .describe_instance_attribute()
                .instance_id(&id)
                .attribute(aws_sdk_ec2::types::InstanceAttributeName::DisableApiTermination)
                .send(),
        )
        .expect("attribute")
        .disable_api_termination()
        .and_then(|a| a.value())
    };
    assert_eq!(protected(), Some(true));
    // moto refuses to terminate a protected instance: force_destroy takes it off first.
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
    let off = proxy.requests("ModifyInstanceAttribute");
    assert!(
        off.iter()
            .any(|p| p.get("DisableApiTermination.Value").map(String::as_str) == Some("false")),
        "{off:?}"
    );
    let state = block(m.ec2().describe_instances().instance_ids(&id).send())
        .expect("instances")
        .reservations()[0]
        .instances()[0]
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_string());
    assert_eq!(state.as_deref(), Some("terminated"));
}
