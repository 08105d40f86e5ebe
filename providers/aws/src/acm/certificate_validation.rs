//! `aws_acm_certificate_validation`: no object in AWS, but a wait. Its create
//! returns once ACM has issued the certificate (after the DNS records of
//! `validation_record_fqdns`, or the email, proved its names), so what uses the
//! certificate (an HTTPS listener) can depend on it. With
//! `validation_record_fqdns`, every record ACM asks for must be among them, or
//! the create says which is missing instead of waiting for nothing.
//!
//! It stays while the certificate is issued: a certificate no longer issued (or
//! gone) makes the next plan create it again, which waits again. Its id is the
//! time the certificate was issued, as Terraform writes it.

use std::time::{Duration, Instant};

use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use aws_sdk_acm::types::CertificateDetail;

use super::describe;
use crate::kit::aws_plan;
use crate::util::{attr_err, s, strings};
use crate::Clients;

pub(crate) struct CertificateValidationType;

/// A record name without its final dot, in lower case (as DNS compares names).
fn fqdn(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Go's `time.Time.String()` of an RFC 3339 time: "2026-11-29 07:32:22 +0000 UTC".
fn go_time(rfc3339: &str) -> String {
    let t = rfc3339.trim_end_matches('Z').replacen('T', " ", 1);
    format!("{t} +0000 UTC")
}

/// The state of a validation whose certificate `d` is issued; `None` otherwise.
fn issued(d: &CertificateDetail, keep: &Value) -> Option<Value> {
    if d.status().map(|x| x.as_str()) != Some("ISSUED") {
        return None;
    }
    let at = crate::iam::date(d.issued_at());
    Some(Value::map([
        (
            "id",
            Value::string(go_time(at.as_str().unwrap_or_default())),
        ),
        (
            "certificate_arn",
            Value::string(d.certificate_arn().unwrap_or_default()),
        ),
        (
            "validation_record_fqdns",
            keep.get_attr("validation_record_fqdns").clone(),
        ),
    ]))
}

#[async_trait::async_trait]
impl ResourceType<Clients> for CertificateValidationType {
    fn schema(&self) -> Schema {
        use AttrType::{Set, String as Str};
        Schema::new("Waits until ACM has issued a certificate. Nothing is made in AWS; refresh is one DescribeCertificate call.")
            .attr(
                "certificate_arn",
                Attribute::required(Str, "The certificate to wait for.").force_new(),
            )
            .attr(
                "validation_record_fqdns",
                Attribute::optional(Set(Box::new(Str)), "The DNS records made for validation: each record ACM asks for must be one of them.").force_new(),
            )
            .attr("id", Attribute::computed(Str, "When the certificate was issued."))
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        aws_plan(schema, req)
    }

    async fn create(&self, c: &Clients, p: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let arn = s(p, "certificate_arn").unwrap_or_default();
        let d = describe(c, &arn)
            .await
            .map_err(|d| vec![d])?
            .ok_or_else(|| {
                vec![attr_err(
                    "certificate_arn",
                    "No such certificate",
                    format!("ACM has no certificate {arn}"),
                )]
            })?;
        let given = p.get_attr("validation_record_fqdns");
        let dns = d
            .domain_validation_options()
            .iter()
            .any(|o| o.validation_method().map(|m| m.as_str()) == Some("DNS"));
        if dns && !given.is_null() {
            let have: Vec<String> = strings(p, "validation_record_fqdns")
                .iter()
                .map(|n| fqdn(n))
                .collect();
            for o in d.domain_validation_options() {
                if let Some(r) = o.resource_record() {
                    if !have.contains(&fqdn(r.name())) {
                        return Err(vec![attr_err(
                            "validation_record_fqdns",
                            "Missing validation record",
                            format!(
                                "ACM proves \"{}\" with the record {} ({} {}), which is not among validation_record_fqdns",
                                o.domain_name(),
                                fqdn(r.name()),
                                r.r#type().as_str(),
                                r.value()
                            ),
                        )]);
                    }
                }
            }
        }
        // The operation's own limit (`timeouts { create }`) stops this earlier.
        let deadline = Instant::now() + Duration::from_secs(75 * 60);
        let mut d = Some(d);
        loop {
            if let Some(v) = d.as_ref().and_then(|d| issued(d, p)) {
                return Ok(Some(v));
            }
            let status = d
                .as_ref()
                .and_then(|d| d.status().map(|x| x.as_str().to_string()))
                .unwrap_or_else(|| "gone".into());
            if status != "PENDING_VALIDATION" || Instant::now() > deadline {
                return Err(vec![attr_err(
                    "certificate_arn",
                    "Certificate not issued",
                    format!("{arn} is {status}: ACM did not issue it"),
                )]);
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            d = describe(c, &arn).await.map_err(|d| vec![d])?;
        }
    }

    async fn delete(
        &self,
        _: &Clients,
        _: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        Ok(())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let arn = s(v, "certificate_arn").unwrap_or_default();
            out.push(
                describe(c, &arn)
                    .await
                    .map(|d| d.and_then(|d| issued(&d, v))),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_the_final_dot_and_case() {
        assert_eq!(fqdn("_x.Example.com."), "_x.example.com");
        assert_eq!(
            go_time("2026-11-29T07:32:22Z"),
            "2026-11-29 07:32:22 +0000 UTC"
        );
    }
}
