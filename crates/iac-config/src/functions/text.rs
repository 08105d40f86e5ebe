//! Terraform's remaining functions for data, text and paths: `yamldecode`,
//! `templatestring`, `textencodebase64`/`textdecodebase64`, `base64gzip`,
//! `uuid`/`uuidv5`, `abspath`, `pathexpand`, `fileset`, `ephemeralasnull`.

use std::collections::BTreeMap;

use base64::Engine as _;
use iac_value::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::{arg_err, map, resolve, string, CallContext, Function, Unknowns, R};

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

pub(super) static TEXT: &[Function] = &[
    f!("yamldecode", 1, Some(1), Deep, |a, _| yamldecode(string(
        a, 0
    )?)
    .map_err(|e| arg_err(0, e))),
    f!("templatestring", 2, Some(2), Deep, templatestring),
    f!("textencodebase64", 2, Some(2), Deep, |a, _| {
        let bytes = encode(string(a, 0)?, string(a, 1)?).map_err(|e| arg_err(1, e))?;
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    }),
    f!("textdecodebase64", 2, Some(2), Deep, |a, _| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(string(a, 0)?)
            .map_err(|e| arg_err(0, format!("the string is not valid base64: {e}")))?;
        decode(&bytes, string(a, 1)?)
            .map(Value::String)
            .map_err(|e| arg_err(1, e))
    }),
    f!("base64gzip", 1, Some(1), Deep, |a, _| {
        // Go's bytes exactly: a `user_data` made with it matches Terraform's state.
        let gz = super::gzip::gzip(string(a, 0)?.as_bytes());
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(gz),
        ))
    }),
    f!("uuid", 0, Some(0), Deep, |_, _| Ok(Value::String(
        uuid::Uuid::new_v4().to_string()
    ))),
    f!("uuidv5", 2, Some(2), Deep, |a, _| {
        let ns = match string(a, 0)? {
            "dns" => uuid::Uuid::NAMESPACE_DNS,
            "url" => uuid::Uuid::NAMESPACE_URL,
            "oid" => uuid::Uuid::NAMESPACE_OID,
            "x500" => uuid::Uuid::NAMESPACE_X500,
            other => uuid::Uuid::parse_str(other).map_err(|_| {
                arg_err(
                    0,
                    format!("{other:?} is not a namespace: give dns, url, oid, x500 or a UUID"),
                )
            })?,
        };
        Ok(Value::String(
            uuid::Uuid::new_v5(&ns, string(a, 1)?.as_bytes()).to_string(),
        ))
    }),
    f!("abspath", 1, Some(1), Deep, |a, _| {
        let p = std::path::Path::new(string(a, 0)?);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| arg_err(0, format!("no working directory: {e}")))?
                .join(p)
        };
        Ok(Value::String(super::more::clean(&abs.to_string_lossy())))
    }),
    f!("pathexpand", 1, Some(1), Deep, |a, _| {
        let p = string(a, 0)?;
        let home = || std::env::var("HOME").map_err(|_| arg_err(0, "HOME is not set"));
        Ok(Value::String(if p == "~" {
            home()?
        } else if let Some(rest) = p.strip_prefix("~/") {
            format!("{}/{rest}", home()?.trim_end_matches('/'))
        } else {
            p.to_string()
        }))
    }),
    f!("fileset", 2, Some(2), Deep, fileset),
    // A new salt each time, as in Terraform: the hash changes on every run.
    f!("bcrypt", 1, Some(2), Deep, |a, _| {
        let cost = match a.get(1) {
            Some(_) => super::num(a, 1)?,
            None => 10.0,
        };
        if !(4.0..=31.0).contains(&cost) || cost.fract() != 0.0 {
            return Err(arg_err(1, "the cost must be a whole number from 4 to 31"));
        }
        bcrypt::hash_with_result(string(a, 0)?, cost as u32)
            .map(|h| Value::String(h.format_for_version(bcrypt::Version::TwoA)))
            .map_err(|e| arg_err(0, format!("cannot hash: {e}")))
    }),
    // iac has no ephemeral values: every value is kept as it is.
    f!("ephemeralasnull", 1, Some(1), Shallow, |a, _| Ok(
        a[0].clone()
    )),
];

/// `templatestring(template, vars)`: a template read from somewhere else (a data
/// source, a file read with `file`), rendered with only the given variables.
fn templatestring(a: &[Value], ctx: &CallContext) -> R {
    let text = string(a, 0)?;
    let vars = map(a, 1)?;
    let expr =
        iac_syntax::parse_template(iac_diagnostics::FileId(u32::MAX), text).map_err(|d| {
            arg_err(
                0,
                format!(
                    "invalid template: {} ({})",
                    d.message,
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
    ectx.eval(&expr).map_err(|d| {
        arg_err(
            0,
            format!(
                "{} ({})",
                d.message,
                d.primary.map(|l| l.message).unwrap_or_default()
            ),
        )
    })
}

fn encoding_name(e: &str) -> String {
    e.to_ascii_uppercase().replace('_', "-")
}

fn encode(text: &str, encoding: &str) -> Result<Vec<u8>, String> {
    Ok(match encoding_name(encoding).as_str() {
        "UTF-8" | "UTF8" => text.as_bytes().to_vec(),
        "UTF-16LE" => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        "UTF-16BE" => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        "ISO-8859-1" | "LATIN1" => text
            .chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| format!("{c:?} has no ISO-8859-1 encoding"))
            })
            .collect::<Result<_, _>>()?,
        "US-ASCII" | "ASCII" => text
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    Ok(c as u8)
                } else {
                    Err(format!("{c:?} is not ASCII"))
                }
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(unsupported(encoding)),
    })
}

fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    let utf16 = |f: fn([u8; 2]) -> u16| -> Result<String, String> {
        if !bytes.len().is_multiple_of(2) {
            return Err("an odd number of bytes is not UTF-16".into());
        }
        let units: Vec<u16> = bytes.chunks(2).map(|c| f([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|e| format!("not valid UTF-16: {e}"))
    };
    match encoding_name(encoding).as_str() {
        "UTF-8" | "UTF8" => {
            String::from_utf8(bytes.to_vec()).map_err(|e| format!("not valid UTF-8: {e}"))
        }
        "UTF-16LE" => utf16(u16::from_le_bytes),
        "UTF-16BE" => utf16(u16::from_be_bytes),
        "ISO-8859-1" | "LATIN1" => Ok(bytes.iter().map(|b| char::from(*b)).collect()),
        "US-ASCII" | "ASCII" if bytes.is_ascii() => {
            Ok(bytes.iter().map(|b| char::from(*b)).collect())
        }
        "US-ASCII" | "ASCII" => Err("not ASCII".into()),
        _ => Err(unsupported(encoding)),
    }
}

fn unsupported(encoding: &str) -> String {
    format!("{encoding:?} is not an encoding iac supports (UTF-8, UTF-16LE, UTF-16BE, ISO-8859-1, US-ASCII)")
}

/// `fileset(path, pattern)`: the files under `path` (not directories) whose
/// path relative to it matches the pattern (`*`, `?`, `**`, `[...]`, `{a,b}`),
/// sorted, with `/` separators.
fn fileset(a: &[Value], ctx: &CallContext) -> R {
    let base = resolve(ctx, string(a, 0)?);
    let pattern = string(a, 1)?;
    let mut out = Vec::new();
    let mut stack = vec![(base.clone(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push((e.path(), path));
            } else if glob(pattern, &path) {
                out.push(Value::String(path));
            }
        }
    }
    out.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
    Ok(Value::Set(out))
}

/// Whether `path` matches a doublestar pattern.
fn glob(pattern: &str, path: &str) -> bool {
    // `{a,b}` alternatives: each expands to a pattern of its own.
    if let Some(open) = pattern.find('{') {
        if let Some(close) = pattern[open..].find('}').map(|c| open + c) {
            let (pre, alts, post) = (
                &pattern[..open],
                &pattern[open + 1..close],
                &pattern[close + 1..],
            );
            return alts
                .split(',')
                .any(|alt| glob(&format!("{pre}{alt}{post}"), path));
        }
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    match pat.split_first() {
        None => segs.is_empty(),
        Some((&"**", rest)) => (0..=segs.len()).any(|i| match_segments(rest, &segs[i..])),
        Some((p, rest)) => match segs.split_first() {
            Some((s, more)) => {
                match_segment(p.as_bytes(), s.as_bytes()) && match_segments(rest, more)
            }
            None => false,
        },
    }
}

fn match_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| match_segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && match_segment(rest, &s[1..]),
        Some((b'[', rest)) => {
            let Some(end) = rest.iter().position(|c| *c == b']') else {
                return s.first() == Some(&b'[') && match_segment(rest, &s[1..]);
            };
            let Some(c) = s.first() else { return false };
            let (negate, class) = match rest[..end].split_first() {
                Some((b'^' | b'!', cls)) => (true, cls),
                _ => (false, &rest[..end]),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(c);
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != negate && match_segment(&rest[end + 1..], &s[1..])
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            s.first() == Some(&rest[0]) && match_segment(&rest[1..], &s[1..])
        }
        Some((c, rest)) => s.first() == Some(c) && match_segment(rest, &s[1..]),
    }
}

/// Builds values from the parser's events, resolving plain scalars as
/// Terraform's YAML decoder does (YAML 1.1 booleans such as `yes`/`off`).
#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize)>,
    anchors: BTreeMap<usize, Value>,
    docs: Vec<Value>,
    error: Option<String>,
}

enum Node {
    Seq(Vec<Value>),
    Map(BTreeMap<String, Value>, Option<String>),
}

impl Builder {
    fn push(&mut self, v: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(v),
            Some((Node::Seq(items), _)) => items.push(v),
            Some((Node::Map(m, key), _)) => match key.take() {
                None => match v {
                    Value::String(s) => *key = Some(s),
                    Value::Number(_) | Value::Bool(_) => {
                        *key = super::to_string(&v);
                    }
                    Value::Null => *key = Some("null".into()),
                    _ => self.error = Some("a mapping key must be a scalar".into()),
                },
                Some(k) => {
                    m.insert(k, v);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _: Marker) {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = scalar(&text, style, tag.as_ref());
                match v {
                    Ok(v) => self.push(v, anchor),
                    Err(e) => self.error = Some(e),
                }
            }
            Event::SequenceStart(anchor, _) => self.stack.push((Node::Seq(Vec::new()), anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack.push((Node::Map(BTreeMap::new(), None), anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor)) = self.stack.pop() {
                    let v = match node {
                        Node::Seq(items) => Value::List(items),
                        Node::Map(m, _) => Value::Map(m.into()),
                    };
                    self.push(v, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => self.push(v, 0),
                None => self.error = Some(format!("unknown anchor {id}")),
            },
            _ => {}
        }
    }
}

fn scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(t) = tag {
        let v = Value::String(text.to_string());
        return match t.suffix.as_str() {
            "str" => Ok(v),
            "int" | "float" => text
                .replace('_', "")
                .parse::<f64>()
                .map(Value::num)
                .map_err(|_| format!("cannot decode {text:?} as !!{}", t.suffix)),
            "bool" => resolve_plain(text)
                .filter(|v| matches!(v, Value::Bool(_)))
                .ok_or_else(|| format!("cannot decode {text:?} as !!bool")),
            "null" => Ok(Value::Null),
            other => Err(format!("unsupported tag !!{other}")),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(resolve_plain(text).unwrap_or_else(|| Value::String(text.to_string())))
}

/// A plain scalar's value: null, a boolean, a number, or `None` for a string.
fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Some(Value::Bool(true))
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Some(Value::Bool(false))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::num(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::num(f64::NEG_INFINITY)),
        _ => {}
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let neg = text.starts_with('-');
    if let Some(hex) = body.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16)
            .ok()
            .map(|n| Value::num(if neg { -n } else { n } as f64));
    }
    let numeric = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        return text.parse::<f64>().ok().map(Value::num);
    }
    None
}

fn yamldecode(text: &str) -> Result<Value, String> {
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(|e| {
        format!(
            "on line {}, column {}: {}",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    match b.docs.len() {
        0 => Err("on line 1, column 1: missing start of document".into()),
        1 => Ok(b.docs.remove(0)),
        n => Err(format!(
            "the text holds {n} YAML documents; yamldecode takes one"
        )),
    }
}

/// Unicode as Terraform counts and cases it: lengths, substrings and reversal
/// by grapheme cluster (what a reader sees as one character: `"👍🏽"` is one),
/// and case mapping one character at a time with Unicode's simple mappings, as
/// Go's `unicode.ToUpper`/`ToLower`/`ToTitle` do (`upper("ß")` is `"ß"`, a
/// final sigma is `σ`).
pub(super) mod unicode {
    use unicode_segmentation::UnicodeSegmentation;

    pub fn graphemes(s: &str) -> Vec<&str> {
        s.graphemes(true).collect()
    }

    fn simple(c: char, mapped: impl Iterator<Item = char> + Clone) -> char {
        let mut it = mapped.clone();
        match (it.next(), it.next()) {
            (Some(m), None) => m,
            // Full mappings of more than one character have no simple
            // mapping but this one (`İ` lower-cased is `i`).
            _ if c == '\u{130}' => 'i',
            _ => c,
        }
    }

    pub fn upper(s: &str) -> String {
        s.chars().map(|c| simple(c, c.to_uppercase())).collect()
    }

    pub fn lower(s: &str) -> String {
        s.chars().map(|c| simple(c, c.to_lowercase())).collect()
    }

    /// Unicode's title case of one character: upper case, but for the four
    /// digraphs that have a title form of their own (`ǆ` -> `ǅ`).
    pub fn title_char(c: char) -> char {
        match c {
            '\u{1c4}'..='\u{1c6}' => '\u{1c5}',
            '\u{1c7}'..='\u{1c9}' => '\u{1c8}',
            '\u{1ca}'..='\u{1cc}' => '\u{1cb}',
            '\u{1f1}'..='\u{1f3}' => '\u{1f2}',
            c => simple(c, c.to_uppercase()),
        }
    }
}
