//! `data "aws_acm_certificate"`: an existing certificate, by domain, as
//! Terraform's provider finds it: `statuses` (default ISSUED), `types`,
//! `key_types` (default, as ACM lists: RSA_1024 and RSA_2048) and `tags` narrow
//! the certificates for the domain; several left is an error unless
//! `most_recent` picks the last issued (or imported, or made).

use aws_sdk_acm::types::{CertificateDetail, CertificateStatus, Filters, KeyAlgorithm};
use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::describe;
use crate::util::{attr_err, opt_str, s, sdk_err, strings};
use crate::Clients;

pub(crate) struct CertificateData;

/// When a certificate came to be, for `most_recent`: issued, else imported, else made.
fn when(d: &CertificateDetail) -> i64 {
    d.issued_at()
        .or(d.imported_at())
        .or(d.created_at())
        .map_or(i64::MIN, |t| t.secs())
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for CertificateData {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Map, Set, String as Str};
        Schema::new("Finds an existing ACM certificate by domain (ListCertificates, then one DescribeCertificate per certificate for the domain).")
            .attr("domain", Attribute::optional_computed(Str, "The certificate's domain name."))
            .attr(
                "statuses",
                Attribute::optional(List(Box::new(Str)), "Statuses to accept (default [\"ISSUED\"])."),
            )
            .attr(
                "types",
                Attribute::optional(List(Box::new(Str)), "AMAZON_ISSUED, PRIVATE or IMPORTED (default: any)."),
            )
            .attr(
                "key_types",
                Attribute::optional(Set(Box::new(Str)), "Key algorithms to accept (default, as ACM lists: RSA_1024 and RSA_2048)."),
            )
            .attr("most_recent", Attribute::optional(Bool, "Of several, take the last issued instead of failing."))
            .attr(
                "tags",
                Attribute::optional_computed(Map(Box::new(Str)), "Tags the certificate must have (each of them), or its tags."),
            )
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("status", Attribute::computed(Str, "Its status."))
            .attr("certificate", Attribute::computed(Str, "The certificate (PEM), once issued."))
            .attr("certificate_chain", Attribute::computed(Str, "The chain (PEM), once issued."))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let Some(domain) = s(config, "domain") else {
            return Err(vec![attr_err(
                "domain",
                "Nothing to find by",
                "set `domain`",
            )]);
        };
        let mut statuses = strings(config, "statuses");
        if statuses.is_empty() {
            statuses.push("ISSUED".into());
        }
        let key_types = strings(config, "key_types");
        let types = strings(config, "types");
        let want = config.get_attr("tags");
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let page = c
                .acm
                .list_certificates()
                .set_certificate_statuses(Some(
                    statuses
                        .iter()
                        .map(|x| CertificateStatus::from(x.as_str()))
                        .collect(),
                ))
                .set_includes((!key_types.is_empty()).then(|| {
                    Filters::builder()
                        .set_key_types(Some(
                            key_types
                                .iter()
                                .map(|k| KeyAlgorithm::from(k.as_str()))
                                .collect(),
                        ))
                        .build()
                }))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| vec![sdk_err("ListCertificates", e)])?;
            arns.extend(
                page.certificate_summary_list()
                    .iter()
                    .filter(|x| x.domain_name() == Some(domain.as_str()))
                    .filter_map(|x| x.certificate_arn().map(String::from)),
            );
            token = page.next_token().map(String::from);
            if token.is_none() {
                break;
            }
        }
        let mut found = Vec::new();
        for arn in arns {
            let Some(d) = describe(c, &arn).await.map_err(|d| vec![d])? else {
                continue;
            };
            if !types.is_empty()
                && !d
                    .r#type()
                    .is_some_and(|t| types.iter().any(|x| x == t.as_str()))
            {
                continue;
            }
            let tags = super::certificate::tags_of_certificate(c, &arn)
                .await
                .map_err(|d| vec![d])?;
            if crate::util::has_tags(&tags, want) {
                found.push((d, tags));
            }
        }
        if found.len() > 1 && config.get_attr("most_recent").as_bool() == Some(true) {
            found.sort_by_key(|(d, _)| when(d));
            found.drain(..found.len() - 1);
        }
        let [(d, tags)] = &found[..] else {
            return Err(vec![attr_err(
                "domain",
                if found.is_empty() {
                    "No certificate"
                } else {
                    "Several certificates"
                },
                format!(
                    "{} certificates for \"{domain}\" with status {}{}",
                    found.len(),
                    statuses.join(" or "),
                    if found.is_empty() {
                        ""
                    } else {
                        ": set most_recent = true to take the last issued"
                    }
                ),
            )]);
        };
        let arn = d.certificate_arn().unwrap_or_default().to_string();
        // The PEM is there only once the certificate is issued.
        let (body, chain) = match c.acm.get_certificate().certificate_arn(&arn).send().await {
            Ok(o) => (opt_str(o.certificate()), opt_str(o.certificate_chain())),
            Err(_) => (Value::Null, Value::Null),
        };
        Ok(Value::map([
            ("id", Value::string(arn.clone())),
            ("arn", Value::string(arn)),
            ("domain", Value::string(domain)),
            ("status", opt_str(d.status().map(|x| x.as_str()))),
            ("certificate", body),
            ("certificate_chain", chain),
            ("tags", tags.clone()),
            ("statuses", config.get_attr("statuses").clone()),
            ("types", config.get_attr("types").clone()),
            ("key_types", config.get_attr("key_types").clone()),
            ("most_recent", config.get_attr("most_recent").clone()),
        ]))
    }
}
