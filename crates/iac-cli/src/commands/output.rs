//! `iac output`: root output values from state.

use crate::args::StateArgs;
use crate::exit::*;
use crate::session::*;
use anyhow::{bail, Result};
use iac_value::{to_json, JsonOptions, Value};

pub(crate) fn cmd_output(
    json: bool,
    raw: bool,
    args: &StateArgs,
    name: Option<&str>,
) -> Result<u8> {
    let backend = open_state_for(args)?;
    let state = backend.read()?.unwrap_or_default();
    let omit = JsonOptions::Omit;
    match name {
        None => {
            if json {
                let m: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| {
                        let v = if o.sensitive {
                            serde_json::Value::Null
                        } else {
                            to_json(&o.value, &omit)
                        };
                        (
                            k.clone(),
                            serde_json::json!({"sensitive": o.sensitive, "value": v}),
                        )
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                if state.outputs.is_empty() {
                    eprintln!("Warning: No outputs found in state.");
                }
                for (k, o) in &state.outputs {
                    println!(
                        "{k} = {}",
                        if o.sensitive {
                            "<sensitive>".to_string()
                        } else {
                            o.value.to_string()
                        }
                    );
                }
            }
            Ok(EXIT_OK)
        }
        Some(n) => {
            let Some(o) = state.outputs.get(n) else {
                let help =
                    iac_diagnostics::did_you_mean(n, state.outputs.keys().map(String::as_str))
                        .map(|s| format!(" Did you mean \"{s}\"?"))
                        .unwrap_or_default();
                bail!("output \"{n}\" not found in state.{help}");
            };
            if o.sensitive {
                bail!("output \"{n}\" is sensitive: iac stores only a fingerprint of it, never the plaintext. Read the secret from where it lives (for example Secrets Manager).");
            }
            if json {
                println!("{}", to_json(&o.value, &omit));
            } else if raw {
                match &o.value {
                    Value::String(s) => print!("{s}"),
                    Value::Number(_) | Value::Bool(_) => print!("{}", o.value),
                    _ => bail!("-raw only prints strings, numbers and bools; use -json"),
                }
            } else {
                println!("{}", o.value);
            }
            Ok(EXIT_OK)
        }
    }
}
