//! `aws_iam_role_policy_attachment` and `aws_iam_user_policy_attachment`: a
//! managed policy attached to a role or a user. The id is `NAME/POLICY_ARN`
//! (what `iac import` takes, as Terraform's import does).

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::util::{attr_err, err_code, s, sdk_err};
use crate::Clients;

/// Whom the policy is attached to.
#[derive(Clone, Copy)]
enum Principal {
    Role,
    User,
}

pub(crate) struct PolicyAttachmentType(Principal);

pub(crate) const ROLE: PolicyAttachmentType = PolicyAttachmentType(Principal::Role);
pub(crate) const USER: PolicyAttachmentType = PolicyAttachmentType(Principal::User);

impl Principal {
    /// The attribute naming the principal ("role", "user").
    fn key(self) -> &'static str {
        match self {
            Principal::Role => "role",
            Principal::User => "user",
        }
    }

    fn attachment(self, name: &str, arn: &str) -> Value {
        Value::map([
            ("id", Value::string(format!("{name}/{arn}"))),
            (self.key(), Value::string(name)),
            ("policy_arn", Value::string(arn)),
        ])
    }

    /// The managed policies attached to the principal (`None` when it is gone).
    async fn attached(
        self,
        c: &Clients,
        name: &str,
    ) -> Result<Option<Vec<String>>, AttrDiagnostic> {
        let r = match self {
            Principal::Role => c
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| (err_code(&e), sdk_err("ListAttachedRolePolicies", e))),
            Principal::User => c
                .iam
                .list_attached_user_policies()
                .user_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| (err_code(&e), sdk_err("ListAttachedUserPolicies", e))),
        };
        match r {
            Ok(list) => Ok(Some(
                list.iter()
                    .filter_map(|p| p.policy_arn().map(String::from))
                    .collect(),
            )),
            Err((code, _)) if not_found(code.clone()) => Ok(None),
            Err((_, d)) => Err(d),
        }
    }
}

/// `NAME/arn:...`: the principal is what comes before the first `/arn:`.
fn split_id(id: &str) -> Option<(&str, &str)> {
    let at = id.find("/arn:")?;
    Some((&id[..at], &id[at + 1..]))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for PolicyAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let (about, name, id) = match self.0 {
            Principal::Role => (
                "A managed policy attached to an IAM role. Refresh lists each role's attached policies once, however many attachments it has.",
                "Name of the role.",
                "ROLE/POLICY_ARN.",
            ),
            Principal::User => (
                "A managed policy attached to an IAM user. Refresh lists each user's attached policies once, however many attachments it has.",
                "Name of the user.",
                "USER/POLICY_ARN.",
            ),
        };
        Schema::new(about)
            .attr(self.0.key(), Attribute::required(Str, name).force_new())
            .attr(
                "policy_arn",
                Attribute::required(Str, "ARN of the policy.").force_new(),
            )
            .attr("id", Attribute::computed(Str, id))
    }

    /// Attaching is idempotent: a retried create attaches the same policy.
    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(planned, self.0.key()).unwrap_or_default();
        let arn = s(planned, "policy_arn").unwrap_or_default();
        match self.0 {
            Principal::Role => c
                .iam
                .attach_role_policy()
                .role_name(&name)
                .policy_arn(&arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("AttachRolePolicy", e)])?,
            Principal::User => c
                .iam
                .attach_user_policy()
                .user_name(&name)
                .policy_arn(&arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| vec![sdk_err("AttachUserPolicy", e)])?,
        }
        Ok(Some(self.0.attachment(&name, &arn)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let name = s(prior, self.0.key()).unwrap_or_default();
        let arn = s(prior, "policy_arn").unwrap_or_default();
        let r = match self.0 {
            Principal::Role => c
                .iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("DetachRolePolicy", e))),
            Principal::User => c
                .iam
                .detach_user_policy()
                .user_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("DetachUserPolicy", e))),
        };
        match r {
            Ok(()) => Ok(()),
            Err((code, _)) if not_found(code.clone()) => Ok(()),
            Err((_, d)) => Err(vec![d]),
        }
    }

    /// One listing per principal, however many of its attachments are read.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut by_name: BTreeMap<String, Result<Option<Vec<String>>, AttrDiagnostic>> =
            BTreeMap::new();
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "id").unwrap_or_default();
            let Some((name, arn)) = split_id(&id) else {
                out.push(Err(attr_err(
                    "id",
                    "Invalid id",
                    format!("\"{id}\" is not {}/POLICY_ARN", self.0.key().to_uppercase()),
                )));
                continue;
            };
            if !by_name.contains_key(name) {
                let found = self.0.attached(c, name).await;
                by_name.insert(name.to_string(), found);
            }
            out.push(match &by_name[name] {
                Ok(Some(arns)) if arns.iter().any(|a| a == arn) => {
                    Ok(Some(self.0.attachment(name, arn)))
                }
                Ok(_) => Ok(None),
                Err(d) => Err(d.clone()),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_split_at_the_arn() {
        assert_eq!(
            super::split_id("app/arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Some(("app", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
        );
        assert_eq!(super::split_id("app"), None);
    }
}
