//! A listener's attributes, as Terraform writes them (one argument each): the
//! HTTP headers an application load balancer adds to requests (mutual TLS
//! certificate fields, TLS version and cipher) under other names, the response
//! headers it sets (CORS, HSTS, CSP, ...), whether it sends a `Server` header, and
//! a network listener's TCP idle timeout. Written with ModifyListenerAttributes;
//! read back (one DescribeListenerAttributes call) only for a listener whose
//! configuration writes one, and compared only where written.

use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use crate::util::{s, same, sdk_err, set};
use crate::Clients;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Bool,
    Number,
}

/// (argument, attribute key, kind).
const NAMES: &[(&str, &str, Kind)] = &[
    (
        "routing_http_request_x_amzn_mtls_clientcert_header_name",
        "routing.http.request.x_amzn_mtls_clientcert.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_mtls_clientcert_issuer_header_name",
        "routing.http.request.x_amzn_mtls_clientcert_issuer.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_mtls_clientcert_leaf_header_name",
        "routing.http.request.x_amzn_mtls_clientcert_leaf.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_mtls_clientcert_serial_number_header_name",
        "routing.http.request.x_amzn_mtls_clientcert_serial_number.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_mtls_clientcert_subject_header_name",
        "routing.http.request.x_amzn_mtls_clientcert_subject.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_mtls_clientcert_validity_header_name",
        "routing.http.request.x_amzn_mtls_clientcert_validity.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_tls_cipher_suite_header_name",
        "routing.http.request.x_amzn_tls_cipher_suite.header_name",
        Kind::Text,
    ),
    (
        "routing_http_request_x_amzn_tls_version_header_name",
        "routing.http.request.x_amzn_tls_version.header_name",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_allow_credentials_header_value",
        "routing.http.response.access_control_allow_credentials.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_allow_headers_header_value",
        "routing.http.response.access_control_allow_headers.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_allow_methods_header_value",
        "routing.http.response.access_control_allow_methods.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_allow_origin_header_value",
        "routing.http.response.access_control_allow_origin.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_expose_headers_header_value",
        "routing.http.response.access_control_expose_headers.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_access_control_max_age_header_value",
        "routing.http.response.access_control_max_age.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_content_security_policy_header_value",
        "routing.http.response.content_security_policy.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_server_enabled",
        "routing.http.response.server.enabled",
        Kind::Bool,
    ),
    (
        "routing_http_response_strict_transport_security_header_value",
        "routing.http.response.strict_transport_security.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_x_content_type_options_header_value",
        "routing.http.response.x_content_type_options.header_value",
        Kind::Text,
    ),
    (
        "routing_http_response_x_frame_options_header_value",
        "routing.http.response.x_frame_options.header_value",
        Kind::Text,
    ),
    (
        "tcp_idle_timeout_seconds",
        "tcp.idle_timeout.seconds",
        Kind::Number,
    ),
];

pub(crate) fn schema(mut s: Schema) -> Schema {
    for (name, key, kind) in NAMES {
        let ty = match kind {
            Kind::Text => AttrType::String,
            Kind::Bool => AttrType::Bool,
            Kind::Number => AttrType::Number,
        };
        let what: &'static str = match *kind {
            Kind::Bool => {
                "Send the Server header (listener attribute routing.http.response.server.enabled)."
            }
            Kind::Number => "Seconds a TCP connection may be idle (network load balancers).",
            Kind::Text if key.ends_with("header_name") => {
                "Name under which the load balancer passes this value to targets."
            }
            Kind::Text => "Value of this response header the load balancer sets.",
        };
        s = s.attr(name, Attribute::optional(ty, what));
    }
    s
}

fn written(v: &Value) -> bool {
    NAMES.iter().any(|(n, _, _)| !v.get_attr(n).is_null())
}

fn text(v: &Value, name: &str) -> Option<String> {
    match v.get_attr(name) {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(iac_value::format_number(n)),
        Value::String(_) => s(v, name),
        _ => None,
    }
}

/// Writes the attributes the configuration sets that differ from `old`.
pub(crate) async fn apply(
    c: &Clients,
    arn: &str,
    old: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let attrs: Vec<aws_sdk_elasticloadbalancingv2::types::ListenerAttribute> = NAMES
        .iter()
        .filter(|(n, _, _)| old.is_none_or(|o| !same(o.get_attr(n), p.get_attr(n))))
        .filter_map(|(n, key, _)| {
            text(p, n).map(|v| {
                aws_sdk_elasticloadbalancingv2::types::ListenerAttribute::builder()
                    .key(*key)
                    .value(v)
                    .build()
            })
        })
        .collect();
    if attrs.is_empty() {
        return Ok(());
    }
    c.elb
        .modify_listener_attributes()
        .listener_arn(arn)
        .set_attributes(Some(attrs))
        .send()
        .await
        .map_err(|e| sdk_err("ModifyListenerAttributes", e))?;
    Ok(())
}

/// Sets the attributes on a listener's value: read where the configuration
/// (`keep`) writes them, null elsewhere.
pub(crate) async fn read(
    c: &Clients,
    arn: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    for (n, _, _) in NAMES {
        set(v, n, Value::Null);
    }
    if !written(keep) {
        return Ok(());
    }
    let out = c
        .elb
        .describe_listener_attributes()
        .listener_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_err("DescribeListenerAttributes", e))?;
    for (n, key, kind) in NAMES {
        if keep.get_attr(n).is_null() {
            continue;
        }
        let found = out
            .attributes()
            .iter()
            .find(|a| a.key() == Some(*key))
            .and_then(|a| a.value());
        let value = match (found, kind) {
            (None, _) => keep.get_attr(n).clone(),
            (Some(x), Kind::Bool) => Value::Bool(x == "true"),
            (Some(x), Kind::Number) => x.parse::<f64>().map(Value::num).unwrap_or(Value::Null),
            (Some(x), Kind::Text) => Value::string(x),
        };
        set(v, n, value);
    }
    Ok(())
}
