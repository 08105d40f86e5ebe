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
