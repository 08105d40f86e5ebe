//! `aws_network_acl` (a VPC's own network ACL: its entries, managed exactly when
//! the configuration writes `ingress`/`egress`, and the subnets it serves) and
//! `aws_network_acl_rule` (one entry of an ACL, for ACLs whose rules are written
//! apart, as the VPC module does). Both as Terraform has them: a subnet that
//! leaves an ACL goes back to its VPC's default ACL, and so do all of them when
//! the ACL is destroyed. Refresh reads 1,000 ACLs per DescribeNetworkAcls call,
//! and the rules of every ACL with one call for all of them.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, IcmpTypeCode, NetworkAcl, PortRange, ResourceType as Kind, RuleAction,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting,
    PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use super::default_network_acl::{
    acl_value, associate, describe, entry_schema, entry_value, normalized, protocol_number,
    sync_entries,
};
use crate::ec2::{adopted_id, tag_spec, update_tags};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, int, s, sdk_err, set, strings, tags_of};
use crate::Clients;

pub(crate) struct NetworkAclType;
pub(crate) struct NetworkAclRuleType;

/// An ACL as `aws_network_acl` has it (the default ACL's own id left out).
fn value(c: &Clients, a: &NetworkAcl) -> Value {
    let mut v = acl_value(c, a);
    if let Value::Map(m) = &mut v {
        m.remove("default_network_acl_id");
    }
    v
}

async fn read_one(c: &Clients, id: &str) -> ApplyResult {
    let now = describe(c, &[id.to_string()]).await.map_err(|d| vec![d])?;
    Ok(now.first().map(|a| value(c, a)))
}

/// Moves subnets back to their VPC's default ACL (one leaving this ACL, or all
/// of them when it goes).
async fn release(c: &Clients, vpc: &str, subnets: &[String]) -> Result<(), AttrDiagnostic> {
    if subnets.is_empty() {
        return Ok(());
    }
    let out = c
        .ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkAcls", e))?;
    let Some(default) = out
        .network_acls()
        .iter()
        .find(|a| a.is_default() == Some(true))
        .and_then(|a| a.network_acl_id())
    else {
        return Ok(());
    };
    super::default_network_acl::move_subnets(c, out.network_acls(), subnets, default).await
}

fn entries_block() -> NestedBlock {
    NestedBlock {
        nesting: Nesting::Set,
        min_items: 0,
        max_items: None,
        force_new: false,
        block: entry_schema(),
    }
}

fn validate_entries(config: &Value, out: &mut Vec<AttrDiagnostic>) {
    for k in ["ingress", "egress"] {
        for e in config.get_attr(k).as_list().unwrap_or(&[]) {
            check_entry(e, k, "action", out);
        }
    }
}

fn check_entry(e: &Value, at: &str, action: &str, out: &mut Vec<AttrDiagnostic>) {
    if let Some(a) = e.get_attr(action).as_str() {
        if !a.eq_ignore_ascii_case("allow") && !a.eq_ignore_ascii_case("deny") {
            out.push(attr_err(
                at,
                "Invalid action",
                format!("\"{a}\": allow or deny"),
            ));
        }
    }
    let unset = |k: &str| e.get_attr(k).is_null();
    if unset("cidr_block") && unset("ipv6_cidr_block") && e.is_wholly_known() {
        out.push(attr_err(
            at,
            "Missing range",
            "an entry needs cidr_block or ipv6_cidr_block",
        ));
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for NetworkAclType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A network ACL of a VPC: its entries (managed exactly when ingress or egress is written; left to aws_network_acl_rule otherwise) and the subnets it serves. Refresh reads 1,000 per DescribeNetworkAcls call.")
            .attr("vpc_id", Attribute::required(Str, "The VPC (a change replaces the ACL).").force_new())
            .block("ingress", entries_block())
            .block("egress", entries_block())
            .attr(
                "subnet_ids",
                Attribute::optional_computed(
                    AttrType::Set(Box::new(Str)),
                    "Subnets this ACL serves (one that leaves goes back to the VPC's default ACL).",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "ACL id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        validate_entries(config, &mut out);
        out
    }

    /// Entries written are planned as AWS keeps them; not written, they are the
    /// ACL's (its aws_network_acl_rule entries among them), none on a new one.
    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        for k in ["ingress", "egress"] {
            let written = req.config.get_attr(k);
            match written.as_list() {
                Some(items) if written.is_wholly_known() && !items.is_empty() => {
                    let mut v: Vec<Value> = items.iter().map(normalized).collect();
                    for e in &mut v {
                        if let Some(a) = e.get_attr("action").as_str() {
                            let a = a.to_lowercase();
                            set(e, "action", Value::string(a));
                        }
                    }
                    set(&mut r.planned, k, Value::set(v));
                }
                Some(items) if !items.is_empty() => {}
                _ => {
                    let keep = req
                        .prior
                        .map_or(Value::Set(Vec::new()), |p| p.get_attr(k).clone());
                    set(&mut r.planned, k, keep);
                }
            }
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let id = match adopted_id(c, token, "network-acl")
            .await
            .map_err(|d| vec![d])?
        {
            Some(id) => id,
            None => c
                .ec2
                .create_network_acl()
                .set_vpc_id(s(p, "vpc_id"))
                .tag_specifications(tag_spec(Kind::NetworkAcl, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| vec![sdk_err("CreateNetworkAcl", e)])?
                .network_acl()
                .and_then(|a| a.network_acl_id())
                .unwrap_or_default()
                .to_string(),
        };
        let have = read_one(c, &id).await?.unwrap_or(Value::Null);
        sync_entries(c, &id, &have, p).await.map_err(|d| vec![d])?;
        associate(c, &id, &have, p).await.map_err(|d| vec![d])?;
        read_one(c, &id).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(old, "id").unwrap_or_default();
        // Entries not written are another resource's (aws_network_acl_rule).
        for k in ["ingress", "egress"] {
            if p.get_attr(k) != old.get_attr(k) {
                sync_entries(c, &id, old, p).await.map_err(|d| vec![d])?;
                break;
            }
        }
        associate(c, &id, old, p).await.map_err(|d| vec![d])?;
        let gone: Vec<String> = strings(old, "subnet_ids")
            .into_iter()
            .filter(|x| !strings(p, "subnet_ids").contains(x))
            .collect();
        if p.get_attr("subnet_ids").is_wholly_known() {
            release(c, &s(old, "vpc_id").unwrap_or_default(), &gone)
                .await
                .map_err(|d| vec![d])?;
        }
        update_tags(c, &id, old, p).await.map_err(|d| vec![d])?;
        read_one(c, &id).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let id = s(old, "id").unwrap_or_default();
        let now = read_one(c, &id).await?;
        if let Some(now) = now {
            release(
                c,
                &s(&now, "vpc_id").unwrap_or_default(),
                &strings(&now, "subnet_ids"),
            )
            .await
            .map_err(|d| vec![d])?;
        }
        crate::util::deleted(
            "DeleteNetworkAcl",
            c.ec2.delete_network_acl().network_acl_id(&id).send().await,
        )
        .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current.iter().filter_map(|v| s(v, "id")).collect();
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        for chunk in ids.chunks(1000) {
            match describe(c, chunk).await {
                Ok(list) => {
                    for a in list {
                        found.insert(
                            a.network_acl_id().unwrap_or_default().to_string(),
                            value(c, &a),
                        );
                    }
                }
                Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
            }
        }
        current
            .iter()
            .map(|v| Ok(s(v, "id").and_then(|id| found.get(&id).cloned())))
            .collect()
    }
}

// ---- rule ----

/// Terraform's id of a rule: a checksum of the ACL, number, direction and protocol.
fn rule_id(acl: &str, number: i64, egress: bool, protocol: &str) -> String {
    let key = format!("{acl}-{number}-{egress}-{protocol}");
    format!("nacl-{}", crc32fast::hash(key.as_bytes()))
}

/// A rule as state has it, from the entry AWS has (the protocol as written when
/// it names the same one).
fn rule_value(acl: &str, e: &Value, egress: bool, keep: &Value) -> Value {
    let got = e.get_attr("protocol").as_str().unwrap_or("-1").to_string();
    let protocol = match keep.get_attr("protocol").as_str() {
        Some(p) if protocol_number(p) == got => p.to_string(),
        _ => got,
    };
    let number = e.get_attr("rule_no").as_f64().unwrap_or(0.0) as i64;
    // Ports and ICMP codes AWS reports as 0 where the rule gives none.
    let port = |k: &str| match (keep.get_attr(k), e.get_attr(k)) {
        (Value::Null, x) if x.as_f64() == Some(0.0) => Value::Null,
        (_, x) => x.clone(),
    };
    Value::map([
        ("id", Value::string(rule_id(acl, number, egress, &protocol))),
        ("network_acl_id", Value::string(acl)),
        ("rule_number", Value::num(number as f64)),
        ("egress", Value::Bool(egress)),
        ("protocol", Value::string(protocol)),
        ("rule_action", e.get_attr("action").clone()),
        ("cidr_block", e.get_attr("cidr_block").clone()),
        ("ipv6_cidr_block", e.get_attr("ipv6_cidr_block").clone()),
        ("from_port", port("from_port")),
        ("to_port", port("to_port")),
        ("icmp_type", port("icmp_type")),
        ("icmp_code", port("icmp_code")),
    ])
}

/// An import names a rule as Terraform does, `ACL:NUMBER:PROTOCOL:EGRESS`
/// (`acl-1234:100:tcp:false`): the rule it names, to read.
fn from_import(v: &Value) -> Value {
    if v.get_attr("network_acl_id").as_str().is_some() {
        return v.clone();
    }
    let id = s(v, "id").unwrap_or_default();
    let parts: Vec<&str> = id.split(':').collect();
    let [acl, number, protocol, egress] = parts[..] else {
        return v.clone();
    };
    Value::map([
        ("network_acl_id", Value::string(acl)),
        (
            "rule_number",
            number.parse::<f64>().map_or(Value::Null, Value::num),
        ),
        ("protocol", Value::string(protocol)),
        ("egress", Value::Bool(egress == "true")),
    ])
}

fn egress_of(v: &Value) -> bool {
    v.get_attr("egress").as_bool() == Some(true)
}

#[async_trait::async_trait]
impl ResourceType<Clients> for NetworkAclRuleType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        let fixed = |ty: AttrType, about: &'static str| Attribute::optional(ty, about).force_new();
        Schema::new("One entry of a network ACL (any change replaces it). Refresh reads the entries of every ACL with one DescribeNetworkAcls call.")
            .attr("network_acl_id", Attribute::required(Str, "The ACL.").force_new())
            .attr("rule_number", Attribute::required(Number, "Rule number (lower is evaluated first).").force_new())
            .attr("egress", Attribute::optional_computed(Bool, "Outbound (default false: inbound).").force_new())
            .attr("protocol", Attribute::required(Str, "tcp, udp, icmp, a number, or -1 for all.").force_new())
            .attr("rule_action", Attribute::required(Str, "allow or deny.").force_new())
            .attr("cidr_block", fixed(Str, "IPv4 range."))
            .attr("ipv6_cidr_block", fixed(Str, "IPv6 range."))
            .attr("from_port", fixed(Number, "First port."))
            .attr("to_port", fixed(Number, "Last port."))
            .attr("icmp_type", fixed(Number, "ICMP type (with protocol icmp)."))
            .attr("icmp_code", fixed(Number, "ICMP code (with protocol icmp)."))
            .attr("id", Attribute::computed(Str, "Terraform's rule id (nacl-<checksum>)."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        check_entry(config, "rule_action", "rule_action", &mut out);
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if req.config.get_attr("egress").is_null() {
            set(&mut r.planned, "egress", Value::Bool(false));
        }
        if let Some(a) = req.config.get_attr("rule_action").as_str() {
            set(
                &mut r.planned,
                "rule_action",
                Value::string(a.to_lowercase()),
            );
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let acl = s(p, "network_acl_id").unwrap_or_default();
        let number = int(p, "rule_number").unwrap_or_default();
        let egress = egress_of(p);
        let protocol = s(p, "protocol").unwrap_or_else(|| "-1".into());
        let created = c
            .ec2
            .create_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(number)
            .egress(egress)
            .protocol(protocol_number(&protocol))
            .rule_action(RuleAction::from(
                s(p, "rule_action")
                    .unwrap_or_default()
                    .to_lowercase()
                    .as_str(),
            ))
            .set_cidr_block(s(p, "cidr_block"))
            .set_ipv6_cidr_block(s(p, "ipv6_cidr_block"))
            .port_range(
                PortRange::builder()
                    .set_from(int(p, "from_port"))
                    .set_to(int(p, "to_port"))
                    .build(),
            )
            .icmp_type_code(
                IcmpTypeCode::builder()
                    .set_type(int(p, "icmp_type"))
                    .set_code(int(p, "icmp_code"))
                    .build(),
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            // A retry of a create AWS carried out: the entry is this one if it
            // matches, which the read below says.
            Err(e) if err_code(&e).as_deref() == Some("NetworkAclEntryAlreadyExists") => {}
            Err(e) => return Err(vec![sdk_err("CreateNetworkAclEntry", e)]),
        }
        let got = self.read(c, std::slice::from_ref(p)).await;
        match got.into_iter().next() {
            Some(Ok(Some(v))) => Ok(Some(v)),
            Some(Err(d)) => Err(vec![d]),
            _ => Err(vec![attr_err(
                "rule_number",
                "Network ACL entry vanished",
                format!("rule {number} of {acl} is not there after it was made"),
            )]),
        }
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .ec2
            .delete_network_acl_entry()
            .network_acl_id(s(old, "network_acl_id").unwrap_or_default())
            .rule_number(int(old, "rule_number").unwrap_or_default())
            .egress(egress_of(old))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteNetworkAclEntry", e)]),
        }
    }

    /// Every rule's ACL in one DescribeNetworkAcls call (1,000 ACLs a call);
    /// a rule is its entry of the same number and direction, if there is one.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let current: Vec<Value> = current.iter().map(from_import).collect();
        let current = &current[..];
        let mut acls: Vec<String> = current
            .iter()
            .filter_map(|v| s(v, "network_acl_id"))
            .collect();
        acls.sort();
        acls.dedup();
        let mut found: BTreeMap<String, NetworkAcl> = BTreeMap::new();
        for chunk in acls.chunks(1000) {
            match describe(c, chunk).await {
                Ok(list) => {
                    for a in list {
                        found.insert(a.network_acl_id().unwrap_or_default().to_string(), a);
                    }
                }
                Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
            }
        }
        current
            .iter()
            .map(|v| {
                let acl = s(v, "network_acl_id").unwrap_or_default();
                let number = int(v, "rule_number");
                let egress = egress_of(v);
                Ok(found.get(&acl).and_then(|a| {
                    a.entries()
                        .iter()
                        .find(|e| e.rule_number() == number && e.egress() == Some(egress))
                        .map(|e| rule_value(&acl, &entry_value(e), egress, v))
                }))
            })
            .collect()
    }
}
