//! Values that flow through the engine: configuration, planned and applied
//! attribute values, with `Unknown` (known only after apply) and a sensitivity mark.

pub mod addr;
mod json;
mod number;
mod object;
mod sensitive;
pub mod time;
mod types;

use std::collections::BTreeMap;
use std::fmt;

pub use json::{from_json, to_json, JsonOptions, JsonValue};
pub use number::{Number, FLOAT_PREC, INT_PREC, LITERAL_PREC};
pub use object::Object;
pub use sensitive::{fingerprint, new_salt, Fingerprinter, Redaction};
pub use types::{convert, type_of, unify, unify_all, unify_values, Attr, Type};

/// A dynamic value.
///
/// Lists and tuples share `List`; maps and objects share `Map` (keys kept sorted,
/// so every rendering is deterministic). `Set` is kept sorted and without duplicates.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    /// Shared between copies (see `Object`).
    Map(Object),
    /// Known only after apply.
    Unknown,
    /// A value that must never be shown or stored in plaintext.
    Sensitive(Box<Value>),
    /// A sensitive value whose plaintext iac does not hold (read back from state
    /// or a plan file); only its salted fingerprint is known.
    Redacted(String),
}

/// Equality that does not tell a list from a set with the same elements in the
/// same (sorted) order: state and plan files store both as JSON arrays.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a) | Value::Set(a), Value::List(b) | Value::Set(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Sensitive(a), Value::Sensitive(b)) => a == b,
            (Value::Redacted(a), Value::Redacted(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// A number value (`Value::num(3)`, `Value::num(0.5)`).
    pub fn num(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// The number, when this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self.unmarked() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort_by(compare);
        items.dedup();
        Value::Set(items)
    }

    pub fn sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) | Value::Redacted(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// Marks the value sensitive when `yes`.
    pub fn mark_if(self, yes: bool) -> Value {
        if yes {
            self.sensitive()
        } else {
            self
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }

    /// Whether this is its type's zero value: `false`, `0`, `""`, or an empty
    /// list, set or map (what Terraform's plugin SDK cannot tell from unset).
    pub fn is_zero(&self) -> bool {
        match self.unmarked() {
            Value::Bool(b) => !b,
            Value::Number(n) => n.is_zero(),
            Value::String(s) => s.is_empty(),
            Value::List(l) | Value::Set(l) => l.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    /// Whether the top-level value carries the sensitive mark.
    pub fn is_marked(&self) -> bool {
        matches!(self, Value::Sensitive(_) | Value::Redacted(_))
    }

    /// The value without its top-level mark.
    /// The same value in the same form: unlike `==`, a list is not a set, a
    /// mark must be the same mark, and a number must have been made at the same
    /// precision. What may stand in for the other without anyone seeing a
    /// difference.
    pub fn identical(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a.identical(b),
            (Value::String(a), Value::String(b)) | (Value::Redacted(a), Value::Redacted(b)) => {
                a == b
            }
            (Value::List(a), Value::List(b)) | (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.identical(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.same_map(b)
                    || (a.len() == b.len()
                        && a.iter()
                            .zip(b.iter())
                            .all(|((k, x), (l, y))| k == l && x.identical(y)))
            }
            (Value::Sensitive(a), Value::Sensitive(b)) => a.identical(b),
            _ => false,
        }
    }

    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.unmarked(),
            v => v,
        }
    }

    /// Splits off the top-level mark.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v @ Value::Redacted(_) => (v, true),
            v => (v, false),
        }
    }

    /// Removes every mark, deep.
    pub fn unmark_deep(self) -> (Value, bool) {
        let mut marked = false;
        let v = self.map_deep(&mut |v| match v {
            Value::Sensitive(inner) => {
                marked = true;
                *inner
            }
            Value::Redacted(fp) => {
                marked = true;
                Value::Redacted(fp)
            }
            v => v,
        });
        (v, marked)
    }

    fn map_deep(self, f: &mut impl FnMut(Value) -> Value) -> Value {
        let v = f(self);
        match v {
            Value::List(items) => Value::List(items.into_iter().map(|i| i.map_deep(f)).collect()),
            Value::Set(items) => Value::Set(items.into_iter().map(|i| i.map_deep(f)).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, i)| (k, i.map_deep(f))).collect()),
            Value::Sensitive(inner) => Value::Sensitive(Box::new(inner.map_deep(f))),
            v => v,
        }
    }

    /// Whether any part of the value is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) | Value::Redacted(_) => true,
            Value::List(items) | Value::Set(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Whether any part of the value is a secret whose plaintext iac does not hold.
    pub fn contains_redacted(&self) -> bool {
        match self {
            Value::Redacted(_) => true,
            Value::Sensitive(v) => v.contains_redacted(),
            Value::List(items) | Value::Set(items) => items.iter().any(Value::contains_redacted),
            Value::Map(m) => m.values().any(Value::contains_redacted),
            _ => false,
        }
    }

    /// Whether no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(v) => v.is_wholly_known(),
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.unmarked() {
            Value::Number(n) => Some(n.to_f64()),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unmarked() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Elements of a list or set.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(v) | Value::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Attribute of an object, `Null` when absent.
    /// The value at a path (`Null` where there is none).
    pub fn at_path(&self, path: &[PathStep]) -> &Value {
        path.iter().fold(self, |v, step| match step {
            PathStep::Key(k) => v.get_attr(k),
            PathStep::Index(i) => v.as_list().and_then(|l| l.get(*i)).unwrap_or(&Value::Null),
        })
    }

    pub fn get_attr(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.as_map().and_then(|m| m.get(name)).unwrap_or(&NULL)
    }

    /// Short name of the value's kind, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.unmarked() {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Redacted(_) => "sensitive value",
            Value::Sensitive(_) => "sensitive value",
        }
    }

    /// Replaces every known leaf with `Unknown` where `f` says so; used to compute `after_unknown`.
    pub fn unknown_paths(&self) -> Vec<Vec<PathStep>> {
        let mut out = Vec::new();
        fn walk(v: &Value, path: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
            match v {
                Value::Unknown => out.push(path.clone()),
                Value::Sensitive(inner) => walk(inner, path, out),
                Value::List(items) | Value::Set(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(PathStep::Index(i));
                        walk(item, path, out);
                        path.pop();
                    }
                }
                Value::Map(m) => {
                    for (k, item) in m {
                        path.push(PathStep::Key(k.clone()));
                        walk(item, path, out);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        walk(self, &mut Vec::new(), &mut out);
        out
    }
}

/// A step in a path to a nested attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// A path to a nested attribute, `tags["env"]`, `root_block_device[0].size`.
pub type Path = Vec<PathStep>;

pub fn path_to_string(path: &[PathStep]) -> String {
    let mut s = String::new();
    for (i, step) in path.iter().enumerate() {
        match step {
            PathStep::Key(k) if i == 0 => s.push_str(k),
            PathStep::Key(k) if is_ident(k) => {
                s.push('.');
                s.push_str(k)
            }
            PathStep::Key(k) => s.push_str(&format!("[{k:?}]")),
            PathStep::Index(n) => s.push_str(&format!("[{n}]")),
        }
    }
    s
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// A total order on values, used for sets and sorting.
pub fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    // Null after every known value, as Terraform orders a set's elements.
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Set(_) => 5,
            Value::Map(_) => 6,
            Value::Null => 7,
            Value::Unknown => 8,
            Value::Sensitive(_) => 9,
            Value::Redacted(_) => 10,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.compare(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) | (Value::Set(x), Value::Set(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = compare(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                let o = k1.cmp(k2).then_with(|| compare(v1, v2));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Sensitive(x), Value::Sensitive(y)) => compare(x, y),
        (Value::Redacted(x), Value::Redacted(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// A number as Terraform writes it (`Number`'s `Display`).
pub fn format_number(n: &Number) -> String {
    n.to_string()
}

/// Renders a value in HCL-like syntax, hiding sensitive parts.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{}", quote(s)),
            Value::List(items) | Value::Set(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if is_ident(k) {
                        write!(f, "{k} = {v}")?;
                    } else {
                        write!(f, "{} = {v}", quote(k))?;
                    }
                }
                f.write_str("}")
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) | Value::Redacted(_) => f.write_str("(sensitive value)"),
        }
    }
}

/// Quotes a string with HCL escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_hides_sensitive_and_unknown() {
        let v = Value::map([
            ("a", Value::string("x")),
            ("b", Value::string("secret").sensitive()),
            ("c", Value::Unknown),
            ("d", Value::num(3.0)),
        ]);
        assert_eq!(
            v.to_string(),
            "{a = \"x\", b = (sensitive value), c = (known after apply), d = 3}"
        );
    }

    #[test]
    fn zero_values_are_each_types_empty_one() {
        for zero in [
            Value::Bool(false),
            Value::num(0.0),
            Value::string(""),
            Value::List(vec![]),
            Value::set(vec![]),
            Value::map::<&str>([]),
            Value::string("").sensitive(),
        ] {
            assert!(zero.is_zero(), "{zero:?}");
        }
        for not in [
            Value::Null,
            Value::Unknown,
            Value::Bool(true),
            Value::num(0.5),
            Value::string("0"),
            Value::List(vec![Value::Null]),
        ] {
            assert!(!not.is_zero(), "{not:?}");
        }
    }

    #[test]
    fn a_set_equals_the_list_it_is_stored_as() {
        let set = Value::set(vec![Value::string("b"), Value::string("a")]);
        let stored = from_json(&to_json(&set, &JsonOptions::Omit));
        assert!(matches!(stored, Value::List(_)));
        assert_eq!(set, stored);
        assert_ne!(
            set,
            Value::List(vec![Value::string("b"), Value::string("a")])
        );
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("b"),
        ]);
        assert_eq!(s, Value::Set(vec![Value::string("a"), Value::string("b")]));
    }

    #[test]
    fn paths_render_like_hcl() {
        let p = vec![
            PathStep::Key("tags".into()),
            PathStep::Key("my key".into()),
            PathStep::Index(2),
            PathStep::Key("x".into()),
        ];
        assert_eq!(path_to_string(&p), "tags[\"my key\"][2].x");
    }

    #[test]
    fn known_and_sensitive_are_found_deep() {
        let v = Value::List(vec![Value::num(1.0), Value::Unknown]);
        assert!(!v.is_wholly_known());
        assert_eq!(v.unknown_paths(), vec![vec![PathStep::Index(1)]]);
        let s = Value::List(vec![Value::string("a").sensitive()]);
        assert!(s.contains_sensitive());
        assert!(!s.is_marked());
    }
}
