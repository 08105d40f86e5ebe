//! `aws_default_security_group`: adopts a VPC's default security group (which
//! AWS makes with the VPC and never lets anyone delete) and manages its rules
//! exactly, as Terraform does: rules not in the configuration are removed, so no
//! blocks at all leaves the group with no rules. Destroying it only forgets it:
//! the group stays, with the rules it has.

use aws_sdk_ec2::types::Filter;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::update_tags;
use crate::sg::{describe_group, group_value, norm_rules, rules_from, sync_rules};
use crate::util::{attr_err, s, sdk_err, set};
use crate::Clients;

pub(crate) struct DefaultSecurityGroupType;

/// The id of a VPC's default security group.
pub(crate) async fn find_default(c: &Clients, vpc: &str) -> Result<Option<String>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_security_groups()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(
            Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .map(String::from))
}

async fn manage(c: &Clients, id: &str, old: Option<&Value>, p: &Value) -> ApplyResult {
    let g = describe_group(c, id).await.map_err(|d| vec![d])?;
    for (egress, k) in [(false, "ingress"), (true, "egress")] {
        let have = match old {
            Some(o) => o.get_attr(k).clone(),
            None if egress => rules_from(g.ip_permissions_egress(), id),
            None => rules_from(g.ip_permissions(), id),
        };
        let want = p.get_attr(k);
        let want = if want.is_null() {
            Value::List(Vec::new())
        } else {
            want.clone()
        };
        sync_rules(c, id, egress, &have, &want)
            .await
            .map_err(|d| vec![d])?;
    }
    let empty = Value::map([("tags", Value::Null)]);
    update_tags(c, id, old.unwrap_or(&empty), p)
        .await
        .map_err(|d| vec![d])?;
    let mut v = adopted(
        group_value(c, &describe_group(c, id).await.map_err(|d| vec![d])?),
        p,
    );
    set(&mut v, "vpc_id", p.get_attr("vpc_id").clone());
    Ok(Some(v))
}

/// A default group as read: its name ("default") has no generated suffix, so
/// no prefix; Terraform's state holds "" for it, and so does iac's. What only
/// the configuration knows is `keep`'s.
fn adopted(mut g: Value, keep: &Value) -> Value {
    set(&mut g, "name_prefix", Value::string(""));
    set(
        &mut g,
        "revoke_rules_on_delete",
        keep.get_attr("revoke_rules_on_delete").clone(),
    );
    g
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DefaultSecurityGroupType {
    fn schema(&self) -> Schema {
        let mut s = crate::ec2::security_group::SecurityGroupType.schema();
        s.description = "Adopts a VPC's default security group and manages its rules exactly (no blocks: no rules).";
        for name in ["name", "description"] {
            s.attributes.insert(
                name.to_string(),
                Attribute::computed(AttrType::String, "As AWS made it."),
            );
        }
        s.attributes.insert(
            "name_prefix".to_string(),
            Attribute::computed(
                AttrType::String,
                "Empty: a default group's name has no prefix.",
            ),
        );
        s.attributes.insert(
            "revoke_rules_on_delete".to_string(),
            Attribute::optional(
                AttrType::Bool,
                "Accepted as in Terraform, with no effect: a default group is never deleted (a warning says so).",
            ),
        );
        s.attributes.insert(
            "vpc_id".to_string(),
            Attribute::optional_computed(AttrType::String, "The VPC whose default group this is.")
                .force_new(),
        );
        s
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if config.get_attr("vpc_id").is_null() {
            return vec![attr_err(
                "vpc_id",
                "Missing VPC",
                "set vpc_id: iac adopts the default security group of that VPC (EC2-Classic is gone)",
            )];
        }
        let mut out = Vec::new();
        if config.get_attr("revoke_rules_on_delete").as_bool() == Some(true) {
            out.push(AttrDiagnostic {
                severity: iac_provider::Severity::Warning,
                path: vec![iac_value::PathStep::Key("revoke_rules_on_delete".into())],
                summary: "Argument has no effect".into(),
                detail: "a default security group is never deleted: leaving the configuration only forgets it, with its rules as they are (Terraform ignores this argument here too)".into(),
            });
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        for k in ["ingress", "egress"] {
            let rules = match req.config.get_attr(k) {
                v if v.is_unknown() => Value::Unknown,
                v if v.is_null() => Value::set(Vec::new()),
                v => norm_rules(v),
            };
            set(&mut r.planned, k, rules);
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let vpc = s(p, "vpc_id").unwrap_or_default();
        let Some(id) = find_default(c, &vpc).await.map_err(|d| vec![d])? else {
            return Err(vec![attr_err(
                "vpc_id",
                "No default security group",
                format!("VPC {vpc} has no default security group"),
            )]);
        };
        manage(c, &id, None, p).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        manage(c, &s(prior, "id").unwrap_or_default(), Some(prior), p).await
    }

    /// Only forgotten: AWS deletes a default group with its VPC.
    async fn delete(
        &self,
        _: &Clients,
        _: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current
            .iter()
            .map(|v| s(v, "id").unwrap_or_default())
            .collect();
        match crate::sg::read_groups(c, &ids).await {
            Ok(found) => current
                .iter()
                .zip(&ids)
                .map(|(v, id)| {
                    Ok(found.iter().find(|(gid, _)| gid == id).map(|(_, g)| {
                        let mut g = adopted(g.clone(), v);
                        if !v.get_attr("vpc_id").is_null() {
                            set(&mut g, "vpc_id", v.get_attr("vpc_id").clone());
                        }
                        g
                    }))
                })
                .collect(),
            Err(crate::ec2::ReadErr::Missing(_)) => current.iter().map(|_| Ok(None)).collect(),
            Err(crate::ec2::ReadErr::Other(d)) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
