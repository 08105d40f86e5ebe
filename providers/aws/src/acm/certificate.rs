//! `aws_acm_certificate`: a public certificate ACM issues for a domain and its
//! alternative names, proven by DNS records (`validation_method = "DNS"`, whose
//! records are in `domain_validation_options`) or by email; or a certificate of
//! one's own imported into ACM (`certificate_body`, `private_key`, and
//! `certificate_chain`), re-imported in place when they change. The private key
//! is a secret: state and plans keep only its fingerprint (Terraform's state
//! holds it in plaintext).
//!
//! The plan knows `domain_validation_options`' domain names before the request
//! (the records are known after it), so the records can be made with `for_each`
//! over them, as Terraform configurations do. Refresh takes one
//! `DescribeCertificate` and one `ListTagsForCertificate` call per certificate:
//! ACM has no batch read.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_acm::types::{CertificateDetail, DomainValidationOption, Tag};
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Nesting, PlanRequest,
    PlanResponse, Schema,
};
use iac_value::Value;

use super::describe;
use crate::kit::aws_plan_with;
use crate::schema::{nested, tags};
use crate::util::{
    attr_err, err_code, first, opt_str, s, sdk_err, set, str_set, strings, tag_change, tags_of,
};
use crate::Clients;

pub(crate) struct CertificateType;

/// The names a certificate is for: its domain and alternative names, once each, sorted.
fn names(domain: Option<String>, sans: Vec<String>) -> Vec<String> {
    let all: BTreeSet<String> = domain.into_iter().chain(sans).collect();
    all.into_iter().collect()
}

fn validation_options(d: &CertificateDetail) -> Value {
    Value::set(
        d.domain_validation_options()
            .iter()
            .filter_map(|o| {
                let r = o.resource_record()?;
                Some(Value::map([
                    ("domain_name", Value::string(o.domain_name())),
                    ("resource_record_name", Value::string(r.name())),
                    ("resource_record_type", Value::string(r.r#type().as_str())),
                    ("resource_record_value", Value::string(r.value())),
                ]))
            })
            .collect(),
    )
}

fn certificate_value(d: &CertificateDetail, tags: Value) -> Value {
    let arn = d.certificate_arn().unwrap_or_default();
    let method = d
        .domain_validation_options()
        .first()
        .and_then(|o| o.validation_method())
        .map(|m| m.as_str().to_string());
    let emails: Vec<String> = d
        .domain_validation_options()
        .iter()
        .flat_map(|o| o.validation_emails().iter().cloned())
        .collect();
    let renewal = match d.renewal_summary() {
        None => Value::List(Vec::new()),
        Some(r) => Value::List(vec![Value::map([
            ("renewal_status", Value::string(r.renewal_status().as_str())),
            (
                "renewal_status_reason",
                opt_str(r.renewal_status_reason().map(|x| x.as_str())),
            ),
            ("updated_at", crate::iam::date(Some(r.updated_at()))),
        ])]),
    };
    Value::map([
        ("id", Value::string(arn)),
        ("arn", Value::string(arn)),
        ("domain_name", opt_str(d.domain_name())),
        (
            "subject_alternative_names",
            str_set(d.subject_alternative_names().to_vec()),
        ),
        ("validation_method", opt_str(method.as_deref())),
        (
            "key_algorithm",
            opt_str(d.key_algorithm().map(|k| k.as_str())),
        ),
        ("domain_validation_options", validation_options(d)),
        (
            "validation_emails",
            Value::List(emails.into_iter().map(Value::string).collect()),
        ),
        (
            "options",
            Value::List(vec![Value::map([(
                "certificate_transparency_logging_preference",
                // The only setting AWS still allows (opting out ended).
                Value::string("ENABLED"),
            )])]),
        ),
        (
            "certificate_authority_arn",
            opt_str(d.certificate_authority_arn()),
        ),
        ("status", opt_str(d.status().map(|x| x.as_str()))),
        ("type", opt_str(d.r#type().map(|x| x.as_str()))),
        ("not_after", crate::iam::date(d.not_after())),
        ("not_before", crate::iam::date(d.not_before())),
        (
            "renewal_eligibility",
            opt_str(d.renewal_eligibility().map(|x| x.as_str())),
        ),
        (
            "pending_renewal",
            Value::Bool(
                d.renewal_summary()
                    .is_some_and(|r| r.renewal_status().as_str() == "PENDING_AUTO_RENEWAL"),
            ),
        ),
        ("renewal_summary", renewal),
        ("tags", tags),
    ])
}

/// A certificate's tags as ACM has them (iac's own among them).
async fn acm_tags_of(c: &Clients, arn: &str) -> Result<Vec<Tag>, AttrDiagnostic> {
    let out = c
        .acm
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
        .map_err(|e| sdk_err("ListTagsForCertificate", e))?;
    Ok(out.tags().to_vec())
}

/// A certificate's tags as configured (see `util::tag_map`).
pub(crate) async fn tags_of_certificate(c: &Clients, arn: &str) -> Result<Value, AttrDiagnostic> {
    let tags = acm_tags_of(c, arn).await?;
    Ok(crate::util::tag_map(
        tags.iter().map(|t| (Some(t.key()), t.value())),
    ))
}

async fn read_one(c: &Clients, arn: &str, keep: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(d) = describe(c, arn).await? else {
        return Ok(None);
    };
    let tags = tags_of_certificate(c, arn).await?;
    let mut v = certificate_value(&d, tags);
    // What the request asked for by email, as configured (ACM does not say).
    // Imported and private certificates prove nothing: NONE, as Terraform has it.
    if matches!(d.r#type().map(|t| t.as_str()), Some("IMPORTED" | "PRIVATE")) {
        set(&mut v, "validation_method", Value::string("NONE"));
    }
    // What was imported, as configured: ACM never gives the key back.
    for k in ["certificate_body", "certificate_chain", "private_key"] {
        set(&mut v, k, keep.get_attr(k).clone());
    }
    let asked = match keep.get_attr("validation_option") {
        Value::Null => Value::Set(Vec::new()),
        v => v.clone(),
    };
    set(&mut v, "validation_option", asked);
    Ok(Some(v))
}

/// The certificate, once ACM has written the DNS records that prove its names
/// (they appear a few seconds after the request).
async fn wait_for_records(
    c: &Clients,
    arn: &str,
    dns: bool,
) -> Result<CertificateDetail, AttrDiagnostic> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let d = describe(c, arn).await?.ok_or_else(|| {
            AttrDiagnostic::error(Vec::new(), "Certificate disappeared", arn.to_string())
        })?;
        let ready = !dns
            || (!d.domain_validation_options().is_empty()
                && d.domain_validation_options()
                    .iter()
                    .all(|o| o.resource_record().is_some()));
        if ready {
            return Ok(d);
        }
        if Instant::now() > deadline {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "No validation records",
                format!("ACM gave {arn} no DNS validation records within 5 minutes"),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Tags as ACM takes them.
fn acm_tags(tags: std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Imports `p`'s certificate (again, into `arn`, when given); its ARN. The key
/// comes from the configuration (`config`): the plan holds only its fingerprint
/// when it did not change, and ACM wants it with every import. A first import is
/// tagged with the plan's token, so a retry finds it (`adopt_import`).
async fn import(
    c: &Clients,
    (p, config): (&Value, &Value),
    arn: Option<&str>,
    token: Option<&str>,
) -> Result<String, Vec<AttrDiagnostic>> {
    let key = crate::util::plaintext(config, "private_key").map_err(|d| vec![d])?;
    let bytes = |k: &str| s(p, k).map(|x| aws_sdk_acm::primitives::Blob::new(x.into_bytes()));
    let mut t = tags_of(p);
    if let Some(token) = token {
        t.insert(crate::ec2::TOKEN_TAG.to_string(), token.to_string());
    }
    let t = acm_tags(t);
    let out = c
        .acm
        .import_certificate()
        .set_certificate_arn(arn.map(String::from))
        .set_certificate(bytes("certificate_body"))
        .set_private_key(key.map(|k| aws_sdk_acm::primitives::Blob::new(k.into_bytes())))
        .set_certificate_chain(bytes("certificate_chain"))
        // Tags go with a first import only (ACM refuses them on a re-import).
        .set_tags((arn.is_none() && !t.is_empty()).then_some(t))
        .send()
        .await
        .map_err(|e| vec![sdk_err("ImportCertificate", e)])?;
    Ok(out.certificate_arn().unwrap_or_default().to_string())
}

/// The certificate an earlier try of this create imported (it carries the
/// plan's token), if any.
async fn adopt_import(c: &Clients, token: &str) -> Result<Option<String>, AttrDiagnostic> {
    let mut next = None;
    loop {
        let page = c
            .acm
            .list_certificates()
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| sdk_err("ListCertificates", e))?;
        for arn in page
            .certificate_summary_list()
            .iter()
            .filter(|x| x.r#type().map(|t| t.as_str()) == Some("IMPORTED"))
            .filter_map(|x| x.certificate_arn())
        {
            if acm_tags_of(c, arn)
                .await?
                .iter()
                .any(|t| t.key() == crate::ec2::TOKEN_TAG && t.value() == Some(token))
            {
                return Ok(Some(arn.to_string()));
            }
        }
        next = page.next_token().map(String::from);
        if next.is_none() {
            return Ok(None);
        }
    }
}

#[async_trait::async_trait]
impl ResourceType<Clients> for CertificateType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, List, Map, Set, String as Str};
        let strings = || Set(Box::new(Str));
        let records = || Set(Box::new(Map(Box::new(Str))));
        Schema::new("A public certificate ACM issues (validated by DNS or email). Refresh is one DescribeCertificate and one ListTagsForCertificate call per certificate: ACM has no batch read.")
            .attr(
                "domain_name",
                Attribute::optional_computed(Str, "The domain to request a certificate for (an imported one's is read from it).").force_new(),
            )
            .attr(
                "subject_alternative_names",
                Attribute::optional_computed(strings(), "More names it is for (the domain is always one).").force_new(),
            )
            .attr(
                "validation_method",
                Attribute::optional_computed(Str, "DNS or EMAIL: how ownership of the names is proven (NONE for an imported certificate).").force_new(),
            )
            .attr(
                "certificate_authority_arn",
                Attribute::optional(Str, "An AWS Private CA to issue a private certificate (no validation_method).").force_new(),
            )
            .attr(
                "certificate_body",
                Attribute::optional(Str, "A certificate of one's own to import (PEM)."),
            )
            .attr(
                "certificate_chain",
                Attribute::optional(Str, "Its chain (PEM)."),
            )
            .attr(
                "private_key",
                Attribute::optional(Str, "Its private key (PEM); kept only as a fingerprint.").sensitive(),
            )
            .attr(
                "key_algorithm",
                Attribute::optional_computed(Str, "RSA_2048 (default), RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1 or EC_secp521r1.").force_new(),
            )
            .block(
                "options",
                nested(
                    Nesting::List,
                    0,
                    Some(1),
                    Schema::new("Certificate options.").attr(
                        "certificate_transparency_logging_preference",
                        Attribute::optional_computed(Str, "ENABLED, the only value AWS still accepts (certificate transparency logging can no longer be turned off)."),
                    ),
                ),
            )
            .block(
                "validation_option",
                nested(
                    Nesting::Set,
                    0,
                    None,
                    Schema::new("Where validation email for a name goes (EMAIL validation).")
                        .attr("domain_name", Attribute::required(Str, "A name of the certificate.").force_new())
                        .attr("validation_domain", Attribute::required(Str, "The domain the email goes to.").force_new()),
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr(
                "domain_validation_options",
                Attribute::computed(
                    records(),
                    "DNS validation: for each name, the record that proves it (domain_name, resource_record_name, resource_record_type, resource_record_value). Domain names are known at plan time.",
                ),
            )
            .attr("validation_emails", Attribute::computed(List(Box::new(Str)), "Where validation email was sent."))
            .attr("status", Attribute::computed(Str, "PENDING_VALIDATION, ISSUED, ..."))
            .attr("type", Attribute::computed(Str, "AMAZON_ISSUED."))
            .attr("not_after", Attribute::computed(Str, "End of validity (RFC 3339)."))
            .attr("not_before", Attribute::computed(Str, "Start of validity (RFC 3339)."))
            .attr("renewal_eligibility", Attribute::computed(Str, "ELIGIBLE or INELIGIBLE."))
            .attr("pending_renewal", Attribute::computed(Bool, "Whether ACM is renewing it."))
            .attr(
                "renewal_summary",
                Attribute::computed(List(Box::new(Map(Box::new(Str)))), "The renewal under way, if any."),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        let given = |k: &str| !config.get_attr(k).is_null();
        if given("certificate_body") || given("private_key") {
            for k in ["certificate_body", "private_key"] {
                if !given(k) {
                    out.push(attr_err(k, "Missing argument", format!("an imported certificate needs `certificate_body` and `private_key`; `{k}` is not set")));
                }
            }
            for k in [
                "domain_name",
                "validation_method",
                "subject_alternative_names",
            ] {
                if given(k) {
                    out.push(attr_err(k, "Conflicting arguments", format!("`{k}` is for requesting a certificate from ACM; an imported one (`certificate_body`) has its names in it")));
                }
            }
        } else if given("certificate_authority_arn") {
            if !given("domain_name") {
                out.push(attr_err(
                    "domain_name",
                    "Missing argument",
                    "set `domain_name` to request a private certificate",
                ));
            }
            if given("validation_method") {
                out.push(attr_err("validation_method", "Conflicting arguments", "a private certificate (`certificate_authority_arn`) is issued by the CA, not validated: remove `validation_method`"));
            }
        } else {
            for k in ["domain_name", "validation_method"] {
                if !given(k) {
                    out.push(attr_err(k, "Missing argument", format!("set `{k}` to request a certificate (or `certificate_body` and `private_key` to import one, or `certificate_authority_arn` for a private one)")));
                }
            }
        }
        if let Some(m) = config.get_attr("validation_method").as_str() {
            if m != "DNS" && m != "EMAIL" {
                out.push(attr_err(
                    "validation_method",
                    "Invalid value",
                    format!("\"{m}\": DNS or EMAIL (a private certificate names its certificate_authority_arn instead)"),
                ));
            }
        }
        if let Some(k) = config.get_attr("key_algorithm").as_str() {
            const KEYS: [&str; 6] = [
                "RSA_2048",
                "RSA_3072",
                "RSA_4096",
                "EC_prime256v1",
                "EC_secp384r1",
                "EC_secp521r1",
            ];
            if !KEYS.contains(&k) {
                out.push(attr_err(
                    "key_algorithm",
                    "Invalid value",
                    format!("\"{k}\": one of {}", KEYS.join(", ")),
                ));
            }
        }
        if let Some(p) = first(config, "options")
            .get_attr("certificate_transparency_logging_preference")
            .as_str()
        {
            if p != "ENABLED" {
                out.push(attr_err("options", "Not allowed", format!("certificate_transparency_logging_preference \"{p}\": AWS no longer lets a certificate opt out of certificate transparency logging; only \"ENABLED\" is accepted")));
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let c = req.config;
        // An imported certificate's names are in it: nothing to shape.
        let known = !c.get_attr("domain_name").is_null()
            && c.get_attr("domain_name").is_wholly_known()
            && c.get_attr("subject_alternative_names").is_wholly_known();
        let all = names(s(c, "domain_name"), strings(c, "subject_alternative_names"));
        let shape = |planned: &mut Value| {
            // The domain is one of the names, as AWS reports them.
            if known {
                set(planned, "subject_alternative_names", str_set(all.clone()));
            }
            // Transparency logging is on whether or not the block is written.
            set(
                planned,
                "options",
                Value::List(vec![Value::map([(
                    "certificate_transparency_logging_preference",
                    Value::string("ENABLED"),
                )])]),
            );
        };
        let mut r = aws_plan_with(schema, req, &shape, &|_, _| {});
        let new = req.prior.is_none() || !r.requires_replace.is_empty();
        if new && known && c.get_attr("validation_method").as_str() == Some("DNS") {
            // Which names get a record is known now; the records after the request.
            set(
                &mut r.planned,
                "domain_validation_options",
                Value::set(
                    all.iter()
                        .map(|n| {
                            Value::map([
                                ("domain_name", Value::string(n.clone())),
                                ("resource_record_name", Value::Unknown),
                                ("resource_record_type", Value::Unknown),
                                ("resource_record_value", Value::Unknown),
                            ])
                        })
                        .collect(),
                ),
            );
        }
        r
    }

    /// ACM takes an idempotency token: a retried request returns the first
    /// certificate instead of making another.
    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        if !p.get_attr("certificate_body").is_null() {
            let arn = match adopt_import(c, req.idempotency_token)
                .await
                .map_err(|d| vec![d])?
            {
                Some(arn) => arn,
                None => import(c, (p, req.config), None, Some(req.idempotency_token)).await?,
            };
            return read_one(c, &arn, p).await.map_err(|d| vec![d]);
        }
        let domain = s(p, "domain_name").unwrap_or_default();
        let sans: Vec<String> = strings(p, "subject_alternative_names");
        let private = s(p, "certificate_authority_arn");
        let method = s(p, "validation_method").unwrap_or_else(|| "DNS".into());
        let token: String = req
            .idempotency_token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(32)
            .collect();
        let email: Vec<DomainValidationOption> = p
            .get_attr("validation_option")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .filter_map(|o| {
                DomainValidationOption::builder()
                    .domain_name(s(o, "domain_name")?)
                    .validation_domain(s(o, "validation_domain")?)
                    .build()
                    .ok()
            })
            .collect();
        let t = acm_tags(tags_of(p));
        let out = c
            .acm
            .request_certificate()
            .domain_name(&domain)
            .set_subject_alternative_names((!sans.is_empty()).then_some(sans))
            .set_validation_method(private.is_none().then(|| method.as_str().into()))
            .set_certificate_authority_arn(private.clone())
            .set_key_algorithm(s(p, "key_algorithm").map(|k| k.as_str().into()))
            .set_domain_validation_options((!email.is_empty()).then_some(email))
            .idempotency_token(token)
            .set_tags((!t.is_empty()).then_some(t))
            .send()
            .await
            .map_err(|e| vec![sdk_err("RequestCertificate", e)])?;
        let arn = out.certificate_arn().unwrap_or_default().to_string();
        wait_for_records(c, &arn, private.is_none() && method == "DNS")
            .await
            .map_err(|d| vec![d])?;
        read_one(c, &arn, p).await.map_err(|d| vec![d])
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let arn = s(old, "arn").unwrap_or_default();
        let changed = |k: &str| !crate::util::same(old.get_attr(k), p.get_attr(k));
        let mut tagged = old.clone();
        if changed("certificate_body") || changed("certificate_chain") || changed("private_key") {
            import(c, (p, req.config), Some(&arn), None).await?;
            // Tags are compared with what the certificate has after the import
            // (not every ACM keeps them across one).
            let now = tags_of_certificate(c, &arn).await.map_err(|d| vec![d])?;
            set(&mut tagged, "tags", now);
        }
        if let Some((gone, now)) = tag_change(&tagged, p) {
            if !gone.is_empty() {
                let keys: Vec<Tag> = gone
                    .into_iter()
                    .filter_map(|k| Tag::builder().key(k).build().ok())
                    .collect();
                c.acm
                    .remove_tags_from_certificate()
                    .certificate_arn(&arn)
                    .set_tags(Some(keys))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("RemoveTagsFromCertificate", e)])?;
            }
            if !now.is_empty() {
                let t = acm_tags(now);
                c.acm
                    .add_tags_to_certificate()
                    .certificate_arn(&arn)
                    .set_tags(Some(t))
                    .send()
                    .await
                    .map_err(|e| vec![sdk_err("AddTagsToCertificate", e)])?;
            }
        }
        read_one(c, &arn, p).await.map_err(|d| vec![d])
    }

    /// A certificate still attached to a load balancer cannot be deleted: ACM is
    /// asked again for a while (a listener deleted in the same apply lets go of it
    /// a little later).
    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let arn = s(old, "arn").unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            match c
                .acm
                .delete_certificate()
                .certificate_arn(&arn)
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if err_code(&e).is_some_and(|c| c.contains("ResourceNotFound")) => {
                    return Ok(())
                }
                Err(e)
                    if err_code(&e).is_some_and(|c| c.contains("ResourceInUse"))
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                Err(e) => return Err(vec![sdk_err("DeleteCertificate", e)]),
            }
        }
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::with_capacity(current.len());
        for v in current {
            let arn = s(v, "arn").or_else(|| s(v, "id")).unwrap_or_default();
            out.push(read_one(c, &arn, v).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_is_one_of_the_names_once() {
        assert_eq!(
            names(
                Some("example.com".into()),
                vec!["www.example.com".into(), "example.com".into()]
            ),
            vec!["example.com".to_string(), "www.example.com".to_string()]
        );
        assert_eq!(names(None, Vec::new()), Vec::<String>::new());
    }
}
