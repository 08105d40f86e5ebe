//! Deployments: a fleet of servers behind a listener, released by a strategy.
//!
//! A *release* is one version of the fleet: its id is a digest of the fleet
//! template (`r` + 8 hex digits), so the same template is the same release on
//! every run. Its objects are a target group named `<name>-<release>` and
//! instances tagged `iac:deployment` and `iac:release`: a run that crashed
//! halfway finds them by name and tag and carries on, instead of making more.
//!
//! - `blue_green`: the new release is built beside the live one, checked, and
//!   the listener flipped to it with one `ModifyListener`; the previous release
//!   is kept for `keep_previous` (for `iac rollback`), then removed by a later apply.
//! - `canary`: the listener shifts traffic through weighted steps, confirming
//!   each step with `DescribeListeners` and checking health between steps.
//! - `rolling`: servers are replaced in batches behind one target group, the
//!   new ones healthy before the old ones leave.
//!
//! Traffic only ever moves to a release whose health gate passed. A gate that
//! fails (or times out) returns traffic to the previous release and tears the
//! new one down, and the apply fails with the reason.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{Filter, InstanceStateName, ResourceType, Tag, TagSpecification};
use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetDescription, TargetGroupTuple,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;
use sha2::Digest;

use crate::schema::nested;
use crate::util::{first, opt_str, s, sdk_err, strings};
use crate::Clients;

const DEPLOYMENT_TAG: &str = "iac:deployment";
const RELEASE_TAG: &str = "iac:release";

pub fn schema() -> Schema {
    use AttrType::{Bool, Dynamic, Number, String as Str};
    let strings = || AttrType::List(Box::new(Str));
    let health_check = Schema::new("The target group's health check.")
        .attr("path", Attribute::optional(Str, "HTTP path (default /)."))
        .attr(
            "port",
            Attribute::optional(Str, "traffic-port or a number."),
        )
        .attr("protocol", Attribute::optional(Str, "HTTP or HTTPS."))
        .attr(
            "interval",
            Attribute::optional(Number, "Seconds between checks."),
        )
        .attr(
            "timeout",
            Attribute::optional(Number, "Seconds to wait for an answer."),
        )
        .attr(
            "healthy_threshold",
            Attribute::optional(Number, "Successes to become healthy."),
        )
        .attr(
            "unhealthy_threshold",
            Attribute::optional(Number, "Failures to become unhealthy."),
        )
        .attr(
            "matcher",
            Attribute::optional(Str, "Success codes, such as 200-299."),
        );
    let target_group = Schema::new("The target group each release gets.")
        .attr(
            "port",
            Attribute::required(Number, "Port the servers listen on."),
        )
        .attr(
            "protocol",
            Attribute::optional(Str, "HTTP (default) or HTTPS."),
        )
        .attr("vpc_id", Attribute::required(Str, "VPC of the servers."))
        .attr(
            "deregistration_delay",
            Attribute::optional(Number, "Seconds to drain a server being removed."),
        )
        .block(
            "health_check",
            nested(Nesting::List, 0, Some(1), health_check),
        );
    let fleet = Schema::new("The template of one release: what a change to it releases.")
        .attr("count", Attribute::required(Number, "How many servers."))
        .attr("ami", Attribute::required(Str, "Machine image."))
        .attr("instance_type", Attribute::required(Str, "Instance type."))
        .attr(
            "subnet_ids",
            Attribute::required(strings(), "Subnets, used in turn."),
        )
        .attr(
            "vpc_security_group_ids",
            Attribute::optional(strings(), "Security groups."),
        )
        .attr("user_data", Attribute::optional(Str, "Boot script."))
        .attr("key_name", Attribute::optional(Str, "SSH key pair."))
        .attr(
            "iam_instance_profile",
            Attribute::optional(Str, "Instance profile name."),
        )
        .attr(
            "tags",
            Attribute::optional(AttrType::Map(Box::new(Str)), "Tags of the servers."),
        )
        .block(
            "target_group",
            nested(Nesting::List, 1, Some(1), target_group),
        );
    let health = Schema::new("The gate a release must pass before it gets traffic.")
        .attr(
            "healthy_targets",
            Attribute::optional(
                Str,
                "\"100%\" (default), a percentage, or a number of servers.",
            ),
        )
        .attr(
            "timeout",
            Attribute::optional(Str, "How long to wait, such as 10m (default)."),
        )
        .attr(
            "check_url",
            Attribute::optional(Str, "An http:// URL that must answer 2xx as well."),
        )
        .attr(
            "interval",
            Attribute::optional(Str, "Time between checks (default 5s)."),
        );
    let canary = Schema::new("Traffic steps for the canary strategy.")
        .attr(
            "steps",
            Attribute::required(
                AttrType::List(Box::new(Number)),
                "Percentages, such as [10, 50, 100].",
            ),
        )
        .attr(
            "interval",
            Attribute::optional(Str, "Time at each step, checking health (default 5m)."),
        );
    let rolling = Schema::new("Batches for the rolling strategy.")
        .attr(
            "batch_size",
            Attribute::optional(Number, "Servers replaced at once (default 1)."),
        )
        .attr(
            "min_healthy_percent",
            Attribute::optional(
                Number,
                "Healthy servers never fall below this share (default 100).",
            ),
        );
    let rollback =
        Schema::new("What happens on failure, and how long the previous release is kept.")
            .attr(
                "automatic",
                Attribute::optional(Bool, "Roll back when a gate fails (default true)."),
            )
            .attr(
                "keep_previous",
                Attribute::optional(
                    Str,
                    "Keep the previous release this long for `iac rollback` (default 1h).",
                ),
            );
    Schema::new("A fleet of servers behind a listener, released by a strategy (blue_green, canary, rolling).")
        .attr("name", Attribute::required(Str, "The deployment's name (its label).").force_new())
        .attr(
            "listener",
            Attribute::required(Dynamic, "The aws_lb_listener (or its ARN) that carries the traffic.")
                .force_new(),
        )
        .attr("strategy", Attribute::required(Str, "blue_green, canary or rolling."))
        .block("fleet", nested(Nesting::List, 1, Some(1), fleet))
        .block("health", nested(Nesting::List, 0, Some(1), health))
        .block("canary", nested(Nesting::List, 0, Some(1), canary))
        .block("rolling", nested(Nesting::List, 0, Some(1), rolling))
        .block("rollback", nested(Nesting::List, 0, Some(1), rollback))
        .attr("id", Attribute::computed(Str, "The name."))
        .attr("listener_arn", Attribute::computed(Str, "The listener's ARN."))
        .attr("release", Attribute::computed(Str, "The live release."))
        .attr("live_target_group_arn", Attribute::computed(Str, "The live release's target group."))
        .attr(
            "releases",
            Attribute::computed(
                AttrType::List(Box::new(AttrType::Map(Box::new(Str)))),
                "Every release iac still has: id, status (live, previous, rolled_back), target_group_arn, instance_ids, created, keep_until, weight.",
            ),
        )
}

// ---- small helpers ----------------------------------------------------------

use iac_value::time::{now_secs as now, parse_rfc3339 as parse_time, rfc3339};

/// `10m`, `30s`, `1h30m`, `500ms` (see `iac_value::time::parse_duration`).
pub fn duration(s: &str) -> Option<Duration> {
    iac_value::time::parse_duration(s).ok()
}

fn setting(v: &Value, block: &str, key: &str) -> Option<String> {
    first(v, block).get_attr(key).as_str().map(String::from)
}

fn listener_arn(v: &Value) -> Option<String> {
    let l = v.get_attr("listener");
    l.as_str()
        .map(String::from)
        .or_else(|| l.get_attr("arn").as_str().map(String::from))
}

/// A deployment holds its listener by ARN: the listener's other attributes
/// (its actions, which the deployment itself changes) are not its business.
pub fn normalize(planned: &mut Value) {
    if let Some(arn) = listener_arn(planned) {
        crate::util::set(planned, "listener", Value::String(arn));
    }
}

/// The release id of a fleet template, or `None` while it has unknown values.
pub fn release_id(config: &Value) -> Option<String> {
    let fleet = config.get_attr("fleet");
    if !fleet.is_wholly_known() {
        return None;
    }
    let text = iac_value::to_json(
        &fleet.clone().unmark_deep().0,
        &iac_value::JsonOptions::Omit,
    )
    .to_string();
    let h = sha2::Sha256::digest(text.as_bytes());
    Some(format!(
        "r{}",
        h.iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// One release, as state records it.
#[derive(Clone, Debug, Default)]
struct Release {
    id: String,
    status: String,
    tg: String,
    instances: Vec<String>,
    created: String,
    keep_until: String,
    weight: String,
}

impl Release {
    fn value(&self) -> Value {
        Value::Map(
            [
                ("id", self.id.clone()),
                ("status", self.status.clone()),
                ("target_group_arn", self.tg.clone()),
                ("instance_ids", self.instances.join(",")),
                ("created", self.created.clone()),
                ("keep_until", self.keep_until.clone()),
                ("weight", self.weight.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::String(v)))
            .collect(),
        )
    }

    fn from(v: &Value) -> Release {
        let g = |k: &str| s(v, k).unwrap_or_default();
        Release {
            id: g("id"),
            status: g("status"),
            tg: g("target_group_arn"),
            instances: g("instance_ids")
                .split(',')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect(),
            created: g("created"),
            keep_until: g("keep_until"),
            weight: g("weight"),
        }
    }

    fn expired(&self, at: u64) -> bool {
        matches!(self.status.as_str(), "previous" | "rolled_back")
            && parse_time(&self.keep_until).is_some_and(|t| t <= at)
    }
}

fn releases_of(v: &Value) -> Vec<Release> {
    v.get_attr("releases")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(Release::from)
        .collect()
}

// ---- planning -----------------------------------------------------------------

/// Plans a deployment: which release the configuration asks for, and the steps
/// to get there, as notes the plan shows.
pub fn plan(
    prior: Option<&Value>,
    config: &Value,
    planned: &mut Value,
    notes: &mut Vec<String>,
    diags: &mut Vec<AttrDiagnostic>,
) {
    let set = |v: &mut Value, k: &str, x: Value| crate::util::set(v, k, x);
    let wanted = release_id(config);
    let strategy = s(config, "strategy").unwrap_or_default();
    if !matches!(strategy.as_str(), "blue_green" | "canary" | "rolling") {
        diags.push(crate::util::attr_err(
            "strategy",
            "Unknown deployment strategy",
            format!("\"{strategy}\": the strategies are blue_green, canary, rolling"),
        ));
        return;
    }
    if strategy == "canary" && first(config, "canary").is_null() {
        diags.push(crate::util::attr_err(
            "canary",
            "Missing canary block",
            "the canary strategy needs canary { steps = [10, 50, 100] }",
        ));
    }
    set(planned, "id", config.get_attr("name").clone());
    set(
        planned,
        "listener_arn",
        listener_arn(config)
            .map(Value::String)
            .unwrap_or(Value::Unknown),
    );
    let keep = setting(config, "rollback", "keep_previous").unwrap_or_else(|| "1h".into());
    let at = now();
    let prior_releases = prior.map(releases_of).unwrap_or_default();
    let live = prior_releases.iter().find(|r| r.status == "live").cloned();
    let expired: Vec<&Release> = prior_releases.iter().filter(|r| r.expired(at)).collect();
    let rid_text = wanted
        .clone()
        .unwrap_or_else(|| "(id known after apply)".into());
    let new_release = match (&wanted, &live) {
        (Some(w), Some(l)) => *w != l.id,
        _ => true,
    };
    if let (Some(w), true) = (&wanted, new_release) {
        if let Some(r) = prior_releases
            .iter()
            .find(|r| r.id == *w && r.status == "rolled_back")
        {
            diags.push(AttrDiagnostic {
                severity: iac_provider::Severity::Warning,
                path: vec![iac_value::PathStep::Key("fleet".into())],
                summary: format!("Release {w} was rolled back; it is not deployed again"),
                detail: format!(
                    "the configured fleet is release {w}, rolled back at {}; change the fleet to make a new release",
                    r.created
                ),
            });
            for k in ["release", "live_target_group_arn", "releases"] {
                set(
                    planned,
                    k,
                    prior.map(|p| p.get_attr(k).clone()).unwrap_or(Value::Null),
                );
            }
            note_cleanup(&expired, notes, planned);
            return;
        }
    }
    if !new_release {
        for k in ["release", "live_target_group_arn", "releases"] {
            set(
                planned,
                k,
                prior.map(|p| p.get_attr(k).clone()).unwrap_or(Value::Null),
            );
        }
        note_cleanup(&expired, notes, planned);
        return;
    }
    set(
        planned,
        "release",
        wanted.clone().map(Value::String).unwrap_or(Value::Unknown),
    );
    set(planned, "live_target_group_arn", Value::Unknown);
    set(planned, "releases", Value::Unknown);
    let fleet = first(config, "fleet");
    let count = fleet.get_attr("count").as_f64().unwrap_or(0.0) as usize;
    let ty = s(&fleet, "instance_type").unwrap_or_else(|| "?".into());
    let name = s(config, "name").unwrap_or_default();
    let gate = gate_text(config);
    let listener = "listener";
    match (strategy.as_str(), &live) {
        (_, None) => {
            notes.push(format!("create release {rid_text}: {count} × aws_instance ({ty}), target group {name}-{rid_text}"));
            notes.push(format!("wait until {gate}"));
            notes.push(format!("point the {listener} at {rid_text}"));
        }
        ("rolling", Some(l)) => {
            let batch = first(config, "rolling")
                .get_attr("batch_size")
                .as_f64()
                .unwrap_or(1.0) as usize;
            let min = first(config, "rolling")
                .get_attr("min_healthy_percent")
                .as_f64()
                .unwrap_or(100.0);
            notes.push(format!(
                "replace {} servers of {} with release {rid_text} ({count} × {ty}), {} at a time behind target group {}: each batch healthy ({gate}) before the old one is removed; never under {min}% healthy",
                l.instances.len(),
                l.id,
                batch.max(1),
                short_tg(&l.tg)
            ));
        }
        ("canary", Some(l)) => {
            let c = first(config, "canary");
            let steps: Vec<String> = c
                .get_attr("steps")
                .as_list()
                .unwrap_or(&[])
                .iter()
                .map(|x| format!("{}%", x.as_f64().unwrap_or(0.0)))
                .collect();
            let every = s(&c, "interval").unwrap_or_else(|| "5m".into());
            notes.push(format!("create release {rid_text}: {count} × aws_instance ({ty}), target group {name}-{rid_text}"));
            notes.push(format!("wait until {gate}"));
            notes.push(format!(
                "shift traffic from {} to {rid_text} in steps {} ({every} each, confirmed with DescribeListeners, health checked throughout)",
                l.id,
                steps.join(" → ")
            ));
            notes.push(format!("keep {} for {keep} for `iac rollback`", l.id));
        }
        (_, Some(l)) => {
            notes.push(format!("create release {rid_text}: {count} × aws_instance ({ty}), target group {name}-{rid_text}"));
            notes.push(format!("wait until {gate}"));
            notes.push(format!(
                "flip the {listener} {} → {rid_text} (one ModifyListener)",
                l.id
            ));
            notes.push(format!(
                "keep {} until {} for `iac rollback`, then remove it on a later apply",
                l.id,
                rfc3339(at + duration(&keep).map(|d| d.as_secs()).unwrap_or(3600))
            ));
        }
    }
    if setting(config, "rollback", "automatic").is_none()
        || first(config, "rollback").get_attr("automatic").as_bool() != Some(false)
    {
        notes.push("on a failed gate: traffic stays on (or returns to) the live release and the new one is removed".into());
    }
    note_cleanup(&expired, notes, planned);
}

fn note_cleanup(expired: &[&Release], notes: &mut Vec<String>, planned: &mut Value) {
    for r in expired {
        notes.push(format!(
            "remove release {} (kept until {})",
            r.id, r.keep_until
        ));
    }
    if !expired.is_empty() {
        crate::util::set(planned, "releases", Value::Unknown);
    }
}

fn gate_text(config: &Value) -> String {
    let h = first(config, "health");
    let pct = s(&h, "healthy_targets").unwrap_or_else(|| "100%".into());
    let timeout = s(&h, "timeout").unwrap_or_else(|| "10m".into());
    let mut t = format!("{pct} of targets are healthy (timeout {timeout})");
    if let Some(u) = s(&h, "check_url") {
        t.push_str(&format!(" and {u} answers 2xx"));
    }
    t
}

fn short_tg(arn: &str) -> &str {
    arn.split(":targetgroup/")
        .nth(1)
        .and_then(|x| x.split('/').next())
        .unwrap_or(arn)
}

// ---- AWS steps ------------------------------------------------------------------

/// A deployment's identity on its objects: its name and listener.
fn dep_key(name: &str, listener: &str) -> String {
    format!("{name}@{listener}")
}

fn tg_name(name: &str, rid: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(32 - rid.len() - 1)
        .collect();
    format!("{}-{rid}", clean.trim_matches('-'))
}

fn fail(summary: impl Into<String>, detail: impl Into<String>) -> AttrDiagnostic {
    AttrDiagnostic::error(Vec::new(), summary, detail)
}

async fn release_instances(
    c: &Clients,
    key: &str,
    rid: &str,
) -> Result<Vec<String>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name(format!("tag:{DEPLOYMENT_TAG}"))
                .values(key)
                .build(),
        )
        .filters(
            Filter::builder()
                .name(format!("tag:{RELEASE_TAG}"))
                .values(rid)
                .build(),
        )
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeInstances", e))?;
    let mut ids: Vec<String> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id().map(String::from))
        .collect();
    ids.sort();
    Ok(ids)
}

/// Launches `n` servers of the template (adding to any already there).
#[allow(clippy::too_many_arguments)]
async fn launch(
    c: &Clients,
    fleet: &Value,
    key: &str,
    rid: &str,
    name: &str,
    n: usize,
    token: &str,
    offset: usize,
) -> Result<Vec<String>, AttrDiagnostic> {
    let subnets = strings(fleet, "subnet_ids");
    let sgs = strings(fleet, "vpc_security_group_ids");
    let mut ids = Vec::new();
    for i in 0..n {
        let idx = offset + i;
        let mut tags = TagSpecification::builder()
            .resource_type(ResourceType::Instance)
            .tags(Tag::builder().key(DEPLOYMENT_TAG).value(key).build())
            .tags(Tag::builder().key(RELEASE_TAG).value(rid).build())
            .tags(
                Tag::builder()
                    .key("Name")
                    .value(format!("{name}-{rid}-{idx}"))
                    .build(),
            );
        for (k, v) in crate::util::tags_of(fleet) {
            tags = tags.tags(Tag::builder().key(k).value(v).build());
        }
        let client_token: String = format!("{token}-{rid}-{idx}").chars().take(64).collect();
        let out = c
            .ec2
            .run_instances()
            .set_image_id(s(fleet, "ami"))
            .set_instance_type(
                s(fleet, "instance_type")
                    .map(|t| aws_sdk_ec2::types::InstanceType::from(t.as_str())),
            )
            .min_count(1)
            .max_count(1)
            .set_subnet_id(subnets.get(idx % subnets.len().max(1)).cloned())
            .set_security_group_ids((!sgs.is_empty()).then(|| sgs.clone()))
            .set_key_name(s(fleet, "key_name"))
            .set_iam_instance_profile(s(fleet, "iam_instance_profile").map(|n| {
                aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                    .name(n)
                    .build()
            }))
            .set_user_data(s(fleet, "user_data").map(|u| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(u)
            }))
            .client_token(client_token)
            .tag_specifications(tags.build())
            .send()
            .await
            .map_err(|e| sdk_err("RunInstances", e))?;
        if let Some(id) = out.instances().first().and_then(|i| i.instance_id()) {
            ids.push(id.to_string());
        }
    }
    for id in &ids {
        crate::ec2::instance::wait_state(c, id, InstanceStateName::Running).await?;
    }
    Ok(ids)
}

async fn register(c: &Clients, tg: &str, ids: &[String]) -> Result<(), AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(());
    }
    c.elb
        .register_targets()
        .target_group_arn(tg)
        .set_targets(Some(
            ids.iter()
                .map(|i| TargetDescription::builder().id(i).build())
                .collect(),
        ))
        .send()
        .await
        .map_err(|e| sdk_err("RegisterTargets", e))?;
    Ok(())
}

async fn terminate(c: &Clients, ids: &[String]) -> Result<(), AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(());
    }
    match c
        .ec2
        .terminate_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if crate::util::err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
        Err(e) => Err(sdk_err("TerminateInstances", e)),
    }
}

/// Builds (or finds, after a crash) a release's target group and servers.
async fn build_release(
    c: &Clients,
    config: &Value,
    key: &str,
    rid: &str,
    token: &str,
) -> Result<Release, AttrDiagnostic> {
    let name = s(config, "name").unwrap_or_default();
    let fleet = first(config, "fleet");
    let mut tg_conf = first(&fleet, "target_group");
    if tg_conf.get_attr("protocol").is_null() {
        crate::util::set(&mut tg_conf, "protocol", Value::string("HTTP"));
    }
    let tags = vec![
        elb::types::Tag::builder()
            .key(DEPLOYMENT_TAG)
            .value(key)
            .build(),
        elb::types::Tag::builder()
            .key(RELEASE_TAG)
            .value(rid)
            .build(),
    ];
    let tg = crate::elb::create_tg(c, &tg_conf, &tg_name(&name, rid), tags).await?;
    let tg_arn = tg.target_group_arn().unwrap_or_default().to_string();
    let count = fleet.get_attr("count").as_f64().unwrap_or(0.0) as usize;
    let mut ids = release_instances(c, key, rid).await?;
    if ids.len() < count {
        let more = launch(
            c,
            &fleet,
            key,
            rid,
            &name,
            count - ids.len(),
            token,
            ids.len(),
        )
        .await?;
        ids.extend(more);
    }
    ids.sort();
    register(c, &tg_arn, &ids).await?;
    Ok(Release {
        id: rid.to_string(),
        status: "new".into(),
        tg: tg_arn,
        instances: ids,
        created: rfc3339(now()),
        keep_until: String::new(),
        weight: "0".into(),
    })
}

async fn teardown(c: &Clients, r: &Release) -> Result<(), AttrDiagnostic> {
    terminate(c, &r.instances).await?;
    if !r.tg.is_empty() {
        crate::elb::delete_tg(c, &r.tg).await?;
    }
    Ok(())
}

/// How many of a target group's targets are healthy, and the others' states.
async fn health_of(c: &Clients, tg: &str) -> Result<(usize, usize, Vec<String>), AttrDiagnostic> {
    let out = c
        .elb
        .describe_target_health()
        .target_group_arn(tg)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTargetHealth", e))?;
    let mut healthy = 0;
    let mut other = Vec::new();
    let all = out.target_health_descriptions();
    for d in all {
        let state = d
            .target_health()
            .and_then(|h| h.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if state == "healthy" {
            healthy += 1;
        } else {
            other.push(format!(
                "{}: {state}",
                d.target().and_then(|t| t.id()).unwrap_or("?")
            ));
        }
    }
    Ok((healthy, all.len(), other))
}

/// GET an http:// URL; true on a 2xx answer.
async fn url_ok(url: &str) -> Result<(), String> {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: only http:// URLs can be checked"))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:80")
        };
        let mut s = std::net::TcpStream::connect(&addr).map_err(|e| format!("{url}: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        // One write: a server that answers after the first bytes must not cut
        // the rest of the request off.
        let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
        s.write_all(request.as_bytes())
            .map_err(|e| format!("{url}: {e}"))?;
        let mut buf = String::new();
        let _ = s.read_to_string(&mut buf);
        let code: u16 = buf
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if (200..300).contains(&code) {
            Ok(())
        } else {
            Err(format!("{url} answered {code}"))
        }
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Waits for a release to pass its health gate; the error says why it did not.
async fn gate(c: &Clients, config: &Value, r: &Release) -> Result<(), String> {
    let h = first(config, "health");
    let want_text = s(&h, "healthy_targets").unwrap_or_else(|| "100%".into());
    let total = r.instances.len();
    let want = match want_text.strip_suffix('%') {
        Some(p) => {
            ((p.trim().parse::<f64>().unwrap_or(100.0) / 100.0) * total as f64).ceil() as usize
        }
        None => want_text.trim().parse().unwrap_or(total),
    };
    let timeout = s(&h, "timeout")
        .and_then(|t| duration(&t))
        .unwrap_or(Duration::from_secs(600));
    let every = s(&h, "interval")
        .and_then(|t| duration(&t))
        .unwrap_or(Duration::from_secs(5));
    let url = s(&h, "check_url");
    let deadline = Instant::now() + timeout;
    loop {
        let (healthy, _, other) = health_of(c, &r.tg)
            .await
            .map_err(|d| format!("{}: {}", d.summary, d.detail))?;
        let url_state = match &url {
            Some(u) => url_ok(u).await,
            None => Ok(()),
        };
        if healthy >= want && url_state.is_ok() {
            return Ok(());
        }
        if Instant::now() + every > deadline {
            let mut why = format!(
                "release {} did not pass its health gate within {}: {healthy} of {total} targets healthy, {want} needed",
                r.id,
                s(&h, "timeout").unwrap_or_else(|| "10m".into())
            );
            if !other.is_empty() {
                why.push_str(&format!(" ({})", other.join(", ")));
            }
            if let Err(u) = url_state {
                why.push_str(&format!("; {u}"));
            }
            return Err(why);
        }
        tokio::time::sleep(every).await;
    }
}

/// Points the listener's default action at target groups with weights, and
/// reads it back to confirm.
async fn route(c: &Clients, listener: &str, groups: &[(&str, i32)]) -> Result<(), AttrDiagnostic> {
    let action = if groups.len() == 1 {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(groups[0].0)
            .build()
    } else {
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(
                ForwardActionConfig::builder()
                    .set_target_groups(Some(
                        groups
                            .iter()
                            .map(|(tg, w)| {
                                TargetGroupTuple::builder()
                                    .target_group_arn(*tg)
                                    .weight(*w)
                                    .build()
                            })
                            .collect(),
                    ))
                    .build(),
            )
            .build()
    };
    c.elb
        .modify_listener()
        .listener_arn(listener)
        .default_actions(action)
        .send()
        .await
        .map_err(|e| sdk_err("ModifyListener", e))?;
    let seen = weights(c, listener).await?;
    let want: BTreeMap<String, i32> = groups
        .iter()
        .filter(|(_, w)| *w > 0 || groups.len() > 1)
        .map(|(t, w)| (t.to_string(), if groups.len() == 1 { 1 } else { *w }))
        .collect();
    let got: BTreeMap<String, i32> = seen
        .into_iter()
        .filter(|(_, w)| *w > 0 || groups.len() > 1)
        .collect();
    if got != want {
        return Err(fail(
            "The listener did not take the new weights",
            format!("asked for {want:?}, DescribeListeners shows {got:?}"),
        ));
    }
    Ok(())
}

/// The listener's default forward weights by target group.
async fn weights(c: &Clients, listener: &str) -> Result<BTreeMap<String, i32>, AttrDiagnostic> {
    let l = crate::elb::describe_listener(c, listener)
        .await?
        .ok_or_else(|| fail("Listener not found", listener.to_string()))?;
    let mut out = BTreeMap::new();
    for a in l.default_actions() {
        if let Some(f) = a.forward_config().filter(|f| !f.target_groups().is_empty()) {
            for g in f.target_groups() {
                out.insert(
                    g.target_group_arn().unwrap_or_default().to_string(),
                    g.weight().unwrap_or(1),
                );
            }
        } else if let Some(t) = a.target_group_arn() {
            out.insert(t.to_string(), 1);
        }
    }
    Ok(out)
}

fn value(config: &Value, listener: &str, releases: &[Release]) -> Value {
    let mut v = config.clone();
    let live = releases.iter().find(|r| r.status == "live");
    crate::util::set(&mut v, "id", config.get_attr("name").clone());
    crate::util::set(&mut v, "listener_arn", Value::string(listener));
    crate::util::set(&mut v, "release", opt_str(live.map(|r| r.id.as_str())));
    crate::util::set(
        &mut v,
        "live_target_group_arn",
        opt_str(live.map(|r| r.tg.as_str())),
    );
    crate::util::set(
        &mut v,
        "releases",
        Value::List(releases.iter().map(Release::value).collect()),
    );
    v
}

fn keep_secs(config: &Value) -> u64 {
    setting(config, "rollback", "keep_previous")
        .and_then(|k| duration(&k))
        .map(|d| d.as_secs())
        .unwrap_or(3600)
}

/// Creates, releases or removes a deployment.
pub async fn apply(
    c: &Clients,
    prior: Option<&Value>,
    planned: Option<&Value>,
    token: &str,
) -> Result<Option<Value>, Vec<AttrDiagnostic>> {
    let one = |d: AttrDiagnostic| vec![d];
    let Some(p) = planned else {
        // Removing the deployment: the listener stops forwarding to it first.
        let Some(old) = prior else { return Ok(None) };
        let listener = s(old, "listener_arn").unwrap_or_default();
        let unavailable = Action::builder()
            .r#type(ActionTypeEnum::FixedResponse)
            .fixed_response_config(
                elb::types::FixedResponseActionConfig::builder()
                    .content_type("text/plain")
                    .message_body("no release is deployed")
                    .status_code("503")
                    .build(),
            )
            .build();
        match c
            .elb
            .modify_listener()
            .listener_arn(&listener)
            .default_actions(unavailable)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if crate::util::err_code(&e).is_some_and(|c| c.contains("NotFound")) => {}
            Err(e) => return Err(one(sdk_err("ModifyListener", e))),
        }
        for r in releases_of(old) {
            teardown(c, &r).await.map_err(one)?;
        }
        return Ok(None);
    };
    let name = s(p, "name").unwrap_or_default();
    let listener =
        listener_arn(p).ok_or_else(|| one(fail("The deployment has no listener ARN", "")))?;
    let key = dep_key(&name, &listener);
    let rid = release_id(p).ok_or_else(|| one(fail("The fleet is not known yet", "")))?;
    let strategy = s(p, "strategy").unwrap_or_default();
    let automatic = first(p, "rollback").get_attr("automatic").as_bool() != Some(false);
    let at = now();
    let mut releases = prior.map(releases_of).unwrap_or_default();
    // Kept releases whose time is up go first (never the live one).
    let mut kept = Vec::new();
    for r in releases.drain(..) {
        if r.expired(at) {
            teardown(c, &r).await.map_err(one)?;
        } else {
            kept.push(r);
        }
    }
    releases = kept;
    let live = releases.iter().position(|r| r.status == "live");
    let same = live.is_some_and(|i| releases[i].id == rid);
    let rolled_back = releases
        .iter()
        .any(|r| r.id == rid && r.status == "rolled_back");
    if same || rolled_back {
        return Ok(Some(value(p, &listener, &releases)));
    }
    let keep_until = rfc3339(at + keep_secs(p));
    let failed = |why: String, extra: &str| {
        vec![fail(
            format!("Deployment {name} rolled back: {why}"),
            format!("{extra}traffic stayed on the live release; the state is unchanged"),
        )]
    };

    if strategy == "rolling" {
        // One target group for every release: the live one's, or a new one.
        let mut new = build_release_rolling(c, p, &key, &rid, token, live.map(|i| &releases[i]))
            .await
            .map_err(one)?;
        let Some(li) = live else {
            if let Err(why) = gate(c, p, &new).await {
                if automatic {
                    teardown(c, &new).await.map_err(one)?;
                }
                return Err(failed(why, ""));
            }
            route(c, &listener, &[(&new.tg, 1)]).await.map_err(one)?;
            new.status = "live".into();
            new.weight = "100".into();
            return Ok(Some(value(p, &listener, &[new])));
        };
        let old = releases[li].clone();
        let fleet = first(p, "fleet");
        let count = fleet.get_attr("count").as_f64().unwrap_or(0.0) as usize;
        let batch = (first(p, "rolling")
            .get_attr("batch_size")
            .as_f64()
            .unwrap_or(1.0) as usize)
            .max(1);
        let mut remaining_old = old.instances.clone();
        let mut new_ids = release_instances(c, &key, &rid).await.map_err(one)?;
        while new_ids.len() < count || !remaining_old.is_empty() {
            let add = batch.min(count.saturating_sub(new_ids.len()));
            let launched = launch(c, &fleet, &key, &rid, &name, add, token, new_ids.len())
                .await
                .map_err(one)?;
            register(c, &new.tg, &launched).await.map_err(one)?;
            let probe = Release {
                instances: launched.clone(),
                ..new.clone()
            };
            if let Err(why) = gate_ids(c, p, &probe, &launched).await {
                if automatic {
                    // Only the servers of this batch go; the old ones still serve.
                    deregister(c, &new.tg, &launched).await.map_err(one)?;
                    terminate(c, &launched).await.map_err(one)?;
                }
                return Err(failed(why, "the old servers were kept; "));
            }
            new_ids.extend(launched);
            let leave: Vec<String> = remaining_old
                .drain(..batch.min(remaining_old.len()))
                .collect();
            deregister(c, &new.tg, &leave).await.map_err(one)?;
            terminate(c, &leave).await.map_err(one)?;
        }
        new.instances = new_ids;
        new.status = "live".into();
        new.weight = "100".into();
        let mut out: Vec<Release> = releases.into_iter().filter(|r| r.id != old.id).collect();
        out.push(new);
        return Ok(Some(value(p, &listener, &out)));
    }

    let mut new = build_release(c, p, &key, &rid, token).await.map_err(one)?;
    if let Err(why) = gate(c, p, &new).await {
        if automatic {
            teardown(c, &new).await.map_err(one)?;
            return Err(failed(why, &format!("release {rid} was removed; ")));
        }
        return Err(failed(
            why,
            &format!(
                "release {rid} was left in place for inspection (rollback.automatic = false); "
            ),
        ));
    }
    let Some(li) = live else {
        route(c, &listener, &[(&new.tg, 1)]).await.map_err(one)?;
        new.status = "live".into();
        new.weight = "100".into();
        releases.push(new);
        return Ok(Some(value(p, &listener, &releases)));
    };
    let old_tg = releases[li].tg.clone();
    if strategy == "canary" {
        let c_cfg = first(p, "canary");
        let every = s(&c_cfg, "interval")
            .and_then(|t| duration(&t))
            .unwrap_or(Duration::from_secs(300));
        let steps: Vec<i32> = c_cfg
            .get_attr("steps")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .filter_map(|x| x.as_f64())
            .map(|x| x.clamp(0.0, 100.0) as i32)
            .collect();
        for w in steps.iter().copied().filter(|w| *w < 100) {
            route(c, &listener, &[(&old_tg, 100 - w), (&new.tg, w)])
                .await
                .map_err(one)?;
            let until = Instant::now() + every;
            loop {
                if let Err(why) = gate(c, p, &new).await {
                    route(c, &listener, &[(&old_tg, 1)]).await.map_err(one)?;
                    if automatic {
                        teardown(c, &new).await.map_err(one)?;
                    }
                    return Err(failed(
                        why,
                        &format!("traffic was at {w}% on {rid} and went back; "),
                    ));
                }
                if Instant::now() >= until {
                    break;
                }
                let pause = first(p, "health")
                    .get_attr("interval")
                    .as_str()
                    .and_then(duration)
                    .unwrap_or(Duration::from_secs(5))
                    .min(until.saturating_duration_since(Instant::now()));
                tokio::time::sleep(pause).await;
            }
        }
    }
    route(c, &listener, &[(&new.tg, 1)]).await.map_err(one)?;
    for r in releases.iter_mut() {
        if r.status == "live" {
            r.status = "previous".into();
            r.keep_until = keep_until.clone();
            r.weight = "0".into();
        }
    }
    new.status = "live".into();
    new.weight = "100".into();
    releases.push(new);
    Ok(Some(value(p, &listener, &releases)))
}

async fn deregister(c: &Clients, tg: &str, ids: &[String]) -> Result<(), AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(());
    }
    match c
        .elb
        .deregister_targets()
        .target_group_arn(tg)
        .set_targets(Some(
            ids.iter()
                .map(|i| TargetDescription::builder().id(i).build())
                .collect(),
        ))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if crate::util::err_code(&e)
                .is_some_and(|c| c.contains("NotFound") || c.contains("InvalidTarget")) =>
        {
            Ok(())
        }
        Err(e) => Err(sdk_err("DeregisterTargets", e)),
    }
}

/// The gate for some servers of a target group (a rolling batch).
async fn gate_ids(c: &Clients, config: &Value, r: &Release, ids: &[String]) -> Result<(), String> {
    let h = first(config, "health");
    let timeout = s(&h, "timeout")
        .and_then(|t| duration(&t))
        .unwrap_or(Duration::from_secs(600));
    let every = s(&h, "interval")
        .and_then(|t| duration(&t))
        .unwrap_or(Duration::from_secs(5));
    let deadline = Instant::now() + timeout;
    loop {
        let out = c
            .elb
            .describe_target_health()
            .target_group_arn(&r.tg)
            .set_targets(Some(
                ids.iter()
                    .map(|i| TargetDescription::builder().id(i).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| format!("{:?}", sdk_err("DescribeTargetHealth", e).detail))?;
        let states: Vec<(String, String)> = out
            .target_health_descriptions()
            .iter()
            .map(|d| {
                (
                    d.target().and_then(|t| t.id()).unwrap_or("?").to_string(),
                    d.target_health()
                        .and_then(|h| h.state())
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let url_state = match s(&h, "check_url") {
            Some(u) => url_ok(&u).await,
            None => Ok(()),
        };
        if states.iter().all(|(_, s)| s == "healthy") && url_state.is_ok() {
            return Ok(());
        }
        if Instant::now() + every > deadline {
            let bad: Vec<String> = states
                .iter()
                .filter(|(_, s)| s != "healthy")
                .map(|(i, s)| format!("{i}: {s}"))
                .collect();
            let mut why = format!(
                "new servers of release {} were not healthy in time ({})",
                r.id,
                bad.join(", ")
            );
            if let Err(u) = url_state {
                why.push_str(&format!("; {u}"));
            }
            return Err(why);
        }
        tokio::time::sleep(every).await;
    }
}

/// The target group a rolling deployment keeps for every release.
async fn build_release_rolling(
    c: &Clients,
    config: &Value,
    key: &str,
    rid: &str,
    token: &str,
    live: Option<&Release>,
) -> Result<Release, AttrDiagnostic> {
    match live {
        Some(l) => Ok(Release {
            id: rid.to_string(),
            status: "new".into(),
            tg: l.tg.clone(),
            instances: Vec::new(),
            created: rfc3339(now()),
            keep_until: String::new(),
            weight: "0".into(),
        }),
        None => build_release(c, config, key, rid, token).await,
    }
}

/// `iac rollback`: the listener goes back to the previous release, if kept.
pub async fn rollback(c: &Clients, prior: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let one = |d: AttrDiagnostic| vec![d];
    let listener = s(prior, "listener_arn").unwrap_or_default();
    let mut releases = releases_of(prior);
    let Some(prev) = releases
        .iter()
        .filter(|r| r.status == "previous")
        .max_by(|a, b| a.created.cmp(&b.created))
        .cloned()
    else {
        return Err(one(fail(
            "There is no previous release to roll back to",
            "a previous release is kept for rollback.keep_previous after a blue_green or canary release (rolling releases replace servers in place)",
        )));
    };
    let (healthy, total, _) = health_of(c, &prev.tg).await.map_err(one)?;
    if healthy == 0 || healthy < total {
        return Err(one(fail(
            format!("The previous release {} is not healthy", prev.id),
            format!("{healthy} of {total} targets healthy: traffic is not moved to it"),
        )));
    }
    route(c, &listener, &[(&prev.tg, 1)]).await.map_err(one)?;
    let keep_until = rfc3339(now() + keep_secs(prior));
    for r in releases.iter_mut() {
        if r.status == "live" {
            r.status = "rolled_back".into();
            r.keep_until = keep_until.clone();
            r.weight = "0".into();
        } else if r.id == prev.id {
            r.status = "live".into();
            r.keep_until = String::new();
            r.weight = "100".into();
        }
    }
    let mut v = prior.clone();
    let live = releases.iter().find(|r| r.status == "live");
    crate::util::set(&mut v, "release", opt_str(live.map(|r| r.id.as_str())));
    crate::util::set(
        &mut v,
        "live_target_group_arn",
        opt_str(live.map(|r| r.tg.as_str())),
    );
    crate::util::set(
        &mut v,
        "releases",
        Value::List(releases.iter().map(Release::value).collect()),
    );
    Ok(v)
}

/// Refresh: the listener's weights and each release's health, as they are now.
pub async fn read(c: &Clients, current: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let listener = s(current, "listener_arn").unwrap_or_default();
    let w = weights(c, &listener).await.unwrap_or_default();
    let mut releases = releases_of(current);
    for r in releases.iter_mut() {
        let share: i32 = w.values().sum();
        r.weight = match w.get(&r.tg) {
            Some(x) if share > 0 => format!("{}", (*x as f64 / share as f64 * 100.0).round()),
            _ => "0".into(),
        };
    }
    let mut v = current.clone();
    crate::util::set(
        &mut v,
        "releases",
        Value::List(releases.iter().map(Release::value).collect()),
    );
    Ok(Some(v))
}

/// For `iac deployments`: each release with its weight and health now.
pub async fn status(c: &Clients, current: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let one = |d: AttrDiagnostic| vec![d];
    let mut v = read(c, current).await.map_err(one)?.unwrap_or(Value::Null);
    let mut out = Vec::new();
    for r in v.get_attr("releases").as_list().unwrap_or(&[]).to_vec() {
        let mut m = r.as_map().cloned().unwrap_or_default();
        let tg = s(&r, "target_group_arn").unwrap_or_default();
        let health = match health_of(c, &tg).await {
            Ok((h, t, _)) => format!("{h}/{t}"),
            Err(_) => "gone".into(),
        };
        m.insert("healthy".into(), Value::String(health));
        out.push(Value::Map(m));
    }
    crate::util::set(&mut v, "releases", Value::List(out));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times() {
        assert_eq!(duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(duration("2x"), None);
        let t = 1_700_000_000;
        assert_eq!(parse_time(&rfc3339(t)), Some(t));
    }

    #[test]
    fn a_release_id_is_the_fleet_digest() {
        let cfg = |ami: &str| {
            Value::map([(
                "fleet",
                Value::List(vec![Value::map([("ami", Value::string(ami))])]),
            )])
        };
        assert_eq!(release_id(&cfg("a")), release_id(&cfg("a")));
        assert_ne!(release_id(&cfg("a")), release_id(&cfg("b")));
        assert_eq!(release_id(&cfg("a")).unwrap().len(), 9);
        let unknown = Value::map([("fleet", Value::Unknown)]);
        assert_eq!(release_id(&unknown), None);
    }
}
