//! The function library. Each function takes plain values; marks and unknowns
//! are handled once in [`call`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use base64::Engine as _;
use iac_value::{format_number, Number, Value};

use format::format;

mod format;
mod gzip;
mod more;
mod text;
mod time;

pub struct CallContext<'a> {
    pub base_dir: &'a Path,
    pub fingerprinter: Option<&'a iac_value::Fingerprinter>,
}

pub struct FnError {
    /// The argument at fault, when there is one.
    pub arg: Option<usize>,
    pub message: String,
}

pub(super) type R = Result<Value, FnError>;
type Impl = fn(&[Value], &CallContext) -> R;

/// How a function treats unknown arguments.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Unknowns {
    /// Any unknown part of any argument makes the result unknown.
    Deep,
    /// Only wholly unknown arguments make the result unknown (collections may hold unknowns).
    Shallow,
}

pub struct Function {
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    unknowns: Unknowns,
    imp: Impl,
}

macro_rules! f {
    ($name:literal, $min:expr, $max:expr, $u:ident, $imp:expr) => {
        Function {
            name: $name,
            min_args: $min,
            max_args: $max,
            unknowns: Unknowns::$u,
            imp: $imp,
        }
    };
}

pub(super) const MANY: Option<usize> = None;

static FUNCTIONS: &[Function] = &[
    f!("abs", 1, Some(1), Deep, |a, _| Ok(Value::Number(
        number(a, 0)?.abs()
    ))),
    f!("base64decode", 1, Some(1), Deep, base64decode),
    f!("base64encode", 1, Some(1), Deep, |a, _| {
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(string(a, 0)?),
        ))
    }),
    f!("ceil", 1, Some(1), Deep, |a, _| Ok(Value::Number(
        number(a, 0)?.ceil()
    ))),
    f!("cidrhost", 2, Some(2), Deep, cidrhost),
    f!("cidrsubnet", 3, Some(3), Deep, cidrsubnet),
    f!("coalesce", 1, MANY, Deep, coalesce),
    f!("compact", 1, Some(1), Deep, |a, _| {
        Ok(Value::List(
            list(a, 0)?
                .iter()
                .filter(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
                .cloned()
                .collect(),
        ))
    }),
    f!("concat", 0, MANY, Shallow, |a, _| {
        let mut out = Vec::new();
        for i in 0..a.len() {
            out.extend(list(a, i)?.iter().cloned());
        }
        Ok(Value::List(out))
    }),
    f!("contains", 2, Some(2), Deep, |a, _| {
        Ok(Value::Bool(
            list(a, 0)?
                .iter()
                .any(|v| crate::eval::values_equal(v, &a[1])),
        ))
    }),
    f!("distinct", 1, Some(1), Deep, |a, _| {
        let mut out: Vec<Value> = Vec::new();
        for v in list(a, 0)? {
            if !out.iter().any(|o| crate::eval::values_equal(o, v)) {
                out.push(v.clone());
            }
        }
        Ok(Value::List(out))
    }),
    f!("element", 2, Some(2), Shallow, |a, _| {
        let l = list(a, 0)?;
        if l.is_empty() {
            return Err(arg_err(0, "cannot use element on an empty list"));
        }
        let i = index_arg(a, 1)?;
        Ok(l[i % l.len()].clone())
    }),
    f!("endswith", 2, Some(2), Deep, |a, _| Ok(Value::Bool(
        string(a, 0)?.ends_with(string(a, 1)?)
    ))),
    f!("file", 1, Some(1), Deep, |a, ctx| {
        let path = resolve(ctx, string(a, 0)?);
        std::fs::read_to_string(&path)
            .map(Value::String)
            .map_err(|e| arg_err(0, format!("cannot read {}: {e}", path.display())))
    }),
    f!("flatten", 1, Some(1), Shallow, |a, _| {
        fn flat(items: &[Value], out: &mut Vec<Value>) {
            for v in items {
                match v {
                    Value::List(inner) | Value::Set(inner) => flat(inner, out),
                    v => out.push(v.clone()),
                }
            }
        }
        let mut out = Vec::new();
        flat(list(a, 0)?, &mut out);
        Ok(Value::List(out))
    }),
    f!("floor", 1, Some(1), Deep, |a, _| Ok(Value::Number(
        number(a, 0)?.floor()
    ))),
    f!("format", 1, MANY, Deep, |a, _| Ok(format(
        string(a, 0)?,
        &a[1..]
    )?
    .map_or(Value::Null, Value::String))),
    f!("formatlist", 1, MANY, Deep, formatlist),
    f!("join", 2, MANY, Deep, |a, _| {
        let sep = string(a, 0)?;
        let mut items = Vec::new();
        for i in 1..a.len() {
            items.extend(list(a, i)?.iter());
        }
        let parts = items
            .into_iter()
            .map(|v| {
                to_string(v).ok_or_else(|| {
                    arg_err(
                        1,
                        format!(
                            "a list of strings is required, got an element of type {}",
                            v.type_name()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::String(parts.join(sep)))
    }),
    f!("jsondecode", 1, Some(1), Deep, |a, _| {
        let v: serde_json::Value = serde_json::from_str(string(a, 0)?)
            .map_err(|e| arg_err(0, format!("invalid JSON: {e}")))?;
        Ok(iac_value::from_json(&v))
    }),
    f!("jsonencode", 1, Some(1), Deep, |a, _| {
        Ok(Value::String(format::json_text(&a[0])))
    }),
    f!("keys", 1, Some(1), Shallow, |a, _| {
        Ok(Value::List(
            map(a, 0)?
                .keys()
                .map(|k| Value::String(k.clone()))
                .collect(),
        ))
    }),
    f!("length", 1, Some(1), Shallow, |a, _| {
        let n = match &a[0] {
            Value::String(s) => text::unicode::graphemes(s).len(),
            Value::List(v) | Value::Set(v) => v.len(),
            Value::Map(m) => m.len(),
            v => {
                return Err(arg_err(
                    0,
                    format!("a collection or string is required, got {}", v.type_name()),
                ))
            }
        };
        Ok(Value::num(n as f64))
    }),
    f!("lookup", 2, Some(3), Shallow, |a, _| {
        let m = map(a, 0)?;
        match m.get(string(a, 1)?) {
            Some(v) => Ok(v.clone()),
            None => a.get(2).cloned().ok_or_else(|| {
                arg_err(
                    1,
                    format!(
                        "the map has no element for the key \"{}\" and no default was given",
                        string(a, 1).unwrap_or_default()
                    ),
                )
            }),
        }
    }),
    f!("lower", 1, Some(1), Deep, |a, _| Ok(Value::String(
        text::unicode::lower(string(a, 0)?)
    ))),
    f!("max", 1, MANY, Deep, |a, _| min_max(a, true)),
    f!("md5", 1, Some(1), Deep, |a, _| {
        use md5::Digest;
        Ok(Value::String(hex(&md5::Md5::digest(
            string(a, 0)?.as_bytes(),
        ))))
    }),
    f!("merge", 0, MANY, Shallow, |a, _| {
        let mut out = BTreeMap::new();
        for i in 0..a.len() {
            if a[i].is_null() {
                continue;
            }
            for (k, v) in map(a, i)? {
                out.insert(k.clone(), v.clone());
            }
        }
        Ok(Value::Map(out.into()))
    }),
    f!("min", 1, MANY, Deep, |a, _| min_max(a, false)),
    f!("one", 1, Some(1), Shallow, |a, _| {
        let l = list(a, 0)?;
        match l.len() {
            0 => Ok(Value::Null),
            1 => Ok(l[0].clone()),
            n => Err(arg_err(
                0,
                format!("must be a list, set or tuple with one or zero elements, got {n}"),
            )),
        }
    }),
    f!("range", 1, Some(3), Deep, range),
    f!("regex", 2, Some(2), Deep, regex_fn),
    f!("replace", 3, Some(3), Deep, |a, _| {
        let (s, from, to) = (string(a, 0)?, string(a, 1)?, string(a, 2)?);
        if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
            let re = regex::Regex::new(&from[1..from.len() - 1])
                .map_err(|e| arg_err(1, format!("invalid regular expression: {e}")))?;
            Ok(Value::String(re.replace_all(s, to).into_owned()))
        } else {
            Ok(Value::String(s.replace(from, to)))
        }
    }),
    f!("reverse", 1, Some(1), Shallow, |a, _| {
        Ok(Value::List(list(a, 0)?.iter().rev().cloned().collect()))
    }),
    f!("sha256", 1, Some(1), Deep, |a, _| {
        use sha2::Digest;
        Ok(Value::String(hex(&sha2::Sha256::digest(
            string(a, 0)?.as_bytes(),
        ))))
    }),
    f!("slice", 3, Some(3), Shallow, |a, _| {
        let l = list(a, 0)?;
        let (s, e) = (index_arg(a, 1)?, index_arg(a, 2)?);
        if s > e || e > l.len() {
            return Err(arg_err(
                2,
                format!(
                    "slice bounds [{s}, {e}) are out of range for a list of {} elements",
                    l.len()
                ),
            ));
        }
        Ok(Value::List(l[s..e].to_vec()))
    }),
    f!("sort", 1, Some(1), Deep, |a, _| {
        let mut l: Vec<String> = list(a, 0)?
            .iter()
            .map(|v| to_string(v).ok_or_else(|| arg_err(0, "a list of strings is required")))
            .collect::<Result<_, _>>()?;
        l.sort();
        Ok(Value::List(l.into_iter().map(Value::String).collect()))
    }),
    f!("split", 2, Some(2), Deep, |a, _| {
        let (sep, s) = (string(a, 0)?, string(a, 1)?);
        if sep.is_empty() {
            // Go's strings.Split: one element per character, none for "".
            return Ok(Value::List(
                s.chars().map(|c| Value::String(c.to_string())).collect(),
            ));
        }
        if s.is_empty() {
            return Ok(Value::List(vec![Value::String(String::new())]));
        }
        Ok(Value::List(
            s.split(sep).map(|p| Value::String(p.to_string())).collect(),
        ))
    }),
    f!("startswith", 2, Some(2), Deep, |a, _| Ok(Value::Bool(
        string(a, 0)?.starts_with(string(a, 1)?)
    ))),
    f!("substr", 3, Some(3), Deep, |a, _| {
        // By grapheme cluster; an offset past the end gives "", as Terraform's does.
        let chars = text::unicode::graphemes(string(a, 0)?);
        let len = chars.len() as i64;
        let mut off = num(a, 1)? as i64;
        let n = num(a, 2)? as i64;
        if off < 0 {
            off += len;
        }
        if off < 0 {
            return Err(arg_err(1, "offset is out of range"));
        }
        if off >= len {
            return Ok(Value::String(String::new()));
        }
        let end = if n < 0 { len } else { (off + n).min(len) };
        Ok(Value::String(chars[off as usize..end as usize].concat()))
    }),
    f!("sum", 1, Some(1), Deep, |a, _| {
        let l = list(a, 0)?;
        if l.is_empty() {
            return Err(arg_err(0, "cannot sum an empty list"));
        }
        let mut total: Option<Number> = None;
        for v in l {
            // Numeric strings count as their numbers, as Terraform converts them.
            let n = match v.unmarked() {
                Value::Number(n) => Some(n.clone()),
                Value::String(s) => Number::parse(s),
                _ => None,
            }
            .ok_or_else(|| arg_err(0, "a list of numbers is required"))?;
            total = Some(match total {
                None => n,
                Some(t) => t
                    .add(&n)
                    .ok_or_else(|| arg_err(0, "cannot sum opposite infinities"))?,
            });
        }
        Ok(total.map(Value::Number).unwrap_or(Value::Null))
    }),
    f!("templatefile", 2, Some(2), Deep, templatefile),
    f!("tolist", 1, Some(1), Shallow, |a, _| {
        if matches!(a[0], Value::Null) {
            return Ok(Value::Null);
        }
        Ok(Value::List(of_one_type(list(a, 0)?.to_vec(), 0, "list")?))
    }),
    f!("tomap", 1, Some(1), Shallow, |a, _| {
        if matches!(a[0], Value::Null) {
            return Ok(Value::Null);
        }
        let m = map(a, 0)?;
        let values = of_one_type(m.values().cloned().collect(), 0, "map")?;
        Ok(Value::Map(m.keys().cloned().zip(values).collect()))
    }),
    f!("tonumber", 1, Some(1), Deep, |a, _| match &a[0] {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n.clone())),
        Value::String(s) => Number::parse(s)
            .filter(|n| !n.is_infinite())
            .map(Value::Number)
            .ok_or_else(|| arg_err(0, format!("cannot convert \"{s}\" to a number"))),
        v => Err(arg_err(
            0,
            format!("cannot convert a {} to a number", v.type_name())
        )),
    }),
    f!("toset", 1, Some(1), Deep, |a, _| {
        if matches!(a[0], Value::Null) {
            return Ok(Value::Null);
        }
        Ok(Value::set(of_one_type(list(a, 0)?.to_vec(), 0, "set")?))
    }),
    f!("tostring", 1, Some(1), Deep, |a, _| match &a[0] {
        Value::Null => Ok(Value::Null),
        v => to_string(v)
            .map(Value::String)
            .ok_or_else(|| arg_err(0, format!("cannot convert a {} to a string", v.type_name()))),
    }),
    f!("trimspace", 1, Some(1), Deep, |a, _| Ok(Value::String(
        string(a, 0)?.trim().to_string()
    ))),
    f!("upper", 1, Some(1), Deep, |a, _| Ok(Value::String(
        text::unicode::upper(string(a, 0)?)
    ))),
    f!("values", 1, Some(1), Shallow, |a, _| Ok(Value::List(
        map(a, 0)?.values().cloned().collect()
    ))),
    f!("yamlencode", 1, Some(1), Deep, |a, _| {
        let mut out = String::new();
        yaml_block(&a[0], 0, &mut out, false);
        // A plain scalar alone in a document is followed by the document end
        // marker, as Terraform's YAML encoder writes it.
        if matches!(a[0], Value::Number(_) | Value::Bool(_) | Value::Null) {
            out.push_str("...\n");
        }
        Ok(Value::String(out))
    }),
    f!("zipmap", 2, Some(2), Shallow, |a, _| {
        let (k, v) = (list(a, 0)?, list(a, 1)?);
        if k.len() != v.len() {
            return Err(arg_err(
                1,
                format!("{} keys but {} values", k.len(), v.len()),
            ));
        }
        let mut out = BTreeMap::new();
        for (k, v) in k.iter().zip(v) {
            let key = to_string(k).ok_or_else(|| arg_err(0, "keys must be strings"))?;
            out.insert(key, v.clone());
        }
        Ok(Value::Map(out.into()))
    }),
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    all().find(|f| f.name == name)
}

/// Terraform functions iac does not offer, with why.
pub fn not_supported(name: &str) -> Option<&'static str> {
    match name {
        "rsadecrypt" => Some("`rsadecrypt` is not supported by iac: it decrypts a Windows password with a private key given in the configuration, which would put that key and the password in plaintext where iac never keeps secrets; read the password with the AWS CLI or Systems Manager instead"),
        "type" => Some("`type` is only for Terraform's interactive console; use it there"),
        "list" | "map" => Some("`list()` and `map()` were removed in Terraform 0.12; write [ ... ] or { ... }, or use tolist/tomap"),
        _ => None,
    }
}

fn all() -> impl Iterator<Item = &'static Function> {
    FUNCTIONS
        .iter()
        .chain(more::MORE)
        .chain(time::TIME)
        .chain(text::TEXT)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    all().map(|f| f.name).chain(["try", "can"])
}

/// Functions that move values around without looking into them.
const STRUCTURAL: &[&str] = &[
    "coalesce", "concat", "element", "flatten", "keys", "length", "lookup", "merge", "one",
    "reverse", "slice", "tolist", "tomap", "toset", "values", "zipmap",
];

/// Calls a function: checks arity, propagates unknowns and sensitivity.
pub fn call(f: &Function, args: &[Value], ctx: &CallContext) -> Result<Value, FnError> {
    if args.len() < f.min_args || f.max_args.is_some_and(|m| args.len() > m) {
        let expected = match f.max_args {
            Some(m) if m == f.min_args => format!("{m}"),
            Some(m) => format!("{} to {m}", f.min_args),
            None => format!("at least {}", f.min_args),
        };
        return Err(FnError {
            arg: None,
            message: format!(
                "`{}` takes {expected} argument(s), got {}",
                f.name,
                args.len()
            ),
        });
    }
    // The functions about sensitivity itself work on the marks.
    match f.name {
        "sensitive" => return Ok(args[0].clone().mark_if(true)),
        "nonsensitive" => return Ok(args[0].clone().unmark_deep().0),
        "issensitive" => return Ok(Value::Bool(args[0].contains_sensitive())),
        _ => {}
    }
    let sensitive = args.iter().any(Value::contains_sensitive);
    let unknown = match f.unknowns {
        Unknowns::Deep => args.iter().any(|a| !a.is_wholly_known()),
        Unknowns::Shallow => args.iter().any(Value::is_unknown),
    };
    if unknown {
        return Ok(Value::Unknown.mark_if(sensitive));
    }
    if f.name == "tostring" && args.first().is_some_and(|a| a.unmarked().is_marked()) {
        return Ok(args[0].clone());
    }
    // Functions that only rearrange collections carry a redacted element through
    // as it is; any other function needs the plaintext.
    let structural = STRUCTURAL.contains(&f.name)
        && !args
            .iter()
            .any(|a| matches!(a.unmarked(), Value::Redacted(_)));
    if !structural && args.iter().any(Value::contains_redacted) {
        // A secret's plaintext is not held here, so the result cannot be computed;
        // its derivation tells a later plan whether it changed.
        return Ok(match ctx.fingerprinter {
            Some(fp) => fp.derive(f.name, args),
            None => Value::Unknown.mark_if(true),
        });
    }
    let plain: Vec<Value> = if sensitive {
        args.iter().map(|a| a.clone().unmark_deep().0).collect()
    } else {
        args.to_vec()
    };
    (f.imp)(&plain, ctx).map(|v| v.mark_if(sensitive))
}

pub(super) fn arg_err(arg: usize, message: impl Into<String>) -> FnError {
    FnError {
        arg: Some(arg),
        message: message.into(),
    }
}

pub(super) fn string(a: &[Value], i: usize) -> Result<&str, FnError> {
    match &a[i] {
        Value::String(s) => Ok(s),
        v => Err(arg_err(
            i,
            format!("a string is required, got {}", v.type_name()),
        )),
    }
}

/// A number argument, exactly (strings of digits convert, as in Terraform).
pub(super) fn number(a: &[Value], i: usize) -> Result<Number, FnError> {
    match &a[i] {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => {
            Number::parse(s).ok_or_else(|| arg_err(i, format!("a number is required, got \"{s}\"")))
        }
        v => Err(arg_err(
            i,
            format!("a number is required, got {}", v.type_name()),
        )),
    }
}

/// A number argument as the nearest float, for functions Terraform computes
/// in floats or in machine integers.
pub(super) fn num(a: &[Value], i: usize) -> Result<f64, FnError> {
    number(a, i).map(|n| n.to_f64())
}

pub(super) fn index_arg(a: &[Value], i: usize) -> Result<usize, FnError> {
    let n = number(a, i)?;
    match n.to_i64() {
        Some(v) if v >= 0 => Ok(v as usize),
        _ => Err(arg_err(
            i,
            format!(
                "a non-negative whole number is required, got {}",
                format_number(&n)
            ),
        )),
    }
}

pub(super) fn list(a: &[Value], i: usize) -> Result<&[Value], FnError> {
    match &a[i] {
        Value::List(v) | Value::Set(v) => Ok(v),
        v => Err(arg_err(
            i,
            format!("a list is required, got {}", v.type_name()),
        )),
    }
}

pub(super) fn map(a: &[Value], i: usize) -> Result<&BTreeMap<String, Value>, FnError> {
    match &a[i] {
        Value::Map(m) => Ok(m),
        v => Err(arg_err(
            i,
            format!("a map or object is required, got {}", v.type_name()),
        )),
    }
}

pub(super) fn to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A path a file function reads: `~/` is the home directory (Terraform's
/// file functions expand it), a relative path is from the module's directory.
pub(super) fn resolve(ctx: &CallContext, p: &str) -> std::path::PathBuf {
    if let (Some(rest), Ok(home)) = (
        p.strip_prefix("~/").or((p == "~").then_some("")),
        std::env::var("HOME"),
    ) {
        return Path::new(&home).join(rest);
    }
    let path = Path::new(p);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        ctx.base_dir.join(path)
    }
}

/// YAML in the style Terraform's `yamlencode` writes: quoted keys and strings,
/// block literals for multi-line strings, `{}` and `[]` for empty collections.
fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(n),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::Map(_) => "{}".into(),
        Value::List(_) | Value::Set(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn yaml_multiline(s: &str, indent: usize, out: &mut String) {
    out.push_str(if s.ends_with('\n') { "|\n" } else { "|-\n" });
    for line in s.trim_end_matches('\n').split('\n') {
        out.push_str(&" ".repeat(indent));
        out.push_str(line);
        out.push('\n');
    }
}

fn yaml_block(v: &Value, indent: usize, out: &mut String, first_inline: bool) {
    let pad = |i: usize, out: &mut String| {
        if !(i == 0 && first_inline) {
            out.push_str(&" ".repeat(indent));
        }
    };
    match v {
        Value::Map(m) if !m.is_empty() => {
            for (i, (k, val)) in m.iter().enumerate() {
                pad(i, out);
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                match val {
                    Value::Map(inner) if !inner.is_empty() => {
                        out.push('\n');
                        yaml_block(val, indent + 2, out, false);
                    }
                    Value::List(inner) | Value::Set(inner) if !inner.is_empty() => {
                        out.push('\n');
                        yaml_block(val, indent, out, false);
                    }
                    Value::String(s) if s.contains('\n') => {
                        out.push(' ');
                        yaml_multiline(s, indent + 2, out);
                    }
                    scalar => {
                        out.push(' ');
                        out.push_str(&yaml_scalar(scalar));
                        out.push('\n');
                    }
                }
            }
        }
        Value::List(items) | Value::Set(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                pad(i, out);
                out.push_str("- ");
                match item {
                    Value::Map(m) if !m.is_empty() => yaml_block(item, indent + 2, out, true),
                    Value::List(l) | Value::Set(l) if !l.is_empty() => {
                        yaml_block(item, indent + 2, out, true)
                    }
                    Value::String(s) if s.contains('\n') => yaml_multiline(s, indent + 2, out),
                    scalar => {
                        out.push_str(&yaml_scalar(scalar));
                        out.push('\n');
                    }
                }
            }
        }
        Value::String(s) if s.contains('\n') => yaml_multiline(s, indent + 2, out),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn base64decode(a: &[Value], _: &CallContext) -> R {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(string(a, 0)?)
        .map_err(|e| arg_err(0, format!("invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| arg_err(0, "the decoded bytes are not valid UTF-8"))
}

/// Elements converted to the one type they unify to (a list, set or map has
/// one element type): `[1, "a"]` becomes `["1", "a"]`.
pub(super) fn of_one_type(
    items: Vec<Value>,
    arg: usize,
    what: &str,
) -> Result<Vec<Value>, FnError> {
    iac_value::unify_values(items).ok_or_else(|| {
        arg_err(
            arg,
            format!("the elements have no common type, so they cannot be a {what}"),
        )
    })
}

fn coalesce(a: &[Value], _: &CallContext) -> R {
    // The arguments are converted to one type first (`coalesce(1, "a")` is "1").
    let a = of_one_type(a.to_vec(), 0, "single result")?;
    a.iter()
        .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .cloned()
        .ok_or_else(|| FnError {
            arg: None,
            message: "no non-null, non-empty argument".into(),
        })
}

fn min_max(a: &[Value], max: bool) -> R {
    let mut best: Option<Number> = None;
    for i in 0..a.len() {
        let n = number(a, i)?;
        best = Some(match best {
            None => n,
            Some(b) if max && n.compare(&b).is_gt() => n,
            Some(b) if !max && n.compare(&b).is_lt() => n,
            Some(b) => b,
        });
    }
    Ok(best.map(Value::Number).unwrap_or_else(|| Value::num(0)))
}

fn range(a: &[Value], _: &CallContext) -> R {
    let (start, limit, step) = match a.len() {
        1 => (0.0, num(a, 0)?, 1.0),
        2 => (num(a, 0)?, num(a, 1)?, 1.0),
        _ => (num(a, 0)?, num(a, 1)?, num(a, 2)?),
    };
    let step = if a.len() < 3 && limit < start {
        -1.0
    } else {
        step
    };
    if step == 0.0 {
        return Err(arg_err(2, "step must not be zero"));
    }
    let count = ((limit - start) / step).ceil();
    // Terraform's limit: a larger range is almost always a mistake.
    if count > 1024.0 {
        return Err(arg_err(
            0,
            "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
        ));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < limit) || (step < 0.0 && x > limit) {
        out.push(Value::num(x));
        x += step;
    }
    Ok(Value::List(out))
}

fn regex_fn(a: &[Value], _: &CallContext) -> R {
    let re = regex::Regex::new(string(a, 0)?)
        .map_err(|e| arg_err(0, format!("invalid regular expression: {e}")))?;
    let s = string(a, 1)?;
    let caps = re
        .captures(s)
        .ok_or_else(|| arg_err(1, "pattern did not match any part of the given string"))?;
    let names: Vec<Option<&str>> = re.capture_names().collect();
    if names.iter().skip(1).any(Option::is_some) {
        let mut m = BTreeMap::new();
        for n in names.iter().flatten() {
            m.insert(
                n.to_string(),
                caps.name(n)
                    .map(|c| Value::String(c.as_str().into()))
                    .unwrap_or(Value::Null),
            );
        }
        return Ok(Value::Map(m.into()));
    }
    if caps.len() == 1 {
        return Ok(Value::String(caps[0].to_string()));
    }
    Ok(Value::List(
        (1..caps.len())
            .map(|i| {
                caps.get(i)
                    .map(|c| Value::String(c.as_str().into()))
                    .unwrap_or(Value::Null)
            })
            .collect(),
    ))
}

fn formatlist(a: &[Value], _: &CallContext) -> R {
    let spec = string(a, 0)?;
    let mut n: Option<usize> = None;
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Value::List(l) = v {
            match n {
                Some(m) if m != l.len() => {
                    return Err(arg_err(
                        i,
                        format!("all lists must have the same length ({m}), got {}", l.len()),
                    ))
                }
                _ => n = Some(l.len()),
            }
        }
    }
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = a[1..]
            .iter()
            .map(|v| match v {
                Value::List(l) => l[i].clone(),
                v => v.clone(),
            })
            .collect();
        out.push(format(spec, &row)?.map_or(Value::Null, Value::String));
    }
    Ok(Value::List(out))
}

fn templatefile(a: &[Value], ctx: &CallContext) -> R {
    let path = resolve(ctx, string(a, 0)?);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| arg_err(0, format!("cannot read {}: {e}", path.display())))?;
    let vars = map(a, 1)?;
    let expr =
        iac_syntax::parse_template(iac_diagnostics::FileId(u32::MAX), &text).map_err(|d| {
            arg_err(
                0,
                format!(
                    "{} in {}: {}",
                    d.message,
                    path.display(),
                    d.primary.map(|l| l.message).unwrap_or_default()
                ),
            )
        })?;
    let mut ectx = crate::EvalContext::new(
        &crate::EmptyNamespace,
        ctx.base_dir.to_path_buf(),
        ctx.base_dir.to_path_buf(),
    );
    for (k, v) in vars {
        ectx.locals.push((k.clone(), v.clone()));
    }
    match ectx.eval(&expr) {
        Ok(v) => Ok(v),
        Err(d) => Err(arg_err(
            0,
            format!(
                "in {}: {} ({})",
                path.display(),
                d.message,
                d.primary.map(|l| l.message).unwrap_or_default()
            ),
        )),
    }
}

fn parse_cidr(s: &str) -> Result<(u128, u32, bool), String> {
    let (ip, len) = s
        .split_once('/')
        .ok_or_else(|| format!("\"{s}\" is not a CIDR prefix"))?;
    let len: u32 = len
        .parse()
        .map_err(|_| format!("invalid prefix length in \"{s}\""))?;
    if let Ok(v4) = ip.parse::<Ipv4Addr>() {
        if len > 32 {
            return Err(format!("prefix length {len} is longer than 32"));
        }
        return Ok((u32::from(v4) as u128, len, false));
    }
    if let Ok(v6) = ip.parse::<Ipv6Addr>() {
        if len > 128 {
            return Err(format!("prefix length {len} is longer than 128"));
        }
        return Ok((u128::from(v6), len, true));
    }
    Err(format!("\"{ip}\" is not an IP address"))
}

fn fmt_ip(addr: u128, v6: bool) -> String {
    if v6 {
        Ipv6Addr::from(addr).to_string()
    } else {
        Ipv4Addr::from(addr as u32).to_string()
    }
}

fn mask(bits: u32, len: u32) -> u128 {
    if len == 0 {
        0
    } else {
        (u128::MAX << (128 - len)) >> (128 - bits)
    }
}

fn cidrsubnet(a: &[Value], _: &CallContext) -> R {
    let (addr, len, v6) = parse_cidr(string(a, 0)?).map_err(|e| arg_err(0, e))?;
    let bits = if v6 { 128 } else { 32 };
    let newbits = num(a, 1)? as u32;
    let netnum = num(a, 2)? as u128;
    let newlen = len + newbits;
    if newlen > bits {
        return Err(arg_err(
            1,
            format!("prefix extended by {newbits} bits is longer than {bits}"),
        ));
    }
    if newbits < 128 && netnum >= (1u128 << newbits) {
        return Err(arg_err(
            2,
            format!("network number {netnum} does not fit in {newbits} bits"),
        ));
    }
    let base = addr & mask(bits, len);
    let shifted = if bits - newlen >= 128 {
        0
    } else {
        netnum << (bits - newlen)
    };
    Ok(Value::String(format!(
        "{}/{newlen}",
        fmt_ip(base | shifted, v6)
    )))
}

fn cidrhost(a: &[Value], _: &CallContext) -> R {
    let (addr, len, v6) = parse_cidr(string(a, 0)?).map_err(|e| arg_err(0, e))?;
    let bits = if v6 { 128 } else { 32 };
    let host = num(a, 1)? as i128;
    let size: i128 = if bits - len >= 127 {
        i128::MAX
    } else {
        1i128 << (bits - len)
    };
    let host = if host < 0 { size + host } else { host };
    if host < 0 || host >= size {
        return Err(arg_err(
            1,
            format!("host number is out of range for a /{len} prefix"),
        ));
    }
    let base = addr & mask(bits, len);
    Ok(Value::String(fmt_ip(base | host as u128, v6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_sorted_and_unique() {
        let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn format_verbs() {
        let r = format(
            "%s-%03d-%.2f-%t-%q-%%",
            &[
                Value::string("a"),
                Value::num(7.0),
                Value::num(1.5),
                Value::Bool(true),
                Value::string("x"),
            ],
        );
        assert_eq!(r.ok().flatten().unwrap(), "a-007-1.50-true-\"x\"-%");
    }

    #[test]
    fn cidr_math() {
        let ctx = CallContext {
            base_dir: Path::new("."),
            fingerprinter: None,
        };
        let s = cidrsubnet(
            &[
                Value::string("10.0.0.0/16"),
                Value::num(8.0),
                Value::num(2.0),
            ],
            &ctx,
        )
        .ok()
        .unwrap();
        assert_eq!(s, Value::string("10.0.2.0/24"));
        let h = cidrhost(&[Value::string("10.0.2.0/24"), Value::num(5.0)], &ctx)
            .ok()
            .unwrap();
        assert_eq!(h, Value::string("10.0.2.5"));
        let h = cidrhost(&[Value::string("10.0.2.0/24"), Value::num(-1.0)], &ctx)
            .ok()
            .unwrap();
        assert_eq!(h, Value::string("10.0.2.255"));
        let v6 = cidrsubnet(
            &[Value::string("fd00::/56"), Value::num(8.0), Value::num(1.0)],
            &ctx,
        )
        .ok()
        .unwrap();
        assert_eq!(v6, Value::string("fd00:0:0:1::/64"));
    }
}
