//! `aws_s3_bucket_server_side_encryption_configuration`: how S3 encrypts objects
//! written to a bucket by default.

use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::nested;
use crate::util::{attr_err, sdk_err};
use crate::Clients;

pub(crate) struct SseType;

use crate::util::first;

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let bucket = bucket_of(p);
    let mut rules = Vec::new();
    for r in p.get_attr("rule").as_list().unwrap_or_default() {
        let d = first(r, "apply_server_side_encryption_by_default");
        let mut rule = ServerSideEncryptionRule::builder()
            .set_bucket_key_enabled(r.get_attr("bucket_key_enabled").as_bool());
        if !d.is_null() {
            let by_default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(
                    d.get_attr("sse_algorithm").as_str().unwrap_or("AES256"),
                ))
                .set_kms_master_key_id(s(&d, "kms_master_key_id"))
                .build()
                .map_err(|e| vec![attr_err("rule", "Invalid rule", e.to_string())])?;
            rule = rule.apply_server_side_encryption_by_default(by_default);
        }
        rules.push(rule.build());
    }
    let cfg = ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| vec![attr_err("rule", "Invalid rule", e.to_string())])?;
    c.s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(cfg)
        .set_expected_bucket_owner(s(p, "expected_bucket_owner"))
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutBucketEncryption", e)])?;
    read_one(c, &bucket, p).await.map_err(|d| vec![d])
}

async fn read_one(
    c: &Clients,
    bucket: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    match c.s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(o) => {
            let rules: Vec<Value> = o
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let d = r.apply_server_side_encryption_by_default();
                    Value::map([
                        (
                            "apply_server_side_encryption_by_default",
                            match d {
                                Some(d) => Value::List(vec![Value::map([
                                    ("sse_algorithm", Value::string(d.sse_algorithm().as_str())),
                                    (
                                        "kms_master_key_id",
                                        d.kms_master_key_id()
                                            .map(Value::string)
                                            .unwrap_or(Value::Null),
                                    ),
                                ])]),
                                None => Value::Null,
                            },
                        ),
                        (
                            "bucket_key_enabled",
                            r.bucket_key_enabled()
                                .map(Value::Bool)
                                .unwrap_or(Value::Null),
                        ),
                    ])
                })
                .collect();
            Ok(Some(Value::map([
                ("id", Value::string(bucket)),
                ("bucket", Value::string(bucket)),
                (
                    "expected_bucket_owner",
                    keep.get_attr("expected_bucket_owner").clone(),
                ),
                ("rule", Value::List(rules)),
            ])))
        }
        Err(e) => {
            let code = err_code(&e);
            if no_bucket(&code)
                || code.as_deref() == Some("ServerSideEncryptionConfigurationNotFoundError")
            {
                Ok(None)
            } else {
                Err(sdk_err("GetBucketEncryption", e))
            }
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SseType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        let by_default = Schema::new("The default encryption.")
            .attr(
                "sse_algorithm",
                Attribute::required(Str, "AES256, aws:kms or aws:kms:dsse."),
            )
            .attr(
                "kms_master_key_id",
                Attribute::optional(Str, "KMS key for aws:kms."),
            );
        let rule = Schema::new("An encryption rule.")
            .block(
                "apply_server_side_encryption_by_default",
                nested(Nesting::List, 0, Some(1), by_default),
            )
            .attr(
                "bucket_key_enabled",
                Attribute::optional_computed(
                    Bool,
                    "Use an S3 Bucket Key for aws:kms (default false).",
                ),
            );
        Schema::new(
            "Default encryption of an S3 bucket. Refresh is one GetBucketEncryption per bucket.",
        )
        .attr(
            "bucket",
            Attribute::required(Str, "Name of the bucket.").force_new(),
        )
        .attr(
            "expected_bucket_owner",
            Attribute::optional(Str, "Account id the bucket must belong to.").force_new(),
        )
        .block("rule", nested(Nesting::List, 1, None, rule))
        .attr("id", Attribute::computed(Str, "The bucket's name."))
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
        let r =
            c.s3.delete_bucket_encryption()
                .bucket(bucket_of(prior))
                .send()
                .await;
        gone_ok(
            "DeleteBucketEncryption",
            r,
            &["ServerSideEncryptionConfigurationNotFoundError"],
        )
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
