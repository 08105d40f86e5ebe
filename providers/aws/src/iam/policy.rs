//! `aws_iam_policy`: a customer managed policy. A changed document becomes a new
//! default version (the oldest other version is deleted when IAM's five are used).

use aws_sdk_iam::types::Policy;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, opt_str, s, same, sdk_err};
use crate::Clients;

pub(crate) struct PolicyType;

async fn get_policy(c: &Clients, arn: &str) -> Result<Option<(Policy, String)>, AttrDiagnostic> {
    let policy = match c.iam.get_policy().policy_arn(arn).send().await {
        Ok(o) => match o.policy() {
            Some(p) => p.clone(),
            None => return Ok(None),
        },
        Err(e) if not_found(err_code(&e)) => return Ok(None),
        Err(e) => return Err(sdk_err("GetPolicy", e)),
    };
    let version = policy.default_version_id().unwrap_or("v1").to_string();
    let doc = match c
        .iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(&version)
        .send()
        .await
    {
        Ok(o) => o
            .policy_version()
            .and_then(|v| v.document())
            .unwrap_or_default()
            .to_string(),
        Err(e) if not_found(err_code(&e)) => return Ok(None),
        Err(e) => return Err(sdk_err("GetPolicyVersion", e)),
    };
    Ok(Some((policy, doc)))
}

fn policy_value(p: &Policy, doc: &str, keep: &Value) -> Value {
    Value::map([
        ("id", opt_str(p.arn())),
        ("arn", opt_str(p.arn())),
        ("name", opt_str(p.policy_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("path", opt_str(p.path())),
        ("description", opt_str(p.description())),
        ("policy", document_value(Some(doc), keep, "policy")),
        ("policy_id", opt_str(p.policy_id())),
        (
            "attachment_count",
            p.attachment_count()
                .map(|n| Value::num(f64::from(n)))
                .unwrap_or(Value::Null),
        ),
        ("tags", tags_value(p.tags())),
    ])
}

async fn read_one(c: &Clients, arn: &str, keep: &Value) -> ApplyResult {
    Ok(get_policy(c, arn)
        .await
        .map_err(|d| vec![d])?
        .map(|(p, doc)| policy_value(&p, &doc, keep)))
}

/// The ARN a policy of this name and path has in the caller's account.
async fn arn_for(c: &Clients, name: &str, path: &str) -> Result<Option<String>, AttrDiagnostic> {
    let mut pages = c
        .iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .path_prefix(path)
        .into_paginator()
        .items()
        .send();
    while let Some(p) = pages.next().await {
        let p = p.map_err(|e| sdk_err("ListPolicies", e))?;
        if p.policy_name() == Some(name) {
            return Ok(p.arn().map(String::from));
        }
    }
    Ok(None)
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = name_for(p, token);
    let path = s(p, "path").unwrap_or_else(|| "/".into());
    let r = c
        .iam
        .create_policy()
        .policy_name(&name)
        .path(&path)
        .policy_document(s(p, "policy").unwrap_or_default())
        .set_description(s(p, "description"))
        .set_tags(Some(iam_tags(p, Some(token))))
        .send()
        .await;
    let arn = match r {
        Ok(o) => o.policy().and_then(|x| x.arn()).map(String::from),
        Err(e) if exists(&err_code(&e)) => {
            let arn = arn_for(c, &name, &path).await.map_err(|d| vec![d])?;
            let found = match &arn {
                Some(a) => get_policy(c, a).await.map_err(|d| vec![d])?,
                None => None,
            };
            if !found.is_some_and(|(p, _)| has_token(p.tags(), token)) {
                return Err(vec![attr_err(
                    "name",
                    "Policy already exists",
                    format!("an IAM policy named \"{name}\" exists and was not created by this plan; import it by its ARN, or choose another name"),
                )]);
            }
            arn
        }
        Err(e) => return Err(vec![sdk_err("CreatePolicy", e)]),
    };
    read_one(c, &arn.unwrap_or_default(), p).await
}

async fn update(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let arn = s(old, "arn").unwrap_or_default();
    if !same(old.get_attr("policy"), p.get_attr("policy")) {
        let versions = c
            .iam
            .list_policy_versions()
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| vec![sdk_err("ListPolicyVersions", e)])?;
        let mut others: Vec<_> = versions
            .versions()
            .iter()
            .filter(|v| !v.is_default_version())
            .collect();
        if versions.versions().len() >= 5 {
            others.sort_by_key(|v| v.create_date().map(|d| d.secs()));
            if let Some(oldest) = others.first().and_then(|v| v.version_id()) {
                c.iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(oldest)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("DeletePolicyVersion", e)])?;
            }
        }
        c.iam
            .create_policy_version()
            .policy_arn(&arn)
            .policy_document(s(p, "policy").unwrap_or_default())
            .set_as_default(true)
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreatePolicyVersion", e)])?;
    }
    if let Some((gone, _)) = crate::util::tag_change(old, p) {
        if !gone.is_empty() {
            c.iam
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UntagPolicy", e)])?;
        }
        let add = iam_tags(p, None);
        if !add.is_empty() {
            c.iam
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| vec![sdk_err("TagPolicy", e)])?;
        }
    }
    read_one(c, &arn, p).await
}

/// Versions other than the default go first: IAM deletes a policy only without them.
async fn delete(c: &Clients, old: &Value) -> Result<(), Vec<AttrDiagnostic>> {
    let arn = s(old, "arn").unwrap_or_default();
    match c.iam.list_policy_versions().policy_arn(&arn).send().await {
        Ok(o) => {
            for v in o.versions().iter().filter(|v| !v.is_default_version()) {
                c.iam
                    .delete_policy_version()
                    .policy_arn(&arn)
                    .version_id(v.version_id().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("DeletePolicyVersion", e)])?;
            }
        }
        Err(e) if not_found(err_code(&e)) => return Ok(()),
        Err(e) => return Err(vec![sdk_err("ListPolicyVersions", e)]),
    }
    match c.iam.delete_policy().policy_arn(&arn).send().await {
        Ok(_) => Ok(()),
        Err(e) if not_found(err_code(&e)) => Ok(()),
        Err(e) => Err(vec![sdk_err("DeletePolicy", e)]),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for PolicyType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        Schema::new(
            "A customer managed IAM policy. IAM has no batch read: refresh is one GetPolicy and one GetPolicyVersion per policy.",
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
        .attr(
            "description",
            Attribute::optional(Str, "Description (IAM cannot change it: a change replaces).")
                .force_new(),
        )
        .attr(
            "policy",
            Attribute::required(Str, "The policy document (JSON). Compared as JSON."),
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The ARN."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("policy_id", Attribute::computed(Str, "Stable id (ANPA...)."))
        .attr(
            "attachment_count",
            Attribute::computed(Number, "How many users, groups and roles it is attached to."),
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = validate_document(config, "policy");
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        keep_equivalent_documents(req.prior, &mut r, &["policy"]);
        // The count changes as attachments come and go: it is not this object's change.
        if let Some(prior) = req.prior {
            crate::util::set(
                &mut r.planned,
                "attachment_count",
                prior.get_attr("attachment_count").clone(),
            );
        }
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
            let arn = s(v, "arn").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(
                get_policy(c, &arn)
                    .await
                    .map(|r| r.map(|(p, doc)| policy_value(&p, &doc, v))),
            );
        }
        out
    }
}
