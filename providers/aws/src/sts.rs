//! `data "aws_caller_identity"`: the account, ARN and user id of the credentials
//! iac runs with (one `GetCallerIdentity` call).

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{opt_str, sdk_err};
use crate::Clients;

pub(crate) struct CallerIdentityData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for CallerIdentityData {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Who iac is acting as.")
            .attr("account_id", Attribute::computed(Str, "The account id."))
            .attr("arn", Attribute::computed(Str, "ARN of the caller."))
            .attr(
                "user_id",
                Attribute::computed(Str, "Unique id of the caller."),
            )
            .attr("id", Attribute::computed(Str, "The account id."))
    }

    async fn read(&self, c: &Clients, _: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let who = c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| vec![sdk_err("GetCallerIdentity", e)])?;
        Ok(Value::map([
            ("account_id", opt_str(who.account())),
            ("arn", opt_str(who.arn())),
            ("user_id", opt_str(who.user_id())),
            ("id", opt_str(who.account())),
        ]))
    }
}
