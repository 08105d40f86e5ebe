//! Evaluates a resource block body against its schema into a configuration value,
//! and maps provider attribute paths back to source spans.

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
    // The configured arguments by name; every attribute and block of the schema
    // is then collected in order and the map built in one pass.
    let mut given: Vec<(&str, Value)> = Vec::with_capacity(body.attributes.len());
    for a in &body.attributes {
        if let Some(why) = schema.not_supported.get(&a.name) {
            // Null is not setting it, as in Terraform: a module that passes an
            // unset variable through (`placement_group = var.placement_group`)
            // asks for nothing iac lacks; nor does an empty value (`false`, 0,
            // "", an empty list or map), which is what a module's default off
            // looks like (`ipv6_native = var.enable_ipv6 && ...`,
            // `propagating_vgws = []`).
            if !ctx.eval(&a.expr).is_ok_and(|v| asks_nothing(v.unmarked())) {
                diags.push(not_supported(&a.name, a.name_span, what, why));
            }
            continue;
        }
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
        given.push((a.name.as_str(), v.mark_if(mark)));
    }
    let mut out: Vec<(String, Value)> =
        Vec::with_capacity(schema.attributes.len() + schema.blocks.len());
    for (name, s) in &schema.attributes {
        let v = match given.iter().position(|(n, _)| *n == name.as_str()) {
            Some(i) => given.swap_remove(i).1,
            None => {
                if s.required && body.attribute(name).is_none() {
                    diags.push(
                        Diagnostic::error("E0204", format!("Missing required argument \"{name}\""))
                            .with_span(header, format!("{what} requires \"{name}\"")),
                    );
                }
                Value::Null
            }
        };
        out.push((name.clone(), v));
    }
    for b in &body.blocks {
        if b.kind == "dynamic" {
            check_dynamic(b, schema, what, ctx, diags);
            continue;
        }
        if let Some(why) = schema.not_supported.get(&b.kind) {
            diags.push(not_supported(&b.kind, b.kind_span, what, why));
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
        // Written-out blocks and those `dynamic` blocks generate, in source order.
        let mut values: Vec<Value> = Vec::new();
        let mut blocks: Vec<&iac_syntax::Block> = Vec::new();
        let mut unknown = false;
        for b in &body.blocks {
            if b.kind == *name {
                blocks.push(b);
                values.push(eval_body(
                    &b.body,
                    &nb.block,
                    b.header_span(),
                    &block_what(name),
                    ctx,
                    diags,
                ));
            } else if b.kind == "dynamic" && b.labels.first().is_some_and(|l| l.value == *name) {
                match expand_dynamic(b, name, nb, ctx, diags) {
                    Some(generated) => {
                        blocks.extend(std::iter::repeat_n(b, generated.len()));
                        values.extend(generated);
                    }
                    None => unknown = true,
                }
            }
        }
        if unknown {
            // How many blocks a dynamic block makes is known only after apply.
            out.push((name.clone(), Value::Unknown));
            continue;
        }
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
        out.push((name.clone(), v));
    }
    // Names sorted as the schema keeps them; a block named like an attribute wins, as before.
    Value::Map(out.into_iter().collect())
}

/// A `dynamic` block's header and its own arguments: the label names a block
/// type of the schema; `for_each` and a `content` block are given; `iterator`
/// is a plain name.
fn check_dynamic(
    b: &iac_syntax::Block,
    schema: &Schema,
    what: &str,
    ctx: &mut EvalContext<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(label) = b.labels.first() else {
        diags.push(
            Diagnostic::error("E0208", "A dynamic block needs the block type it generates")
                .with_span(
                    b.kind_span,
                    "write dynamic \"TYPE\" { for_each = ... content { ... } }",
                ),
        );
        return;
    };
    if let Some(why) = schema.not_supported.get(&label.value) {
        // One that makes no blocks asks for nothing iac lacks (a module's
        // optional block, `for_each = var.x == null ? [] : [var.x]`).
        if !generates_nothing(b, ctx) {
            diags.push(not_supported(&label.value, label.span, what, why));
        }
    } else if !schema.blocks.contains_key(&label.value) {
        let help = did_you_mean(&label.value, schema.blocks.keys().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                if schema.attributes.contains_key(&label.value) {
                    format!("`{}` is an argument, not a block: set it with an expression (a for expression makes a list)", label.value)
                } else {
                    format!("{what} has no nested blocks of this type")
                }
            });
        diags.push(
            Diagnostic::error(
                "E0203",
                format!("Unsupported block type \"{}\"", label.value),
            )
            .with_span(label.span, "a dynamic block generates blocks of this type")
            .with_help(help),
        );
    }
    for a in &b.body.attributes {
        if !matches!(a.name.as_str(), "for_each" | "iterator" | "labels") {
            diags.push(
                Diagnostic::error("E0203", format!("Unsupported argument \"{}\" in a dynamic block", a.name))
                    .with_span(a.name_span, "a dynamic block takes for_each, iterator and labels; the block's own arguments go in `content`"),
            );
        }
    }
    if b.body.attribute("for_each").is_none() {
        diags.push(
            Diagnostic::error("E0204", "Missing required argument \"for_each\"").with_span(
                b.header_span(),
                "a dynamic block makes one block per element of for_each",
            ),
        );
    }
    if b.body.attribute("iterator").is_some() && crate::graph::dynamic_iterator(b).is_none() {
        let span = b
            .body
            .attribute("iterator")
            .map(|a| a.expr.span)
            .unwrap_or(b.kind_span);
        diags.push(
            Diagnostic::error("E0206", "Invalid iterator")
                .with_span(span, "`iterator` is a plain name, such as iterator = rule"),
        );
    }
    match b.body.blocks_of("content").count() {
        1 => {}
        0 => diags.push(
            Diagnostic::error("E0204", "Missing content block").with_span(
                b.header_span(),
                "a dynamic block needs one `content` block: the body of each generated block",
            ),
        ),
        _ => diags.push(
            Diagnostic::error("E0209", "Too many content blocks").with_span(
                b.header_span(),
                "a dynamic block has exactly one `content` block",
            ),
        ),
    }
}

/// Whether a value of an argument iac does not offer asks for nothing: null,
/// or its type's zero (the provider's own default off).
fn asks_nothing(v: &Value) -> bool {
    v.is_null() || v.is_zero()
}

/// Whether a `dynamic` block's `for_each` is known to be empty.
fn generates_nothing(b: &iac_syntax::Block, ctx: &mut EvalContext<'_>) -> bool {
    let Some(for_each) = b.body.attribute("for_each") else {
        return false;
    };
    match ctx.eval(&for_each.expr).map(Value::unmark) {
        Ok((Value::List(items) | Value::Set(items), _)) => items.is_empty(),
        Ok((Value::Map(m), _)) => m.is_empty(),
        _ => false,
    }
}

/// The blocks one `dynamic` block generates (`None` while its `for_each` is
/// unknown). Inside `content`, the iterator (the block type, or `iterator`) is
/// an object with `key` and `value`; `content` may hold `dynamic` blocks too.
fn expand_dynamic(
    b: &iac_syntax::Block,
    name: &str,
    nb: &iac_provider::NestedBlock,
    ctx: &mut EvalContext<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Value>> {
    let (Some(for_each), Some(content), Some(iterator)) = (
        b.body.attribute("for_each"),
        b.body.blocks_of("content").next(),
        crate::graph::dynamic_iterator(b),
    ) else {
        // Reported by check_dynamic.
        return Some(Vec::new());
    };
    let collection = match ctx.eval(&for_each.expr) {
        Ok(v) => v,
        Err(d) => {
            diags.push(d);
            return Some(Vec::new());
        }
    };
    let (collection, _) = collection.unmark();
    let pairs: Vec<(Value, Value)> = match collection {
        Value::Unknown => return None,
        Value::List(items) | Value::Set(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::num(i as f64), v))
            .collect(),
        Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
        other => {
            diags.push(
                Diagnostic::error("E0308", "Invalid for_each of a dynamic block").with_span(
                    for_each.expr.span,
                    format!("expected a list, set or map, got {}", other.type_name()),
                ),
            );
            return Some(Vec::new());
        }
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        if key.is_unknown() || value.is_unknown() && nb.nesting == Nesting::Set {
            return None;
        }
        ctx.bind(&iterator, Value::map([("key", key), ("value", value)]));
        out.push(eval_body(
            &content.body,
            &nb.block,
            content.header_span(),
            &block_what(name),
            ctx,
            diags,
        ));
        ctx.unbind();
    }
    Some(out)
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

/// An argument or block Terraform's provider has for this type and iac does not:
/// named, with why, so nothing a configuration says is silently dropped.
/// "a tag block", "an override block".
fn block_what(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name} block")
}

fn not_supported(name: &str, span: Span, what: &str, why: &str) -> Diagnostic {
    Diagnostic::error("E0221", format!("\"{name}\" is not supported by iac"))
        .with_span(
            span,
            format!("Terraform's provider has this for {what}; iac does not"),
        )
        .with_help(why.to_string())
}
