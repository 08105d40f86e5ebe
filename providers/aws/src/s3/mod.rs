//! S3: buckets and the settings Terraform keeps as resources of their own
//! (versioning, public access block, policy, ownership controls, default
//! encryption), a file each. Each setting resource's id is its bucket's name, as
//! in Terraform, and `iac import` takes that.
//!
//! S3 has no batch read of settings: refresh lists the buckets once (one
//! `ListBuckets`) and reads each setting with one call per bucket.

pub(crate) mod bucket;
pub(crate) mod bucket_inline;
pub(crate) mod data_bucket;
pub(crate) mod data_canonical_user;
pub(crate) mod object;
pub(crate) mod ownership_controls;
pub(crate) mod policy;
pub(crate) mod public_access_block;
pub(crate) mod regions;
pub(crate) mod replication;
pub(crate) mod sse;
pub(crate) mod versioning;

use std::collections::BTreeSet;

use iac_provider::AttrDiagnostic;
use iac_value::Value;

use crate::util::{err_code, s, sdk_err};
use crate::Clients;

/// Codes S3 gives for a bucket that does not exist.
pub(crate) fn no_bucket(code: &Option<String>) -> bool {
    matches!(code.as_deref(), Some("NoSuchBucket" | "NotFound" | "404"))
}

/// The names of the buckets the caller owns (one `ListBuckets`, paged).
pub(crate) async fn bucket_names(c: &Clients) -> Result<BTreeSet<String>, AttrDiagnostic> {
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page =
            c.s3.list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(|e| sdk_err("ListBuckets", e))?;
        names.extend(
            page.buckets()
                .iter()
                .filter_map(|b| b.name().map(String::from)),
        );
        token = page.continuation_token().map(String::from);
        if token.is_none() {
            return Ok(names);
        }
    }
}

/// The bucket a setting resource belongs to (from state or an import id).
pub(crate) fn bucket_of(v: &Value) -> String {
    s(v, "bucket").or_else(|| s(v, "id")).unwrap_or_default()
}

/// Reads one setting of every bucket in `current`: `read` gives the setting's
/// value, or `None` when the bucket has none (the resource is gone).
pub(crate) async fn read_settings<F, Fut>(
    c: &Clients,
    current: &[Value],
    read: F,
) -> Vec<Result<Option<Value>, AttrDiagnostic>>
where
    F: Fn(String, Value) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Value>, AttrDiagnostic>>,
{
    let names = match bucket_names(c).await {
        Ok(n) => n,
        Err(d) => return current.iter().map(|_| Err(d.clone())).collect(),
    };
    let mut out = Vec::with_capacity(current.len());
    for v in current {
        let bucket = bucket_of(v);
        if !names.contains(&bucket) {
            out.push(Ok(None));
            continue;
        }
        out.push(read(bucket, v.clone()).await);
    }
    out
}

/// A delete that finds the bucket (or the setting) already gone is done.
pub(crate) fn gone_ok<T, E>(
    what: &str,
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    missing: &[&str],
) -> Result<(), Vec<AttrDiagnostic>>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(_) => Ok(()),
        Err(e) => {
            let code = err_code(&e);
            if no_bucket(&code) || code.as_deref().is_some_and(|c| missing.contains(&c)) {
                Ok(())
            } else {
                Err(vec![sdk_err(what, e)])
            }
        }
    }
}
