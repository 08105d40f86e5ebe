//! `aws_lb` (and `aws_alb`): an application or network load balancer, with
//! Terraform's arguments, the load-balancer attributes among them (deletion
//! protection, idle timeout, HTTP/2, header handling, access and connection logs;
//! cross-zone balancing and the DNS routing policy of a network load balancer).
//!
//! An attribute of the other kind of load balancer is null in state, as
//! Terraform keeps it; set in the configuration, it is ignored with a warning
//! (Terraform ignores it silently), so a module written for both kinds works.
//!
//! Refresh reads 20 load balancers per `DescribeLoadBalancers` and
//! `DescribeTags` call; their attributes take one `DescribeLoadBalancerAttributes`
//! call each (ELBv2 has no batch read of attributes).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{LoadBalancer, LoadBalancerAttribute};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::{generated_name, lb_tags, map, not_found, str_set, sync_tags, tags_of_arns};
use crate::kit::aws_plan;
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, first, opt_str, s, same, sdk_err, set, strings};
use crate::Clients;

pub(crate) struct LbType;

/// How an argument is kept as a load-balancer attribute.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Str,
}

/// Which kind of load balancer an attribute belongs to.
#[derive(Clone, Copy, PartialEq)]
enum For {
    Both,
    App,
    Net,
}

impl For {
    fn includes(self, network: bool) -> bool {
        match self {
            For::Both => true,
            For::App => !network,
            For::Net => network,
        }
    }
}

/// Arguments that are load-balancer attributes: (argument, attribute key, kind,
/// Terraform's default, which is also what AWS reports for a new load balancer,
/// and the kind of load balancer that has it).
const ATTRIBUTES: &[(&str, &str, Kind, &str, For)] = &[
    (
        "enable_deletion_protection",
        "deletion_protection.enabled",
        Kind::Bool,
        "false",
        For::Both,
    ),
    (
        "enable_http2",
        "routing.http2.enabled",
        Kind::Bool,
        "true",
        For::App,
    ),
    (
        "idle_timeout",
        "idle_timeout.timeout_seconds",
        Kind::Int,
        "60",
        For::App,
    ),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        Kind::Bool,
        "false",
        For::App,
    ),
    (
        "desync_mitigation_mode",
        "routing.http.desync_mitigation_mode",
        Kind::Str,
        "defensive",
        For::App,
    ),
    (
        "preserve_host_header",
        "routing.http.preserve_host_header.enabled",
        Kind::Bool,
        "false",
        For::App,
    ),
    (
        "xff_header_processing_mode",
        "routing.http.xff_header_processing.mode",
        Kind::Str,
        "append",
        For::App,
    ),
    (
        "enable_xff_client_port",
        "routing.http.xff_client_port.enabled",
        Kind::Bool,
        "false",
        For::App,
    ),
    (
        "enable_tls_version_and_cipher_suite_headers",
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        Kind::Bool,
        "false",
        For::App,
    ),
    (
        "enable_waf_fail_open",
        "waf.fail_open.enabled",
        Kind::Bool,
        "false",
        For::App,
    ),
    (
        "client_keep_alive",
        "client_keep_alive.seconds",
        Kind::Int,
        "3600",
        For::App,
    ),
    (
        "enable_zonal_shift",
        "zonal_shift.config.enabled",
        Kind::Bool,
        "false",
        For::Both,
    ),
    (
        "enable_cross_zone_load_balancing",
        "load_balancing.cross_zone.enabled",
        Kind::Bool,
        "false",
        For::Net,
    ),
    (
        "dns_record_client_routing_policy",
        "dns_record.client_routing_policy",
        Kind::Str,
        "any_availability_zone",
        For::Net,
    ),
];

fn doc(arg: &str) -> &'static str {
    match arg {
        "enable_deletion_protection" => "Refuse deletion (default false).",
        "enable_http2" => "Serve HTTP/2 (default true).",
        "idle_timeout" => "Seconds a connection may be idle (default 60).",
        "drop_invalid_header_fields" => "Drop headers with invalid names (default false).",
        "desync_mitigation_mode" => "monitor, defensive (default) or strictest.",
        "preserve_host_header" => "Pass the Host header unchanged (default false).",
        "xff_header_processing_mode" => "X-Forwarded-For: append (default), preserve or remove.",
        "enable_xff_client_port" => "Add the client port to X-Forwarded-For (default false).",
        "enable_tls_version_and_cipher_suite_headers" => {
            "Add TLS version and cipher headers (default false)."
        }
        "enable_waf_fail_open" => "Forward requests when WAF cannot be reached (default false).",
        "client_keep_alive" => "Seconds a client connection is kept (default 3600).",
        "enable_zonal_shift" => "Allow zonal shift (default false).",
        "enable_cross_zone_load_balancing" => {
            "Balance across zones: always on for application load balancers; default false for network ones."
        }
        "dns_record_client_routing_policy" => {
            "Network load balancers: any_availability_zone (default), availability_zone_affinity or partial_availability_zone_affinity."
        }
        _ => "Load-balancer attribute.",
    }
}

/// The log blocks: (block, attribute prefix, the kind of load balancer that has it).
const LOGS: &[(&str, &str, For)] = &[
    ("access_logs", "access_logs.s3", For::Both),
    ("connection_logs", "connection_logs.s3", For::App),
];

/// Whether a load balancer (configured, planned or read) is a network one.
fn is_network(v: &Value) -> bool {
    v.get_attr("load_balancer_type").as_str() == Some("network")
}

fn typed(kind: Kind, text: &str) -> Value {
    match kind {
        Kind::Bool => Value::Bool(text == "true"),
        Kind::Int => text.parse::<f64>().map(Value::num).unwrap_or(Value::Null),
        Kind::Str => Value::string(text.to_string()),
    }
}

fn text(kind: Kind, v: &Value) -> Option<String> {
    match (kind, v) {
        (Kind::Bool, Value::Bool(b)) => Some(b.to_string()),
        (Kind::Int, Value::Number(n)) => Some(format!("{}", n.to_f64() as i64)),
        (Kind::Str, Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The attributes a planned value asks for, as ELBv2 keys and texts.
fn wanted_attributes(p: &Value) -> BTreeMap<String, String> {
    let network = is_network(p);
    let mut out = BTreeMap::new();
    for (arg, key, kind, _, f) in ATTRIBUTES {
        if !f.includes(network) {
            continue;
        }
        if let Some(t) = text(*kind, p.get_attr(arg)) {
            out.insert(key.to_string(), t);
        }
    }
    for (block, prefix, f) in LOGS {
        if !f.includes(network) {
            continue;
        }
        let b = first(p, block);
        let enabled = !b.is_null() && b.get_attr("enabled").as_bool() != Some(false);
        out.insert(format!("{prefix}.enabled"), enabled.to_string());
        if enabled {
            out.insert(
                format!("{prefix}.bucket"),
                s(&b, "bucket").unwrap_or_default(),
            );
            out.insert(
                format!("{prefix}.prefix"),
                s(&b, "prefix").unwrap_or_default(),
            );
        }
    }
    out
}

pub(crate) async fn read_attributes(
    c: &Clients,
    arn: &str,
) -> Result<BTreeMap<String, String>, AttrDiagnostic> {
    let r = c
        .elb
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeLoadBalancerAttributes", e))?;
    Ok(r.attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
        .collect())
}

async fn write_attributes(
    c: &Clients,
    arn: &str,
    attrs: BTreeMap<String, String>,
) -> Result<(), AttrDiagnostic> {
    if attrs.is_empty() {
        return Ok(());
    }
    let list: Vec<LoadBalancerAttribute> = attrs
        .into_iter()
        .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
        .collect();
    c.elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(list))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("ModifyLoadBalancerAttributes", e))
}

pub(crate) fn lb_value(
    lb: &LoadBalancer,
    attrs: &BTreeMap<String, String>,
    tags: Value,
    keep: &Value,
) -> Value {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let subnets: Vec<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(String::from))
        .collect();
    let mut v = map(vec![
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        (
            "arn_suffix",
            Value::string(arn.split_once(":loadbalancer/").map(|x| x.1).unwrap_or("")),
        ),
        ("name", opt_str(lb.load_balancer_name())),
        ("name_prefix", keep.get_attr("name_prefix").clone()),
        (
            "internal",
            Value::Bool(lb.scheme().map(|s| s.as_str()) == Some("internal")),
        ),
        (
            "load_balancer_type",
            opt_str(lb.r#type().map(|t| t.as_str())),
        ),
        (
            "ip_address_type",
            opt_str(lb.ip_address_type().map(|t| t.as_str())),
        ),
        ("subnets", str_set(subnets.iter().cloned())),
        ("subnet_mapping", super::lb_mappings::read(lb, keep)),
        (
            "security_groups",
            str_set(lb.security_groups().iter().cloned()),
        ),
        ("dns_name", opt_str(lb.dns_name())),
        ("zone_id", opt_str(lb.canonical_hosted_zone_id())),
        ("vpc_id", opt_str(lb.vpc_id())),
        ("tags", tags),
    ]);
    let network = lb.r#type().map(|t| t.as_str()) == Some("network");
    for (arg, key, kind, default, f) in ATTRIBUTES {
        let value = if f.includes(network) {
            typed(
                *kind,
                attrs.get(*key).map(String::as_str).unwrap_or(default),
            )
        } else {
            Value::Null
        };
        set(&mut v, arg, value);
    }
    if !network {
        set(
            &mut v,
            "enable_cross_zone_load_balancing",
            Value::Bool(true),
        );
    }
    // A network load balancer's: AWS reports it with security groups; otherwise
    // as written (null for an application load balancer, as Terraform keeps it).
    set(
        &mut v,
        PRIVATE_LINK,
        match lb.enforce_security_group_inbound_rules_on_private_link_traffic() {
            Some(x) if network => Value::string(x),
            _ if network => keep.get_attr(PRIVATE_LINK).clone(),
            _ => Value::Null,
        },
    );
    for (block, prefix, f) in LOGS {
        if !f.includes(network) {
            set(&mut v, block, Value::List(Vec::new()));
            continue;
        }
        let get = |k: &str| {
            attrs
                .get(&format!("{prefix}.{k}"))
                .cloned()
                .unwrap_or_default()
        };
        let bucket = get("bucket");
        let enabled = get("enabled") == "true";
        // A block in the configuration is kept even while disabled, as Terraform does.
        let logs = if enabled || !first(keep, block).is_null() {
            Value::List(vec![Value::map([
                ("bucket", Value::string(bucket)),
                ("prefix", Value::string(get("prefix"))),
                ("enabled", Value::Bool(enabled)),
            ])])
        } else {
            Value::List(Vec::new())
        };
        set(&mut v, block, logs);
    }
    v
}

pub(crate) async fn describe_lb(
    c: &Clients,
    arn: &str,
) -> Result<Option<LoadBalancer>, AttrDiagnostic> {
    match c
        .elb
        .describe_load_balancers()
        .load_balancer_arns(arn)
        .send()
        .await
    {
        Ok(o) => Ok(o.load_balancers().first().cloned()),
        Err(e) if not_found(err_code(&e)) => Ok(None),
        Err(e) => Err(sdk_err("DescribeLoadBalancers", e)),
    }
}

async fn wait_active(c: &Clients, arn: &str) -> Result<LoadBalancer, AttrDiagnostic> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let lb = describe_lb(c, arn).await?.ok_or_else(|| {
            AttrDiagnostic::error(Vec::new(), "Load balancer disappeared", arn.to_string())
        })?;
        let st = lb
            .state()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_string());
        if st.as_deref() == Some("active") || st.is_none() {
            return Ok(lb);
        }
        if st.as_deref() == Some("failed") || Instant::now() > deadline {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Load balancer did not become active",
                format!("{arn} is {}", st.unwrap_or_default()),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Subnets from `subnets` and `subnet_mapping` blocks together.
fn subnets_of(p: &Value) -> Vec<String> {
    let mut out = strings(p, "subnets");
    for m in p.get_attr("subnet_mapping").as_list().unwrap_or(&[]) {
        if let Some(id) = s(m, "subnet_id") {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

async fn read_one(c: &Clients, arn: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(lb) = describe_lb(c, arn).await? else {
        return Ok(None);
    };
    let attrs = read_attributes(c, arn).await?;
    let tags = tags_of_arns(c, &[arn.to_string()]).await?;
    let tags = tags.get(arn).cloned().unwrap_or(Value::Null);
    Ok(Some(lb_value(&lb, &attrs, tags, keep)))
}

/// Arguments of the other kind of load balancer than the one configured: ignored,
/// with a warning for each (a shared module often sets them all).
/// Whether a network load balancer's security groups apply to PrivateLink traffic
/// ("on", AWS's default, or "off"); set with its security groups.
const PRIVATE_LINK: &str = "enforce_security_group_inbound_rules_on_private_link_traffic";

/// Sets the security groups (and, for a network load balancer, whether they
/// apply to PrivateLink traffic).
async fn set_security_groups(c: &Clients, arn: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    let private_link = if is_network(p) {
        s(p, PRIVATE_LINK)
    } else {
        None
    };
    c.elb
        .set_security_groups()
        .load_balancer_arn(arn)
        .set_security_groups(Some(strings(p, "security_groups")))
        .set_enforce_security_group_inbound_rules_on_private_link_traffic(
            private_link.map(|x| x.as_str().into()),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("SetSecurityGroups", e))
}

fn other_kinds_arguments(config: &Value) -> Vec<AttrDiagnostic> {
    let network = is_network(config);
    let (this, other) = if network {
        ("a network", "application")
    } else {
        ("an application", "network")
    };
    let mut out = Vec::new();
    let mut warn = |arg: &str| {
        out.push(AttrDiagnostic {
            severity: iac_provider::Severity::Warning,
            path: vec![iac_value::PathStep::Key(arg.to_string())],
            summary: "Argument ignored".into(),
            detail: format!("`{arg}` is a setting of {other} load balancers; this is {this} load balancer, so it is ignored (and null in state)"),
        });
    };
    for (arg, _, _, _, f) in ATTRIBUTES {
        if !f.includes(network) && !config.get_attr(arg).is_null() {
            warn(arg);
        }
    }
    if !network && !config.get_attr(PRIVATE_LINK).is_null() {
        warn(PRIVATE_LINK);
    }
    for (block, _, f) in LOGS {
        if !f.includes(network)
            && config
                .get_attr(block)
                .as_list()
                .is_some_and(|l| !l.is_empty())
        {
            warn(block);
        }
    }
    out
}

/// A name from `name_prefix` (or "iac-") and the plan's token, 32 characters at most.
pub(crate) fn name_from(prefix: &str, token: &str) -> String {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32usize.saturating_sub(prefix.len()))
        .collect();
    format!("{prefix}{t}")
}

#[async_trait::async_trait]
impl ResourceType<Clients> for LbType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, Number, String as Str};
        let string_set = || AttrType::Set(Box::new(Str));
        let logs = |what: &'static str| {
            Schema::new(what)
                .attr("bucket", Attribute::required(Str, "S3 bucket."))
                .attr(
                    "prefix",
                    Attribute::optional_computed(Str, "Key prefix in the bucket."),
                )
                .attr(
                    "enabled",
                    Attribute::optional_computed(Bool, "Whether logs are written (default true)."),
                )
        };
        let mapping = Schema::new("A subnet the load balancer is in.")
            .attr("subnet_id", Attribute::required(Str, "Subnet."))
            .attr(
                "allocation_id",
                Attribute::optional(Str, "Elastic IP (network load balancers only)."),
            )
            .attr(
                "private_ipv4_address",
                Attribute::optional(Str, "Private address (network load balancers only)."),
            )
            .attr(
                "ipv6_address",
                Attribute::optional(Str, "IPv6 address (network load balancers only)."),
            )
            .attr(
                "outpost_id",
                Attribute::computed(Str, "The Outpost the subnet is on (always null: iac manages regional load balancers)."),
            );
        let mut schema = Schema::new("An application or network load balancer. Refresh reads 20 per DescribeLoadBalancers and DescribeTags call, and the attributes with one DescribeLoadBalancerAttributes call each.")
            .attr(
                "name",
                Attribute::optional_computed(Str, "Name, up to 32 characters (generated when unset).")
                    .force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix of a generated name (up to 6 characters).").force_new(),
            )
            .attr(
                "internal",
                Attribute::optional_computed(Bool, "Reachable only inside the VPC (default false).")
                    .force_new(),
            )
            .attr(
                "load_balancer_type",
                Attribute::optional_computed(Str, "application (default) or network.")
                    .force_new(),
            )
            .attr(
                "ip_address_type",
                Attribute::optional_computed(Str, "ipv4 (default) or dualstack."),
            )
            .attr(
                "subnets",
                Attribute::optional_computed(string_set(), "Subnets, in at least two availability zones."),
            )
            .block("subnet_mapping", nested(Nesting::Set, 0, None, mapping))
            .attr(
                "security_groups",
                Attribute::optional_computed(string_set(), "Security groups."),
            )
            .attr(
                PRIVATE_LINK,
                Attribute::optional_computed(Str, "Network load balancers: whether the security groups apply to PrivateLink traffic, on (AWS's default) or off; changed in place."),
            )
            .block("access_logs", nested(Nesting::List, 0, Some(1), logs("Where the load balancer writes its access logs.")))
            .block("connection_logs", nested(Nesting::List, 0, Some(1), logs("Where the load balancer writes its connection logs.")));
        for (arg, _, kind, _, _) in ATTRIBUTES {
            let ty = match kind {
                Kind::Bool => Bool,
                Kind::Int => Number,
                Kind::Str => Str,
            };
            schema = schema.attr(arg, Attribute::optional_computed(ty, doc(arg)));
        }
        schema
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr(
                "arn_suffix",
                Attribute::computed(Str, "For CloudWatch metrics."),
            )
            .attr(
                "dns_name",
                Attribute::computed(Str, "DNS name clients use."),
            )
            .attr(
                "zone_id",
                Attribute::computed(Str, "Route 53 zone of the DNS name."),
            )
            .attr("vpc_id", Attribute::computed(Str, "VPC."))
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        if let Some(t) = config.get_attr("load_balancer_type").as_str() {
            if t == "gateway" {
                out.push(attr_err(
                    "load_balancer_type",
                    "Unsupported load balancer type",
                    "gateway load balancers are not supported yet: iac manages application and network load balancers",
                ));
            } else if t != "application" && t != "network" {
                out.push(attr_err(
                    "load_balancer_type",
                    "Invalid value",
                    format!("\"{t}\": application or network"),
                ));
            }
        }
        out.extend(other_kinds_arguments(config));
        if crate::util::both_set(config, "name", "name_prefix") {
            out.push(attr_err(
                "name_prefix",
                "Conflicting arguments",
                "set `name` or `name_prefix`, not both",
            ));
        }
        if config
            .get_attr("name_prefix")
            .as_str()
            .is_some_and(|p| p.len() > 6)
        {
            out.push(attr_err(
                "name_prefix",
                "Name prefix too long",
                "a load balancer's name_prefix has at most 6 characters",
            ));
        }
        let mappings = config
            .get_attr("subnet_mapping")
            .as_list()
            .unwrap_or(&[])
            .to_vec();
        out.extend(super::lb_mappings::validate(config));
        let subnets = config.get_attr("subnets");
        if subnets.is_null() && mappings.is_empty() {
            out.push(attr_err(
                "subnets",
                "Missing subnets",
                "set `subnets` or `subnet_mapping` blocks (two availability zones at least)",
            ));
        }
        if !is_network(config)
            && config
                .get_attr("enable_cross_zone_load_balancing")
                .as_bool()
                == Some(false)
        {
            out.push(attr_err(
                "enable_cross_zone_load_balancing",
                "Cannot turn off",
                "cross-zone load balancing is always on for application load balancers",
            ));
        }
        if let Some(t) = config.get_attr("ip_address_type").as_str() {
            if !["ipv4", "dualstack", "dualstack-without-public-ipv4"].contains(&t) {
                out.push(attr_err(
                    "ip_address_type",
                    "Invalid value",
                    format!("\"{t}\": ipv4, dualstack or dualstack-without-public-ipv4"),
                ));
            }
        }
        if let Some(p) = config.get_attr("dns_record_client_routing_policy").as_str() {
            if ![
                "any_availability_zone",
                "availability_zone_affinity",
                "partial_availability_zone_affinity",
            ]
            .contains(&p)
            {
                out.push(attr_err(
                    "dns_record_client_routing_policy",
                    "Invalid value",
                    format!("\"{p}\": any_availability_zone, availability_zone_affinity or partial_availability_zone_affinity"),
                ));
            }
        }
        if let Some(m) = config.get_attr("desync_mitigation_mode").as_str() {
            if !["monitor", "defensive", "strictest"].contains(&m) {
                out.push(attr_err(
                    "desync_mitigation_mode",
                    "Invalid value",
                    format!("\"{m}\": monitor, defensive or strictest"),
                ));
            }
        }
        if let Some(m) = config.get_attr("xff_header_processing_mode").as_str() {
            if !["append", "preserve", "remove"].contains(&m) {
                out.push(attr_err(
                    "xff_header_processing_mode",
                    "Invalid value",
                    format!("\"{m}\": append, preserve or remove"),
                ));
            }
        }
        if let Some(t) = config.get_attr("idle_timeout").as_f64() {
            if !(1.0..=4000.0).contains(&t) {
                out.push(attr_err(
                    "idle_timeout",
                    "Invalid value",
                    "1 to 4000 seconds",
                ));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        let c = req.config;
        let network = is_network(c);
        // Terraform's defaults: leaving an argument out is asking for its default.
        // The other kind's arguments are null (see `other_kinds_arguments`).
        for (arg, _, kind, default, f) in ATTRIBUTES {
            if !f.includes(network) {
                set(&mut r.planned, arg, Value::Null);
            } else if c.get_attr(arg).is_null() {
                set(&mut r.planned, arg, typed(*kind, default));
            }
        }
        for (block, _, f) in LOGS {
            if !f.includes(network) {
                set(&mut r.planned, block, Value::List(Vec::new()));
            }
        }
        if c.get_attr("load_balancer_type").is_null() {
            set(
                &mut r.planned,
                "load_balancer_type",
                Value::string("application"),
            );
        }
        // A network load balancer cannot leave a subnet: removing one replaces it.
        if let Some(prior) = req.prior {
            let now: Vec<String> = subnets_of(c);
            if network
                && c.get_attr("subnets").is_wholly_known()
                && c.get_attr("subnet_mapping").is_wholly_known()
                && strings(prior, "subnets").iter().any(|s| !now.contains(s))
            {
                r.requires_replace
                    .push(vec![iac_value::PathStep::Key("subnets".into())]);
            }
        }
        if c.get_attr("ip_address_type").is_null() {
            set(&mut r.planned, "ip_address_type", Value::string("ipv4"));
        }
        if !network {
            set(
                &mut r.planned,
                "enable_cross_zone_load_balancing",
                Value::Bool(true),
            );
        }
        for (block, _, _) in LOGS {
            if let Some(items) = r.planned.get_attr(block).as_list() {
                let items: Vec<Value> = items
                    .iter()
                    .map(|b| {
                        let mut b = b.clone();
                        if b.get_attr("enabled").is_null() || b.get_attr("enabled").is_unknown() {
                            set(&mut b, "enabled", Value::Bool(true));
                        }
                        if b.get_attr("prefix").is_null() || b.get_attr("prefix").is_unknown() {
                            set(&mut b, "prefix", Value::string(""));
                        }
                        b
                    })
                    .collect();
                set(&mut r.planned, block, Value::List(items));
            }
        }
        // Subnets named either way are one set: a mapping's subnet is in `subnets`,
        // and each subnet has a mapping (computed once the subnets are known).
        let known = c.get_attr("subnets").is_wholly_known()
            && c.get_attr("subnet_mapping").is_wholly_known();
        let all = subnets_of(c);
        if known && !all.is_empty() {
            set(&mut r.planned, "subnets", str_set(all.iter().cloned()));
            set(
                &mut r.planned,
                "subnet_mapping",
                super::lb_mappings::planned(c, &all),
            );
            if req
                .prior
                .is_some_and(|p| super::lb_mappings::readdressed(p, &r.planned))
            {
                r.requires_replace
                    .push(vec![iac_value::PathStep::Key("subnet_mapping".into())]);
            }
        } else if !known {
            if c.get_attr("subnets").is_null() {
                set(&mut r.planned, "subnets", Value::Unknown);
            }
            let mappings = c.get_attr("subnet_mapping");
            if mappings.is_null() || mappings.as_list().is_some_and(|l| l.is_empty()) {
                set(&mut r.planned, "subnet_mapping", Value::Unknown);
            }
        }
        r
    }

    /// A load balancer with deletion protection on cannot be deleted: said at plan time.
    fn check_delete(&self, prior: &Value) -> Vec<AttrDiagnostic> {
        if prior.get_attr("enable_deletion_protection").as_bool() == Some(true) {
            return vec![attr_err(
                "enable_deletion_protection",
                "Deletion protection is on",
                "AWS refuses to delete this load balancer: set enable_deletion_protection = false and apply, then delete it",
            )];
        }
        Vec::new()
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let token = req.idempotency_token;
        let name = s(planned, "name").unwrap_or_else(|| match s(planned, "name_prefix") {
            Some(p) => name_from(&p, token),
            None => generated_name("iac", token),
        });
        let internal = planned.get_attr("internal").as_bool() == Some(true);
        let sgs = strings(planned, "security_groups");
        let subnets = subnets_of(planned);
        let mapped = super::lb_mappings::sdk(planned, &subnets);
        // Creating with the same name and settings returns the first: a retry is safe.
        let out = c
            .elb
            .create_load_balancer()
            .name(&name)
            .set_subnets(mapped.is_none().then_some(subnets))
            .set_subnet_mappings(mapped)
            .set_security_groups((!sgs.is_empty()).then_some(sgs))
            .scheme(if internal {
                elb::types::LoadBalancerSchemeEnum::Internal
            } else {
                elb::types::LoadBalancerSchemeEnum::InternetFacing
            })
            .r#type(if is_network(planned) {
                elb::types::LoadBalancerTypeEnum::Network
            } else {
                elb::types::LoadBalancerTypeEnum::Application
            })
            .set_ip_address_type(s(planned, "ip_address_type").map(|t| t.as_str().into()))
            .set_tags(Some(lb_tags(planned, Some(token))))
            .send()
            .await
            .map_err(|e| vec![sdk_err("CreateLoadBalancer", e)])?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .unwrap_or_default()
            .to_string();
        wait_active(c, &arn).await.map_err(|d| vec![d])?;
        // Only what differs from what AWS starts with is sent.
        let now = read_attributes(c, &arn).await.map_err(|d| vec![d])?;
        let defaults: BTreeMap<&str, &str> =
            ATTRIBUTES.iter().map(|(_, k, _, d, _)| (*k, *d)).collect();
        let change: BTreeMap<String, String> = wanted_attributes(planned)
            .into_iter()
            .filter(|(k, v)| {
                let current = now
                    .get(k)
                    .map(String::as_str)
                    .or_else(|| defaults.get(k.as_str()).copied())
                    .unwrap_or("");
                current != v && !(current.is_empty() && v == "false")
            })
            .collect();
        write_attributes(c, &arn, change)
            .await
            .map_err(|d| vec![d])?;
        // CreateLoadBalancer does not take it: set with the groups after.
        if is_network(planned) && !planned.get_attr(PRIVATE_LINK).is_null() {
            set_security_groups(c, &arn, planned)
                .await
                .map_err(|d| vec![d])?;
        }
        read_one(c, &arn, planned).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let arn = s(old, "arn").unwrap_or_default();
        if !same(old.get_attr("subnets"), p.get_attr("subnets")) {
            let subnets = subnets_of(p);
            let mapped = super::lb_mappings::sdk(p, &subnets);
            c.elb
                .set_subnets()
                .load_balancer_arn(&arn)
                .set_subnets(mapped.is_none().then_some(subnets))
                .set_subnet_mappings(mapped)
                .send()
                .await
                .map_err(|e| vec![sdk_err("SetSubnets", e)])?;
        }
        let groups_changed = !same(
            old.get_attr("security_groups"),
            p.get_attr("security_groups"),
        ) && !p.get_attr("security_groups").is_unknown();
        let private_link_changed = is_network(p)
            && !p.get_attr(PRIVATE_LINK).is_null()
            && !same(old.get_attr(PRIVATE_LINK), p.get_attr(PRIVATE_LINK));
        if groups_changed || private_link_changed {
            set_security_groups(c, &arn, p).await.map_err(|d| vec![d])?;
        }
        if !same(
            old.get_attr("ip_address_type"),
            p.get_attr("ip_address_type"),
        ) {
            if let Some(t) = s(p, "ip_address_type") {
                c.elb
                    .set_ip_address_type()
                    .load_balancer_arn(&arn)
                    .ip_address_type(t.as_str().into())
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("SetIpAddressType", e)])?;
            }
        }
        let before = wanted_attributes(old);
        let change: BTreeMap<String, String> = wanted_attributes(p)
            .into_iter()
            .filter(|(k, v)| before.get(k) != Some(v))
            .collect();
        write_attributes(c, &arn, change)
            .await
            .map_err(|d| vec![d])?;
        sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
        wait_active(c, &arn).await.map_err(|d| vec![d])?;
        read_one(c, &arn, p).await.map_err(|d| vec![d])
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let arn = s(old, "arn").unwrap_or_default();
        match c
            .elb
            .delete_load_balancer()
            .load_balancer_arn(&arn)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if not_found(err_code(&e)) => return Ok(()),
            Err(e) => return Err(vec![sdk_err("DeleteLoadBalancer", e)]),
        }
        let deadline = Instant::now() + Duration::from_secs(600);
        while describe_lb(c, &arn).await.map_err(|d| vec![d])?.is_some() {
            if Instant::now() > deadline {
                return Err(vec![AttrDiagnostic::error(
                    Vec::new(),
                    "Load balancer is still there",
                    arn,
                )]);
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let arns: Vec<String> = current
            .iter()
            .map(|v| s(v, "arn").or_else(|| s(v, "id")).unwrap_or_default())
            .collect();
        let mut found: BTreeMap<String, LoadBalancer> = BTreeMap::new();
        let mut tags: BTreeMap<String, Value> = BTreeMap::new();
        let asked: Vec<String> = arns.iter().filter(|a| !a.is_empty()).cloned().collect();
        for chunk in asked.chunks(20) {
            match c
                .elb
                .describe_load_balancers()
                .set_load_balancer_arns(Some(chunk.to_vec()))
                .send()
                .await
            {
                Ok(o) => {
                    for lb in o.load_balancers() {
                        found.insert(
                            lb.load_balancer_arn().unwrap_or_default().to_string(),
                            lb.clone(),
                        );
                    }
                }
                // One missing ARN fails the batch: ask one at a time.
                Err(e) if not_found(err_code(&e)) => {
                    for one in chunk {
                        match describe_lb(c, one).await {
                            Ok(Some(lb)) => {
                                found.insert(one.clone(), lb);
                            }
                            Ok(None) => {}
                            Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
                        }
                    }
                }
                Err(e) => {
                    let d = sdk_err("DescribeLoadBalancers", e);
                    return current.iter().map(|_| Err(d.clone())).collect();
                }
            }
            let present: Vec<String> = chunk
                .iter()
                .filter(|a| found.contains_key(*a))
                .cloned()
                .collect();
            if !present.is_empty() {
                match tags_of_arns(c, &present).await {
                    Ok(t) => tags.extend(t),
                    Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
                }
            }
        }
        let mut out = Vec::with_capacity(current.len());
        for (arn, keep) in arns.iter().zip(current) {
            out.push(match found.get(arn) {
                None => Ok(None),
                Some(lb) => match read_attributes(c, arn).await {
                    Ok(attrs) => Ok(Some(lb_value(
                        lb,
                        &attrs,
                        tags.get(arn).cloned().unwrap_or(Value::Null),
                        keep,
                    ))),
                    Err(d) => Err(d),
                },
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_attributes_and_back() {
        let p = Value::map([
            ("enable_deletion_protection", Value::Bool(true)),
            ("idle_timeout", Value::num(120.0)),
            ("desync_mitigation_mode", Value::string("strictest")),
            (
                "access_logs",
                Value::List(vec![Value::map([
                    ("bucket", Value::string("logs")),
                    ("prefix", Value::string("alb")),
                    ("enabled", Value::Bool(true)),
                ])]),
            ),
        ]);
        let w = wanted_attributes(&p);
        assert_eq!(w["deletion_protection.enabled"], "true");
        assert_eq!(w["idle_timeout.timeout_seconds"], "120");
        assert_eq!(w["routing.http.desync_mitigation_mode"], "strictest");
        assert_eq!(w["access_logs.s3.bucket"], "logs");
        assert_eq!(w["connection_logs.s3.enabled"], "false");
        assert_eq!(typed(Kind::Int, "120"), Value::num(120.0));
        assert_eq!(typed(Kind::Bool, "true"), Value::Bool(true));
    }
}
