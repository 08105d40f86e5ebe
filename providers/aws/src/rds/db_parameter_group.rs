//! `aws_db_parameter_group`: engine settings a database uses. Parameters change in
//! place (in batches of 20, as RDS takes them); one removed from the configuration
//! is reset to the engine default.

use aws_sdk_rds::types::{ApplyMethod, DbParameterGroup, Parameter};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::*;
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, opt_str, s, sdk_err};
use crate::Clients;

pub(crate) struct DbParameterGroupType;

/// (name, value, apply method) of each configured parameter.
fn params(v: &Value) -> Vec<(String, String, String)> {
    v.get_attr("parameter")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|p| {
            Some((
                s(p, "name")?,
                s(p, "value").unwrap_or_default(),
                s(p, "apply_method").unwrap_or_else(|| "immediate".into()),
            ))
        })
        .collect()
}

fn param_value(name: &str, value: &str, method: &str) -> Value {
    Value::map([
        ("name", Value::string(name)),
        ("value", Value::string(value)),
        ("apply_method", Value::string(method)),
    ])
}

async fn describe(c: &Clients, name: &str) -> Result<Option<DbParameterGroup>, AttrDiagnostic> {
    match c
        .rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.db_parameter_groups().first().cloned()),
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(None),
        Err(e) => Err(sdk_err("DescribeDBParameterGroups", e)),
    }
}

/// The parameters set by users (not engine defaults), paged.
async fn user_params(c: &Clients, name: &str) -> Result<Vec<Parameter>, AttrDiagnostic> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = c
            .rds
            .describe_db_parameters()
            .db_parameter_group_name(name)
            .source("user")
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_err("DescribeDBParameters", e))?;
        out.extend(page.parameters().iter().cloned());
        marker = page.marker().map(String::from);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(g) = describe(c, name).await? else {
        return Ok(None);
    };
    let configured = params(keep);
    let mut ps: Vec<Value> = user_params(c, name)
        .await?
        .iter()
        .filter_map(|p| {
            let n = p.parameter_name()?;
            // The apply method is the configuration's (RDS reports its own default).
            let method = configured
                .iter()
                .find(|(cn, _, _)| cn == n)
                .map(|(_, _, m)| m.clone())
                .unwrap_or_else(|| {
                    p.apply_method()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_else(|| "immediate".into())
                });
            Some(param_value(
                n,
                p.parameter_value().unwrap_or_default(),
                &method,
            ))
        })
        .collect();
    ps.sort_by_key(|p| p.get_attr("name").as_str().unwrap_or_default().to_string());
    Ok(Some(Value::map([
        ("id", opt_str(g.db_parameter_group_name())),
        ("name", opt_str(g.db_parameter_group_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("family", opt_str(g.db_parameter_group_family())),
        ("description", opt_str(g.description())),
        ("arn", opt_str(g.db_parameter_group_arn())),
        ("parameter", Value::set(ps)),
        ("skip_destroy", keep.get_attr("skip_destroy").clone()),
        ("tags", group_tags(c, g.db_parameter_group_arn()).await?),
    ])))
}

/// Sets parameters, 20 per call.
async fn modify(
    c: &Clients,
    name: &str,
    set: &[(String, String, String)],
) -> Result<(), AttrDiagnostic> {
    for chunk in set.chunks(20) {
        let list: Vec<Parameter> = chunk
            .iter()
            .map(|(n, v, m)| {
                Parameter::builder()
                    .parameter_name(n)
                    .parameter_value(v)
                    .apply_method(ApplyMethod::from(m.as_str()))
                    .build()
            })
            .collect();
        c.rds
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(list))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyDBParameterGroup", e))?;
    }
    Ok(())
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let name = s(p, "name").unwrap_or_else(|| {
        let suffix: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .take(26)
            .collect();
        format!(
            "{}{suffix}",
            s(p, "name_prefix").unwrap_or_else(|| "terraform-".into())
        )
    });
    let r = c
        .rds
        .create_db_parameter_group()
        .db_parameter_group_name(&name)
        .db_parameter_group_family(s(p, "family").unwrap_or_default())
        .description(s(p, "description").unwrap_or_else(|| "Managed by Terraform".into()))
        .set_tags(Some(rds_tags(p, Some(token))))
        .send()
        .await;
    match r {
        Ok(_) => {}
        Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
            let g = describe(c, &name).await.map_err(|d| vec![d])?;
            let arn = g
                .as_ref()
                .and_then(|g| g.db_parameter_group_arn())
                .unwrap_or_default()
                .to_string();
            let ours = c
                .rds
                .list_tags_for_resource()
                .resource_name(&arn)
                .send()
                .await
                .map(|o| {
                    o.tag_list()
                        .iter()
                        .any(|t| t.key() == Some(crate::ec2::TOKEN_TAG) && t.value() == Some(token))
                })
                .unwrap_or(false);
            if !ours {
                return Err(vec![attr_err(
                    "name",
                    "Parameter group already exists",
                    format!("a DB parameter group named \"{name}\" exists and was not created by this plan; import it, or choose another name"),
                )]);
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateDBParameterGroup", e)]),
    }
    modify(c, &name, &params(p)).await.map_err(|d| vec![d])?;
    read_one(c, &name, p).await.map_err(|d| vec![d])
}

async fn update(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let name = s(old, "name").unwrap_or_default();
    let (was, now) = (params(old), params(p));
    let changed: Vec<_> = now.iter().filter(|x| !was.contains(x)).cloned().collect();
    modify(c, &name, &changed).await.map_err(|d| vec![d])?;
    let gone: Vec<Parameter> = was
        .iter()
        .filter(|(n, _, _)| !now.iter().any(|(m, _, _)| m == n))
        .map(|(n, _, m)| {
            Parameter::builder()
                .parameter_name(n)
                .apply_method(ApplyMethod::from(m.as_str()))
                .build()
        })
        .collect();
    for chunk in gone.chunks(20) {
        c.rds
            .reset_db_parameter_group()
            .db_parameter_group_name(&name)
            .set_parameters(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| vec![sdk_err("ResetDBParameterGroup", e)])?;
    }
    sync_tags(c, &s(old, "arn").unwrap_or_default(), old, p)
        .await
        .map_err(|d| vec![d])?;
    read_one(c, &name, p).await.map_err(|d| vec![d])
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DbParameterGroupType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let parameter = Schema::new("One engine parameter.")
            .attr("name", Attribute::required(Str, "Parameter name."))
            .attr("value", Attribute::required(Str, "Its value."))
            .attr(
                "apply_method",
                Attribute::optional_computed(Str, "immediate (default) or pending-reboot."),
            );
        Schema::new(
            "An RDS DB parameter group. RDS has no batch read of parameters: refresh is two calls per group.",
        )
        .attr(
            "name",
            Attribute::optional_computed(Str, "Name (default: generated from name_prefix).").force_new(),
        )
        .attr("name_prefix", Attribute::optional(Str, "Prefix of a generated name.").force_new())
        .attr("family", Attribute::required(Str, "Engine family, such as postgres16.").force_new())
        .attr(
            "description",
            Attribute::optional_computed(Str, "Description (default \"Managed by Terraform\").")
                .force_new(),
        )
        .block("parameter", nested(Nesting::Set, 0, None, parameter))
        .attr(
            "skip_destroy",
            Attribute::optional(
                AttrType::Bool,
                "When true, destroying the resource only forgets the group: it stays in RDS.",
            ),
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("arn", Attribute::computed(Str, "ARN."))
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

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        // An unset apply method is immediate, as in Terraform.
        if let Some(items) = r.planned.get_attr("parameter").as_list() {
            let items: Vec<Value> = items
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    if p.get_attr("apply_method").is_null()
                        || p.get_attr("apply_method").is_unknown()
                    {
                        crate::util::set(&mut p, "apply_method", Value::string("immediate"));
                    }
                    p
                })
                .collect();
            crate::util::set(&mut r.planned, "parameter", Value::set(items));
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
        // `skip_destroy`: the group outlives the resource (a database may still use it).
        if prior.get_attr("skip_destroy").as_bool() == Some(true) {
            return Ok(());
        }
        match c
            .rds
            .delete_db_parameter_group()
            .db_parameter_group_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteDBParameterGroup", e)]),
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
            out.push(read_one(c, &name, v).await);
        }
        out
    }
}
