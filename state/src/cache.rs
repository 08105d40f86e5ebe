//! A binary copy of a local state, so that a state that has not changed since
//! the last command is not parsed from JSON again (`.iac/cache/state/` beside
//! the state file; the parse cache of configuration files does the same for
//! syntax, see `iac_syntax::cache`).
//!
//! An entry holds the state file's whole text and the [`State`] that text read
//! as. It is used only when the text is byte for byte the file on disk and the
//! entry was written by the same build of iac's state and value code, so it can
//! never give a different state than reading the JSON would (numbers keep their
//! precision bit for bit). A damaged or foreign entry reads as a miss. Encrypted
//! states are never copied (the copy would be plaintext).

use std::collections::BTreeMap;

use iac_value::addr::{InstanceAddr, InstanceKey, ResourceAddr, ResourceMode};
use iac_value::{Number, Value};

use crate::{AdoptedFrom, InstanceState, OutputState, ResourceObject, State};

const MAGIC: &[u8; 8] = b"IACSTA01";

/// What makes entries of one build unusable by another: a hash of the sources
/// that decide what a state's text reads as (see `build.rs`).
fn build_id() -> &'static str {
    env!("IAC_STATE_BUILD")
}

/// The bytes of an entry for `text`, which read as `state`.
pub fn encode(text: &[u8], state: &State) -> Vec<u8> {
    let mut w = Writer(iac_binary::Writer::with_capacity(text.len() / 2));
    w.u(state.serial);
    w.str(&state.lineage);
    w.str(&state.fingerprint_salt);
    match &state.adopted_from {
        None => w.flag(false),
        Some(a) => {
            w.flag(true);
            for s in [&a.tool, &a.version, &a.lineage] {
                w.str(s);
            }
            w.u(a.serial);
            w.str(&a.at);
        }
    }
    w.count(state.outputs.len());
    for (name, o) in &state.outputs {
        w.str(name);
        w.value(&o.value);
        w.flag(o.sensitive);
    }
    w.count(state.resources.len());
    for (addr, inst) in &state.resources {
        w.addr(addr);
        w.str(&inst.provider);
        match &inst.current {
            None => w.flag(false),
            Some(o) => {
                w.flag(true);
                w.object(o);
            }
        }
        w.count(inst.deposed.len());
        for (key, o) in &inst.deposed {
            w.str(key);
            w.object(o);
        }
    }
    w.0.finish(MAGIC, build_id(), text)
}

/// The state stored in `entry`, if the entry is for exactly `text`.
pub fn decode(entry: &[u8], text: &[u8]) -> Option<State> {
    decode_from(iac_binary::Reader::open(entry, MAGIC, build_id(), text)?)
}

/// The state stored in the entry `entry` (a file of `entry_len` bytes), if the
/// entry is for exactly the bytes `text` (the state file) yields. Both are
/// streamed and compared a buffer at a time; only the binary part after the text
/// is held.
pub fn read(
    entry: impl std::io::BufRead,
    entry_len: u64,
    text: impl std::io::Read,
) -> Option<State> {
    let rest = iac_binary::read_after_text(entry, entry_len, MAGIC, build_id(), text)?;
    decode_from(iac_binary::Reader::after_text(&rest)?)
}

fn decode_from(r: iac_binary::Reader<'_>) -> Option<State> {
    let mut r = Reader { r, depth: 0 };
    let serial = r.u()?;
    let lineage = r.string()?;
    let fingerprint_salt = r.string()?;
    let adopted_from = if r.flag()? {
        Some(AdoptedFrom {
            tool: r.string()?,
            version: r.string()?,
            lineage: r.string()?,
            serial: r.u()?,
            at: r.string()?,
        })
    } else {
        None
    };
    let n = r.count()?;
    let mut outputs = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        let value = r.value()?;
        let sensitive = r.flag()?;
        outputs.push((name, OutputState { value, sensitive }));
    }
    let n = r.count()?;
    let mut resources = Vec::with_capacity(n);
    for _ in 0..n {
        let addr = r.addr()?;
        let provider = r.string()?;
        let current = if r.flag()? { Some(r.object()?) } else { None };
        let mut deposed = BTreeMap::new();
        for _ in 0..r.count()? {
            let key = r.string()?;
            deposed.insert(key, r.object()?);
        }
        resources.push((
            addr,
            InstanceState {
                provider,
                current,
                deposed,
            },
        ));
    }
    if !r.r.done() {
        return None;
    }
    Some(State {
        serial,
        lineage,
        fingerprint_salt,
        // Written in key order: each map is built in one pass.
        outputs: outputs.into_iter().collect(),
        resources: resources.into_iter().collect(),
        adopted_from,
    })
}

/// The state's structure, on the shared binary form (`iac_binary`).
struct Writer(iac_binary::Writer);

impl std::ops::Deref for Writer {
    type Target = iac_binary::Writer;
    fn deref(&self) -> &iac_binary::Writer {
        &self.0
    }
}

impl std::ops::DerefMut for Writer {
    fn deref_mut(&mut self) -> &mut iac_binary::Writer {
        &mut self.0
    }
}

impl Writer {
    fn addr(&mut self, a: &InstanceAddr) {
        let r = &a.resource;
        self.count(r.module.len());
        for m in &r.module {
            self.str(m);
        }
        self.flag(r.mode == ResourceMode::Data);
        self.str(&r.ty);
        self.str(&r.name);
        match &a.key {
            InstanceKey::None => self.tag(0),
            InstanceKey::Int(i) => {
                self.tag(1);
                self.count(*i);
            }
            InstanceKey::Str(s) => {
                self.tag(2);
                self.str(s);
            }
        }
    }

    fn object(&mut self, o: &ResourceObject) {
        self.value(&o.attributes);
        self.count(o.dependencies.len());
        for d in &o.dependencies {
            self.str(d);
        }
        self.flag(o.create_before_destroy);
        self.flag(o.tainted);
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.tag(0),
            Value::Bool(b) => self.tag(1 + u8::from(*b)),
            Value::Number(n) => {
                self.tag(3);
                self.raw_with(|b| n.write_bytes(b));
            }
            Value::String(s) => {
                self.tag(4);
                self.str(s);
            }
            Value::List(items) | Value::Set(items) => {
                self.tag(if matches!(v, Value::List(_)) { 5 } else { 6 });
                self.count(items.len());
                for i in items {
                    self.value(i);
                }
            }
            Value::Map(m) => {
                self.tag(7);
                self.count(m.len());
                for (k, v) in m {
                    self.str(k);
                    self.value(v);
                }
            }
            Value::Unknown => self.tag(8),
            Value::Sensitive(inner) => {
                self.tag(9);
                self.value(inner);
            }
            Value::Redacted(fp) => {
                self.tag(10);
                self.str(fp);
            }
        }
    }
}

struct Reader<'b> {
    r: iac_binary::Reader<'b>,
    depth: usize,
}

const MAX_DEPTH: usize = 200;

impl<'b> std::ops::Deref for Reader<'b> {
    type Target = iac_binary::Reader<'b>;
    fn deref(&self) -> &iac_binary::Reader<'b> {
        &self.r
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.r
    }
}

impl Reader<'_> {
    fn string(&mut self) -> Option<String> {
        self.str().map(str::to_string)
    }

    fn addr(&mut self) -> Option<InstanceAddr> {
        let n = self.count()?;
        let mut module = Vec::with_capacity(n);
        for _ in 0..n {
            module.push(self.string()?);
        }
        let mode = if self.flag()? {
            ResourceMode::Data
        } else {
            ResourceMode::Managed
        };
        let ty = self.string()?;
        let name = self.string()?;
        let key = match self.tag()? {
            0 => InstanceKey::None,
            1 => InstanceKey::Int(usize::try_from(self.u()?).ok()?),
            2 => InstanceKey::Str(self.string()?),
            _ => return None,
        };
        Some(InstanceAddr {
            resource: ResourceAddr {
                module,
                mode,
                ty,
                name,
            },
            key,
        })
    }

    fn object(&mut self) -> Option<ResourceObject> {
        let attributes = self.value()?;
        let n = self.count()?;
        let mut dependencies = Vec::with_capacity(n);
        for _ in 0..n {
            dependencies.push(self.string()?);
        }
        Some(ResourceObject {
            attributes,
            dependencies,
            create_before_destroy: self.flag()?,
            tainted: self.flag()?,
        })
    }

    fn value(&mut self) -> Option<Value> {
        // As deep as JSON nests (serde_json stops at 128): a damaged entry must
        // not recurse without end.
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let v = self.value_here();
        self.depth -= 1;
        v
    }

    fn value_here(&mut self) -> Option<Value> {
        Some(match self.tag()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => {
                let (n, used) = Number::from_bytes(self.rest())?;
                self.take(used)?;
                Value::Number(n)
            }
            4 => Value::String(self.string()?),
            tag @ (5 | 6) => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value()?);
                }
                if tag == 5 {
                    Value::List(items)
                } else {
                    Value::Set(items)
                }
            }
            7 => {
                let n = self.count()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.string()?;
                    entries.push((k, self.value()?));
                }
                // Written in key order: built in one pass.
                Value::Map(entries.into_iter().collect())
            }
            8 => Value::Unknown,
            9 => Value::Sensitive(Box::new(self.value()?)),
            10 => Value::Redacted(self.string()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state with every kind of value and address a state file holds.
    fn sample() -> Vec<u8> {
        r#"{
  "iac_state": 1, "serial": 7, "lineage": "l-1", "fingerprint_salt": "salt",
  "outputs": {
    "ip": {"value": "10.0.0.1", "sensitive": false},
    "pw": {"value": {"iac_sensitive": "fp:abc"}, "sensitive": true},
    "n": {"value": 1.5}
  },
  "resources": [
    {"address": "aws_instance.web[0]", "provider": "aws", "status": "ready",
     "dependencies": ["aws_vpc.main"], "create_before_destroy": true,
     "attributes": {"id": "i-1", "count": 3, "ratio": 0.1, "neg": -2,
       "big": 12345678901234567890123, "on": true, "off": false, "none": null,
       "tags": {"Name": "web", "\u00e9": "\u00fcn\u00efcode \"quoted\""},
       "list": [1, "two", [3], {"four": 4}], "empty": [], "obj": {}}},
    {"address": "aws_instance.web[1]", "provider": "aws", "status": "tainted",
     "attributes": {"id": "i-2"}},
    {"address": "module.net[\"eu\"].aws_subnet.a[\"x\"]", "provider": "aws.eu",
     "attributes": {"id": "subnet-1"}},
    {"address": "data.aws_ami.ubuntu", "provider": "aws", "attributes": {"id": "ami-1"}},
    {"address": "aws_db_instance.db", "provider": "aws", "deposed": "00000001",
     "attributes": {"id": "db-old"}},
    {"address": "aws_db_instance.db", "provider": "aws", "attributes": {"id": "db-new"}}
  ]
}"#
        .as_bytes()
        .to_vec()
    }

    #[test]
    fn a_copy_reads_as_the_json_it_was_made_from() {
        let text = sample();
        let state = State::from_json_bytes(&text).unwrap();
        let entry = encode(&text, &state);
        let copy = decode(&entry, &text).expect("a hit");
        assert_eq!(format!("{copy:?}"), format!("{state:?}"));
        // Every number's precision too (0.1 and the big integer are 512-bit
        // numbers, 1.5 and 3 floats): the copy of the copy is the same bytes.
        assert_eq!(encode(&text, &copy), entry);
        assert_eq!(copy.resources.len(), 5);
        let attrs = |s: &State| {
            let web0: InstanceAddr = "aws_instance.web[0]".parse().unwrap();
            s.resources[&web0]
                .current
                .as_ref()
                .unwrap()
                .attributes
                .clone()
        };
        for n in ["ratio", "big", "count"] {
            assert_eq!(
                attrs(&copy).get_attr(n).as_number().unwrap().prec(),
                attrs(&state).get_attr(n).as_number().unwrap().prec(),
                "{n}"
            );
        }
    }

    #[test]
    fn another_text_a_damaged_entry_or_another_build_is_a_miss() {
        let text = sample();
        let state = State::from_json_bytes(&text).unwrap();
        let entry = encode(&text, &state);
        let edited = String::from_utf8(text.clone())
            .unwrap()
            .replace("i-2", "i-3");
        assert!(decode(&entry, edited.as_bytes()).is_none());
        for cut in [0, 5, 40, entry.len() / 2, entry.len() - 1] {
            assert!(decode(&entry[..cut], &text).is_none(), "{cut}");
        }
        let mut longer = entry.clone();
        longer.push(0);
        assert!(decode(&longer, &text).is_none());
        let mut foreign = entry.clone();
        foreign[MAGIC.len() + 1] ^= 1;
        assert!(decode(&foreign, &text).is_none());
        // Every byte flipped in turn: a miss or a state, never a panic.
        for i in 0..entry.len() {
            let mut e = entry.clone();
            e[i] ^= 0xff;
            let _ = decode(&e, &text);
        }
    }
}
