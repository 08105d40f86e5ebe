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

mod asg;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, InstanceStateName, ResourceType, Tag, TagSpecification};
use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetDescription, TargetGroupTuple,
};
use iac_deploy::{
    Cloud, Failure, Fleet, Health, HttpProbe, OpenMetrics, Planned, Release, Router, ShellHooks,
    Source, Spec, Status, SystemClock, Words,
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
    let fleet = fleet_schema();
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
                Dynamic,
                "Percentages of traffic and pauses, such as [10, \"pause\", 50, \"pause 10m\", 100]: \"pause\" waits for `iac promote`.",
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
    let analysis = analysis_schema();
    let hook = |what: &'static str| {
        Schema::new(what)
            .attr(
                "command",
                Attribute::required(
                    Str,
                    "Run with sh -c on the machine running iac; IAC_RELEASE, IAC_PREVIOUS_RELEASE, IAC_DEPLOYMENT, IAC_STRATEGY, IAC_TARGET_GROUP and IAC_SERVERS in its environment.",
                ),
            )
            .attr(
                "timeout",
                Attribute::optional(Str, "How long it may run (default 10m)."),
            )
            .attr(
                "environment",
                Attribute::optional(AttrType::Map(Box::new(Str)), "More variables."),
            )
            .attr("working_dir", Attribute::optional(Str, "Where it runs."))
    };
    Schema::new("A fleet of servers behind a listener, released by a strategy (blue_green, canary, rolling).")
        .attr("name", Attribute::required(Str, "The deployment's name (its label).").force_new())
        .attr(
            "listener",
            Attribute::required(Dynamic, "The aws_lb_listener (or its ARN) that carries the traffic.")
                .force_new(),
        )
        .attr("strategy", Attribute::required(Str, "blue_green, canary or rolling."))
        .attr(
            "test_listener",
            Attribute::optional(
                Dynamic,
                "A second aws_lb_listener (or its ARN) iac points at a new release before its pre_traffic hook, so the hook can test it before users reach it.",
            ),
        )
        .block("fleet", nested(Nesting::List, 1, Some(1), fleet))
        .block("health", nested(Nesting::List, 0, Some(1), health))
        .block("canary", nested(Nesting::List, 0, Some(1), canary))
        .block("rolling", nested(Nesting::List, 0, Some(1), rolling))
        .block("rollback", nested(Nesting::List, 0, Some(1), rollback))
        .block("analysis", nested(Nesting::List, 0, Some(1), analysis))
        .block(
            "pre_traffic",
            nested(Nesting::List, 0, Some(1), hook("Once per release, before it gets traffic (migrations, smoke tests); failing rolls it back.")),
        )
        .block(
            "post_traffic",
            nested(Nesting::List, 0, Some(1), hook("Once all traffic is on the release; failing sends traffic back to the previous release.")),
        )
        .block(
            "on_rollback",
            nested(Nesting::List, 0, Some(1), hook("After a release was rolled back; IAC_ROLLBACK_REASON says why.")),
        )
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

/// `fleet`: what one release is (servers, their health check, its target group).
fn fleet_schema() -> Schema {
    use AttrType::{Number, String as Str};
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
    Schema::new("The template of one release: what a change to it releases.")
        .attr("count", Attribute::required(Number, "How many servers."))
        .attr("ami", Attribute::optional(Str, "Machine image (or a launch_template)."))
        .attr("instance_type", Attribute::optional(Str, "Instance type (or a launch_template)."))
        .block(
            "launch_template",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Servers from a launch template: each release is an autoscaling group of its own.")
                    .attr("id", Attribute::optional(Str, "The template's id (or name)."))
                    .attr("name", Attribute::optional(Str, "The template's name."))
                    .attr(
                        "version",
                        Attribute::optional(
                            Str,
                            "A version: give aws_launch_template.x.latest_version, so a new version is a new release.",
                        ),
                    ),
            ),
        )
        .attr(
            "subnet_ids",
            Attribute::required(strings(), "Subnets, used in turn."),
        )
        .attr(
            "vpc_security_group_ids",
            Attribute::optional(strings(), "Security groups."),
        )
        .attr(
            "user_data",
            Attribute::optional(Str, "Boot script (not with `container`)."),
        )
        .block(
            "container",
            nested(Nesting::List, 0, Some(1), container_schema()),
        )
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
        )
}

/// `analysis`: metrics measured against their objectives while a release proceeds.
fn analysis_schema() -> Schema {
    use AttrType::{Bool, Number, String as Str};
    let cloudwatch = Schema::new("A CloudWatch metric: the latest `stat` over `period`.")
        .attr("namespace", Attribute::required(Str, "Such as AWS/ApplicationELB."))
        .attr("metric_name", Attribute::required(Str, "Such as HTTPCode_Target_5XX_Count."))
        .attr(
            "stat",
            Attribute::optional(Str, "Average (default), Sum, Maximum, p99, ..."),
        )
        .attr(
            "dimensions",
            Attribute::optional(
                AttrType::Map(Box::new(Str)),
                "Dimensions; {target_group} is the release's target group as ELB names it, {release} its id.",
            ),
        )
        .attr("period", Attribute::optional(Number, "Seconds (default 60)."))
        .attr(
            "divided_by",
            Attribute::optional(
                Str,
                "Another metric of the same namespace and dimensions: the value is the share (HTTPCode_Target_5XX_Count divided by RequestCount: the error rate).",
            ),
        );
    let prometheus = Schema::new("An instant query against Prometheus's HTTP API.")
        .attr("address", Attribute::required(Str, "http://host:9090"))
        .attr(
            "query",
            Attribute::required(Str, "PromQL; {release} is the release's id."),
        );
    let http = Schema::new("A URL whose body is a number.").attr(
        "url",
        Attribute::required(Str, "http:// URL; {release} is the release's id."),
    );
    let metric = Schema::new("One metric and its objective.")
        .attr("name", Attribute::required(Str, "Named in failures."))
        .attr(
            "threshold",
            Attribute::required(
                Str,
                "<, <=, > or >= and a number: \"< 1%\" (a ratio), \"< 200ms\" (seconds), \"> 0.99\".",
            ),
        )
        .attr(
            "no_data_passes",
            Attribute::optional(Bool, "Whether a measurement without data passes (default true)."),
        )
        .block("cloudwatch", nested(Nesting::List, 0, Some(1), cloudwatch))
        .block("prometheus", nested(Nesting::List, 0, Some(1), prometheus))
        .block("http", nested(Nesting::List, 0, Some(1), http));
    Schema::new(
        "Metric queries a release must pass before a blue-green flip, at each canary step and after each rolling batch.",
    )
    .attr(
        "interval",
        Attribute::optional(Str, "Time between measurements (default 1m)."),
    )
    .attr("count", Attribute::optional(Number, "Measurements (default 1)."))
    .attr(
        "failure_limit",
        Attribute::optional(Number, "Failed measurements allowed (default 0)."),
    )
    .attr(
        "background",
        Attribute::optional(
            Bool,
            "Measure every interval for the whole rollout (a canary's steps and pauses, every rolling batch), failures adding up, instead of count measurements at each step.",
        ),
    )
    .block("metric", nested(Nesting::List, 1, None, metric))
}

// ---- small helpers ----------------------------------------------------------

use iac_value::time::now_secs as now;

/// A release of a container image: the servers boot it (user data iac writes).
fn container_schema() -> Schema {
    use AttrType::{Number, String as Str};
    let map = || AttrType::Map(Box::new(Str));
    Schema::new("A container image the servers run; its digest or tag is part of the release.")
        .attr("image", Attribute::required(Str, "Such as ghcr.io/acme/web:1f2e3d."))
        .attr(
            "port",
            Attribute::optional(
                Number,
                "The port the container listens on (default: the target group's port).",
            ),
        )
        .attr(
            "environment",
            Attribute::optional(map(), "Plain settings, written into the boot script."),
        )
        .attr(
            "secrets",
            Attribute::optional(
                map(),
                "Variables read at boot by the server from Secrets Manager (a secret's ARN) or SSM Parameter Store (a parameter's ARN or name): never in user data or state.",
            ),
        )
        .attr(
            "health_path",
            Attribute::optional(
                Str,
                "The target group's health check path, unless its health_check sets one.",
            ),
        )
        .attr(
            "command",
            Attribute::optional(AttrType::List(Box::new(Str)), "Arguments after the image."),
        )
}

/// Single-quoted for sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The boot script of a container release: Docker, the plain settings, the
/// secrets fetched by the server itself (its instance profile must allow
/// `secretsmanager:GetSecretValue` / `ssm:GetParameter`), then the container.
pub fn container_user_data(
    fleet: &Value,
    host_port: i64,
    region: &str,
    release: &str,
) -> Option<String> {
    let c = first(fleet, "container");
    let image = s(&c, "image")?;
    let port = c.get_attr("port").as_f64().map_or(host_port, |p| p as i64);
    let mut out = String::from("#!/bin/sh\n");
    out.push_str(&format!(
        "# Written by iac: release {release} runs {image}.\nset -eu\n"
    ));
    out.push_str("command -v docker >/dev/null 2>&1 || dnf install -y docker || yum install -y docker || (apt-get update && apt-get install -y docker.io)\n");
    out.push_str("systemctl start docker 2>/dev/null || service docker start\n");
    out.push_str(&format!("export AWS_DEFAULT_REGION={}\n", sh_quote(region)));
    out.push_str("umask 077\nenv_file=/run/iac-release.env\n: > \"$env_file\"\n");
    if let Some(env) = c.get_attr("environment").as_map() {
        for (k, v) in env {
            let v = v.as_str().unwrap_or_default();
            out.push_str(&format!(
                "printf '%s=%s\\n' {} {} >> \"$env_file\"\n",
                sh_quote(k),
                sh_quote(v)
            ));
        }
    }
    if let Some(secrets) = c.get_attr("secrets").as_map() {
        for (k, v) in secrets {
            let r = v.as_str().unwrap_or_default();
            let fetch = if r.starts_with("arn:aws:secretsmanager:")
                || r.starts_with("arn:aws-") && r.contains(":secretsmanager:")
            {
                format!(
                    "aws secretsmanager get-secret-value --secret-id {} --query SecretString --output text",
                    sh_quote(r)
                )
            } else {
                let name = r.split_once(":parameter").map_or(r, |(_, n)| n);
                format!(
                    "aws ssm get-parameter --with-decryption --name {} --query Parameter.Value --output text",
                    sh_quote(name)
                )
            };
            out.push_str(&format!(
                "printf '%s=%s\\n' {} \"$({fetch})\" >> \"$env_file\"\n",
                sh_quote(k)
            ));
        }
    }
    let command: Vec<String> = c
        .get_attr("command")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter_map(|x| x.as_str().map(sh_quote))
        .collect();
    out.push_str(&format!(
        "docker run -d --restart always --name app -p {host_port}:{port} --env-file \"$env_file\" {}{}\n",
        sh_quote(&image),
        command.iter().map(|c| format!(" {c}")).collect::<String>()
    ));
    Some(out)
}

/// A fleet is instances of an image and type, or a launch template's: one of them.
fn check_fleet(config: &Value, diags: &mut Vec<AttrDiagnostic>) {
    let fleet = first(config, "fleet");
    let template = !first(&fleet, "launch_template").is_null();
    let plain = ["ami", "instance_type"]
        .iter()
        .filter(|k| !fleet.get_attr(k).is_null())
        .count();
    let at = |k: &str| {
        vec![
            iac_value::PathStep::Key("fleet".into()),
            iac_value::PathStep::Key(k.into()),
        ]
    };
    if template && plain > 0 {
        diags.push(AttrDiagnostic::error(
            at("launch_template"),
            "A fleet from a launch template takes its image and type from it",
            "give either `launch_template` or `ami` and `instance_type`",
        ));
    } else if !template && plain < 2 {
        diags.push(AttrDiagnostic::error(
            at("ami"),
            "A fleet needs `ami` and `instance_type`, or a `launch_template`",
            "give both, or name a launch template (each release is then an autoscaling group)",
        ));
    }
}

/// What a `container` block cannot be given: every error, by attribute path.
fn check_container(config: &Value, diags: &mut Vec<AttrDiagnostic>) {
    let fleet = first(config, "fleet");
    let c = first(&fleet, "container");
    if c.is_null() {
        return;
    }
    let at = |k: &str| -> Vec<iac_value::PathStep> {
        ["fleet", "container", k]
            .iter()
            .map(|x| iac_value::PathStep::Key((*x).into()))
            .collect()
    };
    if !fleet.get_attr("user_data").is_null() {
        diags.push(AttrDiagnostic::error(
            at("image"),
            "A container fleet's boot script is iac's",
            "give either `user_data` or a `container` block: iac writes the user data that starts the container",
        ));
    }
    if let Some(env) = c.get_attr("environment").as_map() {
        for (k, v) in env {
            if matches!(v, Value::Sensitive(_) | Value::Redacted(_)) {
                diags.push(AttrDiagnostic::error(
                    at("environment"),
                    format!("environment \"{k}\" holds a sensitive value"),
                    "environment values are written into the servers' user data; give the secret's ARN in `secrets` instead, and the server fetches it at boot",
                ));
            }
        }
    }
    if let Some(secrets) = c.get_attr("secrets").as_map() {
        for (k, v) in secrets {
            let Some(r) = v.as_str() else { continue };
            let ok = (r.starts_with("arn:")
                && (r.contains(":secretsmanager:") || r.contains(":ssm:")))
                || r.starts_with('/');
            if !ok {
                diags.push(AttrDiagnostic::error(
                    at("secrets"),
                    format!("secrets \"{k}\" is not a reference"),
                    format!("\"{r}\": give a Secrets Manager secret's ARN, an SSM parameter's ARN, or a parameter name starting with /"),
                ));
            }
        }
    }
}

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
    if let Some(arn) = test_listener_arn(planned) {
        crate::util::set(planned, "test_listener", Value::String(arn));
    }
}

fn test_listener_arn(v: &Value) -> Option<String> {
    let l = v.get_attr("test_listener");
    l.as_str()
        .map(String::from)
        .or_else(|| l.get_attr("arn").as_str().map(String::from))
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

// ---- planning -----------------------------------------------------------------

/// The plan's words for AWS objects.
fn words(config: &Value) -> Words {
    let fleet = first(config, "fleet");
    let lt = first(&fleet, "launch_template");
    let size = match s(&fleet, "instance_type") {
        Some(t) => t,
        None if !lt.is_null() => format!(
            "launch template {} version {}, an autoscaling group",
            s(&lt, "id").or_else(|| s(&lt, "name")).unwrap_or_default(),
            lt.get_attr("version")
                .as_str()
                .map(String::from)
                .or_else(|| lt.get_attr("version").as_f64().map(|v| v.to_string()))
                .unwrap_or_else(|| "$Default".into())
        ),
        None => "?".into(),
    };
    Words {
        server: "aws_instance".into(),
        size,
        group: "target group".into(),
        router: "listener".into(),
        route_call: "ModifyListener".into(),
        read_call: "DescribeListeners".into(),
    }
}

/// The steps of a deployment (see `iac_deploy::plan`), from the releases in `prior`.
fn steps_of(spec: &Spec, config: &Value, prior: Option<&Value>, at: u64) -> Planned {
    let name = s(config, "name").unwrap_or_default();
    let releases = prior.map(Release::all_of).unwrap_or_default();
    iac_deploy::plan(spec, release_id(config).as_deref(), &releases, at, &|r| {
        format!("{name}-{r}")
    })
}

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
    let spec = match Spec::from_config(config) {
        Ok(spec) => spec,
        Err(errors) => {
            for e in errors {
                diags.push(AttrDiagnostic::error(
                    e.path.into_iter().map(iac_value::PathStep::Key).collect(),
                    e.summary,
                    e.detail,
                ));
            }
            return;
        }
    };
    check_fleet(config, diags);
    check_container(config, diags);
    set(planned, "id", config.get_attr("name").clone());
    set(
        planned,
        "listener_arn",
        listener_arn(config)
            .map(Value::String)
            .unwrap_or(Value::Unknown),
    );
    let p = steps_of(&spec, config, prior, now());
    notes.extend(p.notes(&words(config)));
    if let Some((id, created)) = &p.rolled_back {
        diags.push(AttrDiagnostic {
            severity: iac_provider::Severity::Warning,
            path: vec![iac_value::PathStep::Key("fleet".into())],
            summary: format!("Release {id} was rolled back; it is not deployed again"),
            detail: format!(
                "the configured fleet is release {id}, rolled back at {created}; change the fleet to make a new release"
            ),
        });
    }
    if !p.releases {
        for k in ["release", "live_target_group_arn", "releases"] {
            set(
                planned,
                k,
                prior.map(|p| p.get_attr(k).clone()).unwrap_or(Value::Null),
            );
        }
        if !p.steps.is_empty() {
            // Kept releases whose time is up go.
            set(planned, "releases", Value::Unknown);
        }
        return;
    }
    set(
        planned,
        "release",
        release_id(config)
            .map(Value::String)
            .unwrap_or(Value::Unknown),
    );
    set(planned, "live_target_group_arn", Value::Unknown);
    set(planned, "releases", Value::Unknown);
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
    let host_port = first(fleet, "target_group")
        .get_attr("port")
        .as_f64()
        .unwrap_or(80.0) as i64;
    let container_script = container_user_data(fleet, host_port, &crate::ec2::region(c), rid);
    let image = s(&first(fleet, "container"), "image");
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
        if let Some(i) = &image {
            tags = tags.tags(Tag::builder().key("iac:image").value(i).build());
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
            .set_user_data(
                container_script
                    .clone()
                    .or_else(|| s(fleet, "user_data"))
                    .map(|u| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD.encode(u)
                    }),
            )
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

/// Health of a target group's targets (of `only` these, if given).
async fn health_of(
    c: &Clients,
    tg: &str,
    only: Option<&[String]>,
) -> Result<Health, AttrDiagnostic> {
    let out = c
        .elb
        .describe_target_health()
        .target_group_arn(tg)
        .set_targets(only.map(|ids| {
            ids.iter()
                .map(|i| TargetDescription::builder().id(i).build())
                .collect()
        }))
        .send()
        .await
        .map_err(|e| sdk_err("DescribeTargetHealth", e))?;
    let mut h = Health::default();
    for d in out.target_health_descriptions() {
        h.total += 1;
        let state = d
            .target_health()
            .and_then(|h| h.state())
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if state == "healthy" {
            h.healthy += 1;
        } else {
            h.others.push(format!(
                "{}: {state}",
                d.target().and_then(|t| t.id()).unwrap_or("?")
            ));
        }
    }
    Ok(h)
}

fn cloud_err(d: AttrDiagnostic) -> iac_deploy::Error {
    iac_deploy::Error::new(d.summary, d.detail)
}

/// A deployment's releases on EC2 and ELB: a release is a target group named
/// `<name>-<release>` and instances tagged with the deployment and the release.
struct AwsFleet<'a> {
    c: &'a Clients,
    /// The deployment's configuration (its `fleet` block is the template).
    config: &'a Value,
    key: String,
    name: String,
    token: &'a str,
}

#[async_trait::async_trait]
impl Fleet for AwsFleet<'_> {
    async fn prepare(&self, rid: &str) -> Result<Release, iac_deploy::Error> {
        let mut r = Release::candidate(rid, now());
        r.group = self.target_group(rid).await?;
        r.servers = release_instances(self.c, &self.key, rid)
            .await
            .map_err(cloud_err)?;
        register(self.c, &r.group, &r.servers)
            .await
            .map_err(cloud_err)?;
        Ok(r)
    }

    async fn servers(&self, rid: &str) -> Result<Vec<String>, iac_deploy::Error> {
        release_instances(self.c, &self.key, rid)
            .await
            .map_err(cloud_err)
    }

    async fn launch(
        &self,
        r: &Release,
        n: usize,
        offset: usize,
    ) -> Result<Vec<String>, iac_deploy::Error> {
        let fleet = first(self.config, "fleet");
        let ids = launch(
            self.c, &fleet, &self.key, &r.id, &self.name, n, self.token, offset,
        )
        .await
        .map_err(cloud_err)?;
        register(self.c, &r.group, &ids).await.map_err(cloud_err)?;
        Ok(ids)
    }

    async fn health(
        &self,
        r: &Release,
        only: Option<&[String]>,
    ) -> Result<Health, iac_deploy::Error> {
        health_of(self.c, &r.group, only).await.map_err(cloud_err)
    }

    async fn deregister(
        &self,
        r: &Release,
        servers: &[String],
    ) -> Result<Duration, iac_deploy::Error> {
        deregister(self.c, &r.group, servers)
            .await
            .map_err(cloud_err)?;
        // The target group's deregistration delay (300 s unless set).
        let out = self
            .c
            .elb
            .describe_target_group_attributes()
            .target_group_arn(&r.group)
            .send()
            .await
            .map_err(|e| cloud_err(sdk_err("DescribeTargetGroupAttributes", e)))?;
        let secs = out
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value())
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        Ok(Duration::from_secs(secs))
    }

    async fn draining(&self, r: &Release, servers: &[String]) -> Result<usize, iac_deploy::Error> {
        let h = health_of(self.c, &r.group, Some(servers))
            .await
            .map_err(cloud_err)?;
        Ok(h.others
            .iter()
            .filter(|o| o.ends_with(": draining"))
            .count())
    }

    async fn stop(&self, servers: &[String]) -> Result<(), iac_deploy::Error> {
        terminate(self.c, servers).await.map_err(cloud_err)
    }

    async fn remove(&self, r: &Release) -> Result<(), iac_deploy::Error> {
        // The servers state knows, and any a stopped run made that it does not.
        let mut ids = r.servers.clone();
        for id in release_instances(self.c, &self.key, &r.id)
            .await
            .map_err(cloud_err)?
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        terminate(self.c, &ids).await.map_err(cloud_err)?;
        if !r.group.is_empty() {
            crate::elb::delete_tg(self.c, &r.group)
                .await
                .map_err(cloud_err)?;
        }
        Ok(())
    }
}

/// Metrics: CloudWatch's through GetMetricData, the others as `OpenMetrics` reads them.
struct AwsMetrics<'a> {
    c: &'a Clients,
}

#[async_trait::async_trait]
impl iac_deploy::Metrics for AwsMetrics<'_> {
    async fn measure(
        &self,
        source: &Source,
        r: &Release,
    ) -> Result<Option<f64>, iac_deploy::Error> {
        let Source::CloudWatch {
            namespace,
            metric,
            stat,
            dimensions,
            period,
            divided_by,
        } = source
        else {
            return OpenMetrics.measure(source, r).await;
        };
        let value = self
            .latest(namespace, metric, stat, dimensions, *period, r)
            .await?;
        let Some(d) = divided_by else {
            return Ok(value);
        };
        let total = self
            .latest(namespace, d, stat, dimensions, *period, r)
            .await?;
        Ok(match total {
            // No datapoint of a count while there is traffic: none of it.
            Some(t) if t != 0.0 => Some(value.unwrap_or(0.0) / t),
            _ => None,
        })
    }
}

impl AwsMetrics<'_> {
    /// The newest datapoint of one metric for the release.
    async fn latest(
        &self,
        namespace: &str,
        metric: &str,
        stat: &str,
        dimensions: &BTreeMap<String, String>,
        period: u32,
        r: &Release,
    ) -> Result<Option<f64>, iac_deploy::Error> {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        // ELB's TargetGroup dimension is the ARN's `targetgroup/name/id`.
        let mut named = r.clone();
        if let Some(i) = r.group.find("targetgroup/") {
            named.group = r.group[i..].to_string();
        }
        let mut m = Metric::builder().namespace(namespace).metric_name(metric);
        for (k, v) in dimensions {
            m = m.dimensions(
                Dimension::builder()
                    .name(k)
                    .value(iac_deploy::analysis::expand(v, &named))
                    .build(),
            );
        }
        let period = period.max(1);
        // The last ten periods, and a period ahead: a datapoint stamped by a clock
        // slightly ahead of ours still counts.
        let now = std::time::SystemTime::now();
        let span = Duration::from_secs(u64::from(period).max(60));
        let (start, end) = (now - span * 10, now + span);
        let out = self
            .c
            .cloudwatch
            .get_metric_data()
            .metric_data_queries(
                MetricDataQuery::builder()
                    .id("m")
                    .metric_stat(
                        MetricStat::builder()
                            .metric(m.build())
                            .period(period as i32)
                            .stat(stat)
                            .build(),
                    )
                    .build(),
            )
            .start_time(aws_sdk_cloudwatch::primitives::DateTime::from(start))
            .end_time(aws_sdk_cloudwatch::primitives::DateTime::from(end))
            .send()
            .await
            .map_err(|e| cloud_err(sdk_err("GetMetricData", e)))?;
        // The newest datapoint (GetMetricData lists newest first).
        let latest = out.metric_data_results().first().and_then(|res| {
            res.timestamps()
                .iter()
                .zip(res.values())
                .max_by_key(|(t, _)| (t.secs(), t.subsec_nanos()))
                .map(|(_, v)| *v)
        });
        Ok(latest)
    }
}

impl AwsFleet<'_> {
    /// A release's target group (made, or found after a stopped run): its ARN.
    async fn target_group(&self, rid: &str) -> Result<String, iac_deploy::Error> {
        let fleet = first(self.config, "fleet");
        let mut tg_conf = first(&fleet, "target_group");
        if tg_conf.get_attr("protocol").is_null() {
            crate::util::set(&mut tg_conf, "protocol", Value::string("HTTP"));
        }
        // A container's health path, unless the health check names one.
        if let Some(path) = s(&first(&fleet, "container"), "health_path") {
            let mut hc = first(&tg_conf, "health_check");
            if hc.get_attr("path").is_null() {
                if hc.is_null() {
                    hc = Value::map([("path", Value::string(path.clone()))]);
                } else {
                    crate::util::set(&mut hc, "path", Value::string(path.clone()));
                }
                crate::util::set(&mut tg_conf, "health_check", Value::List(vec![hc]));
            }
        }
        let tags = vec![
            elb::types::Tag::builder()
                .key(DEPLOYMENT_TAG)
                .value(&self.key)
                .build(),
            elb::types::Tag::builder()
                .key(RELEASE_TAG)
                .value(rid)
                .build(),
        ];
        let tg = crate::elb::create_tg(self.c, &tg_conf, &tg_name(&self.name, rid), tags)
            .await
            .map_err(cloud_err)?;
        Ok(tg.target_group_arn().unwrap_or_default().to_string())
    }
}

/// The fleet a deployment's configuration describes: instances, or an
/// autoscaling group per release when it names a launch template.
fn fleet_for<'a>(
    c: &'a Clients,
    config: &'a Value,
    listener: &str,
    token: &'a str,
) -> Box<dyn Fleet + 'a> {
    let name = s(config, "name").unwrap_or_default();
    let inner = AwsFleet {
        c,
        config,
        key: dep_key(&name, listener),
        name,
        token,
    };
    if asg::from_template(config) {
        Box::new(asg::AsgFleet { inner })
    } else {
        Box::new(inner)
    }
}

/// The listener's default action, forwarding to target groups by weight.
struct AwsRouter<'a> {
    c: &'a Clients,
    listener: &'a str,
    test_listener: Option<String>,
}

#[async_trait::async_trait]
impl Router for AwsRouter<'_> {
    async fn route(&self, weights: &[(&str, u8)]) -> Result<(), iac_deploy::Error> {
        let groups: Vec<(&str, i32)> = if weights.len() == 1 {
            vec![(weights[0].0, 1)]
        } else {
            weights.iter().map(|(g, w)| (*g, i32::from(*w))).collect()
        };
        route(self.c, self.listener, &groups)
            .await
            .map_err(cloud_err)
    }

    async fn route_test(&self, group: &str) -> Result<(), iac_deploy::Error> {
        let Some(test) = &self.test_listener else {
            return Ok(());
        };
        route(self.c, test, &[(group, 1)]).await.map_err(cloud_err)
    }
}

/// The deployment's value with these releases.
fn value(config: &Value, listener: &str, releases: &[Release]) -> Value {
    let mut v = config.clone();
    crate::util::set(&mut v, "id", config.get_attr("name").clone());
    crate::util::set(&mut v, "listener_arn", Value::string(listener));
    with_releases(&mut v, releases);
    v
}

fn with_releases(v: &mut Value, releases: &[Release]) {
    let live = releases.iter().find(|r| r.status == Status::Live);
    crate::util::set(v, "release", opt_str(live.map(|r| r.id.as_str())));
    crate::util::set(
        v,
        "live_target_group_arn",
        opt_str(live.map(|r| r.group.as_str())),
    );
    crate::util::set(
        v,
        "releases",
        Value::List(releases.iter().map(Release::to_value).collect()),
    );
}

fn failed(e: iac_deploy::Error) -> Vec<AttrDiagnostic> {
    vec![fail(e.summary, e.detail)]
}

/// Creates, releases or removes a deployment: the steps `iac_deploy::plan` gives,
/// run by `iac_deploy::run` against EC2 and the listener.
pub async fn apply(
    c: &Clients,
    prior: Option<&Value>,
    planned: Option<&Value>,
    token: &str,
    output: Option<&(dyn Fn(&str) + Send + Sync)>,
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
        let fleet = fleet_for(c, old, &listener, token);
        for r in Release::all_of(old) {
            fleet.remove(&r).await.map_err(failed)?;
        }
        return Ok(None);
    };
    let spec = spec_of(p)?;
    let listener =
        listener_arn(p).ok_or_else(|| one(fail("The deployment has no listener ARN", "")))?;
    if release_id(p).is_none() {
        return Err(one(fail("The fleet is not known yet", "")));
    }
    let prior_releases = prior.map(Release::all_of).unwrap_or_default();
    let steps = steps_of(&spec, p, prior, now());
    let out = with_cloud(c, p, &listener, token, output, |cloud| {
        Box::pin(async move { iac_deploy::run(&spec, &steps, &prior_releases, cloud).await })
    })
    .await;
    Ok(Some(value(p, &listener, &out.map_err(failure)?)))
}

/// `iac rollback`: the listener goes back to the previous release, if kept and healthy.
pub async fn rollback(c: &Clients, prior: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let (releases, keep) = (Release::all_of(prior), keep_of(prior));
    act(c, prior, None, |cloud| {
        Box::pin(async move {
            iac_deploy::rollback(keep, &releases, cloud)
                .await
                .map_err(Failure::Error)
        })
    })
    .await
}

/// The cloud a deployment's steps run against: its fleet (from `config`), its
/// listener (and test listener), CloudWatch, and hooks whose lines go to `output`.
async fn with_cloud<T>(
    c: &Clients,
    config: &Value,
    listener: &str,
    token: &str,
    output: Option<&(dyn Fn(&str) + Send + Sync)>,
    f: impl for<'x> FnOnce(
        &'x Cloud<'x>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'x>>,
) -> T {
    let fleet = fleet_for(c, config, listener, token);
    let router = AwsRouter {
        c,
        listener,
        test_listener: test_listener_arn(config),
    };
    let cloud = Cloud {
        fleet: &*fleet,
        router: &router,
        clock: &SystemClock,
        probe: &HttpProbe,
        metrics: &AwsMetrics { c },
        hooks: &ShellHooks { output },
    };
    f(&cloud).await
}

/// A deployment in state, through one of its actions (`rollback`, `promote`, `abort`).
async fn act<F>(
    c: &Clients,
    prior: &Value,
    output: Option<&(dyn Fn(&str) + Send + Sync)>,
    f: F,
) -> Result<Value, Vec<AttrDiagnostic>>
where
    F: for<'x> FnOnce(
        &'x Cloud<'x>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Vec<Release>, Failure>> + Send + 'x>,
    >,
{
    let listener = s(prior, "listener_arn").unwrap_or_default();
    let releases = with_cloud(c, prior, &listener, "", output, f)
        .await
        .map_err(failure)?;
    let mut v = prior.clone();
    with_releases(&mut v, &releases);
    Ok(v)
}

fn spec_of(config: &Value) -> Result<Spec, Vec<AttrDiagnostic>> {
    Spec::from_config(config).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| fail(e.summary, e.detail))
            .collect()
    })
}

fn failure(f: Failure) -> Vec<AttrDiagnostic> {
    match f {
        Failure::Gate(e) | Failure::Error(e) => failed(e),
    }
}

fn keep_of(prior: &Value) -> Duration {
    setting(prior, "rollback", "keep_previous")
        .and_then(|k| duration(&k))
        .unwrap_or(Duration::from_secs(3600))
}

/// `iac promote`: a canary paused until promoted goes on from its pause.
pub async fn promote(
    c: &Clients,
    prior: &Value,
    output: Option<&(dyn Fn(&str) + Send + Sync)>,
) -> Result<Value, Vec<AttrDiagnostic>> {
    let spec = spec_of(prior)?;
    let releases = Release::all_of(prior);
    act(c, prior, output, |cloud| {
        Box::pin(async move { iac_deploy::promote(&spec, &releases, cloud).await })
    })
    .await
}

/// `iac abort`: a paused canary's traffic goes back to the live release.
pub async fn abort(c: &Clients, prior: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let (releases, keep) = (Release::all_of(prior), keep_of(prior));
    act(c, prior, None, |cloud| {
        Box::pin(async move {
            iac_deploy::abort(keep, &releases, cloud)
                .await
                .map_err(Failure::Error)
        })
    })
    .await
}

/// Refresh: the listener's weights as they are now.
pub async fn read(c: &Clients, current: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let listener = s(current, "listener_arn").unwrap_or_default();
    let w = weights(c, &listener).await.unwrap_or_default();
    let share: i32 = w.values().sum();
    let mut releases = Release::all_of(current);
    for r in releases.iter_mut() {
        r.weight = match w.get(&r.group) {
            Some(x) if share > 0 => (f64::from(*x) / f64::from(share) * 100.0).round() as u8,
            _ => 0,
        };
    }
    let mut v = current.clone();
    crate::util::set(
        &mut v,
        "releases",
        Value::List(releases.iter().map(Release::to_value).collect()),
    );
    Ok(Some(v))
}

/// For `iac deployments`: each release with its weight and health now.
pub async fn status(c: &Clients, current: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
    let one = |d: AttrDiagnostic| vec![d];
    let mut v = read(c, current).await.map_err(one)?.unwrap_or(Value::Null);
    let mut out = Vec::new();
    for r in Release::all_of(&v) {
        let health = match health_of(c, &r.group, None).await {
            Ok(h) => format!("{}/{}", h.healthy, h.total),
            Err(_) => "gone".into(),
        };
        let mut m = r.to_value().as_map().cloned().unwrap_or_default();
        m.insert("healthy".into(), Value::String(health));
        out.push(Value::Map(m.into()));
    }
    crate::util::set(&mut v, "releases", Value::List(out));
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iac_value::time::{parse_rfc3339 as parse_time, rfc3339};

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
