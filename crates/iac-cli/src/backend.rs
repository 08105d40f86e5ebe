//! Choosing where state lives. The backend comes from the configuration's
//! `terraform { backend "KIND" { ... } }` (or `iac { ... }`) block, merged with
//! `-backend-config` at `iac init`, and is recorded in `.iac/backend.json` so
//! that later commands open it without re-reading the flags, as Terraform does
//! with `.terraform/`. A command whose configuration no longer matches the
//! record stops and asks for `iac init -migrate-state` or `-reconfigure`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use iac_config::{EmptyNamespace, EvalContext, Module};
use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics, SourceMap};
use iac_state::{Backend, LocalBackend, StateCipher};
use iac_state_remote::{PgBackend, PgConfig, S3Backend, S3Config};
use iac_value::Value;
use serde_json::{json, Map, Value as Json};
use sha2::Digest;

pub const KINDS: &[&str] = &["local", "s3", "pg"];

const S3_KEYS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "endpoint",
    "endpoints",
    "use_path_style",
    "force_path_style",
    "access_key",
    "secret_key",
    "profile",
    "workspace_key_prefix",
    "use_lockfile",
    "encrypt",
    "kms_key_id",
    "acl",
    "skip_credentials_validation",
    "skip_region_validation",
    "skip_requesting_account_id",
    "skip_metadata_api_check",
    "skip_s3_checksum",
    "dynamodb_table",
];
const PG_KEYS: &[&str] = &[
    "conn_str",
    "schema_name",
    "skip_schema_creation",
    "skip_table_creation",
    "skip_index_creation",
];
const LOCAL_KEYS: &[&str] = &["path", "workspace_dir"];

/// A backend kind and its settings, as declared (plus `-backend-config`).
#[derive(Clone, Debug, PartialEq)]
pub struct BackendSpec {
    pub kind: String,
    pub settings: Map<String, Json>,
}

impl BackendSpec {
    /// Refuses a kind or a setting a backend does not have (for settings that come
    /// from a value, as `terraform_remote_state`'s `config`).
    pub fn check_keys(&self) -> std::result::Result<(), String> {
        let keys = match self.kind.as_str() {
            "s3" => S3_KEYS,
            "pg" => PG_KEYS,
            "local" => LOCAL_KEYS,
            other => {
                let help = match did_you_mean(other, KINDS.iter().copied()) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => format!("the backends are: {}", KINDS.join(", ")),
                };
                return Err(format!("unsupported backend \"{other}\": {help}"));
            }
        };
        for k in self.settings.keys() {
            if !keys.contains(&k.as_str()) {
                let help = match did_you_mean(k, keys.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the {} backend takes: {}", self.kind, keys.join(", ")),
                };
                return Err(format!(
                    "unsupported argument \"{k}\" in backend \"{}\": {help}",
                    self.kind
                ));
            }
        }
        Ok(())
    }

    pub fn local() -> BackendSpec {
        BackendSpec {
            kind: "local".into(),
            settings: Map::new(),
        }
    }

    /// A digest of the settings, to notice when the configuration changes.
    pub fn digest(&self) -> String {
        let h = sha2::Sha256::digest(
            json!({"kind": self.kind, "settings": self.settings})
                .to_string()
                .as_bytes(),
        );
        h.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// A one-line description without credentials.
    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "s3" => format!(
                "s3 (bucket {}, key {})",
                self.str("bucket").unwrap_or("?"),
                self.str("key").unwrap_or("?")
            ),
            "pg" => "pg".into(),
            _ => match self.str("path") {
                Some(p) => format!("local ({p})"),
                None => "local".into(),
            },
        }
    }

    fn str(&self, k: &str) -> Option<&str> {
        self.settings.get(k).and_then(|v| v.as_str())
    }

    fn bool(&self, k: &str) -> Option<bool> {
        self.settings.get(k).and_then(|v| match v {
            Json::Bool(b) => Some(*b),
            Json::String(s) => s.parse().ok(),
            _ => None,
        })
    }

    /// Opens the backend for a workspace (`-e` environment; "default" when none).
    pub fn open(&self, dir: &Path, env: Option<&str>) -> Result<Box<dyn Backend>> {
        let workspace = env.unwrap_or("default");
        match self.kind.as_str() {
            "local" => {
                let base = self
                    .str("path")
                    .map(|p| dir.join(p))
                    .unwrap_or_else(|| dir.join("iac.tfstate"));
                let path = match env {
                    None => base,
                    Some(e) => {
                        let wd = self.str("workspace_dir").unwrap_or("iac.tfstate.d");
                        let file = base
                            .file_name()
                            .map(PathBuf::from)
                            .unwrap_or_else(|| PathBuf::from("iac.tfstate"));
                        dir.join(wd).join(e).join(file)
                    }
                };
                Ok(Box::new(LocalBackend::new(path).with_cipher(cipher()?)))
            }
            "s3" => {
                if self.settings.contains_key("dynamodb_table") {
                    bail!("the S3 backend's DynamoDB locking is not supported: iac locks with a lock object in the bucket (use_lockfile, on by default). Remove dynamodb_table.");
                }
                let endpoint = self
                    .settings
                    .get("endpoints")
                    .and_then(|e| e.get("s3"))
                    .and_then(|e| e.as_str())
                    .or(self.str("endpoint"))
                    .map(str::to_string)
                    .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
                    .filter(|e| !e.is_empty());
                let cfg = S3Config {
                    bucket: self
                        .str("bucket")
                        .ok_or_else(|| anyhow!("the s3 backend needs `bucket`"))?
                        .to_string(),
                    key: self
                        .str("key")
                        .ok_or_else(|| anyhow!("the s3 backend needs `key`"))?
                        .to_string(),
                    region: self.str("region").map(str::to_string),
                    endpoint,
                    use_path_style: self
                        .bool("use_path_style")
                        .or(self.bool("force_path_style")),
                    access_key: self.str("access_key").map(str::to_string),
                    secret_key: self.str("secret_key").map(str::to_string),
                    profile: self.str("profile").map(str::to_string),
                    workspace_key_prefix: self.str("workspace_key_prefix").map(str::to_string),
                    use_lockfile: self.bool("use_lockfile").unwrap_or(true),
                };
                if !cfg.use_lockfile {
                    eprintln!("Warning: use_lockfile = false: this state is not locked, and two runs at once can overwrite each other's changes.\n");
                }
                Ok(S3Backend::open(&cfg, workspace, cipher()?)?)
            }
            "pg" => {
                let conn_str = self
                    .str("conn_str")
                    .map(str::to_string)
                    .or_else(|| std::env::var("PG_CONN_STR").ok())
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        anyhow!("the pg backend needs `conn_str` (or the PG_CONN_STR environment variable)")
                    })?;
                let cfg = PgConfig {
                    conn_str,
                    schema_name: self.str("schema_name").map(str::to_string),
                };
                Ok(PgBackend::open(&cfg, workspace, cipher()?)?)
            }
            other => bail!("unknown backend \"{other}\""),
        }
    }
}

/// The state encryption key from the environment: `IAC_STATE_ENCRYPTION_KEY`
/// (32 bytes, base64) or `IAC_STATE_PASSPHRASE`. Derived once per process.
pub fn cipher() -> Result<Option<StateCipher>> {
    static C: std::sync::OnceLock<Result<Option<StateCipher>, String>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (var("IAC_STATE_ENCRYPTION_KEY"), var("IAC_STATE_PASSPHRASE")) {
            (Some(_), Some(_)) => {
                Err("set IAC_STATE_ENCRYPTION_KEY or IAC_STATE_PASSPHRASE, not both".into())
            }
            (Some(k), None) => StateCipher::from_key(&k)
                .map(Some)
                .map_err(|e| e.to_string()),
            (None, Some(p)) => StateCipher::from_passphrase(&p)
                .map(Some)
                .map_err(|e| e.to_string()),
            (None, None) => Ok(None),
        }
    })
    .clone()
    .map_err(|e| anyhow!(e))
}

fn to_json(v: &Value) -> Json {
    iac_value::to_json(v, &iac_value::JsonOptions::Omit)
}

/// The backend the configuration declares (local when none), with errors for
/// unknown kinds and settings, and for settings that are not constants.
pub fn declared(module: &Module, dir: &Path) -> (Option<BackendSpec>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let Some(b) = &module.backend else {
        return (None, diags);
    };
    let keys = match b.kind.as_str() {
        "s3" => S3_KEYS,
        "pg" => PG_KEYS,
        "local" => LOCAL_KEYS,
        other => {
            let help = match did_you_mean(other, KINDS.iter().copied()) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!("the backends are: {}", KINDS.join(", ")),
            };
            diags.push(
                Diagnostic::error("E0130", format!("Unsupported backend \"{other}\""))
                    .with_span(b.span, "not a backend iac has")
                    .with_help(help),
            );
            return (None, diags);
        }
    };
    let ns = EmptyNamespace;
    let mut settings = Map::new();
    let unknown = |name: &str, span| -> Option<Diagnostic> {
        if keys.contains(&name) {
            return None;
        }
        let help = match did_you_mean(name, keys.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the {} backend takes: {}", b.kind, keys.join(", ")),
        };
        Some(
            Diagnostic::error(
                "E0131",
                format!("Unsupported argument \"{name}\" in backend \"{}\"", b.kind),
            )
            .with_span(span, "not an argument of this backend")
            .with_help(help),
        )
    };
    let check = |name: &str, span, diags: &mut Diagnostics| match unknown(name, span) {
        Some(d) => {
            diags.push(d);
            false
        }
        None => true,
    };
    let mut evaluated = Vec::new();
    for a in &b.body.attributes {
        if check(&a.name, a.name_span, &mut diags) {
            evaluated.push((a.name.clone(), &a.expr));
        }
    }
    for blk in &b.body.blocks {
        if check(&blk.kind, blk.kind_span, &mut diags) {
            let mut m = Map::new();
            for a in &blk.body.attributes {
                let mut cx = EvalContext::new(&ns, dir.to_path_buf(), dir.to_path_buf());
                match cx.eval(&a.expr) {
                    Ok(v) => {
                        m.insert(a.name.clone(), to_json(&v));
                    }
                    Err(_) => diags.push(not_constant(a.expr.span)),
                }
            }
            settings.insert(blk.kind.clone(), Json::Object(m));
        }
    }
    for (name, expr) in evaluated {
        if !expr.references().is_empty() {
            diags.push(not_constant(expr.span));
            continue;
        }
        let mut cx = EvalContext::new(&ns, dir.to_path_buf(), dir.to_path_buf());
        match cx.eval(expr) {
            Ok(v) => {
                settings.insert(name, to_json(&v));
            }
            Err(d) => diags.push(d),
        }
    }
    (
        Some(BackendSpec {
            kind: b.kind.clone(),
            settings,
        }),
        diags,
    )
}

fn not_constant(span: iac_diagnostics::Span) -> Diagnostic {
    Diagnostic::error("E0132", "Variables not allowed in a backend block")
        .with_span(span, "must be a constant")
        .with_help("the backend is opened before variables are known; give the value with -backend-config at `iac init`")
}

/// Applies `-backend-config` values: `key=value` pairs or files of `key = value` lines.
pub fn merge_backend_config(
    spec: &mut BackendSpec,
    items: &[String],
    sources: &mut SourceMap,
) -> Result<()> {
    for item in items {
        if let Some((k, v)) = item.split_once('=').filter(|(k, _)| !k.contains('/')) {
            let v = v.trim();
            let value = match v {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                _ => Json::String(v.trim_matches('"').to_string()),
            };
            spec.settings.insert(k.trim().to_string(), value);
        } else {
            let (vals, diags) = iac_config::vars::load_var_file(Path::new(item), sources);
            if diags.has_errors() {
                let d = diags.errors().next().map(|d| d.message.clone());
                bail!("-backend-config={item}: {}", d.unwrap_or_default());
            }
            for v in vals {
                spec.settings.insert(v.name, to_json(&v.value));
            }
        }
    }
    Ok(())
}

/// What `iac init` recorded.
#[derive(Clone, Debug)]
pub struct Record {
    /// Digest of the block as written (without -backend-config), to notice edits.
    pub declared: String,
    pub spec: BackendSpec,
}

pub fn record_path(dir: &Path) -> PathBuf {
    dir.join(".iac").join("backend.json")
}

pub fn read_record(dir: &Path) -> Result<Option<Record>> {
    let p = record_path(dir);
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
    };
    let j: Json = serde_json::from_str(&text)
        .with_context(|| format!("{} is damaged; run `iac init -reconfigure`", p.display()))?;
    Ok(Some(Record {
        declared: j["declared"].as_str().unwrap_or_default().to_string(),
        spec: BackendSpec {
            kind: j["kind"].as_str().unwrap_or("local").to_string(),
            settings: j["settings"].as_object().cloned().unwrap_or_default(),
        },
    }))
}

pub fn write_record(dir: &Path, rec: &Record) -> Result<()> {
    let p = record_path(dir);
    std::fs::create_dir_all(p.parent().expect("has a parent"))?;
    let text = serde_json::to_string_pretty(&json!({
        "format_version": 1,
        "kind": rec.spec.kind,
        "settings": rec.spec.settings,
        "declared": rec.declared,
    }))?;
    let tmp = p.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // -backend-config may carry credentials.
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &p)?;
    Ok(())
}

/// Digest of what the configuration declares (local when nothing).
pub fn declared_digest(spec: Option<&BackendSpec>) -> String {
    spec.cloned().unwrap_or_else(BackendSpec::local).digest()
}

/// The backend to use before the configuration is read: the recorded one, or local.
pub fn recorded_or_local(dir: &Path) -> Result<BackendSpec> {
    Ok(read_record(dir)?
        .map(|r| r.spec)
        .unwrap_or_else(BackendSpec::local))
}

/// Checks that the configuration still declares the backend recorded at init.
pub fn check_matches(module: &Module, dir: &Path, sources: &SourceMap) -> Result<(), String> {
    let (declared, diags) = declared(module, dir);
    if diags.has_errors() {
        let mut s = String::new();
        for d in diags.iter() {
            s.push_str(&iac_diagnostics::render_human(d, sources, false));
            s.push('\n');
        }
        return Err(s);
    }
    let rec = read_record(dir).map_err(|e| e.to_string())?;
    let digest = declared_digest(declared.as_ref());
    match (rec, &declared) {
        (None, None) => Ok(()),
        (None, Some(d)) if d.kind == "local" && d.settings.is_empty() => Ok(()),
        (None, Some(d)) => Err(format!(
            "Error: Backend initialization required\n\nThe configuration declares the {} backend, and this directory has not been initialized for it. Run `iac init`.",
            d.describe()
        )),
        (Some(r), _) if r.declared == digest => Ok(()),
        (Some(r), d) => Err(format!(
            "Error: Backend configuration changed\n\nThe state was set up for the {} backend at `iac init`; the configuration now declares {}.\nRun `iac init -migrate-state` to copy the state to the new backend, or `iac init -reconfigure` to use it without copying.",
            r.spec.describe(),
            d.as_ref().map(|d| d.describe()).unwrap_or_else(|| "no backend (local state)".into())
        )),
    }
}
