//! `aws_lb_listener` (and `aws_alb_listener`): a port on a load balancer and
//! what it does with requests. Refresh reads 20 listeners per DescribeListeners call.

use std::collections::BTreeMap;

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::listener_attributes as attributes;
use super::{create_listener, listener_value, not_found, update_listener};
use crate::kit::aws_plan;
use crate::schema::lb_action;
use crate::schema::{nested, tags};
use crate::util::{attr_err, err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct ListenerType;

/// Writes a listener's attributes after its create or update, and reads them into its value.
async fn with_attributes(
    c: &Clients,
    old: Option<&Value>,
    p: &Value,
    v: Option<Value>,
) -> ApplyResult {
    let Some(mut v) = v else { return Ok(None) };
    let arn = s(&v, "arn").unwrap_or_default();
    attributes::apply(c, &arn, old, p)
        .await
        .map_err(|d| vec![d])?;
    attributes::read(c, &arn, p, &mut v)
        .await
        .map_err(|d| vec![d])?;
    Ok(Some(v))
}

#[async_trait::async_trait]
impl super::ArnBatch for ListenerType {
    async fn describe(
        &self,
        c: &Clients,
        arns: Vec<String>,
        keep: &BTreeMap<String, Value>,
        tags: &BTreeMap<String, Value>,
    ) -> Result<Vec<(String, Value)>, (Option<String>, AttrDiagnostic)> {
        let null = Value::Null;
        let out = c
            .elb
            .describe_listeners()
            .set_listener_arns(Some(arns))
            .send()
            .await
            .map_err(|e| (err_code(&e), sdk_err("DescribeListeners", e)))?;
        let mut values = Vec::new();
        for l in out.listeners() {
            let a = l.listener_arn().unwrap_or_default().to_string();
            let tag = tags.get(&a).cloned().unwrap_or(Value::Null);
            let k = keep.get(&a).unwrap_or(&null);
            let mut v = listener_value(l, k, tag);
            attributes::read(c, &a, k, &mut v)
                .await
                .map_err(|d| (None, d))?;
            values.push((a, v));
        }
        Ok(values)
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for ListenerType {
    fn schema(&self) -> Schema {
        use AttrType::{Number, String as Str};
        let base = Schema::new(
            "A listener: a port on a load balancer and what it does with requests.",
        )
        .attr(
            "load_balancer_arn",
            Attribute::required(Str, "Load balancer.").force_new(),
        )
        .attr("port", Attribute::required(Number, "Port."))
        .attr(
            "protocol",
            Attribute::optional_computed(
                Str,
                "HTTP (default) or HTTPS on an application load balancer; TCP, TLS, UDP or TCP_UDP on a network one.",
            ),
        )
        .attr(
            "certificate_arn",
            Attribute::optional(Str, "Certificate, for HTTPS and TLS."),
        )
        .attr(
            "ssl_policy",
            Attribute::optional_computed(
                Str,
                "TLS policy of an HTTPS or TLS listener (default: AWS's, ELBSecurityPolicy-2016-08).",
            ),
        )
        .attr(
            "alpn_policy",
            Attribute::optional(
                Str,
                "ALPN policy of a TLS listener (HTTP1Only, HTTP2Preferred, ...).",
            ),
        )
        .block(
            "default_action",
            nested(Nesting::List, 1, None, lb_action()),
        )
        .block(
            "mutual_authentication",
            nested(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Mutual TLS of an HTTPS listener: client certificates checked against a trust store (verify) or passed to the targets (passthrough); changed in place.")
                    .attr("mode", Attribute::required(Str, "off, passthrough or verify."))
                    .attr("trust_store_arn", Attribute::optional(Str, "The trust store (aws_lb_trust_store), for verify."))
                    .attr("ignore_client_certificate_expiry", Attribute::optional(AttrType::Bool, "Accept expired client certificates (verify)."))
                    .attr("advertise_trust_store_ca_names", Attribute::optional_computed(Str, "on or off: name the trust store's CAs to clients (verify).")),
            ),
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(Str, "The ARN."))
        .attr("arn", Attribute::computed(Str, "ARN."));
        attributes::schema(base)
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let protocol = config.get_attr("protocol");
        let p = protocol.as_str().unwrap_or("HTTP");
        if !protocol.is_unknown() {
            if !["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"].contains(&p) {
                out.push(attr_err(
                    "protocol",
                    "Invalid value",
                    format!("\"{p}\": HTTP, HTTPS, TCP, TLS, UDP or TCP_UDP"),
                ));
            }
            let secure = p == "HTTPS" || p == "TLS";
            for k in ["ssl_policy", "certificate_arn"] {
                if !config.get_attr(k).is_null() && !secure {
                    out.push(attr_err(
                        k,
                        "Only for HTTPS and TLS listeners",
                        format!("`{k}` applies to an HTTPS or TLS listener: set protocol = \"HTTPS\" (or \"TLS\" on a network load balancer)"),
                    ));
                }
            }
            let mutual = crate::util::first(config, "mutual_authentication");
            if mutual.as_map().is_some() && p != "HTTPS" {
                out.push(attr_err(
                    "mutual_authentication",
                    "Not for this protocol",
                    "mutual TLS applies to an HTTPS listener of an application load balancer: set protocol = \"HTTPS\"",
                ));
            }
            if mutual.get_attr("mode").as_str() == Some("verify")
                && mutual.get_attr("trust_store_arn").is_null()
            {
                out.push(attr_err(
                    "mutual_authentication",
                    "Missing trust store",
                    "mode = \"verify\" checks client certificates against a trust store: set trust_store_arn",
                ));
            }
            if !config.get_attr("alpn_policy").is_null() && p != "TLS" {
                out.push(attr_err(
                    "alpn_policy",
                    "Only for TLS listeners",
                    "`alpn_policy` applies to a TLS listener of a network load balancer: set protocol = \"TLS\"",
                ));
            }
        }
        out.extend(super::validate_actions(config, "default_action"));
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan(schema, req);
        // Not written, mutual TLS is as AWS has it (off for an HTTPS listener).
        crate::util::as_aws_has(
            req.prior,
            req.config,
            &mut r.planned,
            &["mutual_authentication"],
        );
        r
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let created = create_listener(c, p, req.idempotency_token).await?;
        with_attributes(c, None, p, created).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let updated = update_listener(c, old, p).await?;
        with_attributes(c, Some(old), p, updated).await
    }

    async fn delete(
        &self,
        c: &Clients,
        o: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        match c
            .elb
            .delete_listener()
            .listener_arn(s(o, "arn").unwrap_or_default())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("DeleteListener", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        super::read_arns(c, self, current).await
    }
}
