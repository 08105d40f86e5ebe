//! `aws_iam_instance_profile`: what lets an EC2 instance (or launch template)
//! take a role.

use aws_sdk_iam::types::InstanceProfile;
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::schema::tags;
use crate::util::{attr_err, err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct InstanceProfileType;

fn profile_value(p: &InstanceProfile, keep: &Value) -> Value {
    Value::map([
        ("id", Value::string(p.instance_profile_name())),
        ("name", Value::string(p.instance_profile_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("path", Value::string(p.path())),
        ("arn", Value::string(p.arn())),
        ("unique_id", Value::string(p.instance_profile_id())),
        ("create_date", date(Some(p.create_date()))),
        (
            "role",
            p.roles()
                .first()
                .map(|r| Value::string(r.role_name()))
                .unwrap_or(Value::Null),
        ),
        ("tags", tags_value(p.tags())),
    ])
}

async fn get(c: &Clients, name: &str) -> Result<Option<InstanceProfile>, AttrDiagnostic> {
    match c
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.instance_profile().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("GetInstanceProfile", e)),
    }
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> ApplyResult {
    Ok(get(c, name)
        .await
        .map_err(|d| vec![d])?
        .map(|p| profile_value(&p, keep)))
}

/// Puts the role the configuration names in the profile (a profile holds at most one).
async fn set_role(
    c: &Clients,
    name: &str,
    was: Option<String>,
    now: Option<String>,
) -> Result<(), Vec<AttrDiagnostic>> {
    if was == now {
        return Ok(());
    }
    if let Some(old) = was {
        match c
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(name)
            .role_name(old)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(err_code(&e)) => {}
            Err(e) => return Err(vec![sdk_err("RemoveRoleFromInstanceProfile", e)]),
        }
    }
    if let Some(new) = now {
        match c
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(new)
            .send()
            .await
        {
            Ok(_) => {}
            // A retried create finds the role already in place.
            Err(e) if err_code(&e).as_deref() == Some("LimitExceeded") => {}
            Err(e) => return Err(vec![sdk_err("AddRoleToInstanceProfile", e)]),
        }
    }
    Ok(())
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = name_for(p, token);
    let r = c
        .iam
        .create_instance_profile()
        .instance_profile_name(&name)
        .path(s(p, "path").unwrap_or_else(|| "/".into()))
        .set_tags(Some(iam_tags(p, Some(token))))
        .send()
        .await;
    let role_now = match r {
        Ok(_) => None,
        Err(e) if exists(&err_code(&e)) => {
            let found = get(c, &name).await.map_err(|d| vec![d])?;
            match found {
                Some(f) if has_token(f.tags(), token) => {
                    f.roles().first().map(|r| r.role_name().to_string())
                }
                _ => {
                    return Err(vec![attr_err(
                        "name",
                        "Instance profile already exists",
                        format!("an instance profile named \"{name}\" exists and was not created by this plan; import it, or choose another name"),
                    )])
                }
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateInstanceProfile", e)]),
    };
    set_role(c, &name, role_now, s(p, "role")).await?;
    read_one(c, &name, p).await
}

async fn update(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let name = s(old, "name").unwrap_or_default();
    set_role(c, &name, s(old, "role"), s(p, "role")).await?;
    if let Some((gone, _)) = crate::util::tag_change(old, p) {
        if !gone.is_empty() {
            c.iam
                .untag_instance_profile()
                .instance_profile_name(&name)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UntagInstanceProfile", e)])?;
        }
        let add = iam_tags(p, None);
        if !add.is_empty() {
            c.iam
                .tag_instance_profile()
                .instance_profile_name(&name)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| vec![sdk_err("TagInstanceProfile", e)])?;
        }
    }
    read_one(c, &name, p).await
}

#[async_trait::async_trait]
impl ResourceType<Clients> for InstanceProfileType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new(
            "An IAM instance profile. IAM has no batch read: refresh is one GetInstanceProfile per profile.",
        )
        .attr(
            "name",
            Attribute::optional_computed(Str, "Name (default: generated from name_prefix).")
                .force_new(),
        )
        .attr(
            "name_prefix",
            Attribute::optional(Str, "Prefix of a generated name.").force_new(),
        )
        .attr(
            "path",
            Attribute::optional_computed(Str, "Path (default \"/\").").force_new(),
        )
        .attr("role", Attribute::optional(Str, "Name of the role it carries."))
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("unique_id", Attribute::computed(Str, "Stable id (AIPA...)."))
        .attr("create_date", Attribute::computed(Str, "When it was made (RFC 3339)."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if crate::util::both_set(config, "name", "name_prefix") {
            return vec![attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            )];
        }
        Vec::new()
    }

    fn plan(
        &self,
        schema: &Schema,
        req: &iac_provider::PlanRequest<'_>,
    ) -> iac_provider::PlanResponse {
        crate::kit::aws_plan(schema, req)
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
        update(c, prior, planned).await
    }

    /// The role leaves the profile first: IAM deletes only an empty profile.
    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let name = s(prior, "name").unwrap_or_default();
        if let Some(p) = get(c, &name).await.map_err(|d| vec![d])? {
            for r in p.roles() {
                set_role(c, &name, Some(r.role_name().to_string()), None).await?;
            }
        }
        match c
            .iam
            .delete_instance_profile()
            .instance_profile_name(&name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteInstanceProfile", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let name = s(v, "name").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(get(c, &name).await.map(|p| p.map(|p| profile_value(&p, v))));
        }
        out
    }
}
