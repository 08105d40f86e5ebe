//! `iac import ADDRESS ID`.

use crate::args::{StateArgs, VarArgs};
use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use anyhow::{anyhow, Result};
use iac_value::addr::InstanceAddr;

pub(crate) fn cmd_import(
    ui: &Ui,
    va: &VarArgs,
    args: &StateArgs,
    address: &str,
    id: &str,
) -> Result<u8> {
    let addr: InstanceAddr = address
        .parse()
        .map_err(|e| anyhow!("invalid address \"{address}\": {e}"))?;
    let mut loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let env = env_of(args);
    check_backend(&loaded, args)?;
    let vars = match variables(ui, &mut loaded, va, env.as_deref())? {
        Ok(v) => v,
        Err(c) => return Ok(c),
    };
    let backend = open_backend(&loaded.dir, args, env.as_deref())?;
    let _lock = take_lock(&*backend, args, "import")?;
    let mut state = read_state(&*backend)?;
    let rt = runtime()?;
    match rt.block_on(engine().import_object(&loaded.module, &vars, &state, &addr, id)) {
        Ok(inst) => {
            state.resources.insert(addr.clone(), inst);
            let serial = state.serial;
            iac_state::commit(&*backend, serial, &mut state)?;
            println!(
                "{addr}: Import prepared!\n\n{}",
                ui.green("Import successful!")
            );
            println!("\nThe object is now in state. Run `iac plan` to see how it differs from the configuration.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            ui.diagnostics(&d, &loaded.sources);
            Ok(EXIT_ERROR)
        }
    }
}
