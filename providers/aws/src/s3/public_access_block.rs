//! `aws_s3_bucket_public_access_block`: what public access S3 refuses for a bucket.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::util::sdk_err;
use crate::Clients;

pub(crate) struct PublicAccessBlockType;

const FLAGS: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

fn flag(v: &Value, name: &str) -> bool {
    v.get_attr(name).as_bool() == Some(true)
}

async fn put(c: &Clients, p: &Value) -> ApplyResult {
    let bucket = bucket_of(p);
    let cfg = PublicAccessBlockConfiguration::builder()
        .block_public_acls(flag(p, FLAGS[0]))
        .block_public_policy(flag(p, FLAGS[1]))
        .ignore_public_acls(flag(p, FLAGS[2]))
        .restrict_public_buckets(flag(p, FLAGS[3]))
        .build();
    c.s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(cfg)
        .set_expected_bucket_owner(s(p, "expected_bucket_owner"))
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutPublicAccessBlock", e)])?;
    read_one(c, &bucket, p).await.map_err(|d| vec![d])
}

async fn read_one(
    c: &Clients,
    bucket: &str,
    keep: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    match c.s3.get_public_access_block().bucket(bucket).send().await {
        Ok(o) => {
            let cfg = o.public_access_block_configuration();
            let get = |f: fn(&PublicAccessBlockConfiguration) -> Option<bool>| {
                Value::Bool(cfg.and_then(f).unwrap_or(false))
            };
            Ok(Some(Value::map([
                ("id", Value::string(bucket)),
                ("bucket", Value::string(bucket)),
                (
                    "expected_bucket_owner",
                    keep.get_attr("expected_bucket_owner").clone(),
                ),
                (FLAGS[0], get(|c| c.block_public_acls())),
                (FLAGS[1], get(|c| c.block_public_policy())),
                (FLAGS[2], get(|c| c.ignore_public_acls())),
                (FLAGS[3], get(|c| c.restrict_public_buckets())),
            ])))
        }
        Err(e) => {
            let code = err_code(&e);
            if no_bucket(&code) || code.as_deref() == Some("NoSuchPublicAccessBlockConfiguration") {
                Ok(None)
            } else {
                Err(sdk_err("GetPublicAccessBlock", e))
            }
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for PublicAccessBlockType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        let mut s = Schema::new(
            "The public access block of an S3 bucket. Refresh is one GetPublicAccessBlock per bucket.",
        )
        .attr("bucket", Attribute::required(Str, "Name of the bucket.").force_new())
        .attr(
            "expected_bucket_owner",
            Attribute::optional(Str, "Account id the bucket must belong to.").force_new(),
        )
        .attr("id", Attribute::computed(Str, "The bucket's name."))
        .attr(
            "skip_destroy",
            Attribute::optional(
                Bool,
                "Leave the block on the bucket when this resource is destroyed: only forget it (AWS provider 6; default false).",
            ),
        );
        for (f, about) in FLAGS.iter().zip([
            "Refuse requests that grant public ACLs (default false).",
            "Refuse bucket policies that grant public access (default false).",
            "Ignore public ACLs (default false).",
            "Allow only the owner's and AWS services' access under a public policy (default false).",
        ]) {
            s = s.attr(f, Attribute::optional_computed(Bool, about));
        }
        s
    }

    fn plan(
        &self,
        schema: &Schema,
        req: &iac_provider::PlanRequest<'_>,
    ) -> iac_provider::PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        // Unset flags are false, as in Terraform (not left to the cloud).
        for f in FLAGS {
            if req.config.get_attr(f).is_null() {
                crate::util::set(&mut r.planned, f, Value::Bool(false));
            }
        }
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
        if prior.get_attr("skip_destroy").as_bool() == Some(true) {
            return Ok(());
        }
        let r =
            c.s3.delete_public_access_block()
                .bucket(bucket_of(prior))
                .send()
                .await;
        gone_ok(
            "DeletePublicAccessBlock",
            r,
            &["NoSuchPublicAccessBlockConfiguration"],
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
