//! `aws_lb_listener_certificate` (and `aws_alb_listener_certificate`): one more
//! certificate on an HTTPS or TLS listener (served by SNI beside its default
//! one). Both arguments replace it. Refresh reads each listener's certificates
//! once (DescribeListenerCertificates) for all of its attachments.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use aws_sdk_elasticloadbalancingv2::types::Certificate;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::not_found;
use crate::kit::aws_plan;
use crate::util::{err_code, s, sdk_err};
use crate::Clients;

pub(crate) struct ListenerCertificateType;

/// Terraform's id: `LISTENER_ARN_CERTIFICATE_ARN`.
fn id_of(listener: &str, cert: &str) -> String {
    format!("{listener}_{cert}")
}

/// The listener and certificate of a value, from its arguments or its id (an import).
fn parts(v: &Value) -> (String, String) {
    match (s(v, "listener_arn"), s(v, "certificate_arn")) {
        (Some(l), Some(c)) => (l, c),
        _ => {
            let id = s(v, "id").unwrap_or_default();
            match id.find("_arn:") {
                Some(at) => (id[..at].to_string(), id[at + 1..].to_string()),
                None => (id, String::new()),
            }
        }
    }
}

fn value(listener: &str, cert: &str) -> Value {
    Value::map([
        ("id", Value::string(id_of(listener, cert))),
        ("listener_arn", Value::string(listener)),
        ("certificate_arn", Value::string(cert)),
    ])
}

/// A listener's certificates; `None` when the listener is gone.
async fn certificates(
    c: &Clients,
    listener: &str,
) -> Result<Option<BTreeSet<String>>, AttrDiagnostic> {
    let mut out = BTreeSet::new();
    let mut marker = None;
    loop {
        match c
            .elb
            .describe_listener_certificates()
            .listener_arn(listener)
            .set_marker(marker)
            .send()
            .await
        {
            Ok(page) => {
                out.extend(
                    page.certificates()
                        .iter()
                        .filter_map(|x| x.certificate_arn().map(String::from)),
                );
                marker = page.next_marker().map(String::from);
                if marker.is_none() {
                    return Ok(Some(out));
                }
            }
            Err(e) if not_found(err_code(&e)) => return Ok(None),
            Err(e) => return Err(sdk_err("DescribeListenerCertificates", e)),
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for ListenerCertificateType {
    fn schema(&self) -> Schema {
        use AttrType::String as Str;
        Schema::new("One more certificate on an HTTPS or TLS listener. Refresh is one DescribeListenerCertificates call per listener.")
            .attr("listener_arn", Attribute::required(Str, "The listener.").force_new())
            .attr("certificate_arn", Attribute::required(Str, "The certificate (ACM or IAM).").force_new())
            .attr("id", Attribute::computed(Str, "LISTENER_ARN_CERTIFICATE_ARN."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    /// Adding a certificate the listener has is no error: a retry is safe. A
    /// certificate ACM has only just issued may not be seen yet: asked again for
    /// a while, as Terraform's provider does.
    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let (listener, cert) = parts(p);
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match c
                .elb
                .add_listener_certificates()
                .listener_arn(&listener)
                .certificates(Certificate::builder().certificate_arn(&cert).build())
                .send()
                .await
            {
                Ok(_) => return Ok(Some(value(&listener, &cert))),
                Err(e)
                    if err_code(&e).is_some_and(|c| c.contains("CertificateNotFound"))
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                Err(e) => return Err(vec![sdk_err("AddListenerCertificates", e)]),
            }
        }
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let (listener, cert) = parts(old);
        match c
            .elb
            .remove_listener_certificates()
            .listener_arn(&listener)
            .certificates(Certificate::builder().certificate_arn(&cert).build())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if not_found(err_code(&e)) => Ok(()),
            Err(e) => Err(vec![sdk_err("RemoveListenerCertificates", e)]),
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut seen: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let (listener, cert) = parts(v);
            if !seen.contains_key(&listener) {
                match certificates(c, &listener).await {
                    Ok(certs) => {
                        seen.insert(listener.clone(), certs);
                    }
                    Err(d) => {
                        out.push(Err(d));
                        continue;
                    }
                }
            }
            let has = seen[&listener]
                .as_ref()
                .is_some_and(|set| set.contains(&cert));
            out.push(Ok(has.then(|| value(&listener, &cert))));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_id_splits_into_listener_and_certificate() {
        let l = "arn:aws:elasticloadbalancing:us-east-1:1:listener/net/n/1/2";
        let c = "arn:aws:acm:us-east-1:1:certificate/abc";
        let v = Value::map([("id", Value::string(id_of(l, c)))]);
        assert_eq!(parts(&v), (l.to_string(), c.to_string()));
    }
}
