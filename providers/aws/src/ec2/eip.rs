//! `aws_eip`: an Elastic IP address, optionally associated with an instance or a
//! network interface.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Address, DomainType, Filter, ResourceType as Kind};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{region, tag_spec, token_filter, update_tags};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, err_code, opt_str, s, same, sdk_err, tags_of, tags_value};
use crate::Clients;

pub(crate) struct EipType;

fn eip_value(c: &Clients, a: &Address, keep: &Value, account: Option<&str>) -> Value {
    let id = a.allocation_id().unwrap_or_default();
    let dns = |ip: Option<&str>, private: bool| -> Value {
        match ip {
            Some(ip) if !ip.is_empty() => {
                let dashed = ip.replace('.', "-");
                let r = region(c);
                let domain = if private {
                    format!("ip-{dashed}.{r}.compute.internal")
                } else if r == "us-east-1" {
                    format!("ec2-{dashed}.compute-1.amazonaws.com")
                } else {
                    format!("ec2-{dashed}.{r}.compute.amazonaws.com")
                };
                Value::string(domain)
            }
            _ => Value::Null,
        }
    };
    Value::map([
        ("id", Value::string(id)),
        ("allocation_id", Value::string(id)),
        ("association_id", opt_str(a.association_id())),
        ("domain", opt_str(a.domain().map(|d| d.as_str()))),
        ("instance", opt_str(a.instance_id())),
        ("network_interface", opt_str(a.network_interface_id())),
        (
            "associate_with_private_ip",
            keep.get_attr("associate_with_private_ip").clone(),
        ),
        ("public_ip", opt_str(a.public_ip())),
        ("private_ip", opt_str(a.private_ip_address())),
        ("public_dns", dns(a.public_ip(), false)),
        ("private_dns", dns(a.private_ip_address(), true)),
        ("public_ipv4_pool", opt_str(a.public_ipv4_pool())),
        ("network_border_group", opt_str(a.network_border_group())),
        ("address", keep.get_attr("address").clone()),
        (
            "customer_owned_ipv4_pool",
            opt_str(a.customer_owned_ipv4_pool()),
        ),
        (
            "arn",
            match account {
                Some(acct) => {
                    Value::string(format!("arn:aws:ec2:{}:{acct}:elastic-ip/{id}", region(c)))
                }
                None => Value::Null,
            },
        ),
        ("tags", tags_value(a.tags())),
    ])
}

/// Addresses by allocation id, in one call (a filter, so ids that are gone are
/// simply absent rather than failing the call).
async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<Address>, AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let out = c
        .ec2
        .describe_addresses()
        .filters(
            Filter::builder()
                .name("allocation-id")
                .set_values(Some(ids.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeAddresses", e))?;
    Ok(out.addresses().to_vec())
}

async fn associate(c: &Clients, id: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    let (instance, eni) = (s(p, "instance"), s(p, "network_interface"));
    if instance.is_none() && eni.is_none() {
        return Ok(());
    }
    c.ec2
        .associate_address()
        .allocation_id(id)
        .set_instance_id(instance)
        .set_network_interface_id(eni)
        .set_private_ip_address(s(p, "associate_with_private_ip"))
        .allow_reassociation(true)
        .send()
        .await
        .map_err(|e| sdk_err("AssociateAddress", e))?;
    Ok(())
}

async fn disassociate(c: &Clients, v: &Value) -> Result<(), AttrDiagnostic> {
    let Some(assoc) = s(v, "association_id") else {
        return Ok(());
    };
    match c
        .ec2
        .disassociate_address()
        .association_id(assoc)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
        Err(e) => Err(sdk_err("DisassociateAddress", e)),
    }
}

/// The reverse DNS (PTR) records of addresses, by allocation id, in one
/// DescribeAddressesAttribute call (absent where none is set).
async fn ptr_records(
    c: &Clients,
    ids: &[String],
) -> Result<BTreeMap<String, String>, AttrDiagnostic> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = c
        .ec2
        .describe_addresses_attribute()
        .set_allocation_ids(Some(ids.to_vec()))
        .attribute(aws_sdk_ec2::types::AddressAttributeName::DomainName)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeAddressesAttribute", e))?;
    Ok(ptr_map(out.addresses()))
}

fn ptr_map(found: &[aws_sdk_ec2::types::AddressAttribute]) -> BTreeMap<String, String> {
    found
        .iter()
        .filter_map(|a| {
            let ptr = a.ptr_record().filter(|p| !p.is_empty())?;
            Some((a.allocation_id()?.to_string(), ptr.to_string()))
        })
        .collect()
}

/// The addresses' values, with their PTR records.
async fn values(
    c: &Clients,
    found: &[Address],
    keep: impl Fn(&str) -> Value,
) -> Result<BTreeMap<String, Value>, AttrDiagnostic> {
    let ids: Vec<String> = found
        .iter()
        .filter_map(|a| a.allocation_id().map(String::from))
        .collect();
    let ptr = ptr_records(c, &ids).await?;
    let account = c.account_id().await;
    Ok(found
        .iter()
        .map(|a| {
            let id = a.allocation_id().unwrap_or_default();
            let mut v = eip_value(c, a, &keep(id), account.as_deref());
            crate::util::set(
                &mut v,
                "ptr_record",
                opt_str(ptr.get(id).map(String::as_str)),
            );
            (id.to_string(), v)
        })
        .collect())
}

async fn read_one(c: &Clients, id: &str, keep: &Value) -> ApplyResult {
    let found = describe(c, &[id.to_string()]).await.map_err(|d| vec![d])?;
    let mut v = values(c, &found, |_| keep.clone())
        .await
        .map_err(|d| vec![d])?;
    Ok(v.remove(id))
}

async fn create(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    // A retried create finds the address an earlier attempt allocated by its token.
    let found = c
        .ec2
        .describe_addresses()
        .filters(token_filter(token))
        .send()
        .await
        .map_err(|e| vec![sdk_err("DescribeAddresses", e)])?;
    let id = match found.addresses().first().and_then(|a| a.allocation_id()) {
        Some(id) => id.to_string(),
        None => c
            .ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .set_address(s(p, "address"))
            .set_public_ipv4_pool(s(p, "public_ipv4_pool"))
            .set_network_border_group(s(p, "network_border_group"))
            .set_customer_owned_ipv4_pool(s(p, "customer_owned_ipv4_pool"))
            .tag_specifications(tag_spec(Kind::ElasticIp, &tags_of(p), token))
            .send()
            .await
            .map_err(|e| vec![sdk_err("AllocateAddress", e)])?
            .allocation_id()
            .unwrap_or_default()
            .to_string(),
    };
    associate(c, &id, p).await.map_err(|d| vec![d])?;
    read_one(c, &id, p).await
}

#[async_trait::async_trait]
impl ResourceType<Clients> for EipType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("An Elastic IP address. Refresh is one DescribeAddresses call for all of them.")
            .attr(
                "domain",
                Attribute::optional_computed(Str, "vpc (the only kind iac allocates).").force_new(),
            )
            .attr(
                "instance",
                Attribute::optional_computed(Str, "Instance to associate it with."),
            )
            .attr(
                "network_interface",
                Attribute::optional_computed(Str, "Network interface to associate it with."),
            )
            .attr(
                "associate_with_private_ip",
                Attribute::optional(Str, "Private address of the interface to associate with."),
            )
            .attr(
                "address",
                Attribute::optional(Str, "A specific address from an address pool (BYOIP).")
                    .force_new(),
            )
            .attr(
                "public_ipv4_pool",
                Attribute::optional_computed(Str, "Pool to allocate from (default amazon).")
                    .force_new(),
            )
            .attr(
                "network_border_group",
                Attribute::optional_computed(Str, "Where AWS advertises the address.").force_new(),
            )
            .attr(
                "customer_owned_ipv4_pool",
                Attribute::optional(Str, "Outposts customer-owned pool.").force_new(),
            )
            .attr(
                "ptr_record",
                Attribute::computed(
                    AttrType::String,
                    "Reverse DNS record of the public address (one DescribeAddressesAttribute call per refresh).",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Allocation id."))
            .attr("allocation_id", Attribute::computed(Str, "Allocation id."))
            .attr(
                "association_id",
                Attribute::computed(Str, "Association id."),
            )
            .attr("public_ip", Attribute::computed(Str, "The address."))
            .attr(
                "private_ip",
                Attribute::computed(Str, "Private address it maps to."),
            )
            .attr("public_dns", Attribute::computed(Str, "Public DNS name."))
            .attr("private_dns", Attribute::computed(Str, "Private DNS name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if let Some(d) = config.get_attr("domain").as_str() {
            if d != "vpc" {
                out.push(attr_err(
                    "domain",
                    "Unsupported domain",
                    format!("\"{d}\": EC2-Classic addresses no longer exist; use \"vpc\""),
                ));
            }
        }
        if !config.get_attr("vpc").is_null() {
            out.push(attr_err("vpc", "Removed argument", "use domain = \"vpc\""));
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        // Moving to another instance or interface changes the association too.
        if let Some(prior) = req.prior {
            let moved = ["instance", "network_interface"].iter().any(|k| {
                !req.config.get_attr(k).is_null() && !same(prior.get_attr(k), r.planned.get_attr(k))
            });
            if moved {
                for k in ["association_id", "private_ip", "private_dns"] {
                    crate::util::set(&mut r.planned, k, Value::Unknown);
                }
                if req.config.get_attr("network_interface").is_null() {
                    crate::util::set(&mut r.planned, "network_interface", Value::Unknown);
                }
            }
        }
        r
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        create(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "id").unwrap_or_default();
        let target = |v: &Value| (s(v, "instance"), s(v, "network_interface"));
        // The configuration names one target; the other is whatever AWS derives.
        let moved = match (s(planned, "instance"), s(planned, "network_interface")) {
            (Some(i), _) => s(prior, "instance") != Some(i),
            (None, Some(n)) => s(prior, "network_interface") != Some(n),
            (None, None) => target(prior) != (None, None),
        };
        if moved {
            disassociate(c, prior).await.map_err(|d| vec![d])?;
            associate(c, &id, planned).await.map_err(|d| vec![d])?;
        }
        update_tags(c, &id, prior, planned)
            .await
            .map_err(|d| vec![d])?;
        read_one(c, &id, planned).await
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        disassociate(c, prior).await.map_err(|d| vec![d])?;
        match c
            .ec2
            .release_address()
            .allocation_id(s(prior, "id").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("ReleaseAddress", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current
            .iter()
            .map(|v| s(v, "id").unwrap_or_default())
            .collect();
        let by_id: BTreeMap<&str, &Value> = ids.iter().map(String::as_str).zip(current).collect();
        let keep = |id: &str| by_id.get(id).map_or(Value::Null, |v| (*v).clone());
        let found = match describe(c, &ids).await {
            Ok(found) => values(c, &found, keep).await,
            Err(d) => Err(d),
        };
        match found {
            Ok(mut found) => ids.iter().map(|id| Ok(found.remove(id))).collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ptr_records_are_read_by_allocation_id() {
        use aws_sdk_ec2::types::AddressAttribute;
        let found = [
            AddressAttribute::builder()
                .allocation_id("eipalloc-1")
                .ptr_record("mail.example.com.")
                .build(),
            AddressAttribute::builder()
                .allocation_id("eipalloc-2")
                .build(),
            AddressAttribute::builder()
                .allocation_id("eipalloc-3")
                .ptr_record("")
                .build(),
        ];
        let m = ptr_map(&found);
        assert_eq!(m.len(), 1);
        assert_eq!(m["eipalloc-1"], "mail.example.com.");
    }
}
