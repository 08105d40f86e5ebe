//! `iac force-unlock ID`.

use crate::args::StateArgs;
use crate::exit::*;
use crate::session::*;
use crate::ui::ask;
use anyhow::Result;

pub(crate) fn cmd_force_unlock(args: &StateArgs, force: bool, id: &str) -> Result<u8> {
    let backend = open_state_for(args)?;
    if !force {
        let a = ask(&format!("Do you really want to force-unlock?\n  iac will remove the lock {id} on the state. This can corrupt the state if another run is still using it.\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: "));
        if a.as_deref() != Some("yes") {
            eprintln!("force-unlock cancelled.");
            return Ok(EXIT_ERROR);
        }
    }
    backend.force_unlock(id)?;
    println!("iac state has been successfully unlocked!");
    Ok(EXIT_OK)
}
