//! `iac validate`: every error at once, without state or credentials.

use crate::exit::*;
use crate::session::*;
use crate::ui::Ui;
use anyhow::Result;

pub(crate) fn cmd_validate(ui: &Ui, json: bool) -> Result<u8> {
    let dir = std::env::current_dir()?;
    let Some((module, mut diags, sources)) = load_with_deadline(&dir) else {
        eprintln!("{}", parse_too_long(&dir));
        return Ok(EXIT_ERROR);
    };
    if !diags.iter().any(|d| d.code == "E0101") {
        diags.extend(validate_all(&module));
    }
    if json {
        let list: Vec<serde_json::Value> = diags
            .iter()
            .map(|d| iac_diagnostics::render_json(d, &sources))
            .collect();
        let errors = diags.errors().count();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "format_version": "1.0",
                "valid": errors == 0,
                "error_count": errors,
                "warning_count": diags.iter().count() - errors,
                "diagnostics": list,
            }))?
        );
        return Ok(if errors == 0 { EXIT_OK } else { EXIT_ERROR });
    }
    if ui.diagnostics(&diags, &sources) {
        return Ok(EXIT_ERROR);
    }
    println!("{}", ui.green("Success! The configuration is valid."));
    Ok(EXIT_OK)
}
