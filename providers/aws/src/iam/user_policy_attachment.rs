//! `aws_iam_user_policy_attachment`: a managed policy attached to a user. Its id
//! is `USER/POLICY_ARN` (what `iac import` takes, as Terraform's import does).

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::*;
use crate::util::{attr_err, err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct UserPolicyAttachmentType;

fn attachment(user: &str, arn: &str) -> Value {
    Value::map([
        ("id", Value::string(format!("{user}/{arn}"))),
        ("user", Value::string(user)),
        ("policy_arn", Value::string(arn)),
    ])
}

/// `USER/arn:...`: the user is what comes before the first `/arn:`.
fn split_id(id: &str) -> Option<(&str, &str)> {
    let at = id.find("/arn:")?;
    Some((&id[..at], &id[at + 1..]))
}

/// The managed policies attached to a user (`None` when the user is gone).
async fn attached(c: &Clients, user: &str) -> Result<Option<Vec<String>>, AttrDiagnostic> {
    let r = c
        .iam
        .list_attached_user_policies()
        .user_name(user)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match r {
        Ok(list) => Ok(Some(
            list.iter()
                .filter_map(|p| p.policy_arn().map(String::from))
                .collect(),
        )),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("ListAttachedUserPolicies", e)),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for UserPolicyAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new(
            "A managed policy attached to an IAM user. Refresh lists each user's attached policies once, however many attachments it has.",
        )
        .attr(
            "user",
            Attribute::required(Str, "Name of the user.").force_new(),
        )
        .attr(
            "policy_arn",
            Attribute::required(Str, "ARN of the policy.").force_new(),
        )
        .attr("id", Attribute::computed(Str, "USER/POLICY_ARN."))
    }

    /// Attaching is idempotent: a retried create attaches the same policy.
    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let user = s(planned, "user").unwrap_or_default();
        let arn = s(planned, "policy_arn").unwrap_or_default();
        c.iam
            .attach_user_policy()
            .user_name(&user)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| vec![sdk_err("AttachUserPolicy", e)])?;
        Ok(Some(attachment(&user, &arn)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .iam
            .detach_user_policy()
            .user_name(s(prior, "user").unwrap_or_default())
            .policy_arn(s(prior, "policy_arn").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DetachUserPolicy", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut by_user: BTreeMap<String, Result<Option<Vec<String>>, AttrDiagnostic>> =
            BTreeMap::new();
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "id").unwrap_or_default();
            let Some((user, arn)) = split_id(&id) else {
                out.push(Err(attr_err(
                    "id",
                    "Invalid id",
                    format!("\"{id}\" is not USER/POLICY_ARN"),
                )));
                continue;
            };
            if !by_user.contains_key(user) {
                let found = attached(c, user).await;
                by_user.insert(user.to_string(), found);
            }
            out.push(match &by_user[user] {
                Ok(Some(arns)) if arns.iter().any(|a| a == arn) => Ok(Some(attachment(user, arn))),
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
