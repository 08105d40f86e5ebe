//! `aws_network_interface`: an elastic network interface (ENI) in a subnet, with
//! its private and IPv6 addresses, security groups, source/destination check and
//! at most one attachment to an instance (not written, the attachment is as AWS
//! has it, as in Terraform: an instance or an attachment resource may attach it). Addresses, groups, the check, the
//! description and the attachment change in place; a new subnet, primary address
//! or interface type replaces it. Refresh reads 200 interfaces per
//! DescribeNetworkInterfaces call. A create is tagged with its idempotency token,
//! so a retried one finds the interface instead of making a second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, InstanceIpv6Address, NetworkInterface,
    NetworkInterfaceCreationType, NetworkInterfaceStatus, PrivateIpAddressSpecification,
    ResourceType as Kind,
};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::{PathStep, Value};

use crate::ec2::{
    adopted_id, classify, read_in_batches, region, tag_spec, update_tags, BatchRead, ReadErr, WAIT,
};
use crate::kit::aws_plan_with;
use crate::schema::{nested, tags};
use crate::util::{attr_err, int, opt_str, s, sdk_err, set, strings, tags_of, tags_value, written};
use crate::Clients;

pub(crate) struct NetworkInterfaceType;

/// The interface's private addresses, the primary first.
fn private_ips(n: &NetworkInterface) -> Vec<String> {
    let mut ips: Vec<(bool, String)> = n
        .private_ip_addresses()
        .iter()
        .filter_map(|p| {
            Some((
                p.primary() != Some(true),
                p.private_ip_address()?.to_string(),
            ))
        })
        .collect();
    // A stable sort: the primary first, the rest in AWS's order.
    ips.sort_by_key(|(secondary, _)| *secondary);
    ips.into_iter().map(|(_, ip)| ip).collect()
}

fn ipv6s(n: &NetworkInterface) -> Vec<String> {
    n.ipv6_addresses()
        .iter()
        .filter_map(|a| a.ipv6_address().map(String::from))
        .collect()
}

fn strs(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}

fn str_set(items: &[String]) -> Value {
    Value::set(items.iter().map(Value::string).collect())
}

/// The attachment to an instance, as the `attachment` block (none when detached
/// or attached to something that is not an instance).
fn attachment_value(n: &NetworkInterface) -> Value {
    let a = n.attachment().filter(|a| a.instance_id().is_some());
    Value::set(
        a.into_iter()
            .map(|a| {
                Value::map([
                    ("instance", opt_str(a.instance_id())),
                    (
                        "device_index",
                        a.device_index()
                            .map_or(Value::Null, |i| Value::num(f64::from(i))),
                    ),
                    ("attachment_id", opt_str(a.attachment_id())),
                ])
            })
            .collect(),
    )
}

pub(crate) fn eni_value(c: &Clients, n: &NetworkInterface, keep: &Value) -> Value {
    let id = n.network_interface_id().unwrap_or_default();
    let owner = n.owner_id().unwrap_or_default();
    let private = private_ips(n);
    let ipv6 = ipv6s(n);
    let groups: Vec<String> = n
        .groups()
        .iter()
        .filter_map(|g| g.group_id().map(String::from))
        .collect();
    let kept_bool = |k: &str| match keep.get_attr(k) {
        Value::Bool(b) => Value::Bool(*b),
        _ => Value::Null,
    };
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::String(format!(
                "arn:aws:ec2:{}:{owner}:network-interface/{id}",
                region(c)
            )),
        ),
        ("subnet_id", opt_str(n.subnet_id())),
        (
            "description",
            opt_str(n.description().filter(|d| !d.is_empty())),
        ),
        ("private_ip", opt_str(n.private_ip_address())),
        ("private_ips", str_set(&private)),
        (
            "private_ips_count",
            Value::num(private.len().saturating_sub(1) as f64),
        ),
        ("private_ip_list", strs(&private)),
        (
            "private_ip_list_enabled",
            kept_bool("private_ip_list_enabled"),
        ),
        ("ipv6_addresses", str_set(&ipv6)),
        ("ipv6_address_count", Value::num(ipv6.len() as f64)),
        ("ipv6_address_list", strs(&ipv6)),
        (
            "ipv6_address_list_enabled",
            kept_bool("ipv6_address_list_enabled"),
        ),
        ("security_groups", str_set(&groups)),
        (
            "enable_primary_ipv6",
            if n.ipv6_addresses()
                .iter()
                .any(|a| a.is_primary_ipv6() == Some(true))
            {
                Value::Bool(true)
            } else {
                keep.get_attr("enable_primary_ipv6").clone()
            },
        ),
        (
            "source_dest_check",
            n.source_dest_check().map_or(Value::Bool(true), Value::Bool),
        ),
        (
            "interface_type",
            opt_str(n.interface_type().map(|t| t.as_str())),
        ),
        ("mac_address", opt_str(n.mac_address())),
        ("owner_id", opt_str(n.owner_id())),
        ("private_dns_name", opt_str(n.private_dns_name())),
        ("outpost_arn", opt_str(n.outpost_arn())),
        ("attachment", attachment_value(n)),
        ("tags", tags_value(n.tag_set())),
    ])
}

async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<NetworkInterface>, ReadErr> {
    let out = c
        .ec2
        .describe_network_interfaces()
        .set_network_interface_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(|e| classify("DescribeNetworkInterfaces", e))?;
    Ok(out.network_interfaces().to_vec())
}

async fn describe_one(c: &Clients, id: &str) -> Result<Option<NetworkInterface>, AttrDiagnostic> {
    match describe(c, &[id.to_string()]).await {
        Ok(found) => Ok(found.into_iter().next()),
        Err(ReadErr::Missing(_)) => Ok(None),
        Err(ReadErr::Other(d)) => Err(d),
    }
}

/// Waits until the interface is detached (available) or, with `attached`, in use.
pub(crate) async fn wait_status(
    c: &Clients,
    id: &str,
    attached: bool,
) -> Result<(), AttrDiagnostic> {
    let start = Instant::now();
    loop {
        let n = describe_one(c, id).await?;
        let status = n.as_ref().and_then(|n| n.status());
        let done = match status {
            None => !attached,
            Some(NetworkInterfaceStatus::Available) => !attached,
            Some(NetworkInterfaceStatus::InUse) => attached,
            _ => false,
        };
        if done {
            return Ok(());
        }
        if start.elapsed() > WAIT {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out waiting for the network interface",
                format!(
                    "{id} did not become {} in {} minutes",
                    if attached { "in use" } else { "available" },
                    WAIT.as_secs() / 60
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn the_attachment(v: &Value) -> Option<(String, i32)> {
    let items = v.get_attr("attachment").as_list()?;
    let a = items.first()?;
    Some((s(a, "instance")?, int(a, "device_index")?))
}

async fn attach(c: &Clients, id: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    if let Some((instance, index)) = the_attachment(p) {
        c.ec2
            .attach_network_interface()
            .network_interface_id(id)
            .instance_id(instance)
            .device_index(index)
            .send()
            .await
            .map_err(|e| sdk_err("AttachNetworkInterface", e))?;
        wait_status(c, id, true).await?;
    }
    Ok(())
}

/// Detaches (forcibly, as Terraform does) and waits for the interface to be free.
pub(crate) async fn detach(
    c: &Clients,
    id: &str,
    attachment_id: &str,
) -> Result<(), AttrDiagnostic> {
    match c
        .ec2
        .detach_network_interface()
        .attachment_id(attachment_id)
        .force(true)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if crate::util::err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => {}
        Err(e) => return Err(sdk_err("DetachNetworkInterface", e)),
    }
    wait_status(c, id, false).await
}

/// The private addresses as written: `private_ip_list` (in order, the first the
/// primary) when enabled, else `private_ips` with `private_ip` as the primary.
fn wanted_private(p: &Value) -> (Option<String>, Vec<String>) {
    if p.get_attr("private_ip_list_enabled").as_bool() == Some(true) {
        let list = strings(p, "private_ip_list");
        return (list.first().cloned(), list);
    }
    let ips = strings(p, "private_ips");
    let primary = s(p, "private_ip").or_else(|| ips.first().cloned());
    (primary, ips)
}

fn wanted_ipv6(p: &Value) -> Vec<String> {
    if p.get_attr("ipv6_address_list_enabled").as_bool() == Some(true) {
        strings(p, "ipv6_address_list")
    } else {
        strings(p, "ipv6_addresses")
    }
}

async fn create(c: &Clients, p: &Value, token: &str) -> Result<Option<Value>, AttrDiagnostic> {
    let id = match adopted_id(c, token, "network-interface").await? {
        Some(id) => id,
        None => {
            let (primary, ips) = wanted_private(p);
            let specs: Vec<PrivateIpAddressSpecification> = ips
                .iter()
                .map(|ip| {
                    PrivateIpAddressSpecification::builder()
                        .private_ip_address(ip)
                        .primary(Some(ip) == primary.as_ref())
                        .build()
                })
                .collect();
            let ipv6: Vec<InstanceIpv6Address> = wanted_ipv6(p)
                .into_iter()
                .map(|a| InstanceIpv6Address::builder().ipv6_address(a).build())
                .collect();
            let groups = strings(p, "security_groups");
            let out = c
                .ec2
                .create_network_interface()
                .set_subnet_id(s(p, "subnet_id"))
                .set_description(s(p, "description"))
                .set_groups((!groups.is_empty()).then_some(groups))
                .set_private_ip_address(if specs.is_empty() {
                    s(p, "private_ip")
                } else {
                    None
                })
                .set_private_ip_addresses((!specs.is_empty()).then_some(specs))
                .set_secondary_private_ip_address_count(
                    int(p, "private_ips_count").filter(|n| *n > 0 && ips.is_empty()),
                )
                .set_ipv6_addresses((!ipv6.is_empty()).then_some(ipv6))
                .set_ipv6_address_count(
                    int(p, "ipv6_address_count").filter(|n| *n > 0 && wanted_ipv6(p).is_empty()),
                )
                .set_enable_primary_ipv6(p.get_attr("enable_primary_ipv6").as_bool())
                .set_interface_type(
                    s(p, "interface_type").map(|t| NetworkInterfaceCreationType::from(t.as_str())),
                )
                .client_token(token.chars().take(64).collect::<String>())
                .tag_specifications(tag_spec(Kind::NetworkInterface, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| sdk_err("CreateNetworkInterface", e))?;
            out.network_interface()
                .and_then(|n| n.network_interface_id())
                .unwrap_or_default()
                .to_string()
        }
    };
    if p.get_attr("source_dest_check").as_bool() == Some(false) {
        set_source_dest_check(c, &id, false).await?;
    }
    let mut current = describe_one(c, &id).await?;
    let attached = current.as_ref().and_then(|n| n.attachment()).is_some();
    // Read again only when an attachment was made.
    if !attached && the_attachment(p).is_some() {
        attach(c, &id, p).await?;
        current = describe_one(c, &id).await?;
    }
    Ok(current.map(|n| eni_value(c, &n, p)))
}

async fn set_source_dest_check(c: &Clients, id: &str, on: bool) -> Result<(), AttrDiagnostic> {
    c.ec2
        .modify_network_interface_attribute()
        .network_interface_id(id)
        .source_dest_check(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))
}

/// Secondary private addresses: the written ones assigned and unassigned by
/// difference; a count (when no addresses are written) by assigning more or
/// unassigning the last ones.
async fn update_private(
    c: &Clients,
    id: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let have: Vec<String> = strings(old, "private_ip_list");
    let (_, want) = wanted_private(p);
    let (add, remove): (Vec<String>, Vec<String>) = if !want.is_empty() {
        (
            want.iter()
                .filter(|ip| !have.contains(ip))
                .cloned()
                .collect(),
            have.iter()
                .skip(1)
                .filter(|ip| !want.contains(ip))
                .cloned()
                .collect(),
        )
    } else if let Some(n) = int(p, "private_ips_count") {
        let secondaries: Vec<String> = have.iter().skip(1).cloned().collect();
        let n = usize::try_from(n).unwrap_or(0);
        if n > secondaries.len() {
            c.ec2
                .assign_private_ip_addresses()
                .network_interface_id(id)
                .secondary_private_ip_address_count((n - secondaries.len()) as i32)
                .send()
                .await
                .map_err(|e| sdk_err("AssignPrivateIpAddresses", e))?;
            return Ok(());
        }
        (Vec::new(), secondaries[n..].to_vec())
    } else {
        (Vec::new(), Vec::new())
    };
    if !remove.is_empty() {
        c.ec2
            .unassign_private_ip_addresses()
            .network_interface_id(id)
            .set_private_ip_addresses(Some(remove))
            .send()
            .await
            .map_err(|e| sdk_err("UnassignPrivateIpAddresses", e))?;
    }
    if !add.is_empty() {
        c.ec2
            .assign_private_ip_addresses()
            .network_interface_id(id)
            .set_private_ip_addresses(Some(add))
            .send()
            .await
            .map_err(|e| sdk_err("AssignPrivateIpAddresses", e))?;
    }
    Ok(())
}

/// IPv6 addresses, the same way.
async fn update_ipv6(c: &Clients, id: &str, old: &Value, p: &Value) -> Result<(), AttrDiagnostic> {
    let have = strings(old, "ipv6_address_list");
    let want = wanted_ipv6(p);
    let (add, remove, count): (Vec<String>, Vec<String>, i32) = if !want.is_empty() {
        (
            want.iter().filter(|a| !have.contains(a)).cloned().collect(),
            have.iter().filter(|a| !want.contains(a)).cloned().collect(),
            0,
        )
    } else if let Some(n) = int(p, "ipv6_address_count") {
        let n = usize::try_from(n).unwrap_or(0);
        if n >= have.len() {
            (Vec::new(), Vec::new(), (n - have.len()) as i32)
        } else {
            (Vec::new(), have[n..].to_vec(), 0)
        }
    } else {
        (Vec::new(), Vec::new(), 0)
    };
    if !remove.is_empty() {
        c.ec2
            .unassign_ipv6_addresses()
            .network_interface_id(id)
            .set_ipv6_addresses(Some(remove))
            .send()
            .await
            .map_err(|e| sdk_err("UnassignIpv6Addresses", e))?;
    }
    if !add.is_empty() || count > 0 {
        c.ec2
            .assign_ipv6_addresses()
            .network_interface_id(id)
            .set_ipv6_addresses((!add.is_empty()).then_some(add))
            .set_ipv6_address_count((count > 0).then_some(count))
            .send()
            .await
            .map_err(|e| sdk_err("AssignIpv6Addresses", e))?;
    }
    Ok(())
}

async fn update(c: &Clients, old: &Value, p: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    update_tags(c, &id, old, p).await?;
    let changed = |k: &str| old.get_attr(k) != p.get_attr(k) && !p.get_attr(k).is_unknown();
    if changed("description") {
        c.ec2
            .modify_network_interface_attribute()
            .network_interface_id(&id)
            .description(
                AttributeValue::builder()
                    .value(s(p, "description").unwrap_or_default())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))?;
    }
    if changed("security_groups") && written(p, "security_groups") {
        c.ec2
            .modify_network_interface_attribute()
            .network_interface_id(&id)
            .set_groups(Some(strings(p, "security_groups")))
            .send()
            .await
            .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))?;
    }
    if changed("enable_primary_ipv6") {
        c.ec2
            .modify_network_interface_attribute()
            .network_interface_id(&id)
            .set_enable_primary_ipv6(p.get_attr("enable_primary_ipv6").as_bool())
            .send()
            .await
            .map_err(|e| sdk_err("ModifyNetworkInterfaceAttribute", e))?;
    }
    if changed("source_dest_check") {
        set_source_dest_check(
            c,
            &id,
            p.get_attr("source_dest_check").as_bool() != Some(false),
        )
        .await?;
    }
    if ["private_ips", "private_ips_count", "private_ip_list"]
        .iter()
        .any(|k| changed(k))
    {
        update_private(c, &id, old, p).await?;
    }
    if ["ipv6_addresses", "ipv6_address_count", "ipv6_address_list"]
        .iter()
        .any(|k| changed(k))
    {
        update_ipv6(c, &id, old, p).await?;
    }
    if the_attachment(old) != the_attachment(p) {
        let attachment_id = old
            .get_attr("attachment")
            .as_list()
            .and_then(|l| l.first())
            .and_then(|a| s(a, "attachment_id"));
        if let Some(a) = attachment_id {
            detach(c, &id, &a).await?;
        }
        attach(c, &id, p).await?;
    }
    Ok(describe_one(c, &id).await?.map(|n| eni_value(c, &n, p)))
}

async fn delete(c: &Clients, old: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "id").unwrap_or_default();
    let Some(n) = describe_one(c, &id).await? else {
        return Ok(());
    };
    // A primary interface (device index 0) cannot be detached: it is freed when
    // its instance terminates (the instance, which depends on it, is deleted
    // first), so its delete is retried while EC2 still has it in use.
    let primary = n.attachment().and_then(|a| a.device_index()) == Some(0);
    if let Some(a) = n
        .attachment()
        .and_then(|a| a.attachment_id())
        .filter(|_| !primary)
    {
        detach(c, &id, a).await?;
    }
    let start = Instant::now();
    loop {
        let out = c
            .ec2
            .delete_network_interface()
            .network_interface_id(&id)
            .send()
            .await;
        let in_use = matches!(&out, Err(e) if crate::util::err_code(e).as_deref() == Some("InvalidNetworkInterface.InUse"));
        if !in_use || start.elapsed() > WAIT {
            return crate::util::deleted("DeleteNetworkInterface", out);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// What a change to the written addresses leaves to AWS is unknown until
/// applied: the count when the addresses change, the addresses when the count
/// does, and the ordered lists with either. The attachment's id is the prior's
/// while it is attached to the same instance and index, unknown otherwise.
fn plan_shape(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    let written_attachment: Vec<Value> = config
        .get_attr("attachment")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let mut a = a.clone();
            let same = prior
                .and_then(|p| p.get_attr("attachment").as_list())
                .and_then(|l| {
                    l.iter().find(|b| {
                        b.get_attr("instance") == a.get_attr("instance")
                            && b.get_attr("device_index") == a.get_attr("device_index")
                    })
                });
            let id = same.map_or(Value::Unknown, |b| b.get_attr("attachment_id").clone());
            set(&mut a, "attachment_id", id);
            a
        })
        .collect();
    // Not written, it is as AWS has it (Optional and Computed, as in Terraform):
    // an interface an instance launched with, or one an
    // aws_network_interface_attachment attaches, is attached by the other.
    if written(config, "attachment") {
        set(planned, "attachment", Value::set(written_attachment));
    }
    crate::util::as_aws_has(prior, config, planned, &["attachment"]);
    let Some(prior) = prior else {
        return;
    };
    let differs = |k: &str| written(config, k) && config.get_attr(k) != prior.get_attr(k);
    let groups = [
        ("private_ips", "private_ips_count", "private_ip_list"),
        ("ipv6_addresses", "ipv6_address_count", "ipv6_address_list"),
    ];
    for (set_k, count_k, list_k) in groups {
        if differs(set_k) || differs(count_k) || differs(list_k) {
            for k in [set_k, count_k, list_k] {
                if !written(config, k) {
                    set(planned, k, Value::Unknown);
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl BatchRead for NetworkInterfaceType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        prior: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        let null = Value::Null;
        Ok(describe(c, ids)
            .await?
            .iter()
            .map(|n| {
                let id = n.network_interface_id().unwrap_or_default().to_string();
                let keep = prior.get(id.as_str()).copied().unwrap_or(&null);
                let v = eni_value(c, n, keep);
                (id, v)
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for NetworkInterfaceType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Number, Set, String as Str};
        let oc = Attribute::optional_computed;
        let strings_set = || Set(Box::new(Str));
        let attachment =
            Schema::new("The instance it is attached to; changed by detach and attach.")
                .attr("instance", Attribute::required(Str, "Instance id."))
                .attr(
                    "device_index",
                    Attribute::required(
                        Number,
                        "Device index on the instance (1 and up for a second interface).",
                    ),
                )
                .attr("attachment_id", Attribute::computed(Str, "The attachment."));
        Schema::new("An elastic network interface in a subnet.")
            .attr("subnet_id", Attribute::required(Str, "Subnet it lives in.").force_new())
            .attr("description", Attribute::optional(Str, "Description; changed in place."))
            .attr(
                "private_ip",
                oc(Str, "Primary private address (a change replaces the interface).").force_new(),
            )
            .attr(
                "private_ips",
                oc(strings_set(), "Every private address, the primary among them; secondaries change in place."),
            )
            .attr(
                "private_ips_count",
                oc(Number, "How many secondary private addresses AWS picks (when private_ips is not written)."),
            )
            .attr(
                "private_ip_list_enabled",
                Attribute::optional(Bool, "Give the addresses in order in private_ip_list instead."),
            )
            .attr(
                "private_ip_list",
                oc(List(Box::new(Str)), "The private addresses in order, the primary first (with private_ip_list_enabled)."),
            )
            .attr("ipv6_addresses", oc(strings_set(), "IPv6 addresses; changed in place."))
            .attr(
                "ipv6_address_count",
                oc(Number, "How many IPv6 addresses AWS picks (when ipv6_addresses is not written)."),
            )
            .attr(
                "ipv6_address_list_enabled",
                Attribute::optional(Bool, "Give the IPv6 addresses in order in ipv6_address_list instead."),
            )
            .attr(
                "ipv6_address_list",
                oc(List(Box::new(Str)), "The IPv6 addresses in order (with ipv6_address_list_enabled)."),
            )
            .attr("security_groups", oc(strings_set(), "Security group ids; changed in place."))
            .attr(
                "source_dest_check",
                oc(Bool, "Drop traffic not addressed to the interface (AWS's default: true); changed in place."),
            )
            .attr(
                "enable_primary_ipv6",
                oc(Bool, "Make the first IPv6 address the primary IPv6 address (dual-stack and IPv6-only subnets); changed in place."),
            )
            .attr(
                "interface_type",
                oc(Str, "interface (default), efa, efa-only, branch or trunk (a change replaces it).").force_new(),
            )
            .block("attachment", nested(Nesting::Set, 0, Some(1), attachment))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Interface id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("mac_address", Attribute::computed(Str, "MAC address."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
            .attr("private_dns_name", Attribute::computed(Str, "Private DNS name."))
            .attr("outpost_arn", Attribute::computed(Str, "The Outpost, for an interface on one."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let given = |k: &str| written(config, k);
        let on = |k: &str| config.get_attr(k).as_bool() == Some(true);
        let both = |a: &str, b: &str, why: &str, out: &mut Vec<AttrDiagnostic>| {
            out.push(attr_err(
                b,
                "Conflicting arguments",
                format!("set `{a}` or `{b}`, not both: {why}"),
            ));
        };
        if given("ipv6_addresses") && given("ipv6_address_count") {
            both(
                "ipv6_addresses",
                "ipv6_address_count",
                "the addresses, or how many AWS picks",
                &mut out,
            );
        }
        if on("private_ip_list_enabled") && given("private_ips") {
            both(
                "private_ip_list",
                "private_ips",
                "with private_ip_list_enabled the list is the addresses",
                &mut out,
            );
        }
        if on("ipv6_address_list_enabled") && given("ipv6_addresses") {
            both(
                "ipv6_address_list",
                "ipv6_addresses",
                "with ipv6_address_list_enabled the list is the addresses",
                &mut out,
            );
        }
        for (list, enabled) in [
            ("private_ip_list", "private_ip_list_enabled"),
            ("ipv6_address_list", "ipv6_address_list_enabled"),
        ] {
            if given(list) && !on(enabled) {
                out.push(attr_err(
                    list,
                    "List not enabled",
                    format!("set `{enabled} = true` to give the addresses in order in `{list}`"),
                ));
            }
        }
        if let (Some(ip), Some(ips)) = (
            config.get_attr("private_ip").as_str(),
            config.get_attr("private_ips").as_list(),
        ) {
            if !ips.iter().any(|x| x.as_str() == Some(ip)) && !ips.iter().any(Value::is_unknown) {
                out.push(attr_err(
                    "private_ips",
                    "The primary address is not among private_ips",
                    format!("private_ips holds every address of the interface: add {ip}"),
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan_with(
            schema,
            req,
            &|planned| plan_shape(req.prior, req.config, planned),
            &|planned, rr| {
                // A new primary address in the ordered list replaces the interface.
                let first = |v: &Value| {
                    v.get_attr("private_ip_list")
                        .as_list()
                        .and_then(|l| l.first().cloned())
                };
                if let Some(prior) = req.prior {
                    let on = req.config.get_attr("private_ip_list_enabled").as_bool() == Some(true);
                    if on
                        && first(planned).is_some_and(|f| !f.is_unknown())
                        && first(prior) != first(planned)
                    {
                        rr.push(vec![PathStep::Key("private_ip_list".into())]);
                    }
                }
            },
        )
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create(c, p, req.idempotency_token)
            .await
            .map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update(c, old, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete(c, old).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        read_in_batches(c, self, current).await
    }
}
