//! A binary form of a parsed file, so that a file that has not changed since the
//! last command is not parsed again (`.iac/cache/syntax/`, as ruff and
//! rust-analyzer cache what did not change).
//!
//! An entry holds the file's whole text and its lowered [`Body`]; it is used only
//! when the text is byte-for-byte the one on disk and the entry was written by the
//! same build of iac, so it can never give a different syntax tree than parsing
//! would. Spans are stored without their file id: the id is the one the current
//! command gave the file. A damaged or foreign entry reads as a miss. Only files
//! that parsed without any diagnostic are cached.

use iac_diagnostics::{FileId, Span};

use crate::{
    Attribute, BinaryOp, Block, Body, Expr, ExprKind, ForExpr, Label, ObjectKey, Reference,
    TemplatePart, UnaryOp,
};

const MAGIC: &[u8; 8] = b"IACSYN03";

/// The bytes of a cache entry for `text`, whose parse gave `body`.
pub fn encode(text: &str, body: &Body) -> Vec<u8> {
    let mut w = Writer(iac_binary::Writer::with_capacity(text.len()));
    w.body(body);
    w.0.finish(MAGIC, build_id(), text.as_bytes())
}

/// The body stored in `entry`, if the entry is for exactly `text`.
pub fn decode(entry: &[u8], text: &str, file: FileId) -> Option<Body> {
    let mut r = Reader {
        r: iac_binary::Reader::open(entry, MAGIC, build_id(), text.as_bytes())?,
        file,
    };
    let body = r.body()?;
    r.r.done().then_some(body)
}

/// What makes entries of one build unusable by another: a hash of the sources of
/// this crate and of the HCL parser (see `build.rs`).
fn build_id() -> &'static str {
    env!("IAC_SYNTAX_BUILD")
}

/// The tree, on the shared binary form (`iac_binary`).
struct Writer(iac_binary::Writer);

impl std::ops::Deref for Writer {
    type Target = iac_binary::Writer;
    fn deref(&self) -> &iac_binary::Writer {
        &self.0
    }
}

impl std::ops::DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut iac_binary::Writer {
        &mut self.0
    }
}

impl Writer {
    fn span(&mut self, s: Span) {
        self.u(u64::from(s.start));
        self.u(u64::from(s.end.saturating_sub(s.start)));
    }
    fn opt_str(&mut self, s: &Option<String>) {
        match s {
            None => self.tag(0),
            Some(s) => {
                self.tag(1);
                self.str(s);
            }
        }
    }
    fn opt_expr(&mut self, e: &Option<Expr>) {
        match e {
            None => self.tag(0),
            Some(e) => {
                self.tag(1);
                self.expr(e);
            }
        }
    }
    fn body(&mut self, b: &Body) {
        self.span(b.span);
        self.u(b.attributes.len() as u64);
        for a in &b.attributes {
            self.str(&a.name);
            self.span(a.name_span);
            self.expr(&a.expr);
            self.span(a.span);
        }
        self.u(b.blocks.len() as u64);
        for bl in &b.blocks {
            self.str(&bl.kind);
            self.span(bl.kind_span);
            self.u(bl.labels.len() as u64);
            for l in &bl.labels {
                self.str(&l.value);
                self.span(l.span);
            }
            self.body(&bl.body);
            self.span(bl.span);
        }
    }
    fn exprs(&mut self, es: &[Expr]) {
        self.u(es.len() as u64);
        for e in es {
            self.expr(e);
        }
    }
    fn expr(&mut self, e: &Expr) {
        self.span(e.span);
        match &e.kind {
            ExprKind::Null => self.tag(0),
            ExprKind::Bool(b) => {
                self.tag(1);
                self.tag(u8::from(*b));
            }
            ExprKind::Number(n) => {
                self.tag(2);
                self.raw(&n.to_le_bytes());
            }
            ExprKind::NumberText(t) => {
                self.tag(17);
                self.str(t);
            }
            ExprKind::String(s) => {
                self.tag(3);
                self.str(s);
            }
            ExprKind::Template(parts) => {
                self.tag(4);
                self.template(parts);
            }
            ExprKind::Tuple(items) => {
                self.tag(5);
                self.exprs(items);
            }
            ExprKind::Object(items) => {
                self.tag(6);
                self.u(items.len() as u64);
                for (k, v) in items {
                    match k {
                        ObjectKey::Ident(s) => {
                            self.tag(0);
                            self.str(s);
                        }
                        ObjectKey::Expr(k) => {
                            self.tag(1);
                            self.expr(k);
                        }
                    }
                    self.expr(v);
                }
            }
            ExprKind::Ref(r) => {
                self.tag(7);
                self.str(&r.root);
                self.span(r.root_span);
                self.u(r.attrs.len() as u64);
                for (a, s) in &r.attrs {
                    self.str(a);
                    self.span(*s);
                }
            }
            ExprKind::GetAttr(x, name) => {
                self.tag(8);
                self.expr(x);
                self.str(name);
            }
            ExprKind::Index(a, b) => {
                self.tag(9);
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Splat { source, each } => {
                self.tag(10);
                self.expr(source);
                self.expr(each);
            }
            ExprKind::SplatItem => self.tag(11),
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => {
                self.tag(12);
                self.str(name);
                self.exprs(args);
                self.tag(u8::from(*expand_final));
            }
            ExprKind::Unary(op, x) => {
                self.tag(13);
                self.tag(match op {
                    UnaryOp::Neg => 0,
                    UnaryOp::Not => 1,
                });
                self.expr(x);
            }
            ExprKind::Binary(op, a, b) => {
                self.tag(14);
                self.tag(binary_code(*op));
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Conditional(a, b, c) => {
                self.tag(15);
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::For(f) => {
                self.tag(16);
                self.opt_str(&f.key_var);
                self.str(&f.value_var);
                self.expr(&f.collection);
                self.opt_expr(&f.key);
                self.expr(&f.value);
                self.opt_expr(&f.cond);
                self.tag(u8::from(f.grouping));
            }
        }
    }
    fn template(&mut self, parts: &[TemplatePart]) {
        self.u(parts.len() as u64);
        for p in parts {
            match p {
                TemplatePart::Literal(s) => {
                    self.tag(0);
                    self.str(s);
                }
                TemplatePart::Interp(e) => {
                    self.tag(1);
                    self.expr(e);
                }
                TemplatePart::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    self.tag(2);
                    self.expr(cond);
                    self.template(then);
                    self.template(otherwise);
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    self.tag(3);
                    self.opt_str(key_var);
                    self.str(value_var);
                    self.expr(collection);
                    self.template(body);
                }
            }
        }
    }
}

const BINARY: [BinaryOp; 13] = [
    BinaryOp::Eq,
    BinaryOp::NotEq,
    BinaryOp::Lt,
    BinaryOp::LtEq,
    BinaryOp::Gt,
    BinaryOp::GtEq,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Mod,
    BinaryOp::And,
    BinaryOp::Or,
];

fn binary_code(op: BinaryOp) -> u8 {
    BINARY.iter().position(|o| *o == op).unwrap_or(0) as u8
}

struct Reader<'a> {
    r: iac_binary::Reader<'a>,
    file: FileId,
}

impl<'a> std::ops::Deref for Reader<'a> {
    type Target = iac_binary::Reader<'a>;
    fn deref(&self) -> &iac_binary::Reader<'a> {
        &self.r
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.r
    }
}

impl Reader<'_> {
    fn string(&mut self) -> Option<String> {
        self.str().map(String::from)
    }
    fn span(&mut self) -> Option<Span> {
        let start = u32::try_from(self.u()?).ok()?;
        let len = u32::try_from(self.u()?).ok()?;
        Some(Span {
            file: self.file,
            start,
            end: start.checked_add(len)?,
        })
    }
    fn opt_string(&mut self) -> Option<Option<String>> {
        Some(if self.flag()? {
            Some(self.string()?)
        } else {
            None
        })
    }
    fn opt_expr(&mut self) -> Option<Option<Expr>> {
        Some(if self.flag()? {
            Some(self.expr()?)
        } else {
            None
        })
    }
    fn body(&mut self) -> Option<Body> {
        let span = self.span()?;
        let n = self.count()?;
        let mut attributes = Vec::with_capacity(n);
        for _ in 0..n {
            attributes.push(Attribute {
                name: self.string()?,
                name_span: self.span()?,
                expr: self.expr()?,
                span: self.span()?,
            });
        }
        let n = self.count()?;
        let mut blocks = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = self.string()?;
            let kind_span = self.span()?;
            let nl = self.count()?;
            let mut labels = Vec::with_capacity(nl);
            for _ in 0..nl {
                labels.push(Label {
                    value: self.string()?,
                    span: self.span()?,
                });
            }
            blocks.push(Block {
                kind,
                kind_span,
                labels,
                body: self.body()?,
                span: self.span()?,
            });
        }
        Some(Body {
            attributes,
            blocks,
            span,
        })
    }
    fn exprs(&mut self) -> Option<Vec<Expr>> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.expr()?);
        }
        Some(v)
    }
    fn boxed(&mut self) -> Option<Box<Expr>> {
        self.expr().map(Box::new)
    }
    fn expr(&mut self) -> Option<Expr> {
        let span = self.span()?;
        let kind = match self.tag()? {
            0 => ExprKind::Null,
            1 => ExprKind::Bool(self.flag()?),
            2 => ExprKind::Number(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            3 => ExprKind::String(self.string()?),
            4 => ExprKind::Template(self.template()?),
            5 => ExprKind::Tuple(self.exprs()?),
            6 => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = match self.tag()? {
                        0 => ObjectKey::Ident(self.string()?),
                        1 => ObjectKey::Expr(self.expr()?),
                        _ => return None,
                    };
                    items.push((k, self.expr()?));
                }
                ExprKind::Object(items)
            }
            7 => {
                let root = self.string()?;
                let root_span = self.span()?;
                let n = self.count()?;
                let mut attrs = Vec::with_capacity(n);
                for _ in 0..n {
                    attrs.push((self.string()?, self.span()?));
                }
                ExprKind::Ref(Reference {
                    root,
                    root_span,
                    attrs,
                })
            }
            8 => ExprKind::GetAttr(self.boxed()?, self.string()?),
            9 => ExprKind::Index(self.boxed()?, self.boxed()?),
            10 => ExprKind::Splat {
                source: self.boxed()?,
                each: self.boxed()?,
            },
            11 => ExprKind::SplatItem,
            12 => ExprKind::Call {
                name: self.string()?,
                args: self.exprs()?,
                expand_final: self.flag()?,
            },
            13 => {
                let op = match self.tag()? {
                    0 => UnaryOp::Neg,
                    1 => UnaryOp::Not,
                    _ => return None,
                };
                ExprKind::Unary(op, self.boxed()?)
            }
            14 => {
                let op = *BINARY.get(usize::from(self.tag()?))?;
                ExprKind::Binary(op, self.boxed()?, self.boxed()?)
            }
            17 => ExprKind::NumberText(self.str()?.into()),
            15 => ExprKind::Conditional(self.boxed()?, self.boxed()?, self.boxed()?),
            16 => ExprKind::For(Box::new(ForExpr {
                key_var: self.opt_string()?,
                value_var: self.string()?,
                collection: self.expr()?,
                key: self.opt_expr()?,
                value: self.expr()?,
                cond: self.opt_expr()?,
                grouping: self.flag()?,
            })),
            _ => return None,
        };
        Some(Expr { kind, span })
    }
    fn template(&mut self) -> Option<Vec<TemplatePart>> {
        let n = self.count()?;
        let mut parts = Vec::with_capacity(n);
        for _ in 0..n {
            parts.push(match self.tag()? {
                0 => TemplatePart::Literal(self.string()?),
                1 => TemplatePart::Interp(self.expr()?),
                2 => TemplatePart::If {
                    cond: self.expr()?,
                    then: self.template()?,
                    otherwise: self.template()?,
                },
                3 => TemplatePart::For {
                    key_var: self.opt_string()?,
                    value_var: self.string()?,
                    collection: self.expr()?,
                    body: self.template()?,
                },
                _ => return None,
            });
        }
        Some(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of node the lowering produces.
    const SAMPLE: &str = r#"
variable "v" {
  type    = map(object({ a = optional(string, "x") }))
  default = null
}
locals {
  n     = -1.5e3 + 2 * (3 % 2) - 4 / 1
  b     = !true && false || 1 == 2 || 1 != 2 || 1 < 2 || 1 <= 2 || 1 > 2 || 1 >= 2
  s     = "plain"
  t     = "a ${var.x} b %{ if var.y }yes%{ else }no%{ endif } %{ for k, v in var.m }${k}=${v} %{ endfor }"
  h     = <<-EOT
    line ${local.s}
  EOT
  tup   = [1, "two", null, [true]]
  obj   = { a = 1, "b" = 2, (local.s) = 3 }
  idx   = var.list[0].name
  splat = var.list[*].id
  call  = merge(var.a, var.b...)
  cond  = var.c ? "y" : "n"
  fl    = [for i, x in var.xs : upper(x) if x != ""]
  fm    = { for x in var.xs : x => x... }
  attr  = jsondecode(var.j).field
}
resource "aws_instance" "web" {
  ami = "ami-123" # comment
  ebs_block_device {
    device_name = "/dev/sdb"
  }
  lifecycle {
    ignore_changes = [tags]
  }
}
"#;

    #[test]
    fn an_entry_gives_back_the_parsed_tree_with_the_callers_file_id() {
        let parsed = crate::parse_file(FileId(3), SAMPLE);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let entry = encode(SAMPLE, &parsed.body);
        let back = decode(&entry, SAMPLE, FileId(3)).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{:?}", parsed.body));
        // Under another id, every span names that file.
        let other = decode(&entry, SAMPLE, FileId(9)).expect("decodes");
        assert_eq!(
            format!("{other:?}").replace("FileId(9)", "FileId(3)"),
            format!("{:?}", parsed.body)
        );
        assert!(!format!("{other:?}").contains("FileId(3)"));
    }

    #[test]
    fn an_entry_for_other_text_or_damaged_bytes_is_a_miss() {
        let parsed = crate::parse_file(FileId(0), SAMPLE);
        let entry = encode(SAMPLE, &parsed.body);
        let edited = SAMPLE.replace("ami-123", "ami-124");
        assert!(decode(&entry, &edited, FileId(0)).is_none());
        // Every truncation, and a flipped byte anywhere, reads as a miss or as a
        // tree: never a panic.
        for n in 0..entry.len() {
            assert!(decode(&entry[..n], SAMPLE, FileId(0)).is_none());
        }
        for i in (0..entry.len()).step_by(7) {
            let mut bad = entry.clone();
            bad[i] ^= 0x5a;
            let _ = decode(&bad, SAMPLE, FileId(0));
        }
        let mut foreign = entry.clone();
        foreign[MAGIC.len() + 1] ^= 1;
        assert!(decode(&foreign, SAMPLE, FileId(0)).is_none());
    }
}
