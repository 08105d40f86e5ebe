//! Route 53: `aws_route53_zone`, `aws_route53_record` and `data
//! "aws_route53_zone"`. Names are compared as Route 53 keeps them: lower case,
//! without the final dot. A record's id is Terraform's `ZONE_NAME_TYPE[_SET]`
//! (what `iac import` takes). Refresh lists each zone's records once for all the
//! records in it, and reads zones from one listing (tags 10 zones per call).

use std::collections::BTreeMap;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, HostedZone, HostedZoneConfig, ResourceRecord,
    ResourceRecordSet, RrType, Tag, TagResourceType, Vpc, VpcRegion,
};
use iac_provider::kit::{DataSourceType, ResourceType};
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use crate::kit::aws_plan;
use crate::route53_routing::{self as routing, RoutingSchema};
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, opt_str, s, sdk_err, strings, tag_map, tags_of};
use crate::Clients;

pub(crate) struct ZoneType;
pub(crate) struct RecordType;
pub(crate) struct ZoneData;

/// A DNS name as Route 53 keeps it: lower case, no final dot.
fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

async fn zone_tags(c: &Clients, ids: &[String]) -> Result<BTreeMap<String, Value>, AttrDiagnostic> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(10) {
        let r = c
            .route53
            .list_tags_for_resources()
            .resource_type(TagResourceType::Hostedzone)
            .set_resource_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_err("ListTagsForResources", e))?;
        for t in r.resource_tag_sets() {
            out.insert(
                t.resource_id().unwrap_or_default().to_string(),
                tag_map(t.tags().iter().map(|t| (t.key(), t.value()))),
            );
        }
    }
    Ok(out)
}

async fn all_zones(c: &Clients) -> Result<Vec<HostedZone>, AttrDiagnostic> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let r = c
            .route53
            .list_hosted_zones()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| sdk_err("ListHostedZones", e))?;
        out.extend(r.hosted_zones().iter().cloned());
        if !r.is_truncated() {
            return Ok(out);
        }
        marker = r.next_marker().map(String::from);
    }
}

fn zone_value(z: &HostedZone, tags: Value, name_servers: Value, keep: &Value) -> Value {
    let id = zone_id(z.id()).to_string();
    let private = z.config().is_some_and(|c| c.private_zone());
    Value::map([
        ("id", Value::string(&id)),
        ("zone_id", Value::string(&id)),
        (
            "arn",
            Value::string(format!("arn:aws:route53:::hostedzone/{id}")),
        ),
        ("name", Value::string(norm(z.name()))),
        ("comment", opt_str(z.config().and_then(|c| c.comment()))),
        ("name_servers", name_servers.clone()),
        (
            "primary_name_server",
            name_servers
                .as_list()
                .and_then(|l| l.first().cloned())
                .unwrap_or(Value::Null),
        ),
        ("force_destroy", keep.get_attr("force_destroy").clone()),
        (
            "delegation_set_id",
            keep.get_attr("delegation_set_id").clone(),
        ),
        (
            "vpc",
            if private {
                keep.get_attr("vpc").clone()
            } else {
                Value::List(Vec::new())
            },
        ),
        ("tags", tags),
    ])
}

async fn read_zone(c: &Clients, id: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let r = match c.route53.get_hosted_zone().id(id).send().await {
        Ok(r) => r,
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NoSuchHostedZone")) => return Ok(None),
        Err(e) => return Err(sdk_err("GetHostedZone", e)),
    };
    let Some(z) = r.hosted_zone() else {
        return Ok(None);
    };
    let ns: Vec<Value> = r
        .delegation_set()
        .map(|d| d.name_servers().iter().map(Value::string).collect())
        .unwrap_or_default();
    let tags = zone_tags(c, &[zone_id(z.id()).to_string()]).await?;
    Ok(Some(zone_value(
        z,
        tags.get(zone_id(z.id())).cloned().unwrap_or(Value::Null),
        Value::List(ns),
        keep,
    )))
}

/// Every record set of a zone, paged.
async fn records(
    c: &Clients,
    zone: &str,
) -> Result<Option<Vec<ResourceRecordSet>>, AttrDiagnostic> {
    let mut out = Vec::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut req = c.route53.list_resource_record_sets().hosted_zone_id(zone);
        if let Some((n, t, i)) = next.take() {
            req = req
                .start_record_name(n)
                .start_record_type(t)
                .set_start_record_identifier(i);
        }
        let r = match req.send().await {
            Ok(r) => r,
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NoSuchHostedZone")) => {
                return Ok(None)
            }
            Err(e) => return Err(sdk_err("ListResourceRecordSets", e)),
        };
        out.extend(r.resource_record_sets().iter().cloned());
        if !r.is_truncated() {
            return Ok(Some(out));
        }
        match (r.next_record_name(), r.next_record_type()) {
            (Some(n), Some(t)) => {
                next = Some((
                    n.to_string(),
                    t.clone(),
                    r.next_record_identifier().map(String::from),
                ))
            }
            _ => return Ok(Some(out)),
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for ZoneType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, String as Str};
        let vpc = Schema::new("A VPC of a private zone.")
            .attr("vpc_id", Attribute::required(Str, "VPC."))
            .attr(
                "vpc_region",
                Attribute::optional_computed(Str, "Its region (default: the provider's)."),
            );
        Schema::new("A Route 53 hosted zone. Refresh is one GetHostedZone per zone and one ListTagsForResources per 10 zones.")
            .attr("name", Attribute::required(Str, "Domain name.").force_new())
            .attr("comment", Attribute::optional_computed(Str, "Comment (default \"Managed by Terraform\")."))
            .attr("force_destroy", Attribute::optional(Bool, "Delete every record first on destroy."))
            .attr("delegation_set_id", Attribute::optional(Str, "Reusable delegation set.").force_new())
            .block("vpc", nested(Nesting::List, 0, None, vpc))
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "Zone id."))
            .attr("zone_id", Attribute::computed(Str, "Zone id."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("name_servers", Attribute::computed(List(Box::new(Str)), "Its name servers."))
            .attr("primary_name_server", Attribute::computed(Str, "The first of them."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        if let Some(n) = req.config.get_attr("name").as_str() {
            crate::util::set(&mut r.planned, "name", Value::string(norm(n)));
        }
        if req.config.get_attr("comment").is_null() && req.prior.is_none() {
            crate::util::set(
                &mut r.planned,
                "comment",
                Value::string("Managed by Terraform"),
            );
        }
        r
    }

    /// Idempotent: the caller reference is the plan's token.
    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let vpcs = planned
            .get_attr("vpc")
            .as_list()
            .unwrap_or_default()
            .to_vec();
        let mut call = c
            .route53
            .create_hosted_zone()
            .name(s(planned, "name").unwrap_or_default())
            .caller_reference(req.idempotency_token)
            .hosted_zone_config(
                HostedZoneConfig::builder()
                    .set_comment(s(planned, "comment"))
                    .private_zone(!vpcs.is_empty())
                    .build(),
            )
            .set_delegation_set_id(s(planned, "delegation_set_id"));
        if let Some(v) = vpcs.first() {
            call = call.vpc(
                Vpc::builder()
                    .set_vpc_id(s(v, "vpc_id"))
                    .set_vpc_region(Some(VpcRegion::from(
                        s(v, "vpc_region")
                            .unwrap_or_else(|| crate::ec2::region(c))
                            .as_str(),
                    )))
                    .build(),
            );
        }
        let out = match call.send().await {
            Ok(o) => o.hosted_zone().map(|z| zone_id(z.id()).to_string()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("HostedZoneAlreadyExists")) => {
                // A retry of this create: the zone with this caller reference.
                all_zones(c)
                    .await
                    .map_err(|d| vec![d])?
                    .iter()
                    .find(|z| z.caller_reference() == req.idempotency_token)
                    .map(|z| zone_id(z.id()).to_string())
            }
            Err(e) => return Err(vec![sdk_err("CreateHostedZone", e)]),
        };
        let id = out.unwrap_or_default();
        let tags: Vec<Tag> = tags_of(planned)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        if !tags.is_empty() {
            c.route53
                .change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(&id)
                .set_add_tags(Some(tags))
                .send()
                .await
                .map_err(|e| vec![sdk_err("ChangeTagsForResource", e)])?;
        }
        read_zone(c, &id, planned).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let id = s(prior, "zone_id").unwrap_or_default();
        if prior.get_attr("comment") != planned.get_attr("comment") {
            c.route53
                .update_hosted_zone_comment()
                .id(&id)
                .set_comment(s(planned, "comment"))
                .send()
                .await
                .map_err(|e| vec![sdk_err("UpdateHostedZoneComment", e)])?;
        }
        if let Some((gone, now)) = crate::util::tag_change(prior, planned) {
            let add: Vec<Tag> = now
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            c.route53
                .change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(&id)
                .set_add_tags((!add.is_empty()).then_some(add))
                .set_remove_tag_keys((!gone.is_empty()).then_some(gone))
                .send()
                .await
                .map_err(|e| vec![sdk_err("ChangeTagsForResource", e)])?;
        }
        read_zone(c, &id, planned).await.map_err(|d| vec![d])
    }

    /// With `force_destroy`, every record but the zone's own SOA and NS goes first.
    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let id = s(prior, "zone_id").unwrap_or_default();
        let apex = s(prior, "name").map(|n| norm(&n)).unwrap_or_default();
        if prior.get_attr("force_destroy").as_bool() == Some(true) {
            let sets = records(c, &id)
                .await
                .map_err(|d| vec![d])?
                .unwrap_or_default();
            let changes: Vec<Change> = sets
                .into_iter()
                .filter(|r| {
                    !(norm(r.name()) == apex && matches!(r.r#type(), RrType::Soa | RrType::Ns))
                })
                .filter_map(|r| {
                    Change::builder()
                        .action(ChangeAction::Delete)
                        .resource_record_set(r)
                        .build()
                        .ok()
                })
                .collect();
            for chunk in changes.chunks(100) {
                let batch = ChangeBatch::builder()
                    .set_changes(Some(chunk.to_vec()))
                    .build()
                    .map_err(|e| {
                        vec![attr_err(
                            "force_destroy",
                            "Cannot empty the zone",
                            e.to_string(),
                        )]
                    })?;
                c.route53
                    .change_resource_record_sets()
                    .hosted_zone_id(&id)
                    .change_batch(batch)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("ChangeResourceRecordSets", e)])?;
            }
        }
        match c.route53.delete_hosted_zone().id(&id).send().await {
            Ok(_) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NoSuchHostedZone")) => Ok(()),
            Err(e) if err_code(&e).is_some_and(|c| c.contains("HostedZoneNotEmpty")) => Err(vec![attr_err(
                "force_destroy",
                "The zone still has records",
                format!("Route 53 deletes only a zone without records of its own, and {apex} has some (made outside iac?); set force_destroy = true to delete them first"),
            )]),
            Err(e) => Err(vec![sdk_err("DeleteHostedZone", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let id = s(v, "zone_id").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(read_zone(c, zone_id(&id), v).await);
        }
        out
    }
}

/// Record types, to read Terraform's `ZONE_NAME_TYPE[_SET]` ids (names may hold `_`).
const TYPES: [&str; 13] = [
    "A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT",
];

fn parse_id(id: &str) -> (String, String, String, Option<String>) {
    let (zone, rest) = id.split_once('_').unwrap_or((id, ""));
    let is_type = |t: &str| TYPES.contains(&t.to_ascii_uppercase().as_str());
    match rest.rsplit_once('_') {
        Some((name, ty)) if is_type(ty) => {
            (zone.to_string(), norm(name), ty.to_ascii_uppercase(), None)
        }
        Some((head, set)) => match head.rsplit_once('_') {
            Some((name, ty)) if is_type(ty) => (
                zone.to_string(),
                norm(name),
                ty.to_ascii_uppercase(),
                Some(set.to_string()),
            ),
            _ => (zone.to_string(), norm(rest), String::new(), None),
        },
        None => (zone.to_string(), norm(rest), String::new(), None),
    }
}

/// A record's full name: `name` as given, or under the zone when it is relative.
fn full_name(name: &str, zone_name: Option<&str>) -> String {
    let n = norm(name);
    match zone_name.map(norm) {
        Some(z) if !z.is_empty() && n != z && !n.ends_with(&format!(".{z}")) => format!("{n}.{z}"),
        _ => n,
    }
}

fn record_id(zone: &str, name: &str, ty: &str, set: Option<&str>) -> String {
    match set {
        Some(s) => format!("{zone}_{name}_{ty}_{s}"),
        None => format!("{zone}_{name}_{ty}"),
    }
}

fn record_set(p: &Value, name: &str) -> Result<ResourceRecordSet, AttrDiagnostic> {
    let mut b = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::from(s(p, "type").unwrap_or_default().as_str()))
        .set_set_identifier(s(p, "set_identifier"))
        .set_health_check_id(s(p, "health_check_id"));
    let alias = p
        .get_attr("alias")
        .as_list()
        .and_then(|l| l.first().cloned());
    if let Some(a) = alias {
        b = b.alias_target(
            AliasTarget::builder()
                .set_dns_name(s(&a, "name"))
                .set_hosted_zone_id(s(&a, "zone_id"))
                .evaluate_target_health(
                    a.get_attr("evaluate_target_health").as_bool() == Some(true),
                )
                .build()
                .map_err(|e| attr_err("alias", "Invalid alias", e.to_string()))?,
        );
    } else {
        b = b.set_ttl(p.get_attr("ttl").as_f64().map(|t| t as i64));
        for r in strings(p, "records") {
            b = b.resource_records(
                ResourceRecord::builder()
                    .value(r)
                    .build()
                    .map_err(|e| attr_err("records", "Invalid record", e.to_string()))?,
            );
        }
    }
    if let Some(w) = p
        .get_attr("weighted_routing_policy")
        .as_list()
        .and_then(|l| l.first())
        .and_then(|w| w.get_attr("weight").as_f64())
    {
        b = b.weight(w as i64);
    }
    b = routing::request(b, p)?;
    b.build()
        .map_err(|e| attr_err("name", "Invalid record", e.to_string()))
}

fn record_value(zone: &str, r: &ResourceRecordSet, keep: &Value) -> Value {
    let name = norm(r.name());
    let ty = r.r#type().as_str().to_string();
    let mut recs: Vec<Value> = r
        .resource_records()
        .iter()
        .map(|x| Value::string(x.value()))
        .collect();
    recs.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let mut v = Value::map([
        (
            "id",
            Value::string(record_id(zone, &name, &ty, r.set_identifier())),
        ),
        ("zone_id", Value::string(zone)),
        ("name", Value::string(&name)),
        ("fqdn", Value::string(&name)),
        ("type", Value::string(&ty)),
        (
            "ttl",
            r.ttl().map(|t| Value::num(t as f64)).unwrap_or(Value::Null),
        ),
        (
            "records",
            if recs.is_empty() {
                Value::Null
            } else {
                Value::set(recs)
            },
        ),
        (
            "alias",
            match r.alias_target() {
                Some(a) => Value::List(vec![Value::map([
                    ("name", Value::string(norm(a.dns_name()))),
                    ("zone_id", Value::string(a.hosted_zone_id())),
                    (
                        "evaluate_target_health",
                        Value::Bool(a.evaluate_target_health()),
                    ),
                ])]),
                None => Value::List(Vec::new()),
            },
        ),
        ("set_identifier", opt_str(r.set_identifier())),
        ("health_check_id", opt_str(r.health_check_id())),
        (
            "weighted_routing_policy",
            match r.weight() {
                Some(w) => Value::List(vec![Value::map([("weight", Value::num(w as f64))])]),
                None => Value::List(Vec::new()),
            },
        ),
        ("allow_overwrite", keep.get_attr("allow_overwrite").clone()),
    ]);
    for (k, x) in routing::value(r) {
        crate::util::set(&mut v, k, x);
    }
    v
}

async fn zone_name(c: &Clients, zone: &str) -> Option<String> {
    c.route53
        .get_hosted_zone()
        .id(zone)
        .send()
        .await
        .ok()
        .and_then(|o| o.hosted_zone().map(|z| norm(z.name())))
}

/// One change to one record set; an error carries Route 53's code.
async fn change(
    c: &Clients,
    zone: &str,
    action: ChangeAction,
    set: ResourceRecordSet,
) -> Result<(), (Option<String>, AttrDiagnostic)> {
    let invalid = |e: aws_sdk_route53::error::BuildError| {
        (None, attr_err("name", "Invalid record", e.to_string()))
    };
    let one = Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(invalid)?;
    let batch = ChangeBatch::builder()
        .changes(one)
        .build()
        .map_err(invalid)?;
    c.route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| (err_code(&e), sdk_err("ChangeResourceRecordSets", e)))
}

fn find<'r>(
    sets: &'r [ResourceRecordSet],
    name: &str,
    ty: &str,
    set: Option<&str>,
) -> Option<&'r ResourceRecordSet> {
    sets.iter()
        .find(|r| norm(r.name()) == name && r.r#type().as_str() == ty && r.set_identifier() == set)
}

#[async_trait::async_trait]
impl ResourceType<Clients> for RecordType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, Set, String as Str};
        let alias =
            Schema::new("An alias to an AWS resource (a load balancer, a distribution, ...).")
                .attr("name", Attribute::required(Str, "DNS name of the target."))
                .attr(
                    "zone_id",
                    Attribute::required(Str, "Hosted zone id of the target."),
                )
                .attr(
                    "evaluate_target_health",
                    Attribute::required(Bool, "Answer only while the target is healthy."),
                );
        let weighted =
            Schema::new("Weighted routing.").attr("weight", Attribute::required(Number, "Weight."));
        Schema::new(
            "A Route 53 record set. Refresh lists each zone's records once for every record in it.",
        )
        .attr(
            "zone_id",
            Attribute::required(Str, "Hosted zone id.").force_new(),
        )
        .attr(
            "name",
            Attribute::required(Str, "Name (relative to the zone, or full).").force_new(),
        )
        .attr(
            "type",
            Attribute::required(Str, "A, AAAA, CNAME, MX, TXT, ...").force_new(),
        )
        .attr(
            "ttl",
            Attribute::optional(Number, "Seconds (not with alias)."),
        )
        .attr(
            "records",
            Attribute::optional(Set(Box::new(Str)), "Values (not with alias)."),
        )
        .block("alias", nested(Nesting::List, 0, Some(1), alias))
        .attr(
            "set_identifier",
            Attribute::optional(
                Str,
                "Tells records of one name and type apart (routing policies).",
            )
            .force_new(),
        )
        .attr("health_check_id", Attribute::optional(Str, "Health check."))
        .block(
            "weighted_routing_policy",
            nested(Nesting::List, 0, Some(1), weighted),
        )
        .pipe_routing()
        .attr(
            "allow_overwrite",
            Attribute::optional(
                Bool,
                "Take over a record that exists (default false: refuse).",
            ),
        )
        .attr("id", Attribute::computed(Str, "ZONE_NAME_TYPE[_SET]."))
        .attr("fqdn", Attribute::computed(Str, "The full name."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        if let Some(d) = routing::check(config) {
            return vec![d];
        }
        let alias = config
            .get_attr("alias")
            .as_list()
            .is_some_and(|l| !l.is_empty());
        let records = !config.get_attr("records").is_null();
        if alias && (records || !config.get_attr("ttl").is_null()) {
            return vec![attr_err(
                "alias",
                "Conflicting arguments",
                "an alias record has no ttl or records",
            )];
        }
        if !alias && !records {
            return vec![attr_err(
                "records",
                "Missing records",
                "set records (and ttl), or an alias block",
            )];
        }
        Vec::new()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        // A relative name is the prior's full one (the zone is added at create):
        // plan from the name as Route 53 keeps it.
        let mut config = req.config.clone();
        if let (Some(prior), Some(n)) = (req.prior, req.config.get_attr("name").as_str()) {
            if let Some(was) = prior.get_attr("name").as_str() {
                let n = norm(n);
                if was == n || was.starts_with(&format!("{n}.")) {
                    crate::util::set(&mut config, "name", Value::string(was));
                }
            }
        }
        let req = PlanRequest {
            type_name: req.type_name,
            prior: req.prior,
            config: &config,
        };
        aws_plan(schema, &req)
    }

    async fn create(&self, c: &Clients, planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let zone = s(planned, "zone_id").unwrap_or_default();
        let zname = zone_name(c, &zone).await;
        let name = full_name(&s(planned, "name").unwrap_or_default(), zname.as_deref());
        let set = record_set(planned, &name).map_err(|d| vec![d])?;
        let ty = s(planned, "type").unwrap_or_default();
        let action = if planned.get_attr("allow_overwrite").as_bool() == Some(true) {
            ChangeAction::Upsert
        } else {
            ChangeAction::Create
        };
        match change(c, &zone, action, set.clone()).await {
            Ok(()) => {}
            Err((code, _))
                if code
                    .as_deref()
                    .is_some_and(|c| c.contains("InvalidChangeBatch")) =>
            {
                // A retry of this create finds its own record: the same values.
                let sets = records(c, &zone)
                    .await
                    .map_err(|d| vec![d])?
                    .unwrap_or_default();
                let same = find(&sets, &name, &ty, set.set_identifier()).is_some_and(|r| {
                    record_value(&zone, r, planned).get_attr("records")
                        == record_value(&zone, &set, planned).get_attr("records")
                });
                if !same {
                    return Err(vec![attr_err(
                        "name",
                        "Record already exists",
                        format!("{name} {ty} exists in zone {zone} with other values; import it (iac import aws_route53_record.NAME {}) or set allow_overwrite", record_id(&zone, &name, &ty, set.set_identifier())),
                    )]);
                }
            }
            Err((_, d)) => return Err(vec![d]),
        }
        let sets = records(c, &zone)
            .await
            .map_err(|d| vec![d])?
            .unwrap_or_default();
        Ok(find(&sets, &name, &ty, set.set_identifier()).map(|r| record_value(&zone, r, planned)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let zone = s(prior, "zone_id").unwrap_or_default();
        let name = s(prior, "name").unwrap_or_default();
        let ty = s(prior, "type").unwrap_or_default();
        let set = record_set(planned, &name).map_err(|d| vec![d])?;
        change(c, &zone, ChangeAction::Upsert, set.clone())
            .await
            .map_err(|(_, d)| vec![d])?;
        let sets = records(c, &zone)
            .await
            .map_err(|d| vec![d])?
            .unwrap_or_default();
        Ok(find(&sets, &name, &ty, set.set_identifier()).map(|r| record_value(&zone, r, planned)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let zone = s(prior, "zone_id").unwrap_or_default();
        let name = s(prior, "name").unwrap_or_default();
        let ty = s(prior, "type").unwrap_or_default();
        // Deleting needs the record exactly as Route 53 has it.
        let Some(sets) = records(c, &zone).await.map_err(|d| vec![d])? else {
            return Ok(());
        };
        let Some(current) = find(&sets, &name, &ty, prior.get_attr("set_identifier").as_str())
        else {
            return Ok(());
        };
        change(c, &zone, ChangeAction::Delete, current.clone())
            .await
            .map_err(|(_, d)| vec![d])
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        // State has zone, name and type; an import names ZONE_NAME_TYPE[_SET].
        let keys: Vec<(String, String, String, Option<String>)> = current
            .iter()
            .map(|v| match (s(v, "zone_id"), s(v, "name"), s(v, "type")) {
                (Some(z), Some(n), Some(t)) => (z, norm(&n), t, s(v, "set_identifier")),
                _ => parse_id(&s(v, "id").unwrap_or_default()),
            })
            .collect();
        let mut zones: BTreeMap<String, Result<Option<Vec<ResourceRecordSet>>, AttrDiagnostic>> =
            BTreeMap::new();
        for (z, _, _, _) in &keys {
            if !zones.contains_key(z) {
                let r = records(c, z).await;
                zones.insert(z.clone(), r);
            }
        }
        current
            .iter()
            .zip(&keys)
            .map(|(v, (z, n, t, set))| match &zones[z] {
                Ok(Some(sets)) => {
                    Ok(find(sets, n, t, set.as_deref()).map(|r| record_value(z, r, v)))
                }
                Ok(None) => Ok(None),
                Err(d) => Err(d.clone()),
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for ZoneData {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Map, Number, String as Str};
        Schema::new(
            "Finds a hosted zone by id, or by name, kind, VPC and tags (one ListHostedZones, then a call per candidate for vpc_id or tags).",
        )
        .attr("name", Attribute::optional_computed(Str, "Domain name."))
        .attr("zone_id", Attribute::optional_computed(Str, "Zone id."))
        .attr(
            "private_zone",
            Attribute::optional_computed(Bool, "Find the private zone of this name."),
        )
        .attr(
            "vpc_id",
            Attribute::optional(Str, "Only a private zone associated with this VPC."),
        )
        .attr(
            "tags",
            Attribute::optional_computed(
                Map(Box::new(Str)),
                "Only a zone with all these tags; the zone's tags.",
            ),
        )
        .attr("id", Attribute::computed(Str, "Zone id."))
        .attr("arn", Attribute::computed(Str, "ARN."))
        .attr("comment", Attribute::computed(Str, "Comment."))
        .attr(
            "caller_reference",
            Attribute::computed(Str, "The reference the zone was created with."),
        )
        .attr(
            "name_servers",
            Attribute::computed(
                List(Box::new(Str)),
                "Name servers (of a private zone: its NS record).",
            ),
        )
        .attr(
            "primary_name_server",
            Attribute::computed(Str, "The first name server."),
        )
        .attr(
            "resource_record_set_count",
            Attribute::computed(Number, "Records in the zone."),
        )
        .attr(
            "linked_service_principal",
            Attribute::computed(Str, "The service that created the zone, if one did."),
        )
        .attr(
            "linked_service_description",
            Attribute::computed(Str, "What that service says of it."),
        )
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let want_name = s(config, "name").map(|n| norm(&n));
        let want_id = s(config, "zone_id");
        let vpc = s(config, "vpc_id");
        // A VPC is only ever associated with private zones.
        let private = config
            .get_attr("private_zone")
            .as_bool()
            .unwrap_or(vpc.is_some());
        if vpc.is_some() && !private {
            return Err(vec![attr_err(
                "vpc_id",
                "Conflicting arguments",
                "vpc_id finds a private zone: it cannot be set with private_zone = false",
            )]);
        }
        let want_tags = tags_of(config);
        let zones = all_zones(c).await.map_err(|d| vec![d])?;
        let mut found: Vec<&HostedZone> = Vec::new();
        let mut found_tags = BTreeMap::new();
        for z in &zones {
            let id = zone_id(z.id()).to_string();
            if want_id.as_deref().is_some_and(|i| zone_id(i) != id)
                || want_name.as_deref().is_some_and(|n| norm(z.name()) != n)
                || (want_id.is_none() && z.config().is_some_and(|c| c.private_zone()) != private)
            {
                continue;
            }
            if let Some(vpc) = &vpc {
                let details = c
                    .route53
                    .get_hosted_zone()
                    .id(&id)
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("GetHostedZone", e)])?;
                if !details
                    .vpcs()
                    .iter()
                    .any(|v| v.vpc_id() == Some(vpc.as_str()))
                {
                    continue;
                }
            }
            if !want_tags.is_empty() {
                let tags = zone_tags(c, std::slice::from_ref(&id))
                    .await
                    .map_err(|d| vec![d])?
                    .remove(&id)
                    .unwrap_or(Value::Null);
                if !want_tags
                    .iter()
                    .all(|(k, v)| tags.get_attr(k).as_str() == Some(v.as_str()))
                {
                    continue;
                }
                found_tags.insert(id, tags);
            }
            found.push(z);
        }
        let z = match found.as_slice() {
            [z] => *z,
            [] => {
                return Err(vec![attr_err(
                    "name",
                    "No matching hosted zone",
                    "no hosted zone matches; check name, zone_id, private_zone, vpc_id and tags",
                )])
            }
            _ => {
                return Err(vec![attr_err(
                    "name",
                    "Several hosted zones match",
                    "give zone_id, or private_zone, vpc_id or tags, to tell them apart",
                )])
            }
        };
        let id = zone_id(z.id()).to_string();
        let is_private = z.config().is_some_and(|c| c.private_zone());
        let ns: Vec<String> = if is_private {
            // A private zone has no delegation set: its name servers are its NS record.
            let r = c
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(&id)
                .start_record_name(z.name())
                .start_record_type(RrType::Ns)
                .max_items(1)
                .send()
                .await
                .map_err(|e| vec![sdk_err("ListResourceRecordSets", e)])?;
            r.resource_record_sets()
                .iter()
                .filter(|rs| rs.r#type() == &RrType::Ns && norm(rs.name()) == norm(z.name()))
                .flat_map(|rs| rs.resource_records().iter().map(|r| r.value().to_string()))
                .collect()
        } else {
            c.route53
                .get_hosted_zone()
                .id(&id)
                .send()
                .await
                .map_err(|e| vec![sdk_err("GetHostedZone", e)])?
                .delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default()
        };
        let tags = match found_tags.remove(&id) {
            Some(t) => t,
            None => zone_tags(c, std::slice::from_ref(&id))
                .await
                .map_err(|d| vec![d])?
                .remove(&id)
                .unwrap_or(Value::Map(BTreeMap::new().into())),
        };
        let linked = z.linked_service();
        Ok(Value::map([
            ("id", Value::string(&id)),
            ("zone_id", Value::string(&id)),
            ("name", Value::string(norm(z.name()))),
            (
                "arn",
                Value::string(format!("arn:aws:route53:::hostedzone/{id}")),
            ),
            ("comment", opt_str(z.config().and_then(|c| c.comment()))),
            ("caller_reference", Value::string(z.caller_reference())),
            ("private_zone", Value::Bool(is_private)),
            ("vpc_id", config.get_attr("vpc_id").clone()),
            ("tags", tags),
            (
                "primary_name_server",
                opt_str(ns.first().map(String::as_str)),
            ),
            (
                "name_servers",
                Value::List(ns.iter().map(Value::string).collect()),
            ),
            (
                "resource_record_set_count",
                z.resource_record_set_count()
                    .map(|n| Value::num(n as f64))
                    .unwrap_or(Value::Null),
            ),
            (
                "linked_service_principal",
                opt_str(linked.and_then(|l| l.service_principal())),
            ),
            (
                "linked_service_description",
                opt_str(linked.and_then(|l| l.description())),
            ),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_with_underscores_and_set_identifiers_parse() {
        assert_eq!(
            parse_id("Z1_www.example.com_A"),
            ("Z1".into(), "www.example.com".into(), "A".into(), None)
        );
        assert_eq!(
            parse_id("Z1__dmarc.example.com_TXT"),
            ("Z1".into(), "_dmarc.example.com".into(), "TXT".into(), None)
        );
        assert_eq!(
            parse_id("Z1_api.example.com_CNAME_blue"),
            (
                "Z1".into(),
                "api.example.com".into(),
                "CNAME".into(),
                Some("blue".into())
            )
        );
    }
}
