//! `aws_default_subnet`: adopts the default subnet of an availability zone (made
//! with `CreateDefaultSubnet` where there is none) and manages its settings and
//! tags. Destroy only forgets it, unless `force_destroy`.

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, Subnet};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use crate::ec2::subnet::{move_ipv6_block, set_assign_ipv6};
use crate::ec2::{delete_with_retry, update_tags};
use crate::kit::aws_plan;
use crate::schema::tags;
use crate::util::{s, sdk_err, set};
use crate::Clients;

pub(crate) struct DefaultSubnetType;

fn value(sn: &Subnet, keep: &Value, existing: Value) -> Value {
    let mut v = crate::ec2::subnet::value(sn, keep);
    set(
        &mut v,
        "map_public_ip_on_launch",
        Value::Bool(sn.map_public_ip_on_launch().unwrap_or(false)),
    );
    set(
        &mut v,
        "force_destroy",
        keep.get_attr("force_destroy").clone(),
    );
    set(&mut v, "existing_default_subnet", existing);
    v
}

async fn describe(
    c: &Clients,
    filters: Vec<Filter>,
    ids: Option<Vec<String>>,
) -> Result<Vec<Subnet>, AttrDiagnostic> {
    let out = c
        .ec2
        .describe_subnets()
        .set_filters((!filters.is_empty()).then_some(filters))
        .set_subnet_ids(ids)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeSubnets", e))?;
    Ok(out.subnets().to_vec())
}

async fn set_public_ip(c: &Clients, id: &str, want: bool) -> Result<(), AttrDiagnostic> {
    c.ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(want).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifySubnetAttribute", e))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DefaultSubnetType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        crate::ec2::subnet_launch::schema(Schema::new("The default subnet of an availability zone, adopted (made with CreateDefaultSubnet if there is none). Refresh reads 1,000 subnets per DescribeSubnets call.")
            .attr("availability_zone", Attribute::required(Str, "The zone.").force_new())
            .attr(
                "map_public_ip_on_launch",
                Attribute::optional_computed(Bool, "Give instances public addresses (default true for a default subnet)."),
            )
            .attr(
                "enable_resource_name_dns_a_record_on_launch",
                Attribute::optional(Bool, "Give instances a DNS A record of their resource name (default false)."),
            )
            .attr(
                "ipv6_cidr_block",
                Attribute::optional_computed(Str, "An IPv6 /64 of the default VPC's block (dual stack); changed in place; kept as it is when not set."),
            )
            .attr(
                "assign_ipv6_address_on_creation",
                Attribute::optional(Bool, "Give instances an IPv6 address (default false)."),
            )
            .attr(
                "ipv6_cidr_block_association_id",
                Attribute::computed(Str, "The association of the IPv6 block."),
            )
            .attr(
                "force_destroy",
                Attribute::optional(Bool, "Delete the subnet on destroy (default false: only forget it)."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Subnet id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("vpc_id", Attribute::computed(Str, "The default VPC."))
            .attr("cidr_block", Attribute::computed(Str, "IPv4 block."))
            .attr("availability_zone_id", Attribute::computed(Str, "The zone by id (use1-az1)."))
            .attr("owner_id", Attribute::computed(Str, "The account that owns the subnet."))
            .attr(
                "existing_default_subnet",
                Attribute::computed(Bool, "Whether the subnet existed before (false: iac made it)."),
            ))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if req.config.get_attr("map_public_ip_on_launch").is_null() && req.prior.is_none() {
            set(&mut r.planned, "map_public_ip_on_launch", Value::Bool(true));
        }
        r
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let az = s(p, "availability_zone").unwrap_or_default();
        let found = describe(
            c,
            vec![
                Filter::builder()
                    .name("availability-zone")
                    .values(&az)
                    .build(),
                Filter::builder()
                    .name("default-for-az")
                    .values("true")
                    .build(),
            ],
            None,
        )
        .await
        .map_err(|d| vec![d])?;
        let (sn, existing) = match found.into_iter().next() {
            Some(sn) => (sn, true),
            None => {
                let out = c
                    .ec2
                    .create_default_subnet()
                    .availability_zone(&az)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("CreateDefaultSubnet", e)])?;
                let sn = out.subnet().cloned().ok_or_else(|| {
                    vec![AttrDiagnostic::error(
                        Vec::new(),
                        "CreateDefaultSubnet returned no subnet",
                        az.clone(),
                    )]
                })?;
                (sn, false)
            }
        };
        let id = sn.subnet_id().unwrap_or_default().to_string();
        if let Some(want) = p.get_attr("map_public_ip_on_launch").as_bool() {
            if sn.map_public_ip_on_launch() != Some(want) {
                set_public_ip(c, &id, want).await.map_err(|d| vec![d])?;
            }
        }
        let key = "enable_resource_name_dns_a_record_on_launch";
        let was = Value::map([(
            key,
            Value::Bool(
                sn.private_dns_name_options_on_launch()
                    .and_then(|o| o.enable_resource_name_dns_a_record())
                    .unwrap_or(false),
            ),
        )]);
        if !p.get_attr(key).is_null() {
            crate::ec2::subnet::set_dns_a_record(c, &id, Some(&was), p)
                .await
                .map_err(|d| vec![d])?;
        }
        let now = crate::ec2::subnet::value(&sn, &Value::Null);
        crate::ec2::subnet_launch::apply(c, &id, &now, p)
            .await
            .map_err(|d| vec![d])?;
        // The IPv6 block as written (an adopted subnet's own is kept when none is).
        if !p.get_attr("ipv6_cidr_block").is_null() {
            let now = crate::ec2::subnet::value(&sn, p);
            move_ipv6_block(c, &id, &now, p)
                .await
                .map_err(|d| vec![d])?;
        }
        let assigned = sn.assign_ipv6_address_on_creation().unwrap_or(false);
        set_assign_ipv6(c, &id, assigned, p)
            .await
            .map_err(|d| vec![d])?;
        let had = Value::map([("tags", crate::util::tags_value(sn.tags()))]);
        update_tags(c, &id, &had, p).await.map_err(|d| vec![d])?;
        let now = describe(c, Vec::new(), Some(vec![id]))
            .await
            .map_err(|d| vec![d])?;
        Ok(now.first().map(|sn| value(sn, p, Value::Bool(existing))))
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
        if let Some(want) = p.get_attr("map_public_ip_on_launch").as_bool() {
            if old.get_attr("map_public_ip_on_launch").as_bool() != Some(want) {
                set_public_ip(c, &id, want).await.map_err(|d| vec![d])?;
            }
        }
        if !p
            .get_attr("enable_resource_name_dns_a_record_on_launch")
            .is_null()
        {
            crate::ec2::subnet::set_dns_a_record(c, &id, Some(old), p)
                .await
                .map_err(|d| vec![d])?;
        }
        crate::ec2::subnet_launch::apply(c, &id, old, p)
            .await
            .map_err(|d| vec![d])?;
        if !p.get_attr("ipv6_cidr_block").is_null() {
            move_ipv6_block(c, &id, old, p).await.map_err(|d| vec![d])?;
        }
        let was = old
            .get_attr("assign_ipv6_address_on_creation")
            .as_bool()
            .unwrap_or(false);
        set_assign_ipv6(c, &id, was, p).await.map_err(|d| vec![d])?;
        let now = describe(c, Vec::new(), Some(vec![id]))
            .await
            .map_err(|d| vec![d])?;
        Ok(now
            .first()
            .map(|sn| value(sn, p, old.get_attr("existing_default_subnet").clone())))
    }

    /// Only forgotten, as in Terraform, unless `force_destroy`.
    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        if old.get_attr("force_destroy").as_bool() != Some(true) {
            return Ok(());
        }
        delete_with_retry(c, "subnet", s(old, "id").unwrap_or_default())
            .await
            .map_err(|d| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<String> = current.iter().filter_map(|v| s(v, "id")).collect();
        let found = if ids.is_empty() {
            Ok(Vec::new())
        } else {
            describe(
                c,
                vec![Filter::builder()
                    .name("subnet-id")
                    .set_values(Some(ids))
                    .build()],
                None,
            )
            .await
        };
        match found {
            Ok(list) => current
                .iter()
                .map(|v| {
                    let id = s(v, "id").unwrap_or_default();
                    Ok(list
                        .iter()
                        .find(|sn| sn.subnet_id() == Some(id.as_str()))
                        .map(|sn| value(sn, v, v.get_attr("existing_default_subnet").clone())))
                })
                .collect(),
            Err(d) => current.iter().map(|_| Err(d.clone())).collect(),
        }
    }
}
