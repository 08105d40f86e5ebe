//! Terraform's time functions: `timestamp`, `plantimestamp`, `formatdate`,
//! `timeadd`, `timecmp`. Timestamps are RFC 3339 strings; results are written as
//! Go's `time.RFC3339` writes them (whole seconds, `Z` for UTC), in the offset
//! of the timestamp given.

use iac_value::Value;

use super::{arg_err, string, CallContext, FnError, Function, Unknowns, R};

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

pub(super) static TIME: &[Function] = &[
    f!("timestamp", 0, Some(0), Deep, |_, _| Ok(now())),
    // The time the plan was made; a plan is made and used in one run here, or
    // saved with its values resolved.
    f!("plantimestamp", 0, Some(0), Deep, |_, _| Ok(now())),
    f!("formatdate", 2, Some(2), Deep, formatdate),
    f!("timeadd", 2, Some(2), Deep, timeadd),
    f!("timecmp", 2, Some(2), Deep, |a, _: &CallContext| {
        let (x, y) = (parse(a, 0)?, parse(a, 1)?);
        let ord = (x.secs, x.nanos).cmp(&(y.secs, y.nanos));
        Ok(Value::num(ord as i8 as f64))
    }),
];

/// An instant with the offset it was written in.
#[derive(Clone, Copy)]
struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    nanos: u32,
    /// Offset east of UTC in seconds; `None` for `Z`.
    offset: Option<i32>,
}

fn now() -> Value {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Value::String(rfc3339(Time {
        secs: d.as_secs() as i64,
        nanos: 0,
        offset: None,
    }))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn parse(a: &[Value], i: usize) -> Result<Time, FnError> {
    let s = string(a, i)?;
    parse_rfc3339(s).map_err(|e| arg_err(i, format!("not a valid RFC3339 timestamp: {e}")))
}

fn parse_rfc3339(s: &str) -> Result<Time, String> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize, what: &str| -> Result<u32, String> {
        let part = b
            .get(from..from + n)
            .filter(|p| p.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| format!("cannot use {:?} as {what}", &s[from.min(s.len())..]))?;
        Ok(part.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let expect = |at: usize, c: u8, what: &str| -> Result<(), String> {
        if b.get(at) == Some(&c) {
            Ok(())
        } else {
            Err(format!("missing required {what} '{}'", c as char))
        }
    };
    let year = digits(0, 4, "year")?;
    expect(4, b'-', "date separator")?;
    let month = digits(5, 2, "month")?;
    expect(7, b'-', "date separator")?;
    let day = digits(8, 2, "day")?;
    if b.get(10).is_none_or(|c| !matches!(c, b'T' | b't')) {
        return Err("missing required time introducer 'T'".into());
    }
    let hour = digits(11, 2, "hour")?;
    expect(13, b':', "time separator")?;
    let min = digits(14, 2, "minute")?;
    expect(16, b':', "time separator")?;
    let sec = digits(17, 2, "second")?;
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err("missing fractional seconds after '.'".into());
        }
        let frac = &s[start..at.min(start + 9)];
        nanos = frac.parse::<u32>().unwrap_or(0) * 10u32.pow(9 - frac.len() as u32);
    }
    let offset = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            None
        }
        Some(c @ (b'+' | b'-')) => {
            let sign = if *c == b'-' { -1 } else { 1 };
            let h = digits(at + 1, 2, "offset hours")?;
            expect(at + 3, b':', "offset separator")?;
            let m = digits(at + 4, 2, "offset minutes")?;
            at += 6;
            Some(sign * (h as i32 * 3600 + m as i32 * 60))
        }
        _ => return Err("missing time zone offset (Z or ±hh:mm)".into()),
    };
    if at != b.len() {
        return Err(format!("extra text {:?} after the timestamp", &s[at..]));
    }
    let days_in = |y: i64, m: u32| match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in(year as i64, month) {
        return Err("day or month out of range".into());
    }
    if hour > 23 || min > 59 || sec > 60 {
        return Err("hour, minute or second out of range".into());
    }
    let local = days_from_civil(year as i64, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(min) * 60
        + i64::from(sec);
    Ok(Time {
        secs: local - i64::from(offset.unwrap_or(0)),
        nanos,
        offset,
    })
}

/// The wall clock of a time in its own offset: (year, month, day, hour, minute, second, weekday 0=Sunday).
fn wall(t: Time) -> (i64, u32, u32, u32, u32, u32, u32) {
    let local = t.secs + i64::from(t.offset.unwrap_or(0));
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let weekday = (days + 4).rem_euclid(7) as u32;
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
        weekday,
    )
}

fn offset_text(offset: i32, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    if colon {
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    } else {
        format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
    }
}

fn rfc3339(t: Time) -> String {
    let (y, m, d, h, mi, s, _) = wall(t);
    let zone = match t.offset {
        None => "Z".to_string(),
        Some(o) => offset_text(o, true),
    };
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn formatdate(a: &[Value], _: &CallContext) -> R {
    let spec = string(a, 0)?;
    let t = parse(a, 1)?;
    let (y, m, d, h, mi, s, wd) = wall(t);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' is a quote.
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(arg_err(0, "unterminated literal '")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(x) => {
                        out.push(*x);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let mut n = 1;
        while chars.get(i + n) == Some(&c) {
            n += 1;
        }
        let text = match (c, n) {
            ('Y', 2) => format!("{:02}", y.rem_euclid(100)),
            ('Y', 4..) => format!("{y:04}"),
            ('M', 1) => m.to_string(),
            ('M', 2) => format!("{m:02}"),
            ('M', 3) => MONTHS[m as usize - 1][..3].to_string(),
            ('M', 4) => MONTHS[m as usize - 1].to_string(),
            ('D', 1) => d.to_string(),
            ('D', 2) => format!("{d:02}"),
            ('E', 3) => DAYS[wd as usize][..3].to_string(),
            ('E', 4) => DAYS[wd as usize].to_string(),
            ('h', 1) => h.to_string(),
            ('h', 2) => format!("{h:02}"),
            ('H', 1) => h12.to_string(),
            ('H', 2) => format!("{h12:02}"),
            ('A', 2) => (if h < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if h < 12 { "am" } else { "pm" }).to_string(),
            ('m', 1) => mi.to_string(),
            ('m', 2) => format!("{mi:02}"),
            ('s', 1) => s.to_string(),
            ('s', 2) => format!("{s:02}"),
            ('Z', 1) => match t.offset {
                None => "Z".into(),
                Some(o) => offset_text(o, true),
            },
            ('Z', 3) => match t.offset {
                None => "UTC".into(),
                Some(o) => offset_text(o, false),
            },
            ('Z', 4) => offset_text(t.offset.unwrap_or(0), false),
            ('Z', 5) => offset_text(t.offset.unwrap_or(0), true),
            _ => {
                let seq: String = std::iter::repeat_n(c, n).collect();
                return Err(arg_err(
                    0,
                    format!("invalid date format verb {seq:?}: quote literal letters, as in 'T'"),
                ));
            }
        };
        out.push_str(&text);
        i += n;
    }
    Ok(Value::String(out))
}

/// A duration as Go's `time.ParseDuration` reads it ("1h30m", "-10m", "1.5h",
/// "300ms"), in nanoseconds.
fn parse_duration(s: &str) -> Result<i128, String> {
    let orig = s;
    let (neg, mut s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(format!("invalid duration {orig:?}"));
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let num_end = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let number = &s[..num_end];
        if number.is_empty() || number == "." {
            return Err(format!("invalid duration {orig:?}"));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("invalid duration {orig:?}"))?;
        s = &s[num_end..];
        let unit_end = s
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(s.len());
        let unit = &s[..unit_end];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("missing unit in duration {orig:?}")),
            u => return Err(format!("unknown unit {u:?} in duration {orig:?}")),
        };
        total += value * scale;
        s = &s[unit_end..];
    }
    let n = total.round() as i128;
    Ok(if neg { -n } else { n })
}

fn timeadd(a: &[Value], _: &CallContext) -> R {
    let t = parse(a, 0)?;
    let d = parse_duration(string(a, 1)?).map_err(|e| arg_err(1, e))?;
    let total = i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos) + d;
    let secs = total.div_euclid(1_000_000_000) as i64;
    let nanos = total.rem_euclid(1_000_000_000) as u32;
    Ok(Value::String(rfc3339(Time {
        secs,
        nanos,
        offset: t.offset,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 11_016, 17_533, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(17_533), (2018, 1, 2));
    }

    #[test]
    fn durations_as_go_reads_them() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Ok(-5_400_000_000_000));
        assert_eq!(parse_duration("300ms"), Ok(300_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("10x")
            .unwrap_err()
            .contains("unknown unit \"x\""));
        assert!(parse_duration("10").is_err());
    }
}
