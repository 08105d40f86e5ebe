//! `aws_cloudwatch_metric_alarm`: a CloudWatch alarm on one metric or on metric
//! math (`metric_query` blocks), with Terraform's arguments and defaults.
//!
//! `PutMetricAlarm` creates and replaces an alarm whole, so an update sends the
//! whole planned alarm again. Refresh reads up to 100 alarms per `DescribeAlarms`
//! call, plus one `ListTagsForResource` per alarm (CloudWatch has no batch read
//! of tags).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, StandardUnit,
    Statistic, Tag,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use crate::ec2::TOKEN_TAG;
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, first, opt_str, s, sdk_err, set, strings, tags_of};
use crate::Clients;

pub(crate) struct MetricAlarmType;

/// `DescribeAlarms` takes at most 100 names.
const PAGE: usize = 100;

const COMPARISONS: [&str; 7] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
const MISSING_DATA: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];

fn num(x: Option<f64>) -> Value {
    x.map(Value::num).unwrap_or(Value::Null)
}

fn int_value(x: Option<i32>) -> Value {
    num(x.map(f64::from))
}

fn string_set(items: &[String]) -> Value {
    if items.is_empty() {
        return Value::Null;
    }
    Value::set(items.iter().map(|x| Value::string(x.clone())).collect())
}

fn dimensions_value(d: &[Dimension]) -> Value {
    if d.is_empty() {
        return Value::Null;
    }
    Value::Map(
        d.iter()
            .filter_map(|x| Some((x.name()?.to_string(), Value::string(x.value()?.to_string()))))
            .collect(),
    )
}

fn dimensions_of(v: &Value) -> Option<Vec<Dimension>> {
    let m = v.get_attr("dimensions").as_map()?;
    Some(
        m.iter()
            .filter_map(|(k, x)| Some(Dimension::builder().name(k).value(x.as_str()?).build()))
            .collect(),
    )
}

fn query_value(q: &MetricDataQuery) -> Value {
    let metric = match q.metric_stat() {
        Some(ms) => {
            let m = ms.metric();
            Value::List(vec![Value::map([
                (
                    "dimensions",
                    dimensions_value(m.map(|m| m.dimensions()).unwrap_or_default()),
                ),
                ("metric_name", opt_str(m.and_then(|m| m.metric_name()))),
                ("namespace", opt_str(m.and_then(|m| m.namespace()))),
                ("period", int_value(ms.period())),
                ("stat", opt_str(ms.stat())),
                ("unit", opt_str(ms.unit().map(|u| u.as_str()))),
            ])])
        }
        None => Value::List(Vec::new()),
    };
    Value::map([
        ("id", opt_str(q.id())),
        ("account_id", opt_str(q.account_id())),
        ("expression", opt_str(q.expression())),
        ("label", opt_str(q.label())),
        ("period", int_value(q.period())),
        ("return_data", Value::Bool(q.return_data().unwrap_or(false))),
        ("metric", metric),
    ])
}

fn alarm_value(a: &MetricAlarm, tags: Value) -> Value {
    let queries = a.metrics();
    Value::map([
        ("id", opt_str(a.alarm_name())),
        ("alarm_name", opt_str(a.alarm_name())),
        ("arn", opt_str(a.alarm_arn())),
        ("alarm_description", opt_str(a.alarm_description())),
        (
            "actions_enabled",
            Value::Bool(a.actions_enabled().unwrap_or(true)),
        ),
        ("alarm_actions", string_set(a.alarm_actions())),
        ("ok_actions", string_set(a.ok_actions())),
        (
            "insufficient_data_actions",
            string_set(a.insufficient_data_actions()),
        ),
        (
            "comparison_operator",
            opt_str(a.comparison_operator().map(|c| c.as_str())),
        ),
        ("evaluation_periods", int_value(a.evaluation_periods())),
        ("datapoints_to_alarm", int_value(a.datapoints_to_alarm())),
        ("metric_name", opt_str(a.metric_name())),
        ("namespace", opt_str(a.namespace())),
        ("period", int_value(a.period())),
        ("statistic", opt_str(a.statistic().map(|x| x.as_str()))),
        ("extended_statistic", opt_str(a.extended_statistic())),
        ("threshold", num(a.threshold())),
        ("threshold_metric_id", opt_str(a.threshold_metric_id())),
        ("unit", opt_str(a.unit().map(|u| u.as_str()))),
        ("dimensions", dimensions_value(a.dimensions())),
        (
            "treat_missing_data",
            Value::string(a.treat_missing_data().unwrap_or("missing").to_string()),
        ),
        (
            "evaluate_low_sample_count_percentiles",
            opt_str(a.evaluate_low_sample_count_percentile()),
        ),
        (
            "metric_query",
            if queries.is_empty() {
                Value::Set(Vec::new())
            } else {
                Value::set(queries.iter().map(query_value).collect())
            },
        ),
        ("tags", tags),
    ])
}

fn query_of(q: &Value) -> MetricDataQuery {
    let m = first(q, "metric");
    let stat = (!m.is_null()).then(|| {
        let metric = Metric::builder()
            .set_metric_name(s(&m, "metric_name"))
            .set_namespace(s(&m, "namespace"))
            .set_dimensions(dimensions_of(&m))
            .build();
        MetricStat::builder()
            .metric(metric)
            .set_period(crate::util::int(&m, "period"))
            .set_stat(s(&m, "stat"))
            .set_unit(s(&m, "unit").map(|u| StandardUnit::from(u.as_str())))
            .build()
    });
    MetricDataQuery::builder()
        .set_id(s(q, "id"))
        .set_account_id(s(q, "account_id"))
        .set_expression(s(q, "expression"))
        .set_label(s(q, "label"))
        .set_period(crate::util::int(q, "period"))
        .set_return_data(q.get_attr("return_data").as_bool())
        .set_metric_stat(stat)
        .build()
}

/// Sends the whole alarm (`PutMetricAlarm` replaces what was there).
async fn put(c: &Clients, p: &Value, tags: Option<Vec<Tag>>) -> Result<(), AttrDiagnostic> {
    let queries: Vec<MetricDataQuery> = p
        .get_attr("metric_query")
        .as_list()
        .map(|l| l.iter().map(query_of).collect())
        .unwrap_or_default();
    let none_if_empty = |v: Vec<String>| (!v.is_empty()).then_some(v);
    c.cloudwatch
        .put_metric_alarm()
        .set_alarm_name(s(p, "alarm_name"))
        .set_alarm_description(s(p, "alarm_description"))
        .set_actions_enabled(p.get_attr("actions_enabled").as_bool())
        .set_alarm_actions(none_if_empty(strings(p, "alarm_actions")))
        .set_ok_actions(none_if_empty(strings(p, "ok_actions")))
        .set_insufficient_data_actions(none_if_empty(strings(p, "insufficient_data_actions")))
        .set_comparison_operator(
            s(p, "comparison_operator").map(|x| ComparisonOperator::from(x.as_str())),
        )
        .set_evaluation_periods(crate::util::int(p, "evaluation_periods"))
        .set_datapoints_to_alarm(crate::util::int(p, "datapoints_to_alarm"))
        .set_metric_name(s(p, "metric_name"))
        .set_namespace(s(p, "namespace"))
        .set_period(crate::util::int(p, "period"))
        .set_statistic(s(p, "statistic").map(|x| Statistic::from(x.as_str())))
        .set_extended_statistic(s(p, "extended_statistic"))
        .set_threshold(p.get_attr("threshold").as_f64())
        .set_threshold_metric_id(s(p, "threshold_metric_id"))
        .set_unit(s(p, "unit").map(|u| StandardUnit::from(u.as_str())))
        .set_dimensions(dimensions_of(p))
        .set_treat_missing_data(s(p, "treat_missing_data"))
        .set_evaluate_low_sample_count_percentile(s(p, "evaluate_low_sample_count_percentiles"))
        .set_metrics((!queries.is_empty()).then_some(queries))
        .set_tags(tags)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("PutMetricAlarm", e))
}

async fn describe(
    c: &Clients,
    names: &[String],
) -> Result<BTreeMap<String, MetricAlarm>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    for page in names.chunks(PAGE) {
        let mut token = None;
        loop {
            let r = c
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(page.to_vec()))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| sdk_err("DescribeAlarms", e))?;
            for a in r.metric_alarms() {
                if let Some(n) = a.alarm_name() {
                    out.insert(n.to_string(), a.clone());
                }
            }
            token = r.next_token().map(String::from);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

async fn tags_of_alarm(c: &Clients, arn: &str) -> Result<BTreeMap<String, String>, AttrDiagnostic> {
    let r = c
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_err("ListTagsForResource", e))?;
    Ok(r.tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

async fn read_one(c: &Clients, name: &str) -> Result<Option<Value>, AttrDiagnostic> {
    let found = describe(c, &[name.to_string()]).await?;
    let Some(a) = found.get(name) else {
        return Ok(None);
    };
    let tags = tags_of_alarm(c, a.alarm_arn().unwrap_or_default()).await?;
    let tags = crate::util::tag_map(
        tags.iter()
            .map(|(k, v)| (Some(k.as_str()), Some(v.as_str()))),
    );
    Ok(Some(alarm_value(a, tags)))
}

fn check_enum(out: &mut Vec<AttrDiagnostic>, v: &Value, name: &str, allowed: &[&str]) {
    if let Some(x) = v.get_attr(name).as_str() {
        if !allowed.contains(&x) {
            out.push(attr_err(
                name,
                "Invalid value",
                format!("\"{x}\" is not one of {}", allowed.join(", ")),
            ));
        }
    }
}

fn check_period(out: &mut Vec<AttrDiagnostic>, v: &Value, name: &str, short: &[i64]) {
    if let Some(p) = v.get_attr(name).as_f64() {
        let ok = p.fract() == 0.0 && (short.contains(&(p as i64)) || (p as i64) % 60 == 0);
        if !ok || p <= 0.0 {
            out.push(attr_err(
                name,
                "Invalid period",
                format!("{p} seconds: a period is one of {short:?} or a multiple of 60"),
            ));
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for MetricAlarmType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        let str_set = || AttrType::Set(Box::new(Str));
        let str_map = || AttrType::Map(Box::new(Str));
        let metric = Schema::new("The metric a query reads.")
            .attr(
                "metric_name",
                Attribute::required(Str, "Name of the metric."),
            )
            .attr(
                "namespace",
                Attribute::optional(Str, "Namespace of the metric."),
            )
            .attr(
                "period",
                Attribute::required(Number, "Seconds per data point."),
            )
            .attr(
                "stat",
                Attribute::required(Str, "Statistic (Average, p99, ...)."),
            )
            .attr("unit", Attribute::optional(Str, "Unit of the metric."))
            .attr(
                "dimensions",
                Attribute::optional(str_map(), "Dimensions of the metric."),
            );
        let query = Schema::new("A metric or metric-math expression the alarm evaluates.")
            .attr(
                "id",
                Attribute::required(Str, "Short name of the query (used in expressions)."),
            )
            .attr(
                "account_id",
                Attribute::optional(Str, "Account of the metric (cross-account alarms)."),
            )
            .attr(
                "expression",
                Attribute::optional(Str, "Metric math over the other queries' ids."),
            )
            .attr("label", Attribute::optional(Str, "Human-readable label."))
            .attr(
                "period",
                Attribute::optional(Number, "Seconds per data point of an expression."),
            )
            .attr(
                "return_data",
                Attribute::optional_computed(
                    Bool,
                    "Whether this query is the one alarmed on (default false).",
                ),
            )
            .block("metric", nested(Nesting::List, 0, Some(1), metric));
        Schema::new("A CloudWatch metric alarm. Refresh is one DescribeAlarms call per 100 alarms and one ListTagsForResource per alarm.")
            .attr("alarm_name", Attribute::required(Str, "Name of the alarm.").force_new())
            .attr("alarm_description", Attribute::optional(Str, "Description."))
            .attr(
                "comparison_operator",
                Attribute::required(Str, "How the statistic is compared with the threshold (GreaterThanOrEqualToThreshold, ...)."),
            )
            .attr("evaluation_periods", Attribute::required(Number, "Periods compared with the threshold."))
            .attr("datapoints_to_alarm", Attribute::optional(Number, "Breaching data points (of evaluation_periods) that fire the alarm."))
            .attr("metric_name", Attribute::optional(Str, "Metric (without metric_query)."))
            .attr("namespace", Attribute::optional(Str, "Namespace of the metric."))
            .attr("period", Attribute::optional(Number, "Seconds per data point (10, 20, 30 or a multiple of 60)."))
            .attr("statistic", Attribute::optional(Str, "SampleCount, Average, Sum, Minimum or Maximum."))
            .attr("extended_statistic", Attribute::optional(Str, "A percentile statistic such as p99."))
            .attr("threshold", Attribute::optional(Number, "Value compared with the statistic."))
            .attr("threshold_metric_id", Attribute::optional(Str, "Id of the ANOMALY_DETECTION_BAND query (instead of threshold)."))
            .attr("unit", Attribute::optional(Str, "Unit of the metric."))
            .attr("dimensions", Attribute::optional(str_map(), "Dimensions of the metric."))
            .attr("actions_enabled", Attribute::optional_computed(Bool, "Whether state changes run the actions (default true)."))
            .attr("alarm_actions", Attribute::optional(str_set(), "ARNs to notify on ALARM."))
            .attr("ok_actions", Attribute::optional(str_set(), "ARNs to notify on OK."))
            .attr("insufficient_data_actions", Attribute::optional(str_set(), "ARNs to notify on INSUFFICIENT_DATA."))
            .attr(
                "treat_missing_data",
                Attribute::optional_computed(Str, "missing (default), ignore, breaching or notBreaching."),
            )
            .attr(
                "evaluate_low_sample_count_percentiles",
                Attribute::optional_computed(Str, "For percentiles: evaluate or ignore with few samples."),
            )
            .block("metric_query", nested(Nesting::Set, 0, None, query))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The alarm name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let set = |k: &str| !config.get_attr(k).is_null();
        let queries = config
            .get_attr("metric_query")
            .as_list()
            .map(|l| l.to_vec())
            .unwrap_or_default();
        if set("metric_name") && !queries.is_empty() {
            out.push(attr_err(
                "metric_query",
                "Conflicting arguments",
                "an alarm watches `metric_name` or `metric_query` blocks, not both",
            ));
        }
        if set("metric_name") && set("statistic") == set("extended_statistic") {
            out.push(attr_err(
                "statistic",
                "Missing or conflicting statistic",
                "with `metric_name`, set one of `statistic` or `extended_statistic`",
            ));
        }
        if set("threshold") && set("threshold_metric_id") {
            out.push(attr_err(
                "threshold_metric_id",
                "Conflicting arguments",
                "set `threshold` or `threshold_metric_id`, not both",
            ));
        }
        if !queries.is_empty() {
            for k in [
                "namespace",
                "period",
                "statistic",
                "extended_statistic",
                "dimensions",
            ] {
                if set(k) {
                    out.push(attr_err(
                        k,
                        "Conflicting arguments",
                        format!("`{k}` belongs inside a metric_query's `metric` block when the alarm uses metric_query"),
                    ));
                }
            }
        }
        for q in &queries {
            if !q.get_attr("expression").is_null() && !first(q, "metric").is_null() {
                out.push(attr_err(
                    "metric_query",
                    "Conflicting arguments",
                    "a metric_query has an `expression` or a `metric` block, not both",
                ));
            }
            check_period(&mut out, q, "period", &[1, 5, 10, 20, 30]);
            check_period(&mut out, &first(q, "metric"), "period", &[1, 5, 10, 20, 30]);
        }
        check_enum(&mut out, config, "comparison_operator", &COMPARISONS);
        check_enum(&mut out, config, "statistic", &STATISTICS);
        check_enum(&mut out, config, "treat_missing_data", &MISSING_DATA);
        check_enum(
            &mut out,
            config,
            "evaluate_low_sample_count_percentiles",
            &["evaluate", "ignore"],
        );
        check_period(&mut out, config, "period", &[10, 20, 30]);
        for k in ["evaluation_periods", "datapoints_to_alarm"] {
            if config.get_attr(k).as_f64().is_some_and(|n| n < 1.0) {
                out.push(attr_err(k, "Invalid value", format!("`{k}` is at least 1")));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        // Terraform's defaults, so leaving them out is no change.
        if req.config.get_attr("actions_enabled").is_null() {
            set(&mut r.planned, "actions_enabled", Value::Bool(true));
        }
        if req.config.get_attr("treat_missing_data").is_null() {
            set(
                &mut r.planned,
                "treat_missing_data",
                Value::string("missing"),
            );
        }
        if let Value::Set(qs) | Value::List(qs) = r.planned.get_attr("metric_query").clone() {
            let qs: Vec<Value> = qs
                .into_iter()
                .map(|mut q| {
                    if q.get_attr("return_data").is_null() || q.get_attr("return_data").is_unknown()
                    {
                        set(&mut q, "return_data", Value::Bool(false));
                    }
                    q
                })
                .collect();
            set(&mut r.planned, "metric_query", Value::set(qs));
        }
        r
    }

    /// `PutMetricAlarm` overwrites an alarm of the same name without a word: a
    /// create first checks there is none, unless it is this plan's own (a retried
    /// create finds its token tag) .
    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let name = s(planned, "alarm_name").unwrap_or_default();
        let existing = describe(c, std::slice::from_ref(&name))
            .await
            .map_err(|d| vec![d])?;
        if let Some(a) = existing.get(&name) {
            let ours = tags_of_alarm(c, a.alarm_arn().unwrap_or_default())
                .await
                .ok()
                .and_then(|t| t.get(TOKEN_TAG).cloned())
                .is_some_and(|t| t == req.idempotency_token);
            if !ours {
                return Err(vec![attr_err(
                    "alarm_name",
                    "Alarm already exists",
                    format!("a metric alarm named \"{name}\" exists and was not created by this plan; import it (iac import aws_cloudwatch_metric_alarm.NAME {name})"),
                )]);
            }
        }
        let mut t = tags_of(planned);
        t.insert(TOKEN_TAG.to_string(), req.idempotency_token.to_string());
        let tags = t
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Vec<_>>();
        put(c, planned, Some(tags)).await.map_err(|d| vec![d])?;
        read_one(c, &name).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let name = s(prior, "alarm_name").unwrap_or_default();
        let arn = s(prior, "arn").unwrap_or_default();
        let mut settings = prior.clone();
        set(&mut settings, "tags", planned.get_attr("tags").clone());
        if !crate::util::same(&settings, planned) {
            put(c, planned, None).await.map_err(|d| vec![d])?;
        }
        if let Some((gone, now)) = crate::util::tag_change(prior, planned) {
            if !gone.is_empty() {
                c.cloudwatch
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(gone))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("UntagResource", e)])?;
            }
            if !now.is_empty() {
                let tags = now
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect::<Vec<_>>();
                c.cloudwatch
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("TagResource", e)])?;
            }
        }
        read_one(c, &name).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let name = s(prior, "alarm_name").unwrap_or_default();
        match c.cloudwatch.delete_alarms().alarm_names(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteAlarms", e)]),
        }
    }

    /// One `DescribeAlarms` per 100 alarms; then each alarm's tags.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let names: Vec<String> = current
            .iter()
            .map(|v| {
                s(v, "alarm_name")
                    .or_else(|| s(v, "id"))
                    .unwrap_or_default()
            })
            .collect();
        let found = match describe(c, &names).await {
            Ok(f) => f,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let mut out = Vec::with_capacity(current.len());
        for name in &names {
            out.push(match found.get(name) {
                None => Ok(None),
                Some(a) => match tags_of_alarm(c, a.alarm_arn().unwrap_or_default()).await {
                    Ok(t) => Ok(Some(alarm_value(
                        a,
                        crate::util::tag_map(
                            t.iter().map(|(k, v)| (Some(k.as_str()), Some(v.as_str()))),
                        ),
                    ))),
                    Err(d) => Err(d),
                },
            });
        }
        out
    }
}
