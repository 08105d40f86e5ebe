//! `aws_s3_bucket`'s inline `replication_configuration` (deprecated in the AWS
//! provider in favour of `aws_s3_bucket_replication_configuration`, still in
//! older configurations and modules): the IAM role S3 replicates with and its
//! rules, sent as Terraform's provider sends them. A rule with a `filter` block
//! is of S3's second schema (a filter, a priority, delete-marker replication);
//! one without is of the first (a key `prefix`). As with the other inline
//! settings, a bucket whose configuration leaves the block out keeps what it
//! has; S3 needs versioning on the bucket first, which `apply` follows.

use aws_sdk_s3::types::{
    AccessControlTranslation, DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
    EncryptionConfiguration, Metrics, MetricsStatus, OwnerOverride, ReplicationConfiguration,
    ReplicationRule, ReplicationRuleAndOperator, ReplicationRuleFilter, ReplicationRuleStatus,
    ReplicationTime, ReplicationTimeStatus, ReplicationTimeValue, SourceSelectionCriteria,
    SseKmsEncryptedObjects, SseKmsEncryptedObjectsStatus, StorageClass, Tag,
};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting, Schema};
use iac_value::{PathStep, Value};

use super::bucket_inline::{first, items};
use super::err_code;
use crate::util::{int, opt_str, s, sdk_err, set};
use crate::Clients;

pub(crate) const NAME: &str = "replication_configuration";

fn block(nesting: Nesting, min: usize, max: Option<usize>, schema: Schema) -> NestedBlock {
    NestedBlock {
        nesting,
        min_items: min,
        max_items: max,
        force_new: false,
        block: schema,
    }
}

/// A `{ status, minutes }` block of the destination (metrics, replication time).
fn timed(about: &'static str) -> NestedBlock {
    use AttrType::{Number as Num, String as Str};
    block(
        Nesting::List,
        0,
        Some(1),
        Schema::new(about)
            .attr("status", Attribute::optional(Str, "Enabled or Disabled."))
            .attr("minutes", Attribute::optional(Num, "Minutes (15).")),
    )
}

fn destination() -> Schema {
    use AttrType::String as Str;
    let opt = Attribute::optional;
    Schema::new("Where the rule replicates to.")
        .attr("bucket", Attribute::required(Str, "The ARN of the destination bucket."))
        .attr("storage_class", opt(Str, "Storage class of the replicas (STANDARD, STANDARD_IA, ...; default the source object's)."))
        .attr("replica_kms_key_id", opt(Str, "KMS key the replicas of KMS-encrypted objects are encrypted with."))
        .attr("account_id", opt(Str, "The destination bucket's account (with access_control_translation)."))
        .block(
            "access_control_translation",
            block(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Who owns the replicas.")
                    .attr("owner", Attribute::required(Str, "Destination: the destination bucket's owner.")),
            ),
        )
        .block("replication_time", timed("S3 Replication Time Control: replicas within the minutes given (15)."))
        .block("metrics", timed("Replication metrics and events (minutes: the threshold)."))
}

/// Adds `replication_configuration` to the bucket's schema.
pub(crate) fn schema(s: Schema) -> Schema {
    use AttrType::{Bool, Map, Number as Num, String as Str};
    let opt = Attribute::optional;
    let rule = Schema::new("A replication rule.")
        .attr(
            "id",
            Attribute::optional_computed(Str, "Rule name (S3 makes one when unset)."),
        )
        .attr("status", Attribute::required(Str, "Enabled or Disabled."))
        .attr(
            "priority",
            opt(Num, "Which rule wins where filters overlap (with filter)."),
        )
        .attr(
            "prefix",
            opt(
                Str,
                "Objects under this key prefix (without filter: S3's first rule schema).",
            ),
        )
        .attr(
            "delete_marker_replication_status",
            opt(
                Str,
                "Enabled: delete markers are replicated too (with filter).",
            ),
        )
        .block(
            "destination",
            block(Nesting::List, 1, Some(1), destination()),
        )
        .block(
            "filter",
            block(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Which objects the rule replicates (S3's second rule schema).")
                    .attr("prefix", opt(Str, "Key prefix."))
                    .attr(
                        "tags",
                        opt(Map(Box::new(Str)), "Objects with all these tags."),
                    ),
            ),
        )
        .block(
            "source_selection_criteria",
            block(
                Nesting::List,
                0,
                Some(1),
                Schema::new("Which encrypted objects are replicated.").block(
                    "sse_kms_encrypted_objects",
                    block(
                        Nesting::List,
                        0,
                        Some(1),
                        Schema::new("Objects encrypted with KMS.").attr(
                            "enabled",
                            Attribute::required(Bool, "Replicate them (needs replica_kms_key_id)."),
                        ),
                    ),
                ),
            ),
        );
    s.block(
        NAME,
        block(
            Nesting::List,
            0,
            Some(1),
            Schema::new("Cross-region or same-region replication (deprecated inline; aws_s3_bucket_replication_configuration in Terraform). The bucket needs versioning.")
                .attr("role", Attribute::required(Str, "ARN of the IAM role S3 replicates with."))
                .block("rules", block(Nesting::Set, 1, None, rule)),
        ),
    )
}

fn one(v: Value) -> Value {
    Value::List(vec![v])
}

/// Checks the closed sets of values S3 takes, where the configuration knows them.
pub(crate) fn validate(config: &Value) -> Vec<AttrDiagnostic> {
    let mut out = Vec::new();
    let Some(conf) = first(config, NAME) else {
        return out;
    };
    let at = |name: &str| {
        vec![
            PathStep::Key(NAME.into()),
            PathStep::Index(0),
            PathStep::Key("rules".into()),
            PathStep::Key(name.into()),
        ]
    };
    let mut check = |v: Option<String>, name: &str, allowed: &[&str]| {
        if let Some(v) = v.filter(|v| !allowed.contains(&v.as_str())) {
            out.push(AttrDiagnostic::error(
                at(name),
                "Invalid value",
                format!("\"{v}\": {name} is one of {}", allowed.join(", ")),
            ));
        }
    };
    for r in items(&conf, "rules") {
        check(s(&r, "status"), "status", &["Enabled", "Disabled"]);
        check(
            s(&r, "delete_marker_replication_status"),
            "delete_marker_replication_status",
            &["Enabled", "Disabled"],
        );
        let d = first(&r, "destination").unwrap_or(Value::Null);
        check(
            s(&d, "storage_class"),
            "storage_class",
            &[
                "STANDARD",
                "REDUCED_REDUNDANCY",
                "STANDARD_IA",
                "ONEZONE_IA",
                "INTELLIGENT_TIERING",
                "GLACIER",
                "DEEP_ARCHIVE",
                "OUTPOSTS",
                "GLACIER_IR",
            ],
        );
        if let Some(a) = first(&d, "access_control_translation") {
            check(s(&a, "owner"), "owner", &["Destination"]);
        }
        for t in ["replication_time", "metrics"] {
            if let Some(b) = first(&d, t) {
                check(s(&b, "status"), "status", &["Enabled", "Disabled"]);
            }
        }
    }
    out
}

fn status_minutes(b: &Value) -> (String, Option<i32>) {
    (s(b, "status").unwrap_or_default(), int(b, "minutes"))
}

fn destination_sdk(d: &Value) -> Result<Destination, aws_sdk_s3::error::BuildError> {
    let mut out = Destination::builder()
        .bucket(s(d, "bucket").unwrap_or_default())
        .set_storage_class(
            s(d, "storage_class")
                .filter(|c| !c.is_empty())
                .map(|c| StorageClass::from(c.as_str())),
        )
        .set_account(s(d, "account_id").filter(|a| !a.is_empty()));
    if let Some(k) = s(d, "replica_kms_key_id").filter(|k| !k.is_empty()) {
        out = out.encryption_configuration(
            EncryptionConfiguration::builder()
                .replica_kms_key_id(k)
                .build(),
        );
    }
    if let Some(a) = first(d, "access_control_translation") {
        out = out.access_control_translation(
            AccessControlTranslation::builder()
                .owner(OwnerOverride::from(
                    s(&a, "owner").unwrap_or_default().as_str(),
                ))
                .build()?,
        );
    }
    if let Some(m) = first(d, "metrics") {
        let (status, minutes) = status_minutes(&m);
        out = out.metrics(
            Metrics::builder()
                .status(MetricsStatus::from(status.as_str()))
                .event_threshold(
                    ReplicationTimeValue::builder()
                        .set_minutes(minutes.or(Some(0)))
                        .build(),
                )
                .build()?,
        );
    }
    if let Some(t) = first(d, "replication_time") {
        let (status, minutes) = status_minutes(&t);
        out = out.replication_time(
            ReplicationTime::builder()
                .status(ReplicationTimeStatus::from(status.as_str()))
                .time(
                    ReplicationTimeValue::builder()
                        .set_minutes(minutes.or(Some(0)))
                        .build(),
                )
                .build()?,
        );
    }
    out.build()
}

fn rule_sdk(r: &Value) -> Result<ReplicationRule, aws_sdk_s3::error::BuildError> {
    let d = first(r, "destination").unwrap_or(Value::Null);
    let mut out = ReplicationRule::builder()
        .status(ReplicationRuleStatus::from(
            s(r, "status").unwrap_or_default().as_str(),
        ))
        .destination(destination_sdk(&d)?)
        .set_id(s(r, "id").filter(|i| !i.is_empty()));
    if let Some(kms) =
        first(r, "source_selection_criteria").and_then(|c| first(&c, "sse_kms_encrypted_objects"))
    {
        let on = kms.get_attr("enabled").as_bool() == Some(true);
        out = out.source_selection_criteria(
            SourceSelectionCriteria::builder()
                .sse_kms_encrypted_objects(
                    SseKmsEncryptedObjects::builder()
                        .status(if on {
                            SseKmsEncryptedObjectsStatus::Enabled
                        } else {
                            SseKmsEncryptedObjectsStatus::Disabled
                        })
                        .build()?,
                )
                .build(),
        );
    }
    match first(r, "filter") {
        // S3's second schema: a filter (prefix, or prefix and tags), a priority,
        // and delete markers replicated or not (not, unless Enabled).
        Some(f) => {
            let prefix = s(&f, "prefix").unwrap_or_default();
            let tags: Vec<Tag> = f
                .get_attr("tags")
                .as_map()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            Tag::builder()
                                .key(k.as_str())
                                .value(v.as_str()?)
                                .build()
                                .ok()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let filter = if tags.is_empty() {
                ReplicationRuleFilter::builder().prefix(prefix).build()
            } else {
                ReplicationRuleFilter::builder()
                    .and(
                        ReplicationRuleAndOperator::builder()
                            .prefix(prefix)
                            .set_tags(Some(tags))
                            .build(),
                    )
                    .build()
            };
            let marker = if s(r, "delete_marker_replication_status").as_deref() == Some("Enabled") {
                DeleteMarkerReplicationStatus::Enabled
            } else {
                DeleteMarkerReplicationStatus::Disabled
            };
            out = out
                .filter(filter)
                .priority(int(r, "priority").unwrap_or(0))
                .delete_marker_replication(
                    DeleteMarkerReplication::builder().status(marker).build(),
                );
        }
        // The first schema: a key prefix ("" for every object), deprecated in
        // the SDK and still what Terraform sends for a rule without a filter.
        #[allow(deprecated)]
        None => out = out.prefix(s(r, "prefix").unwrap_or_default()),
    }
    out.build()
}

/// Puts the configuration the bucket's configuration writes. S3 refuses one
/// on a bucket whose versioning it does not see yet; that is retried a while.
pub(crate) async fn put(c: &Clients, bucket: &str, p: &Value) -> Result<(), AttrDiagnostic> {
    let Some(conf) = first(p, NAME) else {
        return Ok(());
    };
    let invalid = |e: aws_sdk_s3::error::BuildError| {
        AttrDiagnostic::error(
            Vec::new(),
            "Invalid replication_configuration",
            e.to_string(),
        )
    };
    let rules = items(&conf, "rules")
        .iter()
        .map(rule_sdk)
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let sdk = ReplicationConfiguration::builder()
        .role(s(&conf, "role").unwrap_or_default())
        .set_rules(Some(rules))
        .build()
        .map_err(invalid)?;
    let mut tries = 0;
    loop {
        match c
            .s3
            .put_bucket_replication()
            .bucket(bucket)
            .replication_configuration(sdk.clone())
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e)
                if tries < 10
                    && matches!(err_code(&e).as_deref(), Some("InvalidRequest"))
                    && format!("{e:?}").contains("ersioning") =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            Err(e) => return Err(sdk_err("PutBucketReplication", e)),
        }
    }
}

/// The rule of `keep` a rule S3 reports stands for: by id, else by position.
fn kept<'a>(keep: &'a [Value], r: &ReplicationRule, i: usize) -> Option<&'a Value> {
    keep.iter()
        .find(|k| s(k, "id").is_some() && s(k, "id").as_deref() == r.id())
        .or_else(|| {
            keep.get(i)
                .filter(|k| !matches!(k.get_attr("id"), Value::String(_)))
        })
}

fn timed_value(status: Option<&str>, minutes: Option<i32>) -> Value {
    one(Value::map([
        ("status", opt_str(status)),
        (
            "minutes",
            minutes.map_or(Value::Null, |m| Value::num(f64::from(m))),
        ),
    ]))
}

fn destination_value(d: &Destination) -> Value {
    Value::map([
        ("bucket", Value::string(d.bucket())),
        (
            "storage_class",
            opt_str(d.storage_class().map(|c| c.as_str())),
        ),
        (
            "replica_kms_key_id",
            opt_str(
                d.encryption_configuration()
                    .and_then(|e| e.replica_kms_key_id()),
            ),
        ),
        ("account_id", opt_str(d.account())),
        (
            "access_control_translation",
            Value::List(
                d.access_control_translation()
                    .map(|a| Value::map([("owner", Value::string(a.owner().as_str()))]))
                    .into_iter()
                    .collect(),
            ),
        ),
        (
            "replication_time",
            d.replication_time().map_or(Value::List(Vec::new()), |t| {
                timed_value(
                    Some(t.status().as_str()),
                    t.time().and_then(|t| t.minutes()),
                )
            }),
        ),
        (
            "metrics",
            d.metrics().map_or(Value::List(Vec::new()), |m| {
                timed_value(
                    Some(m.status().as_str()),
                    m.event_threshold().and_then(|t| t.minutes()),
                )
            }),
        ),
    ])
}

/// A rule's filter; an empty prefix is the written filter's null one.
fn filter_value(f: Option<&ReplicationRuleFilter>, k: Option<&Value>) -> Option<Value> {
    let f = f?;
    let (prefix, tags): (Option<&str>, Vec<&Tag>) = match (f.and(), f.tag()) {
        (Some(a), _) => (a.prefix(), a.tags().iter().collect()),
        (None, Some(t)) => (f.prefix(), vec![t]),
        (None, None) => (f.prefix(), Vec::new()),
    };
    let tags = if tags.is_empty() {
        Value::Null
    } else {
        Value::map(tags.iter().map(|t| (t.key(), Value::string(t.value()))))
    };
    let unwritten = k
        .and_then(|k| first(k, "filter"))
        .is_none_or(|f| f.get_attr("prefix").is_null());
    let prefix = match prefix {
        Some("") if unwritten => None,
        p => p,
    };
    Some(Value::map([("prefix", opt_str(prefix)), ("tags", tags)]))
}

/// One rule as state has it. S3's defaults for what the rule leaves out are the
/// rule's own nulls: a priority of 0 (or any, on a rule of the first schema),
/// an empty filter on a rule without one, delete markers not replicated.
fn rule_value(r: &ReplicationRule, k: Option<&Value>) -> Value {
    let null_in_keep = |name: &str| k.is_none_or(|k| k.get_attr(name).is_null());
    let had_filter = k.is_none_or(|k| !items(k, "filter").is_empty());
    let mut filter = filter_value(r.filter(), k);
    let empty = |f: &Value| {
        f.get_attr("prefix").as_str().unwrap_or_default().is_empty() && f.get_attr("tags").is_null()
    };
    if !had_filter && filter.as_ref().is_some_and(empty) {
        filter = None;
    }
    let priority = match r.priority() {
        Some(0) if null_in_keep("priority") => Value::Null,
        Some(_) if null_in_keep("priority") && !had_filter => Value::Null,
        Some(n) => Value::num(f64::from(n)),
        None => Value::Null,
    };
    let marker = match r.delete_marker_replication().and_then(|d| d.status()) {
        Some(DeleteMarkerReplicationStatus::Enabled) => Value::string("Enabled"),
        Some(st) if !null_in_keep("delete_marker_replication_status") => Value::string(st.as_str()),
        _ => Value::Null,
    };
    #[allow(deprecated)]
    let prefix = match r.prefix() {
        Some("") if null_in_keep("prefix") => Value::Null,
        p => opt_str(p),
    };
    let kms = r
        .source_selection_criteria()
        .and_then(|c| c.sse_kms_encrypted_objects())
        .map(|o| {
            one(Value::map([(
                "sse_kms_encrypted_objects",
                one(Value::map([(
                    "enabled",
                    Value::Bool(o.status() == &SseKmsEncryptedObjectsStatus::Enabled),
                )])),
            )]))
        })
        .unwrap_or(Value::List(Vec::new()));
    Value::map([
        ("id", opt_str(r.id())),
        ("status", Value::string(r.status().as_str())),
        ("priority", priority),
        ("prefix", prefix),
        ("delete_marker_replication_status", marker),
        (
            "destination",
            r.destination()
                .map_or(Value::List(Vec::new()), |d| one(destination_value(d))),
        ),
        ("filter", Value::List(filter.into_iter().collect())),
        ("source_selection_criteria", kms),
    ])
}

/// The bucket's replication as state has it (an empty list: none).
pub(crate) async fn read(c: &Clients, bucket: &str, keep: &Value) -> Result<Value, AttrDiagnostic> {
    let conf = match c.s3.get_bucket_replication().bucket(bucket).send().await {
        Ok(o) => o.replication_configuration().cloned(),
        Err(e)
            if matches!(
                err_code(&e).as_deref(),
                Some("ReplicationConfigurationNotFoundError")
            ) =>
        {
            None
        }
        Err(e) => return Err(sdk_err("GetBucketReplication", e)),
    };
    let Some(conf) = conf else {
        return Ok(Value::List(Vec::new()));
    };
    let keep_rules = first(keep, NAME)
        .map(|k| items(&k, "rules"))
        .unwrap_or_default();
    let rules = conf
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| rule_value(r, kept(&keep_rules, r, i)))
        .collect();
    Ok(one(Value::map([
        ("role", Value::string(conf.role())),
        ("rules", Value::set(rules)),
    ])))
}

/// Planning: a rule written without an id keeps the one S3 gave the prior rule
/// it otherwise equals; a new rule's is known after the apply.
pub(crate) fn plan(prior: Option<&Value>, planned: &mut Value) {
    let Some(mut conf) = first(planned, NAME) else {
        return;
    };
    let before = prior
        .and_then(|p| first(p, NAME))
        .map(|p| items(&p, "rules"))
        .unwrap_or_default();
    let without_id = |r: &Value| {
        let mut r = r.clone();
        set(&mut r, "id", Value::Null);
        r
    };
    let rules: Vec<Value> = items(&conf, "rules")
        .into_iter()
        .map(|mut r| {
            if r.get_attr("id").is_null() {
                let id = before
                    .iter()
                    .find(|b| without_id(b) == without_id(&r))
                    .map_or(Value::Unknown, |b| b.get_attr("id").clone());
                set(&mut r, "id", id);
            }
            r
        })
        .collect();
    set(&mut conf, "rules", Value::set(rules));
    set(planned, NAME, one(conf));
}
