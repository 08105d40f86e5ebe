//! `aws_network_interface_attachment`: a network interface attached to an
//! instance at a device index. Every argument replaces it (detach, attach). Its
//! id is the attachment id (what `iac import` takes). Refresh finds all of them
//! with one DescribeNetworkInterfaces call (by attachment id).

use aws_sdk_ec2::types::{Filter, NetworkInterface};
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::network_interface::{detach, wait_status};
use crate::util::{int, opt_str, s, sdk_err};
use crate::Clients;

pub(crate) struct NetworkInterfaceAttachmentType;

fn value(n: &NetworkInterface) -> Option<Value> {
    let a = n.attachment()?;
    let id = a.attachment_id()?;
    Some(Value::map([
        ("id", Value::string(id)),
        ("attachment_id", Value::string(id)),
        ("instance_id", opt_str(a.instance_id())),
        ("network_interface_id", opt_str(n.network_interface_id())),
        (
            "device_index",
            a.device_index()
                .map_or(Value::Null, |i| Value::num(f64::from(i))),
        ),
        ("status", opt_str(a.status().map(|x| x.as_str()))),
    ]))
}

/// The interfaces holding these attachments, in one call.
async fn by_attachment(
    c: &Clients,
    ids: &[String],
) -> Result<Vec<NetworkInterface>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("attachment.attachment-id")
                .set_values(Some(ids.to_vec()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkInterfaces", e))?;
    Ok(out.network_interfaces().to_vec())
}

async fn interface(c: &Clients, id: &str) -> Result<Option<NetworkInterface>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_network_interfaces()
        .filters(
            Filter::builder()
                .name("network-interface-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeNetworkInterfaces", e))?;
    Ok(out.network_interfaces().first().cloned())
}

async fn create(c: &Clients, p: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let eni = s(p, "network_interface_id").unwrap_or_default();
    let instance = s(p, "instance_id").unwrap_or_default();
    let index = int(p, "device_index").unwrap_or_default();
    // A retried create finds its attachment in place.
    let current = interface(c, &eni).await?;
    let attached_here = current
        .as_ref()
        .and_then(|n| n.attachment())
        .is_some_and(|a| {
            a.instance_id() == Some(instance.as_str()) && a.device_index() == Some(index)
        });
    if !attached_here {
        c.ec2
            .attach_network_interface()
            .network_interface_id(&eni)
            .instance_id(&instance)
            .device_index(index)
            .send()
            .await
            .map_err(|e| sdk_err("AttachNetworkInterface", e))?;
    }
    wait_status(c, &eni, true).await?;
    Ok(interface(c, &eni).await?.as_ref().and_then(value))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for NetworkInterfaceAttachmentType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        Schema::new("Attaches a network interface to an instance.")
            .attr(
                "instance_id",
                Attribute::required(Str, "The instance.").force_new(),
            )
            .attr(
                "network_interface_id",
                Attribute::required(Str, "The interface.").force_new(),
            )
            .attr(
                "device_index",
                Attribute::required(Number, "Device index on the instance (1 and up).").force_new(),
            )
            .attr("id", Attribute::computed(Str, "The attachment id."))
            .attr(
                "attachment_id",
                Attribute::computed(Str, "The attachment id."),
            )
            .attr(
                "status",
                Attribute::computed(Str, "attaching, attached, detaching or detached."),
            )
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        create(c, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let (eni, id) = (
            s(old, "network_interface_id").unwrap_or_default(),
            s(old, "id").unwrap_or_default(),
        );
        detach(c, &eni, &id).await.map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current.iter().filter_map(|v| s(v, "id")).collect();
        match by_attachment(c, &ids).await {
            Ok(found) => current
                .iter()
                .map(|v| {
                    let id = s(v, "id");
                    Ok(found.iter().filter_map(value).find(|x| s(x, "id") == id))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
