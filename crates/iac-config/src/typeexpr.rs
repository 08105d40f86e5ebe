//! Type constraint expressions: `string`, `list(number)`, `object({ a = optional(string) })`.

use std::collections::BTreeMap;

use iac_diagnostics::{did_you_mean, Diagnostic};
use iac_syntax::{Expr, ExprKind, ObjectKey};
use iac_value::{Attr, Type};

const PRIMITIVES: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "object", "tuple"];

pub fn parse_type(e: &Expr) -> Result<Type, Diagnostic> {
    parse(e)
}

/// An object attribute's type: `string`, `optional(string)`, or
/// `optional(number, 7)` with a constant default of that type.
fn parse_attr(e: &Expr) -> Result<Attr, Diagnostic> {
    let ExprKind::Call { name, args, .. } = &e.kind else {
        return Ok(Attr::required(parse(e)?));
    };
    if name != "optional" {
        return Ok(Attr::required(parse(e)?));
    }
    let (ty, default) = match args.as_slice() {
        [t] => (parse(t)?, None),
        [t, d] => {
            let ty = parse(t)?;
            let dir = std::path::PathBuf::from(".");
            let mut ctx = crate::EvalContext::new(&crate::EmptyNamespace, dir.clone(), dir);
            let v = ctx.eval(d)?;
            let v = iac_value::convert(v, &ty)
                .map_err(|why| bad(d, format!("the default does not fit the type: {why}")))?;
            (ty, Some(v))
        }
        _ => {
            return Err(bad(
                e,
                "`optional(...)` takes a type and, optionally, a default",
            ))
        }
    };
    Ok(Attr {
        ty,
        optional: true,
        default,
    })
}

fn bad(e: &Expr, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0121", "Invalid type specification").with_span(e.span, msg)
}

fn parse(e: &Expr) -> Result<Type, Diagnostic> {
    match &e.kind {
        ExprKind::Ref(r) if r.attrs.is_empty() => match r.root.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            // Terraform 0.11's bare collection types, still accepted by Terraform
            // (and common in older code): a collection of any one element type.
            "list" => Ok(Type::List(Box::new(Type::Any))),
            "set" => Ok(Type::Set(Box::new(Type::Any))),
            "map" => Ok(Type::Map(Box::new(Type::Any))),
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
                "list" => Ok(Type::List(Box::new(parse(one()?)?))),
                "set" => Ok(Type::Set(Box::new(parse(one()?)?))),
                "map" => Ok(Type::Map(Box::new(parse(one()?)?))),
                "optional" => Err(bad(e, "`optional` is only allowed on object attributes")),
                "tuple" => match &one()?.kind {
                    ExprKind::Tuple(items) => Ok(Type::Tuple(
                        items.iter().map(parse).collect::<Result<_, _>>()?,
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
                            attrs.insert(key, parse_attr(v)?);
                        }
                        Ok(Type::Object(attrs))
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
