//! ACM certificates through the `iac` binary against moto, validated by DNS with
//! Route 53 records made from `domain_validation_options` (the way Terraform
//! configurations write it), checked by reading moto with the SDK.

use crate::moto::{block, iac, Moto};
use crate::support::Work;

const CERT: &str = r#"
variable "team" { default = "web" }
variable "fqdns" {
  type    = list(string)
  default = null
}

resource "aws_route53_zone" "main" {
  name          = "example.test"
  force_destroy = true
}

resource "aws_acm_certificate" "site" {
  domain_name               = "example.test"
  subject_alternative_names = ["www.example.test"]
  validation_method         = "DNS"
  tags                      = { Team = var.team }
  lifecycle {
    create_before_destroy = true
  }
}

# One record per name, keyed by the names the plan already knows.
resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in aws_acm_certificate.site.domain_validation_options : dvo.domain_name => {
      name   = dvo.resource_record_name
      record = dvo.resource_record_value
      type   = dvo.resource_record_type
    }
  }
  allow_overwrite = true
  zone_id         = aws_route53_zone.main.zone_id
  name            = each.value.name
  type            = each.value.type
  ttl             = 60
  records         = [each.value.record]
}

resource "aws_acm_certificate_validation" "site" {
  certificate_arn         = aws_acm_certificate.site.arn
  validation_record_fqdns = coalesce(var.fqdns, [for r in aws_route53_record.validation : r.fqdn])
}

output "issued" { value = aws_acm_certificate_validation.site.id }
"#;

fn certificate(m: &Moto, arn: &str) -> aws_sdk_acm::types::CertificateDetail {
    let acm = aws_sdk_acm::Client::new(&m.sdk());
    block(async {
        acm.describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .expect("describe")
            .certificate()
            .cloned()
            .expect("certificate")
    })
}

/// Request, DNS records from the planned validation options, the wait for the
/// certificate to be issued, no changes on re-plan, tags changed in place,
/// import by ARN, destroy; `data "aws_acm_certificate"` finds it by domain and
/// tags; and a validation missing a record says which.
#[test]
fn a_certificate_validated_by_dns_records_against_moto() {
    let m = Moto::start();
    let w = Work::new(CERT);
    // The plan knows which names get a record before the request is made.
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout
            .contains("aws_route53_record.validation[\"www.example.test\"] will be created"),
        "{}",
        r.stdout
    );
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("5 added"), "{}", r.stdout);
    let a = w.attrs("aws_acm_certificate.site");
    let arn = a["arn"].as_str().expect("arn").to_string();
    let c = certificate(&m, &arn);
    assert_eq!(c.status().map(|s| s.as_str()), Some("ISSUED"));
    assert_eq!(c.domain_name(), Some("example.test"));
    let mut sans = c.subject_alternative_names().to_vec();
    sans.sort();
    assert_eq!(sans, ["example.test", "www.example.test"]);
    assert_eq!(
        a["subject_alternative_names"],
        serde_json::json!(["example.test", "www.example.test"])
    );
    assert_eq!(
        a["domain_validation_options"].as_array().map(Vec::len),
        Some(2),
        "{a}"
    );
    // The validation records are in the zone, as ACM asked for them.
    let zone = w.attrs("aws_route53_zone.main")["zone_id"]
        .as_str()
        .expect("zone")
        .to_string();
    let r53 = aws_sdk_route53::Client::new(&m.sdk());
    let records = block(async {
        r53.list_resource_record_sets()
            .hosted_zone_id(&zone)
            .send()
            .await
            .expect("records")
    });
    for o in c.domain_validation_options() {
        let want = o.resource_record().expect("record");
        assert!(
            records
                .resource_record_sets()
                .iter()
                .any(|r| r.name() == want.name()
                    && r.r#type().as_str() == "CNAME"
                    && r.resource_records().first().map(|x| x.value()) == Some(want.value())),
            "{want:?} not in {records:?}"
        );
    }
    let issued = w.attrs("aws_acm_certificate_validation.site")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(issued.ends_with(" +0000 UTC"), "{issued}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Found again by domain (and tags) from another configuration.
    let look = Work::new(
        r#"
data "aws_acm_certificate" "site" {
  domain = "example.test"
  tags   = { Team = "web" }
}
output "arn" { value = data.aws_acm_certificate.site.arn }
output "pem" { value = startswith(data.aws_acm_certificate.site.certificate, "-----BEGIN CERTIFICATE-----") }
"#,
    );
    iac(&look, &m, &["apply", "-auto-approve"]).ok();
    let out: serde_json::Value =
        serde_json::from_str(&iac(&look, &m, &["output", "-json"]).ok().stdout).unwrap();
    assert_eq!(out["arn"]["value"], arn.as_str(), "{out}");
    assert_eq!(out["pem"]["value"], true, "{out}");
    let none = Work::new(
        r#"
data "aws_acm_certificate" "site" {
  domain = "nothing.example.test"
}
"#,
    );
    let r = iac(&none, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("0 certificates for \"nothing.example.test\" with status ISSUED"),
        "{}",
        r.stderr
    );

    // Tags change in place.
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "team=ops"]).ok();
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    let acm = aws_sdk_acm::Client::new(&m.sdk());
    let tags = block(async {
        acm.list_tags_for_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .expect("tags")
    });
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "Team" && t.value() == Some("ops")),
        "{tags:?}"
    );
    assert_eq!(w.attrs("aws_acm_certificate.site")["arn"], arn.as_str());

    // Import by ARN into another state.
    let other = Work::new(
        r#"
resource "aws_acm_certificate" "site" {
  domain_name               = "example.test"
  subject_alternative_names = ["www.example.test"]
  validation_method         = "DNS"
  tags                      = { Team = "ops" }
}
"#,
    );
    iac(&other, &m, &["import", "aws_acm_certificate.site", &arn]).ok();
    let r = iac(&other, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    iac(&w, &m, &["destroy", "-auto-approve", "-var", "team=ops"]).ok();
    let left = block(async { acm.list_certificates().send().await.expect("list") });
    assert!(
        left.certificate_summary_list()
            .iter()
            .all(|s| s.certificate_arn() != Some(arn.as_str())),
        "{left:?}"
    );

    // A validation whose records do not include one ACM asks for says which.
    let w = Work::new(CERT);
    let r = iac(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            r#"fqdns=["elsewhere.example.test"]"#,
        ],
    )
    .code(1);
    assert!(
        r.stderr.contains("Missing validation record")
            && r.stderr.contains("not among validation_record_fqdns"),
        "{}",
        r.stderr
    );
}

/// A certificate of one's own imported, its private key never in plaintext in
/// state, a new body re-imported in place (same ARN), no changes on re-plan,
/// destroy.
#[test]
fn an_imported_certificate_keeps_its_key_out_of_state() {
    let m = Moto::start();
    let w = Work::new(
        r#"
variable "body" { default = "cert.pem" }
resource "aws_acm_certificate" "own" {
  certificate_body = file(var.body)
  private_key      = file("key.pem")
  tags             = { Kind = "imported" }
}
output "domain" { value = aws_acm_certificate.own.domain_name }
"#,
    );
    for f in ["cert.pem", "renewed.pem", "key.pem"] {
        let text = match f {
            "cert.pem" => include_str!("testdata/acm/cert.pem"),
            "renewed.pem" => include_str!("testdata/acm/renewed.pem"),
            _ => include_str!("testdata/acm/key.pem"),
        };
        w.write(f, text);
    }
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let a = w.attrs("aws_acm_certificate.own");
    let arn = a["arn"].as_str().expect("arn").to_string();
    let c = certificate(&m, &arn);
    assert_eq!(c.r#type().map(|t| t.as_str()), Some("IMPORTED"));
    assert_eq!(c.domain_name(), Some("imported.example.test"));
    assert_eq!(a["domain_name"], "imported.example.test");
    assert_eq!(a["validation_method"], "NONE");
    // The key is in state only as a fingerprint.
    let state = std::fs::read_to_string(w.path().join("iac.tfstate")).expect("state");
    assert!(
        !state.contains("PRIVATE KEY"),
        "the private key is in state"
    );
    assert!(state.contains("$sensitive"), "{state}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A new body is imported into the same certificate.
    let serial = c.serial().map(String::from);
    let r = iac(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "body=renewed.pem"],
    )
    .ok();
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    assert_eq!(w.attrs("aws_acm_certificate.own")["arn"], arn.as_str());
    assert_ne!(certificate(&m, &arn).serial().map(String::from), serial);
    iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "body=renewed.pem"],
    )
    .code(0);

    iac(
        &w,
        &m,
        &["destroy", "-auto-approve", "-var", "body=renewed.pem"],
    )
    .ok();
    let acm = aws_sdk_acm::Client::new(&m.sdk());
    let left = block(async { acm.list_certificates().send().await.expect("list") });
    assert!(left.certificate_summary_list().is_empty(), "{left:?}");
}

/// A TLS listener on a network load balancer serving an imported certificate,
/// and a second certificate added to it (`aws_lb_listener_certificate`): read
/// back from moto, no changes on re-plan, drift, import by Terraform's id,
/// removed on destroy.
#[test]
fn a_tls_listener_with_a_second_certificate() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_acm_certificate" "first" {
  certificate_body = file("cert.pem")
  private_key      = file("key.pem")
}
resource "aws_acm_certificate" "second" {
  certificate_body = file("renewed.pem")
  private_key      = file("key.pem")
}
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "s" {
  for_each          = toset(["a", "b"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${index(["a", "b"], each.key) + 1}.0/24"
  availability_zone = "us-east-1${each.key}"
}
resource "aws_lb" "net" {
  name               = "tls-iac"
  load_balancer_type = "network"
  subnets            = [for s in aws_subnet.s : s.id]
}
resource "aws_lb_target_group" "tcp" {
  name     = "tls-tcp"
  port     = 443
  protocol = "TCP"
  vpc_id   = aws_vpc.v.id
}
resource "aws_lb_listener" "tls" {
  load_balancer_arn = aws_lb.net.arn
  port              = 443
  protocol          = "TLS"
  certificate_arn   = aws_acm_certificate.first.arn
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  alpn_policy       = "HTTP2Preferred"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.tcp.arn
  }
}
resource "aws_lb_listener_certificate" "second" {
  listener_arn    = aws_lb_listener.tls.arn
  certificate_arn = aws_acm_certificate.second.arn
}
"#,
    );
    w.write("cert.pem", include_str!("testdata/acm/cert.pem"));
    w.write("renewed.pem", include_str!("testdata/acm/renewed.pem"));
    w.write("key.pem", include_str!("testdata/acm/key.pem"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&m.sdk());
    let listener = w.attrs("aws_lb_listener.tls")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let second = w.attrs("aws_acm_certificate.second")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let certs = || {
        block(async {
            elb.describe_listener_certificates()
                .listener_arn(&listener)
                .send()
                .await
                .expect("certificates")
                .certificates()
                .iter()
                .filter_map(|c| c.certificate_arn().map(String::from))
                .collect::<Vec<_>>()
        })
    };
    assert!(certs().contains(&second), "{:?}", certs());
    let l = block(async {
        elb.describe_listeners()
            .listener_arns(&listener)
            .send()
            .await
            .expect("listeners")
    });
    let l = &l.listeners()[0];
    assert_eq!(l.protocol().map(|p| p.as_str()), Some("TLS"));
    assert_eq!(l.ssl_policy(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
    assert_eq!(
        w.attrs("aws_lb_listener_certificate.second")["id"],
        format!("{listener}_{second}").as_str()
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Removed outside iac: planned back.
    block(async {
        elb.remove_listener_certificates()
            .listener_arn(&listener)
            .certificates(
                aws_sdk_elasticloadbalancingv2::types::Certificate::builder()
                    .certificate_arn(&second)
                    .build(),
            )
            .send()
            .await
            .expect("remove")
    });
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout
            .contains("aws_lb_listener_certificate.second will be created"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(certs().contains(&second), "{:?}", certs());

    // Imported by Terraform's id into another state.
    let other = Work::new(&format!(
        "resource \"aws_lb_listener_certificate\" \"x\" {{\n  listener_arn    = \"{listener}\"\n  certificate_arn = \"{second}\"\n}}\n"
    ));
    let id = format!("{listener}_{second}");
    iac(
        &other,
        &m,
        &["import", "aws_lb_listener_certificate.x", &id],
    )
    .ok();
    iac(&other, &m, &["plan", "-detailed-exitcode"]).code(0);

    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let left = block(async { elb.describe_load_balancers().send().await.expect("lbs") });
    assert!(left.load_balancers().is_empty());
}

/// A private certificate issued by an AWS Private CA (`certificate_authority_arn`):
/// requested without validation, read back from moto as PRIVATE and issued, with
/// `validation_method = "NONE"` as Terraform has it; quiet re-plan; a
/// `validation_method` beside the CA is refused.
#[test]
fn a_private_certificate_from_a_private_ca_against_moto() {
    let m = Moto::start();
    let ca = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
    let w = Work::new(&format!(
        "resource \"aws_acm_certificate\" \"internal\" {{\n  domain_name               = \"svc.internal.example\"\n  certificate_authority_arn = \"{ca}\"\n}}\n"
    ));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let a = w.attrs("aws_acm_certificate.internal");
    let d = certificate(&m, a["arn"].as_str().unwrap());
    assert_eq!(d.r#type().map(|t| t.as_str()), Some("PRIVATE"));
    assert_eq!(d.certificate_authority_arn(), Some(ca));
    assert_eq!(d.status().map(|s| s.as_str()), Some("ISSUED"));
    assert_eq!(a["certificate_authority_arn"], ca);
    assert_eq!(a["validation_method"], "NONE");
    assert_eq!(a["domain_validation_options"], serde_json::json!([]));
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();

    let bad = Work::new(&format!(
        "resource \"aws_acm_certificate\" \"x\" {{\n  domain_name               = \"a.example\"\n  validation_method         = \"DNS\"\n  certificate_authority_arn = \"{ca}\"\n}}\n"
    ));
    let r = bad.iac(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("a private certificate (`certificate_authority_arn`) is issued by the CA"),
        "{}",
        r.stderr
    );
}

/// Mutual TLS on an HTTPS listener (`mutual_authentication`): sent with
/// CreateListener and ModifyListener (checked in the requests through the
/// recording proxy: moto keeps no such setting), kept as written, quiet on
/// re-plan; verify without a trust store, or on a listener that is not HTTPS,
/// is refused.
#[test]
fn mutual_tls_on_an_https_listener_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let cfg = |mode: &str| {
        format!(
            r#"
resource "aws_acm_certificate" "site" {{
  certificate_body = file("cert.pem")
  private_key      = file("key.pem")
}}
resource "aws_vpc" "v" {{
  cidr_block = "10.0.0.0/16"
}}
resource "aws_subnet" "s" {{
  for_each          = toset(["a", "b"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${{index(["a", "b"], each.key) + 1}}.0/24"
  availability_zone = "us-east-1${{each.key}}"
}}
resource "aws_lb" "app" {{
  name    = "mtls-iac"
  subnets = [for s in aws_subnet.s : s.id]
}}
resource "aws_lb_listener" "https" {{
  load_balancer_arn = aws_lb.app.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = aws_acm_certificate.site.arn
  default_action {{
    type = "fixed-response"
    fixed_response {{
      content_type = "text/plain"
      status_code  = "200"
    }}
  }}
  mutual_authentication {{
    mode = "{mode}"
  }}
}}
"#
        )
    };
    let w = Work::new(&cfg("passthrough"));
    w.write("cert.pem", include_str!("testdata/acm/cert.pem"));
    w.write("key.pem", include_str!("testdata/acm/key.pem"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let created = proxy.requests("CreateListener");
    assert_eq!(
        created[0]
            .get("MutualAuthentication.Mode")
            .map(String::as_str),
        Some("passthrough"),
        "{created:?}"
    );
    assert_eq!(
        w.attrs("aws_lb_listener.https")["mutual_authentication"][0]["mode"],
        "passthrough"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg("off"));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let modified = proxy.requests("ModifyListener");
    assert_eq!(
        modified
            .last()
            .and_then(|r| r.get("MutualAuthentication.Mode"))
            .map(String::as_str),
        Some("off"),
        "{modified:?}"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg("verify"));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("set trust_store_arn"), "{}", r.stderr);
    w.write("main.tf", &cfg("off"));
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
}
