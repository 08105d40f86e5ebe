//! `aws_cloudwatch_log_group`: a CloudWatch Logs group with its retention and
//! encryption key.

use aws_sdk_cloudwatchlogs::types::LogGroup;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, int, opt_str, s, same, sdk_err, tags_of};
use crate::Clients;

pub(crate) struct LogGroupType;

/// Retention periods CloudWatch Logs accepts, in days (0: never expire).
const RETENTION: [i64; 23] = [
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

fn group_value(g: &LogGroup, tags: Value, keep: &Value) -> Value {
    let arn = g.arn().map(|a| a.trim_end_matches(":*").to_string());
    Value::map([
        ("id", opt_str(g.log_group_name())),
        ("name", opt_str(g.log_group_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        ("arn", opt_str(arn.as_deref())),
        (
            "retention_in_days",
            Value::num(f64::from(g.retention_in_days().unwrap_or(0))),
        ),
        ("kms_key_id", opt_str(g.kms_key_id())),
        (
            "log_group_class",
            opt_str(g.log_group_class().map(|c| c.as_str())),
        ),
        ("skip_destroy", keep.get_attr("skip_destroy").clone()),
        ("tags", tags),
    ])
}

async fn describe(c: &Clients, name: &str) -> Result<Option<LogGroup>, AttrDiagnostic> {
    let r = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeLogGroups", e))?;
    Ok(r.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned())
}

async fn read_one(c: &Clients, name: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(g) = describe(c, name).await? else {
        return Ok(None);
    };
    let arn = g
        .arn()
        .map(|a| a.trim_end_matches(":*").to_string())
        .unwrap_or_default();
    let tags = c
        .logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| sdk_err("ListTagsForResource", e))?;
    let tags = crate::util::tag_map(
        tags.tags()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (Some(k.as_str()), Some(v.as_str())))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    Ok(Some(group_value(&g, tags, keep)))
}

async fn set_retention(c: &Clients, name: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    match int(p, "retention_in_days") {
        Some(0) | None => c
            .logs
            .delete_retention_policy()
            .log_group_name(name)
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                if err_code(&e).is_some_and(|c| c.contains("NotFound")) {
                    Ok(())
                } else {
                    Err(sdk_err("DeleteRetentionPolicy", e))
                }
            }),
        Some(days) => c
            .logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_err("PutRetentionPolicy", e)),
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for LogGroupType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        Schema::new("A CloudWatch Logs group. Refresh is one DescribeLogGroups and one ListTagsForResource call per group.")
            .attr(
                "name",
                Attribute::optional_computed(Str, "Name (default: generated from name_prefix).").force_new(),
            )
            .attr("name_prefix", Attribute::optional(Str, "Prefix of a generated name.").force_new())
            .attr(
                "retention_in_days",
                Attribute::optional_computed(Number, "Days to keep events (0, the default: forever)."),
            )
            .attr("kms_key_id", Attribute::optional(Str, "KMS key ARN that encrypts the events."))
            .attr(
                "log_group_class",
                Attribute::optional_computed(Str, "STANDARD (default) or INFREQUENT_ACCESS.").force_new(),
            )
            .attr(
                "skip_destroy",
                Attribute::optional(Bool, "Leave the group (and its events) in AWS on destroy."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        if let Some(d) = config.get_attr("retention_in_days").as_f64() {
            if !RETENTION.contains(&(d as i64)) || d.fract() != 0.0 {
                out.push(attr_err(
                    "retention_in_days",
                    "Invalid retention",
                    format!("{d} days: CloudWatch Logs keeps events for one of {RETENTION:?} days"),
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        // Unset retention is forever (0), as in Terraform, not whatever AWS has.
        if req.config.get_attr("retention_in_days").is_null() {
            crate::util::set(&mut r.planned, "retention_in_days", Value::num(0.0));
        }
        r
    }

    /// Creating a group that exists fails: a retried create checks the group it
    /// finds has no events of another's making (it carries the plan's tags).
    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(planned, "name").unwrap_or_else(|| {
            let suffix: String = req
                .idempotency_token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(26)
                .collect();
            format!(
                "{}{suffix}",
                s(planned, "name_prefix").unwrap_or_else(|| "terraform-".into())
            )
        });
        let mut t = tags_of(planned);
        t.insert(
            crate::ec2::TOKEN_TAG.to_string(),
            req.idempotency_token.to_string(),
        );
        let r = c
            .logs
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(s(planned, "kms_key_id"))
            .set_log_group_class(s(planned, "log_group_class").map(|x| x.as_str().into()))
            .set_tags(Some(t.into_iter().collect()))
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if err_code(&e).is_some_and(|c| c.contains("ResourceAlreadyExists")) => {
                let g = describe(c, &name).await.map_err(|d| vec![d])?;
                let arn = g
                    .and_then(|g| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
                    .unwrap_or_default();
                let ours = c
                    .logs
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .ok()
                    .and_then(|o| o.tags().and_then(|m| m.get(crate::ec2::TOKEN_TAG).cloned()))
                    .is_some_and(|t| t == req.idempotency_token);
                if !ours {
                    return Err(vec![attr_err(
                        "name",
                        "Log group already exists",
                        format!("a log group named \"{name}\" exists and was not created by this plan; import it (iac import aws_cloudwatch_log_group.NAME {name})"),
                    )]);
                }
            }
            Err(e) => return Err(vec![sdk_err("CreateLogGroup", e)]),
        }
        set_retention(c, &name, planned)
            .await
            .map_err(|d| vec![d])?;
        read_one(c, &name, planned).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let name = s(prior, "name").unwrap_or_default();
        let arn = s(prior, "arn").unwrap_or_default();
        if !same(
            prior.get_attr("retention_in_days"),
            planned.get_attr("retention_in_days"),
        ) {
            set_retention(c, &name, planned)
                .await
                .map_err(|d| vec![d])?;
        }
        if !same(prior.get_attr("kms_key_id"), planned.get_attr("kms_key_id")) {
            match s(planned, "kms_key_id") {
                Some(k) => c
                    .logs
                    .associate_kms_key()
                    .log_group_name(&name)
                    .kms_key_id(k)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| vec![sdk_err("AssociateKmsKey", e)])?,
                None => c
                    .logs
                    .disassociate_kms_key()
                    .log_group_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| vec![sdk_err("DisassociateKmsKey", e)])?,
            }
        }
        if let Some((gone, now)) = crate::util::tag_change(prior, planned) {
            if !gone.is_empty() {
                c.logs
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("UntagResource", e)])?;
            }
            if !now.is_empty() {
                c.logs
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(now.into_iter().collect()))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("TagResource", e)])?;
            }
        }
        read_one(c, &name, planned).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        if prior.get_attr("skip_destroy").as_bool() == Some(true) {
            return Ok(());
        }
        match c
            .logs
            .delete_log_group()
            .log_group_name(s(prior, "name").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteLogGroup", e)]),
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
