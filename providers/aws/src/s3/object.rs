//! `aws_s3_object`: an object in a bucket, from `content`, `content_base64` or a
//! `source` file. The plan computes the object's MD5 (its `etag`, for objects not
//! encrypted with KMS), so an edited file or an object changed in S3 is a planned
//! update without `etag = filemd5(...)` (which still works, as in Terraform).
//!
//! S3 has no batch read of objects: refresh is one `HeadObject` and one
//! `GetObjectTagging` call per object.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, opt_str, plaintext, s, sdk_err, set, tags_of};
use crate::Clients;

pub(crate) struct ObjectType;

const BODIES: [&str; 3] = ["content", "content_base64", "source"];

/// The object's bytes as the configuration gives them (`None` while unknown).
fn body(p: &Value) -> Result<Option<Vec<u8>>, AttrDiagnostic> {
    if BODIES.iter().any(|k| p.get_attr(k).is_unknown()) {
        return Ok(None);
    }
    if let Some(text) = plaintext(p, "content")? {
        return Ok(Some(text.into_bytes()));
    }
    if let Some(b64) = s(p, "content_base64") {
        use base64::Engine as _;
        return base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map(Some)
            .map_err(|e| attr_err("content_base64", "Invalid base64", e.to_string()));
    }
    if let Some(path) = s(p, "source") {
        return std::fs::read(&path).map(Some).map_err(|e| {
            attr_err(
                "source",
                "Cannot read the source file",
                format!("{path}: {e}"),
            )
        });
    }
    Ok(Some(Vec::new()))
}

/// The checksums S3 may keep for an object (new bytes, new checksums).
const CHECKSUMS: [&str; 5] = [
    "checksum_crc32",
    "checksum_crc32c",
    "checksum_crc64nvme",
    "checksum_sha1",
    "checksum_sha256",
];

fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bucket/key`, or Terraform's `s3://bucket/key`, as an import id.
fn split_id(id: &str) -> Option<(String, String)> {
    let id = id.strip_prefix("s3://").unwrap_or(id);
    let (b, k) = id.split_once('/')?;
    Some((b.to_string(), k.to_string()))
}

fn encrypted_with_kms(p: &Value) -> bool {
    p.get_attr("server_side_encryption")
        .as_str()
        .is_some_and(|x| x.starts_with("aws:kms"))
        || !p.get_attr("kms_key_id").is_null()
}

async fn read_one(
    c: &Clients,
    bucket: &str,
    key: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let head = match c
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
    {
        Ok(h) => h,
        Err(e) => {
            let gone = err_code(&e)
                .is_some_and(|c| c.contains("NotFound") || c == "NoSuchKey" || c == "NoSuchBucket")
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
            if gone {
                return Ok(None);
            }
            return Err(sdk_err("HeadObject", e));
        }
    };
    let tagging =
        c.s3.get_object_tagging()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sdk_err("GetObjectTagging", e))?;
    let tags = crate::util::tag_map(
        tagging
            .tag_set()
            .iter()
            .map(|t| (Some(t.key()), Some(t.value()))),
    );
    let metadata: BTreeMap<String, Value> = head
        .metadata()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let etag = head.e_tag().map(|e| e.trim_matches('"').to_string());
    let mut v = Value::map([
        ("id", Value::string(key)),
        ("bucket", Value::string(bucket)),
        ("key", Value::string(key)),
        ("arn", Value::string(format!("arn:aws:s3:::{bucket}/{key}"))),
        ("etag", opt_str(etag.as_deref())),
        ("version_id", opt_str(head.version_id())),
        ("content_type", opt_str(head.content_type())),
        ("cache_control", opt_str(head.cache_control())),
        ("content_disposition", opt_str(head.content_disposition())),
        ("content_encoding", opt_str(head.content_encoding())),
        ("content_language", opt_str(head.content_language())),
        (
            "website_redirect",
            opt_str(head.website_redirect_location()),
        ),
        (
            "storage_class",
            Value::string(
                head.storage_class()
                    .map(|s| s.as_str())
                    .unwrap_or("STANDARD"),
            ),
        ),
        (
            "server_side_encryption",
            opt_str(head.server_side_encryption().map(|s| s.as_str())),
        ),
        ("kms_key_id", opt_str(head.ssekms_key_id())),
        (
            "bucket_key_enabled",
            head.bucket_key_enabled()
                .map(Value::Bool)
                .unwrap_or(Value::Bool(false)),
        ),
        ("checksum_crc32", opt_str(head.checksum_crc32())),
        ("checksum_crc32c", opt_str(head.checksum_crc32_c())),
        ("checksum_crc64nvme", opt_str(head.checksum_crc64_nvme())),
        ("checksum_sha1", opt_str(head.checksum_sha1())),
        ("checksum_sha256", opt_str(head.checksum_sha256())),
        (
            "object_lock_mode",
            opt_str(head.object_lock_mode().map(|m| m.as_str())),
        ),
        (
            "object_lock_retain_until_date",
            head.object_lock_retain_until_date()
                .map_or(Value::Null, |t| {
                    Value::string(iac_value::time::rfc3339(t.secs().max(0) as u64))
                }),
        ),
        (
            "object_lock_legal_hold_status",
            opt_str(head.object_lock_legal_hold_status().map(|m| m.as_str())),
        ),
        (
            "metadata",
            if metadata.is_empty() {
                Value::Null
            } else {
                Value::Map(metadata.into())
            },
        ),
        ("tags", tags),
    ]);
    // What S3 cannot give back stays as state (or the configuration) has it.
    for k in [
        "content",
        "content_base64",
        "source",
        "source_hash",
        "acl",
        "force_destroy",
        "checksum_algorithm",
    ] {
        set(&mut v, k, keep.get_attr(k).clone());
    }
    Ok(Some(v))
}

async fn put(c: &Clients, p: &Value) -> Result<(), AttrDiagnostic> {
    let bytes = body(p)?.unwrap_or_default();
    let tagging: Vec<String> = tags_of(p)
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let metadata: Option<std::collections::HashMap<String, String>> =
        p.get_attr("metadata").as_map().map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        });
    c.s3.put_object()
        .bucket(s(p, "bucket").unwrap_or_default())
        .key(s(p, "key").unwrap_or_default())
        .body(ByteStream::from(bytes))
        .set_content_type(s(p, "content_type"))
        .set_cache_control(s(p, "cache_control"))
        .set_content_disposition(s(p, "content_disposition"))
        .set_content_encoding(s(p, "content_encoding"))
        .set_content_language(s(p, "content_language"))
        .set_website_redirect_location(s(p, "website_redirect"))
        .set_storage_class(s(p, "storage_class").map(|x| x.as_str().into()))
        .set_server_side_encryption(s(p, "server_side_encryption").map(|x| x.as_str().into()))
        .set_ssekms_key_id(s(p, "kms_key_id"))
        .set_bucket_key_enabled(p.get_attr("bucket_key_enabled").as_bool())
        .set_checksum_algorithm(s(p, "checksum_algorithm").map(|x| x.as_str().into()))
        .set_acl(s(p, "acl").map(|x| x.as_str().into()))
        .set_metadata(metadata)
        .set_tagging((!tagging.is_empty()).then(|| tagging.join("&")))
        .set_object_lock_mode(s(p, "object_lock_mode").map(|x| x.as_str().into()))
        .set_object_lock_retain_until_date(retain_until(p))
        .set_object_lock_legal_hold_status(
            s(p, "object_lock_legal_hold_status").map(|x| x.as_str().into()),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("PutObject", e))
}

const LOCK: [&str; 3] = [
    "object_lock_mode",
    "object_lock_retain_until_date",
    "object_lock_legal_hold_status",
];

fn retain_until(p: &Value) -> Option<aws_sdk_s3::primitives::DateTime> {
    let secs = iac_value::time::parse_rfc3339(&s(p, "object_lock_retain_until_date")?)?;
    Some(aws_sdk_s3::primitives::DateTime::from_secs(secs as i64))
}

/// The lock of the current version changed in place: its legal hold, and its
/// retention (shortening a GOVERNANCE one bypasses it, as the owner may).
async fn update_lock(c: &Clients, old: &Value, p: &Value) -> Result<(), AttrDiagnostic> {
    let (bucket, key) = (
        s(p, "bucket").unwrap_or_default(),
        s(p, "key").unwrap_or_default(),
    );
    let hold = "object_lock_legal_hold_status";
    if old.get_attr(hold) != p.get_attr(hold) {
        let status = s(p, hold).unwrap_or_else(|| "OFF".into());
        c.s3.put_object_legal_hold()
            .bucket(&bucket)
            .key(&key)
            .legal_hold(
                aws_sdk_s3::types::ObjectLockLegalHold::builder()
                    .status(status.as_str().into())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("PutObjectLegalHold", e))?;
    }
    let retention = ["object_lock_mode", "object_lock_retain_until_date"];
    if retention.iter().any(|k| old.get_attr(k) != p.get_attr(k)) {
        let mut r = aws_sdk_s3::types::ObjectLockRetention::builder();
        if let Some(m) = s(p, "object_lock_mode") {
            r = r.mode(m.as_str().into());
        }
        r = r.set_retain_until_date(retain_until(p));
        c.s3.put_object_retention()
            .bucket(&bucket)
            .key(&key)
            .retention(r.build())
            .bypass_governance_retention(
                old.get_attr("object_lock_mode").as_str() == Some("GOVERNANCE"),
            )
            .send()
            .await
            .map_err(|e| sdk_err("PutObjectRetention", e))?;
    }
    Ok(())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[async_trait::async_trait]
impl ResourceType<Clients> for ObjectType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        let str_map = || AttrType::Map(Box::new(Str));
        Schema::new("An object in an S3 bucket. S3 has no batch read of objects: refresh is one HeadObject and one GetObjectTagging call per object.")
            .attr("bucket", Attribute::required(Str, "Bucket.").force_new())
            .attr("key", Attribute::required(Str, "Key (name) of the object.").force_new())
            .attr("content", Attribute::optional(Str, "The object's text."))
            .attr("content_base64", Attribute::optional(Str, "The object's bytes, base64-encoded."))
            .attr("source", Attribute::optional(Str, "A file whose bytes are the object (read at plan time)."))
            .attr("source_hash", Attribute::optional(Str, "Any value that changes with the source (optional: the plan hashes the file itself)."))
            .attr("etag", Attribute::optional_computed(Str, "MD5 of the object (computed from its bytes unless KMS-encrypted)."))
            .attr("content_type", Attribute::optional_computed(Str, "MIME type (default binary/octet-stream)."))
            .attr("cache_control", Attribute::optional(Str, "Cache-Control header."))
            .attr("content_disposition", Attribute::optional(Str, "Content-Disposition header."))
            .attr("content_encoding", Attribute::optional(Str, "Content-Encoding header."))
            .attr("content_language", Attribute::optional(Str, "Content-Language header."))
            .attr("website_redirect", Attribute::optional(Str, "Redirect for website buckets."))
            .attr("storage_class", Attribute::optional_computed(Str, "STANDARD (default), STANDARD_IA, GLACIER, ..."))
            .attr("server_side_encryption", Attribute::optional_computed(Str, "AES256 or aws:kms."))
            .attr("kms_key_id", Attribute::optional_computed(Str, "KMS key, with aws:kms."))
            .attr("acl", Attribute::optional(Str, "Canned ACL (private, public-read, ...)."))
            .attr("metadata", Attribute::optional(str_map(), "User metadata (x-amz-meta-*)."))
            .attr("force_destroy", Attribute::optional(Bool, "On destroy, delete every version of the key (lifting legal holds and bypassing GOVERNANCE retention)."))
            .attr("object_lock_mode", Attribute::optional_computed(Str, "GOVERNANCE or COMPLIANCE retention, in a bucket with object lock (with object_lock_retain_until_date)."))
            .attr("object_lock_retain_until_date", Attribute::optional_computed(Str, "When the retention ends (RFC 3339)."))
            .attr("object_lock_legal_hold_status", Attribute::optional_computed(Str, "ON or OFF."))
            .attr("tags", tags())
            .block(
                "override_provider",
                iac_provider::NestedBlock {
                    nesting: iac_provider::Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                    block: Schema::new("Provider settings this object does not take.").block(
                        "default_tags",
                        iac_provider::NestedBlock {
                            nesting: iac_provider::Nesting::List,
                            min_items: 0,
                            max_items: Some(1),
                            force_new: false,
                            block: Schema::new("The provider's default tags for this object instead (S3 allows 10 tags on an object): `tags = {}` for none.")
                                .attr("tags", Attribute::optional(str_map(), "Default tags for this object.")),
                        },
                    ),
                },
            )
            .attr("id", Attribute::computed(Str, "The key."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("version_id", Attribute::computed(Str, "Version, in a versioned bucket."))
            .attr("bucket_key_enabled", Attribute::optional_computed(Bool, "Encrypt with an S3 Bucket Key (fewer KMS calls)."))
            .attr("checksum_algorithm", Attribute::optional(Str, "The checksum S3 keeps for the object: CRC32, CRC32C, CRC64NVME, SHA1 or SHA256."))
            .attr("checksum_crc32", Attribute::computed(Str, "CRC32 of the object (base64), when S3 keeps it."))
            .attr("checksum_crc32c", Attribute::computed(Str, "CRC32C of the object (base64), when S3 keeps it."))
            .attr("checksum_crc64nvme", Attribute::computed(Str, "CRC64NVME of the object (base64), when S3 keeps it."))
            .attr("checksum_sha1", Attribute::computed(Str, "SHA-1 of the object (base64), when S3 keeps it."))
            .attr("checksum_sha256", Attribute::computed(Str, "SHA-256 of the object (base64), when S3 keeps it."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let set: Vec<&str> = BODIES
            .iter()
            .copied()
            .filter(|k| !config.get_attr(k).is_null())
            .collect();
        if set.len() > 1 {
            return vec![attr_err(
                set[1],
                "Conflicting arguments",
                format!("an object's bytes come from one of content, content_base64 or source (this sets {})", set.join(" and ")),
            )];
        }
        if config.get_attr("object_lock_mode").is_null()
            != config.get_attr("object_lock_retain_until_date").is_null()
        {
            return vec![attr_err(
                "object_lock_mode",
                "Incomplete retention",
                "a retention is a mode (GOVERNANCE or COMPLIANCE) and a date (object_lock_retain_until_date): give both, or neither",
            )];
        }
        if let Some(d) = config.get_attr("object_lock_retain_until_date").as_str() {
            if iac_value::time::parse_rfc3339(d).is_none() {
                return vec![attr_err(
                    "object_lock_retain_until_date",
                    "Invalid date",
                    format!("\"{d}\" is not an RFC 3339 date such as 2030-01-01T00:00:00Z"),
                )];
            }
        }
        // A bucket key is a KMS thing: S3 ignores it for SSE-S3 and would read
        // back false on every refresh.
        if config.get_attr("bucket_key_enabled").as_bool() == Some(true)
            && config.get_attr("server_side_encryption").as_str() == Some("AES256")
        {
            return vec![attr_err(
                "bucket_key_enabled",
                "Bucket key without KMS",
                "a bucket key is used with server_side_encryption = \"aws:kms\" (or a bucket whose default encryption is KMS); with AES256 S3 ignores it",
            )];
        }
        Vec::new()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        let c = req.config;
        if c.get_attr("content_type").is_null() && req.prior.is_none() {
            set(
                &mut r.planned,
                "content_type",
                Value::string("binary/octet-stream"),
            );
        }
        if c.get_attr("storage_class").is_null() {
            set(&mut r.planned, "storage_class", Value::string("STANDARD"));
        }
        if c.get_attr("etag").is_null() && !encrypted_with_kms(c) {
            match body(c) {
                Ok(Some(bytes)) => set(&mut r.planned, "etag", Value::string(md5_hex(&bytes))),
                Ok(None) => set(&mut r.planned, "etag", Value::Unknown),
                Err(d) => r.diagnostics.push(d),
            }
        }
        // New bytes are a new version of the same key: an update, never a replacement.
        let changed = req
            .prior
            .is_some_and(|p| p.get_attr("etag") != r.planned.get_attr("etag"));
        let algorithm_changed = req
            .prior
            .is_some_and(|p| p.get_attr("checksum_algorithm") != c.get_attr("checksum_algorithm"));
        if changed || algorithm_changed {
            set(&mut r.planned, "version_id", Value::Unknown);
            for k in CHECKSUMS {
                set(&mut r.planned, k, Value::Unknown);
            }
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        // PutObject of the same bytes to the same key is idempotent.
        put(c, p).await.map_err(|d| vec![d])?;
        let (bucket, key) = (
            s(p, "bucket").unwrap_or_default(),
            s(p, "key").unwrap_or_default(),
        );
        read_one(c, &bucket, &key, p).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let (bucket, key) = (
            s(p, "bucket").unwrap_or_default(),
            s(p, "key").unwrap_or_default(),
        );
        let mut without_tags = old.clone();
        set(&mut without_tags, "tags", p.get_attr("tags").clone());
        // A new lock alone is set on the object as it is, not a new version.
        for k in LOCK {
            set(&mut without_tags, k, p.get_attr(k).clone());
        }
        if !crate::util::same(&without_tags, p) {
            put(c, p).await.map_err(|d| vec![d])?;
        } else if !crate::util::same(old.get_attr("tags"), p.get_attr("tags")) {
            update_lock(c, old, p).await.map_err(|d| vec![d])?;
            let tags: Vec<aws_sdk_s3::types::Tag> = tags_of(p)
                .into_iter()
                .filter_map(|(k, v)| {
                    aws_sdk_s3::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                        .ok()
                })
                .collect();
            let tagging = aws_sdk_s3::types::Tagging::builder()
                .set_tag_set(Some(tags))
                .build()
                .map_err(|e| vec![attr_err("tags", "Invalid tags", e.to_string())])?;
            c.s3.put_object_tagging()
                .bucket(&bucket)
                .key(&key)
                .tagging(tagging)
                .send()
                .await
                .map_err(|e| vec![sdk_err("PutObjectTagging", e)])?;
        } else {
            update_lock(c, old, p).await.map_err(|d| vec![d])?;
        }
        read_one(c, &bucket, &key, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let (bucket, key) = (
            s(old, "bucket").unwrap_or_default(),
            s(old, "key").unwrap_or_default(),
        );
        if old.get_attr("force_destroy").as_bool() == Some(true) {
            let versions =
                c.s3.list_object_versions()
                    .bucket(&bucket)
                    .prefix(&key)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("ListObjectVersions", e)])?;
            let ids: Vec<String> = versions
                .versions()
                .iter()
                .filter(|v| v.key() == Some(key.as_str()))
                .filter_map(|v| v.version_id().map(String::from))
                .chain(
                    versions
                        .delete_markers()
                        .iter()
                        .filter(|v| v.key() == Some(key.as_str()))
                        .filter_map(|v| v.version_id().map(String::from)),
                )
                .collect();
            for id in ids.iter().filter(|i| *i != "null") {
                // A legal hold is lifted and a GOVERNANCE retention bypassed, as
                // Terraform's force_destroy does (COMPLIANCE cannot be).
                let _ =
                    c.s3.put_object_legal_hold()
                        .bucket(&bucket)
                        .key(&key)
                        .version_id(id)
                        .legal_hold(
                            aws_sdk_s3::types::ObjectLockLegalHold::builder()
                                .status("OFF".into())
                                .build(),
                        )
                        .send()
                        .await;
                c.s3.delete_object()
                    .bucket(&bucket)
                    .key(&key)
                    .version_id(id)
                    .bypass_governance_retention(true)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("DeleteObject", e)])?;
            }
        }
        match c.s3.delete_object().bucket(&bucket).key(&key).send().await {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c == "NoSuchBucket" || c == "NoSuchKey") => {
                Ok(())
            }
            Err(e) => Err(vec![sdk_err("DeleteObject", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let (bucket, key) = match (s(v, "bucket"), s(v, "key")) {
                (Some(b), Some(k)) => (b, k),
                _ => match s(v, "id").as_deref().and_then(split_id) {
                    Some(x) => x,
                    None => {
                        out.push(Err(attr_err(
                            "id",
                            "Invalid id",
                            "import an object as BUCKET/KEY (or s3://BUCKET/KEY)",
                        )));
                        continue;
                    }
                },
            };
            out.push(read_one(c, &bucket, &key, v).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_ids() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            split_id("s3://b/a/key.txt"),
            Some(("b".into(), "a/key.txt".into()))
        );
        assert_eq!(split_id("b/k"), Some(("b".into(), "k".into())));
        assert_eq!(split_id("nokey"), None);
        assert_eq!(urlencode("a b&c"), "a%20b%26c");
    }
}
