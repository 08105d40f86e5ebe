//! `data "aws_s3_bucket"`: an existing bucket, by name.

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{attr_err, err_code, opt_str, s, sdk_err};
use crate::Clients;

pub(crate) struct BucketData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for BucketData {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Finds an S3 bucket by name.")
            .attr("bucket", Attribute::required(Str, "Bucket name."))
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("region", Attribute::computed(Str, "Region of the bucket."))
            .attr(
                "bucket_domain_name",
                Attribute::computed(Str, "NAME.s3.amazonaws.com."),
            )
            .attr(
                "bucket_regional_domain_name",
                Attribute::computed(Str, "NAME.s3.REGION.amazonaws.com."),
            )
            .attr(
                "hosted_zone_id",
                Attribute::computed(
                    Str,
                    "Route 53 hosted zone of the region's S3 website endpoints (for alias records).",
                ),
            )
            .attr(
                "website_endpoint",
                Attribute::computed(Str, "Website endpoint, when the bucket is a website."),
            )
            .attr(
                "website_domain",
                Attribute::computed(
                    Str,
                    "Domain of the website endpoint, when the bucket is a website.",
                ),
            )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let name = s(config, "bucket").unwrap_or_default();
        match c.s3.head_bucket().bucket(&name).send().await {
            Ok(_) => {}
            Err(e)
                if super::no_bucket(&err_code(&e))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                return Err(vec![attr_err(
                    "bucket",
                    "No such bucket",
                    format!("no bucket is named \"{name}\""),
                )])
            }
            Err(e) => return Err(vec![sdk_err("HeadBucket", e)]),
        }
        let region = match c.s3.get_bucket_location().bucket(&name).send().await {
            Ok(o) => o
                .location_constraint()
                .map(|l| l.as_str().to_string())
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "us-east-1".to_string()),
            Err(e) => return Err(vec![sdk_err("GetBucketLocation", e)]),
        };
        let (partition, suffix, _) = crate::region::partition_of(&region);
        // The website endpoint is there only for a bucket that is a website.
        let (endpoint, domain) = match c.s3.get_bucket_website().bucket(&name).send().await {
            Ok(_) => {
                let (e, d) = super::regions::website_host(&name, &region);
                (Value::String(e), Value::String(d))
            }
            Err(e) if err_code(&e).as_deref() == Some("NoSuchWebsiteConfiguration") => {
                (Value::Null, Value::Null)
            }
            Err(e) => return Err(vec![sdk_err("GetBucketWebsite", e)]),
        };
        Ok(Value::map([
            (
                "hosted_zone_id",
                opt_str(super::regions::hosted_zone_id(&region)),
            ),
            ("website_endpoint", endpoint),
            ("website_domain", domain),
            ("bucket", Value::string(&name)),
            ("id", Value::string(&name)),
            ("arn", Value::string(format!("arn:{partition}:s3:::{name}"))),
            ("region", Value::string(&region)),
            (
                "bucket_domain_name",
                Value::string(format!("{name}.s3.{suffix}")),
            ),
            (
                "bucket_regional_domain_name",
                Value::string(format!("{name}.s3.{region}.{suffix}")),
            ),
        ]))
    }
}
