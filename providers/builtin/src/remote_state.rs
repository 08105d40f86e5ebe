//! `data "terraform_remote_state"`: the root outputs of another configuration's
//! state, read through the same backends (`local`, `s3`, `pg`) and settings as a
//! `backend` block. The state may be iac's or Terraform's. A sensitive output of an
//! iac state is only a fingerprint there: it comes through as a secret whose value
//! iac does not hold, and using it where a value must be sent is an error at plan time.

use std::collections::BTreeMap;
use std::sync::Arc;

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_state::{Backend, StateError};
use iac_value::{PathStep, Value};

/// Opens a backend from its kind, its settings (as a `backend` block has them) and
/// a workspace; the CLI provides it (the one place backends are built).
pub type OpenBackend = Arc<
    dyn Fn(
            &str,
            &serde_json::Map<String, serde_json::Value>,
            Option<&str>,
        ) -> Result<Box<dyn Backend>, String>
        + Send
        + Sync,
>;

pub(crate) struct RemoteStateData {
    pub(crate) open: OpenBackend,
}

fn err(key: &str, summary: &str, detail: String) -> Vec<AttrDiagnostic> {
    vec![AttrDiagnostic::error(
        vec![PathStep::Key(key.into())],
        summary,
        detail,
    )]
}

#[async_trait::async_trait]
impl DataSourceType<()> for RemoteStateData {
    fn schema(&self) -> Schema {
        Schema::new("The root outputs of another state (iac's or Terraform's), read through a backend.")
            .attr(
                "backend",
                Attribute::required(AttrType::String, "local, s3 or pg."),
            )
            .attr(
                "config",
                Attribute::optional(AttrType::Dynamic, "The backend's settings, as in a backend block (local: path, default terraform.tfstate)."),
            )
            .attr(
                "defaults",
                Attribute::optional(AttrType::Dynamic, "Values for outputs the state does not have."),
            )
            .attr(
                "workspace",
                Attribute::optional(AttrType::String, "Workspace (environment) of the state (default: default)."),
            )
            .attr(
                "outputs",
                Attribute::computed(AttrType::Dynamic, "The state's root outputs, merged over defaults."),
            )
    }

    async fn read(&self, _: &(), config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let kind = config.get_attr("backend").as_str().unwrap_or_default();
        let mut settings = match iac_value::to_json(
            &config.get_attr("config").clone().unmark_deep().0,
            &iac_value::JsonOptions::Omit,
        ) {
            serde_json::Value::Object(m) => m,
            serde_json::Value::Null => serde_json::Map::new(),
            other => {
                return Err(err(
                    "config",
                    "Invalid config",
                    format!("expected an object of backend settings, got {other}"),
                ))
            }
        };
        if kind == "local" && !settings.contains_key("path") {
            settings.insert("path".into(), "terraform.tfstate".into());
        }
        let workspace = config
            .get_attr("workspace")
            .as_str()
            .filter(|w| *w != "default");
        let backend = (self.open)(kind, &settings, workspace)
            .map_err(|e| err("backend", "Cannot open the remote state", e))?;
        let what = backend.describe();
        let outputs: BTreeMap<String, Value> = match backend.read() {
            Ok(Some(state)) => state
                .outputs
                .into_iter()
                .map(|(k, o)| {
                    let v = if o.sensitive {
                        o.value.sensitive()
                    } else {
                        o.value
                    };
                    (k, v)
                })
                .collect(),
            // Nothing there: an error, as Terraform's (a typo in a path or a
            // workspace must not read as "no outputs").
            Ok(None) => {
                return Err(err(
                    "workspace",
                    "Unable to find remote state",
                    format!(
                        "No stored state was found for the given workspace in the given backend ({what})."
                    ),
                ))
            }
            Err(StateError::Terraform { document, .. }) => {
                iac_state::terraform::terraform_outputs(&document).map_err(|e| {
                    err(
                        "backend",
                        "Cannot read the remote state",
                        format!("{what}: {e}"),
                    )
                })?
            }
            Err(e) => {
                return Err(err(
                    "backend",
                    "Cannot read the remote state",
                    format!("{what}: {e}"),
                ))
            }
        };
        let mut merged: BTreeMap<String, Value> = config
            .get_attr("defaults")
            .as_map()
            .cloned()
            .unwrap_or_default();
        merged.extend(outputs);
        let mut out = config.clone();
        if let Value::Map(m) = &mut out {
            m.insert("outputs".into(), Value::Map(merged.into()));
        }
        Ok(out)
    }
}
