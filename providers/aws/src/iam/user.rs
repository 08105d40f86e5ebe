//! `aws_iam_user`: an IAM user. `force_destroy` removes what AWS would refuse to
//! delete the user with (access keys, a login profile, policies, MFA devices).

use aws_sdk_iam::types::User;
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::schema::tags;
use crate::util::{attr_err, err_code, opt_str, s, same, sdk_err};
use crate::Clients;

pub(crate) struct UserType;

fn user_value(u: &User, keep: &Value) -> Value {
    Value::map([
        ("id", Value::string(u.user_name())),
        ("name", Value::string(u.user_name())),
        ("path", Value::string(u.path())),
        ("arn", Value::string(u.arn())),
        ("unique_id", Value::string(u.user_id())),
        (
            "permissions_boundary",
            opt_str(
                u.permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn()),
            ),
        ),
        ("force_destroy", keep.get_attr("force_destroy").clone()),
        ("tags", tags_value(u.tags())),
    ])
}

async fn get_user(c: &Clients, name: &str) -> Result<Option<User>, AttrDiagnostic> {
    match c.iam.get_user().user_name(name).send().await {
        Ok(o) => Ok(o.user().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("GetUser", e)),
    }
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> ApplyResult {
    let u = get_user(c, name).await.map_err(|d| vec![d])?;
    Ok(u.map(|u| user_value(&u, keep)))
}

/// What stands in the way of deleting a user: access keys, a login profile,
/// managed and inline policies, MFA devices, group memberships.
async fn empty_user(c: &Clients, name: &str) -> Result<(), AttrDiagnostic> {
    let keys = c
        .iam
        .list_access_keys()
        .user_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListAccessKeys", e))?;
    for k in keys.access_key_metadata() {
        if let Some(id) = k.access_key_id() {
            c.iam
                .delete_access_key()
                .user_name(name)
                .access_key_id(id)
                .send()
                .await
                .map_err(|e| sdk_err("DeleteAccessKey", e))?;
        }
    }
    match c.iam.delete_login_profile().user_name(name).send().await {
        Ok(_) => {}
        Err(e) if not_found(err_code(&e)) => {}
        Err(e) => return Err(sdk_err("DeleteLoginProfile", e)),
    }
    let attached = c
        .iam
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListAttachedUserPolicies", e))?;
    for p in attached.attached_policies() {
        if let Some(arn) = p.policy_arn() {
            c.iam
                .detach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| sdk_err("DetachUserPolicy", e))?;
        }
    }
    let inline = c
        .iam
        .list_user_policies()
        .user_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListUserPolicies", e))?;
    for p in inline.policy_names() {
        c.iam
            .delete_user_policy()
            .user_name(name)
            .policy_name(p)
            .send()
            .await
            .map_err(|e| sdk_err("DeleteUserPolicy", e))?;
    }
    let mfa = c
        .iam
        .list_mfa_devices()
        .user_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListMFADevices", e))?;
    for d in mfa.mfa_devices() {
        c.iam
            .deactivate_mfa_device()
            .user_name(name)
            .serial_number(d.serial_number())
            .send()
            .await
            .map_err(|e| sdk_err("DeactivateMFADevice", e))?;
    }
    let groups = c
        .iam
        .list_groups_for_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListGroupsForUser", e))?;
    for g in groups.groups() {
        c.iam
            .remove_user_from_group()
            .user_name(name)
            .group_name(g.group_name())
            .send()
            .await
            .map_err(|e| sdk_err("RemoveUserFromGroup", e))?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl ResourceType<Clients> for UserType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        Schema::new("An IAM user. IAM has no batch read: refresh is one GetUser per user.")
            .attr("name", Attribute::required(Str, "User name; a change renames the user."))
            .attr("path", Attribute::optional_computed(Str, "Path (default /)."))
            .attr(
                "permissions_boundary",
                Attribute::optional(Str, "ARN of the policy that bounds the user's permissions."),
            )
            .attr(
                "force_destroy",
                Attribute::optional(
                    Bool,
                    "On destroy, delete the user's access keys, login profile, policies and MFA devices first.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The user name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("unique_id", Attribute::computed(Str, "Stable id (AIDA...)."))
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(p, "name").unwrap_or_default();
        let token = req.idempotency_token;
        let r = c
            .iam
            .create_user()
            .user_name(&name)
            .path(s(p, "path").unwrap_or_else(|| "/".into()))
            .set_permissions_boundary(s(p, "permissions_boundary"))
            .set_tags(Some(iam_tags(p, Some(token))))
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if exists(&err_code(&e)) => {
                let ours = get_user(c, &name)
                    .await
                    .map_err(|d| vec![d])?
                    .is_some_and(|u| has_token(u.tags(), token));
                if !ours {
                    return Err(vec![attr_err(
                        "name",
                        "User already exists",
                        format!("an IAM user named \"{name}\" exists and was not created by this plan; import it (iac import aws_iam_user.NAME {name})"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("CreateUser", e)]),
        }
        read_one(c, &name, p).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let mut name = s(old, "name").unwrap_or_default();
        let changed = |k: &str| !same(old.get_attr(k), p.get_attr(k));
        if changed("name") || changed("path") {
            let new_name = s(p, "name").unwrap_or_default();
            c.iam
                .update_user()
                .user_name(&name)
                .set_new_user_name(changed("name").then(|| new_name.clone()))
                .set_new_path(s(p, "path").filter(|_| changed("path")))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UpdateUser", e)])?;
            name = new_name;
        }
        if changed("permissions_boundary") {
            match s(p, "permissions_boundary") {
                Some(arn) => c
                    .iam
                    .put_user_permissions_boundary()
                    .user_name(&name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| vec![sdk_err("PutUserPermissionsBoundary", e)])?,
                None => c
                    .iam
                    .delete_user_permissions_boundary()
                    .user_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| vec![sdk_err("DeleteUserPermissionsBoundary", e)])?,
            }
        }
        if let Some((gone, now)) = crate::util::tag_change(old, p) {
            if !gone.is_empty() {
                c.iam
                    .untag_user()
                    .user_name(&name)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("UntagUser", e)])?;
            }
            if !now.is_empty() {
                let tags = now
                    .into_iter()
                    .filter_map(|(k, v)| {
                        aws_sdk_iam::types::Tag::builder()
                            .key(k)
                            .value(v)
                            .build()
                            .ok()
                    })
                    .collect();
                c.iam
                    .tag_user()
                    .user_name(&name)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("TagUser", e)])?;
            }
        }
        read_one(c, &name, p).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let name = s(old, "name").unwrap_or_default();
        if old.get_attr("force_destroy").as_bool() == Some(true) {
            empty_user(c, &name).await.map_err(|d| vec![d])?;
        }
        match c.iam.delete_user().user_name(&name).send().await {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) if err_code(&e).as_deref() == Some("DeleteConflict") => Err(vec![attr_err(
                "force_destroy",
                "The user still has access keys, policies or a login profile",
                format!("IAM refuses to delete {name} while it has them: delete them, or set force_destroy = true and apply before destroying"),
            )]),
            Err(e) => Err(vec![sdk_err("DeleteUser", e)]),
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
            out.push(match get_user(c, &name).await {
                Ok(u) => Ok(u.map(|u| user_value(&u, v))),
                Err(d) => Err(d),
            });
        }
        out
    }
}
