//! `aws_vpc_dhcp_options` (a DHCP options set: domain name, name, time and
//! NetBIOS servers; any change replaces it, as AWS cannot change one) and
//! `aws_vpc_dhcp_options_association` (the set a VPC uses; another set is
//! associated in place, and destroying it puts the VPC back on AWS's default).
//! Refresh reads 200 sets per DescribeDhcpOptions call, and associations with
//! one DescribeVpcs call per 200 VPCs.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{DhcpOptions, NewDhcpConfiguration, ResourceType as Kind};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{adopted_id, classify, region, tag_spec, update_tags, BatchRead, ReadErr};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{attr_err, deleted, s, sdk_err, strings, tags_of, tags_value};
use crate::Clients;

pub(crate) struct DhcpOptionsType;
pub(crate) struct DhcpOptionsAssociationType;

/// Arguments and the DHCP option keys AWS keeps them under (lists of values).
const OPTIONS: &[(&str, &str, bool)] = &[
    ("domain_name", "domain-name", false),
    ("domain_name_servers", "domain-name-servers", true),
    ("ntp_servers", "ntp-servers", true),
    ("netbios_name_servers", "netbios-name-servers", true),
    ("netbios_node_type", "netbios-node-type", false),
    (
        "ipv6_address_preferred_lease_time",
        "ipv6-address-preferred-lease-time",
        false,
    ),
];

fn options_value(c: &Clients, o: &DhcpOptions) -> Value {
    let id = o.dhcp_options_id().unwrap_or_default();
    let owner = o.owner_id().unwrap_or_default();
    let mut v = vec![
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!(
                "arn:aws:ec2:{}:{owner}:dhcp-options/{id}",
                region(c)
            )),
        ),
        ("owner_id", Value::string(owner)),
        ("tags", tags_value(o.tags())),
    ];
    for (arg, key, list) in OPTIONS {
        let values: Vec<Value> = o
            .dhcp_configurations()
            .iter()
            .filter(|d| d.key() == Some(*key))
            .flat_map(|d| d.values())
            .filter_map(|x| x.value().map(Value::string))
            .collect();
        let value = match (values.is_empty(), list) {
            (true, _) => Value::Null,
            (false, true) => Value::List(values),
            (false, false) => values.into_iter().next().unwrap_or(Value::Null),
        };
        v.push((arg, value));
    }
    Value::map(v)
}

async fn describe(c: &Clients, ids: &[String]) -> Result<Vec<DhcpOptions>, ReadErr> {
    c.ec2
        .describe_dhcp_options()
        .set_dhcp_options_ids(Some(ids.to_vec()))
        .send()
        .await
        .map(|o| o.dhcp_options().to_vec())
        .map_err(|e| classify("DescribeDhcpOptions", e))
}

async fn read_one(c: &Clients, id: &str) -> ApplyResult {
    let found = describe(c, &[id.to_string()])
        .await
        .map_err(|e| crate::ec2::vanished(e, "DHCP options"))?;
    Ok(found.first().map(|o| options_value(c, o)))
}

#[async_trait::async_trait]
impl BatchRead for DhcpOptionsType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        Ok(describe(c, ids)
            .await?
            .iter()
            .map(|o| {
                (
                    o.dhcp_options_id().unwrap_or_default().to_string(),
                    options_value(c, o),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DhcpOptionsType {
    fn schema(&self) -> Schema {
        use AttrType::{List, String as Str};
        let strs = || List(Box::new(Str));
        let opt = |ty: AttrType, about: &'static str| Attribute::optional(ty, about).force_new();
        Schema::new("A DHCP options set for VPCs (any change replaces it). Refresh reads 200 per DescribeDhcpOptions call.")
            .attr("domain_name", opt(Str, "Domain name instances get (default: the region's)."))
            .attr("domain_name_servers", opt(strs(), "Name servers, or AmazonProvidedDNS."))
            .attr("ntp_servers", opt(strs(), "Time servers."))
            .attr("netbios_name_servers", opt(strs(), "NetBIOS name servers."))
            .attr("netbios_node_type", opt(Str, "NetBIOS node type (2 is the one AWS supports)."))
            .attr(
                "ipv6_address_preferred_lease_time",
                opt(Str, "Seconds an IPv6 lease is preferred (140 to 2147483647)."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "DHCP options set id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("owner_id", Attribute::computed(Str, "Owning account."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let any = OPTIONS
            .iter()
            .any(|(arg, _, _)| !config.get_attr(arg).is_null());
        if any || !config.is_wholly_known() {
            return Vec::new();
        }
        vec![attr_err(
            "domain_name",
            "Missing DHCP options",
            "a DHCP options set needs at least one option (domain_name, domain_name_servers, ntp_servers, netbios_name_servers, netbios_node_type or ipv6_address_preferred_lease_time)",
        )]
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        if let Some(id) = adopted_id(c, token, "dhcp-options")
            .await
            .map_err(|d| vec![d])?
        {
            return read_one(c, &id).await;
        }
        let configs: Vec<NewDhcpConfiguration> = OPTIONS
            .iter()
            .filter_map(|(arg, key, list)| {
                let values = if *list {
                    strings(p, arg)
                } else {
                    s(p, arg).into_iter().collect()
                };
                (!values.is_empty()).then(|| {
                    NewDhcpConfiguration::builder()
                        .key(*key)
                        .set_values(Some(values))
                        .build()
                })
            })
            .collect();
        let out = c
            .ec2
            .create_dhcp_options()
            .set_dhcp_configurations(Some(configs))
            .tag_specifications(tag_spec(Kind::DhcpOptions, &tags_of(p), token))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateDhcpOptions", e)])?;
        let id = out
            .dhcp_options()
            .and_then(|o| o.dhcp_options_id())
            .unwrap_or_default()
            .to_string();
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
        let delete = || c.ec2.delete_dhcp_options().dhcp_options_id(&id).send();
        match delete().await {
            Err(e) if crate::util::err_code(&e).as_deref() == Some("DependencyViolation") => {
                // In use (a replacement, before its association moves): the VPCs
                // using it go back to the default set first, as Terraform does.
                let using = c
                    .ec2
                    .describe_vpcs()
                    .filters(
                        aws_sdk_ec2::types::Filter::builder()
                            .name("dhcp-options-id")
                            .values(&id)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("DescribeVpcs", e)])?;
                for v in using.vpcs() {
                    associate(c, v.vpc_id().unwrap_or_default(), "default").await?;
                }
                deleted("DeleteDhcpOptions", delete().await).map_err(|d| vec![d])
            }
            r => deleted("DeleteDhcpOptions", r).map_err(|d| vec![d]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}

// ---- association ----

fn association_value(vpc: &str, options: &str) -> Value {
    Value::map([
        ("id", Value::string(format!("{options}-{vpc}"))),
        ("vpc_id", Value::string(vpc)),
        ("dhcp_options_id", Value::string(options)),
    ])
}

async fn associate(c: &Clients, vpc: &str, options: &str) -> Result<(), Vec<AttrDiagnostic>> {
    c.ec2
        .associate_dhcp_options()
        .vpc_id(vpc)
        .dhcp_options_id(options)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| vec![sdk_err("AssociateDhcpOptions", e)])
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DhcpOptionsAssociationType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("The DHCP options set a VPC uses (another set is associated in place; destroying it puts the VPC back on the default). Refresh reads 200 VPCs per DescribeVpcs call.")
            .attr("vpc_id", Attribute::required(Str, "The VPC.").force_new())
            .attr(
                "dhcp_options_id",
                Attribute::required(Str, "The set, or \"default\"."),
            )
            .attr("id", Attribute::computed(Str, "The set's id and the VPC's, joined by -."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let (vpc, options) = (
            s(p, "vpc_id").unwrap_or_default(),
            s(p, "dhcp_options_id").unwrap_or_default(),
        );
        associate(c, &vpc, &options).await?;
        Ok(Some(association_value(&vpc, &options)))
    }

    async fn update(
        &self,
        c: &Clients,
        _: &Value,
        p: &Value,
        req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        self.create(c, p, req).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let vpc = s(old, "vpc_id").unwrap_or_default();
        match c
            .ec2
            .associate_dhcp_options()
            .vpc_id(&vpc)
            .dhcp_options_id("default")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if crate::util::err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(()),
            Err(e) => Err(vec![sdk_err("AssociateDhcpOptions", e)]),
        }
    }

    /// What each VPC uses now: one DescribeVpcs call per 200 VPCs; a VPC gone,
    /// or on another set than the one in state, is read as AWS has it.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        // Imported by the VPC's id (as Terraform imports it), state has only that.
        let vpc_of =
            |v: &Value| s(v, "vpc_id").or_else(|| s(v, "id").filter(|i| i.starts_with("vpc-")));
        let vpcs: Vec<String> = current.iter().filter_map(vpc_of).collect();
        let mut uses: BTreeMap<String, String> = BTreeMap::new();
        for chunk in vpcs.chunks(200) {
            match c
                .ec2
                .describe_vpcs()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("vpc-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .send()
                .await
            {
                Ok(o) => {
                    for v in o.vpcs() {
                        if let (Some(id), Some(d)) = (v.vpc_id(), v.dhcp_options_id()) {
                            uses.insert(id.to_string(), d.to_string());
                        }
                    }
                }
                Err(e) => {
                    let d = sdk_err("DescribeVpcs", e);
                    return current.iter().map(|_| Err(d.clone())).collect();
                }
            }
        }
        current
            .iter()
            .map(|v| {
                let vpc = vpc_of(v).unwrap_or_default();
                Ok(uses.get(&vpc).map(|d| association_value(&vpc, d)))
            })
            .collect()
    }
}
