//! Input variable values from files (`*.tfvars`, `*.tfvars.json`) and from the
//! command line or environment, before they are checked against declarations.

use std::path::Path;

use iac_diagnostics::{Diagnostic, Diagnostics, SourceMap, Span};
use iac_value::{Type, Value};

use crate::{EmptyNamespace, EvalContext};

/// Where a variable's value came from, lowest priority first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VarSource {
    Default,
    File(String),
    Environment,
    CommandLine,
}

#[derive(Clone, Debug)]
pub struct VarValue {
    pub name: String,
    pub value: Value,
    pub source: VarSource,
    /// Where it was written, for values from files.
    pub span: Option<Span>,
}

/// Reads a var file. Values must be constants: no references, functions are allowed.
pub fn load_var_file(path: &Path, sources: &mut SourceMap) -> (Vec<VarValue>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = Vec::new();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "E0122",
                format!("Cannot read variables file {}: {e}", path.display()),
            ));
            return (out, diags);
        }
    };
    let display = path.display().to_string();
    if display.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => {
                for (k, v) in m {
                    out.push(VarValue {
                        name: k,
                        value: iac_value::from_json(&v),
                        source: VarSource::File(display.clone()),
                        span: None,
                    });
                }
            }
            Ok(_) => diags.push(Diagnostic::error(
                "E0122",
                format!("{display}: the top level must be a JSON object"),
            )),
            Err(e) => diags.push(Diagnostic::error(
                "E0122",
                format!("{display}: invalid JSON: {e}"),
            )),
        }
        return (out, diags);
    }
    let id = sources.add(display.clone(), text.as_str());
    let parsed = iac_syntax::parse_file(id, &text);
    diags.extend(Diagnostics(parsed.diagnostics));
    for b in &parsed.body.blocks {
        diags.push(
            Diagnostic::error("E0123", "Blocks are not allowed in a variables file")
                .with_span(b.header_span(), "only `name = value` assignments"),
        );
    }
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    for a in &parsed.body.attributes {
        let mut ctx = EvalContext::new(&EmptyNamespace, dir.clone(), dir.clone());
        match ctx.eval(&a.expr) {
            Ok(v) => out.push(VarValue {
                name: a.name.clone(),
                value: v,
                source: VarSource::File(display.clone()),
                span: Some(a.name_span),
            }),
            Err(mut d) => {
                if d.code == "E0201" || d.code == "E0206" {
                    d = Diagnostic::error("E0124", "Variables may not be used here").with_span(
                        a.expr.span,
                        "a variables file can only hold constant values",
                    );
                }
                diags.push(d)
            }
        }
    }
    (out, diags)
}

/// Converts a `-var` or `IAC_VAR_` string to a value: taken as it is for primitive
/// types, parsed as an HCL expression for collections and structures (as Terraform does).
pub fn parse_raw_value(raw: &str, ty: &Type) -> Result<Value, String> {
    match ty {
        Type::String | Type::Number | Type::Bool => Ok(Value::String(raw.to_string())),
        Type::Any if !looks_structured(raw) => Ok(Value::String(raw.to_string())),
        _ => {
            let mut sm = SourceMap::default();
            let id = sm.add("<value>", raw);
            let expr = iac_syntax::parse_expression(id, raw).map_err(|d| {
                format!(
                    "{}: {}",
                    d.message,
                    d.primary.map(|l| l.message).unwrap_or_default()
                )
            })?;
            let mut ctx = EvalContext::new(
                &EmptyNamespace,
                std::path::Path::new("."),
                std::path::Path::new("."),
            );
            ctx.eval(&expr).map_err(|d| d.message)
        }
    }
}

fn looks_structured(raw: &str) -> bool {
    let t = raw.trim_start();
    t.starts_with('[') || t.starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_follow_the_declared_type() {
        assert_eq!(
            parse_raw_value("5", &Type::Number).unwrap(),
            Value::string("5")
        );
        let l = parse_raw_value("[\"a\", \"b\"]", &Type::List(Box::new(Type::String))).unwrap();
        assert_eq!(l, Value::List(vec![Value::string("a"), Value::string("b")]));
        assert!(parse_raw_value("[1,", &Type::List(Box::new(Type::Number))).is_err());
    }
}
