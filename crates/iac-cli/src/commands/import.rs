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
    let mut session = match Session::open(ui, va, args, Some("import"))? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let rt = runtime()?;
    let s = &session;
    match rt.block_on(engine().import_object(&s.loaded.module, &s.vars, &s.state, &addr, id)) {
        Ok(inst) => {
            session.state.resources.insert(addr.clone(), inst);
            session.commit()?;
            println!(
                "{addr}: Import prepared!\n\n{}",
                ui.green("Import successful!")
            );
            println!("\nThe object is now in state. Run `iac plan` to see how it differs from the configuration.");
            Ok(EXIT_OK)
        }
        Err(d) => {
            ui.diagnostics(&d, &session.loaded.sources);
            Ok(EXIT_ERROR)
        }
    }
}
