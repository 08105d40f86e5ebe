//! `aws_secretsmanager_secret_version`: a value of a secret, sent to Secrets
//! Manager and never kept by iac (state holds the version id and a fingerprint).

use base64::Engine as _;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::string_set;
use crate::util::{opt_str, s, sdk_err};
use crate::Clients;

pub(crate) struct SecretVersion;

async fn create_version(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let secret_id = s(p, "secret_id").unwrap_or_default();
    let text = plaintext(p, "secret_string").map_err(|d| vec![d])?;
    let binary = plaintext(p, "secret_binary").map_err(|d| vec![d])?;
    if text.is_none() && binary.is_none() {
        return Err(vec![attr_err(
            "secret_string",
            "Missing value",
            "set secret_string or secret_binary",
        )]);
    }
    let mut req = c
        .secrets
        .put_secret_value()
        .secret_id(&secret_id)
        .client_request_token(request_token(token))
        .set_secret_string(text);
    if let Some(b) = binary {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b.as_bytes())
            .map_err(|_| vec![attr_err("secret_binary", "Invalid base64", "")])?;
        req = req.secret_binary(Blob::new(bytes));
    }
    let stages = stages_of(p);
    if !stages.is_empty() {
        req = req.set_version_stages(Some(stages));
    }
    let out = req
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutSecretValue", e)])?;
    let arn = out.arn().unwrap_or_default().to_string();
    let vid = out.version_id().unwrap_or_default().to_string();
    let stages = out.version_stages().to_vec();
    Ok(Some(version_value(&arn, &vid, &stages, p)))
}

async fn update_version(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    // Only the labels can change in place.
    let arn = s(old, "arn").unwrap_or_default();
    let vid = s(old, "version_id").unwrap_or_default();
    let (was, now) = (stages_of(old), stages_of(p));
    let holders = match describe(c, &arn).await.map_err(|d| vec![d])? {
        Some(d) => d.version_ids_to_stages().cloned().unwrap_or_default(),
        None => Default::default(),
    };
    for label in now.iter().filter(|l| !was.contains(l)) {
        let from = holders
            .iter()
            .find(|(v, st)| *v != &vid && st.contains(label))
            .map(|(v, _)| v.clone());
        c.secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .move_to_version_id(&vid)
            .set_remove_from_version_id(from)
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateSecretVersionStage", e)])?;
    }
    for label in was.iter().filter(|l| !now.contains(l)) {
        c.secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .remove_from_version_id(&vid)
            .send()
            .await
            .map_err(|e| vec![sdk_err("UpdateSecretVersionStage", e)])?;
    }
    Ok(Some(version_value(&arn, &vid, &now, p)))
}

async fn delete_version(c: &Clients, old: &Value) -> ApplyResult {
    // A version cannot be deleted; it is retired by taking its labels away.
    // AWSCURRENT stays until another version takes it (as in Terraform).
    let arn = s(old, "arn").unwrap_or_default();
    let vid = s(old, "version_id").unwrap_or_default();
    let Some(d) = describe(c, &arn).await.map_err(|d| vec![d])? else {
        return Ok(None);
    };
    let labels = d
        .version_ids_to_stages()
        .and_then(|m| m.get(&vid).cloned())
        .unwrap_or_default();
    for label in labels.iter().filter(|l| *l != "AWSCURRENT") {
        match c
            .secrets
            .update_secret_version_stage()
            .secret_id(&arn)
            .version_stage(label)
            .remove_from_version_id(&vid)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(err_code(&e)) => {}
            Err(e) => return Err(vec![sdk_err("UpdateSecretVersionStage", e)]),
        }
    }
    Ok(None)
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SecretVersion {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A value of a secret. The value is sent to Secrets Manager and never stored by iac; state keeps the version id and a salted fingerprint.")
            .attr(
                "secret_id",
                Attribute::required(Str, "ARN or name of the secret.").force_new(),
            )
            .attr(
                "secret_string",
                Attribute::optional(Str, "The value, as text.").sensitive().force_new(),
            )
            .attr(
                "secret_binary",
                Attribute::optional(Str, "The value, base64-encoded.").sensitive().force_new(),
            )
            .attr(
                "secret_string_wo",
                Attribute::optional(Str, "Write-only value (Terraform 1.11): sent, kept in no form at all.").sensitive(),
            )
            .attr(
                "secret_string_wo_version",
                Attribute::optional(AttrType::Number, "Change it to send secret_string_wo again (a new version).").force_new(),
            )
            .attr(
                "has_secret_string_wo",
                Attribute::computed(AttrType::Bool, "Whether the value is write-only."),
            )
            .attr(
                "version_stages",
                Attribute::optional_computed(string_set(), "Staging labels (default AWSCURRENT)."),
            )
            .attr("id", Attribute::computed(Str, "secret ARN|version id."))
            .attr("arn", Attribute::computed(Str, "ARN of the secret."))
            .attr("version_id", Attribute::computed(Str, "Version id from Secrets Manager."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        let wo = crate::util::WriteOnly::SECRET_STRING;
        wo.plan(&mut r);
        let has = !req.config.get_attr(wo.value).is_null();
        crate::util::set(&mut r.planned, "has_secret_string_wo", Value::Bool(has));
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let wo = crate::util::WriteOnly::SECRET_STRING;
        let (with, _) = wo.to_send(planned, None, req.config);
        let made = create_version(c, &with, req.idempotency_token).await?;
        Ok(made.map(|v| wo.forget(v, planned)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_version(c, prior, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_version(c, prior).await.map(|_| ())
    }

    /// Versions from one listing of the account's secrets; an imported version's
    /// value is read once, so state gets its fingerprint (the value itself is never
    /// stored) and a later plan can compare.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let listing = match Listing::read(c).await {
            Ok(l) => l,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut results: Vec<Option<Value>> = current
            .iter()
            .map(|v| {
                let id = s(v, "id").unwrap_or_default();
                let (arn, vid) = id.split_once('|').unwrap_or((id.as_str(), ""));
                let entry = listing.find(arn);
                entry.and_then(|e| {
                    let stages = e.secret_versions_to_stages()?.get(vid)?;
                    let mut keep = v.clone();
                    if keep.get_attr("secret_id").is_null() {
                        // An import: the secret is named by its ARN.
                        crate::util::set(&mut keep, "secret_id", opt_str(e.arn()));
                    }
                    Some(version_value(e.arn().unwrap_or(arn), vid, stages, &keep))
                })
            })
            .collect();
        for (v, r) in current.iter().zip(results.iter_mut()) {
            let stub = v.as_map().is_some_and(|m| m.len() == 1);
            let Some(found) = r.as_mut().filter(|_| stub) else {
                continue;
            };
            let arn = s(found, "arn").unwrap_or_default();
            let vid = s(found, "version_id").unwrap_or_default();
            match c
                .secrets
                .get_secret_value()
                .secret_id(&arn)
                .version_id(&vid)
                .send()
                .await
            {
                Ok(out) => {
                    if let Some(t) = out.secret_string() {
                        crate::util::set(
                            found,
                            "secret_string",
                            Value::String(t.to_string()).sensitive(),
                        );
                    }
                }
                Err(e) => {
                    let d = sdk_err("GetSecretValue", e);
                    return current.iter().map(|_| Err(d.clone())).collect();
                }
            }
        }
        results.into_iter().map(Ok).collect()
    }
}
