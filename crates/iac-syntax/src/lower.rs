//! Lowering from `hcl-edit`'s syntax tree to our IR.

use hcl_edit::expr::{self as hx, Expression, ObjectKey as HObjectKey, TraversalOperator};
use hcl_edit::structure::{self as hs, BlockLabel, Structure};
use hcl_edit::template::{self as ht, Directive, Element};
use hcl_edit::Span as _;
use iac_diagnostics::{Diagnostic, FileId, Span};

use crate::{
    Attribute, BinaryOp, Block, Body, Expr, ExprKind, ForExpr, Label, ObjectKey, ParsedFile,
    Reference, TemplatePart, UnaryOp,
};

struct Lowerer<'a> {
    file: FileId,
    len: usize,
    /// The source, for what the tree does not keep (a number's digits).
    text: &'a str,
}

/// Parses one file's text. On a syntax error the body is empty and the error is reported.
pub fn parse_file(file: FileId, text: &str) -> ParsedFile {
    // Without a final newline the parser can backtrack exponentially at the end of
    // some inputs (found by fuzzing); with one, the same input fails at once.
    let owned;
    let parse_text = if text.ends_with('\n') {
        text
    } else {
        owned = format!("{text}\n");
        owned.as_str()
    };
    match hcl_edit::parser::parse_body(parse_text) {
        Ok(body) => {
            let l = Lowerer {
                file,
                len: text.len(),
                text,
            };
            let mut diagnostics = Vec::new();
            let body = l.body(&body, 0..text.len(), &mut diagnostics);
            ParsedFile {
                file,
                body,
                diagnostics,
            }
        }
        Err(e) => ParsedFile {
            file,
            body: Body::default(),
            diagnostics: vec![syntax_error(file, text, &e)],
        },
    }
}

pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    match hcl_edit::parser::parse_expr(text) {
        Ok(e) => Ok(Lowerer {
            file,
            len: text.len(),
            text,
        }
        .expr(&e)),
        Err(e) => Err(syntax_error(file, text, &e)),
    }
}

pub fn parse_template(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    match hcl_edit::parser::parse_template(text) {
        Ok(t) => {
            let l = Lowerer {
                file,
                len: text.len(),
                text,
            };
            Ok(Expr {
                kind: ExprKind::Template(l.template(&t)),
                span: Span::new(file, 0, text.len()),
            })
        }
        Err(e) => Err(syntax_error(file, text, &e)),
    }
}

fn syntax_error(file: FileId, text: &str, e: &hcl_edit::parser::Error) -> Diagnostic {
    let mut offset = e.location().offset().min(text.len());
    // The parser's offset can fall inside a multi-byte character.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let end = text[offset..]
        .char_indices()
        .nth(1)
        .map(|(i, _)| offset + i)
        .unwrap_or(offset);
    let expected = e.message();
    Diagnostic::error("E0101", "Invalid HCL syntax")
        .with_span(Span::new(file, offset, end), expected.to_string())
        .with_help("check for a missing quote, bracket or `=` near this position")
}

impl Lowerer<'_> {
    fn span(&self, r: Option<std::ops::Range<usize>>) -> Span {
        match r {
            Some(r) => Span::new(self.file, r.start.min(self.len), r.end.min(self.len)),
            None => Span::new(self.file, 0, 0),
        }
    }

    fn body(
        &self,
        body: &hs::Body,
        range: std::ops::Range<usize>,
        diags: &mut Vec<Diagnostic>,
    ) -> Body {
        let mut out = Body {
            span: self.span(Some(range)),
            ..Body::default()
        };
        // Names seen so far, for duplicates: a lookup table keeps a block of many
        // attributes (a generated `locals`) linear.
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    if let Some(prev) = seen.get(a.key.as_str()).map(|&i| &out.attributes[i]) {
                        diags.push(
                            Diagnostic::error(
                                "E0102",
                                format!("Duplicate attribute \"{}\"", a.key.as_str()),
                            )
                            .with_span(self.span(a.key.span()), "defined again here")
                            .with_secondary(prev.name_span, "first defined here"),
                        );
                        continue;
                    }
                    seen.insert(a.key.as_str(), out.attributes.len());
                    out.attributes.push(Attribute {
                        name: a.key.as_str().to_string(),
                        name_span: self.span(a.key.span()),
                        expr: self.expr(&a.value),
                        span: self.span(a.span()),
                    });
                }
                Structure::Block(b) => out.blocks.push(self.block(b, diags)),
            }
        }
        out
    }

    fn block(&self, b: &hs::Block, diags: &mut Vec<Diagnostic>) -> Block {
        let labels = b
            .labels
            .iter()
            .map(|l| match l {
                BlockLabel::Ident(i) => Label {
                    value: i.as_str().to_string(),
                    span: self.span(i.span()),
                },
                BlockLabel::String(s) => Label {
                    value: s.as_str().to_string(),
                    span: self.span(s.span()),
                },
            })
            .collect();
        let span = self.span(b.span());
        let body_range = b
            .body
            .span()
            .unwrap_or(span.start as usize..span.end as usize);
        Block {
            kind: b.ident.as_str().to_string(),
            kind_span: self.span(b.ident.span()),
            labels,
            body: self.body(&b.body, body_range, diags),
            span,
        }
    }

    fn mk(&self, kind: ExprKind, span: Option<std::ops::Range<usize>>) -> Expr {
        Expr {
            kind,
            span: self.span(span),
        }
    }

    fn expr(&self, e: &Expression) -> Expr {
        let span = e.span();
        match e {
            Expression::Null(_) => self.mk(ExprKind::Null, span),
            Expression::Bool(b) => self.mk(ExprKind::Bool(*b.value()), span),
            Expression::Number(n) => {
                let v = n.value().as_f64().unwrap_or(0.0);
                // Short whole numbers are exact as floats; any other literal
                // keeps its digits, read at Terraform's 512 bits when evaluated.
                // (The parser folds a minus sign into the number: `- 3`.)
                let digits: Option<String> = span
                    .clone()
                    .and_then(|r| self.text.get(r))
                    .map(|t| t.chars().filter(|c| !c.is_whitespace()).collect());
                match digits {
                    Some(t)
                        if !(t.is_empty()
                            || t.len() <= 15
                                && t.trim_start_matches('-')
                                    .bytes()
                                    .all(|b| b.is_ascii_digit())) =>
                    {
                        self.mk(ExprKind::NumberText(t.into()), span)
                    }
                    _ => self.mk(ExprKind::Number(v), span),
                }
            }
            Expression::String(s) => self.mk(ExprKind::String(nfc(s.value())), span),
            Expression::Array(a) => self.mk(
                ExprKind::Tuple(a.iter().map(|x| self.expr(x)).collect()),
                span,
            ),
            Expression::Object(o) => {
                let items = o
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            HObjectKey::Ident(i) => ObjectKey::Ident(i.as_str().to_string()),
                            HObjectKey::Expression(Expression::Variable(v)) => {
                                ObjectKey::Ident(v.as_str().to_string())
                            }
                            HObjectKey::Expression(x) => ObjectKey::Expr(self.expr(x)),
                        };
                        (key, self.expr(v.expr()))
                    })
                    .collect();
                self.mk(ExprKind::Object(items), span)
            }
            Expression::StringTemplate(t) => self.mk(ExprKind::Template(self.template(t)), span),
            Expression::HeredocTemplate(h) => {
                self.mk(ExprKind::Template(self.template(&h.template)), span)
            }
            Expression::Parenthesis(p) => {
                let inner = self.expr(p.inner());
                Expr {
                    kind: inner.kind,
                    span: self.span(span),
                }
            }
            Expression::Variable(v) => self.mk(
                ExprKind::Ref(Reference {
                    root: v.as_str().to_string(),
                    root_span: self.span(v.span()),
                    attrs: Vec::new(),
                }),
                span,
            ),
            Expression::Conditional(c) => self.mk(
                ExprKind::Conditional(
                    Box::new(self.expr(&c.cond_expr)),
                    Box::new(self.expr(&c.true_expr)),
                    Box::new(self.expr(&c.false_expr)),
                ),
                span,
            ),
            Expression::FuncCall(f) => {
                let mut name = String::new();
                for ns in &f.name.namespace {
                    name.push_str(ns.as_str());
                    name.push_str("::");
                }
                name.push_str(f.name.name.as_str());
                self.mk(
                    ExprKind::Call {
                        name,
                        args: f.args.iter().map(|a| self.expr(a)).collect(),
                        expand_final: f.args.expand_final(),
                    },
                    span,
                )
            }
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators, span),
            Expression::UnaryOp(u) => {
                let op = match u.operator.value() {
                    hx::UnaryOperator::Neg => UnaryOp::Neg,
                    hx::UnaryOperator::Not => UnaryOp::Not,
                };
                self.mk(ExprKind::Unary(op, Box::new(self.expr(&u.expr))), span)
            }
            Expression::BinaryOp(b) => {
                use hx::BinaryOperator as B;
                let op = match b.operator.value() {
                    B::Eq => BinaryOp::Eq,
                    B::NotEq => BinaryOp::NotEq,
                    B::LessEq => BinaryOp::LtEq,
                    B::GreaterEq => BinaryOp::GtEq,
                    B::Less => BinaryOp::Lt,
                    B::Greater => BinaryOp::Gt,
                    B::Plus => BinaryOp::Add,
                    B::Minus => BinaryOp::Sub,
                    B::Mul => BinaryOp::Mul,
                    B::Div => BinaryOp::Div,
                    B::Mod => BinaryOp::Mod,
                    B::And => BinaryOp::And,
                    B::Or => BinaryOp::Or,
                };
                self.mk(
                    ExprKind::Binary(
                        op,
                        Box::new(self.expr(&b.lhs_expr)),
                        Box::new(self.expr(&b.rhs_expr)),
                    ),
                    span,
                )
            }
            Expression::ForExpr(f) => {
                let fe = ForExpr {
                    key_var: f.intro.key_var.as_ref().map(|k| k.as_str().to_string()),
                    value_var: f.intro.value_var.as_str().to_string(),
                    collection: self.expr(&f.intro.collection_expr),
                    key: f.key_expr.as_ref().map(|k| self.expr(k)),
                    value: self.expr(&f.value_expr),
                    cond: f.cond.as_ref().map(|c| self.expr(&c.expr)),
                    grouping: f.grouping,
                };
                self.mk(ExprKind::For(Box::new(fe)), span)
            }
        }
    }

    fn traversal(
        &self,
        base: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        span: Option<std::ops::Range<usize>>,
    ) -> Expr {
        let mut cur = self.expr(base);
        let start = cur.span;
        for (i, op) in ops.iter().enumerate() {
            let op_span = self.span(op.span());
            let here = start.to(op_span);
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    let name_s = name.as_str().to_string();
                    let name_span = self.span(name.span()).to(op_span);
                    cur = match cur.kind {
                        ExprKind::Ref(mut r) => {
                            r.attrs.push((name_s, name_span));
                            Expr {
                                kind: ExprKind::Ref(r),
                                span: here,
                            }
                        }
                        kind => Expr {
                            kind: ExprKind::GetAttr(
                                Box::new(Expr {
                                    kind,
                                    span: cur.span,
                                }),
                                name_s,
                            ),
                            span: here,
                        },
                    };
                }
                TraversalOperator::Index(ix) => {
                    cur = Expr {
                        kind: ExprKind::Index(Box::new(cur), Box::new(self.expr(ix))),
                        span: here,
                    };
                }
                TraversalOperator::LegacyIndex(n) => {
                    let ix = Expr {
                        kind: ExprKind::Number(*n.value() as f64),
                        span: op_span,
                    };
                    cur = Expr {
                        kind: ExprKind::Index(Box::new(cur), Box::new(ix)),
                        span: here,
                    };
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let item = Expr {
                        kind: ExprKind::SplatItem,
                        span: op_span,
                    };
                    let each = self.traversal_on(item, &ops[i + 1..]);
                    return Expr {
                        kind: ExprKind::Splat {
                            source: Box::new(cur),
                            each: Box::new(each),
                        },
                        span: self.span(span),
                    };
                }
            }
        }
        Expr {
            kind: cur.kind,
            span: self.span(span),
        }
    }

    /// Applies traversal operators to an already-lowered expression (the splat item).
    fn traversal_on(&self, mut cur: Expr, ops: &[hcl_edit::Decorated<TraversalOperator>]) -> Expr {
        for (i, op) in ops.iter().enumerate() {
            let here = cur.span.to(self.span(op.span()));
            cur = match op.value() {
                TraversalOperator::GetAttr(name) => Expr {
                    kind: ExprKind::GetAttr(Box::new(cur), name.as_str().to_string()),
                    span: here,
                },
                TraversalOperator::Index(ix) => Expr {
                    kind: ExprKind::Index(Box::new(cur), Box::new(self.expr(ix))),
                    span: here,
                },
                TraversalOperator::LegacyIndex(n) => Expr {
                    kind: ExprKind::Index(
                        Box::new(cur),
                        Box::new(Expr {
                            kind: ExprKind::Number(*n.value() as f64),
                            span: here,
                        }),
                    ),
                    span: here,
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let item = Expr {
                        kind: ExprKind::SplatItem,
                        span: here,
                    };
                    let each = self.traversal_on(item, &ops[i + 1..]);
                    return Expr {
                        kind: ExprKind::Splat {
                            source: Box::new(cur),
                            each: Box::new(each),
                        },
                        span: here,
                    };
                }
            };
        }
        cur
    }

    fn template(&self, t: &ht::Template) -> Vec<TemplatePart> {
        // Collect elements with their strip flags, then apply `~` whitespace stripping.
        let mut parts: Vec<(TemplatePart, bool, bool)> = Vec::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => {
                    parts.push((TemplatePart::Literal(nfc(l.value())), false, false))
                }
                Element::Interpolation(i) => parts.push((
                    TemplatePart::Interp(self.expr(&i.expr)),
                    i.strip.strip_start(),
                    i.strip.strip_end(),
                )),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(ifd) => {
                        let mut then = self.template(&ifd.if_expr.template);
                        if ifd.if_expr.strip.strip_end() {
                            trim_first(&mut then);
                        }
                        let mut otherwise = Vec::new();
                        if let Some(e) = &ifd.else_expr {
                            if e.strip.strip_start() {
                                trim_last(&mut then);
                            }
                            otherwise = self.template(&e.template);
                            if e.strip.strip_end() {
                                trim_first(&mut otherwise);
                            }
                            if ifd.endif_expr.strip.strip_start() {
                                trim_last(&mut otherwise);
                            }
                        } else if ifd.endif_expr.strip.strip_start() {
                            trim_last(&mut then);
                        }
                        parts.push((
                            TemplatePart::If {
                                cond: self.expr(&ifd.if_expr.cond_expr),
                                then,
                                otherwise,
                            },
                            ifd.if_expr.strip.strip_start(),
                            ifd.endif_expr.strip.strip_end(),
                        ))
                    }
                    Directive::For(fd) => {
                        let mut body = self.template(&fd.for_expr.template);
                        if fd.for_expr.strip.strip_end() {
                            trim_first(&mut body);
                        }
                        if fd.endfor_expr.strip.strip_start() {
                            trim_last(&mut body);
                        }
                        parts.push((
                            TemplatePart::For {
                                key_var: fd
                                    .for_expr
                                    .key_var
                                    .as_ref()
                                    .map(|k| k.as_str().to_string()),
                                value_var: fd.for_expr.value_var.as_str().to_string(),
                                collection: self.expr(&fd.for_expr.collection_expr),
                                body,
                            },
                            fd.for_expr.strip.strip_start(),
                            fd.endfor_expr.strip.strip_end(),
                        ))
                    }
                },
            }
        }
        for i in 0..parts.len() {
            let (strip_before, strip_after) = (parts[i].1, parts[i].2);
            if strip_before && i > 0 {
                if let TemplatePart::Literal(s) = &mut parts[i - 1].0 {
                    *s = s.trim_end().to_string();
                }
            }
            if strip_after && i + 1 < parts.len() {
                if let TemplatePart::Literal(s) = &mut parts[i + 1].0 {
                    *s = s.trim_start().to_string();
                }
            }
        }
        parts.into_iter().map(|p| p.0).collect()
    }
}

fn trim_first(parts: &mut [TemplatePart]) {
    if let Some(TemplatePart::Literal(s)) = parts.first_mut() {
        *s = s.trim_start().to_string();
    }
}

fn trim_last(parts: &mut [TemplatePart]) {
    if let Some(TemplatePart::Literal(s)) = parts.last_mut() {
        *s = s.trim_end().to_string();
    }
}

/// String literals in Unicode normal form C, as HCL (and so Terraform) has
/// them: `"e\u0301"` and `"\u00e9"` are the same string.
fn nfc(s: &str) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s.to_string()
    } else {
        s.nfc().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ParsedFile {
        parse_file(FileId(0), text)
    }

    #[test]
    fn keeps_spans_on_blocks_and_attributes() {
        let src = "resource \"terraform_data\" \"a\" {\n  input = var.x\n}\n";
        let f = parse(src);
        assert!(f.diagnostics.is_empty());
        let b = &f.body.blocks[0];
        assert_eq!(b.kind, "resource");
        assert_eq!(b.labels[0].value, "terraform_data");
        let a = &b.body.attributes[0];
        assert_eq!(
            &src[a.name_span.start as usize..a.name_span.end as usize],
            "input"
        );
        assert_eq!(
            &src[a.expr.span.start as usize..a.expr.span.end as usize],
            "var.x"
        );
        match &a.expr.kind {
            ExprKind::Ref(r) => {
                assert_eq!(r.root, "var");
                assert_eq!(r.attrs[0].0, "x");
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn splat_and_index_lower_to_ir() {
        let f = parse("a = aws_instance.web[*].id\nb = x[0].y\n");
        match &f.body.attributes[0].expr.kind {
            ExprKind::Splat { source, each } => {
                assert!(matches!(source.kind, ExprKind::Ref(_)));
                assert!(matches!(each.kind, ExprKind::GetAttr(_, ref n) if n == "id"));
            }
            k => panic!("unexpected {k:?}"),
        }
        assert!(matches!(
            f.body.attributes[1].expr.kind,
            ExprKind::GetAttr(_, _)
        ));
    }

    #[test]
    fn heredoc_with_indent_is_dedented() {
        let f = parse("a = <<-EOT\n    hello\n      world\n    EOT\n");
        match &f.body.attributes[0].expr.kind {
            ExprKind::Template(parts) => match &parts[0] {
                TemplatePart::Literal(s) => assert_eq!(s, "hello\n  world\n"),
                p => panic!("unexpected {p:?}"),
            },
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn syntax_error_points_at_offset() {
        let f = parse("a = 1\nb = \n");
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].code, "E0101");
        assert!(f.diagnostics[0].primary.is_some());
    }

    #[test]
    fn error_inside_a_multibyte_character_is_reported() {
        // Found by the fuzzer: the error offset fell inside 'ɑ'.
        for text in ["ɑ ɑ", "a = \"ɑ\nɑ", "é"] {
            let f = parse(text);
            assert_eq!(f.diagnostics.len(), 1, "{text:?}");
        }
    }

    #[test]
    fn a_missing_final_newline_does_not_make_the_parser_backtrack() {
        // Found by the fuzzer: this took 33 s in a debug build before the fix.
        let text = "x = 2/2/2/2---(2/2/2/2---(2/2/--(2/2/-(2/2/2/2---(2/2/-2/2---(2/2/--(2/2/-(2/2/2/2---(2/2/--(2/2/2/2---(sum2/2---(2/3/2-2/2---(sum2/2---(2/3/2-(2/2/2/2---(sum2/2---(2/3/2-2/2---(sum2/2---(2/3/2-----";
        let f = parse(text);
        assert_eq!(f.diagnostics.len(), 1);
        assert_eq!(f.diagnostics[0].code, "E0101");
    }

    #[test]
    fn duplicate_attribute_is_reported() {
        let f = parse("a = 1\na = 2\n");
        let d = &f.diagnostics[0];
        let label = &d.primary.as_ref().unwrap().message;
        assert!(label.contains("redefined"), "{label}");
        assert_eq!(d.primary.as_ref().unwrap().span.start, 6);
    }
}
