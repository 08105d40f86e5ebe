//! AWS Certificate Manager: `aws_acm_certificate` (a certificate ACM issues, with
//! the DNS records that prove the domains) and `aws_acm_certificate_validation`
//! (waits until it is issued).

pub(crate) mod certificate;
pub(crate) mod certificate_validation;
pub(crate) mod data_certificate;

use aws_sdk_acm::types::CertificateDetail;

use crate::util::{err_code, sdk_err};
use crate::Clients;
use iac_provider::AttrDiagnostic;

/// A certificate by ARN; `None` when ACM has none.
pub(crate) async fn describe(
    c: &Clients,
    arn: &str,
) -> Result<Option<CertificateDetail>, AttrDiagnostic> {
    match c
        .acm
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(o) => Ok(o.certificate().cloned()),
        Err(e) if err_code(&e).is_some_and(|c| c.contains("ResourceNotFound")) => Ok(None),
        Err(e) => Err(sdk_err("DescribeCertificate", e)),
    }
}
