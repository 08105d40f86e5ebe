//! `blue_green_update { enabled = true }` on `aws_db_instance`: a change RDS can
//! make on a copy (engine version, class, parameter group, storage) is made as
//! an RDS Blue/Green Deployment, as Terraform makes it: a green copy with the
//! new settings is created from the database (kept in sync by replication), it
//! takes over the name and endpoint in a switchover (typically under a minute of
//! writes refused), and the old (blue) instance and the deployment are deleted.
//! A retried apply finds its deployment by name (the database's identifier) and
//! goes on from where it stands.

use std::time::{Duration, Instant};

use aws_sdk_rds::types::{BlueGreenDeployment, Filter};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting, Schema};
use iac_value::Value;

use super::{changed, WAIT};
use crate::util::{err_code, first, int, s, sdk_err, written};
use crate::Clients;

/// What a blue/green deployment changes on the green copy.
const CHANGES: [&str; 7] = [
    "engine_version",
    "instance_class",
    "parameter_group_name",
    "allocated_storage",
    "storage_type",
    "iops",
    "storage_throughput",
];

pub(crate) fn block() -> NestedBlock {
    crate::schema::nested(
        Nesting::List,
        0,
        Some(1),
        Schema::new("Make engine, class, parameter group and storage changes as an RDS Blue/Green Deployment (a copy takes over; the old instance is deleted).")
            .attr(
                "enabled",
                Attribute::optional(AttrType::Bool, "Use blue/green deployments for such changes."),
            ),
    )
}

fn enabled(p: &Value) -> bool {
    first(p, "blue_green_update").get_attr("enabled").as_bool() == Some(true)
}

/// The changes from `old` to `p` a deployment makes (none when not enabled).
pub(crate) fn changes(old: &Value, p: &Value) -> Vec<&'static str> {
    if !enabled(p) {
        return Vec::new();
    }
    CHANGES
        .into_iter()
        .filter(|k| written(p, k) && !p.get_attr(k).is_unknown() && changed(old, p, k))
        .collect()
}

async fn find(c: &Clients, name: &str) -> Result<Option<BlueGreenDeployment>, AttrDiagnostic> {
    let out = c
        .rds
        .describe_blue_green_deployments()
        .filters(
            Filter::builder()
                .name("blue-green-deployment-name")
                .values(name)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err("DescribeBlueGreenDeployments", e))?;
    Ok(out.blue_green_deployments().first().cloned())
}

/// Waits for the deployment named `name` to reach `status`.
async fn wait(
    c: &Clients,
    name: &str,
    status: &str,
) -> Result<BlueGreenDeployment, AttrDiagnostic> {
    let start = Instant::now();
    loop {
        let d = find(c, name).await?;
        let now = d.as_ref().and_then(|d| d.status()).map(String::from);
        match (d, now.as_deref()) {
            (Some(d), Some(s)) if s == status => return Ok(d),
            (
                d,
                Some(s @ ("INVALID_CONFIGURATION" | "SWITCHOVER_FAILED" | "PROVISIONING_FAILED")),
            ) => {
                return Err(AttrDiagnostic::error(
                    Vec::new(),
                    "The blue/green deployment failed",
                    format!(
                        "{name} is {s}: {}",
                        d.as_ref()
                            .and_then(|d| d.status_details())
                            .unwrap_or("RDS gave no details")
                    ),
                ))
            }
            _ => {}
        }
        if start.elapsed() > WAIT {
            return Err(AttrDiagnostic::error(
                Vec::new(),
                "Timed out waiting for the blue/green deployment",
                format!(
                    "{name} did not become {status} in {} minutes",
                    WAIT.as_secs() / 60
                ),
            ));
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

/// The identifier in a database ARN (`arn:aws:rds:REGION:ACCOUNT:db:ID`).
fn identifier_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Makes the changes from `old` to `p` with a blue/green deployment; when it
/// returns, the database named as before has them.
pub(crate) async fn deploy(c: &Clients, old: &Value, p: &Value) -> Result<(), AttrDiagnostic> {
    let id = s(old, "identifier").unwrap_or_default();
    let arn = s(old, "arn").unwrap_or_default();
    let wanted = changes(old, p);
    let target = |k: &str| wanted.contains(&k).then(|| s(p, k)).flatten();
    let target_int = |k: &str| wanted.contains(&k).then(|| int(p, k)).flatten();
    let existing = find(c, &id).await?;
    if existing.is_none() {
        c.rds
            .create_blue_green_deployment()
            .blue_green_deployment_name(&id)
            .source(&arn)
            .set_target_engine_version(target("engine_version"))
            .set_target_db_instance_class(target("instance_class"))
            .set_target_db_parameter_group_name(target("parameter_group_name"))
            .set_target_allocated_storage(target_int("allocated_storage"))
            .set_target_storage_type(target("storage_type"))
            .set_target_iops(target_int("iops"))
            .set_target_storage_throughput(target_int("storage_throughput"))
            .send()
            .await
            .map_err(|e| sdk_err("CreateBlueGreenDeployment", e))?;
    }
    let switched = existing.filter(|d| d.status() == Some("SWITCHOVER_COMPLETED"));
    let done = if let Some(d) = switched {
        d
    } else {
        let ready = wait(c, &id, "AVAILABLE").await?;
        c.rds
            .switchover_blue_green_deployment()
            .blue_green_deployment_identifier(
                ready.blue_green_deployment_identifier().unwrap_or_default(),
            )
            .send()
            .await
            .map_err(|e| sdk_err("SwitchoverBlueGreenDeployment", e))?;
        wait(c, &id, "SWITCHOVER_COMPLETED").await?
    };
    // After the switchover the deployment's source is the old (blue) instance,
    // renamed; it goes, without a final snapshot (the green copy has the data).
    let blue = done
        .source()
        .map(identifier_of)
        .unwrap_or_default()
        .to_string();
    if !blue.is_empty() && blue != id {
        let _ = c
            .rds
            .modify_db_instance()
            .db_instance_identifier(&blue)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await;
        match c
            .rds
            .delete_db_instance()
            .db_instance_identifier(&blue)
            .skip_final_snapshot(true)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if err_code(&e).is_some_and(|c| c.contains("NotFound")) => {}
            Err(e) => return Err(sdk_err("DeleteDBInstance", e)),
        }
        super::wait_db(c, &blue, true).await?;
    }
    c.rds
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(
            done.blue_green_deployment_identifier().unwrap_or_default(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| sdk_err("DeleteBlueGreenDeployment", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enabled_changes_of_what_a_copy_can_take_are_deployed() {
        let old = Value::map([
            ("engine_version", Value::string("16.3")),
            ("port", Value::num(5432)),
        ]);
        let on = Value::List(vec![Value::map([("enabled", Value::Bool(true))])]);
        let p = Value::map([
            ("engine_version", Value::string("16.4")),
            ("port", Value::num(5433)),
            ("blue_green_update", on),
        ]);
        assert_eq!(changes(&old, &p), ["engine_version"]);
        let mut off = p.clone();
        crate::util::set(&mut off, "blue_green_update", Value::List(vec![]));
        assert!(changes(&old, &off).is_empty());
        assert_eq!(
            identifier_of("arn:aws:rds:us-east-1:123456789012:db:app-old1"),
            "app-old1"
        );
    }
}
