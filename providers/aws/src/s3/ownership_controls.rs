//! `aws_s3_bucket_ownership_controls`: who owns objects written to a bucket.

use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::nested;
use crate::util::{attr_err, sdk_err};
use crate::Clients;

pub(crate) struct OwnershipControlsType;

fn ownership_of(v: &Value) -> Option<String> {
    v.get_attr("rule")
        .as_list()
        .and_then(|l| l.first())
        .and_then(|r| r.get_attr("object_ownership").as_str())
        .map(String::from)
}

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let bucket = bucket_of(p);
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::from(
            ownership_of(p).unwrap_or_default().as_str(),
        ))
        .build()
        .map_err(|e| vec![attr_err("rule", "Invalid rule", e.to_string())])?;
    let controls = OwnershipControls::builder()
        .rules(rule)
        .build()
        .map_err(|e| vec![attr_err("rule", "Invalid rule", e.to_string())])?;
    c.s3.put_bucket_ownership_controls()
        .bucket(&bucket)
        .ownership_controls(controls)
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutBucketOwnershipControls", e)])?;
    read_one(c, &bucket).await.map_err(|d| vec![d])
}

async fn read_one(c: &Clients, bucket: &str) -> Result<Option<Value>, AttrDiagnostic> {
    match c
        .s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(o) => {
            let ownership = o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string());
            Ok(Some(Value::map([
                ("id", Value::string(bucket)),
                ("bucket", Value::string(bucket)),
                (
                    "rule",
                    Value::List(vec![Value::map([(
                        "object_ownership",
                        ownership.map(Value::string).unwrap_or(Value::Null),
                    )])]),
                ),
            ])))
        }
        Err(e) => {
            let code = err_code(&e);
            if no_bucket(&code) || code.as_deref() == Some("OwnershipControlsNotFoundError") {
                Ok(None)
            } else {
                Err(sdk_err("GetBucketOwnershipControls", e))
            }
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for OwnershipControlsType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let rule = Schema::new("The ownership rule.").attr(
            "object_ownership",
            Attribute::required(
                Str,
                "BucketOwnerPreferred, ObjectWriter or BucketOwnerEnforced.",
            ),
        );
        Schema::new("Object ownership of an S3 bucket. Refresh is one call per bucket.")
            .attr(
                "bucket",
                Attribute::required(Str, "Name of the bucket.").force_new(),
            )
            .block("rule", nested(Nesting::List, 1, Some(1), rule))
            .attr("id", Attribute::computed(Str, "The bucket's name."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match ownership_of(config).as_deref() {
            None | Some("BucketOwnerPreferred" | "ObjectWriter" | "BucketOwnerEnforced") => Vec::new(),
            Some(other) => vec![attr_err(
                "rule",
                "Invalid object ownership",
                format!("\"{other}\": expected BucketOwnerPreferred, ObjectWriter or BucketOwnerEnforced"),
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
        let r =
            c.s3.delete_bucket_ownership_controls()
                .bucket(bucket_of(prior))
                .send()
                .await;
        gone_ok(
            "DeleteBucketOwnershipControls",
            r,
            &["OwnershipControlsNotFoundError"],
        )
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_settings(
            c,
            current,
            |bucket, _| async move { read_one(c, &bucket).await },
        )
        .await
    }
}
