//! The AWS side and the customer side of a site-to-site VPN, as the VPC module
//! makes them: `aws_vpn_gateway` (a virtual private gateway, attached to a VPC
//! through its `vpc_id` or through an `aws_vpn_gateway_attachment`) and
//! `aws_customer_gateway` (the on-premises device). Refresh reads 200 gateways
//! per Describe call; attachments with one DescribeVpnGateways call for all.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{CustomerGateway, GatewayType, ResourceType as Kind, VpnGateway};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::{
    adopted_id, classify, region, tag_spec, update_tags, vanished, BatchRead, ReadErr,
};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{err_code, opt_str, s, sdk_err, tags_of, tags_value};
use crate::Clients;

pub(crate) struct CustomerGatewayType;
pub(crate) struct VpnGatewayType;
pub(crate) struct VpnGatewayAttachmentType;

/// An object AWS keeps for a while as "deleted" is gone.
fn live(state: Option<&str>) -> bool {
    state.is_none_or(|st| st != "deleted" && st != "deleting")
}

// ---- customer gateway ----

fn customer_value(c: &Clients, g: &CustomerGateway) -> Value {
    let id = g.customer_gateway_id().unwrap_or_default();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!("arn:aws:ec2:{}::customer-gateway/{id}", region(c))),
        ),
        ("type", opt_str(g.r#type())),
        ("bgp_asn", opt_str(g.bgp_asn())),
        ("bgp_asn_extended", opt_str(g.bgp_asn_extended())),
        ("ip_address", opt_str(g.ip_address())),
        ("certificate_arn", opt_str(g.certificate_arn())),
        ("device_name", opt_str(g.device_name())),
        ("tags", tags_value(g.tags())),
    ])
}

async fn describe_customer(c: &Clients, ids: &[String]) -> Result<Vec<CustomerGateway>, ReadErr> {
    c.ec2
        .describe_customer_gateways()
        .set_customer_gateway_ids(Some(ids.to_vec()))
        .send()
        .await
        .map(|o| o.customer_gateways().to_vec())
        .map_err(|e| classify("DescribeCustomerGateways", e))
}

async fn read_customer(c: &Clients, id: &str) -> ApplyResult {
    let found = describe_customer(c, &[id.to_string()])
        .await
        .map_err(|e| vanished(e, "Customer gateway"))?;
    Ok(found.first().map(|g| customer_value(c, g)))
}

#[async_trait::async_trait]
impl BatchRead for CustomerGatewayType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        Ok(describe_customer(c, ids)
            .await?
            .iter()
            .filter(|g| live(g.state()))
            .map(|g| {
                (
                    g.customer_gateway_id().unwrap_or_default().to_string(),
                    customer_value(c, g),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for CustomerGatewayType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        let fixed = |about: &'static str| Attribute::optional(Str, about).force_new();
        Schema::new("A customer gateway: the on-premises end of a site-to-site VPN (any change replaces it). Refresh reads 200 per DescribeCustomerGateways call.")
            .attr("type", Attribute::required(Str, "ipsec.1.").force_new())
            .attr("bgp_asn", fixed("The device's BGP ASN (up to 2147483647)."))
            .attr("bgp_asn_extended", fixed("A BGP ASN above 2147483647."))
            .attr("ip_address", fixed("The device's public IPv4 address."))
            .attr("certificate_arn", fixed("ACM private certificate of the device."))
            .attr("device_name", fixed("A name for the device."))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Customer gateway id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        if let Some(id) = adopted_id(c, token, "customer-gateway")
            .await
            .map_err(|d| vec![d])?
        {
            return read_customer(c, &id).await;
        }
        let out = c
            .ec2
            .create_customer_gateway()
            .r#type(GatewayType::from(s(p, "type").unwrap_or_default().as_str()))
            .set_bgp_asn(s(p, "bgp_asn").and_then(|a| a.parse::<i32>().ok()))
            .set_bgp_asn_extended(s(p, "bgp_asn_extended").and_then(|a| a.parse::<i64>().ok()))
            .set_ip_address(s(p, "ip_address"))
            .set_certificate_arn(s(p, "certificate_arn"))
            .set_device_name(s(p, "device_name"))
            .tag_specifications(tag_spec(Kind::CustomerGateway, &tags_of(p), token))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateCustomerGateway", e)])?;
        let id = out
            .customer_gateway()
            .and_then(|g| g.customer_gateway_id())
            .unwrap_or_default()
            .to_string();
        read_customer(c, &id).await
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
        read_customer(c, &id).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        crate::util::deleted(
            "DeleteCustomerGateway",
            c.ec2
                .delete_customer_gateway()
                .customer_gateway_id(s(old, "id").unwrap_or_default())
                .send()
                .await,
        )
        .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}

// ---- VPN gateway ----

/// The VPC a gateway is attached to (not one it is leaving).
fn attached_vpc(g: &VpnGateway) -> Option<&str> {
    g.vpc_attachments()
        .iter()
        .find(|a| {
            a.state()
                .is_none_or(|st| st.as_str() == "attached" || st.as_str() == "attaching")
        })
        .and_then(|a| a.vpc_id())
}

fn vpn_value(c: &Clients, g: &VpnGateway) -> Value {
    let id = g.vpn_gateway_id().unwrap_or_default();
    Value::map([
        ("id", Value::string(id)),
        (
            "arn",
            Value::string(format!("arn:aws:ec2:{}::vpn-gateway/{id}", region(c))),
        ),
        ("vpc_id", opt_str(attached_vpc(g))),
        (
            "amazon_side_asn",
            g.amazon_side_asn()
                .map_or(Value::Null, |a| Value::string(a.to_string())),
        ),
        ("availability_zone", opt_str(g.availability_zone())),
        ("tags", tags_value(g.tags())),
    ])
}

async fn describe_vpn(c: &Clients, ids: &[String]) -> Result<Vec<VpnGateway>, ReadErr> {
    c.ec2
        .describe_vpn_gateways()
        .set_vpn_gateway_ids(Some(ids.to_vec()))
        .send()
        .await
        .map(|o| o.vpn_gateways().to_vec())
        .map_err(|e| classify("DescribeVpnGateways", e))
}

async fn read_vpn(c: &Clients, id: &str) -> ApplyResult {
    let found = describe_vpn(c, &[id.to_string()])
        .await
        .map_err(|e| vanished(e, "VPN gateway"))?;
    Ok(found.first().map(|g| vpn_value(c, g)))
}

async fn attach(c: &Clients, gateway: &str, vpc: &str) -> Result<(), Vec<AttrDiagnostic>> {
    c.ec2
        .attach_vpn_gateway()
        .vpn_gateway_id(gateway)
        .vpc_id(vpc)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| vec![sdk_err("AttachVpnGateway", e)])
}

async fn detach(c: &Clients, gateway: &str, vpc: &str) -> Result<(), Vec<AttrDiagnostic>> {
    match c
        .ec2
        .detach_vpn_gateway()
        .vpn_gateway_id(gateway)
        .vpc_id(vpc)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if err_code(&e).is_some_and(|c| {
                c.contains("NotFound") || c == "InvalidVpnGatewayAttachment.NotFound"
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(vec![sdk_err("DetachVpnGateway", e)]),
    }
}

#[async_trait::async_trait]
impl BatchRead for VpnGatewayType {
    async fn batch(
        &self,
        c: &Clients,
        ids: &[String],
        _: &BTreeMap<&str, &Value>,
    ) -> Result<Vec<(String, Value)>, ReadErr> {
        Ok(describe_vpn(c, ids)
            .await?
            .iter()
            .filter(|g| live(g.state().map(|st| st.as_str())))
            .map(|g| {
                (
                    g.vpn_gateway_id().unwrap_or_default().to_string(),
                    vpn_value(c, g),
                )
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for VpnGatewayType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A virtual private gateway: the AWS end of a site-to-site VPN, attached to a VPC (vpc_id, changed by detach and attach). Refresh reads 200 per DescribeVpnGateways call.")
            .attr(
                "vpc_id",
                Attribute::optional_computed(Str, "The VPC it is attached to (or use aws_vpn_gateway_attachment)."),
            )
            .attr(
                "amazon_side_asn",
                Attribute::optional_computed(Str, "The AWS side's BGP ASN (default 64512; a change replaces it).")
                    .force_new(),
            )
            .attr(
                "availability_zone",
                Attribute::optional(Str, "Zone (a change replaces it).").force_new(),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Gateway id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let id = match adopted_id(c, token, "vpn-gateway")
            .await
            .map_err(|d| vec![d])?
        {
            Some(id) => id,
            None => c
                .ec2
                .create_vpn_gateway()
                .r#type(GatewayType::Ipsec1)
                .set_amazon_side_asn(s(p, "amazon_side_asn").and_then(|a| a.parse::<i64>().ok()))
                .set_availability_zone(s(p, "availability_zone"))
                .tag_specifications(tag_spec(Kind::VpnGateway, &tags_of(p), token))
                .send()
                .await
                .map_err(|e| vec![sdk_err("CreateVpnGateway", e)])?
                .vpn_gateway()
                .and_then(|g| g.vpn_gateway_id())
                .unwrap_or_default()
                .to_string(),
        };
        let now = read_vpn(c, &id).await?;
        let attached = now.as_ref().and_then(|v| s(v, "vpc_id"));
        if let (Some(vpc), None) = (s(p, "vpc_id"), attached) {
            attach(c, &id, &vpc).await?;
        }
        read_vpn(c, &id).await
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
        if p.get_attr("vpc_id").is_wholly_known() && old.get_attr("vpc_id") != p.get_attr("vpc_id")
        {
            if let Some(v) = s(old, "vpc_id") {
                detach(c, &id, &v).await?;
            }
            if let Some(v) = s(p, "vpc_id") {
                attach(c, &id, &v).await?;
            }
        }
        read_vpn(c, &id).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let id = s(old, "id").unwrap_or_default();
        if let Some(v) = s(old, "vpc_id") {
            detach(c, &id, &v).await?;
        }
        crate::util::deleted(
            "DeleteVpnGateway",
            c.ec2.delete_vpn_gateway().vpn_gateway_id(&id).send().await,
        )
        .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        crate::ec2::read_in_batches(c, self, current).await
    }
}

// ---- attachment ----

/// Terraform's id of an attachment: a checksum of the VPC's and gateway's ids.
fn attachment_id(vpc: &str, gateway: &str) -> String {
    format!(
        "vpn-attachment-{:x}",
        crc32fast::hash(format!("{vpc}-{gateway}").as_bytes())
    )
}

fn attachment_value(vpc: &str, gateway: &str) -> Value {
    Value::map([
        ("id", Value::string(attachment_id(vpc, gateway))),
        ("vpc_id", Value::string(vpc)),
        ("vpn_gateway_id", Value::string(gateway)),
    ])
}

#[async_trait::async_trait]
impl ResourceType<Clients> for VpnGatewayAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("A VPN gateway's attachment to a VPC (either changed replaces it). Refresh reads every attachment's gateway with one DescribeVpnGateways call.")
            .attr("vpc_id", Attribute::required(Str, "The VPC.").force_new())
            .attr("vpn_gateway_id", Attribute::required(Str, "The gateway.").force_new())
            .attr("id", Attribute::computed(Str, "Terraform's attachment id (vpn-attachment-<checksum>)."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let (vpc, gateway) = (
            s(p, "vpc_id").unwrap_or_default(),
            s(p, "vpn_gateway_id").unwrap_or_default(),
        );
        attach(c, &gateway, &vpc).await?;
        Ok(Some(attachment_value(&vpc, &gateway)))
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        detach(
            c,
            &s(old, "vpn_gateway_id").unwrap_or_default(),
            &s(old, "vpc_id").unwrap_or_default(),
        )
        .await
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut ids: Vec<String> = current
            .iter()
            .filter_map(|v| s(v, "vpn_gateway_id"))
            .collect();
        ids.sort();
        ids.dedup();
        let mut attached: BTreeMap<String, String> = BTreeMap::new();
        for chunk in ids.chunks(200) {
            // A gateway that is gone fails the call: then each is asked alone.
            let found = match describe_vpn(c, chunk).await {
                Ok(f) => f,
                Err(ReadErr::Missing(_)) => {
                    let mut f = Vec::new();
                    for one in chunk {
                        if let Ok(mut g) = describe_vpn(c, std::slice::from_ref(one)).await {
                            f.append(&mut g);
                        }
                    }
                    f
                }
                Err(ReadErr::Other(d)) => return current.iter().map(|_| Err(d.clone())).collect(),
            };
            for g in &found {
                if let (Some(id), Some(vpc)) = (g.vpn_gateway_id(), attached_vpc(g)) {
                    attached.insert(id.to_string(), vpc.to_string());
                }
            }
        }
        current
            .iter()
            .map(|v| {
                let gateway = s(v, "vpn_gateway_id").unwrap_or_default();
                let vpc = s(v, "vpc_id").unwrap_or_default();
                Ok(
                    (attached.get(&gateway) == Some(&vpc))
                        .then(|| attachment_value(&vpc, &gateway)),
                )
            })
            .collect()
    }
}
