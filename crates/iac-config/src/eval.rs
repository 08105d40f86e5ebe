//! Expression evaluation with unknowns and sensitivity marks.

use std::collections::BTreeMap;
use std::path::Path;

use iac_diagnostics::{did_you_mean, Diagnostic, Span};
use iac_syntax::{BinaryOp, Expr, ExprKind, ObjectKey, Reference, TemplatePart, UnaryOp};
use iac_value::{format_number, Number, Value};

use crate::functions;

/// Where references resolve. The engine implements it over the values computed so far.
pub trait Namespace {
    fn variable(&self, name: &str) -> Option<Value>;
    fn local(&self, name: &str) -> Option<Value>;
    /// A managed resource: an object, a list (count) or a map (for_each) of instances.
    fn resource(&self, ty: &str, name: &str) -> Option<Value>;
    fn data(&self, ty: &str, name: &str) -> Option<Value>;
    /// One attribute of a managed resource that is a single object holding it
    /// (`None` in every other case, which then goes through [`Namespace::resource`]).
    fn resource_attr(&self, _ty: &str, _name: &str, _attr: &str) -> Option<Value> {
        None
    }
    /// A module call's outputs as an object.
    fn module(&self, name: &str) -> Option<Value>;
    /// Fingerprints under the state's salt, so an operation on a secret whose
    /// plaintext is not held yields a derivation rather than an unknown.
    fn fingerprinter(&self) -> Option<&iac_value::Fingerprinter> {
        None
    }
}

/// A namespace with nothing in it, for evaluating constant expressions.
pub struct EmptyNamespace;

impl Namespace for EmptyNamespace {
    fn variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn data(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn module(&self, _: &str) -> Option<Value> {
        None
    }
}

/// Everything an expression can see.
pub struct EvalContext<'a> {
    pub ns: &'a dyn Namespace,
    pub count_index: Option<Value>,
    pub each: Option<(Value, Value)>,
    pub self_value: Option<Value>,
    /// `path.module`, also the base directory for `file` and `templatefile`.
    pub path_module: std::borrow::Cow<'a, Path>,
    pub path_root: std::borrow::Cow<'a, Path>,
    pub workspace: std::borrow::Cow<'a, str>,
    /// Names bound by `for` expressions and template directives, innermost last.
    pub(crate) locals: Vec<(String, Value)>,
    pub(crate) splat_item: Vec<Value>,
    /// The module's variable declarations, for their types: a variable of a
    /// list type never equals a tuple (`var.ids == []` is false, as in
    /// Terraform).
    pub variables: Option<&'a std::collections::BTreeMap<String, crate::Variable>>,
    /// The module's locals, whose expressions say what kind of collection
    /// they make (`local.ids == []` where `ids = tolist(...)`).
    pub local_exprs: Option<&'a std::collections::BTreeMap<String, crate::Local>>,
}

impl<'a> EvalContext<'a> {
    /// A context whose `path.module` and `path.root` are these directories
    /// (owned, or borrowed from the configuration: a context is made per
    /// instance, and a borrowed path costs nothing to make).
    pub fn new(
        ns: &'a dyn Namespace,
        path_module: impl Into<std::borrow::Cow<'a, Path>>,
        path_root: impl Into<std::borrow::Cow<'a, Path>>,
    ) -> EvalContext<'a> {
        EvalContext {
            ns,
            count_index: None,
            each: None,
            self_value: None,
            path_module: path_module.into(),
            path_root: path_root.into(),
            workspace: std::borrow::Cow::Borrowed("default"),
            locals: Vec::new(),
            splat_item: Vec::new(),
            variables: None,
            local_exprs: None,
        }
    }

    /// Binds a name for the expressions evaluated until [`EvalContext::unbind`]
    /// (a `dynamic` block's iterator), shadowing resources of that type name.
    pub fn bind(&mut self, name: &str, value: Value) {
        self.locals.push((name.to_string(), value));
    }

    /// Removes the name [`EvalContext::bind`] bound last.
    pub fn unbind(&mut self) {
        self.locals.pop();
    }

    /// Evaluates an expression. The first error inside it is returned with its span.
    /// The chosen result of a conditional converted to the type both results
    /// unify to, as Terraform types a conditional (`true ? 1 : "a"` is `"1"`).
    /// The other result is evaluated for its type only: its errors are not
    /// this expression's, and without a common type the value stays as it is.
    fn as_conditional_result(&mut self, v: Value, other: &Expr) -> Value {
        let simple = |v: &Value| {
            matches!(
                v.unmarked(),
                Value::Null | Value::Unknown | Value::Redacted(_)
            )
        };
        if simple(&v) {
            return v;
        }
        let Ok(o) = self.eval(other) else {
            return v;
        };
        if simple(&o) {
            return v;
        }
        let (tv, to) = (iac_value::type_of(&v), iac_value::type_of(&o));
        if tv == to {
            return v;
        }
        match iac_value::unify(&tv, &to) {
            Some(t) if t != tv => iac_value::convert(v.clone(), &t).unwrap_or(v),
            _ => v,
        }
    }

    /// An object constructor: keys by name or expression (a string, number or
    /// bool), the value unknown while any key is.
    fn object(&mut self, items: &[(ObjectKey, Expr)]) -> Result<Value, Diagnostic> {
        let mut m = BTreeMap::new();
        let mut unknown_key = false;
        for (k, v) in items {
            let key = match k {
                ObjectKey::Ident(s) => s.clone(),
                ObjectKey::Expr(e) => {
                    let kv = self.eval(e)?;
                    if kv.is_unknown() {
                        unknown_key = true;
                        continue;
                    }
                    match kv.unmarked() {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => format_number(n),
                        Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(err(
                                "E0301",
                                "Invalid object key",
                                e.span,
                                format!(
                                    "an object key must be a string, got {}",
                                    other.type_name()
                                ),
                            ))
                        }
                    }
                }
            };
            let value = self.eval(v)?;
            m.insert(key, value);
        }
        if unknown_key {
            return Ok(Value::Unknown);
        }
        Ok(Value::Map(m.into()))
    }

    pub fn eval(&mut self, expr: &Expr) -> Result<Value, Diagnostic> {
        match &expr.kind {
            ExprKind::Null => Ok(Value::Null),
            ExprKind::Bool(b) => Ok(Value::Bool(*b)),
            ExprKind::Number(n) => Ok(Value::Number(Number::literal(*n))),
            ExprKind::NumberText(t) => Number::parse(t).map(Value::Number).ok_or_else(|| {
                err(
                    "E0304",
                    "Invalid number literal",
                    expr.span,
                    "not a number Terraform reads",
                )
            }),
            ExprKind::String(s) => Ok(Value::String(s.clone())),
            ExprKind::Template(parts) => {
                // A template that is a single interpolation yields the value itself, as in HCL.
                if let [TemplatePart::Interp(e)] = parts.as_slice() {
                    return self.eval(e);
                }
                let mut out = String::new();
                let mut state = TemplateState::default();
                self.template(parts, &mut out, &mut state)?;
                if state.unknown {
                    return Ok(Value::Unknown.mark_if(state.sensitive));
                }
                if !state.pieces.is_empty() {
                    state.pieces.push(Value::String(out));
                    return Ok(match self.ns.fingerprinter() {
                        Some(fp) => fp.derive("template", &[Value::List(state.pieces)]),
                        None => Value::Unknown.mark_if(true),
                    });
                }
                Ok(Value::String(out).mark_if(state.sensitive))
            }
            ExprKind::Tuple(items) => Ok(Value::List(
                items
                    .iter()
                    .map(|e| self.eval(e))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Object(items) => self.object(items),
            ExprKind::Ref(r) => self.reference(r),
            ExprKind::GetAttr(base, name) => {
                let v = self.eval(base)?;
                if let Some(d) = self.derived("getattr", &[&v, &Value::string(name.clone())]) {
                    return Ok(d);
                }
                get_attr(v, name, expr.span)
            }
            ExprKind::Index(base, ix) => {
                let v = self.eval(base)?;
                let i = self.eval(ix)?;
                if let Some(d) = self.derived("index", &[&v, &i]) {
                    return Ok(d);
                }
                index(v, i, expr.span)
            }
            ExprKind::Splat { source, each } => {
                let src = self.eval(source)?;
                let (src, marked) = src.unmark();
                let items = match src {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::Null => Vec::new(),
                    Value::List(items) | Value::Set(items) => items,
                    other => vec![other],
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    self.splat_item.push(item);
                    let r = self.eval(each);
                    self.splat_item.pop();
                    out.push(r?);
                }
                Ok(Value::List(out).mark_if(marked))
            }
            ExprKind::SplatItem => Ok(self.splat_item.last().cloned().unwrap_or(Value::Null)),
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => self.call(name, args, *expand_final, expr.span),
            ExprKind::Unary(op, e) => {
                let v = self.eval(e)?;
                if let Some(d) = self.derived_or_unknown("unary", &[&v]) {
                    return Ok(d);
                }
                let (v, marked) = v.unmark();
                let v = match op {
                    UnaryOp::Not => boolish(v),
                    _ => v,
                };
                let out = match (op, v) {
                    (_, Value::Unknown) => Value::Unknown,
                    (UnaryOp::Neg, Value::Number(n)) => Value::Number(n.neg()),
                    (UnaryOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnaryOp::Neg, v) => return Err(type_err(e.span, "a number", &v)),
                    (UnaryOp::Not, v) => return Err(type_err(e.span, "a bool", &v)),
                };
                Ok(out.mark_if(marked))
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b),
            ExprKind::Conditional(c, t, f) => {
                let cv = self.eval(c)?;
                if matches!(cv.unmarked(), Value::Redacted(_)) {
                    // Which side is chosen depends on a secret iac does not hold: the
                    // result is a derivation of the condition and both sides.
                    let (tv, fv) = (self.eval(t)?, self.eval(f)?);
                    return Ok(self
                        .derived_or_unknown("conditional", &[&cv, &tv, &fv])
                        .unwrap_or(Value::Unknown));
                }
                let (cv, marked) = cv.unmark();
                let (chosen, other) = match boolish(cv) {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::Bool(true) => (t, f),
                    Value::Bool(false) => (f, t),
                    v => return Err(type_err(c.span, "a bool condition", &v)),
                };
                let v = self.eval(chosen)?;
                Ok(self.as_conditional_result(v, other).mark_if(marked))
            }
            ExprKind::For(fe) => {
                let (coll, marked) = self.eval(&fe.collection)?.unmark();
                let pairs: Vec<(Value, Value)> = match coll {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::List(items) | Value::Set(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::num(i as f64), v))
                        .collect(),
                    Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                    v => {
                        return Err(type_err(
                            fe.collection.span,
                            "a collection to iterate over",
                            &v,
                        ))
                    }
                };
                let mut list = Vec::new();
                let mut map: BTreeMap<String, Value> = BTreeMap::new();
                let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for (k, v) in pairs {
                    let n = self.locals.len();
                    if let Some(kv) = &fe.key_var {
                        self.locals.push((kv.clone(), k));
                    }
                    self.locals.push((fe.value_var.clone(), v));
                    let r = self.for_item(fe, &mut list, &mut map, &mut groups);
                    self.locals.truncate(n);
                    if r? {
                        return Ok(Value::Unknown);
                    }
                }
                let out = if fe.key.is_some() {
                    if fe.grouping {
                        Value::Map(
                            groups
                                .into_iter()
                                .map(|(k, v)| (k, Value::List(v)))
                                .collect(),
                        )
                    } else {
                        Value::Map(map.into())
                    }
                } else {
                    Value::List(list)
                };
                Ok(out.mark_if(marked))
            }
        }
    }

    /// One element of a `for` expression; returns `true` when the result became unknown.
    fn for_item(
        &mut self,
        fe: &iac_syntax::ForExpr,
        list: &mut Vec<Value>,
        map: &mut BTreeMap<String, Value>,
        groups: &mut BTreeMap<String, Vec<Value>>,
    ) -> Result<bool, Diagnostic> {
        if let Some(c) = &fe.cond {
            match &boolish(self.eval(c)?.unmarked().clone()) {
                Value::Bool(true) => {}
                Value::Bool(false) => return Ok(false),
                Value::Unknown => return Ok(true),
                v => return Err(type_err(c.span, "a bool condition", v)),
            }
        }
        let v = self.eval(&fe.value)?;
        match &fe.key {
            None => list.push(v),
            Some(kexpr) => {
                let k = self.eval(kexpr)?;
                let key = match k.unmarked() {
                    Value::Unknown => return Ok(true),
                    Value::String(s) => s.clone(),
                    Value::Number(n) => format_number(n),
                    Value::Bool(b) => b.to_string(),
                    other => return Err(type_err(kexpr.span, "a string key", other)),
                };
                if fe.grouping {
                    groups.entry(key).or_default().push(v);
                } else {
                    match map.entry(key) {
                        std::collections::btree_map::Entry::Occupied(e) => {
                            return Err(err(
                                "E0302",
                                "Duplicate object key",
                                kexpr.span,
                                format!("two elements produce the key \"{}\"; add `...` after the value to group them", e.key()),
                            ));
                        }
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert(v);
                        }
                    }
                }
            }
        }
        Ok(false)
    }

    fn template(
        &mut self,
        parts: &[TemplatePart],
        out: &mut String,
        st: &mut TemplateState,
    ) -> Result<(), Diagnostic> {
        for p in parts {
            match p {
                TemplatePart::Literal(s) => out.push_str(s),
                TemplatePart::Interp(e) => {
                    let (v, marked) = self.eval(e)?.unmark_deep();
                    st.sensitive |= marked;
                    match v {
                        Value::Unknown => st.unknown = true,
                        Value::String(s) => out.push_str(&s),
                        Value::Number(n) => out.push_str(&format_number(&n)),
                        Value::Bool(b) => out.push_str(&b.to_string()),
                        Value::Redacted(r) => {
                            st.pieces.push(Value::String(std::mem::take(out)));
                            st.pieces.push(Value::Redacted(r));
                        }
                        Value::Null => {
                            return Err(err(
                                "E0303",
                                "Invalid template interpolation value",
                                e.span,
                                "the value is null; a string is required",
                            ))
                        }
                        v => {
                            if !v.is_wholly_known() {
                                st.unknown = true;
                            } else {
                                return Err(err(
                                    "E0303",
                                    "Invalid template interpolation value",
                                    e.span,
                                    format!("cannot include a {} in a string template; a string is required", v.type_name()),
                                ));
                            }
                        }
                    }
                }
                TemplatePart::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let (c, marked) = self.eval(cond)?.unmark();
                    st.sensitive |= marked;
                    match boolish(c) {
                        Value::Bool(true) => self.template(then, out, st)?,
                        Value::Bool(false) => self.template(otherwise, out, st)?,
                        Value::Unknown => st.unknown = true,
                        v => return Err(type_err(cond.span, "a bool condition", &v)),
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let (coll, marked) = self.eval(collection)?.unmark();
                    st.sensitive |= marked;
                    let pairs: Vec<(Value, Value)> = match coll {
                        Value::Unknown => {
                            st.unknown = true;
                            continue;
                        }
                        Value::List(items) | Value::Set(items) => items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Value::num(i as f64), v))
                            .collect(),
                        Value::Map(m) => {
                            m.into_iter().map(|(k, v)| (Value::String(k), v)).collect()
                        }
                        v => return Err(type_err(collection.span, "a collection", &v)),
                    };
                    for (k, v) in pairs {
                        let n = self.locals.len();
                        if let Some(kv) = key_var {
                            self.locals.push((kv.clone(), k));
                        }
                        self.locals.push((value_var.clone(), v));
                        let r = self.template(body, out, st);
                        self.locals.truncate(n);
                        r?;
                    }
                }
            }
        }
        Ok(())
    }

    fn reference(&mut self, r: &Reference) -> Result<Value, Diagnostic> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| *n == r.root) {
            let v = v.clone();
            return self.apply_attrs(v, &r.attrs);
        }
        let attr = |i: usize| r.attrs.get(i).map(|(n, _)| n.as_str());
        let need = |i: usize, what: &str| -> Result<&str, Diagnostic> {
            attr(i).ok_or_else(|| {
                err(
                    "E0206",
                    "Invalid reference",
                    r.span_of(i),
                    format!("`{}` must be followed by {what}", r.root),
                )
            })
        };
        let (value, consumed) = match r.root.as_str() {
            "var" => {
                let name = need(0, "a variable name, like `var.name`")?;
                (
                    self.ns
                        .variable(name)
                        .ok_or_else(|| undeclared(r, "input variable"))?,
                    1,
                )
            }
            "local" => {
                let name = need(0, "a local value name, like `local.name`")?;
                (
                    self.ns
                        .local(name)
                        .ok_or_else(|| undeclared(r, "local value"))?,
                    1,
                )
            }
            "module" => {
                let name = need(0, "a module call name, like `module.net`")?;
                (
                    self.ns
                        .module(name)
                        .ok_or_else(|| undeclared(r, "module call"))?,
                    1,
                )
            }
            "data" => {
                let ty = need(0, "a data source type and name")?;
                let name = need(1, "a data source name")?;
                (
                    self.ns
                        .data(ty, name)
                        .ok_or_else(|| undeclared(r, "data source"))?,
                    2,
                )
            }
            "count" => {
                need(0, "`index`")?;
                match (attr(0), &self.count_index) {
                    (Some("index"), Some(i)) => (i.clone(), 1),
                    (Some("index"), None) => {
                        return Err(err(
                            "E0207",
                            "Reference to \"count\" in a non-counted context",
                            r.span_of(1),
                            "`count.index` is only available in blocks that set `count`",
                        ))
                    }
                    _ => {
                        return Err(err(
                            "E0206",
                            "Invalid reference",
                            r.span_of(1),
                            "the only attribute of `count` is `index`",
                        ))
                    }
                }
            }
            "each" => {
                let which = need(0, "`key` or `value`")?;
                match (&self.each, which) {
                    (Some((k, _)), "key") => (k.clone(), 1),
                    (Some((_, v)), "value") => (v.clone(), 1),
                    (None, _) => {
                        return Err(err(
                            "E0207",
                            "Reference to \"each\" in a context without for_each",
                            r.span_of(1),
                            "`each.key` and `each.value` are only available in blocks that set `for_each`",
                        ))
                    }
                    _ => {
                        return Err(err(
                            "E0206",
                            "Invalid reference",
                            r.span_of(1),
                            "the attributes of `each` are `key` and `value`",
                        ))
                    }
                }
            }
            "self" => match &self.self_value {
                Some(v) => (v.clone(), 0),
                None => {
                    return Err(err(
                        "E0207",
                        "Invalid \"self\" reference",
                        r.root_span,
                        "`self` is only available in provisioner and postcondition blocks",
                    ))
                }
            },
            "path" => {
                let which = need(0, "`module`, `root` or `cwd`")?;
                let p = match which {
                    // As Terraform writes them: relative to the root module's
                    // directory (`.` for the root itself, `modules/net` for a child).
                    "module" => relative_path(&self.path_module, &self.path_root),
                    "root" => ".".to_string(),
                    "cwd" => std::env::current_dir()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    _ => {
                        return Err(err(
                            "E0206",
                            "Invalid reference",
                            r.span_of(1),
                            "the attributes of `path` are `module`, `root` and `cwd`",
                        ))
                    }
                };
                (Value::String(p), 1)
            }
            "terraform" | "iac" => {
                if attr(0) == Some("workspace") {
                    (Value::String(self.workspace.to_string()), 1)
                } else {
                    return Err(err(
                        "E0206",
                        "Invalid reference",
                        r.span_of(1),
                        format!("the only attribute of `{}` is `workspace`", r.root),
                    ));
                }
            }
            ty => {
                let name = need(0, "a resource name, like `terraform_data.example`")?;
                // `type.name.attribute` copies the one attribute, not the object.
                match attr(1).and_then(|a| self.ns.resource_attr(ty, name, a)) {
                    Some(v) => (v, 2),
                    None => (
                        self.ns
                            .resource(ty, name)
                            .ok_or_else(|| undeclared(r, "resource"))?,
                        1,
                    ),
                }
            }
        };
        self.apply_attrs(value, &r.attrs[consumed.min(r.attrs.len())..])
    }

    fn apply_attrs(&self, mut v: Value, attrs: &[(String, Span)]) -> Result<Value, Diagnostic> {
        for (name, span) in attrs {
            let redacted = matches!(v.unmarked(), Value::Redacted(_));
            v = match redacted
                .then(|| self.derived("getattr", &[&v, &Value::string(name.clone())]))
                .flatten()
            {
                Some(d) => d,
                None => get_attr(v, name, *span)?,
            };
        }
        Ok(v)
    }

    /// An operation on operands of which one holds a secret iac does not hold:
    /// its derivation, or unknown where there is no fingerprinter. `None` when no
    /// operand holds such a secret.
    fn derived_or_unknown(&self, op: &str, operands: &[&Value]) -> Option<Value> {
        if !operands.iter().any(|v| v.contains_redacted()) {
            return None;
        }
        let args: Vec<Value> = operands.iter().map(|v| (*v).clone()).collect();
        Some(match self.ns.fingerprinter() {
            Some(fp) => fp.derive(op, &args),
            None => Value::Unknown.mark_if(true),
        })
    }

    /// A part of a secret whose plaintext is not held (`jsondecode(secret).password`):
    /// a derivation, so a later plan still recognises it unchanged.
    fn derived(&self, op: &str, operands: &[&Value]) -> Option<Value> {
        let redacted = operands
            .iter()
            .any(|v| matches!(v.unmarked(), Value::Redacted(_)));
        let fp = self.ns.fingerprinter().filter(|_| redacted)?;
        let args: Vec<Value> = operands.iter().map(|v| (*v).clone()).collect();
        Some(fp.derive(op, &args))
    }

    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr) -> Result<Value, Diagnostic> {
        let x = self.eval(a)?;
        // Short-circuit logic like HCL: both sides are still evaluated for errors.
        let y = self.eval(b)?;
        // A comparison or arithmetic on a secret iac does not hold is not decided
        // on its fingerprint: it is a derivation (or unknown, without a fingerprinter).
        if x.contains_redacted() || y.contains_redacted() {
            let name = format!("{op:?}");
            return Ok(self
                .derived_or_unknown(&name, &[&x, &y])
                .unwrap_or_else(|| Value::Unknown.mark_if(true)));
        }
        let (x, mx) = x.unmark();
        let (y, my) = y.unmark();
        let marked = mx || my;
        let out = match op {
            BinaryOp::Eq | BinaryOp::NotEq => {
                if !x.is_wholly_known() || !y.is_wholly_known() {
                    Value::Unknown
                } else {
                    // Values of different collection types are never equal in
                    // Terraform (`tolist([]) == []` is false), whatever they hold;
                    // null equals null of any type.
                    let kinds = (self.static_kind(a), self.static_kind(b));
                    let differ = matches!(&kinds, (Some(p), Some(q)) if p.differs(q))
                        && !matches!(x, Value::Null)
                        && !matches!(y, Value::Null);
                    let eq = !differ && values_equal(&x, &y);
                    Value::Bool(if op == BinaryOp::Eq { eq } else { !eq })
                }
            }
            BinaryOp::And | BinaryOp::Or => match (&boolish(x.clone()), &boolish(y.clone())) {
                (Value::Bool(p), Value::Bool(q)) => Value::Bool(if op == BinaryOp::And {
                    *p && *q
                } else {
                    *p || *q
                }),
                (Value::Bool(false), Value::Unknown) if op == BinaryOp::And => Value::Bool(false),
                (Value::Bool(true), Value::Unknown) if op == BinaryOp::Or => Value::Bool(true),
                (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
                (Value::Bool(_), v) => return Err(type_err(b.span, "a bool", v)),
                (v, _) => return Err(type_err(a.span, "a bool", v)),
            },
            _ => {
                let p = to_number(&x, a.span)?;
                let q = to_number(&y, b.span)?;
                let (Some(p), Some(q)) = (p, q) else {
                    return Ok(Value::Unknown.mark_if(marked));
                };
                let nan = || {
                    err(
                        "E0304",
                        "Invalid arithmetic",
                        a.span.to(b.span),
                        "the result is not a number (opposite infinities)",
                    )
                };
                match op {
                    BinaryOp::Add => Value::Number(p.add(&q).ok_or_else(nan)?),
                    BinaryOp::Sub => Value::Number(p.sub(&q).ok_or_else(nan)?),
                    BinaryOp::Mul => Value::Number(p.mul(&q).ok_or_else(nan)?),
                    BinaryOp::Div => {
                        if q.is_zero() {
                            return Err(err(
                                "E0304",
                                "Division by zero",
                                b.span,
                                "the divisor is zero",
                            ));
                        }
                        Value::Number(p.div(&q).ok_or_else(nan)?)
                    }
                    // Terraform's `x % 0` is x (its big-number modulo has no
                    // remainder to take), not an error.
                    BinaryOp::Mod => Value::Number(p.rem(&q).ok_or_else(nan)?),
                    BinaryOp::Lt => Value::Bool(p.compare(&q).is_lt()),
                    BinaryOp::LtEq => Value::Bool(p.compare(&q).is_le()),
                    BinaryOp::Gt => Value::Bool(p.compare(&q).is_gt()),
                    BinaryOp::GtEq => Value::Bool(p.compare(&q).is_ge()),
                    _ => unreachable!("handled above"),
                }
            }
        };
        Ok(out.mark_if(marked))
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Expr],
        expand_final: bool,
        span: Span,
    ) -> Result<Value, Diagnostic> {
        match name {
            "try" => {
                for a in args {
                    match self.eval(a) {
                        Ok(v) if v.is_unknown() => return Ok(Value::Unknown),
                        Ok(v) => return Ok(v),
                        Err(_) => continue,
                    }
                }
                return Err(err(
                    "E0310",
                    "No successful alternative in try",
                    span,
                    "every argument of `try` produced an error",
                ));
            }
            "can" => {
                if args.len() != 1 {
                    return Err(err(
                        "E0311",
                        "Wrong number of arguments",
                        span,
                        "`can` takes exactly one argument",
                    ));
                }
                return Ok(match self.eval(&args[0]) {
                    Ok(v) if v.is_unknown() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let Some(func) = functions::lookup(name) else {
            let help = match (
                functions::not_supported(name),
                did_you_mean(name, functions::names()),
            ) {
                (Some(why), _) => why.to_string(),
                (None, Some(s)) => format!("did you mean `{s}`?"),
                (None, None) => "see the function list in docs/functions.md".to_string(),
            };
            return Err(err(
                "E0312",
                format!("Call to unknown function \"{name}\""),
                span,
                "no such function",
            )
            .with_help(help));
        };
        let mut values = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let v = self.eval(a)?;
            if expand_final && i == args.len() - 1 {
                match v.unmarked() {
                    Value::List(items) | Value::Set(items) => values.extend(items.iter().cloned()),
                    Value::Unknown => return Ok(Value::Unknown),
                    other => return Err(type_err(a.span, "a list to expand with `...`", other)),
                }
            } else {
                values.push(v);
            }
        }
        // Relative paths in file functions are from the root module's directory,
        // where Terraform runs (`file("${path.module}/x")` in a child module).
        let ctx = functions::CallContext {
            base_dir: &self.path_root,
            fingerprinter: self.ns.fingerprinter(),
        };
        functions::call(func, &values, &ctx).map_err(|e| {
            let at = e
                .arg
                .and_then(|i| args.get(i))
                .map(|a| a.span)
                .unwrap_or(span);
            Diagnostic::error("E0313", format!("Invalid call to function \"{name}\""))
                .with_span(at, e.message)
                .with_secondary(span, "in this call")
        })
    }
}

#[derive(Default)]
struct TemplateState {
    unknown: bool,
    sensitive: bool,
    /// The text so far and the secrets whose plaintext is not held, in order,
    /// once one such secret is interpolated.
    pieces: Vec<Value>,
}

/// What kind of collection an expression makes, where its form says so:
/// tuples and objects from literals and `for` expressions, lists, sets and
/// maps from the conversion functions and from variables declared so, with
/// their element type where that is known too.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Kind {
    Tuple,
    Object,
    List(Elem),
    Set(Elem),
    Map(Elem),
}

/// A collection's element type: `tolist([])` has none yet (Terraform's
/// dynamic element type, which equals no declared one).
#[derive(Clone, PartialEq, Eq, Debug)]
enum Elem {
    Unknown,
    Dynamic,
    Known(String),
}

impl Kind {
    /// Whether values of these two kinds can never be equal: their types
    /// differ, as far as the expressions tell.
    fn differs(&self, other: &Kind) -> bool {
        let elems = |a: &Elem, b: &Elem| match (a, b) {
            (Elem::Unknown, _) | (_, Elem::Unknown) => false,
            (a, b) => a != b,
        };
        match (self, other) {
            (Kind::List(a), Kind::List(b))
            | (Kind::Set(a), Kind::Set(b))
            | (Kind::Map(a), Kind::Map(b)) => elems(a, b),
            (Kind::Tuple, Kind::Tuple) | (Kind::Object, Kind::Object) => false,
            _ => true,
        }
    }
}

impl EvalContext<'_> {
    fn static_kind(&self, e: &Expr) -> Option<Kind> {
        self.static_kind_at(e, 0)
    }

    fn static_kind_at(&self, e: &Expr, depth: usize) -> Option<Kind> {
        match &e.kind {
            ExprKind::Tuple(_) => Some(Kind::Tuple),
            ExprKind::Object(_) => Some(Kind::Object),
            ExprKind::For(fe) => Some(if fe.key.is_some() {
                Kind::Object
            } else {
                Kind::Tuple
            }),
            ExprKind::Call { name, args, .. } => {
                // An empty literal converted has no element type yet.
                let elem = match args.as_slice() {
                    [a] => match &a.kind {
                        ExprKind::Tuple(items) if items.is_empty() => Elem::Dynamic,
                        ExprKind::Object(items) if items.is_empty() => Elem::Dynamic,
                        _ => Elem::Unknown,
                    },
                    _ => Elem::Unknown,
                };
                match name.as_str() {
                    "tolist" => Some(Kind::List(elem)),
                    "toset" => Some(Kind::Set(elem)),
                    "tomap" => Some(Kind::Map(elem)),
                    _ => None,
                }
            }
            // A local is what its expression makes (a chain of locals is
            // followed a few steps; a cycle is an error elsewhere).
            ExprKind::Ref(r) if r.root == "local" && r.attrs.len() == 1 && depth < 8 => {
                let l = self.local_exprs?.get(&r.attrs[0].0)?;
                self.static_kind_at(&l.expr, depth + 1)
            }
            ExprKind::Ref(r) if r.root == "var" && r.attrs.len() == 1 => {
                let v = self.variables?.get(&r.attrs[0].0)?;
                let elem = |t: &iac_value::Type| match t {
                    iac_value::Type::Any => Elem::Unknown,
                    t => Elem::Known(t.to_string()),
                };
                match &v.ty {
                    iac_value::Type::List(t) => Some(Kind::List(elem(t))),
                    iac_value::Type::Set(t) => Some(Kind::Set(elem(t))),
                    iac_value::Type::Map(t) => Some(Kind::Map(elem(t))),
                    iac_value::Type::Tuple(_) => Some(Kind::Tuple),
                    iac_value::Type::Object(_) => Some(Kind::Object),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn to_number(v: &Value, span: Span) -> Result<Option<Number>, Diagnostic> {
    match v {
        Value::Number(n) => Ok(Some(n.clone())),
        Value::Unknown => Ok(None),
        Value::String(s) => Number::parse(s.trim())
            .map(Some)
            .ok_or_else(|| type_err(span, "a number", v)),
        v => Err(type_err(span, "a number", v)),
    }
}

/// Equality across the list/set and number/string distinctions HCL users expect.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && values_equal(v1, v2))
        }
        // Whole numbers by value, fractions as written, as cty's `==`.
        (Value::Number(x), Value::Number(y)) => x.equals(y),
        (x, y) => x == y,
    }
}

/// Where HCL wants a bool, the strings "true" and "false" are one (as Terraform
/// converts them: a `-var flag=false` is a string until a type says otherwise).
/// `path` relative to `base`, as `path.module` is written: `.` when they are
/// the same, `..` steps where `path` is outside `base`.
fn relative_path(path: &std::path::Path, base: &std::path::Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Strings Terraform converts to bools where a bool is wanted: `"true"` and
/// `"1"`, `"false"` and `"0"`.
fn boolish(v: Value) -> Value {
    match v {
        Value::String(s) if s == "true" || s == "1" => Value::Bool(true),
        Value::String(s) if s == "false" || s == "0" => Value::Bool(false),
        v => v,
    }
}

fn get_attr(v: Value, name: &str, span: Span) -> Result<Value, Diagnostic> {
    let (v, marked) = v.unmark();
    match v {
        Value::Unknown => Ok(Value::Unknown),
        Value::Redacted(_) => Ok(Value::Unknown.mark_if(true)),
        Value::Map(mut m) => match m.remove(name) {
            Some(x) => Ok(x.mark_if(marked)),
            None => {
                let help = did_you_mean(name, m.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        let mut keys: Vec<&str> = m.keys().map(String::as_str).collect();
                        keys.truncate(12);
                        format!("the object has the attributes: {}", keys.join(", "))
                    });
                Err(err(
                    "E0305",
                    "Unsupported attribute",
                    span,
                    format!("this object has no attribute \"{name}\""),
                )
                .with_help(help))
            }
        },
        Value::Null => Err(err(
            "E0306",
            "Attempt to get attribute from null value",
            span,
            "this value is null",
        )),
        Value::List(_) | Value::Set(_) => Err(err(
            "E0305",
            "Unsupported attribute",
            span,
            format!("a list has no attribute \"{name}\""),
        )
        .with_help("use an index (`[0]`) or a splat (`[*]`) to reach the elements")),
        v => Err(err(
            "E0305",
            "Unsupported attribute",
            span,
            format!("a {} has no attributes", v.type_name()),
        )),
    }
}

fn index(v: Value, i: Value, span: Span) -> Result<Value, Diagnostic> {
    let (v, m1) = v.unmark();
    let (i, m2) = i.unmark();
    let marked = m1 || m2;
    let out = match (v, i) {
        (Value::Unknown, _) | (_, Value::Unknown) => Value::Unknown,
        (Value::List(items), Value::Number(n)) => {
            let at = n
                .to_i64()
                .filter(|i| *i >= 0 && (*i as u64) < items.len() as u64);
            let Some(at) = at else {
                return Err(err(
                    "E0307",
                    "Invalid index",
                    span,
                    format!(
                        "index {} is out of range for a list of {} elements",
                        format_number(&n),
                        items.len()
                    ),
                ));
            };
            items.into_iter().nth(at as usize).unwrap_or(Value::Null)
        }
        (Value::List(items), Value::String(s)) if s.parse::<usize>().is_ok() => {
            let n: usize = s.parse().unwrap_or(0);
            match items.into_iter().nth(n) {
                Some(x) => x,
                None => {
                    return Err(err(
                        "E0307",
                        "Invalid index",
                        span,
                        format!("index {n} is out of range"),
                    ))
                }
            }
        }
        (Value::Map(mut m), key) => {
            let k = match key {
                Value::String(s) => s,
                Value::Number(n) => format_number(&n),
                other => return Err(type_err(span, "a string key", &other)),
            };
            match m.remove(&k) {
                Some(x) => x,
                None => {
                    let help = did_you_mean(&k, m.keys().map(String::as_str))
                        .map(|s| format!("did you mean \"{s}\"?"))
                        .unwrap_or_else(|| {
                            "check the key; `lookup(map, key, default)` gives a fallback"
                                .to_string()
                        });
                    return Err(err(
                        "E0307",
                        "Invalid index",
                        span,
                        format!("the map has no element for the key \"{k}\""),
                    )
                    .with_help(help));
                }
            }
        }
        (Value::Set(_), _) => {
            return Err(err(
                "E0307",
                "Invalid index",
                span,
                "elements of a set cannot be accessed by index",
            )
            .with_help("convert it with `tolist(...)` first"))
        }
        (Value::Null, _) => {
            return Err(err(
                "E0307",
                "Invalid index",
                span,
                "cannot index a null value",
            ))
        }
        (v, _) => return Err(type_err(span, "a list or map to index", &v)),
    };
    Ok(out.mark_if(marked))
}

fn err(
    code: &'static str,
    msg: impl Into<String>,
    span: Span,
    label: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, msg).with_span(span, label)
}

fn type_err(span: Span, expected: &str, got: &Value) -> Diagnostic {
    err(
        "E0308",
        "Incorrect value type",
        span,
        format!("expected {expected}, got {}", got.type_name()),
    )
}

fn undeclared(r: &Reference, what: &str) -> Diagnostic {
    err(
        "E0201",
        format!("Reference to undeclared {what}"),
        r.span_of(if r.root == "data" { 2 } else { 1 }),
        format!("no {what} with this name is declared"),
    )
}
