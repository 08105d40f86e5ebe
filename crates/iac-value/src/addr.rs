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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceAddr {
    /// Module steps from the root, outermost first: a call's name, with the
    /// instance's key as Terraform writes it when the call has `count` or
    /// `for_each` (`net`, `net[0]`, `net["eu"]`; see [`module_step`]).
    pub module: Vec<String>,
    pub mode: ResourceMode,
    pub ty: String,
    pub name: String,
}

/// Module steps in the order of their calls' names, then keys as keys are
/// ordered (`web[2]` before `web[10]`), as Terraform lists them.
fn cmp_steps(a: &[String], b: &[String]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        if x == y {
            continue;
        }
        let (xs, ys) = (split_module_step(x), split_module_step(y));
        return xs.cmp(&ys).then_with(|| x.cmp(y));
    }
    a.len().cmp(&b.len())
}

impl Ord for ResourceAddr {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Most addresses are in the root module: no steps to compare.
        let steps = if self.module.is_empty() && other.module.is_empty() {
            std::cmp::Ordering::Equal
        } else {
            cmp_steps(&self.module, &other.module)
        };
        steps
            .then_with(|| self.mode.cmp(&other.mode))
            .then_with(|| self.ty.cmp(&other.ty))
            .then_with(|| self.name.cmp(&other.name))
    }
}

impl PartialOrd for ResourceAddr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ResourceAddr {
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

/// One step of a module instance path: the call's name and, for a call with
/// `count` or `for_each`, the instance's key (`net`, `net[0]`, `net["eu"]`).
pub fn module_step(name: &str, key: &InstanceKey) -> String {
    match key {
        InstanceKey::None => name.to_string(),
        k => format!("{name}{k}"),
    }
}

/// A module step's call name and instance key: `net["eu"]` -> (`net`, "eu").
pub fn split_module_step(step: &str) -> (&str, InstanceKey) {
    match step.find('[') {
        Some(p) => (
            &step[..p],
            parse_key(&step[p..]).unwrap_or(InstanceKey::None),
        ),
        None => (step, InstanceKey::None),
    }
}

/// The call names of a module instance path, keys left out: the module of the
/// configuration that every instance of `module.net[0]` is made from.
pub fn module_config_path(steps: &[String]) -> Vec<String> {
    steps
        .iter()
        .map(|s| match s.find('[') {
            Some(p) => s[..p].to_string(),
            None => s.clone(),
        })
        .collect()
}

/// Whether a module instance path has any keyed step.
pub fn has_module_keys(steps: &[String]) -> bool {
    steps.iter().any(|s| s.contains('['))
}

/// Whether a pattern's module steps select an instance's: a step without a
/// key names the call, so `module.net` selects `module.net[0]` too.
fn module_prefix_matches(pattern: &[String], steps: &[String]) -> bool {
    pattern.len() <= steps.len()
        && pattern
            .iter()
            .zip(steps)
            .all(|(p, s)| p == s || (!p.contains('[') && split_module_step(s).0 == p.as_str()))
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
    /// Whether the pattern selects an instance. A module step without a key
    /// selects every instance of that call (`module.net` selects
    /// `module.net[0].aws_subnet.a`), as `-target` and `state` commands do.
    pub fn matches(&self, addr: &InstanceAddr) -> bool {
        if !module_prefix_matches(&self.module, &addr.resource.module) {
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

    /// Where an instance this pattern selects goes when it moves to `to`
    /// (`moved` blocks, `state mv`); `None` if the pattern does not select it
    /// or the two addresses are of different kinds.
    pub fn move_to(&self, to: &AddrPattern, addr: &InstanceAddr) -> Option<InstanceAddr> {
        let from = self;
        if !from.matches(addr) {
            return None;
        }
        let mut new = addr.clone();
        match (&from.resource, &to.resource) {
            (None, None) => {
                let n = from.module.len();
                let (Some(from_last), Some(to_last)) = (from.module.last(), to.module.last())
                else {
                    return None;
                };
                let step = &addr.resource.module[n - 1];
                // `module.a` to `module.b`: the call is renamed, every instance
                // keeps its key. A key on either side moves one instance:
                // `module.a` to `module.a[0]` takes the unkeyed instance only.
                let whole_call = !from_last.contains('[') && !to_last.contains('[');
                let last = if whole_call {
                    module_step(split_module_step(to_last).0, &split_module_step(step).1)
                } else if step == from_last {
                    to_last.clone()
                } else {
                    return None;
                };
                let rest = addr.resource.module[n..].to_vec();
                new.resource.module = to.module[..to.module.len() - 1]
                    .iter()
                    .cloned()
                    .chain(std::iter::once(last))
                    .chain(rest)
                    .collect();
            }
            (Some(_), Some((mode, ty, name))) => {
                if addr.resource.module != from.module {
                    return None;
                }
                new.resource.module = to.module.clone();
                new.resource.mode = *mode;
                new.resource.ty = ty.clone();
                new.resource.name = name.clone();
                if let Some(k) = &to.key {
                    new.key = k.clone();
                }
            }
            _ => return None,
        }
        Some(new)
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
            let step = match name.find('[') {
                Some(p) => module_step(&name[..p], &parse_key(&name[p..])?),
                None => name.clone(),
            };
            if !is_name(split_module_step(&step).0) {
                return Err(AddrError(format!("\"{s}\": invalid module name")));
            }
            module.push(step);
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
        for s in [
            "module.net[0].terraform_data.a",
            "module.net[\"eu\"].module.sub.terraform_data.a[1]",
        ] {
            let a: InstanceAddr = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        let m: AddrPattern = "module.net[\"a.b\"]".parse().unwrap();
        assert_eq!(m.to_string(), "module.net[\"a.b\"]");
        assert!("module.net[x].a.b".parse::<AddrPattern>().is_err());
        assert!("module.1net[0].a.b".parse::<AddrPattern>().is_err());
    }

    #[test]
    fn module_steps_split_and_match() {
        assert_eq!(
            split_module_step("net[\"eu\"]"),
            ("net", InstanceKey::Str("eu".into()))
        );
        assert_eq!(split_module_step("net[2]"), ("net", InstanceKey::Int(2)));
        assert_eq!(split_module_step("net"), ("net", InstanceKey::None));
        assert_eq!(
            module_config_path(&["a[0]".into(), "b".into(), "c[\"x\"]".into()]),
            ["a", "b", "c"]
        );
        let all: AddrPattern = "module.net".parse().unwrap();
        let one: AddrPattern = "module.net[1]".parse().unwrap();
        let a: InstanceAddr = "module.net[0].terraform_data.a".parse().unwrap();
        let b: InstanceAddr = "module.net[1].terraform_data.a".parse().unwrap();
        assert!(all.matches(&a) && all.matches(&b));
        assert!(!one.matches(&a) && one.matches(&b));
        assert!(!all.matches(&"module.network.terraform_data.a".parse().unwrap()));
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
        let mut v: Vec<InstanceAddr> = [
            "module.w[10].t.a",
            "module.w[2].t.a",
            "module.w.t.a",
            "t.a",
            "module.v[\"b\"].t.a",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            s,
            [
                "t.a",
                "module.v[\"b\"].t.a",
                "module.w.t.a",
                "module.w[2].t.a",
                "module.w[10].t.a"
            ]
        );
    }
}
