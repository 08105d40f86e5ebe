//! The values computed so far, per module, and the namespace expressions see.

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use iac_config::Namespace;
use iac_value::addr::InstanceKey;
use iac_value::{Fingerprinter, Value};

use crate::graph::ModPath;

#[derive(Default)]
pub struct ModuleValues {
    pub vars: HashMap<String, Value>,
    pub locals: FxHashMap<String, Value>,
    /// Aggregate values of resources and data sources by `type.name` / `data.type.name`.
    pub resources: FxHashMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
}

/// The instances of one module call with `count` or `for_each` in one
/// instance of the calling module.
pub struct CallInstances {
    pub rep: Repetition,
    /// Keys in order, with `each.value` for `for_each`.
    pub keys: Vec<(InstanceKey, Option<Value>)>,
    /// The expansion could not be evaluated (its error is reported): the call's
    /// value is unknown and it has no instances.
    pub failed: bool,
}

#[derive(Default)]
pub struct Values {
    /// By module instance path (`["net[0]", "sub"]`).
    pub modules: FxHashMap<ModPath, ModuleValues>,
    /// Expanded module calls, by the calling instance's path and the call's
    /// name (`["net[0]", "sub"]` for `module.sub` called in `module.net[0]`).
    pub calls: FxHashMap<ModPath, CallInstances>,
    /// Fingerprints under the state's salt (see `Namespace::fingerprinter`).
    pub fp: Option<Arc<Fingerprinter>>,
}

impl Values {
    pub fn with_fingerprinter(fp: Arc<Fingerprinter>) -> Values {
        Values {
            modules: FxHashMap::default(),
            calls: FxHashMap::default(),
            fp: Some(fp),
        }
    }

    /// Every instance path of a module of the configuration (by its call names),
    /// as far as the calls' expansions are known: `["net"]` is `[["net[0]"],
    /// ["net[1]"]]` for `count = 2`, `[["net"]]` for a call without one.
    pub fn instances(&self, config_path: &[String]) -> Vec<ModPath> {
        if self.calls.is_empty() {
            return vec![config_path.to_vec()];
        }
        let mut out: Vec<ModPath> = vec![Vec::new()];
        for name in config_path {
            let mut next = Vec::with_capacity(out.len());
            for inst in out {
                let mut call = inst.clone();
                call.push(name.clone());
                match self.calls.get(&call) {
                    Some(ci) => {
                        for (k, _) in &ci.keys {
                            let mut p = inst.clone();
                            p.push(iac_value::addr::module_step(name, k));
                            next.push(p);
                        }
                    }
                    None => next.push(call),
                }
            }
            out = next;
        }
        out
    }

    /// `each.value` / `count.index` of a module instance's own step, for the
    /// call's arguments: `None` for a module without `count`/`for_each`.
    pub fn call_binding(&self, instance: &[String]) -> Option<(InstanceKey, Option<Value>)> {
        let (last, parent) = instance.split_last()?;
        let (name, key) = iac_value::addr::split_module_step(last);
        if key == InstanceKey::None {
            return None;
        }
        let mut call = parent.to_vec();
        call.push(name.to_string());
        let ci = self.calls.get(&call)?;
        ci.keys.iter().find(|(k, _)| *k == key).cloned()
    }

    pub fn module(&mut self, path: &ModPath) -> &mut ModuleValues {
        self.modules.entry(path.clone()).or_default()
    }

    pub fn scope<'a>(&'a self, path: &'a ModPath) -> Scope<'a> {
        Scope { values: self, path }
    }
}

pub struct Scope<'a> {
    values: &'a Values,
    path: &'a ModPath,
}

impl Scope<'_> {
    fn m(&self) -> Option<&ModuleValues> {
        self.values.modules.get(self.path)
    }
}

impl Namespace for Scope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.m().and_then(|m| m.vars.get(name).cloned())
    }
    fn local(&self, name: &str) -> Option<Value> {
        self.m().and_then(|m| m.locals.get(name).cloned())
    }
    fn resource(&self, ty: &str, name: &str) -> Option<Value> {
        let mut key = String::with_capacity(ty.len() + 1 + name.len());
        key.push_str(ty);
        key.push('.');
        key.push_str(name);
        self.m().and_then(|m| m.resources.get(&key).cloned())
    }
    fn resource_attr(&self, ty: &str, name: &str, attr: &str) -> Option<Value> {
        let mut key = String::with_capacity(ty.len() + 1 + name.len());
        key.push_str(ty);
        key.push('.');
        key.push_str(name);
        match self.m()?.resources.get(&key)? {
            Value::Map(m) => m.get(attr).cloned(),
            _ => None,
        }
    }
    fn data(&self, ty: &str, name: &str) -> Option<Value> {
        self.m()
            .and_then(|m| m.resources.get(&format!("data.{ty}.{name}")).cloned())
    }
    fn module(&self, name: &str) -> Option<Value> {
        let mut child = self.path.clone();
        child.push(name.to_string());
        let outputs = |path: &ModPath| {
            Value::Map(
                self.values
                    .modules
                    .get(path)
                    .map(|m| m.outputs.clone().into_iter().collect())
                    .unwrap_or_default(),
            )
        };
        let Some(ci) = self.values.calls.get(&child) else {
            return self.values.modules.get(&child).map(|_| outputs(&child));
        };
        if ci.failed {
            return Some(Value::Unknown);
        }
        let instance = |k: &InstanceKey| {
            let mut p = self.path.clone();
            p.push(iac_value::addr::module_step(name, k));
            outputs(&p)
        };
        let values = ci
            .keys
            .iter()
            .map(|(k, _)| (k.clone(), instance(k)))
            .collect();
        Some(aggregate_owned(ci.rep, values))
    }
    fn fingerprinter(&self) -> Option<&Fingerprinter> {
        self.values.fp.as_deref()
    }
}

/// A namespace in which every named value is unknown, as in Terraform's validate
/// walk: a block with no instances (`count = 0`, an empty `for_each`) is checked
/// against its schema without what it would hold, so `aws_iam_role.x[0].name`
/// in a block whose `count` is the same condition as `aws_iam_role.x`'s is no
/// error. A name nothing declares is still one.
pub struct Unknowing<'a> {
    pub inner: &'a dyn Namespace,
}

impl Namespace for Unknowing<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.inner.variable(name).map(|_| Value::Unknown)
    }
    fn local(&self, name: &str) -> Option<Value> {
        self.inner.local(name).map(|_| Value::Unknown)
    }
    fn resource(&self, ty: &str, name: &str) -> Option<Value> {
        self.inner.resource(ty, name).map(|_| Value::Unknown)
    }
    fn data(&self, ty: &str, name: &str) -> Option<Value> {
        self.inner.data(ty, name).map(|_| Value::Unknown)
    }
    fn module(&self, name: &str) -> Option<Value> {
        self.inner.module(name).map(|_| Value::Unknown)
    }
}

/// A namespace in which every secret is replaced by its fingerprint: evaluating a
/// configuration in it gives what a later plan, which holds no plaintext, will
/// compute (secrets as `Redacted`, values derived from them as derivations).
pub struct Redacting<'a> {
    pub inner: &'a dyn Namespace,
    pub fp: &'a Fingerprinter,
}

impl Redacting<'_> {
    /// Most values hold no secret: those are passed on without a copy.
    fn redact(&self, v: Value) -> Value {
        if v.contains_sensitive() {
            self.fp.redact(&v)
        } else {
            v
        }
    }
}

impl Namespace for Redacting<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        self.inner.variable(name).map(|v| self.redact(v))
    }
    fn local(&self, name: &str) -> Option<Value> {
        self.inner.local(name).map(|v| self.redact(v))
    }
    fn resource(&self, ty: &str, name: &str) -> Option<Value> {
        self.inner.resource(ty, name).map(|v| self.redact(v))
    }
    fn resource_attr(&self, ty: &str, name: &str, attr: &str) -> Option<Value> {
        self.inner
            .resource_attr(ty, name, attr)
            .map(|v| self.redact(v))
    }
    fn data(&self, ty: &str, name: &str) -> Option<Value> {
        self.inner.data(ty, name).map(|v| self.redact(v))
    }
    fn module(&self, name: &str) -> Option<Value> {
        self.inner.module(name).map(|v| self.redact(v))
    }
    fn fingerprinter(&self) -> Option<&Fingerprinter> {
        Some(self.fp)
    }
}

/// How a resource repeats, which decides the shape of its aggregate value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repetition {
    Single,
    Count,
    ForEach,
}

impl Repetition {
    pub fn of(r: &iac_config::Resource) -> Repetition {
        if r.count.is_some() {
            Repetition::Count
        } else if r.for_each.is_some() {
            Repetition::ForEach
        } else {
            Repetition::Single
        }
    }
}

/// A resource's value as references see it: an object, a list or a map of instances.
/// [`aggregate`], taking the instances' values instead of copying them.
pub fn aggregate_owned(rep: Repetition, mut instances: BTreeMap<InstanceKey, Value>) -> Value {
    match rep {
        Repetition::Single => instances.remove(&InstanceKey::None).unwrap_or(Value::Null),
        Repetition::Count => Value::List(
            instances
                .into_iter()
                .filter(|(k, _)| matches!(k, InstanceKey::Int(_)))
                .map(|(_, v)| v)
                .collect(),
        ),
        Repetition::ForEach => Value::Map(
            instances
                .into_iter()
                .filter_map(|(k, v)| match k {
                    InstanceKey::Str(s) => Some((s, v)),
                    _ => None,
                })
                .collect(),
        ),
    }
}

pub fn aggregate(rep: Repetition, instances: &BTreeMap<InstanceKey, Value>) -> Value {
    match rep {
        Repetition::Single => instances
            .get(&InstanceKey::None)
            .cloned()
            .unwrap_or(Value::Null),
        Repetition::Count => Value::List(
            instances
                .iter()
                .filter(|(k, _)| matches!(k, InstanceKey::Int(_)))
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        Repetition::ForEach => Value::Map(
            instances
                .iter()
                .filter_map(|(k, v)| match k {
                    InstanceKey::Str(s) => Some((s.clone(), v.clone())),
                    _ => None,
                })
                .collect(),
        ),
    }
}
