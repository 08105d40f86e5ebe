//! `aws_route53_record`'s routing policies beyond weighted: failover, latency,
//! geolocation, geoproximity, IP-based (CIDR) and multivalue answers. Each needs a
//! `set_identifier`, and a record has at most one.

use aws_sdk_route53::types::builders::ResourceRecordSetBuilder;
use aws_sdk_route53::types::{
    CidrRoutingConfig, Coordinates, GeoLocation, GeoProximityLocation, ResourceRecordSet,
    ResourceRecordSetFailover, ResourceRecordSetRegion,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::nested;
use crate::util::{attr_err, first, opt_str, s, written};

const POLICIES: &[&str] = &[
    "weighted_routing_policy",
    "failover_routing_policy",
    "latency_routing_policy",
    "geolocation_routing_policy",
    "geoproximity_routing_policy",
    "cidr_routing_policy",
    "multivalue_answer_routing_policy",
];

pub(crate) trait RoutingSchema {
    fn pipe_routing(self) -> Schema;
}

impl RoutingSchema for Schema {
    fn pipe_routing(self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        let one = |schema| nested(Nesting::List, 0, Some(1), schema);
        let opt = Attribute::optional;
        self.block(
            "failover_routing_policy",
            one(Schema::new("Failover routing.")
                .attr("type", Attribute::required(Str, "PRIMARY or SECONDARY."))),
        )
        .block(
            "latency_routing_policy",
            one(Schema::new("Latency routing.").attr(
                "region",
                Attribute::required(Str, "The region the record answers for."),
            )),
        )
        .block(
            "geolocation_routing_policy",
            one(Schema::new("Geolocation routing.")
                .attr("continent", opt(Str, "Two-letter continent code."))
                .attr(
                    "country",
                    opt(Str, "Two-letter country code, or * for the default."),
                )
                .attr("subdivision", opt(Str, "Subdivision (a US state)."))),
        )
        .block(
            "geoproximity_routing_policy",
            one(Schema::new("Geoproximity routing.")
                .attr("aws_region", opt(Str, "Region of the resource."))
                .attr(
                    "bias",
                    opt(Number, "-99 to 99: grows or shrinks the region served."),
                )
                .attr(
                    "local_zone_group",
                    opt(Str, "Local Zone group of the resource."),
                )
                .block(
                    "coordinates",
                    nested(
                        Nesting::Set,
                        0,
                        Some(1),
                        Schema::new("Where the resource is.")
                            .attr("latitude", Attribute::required(Str, "Latitude."))
                            .attr("longitude", Attribute::required(Str, "Longitude.")),
                    ),
                )),
        )
        .block(
            "cidr_routing_policy",
            one(Schema::new("IP-based routing.")
                .attr(
                    "collection_id",
                    Attribute::required(Str, "CIDR collection."),
                )
                .attr(
                    "location_name",
                    Attribute::required(Str, "Location in the collection, or * for the default."),
                )),
        )
        .attr(
            "multivalue_answer_routing_policy",
            opt(Bool, "Answer with up to eight healthy records at random."),
        )
    }
}

/// At most one routing policy, and a `set_identifier` with it.
pub(crate) fn check(config: &Value) -> Option<AttrDiagnostic> {
    let used: Vec<&str> = POLICIES
        .iter()
        .copied()
        .filter(|k| written(config, k))
        .collect();
    if used.len() > 1 {
        return Some(attr_err(
            used[1],
            "Conflicting routing policies",
            format!(
                "a record has one routing policy; this one has {}",
                used.join(" and ")
            ),
        ));
    }
    if let (Some(k), true) = (used.first(), config.get_attr("set_identifier").is_null()) {
        return Some(attr_err(
            k,
            "Missing set_identifier",
            "a record with a routing policy needs a set_identifier telling it from the other records of its name and type",
        ));
    }
    None
}

pub(crate) fn request(
    mut b: ResourceRecordSetBuilder,
    p: &Value,
) -> Result<ResourceRecordSetBuilder, AttrDiagnostic> {
    let f = first(p, "failover_routing_policy");
    if !f.is_null() {
        b = b.failover(ResourceRecordSetFailover::from(
            s(&f, "type").unwrap_or_default().as_str(),
        ));
    }
    let l = first(p, "latency_routing_policy");
    if !l.is_null() {
        b = b.region(ResourceRecordSetRegion::from(
            s(&l, "region").unwrap_or_default().as_str(),
        ));
    }
    let g = first(p, "geolocation_routing_policy");
    if !g.is_null() {
        b = b.geo_location(
            GeoLocation::builder()
                .set_continent_code(s(&g, "continent"))
                .set_country_code(s(&g, "country"))
                .set_subdivision_code(s(&g, "subdivision"))
                .build(),
        );
    }
    let x = first(p, "geoproximity_routing_policy");
    if !x.is_null() {
        let c = first(&x, "coordinates");
        let coordinates = if c.is_null() {
            None
        } else {
            Some(
                Coordinates::builder()
                    .latitude(s(&c, "latitude").unwrap_or_default())
                    .longitude(s(&c, "longitude").unwrap_or_default())
                    .build()
                    .map_err(|e| {
                        attr_err(
                            "geoproximity_routing_policy",
                            "Invalid coordinates",
                            e.to_string(),
                        )
                    })?,
            )
        };
        b = b.geo_proximity_location(
            GeoProximityLocation::builder()
                .set_aws_region(s(&x, "aws_region"))
                .set_local_zone_group(s(&x, "local_zone_group"))
                .set_bias(x.get_attr("bias").as_f64().map(|n| n as i32))
                .set_coordinates(coordinates)
                .build(),
        );
    }
    let c = first(p, "cidr_routing_policy");
    if !c.is_null() {
        b = b.cidr_routing_config(
            CidrRoutingConfig::builder()
                .collection_id(s(&c, "collection_id").unwrap_or_default())
                .location_name(s(&c, "location_name").unwrap_or_default())
                .build()
                .map_err(|e| {
                    attr_err("cidr_routing_policy", "Invalid CIDR routing", e.to_string())
                })?,
        );
    }
    if let Some(m) = p.get_attr("multivalue_answer_routing_policy").as_bool() {
        b = b.multi_value_answer(m);
    }
    Ok(b)
}

fn one(v: Option<Value>) -> Value {
    Value::List(v.into_iter().collect())
}

pub(crate) fn value(r: &ResourceRecordSet) -> Vec<(&'static str, Value)> {
    vec![
        (
            "failover_routing_policy",
            one(r
                .failover()
                .map(|f| Value::map([("type", Value::string(f.as_str()))]))),
        ),
        (
            "latency_routing_policy",
            one(r
                .region()
                .map(|x| Value::map([("region", Value::string(x.as_str()))]))),
        ),
        (
            "geolocation_routing_policy",
            one(r.geo_location().map(|g| {
                Value::map([
                    ("continent", opt_str(g.continent_code())),
                    ("country", opt_str(g.country_code())),
                    ("subdivision", opt_str(g.subdivision_code())),
                ])
            })),
        ),
        (
            "geoproximity_routing_policy",
            one(r.geo_proximity_location().map(|g| {
                Value::map([
                    ("aws_region", opt_str(g.aws_region())),
                    (
                        "bias",
                        g.bias().map_or(Value::Null, |b| Value::num(f64::from(b))),
                    ),
                    ("local_zone_group", opt_str(g.local_zone_group())),
                    (
                        "coordinates",
                        Value::Set(
                            g.coordinates()
                                .map(|c| {
                                    Value::map([
                                        ("latitude", Value::string(c.latitude())),
                                        ("longitude", Value::string(c.longitude())),
                                    ])
                                })
                                .into_iter()
                                .collect(),
                        ),
                    ),
                ])
            })),
        ),
        (
            "cidr_routing_policy",
            one(r.cidr_routing_config().map(|c| {
                Value::map([
                    ("collection_id", Value::string(c.collection_id())),
                    ("location_name", Value::string(c.location_name())),
                ])
            })),
        ),
        (
            "multivalue_answer_routing_policy",
            r.multi_value_answer()
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ),
    ]
}
