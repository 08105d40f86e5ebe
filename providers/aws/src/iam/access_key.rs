//! `aws_iam_access_key`: an access key of an IAM user. Its secret exists in
//! plaintext only during the apply that creates it (pass it on then, to a secret
//! store: `aws_secretsmanager_secret_version` or `aws_ssm_parameter`); state and
//! plans keep a salted fingerprint, as for every secret in iac.

use std::collections::BTreeMap;

use aws_sdk_iam::types::{AccessKeyMetadata, StatusType};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::kit::aws_plan;
use crate::util::{attr_err, err_code, s, sdk_err, set};
use crate::Clients;

pub(crate) struct AccessKeyType;

fn key_value(k: &AccessKeyMetadata, keep: &Value) -> Value {
    Value::map([
        ("id", Value::string(k.access_key_id().unwrap_or_default())),
        ("user", Value::string(k.user_name().unwrap_or_default())),
        (
            "status",
            Value::string(k.status().map(|s| s.as_str()).unwrap_or("Active")),
        ),
        ("create_date", date(k.create_date())),
        // Never read back from AWS: what state holds (a fingerprint) stays.
        ("secret", keep.get_attr("secret").clone()),
    ])
}

/// The keys of a user, by id (`None` when the user is gone).
async fn keys_of(
    c: &Clients,
    user: &str,
) -> Result<Option<BTreeMap<String, AccessKeyMetadata>>, AttrDiagnostic> {
    match c.iam.list_access_keys().user_name(user).send().await {
        Ok(o) => Ok(Some(
            o.access_key_metadata()
                .iter()
                .filter_map(|k| Some((k.access_key_id()?.to_string(), k.clone())))
                .collect(),
        )),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("ListAccessKeys", e)),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for AccessKeyType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("An access key of an IAM user. Refresh lists each user's keys once, however many keys it has.")
            .attr("user", Attribute::required(Str, "The user.").force_new())
            .attr("status", Attribute::optional_computed(Str, "Active (default) or Inactive; changes in place."))
            .attr(
                "pgp_key",
                Attribute::optional(Str, "Not needed with iac: the secret never reaches state (an error if set)."),
            )
            .attr("id", Attribute::computed(Str, "The access key id."))
            .attr("create_date", Attribute::computed(Str, "When the key was made (RFC 3339)."))
            .attr(
                "secret",
                Attribute::computed(Str, "The secret access key: plaintext only during the apply that creates the key.")
                    .sensitive(),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if !config.get_attr("pgp_key").is_null() {
            out.push(attr_err(
                "pgp_key",
                "Not supported",
                "Terraform encrypts the secret with pgp_key because its state holds it; iac's state never holds a secret (only a salted fingerprint), so pass `secret` on to a secret store in the apply that creates the key instead",
            ));
        }
        if let Some(st) = config.get_attr("status").as_str() {
            if st != "Active" && st != "Inactive" {
                out.push(attr_err(
                    "status",
                    "Invalid status",
                    format!("\"{st}\": Active or Inactive"),
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if req.config.get_attr("status").is_null() {
            set(&mut r.planned, "status", Value::string("Active"));
        }
        r
    }

    /// AWS has no idempotency token for access keys and keys cannot be tagged: an
    /// apply killed between `CreateAccessKey` and the state write leaves a key iac
    /// does not know (AWS allows two per user; the README says how to find it).
    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let user = s(p, "user").unwrap_or_default();
        let k = c
            .iam
            .create_access_key()
            .user_name(&user)
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateAccessKey", e)])?;
        let Some(key) = k.access_key() else {
            return Err(vec![AttrDiagnostic::error(
                Vec::new(),
                "CreateAccessKey returned no key",
                user,
            )]);
        };
        let id = key.access_key_id().to_string();
        if p.get_attr("status").as_str() == Some("Inactive") {
            c.iam
                .update_access_key()
                .user_name(&user)
                .access_key_id(&id)
                .status(StatusType::Inactive)
                .send()
                .await
                .map_err(|e| vec![sdk_err("UpdateAccessKey", e)])?;
        }
        Ok(Some(Value::map([
            ("id", Value::string(id)),
            ("user", Value::string(user)),
            (
                "status",
                Value::string(p.get_attr("status").as_str().unwrap_or("Active")),
            ),
            ("create_date", date(key.create_date())),
            ("secret", Value::string(key.secret_access_key()).sensitive()),
            ("pgp_key", Value::Null),
        ])))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let user = s(old, "user").unwrap_or_default();
        let id = s(old, "id").unwrap_or_default();
        if let Some(st) = s(p, "status") {
            c.iam
                .update_access_key()
                .user_name(&user)
                .access_key_id(&id)
                .status(StatusType::from(st.as_str()))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UpdateAccessKey", e)])?;
        }
        let keys = keys_of(c, &user).await.map_err(|d| vec![d])?;
        Ok(keys.and_then(|m| m.get(&id).map(|k| key_value(k, old))))
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .iam
            .delete_access_key()
            .user_name(s(old, "user").unwrap_or_default())
            .access_key_id(s(old, "id").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteAccessKey", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut by_user: BTreeMap<
            String,
            Result<Option<BTreeMap<String, AccessKeyMetadata>>, AttrDiagnostic>,
        > = BTreeMap::new();
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let user = s(v, "user").unwrap_or_default();
            let id = s(v, "id").unwrap_or_default();
            if !by_user.contains_key(&user) {
                let keys = keys_of(c, &user).await;
                by_user.insert(user.clone(), keys);
            }
            out.push(match &by_user[&user] {
                Ok(Some(keys)) => Ok(keys.get(&id).map(|k| key_value(k, v))),
                Ok(None) => Ok(None),
                Err(d) => Err(d.clone()),
            });
        }
        out
    }
}
