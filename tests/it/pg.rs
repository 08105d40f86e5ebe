//! One throwaway PostgreSQL cluster per test process, started by
//! `scripts/pg.sh` (which installs PostgreSQL if the machine lacks it) and
//! stopped by a watchdog when the test process exits. Each test gets a
//! database of its own.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

struct Cluster {
    /// Connection string to the `postgres` database.
    admin: String,
}

fn cluster() -> &'static Cluster {
    static C: OnceLock<Cluster> = OnceLock::new();
    C.get_or_init(|| {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = Command::new("bash")
            .arg(root.join("scripts/pg.sh"))
            .output()
            .expect("run scripts/pg.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "scripts/pg.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let var = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}='")))
                .map(|v| v.trim_end_matches('\'').to_string())
                .unwrap_or_else(|| panic!("scripts/pg.sh printed no {name}: {stdout}"))
        };
        let admin = var("PG_CONN_STR");
        let data = var("PG_DATA_DIR");
        // Stop the cluster when this test process ends, however it ends.
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             bin=$(dirname $(readlink -f $(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -1))); \
             if [ $(id -u) = 0 ]; then runuser -u postgres -- $bin/pg_ctl -D '{data}' -m immediate stop; \
             else $bin/pg_ctl -D '{data}' -m immediate stop; fi; rm -rf $(dirname '{data}')",
            pid = std::process::id()
        );
        // Outlives this process on purpose: it is what stops the cluster.
        #[allow(clippy::zombie_processes)]
        Command::new("setsid")
            .args(["bash", "-c", &stop])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the cluster's watchdog");
        Cluster { admin }
    })
}

/// A new, empty database; returns its connection string.
pub fn database() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let c = cluster();
    let name = format!(
        "t{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    query(&c.admin, &format!("CREATE DATABASE {name}"));
    c.admin.replace("/postgres?", &format!("/{name}?"))
}

/// Runs SQL and returns every row's columns as text.
pub fn query(conn: &str, sql: &str) -> Vec<Vec<String>> {
    let conn = conn.to_string();
    let sql = sql.to_string();
    crate::moto::block(async move {
        let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
            .await
            .expect("connect to the test cluster");
        tokio::spawn(connection);
        let msgs = client.simple_query(&sql).await.expect("query");
        msgs.into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("").to_string())
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}
