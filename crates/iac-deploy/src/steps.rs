//! The steps of a release: one list, shown by the plan and run by [`crate::run`].

use std::fmt;

use crate::release::{Release, Status};
use crate::spec::{CanaryStep, Spec, Strategy};

/// What a cloud calls the things steps talk about, for the plan's words
/// (`aws_instance`, `target group`, `listener`, `ModifyListener`).
#[derive(Clone, Debug, PartialEq)]
pub struct Words {
    /// A server (`aws_instance`) and its size (`t3.micro`).
    pub server: String,
    pub size: String,
    /// The group a release's servers take traffic in (`target group`).
    pub group: String,
    /// What routes traffic between groups (`listener`).
    pub router: String,
    /// The call that routes (`ModifyListener`) and the one that reads it back
    /// (`DescribeListeners`).
    pub route_call: String,
    pub read_call: String,
}

/// One step of a release.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Remove a kept release whose time is up.
    Retire { release: String, kept_until: String },
    /// Make the release's group and servers (finding what a stopped run made).
    Launch {
        release: String,
        count: usize,
        group_name: String,
    },
    /// Wait until the release passes its health gate.
    AwaitHealthy { release: String, gate: String },
    /// Measure the analysis's metrics against their thresholds.
    Analyse { release: String, what: String },
    /// Move traffic from the live release through weighted steps, holding each
    /// with the gate checked throughout; the last moves all of it.
    Shift {
        from: String,
        to: String,
        /// The canary's steps; this shift starts at `from_step` (after a pause).
        steps: Vec<CanaryStep>,
        from_step: usize,
        hold: String,
        /// The analysis run at each step, described.
        analysis: Option<String>,
    },
    /// Point the test route at the new release.
    TestRoute { release: String },
    /// Run a hook (`pre_traffic`, `post_traffic`).
    Hook {
        name: String,
        release: String,
        command: String,
        timeout: String,
    },
    /// Go on with a canary paused until promoted.
    Resume { release: String },
    /// Send a paused canary's traffic back to the live release and remove it.
    Abort { release: String, live: String },
    /// Send all traffic to the release in one call (`from`: the live release).
    Flip { from: Option<String>, to: String },
    /// Keep the release that was live, for `iac rollback`, until a time.
    Keep { release: String, until: u64 },
    /// Replace the live release's servers with the new release's, `batch` at a
    /// time in the live release's group, each batch healthy before old ones leave.
    Replace {
        from: String,
        to: String,
        old_servers: usize,
        count: usize,
        batch: usize,
        min_healthy_percent: f64,
        group: String,
        gate: String,
        /// The analysis run after each batch, described.
        analysis: Option<String>,
    },
}

/// A step with the cloud's words: the note the plan prints.
pub struct Note<'a>(pub &'a Step, pub &'a Words);

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.1;
        match self.0 {
            Step::Retire {
                release,
                kept_until,
            } => write!(f, "remove release {release} (kept until {kept_until})"),
            Step::Launch {
                release,
                count,
                group_name,
            } => write!(
                f,
                "create release {release}: {count} × {} ({}), {} {group_name}",
                w.server, w.size, w.group
            ),
            Step::AwaitHealthy { gate, .. } => write!(f, "wait until {gate}"),
            Step::Analyse { release, what } => write!(f, "analyse {release}: {what}"),
            Step::Shift {
                from,
                to,
                steps,
                from_step,
                hold,
                analysis,
            } => {
                let steps: Vec<String> = steps
                    .iter()
                    .skip(*from_step)
                    .map(ToString::to_string)
                    .collect();
                write!(
                    f,
                    "shift traffic from {from} to {to} in steps {} ({hold} each, confirmed with {}, health checked throughout)",
                    steps.join(" → "),
                    w.read_call
                )?;
                match analysis {
                    Some(a) => write!(f, "; {a}"),
                    None => Ok(()),
                }
            }
            Step::TestRoute { release } => write!(f, "point the test {} at {release}", w.router),
            Step::Hook {
                name,
                command,
                timeout,
                ..
            } => write!(f, "run the {name} hook `{command}` (timeout {timeout})"),
            Step::Resume { release } => write!(f, "go on with release {release}, paused until promoted"),
            Step::Abort { release, live } => write!(
                f,
                "abort release {release}, paused until promoted: its traffic goes back to {live} and it is removed"
            ),
            Step::Flip { from: None, to } => write!(f, "point the {} at {to}", w.router),
            Step::Flip {
                from: Some(from),
                to,
            } => write!(
                f,
                "flip the {} {from} → {to} (one {})",
                w.router, w.route_call
            ),
            Step::Keep { release, until } => write!(
                f,
                "keep {release} until {} for `iac rollback`, then remove it on a later apply",
                iac_value::time::rfc3339(*until)
            ),
            Step::Replace {
                from,
                to,
                old_servers,
                count,
                batch,
                min_healthy_percent,
                group,
                gate,
                analysis,
            } => {
                write!(
                    f,
                    "replace {old_servers} servers of {from} with release {to} ({count} × {}), {batch} at a time behind {} {group}: each batch healthy ({gate}) before the old one is removed; never under {min_healthy_percent}% healthy",
                    w.size, w.group
                )?;
                match analysis {
                    Some(a) => write!(f, "; analyse each batch: {a}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// What a deployment's plan comes to.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub steps: Vec<Step>,
    /// Whether the configuration asks for a release other than the live one
    /// (false: the live one stays; only kept releases whose time is up go).
    pub releases: bool,
    /// The configured fleet is a release that was rolled back: it is not
    /// deployed again (its id and when it was made).
    pub rolled_back: Option<(String, String)>,
    /// The policy on a failed gate, for the plan's last note.
    pub on_failure: Option<String>,
    /// The configured release is a canary paused until promoted: its id and share
    /// of traffic.
    pub awaiting: Option<(String, u8)>,
}

impl Planned {
    /// The plan's notes, in the cloud's words.
    pub fn notes(&self, words: &Words) -> Vec<String> {
        let mut out: Vec<String> = self
            .steps
            .iter()
            .map(|s| Note(s, words).to_string())
            .collect();
        if let Some((id, w)) = &self.awaiting {
            out.push(format!(
                "release {id} is paused with {w}% of traffic, awaiting `iac promote` (or `iac abort`)"
            ));
        }
        if let Some(p) = &self.on_failure {
            out.push(p.clone());
        }
        out
    }
}

/// How a canary's steps are analysed, for the plan.
fn shift_analysis(spec: &Spec) -> Option<String> {
    spec.analysis.as_ref().map(|a| {
        if a.background {
            format!("analyse throughout: {}", a.describe())
        } else {
            format!("analyse at each step: {}", a.describe())
        }
    })
}

fn test_route(spec: &Spec, release: &str) -> Option<Step> {
    spec.test_route.then(|| Step::TestRoute {
        release: release.to_string(),
    })
}

fn hook_step(spec: &Spec, name: &str, release: &str) -> Option<Step> {
    spec.hooks.get(name).map(|h| Step::Hook {
        name: name.to_string(),
        release: release.to_string(),
        command: h.command.clone(),
        timeout: h.timeout_text.clone(),
    })
}

/// The steps from the releases in state (`prior`) to the release the configuration
/// asks for (`wanted`; `None` while the fleet has unknown values). `now`: seconds
/// since the epoch; `group_name` names a release's group.
pub fn plan(
    spec: &Spec,
    wanted: Option<&str>,
    prior: &[Release],
    now: u64,
    group_name: &dyn Fn(&str) -> String,
) -> Planned {
    let mut steps: Vec<Step> = prior
        .iter()
        .filter(|r| r.expired(now))
        .map(|r| Step::Retire {
            release: r.id.clone(),
            kept_until: r.keep_until.clone(),
        })
        .collect();
    let live = prior.iter().find(|r| r.status == Status::Live);
    if let (Some(w), Some(l)) = (wanted, live) {
        if l.id == w {
            return Planned {
                steps,
                releases: false,
                rolled_back: None,
                on_failure: None,
                awaiting: None,
            };
        }
    }
    if let Some(p) = prior.iter().find(|r| r.status == Status::Paused) {
        if wanted == Some(p.id.as_str()) {
            return Planned {
                steps,
                releases: false,
                rolled_back: None,
                on_failure: None,
                awaiting: Some((p.id.clone(), p.weight)),
            };
        }
        // Another release is asked for: the paused one makes way.
        steps.push(Step::Abort {
            release: p.id.clone(),
            live: live.map(|l| l.id.clone()).unwrap_or_default(),
        });
    }
    if let Some(w) = wanted {
        if let Some(r) = prior
            .iter()
            .find(|r| r.id == w && r.status == Status::RolledBack)
        {
            return Planned {
                steps,
                releases: false,
                rolled_back: Some((r.id.clone(), r.created.clone())),
                on_failure: None,
                awaiting: None,
            };
        }
    }
    let to = wanted.unwrap_or("(id known after apply)").to_string();
    let gate = spec.gate.describe();
    let launch = Step::Launch {
        release: to.clone(),
        count: spec.count,
        group_name: group_name(&to),
    };
    let await_healthy = Step::AwaitHealthy {
        release: to.clone(),
        gate: gate.clone(),
    };
    let analysis = spec.analysis.as_ref().map(|a| a.describe());
    let analyse = analysis.clone().map(|what| Step::Analyse {
        release: to.clone(),
        what,
    });
    match (&spec.strategy, live) {
        (_, None) => {
            steps.push(launch);
            steps.push(await_healthy);
            steps.extend(analyse);
            steps.extend(test_route(spec, &to));
            steps.extend(hook_step(spec, "pre_traffic", &to));
            steps.push(Step::Flip {
                from: None,
                to: to.clone(),
            });
            steps.extend(hook_step(spec, "post_traffic", &to));
        }
        (
            Strategy::Rolling {
                batch_size,
                min_healthy_percent,
            },
            Some(l),
        ) => {
            steps.extend(hook_step(spec, "pre_traffic", &to));
            steps.push(Step::Replace {
                from: l.id.clone(),
                to: to.clone(),
                old_servers: l.servers.len(),
                count: spec.count,
                batch: *batch_size,
                min_healthy_percent: *min_healthy_percent,
                group: short_group(&l.group).to_string(),
                gate,
                analysis,
            });
            steps.extend(hook_step(spec, "post_traffic", &to));
        }
        (
            Strategy::Canary {
                steps: canary,
                interval_text,
                ..
            },
            Some(l),
        ) => {
            steps.push(launch);
            steps.push(await_healthy);
            steps.extend(test_route(spec, &to));
            steps.extend(hook_step(spec, "pre_traffic", &to));
            steps.push(Step::Shift {
                from: l.id.clone(),
                to: to.clone(),
                steps: canary.clone(),
                from_step: 0,
                hold: interval_text.clone(),
                analysis: shift_analysis(spec),
            });
            steps.extend(hook_step(spec, "post_traffic", &to));
            steps.push(Step::Keep {
                release: l.id.clone(),
                until: now + spec.keep_previous.as_secs(),
            });
        }
        (Strategy::BlueGreen, Some(l)) => {
            steps.push(launch);
            steps.push(await_healthy);
            steps.extend(analyse);
            steps.extend(test_route(spec, &to));
            steps.extend(hook_step(spec, "pre_traffic", &to));
            steps.push(Step::Flip {
                from: Some(l.id.clone()),
                to: to.clone(),
            });
            steps.extend(hook_step(spec, "post_traffic", &to));
            steps.push(Step::Keep {
                release: l.id.clone(),
                until: now + spec.keep_previous.as_secs(),
            });
        }
    }
    Planned {
        steps,
        releases: true,
        rolled_back: None,
        awaiting: None,
        on_failure: spec.automatic_rollback.then(|| {
            "on a failed gate: traffic stays on (or returns to) the live release and the new one is removed".to_string()
        }),
    }
}

/// The steps `iac promote` runs: the paused canary goes on from its pause.
pub fn plan_promotion(spec: &Spec, prior: &[Release], now: u64) -> Result<Planned, String> {
    let paused = prior
        .iter()
        .find(|r| r.status == Status::Paused)
        .ok_or("no release is paused: promotion goes on with a canary stopped at a `pause` step")?;
    let live = prior
        .iter()
        .find(|r| r.status == Status::Live)
        .ok_or("the paused release has no live release beside it")?;
    let Strategy::Canary {
        steps: canary,
        interval_text,
        ..
    } = &spec.strategy
    else {
        return Err("the deployment's strategy is no longer canary; apply it to release".into());
    };
    let mut steps = vec![
        Step::Resume {
            release: paused.id.clone(),
        },
        Step::Shift {
            from: live.id.clone(),
            to: paused.id.clone(),
            steps: canary.clone(),
            from_step: paused.step,
            hold: interval_text.clone(),
            analysis: shift_analysis(spec),
        },
    ];
    steps.extend(hook_step(spec, "post_traffic", &paused.id));
    steps.push(Step::Keep {
        release: live.id.clone(),
        until: now + spec.keep_previous.as_secs(),
    });
    Ok(Planned {
        steps,
        releases: true,
        rolled_back: None,
        on_failure: None,
        awaiting: None,
    })
}

/// A group's short name: the name in a target group ARN.
fn short_group(handle: &str) -> &str {
    handle
        .split(":targetgroup/")
        .nth(1)
        .and_then(|x| x.split('/').next())
        .unwrap_or(handle)
}
