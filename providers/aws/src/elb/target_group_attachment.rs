//! `aws_lb_target_group_attachment` (and `aws_alb_target_group_attachment`): one
//! target registered with a group; every argument replaces it. Refresh reads each
//! group's targets with one DescribeTargetHealth call.

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;

use super::{attachment_value, not_found, target};
use crate::util::{err_code, int as num, s, sdk_err};
use crate::Clients;

pub(crate) struct TargetGroupAttachmentType;

#[async_trait::async_trait]
impl ResourceType<Clients> for TargetGroupAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        Schema::new("Registers one target (an instance) with a target group.")
            .attr(
                "target_group_arn",
                Attribute::required(Str, "Target group."),
            )
            .attr(
                "target_id",
                Attribute::required(Str, "Instance id (or IP)."),
            )
            .attr(
                "port",
                Attribute::optional(Number, "Port (default: the group's)."),
            )
            .attr(
                "id",
                Attribute::computed(Str, "TARGET_GROUP_ARN,TARGET_ID[,PORT]."),
            )
            .force_all_new()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let tg = s(p, "target_group_arn").unwrap_or_default();
        let id = s(p, "target_id").unwrap_or_default();
        let port = num(p, "port");
        c.elb
            .register_targets()
            .target_group_arn(&tg)
            .targets(target(&id, port))
            .send()
            .await
            .map_err(|e| vec![sdk_err("RegisterTargets", e)])?;
        Ok(Some(attachment_value(&tg, &id, port)))
    }

    async fn delete(
        &self,
        c: &Clients,
        o: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let tg = s(o, "target_group_arn").unwrap_or_default();
        match c
            .elb
            .deregister_targets()
            .target_group_arn(&tg)
            .targets(target(
                &s(o, "target_id").unwrap_or_default(),
                num(o, "port"),
            ))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if not_found(err_code(&e))
                    || err_code(&e).is_some_and(|c| c.contains("InvalidTarget")) =>
            {
                Ok(())
            }
            Err(e) => Err(vec![sdk_err("DeregisterTargets", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let fail = |d: AttrDiagnostic| current.iter().map(|_| Err(d.clone())).collect();
        let ids: Vec<String> = current
            .iter()
            .map(|v| s(v, "id").unwrap_or_default())
            .collect();
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        let mut by_tg: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for id in ids.iter().filter(|i| !i.is_empty()) {
            let tg = id.split(',').next().unwrap_or_default().to_string();
            by_tg.entry(tg).or_default().push(id.clone());
        }
        for (tg, wanted) in by_tg {
            let r = match c
                .elb
                .describe_target_health()
                .target_group_arn(&tg)
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) if not_found(err_code(&e)) => continue,
                Err(e) => return fail(sdk_err("DescribeTargetHealth", e)),
            };
            for d in r.target_health_descriptions() {
                let Some(t) = d.target() else { continue };
                let tid = t.id().unwrap_or_default();
                for w in &wanted {
                    let parts: Vec<&str> = w.split(',').collect();
                    let port_ok = parts
                        .get(2)
                        .is_none_or(|p| t.port().map(|x| x.to_string()).as_deref() == Some(*p));
                    if parts.get(1) == Some(&tid) && port_ok {
                        let port = parts.get(2).and_then(|p| p.parse().ok());
                        found.insert(w.clone(), attachment_value(&tg, tid, port));
                    }
                }
            }
        }
        ids.iter().map(|id| Ok(found.get(id).cloned())).collect()
    }
}
