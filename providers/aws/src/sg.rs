//! Security groups with inline rules, and standalone security group rules.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};
use iac_provider::AttrDiagnostic;
use iac_value::{format_number, Value};

use crate::ec2::{adopted_id, delete_with_retry, region, tag_spec, update_tags};
use crate::util::{opt_str, s, sdk_err, set, tags_of, tags_value};
use crate::Clients;

fn protocol(p: &str) -> String {
    match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        other => other.to_string(),
    }
}

/// A rule in the one shape plans, state and reads all use.
pub fn norm_rule(v: &Value) -> Value {
    // Sorted and deduplicated; a list not known yet (ids of groups still to be
    // created) stays unknown.
    let sorted = |k: &str| {
        let raw = v.get_attr(k);
        if !raw.is_wholly_known() {
            return Value::Unknown;
        }
        let mut l: Vec<String> = raw
            .as_list()
            .unwrap_or(&[])
            .iter()
            .filter_map(|c| c.as_str().map(String::from))
            .collect();
        l.sort();
        l.dedup();
        if l.is_empty() {
            Value::Null
        } else {
            Value::List(l.into_iter().map(Value::String).collect())
        }
    };
    let cidrs = sorted("cidr_blocks");
    let ipv6 = sorted("ipv6_cidr_blocks");
    let prefixes = sorted("prefix_list_ids");
    // A standalone rule names one source group; an inline rule a list of them.
    let groups = match v.get_attr("source_security_group_id") {
        Value::String(g) => Value::List(vec![Value::string(g)]),
        Value::Unknown => Value::Unknown,
        _ => sorted("security_groups"),
    };
    let proto = protocol(v.get_attr("protocol").as_str().unwrap_or("-1"));
    // AWS keeps no ports for "all protocols"; Terraform users write 0 or -1 there.
    let all = proto == "-1";
    let num = |k: &str| {
        v.get_attr(k)
            .as_f64()
            .filter(|_| !all)
            .map(Value::num)
            .unwrap_or(Value::num(0.0))
    };
    Value::map([
        ("protocol", Value::String(proto.clone())),
        ("from_port", num("from_port")),
        ("to_port", num("to_port")),
        ("cidr_blocks", cidrs),
        (
            "description",
            v.get_attr("description")
                .as_str()
                .filter(|d| !d.is_empty())
                .map(Value::string)
                .unwrap_or(Value::Null),
        ),
        ("security_groups", groups),
        ("ipv6_cidr_blocks", ipv6),
        ("prefix_list_ids", prefixes),
        (
            "self",
            Value::Bool(v.get_attr("self").as_bool() == Some(true)),
        ),
    ])
}

pub fn norm_rules(v: &Value) -> Value {
    if v.is_unknown() {
        return Value::Unknown;
    }
    Value::set(v.as_list().unwrap_or(&[]).iter().map(norm_rule).collect())
}

/// Rules as AWS holds them, grouped back into one rule per ports, protocol and
/// description; a rule that names the group itself (`own`) is `self = true`.
pub(crate) fn rules_from(perms: &[IpPermission], own: &str) -> Value {
    #[derive(Default)]
    struct Sources {
        cidrs: Vec<String>,
        groups: Vec<String>,
        ipv6: Vec<String>,
        prefixes: Vec<String>,
        own: bool,
    }
    let mut grouped: BTreeMap<(String, i64, i64, Option<String>), Sources> = BTreeMap::new();
    for p in perms {
        let proto = protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if proto == "-1" {
            (0, 0)
        } else {
            (
                p.from_port().unwrap_or(0) as i64,
                p.to_port().unwrap_or(0) as i64,
            )
        };
        let key = |d: Option<&str>| {
            (
                proto.clone(),
                from,
                to,
                d.filter(|d| !d.is_empty()).map(String::from),
            )
        };
        for r in p.ip_ranges() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .cidrs
                .extend(r.cidr_ip().map(String::from));
        }
        for r in p.ipv6_ranges() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .ipv6
                .extend(r.cidr_ipv6().map(String::from));
        }
        for r in p.prefix_list_ids() {
            grouped
                .entry(key(r.description()))
                .or_default()
                .prefixes
                .extend(r.prefix_list_id().map(String::from));
        }
        for g in p.user_id_group_pairs() {
            let entry = grouped.entry(key(g.description())).or_default();
            match g.group_id() {
                Some(id) if id == own && !own.is_empty() => entry.own = true,
                Some(id) => entry.groups.push(id.to_string()),
                None => {}
            }
        }
    }
    let strings = |v: Vec<String>| Value::List(v.into_iter().map(Value::String).collect());
    Value::set(
        grouped
            .into_iter()
            .map(|((proto, from, to, desc), src)| {
                norm_rule(&Value::map([
                    ("protocol", Value::String(proto)),
                    ("from_port", Value::num(from as f64)),
                    ("to_port", Value::num(to as f64)),
                    ("cidr_blocks", strings(src.cidrs)),
                    (
                        "description",
                        desc.map(Value::String).unwrap_or(Value::Null),
                    ),
                    ("security_groups", strings(src.groups)),
                    ("ipv6_cidr_blocks", strings(src.ipv6)),
                    ("prefix_list_ids", strings(src.prefixes)),
                    ("self", Value::Bool(src.own)),
                ]))
            })
            .collect(),
    )
}

fn permission(rule: &Value, own: &str) -> IpPermission {
    let proto = rule
        .get_attr("protocol")
        .as_str()
        .unwrap_or("-1")
        .to_string();
    let mut b = IpPermission::builder().ip_protocol(&proto);
    if proto != "-1" {
        b = b
            .from_port(rule.get_attr("from_port").as_f64().unwrap_or(0.0) as i32)
            .to_port(rule.get_attr("to_port").as_f64().unwrap_or(0.0) as i32);
    }
    for c in rule.get_attr("cidr_blocks").as_list().unwrap_or(&[]) {
        if let Some(c) = c.as_str() {
            b = b.ip_ranges(
                IpRange::builder()
                    .cidr_ip(c)
                    .set_description(s(rule, "description"))
                    .build(),
            );
        }
    }
    let mut groups: Vec<String> = rule
        .get_attr("security_groups")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter_map(|g| g.as_str().map(String::from))
        .collect();
    if rule.get_attr("self").as_bool() == Some(true) {
        groups.push(own.to_string());
    }
    for g in groups {
        b = b.user_id_group_pairs(
            aws_sdk_ec2::types::UserIdGroupPair::builder()
                .group_id(g)
                .set_description(s(rule, "description"))
                .build(),
        );
    }
    for c in rule.get_attr("ipv6_cidr_blocks").as_list().unwrap_or(&[]) {
        if let Some(c) = c.as_str() {
            b = b.ipv6_ranges(
                aws_sdk_ec2::types::Ipv6Range::builder()
                    .cidr_ipv6(c)
                    .set_description(s(rule, "description"))
                    .build(),
            );
        }
    }
    for p in rule.get_attr("prefix_list_ids").as_list().unwrap_or(&[]) {
        if let Some(p) = p.as_str() {
            b = b.prefix_list_ids(
                aws_sdk_ec2::types::PrefixListId::builder()
                    .prefix_list_id(p)
                    .set_description(s(rule, "description"))
                    .build(),
            );
        }
    }
    b.build()
}

fn rule_set(v: &Value) -> BTreeSet<String> {
    v.as_list()
        .unwrap_or(&[])
        .iter()
        .map(|r| norm_rule(r).to_string())
        .collect()
}

fn by_key(v: &Value) -> BTreeMap<String, Value> {
    v.as_list()
        .unwrap_or(&[])
        .iter()
        .map(|r| (norm_rule(r).to_string(), norm_rule(r)))
        .collect()
}

pub(crate) async fn sync_rules(
    c: &Clients,
    id: &str,
    egress: bool,
    old: &Value,
    new: &Value,
) -> Result<(), AttrDiagnostic> {
    let (old_k, new_k) = (by_key(old), by_key(new));
    let gone: Vec<IpPermission> = old_k
        .iter()
        .filter(|(k, _)| !new_k.contains_key(*k))
        .map(|(_, r)| permission(r, id))
        .collect();
    let added: Vec<IpPermission> = new_k
        .iter()
        .filter(|(k, _)| !old_k.contains_key(*k))
        .map(|(_, r)| permission(r, id))
        .collect();
    let _ = rule_set;
    if !gone.is_empty() {
        if egress {
            c.ec2
                .revoke_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(gone))
                .send()
                .await
                .map_err(|e| sdk_err("RevokeSecurityGroupEgress", e))?;
        } else {
            c.ec2
                .revoke_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(gone))
                .send()
                .await
                .map_err(|e| sdk_err("RevokeSecurityGroupIngress", e))?;
        }
    }
    if !added.is_empty() {
        if egress {
            c.ec2
                .authorize_security_group_egress()
                .group_id(id)
                .set_ip_permissions(Some(added))
                .send()
                .await
                .map_err(|e| sdk_err("AuthorizeSecurityGroupEgress", e))?;
        } else {
            c.ec2
                .authorize_security_group_ingress()
                .group_id(id)
                .set_ip_permissions(Some(added))
                .send()
                .await
                .map_err(|e| sdk_err("AuthorizeSecurityGroupIngress", e))?;
        }
    }
    Ok(())
}

pub fn group_value(c: &Clients, g: &aws_sdk_ec2::types::SecurityGroup) -> Value {
    let id = g.group_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            g.security_group_arn()
                .map(Value::string)
                .unwrap_or_else(|| {
                    Value::String(format!(
                        "arn:aws:ec2:{}:{owner}:security-group/{id}",
                        region(c)
                    ))
                }),
        ),
        ("name", opt_str(g.group_name())),
        ("description", opt_str(g.description())),
        ("vpc_id", opt_str(g.vpc_id())),
        ("owner_id", Value::string(owner)),
        ("ingress", rules_from(g.ip_permissions(), id)),
        ("egress", rules_from(g.ip_permissions_egress(), id)),
        ("tags", tags_value(g.tags())),
    ])
}

pub(crate) async fn describe_group(
    c: &Clients,
    id: &str,
) -> Result<aws_sdk_ec2::types::SecurityGroup, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSecurityGroups", e))?;
    out.security_groups()
        .first()
        .cloned()
        .ok_or_else(|| AttrDiagnostic::error(Vec::new(), "Security group vanished", id.to_string()))
}

pub async fn create_group(
    c: &Clients,
    p: &Value,
    token: &str,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = match adopted_id(c, token, "security-group").await? {
        Some(id) => id,
        None => {
            let name = s(p, "name").unwrap_or_else(|| {
                let suffix = &token[..token.len().min(20)];
                match s(p, "name_prefix") {
                    Some(prefix) => format!("{prefix}{suffix}"),
                    None => format!("iac-{suffix}"),
                }
            });
            let out = c
                .ec2
                .create_security_group()
                .group_name(name)
                .description(s(p, "description").unwrap_or_else(|| "Managed by iac".into()))
                .set_vpc_id(s(p, "vpc_id"))
                .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateSecurityGroup", e))?;
            let id = out.group_id().unwrap_or_default().to_string();
            // AWS adds an allow-all egress rule; only the configured rules stay (as with Terraform).
            let g = describe_group(c, &id).await?;
            sync_rules(
                c,
                &id,
                true,
                &rules_from(g.ip_permissions_egress(), &id),
                &Value::List(vec![]),
            )
            .await?;
            id
        }
    };
    let g = describe_group(c, &id).await?;
    for (egress, k) in [(false, "ingress"), (true, "egress")] {
        let want = p.get_attr(k);
        if want.is_unknown() {
            continue;
        }
        let have = if egress {
            rules_from(g.ip_permissions_egress(), &id)
        } else {
            rules_from(g.ip_permissions(), &id)
        };
        sync_rules(c, &id, egress, &have, want).await?;
    }
    Ok(Some(group_value(c, &describe_group(c, &id).await?)))
}

pub async fn update_group(
    c: &Clients,
    old: &Value,
    p: &Value,
) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    for (egress, k) in [(false, "ingress"), (true, "egress")] {
        if !p.get_attr(k).is_unknown() {
            sync_rules(c, &id, egress, old.get_attr(k), p.get_attr(k)).await?;
        }
    }
    Ok(Some(group_value(c, &describe_group(c, &id).await?)))
}

pub async fn delete_group(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    if old.get_attr("revoke_rules_on_delete").as_bool() == Some(true) {
        // Every rule goes first, so groups that name each other can be deleted.
        if let Ok(g) = describe_group(c, &id).await {
            if !g.ip_permissions().is_empty() {
                c.ec2
                    .revoke_security_group_ingress()
                    .group_id(&id)
                    .set_ip_permissions(Some(g.ip_permissions().to_vec()))
                    .send()
                    .await
                    .map_err(|e| sdk_err("RevokeSecurityGroupIngress", e))?;
            }
            if !g.ip_permissions_egress().is_empty() {
                c.ec2
                    .revoke_security_group_egress()
                    .group_id(&id)
                    .set_ip_permissions(Some(g.ip_permissions_egress().to_vec()))
                    .send()
                    .await
                    .map_err(|e| sdk_err("RevokeSecurityGroupEgress", e))?;
            }
        }
    }
    delete_with_retry(c, "security-group", id).await
}

pub async fn read_groups(
    c: &Clients,
    ids: &[String],
) -> Result<Vec<(String, Value)>, crate::ec2::ReadErr> {
    let out = c
        .ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| crate::ec2::classify("DescribeSecurityGroups", e))?;
    Ok(out
        .security_groups()
        .iter()
        .map(|g| {
            (
                g.group_id().unwrap_or_default().to_string(),
                group_value(c, g),
            )
        })
        .collect())
}

// ---- Standalone rules ----

fn rule_id(p: &Value) -> String {
    let r = norm_rule(p);
    let key = format!(
        "{}|{}|{}",
        s(p, "security_group_id").unwrap_or_default(),
        s(p, "type").unwrap_or_default(),
        r
    );
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("sgrule-{h:016x}")
}

fn with_rule_fields(p: &Value) -> Value {
    let r = norm_rule(p);
    let mut v = p.clone();
    for k in [
        "protocol",
        "from_port",
        "to_port",
        "cidr_blocks",
        "description",
        "ipv6_cidr_blocks",
        "prefix_list_ids",
    ] {
        set(&mut v, k, r.get_attr(k).clone());
    }
    set(&mut v, "id", Value::String(rule_id(p)));
    v
}

/// The rules AWS holds for these groups, each with its own id (one
/// `DescribeSecurityGroupRules` per 200 groups, paged).
async fn group_rules(
    c: &Clients,
    groups: &[String],
) -> Result<Vec<aws_sdk_ec2::types::SecurityGroupRule>, AttrDiagnostic> {
    let mut out = Vec::new();
    for chunk in groups.chunks(200) {
        let mut token: Option<String> = None;
        loop {
            let r = c
                .ec2
                .describe_security_group_rules()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_err("DescribeSecurityGroupRules", e))?;
            out.extend(r.security_group_rules().iter().cloned());
            token = r.next_token().filter(|t| !t.is_empty()).map(String::from);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(out)
}

/// `security_group_rule_id`, as Terraform's provider has it: the id of the one
/// AWS rule a standalone rule with a single source is; empty for a rule with
/// several sources (it is several AWS rules).
fn rule_id_in(rules: &[aws_sdk_ec2::types::SecurityGroupRule], v: &Value) -> Value {
    let want = norm_rule(v);
    let group = s(v, "security_group_id").unwrap_or_default();
    let egress = s(v, "type").as_deref() == Some("egress");
    let list = |k: &str| -> Vec<String> {
        want.get_attr(k)
            .as_list()
            .unwrap_or(&[])
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    };
    let own = want.get_attr("self").as_bool() == Some(true);
    let sources: Vec<(&str, String)> = list("cidr_blocks")
        .into_iter()
        .map(|c| ("cidr", c))
        .chain(list("ipv6_cidr_blocks").into_iter().map(|c| ("ipv6", c)))
        .chain(list("prefix_list_ids").into_iter().map(|c| ("prefix", c)))
        .chain(list("security_groups").into_iter().map(|g| ("group", g)))
        .chain(own.then(|| ("group", group.clone())))
        .collect();
    let [(kind, source)] = sources.as_slice() else {
        return Value::string("");
    };
    let proto = want
        .get_attr("protocol")
        .as_str()
        .unwrap_or("-1")
        .to_string();
    let port = |k: &str| want.get_attr(k).as_f64().map(|p| p as i32);
    rules
        .iter()
        .find(|r| {
            r.group_id() == Some(group.as_str())
                && r.is_egress() == Some(egress)
                && protocol(r.ip_protocol().unwrap_or("-1")) == proto
                && (proto == "-1"
                    || (r.from_port() == port("from_port") && r.to_port() == port("to_port")))
                && match *kind {
                    "cidr" => r.cidr_ipv4() == Some(source.as_str()),
                    "ipv6" => r.cidr_ipv6() == Some(source.as_str()),
                    "prefix" => r.prefix_list_id() == Some(source.as_str()),
                    _ => {
                        r.referenced_group_info().and_then(|g| g.group_id())
                            == Some(source.as_str())
                    }
                }
        })
        .map(|r| opt_str(r.security_group_rule_id()))
        .unwrap_or(Value::Null)
}

pub async fn create_rule(c: &Clients, p: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(p, "security_group_id").unwrap_or_default();
    let egress = s(p, "type").as_deref() == Some("egress");
    let g = describe_group(c, &id).await?;
    let current = if egress {
        rules_from(g.ip_permissions_egress(), &id)
    } else {
        rules_from(g.ip_permissions(), &id)
    };
    let mut wanted: Vec<Value> = current.as_list().unwrap_or(&[]).to_vec();
    wanted.push(norm_rule(p));
    sync_rules(c, &id, egress, &current, &Value::List(wanted)).await?;
    let mut v = with_rule_fields(p);
    let rules = group_rules(c, std::slice::from_ref(&id)).await?;
    set(&mut v, "security_group_rule_id", rule_id_in(&rules, p));
    Ok(Some(v))
}

pub async fn delete_rule(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "security_group_id").unwrap_or_default();
    let egress = s(old, "type").as_deref() == Some("egress");
    let rule = norm_rule(old);
    let perm = permission(&rule, &id);
    let r = if egress {
        c.ec2
            .revoke_security_group_egress()
            .group_id(&id)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_err("RevokeSecurityGroupEgress", e))
    } else {
        c.ec2
            .revoke_security_group_ingress()
            .group_id(&id)
            .ip_permissions(perm)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_err("RevokeSecurityGroupIngress", e))
    };
    match r {
        Ok(()) => Ok(()),
        Err(d) if d.detail.contains("NotFound") || d.detail.contains("does not exist") => Ok(()),
        Err(d) => Err(d),
    }
}

/// A standalone rule exists while its group holds every one of its ranges.
/// An import id in Terraform's form, `sg-1_ingress_tcp_22_22_10.0.0.0/8[_more cidrs]`, as a rule.
fn from_import_id(v: &Value) -> Value {
    let Some(id) = s(v, "id").filter(|_| v.as_map().is_some_and(|m| m.len() == 1)) else {
        return v.clone();
    };
    let parts: Vec<&str> = id.split('_').collect();
    if parts.len() < 6 {
        return v.clone();
    }
    let num = |x: &str| x.parse::<f64>().map(Value::num).unwrap_or(Value::Null);
    let rule = Value::map([
        ("security_group_id", Value::string(parts[0])),
        ("type", Value::string(parts[1])),
        ("protocol", Value::string(parts[2])),
        ("from_port", num(parts[3])),
        ("to_port", num(parts[4])),
        (
            "cidr_blocks",
            Value::List(parts[5..].iter().map(|c| Value::string(*c)).collect()),
        ),
        ("description", Value::Null),
    ]);
    with_rule_fields(&rule)
}

pub async fn read_rules(
    c: &Clients,
    current: &[Value],
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    let current: Vec<Value> = current.iter().map(from_import_id).collect();
    let current = &current[..];
    let mut groups: BTreeMap<String, Option<aws_sdk_ec2::types::SecurityGroup>> = BTreeMap::new();
    for v in current {
        if let Some(g) = s(v, "security_group_id") {
            groups.entry(g).or_default();
        }
    }
    let ids: Vec<String> = groups.keys().cloned().collect();
    let mut rules = Vec::new();
    if !ids.is_empty() {
        match group_rules(c, &ids).await {
            Ok(r) => rules = r,
            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
        }
        match c
            .ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-id")
                    .set_values(Some(ids))
                    .build(),
            )
            .send()
            .await
        {
            Ok(out) => {
                for g in out.security_groups() {
                    groups.insert(
                        g.group_id().unwrap_or_default().to_string(),
                        Some(g.clone()),
                    );
                }
            }
            Err(e) => {
                let d = sdk_err("DescribeSecurityGroups", e);
                return current.iter().map(|_| Err(d.clone())).collect();
            }
        }
    }
    current
        .iter()
        .map(|v| {
            let Some(Some(g)) = s(v, "security_group_id").and_then(|id| groups.get(&id).cloned())
            else {
                return Ok(None);
            };
            let egress = s(v, "type").as_deref() == Some("egress");
            let own = g.group_id().unwrap_or_default();
            let have = if egress {
                rules_from(g.ip_permissions_egress(), own)
            } else {
                rules_from(g.ip_permissions(), own)
            };
            let want = norm_rule(v);
            let strings = |r: &Value, k: &str| -> BTreeSet<String> {
                r.get_attr(k)
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|c| c.as_str().map(String::from))
                    .collect()
            };
            let matching: Vec<&Value> = have
                .as_list()
                .unwrap_or(&[])
                .iter()
                .filter(|r| same_rule_shape(r, &want))
                .collect();
            let found = |k: &str| -> BTreeSet<String> {
                matching.iter().flat_map(|r| strings(r, k)).collect()
            };
            let present = !matching.is_empty()
                && [
                    "cidr_blocks",
                    "security_groups",
                    "ipv6_cidr_blocks",
                    "prefix_list_ids",
                ]
                .iter()
                .all(|k| strings(&want, k).is_subset(&found(k)))
                && (want.get_attr("self").as_bool() != Some(true)
                    || matching
                        .iter()
                        .any(|r| r.get_attr("self").as_bool() == Some(true)));
            Ok(present.then(|| {
                let id = rule_id_in(&rules, v);
                let mut v = v.clone();
                set(&mut v, "security_group_rule_id", id);
                v
            }))
        })
        .collect()
}

/// Whether a rule read from AWS has the protocol and ports of a wanted one. AWS
/// keeps no ports for "all protocols" (`-1`), whatever the configuration wrote
/// (Terraform accepts `0` or `-1` there).
fn same_rule_shape(have: &Value, want: &Value) -> bool {
    if have.get_attr("protocol") != want.get_attr("protocol") {
        return false;
    }
    want.get_attr("protocol").as_str() == Some("-1")
        || (have.get_attr("from_port") == want.get_attr("from_port")
            && have.get_attr("to_port") == want.get_attr("to_port"))
}

pub fn plan_rule_fields(planned: &mut Value) {
    if planned.get_attr("protocol").is_unknown()
        || !planned.get_attr("cidr_blocks").is_wholly_known()
    {
        return;
    }
    let r = norm_rule(planned);
    for k in [
        "protocol",
        "from_port",
        "to_port",
        "cidr_blocks",
        "description",
        "ipv6_cidr_blocks",
        "prefix_list_ids",
    ] {
        set(planned, k, r.get_attr(k).clone());
    }
    let _ = format_number;
}
