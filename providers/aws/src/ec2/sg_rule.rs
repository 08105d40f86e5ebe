//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`:
//! one rule of a security group each, with its own id (`sgr-...`), tags, and
//! changes in place (`ModifySecurityGroupRules`), as Terraform's types.
//!
//! Refresh reads up to 1,000 rules per `DescribeSecurityGroupRules` call.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType as Kind,
    SecurityGroupRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{tag_spec, update_tags, TOKEN_TAG};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, int, opt_str, s, sdk_err, set, tags_of};
use crate::Clients;

/// Which way the rule lets traffic through.
#[derive(Clone, Copy)]
pub(crate) struct RuleType {
    egress: bool,
}

pub(crate) const INGRESS: RuleType = RuleType { egress: false };
pub(crate) const EGRESS: RuleType = RuleType { egress: true };

/// The one place a rule's traffic comes from (ingress) or goes to (egress).
const PEERS: [&str; 4] = [
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
];

/// "-1" (all) and protocol numbers Terraform writes as names.
fn protocol(p: &Value) -> String {
    let raw = s(p, "ip_protocol").unwrap_or_else(|| "-1".into());
    match raw.to_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.to_string(),
    }
}

/// Ports apply to TCP, UDP and ICMP (type and code); with all protocols they
/// are not sent, and read back as null.
fn ports(p: &Value) -> (Option<i32>, Option<i32>) {
    if protocol(p) == "-1" {
        return (None, None);
    }
    (int(p, "from_port"), int(p, "to_port"))
}

fn rule_value(r: &SecurityGroupRule) -> Value {
    let id = r.security_group_rule_id().unwrap_or_default();
    let all = r.ip_protocol() == Some("-1");
    let port = |p: Option<i32>| match p {
        Some(n) if !all => Value::num(f64::from(n)),
        _ => Value::Null,
    };
    let tags = crate::util::tag_map(r.tags().iter().map(|t| (t.key(), t.value())));
    Value::map([
        ("id", Value::string(id)),
        ("security_group_rule_id", Value::string(id)),
        ("security_group_id", opt_str(r.group_id())),
        ("ip_protocol", opt_str(r.ip_protocol())),
        ("from_port", port(r.from_port())),
        ("to_port", port(r.to_port())),
        ("cidr_ipv4", opt_str(r.cidr_ipv4())),
        ("cidr_ipv6", opt_str(r.cidr_ipv6())),
        ("prefix_list_id", opt_str(r.prefix_list_id())),
        (
            "referenced_security_group_id",
            opt_str(r.referenced_group_info().and_then(|g| g.group_id())),
        ),
        ("description", opt_str(r.description())),
        ("tags", tags),
    ])
}

fn arn(c: &Clients, account: Option<&str>, id: &str) -> Value {
    match account {
        Some(a) => Value::string(format!(
            "arn:aws:ec2:{}:{a}:security-group-rule/{id}",
            crate::ec2::region(c)
        )),
        None => Value::Null,
    }
}

fn permission(p: &Value) -> IpPermission {
    let (from, to) = ports(p);
    let mut b = IpPermission::builder()
        .ip_protocol(protocol(p))
        .set_from_port(from)
        .set_to_port(to);
    let desc = s(p, "description");
    if let Some(cidr) = s(p, "cidr_ipv4") {
        b = b.ip_ranges(
            IpRange::builder()
                .cidr_ip(cidr)
                .set_description(desc.clone())
                .build(),
        );
    }
    if let Some(cidr) = s(p, "cidr_ipv6") {
        b = b.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(cidr)
                .set_description(desc.clone())
                .build(),
        );
    }
    if let Some(pl) = s(p, "prefix_list_id") {
        b = b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(pl)
                .set_description(desc.clone())
                .build(),
        );
    }
    if let Some(g) = s(p, "referenced_security_group_id") {
        b = b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(desc)
                .build(),
        );
    }
    b.build()
}

/// Rules by id, up to 1,000 ids per call; ids that do not exist are dropped
/// (one missing id fails the whole call, so they are asked again one by one).
async fn describe(
    c: &Clients,
    ids: &[String],
) -> Result<BTreeMap<String, SecurityGroupRule>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(1000) {
        let r = c
            .ec2
            .describe_security_group_rules()
            .set_security_group_rule_ids(Some(chunk.to_vec()))
            .send()
            .await;
        match r {
            Ok(o) => {
                for rule in o.security_group_rules() {
                    if let Some(id) = rule.security_group_rule_id() {
                        out.insert(id.to_string(), rule.clone());
                    }
                }
            }
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => {
                if chunk.len() == 1 {
                    continue;
                }
                for one in chunk {
                    out.extend(Box::pin(describe(c, std::slice::from_ref(one))).await?);
                }
            }
            Err(e) => return Err(sdk_err("DescribeSecurityGroupRules", e)),
        }
    }
    Ok(out)
}

/// A rule of the group with this token tag, from an earlier attempt of this create.
async fn ours(
    c: &Clients,
    group: &str,
    egress: bool,
    token: &str,
) -> Result<Option<SecurityGroupRule>, AttrDiagnostic> {
    let r = c
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group).build())
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSecurityGroupRules", e))?;
    Ok(r.security_group_rules()
        .iter()
        .find(|x| {
            x.is_egress() == Some(egress)
                && x.tags()
                    .iter()
                    .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
        })
        .cloned())
}

impl RuleType {
    fn name(self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    async fn read_one(self, c: &Clients, id: &str) -> Result<Option<Value>, AttrDiagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        let Some(r) = found.get(id) else {
            return Ok(None);
        };
        let mut v = rule_value(r);
        set(&mut v, "arn", arn(c, c.account_id().await.as_deref(), id));
        Ok(Some(v))
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for RuleType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        let about = if self.egress {
            "One outbound rule of a VPC security group, with its own id and tags. Refresh reads 1,000 rules per DescribeSecurityGroupRules call."
        } else {
            "One inbound rule of a VPC security group, with its own id and tags. Refresh reads 1,000 rules per DescribeSecurityGroupRules call."
        };
        Schema::new(about)
            .attr(
                "security_group_id",
                Attribute::required(Str, "The group the rule belongs to.").force_new(),
            )
            .attr(
                "ip_protocol",
                Attribute::required(
                    Str,
                    "tcp, udp, icmp, icmpv6, a protocol number, or -1 for all.",
                ),
            )
            .attr(
                "from_port",
                Attribute::optional(Number, "First port (or ICMP type); not with -1."),
            )
            .attr(
                "to_port",
                Attribute::optional(Number, "Last port (or ICMP code); not with -1."),
            )
            .attr(
                "cidr_ipv4",
                Attribute::optional(Str, "IPv4 range of the peer."),
            )
            .attr(
                "cidr_ipv6",
                Attribute::optional(Str, "IPv6 range of the peer."),
            )
            .attr(
                "prefix_list_id",
                Attribute::optional(Str, "Managed prefix list of the peer."),
            )
            .attr(
                "referenced_security_group_id",
                Attribute::optional(Str, "Security group of the peer."),
            )
            .attr("description", Attribute::optional(Str, "Description."))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The rule id (sgr-...)."))
            .attr(
                "security_group_rule_id",
                Attribute::computed(Str, "The rule id (sgr-...)."),
            )
            .attr(
                "arn",
                Attribute::computed(Str, "ARN (null under skip_requesting_account_id)."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let peers: Vec<&str> = PEERS
            .iter()
            .copied()
            .filter(|k| !config.get_attr(k).is_null())
            .collect();
        if peers.len() != 1 && PEERS.iter().all(|k| !config.get_attr(k).is_unknown()) {
            out.push(attr_err(
                "cidr_ipv4",
                "One peer per rule",
                format!(
                    "set exactly one of {} (this rule sets {})",
                    PEERS.join(", "),
                    if peers.is_empty() {
                        "none".to_string()
                    } else {
                        peers.join(" and ")
                    }
                ),
            ));
        }
        let all = matches!(
            config
                .get_attr("ip_protocol")
                .as_str()
                .map(str::to_lowercase)
                .as_deref(),
            Some("-1") | Some("all")
        );
        if all {
            for k in ["from_port", "to_port"] {
                if !config.get_attr(k).is_null() {
                    out.push(attr_err(
                        k,
                        "No ports with all protocols",
                        "with ip_protocol = \"-1\" the rule covers every port: leave from_port and to_port out",
                    ));
                }
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if let Some(p) = req.config.get_attr("ip_protocol").as_str() {
            let canonical = protocol(&Value::map([("ip_protocol", Value::string(p.to_string()))]));
            set(&mut r.planned, "ip_protocol", Value::string(canonical));
        }
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let group = s(planned, "security_group_id").unwrap_or_default();
        let token = req.idempotency_token;
        // An earlier attempt of this same create may have made the rule already.
        let rule = match ours(c, &group, self.egress, token)
            .await
            .map_err(|d| vec![d])?
        {
            Some(r) => r,
            None => {
                let spec = tag_spec(Kind::SecurityGroupRule, &tags_of(planned), token);
                let rules = if self.egress {
                    c.ec2
                        .authorize_security_group_egress()
                        .group_id(&group)
                        .ip_permissions(permission(planned))
                        .tag_specifications(spec)
                        .send()
                        .await
                        .map(|o| o.security_group_rules().to_vec())
                        .map_err(|e| (err_code(&e), sdk_err("AuthorizeSecurityGroupEgress", e)))
                } else {
                    c.ec2
                        .authorize_security_group_ingress()
                        .group_id(&group)
                        .ip_permissions(permission(planned))
                        .tag_specifications(spec)
                        .send()
                        .await
                        .map(|o| o.security_group_rules().to_vec())
                        .map_err(|e| (err_code(&e), sdk_err("AuthorizeSecurityGroupIngress", e)))
                };
                match rules {
                    Ok(list) => list.into_iter().next().ok_or_else(|| {
                        vec![AttrDiagnostic::error(Vec::new(), "No rule was created", group.clone())]
                    })?,
                    Err((code, _)) if code.as_deref().is_some_and(|c| c.contains("Duplicate")) => {
                        return Err(vec![attr_err(
                            "security_group_id",
                            "Rule already exists",
                            format!("{group} already has this rule, not made by this plan (from an inline rule of the group, an aws_security_group_rule, or another configuration); import it (iac import {}.NAME sgr-...) or remove the other", self.name()),
                        )])
                    }
                    Err((_, d)) => return Err(vec![d]),
                }
            }
        };
        let id = rule
            .security_group_rule_id()
            .unwrap_or_default()
            .to_string();
        self.read_one(c, &id).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "id").unwrap_or_default();
        let group = s(prior, "security_group_id").unwrap_or_default();
        let mut settings = prior.clone();
        set(&mut settings, "tags", planned.get_attr("tags").clone());
        if !crate::util::same(&settings, planned) {
            let (from, to) = ports(planned);
            let update = SecurityGroupRuleRequest::builder()
                .ip_protocol(protocol(planned))
                .set_from_port(from.or(Some(-1)))
                .set_to_port(to.or(Some(-1)))
                .set_cidr_ipv4(s(planned, "cidr_ipv4"))
                .set_cidr_ipv6(s(planned, "cidr_ipv6"))
                .set_prefix_list_id(s(planned, "prefix_list_id"))
                .set_referenced_group_id(s(planned, "referenced_security_group_id"))
                .set_description(s(planned, "description"))
                .build();
            c.ec2
                .modify_security_group_rules()
                .group_id(&group)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&id)
                        .security_group_rule(update)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| vec![sdk_err("ModifySecurityGroupRules", e)])?;
        }
        update_tags(c, &id, prior, planned)
            .await
            .map_err(|d| vec![d])?;
        self.read_one(c, &id).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let id = s(prior, "id").unwrap_or_default();
        let group = s(prior, "security_group_id").unwrap_or_default();
        let r = if self.egress {
            c.ec2
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("RevokeSecurityGroupEgress", e)))
        } else {
            c.ec2
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(&id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (err_code(&e), sdk_err("RevokeSecurityGroupIngress", e)))
        };
        match r {
            Ok(()) => Ok(()),
            Err((code, _)) if code.as_deref().is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err((_, d)) => Err(vec![d]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current
            .iter()
            .map(|v| {
                s(v, "id")
                    .or_else(|| s(v, "security_group_rule_id"))
                    .unwrap_or_default()
            })
            .collect();
        let asked: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
        let found = match describe(c, &asked).await {
            Ok(f) => f,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        };
        let account = c.account_id().await;
        ids.iter()
            .map(|id| {
                Ok(found
                    .get(id)
                    .filter(|r| r.is_egress() == Some(self.egress))
                    .map(|r| {
                        let mut v = rule_value(r);
                        set(&mut v, "arn", arn(c, account.as_deref(), id));
                        v
                    }))
            })
            .collect()
    }
}
