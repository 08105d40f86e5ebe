//! `format` and `formatlist`'s verbs, as Terraform has them (Go's fmt on cty
//! values): `%s %v %#v %q %t %d %b %o %x %X %e %E %f %g %G %%`, flags `-+ 0#`,
//! width, precision and explicit argument indexes (`%[2]s`). Numeric strings
//! are numbers for the numeric verbs; a null argument makes the result null.

use iac_value::{format_number, Value};

use super::{arg_err, FnError};

/// The formatted string, or `None` when an argument is null (Terraform's
/// result is then null).
pub(super) fn format(spec: &str, args: &[Value]) -> Result<Option<String>, FnError> {
    if args.iter().any(|a| matches!(a, Value::Null)) {
        return Ok(None);
    }
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    let mut used = vec![false; args.len()];
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let mut n = String::new();
            for d in chars.by_ref() {
                if d == ']' {
                    break;
                }
                n.push(d);
            }
            let n: usize = n
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| arg_err(0, format!("invalid argument index [{n}]")))?;
            next = n - 1;
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let verb = chars
            .next()
            .ok_or_else(|| arg_err(0, "the format ends in the middle of a verb"))?;
        let arg = args
            .get(next)
            .ok_or_else(|| arg_err(0, format!("not enough arguments for the verb %{verb}")))?;
        used[next] = true;
        next += 1;
        let at = next; // the argument's position in the call (the format is 0)
        let body = verb_text(verb, &flags, precision, arg, at)?;
        pad(&mut out, body, &flags, width.parse().unwrap_or(0), verb);
    }
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(arg_err(
            i + 1,
            format!(
                "too many arguments; argument {} is not used by the format",
                i + 1
            ),
        ));
    }
    Ok(Some(out))
}

/// A number for the numeric verbs: numbers, and strings that are numbers.
fn number(arg: &Value, verb: char, at: usize) -> Result<f64, FnError> {
    match arg {
        Value::Number(n) => Ok(n.to_f64()),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|_| s.trim() == s)
            .ok_or_else(|| arg_err(at, format!("%{verb} requires a number, got \"{s}\""))),
        v => Err(arg_err(
            at,
            format!("%{verb} requires a number, got {}", v.type_name()),
        )),
    }
}

/// A whole number for %d %b %o %x %X.
fn integer(arg: &Value, verb: char, at: usize) -> Result<i128, FnError> {
    let n = number(arg, verb, at)?;
    if n.fract() != 0.0 || n.abs() >= 1.7e38 {
        return Err(arg_err(
            at,
            format!(
                "%{verb} requires a whole number, got {}",
                format_number(&n.into())
            ),
        ));
    }
    Ok(n as i128)
}

/// Go's exponent form: at least two digits, with a sign (`1.5e+03`).
fn go_exponent(rust: &str, upper: bool) -> String {
    let (m, e) = rust.split_once('e').unwrap_or((rust, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    let e = if upper { 'E' } else { 'e' };
    format!("{m}{e}{sign}{digits:0>2}")
}

/// Go's `%g`: the shortest representation (or `precision` significant
/// digits), in exponent form when the exponent is below -4 or at least the
/// precision (6 for the shortest), trailing zeros dropped.
fn general(n: f64, precision: Option<usize>, upper: bool) -> String {
    if n == 0.0 || !n.is_finite() {
        return format_number(&n.into());
    }
    let sci = match precision {
        Some(p) => format!("{:.*e}", p.max(1) - 1, n.abs()),
        None => format!("{:e}", n.abs()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let eprec = match precision {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > nd && nd >= dp {
                nd
            } else {
                p
            }
        }
    };
    let sign = if n < 0.0 { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let mut m = digits[..1].to_string();
        if nd > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        return format!("{sign}{}", go_exponent(&format!("{m}e{exp}"), upper));
    }
    let decimals = (nd - dp).max(0) as usize;
    format!("{sign}{:.decimals$}", n.abs())
}

fn verb_text(
    verb: char,
    flags: &str,
    precision: Option<usize>,
    arg: &Value,
    at: usize,
) -> Result<String, FnError> {
    let plus = |n: f64, s: String| {
        if n >= 0.0 && flags.contains('+') {
            format!("+{s}")
        } else if n >= 0.0 && flags.contains(' ') {
            format!(" {s}")
        } else {
            s
        }
    };
    let radix = |n: i128, s: String| plus(n as f64, if n < 0 { format!("-{s}") } else { s });
    Ok(match verb {
        's' => {
            let s = match arg {
                Value::String(s) => s.clone(),
                Value::Number(n) => format_number(n),
                Value::Bool(b) => b.to_string(),
                v => {
                    return Err(arg_err(
                        at,
                        format!("%s requires a string, got {}", v.type_name()),
                    ))
                }
            };
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'v' if flags.contains('#') => json_text(arg),
        'v' => match arg {
            Value::String(s) => s.clone(),
            Value::Number(n) => general(n.to_f64(), None, false),
            Value::Bool(b) => b.to_string(),
            v => json_text(v),
        },
        'q' => match arg {
            Value::String(s) => iac_value::quote(s),
            Value::Number(n) => iac_value::quote(&format_number(n)),
            Value::Bool(b) => iac_value::quote(&b.to_string()),
            v => {
                return Err(arg_err(
                    at,
                    format!("%q requires a string, got {}", v.type_name()),
                ))
            }
        },
        't' => match arg {
            Value::Bool(b) => b.to_string(),
            Value::String(s) if s == "true" || s == "false" => s.clone(),
            v => {
                return Err(arg_err(
                    at,
                    format!("%t requires a bool, got {}", v.type_name()),
                ))
            }
        },
        'd' => {
            let n = integer(arg, verb, at)?;
            plus(n as f64, n.to_string())
        }
        'b' => {
            let n = integer(arg, verb, at)?;
            radix(n, format!("{:b}", n.unsigned_abs()))
        }
        'o' => {
            let n = integer(arg, verb, at)?;
            radix(n, format!("{:o}", n.unsigned_abs()))
        }
        'x' => {
            let n = integer(arg, verb, at)?;
            radix(n, format!("{:x}", n.unsigned_abs()))
        }
        'X' => {
            let n = integer(arg, verb, at)?;
            radix(n, format!("{:X}", n.unsigned_abs()))
        }
        'f' | 'F' => {
            let n = number(arg, verb, at)?;
            plus(n, format!("{:.*}", precision.unwrap_or(6), n))
        }
        'e' | 'E' => {
            let n = number(arg, verb, at)?;
            plus(
                n,
                go_exponent(&format!("{:.*e}", precision.unwrap_or(6), n), verb == 'E'),
            )
        }
        'g' | 'G' => {
            let n = number(arg, verb, at)?;
            plus(n, general(n, precision, verb == 'G'))
        }
        other => return Err(arg_err(0, format!("unsupported format verb %{other}"))),
    })
}

/// Pads to the width: spaces on the left, on the right with `-`, zeros after
/// the sign with `0` for numbers.
fn pad(out: &mut String, s: String, flags: &str, width: usize, verb: char) {
    let len = s.chars().count();
    if len >= width {
        out.push_str(&s);
        return;
    }
    let fill = width - len;
    if flags.contains('-') {
        out.push_str(&s);
        out.push_str(&" ".repeat(fill));
    } else if flags.contains('0') && "dbxXofFeEgG".contains(verb) {
        let sign_len = s.chars().take_while(|c| "+- ".contains(*c)).count().min(1);
        let (sign, digits) = s.split_at(sign_len);
        out.push_str(sign);
        out.push_str(&"0".repeat(fill));
        out.push_str(digits);
    } else {
        out.push_str(&" ".repeat(fill));
        out.push_str(&s);
    }
}

/// JSON as Terraform writes it (`jsonencode`, `%#v`): keys in order, numbers
/// in plain decimal (`1e21` is `1000000000000000000000`), and strings escaped as
/// Go's encoder escapes them: `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`, so
/// the text is safe inside HTML and JavaScript.
pub(super) fn json_text(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if !n.is_infinite() => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) | Value::Set(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out),
        _ => out.push_str("null"),
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_general_and_exponent_forms() {
        assert_eq!(general(1234.5, None, false), "1234.5");
        assert_eq!(general(0.00001234, None, false), "1.234e-05");
        assert_eq!(general(1e21, None, false), "1e+21");
        assert_eq!(general(1e6, None, false), "1e+06");
        assert_eq!(general(123456.0, None, false), "123456");
        assert_eq!(general(1.0, None, false), "1");
        assert_eq!(general(-2.0, None, false), "-2");
        assert_eq!(general(0.0001, None, false), "0.0001");
        assert_eq!(go_exponent("1.234500e3", false), "1.234500e+03");
        assert_eq!(go_exponent("1.5e-7", true), "1.5E-07");
    }
}
