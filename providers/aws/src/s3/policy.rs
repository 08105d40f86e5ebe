//! `aws_s3_bucket_policy`: a bucket's resource policy (compared as JSON).

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::iam::{document_value, keep_equivalent_documents, validate_document};
use crate::util::sdk_err;
use crate::Clients;

pub(crate) struct BucketPolicyType;

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let bucket = bucket_of(p);
    c.s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(s(p, "policy").unwrap_or_default())
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutBucketPolicy", e)])?;
    read_one(c, &bucket, p).await.map_err(|d| vec![d])
}

async fn read_one(
    c: &Clients,
    bucket: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    match c.s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(o) => Ok(Some(Value::map([
            ("id", Value::string(bucket)),
            ("bucket", Value::string(bucket)),
            ("policy", document_value(o.policy(), keep, "policy")),
        ]))),
        Err(e) => {
            let code = err_code(&e);
            if no_bucket(&code) || code.as_deref() == Some("NoSuchBucketPolicy") {
                Ok(None)
            } else {
                Err(sdk_err("GetBucketPolicy", e))
            }
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for BucketPolicyType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("The policy of an S3 bucket. Refresh is one GetBucketPolicy per bucket.")
            .attr(
                "bucket",
                Attribute::required(Str, "Name of the bucket.").force_new(),
            )
            .attr(
                "policy",
                Attribute::required(Str, "The policy document (JSON). Compared as JSON."),
            )
            .attr("id", Attribute::computed(Str, "The bucket's name."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_document(config, "policy")
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        r
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
            c.s3.delete_bucket_policy()
                .bucket(bucket_of(prior))
                .send()
                .await;
        gone_ok("DeleteBucketPolicy", r, &["NoSuchBucketPolicy"])
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
