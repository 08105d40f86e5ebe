//! The per-resource `region` of the AWS provider 6 ("enhanced region
//! support"), which configurations and modules written for it pass everywhere
//! (`region = var.region`, null unless the caller sets it). Every regional type
//! takes it: the object lives in that region, and every call for it (create,
//! update, delete, refresh) goes through the provider configuration's
//! credentials and settings aimed at that region. Left out, the object is in the
//! configuration's region, as before. State keeps what was written (null when
//! nothing was), and null and the configuration's own region are the same
//! region: a state Terraform 6 wrote (`"us-east-1"` on every object) plans no
//! change under a configuration that leaves it out. Another region replaces the
//! object, as in Terraform. Global services (IAM, Route 53) and the
//! computed-only data sources have no region.

use iac_provider::{AttrType, Attribute, ProviderSchema};
use iac_value::Value;

/// Types that are not in a region (as in the AWS provider 6), or that are iac's own.
const GLOBAL: &[&str] = &[
    "aws_iam_",
    "aws_route53_",
    "aws_caller_identity",
    "aws_partition",
    "aws_canonical_user_id",
    "deployment",
];

const ABOUT: &str = "The region the object is in (AWS provider 6): the provider configuration's when unset; another region replaces it.";

fn global(type_name: &str) -> bool {
    GLOBAL.iter().any(|g| type_name.starts_with(g))
}

/// Adds `region` to every regional type that does not have one.
pub(crate) fn add(s: &mut ProviderSchema) {
    for (name, schema) in s.resources.iter_mut() {
        // A bucket's computed region becomes settable, as in the provider 6.
        if let Some(a) = schema.attributes.get_mut("region") {
            if !global(name) && a.computed && !a.optional {
                a.optional = true;
                a.force_new = true;
                a.description = "The region the bucket is in (AWS provider 6): the provider configuration's when unset; another region replaces it.";
            }
            continue;
        }
        if !global(name) {
            schema.attributes.insert(
                "region".to_string(),
                Attribute::optional(AttrType::String, ABOUT).force_new(),
            );
        }
    }
    for (name, schema) in s.data_sources.iter_mut() {
        // A computed region (a bucket's) becomes the region to look in too.
        if let Some(a) = schema.attributes.get_mut("region") {
            if !global(name) && a.computed && !a.optional {
                a.optional = true;
            }
            continue;
        }
        if !global(name) {
            schema.attributes.insert(
                "region".to_string(),
                Attribute::optional(
                    AttrType::String,
                    "The region to look in (AWS provider 6): the provider configuration's when unset.",
                ),
            );
        }
    }
}

/// The region an object or a data source's configuration names, if any.
pub(crate) fn of(v: &Value) -> Option<&str> {
    v.get_attr("region").as_str().filter(|r| !r.is_empty())
}

/// The configuration to plan with: where it names the object's region
/// differently from state (null for the configuration's own region, or that
/// region by name), it takes state's spelling, so the same region is no change;
/// another region is left to replace the object.
pub(crate) fn same_region_as_prior(
    configured: impl FnOnce() -> Option<String>,
    prior: Option<&Value>,
    config: &Value,
) -> Option<Value> {
    let prior = prior?;
    let written = config.get_attr("region");
    // Most objects: written as state has it (null and null), nothing to ask.
    if written.is_unknown() || written == prior.get_attr("region") {
        return None;
    }
    let configured = configured()?;
    let effective = |v: &Value| of(v).unwrap_or(&configured).to_string();
    if effective(prior) != effective(config) {
        return None;
    }
    let mut out = config.clone();
    if let Value::Map(m) = &mut out {
        m.insert("region".to_string(), prior.get_attr("region").clone());
    }
    Some(out)
}
