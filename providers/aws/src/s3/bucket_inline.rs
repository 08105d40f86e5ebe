//! The settings `aws_s3_bucket` took inline before Terraform's AWS provider 4.0
//! gave each a resource of its own, still in older configurations: `acl`,
//! `policy`, `versioning`, `server_side_encryption_configuration`, `cors_rule`,
//! `website`, `logging`, `lifecycle_rule`, `object_lock_configuration`, `grant`,
//! `replication_configuration` (its own file, `replication.rs`). As in the provider (where they are
//! Optional and Computed), one the configuration does not write is left to
//! whatever manages it (usually its own resource): not read, not changed, not
//! removed. One it writes is applied on create and on change, and read back.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketCannedAcl, BucketLifecycleConfiguration,
    BucketLoggingStatus, BucketVersioningStatus, CorsConfiguration, CorsRule, ErrorDocument,
    ExpirationStatus, IndexDocument, LifecycleExpiration, LifecycleRule, LifecycleRuleAndOperator,
    LifecycleRuleFilter, LoggingEnabled, MfaDelete, NoncurrentVersionExpiration,
    NoncurrentVersionTransition, RedirectAllRequestsTo, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Transition, TransitionStorageClass, VersioningConfiguration, WebsiteConfiguration,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting, Schema};
use iac_value::Value;

use super::{err_code, no_bucket};
use crate::util::{int, opt_str, s, sdk_err, set, written};
use crate::Clients;

/// The inline blocks, in the order they are applied.
pub(crate) const BLOCKS: &[&str] = &[
    "versioning",
    "server_side_encryption_configuration",
    "cors_rule",
    "website",
    "logging",
    "lifecycle_rule",
    "object_lock_configuration",
    "grant",
    super::replication::NAME,
];

/// A retention's days or years: a count, or none.
fn count(n: Option<i32>) -> Value {
    n.filter(|n| *n > 0)
        .map_or(Value::Null, |n| Value::num(f64::from(n)))
}

/// Whether a bucket's configuration asks for Object Lock inline.
pub(crate) fn object_lock_inline(v: &Value) -> bool {
    first(v, "object_lock_configuration")
        .is_some_and(|b| s(&b, "object_lock_enabled").as_deref() == Some("Enabled"))
}

/// Checks the inline grants: not with `acl`, each grantee named as its type wants.
fn validate_grants(config: &Value) -> Vec<AttrDiagnostic> {
    let grants = items(config, "grant");
    let mut out = Vec::new();
    if !grants.is_empty() && written(config, "acl") {
        out.push(AttrDiagnostic::error(
            vec![iac_value::PathStep::Key("grant".into())],
            "Conflicting arguments",
            "set `acl` or `grant` blocks, not both",
        ));
    }
    for g in &grants {
        let ok = match s(g, "type").as_deref() {
            Some("CanonicalUser") => !g.get_attr("id").is_null(),
            Some("Group") => !g.get_attr("uri").is_null(),
            _ => false,
        };
        if !ok && g.is_wholly_known() {
            out.push(AttrDiagnostic::error(
                vec![iac_value::PathStep::Key("grant".into())],
                "Invalid grant",
                "a grant is type = \"CanonicalUser\" with an id, or type = \"Group\" with a uri",
            ));
        }
    }
    out
}

/// Checks the inline Object Lock block (a retention needs the lock, and is days
/// or years) and grants.
pub(crate) fn validate(config: &Value) -> Vec<AttrDiagnostic> {
    let mut out = validate_grants(config);
    out.extend(super::replication::validate(config));
    let Some(b) = first(config, "object_lock_configuration") else {
        return out;
    };
    let at = |names: &[&str]| -> Vec<iac_value::PathStep> {
        let mut p = vec![
            iac_value::PathStep::Key("object_lock_configuration".into()),
            iac_value::PathStep::Index(0),
        ];
        p.extend(
            names
                .iter()
                .map(|n| iac_value::PathStep::Key(n.to_string())),
        );
        p
    };
    if let Some(e) = s(&b, "object_lock_enabled").filter(|e| e != "Enabled") {
        out.push(AttrDiagnostic::error(
            at(&["object_lock_enabled"]),
            "Invalid value",
            format!("\"{e}\": object_lock_enabled is \"Enabled\" (leave it out for no lock)"),
        ));
    }
    let retention = first(&b, "rule").and_then(|r| first(&r, "default_retention"));
    if let Some(d) = retention {
        if d.get_attr("days").is_null() == d.get_attr("years").is_null() {
            out.push(AttrDiagnostic::error(
                at(&["rule"]),
                "Invalid default retention",
                "give `days` or `years`, one of them",
            ));
        }
        if !object_lock_inline(config) {
            out.push(AttrDiagnostic::error(
                at(&["rule"]),
                "Object Lock not enabled",
                "a default retention needs object_lock_enabled = \"Enabled\"",
            ));
        }
    }
    out
}

fn block(nesting: Nesting, max: Option<usize>, schema: Schema) -> NestedBlock {
    NestedBlock {
        nesting,
        min_items: 0,
        max_items: max,
        force_new: false,
        block: schema,
    }
}

fn strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

/// The inline grants and Object Lock (see `schema`).
fn access_schema(s: Schema) -> Schema {
    use AttrType::{Number as Num, String as Str};
    let opt = Attribute::optional;
    s.block(
        "grant",
        block(
            Nesting::Set,
            None,
            Schema::new("A grant of the bucket's ACL (deprecated inline; aws_s3_bucket_acl in Terraform; not with acl).")
                .attr("type", Attribute::required(Str, "CanonicalUser (with id) or Group (with uri)."))
                .attr("id", opt(Str, "The canonical user id (data.aws_canonical_user_id)."))
                .attr("uri", opt(Str, "The group's URI (http://acs.amazonaws.com/groups/s3/LogDelivery, ...)."))
                .attr(
                    "permissions",
                    Attribute::required(
                        AttrType::Set(Box::new(Str)),
                        "READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.",
                    ),
                ),
        ),
    )
    .block(
        "object_lock_configuration",
        block(
            Nesting::List,
            Some(1),
            Schema::new("Object Lock (deprecated inline; aws_s3_bucket_object_lock_configuration in Terraform).")
                .attr("object_lock_enabled", opt(Str, "\"Enabled\": the bucket has Object Lock (a new bucket is made with it)."))
                .block(
                    "rule",
                    block(
                        Nesting::List,
                        Some(1),
                        Schema::new("The retention new objects get.").block(
                            "default_retention",
                            NestedBlock {
                                nesting: Nesting::List,
                                min_items: 1,
                                max_items: Some(1),
                                force_new: false,
                                block: Schema::new("Default retention.")
                                    .attr("mode", Attribute::required(Str, "GOVERNANCE or COMPLIANCE."))
                                    .attr("days", opt(Num, "Days of retention (or years)."))
                                    .attr("years", opt(Num, "Years of retention (or days).")),
                            },
                        ),
                    ),
                ),
        ),
    )
}

/// Adds the inline settings to the bucket's schema.
pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Number as Num, String as Str};
    let opt = Attribute::optional;
    let oc = Attribute::optional_computed;
    super::replication::schema(access_schema(s)).attr(
        "acl",
        opt(Str, "Canned ACL: private, public-read, ... (deprecated inline; aws_s3_bucket_acl in Terraform)."),
    )
    .attr(
        "policy",
        opt(Str, "Bucket policy, compared as JSON (deprecated inline; prefer aws_s3_bucket_policy)."),
    )
    .block(
        "versioning",
        block(
            Nesting::List,
            Some(1),
            Schema::new("Versioning (deprecated inline; prefer aws_s3_bucket_versioning).")
                .attr("enabled", oc(Bool, "Keep every version of every object."))
                .attr("mfa_delete", oc(Bool, "Require MFA to delete versions.")),
        ),
    )
    .block(
        "server_side_encryption_configuration",
        block(
            Nesting::List,
            Some(1),
            Schema::new("Default encryption (deprecated inline; prefer aws_s3_bucket_server_side_encryption_configuration).")
                .block(
                    "rule",
                    block(
                        Nesting::List,
                        Some(1),
                        Schema::new("The rule.")
                            .block(
                                "apply_server_side_encryption_by_default",
                                block(
                                    Nesting::List,
                                    Some(1),
                                    Schema::new("What new objects are encrypted with.")
                                        .attr("sse_algorithm", Attribute::required(Str, "AES256, aws:kms or aws:kms:dsse."))
                                        .attr("kms_master_key_id", opt(Str, "KMS key for aws:kms.")),
                                ),
                            )
                            .attr("bucket_key_enabled", oc(Bool, "Use an S3 Bucket Key for KMS.")),
                    ),
                ),
        ),
    )
    .block(
        "cors_rule",
        block(
            Nesting::List,
            None,
            Schema::new("A CORS rule (deprecated inline).")
                .attr("allowed_headers", opt(strings(), "Headers allowed in a preflight request."))
                .attr("allowed_methods", Attribute::required(strings(), "GET, PUT, HEAD, POST, DELETE."))
                .attr("allowed_origins", Attribute::required(strings(), "Origins allowed."))
                .attr("expose_headers", opt(strings(), "Headers the browser may read."))
                .attr("max_age_seconds", opt(Num, "Seconds a preflight answer may be cached.")),
        ),
    )
    .block(
        "website",
        block(
            Nesting::List,
            Some(1),
            Schema::new("Static website hosting (deprecated inline).")
                .attr("index_document", opt(Str, "Index page, such as index.html."))
                .attr("error_document", opt(Str, "Error page."))
                .attr("redirect_all_requests_to", opt(Str, "Host (or URL) every request goes to."))
                .attr("routing_rules", opt(Str, "Routing rules as a JSON array.")),
        ),
    )
    .block(
        "logging",
        block(
            Nesting::List,
            Some(1),
            Schema::new("Server access logging (deprecated inline).")
                .attr("target_bucket", Attribute::required(Str, "Bucket the logs go to."))
                .attr("target_prefix", opt(Str, "Key prefix of the logs.")),
        ),
    )
    .block(
        "lifecycle_rule",
        block(
            Nesting::List,
            None,
            Schema::new("A lifecycle rule (deprecated inline).")
                .attr("id", oc(Str, "Rule name (generated when unset)."))
                .attr("prefix", opt(Str, "Objects under this key prefix."))
                .attr("tags", opt(AttrType::Map(Box::new(Str)), "Objects with all these tags."))
                .attr("enabled", Attribute::required(Bool, "Whether the rule applies."))
                .attr("abort_incomplete_multipart_upload_days", opt(Num, "Days before an unfinished upload is aborted."))
                .block(
                    "expiration",
                    block(
                        Nesting::List,
                        Some(1),
                        Schema::new("When current versions expire.")
                            .attr("date", opt(Str, "A date (YYYY-MM-DD)."))
                            .attr("days", opt(Num, "Days after creation."))
                            .attr("expired_object_delete_marker", opt(Bool, "Remove delete markers with no versions left.")),
                    ),
                )
                .block(
                    "transition",
                    block(
                        Nesting::List,
                        None,
                        Schema::new("When current versions move to another storage class.")
                            .attr("date", opt(Str, "A date (YYYY-MM-DD)."))
                            .attr("days", opt(Num, "Days after creation."))
                            .attr("storage_class", Attribute::required(Str, "STANDARD_IA, GLACIER, ...")),
                    ),
                )
                .block(
                    "noncurrent_version_expiration",
                    block(
                        Nesting::List,
                        Some(1),
                        Schema::new("When noncurrent versions expire.")
                            .attr("days", opt(Num, "Days after becoming noncurrent.")),
                    ),
                )
                .block(
                    "noncurrent_version_transition",
                    block(
                        Nesting::List,
                        None,
                        Schema::new("When noncurrent versions move to another storage class.")
                            .attr("days", opt(Num, "Days after becoming noncurrent."))
                            .attr("storage_class", Attribute::required(Str, "STANDARD_IA, GLACIER, ...")),
                    ),
                ),
        ),
    )
    .attr(
        "website_endpoint",
        Attribute::computed(Str, "The website's endpoint, with website configured."),
    )
    .attr(
        "website_domain",
        Attribute::computed(Str, "The website's domain, with website configured."),
    )
}

/// The blocks of a block list (none when unset).
pub(crate) fn items(v: &Value, name: &str) -> Vec<Value> {
    v.get_attr(name)
        .as_list()
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

/// The first block of a block list.
pub(crate) fn first(v: &Value, name: &str) -> Option<Value> {
    items(v, name).into_iter().next()
}

fn str_list(v: &Value, name: &str) -> Option<Vec<String>> {
    v.get_attr(name).as_list().map(|l| {
        l.iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    })
}

/// Planning: a setting the configuration leaves out keeps what the prior
/// object has (null on a new bucket): it is not iac's to change.
pub(crate) fn plan(prior: Option<&Value>, config: &Value, planned: &mut Value) {
    for name in BLOCKS.iter().chain(&["acl", "policy"]) {
        if !written(config, name) {
            let keep = prior.map_or(Value::Null, |p| p.get_attr(name).clone());
            set(planned, name, keep);
        }
    }
    super::replication::plan(prior, planned);
    // Unset rule ids are generated by S3; keep the prior's by position.
    let rules = items(config, "lifecycle_rule");
    if !rules.is_empty() {
        let before = prior
            .map(|p| items(p, "lifecycle_rule"))
            .unwrap_or_default();
        let planned_rules: Vec<Value> = items(planned, "lifecycle_rule")
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                if r.get_attr("id").is_null() {
                    let id = before
                        .get(i)
                        .map_or(Value::Unknown, |b| b.get_attr("id").clone());
                    set(&mut r, "id", id);
                }
                r
            })
            .collect();
        set(planned, "lifecycle_rule", Value::List(planned_rules));
    }
    let site = if written(config, "website") {
        match prior {
            Some(p) if written(p, "website") => (
                p.get_attr("website_endpoint").clone(),
                p.get_attr("website_domain").clone(),
            ),
            _ => (Value::Unknown, Value::Unknown),
        }
    } else {
        (
            prior.map_or(Value::Null, |p| p.get_attr("website_endpoint").clone()),
            prior.map_or(Value::Null, |p| p.get_attr("website_domain").clone()),
        )
    };
    set(planned, "website_endpoint", site.0);
    set(planned, "website_domain", site.1);
}

/// Applies each setting the configuration writes and that differs from `old`.
pub(crate) async fn apply(
    c: &Clients,
    bucket: &str,
    old: Option<&Value>,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let changed = |name: &str| {
        written(p, name)
            && old.is_none_or(|o| !crate::util::same(o.get_attr(name), p.get_attr(name)))
    };
    apply_access(c, bucket, p, &changed).await?;
    apply_storage(c, bucket, old, p, &changed).await?;
    apply_site(c, bucket, p, &changed).await?;
    // Last: S3 takes replication only on a versioned bucket.
    if changed(super::replication::NAME) {
        super::replication::put(c, bucket, p).await?;
    }
    Ok(())
}

/// The ACL (canned or by grants), the policy and Object Lock.
async fn apply_access(
    c: &Clients,
    bucket: &str,
    p: &Value,
    changed: &(dyn Fn(&str) -> bool + Sync),
) -> Result<(), AttrDiagnostic> {
    if changed("acl") {
        c.s3.put_bucket_acl()
            .bucket(bucket)
            .acl(BucketCannedAcl::from(
                s(p, "acl").unwrap_or_default().as_str(),
            ))
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketAcl", e))?;
    }
    if changed("policy") {
        c.s3.put_bucket_policy()
            .bucket(bucket)
            .policy(s(p, "policy").unwrap_or_default())
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketPolicy", e))?;
    }
    if changed("grant") {
        put_grants(c, bucket, &items(p, "grant")).await?;
    }
    if changed("object_lock_configuration") && object_lock_inline(p) {
        let b = first(p, "object_lock_configuration").unwrap_or(Value::Null);
        let mut conf = aws_sdk_s3::types::ObjectLockConfiguration::builder()
            .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled);
        if let Some(d) = first(&b, "rule").and_then(|r| first(&r, "default_retention")) {
            let retention = aws_sdk_s3::types::DefaultRetention::builder()
                .mode(aws_sdk_s3::types::ObjectLockRetentionMode::from(
                    s(&d, "mode").unwrap_or_default().as_str(),
                ))
                .set_days(int(&d, "days"))
                .set_years(int(&d, "years"))
                .build();
            conf = conf.rule(
                aws_sdk_s3::types::ObjectLockRule::builder()
                    .default_retention(retention)
                    .build(),
            );
        }
        c.s3.put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(conf.build())
            .send()
            .await
            .map_err(|e| sdk_err("PutObjectLockConfiguration", e))?;
    }
    Ok(())
}

/// Versioning, default encryption and CORS.
async fn apply_storage(
    c: &Clients,
    bucket: &str,
    old: Option<&Value>,
    p: &Value,
    changed: &(dyn Fn(&str) -> bool + Sync),
) -> Result<(), AttrDiagnostic> {
    if changed("versioning") {
        let v = first(p, "versioning").unwrap_or(Value::Null);
        let on = v.get_attr("enabled").as_bool() == Some(true);
        // A bucket never versioned stays unversioned rather than "Suspended".
        let was_on = old
            .and_then(|o| first(o, "versioning"))
            .is_some_and(|o| o.get_attr("enabled").as_bool() == Some(true));
        if on || was_on {
            let mut conf = VersioningConfiguration::builder().status(if on {
                BucketVersioningStatus::Enabled
            } else {
                BucketVersioningStatus::Suspended
            });
            if let Some(m) = v.get_attr("mfa_delete").as_bool() {
                conf = conf.mfa_delete(if m {
                    MfaDelete::Enabled
                } else {
                    MfaDelete::Disabled
                });
            }
            c.s3.put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(conf.build())
                .send()
                .await
                .map_err(|e| sdk_err("PutBucketVersioning", e))?;
        }
    }
    if changed("server_side_encryption_configuration") {
        let rule = first(p, "server_side_encryption_configuration")
            .and_then(|c| first(&c, "rule"))
            .unwrap_or(Value::Null);
        let default =
            first(&rule, "apply_server_side_encryption_by_default").unwrap_or(Value::Null);
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(
                s(&default, "sse_algorithm").unwrap_or_default().as_str(),
            ))
            .set_kms_master_key_id(s(&default, "kms_master_key_id"))
            .build()
            .map_err(|e| invalid("PutBucketEncryption", e))?;
        let conf = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .set_bucket_key_enabled(rule.get_attr("bucket_key_enabled").as_bool())
                    .build(),
            )
            .build()
            .map_err(|e| invalid("PutBucketEncryption", e))?;
        c.s3.put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(conf)
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketEncryption", e))?;
    }
    if changed("cors_rule") {
        let mut rules = Vec::new();
        for r in items(p, "cors_rule") {
            rules.push(
                CorsRule::builder()
                    .set_allowed_headers(str_list(&r, "allowed_headers"))
                    .set_allowed_methods(str_list(&r, "allowed_methods"))
                    .set_allowed_origins(str_list(&r, "allowed_origins"))
                    .set_expose_headers(str_list(&r, "expose_headers"))
                    .set_max_age_seconds(int(&r, "max_age_seconds"))
                    .build()
                    .map_err(|e| invalid("PutBucketCors", e))?,
            );
        }
        c.s3.put_bucket_cors()
            .bucket(bucket)
            .cors_configuration(
                CorsConfiguration::builder()
                    .set_cors_rules(Some(rules))
                    .build()
                    .map_err(|e| invalid("PutBucketCors", e))?,
            )
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketCors", e))?;
    }
    Ok(())
}

/// The website, access logging and lifecycle rules.
async fn apply_site(
    c: &Clients,
    bucket: &str,
    p: &Value,
    changed: &(dyn Fn(&str) -> bool + Sync),
) -> Result<(), AttrDiagnostic> {
    if changed("website") {
        let w = first(p, "website").unwrap_or(Value::Null);
        let mut conf = WebsiteConfiguration::builder();
        if let Some(i) = s(&w, "index_document") {
            conf = conf.index_document(
                IndexDocument::builder()
                    .suffix(i)
                    .build()
                    .map_err(|e| invalid("PutBucketWebsite", e))?,
            );
        }
        if let Some(e) = s(&w, "error_document") {
            conf = conf.error_document(
                ErrorDocument::builder()
                    .key(e)
                    .build()
                    .map_err(|e| invalid("PutBucketWebsite", e))?,
            );
        }
        if let Some(r) = s(&w, "redirect_all_requests_to") {
            let (protocol, host) = match r.split_once("://") {
                Some((p, h)) => (Some(p.to_string()), h.trim_end_matches('/').to_string()),
                None => (None, r),
            };
            conf = conf.redirect_all_requests_to(
                RedirectAllRequestsTo::builder()
                    .host_name(host)
                    .set_protocol(protocol.map(|p| aws_sdk_s3::types::Protocol::from(p.as_str())))
                    .build()
                    .map_err(|e| invalid("PutBucketWebsite", e))?,
            );
        }
        c.s3.put_bucket_website()
            .bucket(bucket)
            .website_configuration(conf.build())
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketWebsite", e))?;
    }
    if changed("logging") {
        let l = first(p, "logging").unwrap_or(Value::Null);
        c.s3.put_bucket_logging()
            .bucket(bucket)
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(
                        LoggingEnabled::builder()
                            .target_bucket(s(&l, "target_bucket").unwrap_or_default())
                            .target_prefix(s(&l, "target_prefix").unwrap_or_default())
                            .build()
                            .map_err(|e| invalid("PutBucketLogging", e))?,
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketLogging", e))?;
    }
    if changed("lifecycle_rule") {
        let mut rules = Vec::new();
        for (i, r) in items(p, "lifecycle_rule").into_iter().enumerate() {
            rules.push(
                lifecycle_rule(&r, i).map_err(|e| invalid("PutBucketLifecycleConfiguration", e))?,
            );
        }
        c.s3.put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .set_rules(Some(rules))
                    .build()
                    .map_err(|e| invalid("PutBucketLifecycleConfiguration", e))?,
            )
            .send()
            .await
            .map_err(|e| sdk_err("PutBucketLifecycleConfiguration", e))?;
    }
    Ok(())
}

/// A setting S3 would refuse as built (a required part missing).
/// Replaces the bucket's ACL with the grants (the owner stays the owner).
async fn put_grants(c: &Clients, bucket: &str, grants: &[Value]) -> Result<(), AttrDiagnostic> {
    use aws_sdk_s3::types::{AccessControlPolicy, Grant, Grantee, Permission, Type};
    let now =
        c.s3.get_bucket_acl()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sdk_err("GetBucketAcl", e))?;
    let mut list = Vec::new();
    for g in grants {
        let group = s(g, "type").as_deref() == Some("Group");
        let grantee = Grantee::builder()
            .r#type(if group {
                Type::Group
            } else {
                Type::CanonicalUser
            })
            .set_id(s(g, "id"))
            .set_uri(s(g, "uri"))
            .build()
            .map_err(|e| invalid("PutBucketAcl", e))?;
        for perm in str_list(g, "permissions").unwrap_or_default() {
            list.push(
                Grant::builder()
                    .grantee(grantee.clone())
                    .permission(Permission::from(perm.as_str()))
                    .build(),
            );
        }
    }
    let policy = AccessControlPolicy::builder()
        .set_owner(now.owner().cloned())
        .set_grants(Some(list))
        .build();
    c.s3.put_bucket_acl()
        .bucket(bucket)
        .access_control_policy(policy)
        .send()
        .await
        .map_err(|e| sdk_err("PutBucketAcl", e))?;
    Ok(())
}

/// The bucket's ACL as grant blocks: one per grantee, with its permissions.
async fn read_grants(c: &Clients, bucket: &str) -> Result<Value, AttrDiagnostic> {
    let acl = match c.s3.get_bucket_acl().bucket(bucket).send().await {
        Ok(a) => a,
        Err(e) if absent(&err_code(&e)) => return Ok(Value::Null),
        Err(e) => return Err(sdk_err("GetBucketAcl", e)),
    };
    let mut by_grantee: std::collections::BTreeMap<
        (String, Option<String>, Option<String>),
        Vec<Value>,
    > = std::collections::BTreeMap::new();
    for g in acl.grants() {
        let (Some(grantee), Some(perm)) = (g.grantee(), g.permission()) else {
            continue;
        };
        let key = (
            grantee.r#type().as_str().to_string(),
            grantee.id().map(String::from),
            grantee.uri().map(String::from),
        );
        by_grantee
            .entry(key)
            .or_default()
            .push(Value::string(perm.as_str()));
    }
    Ok(Value::set(
        by_grantee
            .into_iter()
            .map(|((ty, id, uri), perms)| {
                Value::map([
                    ("type", Value::string(ty)),
                    ("id", opt_str(id.as_deref())),
                    ("uri", opt_str(uri.as_deref())),
                    ("permissions", Value::set(perms)),
                ])
            })
            .collect(),
    ))
}

fn invalid(op: &str, e: aws_sdk_s3::error::BuildError) -> AttrDiagnostic {
    AttrDiagnostic::error(
        Vec::new(),
        format!("Invalid setting for {op}"),
        e.to_string(),
    )
}

fn date(v: &Value) -> Option<aws_sdk_s3::primitives::DateTime> {
    let d = s(v, "date")?;
    aws_sdk_s3::primitives::DateTime::from_str(
        &format!("{d}T00:00:00Z"),
        aws_sdk_s3::primitives::DateTimeFormat::DateTime,
    )
    .ok()
}

fn lifecycle_rule(r: &Value, index: usize) -> Result<LifecycleRule, aws_sdk_s3::error::BuildError> {
    let prefix = s(r, "prefix").unwrap_or_default();
    let tags: Vec<Tag> = r
        .get_attr("tags")
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Tag::builder().key(k).value(v.as_str()?).build().ok())
                .collect()
        })
        .unwrap_or_default();
    let filter = if tags.is_empty() {
        LifecycleRuleFilter::builder().prefix(prefix).build()
    } else if tags.len() == 1 && prefix.is_empty() {
        LifecycleRuleFilter::builder().tag(tags[0].clone()).build()
    } else {
        LifecycleRuleFilter::builder()
            .and(
                LifecycleRuleAndOperator::builder()
                    .prefix(prefix)
                    .set_tags(Some(tags))
                    .build(),
            )
            .build()
    };
    let id = s(r, "id").unwrap_or_else(|| format!("rule-{}", index + 1));
    let mut b = LifecycleRule::builder().id(id).filter(filter).status(
        if r.get_attr("enabled").as_bool() == Some(true) {
            ExpirationStatus::Enabled
        } else {
            ExpirationStatus::Disabled
        },
    );
    if let Some(days) = int(r, "abort_incomplete_multipart_upload_days") {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(days)
                .build(),
        );
    }
    if let Some(e) = first(r, "expiration") {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_date(date(&e))
                .set_days(int(&e, "days"))
                .set_expired_object_delete_marker(
                    e.get_attr("expired_object_delete_marker").as_bool(),
                )
                .build(),
        );
    }
    for t in items(r, "transition") {
        b = b.transitions(
            Transition::builder()
                .set_date(date(&t))
                .set_days(int(&t, "days"))
                .storage_class(TransitionStorageClass::from(
                    s(&t, "storage_class").unwrap_or_default().as_str(),
                ))
                .build(),
        );
    }
    if let Some(e) = first(r, "noncurrent_version_expiration") {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(int(&e, "days"))
                .build(),
        );
    }
    for t in items(r, "noncurrent_version_transition") {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(&t, "days"))
                .storage_class(TransitionStorageClass::from(
                    s(&t, "storage_class").unwrap_or_default().as_str(),
                ))
                .build(),
        );
    }
    b.build()
}

/// Whether an S3 answer means "there is none of this setting".
fn absent(code: &Option<String>) -> bool {
    no_bucket(code)
        || matches!(
            code.as_deref(),
            Some(
                "NoSuchCORSConfiguration"
                    | "NoSuchWebsiteConfiguration"
                    | "NoSuchLifecycleConfiguration"
                    | "ServerSideEncryptionConfigurationNotFoundError"
                    | "NoSuchBucketPolicy"
            )
        )
}

/// Reads back each setting the prior object has (the ones the configuration writes).
pub(crate) async fn read(
    c: &Clients,
    bucket: &str,
    region: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    // The canned ACL cannot be told from the grants S3 reports: kept as written.
    for k in BLOCKS
        .iter()
        .chain(&["acl", "policy", "website_endpoint", "website_domain"])
    {
        set(v, k, keep.get_attr(k).clone());
    }
    read_access(c, bucket, keep, v).await?;
    read_storage(c, bucket, keep, v).await?;
    if written(keep, super::replication::NAME) {
        let r = super::replication::read(c, bucket, keep).await?;
        set(v, super::replication::NAME, r);
    }
    read_site(c, bucket, region, keep, v).await
}

/// The policy, the grants and Object Lock, as `apply_access` writes them.
async fn read_access(
    c: &Clients,
    bucket: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    if written(keep, "policy") {
        let p = match c.s3.get_bucket_policy().bucket(bucket).send().await {
            Ok(o) => crate::iam::document_value(o.policy(), keep, "policy"),
            Err(e) if absent(&err_code(&e)) => Value::Null,
            Err(e) => return Err(sdk_err("GetBucketPolicy", e)),
        };
        set(v, "policy", p);
    }
    if written(keep, "grant") {
        set(v, "grant", read_grants(c, bucket).await?);
    }
    if written(keep, "object_lock_configuration") {
        let value = match c
            .s3
            .get_object_lock_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(o) => {
                let conf = o.object_lock_configuration();
                let enabled = conf
                    .and_then(|c| c.object_lock_enabled())
                    .map(|e| e.as_str());
                let retention = conf
                    .and_then(|c| c.rule())
                    .and_then(|r| r.default_retention())
                    .map(|d| {
                        Value::map([(
                            "default_retention",
                            Value::List(vec![Value::map([
                                ("mode", opt_str(d.mode().map(|m| m.as_str()))),
                                // A retention is at least one day or year: a 0
                                // (as some endpoints write the other one) is none.
                                ("days", count(d.days())),
                                ("years", count(d.years())),
                            ])]),
                        )])
                    });
                Value::List(vec![Value::map([
                    ("object_lock_enabled", opt_str(enabled)),
                    ("rule", Value::List(retention.into_iter().collect())),
                ])])
            }
            // No lock on the bucket: the block is gone (drift).
            Err(e) if err_code(&e).as_deref() == Some("ObjectLockConfigurationNotFoundError") => {
                Value::List(Vec::new())
            }
            Err(e) if absent(&err_code(&e)) => Value::Null,
            Err(e) => return Err(sdk_err("GetObjectLockConfiguration", e)),
        };
        set(v, "object_lock_configuration", value);
    }
    Ok(())
}

/// Versioning, default encryption and CORS.
async fn read_storage(
    c: &Clients,
    bucket: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    if written(keep, "versioning") {
        let (status, mfa) = super::versioning::status(c, bucket)
            .await?
            .unwrap_or(("Disabled".into(), None));
        set(
            v,
            "versioning",
            Value::List(vec![Value::map([
                ("enabled", Value::Bool(status == "Enabled")),
                ("mfa_delete", Value::Bool(mfa.as_deref() == Some("Enabled"))),
            ])]),
        );
    }
    if written(keep, "server_side_encryption_configuration") {
        let value = match c.s3.get_bucket_encryption().bucket(bucket).send().await {
            Ok(o) => {
                let rules: Vec<Value> = o
                    .server_side_encryption_configuration()
                    .map(|c| c.rules())
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        let d = r.apply_server_side_encryption_by_default();
                        Value::map([
                            (
                                "apply_server_side_encryption_by_default",
                                Value::List(
                                    d.map(|d| {
                                        Value::map([
                                            (
                                                "sse_algorithm",
                                                Value::string(d.sse_algorithm().as_str()),
                                            ),
                                            ("kms_master_key_id", opt_str(d.kms_master_key_id())),
                                        ])
                                    })
                                    .into_iter()
                                    .collect(),
                                ),
                            ),
                            (
                                "bucket_key_enabled",
                                r.bucket_key_enabled()
                                    .map(Value::Bool)
                                    .unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .collect();
                Value::List(vec![Value::map([("rule", Value::List(rules))])])
            }
            Err(e) if absent(&err_code(&e)) => Value::List(Vec::new()),
            Err(e) => return Err(sdk_err("GetBucketEncryption", e)),
        };
        set(v, "server_side_encryption_configuration", value);
    }
    if written(keep, "cors_rule") {
        let value = match c.s3.get_bucket_cors().bucket(bucket).send().await {
            Ok(o) => Value::List(
                o.cors_rules()
                    .iter()
                    .map(|r| {
                        let l = |x: &[String]| {
                            if x.is_empty() {
                                Value::Null
                            } else {
                                Value::List(x.iter().map(Value::string).collect())
                            }
                        };
                        Value::map([
                            ("allowed_headers", l(r.allowed_headers())),
                            ("allowed_methods", l(r.allowed_methods())),
                            ("allowed_origins", l(r.allowed_origins())),
                            ("expose_headers", l(r.expose_headers())),
                            (
                                "max_age_seconds",
                                r.max_age_seconds()
                                    .map(|n| Value::num(f64::from(n)))
                                    .unwrap_or(Value::Null),
                            ),
                        ])
                    })
                    .collect(),
            ),
            Err(e) if absent(&err_code(&e)) => Value::List(Vec::new()),
            Err(e) => return Err(sdk_err("GetBucketCors", e)),
        };
        set(v, "cors_rule", value);
    }
    Ok(())
}

/// The website, access logging and lifecycle rules.
async fn read_site(
    c: &Clients,
    bucket: &str,
    region: &str,
    keep: &Value,
    v: &mut Value,
) -> Result<(), AttrDiagnostic> {
    if written(keep, "website") {
        let value = match c.s3.get_bucket_website().bucket(bucket).send().await {
            Ok(o) => {
                let prior = first(keep, "website").unwrap_or(Value::Null);
                Value::List(vec![Value::map([
                    (
                        "index_document",
                        opt_str(o.index_document().map(|d| d.suffix())),
                    ),
                    (
                        "error_document",
                        opt_str(o.error_document().map(|d| d.key())),
                    ),
                    (
                        "redirect_all_requests_to",
                        match o.redirect_all_requests_to() {
                            Some(r) => match r.protocol() {
                                Some(p) => {
                                    Value::String(format!("{}://{}", p.as_str(), r.host_name()))
                                }
                                None => Value::string(r.host_name()),
                            },
                            None => Value::Null,
                        },
                    ),
                    ("routing_rules", prior.get_attr("routing_rules").clone()),
                ])])
            }
            Err(e) if absent(&err_code(&e)) => Value::List(Vec::new()),
            Err(e) => return Err(sdk_err("GetBucketWebsite", e)),
        };
        let (endpoint, domain) = super::regions::website_host(bucket, region);
        set(v, "website_endpoint", Value::String(endpoint));
        set(v, "website_domain", Value::String(domain));
        set(v, "website", value);
    }
    if written(keep, "logging") {
        let o =
            c.s3.get_bucket_logging()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| sdk_err("GetBucketLogging", e))?;
        set(
            v,
            "logging",
            Value::List(
                o.logging_enabled()
                    .map(|l| {
                        Value::map([
                            ("target_bucket", Value::string(l.target_bucket())),
                            (
                                "target_prefix",
                                if l.target_prefix().is_empty() {
                                    Value::Null
                                } else {
                                    Value::string(l.target_prefix())
                                },
                            ),
                        ])
                    })
                    .into_iter()
                    .collect(),
            ),
        );
    }
    if written(keep, "lifecycle_rule") {
        let rules = match c
            .s3
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(o) => o.rules().to_vec(),
            Err(e) if absent(&err_code(&e)) => Vec::new(),
            Err(e) => return Err(sdk_err("GetBucketLifecycleConfiguration", e)),
        };
        let before = items(keep, "lifecycle_rule");
        let value: Vec<Value> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| lifecycle_value(r, before.get(i)))
            .collect();
        set(v, "lifecycle_rule", Value::List(value));
    }
    Ok(())
}

fn lifecycle_value(r: &LifecycleRule, prior: Option<&Value>) -> Value {
    let null = Value::Null;
    let prior = prior.unwrap_or(&null);
    let num = crate::util::int_value;
    let day = |d: Option<&aws_sdk_s3::primitives::DateTime>| {
        d.and_then(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
            .map(|t| Value::String(t[..10].to_string()))
            .unwrap_or(Value::Null)
    };
    let (prefix, tags) = match r.filter() {
        Some(f) => match (f.prefix(), f.tag(), f.and()) {
            (_, _, Some(a)) => (
                a.prefix().map(String::from),
                a.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), Value::string(t.value())))
                    .collect(),
            ),
            (_, Some(t), None) => (
                None,
                [(t.key().to_string(), Value::string(t.value()))]
                    .into_iter()
                    .collect(),
            ),
            (p, None, None) => (p.map(String::from), std::collections::BTreeMap::new()),
        },
        // (A rule-level prefix, the pre-filter form, is read as no prefix.)
        None => (None, Default::default()),
    };
    let expiration = r.expiration().map(|e| {
        Value::map([
            ("date", day(e.date())),
            ("days", num(e.days())),
            (
                "expired_object_delete_marker",
                match e.expired_object_delete_marker() {
                    Some(b) => Value::Bool(b),
                    None => first(prior, "expiration")
                        .map(|p| p.get_attr("expired_object_delete_marker").clone())
                        .unwrap_or(Value::Null),
                },
            ),
        ])
    });
    Value::map([
        ("id", opt_str(r.id())),
        (
            "prefix",
            match prefix.filter(|p| !p.is_empty()) {
                Some(p) => Value::String(p),
                None => Value::Null,
            },
        ),
        (
            "tags",
            if tags.is_empty() {
                Value::Null
            } else {
                Value::Map(tags.into())
            },
        ),
        (
            "enabled",
            Value::Bool(r.status() == &ExpirationStatus::Enabled),
        ),
        (
            "abort_incomplete_multipart_upload_days",
            num(r
                .abort_incomplete_multipart_upload()
                .and_then(|a| a.days_after_initiation())),
        ),
        ("expiration", Value::List(expiration.into_iter().collect())),
        (
            "transition",
            Value::List(
                r.transitions()
                    .iter()
                    .map(|t| {
                        Value::map([
                            ("date", day(t.date())),
                            ("days", num(t.days())),
                            (
                                "storage_class",
                                opt_str(t.storage_class().map(|c| c.as_str())),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
        (
            "noncurrent_version_expiration",
            Value::List(
                r.noncurrent_version_expiration()
                    .map(|e| Value::map([("days", num(e.noncurrent_days()))]))
                    .into_iter()
                    .collect(),
            ),
        ),
        (
            "noncurrent_version_transition",
            Value::List(
                r.noncurrent_version_transitions()
                    .iter()
                    .map(|t| {
                        Value::map([
                            ("days", num(t.noncurrent_days())),
                            (
                                "storage_class",
                                opt_str(t.storage_class().map(|c| c.as_str())),
                            ),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}
