//! Type constraints (`list(string)`, `object({...})`) and conversion of values to them.

use std::collections::BTreeMap;
use std::fmt;

use crate::{format_number, Value};

/// One attribute of an object type: `name = string`, `name = optional(string)`,
/// `name = optional(number, 7)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub ty: Type,
    pub optional: bool,
    /// `optional(type, default)`: what an absent or null attribute becomes.
    pub default: Option<Value>,
}

impl Attr {
    pub fn required(ty: Type) -> Attr {
        Attr {
            ty,
            optional: false,
            default: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    /// Attributes with their types, optionality and defaults.
    Object(BTreeMap<String, Attr>),
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
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match (&a.default, a.optional) {
                        (Some(d), _) => write!(f, "{k} = optional({}, {d})", a.ty)?,
                        (None, true) => write!(f, "{k} = optional({})", a.ty)?,
                        (None, false) => write!(f, "{k} = {}", a.ty)?,
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
        (Type::String, Value::Number(n)) => Value::String(format_number(&n)),
        (Type::String, Value::Bool(b)) => Value::String(b.to_string()),
        (Type::Number, Value::Number(n)) => Value::Number(n),
        (Type::Number, Value::String(s)) => match crate::Number::parse(s.trim()) {
            Some(n) => Value::Number(n),
            _ => {
                return Err(where_(format!(
                    "a number is required, got string {}",
                    crate::quote(&s)
                )))
            }
        },
        (Type::Bool, Value::Bool(b)) => Value::Bool(b),
        (Type::Bool, Value::String(s)) if matches!(s.as_str(), "true" | "false" | "1" | "0") => {
            Value::Bool(s == "true" || s == "1")
        }
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
            for (name, a) in attrs {
                let p = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                // An optional attribute left out, or null, takes its default
                // (converted as a value would be, so defaults nested in it apply too).
                let given = m
                    .remove(name)
                    .filter(|v| !(a.default.is_some() && matches!(v, Value::Null)));
                match given {
                    Some(v) => {
                        out.insert(name.clone(), convert_at(v, &a.ty, &p)?);
                    }
                    None if a.optional => {
                        let v = match &a.default {
                            Some(d) => convert_at(d.clone(), &a.ty, &p)?,
                            None => Value::Null,
                        };
                        out.insert(name.clone(), v);
                    }
                    None => return Err(where_(format!("attribute \"{name}\" is required"))),
                }
            }
            if let Some(extra) = m.keys().next() {
                return Err(where_(format!("unexpected attribute \"{extra}\"")));
            }
            Value::Map(out.into())
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
        let v = Value::List(vec![Value::num(1.0), Value::Bool(true)]);
        assert_eq!(
            convert(v, &t).unwrap(),
            Value::List(vec![Value::string("1"), Value::string("true")])
        );
        assert_eq!(
            convert(Value::string("x"), &Type::Number).unwrap_err(),
            "a number is required, got string \"x\""
        );
        let obj = Type::Object(BTreeMap::from([
            ("a".to_string(), Attr::required(Type::Number)),
            (
                "b".to_string(),
                Attr {
                    ty: Type::String,
                    optional: true,
                    default: None,
                },
            ),
        ]));
        let v = Value::map([("a", Value::string("2"))]);
        assert_eq!(
            convert(v, &obj).unwrap(),
            Value::map([("a", Value::num(2.0)), ("b", Value::Null)])
        );
        let bad = Value::map([("a", Value::List(vec![]))]);
        assert_eq!(
            convert(bad, &obj).unwrap_err(),
            "a: a number is required, got list"
        );
    }

    #[test]
    fn sensitivity_survives_conversion() {
        let v = convert(Value::num(1.0).sensitive(), &Type::String).unwrap();
        assert_eq!(v, Value::string("1").sensitive());
    }
}

/// The type a value has as Terraform sees it: a list literal is a tuple, an
/// object literal an object; null and unknown values fit any type.
pub fn type_of(v: &Value) -> Type {
    match v {
        Value::Null | Value::Unknown | Value::Redacted(_) => Type::Any,
        Value::Sensitive(inner) => type_of(inner),
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::Tuple(items.iter().map(type_of).collect()),
        Value::Set(items) => Type::Set(Box::new(
            unify_all(items.iter().map(type_of)).unwrap_or(Type::Any),
        )),
        Value::Map(m) => Type::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Attr::required(type_of(v))))
                .collect(),
        ),
    }
}

/// The one type two types convert to, as Terraform unifies the results of a
/// conditional or the elements of a collection: a string with a number or a
/// bool is a string; tuples of different lengths are a list, objects with
/// different attributes a map, of their elements unified. `None`: there is none
/// (a number and a bool, a string and a list).
pub fn unify(a: &Type, b: &Type) -> Option<Type> {
    use Type::*;
    Some(match (a, b) {
        (Any, t) | (t, Any) => t.clone(),
        (a, b) if a == b => a.clone(),
        (String, Number | Bool) | (Number | Bool, String) => String,
        (Tuple(x), Tuple(y)) if x.len() == y.len() => Tuple(
            x.iter()
                .zip(y)
                .map(|(a, b)| unify(a, b))
                .collect::<Option<_>>()?,
        ),
        (Tuple(x), Tuple(y)) => List(Box::new(unify_all(x.iter().chain(y).cloned())?)),
        (List(e), Tuple(ts)) | (Tuple(ts), List(e)) => List(Box::new(unify_all(
            std::iter::once((**e).clone()).chain(ts.iter().cloned()),
        )?)),
        (List(x), List(y)) => List(Box::new(unify(x, y)?)),
        (Set(x), Set(y)) => Set(Box::new(unify(x, y)?)),
        (Object(x), Object(y)) if x.keys().eq(y.keys()) => Object(
            x.iter()
                .zip(y.values())
                .map(|((k, a), b)| {
                    unify(&a.ty, &b.ty).map(|t| (k.clone(), Attr { ty: t, ..a.clone() }))
                })
                .collect::<Option<_>>()?,
        ),
        (Object(x), Object(y)) => Map(Box::new(unify_all(
            x.values().chain(y.values()).map(|a| a.ty.clone()),
        )?)),
        (Map(e), Object(o)) | (Object(o), Map(e)) => Map(Box::new(unify_all(
            std::iter::once((**e).clone()).chain(o.values().map(|a| a.ty.clone())),
        )?)),
        (Map(x), Map(y)) => Map(Box::new(unify(x, y)?)),
        _ => return None,
    })
}

/// [`unify`] over any number of types (`Any` for none).
pub fn unify_all(types: impl IntoIterator<Item = Type>) -> Option<Type> {
    let mut out = Type::Any;
    for t in types {
        out = unify(&out, &t)?;
    }
    Some(out)
}

/// Values converted to the one type they unify to, as the elements of a list,
/// set or map are (`[1, "a"]` as a list is `["1", "a"]`). `None` when they
/// have no common type.
pub fn unify_values(values: Vec<Value>) -> Option<Vec<Value>> {
    let t = unify_all(values.iter().map(type_of))?;
    if values.iter().all(|v| type_of(v) == t) {
        return Some(values);
    }
    values.into_iter().map(|v| convert(v, &t).ok()).collect()
}

#[cfg(test)]
mod unify_tests {
    use super::*;

    #[test]
    fn strings_win_and_shapes_merge() {
        let v = |s: &str| Value::string(s);
        assert_eq!(
            unify_values(vec![Value::num(1.0), v("a")]),
            Some(vec![v("1"), v("a")])
        );
        assert_eq!(unify_values(vec![Value::num(1.0), Value::Bool(true)]), None);
        let a = Value::map([("a", Value::num(1.0))]);
        let b = Value::map([("b", v("x"))]);
        assert_eq!(
            unify_values(vec![a, b]),
            Some(vec![
                Value::map([("a", v("1"))]),
                Value::map([("b", v("x"))])
            ])
        );
        let l1 = Value::List(vec![Value::num(1.0)]);
        let l2 = Value::List(vec![v("a"), v("b")]);
        assert_eq!(
            unify_values(vec![l1, l2]),
            Some(vec![
                Value::List(vec![v("1")]),
                Value::List(vec![v("a"), v("b")])
            ])
        );
    }
}
