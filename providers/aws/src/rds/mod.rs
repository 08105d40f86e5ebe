//! RDS: database instances and subnet groups, a file each; what they share is
//! here. A database is created under a
//! name derived from the plan's token when none is given, and tagged with the
//! token, so a create retried after a crash finds and adopts its database
//! instead of making a second one (RDS has no client token).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_rds::types::{DbInstance, DbSubnetGroup, Tag};
use iac_provider::{ApplyResult, AttrDiagnostic};
use iac_value::{Path, PathStep, Value};

use crate::ec2::TOKEN_TAG;
use crate::util::{
    attr_err, err_code, int, opt_str, plaintext, s, same, sdk_err, set, strings, tag_map, tags_of,
};
use crate::Clients;

pub(crate) mod blue_green;
pub(crate) mod db_instance;
pub(crate) mod db_parameter_group;
pub(crate) mod db_subnet_group;

/// How long a database may take to become available.
pub(crate) const WAIT: Duration = Duration::from_secs(40 * 60);

/// Attributes iac keeps from configuration: RDS does not report them.
pub(crate) const CONFIG_ONLY: &[&str] = &[
    "password",
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "apply_immediately",
    "manage_master_user_password",
    "db_name",
    "allow_major_version_upgrade",
    "delete_automated_backups",
    "snapshot_identifier",
    "restore_to_point_in_time",
    "blue_green_update",
    "upgrade_storage_config",
];

pub(crate) fn changed(prior: &Value, planned: &Value, name: &str) -> bool {
    !same(prior.get_attr(name), planned.get_attr(name))
}

/// What a database change will do that the diff does not say.
pub(crate) fn plan_notes(
    type_name: &str,
    prior: Option<&Value>,
    planned: &Value,
    rr: &[Path],
    notes: &mut Vec<String>,
) {
    if type_name != "aws_db_instance" {
        return;
    }
    let Some(prior) = prior else { return };
    if !rr.is_empty() {
        let what: Vec<String> = rr
            .iter()
            .filter_map(|p| match p.first() {
                Some(PathStep::Key(k)) => Some(format!("`{k}`")),
                _ => None,
            })
            .collect();
        notes.push(format!(
            "replaces the database ({} cannot change in place): a new, empty database is created and the old one deleted; its data does not move",
            what.join(", ")
        ));
        return;
    }
    let green = blue_green::changes(prior, planned);
    if !green.is_empty() {
        notes.push(format!(
            "blue/green deployment: a copy of the database gets {}, then takes over its name and endpoint in a switchover (typically under a minute of refused writes); the old instance is deleted",
            green.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let restarts: Vec<&str> = ["instance_class", "engine_version", "port", "storage_type"]
        .into_iter()
        .filter(|a| changed(prior, planned, a) && !planned.get_attr(a).is_null())
        .filter(|a| !green.contains(a))
        .collect();
    if !restarts.is_empty() {
        notes.push(format!(
            "downtime: the database restarts to change {} (typically a few minutes; less with multi_az)",
            restarts
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let modifies = [
        "instance_class",
        "engine_version",
        "allocated_storage",
        "storage_type",
        "password",
        "manage_master_user_password",
        "vpc_security_group_ids",
        "multi_az",
        "backup_retention_period",
        "publicly_accessible",
        "port",
    ]
    .iter()
    .any(|a| changed(prior, planned, a));
    if modifies && planned.get_attr("apply_immediately").as_bool() != Some(true) {
        notes.push(
            "applied in the next maintenance window, not now (apply_immediately is not true)"
                .into(),
        );
    }
}

/// Deleting a database that protects itself, or without saying what happens to
/// its data, is refused when planning.
pub(crate) fn check_delete(type_name: &str, prior: &Value) -> Vec<AttrDiagnostic> {
    if type_name != "aws_db_instance" {
        return Vec::new();
    }
    let id = s(prior, "identifier").unwrap_or_default();
    if prior.get_attr("deletion_protection").as_bool() == Some(true) {
        return vec![AttrDiagnostic::error(
            Vec::new(),
            format!("deletion protection is on for database \"{id}\""),
            "set deletion_protection = false and apply that first; then the database can be destroyed",
        )];
    }
    let skip = prior.get_attr("skip_final_snapshot").as_bool() == Some(true);
    let snapshot = s(prior, "final_snapshot_identifier").filter(|x| !x.is_empty());
    if !skip && snapshot.is_none() {
        return vec![AttrDiagnostic::error(
            Vec::new(),
            format!("no final snapshot is configured for database \"{id}\""),
            "set final_snapshot_identifier = \"NAME\" to keep a snapshot of the data, or skip_final_snapshot = true to delete it, and apply that first",
        )];
    }
    Vec::new()
}

pub(crate) fn rds_tags(v: &Value, token: Option<&str>) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags_of(v)
        .into_iter()
        .map(|(k, x)| Tag::builder().key(k).value(x).build())
        .collect();
    if let Some(t) = token {
        out.push(Tag::builder().key(TOKEN_TAG).value(t).build());
    }
    out
}

/// A database name from the plan's token: the same on every retry of one create.
pub(crate) fn generated_identifier(token: &str) -> String {
    let t: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .take(16)
        .collect();
    format!("iac-{t}")
}

pub(crate) fn db_value(db: &DbInstance, keep: &Value) -> Value {
    let mut m: BTreeMap<String, Value> = BTreeMap::new();
    db_identity(db, &mut m);
    db_network(db, keep, &mut m);
    db_settings(db, keep, &mut m);
    for k in CONFIG_ONLY {
        m.insert((*k).into(), keep.get_attr(k).clone());
    }
    if keep.get_attr("deletion_protection").is_null()
        && m.get("deletion_protection") == Some(&Value::Bool(false))
    {
        m.insert("deletion_protection".into(), Value::Null);
    }
    Value::Map(m.into())
}

/// Who the database is: names, engine, class, storage, subnet group, groups.
fn db_identity(db: &DbInstance, m: &mut BTreeMap<String, Value>) {
    let id = db.db_instance_identifier().unwrap_or_default();
    m.insert("id".into(), Value::String(id.to_string()));
    m.insert("identifier".into(), Value::String(id.to_string()));
    m.insert("arn".into(), opt_str(db.db_instance_arn()));
    m.insert("resource_id".into(), opt_str(db.dbi_resource_id()));
    m.insert("engine".into(), opt_str(db.engine()));
    m.insert("engine_version".into(), opt_str(db.engine_version()));
    m.insert("instance_class".into(), opt_str(db.db_instance_class()));
    m.insert(
        "allocated_storage".into(),
        db.allocated_storage()
            .map(|n| Value::Number(n.into()))
            .unwrap_or(Value::Null),
    );
    m.insert("storage_type".into(), opt_str(db.storage_type()));
    m.insert("username".into(), opt_str(db.master_username()));
    m.insert(
        "db_subnet_group_name".into(),
        opt_str(db.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
    );
    let mut sgs: Vec<Value> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(|x| Value::String(x.into())))
        .collect();
    sgs.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    m.insert("vpc_security_group_ids".into(), Value::Set(sgs));
    m.insert(
        "parameter_group_name".into(),
        opt_str(
            db.db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name()),
        ),
    );
    m.insert(
        "option_group_name".into(),
        opt_str(
            db.option_group_memberships()
                .first()
                .and_then(|g| g.option_group_name()),
        ),
    );
    m.insert(
        "multi_az".into(),
        Value::Bool(db.multi_az().unwrap_or(false)),
    );
    m.insert(
        "backup_retention_period".into(),
        db.backup_retention_period()
            .map(|n| Value::Number(n.into()))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "publicly_accessible".into(),
        Value::Bool(db.publicly_accessible().unwrap_or(false)),
    );
}

/// Where it is reached and how it is kept: endpoint, port, zone, backups, tags.
fn db_network(db: &DbInstance, keep: &Value, m: &mut BTreeMap<String, Value>) {
    let (address, port) = match db.endpoint() {
        Some(e) => (e.address().map(String::from), e.port()),
        None => (None, None),
    };
    let port = port.or(db.db_instance_port().filter(|p| *p != 0));
    m.insert("address".into(), opt_str(address.as_deref()));
    m.insert(
        "port".into(),
        port.map(|p| Value::Number(p.into())).unwrap_or(Value::Null),
    );
    m.insert(
        "endpoint".into(),
        match (&address, port) {
            (Some(a), Some(p)) => Value::String(format!("{a}:{p}")),
            _ => Value::Null,
        },
    );
    m.insert(
        "deletion_protection".into(),
        Value::Bool(db.deletion_protection().unwrap_or(false)),
    );
    m.insert("status".into(), opt_str(db.db_instance_status()));
    m.insert(
        "identifier_prefix".into(),
        keep.get_attr("identifier_prefix").clone(),
    );
    // A database restored to a point in time is no replica of its source. (moto
    // 5.2.5 reports the restore's source as a replica source; AWS does not.)
    let restored_from = crate::util::first(keep, "restore_to_point_in_time")
        .get_attr("source_db_instance_identifier")
        .as_str()
        .map(String::from);
    m.insert(
        "replicate_source_db".into(),
        match db.read_replica_source_db_instance_identifier() {
            Some(src) if restored_from.as_deref() == Some(src) => Value::Null,
            src => opt_str(src),
        },
    );
    m.insert("license_model".into(), opt_str(db.license_model()));
    m.insert(
        "storage_encrypted".into(),
        Value::Bool(db.storage_encrypted().unwrap_or(false)),
    );
    m.insert("kms_key_id".into(), opt_str(db.kms_key_id()));
    m.insert(
        "max_allocated_storage".into(),
        db.max_allocated_storage()
            .map(|n| Value::Number(n.into()))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "backup_window".into(),
        opt_str(db.preferred_backup_window()),
    );
    m.insert(
        "maintenance_window".into(),
        opt_str(db.preferred_maintenance_window()),
    );
    m.insert(
        "auto_minor_version_upgrade".into(),
        Value::Bool(db.auto_minor_version_upgrade().unwrap_or(true)),
    );
    m.insert(
        "copy_tags_to_snapshot".into(),
        Value::Bool(db.copy_tags_to_snapshot().unwrap_or(false)),
    );
    m.insert("availability_zone".into(), opt_str(db.availability_zone()));
    m.insert(
        "iam_database_authentication_enabled".into(),
        Value::Bool(db.iam_database_authentication_enabled().unwrap_or(false)),
    );
    m.insert(
        "master_user_secret".into(),
        match db.master_user_secret() {
            Some(sec) => Value::List(vec![Value::Map(
                [
                    ("secret_arn", opt_str(sec.secret_arn())),
                    ("secret_status", opt_str(sec.secret_status())),
                    ("kms_key_id", opt_str(sec.kms_key_id())),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            )]),
            None => Value::List(Vec::new()),
        },
    );
    m.insert(
        "tags".into(),
        tag_map(db.tag_list().iter().map(|t| (t.key(), t.value()))),
    );
}

/// The settings RDS may leave out of its answer (then as configured).
fn db_settings(db: &DbInstance, keep: &Value, m: &mut BTreeMap<String, Value>) {
    let num = crate::util::int_value;
    // What RDS leaves out of its answer (an engine without the setting, an
    // emulator) is as configured.
    let or_keep = |k: &str, v: Value| {
        if v.is_null() {
            keep.get_attr(k).clone()
        } else {
            v
        }
    };
    m.insert(
        "master_user_secret_kms_key_id".into(),
        opt_str(db.master_user_secret().and_then(|x| x.kms_key_id())),
    );
    m.insert(
        "ca_cert_identifier".into(),
        opt_str(db.ca_certificate_identifier()),
    );
    m.insert(
        "character_set_name".into(),
        or_keep("character_set_name", opt_str(db.character_set_name())),
    );
    m.insert(
        "nchar_character_set_name".into(),
        or_keep(
            "nchar_character_set_name",
            opt_str(db.nchar_character_set_name()),
        ),
    );
    m.insert(
        "timezone".into(),
        or_keep("timezone", opt_str(db.timezone())),
    );
    let logs: Vec<Value> = db
        .enabled_cloudwatch_logs_exports()
        .iter()
        .map(|l| Value::string(l.as_str()))
        .collect();
    m.insert(
        "enabled_cloudwatch_logs_exports".into(),
        if logs.is_empty() {
            Value::Null
        } else {
            Value::set(logs)
        },
    );
    m.insert("iops".into(), num(db.iops()));
    m.insert("storage_throughput".into(), num(db.storage_throughput()));
    m.insert(
        "monitoring_interval".into(),
        Value::Number(db.monitoring_interval().unwrap_or(0).into()),
    );
    m.insert(
        "monitoring_role_arn".into(),
        opt_str(db.monitoring_role_arn()),
    );
    m.insert(
        "performance_insights_enabled".into(),
        match db.performance_insights_enabled() {
            Some(b) => Value::Bool(b),
            None => or_keep("performance_insights_enabled", Value::Null),
        },
    );
    m.insert(
        "database_insights_mode".into(),
        match db.database_insights_mode() {
            Some(x) => Value::string(x.as_str()),
            None => or_keep("database_insights_mode", Value::Null),
        },
    );
    m.insert(
        "performance_insights_kms_key_id".into(),
        or_keep(
            "performance_insights_kms_key_id",
            opt_str(db.performance_insights_kms_key_id()),
        ),
    );
    m.insert(
        "performance_insights_retention_period".into(),
        or_keep(
            "performance_insights_retention_period",
            num(db.performance_insights_retention_period()),
        ),
    );
    m.insert(
        "network_type".into(),
        or_keep("network_type", opt_str(db.network_type())),
    );
    m.insert(
        "engine_lifecycle_support".into(),
        or_keep(
            "engine_lifecycle_support",
            opt_str(db.engine_lifecycle_support()),
        ),
    );
    m.insert(
        "dedicated_log_volume".into(),
        match db.dedicated_log_volume() {
            Some(b) => Value::Bool(b),
            None => or_keep("dedicated_log_volume", Value::Null),
        },
    );
    m.insert(
        "replica_mode".into(),
        or_keep(
            "replica_mode",
            opt_str(db.replica_mode().map(|r| r.as_str())),
        ),
    );
    m.insert(
        "hosted_zone_id".into(),
        opt_str(db.endpoint().and_then(|e| e.hosted_zone_id())),
    );
    m.insert(
        "latest_restorable_time".into(),
        opt_str(
            db.latest_restorable_time()
                .and_then(|t| {
                    t.fmt(aws_sdk_rds::primitives::DateTimeFormat::DateTime)
                        .ok()
                })
                .as_deref(),
        ),
    );
    m.insert("engine_version_actual".into(), opt_str(db.engine_version()));
    m.insert(
        "replicas".into(),
        Value::List(
            db.read_replica_db_instance_identifiers()
                .iter()
                .map(Value::string)
                .collect(),
        ),
    );
    m.insert(
        "listener_endpoint".into(),
        Value::List(
            db.listener_endpoint()
                .map(|e| {
                    Value::map([
                        ("address", opt_str(e.address())),
                        (
                            "port",
                            e.port()
                                .map_or(Value::Null, |p| Value::String(p.to_string())),
                        ),
                        ("hosted_zone_id", opt_str(e.hosted_zone_id())),
                    ])
                })
                .into_iter()
                .collect(),
        ),
    );
}

pub(crate) fn group_value(g: &DbSubnetGroup, keep: &Value, tags: Value) -> Value {
    let mut subnets: Vec<Value> = g
        .subnets()
        .iter()
        .filter_map(|x| x.subnet_identifier().map(|i| Value::String(i.into())))
        .collect();
    subnets.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let name = g.db_subnet_group_name().unwrap_or_default();
    let _ = keep;
    Value::Map(
        [
            ("id", Value::String(name.into())),
            ("name", Value::String(name.into())),
            ("description", opt_str(g.db_subnet_group_description())),
            ("subnet_ids", Value::Set(subnets)),
            ("arn", opt_str(g.db_subnet_group_arn())),
            ("vpc_id", opt_str(g.vpc_id())),
            (
                "supported_network_types",
                Value::set(
                    g.supported_network_types()
                        .iter()
                        .map(Value::string)
                        .collect(),
                ),
            ),
            ("tags", tags),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    )
}

pub(crate) async fn describe_db(
    c: &Clients,
    id: &str,
) -> Result<Option<DbInstance>, AttrDiagnostic> {
    match c
        .rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_instances().first().cloned()),
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(None),
        Err(e) => Err(sdk_err("DescribeDBInstances", e)),
    }
}

/// Waits until the database is available (or gone, with `gone`).
pub(crate) async fn wait_db(
    c: &Clients,
    id: &str,
    gone: bool,
) -> Result<Option<DbInstance>, AttrDiagnostic> {
    let deadline = Instant::now() + WAIT;
    let mut delay = Duration::from_millis(500);
    loop {
        let db = describe_db(c, id).await?;
        match (&db, gone) {
            (None, true) => return Ok(None),
            (Some(d), false) if d.db_instance_status() == Some("available") => return Ok(db),
            (None, false) => {
                return Err(AttrDiagnostic::error(
                    Vec::new(),
                    format!("Database {id} disappeared while waiting for it"),
                    "",
                ))
            }
            _ => {}
        }
        if Instant::now() > deadline {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                format!("Timed out waiting for database {id}"),
                format!(
                    "status is {}",
                    db.and_then(|d| d.db_instance_status().map(String::from))
                        .unwrap_or_default()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}

/// A read replica: made from its source, then given the settings a replica can
/// have that CreateDBInstanceReadReplica does not take.
async fn create_replica(
    c: &Clients,
    p: &Value,
    id: &str,
    source: &str,
    token: &str,
) -> ApplyResult {
    let sgs = strings(p, "vpc_security_group_ids");
    let r = c
        .rds
        .create_db_instance_read_replica()
        .db_instance_identifier(id)
        .source_db_instance_identifier(source)
        .set_upgrade_storage_config(p.get_attr("upgrade_storage_config").as_bool())
        .set_db_instance_class(s(p, "instance_class"))
        .set_availability_zone(s(p, "availability_zone"))
        .set_port(int(p, "port"))
        .set_multi_az(p.get_attr("multi_az").as_bool())
        .set_publicly_accessible(p.get_attr("publicly_accessible").as_bool())
        .set_auto_minor_version_upgrade(p.get_attr("auto_minor_version_upgrade").as_bool())
        .set_storage_type(s(p, "storage_type"))
        .set_kms_key_id(s(p, "kms_key_id"))
        .set_db_subnet_group_name(s(p, "db_subnet_group_name"))
        .set_vpc_security_group_ids((!sgs.is_empty()).then_some(sgs))
        .set_copy_tags_to_snapshot(p.get_attr("copy_tags_to_snapshot").as_bool())
        .set_deletion_protection(p.get_attr("deletion_protection").as_bool())
        .set_tags(Some(rds_tags(p, Some(token))))
        .send()
        .await;
    match r {
        Ok(_) => {}
        Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
            let existing = describe_db(c, id).await.map_err(|d| vec![d])?;
            let ours = existing.as_ref().is_some_and(|d| {
                d.tag_list()
                    .iter()
                    .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
            });
            if !ours {
                return Err(vec![attr_err(
                    "identifier",
                    "Database already exists",
                    format!("a database named \"{id}\" exists and was not created by this plan; import it (iac import) or choose another identifier"),
                )]);
            }
        }
        Err(e) => return Err(vec![sdk_err("CreateDBInstanceReadReplica", e)]),
    }
    let db = wait_db(c, id, false).await.map_err(|d| vec![d])?;
    Ok(db.map(|d| db_value(&d, p)))
}

/// The identifier of a new database: `identifier`, or `identifier_prefix` (or
/// "iac-") and the plan's token, the same on every retry of one create.
fn new_identifier(p: &Value, token: &str) -> String {
    match (s(p, "identifier"), s(p, "identifier_prefix")) {
        (Some(id), _) => id,
        (None, Some(prefix)) => {
            let t: String = token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .take(63usize.saturating_sub(prefix.len()).min(26))
                .collect();
            format!("{prefix}{t}")
        }
        (None, None) => generated_identifier(token),
    }
}

/// A database that exists under the name a create asked for is the one an
/// earlier attempt of this create made (tagged with its token), or an error.
async fn ours_or_refuse(c: &Clients, id: &str, token: &str) -> Result<(), Vec<AttrDiagnostic>> {
    let existing = describe_db(c, id).await.map_err(|d| vec![d])?;
    let ours = existing.as_ref().is_some_and(|d| {
        d.tag_list()
            .iter()
            .any(|t| t.key() == Some(TOKEN_TAG) && t.value() == Some(token))
    });
    if ours {
        return Ok(());
    }
    Err(vec![attr_err(
        "identifier",
        "Database already exists",
        format!("a database named \"{id}\" exists and was not created by this plan; import it (iac import) or choose another identifier"),
    )])
}

/// What shapes a restored instance (from a snapshot or to a point in time), set
/// on either restore call's request (they take the same arguments by the same
/// names, on two builder types).
macro_rules! restored_shape {
    ($req:expr, $p:expr, $token:expr) => {{
        let p = $p;
        let req = $req
            .set_db_instance_class(s(p, "instance_class"))
            .set_engine(s(p, "engine"))
            .set_allocated_storage(int(p, "allocated_storage"))
            .set_storage_type(s(p, "storage_type"))
            .set_iops(int(p, "iops"))
            .set_storage_throughput(int(p, "storage_throughput"))
            .set_db_subnet_group_name(s(p, "db_subnet_group_name"))
            .set_db_parameter_group_name(s(p, "parameter_group_name"))
            .set_option_group_name(s(p, "option_group_name"))
            .set_multi_az(p.get_attr("multi_az").as_bool())
            .set_publicly_accessible(p.get_attr("publicly_accessible").as_bool())
            .set_port(int(p, "port"))
            .set_availability_zone(s(p, "availability_zone"))
            .set_license_model(s(p, "license_model"))
            .set_deletion_protection(p.get_attr("deletion_protection").as_bool())
            .set_copy_tags_to_snapshot(p.get_attr("copy_tags_to_snapshot").as_bool())
            .set_auto_minor_version_upgrade(p.get_attr("auto_minor_version_upgrade").as_bool())
            .set_enable_iam_database_authentication(
                p.get_attr("iam_database_authentication_enabled").as_bool(),
            )
            .set_enable_cloudwatch_logs_exports(crate::util::non_empty(strings(
                p,
                "enabled_cloudwatch_logs_exports",
            )))
            .set_network_type(s(p, "network_type"))
            .set_tags(Some(rds_tags(p, Some($token))));
        let sgs = strings(p, "vpc_security_group_ids");
        if sgs.is_empty() {
            req
        } else {
            req.set_vpc_security_group_ids(Some(sgs))
        }
    }};
}

/// A database made from a snapshot: RestoreDBInstanceFromDBSnapshot takes what
/// shapes the new instance; what it does not take (backups, windows, password,
/// monitoring, ...) is then changed as an update from what was restored.
async fn restore_snapshot(
    c: &Clients,
    p: &Value,
    id: &str,
    snapshot: &str,
    token: &str,
) -> ApplyResult {
    let req = c
        .rds
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(id)
        .db_snapshot_identifier(snapshot);
    let sent = restored_shape!(req, p, token).send().await;
    let sent = sent.map(|_| ()).map_err(|e| {
        let exists = err_code(&e).is_some_and(|c| c.contains("AlreadyExists"));
        (exists, sdk_err("RestoreDBInstanceFromDBSnapshot", e))
    });
    after_restore(c, p, id, token, sent).await
}

/// A database restored from another's backups to a point in time
/// (`restore_to_point_in_time`): RestoreDBInstanceToPointInTime, then the rest
/// as after a snapshot.
async fn restore_point_in_time(c: &Clients, p: &Value, id: &str, token: &str) -> ApplyResult {
    let r = crate::util::first(p, "restore_to_point_in_time");
    let time = s(&r, "restore_time").and_then(|t| {
        aws_sdk_rds::primitives::DateTime::from_str(
            &t,
            aws_sdk_rds::primitives::DateTimeFormat::DateTime,
        )
        .ok()
    });
    let req = c
        .rds
        .restore_db_instance_to_point_in_time()
        .target_db_instance_identifier(id)
        .set_source_db_instance_identifier(s(&r, "source_db_instance_identifier"))
        .set_source_db_instance_automated_backups_arn(s(
            &r,
            "source_db_instance_automated_backups_arn",
        ))
        .set_source_dbi_resource_id(s(&r, "source_dbi_resource_id"))
        .set_restore_time(time)
        .set_use_latest_restorable_time(r.get_attr("use_latest_restorable_time").as_bool());
    let sent = restored_shape!(req, p, token).send().await;
    let sent = sent.map(|_| ()).map_err(|e| {
        let exists = err_code(&e).is_some_and(|c| c.contains("AlreadyExists"));
        (exists, sdk_err("RestoreDBInstanceToPointInTime", e))
    });
    after_restore(c, p, id, token, sent).await
}

/// After a restore call (`sent`; whether it failed because the instance exists):
/// waits for the instance, then applies what the configuration says beyond
/// what was restored.
async fn after_restore(
    c: &Clients,
    p: &Value,
    id: &str,
    token: &str,
    sent: Result<(), (bool, AttrDiagnostic)>,
) -> ApplyResult {
    match sent {
        Ok(()) => {}
        // Ours from an earlier attempt of this same create (tagged with its token)?
        Err((true, _)) => ours_or_refuse(c, id, token).await?,
        Err((false, d)) => return Err(vec![d]),
    }
    let Some(db) = wait_db(c, id, false).await.map_err(|d| vec![d])? else {
        return Ok(None);
    };
    let restored = db_value(&db, &Value::Map(Default::default()));
    let mut now = p.clone();
    set(&mut now, "apply_immediately", Value::Bool(true));
    update_db(c, &restored, &now).await.map(|v| {
        v.map(|mut v| {
            set(
                &mut v,
                "apply_immediately",
                p.get_attr("apply_immediately").clone(),
            );
            v
        })
    })
}

pub(crate) async fn create_db(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    let id = new_identifier(p, token);
    if let Some(source) = s(p, "replicate_source_db") {
        return create_replica(c, p, &id, &source, token).await;
    }
    if let Some(snapshot) = s(p, "snapshot_identifier") {
        return restore_snapshot(c, p, &id, &snapshot, token).await;
    }
    if crate::util::written(p, "restore_to_point_in_time") {
        return restore_point_in_time(c, p, &id, token).await;
    }
    let username = s(p, "username").ok_or_else(|| {
        vec![attr_err(
            "username",
            "Missing username",
            "a new database needs a master user name",
        )]
    })?;
    let managed = p.get_attr("manage_master_user_password").as_bool() == Some(true);
    let password = plaintext(p, "password").map_err(|d| vec![d])?;
    if !managed && password.is_none() {
        return Err(vec![attr_err(
            "password",
            "Missing password",
            "set password (from a sensitive variable or random_password) or manage_master_user_password = true",
        )]);
    }
    let mut req = c
        .rds
        .create_db_instance()
        .db_instance_identifier(&id)
        .engine(s(p, "engine").unwrap_or_default())
        .set_engine_version(s(p, "engine_version"))
        .db_instance_class(s(p, "instance_class").unwrap_or_default())
        .set_allocated_storage(int(p, "allocated_storage"))
        .set_storage_type(s(p, "storage_type"))
        .set_db_name(s(p, "db_name"))
        .master_username(username)
        .set_db_subnet_group_name(s(p, "db_subnet_group_name"))
        .set_db_parameter_group_name(s(p, "parameter_group_name"))
        .set_option_group_name(s(p, "option_group_name"))
        .set_multi_az(p.get_attr("multi_az").as_bool())
        .set_backup_retention_period(int(p, "backup_retention_period"))
        .set_publicly_accessible(p.get_attr("publicly_accessible").as_bool())
        .set_port(int(p, "port"))
        .set_deletion_protection(p.get_attr("deletion_protection").as_bool())
        .set_license_model(s(p, "license_model"))
        .set_storage_encrypted(p.get_attr("storage_encrypted").as_bool())
        .set_kms_key_id(s(p, "kms_key_id"))
        .set_max_allocated_storage(int(p, "max_allocated_storage"))
        .set_preferred_backup_window(s(p, "backup_window"))
        .set_preferred_maintenance_window(s(p, "maintenance_window"))
        .set_auto_minor_version_upgrade(p.get_attr("auto_minor_version_upgrade").as_bool())
        .set_copy_tags_to_snapshot(p.get_attr("copy_tags_to_snapshot").as_bool())
        .set_availability_zone(s(p, "availability_zone"))
        .set_enable_iam_database_authentication(
            p.get_attr("iam_database_authentication_enabled").as_bool(),
        )
        .set_ca_certificate_identifier(s(p, "ca_cert_identifier"))
        .set_character_set_name(s(p, "character_set_name"))
        .set_nchar_character_set_name(s(p, "nchar_character_set_name"))
        .set_timezone(s(p, "timezone"))
        .set_enable_cloudwatch_logs_exports(crate::util::non_empty(strings(
            p,
            "enabled_cloudwatch_logs_exports",
        )))
        .set_iops(int(p, "iops"))
        .set_storage_throughput(int(p, "storage_throughput"))
        .set_monitoring_interval(int(p, "monitoring_interval"))
        .set_monitoring_role_arn(s(p, "monitoring_role_arn"))
        .set_enable_performance_insights(p.get_attr("performance_insights_enabled").as_bool())
        .set_performance_insights_kms_key_id(s(p, "performance_insights_kms_key_id"))
        .set_performance_insights_retention_period(int(p, "performance_insights_retention_period"))
        .set_database_insights_mode(
            s(p, "database_insights_mode")
                .map(|x| aws_sdk_rds::types::DatabaseInsightsMode::from(x.as_str())),
        )
        .set_network_type(s(p, "network_type"))
        .set_engine_lifecycle_support(s(p, "engine_lifecycle_support"))
        .set_dedicated_log_volume(p.get_attr("dedicated_log_volume").as_bool())
        .set_master_user_secret_kms_key_id(s(p, "master_user_secret_kms_key_id"))
        .set_tags(Some(rds_tags(p, Some(token))));
    let sgs = strings(p, "vpc_security_group_ids");
    if !sgs.is_empty() {
        req = req.set_vpc_security_group_ids(Some(sgs));
    }
    if managed {
        req = req.manage_master_user_password(true);
    } else {
        req = req.set_master_user_password(password);
    }
    match req.send().await {
        Ok(_) => {}
        // Ours from an earlier attempt of this same create, or someone else's?
        Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
            ours_or_refuse(c, &id, token).await?
        }
        Err(e) => return Err(vec![sdk_err("CreateDBInstance", e)]),
    }
    let db = wait_db(c, &id, false).await.map_err(|d| vec![d])?;
    Ok(db.map(|d| db_value(&d, p)))
}

/// Performance Insights and (when it changes) the Database Insights mode, which
/// in advanced mode needs Performance Insights on, with its retention.
fn insights(
    req: aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
    p: &Value,
    mode: bool,
) -> aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder {
    let req = req
        .set_enable_performance_insights(p.get_attr("performance_insights_enabled").as_bool())
        .set_performance_insights_kms_key_id(s(p, "performance_insights_kms_key_id"))
        .set_performance_insights_retention_period(int(p, "performance_insights_retention_period"));
    if !mode {
        return req;
    }
    req.set_database_insights_mode(
        s(p, "database_insights_mode")
            .map(|x| aws_sdk_rds::types::DatabaseInsightsMode::from(x.as_str())),
    )
}

/// The changes of `old` to `p` that ModifyDBInstance makes, added to `req`;
/// whether there were any.
fn modifications(
    mut req: aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
    old: &Value,
    p: &Value,
) -> Result<
    (
        aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
        bool,
    ),
    Vec<AttrDiagnostic>,
> {
    let mut any = false;
    let ch = |name: &str| changed(old, p, name);
    if ch("engine_version") {
        // Across major versions only when the configuration allows it, as in Terraform.
        req = req
            .set_engine_version(s(p, "engine_version"))
            .set_allow_major_version_upgrade(p.get_attr("allow_major_version_upgrade").as_bool());
        any = true;
    }
    if ch("instance_class") {
        req = req.set_db_instance_class(s(p, "instance_class"));
        any = true;
    }
    if ch("allocated_storage") {
        req = req.set_allocated_storage(int(p, "allocated_storage"));
        any = true;
    }
    if ch("storage_type") {
        req = req.set_storage_type(s(p, "storage_type"));
        any = true;
    }
    if ch("password") && !p.get_attr("password").is_null() {
        req = req.set_master_user_password(plaintext(p, "password").map_err(|d| vec![d])?);
        any = true;
    }
    if ch("manage_master_user_password") {
        req = req.manage_master_user_password(
            p.get_attr("manage_master_user_password").as_bool() == Some(true),
        );
        if p.get_attr("manage_master_user_password").as_bool() != Some(true) {
            req = req.set_master_user_password(plaintext(p, "password").map_err(|d| vec![d])?);
        }
        any = true;
    }
    if ch("vpc_security_group_ids") {
        req = req.set_vpc_security_group_ids(Some(strings(p, "vpc_security_group_ids")));
        any = true;
    }
    if ch("parameter_group_name") {
        req = req.set_db_parameter_group_name(s(p, "parameter_group_name"));
        any = true;
    }
    if ch("option_group_name") {
        req = req.set_option_group_name(s(p, "option_group_name"));
        any = true;
    }
    if ch("multi_az") {
        req = req.set_multi_az(p.get_attr("multi_az").as_bool());
        any = true;
    }
    if ch("backup_retention_period") {
        req = req.set_backup_retention_period(int(p, "backup_retention_period"));
        any = true;
    }
    if ch("publicly_accessible") {
        req = req.set_publicly_accessible(p.get_attr("publicly_accessible").as_bool());
        any = true;
    }
    if ch("port") {
        req = req.set_db_port_number(int(p, "port"));
        any = true;
    }
    if ch("deletion_protection") {
        req = req.deletion_protection(p.get_attr("deletion_protection").as_bool() == Some(true));
        any = true;
    }
    if ch("license_model") {
        req = req.set_license_model(s(p, "license_model"));
        any = true;
    }
    if ch("max_allocated_storage") {
        req = req.set_max_allocated_storage(int(p, "max_allocated_storage"));
        any = true;
    }
    if ch("backup_window") {
        req = req.set_preferred_backup_window(s(p, "backup_window"));
        any = true;
    }
    if ch("maintenance_window") {
        req = req.set_preferred_maintenance_window(s(p, "maintenance_window"));
        any = true;
    }
    if ch("auto_minor_version_upgrade") {
        req =
            req.set_auto_minor_version_upgrade(p.get_attr("auto_minor_version_upgrade").as_bool());
        any = true;
    }
    if ch("copy_tags_to_snapshot") {
        req = req.set_copy_tags_to_snapshot(p.get_attr("copy_tags_to_snapshot").as_bool());
        any = true;
    }
    if ch("iam_database_authentication_enabled") {
        req = req.set_enable_iam_database_authentication(
            p.get_attr("iam_database_authentication_enabled").as_bool(),
        );
        any = true;
    }
    if ch("ca_cert_identifier") {
        req = req.set_ca_certificate_identifier(s(p, "ca_cert_identifier"));
        any = true;
    }
    if ch("enabled_cloudwatch_logs_exports") {
        let (was, now) = (
            strings(old, "enabled_cloudwatch_logs_exports"),
            strings(p, "enabled_cloudwatch_logs_exports"),
        );
        req = req.cloudwatch_logs_export_configuration(
            aws_sdk_rds::types::CloudwatchLogsExportConfiguration::builder()
                .set_enable_log_types(crate::util::non_empty(
                    now.iter().filter(|l| !was.contains(l)).cloned().collect(),
                ))
                .set_disable_log_types(crate::util::non_empty(
                    was.iter().filter(|l| !now.contains(l)).cloned().collect(),
                ))
                .build(),
        );
        any = true;
    }
    if ch("iops") {
        req = req.set_iops(int(p, "iops"));
        any = true;
    }
    if ch("storage_throughput") {
        req = req.set_storage_throughput(int(p, "storage_throughput"));
        any = true;
    }
    if ch("monitoring_interval") || ch("monitoring_role_arn") {
        req = req
            .set_monitoring_interval(int(p, "monitoring_interval"))
            .set_monitoring_role_arn(s(p, "monitoring_role_arn"));
        any = true;
    }
    if [
        "performance_insights_enabled",
        "performance_insights_kms_key_id",
        "performance_insights_retention_period",
        "database_insights_mode",
    ]
    .iter()
    .any(|k| ch(k))
    {
        req = insights(req, p, ch("database_insights_mode"));
        any = true;
    }
    if ch("network_type") {
        req = req.set_network_type(s(p, "network_type"));
        any = true;
    }
    if ch("engine_lifecycle_support") {
        req = req.set_engine_lifecycle_support(s(p, "engine_lifecycle_support"));
        any = true;
    }
    if ch("dedicated_log_volume") {
        req = req.set_dedicated_log_volume(p.get_attr("dedicated_log_volume").as_bool());
        any = true;
    }
    if ch("replica_mode") {
        req = req.set_replica_mode(
            s(p, "replica_mode").map(|m| aws_sdk_rds::types::ReplicaMode::from(m.as_str())),
        );
        any = true;
    }
    if ch("master_user_secret_kms_key_id") {
        req = req.set_master_user_secret_kms_key_id(s(p, "master_user_secret_kms_key_id"));
        any = true;
    }
    Ok((req, any))
}

pub(crate) async fn update_db(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let id = s(old, "identifier").unwrap_or_default();
    // Engine, class, parameter group and storage changes by blue/green
    // deployment when asked for; what is left is modified as usual, from the
    // database that took over.
    let deployed;
    let old = if blue_green::changes(old, p).is_empty() {
        old
    } else {
        blue_green::deploy(c, old, p).await.map_err(|d| vec![d])?;
        let db = wait_db(c, &id, false).await.map_err(|d| vec![d])?;
        deployed = db.map_or_else(|| old.clone(), |d| db_value(&d, old));
        &deployed
    };
    let req = c
        .rds
        .modify_db_instance()
        .db_instance_identifier(&id)
        .apply_immediately(p.get_attr("apply_immediately").as_bool() == Some(true));
    let (req, any) = modifications(req, old, p)?;
    // A replica whose source is removed from the configuration is promoted.
    if !old.get_attr("replicate_source_db").is_null() && p.get_attr("replicate_source_db").is_null()
    {
        c.rds
            .promote_read_replica()
            .db_instance_identifier(&id)
            .set_backup_retention_period(int(p, "backup_retention_period"))
            .send()
            .await
            .map_err(|e| vec![sdk_err("PromoteReadReplica", e)])?;
        wait_db(c, &id, false).await.map_err(|d| vec![d])?;
    }
    if any {
        req.send()
            .await
            .map_err(|e| vec![sdk_err("ModifyDBInstance", e)])?;
    }
    let arn = s(old, "arn").unwrap_or_default();
    sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
    let db = wait_db(c, &id, false).await.map_err(|d| vec![d])?;
    Ok(db.map(|d| {
        let mut v = db_value(&d, p);
        // Changes waiting for the maintenance window are not visible yet; the
        // state records what was asked for, as Terraform does.
        if p.get_attr("apply_immediately").as_bool() != Some(true) {
            for k in [
                "instance_class",
                "engine_version",
                "allocated_storage",
                "storage_type",
            ] {
                if !p.get_attr(k).is_unknown() && !p.get_attr(k).is_null() {
                    set(&mut v, k, p.get_attr(k).clone());
                }
            }
        }
        v
    }))
}

pub(crate) async fn sync_tags(
    c: &Clients,
    arn: &str,
    old: &Value,
    p: &Value,
) -> Result<(), AttrDiagnostic> {
    let (was, now) = (tags_of(old), tags_of(p));
    if was == now || arn.is_empty() {
        return Ok(());
    }
    let gone: Vec<String> = was
        .keys()
        .filter(|k| !now.contains_key(*k))
        .cloned()
        .collect();
    if !gone.is_empty() {
        c.rds
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(gone))
            .send()
            .await
            .map_err(|e| sdk_err("RemoveTagsFromResource", e))?;
    }
    let add = rds_tags(p, None);
    if !add.is_empty() {
        c.rds
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(add))
            .send()
            .await
            .map_err(|e| sdk_err("AddTagsToResource", e))?;
    }
    Ok(())
}

pub(crate) async fn delete_db(c: &Clients, old: &Value) -> ApplyResult {
    let id = s(old, "identifier").unwrap_or_default();
    let skip = old.get_attr("skip_final_snapshot").as_bool() == Some(true);
    let mut req = c
        .rds
        .delete_db_instance()
        .db_instance_identifier(&id)
        .skip_final_snapshot(skip)
        .set_delete_automated_backups(old.get_attr("delete_automated_backups").as_bool());
    if !skip {
        req = req.set_final_db_snapshot_identifier(s(old, "final_snapshot_identifier"));
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => return Ok(None),
        Err(e) => return Err(vec![sdk_err("DeleteDBInstance", e)]),
    }
    wait_db(c, &id, true).await.map_err(|d| vec![d])?;
    Ok(None)
}

pub(crate) async fn group_tags(c: &Clients, arn: Option<&str>) -> Result<Value, AttrDiagnostic> {
    let Some(arn) = arn else {
        return Ok(Value::Null);
    };
    let out = c
        .rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| sdk_err("ListTagsForResource", e))?;
    Ok(tag_map(out.tag_list().iter().map(|t| (t.key(), t.value()))))
}

pub(crate) async fn describe_group(
    c: &Clients,
    name: &str,
) -> Result<Option<DbSubnetGroup>, AttrDiagnostic> {
    match c
        .rds
        .describe_db_subnet_groups()
        .db_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_subnet_groups().first().cloned()),
        Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(None),
        Err(e) => Err(sdk_err("DescribeDBSubnetGroups", e)),
    }
}

pub(crate) async fn create_group(c: &Clients, p: &Value, token: &str) -> ApplyResult {
    // RDS keeps names in lower case.
    let name = crate::util::name_for(p, token).to_lowercase();
    let description = s(p, "description").unwrap_or_else(|| "Managed by iac".into());
    let r = c
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(&name)
        .db_subnet_group_description(&description)
        .set_subnet_ids(Some(strings(p, "subnet_ids")))
        .set_tags(Some(rds_tags(p, None)))
        .send()
        .await;
    let g = match r {
        Ok(out) => out.db_subnet_group().cloned(),
        // A retried create: the group is ours if its settings are; bring them in line.
        Err(e) if err_code(&e).is_some_and(|c| c.contains("AlreadyExists")) => {
            let mut p = p.clone();
            set(&mut p, "name", Value::String(name));
            return update_group(c, &Value::Map(BTreeMap::new().into()), &p).await;
        }
        Err(e) => return Err(vec![sdk_err("CreateDBSubnetGroup", e)]),
    };
    let tags = group_tags(c, g.as_ref().and_then(|g| g.db_subnet_group_arn()))
        .await
        .map_err(|d| vec![d])?;
    Ok(g.map(|g| group_value(&g, p, tags)))
}

pub(crate) async fn update_group(c: &Clients, old: &Value, p: &Value) -> ApplyResult {
    let name = s(p, "name").unwrap_or_default();
    c.rds
        .modify_db_subnet_group()
        .db_subnet_group_name(&name)
        .db_subnet_group_description(s(p, "description").unwrap_or_else(|| "Managed by iac".into()))
        .set_subnet_ids(Some(strings(p, "subnet_ids")))
        .send()
        .await
        .map_err(|e| vec![sdk_err("ModifyDBSubnetGroup", e)])?;
    let g = describe_group(c, &name).await.map_err(|d| vec![d])?;
    let arn = g
        .as_ref()
        .and_then(|g| g.db_subnet_group_arn())
        .unwrap_or_default()
        .to_string();
    sync_tags(c, &arn, old, p).await.map_err(|d| vec![d])?;
    let tags = group_tags(c, Some(&arn)).await.map_err(|d| vec![d])?;
    Ok(g.map(|g| group_value(&g, p, tags)))
}

/// The ids of objects in state, and what a read found for each (by id) as the
/// engine wants it: one result per object, `None` for one that is gone.
pub(crate) fn ids_of(current: &[Value]) -> Vec<String> {
    current
        .iter()
        .map(|v| s(v, "id").unwrap_or_default())
        .collect()
}

pub(crate) fn results(
    ids: &[String],
    found: &BTreeMap<String, Value>,
) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
    ids.iter().map(|id| Ok(found.get(id).cloned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subnet_groups_network_types_are_read() {
        let g = DbSubnetGroup::builder()
            .db_subnet_group_name("db")
            .supported_network_types("IPV4")
            .supported_network_types("DUAL")
            .build();
        let v = group_value(&g, &Value::Null, Value::Null);
        assert_eq!(
            v.get_attr("supported_network_types"),
            &Value::set(vec![Value::string("DUAL"), Value::string("IPV4")])
        );
    }
}
