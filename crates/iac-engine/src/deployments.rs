//! Deployments as commands see them: typed releases read from a provider's
//! `status` action, and rollback as an engine operation that records its result
//! (the new object and the outputs that follow it) in state.

use std::collections::HashMap;

use iac_config::Module;
use iac_deploy::Status;
use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_plan::PlanMode;
use iac_state::{Backend, State, StateOp};
use iac_value::addr::InstanceAddr;
use iac_value::Value;

use crate::{Engine, PlanInput};

/// One release of a deployment's fleet.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub id: String,
    pub status: Status,
    /// Share of traffic, in percent.
    pub weight: u8,
    /// Healthy targets over all targets (`3/3`).
    pub healthy: String,
    pub target_group_arn: String,
    pub instance_ids: Vec<String>,
    pub created: String,
    pub keep_until: String,
}

/// A deployment and its releases.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    pub address: InstanceAddr,
    pub strategy: String,
    pub listener_arn: String,
    /// The live release's id.
    pub release: Option<String>,
    pub releases: Vec<Release>,
}

impl Deployment {
    /// Reads a deployment object's attributes.
    pub fn from_value(address: InstanceAddr, v: &Value) -> Deployment {
        let text = |v: &Value, k: &str| v.get_attr(k).as_str().unwrap_or("").to_string();
        // Typed by the strategy engine; `healthy` is what `status` adds.
        let releases = v
            .get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|item| {
                let r = iac_deploy::Release::from_value(item);
                Release {
                    id: r.id,
                    status: r.status,
                    weight: r.weight,
                    healthy: text(item, "healthy"),
                    target_group_arn: r.group,
                    instance_ids: r.servers,
                    created: r.created,
                    keep_until: r.keep_until,
                }
            })
            .collect();
        Deployment {
            address,
            strategy: text(v, "strategy"),
            listener_arn: text(v, "listener_arn"),
            release: v.get_attr("release").as_str().map(String::from),
            releases,
        }
    }

    /// The release that takes the traffic.
    pub fn live(&self) -> Option<&Release> {
        self.releases.iter().find(|r| r.status == Status::Live)
    }

    /// A canary paused until promoted.
    pub fn paused(&self) -> Option<&Release> {
        self.releases.iter().find(|r| r.status == Status::Paused)
    }

    /// The newest release kept to roll back to.
    pub fn previous(&self) -> Option<&Release> {
        self.releases.iter().rfind(|r| r.status == Status::Previous)
    }
}

/// What a rollback (or another deployment action) did.
pub struct RolledBack {
    /// The live release before and after.
    pub from: String,
    pub to: String,
    pub before: Deployment,
    pub after: Deployment,
    pub state: State,
}

fn not_a_deployment(addr: &InstanceAddr) -> Diagnostics {
    Diagnostic::error("E0511", format!("{addr} is not a deployment in state"))
        .with_help("`iac deployments` lists them")
        .into()
}

impl Engine {
    /// Every deployment in state, as its provider reports it now.
    pub async fn deployments(
        &self,
        module: &Module,
        variables: &HashMap<String, Value>,
        state: &State,
    ) -> Result<Vec<Deployment>, Diagnostics> {
        let mut out = Vec::new();
        for (addr, inst) in &state.resources {
            if addr.resource.ty != "deployment" || inst.current.is_none() {
                continue;
            }
            let v = self
                .run_action(module, variables, state, addr, "status", None)
                .await?;
            out.push(Deployment::from_value(addr.clone(), &v));
        }
        Ok(out)
    }

    /// The deployment as state remembers it (no provider call).
    pub fn deployment_in_state(
        &self,
        state: &State,
        addr: &InstanceAddr,
    ) -> Result<Deployment, Diagnostics> {
        if addr.resource.ty != "deployment" {
            return Err(not_a_deployment(addr));
        }
        state
            .current(addr)
            .map(|o| Deployment::from_value(addr.clone(), &o.attributes))
            .ok_or_else(|| not_a_deployment(addr))
    }

    /// Sends a deployment's traffic back to its previous release, and records the
    /// deployment's new value, and the root outputs that follow it, as a new
    /// version of state.
    pub async fn rollback(
        &self,
        module: &Module,
        variables: &HashMap<String, Value>,
        backend: &dyn Backend,
        state: State,
        addr: &InstanceAddr,
        workspace: &str,
    ) -> Result<RolledBack, Diagnostics> {
        self.deployment_action(
            module, variables, backend, state, addr, workspace, "rollback", None,
        )
        .await
    }

    /// Runs a deployment's action (`rollback`, `promote`: a paused canary goes
    /// on; `abort`: a paused canary's traffic goes back) and records the result as
    /// `rollback` does.
    #[allow(clippy::too_many_arguments)]
    pub async fn deployment_action(
        &self,
        module: &Module,
        variables: &HashMap<String, Value>,
        backend: &dyn Backend,
        state: State,
        addr: &InstanceAddr,
        workspace: &str,
        action: &str,
        output: Option<&(dyn Fn(&str) + Send + Sync)>,
    ) -> Result<RolledBack, Diagnostics> {
        let before = self.deployment_in_state(&state, addr)?;
        let after = self
            .run_action(module, variables, &state, addr, action, output)
            .await?;
        let mut next = state.clone();
        let provider = next
            .resources
            .get(addr)
            .map(|i| i.provider.clone())
            .unwrap_or_default();
        if let Some(obj) = next.current(addr).cloned() {
            next.apply_op(&StateOp::SetObject {
                addr: addr.clone(),
                provider,
                deposed: None,
                object: Some(iac_state::ResourceObject {
                    attributes: after.clone(),
                    ..obj
                }),
            });
        }
        // Outputs that depend on the deployment follow it.
        let replan = self
            .plan(&PlanInput {
                module,
                variables,
                state: &next,
                mode: PlanMode::Normal,
                refresh: false,
                targets: &[],
                replace: &[],
                workspace,
            })
            .await;
        for o in &replan.plan.outputs {
            if let (Some(v), Some(cur)) = (&o.after, next.outputs.get_mut(&o.name)) {
                if v.is_wholly_known() {
                    cur.value = v.clone();
                }
            }
        }
        iac_state::commit(backend, state.serial, &mut next).map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "E0602",
                format!("Cannot write state: {e}"),
            ))
        })?;
        let now = Deployment::from_value(addr.clone(), &after);
        Ok(RolledBack {
            from: before.live().map(|r| r.id.clone()).unwrap_or_default(),
            to: now.live().map(|r| r.id.clone()).unwrap_or_default(),
            before,
            after: now,
            state: next,
        })
    }
}
