//! Parses HCL with `hcl-edit` and lowers it into our own IR, which keeps a byte
//! span on every node (`hcl::Body` drops them). Nothing here evaluates anything.

pub mod cache;
mod lower;

use iac_diagnostics::{Diagnostic, FileId, Span};

pub use lower::parse_file;

/// The body of a file or block.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
    pub span: Span,
}

impl Body {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub kind_span: Span,
    pub labels: Vec<Label>,
    pub body: Body,
    pub span: Span,
}

impl Block {
    /// Span of the block header (kind and labels), the natural place to point at a block.
    pub fn header_span(&self) -> Span {
        self.labels
            .last()
            .map(|l| self.kind_span.to(l.span))
            .unwrap_or(self.kind_span)
    }
}

#[derive(Clone, Debug)]
pub struct Label {
    pub value: String,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    /// A number literal a float does not hold exactly (`0.1`,
    /// `9007199254740993`, `1e400`), as written.
    NumberText(Box<str>),
    String(String),
    Template(Vec<TemplatePart>),
    Tuple(Vec<Expr>),
    Object(Vec<(ObjectKey, Expr)>),
    /// A root name and the static attribute names after it: `var.name`, `aws_instance.web.id`.
    Ref(Reference),
    GetAttr(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    /// `source[*].rest`: `each` is evaluated for every element, with `SplatItem` bound to it.
    Splat {
        source: Box<Expr>,
        each: Box<Expr>,
    },
    SplatItem,
    Call {
        name: String,
        args: Vec<Expr>,
        expand_final: bool,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    For(Box<ForExpr>),
}

#[derive(Clone, Debug)]
pub enum ObjectKey {
    Ident(String),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub struct Reference {
    pub root: String,
    pub root_span: Span,
    pub attrs: Vec<(String, Span)>,
}

impl Reference {
    /// Span of the root and the first `n` attributes.
    pub fn span_of(&self, n: usize) -> Span {
        match self.attrs.get(n.saturating_sub(1)) {
            Some((_, s)) if n > 0 => self.root_span.to(*s),
            _ => self.root_span,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    pub grouping: bool,
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Literal(String),
    Interp(Expr),
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        otherwise: Vec<TemplatePart>,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Vec<TemplatePart>,
    },
}

impl Expr {
    /// Every reference in the expression, in source order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Ref(r) = &e.kind {
                out.push(r);
            }
        });
        out
    }

    /// Calls `f` on this expression and every sub-expression.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Template(parts) => walk_template(parts, f),
            ExprKind::Tuple(items) => items.iter().for_each(|e| e.walk(f)),
            ExprKind::Object(items) => {
                for (k, v) in items {
                    if let ObjectKey::Expr(k) = k {
                        k.walk(f);
                    }
                    v.walk(f);
                }
            }
            ExprKind::GetAttr(e, _) | ExprKind::Unary(_, e) => e.walk(f),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Splat { source, each } => {
                source.walk(f);
                each.walk(f);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|e| e.walk(f)),
            ExprKind::Conditional(a, b, c) => {
                a.walk(f);
                b.walk(f);
                c.walk(f);
            }
            ExprKind::For(fe) => {
                fe.collection.walk(f);
                if let Some(k) = &fe.key {
                    k.walk(f);
                }
                fe.value.walk(f);
                if let Some(c) = &fe.cond {
                    c.walk(f);
                }
            }
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::NumberText(_)
            | ExprKind::String(_)
            | ExprKind::Ref(_)
            | ExprKind::SplatItem => {}
        }
    }

    /// A plain identifier (`x`) or keyword-like bare word, as used in `depends_on` and type constraints.
    pub fn as_bare_ref(&self) -> Option<&Reference> {
        match &self.kind {
            ExprKind::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// The literal string of a string expression without interpolation.
    pub fn as_static_string(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::String(s) => Some(s),
            _ => None,
        }
    }
}

fn walk_template<'a>(parts: &'a [TemplatePart], f: &mut impl FnMut(&'a Expr)) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => e.walk(f),
            TemplatePart::If {
                cond,
                then,
                otherwise,
            } => {
                cond.walk(f);
                walk_template(then, f);
                walk_template(otherwise, f);
            }
            TemplatePart::For {
                collection, body, ..
            } => {
                collection.walk(f);
                walk_template(body, f);
            }
        }
    }
}

/// A parsed file: its body and any syntax errors.
pub struct ParsedFile {
    pub file: FileId,
    pub body: Body,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses a standalone expression (for `-var` values and templates).
pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    lower::parse_expression(file, text)
}

/// Parses a template string (for `templatefile`).
pub fn parse_template(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    lower::parse_template(file, text)
}
