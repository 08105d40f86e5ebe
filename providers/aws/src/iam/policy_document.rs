//! `data "aws_iam_policy_document"`: an IAM policy written as blocks, rendered
//! locally (no API call) to exactly the JSON Terraform's AWS provider renders,
//! byte for byte: its field order, its two-space indentation, one-element lists
//! as plain strings, the order it gives sets (see `set_order`), `<`, `>` and `&`
//! escaped, `id` the CRC-32 of the text. `tests/it/testdata/terraform/policy_documents.txt`
//! holds what Terraform 1.11.4 with the AWS provider 5.100.0 rendered, and the tests
//! compare with it.

use iac_provider::kit::DataSourceType;
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Nesting, Schema};
use iac_value::Value;
use serde_json::{Map, Value as J};

use crate::schema::nested;
use crate::util::attr_err;
use crate::Clients;

pub(crate) struct PolicyDocumentData;

fn strings(v: &Value) -> Vec<String> {
    v.as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// CRC-32 (IEEE), as Go's `hash/crc32.ChecksumIEEE`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The order Terraform's provider gives the elements of a string set: by the
/// decimal text of each element's CRC-32, compared as strings (its sets are keyed
/// by that text). Duplicates go.
fn set_order(mut items: Vec<String>) -> Vec<String> {
    items.sort_by_key(|s| crc32(s.as_bytes()).to_string());
    items.dedup();
    items
}

/// One value or a list, as the provider renders a set or list of strings.
fn one_or_many(items: Vec<String>) -> J {
    match items.len() {
        1 => J::String(items.into_iter().next().unwrap_or_default()),
        _ => J::Array(items.into_iter().map(J::String).collect()),
    }
}

/// Objects with their keys sorted, at every depth (Go writes its maps so).
fn sorted(v: J) -> J {
    match v {
        J::Object(o) => {
            let mut entries: Vec<(String, J)> = o.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        J::Array(a) => J::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn principals(blocks: &Value) -> Option<J> {
    let blocks = blocks.as_list().filter(|l| !l.is_empty())?;
    let mut by_type: Vec<(String, Vec<String>)> = Vec::new();
    for b in blocks {
        let ty = b.get_attr("type").as_str().unwrap_or_default().to_string();
        let ids = set_order(strings(b.get_attr("identifiers")));
        if ty == "*" && ids == ["*"] && blocks.len() == 1 {
            return Some(J::String("*".into()));
        }
        match by_type.iter_mut().find(|(t, _)| *t == ty) {
            Some((_, all)) => all.extend(ids),
            None => by_type.push((ty, ids)),
        }
    }
    let mut m = Map::new();
    for (ty, ids) in by_type {
        m.insert(ty, one_or_many(ids));
    }
    Some(sorted(J::Object(m)))
}

fn conditions(blocks: &Value) -> Option<J> {
    let blocks = blocks.as_list().filter(|l| !l.is_empty())?;
    let mut tests: Map<String, J> = Map::new();
    for b in blocks {
        let test = b.get_attr("test").as_str().unwrap_or_default().to_string();
        let var = b
            .get_attr("variable")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let values = strings(b.get_attr("values"));
        let vars = tests.entry(test).or_insert_with(|| J::Object(Map::new()));
        if let J::Object(vars) = vars {
            let merged = match vars.remove(&var) {
                Some(J::String(s)) => [vec![s], values].concat(),
                Some(J::Array(a)) => a
                    .into_iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .chain(values)
                    .collect(),
                _ => values,
            };
            vars.insert(var, one_or_many(merged));
        }
    }
    Some(sorted(J::Object(tests)))
}

/// A statement block as the provider renders it (fields in its order).
fn statement(b: &Value) -> Vec<(&'static str, J)> {
    let mut out = Vec::new();
    if let Some(sid) = b.get_attr("sid").as_str().filter(|s| !s.is_empty()) {
        out.push(("Sid", J::String(sid.to_string())));
    }
    let effect = b.get_attr("effect").as_str().unwrap_or("Allow");
    out.push(("Effect", J::String(effect.to_string())));
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let items = set_order(strings(b.get_attr(attr)));
        if !items.is_empty() {
            out.push((key, one_or_many(items)));
        }
    }
    if let Some(p) = principals(b.get_attr("principals")) {
        out.push(("Principal", p));
    }
    if let Some(p) = principals(b.get_attr("not_principals")) {
        out.push(("NotPrincipal", p));
    }
    if let Some(c) = conditions(b.get_attr("condition")) {
        out.push(("Condition", c));
    }
    out
}

const FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

/// A statement from a JSON document (`source_policy_documents`, ...), in the
/// provider's field order, values as the document gives them.
fn json_statement(s: &Map<String, J>) -> Vec<(&'static str, J)> {
    FIELDS
        .iter()
        .filter_map(|f| s.get(*f).map(|v| (*f, sorted(v.clone()))))
        .collect()
}

struct Doc {
    version: String,
    id: Option<String>,
    statements: Vec<Vec<(&'static str, J)>>,
}

fn sid_of<'a>(s: &'a [(&'static str, J)]) -> Option<&'a str> {
    s.iter()
        .find(|(k, _)| *k == "Sid")
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
}

impl Doc {
    /// The provider's merge: a statement with the sid of one already there takes
    /// its place; others are appended. A later document's id wins, and the
    /// greater version.
    fn merge(&mut self, other: Doc) {
        if other.id.is_some() {
            self.id = other.id;
        }
        if other.version > self.version {
            self.version = other.version;
        }
        for s in other.statements {
            let at = sid_of(&s)
                .and_then(|sid| self.statements.iter().position(|e| sid_of(e) == Some(sid)));
            match at {
                Some(i) => self.statements[i] = s,
                None => self.statements.push(s),
            }
        }
    }

    fn parse(text: &str, attr: &str) -> Result<Doc, AttrDiagnostic> {
        let bad = |why: &str| {
            attr_err(
                attr,
                "Invalid policy document",
                format!("a document given in {attr} {why}"),
            )
        };
        let v: J = serde_json::from_str(text).map_err(|_| bad("is not JSON"))?;
        let o = v.as_object().ok_or_else(|| bad("is not a JSON object"))?;
        let statements = match o.get("Statement") {
            None => Vec::new(),
            Some(J::Object(s)) => vec![json_statement(s)],
            Some(J::Array(a)) => a
                .iter()
                .map(|s| s.as_object().map(json_statement))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("has a statement that is not an object"))?,
            Some(_) => return Err(bad("has a Statement that is neither an object nor a list")),
        };
        Ok(Doc {
            version: o
                .get("Version")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            id: o.get("Id").and_then(|v| v.as_str()).map(String::from),
            statements,
        })
    }

    fn to_json(&self) -> J {
        let mut m = Map::new();
        m.insert("Version".into(), J::String(self.version.clone()));
        if let Some(id) = &self.id {
            m.insert("Id".into(), J::String(id.clone()));
        }
        if !self.statements.is_empty() {
            m.insert(
                "Statement".into(),
                J::Array(
                    self.statements
                        .iter()
                        .map(|s| {
                            J::Object(s.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
                        })
                        .collect(),
                ),
            );
        }
        J::Object(m)
    }
}

/// Renders the document from the data source's configuration.
fn render(config: &Value) -> Result<Doc, Vec<AttrDiagnostic>> {
    let mut merged = Doc {
        version: String::new(),
        id: None,
        statements: Vec::new(),
    };
    let mut errors = Vec::new();
    for text in strings(config.get_attr("source_policy_documents")) {
        match Doc::parse(&text, "source_policy_documents") {
            Ok(d) => merged.merge(d),
            Err(e) => errors.push(e),
        }
    }
    let statements: Vec<_> = config
        .get_attr("statement")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(statement)
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    for s in &statements {
        if let Some(sid) = sid_of(s) {
            if seen.contains(&sid) {
                errors.push(attr_err(
                    "statement",
                    "Duplicate statement id",
                    format!("two statements have sid \"{sid}\"; sids must be unique in a document"),
                ));
            }
            seen.push(sid);
        }
    }
    merged.merge(Doc {
        version: config
            .get_attr("version")
            .as_str()
            .unwrap_or("2012-10-17")
            .to_string(),
        id: config.get_attr("policy_id").as_str().map(String::from),
        statements,
    });
    for text in strings(config.get_attr("override_policy_documents")) {
        match Doc::parse(&text, "override_policy_documents") {
            Ok(d) => merged.merge(d),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(merged)
    } else {
        Err(errors)
    }
}

/// JSON text as Go's `encoding/json` writes it: `indent` per level (none: one
/// line), `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub(crate) fn go_json(v: &J, indent: Option<&str>) -> String {
    let mut out = String::new();
    write(v, indent, 0, &mut out);
    out
}

fn write(v: &J, indent: Option<&str>, depth: usize, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(i) = indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(i);
            }
        }
    };
    match v {
        J::Array(a) if a.is_empty() => out.push_str("[]"),
        J::Object(o) if o.is_empty() => out.push_str("{}"),
        J::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write(x, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        J::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(x, indent, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        J::String(s) => string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for PolicyDocumentData {
    fn schema(&self) -> Schema {
        use AttrType::{List, Set, String as Str};
        let strs = || Set(Box::new(Str));
        let principal = |what: &'static str| {
            Schema::new(what)
                .attr(
                    "type",
                    Attribute::required(Str, "AWS, Service, Federated, CanonicalUser or *."),
                )
                .attr("identifiers", Attribute::required(strs(), "Who."))
        };
        let condition = Schema::new("A condition on the statement.")
            .attr(
                "test",
                Attribute::required(Str, "Operator, such as StringEquals."),
            )
            .attr(
                "variable",
                Attribute::required(Str, "Context key, such as aws:SourceAccount."),
            )
            .attr(
                "values",
                Attribute::required(List(Box::new(Str)), "Values to compare with."),
            );
        let statement = Schema::new("One statement.")
            .attr("sid", Attribute::optional(Str, "Statement id."))
            .attr(
                "effect",
                Attribute::optional(Str, "Allow (default) or Deny."),
            )
            .attr("actions", Attribute::optional(strs(), "Actions."))
            .attr(
                "not_actions",
                Attribute::optional(strs(), "Actions excluded."),
            )
            .attr("resources", Attribute::optional(strs(), "Resource ARNs."))
            .attr(
                "not_resources",
                Attribute::optional(strs(), "Resources excluded."),
            )
            .block(
                "principals",
                nested(
                    Nesting::List,
                    0,
                    None,
                    principal("Principals it applies to."),
                ),
            )
            .block(
                "not_principals",
                nested(Nesting::List, 0, None, principal("Principals excluded.")),
            )
            .block("condition", nested(Nesting::List, 0, None, condition));
        Schema::new("An IAM policy document, rendered locally as Terraform's AWS provider renders it.")
            .attr(
                "version",
                Attribute::optional(Str, "Policy language version (default 2012-10-17)."),
            )
            .attr("policy_id", Attribute::optional(Str, "The document's Id."))
            .attr(
                "source_policy_documents",
                Attribute::optional(
                    List(Box::new(Str)),
                    "Documents (JSON) merged in first; the statements here replace theirs with the same sid.",
                ),
            )
            .attr(
                "override_policy_documents",
                Attribute::optional(
                    List(Box::new(Str)),
                    "Documents (JSON) merged in last; their statements replace those with the same sid.",
                ),
            )
            .block("statement", nested(Nesting::List, 0, None, statement))
            .attr("json", Attribute::computed(Str, "The document, indented."))
            .attr("minified_json", Attribute::computed(Str, "The document on one line."))
            .attr("id", Attribute::computed(Str, "CRC-32 of json, in decimal."))
    }

    async fn read(&self, _: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let doc = render(config)?.to_json();
        let json = go_json(&doc, Some("  "));
        let minified = go_json(&doc, None);
        let mut out = config.clone();
        crate::util::set(
            &mut out,
            "id",
            Value::string(crc32(json.as_bytes()).to_string()),
        );
        crate::util::set(&mut out, "json", Value::string(json));
        crate::util::set(&mut out, "minified_json", Value::string(minified));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_ieee() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn go_escapes_html_characters() {
        let v: J = serde_json::json!({"a": "<&>\u{2028}", "b": [1, "x"]});
        assert_eq!(
            go_json(&v, None),
            r#"{"a":"\u003c\u0026\u003e\u2028","b":[1,"x"]}"#
        );
        assert_eq!(
            go_json(&v, Some("  ")),
            "{\n  \"a\": \"\\u003c\\u0026\\u003e\\u2028\",\n  \"b\": [\n    1,\n    \"x\"\n  ]\n}"
        );
    }
}
