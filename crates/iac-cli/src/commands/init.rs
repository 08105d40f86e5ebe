//! `iac init`: check the configuration, open (and migrate) the backend.

use crate::args::StateArgs;
use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use anyhow::{anyhow, bail, Context, Result};
use iac_state::terraform::{adopt_terraform, TypeFacts};
use iac_state::{Backend, State, StateError};
use iac_value::addr::ResourceMode;

pub struct InitArgs<'a> {
    pub state: &'a StateArgs,
    pub backend_config: &'a [String],
    pub migrate_state: bool,
    pub reconfigure: bool,
    pub force_copy: bool,
    pub upgrade: bool,
}

/// `iac get [-update]`: installs the modules the configuration calls.
pub(crate) fn cmd_get(update: bool) -> Result<u8> {
    let dir = std::env::current_dir()?;
    let report = crate::modules::install(&dir, update)?;
    for l in &report.lines {
        println!("{l}");
    }
    if report.lines.is_empty() {
        println!("Modules are installed and up to date.");
    }
    Ok(EXIT_OK)
}

pub(crate) fn cmd_init(ui: &Ui, a: InitArgs<'_>) -> Result<u8> {
    use crate::backend::{self as bk, BackendSpec, Record};
    // Modules first: the configuration cannot load without them.
    let cwd = std::env::current_dir()?;
    let report = crate::modules::install(&cwd, a.upgrade)?;
    if !report.lines.is_empty() {
        println!("Initializing modules...");
        for l in &report.lines {
            println!("- {l}");
        }
        println!();
    }
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let dir = loaded.dir.clone();
    let (declared, diags) = bk::declared(&loaded.module, &dir);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    if declared.is_none() && !a.backend_config.is_empty() {
        bail!("-backend-config needs a backend block to add to, such as:\n\n  terraform {{\n    backend \"s3\" {{}}\n  }}");
    }
    let mut spec = declared.clone().unwrap_or_else(BackendSpec::local);
    bk::merge_backend_config(&mut spec, a.backend_config, &mut loaded.sources)?;
    let env = env_of(a.state);
    let old = bk::read_record(&dir)?
        .map(|r| r.spec)
        .unwrap_or_else(BackendSpec::local);
    let new_backend = spec
        .open(&dir, env.as_deref())
        .with_context(|| format!("cannot open the {} backend", spec.describe()))?;
    // Reading checks that the backend is reachable and the credentials work.
    let existing = match new_backend.read() {
        Err(StateError::Terraform {
            path,
            format,
            version,
            document,
        }) => {
            if !a.migrate_state {
                eprintln!(
                    "Error: {path} holds a Terraform state\n\n{}.\nUntil then iac does not plan here: it would create every object again.",
                    iac_state::terraform_message(format, &version)
                );
                return Ok(EXIT_ERROR);
            }
            let _lock = take_lock(&*new_backend, a.state, "adopt")?;
            Some(adopt(ui, &*new_backend, &path, &document)?)
        }
        other => other.with_context(|| {
            format!("cannot read the state from the {}", new_backend.describe())
        })?,
    };
    if old != spec && !a.reconfigure {
        let old_backend = old.open(&dir, env.as_deref())?;
        let old_state = old_backend.read().with_context(|| {
            format!("cannot read the state from the {}", old_backend.describe())
        })?;
        let worth_moving = old_state
            .as_ref()
            .is_some_and(|s| !s.resources.is_empty() || !s.outputs.is_empty());
        if let (true, Some(st)) = (worth_moving, old_state) {
            if !a.migrate_state {
                eprintln!(
                    "Error: Backend configuration changed\n\nThe {} holds a state with {} resource instance(s), and the configuration now uses the {}.\nRun `iac init -migrate-state` to copy the state there, or `iac init -reconfigure` to use the new backend without it.",
                    old_backend.describe(),
                    st.resources.len(),
                    new_backend.describe()
                );
                return Ok(EXIT_ERROR);
            }
            let _old_lock = take_lock(&*old_backend, a.state, "migrate")?;
            let _new_lock = take_lock(&*new_backend, a.state, "migrate")?;
            if let Some(there) = new_backend.read()? {
                let nonempty = !there.resources.is_empty() || !there.outputs.is_empty();
                if nonempty && there.lineage != st.lineage && !a.force_copy {
                    eprintln!(
                        "Error: The new backend already has a state\n\nThe {} holds another state (lineage {}, serial {}, {} resource instance(s)). Copying would replace it. Move it away first, or run again with -force-copy to replace it.",
                        new_backend.describe(),
                        there.lineage,
                        there.serial,
                        there.resources.len()
                    );
                    return Ok(EXIT_ERROR);
                }
            }
            new_backend.write(&st)?;
            let copied = new_backend.read()?.ok_or_else(|| {
                anyhow!("the state written to the new backend cannot be read back")
            })?;
            if copied.lineage != st.lineage
                || copied.serial != st.serial
                || copied.resources.len() != st.resources.len()
            {
                bail!("the state read back from the new backend differs from the one copied; the old state is untouched in the {}", old_backend.describe());
            }
            println!(
                "Copied the state ({} resource instance(s), serial {}) from the {} to the {}.\nThe old copy is left in place; remove it when you no longer need it.",
                st.resources.len(),
                st.serial,
                old_backend.describe(),
                new_backend.describe()
            );
        } else if a.migrate_state {
            println!("No state to migrate from the {}.", old_backend.describe());
        }
    } else if existing.is_none() && a.migrate_state {
        println!("No state to migrate.");
    }
    bk::write_record(
        &dir,
        &Record {
            declared: bk::declared_digest(declared.as_ref()),
            spec,
        },
    )?;
    println!("Using the {}.", new_backend.describe());
    println!("\n{}", ui.green("iac has been successfully initialized!"));
    Ok(EXIT_OK)
}

/// What iac knows of each resource type, for carrying Terraform's objects over.
fn type_facts(engine: &iac_engine::Engine, mode: ResourceMode, ty: &str) -> Option<TypeFacts> {
    use iac_provider::AttrType;
    let (p, schema) = engine.providers.for_type(ty, mode == ResourceMode::Data)?;
    let with = |f: &dyn Fn(&iac_provider::Attribute) -> bool| {
        schema
            .attributes
            .iter()
            .filter(|(_, a)| f(a))
            .map(|(k, _)| k.clone())
            .collect()
    };
    Some(TypeFacts {
        provider: p.name().to_string(),
        attributes: schema
            .attributes
            .keys()
            .chain(schema.blocks.keys())
            .cloned()
            .collect(),
        sensitive: with(&|a| a.sensitive),
        dynamic: with(&|a| a.ty == AttrType::Dynamic),
    })
}

/// `iac init -migrate-state` over a Terraform state: converts it, writes it as
/// iac's state to the backend, and reports what the user should know.
fn adopt(ui: &Ui, backend: &dyn Backend, from: &str, document: &[u8]) -> Result<State> {
    let engine = engine();
    let adoption = adopt_terraform(document, &|mode, ty| type_facts(&engine, mode, ty))
        .map_err(|e| anyhow!("cannot take over the Terraform state {from}: {e}"))?;
    let mut state = adoption.state;
    let prior_serial = state.serial;
    iac_state::commit(backend, prior_serial, &mut state)?;
    let written = backend
        .read()?
        .ok_or_else(|| anyhow!("the adopted state cannot be read back"))?;
    if written.resources.len() != state.resources.len() {
        bail!("the adopted state read back differs from the one written");
    }
    println!(
        "Took over the Terraform state {from} (written by Terraform {}, lineage {}, serial {}): {} resource instance(s), {} output(s), now iac's state in the {} (serial {}).",
        adoption.terraform_version,
        state.lineage,
        prior_serial,
        state.resources.len(),
        state.outputs.len(),
        backend.describe(),
        state.serial
    );
    if !adoption.plaintext.is_empty() {
        println!(
            "\n{}",
            ui.bold("Plaintext secrets were in Terraform's state. iac keeps only their fingerprints; Terraform's copy still holds them, so rotate them:")
        );
        for p in &adoption.plaintext {
            println!("  {p}");
        }
    }
    if !adoption.unsupported.is_empty() {
        println!("\nResource instances of types iac does not support, kept in state as they were (a plan names them; iac does not change them):");
        for u in &adoption.unsupported {
            println!("  {u}");
        }
    }
    if !adoption.dropped.is_empty() && debug_log() {
        for (ty, attrs) in &adoption.dropped {
            let list: Vec<&str> = attrs.iter().map(String::as_str).collect();
            debug(&format!("{ty}: not kept: {}", list.join(", ")));
        }
    }
    println!("\nTerraform's document was not changed where it was a separate file; from now on apply with iac only, or the two histories diverge.");
    Ok(written)
}
