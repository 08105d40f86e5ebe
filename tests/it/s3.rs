//! S3 buckets and their settings through the `iac` binary against moto, checked
//! by reading moto with the SDK.

use crate::moto::{block, iac, Moto};
use crate::support::Work;

const BUCKET: &str = r#"
variable "versioning" { default = "Enabled" }
variable "env" { default = "dev" }

resource "aws_s3_bucket" "logs" {
  bucket        = "iac-logs-test"
  force_destroy = true
  tags          = { Env = var.env }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = var.versioning
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "AccountReads"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = ["123456789012"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_s3_bucket" "generated" {
  bucket_prefix = "iac-gen-"
}

output "arn" { value = aws_s3_bucket.logs.arn }
output "generated" { value = aws_s3_bucket.generated.bucket }
"#;

#[test]
fn buckets_and_their_settings_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let w = Work::new(BUCKET);
    let r = iac(&w, &m, &["plan"]).ok();
    assert_eq!(
        r.summary(),
        "Plan: 7 to add, 0 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();

    let (versioning, pab, policy, tags, ownership, sse) = block(async {
        let b = "iac-logs-test";
        let pab = s3
            .get_public_access_block()
            .bucket(b)
            .send()
            .await
            .expect("pab");
        let pol = s3
            .get_bucket_policy()
            .bucket(b)
            .send()
            .await
            .expect("policy");
        let tags = s3
            .get_bucket_tagging()
            .bucket(b)
            .send()
            .await
            .expect("tags");
        let own = s3
            .get_bucket_ownership_controls()
            .bucket(b)
            .send()
            .await
            .expect("ownership");
        let sse = s3
            .get_bucket_encryption()
            .bucket(b)
            .send()
            .await
            .expect("sse");
        (m.bucket_versioning(b), pab, pol, tags, own, sse)
    });
    assert_eq!(versioning.as_deref(), Some("Enabled"));
    let cfg = pab.public_access_block_configuration().expect("config");
    assert_eq!(cfg.block_public_acls(), Some(true));
    assert_eq!(cfg.restrict_public_buckets(), Some(true));
    assert!(policy
        .policy()
        .unwrap_or_default()
        .contains("aws:PrincipalAccount"));
    assert!(tags
        .tag_set()
        .iter()
        .any(|t| t.key() == "Env" && t.value() == "dev"));
    assert_eq!(
        ownership.ownership_controls().expect("controls").rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
    assert_eq!(
        sse.server_side_encryption_configuration()
            .expect("sse")
            .rules()[0]
            .apply_server_side_encryption_by_default()
            .expect("default")
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    assert_eq!(out["arn"]["value"], "arn:aws:s3:::iac-logs-test");
    let generated = out["generated"]["value"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(generated.starts_with("iac-gen-"), "{generated}");
    block(async {
        s3.head_bucket()
            .bucket(&generated)
            .send()
            .await
            .expect("generated bucket");
    });

    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // In place: versioning suspended, tags changed. The policy document reads the
    // bucket, which has a change pending, so (as in Terraform) it is read at apply
    // time and the policy is planned as an update too.
    let vars = ["-var", "versioning=Suspended", "-var", "env=prod"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        m.bucket_versioning("iac-logs-test").as_deref(),
        Some("Suspended")
    );
    block(async {
        let tags = s3
            .get_bucket_tagging()
            .bucket("iac-logs-test")
            .send()
            .await
            .expect("tags");
        assert!(tags
            .tag_set()
            .iter()
            .any(|t| t.key() == "Env" && t.value() == "prod"));
    });

    // Drift: the policy deleted outside iac is planned back.
    block(async {
        s3.delete_bucket_policy()
            .bucket("iac-logs-test")
            .send()
            .await
            .expect("delete policy");
    });
    let mut args = vec!["plan"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert_eq!(
        r.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();

    // Import the bucket and a setting by the bucket's name.
    iac(&w, &m, &["state", "rm", "aws_s3_bucket.logs"]).ok();
    iac(
        &w,
        &m,
        &["state", "rm", "aws_s3_bucket_public_access_block.logs"],
    )
    .ok();
    for (addr, id) in [
        ("aws_s3_bucket.logs", "iac-logs-test"),
        ("aws_s3_bucket_public_access_block.logs", "iac-logs-test"),
    ] {
        let mut args = vec!["import"];
        args.extend(vars);
        args.extend([addr, id]);
        iac(&w, &m, &args).ok();
    }
    let mut args = vec!["plan"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    // The import cannot know force_destroy (it is not in AWS): setting it is the
    // bucket's only change (and the policy, whose document reads the bucket, waits
    // for it, as above).
    assert_eq!(
        r.summary(),
        "Plan: 0 to add, 2 to change, 0 to destroy.",
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("# (because `force_destroy` changed)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("force_destroy"), "{}", r.stdout);
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();

    // An object in the bucket: force_destroy empties it, and destroy leaves nothing.
    block(async {
        s3.put_object()
            .bucket("iac-logs-test")
            .key("a.log")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put object");
    });
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();
    block(async {
        assert!(s3
            .head_bucket()
            .bucket("iac-logs-test")
            .send()
            .await
            .is_err());
        assert!(s3.head_bucket().bucket(&generated).send().await.is_err());
    });
}

/// A bucket that holds objects is not deleted without force_destroy: the error
/// says so, and the bucket and state are kept.
#[test]
fn a_bucket_with_objects_is_kept_without_force_destroy() {
    let m = Moto::start();
    let s3 = m.s3();
    let w = Work::new("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"iac-keep-me\"\n}\n");
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    block(async {
        s3.put_object()
            .bucket("iac-keep-me")
            .key("k")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
    });
    let r = iac(&w, &m, &["destroy", "-auto-approve"]).code(1);
    assert!(r.stderr.contains("force_destroy"), "{}", r.stderr);
    block(async {
        s3.head_bucket()
            .bucket("iac-keep-me")
            .send()
            .await
            .expect("still there");
    });
    let list = iac(&w, &m, &["state", "list"]).ok();
    assert!(list.stdout.contains("aws_s3_bucket.b"), "{}", list.stdout);
}

/// `aws_s3_object` from content, base64 and a file: bytes, headers, metadata and
/// tags read back from S3; an edited file is a planned update (its MD5 is in the
/// plan); a change made in S3 is drift; import by BUCKET/KEY.
#[test]
fn objects_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let w = Work::new(
        r#"
variable "motd" { default = "hello" }
resource "aws_s3_bucket" "site" {
  bucket        = "iac-objects-test"
  force_destroy = true
}
resource "aws_s3_object" "index" {
  bucket        = aws_s3_bucket.site.bucket
  key           = "index.html"
  source        = "site/index.html"
  content_type  = "text/html"
  cache_control = "max-age=60"
  metadata      = { owner = "web" }
  tags          = { Kind = "page" }
}
resource "aws_s3_object" "motd" {
  bucket  = aws_s3_bucket.site.bucket
  key     = "motd.txt"
  content = var.motd
}
resource "aws_s3_object" "logo" {
  bucket         = aws_s3_bucket.site.bucket
  key            = "img/logo.bin"
  content_base64 = base64encode("\u0001\u0002binary")
}
"#,
    );
    std::fs::create_dir_all(w.path().join("site")).expect("dir");
    std::fs::write(w.path().join("site/index.html"), "<h1>v1</h1>").expect("file");
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let get = |key: &str| {
        let s3 = s3.clone();
        let key = key.to_string();
        block(async move {
            let o = s3
                .get_object()
                .bucket("iac-objects-test")
                .key(&key)
                .send()
                .await
                .expect("object");
            let ct = o.content_type().map(String::from);
            let cc = o.cache_control().map(String::from);
            let meta = o.metadata().cloned().unwrap_or_default();
            let body = o.body.collect().await.expect("body").into_bytes().to_vec();
            (body, ct, cc, meta)
        })
    };
    let (body, ct, cc, meta) = get("index.html");
    assert_eq!(body, b"<h1>v1</h1>");
    assert_eq!(ct.as_deref(), Some("text/html"));
    assert_eq!(cc.as_deref(), Some("max-age=60"));
    assert_eq!(meta.get("owner").map(String::as_str), Some("web"));
    assert_eq!(get("motd.txt").0, b"hello");
    assert_eq!(get("img/logo.bin").0, b"\x01\x02binary");
    let tags = block(async {
        s3.get_object_tagging()
            .bucket("iac-objects-test")
            .key("index.html")
            .send()
            .await
            .expect("tags")
    });
    assert!(tags
        .tag_set()
        .iter()
        .any(|t| t.key() == "Kind" && t.value() == "page"));
    assert_eq!(
        w.attrs("aws_s3_object.motd")["etag"],
        "5d41402abc4b2a76b9719d911017c592"
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // The file changes: the plan sees it, the apply uploads it in place.
    std::fs::write(w.path().join("site/index.html"), "<h1>v2</h1>").expect("file");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout
            .contains("aws_s3_object.index will be updated in-place"),
        "{}",
        r.stdout
    );
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "motd=bye"]).ok();
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(get("index.html").0, b"<h1>v2</h1>");
    assert_eq!(get("motd.txt").0, b"bye");

    // Overwritten in S3: drift, put back.
    block(async {
        s3.put_object()
            .bucket("iac-objects-test")
            .key("motd.txt")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"tampered"))
            .send()
            .await
            .expect("put");
    });
    let r = iac(&w, &m, &["plan", "-detailed-exitcode", "-var", "motd=bye"]).code(2);
    assert!(
        r.stdout
            .contains("aws_s3_object.motd will be updated in-place"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve", "-var", "motd=bye"]).ok();
    assert_eq!(get("motd.txt").0, b"bye");

    // Import as BUCKET/KEY.
    iac(&w, &m, &["state", "rm", "aws_s3_object.logo"]).ok();
    iac(
        &w,
        &m,
        &[
            "import",
            "-var",
            "motd=bye",
            "aws_s3_object.logo",
            "iac-objects-test/img/logo.bin",
        ],
    )
    .ok();
    assert_eq!(w.attrs("aws_s3_object.logo")["key"], "img/logo.bin");
    iac(&w, &m, &["destroy", "-auto-approve", "-var", "motd=bye"]).ok();
    let left = block(async { s3.list_buckets().send().await.expect("buckets") });
    assert!(left
        .buckets()
        .iter()
        .all(|b| b.name() != Some("iac-objects-test")));
}

const INLINE: &str = r#"
variable "versioned" { default = true }
variable "max_age" { default = 3000 }

resource "aws_s3_bucket" "logs" {
  bucket        = "inline-logs"
  acl           = "log-delivery-write"
  force_destroy = true # the access logs land here
}

resource "aws_s3_bucket" "site" {
  bucket = "inline-site"
  acl    = "private"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::inline-site/*"
    }]
  })

  versioning {
    enabled = var.versioned
  }

  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm = "AES256"
      }
    }
  }

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = ["https://example.com"]
    max_age_seconds = var.max_age
  }

  website {
    index_document = "index.html"
    error_document = "error.html"
  }

  logging {
    target_bucket = aws_s3_bucket.logs.id
    target_prefix = "log/"
  }

  lifecycle_rule {
    id      = "tmp"
    prefix  = "tmp/"
    enabled = true

    expiration {
      days = 30
    }

    transition {
      days          = 10
      storage_class = "STANDARD_IA"
    }
  }
}

output "endpoint" {
  value = aws_s3_bucket.site.website_endpoint
}
"#;

/// The settings older configurations write inside aws_s3_bucket (before the
/// AWS provider gave each a resource of its own): applied, read back, changed in
/// place, and no change on a second plan.
#[test]
fn inline_bucket_settings_of_older_configurations_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let w = Work::new(INLINE);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let b = "inline-site";
    let versioning = || m.bucket_versioning(b);
    assert_eq!(versioning().as_deref(), Some("Enabled"));
    let enc = block(s3.get_bucket_encryption().bucket(b).send()).expect("encryption");
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .map(|d| d.sse_algorithm().as_str()),
        Some("AES256")
    );
    let cors = || {
        block(s3.get_bucket_cors().bucket(b).send())
            .expect("cors")
            .cors_rules()[0]
            .clone()
    };
    assert_eq!(cors().max_age_seconds(), Some(3000));
    assert_eq!(cors().allowed_methods(), ["GET", "HEAD"]);
    let site = block(s3.get_bucket_website().bucket(b).send()).expect("website");
    assert_eq!(
        site.index_document().map(|d| d.suffix()),
        Some("index.html")
    );
    let logging = block(s3.get_bucket_logging().bucket(b).send()).expect("logging");
    assert_eq!(
        logging.logging_enabled().map(|l| l.target_bucket()),
        Some("inline-logs")
    );
    let life = block(s3.get_bucket_lifecycle_configuration().bucket(b).send()).expect("lifecycle");
    assert_eq!(life.rules()[0].id(), Some("tmp"));
    assert_eq!(
        life.rules()[0].expiration().and_then(|e| e.days()),
        Some(30)
    );
    let policy = block(s3.get_bucket_policy().bucket(b).send()).expect("policy");
    assert!(policy.policy().unwrap_or_default().contains("s3:GetObject"));
    let r = iac(&w, &m, &["output", "-raw", "endpoint"]).ok();
    assert_eq!(r.stdout, "inline-site.s3-website-us-east-1.amazonaws.com");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let vars = ["-var", "versioned=false", "-var", "max_age=60"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(versioning().as_deref(), Some("Suspended"));
    assert_eq!(cors().max_age_seconds(), Some(60));
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();
}

/// A bucket in every region Terraform's provider knows, as a website: the
/// bucket's `hosted_zone_id` and the data source's `hosted_zone_id`,
/// `website_endpoint` and `website_domain` are what Terraform 1.11.4 with the AWS
/// provider gave for the same buckets (testdata/terraform/s3_regions.txt, written
/// by scripts/terraform-golden.sh). A bucket that is no website has no endpoint.
#[test]
fn s3_hosted_zones_and_website_endpoints_say_what_terraform_says() {
    let golden = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/it/testdata/terraform/s3_regions.txt"),
    )
    .expect("golden file");
    let regions: Vec<&str> = golden
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert!(regions.len() > 30);
    let mut tf = String::new();
    for r in &regions {
        let k = r.replace('-', "_");
        tf.push_str(&format!(
            "provider \"aws\" {{\n  alias  = \"{k}\"\n  region = \"{r}\"\n  s3_use_path_style = true\n}}\n\
             resource \"aws_s3_bucket\" \"{k}\" {{\n  provider = aws.{k}\n  bucket   = \"hz-{r}\"\n  website {{\n    index_document = \"index.html\"\n  }}\n}}\n\
             data \"aws_s3_bucket\" \"{k}\" {{\n  provider = aws.{k}\n  bucket   = aws_s3_bucket.{k}.id\n}}\n\
             output \"{k}\" {{\n  value = join(\"\\t\", [data.aws_s3_bucket.{k}.region, aws_s3_bucket.{k}.hosted_zone_id, data.aws_s3_bucket.{k}.hosted_zone_id, data.aws_s3_bucket.{k}.website_endpoint, data.aws_s3_bucket.{k}.website_domain])\n}}\n"
        ));
    }
    tf.push_str(
        "resource \"aws_s3_bucket\" \"plain\" {\n  bucket = \"hz-plain\"\n}\n\
         data \"aws_s3_bucket\" \"plain\" {\n  bucket = aws_s3_bucket.plain.id\n}\n\
         output \"plain\" {\n  value = [data.aws_s3_bucket.plain.hosted_zone_id, data.aws_s3_bucket.plain.website_endpoint == null]\n}\n",
    );
    let m = Moto::start();
    let w = Work::new(&tf);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["output", "-json"]).ok();
    let outputs: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON outputs");
    for line in golden.lines() {
        let region = line.split('\t').next().unwrap_or_default();
        let ours = outputs[region.replace('-', "_")]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(ours, line, "{region}");
    }
    assert_eq!(
        outputs["plain"]["value"],
        serde_json::json!(["Z3AQBSTGFYJSTF", true])
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
}

/// An object's checksum as S3 keeps it: `checksum_algorithm` asks for one, the
/// `checksum_*` attributes are what HeadObject gives back (with checksums on),
/// new bytes give new checksums in place; `bucket_key_enabled` is sent and read.
#[test]
fn object_checksums_and_bucket_keys_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let w = Work::new(
        r#"
variable "text" { default = "first" }

resource "aws_s3_bucket" "b" {
  bucket        = "iac-checksums-test"
  force_destroy = true
}

resource "aws_kms_key" "k" {
  description             = "objects"
  deletion_window_in_days = 7
}

resource "aws_s3_object" "sha" {
  bucket                 = aws_s3_bucket.b.bucket
  key                    = "sha.txt"
  content                = var.text
  checksum_algorithm     = "SHA256"
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.k.arn
  bucket_key_enabled     = true
}

output "sha" { value = aws_s3_object.sha.checksum_sha256 }
output "bucket_key" { value = aws_s3_object.sha.bucket_key_enabled }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let head = || {
        block(
            s3.head_object()
                .bucket("iac-checksums-test")
                .key("sha.txt")
                .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                .send(),
        )
        .expect("head")
    };
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let first = head()
        .checksum_sha256()
        .map(String::from)
        .expect("a SHA-256");
    assert_eq!(out["sha"]["value"], first.as_str(), "{out}");
    assert_eq!(
        out["bucket_key"]["value"],
        head().bucket_key_enabled().unwrap_or(false),
        "{out}"
    );
    assert_eq!(out["bucket_key"]["value"], true, "{out}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "text=second"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let second = head()
        .checksum_sha256()
        .map(String::from)
        .expect("a SHA-256");
    assert_ne!(first, second);
    assert_eq!(out["sha"]["value"], second.as_str(), "{out}");
    let r = iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "text=second"],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let bad = Work::new(
        "resource \"aws_s3_object\" \"o\" {\n  bucket = \"b\"\n  key = \"k\"\n  content = \"x\"\n  server_side_encryption = \"AES256\"\n  bucket_key_enabled = true\n}\n",
    );
    let r = bad.iac(&["validate"]).code(1);
    assert!(r.stderr.contains("Bucket key without KMS"), "{}", r.stderr);
}

/// Object lock on an object: a GOVERNANCE retention and a legal hold set with
/// the object, read back with HeadObject, changed in place on the same version
/// (PutObjectRetention, PutObjectLegalHold), and a force_destroy that lifts the
/// hold and bypasses the retention to delete it.
#[test]
fn object_lock_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let main = |until: &str, hold: &str| {
        format!(
            r#"
resource "aws_s3_bucket" "b" {{
  bucket              = "iac-locked"
  object_lock_enabled = true
  force_destroy       = true
}}

resource "aws_s3_object" "o" {{
  bucket                        = aws_s3_bucket.b.id
  key                           = "kept.txt"
  content                       = "keep me"
  object_lock_mode              = "GOVERNANCE"
  object_lock_retain_until_date = "{until}"
  object_lock_legal_hold_status = "{hold}"
  force_destroy                 = true
}}

output "version" {{ value = aws_s3_object.o.version_id }}
"#
        )
    };
    let w = Work::new(&main("2035-01-01T00:00:00Z", "ON"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let head = || {
        block(async {
            let h = s3
                .head_object()
                .bucket("iac-locked")
                .key("kept.txt")
                .send()
                .await
                .expect("object");
            (
                h.object_lock_mode().map(|x| x.as_str().to_string()),
                h.object_lock_retain_until_date().map(|t| t.secs()),
                h.object_lock_legal_hold_status()
                    .map(|x| x.as_str().to_string()),
                h.version_id().map(String::from),
            )
        })
    };
    let (mode, until, hold, version) = head();
    assert_eq!(mode.as_deref(), Some("GOVERNANCE"));
    assert_eq!(until, Some(2_051_222_400), "2035-01-01T00:00:00Z");
    assert_eq!(hold.as_deref(), Some("ON"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // A later date and the hold lifted: in place, the same version.
    w.write("main.tf", &main("2036-01-01T00:00:00Z", "OFF"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let (_, until, hold, now) = head();
    assert_eq!(until, Some(2_082_758_400), "2036-01-01T00:00:00Z");
    assert_eq!(hold.as_deref(), Some("OFF"));
    assert_eq!(now, version, "no new version for a new lock");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Half a retention is an error at validate.
    w.write(
        "main.tf",
        &main("2036-01-01T00:00:00Z", "OFF")
            .replace("  object_lock_mode              = \"GOVERNANCE\"\n", ""),
    );
    let r = iac(&w, &m, &["validate"]).code(1);
    assert!(r.stderr.contains("Incomplete retention"), "{}", r.stderr);
    w.write("main.tf", &main("2036-01-01T00:00:00Z", "OFF"));
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let gone = block(async { s3.head_bucket().bucket("iac-locked").send().await });
    assert!(gone.is_err(), "the bucket and its locked object are gone");
}

/// The inline `object_lock_configuration` of older configurations: a bucket made
/// with Object Lock and a default retention, read back through the SDK, no
/// change on a second plan, the retention changed in place and then removed.
#[test]
fn inline_object_lock_configuration_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let tf = |rule: &str| {
        format!(
            r#"
resource "aws_s3_bucket" "locked" {{
  bucket = "inline-locked"

  object_lock_configuration {{
    object_lock_enabled = "Enabled"
{rule}
  }}
}}
"#
        )
    };
    let rule = |mode: &str, days: u32| {
        format!("    rule {{\n      default_retention {{\n        mode = \"{mode}\"\n        days = {days}\n      }}\n    }}")
    };
    let w = Work::new(&tf(&rule("GOVERNANCE", 1)));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let lock = || {
        let o = block(
            s3.get_object_lock_configuration()
                .bucket("inline-locked")
                .send(),
        )
        .expect("lock");
        let c = o
            .object_lock_configuration()
            .cloned()
            .expect("configuration");
        let d = c.rule().and_then(|r| r.default_retention()).cloned();
        (
            c.object_lock_enabled().map(|e| e.as_str().to_string()),
            d.as_ref()
                .and_then(|d| d.mode())
                .map(|m| m.as_str().to_string()),
            d.and_then(|d| d.days()),
        )
    };
    assert_eq!(
        lock(),
        (Some("Enabled".into()), Some("GOVERNANCE".into()), Some(1))
    );
    assert_eq!(
        m.bucket_versioning("inline-locked").as_deref(),
        Some("Enabled")
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &tf(&rule("COMPLIANCE", 3)));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        lock(),
        (Some("Enabled".into()), Some("COMPLIANCE".into()), Some(3))
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // No rule: the default retention goes, the lock stays.
    w.write("main.tf", &tf(""));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(lock(), (Some("Enabled".into()), None, None));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A retention needs days or years, and the lock.
    w.write(
        "main.tf",
        &tf("    rule {\n      default_retention {\n        mode = \"GOVERNANCE\"\n      }\n    }")
            .replace("    object_lock_enabled = \"Enabled\"\n", ""),
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(r.stderr.contains("give `days` or `years`"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("a default retention needs object_lock_enabled = \"Enabled\""),
        "{}",
        r.stderr
    );
}

/// A rule as moto keeps it: id, priority, destination bucket, storage class,
/// replication time minutes.
type ReplicationRead = (String, i32, String, Option<String>, Option<i32>);

/// The inline `replication_configuration` of older configurations (and of
/// modules that pass it through): put after the bucket's versioning, read back
/// through the SDK, no change on a second plan, changed in place. moto keeps a
/// rule's role, id, status, priority and destination and drops its filter,
/// source selection and delete-marker setting, so those are checked in the
/// request iac sent.
#[test]
fn inline_replication_configuration_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let tf = |class: &str, more: &str| {
        format!(
            r#"
resource "aws_iam_role" "replication" {{
  name = "s3-replication"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "s3.amazonaws.com" }} }}]
  }})
}}

resource "aws_s3_bucket" "replica" {{
  bucket = "inline-replica"
  versioning {{
    enabled = true
  }}
}}

resource "aws_s3_bucket" "source" {{
  bucket = "inline-source"
  versioning {{
    enabled = true
  }}

  replication_configuration {{
    role = aws_iam_role.replication.arn

    rules {{
      id     = "everything"
      status = "Enabled"
      destination {{
        bucket        = aws_s3_bucket.replica.arn
        storage_class = "{class}"
        replication_time {{
          status  = "Enabled"
          minutes = 15
        }}
        metrics {{
          status  = "Enabled"
          minutes = 15
        }}
      }}
    }}

    rules {{
      status   = "Enabled"
      priority = 2
      filter {{
{more}
      }}
      destination {{
        bucket = aws_s3_bucket.replica.arn
      }}
{sse}
    }}
  }}
}}
"#,
            sse = if more.is_empty() {
                String::new()
            } else {
                "      delete_marker_replication_status = \"Enabled\"\n      source_selection_criteria {\n        sse_kms_encrypted_objects {\n          enabled = true\n        }\n      }\n".to_string()
            }
        )
    };
    let w = Work::new(&tf("STANDARD_IA", ""));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["plan"]).ok();
    assert!(
        r.stdout.contains("replication_configuration"),
        "{}",
        r.stdout
    );
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let read = || {
        let o =
            block(s3.get_bucket_replication().bucket("inline-source").send()).expect("replication");
        let c = o
            .replication_configuration()
            .cloned()
            .expect("configuration");
        let mut rules: Vec<ReplicationRead> = c
            .rules()
            .iter()
            .map(|r| {
                let d = r.destination().expect("destination");
                (
                    r.id().unwrap_or_default().to_string(),
                    r.priority().unwrap_or_default(),
                    d.bucket().to_string(),
                    d.storage_class().map(|s| s.as_str().to_string()),
                    d.replication_time()
                        .and_then(|t| t.time())
                        .and_then(|t| t.minutes()),
                )
            })
            .collect();
        rules.sort();
        (c.role().to_string(), rules)
    };
    let (role, rules) = read();
    assert_eq!(role, "arn:aws:iam::123456789012:role/s3-replication");
    assert_eq!(rules.len(), 2, "{rules:?}");
    let named = rules
        .iter()
        .find(|r| r.0 == "everything")
        .expect("everything");
    assert_eq!(named.2, "arn:aws:s3:::inline-replica");
    assert_eq!(named.3.as_deref(), Some("STANDARD_IA"));
    assert_eq!(named.4, Some(15));
    let other = rules.iter().find(|r| r.0 != "everything").expect("other");
    assert!(!other.0.is_empty(), "S3 named the rule: {rules:?}");
    assert_eq!(other.1, 2);
    // Versioning went first: S3 takes replication only on a versioned bucket.
    let puts: Vec<String> = proxy
        .requests("PUT ?replication")
        .iter()
        .map(|p| p["body"].clone())
        .collect();
    assert_eq!(puts.len(), 1, "{puts:?}");
    assert!(
        puts[0].contains("<Filter><Prefix></Prefix></Filter>"),
        "{}",
        puts[0]
    );
    assert!(
        puts[0].contains("<DeleteMarkerReplication><Status>Disabled</Status>"),
        "{}",
        puts[0]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another storage class: in place.
    w.write("main.tf", &tf("GLACIER", ""));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let (_, rules) = read();
    let named = rules
        .iter()
        .find(|r| r.0 == "everything")
        .expect("everything");
    assert_eq!(named.3.as_deref(), Some("GLACIER"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A filter by prefix and tags, KMS-encrypted objects and delete markers: sent
    // as S3's second rule schema.
    w.write(
        "main.tf",
        &tf(
            "GLACIER",
            "        prefix = \"logs/\"\n        tags   = { team = \"web\" }",
        ),
    );
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let puts = proxy.requests("PUT ?replication");
    let body = &puts.last().expect("a second put")["body"];
    for part in [
        "<And><Prefix>logs/</Prefix><Tag><Key>team</Key><Value>web</Value></Tag></And>",
        "<SourceSelectionCriteria><SseKmsEncryptedObjects><Status>Enabled</Status>",
        "<DeleteMarkerReplication><Status>Enabled</Status>",
        "<Priority>2</Priority>",
    ] {
        assert!(body.contains(part), "{part} in {body}");
    }

    // What S3 does not take is refused before anything is sent.
    w.write("main.tf", &tf("FAST", ""));
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("\"FAST\": storage_class is one of"),
        "{}",
        r.stderr
    );
    w.write("main.tf", &tf("GLACIER", ""));
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// Inline `grant` blocks (the ACL of older configurations, with
/// `data "aws_canonical_user_id"` for the owner): written, read back through the
/// SDK, no change on a second plan, changed in place; not together with `acl`.
#[test]
fn inline_grants_against_moto() {
    let m = Moto::start();
    let s3 = m.s3();
    let tf = |perms: &str| {
        format!(
            r#"
data "aws_canonical_user_id" "me" {{}}

resource "aws_s3_bucket" "logs" {{
  bucket = "inline-grants"

  grant {{
    id          = data.aws_canonical_user_id.me.id
    type        = "CanonicalUser"
    permissions = ["FULL_CONTROL"]
  }}

  grant {{
    type        = "Group"
    uri         = "http://acs.amazonaws.com/groups/s3/LogDelivery"
    permissions = {perms}
  }}
}}

output "me" {{
  value = data.aws_canonical_user_id.me.id
}}
"#
        )
    };
    let w = Work::new(&tf(r#"["READ_ACP", "WRITE"]"#));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let owner = block(s3.list_buckets().send())
        .expect("buckets")
        .owner()
        .and_then(|o| o.id())
        .map(String::from)
        .expect("owner");
    let me = iac(&w, &m, &["output", "-raw", "me"]).ok().stdout;
    assert_eq!(me, owner);
    let grants = || {
        let mut g: Vec<(String, String)> =
            block(s3.get_bucket_acl().bucket("inline-grants").send())
                .expect("acl")
                .grants()
                .iter()
                .map(|g| {
                    let who = g.grantee().map_or(String::new(), |e| {
                        e.uri().or(e.id()).unwrap_or_default().to_string()
                    });
                    (who, g.permission().map_or("", |p| p.as_str()).to_string())
                })
                .collect();
        g.sort();
        g
    };
    let log = "http://acs.amazonaws.com/groups/s3/LogDelivery".to_string();
    assert_eq!(
        grants(),
        vec![
            (owner.clone(), "FULL_CONTROL".to_string()),
            (log.clone(), "READ_ACP".to_string()),
            (log.clone(), "WRITE".to_string()),
        ]
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &tf(r#"["WRITE"]"#));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        grants(),
        vec![
            (owner.clone(), "FULL_CONTROL".to_string()),
            (log, "WRITE".to_string()),
        ]
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    w.write(
        "main.tf",
        &tf(r#"["WRITE"]"#).replace(
            "  bucket = \"inline-grants\"\n",
            "  bucket = \"inline-grants\"\n  acl    = \"private\"\n",
        ),
    );
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr.contains("set `acl` or `grant` blocks, not both"),
        "{}",
        r.stderr
    );
}

/// `skip_destroy` on a public access block (AWS provider 6, which the
/// terraform-aws-modules/s3-bucket module sets by default): destroying the
/// resource only forgets it, and the bucket stays blocked; without it the block
/// is deleted.
#[test]
fn a_public_access_block_with_skip_destroy_is_only_forgotten() {
    let m = Moto::start();
    let s3 = m.s3();
    let tf = |pab: &str| {
        format!(
            r#"
resource "aws_s3_bucket" "b" {{
  bucket        = "iac-kept-block"
  force_destroy = true
}}
{pab}
"#
        )
    };
    let pab = |skip: bool| {
        format!(
            r#"
resource "aws_s3_bucket_public_access_block" "b" {{
  bucket                  = aws_s3_bucket.b.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
  skip_destroy            = {skip}
}}
"#
        )
    };
    let blocked = || {
        block(s3.get_public_access_block().bucket("iac-kept-block").send())
            .ok()
            .and_then(|o| o.public_access_block_configuration().cloned())
            .and_then(|c| c.block_public_acls())
    };
    let w = Work::new(&tf(&pab(true)));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(blocked(), Some(true));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Out of the configuration: forgotten, left on the bucket.
    w.write("main.tf", &tf(""));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("1 destroyed"), "{}", r.stdout);
    assert_eq!(blocked(), Some(true), "the block stays");
    // Without skip_destroy, destroying it deletes it.
    w.write("main.tf", &tf(&pab(false)));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    w.write("main.tf", &tf(""));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(blocked(), None, "deleted");
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// A bucket written as modules for the AWS provider 6 write it: its newer
/// arguments passed through as null, a newer type behind a count of 0, and
/// `region` and `skip_destroy`; it applies and re-plans clean. Set, a newer
/// argument iac lacks is refused with why.
#[test]
fn a_bucket_written_for_the_aws_provider_6_applies() {
    let m = Moto::start();
    let tf = |namespace: &str| {
        format!(
            r#"
variable "namespace" {{
  type    = string
  default = {namespace}
}}

variable "region" {{
  type    = string
  default = null
}}

resource "aws_s3_bucket" "this" {{
  region           = var.region
  bucket           = "iac-provider-six"
  bucket_namespace = var.namespace
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {{
  region = var.region
  bucket = aws_s3_bucket.this.id
  rule {{
    blocked_encryption_types = null
    apply_server_side_encryption_by_default {{
      sse_algorithm = "AES256"
    }}
  }}
}}

resource "aws_s3_bucket_public_access_block" "this" {{
  region                  = var.region
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
  skip_destroy            = true
}}

resource "aws_s3_bucket_metadata_configuration" "this" {{
  count  = 0
  bucket = aws_s3_bucket.this.id
}}
"#
        )
    };
    let w = Work::new(&tf("null"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stderr.contains("warning[W0202]")
            && r.stderr.contains("aws_s3_bucket_metadata_configuration"),
        "{}",
        r.stderr
    );
    assert!(block(m.s3().head_bucket().bucket("iac-provider-six").send()).is_ok());
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    w.write("main.tf", &tf("\"account-regional\""));
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("\"bucket_namespace\" is not supported by iac")
            && r.stderr
                .contains("AWS provider 6: account-regional bucket namespaces"),
        "{}",
        r.stderr
    );
    w.write("main.tf", &tf("null"));
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}
