//! Addresses of resources and their instances: `module.net.aws_subnet.a["b"]`.
//! `Display` and `FromStr` round-trip; `Ord` keeps every listing deterministic.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// The key of one instance: none, `count` index or `for_each` key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    None,
    Int(usize),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", crate::quote(s)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    /// Module call names from the root, outermost first.
    pub module: Vec<String>,
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

fn write_module(f: &mut fmt::Formatter<'_>, module: &[String]) -> fmt::Result {
    for m in module {
        write!(f, "module.{m}.")?;
    }
    Ok(())
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_module(f, &self.module)?;
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.ty, self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// What a `-target`, `-replace`, `moved` or `state` command names: a module,
/// a whole resource, or one instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrPattern {
    pub module: Vec<String>,
    pub resource: Option<(ResourceMode, String, String)>,
    /// `None`: every instance. `Some(InstanceKey::None)`: the single unkeyed instance.
    pub key: Option<InstanceKey>,
}

impl AddrPattern {
    pub fn matches(&self, addr: &InstanceAddr) -> bool {
        if !addr.resource.module.starts_with(&self.module) {
            return false;
        }
        match &self.resource {
            None => true,
            Some((mode, ty, name)) => {
                addr.resource.module.len() == self.module.len()
                    && addr.resource.mode == *mode
                    && addr.resource.ty == *ty
                    && addr.resource.name == *name
                    && self.key.as_ref().is_none_or(|k| *k == addr.key)
            }
        }
    }

    pub fn as_instance(&self) -> Option<InstanceAddr> {
        let (mode, ty, name) = self.resource.clone()?;
        Some(InstanceAddr {
            resource: ResourceAddr {
                module: self.module.clone(),
                mode,
                ty,
                name,
            },
            key: self.key.clone().unwrap_or(InstanceKey::None),
        })
    }
}

impl fmt::Display for AddrPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resource {
            None => {
                let parts: Vec<String> =
                    self.module.iter().map(|m| format!("module.{m}")).collect();
                f.write_str(&parts.join("."))
            }
            Some((mode, ty, name)) => {
                write_module(f, &self.module)?;
                if *mode == ResourceMode::Data {
                    f.write_str("data.")?;
                }
                write!(f, "{ty}.{name}")?;
                if let Some(k) = &self.key {
                    write!(f, "{k}")?;
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct AddrError(pub String);

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddrError {}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
}

/// Splits `a.b["c.d"][0]` into dotted parts, keeping bracket contents whole.
fn split_parts(s: &str) -> Result<Vec<String>, AddrError> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut in_str = false;
    let mut depth = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if depth > 0 => {
                in_str = !in_str;
                cur.push(c);
            }
            '\\' if in_str => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '[' if !in_str => {
                depth += 1;
                cur.push(c);
            }
            ']' if !in_str => {
                depth -= 1;
                cur.push(c);
            }
            '.' if !in_str && depth == 0 => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if in_str || depth != 0 {
        return Err(AddrError(format!(
            "unbalanced brackets or quotes in \"{s}\""
        )));
    }
    parts.push(cur);
    Ok(parts)
}

fn parse_key(s: &str) -> Result<InstanceKey, AddrError> {
    let inner = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .ok_or_else(|| AddrError(format!("invalid instance key \"{s}\"")))?;
    if let Some(q) = inner.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = q.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        return Ok(InstanceKey::Str(out));
    }
    inner.parse::<usize>().map(InstanceKey::Int).map_err(|_| {
        AddrError(format!(
            "instance key must be a number or a quoted string, got \"{inner}\""
        ))
    })
}

impl FromStr for AddrPattern {
    type Err = AddrError;

    fn from_str(s: &str) -> Result<AddrPattern, AddrError> {
        let parts = split_parts(s.trim())?;
        let mut i = 0;
        let mut module = Vec::new();
        while i < parts.len() && parts[i] == "module" {
            let name = parts.get(i + 1).ok_or_else(|| {
                AddrError(format!("\"{s}\": `module` must be followed by a name"))
            })?;
            if name.contains('[') {
                return Err(AddrError(format!(
                    "\"{s}\": module instance keys are not supported"
                )));
            }
            module.push(name.clone());
            i += 2;
        }
        if i == parts.len() {
            if module.is_empty() {
                return Err(AddrError("an empty address".into()));
            }
            return Ok(AddrPattern {
                module,
                resource: None,
                key: None,
            });
        }
        let mode = if parts[i] == "data" {
            i += 1;
            ResourceMode::Data
        } else {
            ResourceMode::Managed
        };
        let (ty, name_and_key) = match (parts.get(i), parts.get(i + 1)) {
            (Some(t), Some(n)) if i + 2 == parts.len() => (t.clone(), n.clone()),
            _ => {
                return Err(AddrError(format!(
                    "\"{s}\" is not a resource address; expected TYPE.NAME, TYPE.NAME[KEY] or module.NAME..."
                )))
            }
        };
        let (name, key) = match name_and_key.find('[') {
            Some(p) => (
                name_and_key[..p].to_string(),
                Some(parse_key(&name_and_key[p..])?),
            ),
            None => (name_and_key, None),
        };
        if !is_name(&ty) || !is_name(&name) {
            return Err(AddrError(format!("\"{s}\": invalid resource type or name")));
        }
        Ok(AddrPattern {
            module,
            resource: Some((mode, ty, name)),
            key,
        })
    }
}

impl FromStr for InstanceAddr {
    type Err = AddrError;

    fn from_str(s: &str) -> Result<InstanceAddr, AddrError> {
        if let Some(a) = plain_instance(s) {
            return Ok(a);
        }
        let p: AddrPattern = s.parse()?;
        p.as_instance()
            .ok_or_else(|| AddrError(format!("\"{s}\" names a module, not a resource instance")))
    }
}

/// `TYPE.NAME` or `data.TYPE.NAME` in the root module, without a key: most
/// addresses a state holds, read without the general parser's allocations.
/// `None` for anything else (which the general parser then reads or refuses).
fn plain_instance(s: &str) -> Option<InstanceAddr> {
    let mut parts = s.split('.');
    let (mode, ty, name) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("module" | "data"), _, None, _) => return None,
        (Some("data"), Some(ty), Some(name), None) => (ResourceMode::Data, ty, name),
        (Some(ty), Some(name), None, None) if ty != "module" => (ResourceMode::Managed, ty, name),
        _ => return None,
    };
    (is_name(ty) && is_name(name)).then(|| InstanceAddr {
        resource: ResourceAddr {
            module: Vec::new(),
            mode,
            ty: ty.to_string(),
            name: name.to_string(),
        },
        key: InstanceKey::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_read_as_the_general_parser_reads_them() {
        for s in [
            "terraform_data.a",
            "data.aws_ami.ubuntu",
            "data.x",
            "module.x",
            "module.a.b",
            "a.b.c",
            "a",
            "a.",
            ".a",
            "a.b[0]",
            "a.b-c",
            "1a.b",
            "a.b c",
            " a.b",
            "data.module.x",
            "module.module",
        ] {
            let general = s.parse::<AddrPattern>().ok().and_then(|p| p.as_instance());
            let plain = plain_instance(s);
            if plain.is_some() {
                assert_eq!(plain, general, "{s}");
            }
        }
        assert!(plain_instance("terraform_data.a").is_some());
        assert!(plain_instance("data.aws_ami.ubuntu").is_some());
    }

    #[test]
    fn round_trips() {
        for s in [
            "terraform_data.a",
            "terraform_data.a[0]",
            "module.net.module.x.aws_subnet.a[\"b.c\"]",
            "data.aws_ami.ubuntu",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let m: AddrPattern = "module.net".parse().unwrap();
        assert_eq!(m.to_string(), "module.net");
    }

    #[test]
    fn patterns_match_instances() {
        let p: AddrPattern = "terraform_data.a".parse().unwrap();
        assert!(p.matches(&"terraform_data.a[3]".parse().unwrap()));
        assert!(!p.matches(&"terraform_data.b".parse().unwrap()));
        let m: AddrPattern = "module.net".parse().unwrap();
        assert!(m.matches(&"module.net.terraform_data.a".parse().unwrap()));
        assert!(!m.matches(&"terraform_data.a".parse().unwrap()));
    }

    #[test]
    fn rejects_garbage() {
        assert!("".parse::<AddrPattern>().is_err());
        assert!("a".parse::<AddrPattern>().is_err());
        assert!("a.b[".parse::<AddrPattern>().is_err());
        assert!("a.b[x]".parse::<AddrPattern>().is_err());
    }

    #[test]
    fn order_is_numeric_for_count() {
        let mut v: Vec<InstanceAddr> = ["t.a[10]", "t.a[2]", "t.a[1]"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(s, ["t.a[1]", "t.a[2]", "t.a[10]"]);
    }
}
