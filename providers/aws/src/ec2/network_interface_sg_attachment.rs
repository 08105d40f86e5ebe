//! `aws_network_interface_sg_attachment`: one security group added to a network
//! interface's groups, leaving the others as they are. Both arguments replace
//! it. Its id is `SG_ENI`, as Terraform's; `iac import` takes `ENI_SG`, as
//! Terraform's import does (either order is understood). Refresh reads every
//! interface involved in one DescribeNetworkInterfaces call.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{Filter, NetworkInterface};
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{s, sdk_err};
use crate::Clients;

pub(crate) struct NetworkInterfaceSgAttachmentType;

/// The group and the interface an id names, in either order.
fn parse(id: &str) -> Option<(String, String)> {
    let (a, b) = id.split_once('_')?;
    match (a.starts_with("sg-"), b.starts_with("sg-")) {
        (true, false) => Some((a.to_string(), b.to_string())),
        (false, true) => Some((b.to_string(), a.to_string())),
        _ => None,
    }
}

fn parts(v: &Value) -> Option<(String, String)> {
    match (s(v, "security_group_id"), s(v, "network_interface_id")) {
        (Some(sg), Some(eni)) => Some((sg, eni)),
        _ => parse(&s(v, "id")?),
    }
}

fn value(sg: &str, eni: &str) -> Value {
    Value::map([
        ("id", Value::String(format!("{sg}_{eni}"))),
        ("security_group_id", Value::string(sg)),
        ("network_interface_id", Value::string(eni)),
    ])
}

fn groups(n: &NetworkInterface) -> Vec<String> {
    n.groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect()
}

async fn interfaces(
    c: &Clients,
    ids: Vec<String>,
) -> Result<Vec<NetworkInterface>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("network-interface-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkInterfaces", e))?;
    Ok(out.network_interfaces().to_vec())
}

async fn set_groups(c: &Clients, eni: &str, groups: Vec<String>) -> Result<(), AttrDiagnostic> {
    c.ec2
        .modify_network_interface_attribute()
        .network_interface_id(eni)
        .set_groups(Some(groups))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))
}

fn gone(eni: &str) -> AttrDiagnostic {
    AttrDiagnostic::error(
        Vec::new(),
        "No such network interface",
        format!("{eni} does not exist"),
    )
}

/// Waits (as Terraform does) until a read shows the group as wanted.
async fn wait_for(c: &Clients, sg: &str, eni: &str, present: bool) -> Result<(), AttrDiagnostic> {
    let start = Instant::now();
    loop {
        let n = interfaces(c, vec![eni.to_string()]).await?;
        let has = n.first().is_some_and(|n| groups(n).iter().any(|g| g == sg));
        if has == present || n.is_empty() && !present {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(300) {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out waiting for the security group",
                format!(
                    "{sg} was not {} {eni}",
                    if present { "added to" } else { "removed from" }
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for NetworkInterfaceSgAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("Adds one security group to a network interface's groups.")
            .attr(
                "security_group_id",
                Attribute::required(Str, "The group.").force_new(),
            )
            .attr(
                "network_interface_id",
                Attribute::required(Str, "The interface.").force_new(),
            )
            .attr("id", Attribute::computed(Str, "SG_ENI."))
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let (sg, eni) = parts(p).unwrap_or_default();
        let found = interfaces(c, vec![eni.clone()])
            .await
            .map_err(|d| vec![d])?;
        let n = found.first().ok_or_else(|| vec![gone(&eni)])?;
        let mut have = groups(n);
        if !have.contains(&sg) {
            have.push(sg.clone());
            set_groups(c, &eni, have).await.map_err(|d| vec![d])?;
        }
        wait_for(c, &sg, &eni, true).await.map_err(|d| vec![d])?;
        Ok(Some(value(&sg, &eni)))
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let Some((sg, eni)) = parts(old) else {
            return Ok(());
        };
        let found = interfaces(c, vec![eni.clone()])
            .await
            .map_err(|d| vec![d])?;
        let Some(n) = found.first() else {
            return Ok(());
        };
        let have = groups(n);
        if !have.contains(&sg) {
            return Ok(());
        }
        let mut rest: Vec<String> = have.into_iter().filter(|g| *g != sg).collect();
        // An interface always has a group: the last one taken away leaves the
        // VPC's default group.
        if rest.is_empty() {
            let vpc = n.vpc_id().unwrap_or_default();
            rest.extend(
                super::default_security_group::find_default(c, vpc)
                    .await
                    .map_err(|d| vec![d])?,
            );
        }
        set_groups(c, &eni, rest).await.map_err(|d| vec![d])?;
        wait_for(c, &sg, &eni, false).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let wanted: Vec<Option<(String, String)>> = current.iter().map(parts).collect();
        let mut enis: Vec<String> = wanted.iter().flatten().map(|(_, e)| e.clone()).collect();
        enis.sort();
        enis.dedup();
        if enis.is_empty() {
            return current.iter().map(|_| Ok(None)).collect();
        }
        match interfaces(c, enis).await {
            Ok(found) => wanted
                .iter()
                .map(|w| {
                    Ok(w.as_ref().and_then(|(sg, eni)| {
                        found
                            .iter()
                            .find(|n| n.network_interface_id() == Some(eni.as_str()))
                            .filter(|n| groups(n).contains(sg))
                            .map(|_| value(sg, eni))
                    }))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_group_and_the_interface_in_either_order() {
        let both = Some(("sg-1".to_string(), "eni-2".to_string()));
        assert_eq!(parse("sg-1_eni-2"), both);
        assert_eq!(parse("eni-2_sg-1"), both);
        assert_eq!(parse("eni-2"), None);
        assert_eq!(parse("eni-2_eni-3"), None);
    }
}
