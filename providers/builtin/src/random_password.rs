//! `random_password`: a generated secret. Its `result` exists in plaintext only in
//! the apply that creates it; state keeps a fingerprint.

use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};
use rand::Rng;

use crate::util::{keepers, num_attr, set};

pub struct RandomPassword;

fn bool_attr(v: &Value, name: &str) -> bool {
    v.get_attr(name).as_bool().unwrap_or(true)
}

pub(crate) fn generate_password(cfg: &Value) -> Result<String, AttrDiagnostic> {
    let len = num_attr(cfg, "length", 0.0) as usize;
    let special_chars = cfg
        .get_attr("override_special")
        .as_str()
        .unwrap_or("!@#$%&*()-_=+[]{}<>:?")
        .to_string();
    let mut classes: Vec<(Vec<char>, usize)> = Vec::new();
    for (flag, min, chars) in [
        (
            "upper",
            "min_upper",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ".to_string(),
        ),
        (
            "lower",
            "min_lower",
            "abcdefghijklmnopqrstuvwxyz".to_string(),
        ),
        ("numeric", "min_numeric", "0123456789".to_string()),
        ("special", "min_special", special_chars),
    ] {
        if bool_attr(cfg, flag) && !chars.is_empty() {
            classes.push((chars.chars().collect(), num_attr(cfg, min, 0.0) as usize));
        }
    }
    let min_total: usize = classes.iter().map(|c| c.1).sum();
    if classes.is_empty() || len == 0 || min_total > len {
        return Err(AttrDiagnostic::error(
            vec![PathStep::Key("length".into())],
            "Cannot generate a password",
            format!("length {len} cannot hold the required character classes (at least {min_total} characters)"),
        ));
    }
    let mut rng = rand::thread_rng();
    let mut out: Vec<char> = Vec::with_capacity(len);
    for (chars, min) in &classes {
        for _ in 0..*min {
            out.push(chars[rng.gen_range(0..chars.len())]);
        }
    }
    let all: Vec<char> = classes.iter().flat_map(|c| c.0.iter().copied()).collect();
    while out.len() < len {
        out.push(all[rng.gen_range(0..all.len())]);
    }
    for i in (1..out.len()).rev() {
        let j = rng.gen_range(0..=i);
        out.swap(i, j);
    }
    Ok(out.into_iter().collect())
}

/// The arguments `random_password` and `random_string` share; `result` is
/// sensitive in the first only.
pub(crate) fn charset_schema(description: &'static str, sensitive: bool) -> Schema {
    let result = Attribute::computed(AttrType::String, "The generated string.");
    let mut pw = Schema::new(description)
        .attr(
            "id",
            Attribute::computed(
                AttrType::String,
                if sensitive {
                    "Always `none`."
                } else {
                    "The generated string."
                },
            ),
        )
        .attr("keepers", keepers())
        .attr(
            "length",
            Attribute::required(AttrType::Number, "Length of the string.").force_new(),
        )
        .attr(
            "override_special",
            Attribute::optional(AttrType::String, "The special characters to use.").force_new(),
        )
        .attr(
            "result",
            if sensitive {
                result.sensitive()
            } else {
                result
            },
        );
    for (name, desc) in [
        ("special", "Include special characters (default true)."),
        ("upper", "Include upper-case letters (default true)."),
        ("lower", "Include lower-case letters (default true)."),
        ("numeric", "Include digits (default true)."),
    ] {
        pw = pw.attr(name, Attribute::optional(AttrType::Bool, desc).force_new());
    }
    for (name, desc) in [
        ("min_special", "At least this many special characters."),
        ("min_upper", "At least this many upper-case letters."),
        ("min_lower", "At least this many lower-case letters."),
        ("min_numeric", "At least this many digits."),
    ] {
        pw = pw.attr(
            name,
            Attribute::optional(AttrType::Number, desc).force_new(),
        );
    }
    pw
}

/// `length` from 1 to 4096.
pub(crate) fn validate_length(config: &Value) -> Vec<AttrDiagnostic> {
    match config.get_attr("length").as_f64() {
        Some(n) if !(1.0..=4096.0).contains(&n) || n.fract() != 0.0 => {
            vec![AttrDiagnostic::error(
                vec![PathStep::Key("length".into())],
                "Invalid length",
                "must be a whole number from 1 to 4096",
            )]
        }
        _ => Vec::new(),
    }
}

#[async_trait::async_trait]
impl ResourceType<()> for RandomPassword {
    fn schema(&self) -> Schema {
        charset_schema(
            "A random password. Its `result` is sensitive and is never stored in plaintext.",
            true,
        )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        validate_length(config)
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let pw = generate_password(planned).map_err(|d| vec![d])?;
        let mut new = planned.clone();
        set(&mut new, "id", Value::string("none"));
        set(&mut new, "result", Value::String(pw).sensitive());
        Ok(Some(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_honours_minimums() {
        let cfg = Value::map([
            ("length", Value::num(12.0)),
            ("min_numeric", Value::num(4.0)),
            ("special", Value::Bool(false)),
        ]);
        for _ in 0..20 {
            let pw = generate_password(&cfg).ok().unwrap();
            assert_eq!(pw.chars().count(), 12);
            assert!(pw.chars().filter(|c| c.is_ascii_digit()).count() >= 4);
            assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        let bad = Value::map([("length", Value::num(2.0)), ("min_upper", Value::num(3.0))]);
        assert!(generate_password(&bad).is_err());
    }
}
