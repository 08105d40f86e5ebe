//! A deployment's configuration, typed.

use std::time::Duration;

use iac_value::Value;

/// How a new release takes over from the live one.
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// Built beside the live release, then all traffic moves in one step.
    BlueGreen,
    /// Traffic moves through weighted steps, each held for `interval` with the
    /// health gate checked throughout; pauses wait a time or for `iac promote`.
    Canary {
        steps: Vec<CanaryStep>,
        interval: Duration,
        /// As written (`5m`), for the plan.
        interval_text: String,
    },
    /// Servers are replaced `batch_size` at a time in the live release's group.
    Rolling {
        batch_size: usize,
        min_healthy_percent: f64,
    },
}

/// One step of a canary: a share of traffic, or a pause.
#[derive(Clone, Debug, PartialEq)]
pub enum CanaryStep {
    /// Percent of traffic to the new release.
    Weight(u8),
    /// Wait this long (`"pause 10m"`: the time and how it was written), or until
    /// `iac promote` (`"pause"`).
    Pause(Option<(Duration, String)>),
}

impl std::fmt::Display for CanaryStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CanaryStep::Weight(w) => write!(f, "{w}%"),
            CanaryStep::Pause(None) => f.write_str("pause until promoted"),
            CanaryStep::Pause(Some((_, text))) => write!(f, "pause {text}"),
        }
    }
}

/// A command run at a point of a release (`pre_traffic`, `post_traffic`,
/// `on_rollback`), on the machine running iac.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub command: String,
    pub timeout: Duration,
    pub timeout_text: String,
    pub environment: Vec<(String, String)>,
    pub working_dir: Option<String>,
}

/// The hooks of a deployment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hooks {
    /// Once per release, before it gets traffic (migrations, smoke tests).
    pub pre_traffic: Option<Hook>,
    /// Once all traffic is on the release (verification).
    pub post_traffic: Option<Hook>,
    /// After a release was rolled back (notification), with the reason.
    pub on_rollback: Option<Hook>,
}

impl Hooks {
    pub fn get(&self, name: &str) -> Option<&Hook> {
        match name {
            "pre_traffic" => self.pre_traffic.as_ref(),
            "post_traffic" => self.post_traffic.as_ref(),
            "on_rollback" => self.on_rollback.as_ref(),
            _ => None,
        }
    }
}

fn hook(config: &Value, name: &str, errors: &mut Vec<SpecError>) -> Option<Hook> {
    let b = first(config, name);
    if b.is_null() {
        return None;
    }
    let (timeout, timeout_text) = duration_at(&b, name, "timeout", "10m", errors);
    Some(Hook {
        command: text(&b, "command").unwrap_or_default(),
        timeout,
        timeout_text,
        environment: b
            .get_attr("environment")
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
        working_dir: text(&b, "working_dir"),
    })
}

/// How many of a release's servers must be healthy.
#[derive(Clone, Debug, PartialEq)]
pub enum Threshold {
    Percent(f64),
    Count(usize),
}

impl Threshold {
    /// Servers needed out of `total`.
    pub fn needed(&self, total: usize) -> usize {
        match self {
            Threshold::Percent(p) => ((p / 100.0) * total as f64).ceil() as usize,
            Threshold::Count(n) => *n,
        }
    }
}

/// The gate a release passes before it gets traffic.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    pub healthy: Threshold,
    /// As written (`100%`), for messages.
    pub healthy_text: String,
    pub timeout: Duration,
    pub timeout_text: String,
    /// Time between checks.
    pub interval: Duration,
    /// An http:// URL that must answer 2xx as well.
    pub check_url: Option<String>,
}

impl Gate {
    /// The plan's words for the gate.
    pub fn describe(&self) -> String {
        let mut t = format!(
            "{} of targets are healthy (timeout {})",
            self.healthy_text, self.timeout_text
        );
        if let Some(u) = &self.check_url {
            t.push_str(&format!(" and {u} answers 2xx"));
        }
        t
    }
}

/// A deployment, as its configuration asks.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub name: String,
    pub strategy: Strategy,
    pub gate: Gate,
    /// Servers in a release.
    pub count: usize,
    /// How long the release that was live is kept for `iac rollback`.
    pub keep_previous: Duration,
    pub keep_previous_text: String,
    /// Whether a failed gate removes the new release (`rollback.automatic`).
    pub automatic_rollback: bool,
    /// Metric queries a release must pass before it gets traffic, and at each
    /// canary step and rolling batch.
    pub analysis: Option<crate::analysis::Analysis>,
    pub hooks: Hooks,
    /// A test route (`test_listener`): pointed at a new release before its
    /// `pre_traffic` hook, so the hook can test it before users reach it.
    pub test_route: bool,
}

/// A setting the spec cannot be built from: its attribute path and why.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    pub path: Vec<String>,
    pub summary: String,
    pub detail: String,
}

fn first(v: &Value, block: &str) -> Value {
    v.get_attr(block)
        .as_list()
        .and_then(|l| l.first().cloned())
        .unwrap_or(Value::Null)
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get_attr(key).as_str().map(String::from)
}

fn duration_at(
    v: &Value,
    block: &str,
    key: &str,
    default: &str,
    errors: &mut Vec<SpecError>,
) -> (Duration, String) {
    let t = text(v, key).unwrap_or_else(|| default.to_string());
    match iac_value::time::parse_duration(&t) {
        Ok(d) => (d, t),
        Err(e) => {
            errors.push(SpecError {
                path: vec![block.into(), key.into()],
                summary: "Invalid duration".into(),
                detail: format!("\"{t}\": {e}"),
            });
            let d = iac_value::time::parse_duration(default).unwrap_or_default();
            (d, default.to_string())
        }
    }
}

impl Spec {
    /// Reads a deployment's configuration: `strategy`, `fleet.count` and the
    /// `health`, `canary`, `rolling` and `rollback` blocks (defaults for what is
    /// not written). Every setting that cannot be used is reported.
    pub fn from_config(config: &Value) -> Result<Spec, Vec<SpecError>> {
        let mut errors = Vec::new();
        let strategy_name = text(config, "strategy").unwrap_or_default();
        let strategy = match strategy_name.as_str() {
            "blue_green" => Strategy::BlueGreen,
            "canary" => {
                let c = first(config, "canary");
                if c.is_null() {
                    errors.push(SpecError {
                        path: vec!["canary".into()],
                        summary: "Missing canary block".into(),
                        detail: "the canary strategy needs canary { steps = [10, 50, 100] }".into(),
                    });
                }
                let mut steps = Vec::new();
                for x in c.get_attr("steps").as_list().unwrap_or(&[]) {
                    match (x.as_f64(), x.as_str().map(str::trim)) {
                        (Some(p), _) => steps.push(CanaryStep::Weight(p.clamp(0.0, 100.0) as u8)),
                        (_, Some("pause")) => steps.push(CanaryStep::Pause(None)),
                        (_, Some(t)) if t.starts_with("pause ") => {
                            let text = t["pause ".len()..].trim();
                            match iac_value::time::parse_duration(text) {
                                Ok(d) => steps.push(CanaryStep::Pause(Some((d, text.to_string())))),
                                Err(e) => errors.push(SpecError {
                                    path: vec!["canary".into(), "steps".into()],
                                    summary: "Invalid pause".into(),
                                    detail: format!("\"{t}\": {e}"),
                                }),
                            }
                        }
                        _ => errors.push(SpecError {
                            path: vec!["canary".into(), "steps".into()],
                            summary: "Invalid canary step".into(),
                            detail: format!(
                                "{x}: a step is a percentage of traffic (10), \"pause\" (until `iac promote`) or \"pause 10m\""
                            ),
                        }),
                    }
                }
                let (interval, interval_text) =
                    duration_at(&c, "canary", "interval", "5m", &mut errors);
                Strategy::Canary {
                    steps,
                    interval,
                    interval_text,
                }
            }
            "rolling" => {
                let r = first(config, "rolling");
                Strategy::Rolling {
                    batch_size: (r.get_attr("batch_size").as_f64().unwrap_or(1.0) as usize).max(1),
                    min_healthy_percent: r
                        .get_attr("min_healthy_percent")
                        .as_f64()
                        .unwrap_or(100.0),
                }
            }
            other => {
                errors.push(SpecError {
                    path: vec!["strategy".into()],
                    summary: "Unknown deployment strategy".into(),
                    detail: format!("\"{other}\": the strategies are blue_green, canary, rolling"),
                });
                Strategy::BlueGreen
            }
        };
        let h = first(config, "health");
        let healthy_text = text(&h, "healthy_targets").unwrap_or_else(|| "100%".into());
        let healthy = match healthy_text.trim().strip_suffix('%') {
            Some(p) => Threshold::Percent(p.trim().parse().unwrap_or(100.0)),
            None => match healthy_text.trim().parse() {
                Ok(n) => Threshold::Count(n),
                Err(_) => Threshold::Percent(100.0),
            },
        };
        let (timeout, timeout_text) = duration_at(&h, "health", "timeout", "10m", &mut errors);
        let (interval, _) = duration_at(&h, "health", "interval", "5s", &mut errors);
        let rb = first(config, "rollback");
        let (keep_previous, keep_previous_text) =
            duration_at(&rb, "rollback", "keep_previous", "1h", &mut errors);
        let spec = Spec {
            name: text(config, "name").unwrap_or_default(),
            strategy,
            gate: Gate {
                healthy,
                healthy_text,
                timeout,
                timeout_text,
                interval,
                check_url: text(&h, "check_url"),
            },
            count: first(config, "fleet")
                .get_attr("count")
                .as_f64()
                .unwrap_or(0.0) as usize,
            keep_previous,
            keep_previous_text,
            automatic_rollback: rb.get_attr("automatic").as_bool() != Some(false),
            analysis: crate::analysis::Analysis::from_block(
                &first(config, "analysis"),
                &mut errors,
            ),
            test_route: !config.get_attr("test_listener").is_null(),
            hooks: Hooks {
                pre_traffic: hook(config, "pre_traffic", &mut errors),
                post_traffic: hook(config, "post_traffic", &mut errors),
                on_rollback: hook(config, "on_rollback", &mut errors),
            },
        };
        if errors.is_empty() {
            Ok(spec)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(pairs: &[(&str, Value)]) -> Value {
        Value::List(vec![Value::map(pairs.iter().cloned())])
    }

    #[test]
    fn defaults_and_settings() {
        let config = Value::map([
            ("name", Value::string("web")),
            ("strategy", Value::string("canary")),
            ("fleet", block(&[("count", Value::num(3.0))])),
            (
                "canary",
                block(&[(
                    "steps",
                    Value::List(vec![Value::num(10.0), Value::num(100.0)]),
                )]),
            ),
            ("health", block(&[("healthy_targets", Value::string("2"))])),
        ]);
        let s = Spec::from_config(&config).unwrap();
        assert_eq!(s.count, 3);
        assert_eq!(
            s.strategy,
            Strategy::Canary {
                steps: vec![CanaryStep::Weight(10), CanaryStep::Weight(100)],
                interval: Duration::from_secs(300),
                interval_text: "5m".into()
            }
        );
        assert_eq!(s.gate.healthy, Threshold::Count(2));
        assert_eq!(s.gate.timeout, Duration::from_secs(600));
        assert_eq!(s.keep_previous, Duration::from_secs(3600));
        assert!(s.automatic_rollback);
        assert_eq!(Threshold::Percent(50.0).needed(3), 2);
    }

    #[test]
    fn what_cannot_be_used_is_named() {
        let config = Value::map([
            ("strategy", Value::string("canary")),
            ("health", block(&[("timeout", Value::string("soon"))])),
        ]);
        let errs = Spec::from_config(&config).unwrap_err();
        let paths: Vec<String> = errs.iter().map(|e| e.path.join(".")).collect();
        assert_eq!(paths, ["canary", "health.timeout"]);
        let bad = Value::map([("strategy", Value::string("big_bang"))]);
        assert_eq!(
            Spec::from_config(&bad).unwrap_err()[0].summary,
            "Unknown deployment strategy"
        );
    }
}
