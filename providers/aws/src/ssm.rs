//! SSM Parameter Store: `aws_ssm_parameter` and `data "aws_ssm_parameter"`.
//!
//! `value` is sensitive for every type, as in Terraform: what AWS returns for it
//! is marked secret by this module, so state and plans keep only its fingerprint
//! (a `SecureString` never reaches state in plaintext, and neither does a plain
//! `String` written from a secret). `insecure_value` is the non-secret spelling
//! for values that may be shown. Refresh reads 10 parameters per `GetParameters`
//! call (decrypted: comparing fingerprints is how a value changed outside iac is
//! seen).

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{Parameter, ParameterTier, ParameterType, Tag};
use iac_provider::kit::{DataSourceType, ResourceType};
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, opt_str, plaintext, s, same, sdk_err, tag_map, tags_of};
use crate::Clients;

pub(crate) struct SsmParameter;
pub(crate) struct SsmParameterData;

/// The parameter's value as state sees it: under `insecure_value` when the
/// configuration writes it there, else marked secret under `value`.
fn value_attrs(p: &Parameter, keep: &Value) -> [(&'static str, Value); 2] {
    let v = p.value().map(Value::string).unwrap_or(Value::Null);
    // A write-only value (value_wo) is kept in no form: not even read.
    if keep.get_attr("has_value_wo").as_bool() == Some(true) {
        return [("value", Value::Null), ("insecure_value", Value::Null)];
    }
    if !keep.get_attr("insecure_value").is_null() {
        [("value", Value::Null), ("insecure_value", v)]
    } else {
        [
            ("value", if v.is_null() { v } else { v.sensitive() }),
            ("insecure_value", Value::Null),
        ]
    }
}

fn parameter_value(
    p: &Parameter,
    keep: &Value,
    tags: Value,
    description: Value,
    tier: Value,
) -> Value {
    let mut entries: Vec<(&str, Value)> = vec![
        ("id", opt_str(p.name())),
        ("name", opt_str(p.name())),
        ("arn", opt_str(p.arn())),
        ("type", opt_str(p.r#type().map(|t| t.as_str()))),
        ("version", Value::num(p.version() as f64)),
        ("data_type", opt_str(p.data_type())),
        ("description", description),
        ("tier", tier),
        // As Terraform reads it: a SecureString without a key names AWS's managed one.
        (
            "key_id",
            match (keep.get_attr("key_id"), p.r#type().map(|t| t.as_str())) {
                (Value::Null, Some("SecureString")) => Value::string("alias/aws/ssm"),
                (k, _) => k.clone(),
            },
        ),
        ("allowed_pattern", keep.get_attr("allowed_pattern").clone()),
        ("overwrite", keep.get_attr("overwrite").clone()),
        ("tags", tags),
        (
            "has_value_wo",
            Value::Bool(keep.get_attr("has_value_wo").as_bool() == Some(true)),
        ),
    ];
    entries.extend(value_attrs(p, keep));
    Value::map(entries)
}

/// Parameters by name, 10 per call, decrypted.
async fn get(c: &Clients, names: &[String]) -> Result<BTreeMap<String, Parameter>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(10) {
        let r = c
            .ssm
            .get_parameters()
            .set_names(Some(chunk.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| sdk_err("GetParameters", e))?;
        for p in r.parameters() {
            if let Some(n) = p.name() {
                out.insert(n.to_string(), p.clone());
            }
        }
    }
    Ok(out)
}

/// Description, tier and tags: what GetParameters does not say.
async fn details(c: &Clients, name: &str) -> Result<(Value, Value, Value), AttrDiagnostic> {
    let d = c
        .ssm
        .describe_parameters()
        .parameter_filters(
            aws_sdk_ssm::types::ParameterStringFilter::builder()
                .key("Name")
                .option("Equals")
                .values(name)
                .build()
                .map_err(|e| attr_err("name", "Invalid name", e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeParameters", e))?;
    let meta = d.parameters().first();
    let t = c
        .ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(|e| sdk_err("ListTagsForResource", e))?;
    Ok((
        opt_str(meta.and_then(|m| m.description())),
        opt_str(meta.and_then(|m| m.tier()).map(|t| t.as_str())),
        tag_map(
            t.tag_list()
                .iter()
                .map(|t| (Some(t.key()), Some(t.value()))),
        ),
    ))
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let found = get(c, &[name.to_string()]).await?;
    let Some(p) = found.get(name) else {
        return Ok(None);
    };
    let (description, tier, tags) = details(c, name).await?;
    Ok(Some(parameter_value(p, keep, tags, description, tier)))
}

/// The value to send: `value` (a secret iac must hold in plaintext) or `insecure_value`.
fn value_to_send(p: &Value) -> Result<String, Vec<AttrDiagnostic>> {
    match s(p, "insecure_value") {
        Some(v) => Ok(v),
        None => Ok(plaintext(p, "value")
            .map_err(|d| vec![d])?
            .unwrap_or_default()),
    }
}

async fn put(
    c: &Clients,
    p: &Value,
    overwrite: bool,
    with_tags: bool,
) -> Result<(), Vec<AttrDiagnostic>> {
    let ssm_tags: Vec<Tag> = tags_of(p)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    c.ssm
        .put_parameter()
        .name(s(p, "name").unwrap_or_default())
        .value(value_to_send(p)?)
        .r#type(ParameterType::from(
            s(p, "type").unwrap_or_else(|| "String".into()).as_str(),
        ))
        .set_description(s(p, "description"))
        .set_key_id(s(p, "key_id"))
        .set_tier(s(p, "tier").map(|t| ParameterTier::from(t.as_str())))
        .set_allowed_pattern(s(p, "allowed_pattern"))
        .set_data_type(s(p, "data_type"))
        .overwrite(overwrite)
        .set_tags((with_tags && !ssm_tags.is_empty()).then_some(ssm_tags))
        .send()
        .await
        .map_err(|e| vec![sdk_err("PutParameter", e)])?;
    Ok(())
}

#[async_trait::async_trait]
impl ResourceType<Clients> for SsmParameter {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        Schema::new(
            "An SSM parameter. Its value is kept in state only as a fingerprint. Refresh reads 10 parameters per GetParameters call, and each one's description and tags with one call each.",
        )
        .attr("name", Attribute::required(Str, "Name (a path such as /app/db/host).").force_new())
        .attr(
            "type",
            Attribute::required(Str, "String, StringList or SecureString (a change replaces).").force_new(),
        )
        .attr("value", Attribute::optional(Str, "The value (secret: only a fingerprint is kept).").sensitive())
        .attr("value_wo", Attribute::optional(Str, "Write-only value (Terraform 1.11): sent, kept in no form at all.").sensitive())
        .attr("value_wo_version", Attribute::optional(AttrType::Number, "Change it to send value_wo again."))
        .attr("has_value_wo", Attribute::computed(AttrType::Bool, "Whether the value is write-only."))
        .attr(
            "insecure_value",
            Attribute::optional(Str, "The value, for one that may be shown in plans (not with SecureString)."),
        )
        .attr("description", Attribute::optional(Str, "Description."))
        .attr("tier", Attribute::optional_computed(Str, "Standard (default), Advanced or Intelligent-Tiering."))
        .attr("key_id", Attribute::optional_computed(Str, "KMS key of a SecureString (default: the AWS managed key, `alias/aws/ssm`)."))
        .attr("allowed_pattern", Attribute::optional(Str, "A regular expression values must match."))
        .attr("data_type", Attribute::optional_computed(Str, "text (default) or aws:ec2:image."))
        .attr("overwrite", Attribute::optional(Bool, "Accepted (deprecated in Terraform): iac always overwrites its own parameter."))
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("version", Attribute::computed(Number, "Version, raised by every change of value."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let (v, iv) = (config.get_attr("value"), config.get_attr("insecure_value"));
        if !v.is_null() && !iv.is_null() {
            out.push(attr_err(
                "insecure_value",
                "Conflicting arguments",
                "set `value` or `insecure_value`, not both",
            ));
        }
        let wo = config.get_attr("value_wo");
        if !wo.is_null() && !wo.is_unknown() && (!v.is_null() || !iv.is_null()) {
            out.push(attr_err(
                "value_wo",
                "Conflicting arguments",
                "set `value_wo` or `value` (or `insecure_value`), not both",
            ));
        }
        if v.is_null() && iv.is_null() && config.get_attr("value_wo").is_null() {
            out.push(attr_err(
                "value",
                "Missing value",
                "set `value` (or `insecure_value` for a value that may be shown, or the write-only `value_wo`)",
            ));
        }
        if config.get_attr("type").as_str() == Some("SecureString") && !iv.is_null() {
            out.push(attr_err(
                "insecure_value",
                "A SecureString is secret",
                "use `value` for a SecureString: its plaintext must never be shown or stored",
            ));
        }
        match config.get_attr("type").as_str() {
            Some("String" | "StringList" | "SecureString") | None => {}
            Some(other) => out.push(attr_err(
                "type",
                "Invalid type",
                format!("\"{other}\": expected String, StringList or SecureString"),
            )),
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        let wo = crate::util::WriteOnly::PARAMETER;
        wo.plan(&mut r);
        let has = !req.config.get_attr(wo.value).is_null();
        crate::util::set(&mut r.planned, "has_value_wo", Value::Bool(has));
        if let Some(prior) = req.prior {
            // A new value is a new version.
            let changed = ["value", "insecure_value", "value_wo_version"]
                .iter()
                .any(|k| !same(prior.get_attr(k), r.planned.get_attr(k)));
            if changed {
                crate::util::set(&mut r.planned, "version", Value::Unknown);
            }
        }
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let wo = crate::util::WriteOnly::PARAMETER;
        let (with, _) = wo.to_send(planned, None, req.config);
        let made = create_parameter(c, &with).await?;
        Ok(made.map(|v| wo.forget(v, planned)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let wo = crate::util::WriteOnly::PARAMETER;
        let (with, before) = wo.to_send(planned, Some(prior), req.config);
        let done = update_parameter(c, &before, &with).await?;
        Ok(done.map(|v| wo.forget(v, planned)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .ssm
            .delete_parameter()
            .name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("ParameterNotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteParameter", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let names: Vec<String> = current
            .iter()
            .map(|v| s(v, "name").or_else(|| s(v, "id")).unwrap_or_default())
            .collect();
        let found = match get(c, &names).await {
            Ok(f) => f,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut out = Vec::with_capacity(current.len());
        for (v, n) in current.iter().zip(&names) {
            out.push(match found.get(n) {
                Some(p) => match details(c, n).await {
                    Ok((description, tier, tags)) => {
                        Ok(Some(parameter_value(p, v, tags, description, tier)))
                    }
                    Err(d) => Err(d),
                },
                None => Ok(None),
            });
        }
        out
    }
}

/// Putting without overwrite fails if the name is taken: a parameter iac did
/// not make is never overwritten; import it instead.
async fn create_parameter(c: &Clients, planned: &Value) -> ApplyResult {
    let name = s(planned, "name").unwrap_or_default();
    match put(c, planned, false, true).await {
        Ok(()) => {}
        Err(d) => {
            let exists = get(c, std::slice::from_ref(&name))
                .await
                .map_err(|e| vec![e])?;
            match exists.get(&name) {
                // A retried create: the same value is already there.
                Some(p) if p.value() == value_to_send(planned).ok().as_deref() => {}
                Some(_) => {
                    return Err(vec![attr_err(
                        "name",
                        "Parameter already exists",
                        format!("a parameter named \"{name}\" exists and was not created by this plan; import it (iac import aws_ssm_parameter.NAME {name})"),
                    )])
                }
                None => return Err(d),
            }
        }
    }
    read_one(c, &name, planned).await.map_err(|d| vec![d])
}

async fn update_parameter(c: &Clients, prior: &Value, planned: &Value) -> ApplyResult {
    let name = s(prior, "name").unwrap_or_default();
    let data_changed = [
        "value",
        "insecure_value",
        "description",
        "key_id",
        "tier",
        "allowed_pattern",
        "data_type",
    ]
    .iter()
    .any(|k| !same(prior.get_attr(k), planned.get_attr(k)));
    if data_changed {
        put(c, planned, true, false).await?;
    }
    if let Some((gone, now)) = crate::util::tag_change(prior, planned) {
        if !gone.is_empty() {
            c.ssm
                .remove_tags_from_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id(&name)
                .set_tag_keys(Some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("RemoveTagsFromResource", e)])?;
        }
        let add: Vec<Tag> = now
            .into_iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        if !add.is_empty() {
            c.ssm
                .add_tags_to_resource()
                .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                .resource_id(&name)
                .set_tags(Some(add))
                .send()
                .await
                .map_err(|e| vec![sdk_err("AddTagsToResource", e)])?;
        }
    }
    read_one(c, &name, planned).await.map_err(|d| vec![d])
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for SsmParameterData {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        Schema::new("Reads an SSM parameter; its value is secret (insecure_value shows a value that is not).")
            .attr("name", Attribute::required(Str, "Name."))
            .attr("with_decryption", Attribute::optional(Bool, "Decrypt a SecureString (default true)."))
            .attr("value", Attribute::computed(Str, "The value (secret).").sensitive())
            .attr("insecure_value", Attribute::computed(Str, "The value of a String or StringList, shown."))
            .attr("type", Attribute::computed(Str, "String, StringList or SecureString."))
            .attr("version", Attribute::computed(Number, "Version."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("id", Attribute::computed(Str, "The name."))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let name = s(config, "name").unwrap_or_default();
        let decrypt = config.get_attr("with_decryption").as_bool() != Some(false);
        let r = c
            .ssm
            .get_parameter()
            .name(&name)
            .with_decryption(decrypt)
            .send()
            .await;
        let p = match r {
            Ok(o) => o.parameter().cloned(),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("ParameterNotFound")) => {
                return Err(vec![attr_err(
                    "name",
                    "No such parameter",
                    format!("no SSM parameter is named \"{name}\""),
                )])
            }
            Err(e) => return Err(vec![sdk_err("GetParameter", e)]),
        };
        let Some(p) = p else {
            return Err(vec![attr_err("name", "No such parameter", name)]);
        };
        let secure = p
            .r#type()
            .is_some_and(|t| *t == ParameterType::SecureString);
        let v = p.value().map(Value::string).unwrap_or(Value::Null);
        Ok(Value::map([
            ("name", Value::string(&name)),
            (
                "with_decryption",
                config.get_attr("with_decryption").clone(),
            ),
            (
                "value",
                if v.is_null() {
                    v.clone()
                } else {
                    v.clone().sensitive()
                },
            ),
            ("insecure_value", if secure { Value::Null } else { v }),
            ("type", opt_str(p.r#type().map(|t| t.as_str()))),
            ("version", Value::num(p.version() as f64)),
            ("arn", opt_str(p.arn())),
            ("id", Value::string(&name)),
        ]))
    }
}
