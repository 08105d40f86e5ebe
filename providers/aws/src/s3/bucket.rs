//! `aws_s3_bucket`: a bucket. Its settings are resources of their own
//! (`aws_s3_bucket_versioning`, ...), as in Terraform's AWS provider since 4.0.

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};

use super::*;
use crate::ec2::TOKEN_TAG;
use crate::schema::tags;
use crate::util::{attr_err, err_code, s, sdk_err, tag_map, tags_of};
use crate::Clients;

pub(crate) struct BucketType;

fn region(c: &Clients) -> String {
    c.s3.config()
        .region()
        .map(|r| r.as_ref().to_string())
        .unwrap_or_else(|| "us-east-1".into())
}

fn bucket_value(c: &Clients, name: &str, tags: Value, keep: &Value) -> Value {
    let region = region(c);
    let (partition, suffix, _) = crate::region::partition_of(&region);
    Value::map([
        ("id", Value::string(name)),
        ("bucket", Value::string(name)),
        ("bucket_prefix", keep.get_attr("bucket_prefix").clone()),
        ("force_destroy", keep.get_attr("force_destroy").clone()),
        (
            "object_lock_enabled",
            match keep.get_attr("object_lock_enabled") {
                Value::Bool(b) => Value::Bool(*b),
                _ => Value::Bool(false),
            },
        ),
        ("arn", Value::string(format!("arn:{partition}:s3:::{name}"))),
        ("region", Value::string(&region)),
        (
            "hosted_zone_id",
            crate::util::opt_str(super::regions::hosted_zone_id(&region)),
        ),
        (
            "bucket_domain_name",
            Value::string(format!("{name}.s3.{suffix}")),
        ),
        (
            "bucket_regional_domain_name",
            Value::string(format!("{name}.s3.{region}.{suffix}")),
        ),
        ("tags", tags),
    ])
}

/// The bucket's tags, with iac's creation tag (`None`: the bucket is gone).
async fn tagging(c: &Clients, name: &str) -> Result<Option<Vec<Tag>>, AttrDiagnostic> {
    match c.s3.get_bucket_tagging().bucket(name).send().await {
        Ok(o) => Ok(Some(o.tag_set().to_vec())),
        Err(e) => {
            let code = err_code(&e);
            if code.as_deref() == Some("NoSuchTagSet") {
                Ok(Some(Vec::new()))
            } else if no_bucket(&code) {
                Ok(None)
            } else {
                Err(sdk_err("GetBucketTagging", e))
            }
        }
    }
}

fn tags_value(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

/// Puts the configuration's tags (and the creation tag, kept for good).
async fn put_tags(
    c: &Clients,
    name: &str,
    p: &Value,
    token: &str,
) -> Result<(), Vec<AttrDiagnostic>> {
    let mut set: Vec<Tag> = tags_of(p)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    set.extend(Tag::builder().key(TOKEN_TAG).value(token).build().ok());
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| vec![attr_err("tags", "Invalid tags", e.to_string())])?;
    c.s3.put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutBucketTagging", e)])?;
    Ok(())
}

/// The name to create: `bucket`, else `bucket_prefix` (default `terraform-`) and
/// a suffix from the idempotency token (lower case, as bucket names must be).
fn name_for(p: &Value, token: &str) -> String {
    if let Some(n) = s(p, "bucket") {
        return n;
    }
    let prefix = s(p, "bucket_prefix").unwrap_or_else(|| "terraform-".into());
    let room = 63usize.saturating_sub(prefix.len()).min(26);
    let suffix: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(room)
        .collect();
    format!("{prefix}{suffix}")
}

fn token_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == TOKEN_TAG)
        .map(|t| t.value())
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = name_for(p, token);
    let region = region(c);
    let mut req = c.s3.create_bucket().bucket(&name);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    if p.get_attr("object_lock_enabled").as_bool() == Some(true)
        || super::bucket_inline::object_lock_inline(p)
    {
        req = req.object_lock_enabled_for_bucket(true);
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if err_code(&e).as_deref() == Some("BucketAlreadyOwnedByYou") => {
            // Ours only if an earlier attempt of this very create tagged it.
            let tags = tagging(c, &name).await.map_err(|d| vec![d])?;
            if tags.as_deref().and_then(token_of) != Some(token) {
                return Err(vec![attr_err(
                    "bucket",
                    "Bucket already exists",
                    format!("you already own a bucket named \"{name}\" that this plan did not create; import it (iac import aws_s3_bucket.NAME {name}), or choose another name"),
                )]);
            }
        }
        Err(e) if err_code(&e).as_deref() == Some("BucketAlreadyExists") => {
            return Err(vec![attr_err(
                "bucket",
                "Bucket name taken",
                format!("bucket names are global, and \"{name}\" belongs to another account; choose another name, or use bucket_prefix"),
            )])
        }
        Err(e) => return Err(vec![sdk_err("CreateBucket", e)]),
    }
    put_tags(c, &name, p, token).await?;
    super::bucket_inline::apply(c, &name, None, p)
        .await
        .map_err(|d| vec![d])?;
    read_one(c, &name, p).await
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> ApplyResult {
    let tags = tagging(c, name).await.map_err(|d| vec![d])?;
    let Some(t) = tags else { return Ok(None) };
    let mut v = bucket_value(c, name, tags_value(&t), keep);
    super::bucket_inline::read(c, name, &region(c), keep, &mut v)
        .await
        .map_err(|d| vec![d])?;
    Ok(Some(v))
}

/// Every object version and delete marker, in batches of 1,000 (`force_destroy`).
async fn empty(c: &Clients, name: &str) -> Result<(), Vec<AttrDiagnostic>> {
    loop {
        let page = match c.s3.list_object_versions().bucket(name).send().await {
            Ok(p) => p,
            Err(e) if no_bucket(&err_code(&e)) => return Ok(()),
            Err(e) => return Err(vec![sdk_err("ListObjectVersions", e)]),
        };
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| {
                ObjectIdentifier::builder()
                    .set_key(k.map(String::from))
                    .set_version_id(v.map(String::from))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| {
                vec![attr_err(
                    "force_destroy",
                    "Cannot empty the bucket",
                    e.to_string(),
                )]
            })?;
        c.s3.delete_objects()
            .bucket(name)
            .delete(delete)
            .send()
            .await
            .map_err(|e| vec![sdk_err("DeleteObjects", e)])?;
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for BucketType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        super::bucket_inline::schema(Schema::new(
            "An S3 bucket. Refresh lists the buckets once and reads each one's tags (S3 has no batch read of tags), and each setting written inline.",
        ))
        .attr(
            "bucket",
            Attribute::optional_computed(Str, "Name (default: generated from bucket_prefix).")
                .force_new(),
        )
        .attr(
            "bucket_prefix",
            Attribute::optional(Str, "Prefix of a generated name.").force_new(),
        )
        .attr(
            "force_destroy",
            Attribute::optional(
                Bool,
                "Delete every object (and version) when the bucket is destroyed; without it a bucket that holds objects is not deleted.",
            ),
        )
        .attr(
            "object_lock_enabled",
            Attribute::optional_computed(Bool, "Object Lock on (only at creation).").force_new(),
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("region", Attribute::computed(Str, "Region of the bucket."))
        .attr(
            "hosted_zone_id",
            Attribute::computed(Str, "Route 53 hosted zone of the region's S3 website endpoints (for alias records)."),
        )
        .attr(
            "bucket_domain_name",
            Attribute::computed(Str, "NAME.s3.amazonaws.com."),
        )
        .attr(
            "bucket_regional_domain_name",
            Attribute::computed(Str, "NAME.s3.REGION.amazonaws.com."),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if crate::util::both_set(config, "bucket", "bucket_prefix") {
            out.push(attr_err(
                "bucket_prefix",
                "Conflicting arguments",
                "set `bucket` or `bucket_prefix`, not both",
            ));
        }
        out.extend(crate::iam::validate_document(config, "policy"));
        out.extend(super::bucket_inline::validate(config));
        if let Some(n) = config.get_attr("bucket").as_str() {
            let ok = (3..=63).contains(&n.len())
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
                && n.starts_with(|c: char| c.is_ascii_alphanumeric())
                && n.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                out.push(attr_err(
                    "bucket",
                    "Invalid bucket name",
                    format!("\"{n}\": a bucket name is 3 to 63 lower-case letters, digits, dots and hyphens, beginning and ending with a letter or digit"),
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan_with(
            schema,
            req,
            &|planned| super::bucket_inline::plan(req.prior, req.config, planned),
            &|_, _| {},
        );
        crate::iam::keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let name = s(prior, "bucket").unwrap_or_default();
        if tags_of(prior) != tags_of(planned) {
            let token = tagging(c, &name)
                .await
                .map_err(|d| vec![d])?
                .and_then(|t| token_of(&t).map(String::from))
                .unwrap_or_default();
            put_tags(c, &name, planned, &token).await?;
        }
        super::bucket_inline::apply(c, &name, Some(prior), planned)
            .await
            .map_err(|d| vec![d])?;
        read_one(c, &name, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let name = s(prior, "bucket").unwrap_or_default();
        if prior.get_attr("force_destroy").as_bool() == Some(true) {
            empty(c, &name).await?;
        }
        match c.s3.delete_bucket().bucket(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) if no_bucket(&err_code(&e)) => Ok(()),
            Err(e) if err_code(&e).as_deref() == Some("BucketNotEmpty") => Err(vec![attr_err(
                "force_destroy",
                "The bucket holds objects",
                format!("S3 deletes only an empty bucket, and \"{name}\" is not; empty it, or set force_destroy = true (and apply) so that destroy deletes its objects"),
            )]),
            Err(e) => Err(vec![sdk_err("DeleteBucket", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_settings(c, current, |name, keep| async move {
            let Some(t) = tagging(c, &name).await? else {
                return Ok(None);
            };
            let mut v = bucket_value(c, &name, tags_value(&t), &keep);
            super::bucket_inline::read(c, &name, &region(c), &keep, &mut v).await?;
            Ok(Some(v))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_names_are_lower_case_and_fit() {
        let p = iac_value::Value::map([("bucket_prefix", iac_value::Value::string("logs-"))]);
        let n = super::name_for(&p, "AbC-123-XyZ");
        assert_eq!(n, "logs-abc123xyz");
        assert!(n.len() <= 63);
    }
}
