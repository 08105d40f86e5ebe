//! A listener rule's `condition` blocks, each one of Terraform's six kinds:
//! `host_header`, `http_header`, `http_request_method`, `path_pattern`,
//! `query_string` (key/value pairs) and `source_ip`; sent as ELBv2's rule
//! conditions and read back from them.

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{
    HostHeaderConditionConfig, HttpHeaderConditionConfig, HttpRequestMethodConditionConfig,
    PathPatternConditionConfig, QueryStringConditionConfig, QueryStringKeyValuePair, RuleCondition,
    SourceIpConditionConfig,
};
use iac_provider::{AttrType, Attribute, Nesting, Schema};
use iac_value::Value;

use crate::schema::{nested, string_set};
use crate::util::{first, opt_str, s, strings};

/// The kinds with a `values` set, by block name and ELBv2 field.
const VALUES: &[(&str, &str)] = &[
    ("host_header", "host-header"),
    ("http_request_method", "http-request-method"),
    ("path_pattern", "path-pattern"),
    ("source_ip", "source-ip"),
];

/// The `condition` block's schema.
pub(crate) fn schema() -> Schema {
    use AttrType::String as Str;
    let values = |about: &'static str| {
        nested(
            Nesting::List,
            0,
            Some(1),
            Schema::new(about).attr(
                "values",
                Attribute::required(string_set(), "Values to match."),
            ),
        )
    };
    Schema::new("When the rule applies: one kind of condition per block.")
        .block("host_header", values("Host names (patterns with * and ?)."))
        .block("path_pattern", values("Paths (patterns with * and ?)."))
        .block(
            "http_request_method",
            values("Methods, such as GET or POST."),
        )
        .block("source_ip", values("Client address ranges (CIDR)."))
        .block(
            "http_header",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("A header's values.")
                    .attr("http_header_name", Attribute::required(Str, "The header."))
                    .attr(
                        "values",
                        Attribute::required(string_set(), "Values to match (patterns)."),
                    ),
            ),
        )
        .block(
            "query_string",
            nested(
                Nesting::Set,
                0,
                None,
                Schema::new("A query string pair (any of them matching).")
                    .attr("key", Attribute::optional(Str, "Key (any key when unset)."))
                    .attr("value", Attribute::required(Str, "Value (a pattern).")),
            ),
        )
}

/// The rule's conditions as ELBv2 takes them.
pub(crate) fn request(p: &Value) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    for cnd in p.get_attr("condition").as_list().unwrap_or(&[]) {
        for (block, field) in VALUES {
            let b = first(cnd, block);
            if b.is_null() {
                continue;
            }
            let values = Some(strings(&b, "values"));
            let c = RuleCondition::builder().field(*field);
            out.push(
                match *block {
                    "host_header" => c.host_header_config(
                        HostHeaderConditionConfig::builder()
                            .set_values(values)
                            .build(),
                    ),
                    "path_pattern" => c.path_pattern_config(
                        PathPatternConditionConfig::builder()
                            .set_values(values)
                            .build(),
                    ),
                    "http_request_method" => c.http_request_method_config(
                        HttpRequestMethodConditionConfig::builder()
                            .set_values(values)
                            .build(),
                    ),
                    _ => c.source_ip_config(
                        SourceIpConditionConfig::builder()
                            .set_values(values)
                            .build(),
                    ),
                }
                .build(),
            );
        }
        let h = first(cnd, "http_header");
        if !h.is_null() {
            out.push(
                RuleCondition::builder()
                    .field("http-header")
                    .http_header_config(
                        HttpHeaderConditionConfig::builder()
                            .set_http_header_name(s(&h, "http_header_name"))
                            .set_values(Some(strings(&h, "values")))
                            .build(),
                    )
                    .build(),
            );
        }
        let pairs: Vec<QueryStringKeyValuePair> = cnd
            .get_attr("query_string")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|q| {
                QueryStringKeyValuePair::builder()
                    .set_key(s(q, "key"))
                    .set_value(s(q, "value"))
                    .build()
            })
            .collect();
        if !pairs.is_empty() {
            out.push(
                RuleCondition::builder()
                    .field("query-string")
                    .query_string_config(
                        QueryStringConditionConfig::builder()
                            .set_values(Some(pairs))
                            .build(),
                    )
                    .build(),
            );
        }
    }
    out
}

fn values_block(v: &[String]) -> Value {
    Value::List(vec![Value::map([(
        "values",
        Value::set(v.iter().map(Value::string).collect()),
    )])])
}

/// The rule's conditions as state has them, one block per condition.
pub(crate) fn value(conds: &[RuleCondition]) -> Value {
    let mut out = Vec::new();
    for cnd in conds {
        let field = cnd.field().unwrap_or_default();
        let mut v: Vec<(&str, Value)> = VALUES
            .iter()
            .map(|(b, _)| (*b, Value::List(Vec::new())))
            .chain([
                ("http_header", Value::List(Vec::new())),
                ("query_string", Value::Set(Vec::new())),
            ])
            .collect();
        let legacy = cnd.values().to_vec();
        let got: Option<(&str, Value)> = match field {
            "host-header" => Some((
                "host_header",
                values_block(cnd.host_header_config().map_or(&legacy[..], |c| c.values())),
            )),
            "path-pattern" => Some((
                "path_pattern",
                values_block(
                    cnd.path_pattern_config()
                        .map_or(&legacy[..], |c| c.values()),
                ),
            )),
            "http-request-method" => Some((
                "http_request_method",
                values_block(
                    cnd.http_request_method_config()
                        .map_or(&[][..], |c| c.values()),
                ),
            )),
            "source-ip" => Some((
                "source_ip",
                values_block(cnd.source_ip_config().map_or(&[][..], |c| c.values())),
            )),
            "http-header" => cnd.http_header_config().map(|h| {
                (
                    "http_header",
                    Value::List(vec![Value::map([
                        ("http_header_name", opt_str(h.http_header_name())),
                        (
                            "values",
                            Value::set(h.values().iter().map(Value::string).collect()),
                        ),
                    ])]),
                )
            }),
            "query-string" => cnd.query_string_config().map(|q| {
                (
                    "query_string",
                    Value::set(
                        q.values()
                            .iter()
                            .map(|p| {
                                Value::map([
                                    ("key", opt_str(p.key())),
                                    ("value", opt_str(p.value())),
                                ])
                            })
                            .collect(),
                    ),
                )
            }),
            _ => None,
        };
        let Some((name, block)) = got else { continue };
        for slot in v.iter_mut().filter(|(n, _)| *n == name) {
            slot.1 = block.clone();
        }
        out.push(Value::map(v));
    }
    Value::set(out)
}
