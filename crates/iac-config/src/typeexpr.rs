//! Type constraint expressions: `string`, `list(number)`, `object({ a = optional(string) })`.

use std::collections::BTreeMap;

use iac_diagnostics::{did_you_mean, Diagnostic};
use iac_syntax::{Expr, ExprKind, ObjectKey};
use iac_value::Type;

const PRIMITIVES: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "object", "tuple"];

pub fn parse_type(e: &Expr) -> Result<Type, Diagnostic> {
    parse(e, false).map(|(t, _)| t)
}

fn bad(e: &Expr, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0121", "Invalid type specification").with_span(e.span, msg)
}

fn parse(e: &Expr, in_object: bool) -> Result<(Type, bool), Diagnostic> {
    match &e.kind {
        ExprKind::Ref(r) if r.attrs.is_empty() => match r.root.as_str() {
            "string" => Ok((Type::String, false)),
            "number" => Ok((Type::Number, false)),
            "bool" => Ok((Type::Bool, false)),
            "any" => Ok((Type::Any, false)),
            // Terraform 0.11's bare collection types, still accepted by Terraform
            // (and common in older code): a collection of any one element type.
            "list" => Ok((Type::List(Box::new(Type::Any)), false)),
            "set" => Ok((Type::Set(Box::new(Type::Any)), false)),
            "map" => Ok((Type::Map(Box::new(Type::Any)), false)),
            other => {
                let cands = PRIMITIVES.iter().chain(CONSTRUCTORS).copied();
                let mut d = bad(e, format!("\"{other}\" is not a type"));
                if let Some(s) = did_you_mean(other, cands) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                Err(d)
            }
        },
        ExprKind::Call { name, args, .. } => {
            let one = || -> Result<&Expr, Diagnostic> {
                match args.as_slice() {
                    [a] => Ok(a),
                    _ => Err(bad(e, format!("`{name}(...)` takes exactly one argument"))),
                }
            };
            match name.as_str() {
                "list" => Ok((Type::List(Box::new(parse(one()?, false)?.0)), false)),
                "set" => Ok((Type::Set(Box::new(parse(one()?, false)?.0)), false)),
                "map" => Ok((Type::Map(Box::new(parse(one()?, false)?.0)), false)),
                "optional" if in_object => {
                    let a = args.first().ok_or_else(|| bad(e, "`optional(...)` needs a type"))?;
                    Ok((parse(a, false)?.0, true))
                }
                "optional" => Err(bad(e, "`optional` is only allowed on object attributes")),
                "tuple" => match &one()?.kind {
                    ExprKind::Tuple(items) => Ok((
                        Type::Tuple(items.iter().map(|i| parse(i, false).map(|t| t.0)).collect::<Result<_, _>>()?),
                        false,
                    )),
                    _ => Err(bad(e, "`tuple` takes a list of types, like tuple([string, number])")),
                },
                "object" => match &one()?.kind {
                    ExprKind::Object(items) => {
                        let mut attrs = BTreeMap::new();
                        for (k, v) in items {
                            let key = match k {
                                ObjectKey::Ident(s) => s.clone(),
                                ObjectKey::Expr(k) => match k.as_static_string() {
                                    Some(s) => s.to_string(),
                                    None => return Err(bad(k, "attribute names must be literal")),
                                },
                            };
                            attrs.insert(key, parse(v, true)?);
                        }
                        Ok((Type::Object(attrs), false))
                    }
                    _ => Err(bad(e, "`object` takes an object of attribute types, like object({ name = string })")),
                },
                other => Err(bad(e, format!("\"{other}\" is not a type constructor")).with_help(
                    match did_you_mean(other, CONSTRUCTORS.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("the type constructors are: {}", CONSTRUCTORS.join(", ")),
                    },
                )),
            }
        }
        _ => Err(bad(
            e,
            "expected a type such as string, list(string) or object({...})",
        )),
    }
}
