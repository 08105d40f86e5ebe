//! `data "aws_canonical_user_id"`: the canonical user id of the account iac
//! runs as, which S3 ACL grants name (one `ListBuckets` call, as Terraform's
//! provider makes it).

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{opt_str, sdk_err};
use crate::Clients;

pub(crate) struct CanonicalUserData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for CanonicalUserData {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("The account's canonical user id, for S3 ACL grants.")
            .attr("id", Attribute::computed(Str, "The canonical user id."))
            .attr(
                "display_name",
                Attribute::computed(Str, "The owner's display name (empty in most Regions now)."),
            )
    }

    async fn read(&self, c: &Clients, _: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let out =
            c.s3.list_buckets()
                .max_buckets(1)
                .send()
                .await
                .map_err(|e| vec![sdk_err("ListBuckets", e)])?;
        let owner = out.owner();
        Ok(Value::map([
            ("id", opt_str(owner.and_then(|o| o.id()))),
            (
                "display_name",
                Value::string(owner.and_then(|o| o.display_name()).unwrap_or_default()),
            ),
        ]))
    }
}
