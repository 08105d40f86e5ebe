//! Evaluates a resource block body against its schema into a configuration value,
//! and maps provider attribute paths back to source spans.

use std::collections::BTreeMap;

use iac_config::EvalContext;
use iac_diagnostics::{did_you_mean, Diagnostic, Span};
use iac_provider::{AttrDiagnostic, AttrType, Nesting, Schema};
use iac_syntax::Body;
use iac_value::{convert, path_to_string, PathStep, Type, Value};

pub fn attr_type(t: &AttrType) -> Type {
    match t {
        AttrType::String => Type::String,
        AttrType::Number => Type::Number,
        AttrType::Bool => Type::Bool,
        AttrType::List(e) => Type::List(Box::new(attr_type(e))),
        AttrType::Set(e) => Type::Set(Box::new(attr_type(e))),
        AttrType::Map(e) => Type::Map(Box::new(attr_type(e))),
        AttrType::Dynamic => Type::Any,
    }
}

/// Evaluates `body` as an instance of `schema`. Every problem is reported; the
/// value is still returned with `Unknown` where evaluation failed.
pub fn eval_body(
    body: &Body,
    schema: &Schema,
    header: Span,
    what: &str,
    ctx: &mut EvalContext<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Value {
    let mut out = BTreeMap::new();
    for a in &body.attributes {
        let Some(s) = schema.attributes.get(&a.name) else {
            let cands = schema
                .attributes
                .iter()
                .filter(|(_, s)| s.optional || s.required)
                .map(|(k, _)| k.as_str())
                .chain(schema.blocks.keys().map(String::as_str));
            let help = match did_you_mean(&a.name, cands) {
                Some(s) => format!("did you mean `{s}`?"),
                None => {
                    let mut names: Vec<&str> = schema
                        .attributes
                        .iter()
                        .filter(|(_, s)| s.optional || s.required)
                        .map(|(k, _)| k.as_str())
                        .collect();
                    names.truncate(20);
                    format!("the arguments of {what} are: {}", names.join(", "))
                }
            };
            let is_block = schema.blocks.contains_key(&a.name);
            diags.push(
                Diagnostic::error("E0203", format!("Unsupported argument \"{}\"", a.name))
                    .with_span(
                        a.name_span,
                        if is_block {
                            "this is a block, write it as `name { ... }`".to_string()
                        } else {
                            format!("{what} has no argument with this name")
                        },
                    )
                    .with_help(help),
            );
            continue;
        };
        if !s.optional && !s.required {
            diags.push(
                Diagnostic::error(
                    "E0205",
                    format!("Cannot set computed attribute \"{}\"", a.name),
                )
                .with_span(a.name_span, "this attribute is set by the provider"),
            );
            continue;
        }
        let v = match ctx.eval(&a.expr) {
            Ok(v) => v,
            Err(d) => {
                diags.push(d);
                Value::Unknown
            }
        };
        let v = match convert(v, &attr_type(&s.ty)) {
            Ok(v) => v,
            Err(msg) => {
                diags.push(
                    Diagnostic::error("E0308", "Incorrect attribute value type")
                        .with_span(a.expr.span, format!("\"{}\": {msg}", a.name)),
                );
                Value::Unknown
            }
        };
        let mark = s.sensitive && !matches!(v, Value::Null);
        out.insert(a.name.clone(), v.mark_if(mark));
    }
    for (name, s) in &schema.attributes {
        if s.required && !out.contains_key(name) && body.attribute(name).is_none() {
            diags.push(
                Diagnostic::error("E0204", format!("Missing required argument \"{name}\""))
                    .with_span(header, format!("{what} requires \"{name}\"")),
            );
        }
        out.entry(name.clone()).or_insert(Value::Null);
    }
    for b in &body.blocks {
        if b.kind == "dynamic" {
            diags.push(
                Diagnostic::error("E0208", "dynamic blocks are not supported yet").with_span(
                    b.kind_span,
                    "write the nested blocks out, or use count/for_each on the resource",
                ),
            );
            continue;
        }
        if !schema.blocks.contains_key(&b.kind) {
            let help = did_you_mean(&b.kind, schema.blocks.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    if schema.attributes.contains_key(&b.kind) {
                        format!("`{}` is an argument: write `{} = ...`", b.kind, b.kind)
                    } else {
                        format!("{what} has no nested blocks of this type")
                    }
                });
            diags.push(
                Diagnostic::error("E0203", format!("Unsupported block type \"{}\"", b.kind))
                    .with_span(b.kind_span, "not expected here")
                    .with_help(help),
            );
        }
    }
    for (name, nb) in &schema.blocks {
        let blocks: Vec<&iac_syntax::Block> = body.blocks_of(name).collect();
        let values: Vec<Value> = blocks
            .iter()
            .map(|b| {
                eval_body(
                    &b.body,
                    &nb.block,
                    b.header_span(),
                    &format!("a {name} block"),
                    ctx,
                    diags,
                )
            })
            .collect();
        if blocks.len() < nb.min_items {
            diags.push(
                Diagnostic::error("E0204", format!("Missing required block \"{name}\"")).with_span(
                    header,
                    format!("at least {} `{name}` block(s) are required", nb.min_items),
                ),
            );
        }
        if let Some(max) = nb.max_items {
            if blocks.len() > max {
                diags.push(
                    Diagnostic::error("E0209", format!("Too many \"{name}\" blocks"))
                        .with_span(blocks[max].header_span(), format!("at most {max} allowed")),
                );
            }
        }
        let v = match nb.nesting {
            Nesting::Single => values.into_iter().next().unwrap_or(Value::Null),
            Nesting::List => Value::List(values),
            Nesting::Set => Value::set(values),
        };
        out.insert(name.clone(), v);
    }
    Value::Map(out)
}

/// Finds the span of the attribute a provider named, or falls back to the header.
pub fn span_of_path(body: &Body, path: &[PathStep], header: Span) -> Span {
    let mut body = body;
    let mut span = header;
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let PathStep::Key(name) = step else { continue };
        if let Some(a) = body.attribute(name) {
            return a.expr.span;
        }
        let blocks: Vec<&iac_syntax::Block> = body.blocks_of(name).collect();
        let idx = match steps.peek() {
            Some(PathStep::Index(i)) => {
                steps.next();
                *i
            }
            _ => 0,
        };
        match blocks.get(idx) {
            Some(b) => {
                span = b.header_span();
                body = &b.body;
            }
            None => return span,
        }
    }
    span
}

/// Turns a provider's diagnostic into ours, located in the source.
pub fn provider_diagnostic(
    d: &AttrDiagnostic,
    body: &Body,
    header: Span,
    addr: &str,
) -> Diagnostic {
    let span = span_of_path(body, &d.path, header);
    let at = if d.path.is_empty() {
        addr.to_string()
    } else {
        format!("{addr}: {}", path_to_string(&d.path))
    };
    let mut out = match d.severity {
        iac_provider::Severity::Error => Diagnostic::error("E0701", d.summary.clone()),
        iac_provider::Severity::Warning => Diagnostic::warning("W0701", d.summary.clone()),
    };
    out = out.with_span(span, d.detail.clone());
    out.with_secondary(header, at)
}
