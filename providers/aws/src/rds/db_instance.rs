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

#[async_trait::async_trait]
impl ResourceType<Clients> for DbInstanceType {
    fn schema(&self) -> Schema {
        use AttrType::{Bool, String as Str};
        Schema::new("An RDS database instance.")
            .attr(
                "identifier",
                Attribute::optional_computed(Str, "Name of the instance (generated when unset).")
                    .force_new(),
            )
            .attr(
                "engine",
                Attribute::required(Str, "postgres, mysql, mariadb, ...").force_new(),
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
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = crate::kit::aws_plan("aws_db_instance", schema, req);
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
        create_db(c, planned, req.idempotency_token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
        _: &ApplyRequest<'_>,
    ) -> ApplyResult {
        update_db(c, prior, planned).await
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
