//! `data "aws_iam_role"`: an existing role, by name.

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::role::{get_role, role_value};
use crate::util::{attr_err, s};
use crate::Clients;

pub(crate) struct RoleData;

#[async_trait::async_trait]
impl DataSourceType<Clients> for RoleData {
    fn schema(&self) -> Schema {
        use AttrType::{Map, Number, String as Str};
        Schema::new("Finds an IAM role by name.")
            .attr("name", Attribute::required(Str, "Role name."))
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("unique_id", Attribute::computed(Str, "Stable id."))
            .attr("path", Attribute::computed(Str, "Path."))
            .attr(
                "assume_role_policy",
                Attribute::computed(Str, "Trust policy (JSON)."),
            )
            .attr("description", Attribute::computed(Str, "Description."))
            .attr(
                "max_session_duration",
                Attribute::computed(Number, "Longest session, seconds."),
            )
            .attr(
                "permissions_boundary",
                Attribute::computed(Str, "Boundary policy ARN."),
            )
            .attr("create_date", Attribute::computed(Str, "When it was made."))
            .attr("tags", Attribute::computed(Map(Box::new(Str)), "Tags."))
            .attr(
                "role_last_used",
                Attribute::computed(
                    AttrType::List(Box::new(Map(Box::new(Str)))),
                    "When and where the role was last used (empty strings: never).",
                ),
            )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let name = s(config, "name").unwrap_or_default();
        let Some(r) = get_role(c, &name).await.map_err(|d| vec![d])? else {
            return Err(vec![attr_err(
                "name",
                "No such role",
                format!("no IAM role is named \"{name}\""),
            )]);
        };
        let mut v = role_value(&r, &Value::Null);
        // As Terraform's provider: one entry when AWS says anything, strings empty
        // for what it leaves out (a role never used).
        let last_used = match r.role_last_used() {
            None => Value::List(Vec::new()),
            Some(u) => Value::List(vec![Value::map([
                ("region", Value::string(u.region().unwrap_or_default())),
                (
                    "last_used_date",
                    match super::date(u.last_used_date()) {
                        Value::Null => Value::string(""),
                        d => d,
                    },
                ),
            ])]),
        };
        if let Value::Map(m) = &mut v {
            m.remove("name_prefix");
            m.remove("force_detach_policies");
            m.insert("role_last_used".to_string(), last_used);
        }
        Ok(v)
    }
}
