//! RDS and Secrets Manager through the `iac` binary against moto, checked by
//! reading moto; and the promise that no secret reaches any artifact.

use crate::moto::{block, iac, Moto};
use crate::support::{Run, Work};

const DB: &str = r#"
variable "api_key" {
  type      = string
  sensitive = true
}

variable "class" {
  default = "db.t3.micro"
}

variable "identifier" {
  default = "app"
}

variable "protect" {
  default = false
}

variable "about" {
  default = "Token for the API"
}

resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

data "aws_availability_zones" "az" {}

resource "aws_subnet" "db" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.40.0.0/16", 8, count.index)
  availability_zone = data.aws_availability_zones.az.names[count.index]
}

resource "aws_db_subnet_group" "db" {
  name       = "app-db"
  subnet_ids = aws_subnet.db[*].id
}

# Generated where it lives: the password goes to Secrets Manager and to RDS.
resource "random_password" "db" {
  length  = 24
  special = false
}

resource "aws_secretsmanager_secret" "db" {
  name                    = "app/db-password"
  recovery_window_in_days = 0
}

resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = random_password.db.result
}

resource "aws_secretsmanager_secret" "api" {
  name                    = "app/api-key"
  description             = var.about
  recovery_window_in_days = 0
  tags                    = { Team = "payments" }
}

data "aws_secretsmanager_secret" "api" {
  name = aws_secretsmanager_secret.api.name
}

resource "aws_secretsmanager_secret_version" "api" {
  secret_id     = aws_secretsmanager_secret.api.id
  secret_string = jsonencode({ key = var.api_key })
}

resource "aws_db_instance" "app" {
  identifier           = var.identifier
  engine               = "postgres"
  instance_class       = var.class
  allocated_storage    = 20
  username             = "app"
  password             = aws_secretsmanager_secret_version.db.secret_string
  db_subnet_group_name = aws_db_subnet_group.db.name
  apply_immediately    = true
  deletion_protection  = var.protect
  skip_final_snapshot  = true
}

# RDS keeps this one's password in Secrets Manager itself.
resource "aws_db_instance" "managed" {
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  username                    = "admin"
  manage_master_user_password = true
  final_snapshot_identifier   = "managed-final"
}

data "aws_secretsmanager_secret_version" "api" {
  secret_id  = aws_secretsmanager_secret.api.arn
  depends_on = [aws_secretsmanager_secret_version.api]
}

output "endpoint" {
  value = aws_db_instance.app.endpoint
}

output "managed_secret_arn" {
  value = aws_db_instance.managed.master_user_secret[0].secret_arn
}

output "api_secret_arn_from_data" {
  value = data.aws_secretsmanager_secret.api.arn
}

output "api_from_data" {
  value     = data.aws_secretsmanager_secret_version.api.secret_string
  sensitive = true
}
"#;

const API_KEY: &str = "sk-live-51HxQpLk2eZvKYlo2C0pQ7d";

fn run(w: &Work, m: &Moto, args: &[&str]) -> Run {
    let mut env = m.env();
    env.push(("IAC_VAR_api_key", API_KEY.to_string()));
    env.push(("IAC_LOG", "debug".to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

fn db(m: &Moto, id: &str) -> Option<aws_sdk_rds::types::DbInstance> {
    block(
        m.rds()
            .describe_db_instances()
            .db_instance_identifier(id)
            .send(),
    )
    .ok()
    .and_then(|o| o.db_instances().first().cloned())
}

#[test]
fn databases_and_secrets_lifecycle_against_moto() {
    let m = Moto::start();
    let w = Work::new(DB);
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 11 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    // What moto has: the databases, their subnet group, the secrets.
    let app = db(&m, "app").expect("database app");
    assert_eq!(app.db_instance_class(), Some("db.t3.micro"));
    assert_eq!(
        app.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        Some("app-db")
    );
    let managed_id = w.attrs("aws_db_instance.managed")["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(managed_id.starts_with("iac-"), "{managed_id}");
    let managed = db(&m, &managed_id).expect("managed database");
    let secret_arn = managed
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .expect("RDS keeps the managed password in Secrets Manager")
        .to_string();
    assert_eq!(
        w.attrs("aws_db_instance.managed")["master_user_secret"][0]["secret_arn"],
        secret_arn.as_str()
    );
    assert_eq!(m.secret_value("app/db-password").len(), 24);
    assert_eq!(
        m.secret_value("app/api-key"),
        format!("{{\"key\":\"{API_KEY}\"}}")
    );
    let version = w.attrs("aws_secretsmanager_secret_version.db");
    assert!(version["version_id"]
        .as_str()
        .is_some_and(|v| !v.is_empty()));
    assert!(version["secret_string"]["$sensitive"]
        .as_str()
        .unwrap()
        .starts_with("pbkdf2-sha256:"));

    assert_eq!(
        w.state()["outputs"]["api_secret_arn_from_data"]["value"],
        w.attrs("aws_secretsmanager_secret.api")["arn"]
    );
    // Nothing to do the second time, though iac holds no plaintext to compare.
    let again = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    // Secrets update in place: description and tags.
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "about=Rotated token"],
    )
    .ok();
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    let d = block(
        m.secrets()
            .describe_secret()
            .secret_id("app/api-key")
            .send(),
    )
    .unwrap();
    assert_eq!(d.description(), Some("Rotated token"));
    assert!(d
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("payments")));
    // Changed outside iac: the description drift is seen and set back.
    block(
        m.secrets()
            .update_secret()
            .secret_id("app/api-key")
            .description("edited by hand")
            .send(),
    )
    .unwrap();
    let r = run(&w, &m, &["plan", "-var", "about=Rotated token"]).ok();
    assert!(
        r.stdout
            .contains("# aws_secretsmanager_secret.api has changed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"edited by hand\" -> \"Rotated token\""),
        "{}",
        r.stdout
    );
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "about=Rotated token"],
    )
    .ok();

    // A class change is an update, and the plan says it costs downtime.
    let r = run(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    assert!(
        r.stdout
            .contains("# aws_db_instance.app will be updated in-place")
            && r.stdout
                .contains("# Note: downtime: the database restarts to change `instance_class`"),
        "{}",
        r.stdout
    );
    run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    assert_eq!(
        db(&m, "app").unwrap().db_instance_class(),
        Some("db.t3.small")
    );
    // A new identifier replaces it, and the plan says the data does not move.
    let r = run(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "class=db.t3.small",
            "-var",
            "identifier=app2",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("# aws_db_instance.app must be replaced")
            && r.stdout.contains("replaces the database (`identifier` cannot change in place): a new, empty database is created"),
        "{}",
        r.stdout
    );

    // Drift: a database deleted behind iac's back is noticed and recreated.
    block(
        m.rds()
            .delete_db_instance()
            .db_instance_identifier(&managed_id)
            .skip_final_snapshot(true)
            .send(),
    )
    .unwrap();
    let r = run(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    assert!(
        r.stdout
            .contains("# aws_db_instance.managed has been deleted"),
        "{}",
        r.stdout
    );
    assert_eq!(r.summary(), "Plan: 1 to add, 0 to change, 0 to destroy.");
    run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    // Recreated, under a new generated name (as Terraform would).
    let again_id = w.attrs("aws_db_instance.managed")["identifier"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(again_id, managed_id);
    assert!(db(&m, &again_id).is_some());

    // Import: forget the subnet group and the secret's value, adopt them again.
    for (addr, id) in [
        ("aws_db_subnet_group.db", "app-db".to_string()),
        (
            "aws_secretsmanager_secret_version.api",
            w.attrs("aws_secretsmanager_secret_version.api")["id"]
                .as_str()
                .unwrap()
                .to_string(),
        ),
    ] {
        run(&w, &m, &["state", "rm", addr]).ok();
        run(&w, &m, &["import", addr, &id]).ok();
    }
    let r = run(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
            "-detailed-exitcode",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Deletion protection and final snapshots are checked when planning.
    run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "class=db.t3.small",
            "-var",
            "protect=true",
        ],
    )
    .ok();
    assert_eq!(db(&m, "app").unwrap().deletion_protection(), Some(true));
    let r = run(&w, &m, &["plan", "-destroy"]).code(1);
    assert!(
        r.stderr.contains("error[E0706]: aws_db_instance.app cannot be destroyed: deletion protection is on for database \"app\""),
        "{}",
        r.stderr
    );
    assert!(r
        .stderr
        .contains("set deletion_protection = false and apply that first"));
    run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    let r = run(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(
        r.stdout
            .contains("Destroy complete! Resources: 0 added, 0 changed, 11 destroyed."),
        "{}",
        r.stdout
    );
    let left = block(m.rds().describe_db_instances().send()).unwrap();
    assert!(left.db_instances().is_empty());
    // The managed database left its final snapshot.
    let snaps = block(
        m.rds()
            .describe_db_snapshots()
            .db_snapshot_identifier("managed-final")
            .send(),
    )
    .unwrap();
    assert_eq!(snaps.db_snapshots().len(), 1);
}

#[test]
fn a_database_without_a_final_snapshot_plan_is_not_destroyed() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_db_instance" "x" {
  identifier        = "keepme"
  engine            = "mysql"
  instance_class    = "db.t3.micro"
  allocated_storage = 20
  username          = "admin"
  password          = "not-a-real-secret-0"
}
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let r = iac(&w, &m, &["destroy", "-auto-approve"]).code(1);
    assert!(
        r.stderr
            .contains("no final snapshot is configured for database \"keepme\""),
        "{}",
        r.stderr
    );
    assert!(db(&m, "keepme").is_some(), "nothing was deleted");
}

#[test]
fn secrets_never_reach_state_plans_comments_or_logs() {
    let m = Moto::start();
    let w = Work::new(DB);
    let apply = run(&w, &m, &["apply", "-auto-approve"]).ok();
    // The plaintexts, from where they legitimately live.
    let generated = m.secret_value("app/db-password");
    let managed_arn = w.attrs("aws_db_instance.managed")["master_user_secret"][0]["secret_arn"]
        .as_str()
        .unwrap()
        .to_string();
    let managed = m.secret_value(&managed_arn);
    assert!(generated.len() == 24 && !managed.is_empty());
    let plan = run(
        &w,
        &m,
        &[
            "plan",
            "-var",
            "class=db.t3.small",
            "-out=p.bin",
            "-markdown=comment.md",
        ],
    )
    .ok();
    assert!(
        apply
            .stderr
            .contains("[debug] var.api_key = (sensitive value)"),
        "{}",
        apply.stderr
    );
    assert!(
        apply
            .stderr
            .contains("[debug] aws_db_instance.app: Create with"),
        "{}",
        apply.stderr
    );
    let json = run(
        &w,
        &m,
        &[
            "plan",
            "-json",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    )
    .ok();
    let shown = run(&w, &m, &["show", "-json", "p.bin"]).ok();
    let md = run(&w, &m, &["show", "-markdown", "p.bin"]).ok();
    let applied = run(&w, &m, &["apply", "p.bin"]).ok();
    let state_json = run(&w, &m, &["show", "-json"]).ok();
    let pulled = run(&w, &m, &["state", "pull"]).ok();
    let outputs = run(&w, &m, &["output", "-json"]).ok();
    let drift = run(
        &w,
        &m,
        &[
            "drift",
            "-json",
            "-var",
            "class=db.t3.small",
            "-var",
            "about=Rotated token",
        ],
    );
    let artifacts = [
        ("state", w.read("iac.tfstate")),
        ("state backup", w.read("iac.tfstate.backup")),
        ("plan file", w.read("p.bin")),
        ("markdown comment", w.read("comment.md")),
        ("apply log", apply.stdout + &apply.stderr),
        ("plan log", plan.stdout + &plan.stderr),
        ("plan -json", json.stdout),
        ("show -json plan", shown.stdout),
        ("show -markdown", md.stdout),
        ("saved-plan apply log", applied.stdout + &applied.stderr),
        ("show -json state", state_json.stdout),
        ("state pull", pulled.stdout),
        ("output -json", outputs.stdout),
        ("drift -json", drift.stdout + &drift.stderr),
    ];
    for (what, text) in &artifacts {
        assert!(
            !text.is_empty() || *what == "state backup",
            "{what} is empty"
        );
        for (name, secret) in [
            ("api key", API_KEY),
            ("generated password", generated.as_str()),
            ("RDS-managed password", managed.as_str()),
        ] {
            assert!(!text.contains(secret), "the {name} is in the {what}");
        }
    }
}

#[test]
fn the_web_with_database_example_runs_in_its_sandbox_environment() {
    let m = Moto::start();
    let src = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/web-with-database");
    let w = Work::new(&std::fs::read_to_string(src.join("main.tf")).unwrap());
    for f in ["init.sh", "env/sandbox.tfvars", "env/live.tfvars"] {
        w.write(f, &std::fs::read_to_string(src.join(f)).unwrap());
    }
    let r = iac(&w, &m, &["apply", "-auto-approve", "-e", "sandbox"]).ok();
    assert!(r.stdout.starts_with("Environment: sandbox"), "{}", r.stdout);
    let again = iac(&w, &m, &["plan", "-e", "sandbox", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    // The database accepts connections from the app servers' group only.
    let app_sg = w.attrs_in(
        "iac.tfstate.d/sandbox/iac.tfstate",
        "aws_security_group.app",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let db_sg = w.attrs_in("iac.tfstate.d/sandbox/iac.tfstate", "aws_security_group.db")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let groups = block(m.ec2().describe_security_groups().group_ids(&db_sg).send()).unwrap();
    let perms = groups.security_groups()[0].ip_permissions();
    assert_eq!(perms.len(), 1);
    assert_eq!(perms[0].from_port(), Some(5432));
    assert_eq!(
        perms[0].user_id_group_pairs()[0].group_id(),
        Some(app_sg.as_str())
    );
    let db = db(&m, "sandbox-app").expect("the sandbox database");
    assert_eq!(db.db_instance_class(), Some("db.t3.micro"));
    assert!(db.master_user_secret().is_some());
    // The live environment is planned with its own sizes and its own state.
    let live = iac(&w, &m, &["plan", "-e", "live"]).ok();
    assert!(
        live.stdout
            .contains("Plan: 13 to add, 0 to change, 0 to destroy."),
        "{}",
        live.stdout
    );
    assert!(
        live.stdout.lines().any(
            |l| l.contains("+ instance_class ") && l.trim_end().ends_with("= \"db.t3.medium\"")
        ),
        "{}",
        live.stdout
    );
    iac(&w, &m, &["destroy", "-auto-approve", "-e", "sandbox"]).ok();
    assert!(db_gone(&m, "sandbox-app"));
}

fn db_gone(m: &Moto, id: &str) -> bool {
    db(m, id).is_none()
}

const PARAMS: &str = r#"
variable "work_mem" { default = "4096" }

resource "aws_db_parameter_group" "pg" {
  name   = "app-pg16"
  family = "postgres16"

  parameter {
    name  = "work_mem"
    value = var.work_mem
  }

  parameter {
    name         = "log_min_duration_statement"
    value        = "500"
    apply_method = "pending-reboot"
  }
}

resource "aws_db_instance" "db" {
  identifier           = "params-db"
  engine               = "postgres"
  instance_class       = "db.t3.micro"
  allocated_storage    = 20
  username             = "app"
  password             = "not-a-real-secret-1"
  parameter_group_name = aws_db_parameter_group.pg.name
  skip_final_snapshot  = true
}
"#;

fn user_params(m: &Moto, group: &str) -> Vec<(String, String)> {
    let rds = m.rds();
    block(async {
        let out = rds
            .describe_db_parameters()
            .db_parameter_group_name(group)
            .source("user")
            .send()
            .await
            .expect("parameters");
        let mut v: Vec<(String, String)> = out
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_name().unwrap_or_default().to_string(),
                    p.parameter_value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    })
}

/// A parameter group's parameters change in place, and the database names the group.
#[test]
fn db_parameter_groups_against_moto() {
    let m = Moto::start();
    let w = Work::new(PARAMS);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        user_params(&m, "app-pg16"),
        vec![
            pair("log_min_duration_statement", "500"),
            pair("work_mem", "4096")
        ]
    );
    let rds = m.rds();
    let group = block(async {
        let d = rds
            .describe_db_instances()
            .db_instance_identifier("params-db")
            .send()
            .await
            .expect("db");
        d.db_instances()[0].db_parameter_groups()[0]
            .db_parameter_group_name()
            .unwrap_or_default()
            .to_string()
    });
    assert_eq!(group, "app-pg16");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // One parameter changed in place. (Removing one resets it to the engine
    // default with ResetDBParameterGroup, which moto 5.2.5 does not implement.)
    let r = iac(&w, &m, &["apply", "-auto-approve", "-var", "work_mem=8192"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(
        user_params(&m, "app-pg16"),
        vec![
            pair("log_min_duration_statement", "500"),
            pair("work_mem", "8192")
        ]
    );
    let r = iac(
        &w,
        &m,
        &["plan", "-detailed-exitcode", "-var", "work_mem=8192"],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(
        &w,
        &m,
        &["destroy", "-auto-approve", "-var", "work_mem=8192"],
    )
    .ok();
    block(async {
        let all = rds
            .describe_db_parameter_groups()
            .send()
            .await
            .expect("groups");
        assert!(all
            .db_parameter_groups()
            .iter()
            .all(|g| g.db_parameter_group_name() != Some("app-pg16")));
    });
}

const REPLICA: &str = r#"
variable "window" { default = "Mon:00:00-Mon:03:00" }
variable "replica" { default = true }

resource "aws_db_instance" "main" {
  identifier_prefix          = "orders-"
  engine                     = "postgres"
  instance_class             = "db.t3.micro"
  allocated_storage          = 20
  max_allocated_storage      = 100
  username                   = "app"
  password                   = "not-a-real-secret-1"
  license_model              = "postgresql-license"
  storage_encrypted          = true
  backup_retention_period    = 7
  backup_window              = "09:46-10:16"
  maintenance_window         = var.window
  copy_tags_to_snapshot      = true
  auto_minor_version_upgrade = false
  skip_final_snapshot        = true
  apply_immediately          = true
}

resource "aws_db_instance" "read" {
  identifier          = "orders-read"
  replicate_source_db = var.replica ? aws_db_instance.main.identifier : null
  instance_class      = "db.t3.micro"
  skip_final_snapshot = true
  apply_immediately   = true
}
"#;

/// More of `aws_db_instance`'s arguments, `identifier_prefix`, and a read replica
/// (`replicate_source_db`) that is promoted in place when the argument goes.
#[test]
fn database_arguments_and_a_read_replica_against_moto() {
    let m = Moto::start();
    let w = Work::new(REPLICA);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let id = w.attrs("aws_db_instance.main")["identifier"]
        .as_str()
        .expect("identifier")
        .to_string();
    assert!(id.starts_with("orders-") && id.len() > 7, "{id}");
    let d = db(&m, &id).expect("main database");
    assert_eq!(d.license_model(), Some("postgresql-license"));
    assert_eq!(d.storage_encrypted(), Some(true));
    assert_eq!(d.max_allocated_storage(), Some(100));
    assert_eq!(d.preferred_backup_window(), Some("09:46-10:16"));
    assert_eq!(
        d.preferred_maintenance_window().map(|w| w.to_lowercase()),
        Some("mon:00:00-mon:03:00".to_string())
    );
    assert_eq!(d.copy_tags_to_snapshot(), Some(true));
    assert_eq!(d.auto_minor_version_upgrade(), Some(false));
    let r = db(&m, "orders-read").expect("replica");
    assert_eq!(
        r.read_replica_source_db_instance_identifier(),
        Some(id.as_str())
    );
    assert_eq!(r.engine(), Some("postgres"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);

    // In place: a new maintenance window; the replica promoted, not replaced.
    // (moto's PromoteReadReplica leaves the source in its answers, so the call
    // itself is what is checked.)
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = crate::moto::iac_via(
        &w,
        &m,
        &proxy,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "window=Tue:01:00-Tue:02:00",
            "-var",
            "replica=false",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(proxy.count("PromoteReadReplica"), 1);
    assert_eq!(proxy.count("CreateDBInstance"), 0);
    assert_eq!(proxy.count("DeleteDBInstance"), 0);
    let d = db(&m, &id).expect("main database");
    assert_eq!(
        d.preferred_maintenance_window().map(|w| w.to_lowercase()),
        Some("tue:01:00-tue:02:00".to_string())
    );
    assert!(db(&m, "orders-read").is_some());
    iac(
        &w,
        &m,
        &[
            "destroy",
            "-auto-approve",
            "-var",
            "window=Tue:01:00-Tue:02:00",
            "-var",
            "replica=false",
        ],
    )
    .ok();
    assert!(db_gone(&m, &id) && db_gone(&m, "orders-read"));
}

const DB_OPTIONS: &str = r#"
variable "logs" {
  default = ["postgresql"]
}

variable "ca" {
  default = "rds-ca-rsa2048-g1"
}

resource "aws_db_instance" "opts" {
  identifier                      = "opts"
  engine                          = "postgres"
  engine_version                  = "16.3"
  instance_class                  = "db.t3.micro"
  allocated_storage               = 400
  storage_type                    = "gp3"
  iops                            = 12000
  storage_throughput              = 500
  username                        = "app"
  password                        = "not-a-real-password"
  ca_cert_identifier              = var.ca
  enabled_cloudwatch_logs_exports = var.logs
  network_type                    = "IPV4"
  allow_major_version_upgrade     = true
  delete_automated_backups        = false
  apply_immediately               = true
  skip_final_snapshot             = true
}

output "engine_version_actual" {
  value = aws_db_instance.opts.engine_version_actual
}
"#;

/// More of the database arguments configurations use: provisioned IOPS and
/// throughput, the CA certificate, log exports (changed in place, the
/// difference enabled and disabled), and a database made from a snapshot,
/// whose password and windows are then set as an update.
#[test]
fn database_options_and_restore_from_snapshot_against_moto() {
    let m = Moto::start();
    let rds = m.rds();
    let w = Work::new(DB_OPTIONS);
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let read = |id: &str| {
        block(
            rds.describe_db_instances()
                .db_instance_identifier(id)
                .send(),
        )
        .expect("describe")
        .db_instances()[0]
            .clone()
    };
    let db = read("opts");
    assert_eq!(db.iops(), Some(12000));
    assert_eq!(db.storage_throughput(), Some(500));
    assert_eq!(db.ca_certificate_identifier(), Some("rds-ca-rsa2048-g1"));
    assert_eq!(db.enabled_cloudwatch_logs_exports(), ["postgresql"]);
    let r = iac(&w, &m, &["output", "-raw", "engine_version_actual"]).ok();
    assert_eq!(r.stdout.trim(), "16.3");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    let vars = ["-var", r#"logs=["upgrade"]"#, "-var", "ca=rds-ca-ecc384-g1"];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let db = read("opts");
    assert_eq!(db.enabled_cloudwatch_logs_exports(), ["upgrade"]);
    assert_eq!(db.ca_certificate_identifier(), Some("rds-ca-ecc384-g1"));
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A second database from a snapshot of the first.
    block(
        rds.create_db_snapshot()
            .db_instance_identifier("opts")
            .db_snapshot_identifier("opts-snap")
            .send(),
    )
    .expect("snapshot");
    w.write(
        "restored.tf",
        r#"
resource "aws_db_instance" "restored" {
  identifier              = "restored"
  snapshot_identifier     = "opts-snap"
  instance_class          = "db.t3.small"
  password                = "another-password"
  backup_retention_period = 3
  apply_immediately       = true
  skip_final_snapshot     = true
}
"#,
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(vars);
    let r = iac(&w, &m, &args).ok();
    assert!(
        r.stdout.contains("1 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let db = read("restored");
    assert_eq!(
        db.engine(),
        Some("postgres"),
        "the engine comes from the snapshot"
    );
    assert_eq!(db.master_username(), Some("app"));
    assert_eq!(db.db_instance_class(), Some("db.t3.small"));
    assert_eq!(
        db.backup_retention_period(),
        Some(3),
        "set after the restore"
    );
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(vars);
    let r = iac(&w, &m, &args).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A snapshot does not come with a user name of the configuration's choosing.
    w.write(
        "restored.tf",
        "resource \"aws_db_instance\" \"restored\" {\n  snapshot_identifier = \"opts-snap\"\n  instance_class = \"db.t3.small\"\n  username = \"other\"\n}\n",
    );
    let r = iac(&w, &m, &["validate"]).code(1);
    assert!(
        r.stderr.contains("takes `username` from it"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(w.path().join("restored.tf")).unwrap();
    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(vars);
    iac(&w, &m, &args).ok();
}

/// A subnet group named by prefix (as the popular RDS module writes it): the
/// name is the prefix and a suffix from the plan, lower case, and stays.
#[test]
fn subnet_group_name_prefix_against_moto() {
    let m = Moto::start();
    let w = Work::new(
        r#"
resource "aws_vpc" "v" {
  cidr_block = "10.88.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.88.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_subnet" "b" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.88.2.0/24"
  availability_zone = "us-east-1b"
}

resource "aws_db_subnet_group" "db" {
  name_prefix = "App-"
  subnet_ids  = [aws_subnet.a.id, aws_subnet.b.id]
}

output "name" { value = aws_db_subnet_group.db.name }
"#,
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let name = iac(&w, &m, &["output", "-raw", "name"]).ok().stdout;
    assert!(name.starts_with("app-") && name.len() > 10, "{name}");
    let found = block(
        m.rds()
            .describe_db_subnet_groups()
            .db_subnet_group_name(&name)
            .send(),
    )
    .expect("group");
    assert_eq!(found.db_subnet_groups().len(), 1);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// `skip_destroy` on a parameter group: destroying the resource forgets the
/// group, which stays in RDS.
#[test]
fn a_parameter_group_with_skip_destroy_outlives_the_resource() {
    let m = Moto::start();
    let w = Work::new(
        "resource \"aws_db_parameter_group\" \"keep\" {\n  name         = \"kept-pg16\"\n  family       = \"postgres16\"\n  skip_destroy = true\n}\n",
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(w.attrs("aws_db_parameter_group.keep")["skip_destroy"], true);
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert!(w.addresses().is_empty());
    let rds = m.rds();
    block(async {
        let all = rds
            .describe_db_parameter_groups()
            .send()
            .await
            .expect("groups");
        assert!(all
            .db_parameter_groups()
            .iter()
            .any(|g| g.db_parameter_group_name() == Some("kept-pg16")));
    });
}

/// A secret's replicas in other regions: made with the secret, added and
/// removed in place, removed before the secret is deleted; each region's copy
/// read back through the SDK in that region.
#[test]
fn secret_replicas_against_moto() {
    let m = Moto::start();
    let sm = m.secrets();
    let main = |regions: &[&str]| {
        let blocks: String = regions
            .iter()
            .map(|r| format!("  replica {{\n    region = \"{r}\"\n  }}\n"))
            .collect();
        format!(
            "resource \"aws_secretsmanager_secret\" \"s\" {{\n  name                    = \"replicated\"\n  recovery_window_in_days = 0\n{blocks}}}\n\
             output \"status\" {{\n  value = [for r in aws_secretsmanager_secret.s.replica : \"${{r.region}}=${{r.status}}\"]\n}}\n"
        )
    };
    let regions = || -> Vec<String> {
        block(async {
            let d = sm
                .describe_secret()
                .secret_id("replicated")
                .send()
                .await
                .expect("secret");
            let mut r: Vec<String> = d
                .replication_status()
                .iter()
                .filter_map(|x| x.region().map(String::from))
                .collect();
            r.sort();
            r
        })
    };
    let w = Work::new(&main(&["us-west-2"]));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(regions(), vec!["us-west-2"]);
    // The copy is in its region under the same name.
    let there = block(async {
        m.secrets_in("us-west-2")
            .describe_secret()
            .secret_id("replicated")
            .send()
            .await
            .map(|d| d.name().map(String::from))
    });
    assert_eq!(there.expect("replica").as_deref(), Some("replicated"));
    let out = iac(&w, &m, &["output", "-json", "status"]).ok().stdout;
    assert!(out.contains("us-west-2="), "{out}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Another region added, in place; then the first removed.
    w.write("main.tf", &main(&["us-west-2", "eu-west-1"]));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(regions(), vec!["eu-west-1", "us-west-2"]);
    w.write("main.tf", &main(&["eu-west-1"]));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(regions(), vec!["eu-west-1"]);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Destroy removes the replica, then the secret.
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
    let gone = block(async { sm.describe_secret().secret_id("replicated").send().await });
    assert!(gone.is_err(), "the secret is deleted");
}

/// aws_secretsmanager_secret_policy: the secret's resource policy written,
/// read back through the SDK, no change when the same policy is written another
/// way, changed in place, drift seen, imported by the secret's ARN, deleted.
#[test]
fn secret_policy_against_moto() {
    let m = Moto::start();
    let sm = m.secrets();
    let tf = |action: &str| {
        format!(
            r#"
resource "aws_secretsmanager_secret" "api" {{
  name = "policy-test"
}}

resource "aws_secretsmanager_secret_policy" "api" {{
  secret_arn          = aws_secretsmanager_secret.api.arn
  block_public_policy = true
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Sid       = "ReadOnly"
      Effect    = "Allow"
      Principal = {{ AWS = "arn:aws:iam::123456789012:root" }}
      Action    = "{action}"
      Resource  = "*"
    }}]
  }})
}}
"#
        )
    };
    let w = Work::new(&tf("secretsmanager:GetSecretValue"));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_secretsmanager_secret.api")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = || {
        block(sm.get_resource_policy().secret_id(&arn).send())
            .expect("policy")
            .resource_policy()
            .map(String::from)
    };
    let doc: serde_json::Value = serde_json::from_str(&policy().expect("a policy")).unwrap();
    assert_eq!(
        doc["Statement"][0]["Action"], "secretsmanager:GetSecretValue",
        "{doc}"
    );
    assert_eq!(w.attrs("aws_secretsmanager_secret_policy.api")["id"], arn);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // The same policy with its keys in another order is no change.
    w.write(
        "main.tf",
        &tf("secretsmanager:GetSecretValue").replace(
            "      Sid       = \"ReadOnly\"\n      Effect    = \"Allow\"\n",
            "      Effect    = \"Allow\"\n      Sid       = \"ReadOnly\"\n",
        ),
    );
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // Another action: changed in place.
    w.write("main.tf", &tf("secretsmanager:DescribeSecret"));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(policy().unwrap().contains("secretsmanager:DescribeSecret"));

    // A policy removed outside iac is drift: the next apply writes it again.
    block(sm.delete_resource_policy().secret_id(&arn).send()).expect("delete");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout
            .contains("aws_secretsmanager_secret_policy.api will be created"),
        "{}",
        r.stdout
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(policy().is_some());

    // Import by the secret's ARN.
    iac(
        &w,
        &m,
        &["state", "rm", "aws_secretsmanager_secret_policy.api"],
    )
    .ok();
    iac(
        &w,
        &m,
        &["import", "aws_secretsmanager_secret_policy.api", &arn],
    )
    .ok();
    assert_eq!(
        w.attrs("aws_secretsmanager_secret_policy.api")["secret_arn"],
        arn
    );
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]);
    // block_public_policy is not in AWS to import: writing it is the only change.
    assert_ne!(r.code, 1, "{}", r.stderr);

    // Removed from the configuration: the policy goes, the secret stays.
    w.write(
        "main.tf",
        "resource \"aws_secretsmanager_secret\" \"api\" {\n  name = \"policy-test\"\n}\n",
    );
    iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(policy(), None);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// CloudWatch Database Insights (`database_insights_mode`): sent with the
/// Performance Insights settings it needs on create and on a change (checked in
/// the requests through the recording proxy: moto keeps no mode), kept as
/// written, quiet on re-plan.
#[test]
fn database_insights_mode_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let cfg = |mode: &str| {
        format!(
            r#"
resource "aws_db_instance" "insights" {{
  identifier                            = "insights"
  engine                                = "postgres"
  instance_class                        = "db.t3.micro"
  allocated_storage                     = 20
  username                              = "app"
  password                              = "not-a-real-password"
  skip_final_snapshot                   = true
  performance_insights_enabled          = true
  performance_insights_retention_period = 465
  database_insights_mode                = "{mode}"
}}
"#
        )
    };
    let w = Work::new(&cfg("advanced"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let create = &proxy.requests("CreateDBInstance")[0];
    assert_eq!(
        create.get("DatabaseInsightsMode").map(String::as_str),
        Some("advanced"),
        "{create:?}"
    );
    assert_eq!(
        create.get("EnablePerformanceInsights").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        w.attrs("aws_db_instance.insights")["database_insights_mode"],
        "advanced"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg("standard"));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let modify = proxy.requests("ModifyDBInstance").pop().expect("a modify");
    assert_eq!(
        modify.get("DatabaseInsightsMode").map(String::as_str),
        Some("standard"),
        "{modify:?}"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
}

/// A database restored to a point in time from another's backups
/// (`restore_to_point_in_time`): made with RestoreDBInstanceToPointInTime, read
/// back from moto, quiet on re-plan; a restore that names no point in time (or
/// two) is refused at validate.
#[test]
fn a_database_restored_to_a_point_in_time_against_moto() {
    let m = Moto::start();
    let rds = m.rds();
    let w = Work::new(
        r#"
resource "aws_db_instance" "src" {
  identifier              = "pitr-src"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "app"
  password                = "not-a-real-password"
  backup_retention_period = 7
  skip_final_snapshot     = true
}

resource "aws_db_instance" "restored" {
  identifier          = "pitr-copy"
  instance_class      = "db.t3.small"
  skip_final_snapshot = true

  restore_to_point_in_time {
    source_db_instance_identifier = aws_db_instance.src.identifier
    use_latest_restorable_time    = true
  }
}
"#,
    );
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let sent = proxy.requests("RestoreDBInstanceToPointInTime");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]
            .get("SourceDBInstanceIdentifier")
            .map(String::as_str),
        Some("pitr-src")
    );
    assert_eq!(
        sent[0].get("UseLatestRestorableTime").map(String::as_str),
        Some("true")
    );
    let db = block(
        rds.describe_db_instances()
            .db_instance_identifier("pitr-copy")
            .send(),
    )
    .expect("the restored database")
    .db_instances()[0]
        .clone();
    assert_eq!(db.engine(), Some("postgres"));
    assert_eq!(db.db_instance_class(), Some("db.t3.small"));
    let a = w.attrs("aws_db_instance.restored");
    assert_eq!(
        a["restore_to_point_in_time"][0]["source_db_instance_identifier"],
        "pitr-src"
    );
    assert_eq!(a["engine"], "postgres");
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();

    let bad = Work::new(
        "resource \"aws_db_instance\" \"x\" {\n  instance_class = \"db.t3.micro\"\n  restore_to_point_in_time {\n    source_db_instance_identifier = \"a\"\n    restore_time = \"2026-11-29T09:00:00Z\"\n    use_latest_restorable_time = true\n  }\n}\n",
    );
    let r = bad.iac(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("give restore_time, or use_latest_restorable_time = true, not both"),
        "{}",
        r.stderr
    );
}

/// An engine upgrade and a new class made as an RDS Blue/Green Deployment
/// (`blue_green_update`): the plan says so, a green copy takes over the name,
/// the old instance and the deployment are gone afterwards (read from moto),
/// and the next plan is quiet. A change a copy cannot take is made in place.
#[test]
fn an_engine_upgrade_by_blue_green_deployment_against_moto() {
    let m = Moto::start();
    let rds = m.rds();
    let cfg = |version: &str, class: &str, days: u32| {
        format!(
            r#"
resource "aws_db_instance" "bg" {{
  identifier          = "bg"
  engine              = "postgres"
  engine_version      = "{version}"
  instance_class      = "{class}"
  allocated_storage   = 20
  username            = "app"
  password            = "not-a-real-password"
  backup_retention_period = {days}
  skip_final_snapshot = true
  apply_immediately   = true

  blue_green_update {{
    enabled = true
  }}
}}
"#
        )
    };
    let w = Work::new(&cfg("16.3", "db.t3.micro", 7));
    iac(&w, &m, &["apply", "-auto-approve"]).ok();

    w.write("main.tf", &cfg("16.4", "db.t3.small", 7));
    let r = iac(&w, &m, &["plan"]).ok();
    assert!(
        r.stdout.contains(
            "blue/green deployment: a copy of the database gets `engine_version`, `instance_class`"
        ),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("downtime: the database restarts"),
        "{}",
        r.stdout
    );
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let create = proxy.requests("CreateBlueGreenDeployment");
    assert_eq!(create.len(), 1, "{create:?}");
    assert_eq!(
        create[0].get("TargetEngineVersion").map(String::as_str),
        Some("16.4")
    );
    assert_eq!(
        create[0].get("TargetDBInstanceClass").map(String::as_str),
        Some("db.t3.small")
    );
    assert_eq!(proxy.count("SwitchoverBlueGreenDeployment"), 1);
    assert_eq!(proxy.count("DeleteBlueGreenDeployment"), 1);
    assert!(
        proxy
            .requests("ModifyDBInstance")
            .iter()
            .all(|r| !r.contains_key("EngineVersion")),
        "the engine is not modified in place"
    );
    let db = block(
        rds.describe_db_instances()
            .db_instance_identifier("bg")
            .send(),
    )
    .expect("bg")
    .db_instances()[0]
        .clone();
    assert_eq!(
        (db.engine_version(), db.db_instance_class()),
        (Some("16.4"), Some("db.t3.small"))
    );
    assert!(
        block(
            rds.describe_db_instances()
                .db_instance_identifier("bg-old1")
                .send()
        )
        .is_err(),
        "the old instance is deleted"
    );
    let left = block(rds.describe_blue_green_deployments().send()).expect("deployments");
    assert!(left.blue_green_deployments().is_empty(), "{left:?}");
    iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);

    // Backups are no blue/green change: made in place.
    w.write("main.tf", &cfg("16.4", "db.t3.small", 14));
    let r = iac(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(!r.stdout.contains("blue/green"), "{}", r.stdout);
    assert_eq!(w.attrs("aws_db_instance.bg")["backup_retention_period"], 14);
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// A read replica made with its storage file system configuration upgraded
/// (`upgrade_storage_config`): sent with CreateDBInstanceReadReplica (checked in
/// the request through the recording proxy), kept as written, quiet on re-plan;
/// without `replicate_source_db` it is refused.
#[test]
fn a_replica_with_upgraded_storage_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let w = Work::new(
        r#"
resource "aws_db_instance" "main" {
  identifier              = "usc-main"
  engine                  = "postgres"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "app"
  password                = "not-a-real-password"
  backup_retention_period = 7
  skip_final_snapshot     = true
}

resource "aws_db_instance" "replica" {
  identifier             = "usc-replica"
  replicate_source_db    = aws_db_instance.main.identifier
  instance_class         = "db.t3.micro"
  upgrade_storage_config = true
  skip_final_snapshot    = true
}
"#,
    );
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let sent = proxy.requests("CreateDBInstanceReadReplica");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0].get("UpgradeStorageConfig").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        w.attrs("aws_db_instance.replica")["upgrade_storage_config"],
        true
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();

    let bad = Work::new(
        "resource \"aws_db_instance\" \"x\" {\n  engine = \"postgres\"\n  instance_class = \"db.t3.micro\"\n  upgrade_storage_config = true\n}\n",
    );
    let r = bad.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("set it with replicate_source_db"),
        "{}",
        r.stderr
    );
}

/// A write-only master password (Terraform 1.11's `password_wo`, which the
/// current terraform-aws-modules/rds passes from an ephemeral variable): sent
/// with CreateDBInstance, in state in no form at all, no change on a second
/// plan or when only the value changes; a new `password_wo_version` sends it
/// again with ModifyDBInstance.
#[test]
fn a_write_only_password_is_sent_and_never_kept() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |password: &str, version: u32| {
        format!(
            r#"
variable "password" {{
  type      = string
  ephemeral = true
  default   = "{password}"
}}

resource "aws_db_instance" "db" {{
  identifier          = "write-only"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password_wo         = var.password
  password_wo_version = {version}
  skip_final_snapshot = true
}}
"#
        )
    };
    let w = Work::new(&main("first-secret-value", 1));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let created = proxy.requests("CreateDBInstance");
    assert_eq!(
        created[0].get("MasterUserPassword").map(String::as_str),
        Some("first-secret-value")
    );
    let state = w.read("iac.tfstate");
    assert!(!state.contains("first-secret-value"), "no plaintext");
    assert!(
        w.attrs("aws_db_instance.db")["password_wo"].is_null(),
        "nor any trace of it"
    );
    assert!(w.attrs("aws_db_instance.db")["password"].is_null());
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // Another value alone changes nothing: the version says when to send it.
    w.write("main.tf", &main("second-secret-value", 1));
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    w.write("main.tf", &main("second-secret-value", 2));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("second-secret-value"), "{}", r.stdout);
    let modified = proxy.requests("ModifyDBInstance");
    assert_eq!(
        modified
            .last()
            .and_then(|p| p.get("MasterUserPassword"))
            .map(String::as_str),
        Some("second-secret-value"),
        "{modified:?}"
    );
    assert!(!w.read("iac.tfstate").contains("second-secret-value"));
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    run(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// The write-only values of a secret version and an SSM parameter
/// (`secret_string_wo`, `value_wo`): sent to AWS, kept in state in no form, no
/// change on a second plan; a new version number sends them again.
#[test]
fn write_only_secret_and_parameter_values() {
    let m = Moto::start();
    let main = |value: &str, version: u32| {
        format!(
            r#"
variable "secret" {{
  type      = string
  ephemeral = true
  default   = "{value}"
}}

resource "aws_secretsmanager_secret" "s" {{
  name = "write-only-secret"
  recovery_window_in_days = 0
}}

resource "aws_secretsmanager_secret_version" "v" {{
  secret_id                = aws_secretsmanager_secret.s.id
  secret_string_wo         = var.secret
  secret_string_wo_version = {version}
}}

resource "aws_ssm_parameter" "p" {{
  name             = "/app/write-only"
  type             = "SecureString"
  value_wo         = var.secret
  value_wo_version = {version}
}}
"#
        )
    };
    // What AWS holds: the secret's value and the parameter's.
    let in_aws = || {
        let secret = block(
            m.secrets()
                .get_secret_value()
                .secret_id("write-only-secret")
                .send(),
        )
        .expect("secret");
        let param = block(
            aws_sdk_ssm::Client::new(&m.sdk())
                .get_parameter()
                .name("/app/write-only")
                .with_decryption(true)
                .send(),
        )
        .expect("parameter");
        (
            secret.secret_string().unwrap_or_default().to_string(),
            param
                .parameter()
                .and_then(|p| p.value())
                .unwrap_or_default()
                .to_string(),
        )
    };
    let w = Work::new(&main("wo-first-value", 1));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        in_aws(),
        ("wo-first-value".to_string(), "wo-first-value".to_string())
    );
    assert!(!w.read("iac.tfstate").contains("wo-first-value"));
    assert_eq!(w.attrs("aws_ssm_parameter.p")["has_value_wo"], true);
    assert!(
        w.attrs("aws_ssm_parameter.p")["value"].is_null(),
        "not even a fingerprint"
    );
    assert_eq!(
        w.attrs("aws_secretsmanager_secret_version.v")["has_secret_string_wo"],
        true
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &main("wo-second-value", 2));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert_eq!(
        in_aws(),
        ("wo-second-value".to_string(), "wo-second-value".to_string())
    );
    assert!(!w.read("iac.tfstate").contains("wo-second-value"));
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    run(&w, &m, &["destroy", "-auto-approve"]).ok();
}
