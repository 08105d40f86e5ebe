//! The PostgreSQL backend. Each write of the state is a row (workspace, serial,
//! revision); a new serial adds a row, so the table keeps the history that S3
//! bucket versioning would. The lock is a session advisory lock: the server
//! releases it when the holder's connection ends, so a crashed run cannot leave
//! the state locked. Who holds it is kept in a `locks` row for messages.

use std::sync::Arc;

use iac_state::{Backend, LockInfo, State, StateError};
use tokio_postgres::{Client, NoTls};

use crate::{key_of, Bridge, Remote, Store};

/// The settings of `backend "pg" { ... }`.
#[derive(Clone, Debug, Default)]
pub struct PgConfig {
    pub conn_str: String,
    pub schema_name: Option<String>,
}

pub struct PgBackend;

fn pg_err(what: &str) -> impl Fn(tokio_postgres::Error) -> StateError + '_ {
    move |e| {
        let detail = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string());
        StateError::Remote(format!("{what}: {detail}"))
    }
}

fn valid_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

impl PgBackend {
    /// Connects and creates the schema and tables if missing.
    pub fn open(
        config: &PgConfig,
        workspace: &str,
        cipher: Option<iac_state::StateCipher>,
    ) -> Result<Box<dyn Backend>, StateError> {
        let schema = config
            .schema_name
            .clone()
            .unwrap_or_else(|| "terraform_remote_state".into());
        if !valid_ident(&schema) {
            return Err(StateError::Remote(format!(
                "schema_name \"{schema}\" must be a lower-case SQL identifier (letters, digits, _)"
            )));
        }
        let bridge = Bridge::new()?;
        let conn_str = config.conn_str.clone();
        let sch = schema.clone();
        let client = bridge.run(async move {
            let (client, conn) = tokio_postgres::connect(&conn_str, NoTls)
                .await
                .map_err(pg_err("cannot connect to PostgreSQL"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            // Two first runs at once must not race creating the tables.
            let setup = format!(
                "BEGIN;
                 SELECT pg_advisory_xact_lock({key});
                 CREATE SCHEMA IF NOT EXISTS {sch};
                 CREATE TABLE IF NOT EXISTS {sch}.iac_states (
                     id bigserial PRIMARY KEY,
                     workspace text NOT NULL,
                     serial bigint NOT NULL,
                     revision bigint NOT NULL DEFAULT 0,
                     lineage text NOT NULL,
                     data text NOT NULL,
                     written_at timestamptz NOT NULL DEFAULT now(),
                     UNIQUE (workspace, serial, lineage));
                 CREATE TABLE IF NOT EXISTS {sch}.iac_locks (
                     workspace text PRIMARY KEY,
                     info text NOT NULL);
                 COMMIT;",
                key = key_of("iac schema setup"),
            );
            client
                .batch_execute(&setup)
                .await
                .map_err(pg_err("cannot create the state tables"))?;
            Ok::<_, StateError>(client)
        })??;
        let host = config
            .conn_str
            .split('@')
            .nth(1)
            .map(|h| h.split('?').next().unwrap_or(h).to_string())
            .unwrap_or_else(|| "PostgreSQL".into());
        Ok(Box::new(Remote::new(
            PgStore {
                bridge: Arc::new(bridge),
                client: Arc::new(client),
                schema,
                workspace: workspace.to_string(),
                place: host,
            },
            cipher,
        )))
    }
}

struct PgStore {
    bridge: Arc<Bridge>,
    client: Arc<Client>,
    schema: String,
    workspace: String,
    /// Where the state is, without credentials, for messages.
    place: String,
}

impl PgStore {
    fn lock_key(&self) -> i64 {
        key_of(&format!("{}/{}", self.schema, self.workspace))
    }

    fn holder(&self) -> Result<Option<LockInfo>, StateError> {
        let c = self.client.clone();
        let q = format!(
            "SELECT info FROM {}.iac_locks WHERE workspace = $1",
            self.schema
        );
        let ws = self.workspace.clone();
        let row = self.bridge.run(async move {
            c.query_opt(&q, &[&ws])
                .await
                .map_err(pg_err("cannot read the lock"))
        })??;
        Ok(row.and_then(|r| serde_json::from_str(r.get::<_, &str>(0)).ok()))
    }
}

impl PgStore {
    /// No iac state for this workspace: the state Terraform's `pg` backend keeps in
    /// the same schema (`states`, one row per workspace name), if any, reported for
    /// `iac init -migrate-state` to take over.
    fn terraform_state(&self) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let c = self.client.clone();
        let q = format!(
            "SELECT data FROM {}.states WHERE name = $1 LIMIT 1",
            self.schema
        );
        let ws = self.workspace.clone();
        let row = self
            .bridge
            .run(async move { c.query_opt(&q, &[&ws]).await })?;
        // No such table: Terraform never used this schema.
        let Ok(Some(r)) = row else {
            return Ok(None);
        };
        let data: Option<String> = r.get(0);
        let Some(data) = data.filter(|d| !d.trim().is_empty()) else {
            return Ok(None);
        };
        let path = format!(
            "PostgreSQL table {}.states (Terraform's, workspace {}) on {}",
            self.schema, self.workspace, self.place
        );
        match iac_state::State::from_json_bytes(data.as_bytes()) {
            Err(e @ iac_state::ReadError::Terraform { .. }) => {
                Err(StateError::from_read(e, path, data.as_bytes()))
            }
            _ => Ok(None),
        }
    }
}

impl Store for PgStore {
    fn describe(&self) -> String {
        format!(
            "PostgreSQL state {}.iac_states (workspace {}) on {}",
            self.schema, self.workspace, self.place
        )
    }

    fn get(&self) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let c = self.client.clone();
        let q = format!(
            "SELECT data, serial, revision, lineage FROM {}.iac_states WHERE workspace = $1
             ORDER BY id DESC LIMIT 1",
            self.schema
        );
        let ws = self.workspace.clone();
        let row = self.bridge.run(async move {
            c.query_opt(&q, &[&ws])
                .await
                .map_err(pg_err("cannot read the state"))
        })??;
        match row {
            Some(r) => {
                let data: String = r.get(0);
                let (serial, revision, lineage): (i64, i64, String) =
                    (r.get(1), r.get(2), r.get(3));
                Ok(Some((
                    data.into_bytes(),
                    format!("{lineage}:{serial}:{revision}"),
                )))
            }
            None => self.terraform_state(),
        }
    }

    fn put(
        &self,
        bytes: Vec<u8>,
        expected: Option<&str>,
        state: &State,
    ) -> Result<String, StateError> {
        let c = self.client.clone();
        let schema = self.schema.clone();
        let ws = self.workspace.clone();
        let expected = expected.map(str::to_string);
        let serial = state.serial as i64;
        let lineage = state.lineage.clone();
        let describe = self.describe();
        let write_key = key_of(&format!("{}/{}/write", self.schema, self.workspace));
        let data = String::from_utf8(bytes)
            .map_err(|_| StateError::Remote("the state is not UTF-8".into()))?;
        self.bridge.run(async move {
            let err = pg_err("cannot write the state");
            c.batch_execute("BEGIN").await.map_err(&err)?;
            let result = async {
                // Writers of one workspace take turns, even without the state lock.
                c.execute("SELECT pg_advisory_xact_lock($1)", &[&write_key])
                    .await
                    .map_err(&err)?;
                let cur = c
                    .query_opt(
                        &format!(
                            "SELECT serial, revision, lineage FROM {schema}.iac_states WHERE workspace = $1
                             ORDER BY id DESC LIMIT 1 FOR UPDATE"
                        ),
                        &[&ws],
                    )
                    .await
                    .map_err(&err)?
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, String>(2)));
                let cur_version = cur.as_ref().map(|(s, r, l)| format!("{l}:{s}:{r}"));
                if cur_version != expected {
                    return Err(StateError::Conflict(describe));
                }
                let revision = match &cur {
                    // The same snapshot again (operations recorded during an apply): a new revision of its row.
                    Some((s, r, l)) if *s == serial && *l == lineage => {
                        c.execute(
                            &format!(
                                "UPDATE {schema}.iac_states SET data = $1, revision = revision + 1, written_at = now()
                                 WHERE workspace = $2 AND serial = $3 AND lineage = $4"
                            ),
                            &[&data, &ws, &serial, &lineage],
                        )
                        .await
                        .map_err(&err)?;
                        r + 1
                    }
                    _ => {
                        // A new snapshot becomes the newest row (replacing an old row of
                        // the same serial, which only a forced push writes).
                        c.execute(
                            &format!(
                                "DELETE FROM {schema}.iac_states WHERE workspace = $1 AND serial = $2 AND lineage = $3"
                            ),
                            &[&ws, &serial, &lineage],
                        )
                        .await
                        .map_err(&err)?;
                        c.execute(
                            &format!(
                                "INSERT INTO {schema}.iac_states (workspace, serial, lineage, data) VALUES ($1, $2, $3, $4)"
                            ),
                            &[&ws, &serial, &lineage, &data],
                        )
                        .await
                        .map_err(&err)?;
                        0
                    }
                };
                Ok(format!("{lineage}:{serial}:{revision}"))
            }
            .await;
            match result {
                Ok(v) => {
                    c.batch_execute("COMMIT").await.map_err(&err)?;
                    Ok(v)
                }
                Err(e) => {
                    let _ = c.batch_execute("ROLLBACK").await;
                    Err(e)
                }
            }
        })?
    }

    fn try_lock(
        &self,
        info: &LockInfo,
    ) -> Result<Result<Box<dyn FnOnce() + Send>, LockInfo>, StateError> {
        let c = self.client.clone();
        let key = self.lock_key();
        let q = format!(
            "INSERT INTO {}.iac_locks (workspace, info) VALUES ($1, $2)
             ON CONFLICT (workspace) DO UPDATE SET info = EXCLUDED.info",
            self.schema
        );
        let ws = self.workspace.clone();
        let text = serde_json::to_string_pretty(info).unwrap_or_default();
        let got = self.bridge.run(async move {
            let err = pg_err("cannot take the lock");
            let got: bool = c
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .await
                .map_err(&err)?
                .get(0);
            if got {
                // A crashed holder's record may still be there: it is ours now.
                c.execute(&q, &[&ws, &text]).await.map_err(&err)?;
            }
            Ok::<_, StateError>(got)
        })??;
        if !got {
            let holder = self
                .holder()?
                .unwrap_or_else(|| LockInfo::unknown(&self.describe()));
            return Ok(Err(holder));
        }
        let c = self.client.clone();
        let bridge = self.bridge.clone();
        let q = format!(
            "DELETE FROM {}.iac_locks WHERE workspace = $1 AND info = $2",
            self.schema
        );
        let ws = self.workspace.clone();
        let text = serde_json::to_string_pretty(info).unwrap_or_default();
        Ok(Ok(Box::new(move || {
            let _ = bridge.run(async move {
                let _ = c.execute(&q, &[&ws, &text]).await;
                let _ = c.query_one("SELECT pg_advisory_unlock($1)", &[&key]).await;
            });
        })))
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let held = self.holder()?;
        if let Some(h) = &held {
            if h.id != id {
                return Err(StateError::LockIdMismatch {
                    given: id.to_string(),
                    held: h.id.clone(),
                });
            }
        }
        let c = self.client.clone();
        let key = self.lock_key();
        let q = format!("DELETE FROM {}.iac_locks WHERE workspace = $1", self.schema);
        let ws = self.workspace.clone();
        let terminated = self.bridge.run(async move {
            let err = pg_err("cannot break the lock");
            // A bigint advisory key shows in pg_locks as classid (high half) and objid (low half).
            let rows = c
                .query(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                     AND objsubid = 1 AND classid::bigint = ($1 >> 32) AND objid::bigint = ($1 & 4294967295)",
                    &[&key],
                )
                .await
                .map_err(&err)?;
            let mut n = 0;
            for r in rows {
                let pid: i32 = r.get(0);
                c.execute("SELECT pg_terminate_backend($1)", &[&pid])
                    .await
                    .map_err(&err)?;
                n += 1;
            }
            c.execute(&q, &[&ws]).await.map_err(&err)?;
            Ok::<_, StateError>(n)
        })??;
        if terminated == 0 && held.is_none() {
            return Err(StateError::Refused("the state is not locked".into()));
        }
        Ok(())
    }
}
