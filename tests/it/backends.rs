//! Remote state against real servers: S3 on moto, PostgreSQL on a throwaway
//! cluster. Everything goes through the `iac` binary, and what it stored is
//! checked by reading the server directly.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::pg;
use crate::support::{Run, Work};

const BUCKET: &str = "tfstate";
const KEY: &str = "app/iac.tfstate";

/// A configuration with eight independently targetable resources.
fn eight(backend: &str) -> String {
    format!(
        r#"terraform {{
{backend}
}}
variable "versions" {{
  type    = map(string)
  default = {{}}
}}
resource "terraform_data" "r" {{
  for_each = toset(["0", "1", "2", "3", "4", "5", "6", "7"])
  input    = lookup(var.versions, each.key, "v1")
}}
"#
    )
}

fn s3_block() -> String {
    format!("  backend \"s3\" {{\n    bucket = \"{BUCKET}\"\n    key    = \"{KEY}\"\n    region = \"us-east-1\"\n  }}")
}

struct Remote {
    env: Vec<(&'static str, String)>,
}

impl Remote {
    fn run(&self, w: &Work, args: &[&str]) -> Run {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        w.iac_env(args, &env)
    }

    fn command(&self, w: &Work, args: &[&str]) -> std::process::Command {
        let mut c = w.command(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn pulled(&self, w: &Work) -> serde_json::Value {
        let r = self.run(w, &["state", "pull"]).ok();
        serde_json::from_str(&r.stdout).expect("state pull prints JSON")
    }
}

fn s3_remote(m: &Moto) -> Remote {
    Remote { env: m.env() }
}

fn pg_remote() -> Remote {
    Remote {
        env: vec![("PG_CONN_STR", pg::database())],
    }
}

/// Eight `apply -target` runs start at once; each changes one resource. They
/// queue on the lock; none may overwrite another.
fn eight_concurrent_applies(remote: &Remote, w: &Work) {
    remote.run(w, &["init"]).ok();
    remote.run(w, &["apply", "-auto-approve"]).ok();
    let before = remote.pulled(w)["serial"].as_u64().unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            remote
                .command(
                    w,
                    &[
                        "apply",
                        "-auto-approve",
                        "-lock-timeout=120s",
                        &format!("-target=terraform_data.r[\"{i}\"]"),
                        "-var",
                        &format!("versions={{\"{i}\"=\"v2\"}}"),
                    ],
                )
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("Resources: 0 added, 1 changed, 0 destroyed."),
            "{stdout}"
        );
    }
    let state = remote.pulled(w);
    assert_eq!(state["serial"].as_u64().unwrap(), before + 8);
    let inputs: Vec<String> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attributes"]["input"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(inputs, vec!["v2"; 8], "{state}");
    // And the configuration agrees: nothing left to do with all eight at v2.
    let all = (0..8)
        .map(|i| format!("\"{i}\"=\"v2\""))
        .collect::<Vec<_>>()
        .join(",");
    let r = remote.run(
        w,
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            &format!("versions={{{all}}}"),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn s3_backend_stores_state_in_the_bucket_and_locks_with_an_object() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let r = s3_remote(&m);
    let w = Work::new(&eight(&s3_block()));
    // A declared backend must be initialized first, as in Terraform.
    let plan = r.run(&w, &["plan"]).code(1);
    assert!(
        plan.stderr.contains("Backend initialization required"),
        "{}",
        plan.stderr
    );
    let init = r.run(&w, &["init"]).ok();
    assert!(
        init.stdout
            .contains("Using the S3 state s3://tfstate/app/iac.tfstate"),
        "{}",
        init.stdout
    );
    r.run(&w, &["apply", "-auto-approve"]).ok();
    // The state is in the bucket, not on disk, and the lock is gone.
    let body = m.get_object(BUCKET, KEY).expect("state object");
    let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stored["serial"], 1);
    assert_eq!(stored["resources"].as_array().unwrap().len(), 8);
    assert!(!w.path().join("iac.tfstate").exists());
    assert!(m.get_object(BUCKET, &format!("{KEY}.tflock")).is_none());
    let again = r.run(&w, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stderr);

    // A lock left by a run that died an hour ago: reported, with its age.
    let lock = serde_json::json!({
        "ID": "2f8e9c1a-dead-beef-0000-000000000001",
        "Operation": "apply",
        "Who": "ci@runner-7 (pid 4242)",
        "Created": "2020-01-01T00:00:00Z",
        "Version": "0.1.0",
        "Path": "s3://tfstate/app/iac.tfstate"
    });
    m.put_object(BUCKET, &format!("{KEY}.tflock"), &lock.to_string());
    let started = Instant::now();
    let held = r.run(&w, &["plan", "-lock-timeout=1s"]).code(1);
    assert!(started.elapsed() >= Duration::from_secs(1));
    for want in [
        "Error acquiring the state lock",
        "2f8e9c1a-dead-beef-0000-000000000001",
        "ci@runner-7 (pid 4242)",
        "probably stale",
        "iac force-unlock 2f8e9c1a-dead-beef-0000-000000000001",
    ] {
        assert!(held.stderr.contains(want), "{want}: {}", held.stderr);
    }
    let wrong = r.run(&w, &["force-unlock", "-force", "not-the-id"]).code(1);
    assert!(wrong.stderr.contains("does not match"), "{}", wrong.stderr);
    r.run(
        &w,
        &[
            "force-unlock",
            "-force",
            "2f8e9c1a-dead-beef-0000-000000000001",
        ],
    )
    .ok();
    assert!(m.get_object(BUCKET, &format!("{KEY}.tflock")).is_none());
    r.run(&w, &["plan"]).ok();
}

#[test]
fn s3_backend_refuses_to_overwrite_a_state_it_did_not_read() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let env = m.env();
    for (k, v) in &env {
        // This process talks to moto through the library directly.
        std::env::set_var(k, v);
    }
    let cfg = iac_state_remote::S3Config {
        bucket: BUCKET.into(),
        key: KEY.into(),
        region: Some("us-east-1".into()),
        endpoint: Some(m.endpoint.clone()),
        use_lockfile: true,
        ..Default::default()
    };
    let a = iac_state_remote::S3Backend::open(&cfg, "default", None).unwrap();
    let b = iac_state_remote::S3Backend::open(&cfg, "default", None).unwrap();
    assert!(a.read().unwrap().is_none());
    assert!(b.read().unwrap().is_none());
    let mut s = iac_state::State::new();
    a.write(&s).unwrap();
    // b read "nothing there": creating it now would clobber a's state.
    match b.write(&s) {
        Err(iac_state::StateError::Conflict(_)) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Both read, a writes, b's write (from a stale read) is refused.
    let _ = b.read().unwrap();
    s.serial = 1;
    a.write(&s).unwrap();
    s.serial = 2;
    assert!(matches!(
        b.write(&s),
        Err(iac_state::StateError::Conflict(_))
    ));
    // Once it reads again, it may write.
    let now = b.read().unwrap().unwrap();
    assert_eq!(now.serial, 1);
    b.write(&s).unwrap();
    assert_eq!(a.read().unwrap().unwrap().serial, 2);
    // The lock: one holder at a time, and released on drop.
    let g = a.lock("apply", Duration::ZERO).unwrap();
    match b.lock("plan", Duration::from_millis(300)) {
        Err(iac_state::StateError::Locked(info)) => {
            assert_eq!(Some(info.id), g.info.as_ref().map(|i| i.id.clone()))
        }
        other => panic!("expected locked, got {:?}", other.err()),
    }
    drop(g);
    drop(b.lock("plan", Duration::ZERO).unwrap());
}

#[test]
fn s3_eight_targeted_applies_at_once_queue_and_lose_nothing() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let w = Work::new(&eight(&s3_block()));
    eight_concurrent_applies(&s3_remote(&m), &w);
}

#[test]
fn pg_eight_targeted_applies_at_once_queue_and_lose_nothing() {
    let w = Work::new(&eight("  backend \"pg\" {}"));
    eight_concurrent_applies(&pg_remote(), &w);
}

/// Starts an apply that blocks on a FIFO after creating `terraform_data.first`,
/// and kills it with SIGKILL once the lock is held and that create is recorded.
fn killed_mid_apply(remote: &Remote, w: &Work, recorded: impl Fn() -> bool) {
    assert!(std::process::Command::new("mkfifo")
        .arg(w.path().join("pipe"))
        .status()
        .unwrap()
        .success());
    let mut child = remote
        .command(w, &["apply", "-auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !recorded() {
        assert!(
            Instant::now() < deadline,
            "the first create was not recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("pipe")).unwrap();
}

const FIFO_TF: &str = r#"
resource "terraform_data" "first" {
  input = "a"
}
resource "local_file" "block" {
  filename   = "pipe"
  content    = "x"
  depends_on = [terraform_data.first]
}
"#;

#[test]
fn pg_lock_of_a_killed_run_is_released_by_the_server() {
    let remote = pg_remote();
    let conn = remote.env[0].1.clone();
    let w = Work::new(&format!(
        "terraform {{\n  backend \"pg\" {{}}\n}}\n{FIFO_TF}"
    ));
    remote.run(&w, &["init"]).ok();
    killed_mid_apply(&remote, &w, || {
        pg::query(
            &conn,
            "SELECT count(*) FROM terraform_remote_state.iac_states WHERE data LIKE '%terraform_data.first%'",
        )
        .first()
        .is_some_and(|r| r[0] != "0")
    });
    // No force-unlock needed: the lock died with the connection. The completed
    // create is in state; only the blocked one is left to do.
    let plan = remote.run(&w, &["plan", "-lock-timeout=0s"]).ok();
    assert_eq!(
        plan.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.stdout
    );
    let rows = pg::query(
        &conn,
        "SELECT workspace, serial FROM terraform_remote_state.iac_states ORDER BY id",
    );
    assert_eq!(rows, vec![vec!["default".to_string(), "0".to_string()]]);
    remote.run(&w, &["apply", "-auto-approve"]).ok();
    // A new serial is a new row: the history is kept.
    let rows = pg::query(
        &conn,
        "SELECT serial FROM terraform_remote_state.iac_states ORDER BY id",
    );
    assert_eq!(rows, vec![vec!["0".to_string()], vec!["1".to_string()]]);
    assert_eq!(remote.pulled(&w)["resources"].as_array().unwrap().len(), 2);
}

#[test]
fn s3_lock_of_a_killed_run_is_reported_and_can_be_broken() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let remote = s3_remote(&m);
    let w = Work::new(&format!("terraform {{\n{}\n}}\n{FIFO_TF}", s3_block()));
    remote.run(&w, &["init"]).ok();
    killed_mid_apply(&remote, &w, || {
        m.get_object(BUCKET, KEY)
            .is_some_and(|s| s.contains("terraform_data.first"))
    });
    let lock: serde_json::Value = serde_json::from_str(
        &m.get_object(BUCKET, &format!("{KEY}.tflock"))
            .expect("the killed run's lock is still there"),
    )
    .unwrap();
    assert_eq!(lock["Operation"], "apply");
    let id = lock["ID"].as_str().unwrap();
    let held = remote.run(&w, &["plan"]).code(1);
    assert!(held.stderr.contains(id), "{}", held.stderr);
    remote.run(&w, &["force-unlock", "-force", id]).ok();
    let plan = remote.run(&w, &["plan"]).ok();
    assert_eq!(
        plan.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.stdout
    );
}

#[test]
fn state_migrates_from_local_to_s3_to_pg_with_nothing_lost() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let conn = pg::database();
    let mut env = m.env();
    env.push(("PG_CONN_STR", conn.clone()));
    let remote = Remote { env };
    let w = Work::new(&eight(""));
    remote.run(&w, &["apply", "-auto-approve"]).ok();
    let local = w.state();

    // Local -> S3.
    w.write("main.tf", &eight(&s3_block()));
    let plan = remote.run(&w, &["plan"]).code(1);
    assert!(
        plan.stderr.contains("Backend initialization required"),
        "{}",
        plan.stderr
    );
    let init = remote.run(&w, &["init"]).code(1);
    assert!(
        init.stderr.contains("iac init -migrate-state"),
        "{}",
        init.stderr
    );
    let init = remote.run(&w, &["init", "-migrate-state"]).ok();
    assert!(
        init.stdout
            .contains("Copied the state (8 resource instance(s), serial 1)"),
        "{}",
        init.stdout
    );
    let in_s3: serde_json::Value =
        serde_json::from_str(&m.get_object(BUCKET, KEY).unwrap()).unwrap();
    assert_eq!(in_s3["lineage"], local["lineage"]);
    assert_eq!(in_s3["serial"], local["serial"]);
    assert_eq!(in_s3["resources"], local["resources"]);
    let r = remote.run(&w, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // S3 -> PostgreSQL, given at init with -backend-config.
    w.write("main.tf", &eight("  backend \"pg\" {}"));
    let changed = remote.run(&w, &["plan"]).code(1);
    assert!(
        changed.stderr.contains("Backend configuration changed"),
        "{}",
        changed.stderr
    );
    let no_env = Remote { env: m.env() };
    no_env
        .run(
            &w,
            &[
                "init",
                "-migrate-state",
                &format!("-backend-config=conn_str={conn}"),
            ],
        )
        .ok();
    let pulled = no_env.pulled(&w);
    assert_eq!(pulled["lineage"], local["lineage"]);
    assert_eq!(pulled["resources"], local["resources"]);
    let r = no_env.run(&w, &["plan", "-detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The record of -backend-config is private to its owner.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(w.path().join(".iac/backend.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn environments_get_their_own_state_object() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let r = s3_remote(&m);
    // The bucket comes from a -backend-config file, as teams keep one per account.
    let w = Work::new(&eight(&s3_block().replace("bucket = \"tfstate\"", "")));
    w.write("s3.tfbackend", "bucket = \"tfstate\"\n");
    let missing = r.run(&w, &["init"]).code(1);
    assert!(
        missing.stderr.contains("needs `bucket`"),
        "{}",
        missing.stderr
    );
    r.run(&w, &["init", "-backend-config=s3.tfbackend"]).ok();
    r.run(&w, &["apply", "-auto-approve", "-e", "staging"]).ok();
    assert!(m.get_object(BUCKET, KEY).is_none());
    let staged = m
        .get_object(BUCKET, &format!("env:/staging/{KEY}"))
        .expect("the staging state, where Terraform's workspaces keep it");
    assert!(staged.contains("terraform_data.r"));
    let plan = r.run(&w, &["plan", "-e", "staging", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let list = r.run(&w, &["state", "list", "-e", "staging"]).ok();
    assert_eq!(list.stdout.lines().count(), 8);
}

#[test]
fn backend_block_mistakes_are_explained() {
    let cases = [
        (
            "backend \"s4\" {}",
            &[
                "Unsupported backend \"s4\"",
                "main.tf:2:3",
                "the backends are: local, s3, pg",
            ][..],
        ),
        (
            "backend \"s3\" {\n    buckt = \"x\"\n  }",
            &[
                "Unsupported argument \"buckt\"",
                "did you mean `bucket`?",
                "main.tf:3:5",
            ][..],
        ),
        (
            "backend \"s3\" {\n    bucket = var.name\n  }",
            &[
                "Variables not allowed in a backend block",
                "-backend-config",
            ][..],
        ),
    ];
    for (block, wants) in cases {
        let w = Work::new(&format!(
            "terraform {{\n  {block}\n}}\nvariable \"name\" {{\n  default = \"x\"\n}}\n"
        ));
        let r = w.iac(&["init"]).code(1);
        for want in wants {
            assert!(r.stderr.contains(want), "{want}: {}", r.stderr);
        }
    }
}

#[test]
fn remote_state_is_encrypted_when_a_key_is_set() {
    let m = Moto::start();
    m.create_bucket(BUCKET);
    let mut env = m.env();
    env.push((
        "IAC_STATE_ENCRYPTION_KEY",
        "q2cz3Lxn3dW1Sxu8bXUUwFZp2m3Tq0Hc1s2bEJ1V0QQ=".into(),
    ));
    let r = Remote { env };
    let w = Work::new(&eight(&s3_block()));
    r.run(&w, &["init"]).ok();
    r.run(&w, &["apply", "-auto-approve"]).ok();
    let stored = m.get_object(BUCKET, KEY).unwrap();
    assert!(stored.starts_with("{\"iac_encrypted_state\":1"), "{stored}");
    assert!(!stored.contains("terraform_data"));
    let without = s3_remote(&m).run(&w, &["plan"]).code(1);
    assert!(
        without.stderr.contains("is encrypted"),
        "{}",
        without.stderr
    );
    let with = r.run(&w, &["plan", "-detailed-exitcode"]);
    assert_eq!(with.code, 0, "{}", with.stderr);
}
