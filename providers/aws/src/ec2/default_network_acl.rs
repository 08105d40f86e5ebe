//! `aws_default_network_acl`: adopts a VPC's default network ACL and manages its
//! entries exactly, as Terraform does: entries not in the configuration are
//! removed (AWS's own final deny-all, rule 32767, stays), so no blocks at all
//! leaves the ACL denying everything. `subnet_ids` moves subnets to it. Destroy
//! only forgets it.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, RuleAction,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use crate::ec2::{region, update_tags};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, int, opt_str, s, sdk_err, set, strings, tags_value};
use crate::Clients;

pub(crate) struct DefaultNetworkAclType;

/// AWS's own last rule of every ACL.
pub(crate) const DEFAULT_RULE: i32 = 32767;

/// Protocols by number, as AWS keeps them ("tcp" is "6").
pub(crate) fn protocol_number(p: &str) -> String {
    match p.to_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "tcp" => "6".into(),
        "udp" => "17".into(),
        "icmp" => "1".into(),
        "icmpv6" => "58".into(),
        other => other.to_string(),
    }
}

pub(crate) fn entry_value(e: &NetworkAclEntry) -> Value {
    let ports = e.port_range();
    let icmp = e.icmp_type_code();
    let n = |x: Option<i32>| Value::num(f64::from(x.unwrap_or(0)));
    Value::map([
        ("rule_no", n(e.rule_number())),
        ("action", opt_str(e.rule_action().map(|a| a.as_str()))),
        ("protocol", Value::string(e.protocol().unwrap_or("-1"))),
        ("cidr_block", opt_str(e.cidr_block())),
        ("ipv6_cidr_block", opt_str(e.ipv6_cidr_block())),
        ("from_port", n(ports.and_then(|p| p.from()))),
        ("to_port", n(ports.and_then(|p| p.to()))),
        ("icmp_type", n(icmp.and_then(|i| i.r#type()))),
        ("icmp_code", n(icmp.and_then(|i| i.code()))),
    ])
}

pub(crate) fn acl_value(c: &Clients, a: &NetworkAcl) -> Value {
    let id = a.network_acl_id().unwrap_or_default();
    let owner = a.owner_id().unwrap_or_default();
    let entries = |egress: bool| {
        Value::set(
            a.entries()
                .iter()
                .filter(|e| e.egress() == Some(egress) && e.rule_number() != Some(DEFAULT_RULE))
                .map(entry_value)
                .collect(),
        )
    };
    let subnets: Vec<Value> = a
        .associations()
        .iter()
        .filter_map(|x| x.subnet_id().map(Value::string))
        .collect();
    Value::map([
        ("id", Value::string(id)),
        ("default_network_acl_id", Value::string(id)),
        (
            "arn",
            Value::String(format!(
                "arn:aws:ec2:{}:{owner}:network-acl/{id}",
                region(c)
            )),
        ),
        ("owner_id", Value::string(owner)),
        ("vpc_id", opt_str(a.vpc_id())),
        ("ingress", entries(false)),
        ("egress", entries(true)),
        ("subnet_ids", Value::set(subnets)),
        ("tags", tags_value(a.tags())),
    ])
}

/// An entry as the configuration has it, with AWS's defaults filled in.
pub(crate) fn normalized(e: &Value) -> Value {
    let mut e = e.clone();
    if let Some(p) = e.get_attr("protocol").as_str() {
        let p = protocol_number(p);
        set(&mut e, "protocol", Value::string(p));
    }
    for k in ["from_port", "to_port", "icmp_type", "icmp_code"] {
        if e.get_attr(k).is_null() {
            set(&mut e, k, Value::num(0.0));
        }
    }
    for k in ["cidr_block", "ipv6_cidr_block"] {
        if e.get_attr(k).is_null() {
            set(&mut e, k, Value::Null);
        }
    }
    e
}

/// ACLs by id; one that no longer exists is left out (it fails a batch call, so
/// the ids are then asked one by one).
pub(crate) async fn describe(
    c: &Clients,
    ids: &[String],
) -> Result<Vec<NetworkAcl>, AttrDiagnostic> {
    match c
        .ec2
        .describe_network_acls()
        .set_network_acl_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(out) => Ok(out.network_acls().to_vec()),
        Err(e) if crate::util::err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => {
            let mut out = Vec::new();
            if ids.len() > 1 {
                for one in ids {
                    out.extend(Box::pin(describe(c, std::slice::from_ref(one))).await?);
                }
            }
            Ok(out)
        }
        Err(e) => Err(sdk_err("DescribeNetworkAcls", e)),
    }
}

pub(crate) async fn sync_entries(
    c: &Clients,
    id: &str,
    have: &Value,
    want: &Value,
) -> Result<(), AttrDiagnostic> {
    for (egress, k) in [(false, "ingress"), (true, "egress")] {
        let list = |v: &Value| -> BTreeMap<i64, Value> {
            v.get_attr(k)
                .as_list()
                .unwrap_or(&[])
                .iter()
                .map(normalized)
                .filter_map(|e| Some((e.get_attr("rule_no").as_f64()? as i64, e)))
                .collect()
        };
        let (old, new) = (list(have), list(want));
        for rule in old.keys().filter(|r| !new.contains_key(r)) {
            c.ec2
                .delete_network_acl_entry()
                .network_acl_id(id)
                .rule_number(*rule as i32)
                .egress(egress)
                .send()
                .await
                .map_err(|e| sdk_err("DeleteNetworkAclEntry", e))?;
        }
        for (rule, e) in &new {
            if old.get(rule) == Some(e) {
                continue;
            }
            let ports = PortRange::builder()
                .set_from(int(e, "from_port"))
                .set_to(int(e, "to_port"))
                .build();
            let icmp = IcmpTypeCode::builder()
                .set_type(int(e, "icmp_type"))
                .set_code(int(e, "icmp_code"))
                .build();
            let action =
                RuleAction::from(s(e, "action").unwrap_or_default().to_lowercase().as_str());
            let protocol = s(e, "protocol").unwrap_or_else(|| "-1".into());
            if old.contains_key(rule) {
                c.ec2
                    .replace_network_acl_entry()
                    .network_acl_id(id)
                    .rule_number(*rule as i32)
                    .egress(egress)
                    .protocol(protocol)
                    .rule_action(action)
                    .set_cidr_block(s(e, "cidr_block"))
                    .set_ipv6_cidr_block(s(e, "ipv6_cidr_block"))
                    .port_range(ports)
                    .icmp_type_code(icmp)
                    .send()
                    .await
                    .map_err(|e| sdk_err("ReplaceNetworkAclEntry", e))?;
            } else {
                c.ec2
                    .create_network_acl_entry()
                    .network_acl_id(id)
                    .rule_number(*rule as i32)
                    .egress(egress)
                    .protocol(protocol)
                    .rule_action(action)
                    .set_cidr_block(s(e, "cidr_block"))
                    .set_ipv6_cidr_block(s(e, "ipv6_cidr_block"))
                    .port_range(ports)
                    .icmp_type_code(icmp)
                    .send()
                    .await
                    .map_err(|e| sdk_err("CreateNetworkAclEntry", e))?;
            }
        }
    }
    Ok(())
}

/// Moves the subnets the configuration names to this ACL.
pub(crate) async fn associate(
    c: &Clients,
    id: &str,
    have: &Value,
    want: &Value,
) -> Result<(), AttrDiagnostic> {
    let had = strings(have, "subnet_ids");
    let wanted: Vec<String> = strings(want, "subnet_ids")
        .into_iter()
        .filter(|x| !had.contains(x))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let current = c
        .ec2
        .describe_network_acls()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .set_values(Some(wanted.clone()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkAcls", e))?;
    move_subnets(c, current.network_acls(), &wanted, id).await
}

/// Moves each of `subnets` that one of `acls` serves (and not `to`) to `to`.
pub(crate) async fn move_subnets(
    c: &Clients,
    acls: &[NetworkAcl],
    subnets: &[String],
    to: &str,
) -> Result<(), AttrDiagnostic> {
    for acl in acls.iter().filter(|a| a.network_acl_id() != Some(to)) {
        for a in acl.associations() {
            let (Some(subnet), Some(assoc)) = (a.subnet_id(), a.network_acl_association_id())
            else {
                continue;
            };
            if subnets.iter().any(|w| w == subnet) {
                c.ec2
                    .replace_network_acl_association()
                    .association_id(assoc)
                    .network_acl_id(to)
                    .send()
                    .await
                    .map_err(|e| sdk_err("ReplaceNetworkAclAssociation", e))?;
            }
        }
    }
    Ok(())
}

pub(crate) fn entry_schema() -> Schema {
    use AttrType::{Number, String as Str};
    Schema::new("A numbered rule of the ACL.")
        .attr(
            "rule_no",
            Attribute::required(Number, "Rule number (lower is evaluated first)."),
        )
        .attr("action", Attribute::required(Str, "allow or deny."))
        .attr(
            "protocol",
            Attribute::required(Str, "tcp, udp, icmp, a number, or -1 for all."),
        )
        .attr("cidr_block", Attribute::optional(Str, "IPv4 range."))
        .attr("ipv6_cidr_block", Attribute::optional(Str, "IPv6 range."))
        .attr("from_port", Attribute::optional(Number, "First port."))
        .attr("to_port", Attribute::optional(Number, "Last port."))
        .attr("icmp_type", Attribute::optional(Number, "ICMP type."))
        .attr("icmp_code", Attribute::optional(Number, "ICMP code."))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DefaultNetworkAclType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let block = || NestedBlock {
            nesting: Nesting::Set,
            min_items: 0,
            max_items: None,
            force_new: false,
            block: entry_schema(),
        };
        Schema::new("A VPC's default network ACL, adopted; its entries managed exactly. Refresh reads 1,000 ACLs per DescribeNetworkAcls call.")
            .attr(
                "default_network_acl_id",
                Attribute::required(Str, "The ACL (aws_vpc.x.default_network_acl_id).").force_new(),
            )
            .block("ingress", block())
            .block("egress", block())
            .attr(
                "subnet_ids",
                Attribute::optional_computed(AttrType::Set(Box::new(Str)), "Subnets to move to this ACL."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "ACL id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
            .attr("vpc_id", Attribute::computed(Str, "VPC."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        for k in ["ingress", "egress"] {
            for e in config.get_attr(k).as_list().unwrap_or(&[]) {
                if let Some(a) = e.get_attr("action").as_str() {
                    if !a.eq_ignore_ascii_case("allow") && !a.eq_ignore_ascii_case("deny") {
                        out.push(attr_err(
                            k,
                            "Invalid action",
                            format!("\"{a}\": allow or deny"),
                        ));
                    }
                }
                if e.get_attr("cidr_block").is_null() && e.get_attr("ipv6_cidr_block").is_null() {
                    out.push(attr_err(
                        k,
                        "Missing range",
                        "an entry needs cidr_block or ipv6_cidr_block",
                    ));
                }
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        for k in ["ingress", "egress"] {
            if let Some(items) = req.config.get_attr(k).as_list() {
                if req.config.get_attr(k).is_wholly_known() {
                    let mut v: Vec<Value> = items.iter().map(normalized).collect();
                    for e in &mut v {
                        if let Some(a) = e.get_attr("action").as_str() {
                            let a = a.to_lowercase();
                            set(e, "action", Value::string(a));
                        }
                    }
                    set(&mut r.planned, k, Value::set(v));
                }
            }
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let id = s(p, "default_network_acl_id").unwrap_or_default();
        let found = describe(c, std::slice::from_ref(&id))
            .await
            .map_err(|d| vec![d])?;
        let Some(acl) = found.first() else {
            return Err(vec![attr_err(
                "default_network_acl_id",
                "No such network ACL",
                id,
            )]);
        };
        let have = acl_value(c, acl);
        sync_entries(c, &id, &have, p).await.map_err(|d| vec![d])?;
        associate(c, &id, &have, p).await.map_err(|d| vec![d])?;
        update_tags(c, &id, &have, p).await.map_err(|d| vec![d])?;
        let now = describe(c, std::slice::from_ref(&id))
            .await
            .map_err(|d| vec![d])?;
        Ok(now.first().map(|a| acl_value(c, a)))
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(old, "id").unwrap_or_default();
        sync_entries(c, &id, old, p).await.map_err(|d| vec![d])?;
        associate(c, &id, old, p).await.map_err(|d| vec![d])?;
        update_tags(c, &id, old, p).await.map_err(|d| vec![d])?;
        let now = describe(c, std::slice::from_ref(&id))
            .await
            .map_err(|d| vec![d])?;
        Ok(now.first().map(|a| acl_value(c, a)))
    }

    /// Only forgotten: the default ACL goes with its VPC.
    async fn delete(
        &self,
        _: &Clients,
        _: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current.iter().filter_map(|v| s(v, "id")).collect();
        if ids.is_empty() {
            return current.iter().map(|_| Ok(None)).collect();
        }
        match describe(c, &ids).await {
            Ok(list) => current
                .iter()
                .map(|v| {
                    let id = s(v, "id").unwrap_or_default();
                    Ok(list
                        .iter()
                        .find(|a| a.network_acl_id() == Some(id.as_str()))
                        .map(|a| acl_value(c, a)))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
