//! Route 53 zones and records through the `iac` binary against moto, checked by
//! reading moto with the SDK.

use crate::moto::{block, iac, Moto};
use crate::support::Work;

const DNS: &str = r#"
variable "ttl" { default = 300 }

resource "aws_route53_zone" "main" {
  name          = "example.test"
  force_destroy = true
  tags          = { Team = "web" }
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "www"
  type    = "A"
  ttl     = var.ttl
  records = ["192.0.2.10", "192.0.2.11"]
}

resource "aws_route53_record" "verify" {
  zone_id = aws_route53_zone.main.zone_id
  name    = "_verify.example.test"
  type    = "TXT"
  ttl     = 60
  records = ["token-123"]
}

data "aws_route53_zone" "main" {
  name = aws_route53_zone.main.name
}

output "fqdn" { value = aws_route53_record.www.fqdn }
output "zone" { value = data.aws_route53_zone.main.zone_id == aws_route53_zone.main.zone_id }
output "ns" { value = length(aws_route53_zone.main.name_servers) > 0 }
"#;

fn record(
    m: &Moto,
    zone: &str,
    name: &str,
    ty: &str,
) -> Option<aws_sdk_route53::types::ResourceRecordSet> {
    let r53 = aws_sdk_route53::Client::new(&m.sdk());
    block(async {
        let out = r53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .send()
            .await
            .expect("records");
        out.resource_record_sets()
            .iter()
            .find(|r| r.name().trim_end_matches('.') == name && r.r#type().as_str() == ty)
            .cloned()
    })
}

#[test]
fn zones_and_records_against_moto() {
    let m = Moto::start();
    let r53 = aws_sdk_route53::Client::new(&m.sdk());
    let w = Work::new(DNS);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["fqdn"]["value"], "www.example.test");
    assert_eq!(out["zone"]["value"], true);
    assert_eq!(out["ns"]["value"], true);
    let zone = block(async {
        let z = r53.list_hosted_zones().send().await.expect("zones");
        z.hosted_zones()[0]
            .id()
            .trim_start_matches("/hostedzone/")
            .to_string()
    });
    let www = record(&m, &zone, "www.example.test", "A").expect("www");
    assert_eq!(www.ttl(), Some(300));
    assert_eq!(www.resource_records().len(), 2);
    assert!(record(&m, &zone, "_verify.example.test", "TXT").is_some());

    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "ttl=60"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        record(&m, &zone, "www.example.test", "A").and_then(|r| r.ttl()),
        Some(60)
    );

    // Import by Terraform's ZONE_NAME_TYPE id.
    iac(&w, &m, &["state", "rm", "aws_route53_record.verify"]).ok();
    let id = format!("{zone}__verify.example.test_TXT");
    iac(
        &w,
        &m,
        &["import", "-var", "ttl=60", "aws_route53_record.verify", &id],
    )
    .ok();
    let r = iac(&w, &m, &["plan", "-detailed-exitcode", "-var", "ttl=60"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A record made outside iac does not stop the destroy (force_destroy).
    block(async {
        let set = aws_sdk_route53::types::ResourceRecordSet::builder()
            .name("extra.example.test")
            .r#type(aws_sdk_route53::types::RrType::Cname)
            .ttl(60)
            .resource_records(
                aws_sdk_route53::types::ResourceRecord::builder()
                    .value("www.example.test")
                    .build()
                    .expect("record"),
            )
            .build()
            .expect("set");
        r53.change_resource_record_sets()
            .hosted_zone_id(&zone)
            .change_batch(
                aws_sdk_route53::types::ChangeBatch::builder()
                    .changes(
                        aws_sdk_route53::types::Change::builder()
                            .action(aws_sdk_route53::types::ChangeAction::Create)
                            .resource_record_set(set)
                            .build()
                            .expect("change"),
                    )
                    .build()
                    .expect("batch"),
            )
            .send()
            .await
            .expect("extra record");
    });
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "ttl=60"]).ok();
    block(async {
        let z = r53.list_hosted_zones().send().await.expect("zones");
        assert!(z.hosted_zones().is_empty());
    });
}

/// Routing policies beyond weighted, as configurations write them: failover
/// pairs, latency, geolocation and multivalue answers, each with its
/// set_identifier; read back with no change. A policy without set_identifier,
/// or two on one record, is refused.
#[test]
fn routing_policies_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_route53_zone" "z" {
  name = "routing.test"
}

resource "aws_route53_record" "primary" {
  zone_id         = aws_route53_zone.z.zone_id
  name            = "app"
  type            = "A"
  ttl             = 60
  records         = ["10.0.0.1"]
  set_identifier  = "primary"
  failover_routing_policy {
    type = "PRIMARY"
  }
}

resource "aws_route53_record" "secondary" {
  zone_id        = aws_route53_zone.z.zone_id
  name           = "app"
  type           = "A"
  ttl            = 60
  records        = ["10.0.0.2"]
  set_identifier = "secondary"
  failover_routing_policy {
    type = "SECONDARY"
  }
}

resource "aws_route53_record" "latency" {
  zone_id        = aws_route53_zone.z.zone_id
  name           = "api"
  type           = "A"
  ttl            = 60
  records        = ["10.0.1.1"]
  set_identifier = "us-east-1"
  latency_routing_policy {
    region = "us-east-1"
  }
}

resource "aws_route53_record" "geo" {
  zone_id        = aws_route53_zone.z.zone_id
  name           = "www"
  type           = "A"
  ttl            = 60
  records        = ["10.0.2.1"]
  set_identifier = "europe"
  geolocation_routing_policy {
    continent = "EU"
  }
}

resource "aws_route53_record" "multi" {
  zone_id                          = aws_route53_zone.z.zone_id
  name                             = "pool"
  type                             = "A"
  ttl                              = 60
  records                          = ["10.0.3.1"]
  set_identifier                   = "one"
  multivalue_answer_routing_policy = true
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let zone = w.attrs("aws_route53_zone.z")["zone_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r53 = aws_sdk_route53::Client::new(&m.sdk());
    let sets = block(r53.list_resource_record_sets().hosted_zone_id(&zone).send())
        .expect("records")
        .resource_record_sets()
        .to_vec();
    let by = |id: &str| {
        sets.iter()
            .find(|r| r.set_identifier() == Some(id))
            .cloned()
            .unwrap_or_else(|| panic!("no record {id}: {sets:?}"))
    };
    assert_eq!(
        by("primary").failover().map(|f| f.as_str()),
        Some("PRIMARY")
    );
    assert_eq!(
        by("secondary").failover().map(|f| f.as_str()),
        Some("SECONDARY")
    );
    assert_eq!(
        by("us-east-1").region().map(|r| r.as_str()),
        Some("us-east-1")
    );
    assert_eq!(
        by("europe").geo_location().and_then(|g| g.continent_code()),
        Some("EU")
    );
    assert_eq!(by("one").multi_value_answer(), Some(true));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write(
        "bad.tf",
        r#"
resource "aws_route53_record" "bad" {
  zone_id = aws_route53_zone.z.zone_id
  name    = "bad"
  type    = "A"
  ttl     = 60
  records = ["10.0.9.9"]
  latency_routing_policy {
    region = "us-east-1"
  }
}
"#,
    );
    let r = iac(&w, &m, &["validate"]).code(1);
    assert!(r.stderr.contains("Missing set_identifier"), "{}", r.stderr);
    std::fs::remove_file(w.path().join("bad.tf")).unwrap();
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// `data "aws_route53_zone"` as configurations use it to find a private zone:
/// by name and VPC (two private zones of one name in two VPCs), or by tags; with
/// the zone's caller reference, record count, tags and name servers (a private
/// zone's from its NS record).
#[test]
fn zone_data_source_finds_private_zones_by_vpc_and_tags() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "a" {
  cidr_block = "10.61.0.0/16"
}

resource "aws_vpc" "b" {
  cidr_block = "10.62.0.0/16"
}

resource "aws_route53_zone" "a" {
  name = "internal.test"
  vpc {
    vpc_id = aws_vpc.a.id
  }
  tags = { Side = "a" }
}

resource "aws_route53_zone" "b" {
  name = "internal.test"
  vpc {
    vpc_id = aws_vpc.b.id
  }
  tags = { Side = "b" }
}

resource "aws_route53_zone" "public" {
  name = "public.test"
}

resource "aws_route53_record" "db" {
  zone_id = aws_route53_zone.b.zone_id
  name    = "db"
  type    = "A"
  ttl     = 60
  records = ["10.62.0.5"]
}

data "aws_route53_zone" "by_vpc" {
  name   = "internal.test"
  vpc_id = aws_vpc.b.id
  depends_on = [aws_route53_record.db, aws_route53_zone.a]
}

data "aws_route53_zone" "by_tags" {
  name         = "internal.test"
  private_zone = true
  tags         = { Side = "a" }
  depends_on   = [aws_route53_zone.a, aws_route53_zone.b]
}

data "aws_route53_zone" "public" {
  name = aws_route53_zone.public.name
}

output "by_vpc" {
  value = {
    right   = data.aws_route53_zone.by_vpc.zone_id == aws_route53_zone.b.zone_id
    count   = data.aws_route53_zone.by_vpc.resource_record_set_count
    tags    = data.aws_route53_zone.by_vpc.tags
    private = data.aws_route53_zone.by_vpc.private_zone
    ns      = length(data.aws_route53_zone.by_vpc.name_servers) > 0
    primary = data.aws_route53_zone.by_vpc.primary_name_server == data.aws_route53_zone.by_vpc.name_servers[0]
    caller  = data.aws_route53_zone.by_vpc.caller_reference != ""
  }
}
output "by_tags" { value = data.aws_route53_zone.by_tags.zone_id == aws_route53_zone.a.zone_id }
output "public" {
  value = data.aws_route53_zone.public.primary_name_server == aws_route53_zone.public.name_servers[0]
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let by_vpc = &out["by_vpc"]["value"];
    assert_eq!(by_vpc["right"], true, "{out}");
    assert_eq!(by_vpc["private"], true, "{out}");
    assert_eq!(by_vpc["tags"], serde_json::json!({"Side": "b"}), "{out}");
    assert_eq!(by_vpc["ns"], true, "{out}");
    assert_eq!(by_vpc["primary"], true, "{out}");
    assert_eq!(by_vpc["caller"], true, "{out}");
    // The zone's SOA and NS, and the record made here.
    let count = by_vpc["count"].as_f64().expect("a count");
    assert!(count >= 3.0, "{out}");
    assert_eq!(out["by_tags"]["value"], true, "{out}");
    assert_eq!(out["public"]["value"], true, "{out}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Without the VPC the name is not enough.
    let w2 = Work::new(
        "data \"aws_route53_zone\" \"x\" {\n  name = \"internal.test\"\n  private_zone = true\n}\n",
    );
    let r = iac(&w2, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("Several hosted zones match"),
        "{}",
        r.stderr
    );
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}
