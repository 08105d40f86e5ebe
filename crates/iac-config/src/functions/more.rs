//! Terraform's functions beyond the first set: collections and sets, strings,
//! numbers, hashes and encodings, file system, networks.

use std::collections::BTreeMap;

use base64::Engine as _;
use iac_value::Value;

use super::{
    arg_err, hex, index_arg, list, map, num, resolve, string, to_string, CallContext, Function,
    Unknowns, MANY, R,
};

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

/// A number result that must be finite: infinity and NaN are errors, as
/// Terraform cannot hold them (`log(0, 10)`, `pow(-8, 1/3)`).
fn finite(n: f64) -> super::R {
    if n.is_finite() {
        Ok(Value::Number(iac_value::Number::float(n)))
    } else {
        Err(super::FnError {
            arg: None,
            message: "the result is not a finite number".into(),
        })
    }
}

fn bools(a: &[Value], i: usize) -> Result<Vec<bool>, super::FnError> {
    list(a, i)?
        .iter()
        .map(|v| match v {
            Value::Bool(b) => Ok(*b),
            // A null element is not true (alltrue) and adds nothing (anytrue).
            Value::Null => Ok(false),
            Value::String(s) if s == "true" || s == "1" => Ok(true),
            Value::String(s) if s == "false" || s == "0" => Ok(false),
            other => Err(arg_err(
                i,
                format!(
                    "a list of bools is required, got an element of type {}",
                    other.type_name()
                ),
            )),
        })
        .collect()
}

/// A set's elements in Terraform's order (sorted, without duplicates).
fn set_of(items: Vec<Value>) -> Value {
    Value::set(items)
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn read(ctx: &CallContext, a: &[Value]) -> Result<Vec<u8>, super::FnError> {
    let path = resolve(ctx, string(a, 0)?);
    std::fs::read(&path).map_err(|e| arg_err(0, format!("cannot read {}: {e}", path.display())))
}

fn sha1_bytes(b: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(b).to_vec()
}
fn sha256_bytes(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}
fn sha512_bytes(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha512::digest(b).to_vec()
}
fn md5_bytes(b: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(b).to_vec()
}

/// Go's `strings.Title`: a letter after a separator starts a word (in ASCII,
/// everything but letters, digits and `_`; beyond it, spaces).
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.push(super::text::unicode::title_char(c));
        } else {
            out.push(c);
        }
        prev_sep = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            !c.is_alphanumeric() && c.is_whitespace()
        };
    }
    out
}

/// Go's `url.QueryEscape`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `path/filepath.Base` on a Unix system.
fn basename(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path/filepath.Dir` on a Unix system (the result cleaned).
fn dirname(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(dir)
}

pub(super) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn ipv4_prefix(s: &str, i: usize) -> Result<(u32, u32), super::FnError> {
    let (ip, len) = s
        .split_once('/')
        .ok_or_else(|| arg_err(i, format!("invalid CIDR address \"{s}\"")))?;
    let ip: std::net::Ipv4Addr = ip
        .parse()
        .map_err(|_| arg_err(i, format!("invalid CIDR address \"{s}\"")))?;
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| arg_err(i, format!("invalid CIDR address \"{s}\"")))?;
    Ok((u32::from(ip), len))
}

fn mask(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len)
    }
}

/// Consecutive subnets of the given extra prefix lengths, each at the next
/// boundary of its own size, IPv4 or IPv6.
fn cidrsubnets(a: &[Value], _: &CallContext) -> R {
    let (addr, len, v6) = super::parse_cidr(string(a, 0)?).map_err(|e| arg_err(0, e))?;
    let bits = if v6 { 128 } else { 32 };
    let size_of = |l: u32| -> u128 {
        if bits - l >= 128 {
            u128::MAX
        } else {
            1u128 << (bits - l)
        }
    };
    let base = addr & super::mask(bits, len);
    let end = base.saturating_add(size_of(len));
    let mut next = base;
    let mut out = Vec::new();
    for i in 1..a.len() {
        let extra = index_arg(a, i)? as u32;
        let new_len = len + extra;
        if extra == 0 || new_len > bits {
            return Err(arg_err(
                i,
                format!(
                    "would extend prefix to {new_len} bits, which is too long for an {} address",
                    if v6 { "IPv6" } else { "IPv4" }
                ),
            ));
        }
        let size = size_of(new_len);
        let start = next.div_ceil(size) * size;
        if start.checked_add(size).is_none_or(|e| e > end) {
            return Err(arg_err(
                i,
                "not enough remaining address space for a subnet with a prefix of this length",
            ));
        }
        out.push(Value::String(format!(
            "{}/{new_len}",
            super::fmt_ip(start, v6)
        )));
        next = start + size;
    }
    Ok(Value::List(out))
}

fn setop(a: &[Value], keep: impl Fn(&Value, &[Vec<Value>]) -> bool, first_only: bool) -> R {
    let sets: Vec<Vec<Value>> = (0..a.len())
        .map(|i| list(a, i).map(|l| l.to_vec()))
        .collect::<Result<_, _>>()?;
    // Every element of every set converted to one type (`[1]` and `["1"]` meet).
    let lens: Vec<usize> = sets.iter().map(Vec::len).collect();
    let mut all = super::of_one_type(sets.into_iter().flatten().collect(), 0, "set")?.into_iter();
    let sets: Vec<Vec<Value>> = lens
        .iter()
        .map(|n| all.by_ref().take(*n).collect())
        .collect();
    let pool: Vec<Value> = if first_only {
        sets.first().cloned().unwrap_or_default()
    } else {
        sets.iter().flatten().cloned().collect()
    };
    Ok(set_of(
        pool.into_iter().filter(|v| keep(v, &sets)).collect(),
    ))
}

fn regexall(a: &[Value], _: &CallContext) -> R {
    let re = regex::Regex::new(string(a, 0)?)
        .map_err(|e| arg_err(0, format!("invalid regular expression: {e}")))?;
    let s = string(a, 1)?;
    let names: Vec<Option<&str>> = re.capture_names().collect();
    let named = names.iter().skip(1).any(Option::is_some);
    let text = |m: Option<regex::Match<'_>>| {
        m.map(|c| Value::String(c.as_str().into()))
            .unwrap_or(Value::Null)
    };
    Ok(Value::List(
        re.captures_iter(s)
            .map(|caps| {
                if named {
                    Value::Map(
                        names
                            .iter()
                            .flatten()
                            .map(|n| (n.to_string(), text(caps.name(n))))
                            .collect(),
                    )
                } else if caps.len() == 1 {
                    Value::String(caps[0].to_string())
                } else {
                    Value::List((1..caps.len()).map(|i| text(caps.get(i))).collect())
                }
            })
            .collect(),
    ))
}

fn csvdecode(a: &[Value], _: &CallContext) -> R {
    let text = string(a, 0)?;
    let mut rows = parse_csv(text).map_err(|e| arg_err(0, e))?.into_iter();
    let Some(header) = rows.next() else {
        return Err(arg_err(0, "missing header line"));
    };
    let mut out = Vec::new();
    for (n, row) in rows.enumerate() {
        if row.len() != header.len() {
            return Err(arg_err(
                0,
                format!("line {}: wrong number of fields", n + 2),
            ));
        }
        out.push(Value::Map(
            header
                .iter()
                .cloned()
                .zip(row.into_iter().map(Value::String))
                .collect(),
        ));
    }
    Ok(Value::List(out))
}

/// RFC 4180 records: quoted fields with doubled quotes, CRLF or LF line ends.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

pub(super) static MORE: &[Function] = &[
    f!("alltrue", 1, Some(1), Deep, |a, _| Ok(Value::Bool(
        bools(a, 0)?.iter().all(|b| *b)
    ))),
    f!("anytrue", 1, Some(1), Deep, |a, _| Ok(Value::Bool(
        bools(a, 0)?.iter().any(|b| *b)
    ))),
    f!("title", 1, Some(1), Deep, |a, _| Ok(Value::String(title(
        string(a, 0)?
    )))),
    f!("trim", 2, Some(2), Deep, |a, _| {
        let cut: Vec<char> = string(a, 1)?.chars().collect();
        Ok(Value::String(
            string(a, 0)?.trim_matches(|c| cut.contains(&c)).to_string(),
        ))
    }),
    f!("trimprefix", 2, Some(2), Deep, |a, _| {
        let s = string(a, 0)?;
        Ok(Value::String(
            s.strip_prefix(string(a, 1)?).unwrap_or(s).to_string(),
        ))
    }),
    f!("trimsuffix", 2, Some(2), Deep, |a, _| {
        let s = string(a, 0)?;
        Ok(Value::String(
            s.strip_suffix(string(a, 1)?).unwrap_or(s).to_string(),
        ))
    }),
    f!("chomp", 1, Some(1), Deep, |a, _| Ok(Value::String(
        string(a, 0)?.trim_end_matches(['\n', '\r']).to_string()
    ))),
    f!("indent", 2, Some(2), Deep, |a, _| {
        let pad = " ".repeat(index_arg(a, 0)?);
        Ok(Value::String(
            string(a, 1)?.replace('\n', &format!("\n{pad}")),
        ))
    }),
    f!("strcontains", 2, Some(2), Deep, |a, _| Ok(Value::Bool(
        string(a, 0)?.contains(string(a, 1)?)
    ))),
    f!("strrev", 1, Some(1), Deep, |a, _| {
        let mut g = super::text::unicode::graphemes(string(a, 0)?);
        g.reverse();
        Ok(Value::String(g.concat()))
    }),
    f!("index", 2, Some(2), Deep, |a, _| {
        let l = list(a, 0)?;
        l.iter()
            .position(|v| v == &a[1])
            .map(|i| Value::num(i as f64))
            .ok_or_else(|| arg_err(1, "item not found"))
    }),
    f!("chunklist", 2, Some(2), Shallow, |a, _| {
        let l = list(a, 0)?;
        let size = index_arg(a, 1)?;
        if size == 0 {
            return Ok(Value::List(vec![Value::List(l.to_vec())]));
        }
        Ok(Value::List(
            l.chunks(size).map(|c| Value::List(c.to_vec())).collect(),
        ))
    }),
    f!("coalescelist", 1, MANY, Shallow, |a, _| {
        for i in 0..a.len() {
            let l = list(a, i)?;
            if !l.is_empty() {
                return Ok(Value::List(l.to_vec()));
            }
        }
        Err(arg_err(0, "no non-empty list argument"))
    }),
    f!("matchkeys", 3, Some(3), Deep, |a, _| {
        let (values, keys, search) = (list(a, 0)?, list(a, 1)?, list(a, 2)?);
        if values.len() != keys.len() {
            return Err(arg_err(1, "length of keys and values should be equal"));
        }
        Ok(Value::List(
            values
                .iter()
                .zip(keys)
                .filter(|(_, k)| search.contains(k))
                .map(|(v, _)| v.clone())
                .collect(),
        ))
    }),
    f!("setunion", 1, MANY, Deep, |a, _| setop(
        a,
        |_, _| true,
        false
    )),
    f!("setintersection", 1, MANY, Deep, |a, _| setop(
        a,
        |v, sets| sets.iter().all(|s| s.contains(v)),
        true
    )),
    f!("setsubtract", 2, Some(2), Deep, |a, _| setop(
        a,
        |v, sets| !sets[1].contains(v),
        true
    )),
    f!("setproduct", 2, MANY, Deep, |a, _| {
        let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
        for i in 0..a.len() {
            let l = list(a, i)?;
            acc = acc
                .into_iter()
                .flat_map(|prefix| {
                    l.iter().map(move |v| {
                        let mut p = prefix.clone();
                        p.push(v.clone());
                        p
                    })
                })
                .collect();
        }
        Ok(Value::List(acc.into_iter().map(Value::List).collect()))
    }),
    f!("transpose", 1, Some(1), Deep, |a, _| {
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in map(a, 0)? {
            let items = match v {
                Value::List(l) | Value::Set(l) => l,
                _ => return Err(arg_err(0, "a map of lists of strings is required")),
            };
            for item in items {
                let s = to_string(item)
                    .ok_or_else(|| arg_err(0, "a map of lists of strings is required"))?;
                out.entry(s).or_default().push(Value::string(k.clone()));
            }
        }
        Ok(Value::Map(
            out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
        ))
    }),
    f!("pow", 2, Some(2), Deep, |a, _| finite(
        num(a, 0)?.powf(num(a, 1)?)
    )),
    f!("log", 2, Some(2), Deep, |a, _| finite(
        num(a, 0)?.log(num(a, 1)?)
    )),
    f!("signum", 1, Some(1), Deep, |a, _| {
        let n = super::number(a, 0)?;
        if !n.is_integer() {
            return Err(arg_err(0, "a whole number is required"));
        }
        Ok(Value::num(match n.compare(&iac_value::Number::int(0)) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
        }))
    }),
    f!("parseint", 2, Some(2), Deep, |a, _| {
        let base = index_arg(a, 1)?;
        if !(2..=62).contains(&base) {
            return Err(arg_err(
                1,
                "base must be a whole number between 2 and 62 inclusive",
            ));
        }
        let s = string(a, 0)?;
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let mut n = num_bigint::BigUint::default();
        if digits.is_empty() {
            return Err(arg_err(
                0,
                format!("cannot parse \"{s}\" as a base {base} integer"),
            ));
        }
        for c in digits.chars() {
            let d = match c {
                '0'..='9' => c as u32 - '0' as u32,
                'a'..='z' if base <= 36 => c as u32 - 'a' as u32 + 10,
                'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
                'a'..='z' => c as u32 - 'a' as u32 + 10,
                'A'..='Z' => c as u32 - 'A' as u32 + 36,
                _ => u32::MAX,
            };
            if d as usize >= base {
                return Err(arg_err(
                    0,
                    format!("cannot parse \"{s}\" as a base {base} integer"),
                ));
            }
            n = n * base + d;
        }
        // Any size, exactly, as Terraform's big integers.
        Ok(Value::Number(iac_value::Number::big_int(neg, n)))
    }),
    f!("tobool", 1, Some(1), Deep, |a, _| match &a[0] {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::Null => Ok(Value::Null),
        Value::String(s) if s == "true" || s == "1" => Ok(Value::Bool(true)),
        Value::String(s) if s == "false" || s == "0" => Ok(Value::Bool(false)),
        v => Err(arg_err(
            0,
            format!(
                "cannot convert {} to bool",
                match v {
                    Value::String(s) => format!("\"{s}\""),
                    v => v.type_name().to_string(),
                }
            )
        )),
    }),
    f!("regexall", 2, Some(2), Deep, regexall),
    f!("csvdecode", 1, Some(1), Deep, csvdecode),
    f!("basename", 1, Some(1), Deep, |a, _| Ok(Value::String(
        basename(string(a, 0)?)
    ))),
    f!("dirname", 1, Some(1), Deep, |a, _| Ok(Value::String(
        dirname(string(a, 0)?)
    ))),
    f!("urlencode", 1, Some(1), Deep, |a, _| Ok(Value::String(
        urlencode(string(a, 0)?)
    ))),
    f!("sha1", 1, Some(1), Deep, |a, _| Ok(Value::String(hex(
        &sha1_bytes(string(a, 0)?.as_bytes())
    )))),
    f!("sha512", 1, Some(1), Deep, |a, _| Ok(Value::String(hex(
        &sha512_bytes(string(a, 0)?.as_bytes())
    )))),
    f!("base64sha256", 1, Some(1), Deep, |a, _| Ok(b64(
        &sha256_bytes(string(a, 0)?.as_bytes())
    ))),
    f!("base64sha512", 1, Some(1), Deep, |a, _| Ok(b64(
        &sha512_bytes(string(a, 0)?.as_bytes())
    ))),
    f!("fileexists", 1, Some(1), Deep, |a, ctx| {
        let path = resolve(ctx, string(a, 0)?);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Value::Bool(true)),
            Ok(_) => Err(arg_err(
                0,
                format!("{} is not a regular file", path.display()),
            )),
            Err(_) => Ok(Value::Bool(false)),
        }
    }),
    f!("filebase64", 1, Some(1), Deep, |a, ctx| Ok(b64(&read(
        ctx, a
    )?))),
    f!("filemd5", 1, Some(1), Deep, |a, ctx| Ok(Value::String(
        hex(&md5_bytes(&read(ctx, a)?))
    ))),
    f!("filesha1", 1, Some(1), Deep, |a, ctx| Ok(Value::String(
        hex(&sha1_bytes(&read(ctx, a)?))
    ))),
    f!("filesha256", 1, Some(1), Deep, |a, ctx| Ok(Value::String(
        hex(&sha256_bytes(&read(ctx, a)?))
    ))),
    f!("filesha512", 1, Some(1), Deep, |a, ctx| Ok(Value::String(
        hex(&sha512_bytes(&read(ctx, a)?))
    ))),
    f!("filebase64sha256", 1, Some(1), Deep, |a, ctx| Ok(b64(
        &sha256_bytes(&read(ctx, a)?)
    ))),
    f!("filebase64sha512", 1, Some(1), Deep, |a, ctx| Ok(b64(
        &sha512_bytes(&read(ctx, a)?)
    ))),
    f!("cidrnetmask", 1, Some(1), Deep, |a, _| {
        let (_, len) = ipv4_prefix(string(a, 0)?, 0)?;
        Ok(Value::String(
            std::net::Ipv4Addr::from(mask(len)).to_string(),
        ))
    }),
    f!("cidrsubnets", 1, MANY, Deep, cidrsubnets),
    f!("sensitive", 1, Some(1), Shallow, |a, _| Ok(a[0].clone())),
    f!("nonsensitive", 1, Some(1), Shallow, |a, _| Ok(a[0].clone())),
    f!("issensitive", 1, Some(1), Shallow, |_, _| Ok(Value::Bool(
        false
    ))),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_go_has_them() {
        assert_eq!(basename("foo/bar/baz.txt"), "baz.txt");
        assert_eq!(basename("/"), "/");
        assert_eq!(basename(""), ".");
        assert_eq!(dirname("foo/bar/baz.txt"), "foo/bar");
        assert_eq!(dirname("baz.txt"), ".");
        assert_eq!(dirname("/baz"), "/");
        assert_eq!(
            title("hello world-wide_web it's"),
            "Hello World-Wide_web It'S"
        );
        assert_eq!(urlencode("a b/c?d=é"), "a+b%2Fc%3Fd%3D%C3%A9");
    }
}
