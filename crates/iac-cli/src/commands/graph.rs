//! `iac graph`: the dependency graph in DOT.

use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use anyhow::Result;

pub(crate) fn cmd_graph(ui: &Ui) -> Result<u8> {
    let loaded = match load_config(ui)? {
        Ok(l) => l,
        Err(c) => return Ok(c),
    };
    let (dot, diags) = engine().graph_dot(&loaded.module);
    if ui.diagnostics(&diags, &loaded.sources) {
        return Ok(EXIT_ERROR);
    }
    print!("{dot}");
    Ok(EXIT_OK)
}
