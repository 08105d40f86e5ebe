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
    let mut w = Writer {
        out: Vec::with_capacity(text.len() / 2),
        strs: Vec::with_capacity(text.len() / 2),
    };
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
    w.len(state.outputs.len());
    for (name, o) in &state.outputs {
        w.str(name);
        w.value(&o.value);
        w.flag(o.sensitive);
    }
    w.len(state.resources.len());
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
        w.len(inst.deposed.len());
        for (key, o) in &inst.deposed {
            w.str(key);
            w.object(o);
        }
    }
    // The strings' bytes come first, in one run: a reader checks them for UTF-8
    // once, not string by string.
    let mut entry = Writer {
        out: Vec::with_capacity(text.len() + w.strs.len() + w.out.len() + 64),
        strs: Vec::new(),
    };
    entry.out.extend_from_slice(MAGIC);
    entry.bytes(build_id().as_bytes());
    entry.bytes(text);
    entry.bytes(&w.strs);
    entry.out.extend_from_slice(&w.out);
    entry.out
}

/// The state stored in `entry`, if the entry is for exactly `text`.
pub fn decode(entry: &[u8], text: &[u8]) -> Option<State> {
    let mut r = Reader {
        b: entry,
        at: 0,
        strs: "",
        sat: 0,
        depth: 0,
    };
    if r.take(MAGIC.len())? != MAGIC || r.bytes()? != build_id().as_bytes() || r.bytes()? != text {
        return None;
    }
    r.strs = std::str::from_utf8(r.bytes()?).ok()?;
    let serial = r.u()?;
    let lineage = r.str()?;
    let fingerprint_salt = r.str()?;
    let adopted_from = if r.flag()? {
        Some(AdoptedFrom {
            tool: r.str()?,
            version: r.str()?,
            lineage: r.str()?,
            serial: r.u()?,
            at: r.str()?,
        })
    } else {
        None
    };
    let n = r.len()?;
    let mut outputs = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.str()?;
        let value = r.value()?;
        let sensitive = r.flag()?;
        outputs.push((name, OutputState { value, sensitive }));
    }
    let n = r.len()?;
    let mut resources = Vec::with_capacity(n);
    for _ in 0..n {
        let addr = r.addr()?;
        let provider = r.str()?;
        let current = if r.flag()? { Some(r.object()?) } else { None };
        let mut deposed = BTreeMap::new();
        for _ in 0..r.len()? {
            let key = r.str()?;
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
    if r.at != entry.len() || r.sat != r.strs.len() {
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

struct Writer {
    out: Vec<u8>,
    /// The bytes of every string, in the order written (`out` has their lengths).
    strs: Vec<u8>,
}

impl Writer {
    fn u(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    fn len(&mut self, n: usize) {
        self.u(n as u64);
    }

    fn flag(&mut self, b: bool) {
        self.out.push(u8::from(b));
    }

    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        self.out.extend_from_slice(b);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.strs.extend_from_slice(s.as_bytes());
    }

    fn addr(&mut self, a: &InstanceAddr) {
        let r = &a.resource;
        self.len(r.module.len());
        for m in &r.module {
            self.str(m);
        }
        self.flag(r.mode == ResourceMode::Data);
        self.str(&r.ty);
        self.str(&r.name);
        match &a.key {
            InstanceKey::None => self.out.push(0),
            InstanceKey::Int(i) => {
                self.out.push(1);
                self.len(*i);
            }
            InstanceKey::Str(s) => {
                self.out.push(2);
                self.str(s);
            }
        }
    }

    fn object(&mut self, o: &ResourceObject) {
        self.value(&o.attributes);
        self.len(o.dependencies.len());
        for d in &o.dependencies {
            self.str(d);
        }
        self.flag(o.create_before_destroy);
        self.flag(o.tainted);
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.out.push(0),
            Value::Bool(b) => self.out.push(1 + u8::from(*b)),
            Value::Number(n) => {
                self.out.push(3);
                n.write_bytes(&mut self.out);
            }
            Value::String(s) => {
                self.out.push(4);
                self.str(s);
            }
            Value::List(items) | Value::Set(items) => {
                self.out
                    .push(if matches!(v, Value::List(_)) { 5 } else { 6 });
                self.len(items.len());
                for i in items {
                    self.value(i);
                }
            }
            Value::Map(m) => {
                self.out.push(7);
                self.len(m.len());
                for (k, v) in m {
                    self.str(k);
                    self.value(v);
                }
            }
            Value::Unknown => self.out.push(8),
            Value::Sensitive(inner) => {
                self.out.push(9);
                self.value(inner);
            }
            Value::Redacted(fp) => {
                self.out.push(10);
                self.str(fp);
            }
        }
    }
}

struct Reader<'b> {
    b: &'b [u8],
    at: usize,
    /// Every string's bytes, checked for UTF-8 once, and how far they are read.
    strs: &'b str,
    sat: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 200;

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.b.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// A count, never more than the bytes left could hold (a damaged entry
    /// must not make a huge allocation).
    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u()?).ok()?;
        (n <= self.b.len() - self.at).then_some(n)
    }

    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn bytes(&mut self) -> Option<&'b [u8]> {
        let n = self.len()?;
        self.take(n)
    }

    fn str(&mut self) -> Option<String> {
        let n = usize::try_from(self.u()?).ok()?;
        let end = self.sat.checked_add(n)?;
        let s = self.strs.get(self.sat..end)?;
        self.sat = end;
        Some(s.to_string())
    }

    fn addr(&mut self) -> Option<InstanceAddr> {
        let n = self.len()?;
        let mut module = Vec::with_capacity(n);
        for _ in 0..n {
            module.push(self.str()?);
        }
        let mode = if self.flag()? {
            ResourceMode::Data
        } else {
            ResourceMode::Managed
        };
        let ty = self.str()?;
        let name = self.str()?;
        let key = match self.byte()? {
            0 => InstanceKey::None,
            1 => InstanceKey::Int(usize::try_from(self.u()?).ok()?),
            2 => InstanceKey::Str(self.str()?),
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
        let n = self.len()?;
        let mut dependencies = Vec::with_capacity(n);
        for _ in 0..n {
            dependencies.push(self.str()?);
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
        Some(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => {
                let (n, used) = Number::from_bytes(&self.b[self.at..])?;
                self.at += used;
                Value::Number(n)
            }
            4 => Value::String(self.str()?),
            tag @ (5 | 6) => {
                let n = self.len()?;
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
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.str()?;
                    entries.push((k, self.value()?));
                }
                // Written in key order: built in one pass.
                Value::Map(entries.into_iter().collect())
            }
            8 => Value::Unknown,
            9 => Value::Sensitive(Box::new(self.value()?)),
            10 => Value::Redacted(self.str()?),
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
