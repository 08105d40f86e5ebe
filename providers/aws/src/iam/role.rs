//! `aws_iam_role`: a role that principals (a service, an account) may assume.

use aws_sdk_iam::types::Role;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, int, opt_str, s, same, sdk_err};
use crate::Clients;

pub(crate) struct RoleType;

pub(crate) fn role_value(r: &Role, keep: &Value) -> Value {
    Value::map([
        ("id", Value::string(r.role_name())),
        ("name", Value::string(r.role_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("path", Value::string(r.path())),
        ("arn", Value::string(r.arn())),
        ("unique_id", Value::string(r.role_id())),
        ("create_date", date(Some(r.create_date()))),
        (
            "assume_role_policy",
            document_value(r.assume_role_policy_document(), keep, "assume_role_policy"),
        ),
        ("description", opt_str(r.description())),
        (
            "max_session_duration",
            r.max_session_duration()
                .map(|n| Value::num(f64::from(n)))
                .unwrap_or(Value::Null),
        ),
        (
            "permissions_boundary",
            opt_str(
                r.permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn()),
            ),
        ),
        (
            "force_detach_policies",
            keep.get_attr("force_detach_policies").clone(),
        ),
        ("tags", tags_value(r.tags())),
    ])
}

pub(crate) async fn get_role(c: &Clients, name: &str) -> Result<Option<Role>, AttrDiagnostic> {
    match c.iam.get_role().role_name(name).send().await {
        Ok(o) => Ok(o.role().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("GetRole", e)),
    }
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = name_for(p, token);
    let r = c
        .iam
        .create_role()
        .role_name(&name)
        .path(s(p, "path").unwrap_or_else(|| "/".into()))
        .assume_role_policy_document(s(p, "assume_role_policy").unwrap_or_default())
        .set_description(s(p, "description"))
        .set_max_session_duration(int(p, "max_session_duration"))
        .set_permissions_boundary(s(p, "permissions_boundary"))
        .set_tags(Some(iam_tags(p, Some(token))))
        .send()
        .await;
    match r {
        Ok(_) => {}
        Err(e) if exists(&err_code(&e)) => {
            // Made by an earlier attempt of this very create (its token), or not ours.
            let ours = get_role(c, &name)
                .await
                .map_err(|d| vec![d])?
                .is_some_and(|r| has_token(r.tags(), token));
            if !ours {
                return Err(vec![attr_err(
                    "name",
                    "Role already exists",
                    format!("an IAM role named \"{name}\" exists and was not created by this plan; import it (iac import aws_iam_role.NAME {name}), or choose another name"),
                )]);
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateRole", e)]),
    }
    read_one(c, &name, p).await
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> ApplyResult {
    let r = get_role(c, name).await.map_err(|d| vec![d])?;
    Ok(r.map(|r| role_value(&r, keep)))
}

async fn update(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let name = s(old, "name").unwrap_or_default();
    let changed = |k: &str| !same(old.get_attr(k), p.get_attr(k));
    if changed("assume_role_policy") {
        c.iam
            .update_assume_role_policy()
            .role_name(&name)
            .policy_document(s(p, "assume_role_policy").unwrap_or_default())
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateAssumeRolePolicy", e)])?;
    }
    if changed("description") || changed("max_session_duration") {
        c.iam
            .update_role()
            .role_name(&name)
            .description(s(p, "description").unwrap_or_default())
            .set_max_session_duration(int(p, "max_session_duration"))
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateRole", e)])?;
    }
    if changed("permissions_boundary") {
        match s(p, "permissions_boundary") {
            Some(arn) => c
                .iam
                .put_role_permissions_boundary()
                .role_name(&name)
                .permissions_boundary(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("PutRolePermissionsBoundary", e)])?,
            None => c
                .iam
                .delete_role_permissions_boundary()
                .role_name(&name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("DeleteRolePermissionsBoundary", e)])?,
        }
    }
    if let Some((gone, _)) = crate::util::tag_change(old, p) {
        if !gone.is_empty() {
            c.iam
                .untag_role()
                .role_name(&name)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UntagRole", e)])?;
        }
        let add = iam_tags(p, None);
        if !add.is_empty() {
            c.iam
                .tag_role()
                .role_name(&name)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| vec![sdk_err("TagRole", e)])?;
        }
    }
    read_one(c, &name, p).await
}

/// With `force_detach_policies`, managed policies are detached and inline ones
/// deleted first; the role always leaves its instance profiles (as in Terraform).
async fn delete(c: &Clients, old: &Value) -> Result<(), Vec<AttrDiagnostic>> {
    let name = s(old, "name").unwrap_or_default();
    let fail = |what: &str, d: String| {
        vec![AttrDiagnostic::error(
            Vec::new(),
            format!("{what} failed"),
            d,
        )]
    };
    if old.get_attr("force_detach_policies").as_bool() == Some(true) {
        let attached = c
            .iam
            .list_attached_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        match attached {
            Ok(list) => {
                for p in list {
                    c.iam
                        .detach_role_policy()
                        .role_name(&name)
                        .policy_arn(p.policy_arn().unwrap_or_default())
                        .send()
                        .await
                        .map_err(|e| vec![sdk_err("DetachRolePolicy", e)])?;
                }
            }
            Err(e) if not_found(err_code(&e)) => return Ok(()),
            Err(e) => return Err(vec![sdk_err("ListAttachedRolePolicies", e)]),
        }
        let inline = c
            .iam
            .list_role_policies()
            .role_name(&name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| fail("ListRolePolicies", e.to_string()))?;
        for policy in inline {
            c.iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| vec![sdk_err("DeleteRolePolicy", e)])?;
        }
    }
    let profiles = c
        .iam
        .list_instance_profiles_for_role()
        .role_name(&name)
        .send()
        .await;
    match profiles {
        Ok(o) => {
            for ip in o.instance_profiles() {
                c.iam
                    .remove_role_from_instance_profile()
                    .role_name(&name)
                    .instance_profile_name(ip.instance_profile_name())
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("RemoveRoleFromInstanceProfile", e)])?;
            }
        }
        Err(e) if not_found(err_code(&e)) => return Ok(()),
        Err(e) => return Err(vec![sdk_err("ListInstanceProfilesForRole", e)]),
    }
    match c.iam.delete_role().role_name(&name).send().await {
        Ok(_) => Ok(()),
        Err(e) if not_found(err_code(&e)) => Ok(()),
        Err(e) if err_code(&e).as_deref() == Some("DeleteConflict") => Err(vec![attr_err(
            "force_detach_policies",
            "The role still has policies",
            format!("IAM refuses to delete role \"{name}\" while policies are attached to it or inline in it (made outside iac?); set force_detach_policies = true to remove them first"),
        )]),
        Err(e) => Err(vec![sdk_err("DeleteRole", e)]),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for RoleType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        Schema::new("An IAM role. IAM has no batch read: refresh is one GetRole per role.")
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
            .attr(
                "assume_role_policy",
                Attribute::required(
                    Str,
                    "Trust policy (JSON): who may assume the role. Compared as JSON.",
                ),
            )
            .attr("description", Attribute::optional(Str, "Description."))
            .attr(
                "max_session_duration",
                Attribute::optional_computed(
                    Number,
                    "Longest session, in seconds (3600 to 43200; default 3600).",
                ),
            )
            .attr(
                "permissions_boundary",
                Attribute::optional(Str, "ARN of the policy that bounds the role's permissions."),
            )
            .attr(
                "force_detach_policies",
                Attribute::optional(
                    Bool,
                    "Detach managed and delete inline policies before deleting the role.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr(
                "unique_id",
                Attribute::computed(Str, "Stable id (AROA...)."),
            )
            .attr(
                "create_date",
                Attribute::computed(Str, "When it was made (RFC 3339)."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = validate_document(config, "assume_role_policy");
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        if let Some(n) = config.get_attr("max_session_duration").as_f64() {
            if !(3600.0..=43200.0).contains(&n) {
                out.push(attr_err(
                    "max_session_duration",
                    "Invalid session duration",
                    "IAM allows 3600 to 43200 seconds (1 to 12 hours)",
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["assume_role_policy"]);
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
        update(c, prior, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete(c, prior).await
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let name = s(v, "name").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(
                get_role(c, &name)
                    .await
                    .map(|r| r.map(|r| role_value(&r, v))),
            );
        }
        out
    }
}
