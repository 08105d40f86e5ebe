//! `aws_db_instance`: an RDS database. Its plan says what a change costs
//! (restart, downtime, replacement), and deleting one that protects itself, or
//! without saying what happens to its data, is refused when planning.

use std::collections::BTreeMap;

use aws_sdk_rds::types::Filter;
use iac_provider::kit::ResourceType;
use iac_provider::{
    ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest, PlanResponse,
    Schema,
};
use iac_value::Value;

use super::*;
use crate::schema::{num, string_set, tags};
use crate::util::{s, sdk_err};
use crate::Clients;

pub(crate) struct DbInstanceType;

/// The rest of `aws_db_instance`'s arguments (backups, monitoring, replicas, what
/// RDS computes).
fn db_instance_more(s: Schema) -> Schema {
    use AttrType::{Bool, String as Str};
    s
            .attr(
                "deletion_protection",
                Attribute::optional(Bool, "Refuse to delete the database while true."),
            )
            .attr(
                "skip_final_snapshot",
                Attribute::optional(
                    Bool,
                    "Delete without a final snapshot (default false: a snapshot is required).",
                ),
            )
            .attr(
                "final_snapshot_identifier",
                Attribute::optional(Str, "Name of the snapshot taken when the database is deleted."),
            )
            .attr(
                "apply_immediately",
                Attribute::optional(
                    Bool,
                    "Apply changes now rather than in the next maintenance window.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The identifier."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("resource_id", Attribute::computed(Str, "RDS resource id (db-...)."))
            .attr("address", Attribute::computed(Str, "Host name."))
            .attr("endpoint", Attribute::computed(Str, "host:port."))
            .attr("status", Attribute::computed(Str, "available, modifying, ..."))
            .attr(
                "master_user_secret",
                Attribute::computed(
                    AttrType::List(Box::new(AttrType::Map(Box::new(Str)))),
                    "With manage_master_user_password: the secret holding the password (secret_arn, secret_status, kms_key_id).",
                ),
            )
            .attr(
                "master_user_secret_kms_key_id",
                Attribute::optional_computed(Str, "KMS key of the secret manage_master_user_password makes."),
            )
            .attr(
                "allow_major_version_upgrade",
                Attribute::optional(Bool, "Allow a change of engine_version across major versions."),
            )
            .attr(
                "ca_cert_identifier",
                Attribute::optional_computed(Str, "Certificate authority of the server certificate; changes in place."),
            )
            .attr(
                "character_set_name",
                Attribute::optional_computed(Str, "Character set (Oracle, SQL Server); a change replaces.")
                    .force_new(),
            )
            .attr(
                "nchar_character_set_name",
                Attribute::optional_computed(Str, "National character set (Oracle); a change replaces.")
                    .force_new(),
            )
            .attr(
                "timezone",
                Attribute::optional_computed(Str, "Time zone (SQL Server); a change replaces.").force_new(),
            )
            .attr(
                "delete_automated_backups",
                Attribute::optional(Bool, "Delete automated backups with the database (default true)."),
            )
            .attr(
                "enabled_cloudwatch_logs_exports",
                Attribute::optional(string_set(), "Logs sent to CloudWatch Logs (postgresql, upgrade, error, general, slowquery, audit, ...); change in place."),
            )
            .attr(
                "iops",
                Attribute::optional_computed(num(), "Provisioned IOPS (io1, io2, gp3); changes in place."),
            )
            .attr(
                "storage_throughput",
                Attribute::optional_computed(num(), "Throughput in MiB/s (gp3); changes in place."),
            )
            .attr(
                "monitoring_interval",
                Attribute::optional_computed(num(), "Seconds between Enhanced Monitoring samples (0 turns it off; 1, 5, 10, 15, 30, 60)."),
            )
            .attr(
                "monitoring_role_arn",
                Attribute::optional_computed(Str, "Role that lets RDS send Enhanced Monitoring metrics."),
            )
            .attr(
                "performance_insights_enabled",
                Attribute::optional_computed(Bool, "Performance Insights; changes in place."),
            )
            .attr(
                "database_insights_mode",
                Attribute::optional_computed(Str, "CloudWatch Database Insights: standard or advanced (advanced needs Performance Insights kept 465 days or more); changes in place."),
            )
            .attr(
                "performance_insights_kms_key_id",
                Attribute::optional_computed(Str, "KMS key of the Performance Insights data."),
            )
            .attr(
                "performance_insights_retention_period",
                Attribute::optional_computed(num(), "Days Performance Insights data is kept (7, 731, or a multiple of 31)."),
            )
            .attr(
                "network_type",
                Attribute::optional_computed(Str, "IPV4 or DUAL; changes in place."),
            )
            .attr(
                "engine_lifecycle_support",
                Attribute::optional_computed(Str, "open-source-rds-extended-support or open-source-rds-extended-support-disabled."),
            )
            .attr(
                "dedicated_log_volume",
                Attribute::optional_computed(Bool, "A dedicated log volume (Provisioned IOPS storage); changes in place."),
            )
            .attr(
                "replica_mode",
                Attribute::optional_computed(Str, "open-read-only or mounted (Oracle replicas); changes in place."),
            )
            .attr(
                "snapshot_identifier",
                Attribute::optional(Str, "Make the database from this snapshot (a change replaces it).").force_new(),
            )
            .attr(
                "upgrade_storage_config",
                Attribute::optional(Bool, "A read replica: made with its storage file system configuration upgraded (CreateDBInstanceReadReplica; a later change is only recorded, as in Terraform)."),
            )
            .block("blue_green_update", super::blue_green::block())
            .block("restore_to_point_in_time", {
                let mut b = crate::schema::nested(
                    iac_provider::Nesting::List,
                    0,
                    Some(1),
                    Schema::new("Make the database from another's automated backups, as it was at a point in time (a change replaces it).")
                        .attr("source_db_instance_identifier", Attribute::optional(Str, "The database whose backups to restore."))
                        .attr("source_db_instance_automated_backups_arn", Attribute::optional(Str, "Or its retained automated backups, by ARN."))
                        .attr("source_dbi_resource_id", Attribute::optional(Str, "Or the source by resource id."))
                        .attr("restore_time", Attribute::optional(Str, "The time to restore to (RFC 3339, UTC)."))
                        .attr("use_latest_restorable_time", Attribute::optional(Bool, "Restore to the latest time the backups reach.")),
                );
                b.force_new = true;
                b
            })
            .attr("hosted_zone_id", Attribute::computed(Str, "Route 53 zone of the endpoint."))
            .attr(
                "latest_restorable_time",
                Attribute::computed(Str, "Latest time a point-in-time restore can reach."),
            )
            .attr(
                "engine_version_actual",
                Attribute::computed(Str, "The engine version running."),
            )
            .attr(
                "replicas",
                Attribute::computed(AttrType::List(Box::new(Str)), "Read replicas of this database."),
            )
            .attr(
                "listener_endpoint",
                Attribute::computed(
                    AttrType::List(Box::new(AttrType::Map(Box::new(Str)))),
                    "The listener (SQL Server Always On): address, port, hosted_zone_id.",
                ),
            )
}

#[async_trait::async_trait]
impl ResourceType<Clients> for DbInstanceType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        db_instance_more(Schema::new("An RDS database instance.")
            .attr(
                "identifier",
                Attribute::optional_computed(Str, "Name of the instance (generated when unset).")
                    .force_new(),
            )
            .attr(
                "identifier_prefix",
                Attribute::optional(Str, "Prefix of a generated identifier.").force_new(),
            )
            .attr(
                "engine",
                Attribute::optional_computed(
                    Str,
                    "postgres, mysql, mariadb, ... (required unless replicate_source_db is set).",
                )
                .force_new(),
            )
            .attr(
                "replicate_source_db",
                Attribute::optional(
                    Str,
                    "Make this a read replica of that database; removing it promotes the replica.",
                ),
            )
            .attr(
                "license_model",
                Attribute::optional_computed(Str, "license-included, bring-your-own-license, general-public-license, ..."),
            )
            .attr(
                "storage_encrypted",
                Attribute::optional_computed(Bool, "Encrypt the storage (default false).").force_new(),
            )
            .attr(
                "kms_key_id",
                Attribute::optional_computed(Str, "KMS key of encrypted storage.").force_new(),
            )
            .attr(
                "max_allocated_storage",
                Attribute::optional_computed(num(), "Upper limit of storage autoscaling, in GiB."),
            )
            .attr(
                "backup_window",
                Attribute::optional_computed(Str, "Daily backup window, such as 09:46-10:16 (UTC)."),
            )
            .attr(
                "maintenance_window",
                Attribute::optional_computed(Str, "Weekly maintenance window, such as Mon:00:00-Mon:03:00."),
            )
            .attr(
                "auto_minor_version_upgrade",
                Attribute::optional_computed(Bool, "Upgrade minor versions in the maintenance window (default true)."),
            )
            .attr(
                "copy_tags_to_snapshot",
                Attribute::optional_computed(Bool, "Copy the tags to snapshots (default false)."),
            )
            .attr(
                "availability_zone",
                Attribute::optional_computed(Str, "Zone of a single-zone database.").force_new(),
            )
            .attr(
                "iam_database_authentication_enabled",
                Attribute::optional_computed(Bool, "Let IAM users sign in (default false)."),
            )
            .attr(
                "engine_version",
                Attribute::optional_computed(Str, "Engine version; a change upgrades in place."),
            )
            .attr(
                "instance_class",
                Attribute::required(Str, "Such as db.t3.micro; a change restarts the database."),
            )
            .attr(
                "allocated_storage",
                Attribute::optional_computed(num(), "Storage in GiB."),
            )
            .attr(
                "storage_type",
                Attribute::optional_computed(Str, "gp2, gp3, io1, standard."),
            )
            .attr(
                "db_name",
                Attribute::optional(Str, "Database created with the instance.").force_new(),
            )
            .attr(
                "username",
                Attribute::optional_computed(Str, "Master user name.").force_new(),
            )
            .attr(
                "password",
                Attribute::optional(
                    Str,
                    "Master password. Never stored: state keeps a salted fingerprint.",
                )
                .sensitive(),
            )
            .attr(
                "manage_master_user_password",
                Attribute::optional(
                    Bool,
                    "Let RDS generate the master password and keep it in Secrets Manager.",
                ),
            )
            .attr(
                "password_wo",
                Attribute::optional(
                    Str,
                    "Write-only master password (Terraform 1.11): sent on create and when password_wo_version changes, never stored, not even as a fingerprint.",
                )
                .sensitive(),
            )
            .attr(
                "password_wo_version",
                Attribute::optional(AttrType::Number, "Change it to send password_wo again."),
            )
            .attr(
                "db_subnet_group_name",
                Attribute::optional_computed(Str, "Subnet group (default: the default VPC).")
                    .force_new(),
            )
            .attr(
                "vpc_security_group_ids",
                Attribute::optional_computed(string_set(), "Security groups."),
            )
            .attr(
                "parameter_group_name",
                Attribute::optional_computed(
                    Str,
                    "DB parameter group (default: the engine's default group); changes in place.",
                ),
            )
            .attr(
                "option_group_name",
                Attribute::optional_computed(Str, "Option group (default: the engine's); changes in place."),
            )
            .attr(
                "multi_az",
                Attribute::optional_computed(Bool, "Keep a standby in another zone."),
            )
            .attr(
                "backup_retention_period",
                Attribute::optional_computed(num(), "Days to keep automated backups."),
            )
            .attr(
                "publicly_accessible",
                Attribute::optional_computed(Bool, "Reachable from outside the VPC."),
            )
            .attr(
                "port",
                Attribute::optional_computed(num(), "Port the database listens on."),
            )
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        // Known to be set: an unknown one may yet be null (checked at apply).
        let set = |k: &str| !config.get_attr(k).is_null() && !config.get_attr(k).is_unknown();
        if set("identifier") && set("identifier_prefix") {
            out.push(crate::util::attr_err(
                "identifier_prefix",
                "Conflicting arguments",
                "set `identifier` or `identifier_prefix`, not both",
            ));
        }
        if set("password_wo")
            && (set("password")
                || config.get_attr("manage_master_user_password").as_bool() == Some(true))
        {
            out.push(crate::util::attr_err(
                "password_wo",
                "Conflicting arguments",
                "set password_wo, password or manage_master_user_password = true, one of them",
            ));
        }
        if set("replicate_source_db") && set("snapshot_identifier") {
            out.push(crate::util::attr_err(
                "snapshot_identifier",
                "Conflicting arguments",
                "a database is made either as a read replica (replicate_source_db) or from a snapshot, not both",
            ));
        }
        let pitr = crate::util::first(config, "restore_to_point_in_time");
        if pitr.as_map().is_some() {
            if set("snapshot_identifier") || set("replicate_source_db") {
                out.push(crate::util::attr_err(
                    "restore_to_point_in_time",
                    "Conflicting arguments",
                    "a database is made from a point in time, a snapshot or as a read replica: one of them",
                ));
            }
            let given = |k: &str| !pitr.get_attr(k).is_null();
            let sources = [
                "source_db_instance_identifier",
                "source_db_instance_automated_backups_arn",
                "source_dbi_resource_id",
            ]
            .iter()
            .filter(|k| given(k))
            .count();
            if sources != 1 {
                out.push(crate::util::attr_err(
                    "restore_to_point_in_time",
                    "One source",
                    "name the source once: source_db_instance_identifier, source_db_instance_automated_backups_arn or source_dbi_resource_id",
                ));
            }
            let latest = pitr.get_attr("use_latest_restorable_time").as_bool() == Some(true);
            if latest == given("restore_time") {
                out.push(crate::util::attr_err(
                    "restore_to_point_in_time",
                    "One point in time",
                    "give restore_time, or use_latest_restorable_time = true, not both",
                ));
            }
            if let Some(t) = pitr.get_attr("restore_time").as_str() {
                if aws_sdk_rds::primitives::DateTime::from_str(
                    t,
                    aws_sdk_rds::primitives::DateTimeFormat::DateTime,
                )
                .is_err()
                {
                    out.push(crate::util::attr_err(
                        "restore_to_point_in_time",
                        "Invalid restore_time",
                        format!("\"{t}\" is not an RFC 3339 time such as 2026-11-29T09:00:00Z"),
                    ));
                }
            }
        }
        if set("snapshot_identifier") || pitr.as_map().is_some() {
            for k in [
                "username",
                "db_name",
                "character_set_name",
                "storage_encrypted",
                "kms_key_id",
            ] {
                if set(k) {
                    out.push(crate::util::attr_err(
                        k,
                        "Not for a restored database",
                        format!("a database made from a snapshot or a point in time takes `{k}` from it"),
                    ));
                }
            }
        }
        if config.get_attr("upgrade_storage_config").as_bool() == Some(true)
            && !set("replicate_source_db")
        {
            out.push(crate::util::attr_err(
                "upgrade_storage_config",
                "Only for a read replica",
                "upgrade_storage_config upgrades a read replica's storage: set it with replicate_source_db",
            ));
        }
        if set("replicate_source_db") {
            for k in [
                "username",
                "password",
                "db_name",
                "manage_master_user_password",
            ] {
                if set(k) {
                    out.push(crate::util::attr_err(
                        k,
                        "Not for a read replica",
                        format!("a read replica takes `{k}` from its source database"),
                    ));
                }
            }
        }
        out
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan(schema, req);
        // A new database names its engine, unless it is a replica (a promoted
        // replica keeps the engine it has).
        let set = |k: &str| !req.config.get_attr(k).is_null();
        if req.prior.is_none()
            && !set("engine")
            && !set("replicate_source_db")
            && !set("snapshot_identifier")
            && !crate::util::written(req.config, "restore_to_point_in_time")
        {
            r.diagnostics.push(crate::util::attr_err(
                "engine",
                "Missing engine",
                "a new database needs `engine` (or `replicate_source_db`, for a read replica, or `snapshot_identifier`)",
            ));
        }
        // RDS keeps the maintenance window in lower case (Terraform stores it so too).
        if let Some(w) = req.config.get_attr("maintenance_window").as_str() {
            crate::util::set(
                &mut r.planned,
                "maintenance_window",
                Value::string(w.to_lowercase()),
            );
            if req.prior.is_some_and(|p| {
                p.get_attr("maintenance_window").as_str() == Some(&w.to_lowercase())
            }) {
                r.requires_replace.retain(|p| {
                    !matches!(p.first(), Some(iac_value::PathStep::Key(k)) if k == "maintenance_window")
                });
            }
        }
        // Write-only: never in a plan (the configuration's value is sent at apply).
        crate::util::WriteOnly::PASSWORD.plan(&mut r);
        // Removing replicate_source_db promotes the replica in place.
        if req.prior.is_some() {
            r.requires_replace.retain(|p| {
                !matches!(p.first(), Some(iac_value::PathStep::Key(k)) if k == "replicate_source_db")
            });
        }
        plan_notes(
            "aws_db_instance",
            req.prior,
            &r.planned,
            &r.requires_replace,
            &mut r.notes,
        );
        r
    }

    fn check_delete(&self, prior: &Value) -> Vec<AttrDiagnostic> {
        check_delete("aws_db_instance", prior)
    }

    async fn create(&self, c: &Clients, planned: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        let wo = crate::util::WriteOnly::PASSWORD;
        let (with_password, _) = wo.to_send(planned, None, req.config);
        let made = create_db(c, &with_password, req.idempotency_token).await?;
        Ok(made.map(|v| wo.forget(v, planned)))
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        let wo = crate::util::WriteOnly::PASSWORD;
        let (with_password, before) = wo.to_send(planned, Some(prior), req.config);
        let done = update_db(c, &before, &with_password).await?;
        Ok(done.map(|v| wo.forget(v, planned)))
    }

    async fn delete(
        &self,
        c: &Clients,
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        delete_db(c, prior).await.map(|_| ())
    }

    /// Databases 100 at a time (a `db-instance-id` filter): one or a few calls
    /// however many there are.
    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids = ids_of(current);
        let fail = |d: AttrDiagnostic| current.iter().map(|_| Err(d.clone())).collect();
        let mut found: BTreeMap<String, Value> = BTreeMap::new();
        for chunk in ids.chunks(100) {
            let ask: Vec<String> = chunk.iter().filter(|i| !i.is_empty()).cloned().collect();
            if ask.is_empty() {
                continue;
            }
            let mut pages = c
                .rds
                .describe_db_instances()
                .filters(
                    Filter::builder()
                        .name("db-instance-id")
                        .set_values(Some(ask))
                        .build(),
                )
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = match page {
                    Ok(p) => p,
                    Err(e) => return fail(sdk_err("DescribeDBInstances", e)),
                };
                for db in page.db_instances() {
                    let id = db.db_instance_identifier().unwrap_or_default().to_string();
                    // Being deleted counts as gone.
                    if db.db_instance_status() == Some("deleting") {
                        continue;
                    }
                    let keep = current
                        .iter()
                        .find(|v| s(v, "id").as_deref() == Some(id.as_str()))
                        .cloned()
                        .unwrap_or(Value::Null);
                    found.insert(id, db_value(db, &keep));
                }
            }
        }
        results(&ids, &found)
    }
}
