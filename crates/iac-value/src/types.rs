//! Type constraints (`list(string)`, `object({...})`) and conversion of values to them.

use std::collections::BTreeMap;
use std::fmt;

use crate::{format_number, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attributes with their types; `true` marks an `optional(...)` attribute.
    Object(BTreeMap<String, (Type, bool)>),
    Tuple(Vec<Type>),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, (t, opt))) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if *opt {
                        write!(f, "{k} = optional({t})")?;
                    } else {
                        write!(f, "{k} = {t}")?;
                    }
                }
                f.write_str("})")
            }
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

/// Converts `value` to `ty` the way Terraform does for variables and function
/// arguments (numbers and bools to strings and back, tuples to lists, objects to maps).
/// The error says what was expected, with the path where conversion failed.
pub fn convert(value: Value, ty: &Type) -> Result<Value, String> {
    convert_at(value, ty, "")
}

fn convert_at(value: Value, ty: &Type, at: &str) -> Result<Value, String> {
    let (value, marked) = value.unmark();
    let where_ = |msg: String| {
        if at.is_empty() {
            msg
        } else {
            format!("{at}: {msg}")
        }
    };
    if matches!(value, Value::Null | Value::Unknown | Value::Redacted(_)) || *ty == Type::Any {
        return Ok(value.mark_if(marked));
    }
    let out = match (ty, value) {
        (Type::String, Value::String(s)) => Value::String(s),
        (Type::String, Value::Number(n)) => Value::String(format_number(n)),
        (Type::String, Value::Bool(b)) => Value::String(b.to_string()),
        (Type::Number, Value::Number(n)) => Value::Number(n),
        (Type::Number, Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Value::Number(n),
            _ => {
                return Err(where_(format!(
                    "a number is required, got string {}",
                    crate::quote(&s)
                )))
            }
        },
        (Type::Bool, Value::Bool(b)) => Value::Bool(b),
        (Type::Bool, Value::String(s)) if s == "true" || s == "false" => Value::Bool(s == "true"),
        (Type::List(et), Value::List(items) | Value::Set(items)) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| convert_at(v, et, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Set(et), Value::List(items) | Value::Set(items)) => Value::set(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| convert_at(v, et, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Tuple(ts), Value::List(items)) => {
            if ts.len() != items.len() {
                return Err(where_(format!(
                    "a tuple of {} elements is required, got {}",
                    ts.len(),
                    items.len()
                )));
            }
            Value::List(
                items
                    .into_iter()
                    .zip(ts)
                    .enumerate()
                    .map(|(i, (v, t))| convert_at(v, t, &format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Map(et), Value::Map(m)) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let p = format!("{at}[{}]", crate::quote(&k));
                    convert_at(v, et, &p).map(|v| (k, v))
                })
                .collect::<Result<_, _>>()?,
        ),
        (Type::Object(attrs), Value::Map(mut m)) => {
            let mut out = BTreeMap::new();
            for (name, (t, optional)) in attrs {
                let p = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                match m.remove(name) {
                    Some(v) => {
                        out.insert(name.clone(), convert_at(v, t, &p)?);
                    }
                    None if *optional => {
                        out.insert(name.clone(), Value::Null);
                    }
                    None => return Err(where_(format!("attribute \"{name}\" is required"))),
                }
            }
            if let Some(extra) = m.keys().next() {
                return Err(where_(format!("unexpected attribute \"{extra}\"")));
            }
            Value::Map(out)
        }
        (ty, v) => {
            return Err(where_(format!(
                "{} required, got {}",
                article(ty),
                v.type_name()
            )));
        }
    };
    Ok(out.mark_if(marked))
}

fn article(ty: &Type) -> String {
    match ty {
        Type::String => "a string is".into(),
        Type::Number => "a number is".into(),
        Type::Bool => "a bool is".into(),
        Type::List(_) | Type::Tuple(_) => format!("a list ({ty}) is"),
        Type::Set(_) => format!("a set ({ty}) is"),
        Type::Map(_) => format!("a map ({ty}) is"),
        Type::Object(_) => format!("an object ({ty}) is"),
        Type::Any => "any value is".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_terraform() {
        let t = Type::List(Box::new(Type::String));
        let v = Value::List(vec![Value::Number(1.0), Value::Bool(true)]);
        assert_eq!(
            convert(v, &t).unwrap(),
            Value::List(vec![Value::string("1"), Value::string("true")])
        );
        assert_eq!(
            convert(Value::string("x"), &Type::Number).unwrap_err(),
            "a number is required, got string \"x\""
        );
        let obj = Type::Object(BTreeMap::from([
            ("a".to_string(), (Type::Number, false)),
            ("b".to_string(), (Type::String, true)),
        ]));
        let v = Value::map([("a", Value::string("2"))]);
        assert_eq!(
            convert(v, &obj).unwrap(),
            Value::map([("a", Value::Number(2.0)), ("b", Value::Null)])
        );
        let bad = Value::map([("a", Value::List(vec![]))]);
        assert_eq!(
            convert(bad, &obj).unwrap_err(),
            "a: a number is required, got list"
        );
    }

    #[test]
    fn sensitivity_survives_conversion() {
        let v = convert(Value::Number(1.0).sensitive(), &Type::String).unwrap();
        assert_eq!(v, Value::string("1").sensitive());
    }
}
