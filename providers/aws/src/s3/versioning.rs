//! `aws_s3_bucket_versioning`: whether a bucket keeps object versions. Destroying
//! it suspends versioning (a bucket that was ever versioned cannot go back to
//! unversioned), as Terraform does.

use aws_sdk_s3::types::{BucketVersioningStatus, MfaDelete, VersioningConfiguration};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::nested;
use crate::util::{attr_err, sdk_err};
use crate::Clients;

pub(crate) struct VersioningType;

fn config_of(v: &Value) -> Value {
    match v.get_attr("versioning_configuration").as_list() {
        Some(l) => l.first().cloned().unwrap_or(Value::Null),
        None => v.get_attr("versioning_configuration").clone(),
    }
}

fn value(bucket: &str, status: &str, mfa: Option<&str>, keep: &Value) -> Value {
    Value::map([
        ("id", Value::string(bucket)),
        ("bucket", Value::string(bucket)),
        (
            "expected_bucket_owner",
            keep.get_attr("expected_bucket_owner").clone(),
        ),
        (
            "versioning_configuration",
            Value::List(vec![Value::map([
                ("status", Value::string(status)),
                (
                    "mfa_delete",
                    match mfa {
                        Some(m) => Value::string(m),
                        None => config_of(keep).get_attr("mfa_delete").clone(),
                    },
                ),
            ])]),
        ),
    ])
}

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let bucket = bucket_of(p);
    let cfg = config_of(p);
    let status = cfg
        .get_attr("status")
        .as_str()
        .unwrap_or("Enabled")
        .to_string();
    if status != "Disabled" {
        let mut vc = VersioningConfiguration::builder()
            .status(BucketVersioningStatus::from(status.as_str()));
        if let Some(m) = cfg.get_attr("mfa_delete").as_str() {
            vc = vc.mfa_delete(MfaDelete::from(m));
        }
        c.s3.put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(vc.build())
            .set_expected_bucket_owner(s(p, "expected_bucket_owner"))
            .send()
            .await
            .map_err(|e| vec![sdk_err("PutBucketVersioning", e)])?;
    }
    read_one(c, &bucket, p).await.map_err(|d| vec![d])
}

async fn read_one(
    c: &Clients,
    bucket: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    match c.s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(o) => {
            let status = match o.status() {
                Some(s) => s.as_str().to_string(),
                // Never versioned: what the configuration calls Disabled.
                None => "Disabled".to_string(),
            };
            let kept = config_of(keep)
                .get_attr("status")
                .as_str()
                .map(String::from);
            if status == "Disabled" && kept.as_deref().is_some_and(|k| k != "Disabled") {
                return Ok(None);
            }
            Ok(Some(value(
                bucket,
                &status,
                o.mfa_delete().map(|m| m.as_str()),
                keep,
            )))
        }
        Err(e) if no_bucket(&err_code(&e)) => Ok(None),
        Err(e) => match lenient(&e) {
            Some((status, mfa)) => {
                let kept = config_of(keep)
                    .get_attr("status")
                    .as_str()
                    .map(String::from);
                if status == "Disabled" && kept.as_deref().is_some_and(|k| k != "Disabled") {
                    return Ok(None);
                }
                Ok(Some(value(bucket, &status, mfa.as_deref(), keep)))
            }
            None => Err(sdk_err("GetBucketVersioning", e)),
        },
    }
}

/// A bucket's versioning status ("Enabled", "Suspended", or "Disabled" when
/// never versioned) and MFA delete setting; `None` when the bucket is gone.
pub(crate) async fn status(
    c: &Clients,
    bucket: &str,
) -> Result<Option<(String, Option<String>)>, AttrDiagnostic> {
    match c.s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(o) => Ok(Some((
            o.status().map_or("Disabled", |s| s.as_str()).to_string(),
            o.mfa_delete().map(|m| m.as_str().to_string()),
        ))),
        Err(e) if no_bucket(&err_code(&e)) => Ok(None),
        Err(e) => match lenient(&e) {
            Some(found) => Ok(Some(found)),
            None => Err(sdk_err("GetBucketVersioning", e)),
        },
    }
}

/// A successful answer the SDK could not parse because its XML root is not the
/// one S3 uses (S3-compatible stores and emulators wrap it differently): the
/// status read from the body itself. `None` for anything else.
fn lenient<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<(String, Option<String>)> {
    let raw = e.raw_response()?;
    if !raw.status().is_success() {
        return None;
    }
    let body = std::str::from_utf8(raw.body().bytes()?).ok()?;
    if !body.contains("Versioning") {
        return None;
    }
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find('<')? + start;
        Some(body[start..end].trim().to_string())
    };
    Some((
        tag("Status").unwrap_or_else(|| "Disabled".to_string()),
        tag("MfaDelete"),
    ))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for VersioningType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let cfg = Schema::new("The versioning state.")
            .attr(
                "status",
                Attribute::required(
                    Str,
                    "Enabled, Suspended, or Disabled (only for a bucket never versioned).",
                ),
            )
            .attr(
                "mfa_delete",
                Attribute::optional_computed(Str, "Enabled or Disabled."),
            );
        Schema::new("Versioning of an S3 bucket. Refresh is one GetBucketVersioning per bucket.")
            .attr(
                "bucket",
                Attribute::required(Str, "Name of the bucket.").force_new(),
            )
            .attr(
                "expected_bucket_owner",
                Attribute::optional(Str, "Account id the bucket must belong to.").force_new(),
            )
            .block(
                "versioning_configuration",
                nested(Nesting::List, 1, Some(1), cfg),
            )
            .attr("id", Attribute::computed(Str, "The bucket's name."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match config_of(config).get_attr("status").as_str() {
            Some("Enabled" | "Suspended" | "Disabled") | None => Vec::new(),
            Some(other) => vec![attr_err(
                "versioning_configuration",
                "Invalid versioning status",
                format!("\"{other}\": expected Enabled, Suspended or Disabled"),
            )],
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        put(c, planned).await
    }

    async fn update(
        &self,
        c: &Clients,
        _: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        put(c, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        if config_of(prior).get_attr("status").as_str() == Some("Disabled") {
            return Ok(());
        }
        let r =
            c.s3.put_bucket_versioning()
                .bucket(bucket_of(prior))
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send()
                .await;
        gone_ok("PutBucketVersioning", r, &[])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_settings(c, current, |bucket, keep| async move {
            read_one(c, &bucket, &keep).await
        })
        .await
    }
}
