//! Built-in resources that need no cloud: `terraform_data` (same semantics as
//! Terraform's), `random_pet`, `random_id` and `random_password`.

use std::collections::BTreeMap;

use base64::Engine as _;
use iac_provider::{
    proposed_new, ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, PlanRequest,
    PlanResponse, Provider, ProviderSchema, Schema,
};
use iac_value::{PathStep, Value};
use rand::Rng;

pub struct BuiltinProvider {
    schema: ProviderSchema,
}

impl Default for BuiltinProvider {
    fn default() -> Self {
        Self::new()
    }
}

const ADJECTIVES: &[&str] = &[
    "able", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring", "eager",
    "fair", "fancy", "gentle", "glad", "golden", "happy", "humble", "jolly", "keen", "kind",
    "lively", "lucky", "merry", "mighty", "noble", "patient", "polite", "proud", "quick", "quiet",
    "rapid", "ready", "sharp", "shy", "smart", "steady", "sunny", "swift", "tidy", "upbeat",
    "vast", "vivid", "warm", "wise", "witty", "young", "zesty",
];
const NOUNS: &[&str] = &[
    "badger", "bat", "bear", "beaver", "bee", "bison", "camel", "cat", "cobra", "crane", "crow",
    "deer", "dingo", "dog", "dove", "eagle", "eel", "elk", "falcon", "ferret", "finch", "fox",
    "frog", "gecko", "goat", "goose", "hare", "hawk", "heron", "ibis", "jay", "koala", "lark",
    "lemur", "lion", "llama", "lynx", "mole", "moose", "mule", "newt", "otter", "owl", "panda",
    "pony", "quail", "raven", "seal", "shark", "sloth", "swan", "tiger", "toad", "trout", "viper",
    "wasp", "whale", "wolf", "wren", "yak", "zebra",
];

fn keepers() -> Attribute {
    Attribute::optional(
        AttrType::Map(Box::new(AttrType::String)),
        "Arbitrary values; a change replaces the resource.",
    )
    .force_new()
}

impl BuiltinProvider {
    pub fn new() -> BuiltinProvider {
        let mut resources = BTreeMap::new();
        resources.insert(
            "terraform_data".to_string(),
            Schema::new("Stores a value and follows the resource lifecycle, like Terraform's terraform_data.")
                .attr("id", Attribute::computed(AttrType::String, "A unique id."))
                .attr("input", Attribute::optional(AttrType::Dynamic, "A value to store; copied to `output` after apply."))
                .attr("output", Attribute::computed(AttrType::Dynamic, "The stored `input`."))
                .attr(
                    "triggers_replace",
                    Attribute::optional(AttrType::Dynamic, "A value whose change replaces the resource.").force_new(),
                ),
        );
        resources.insert(
            "random_pet".to_string(),
            Schema::new("A random pet name such as `bold-otter`.")
                .attr(
                    "id",
                    Attribute::computed(AttrType::String, "The generated name."),
                )
                .attr("keepers", keepers())
                .attr(
                    "length",
                    Attribute::optional(AttrType::Number, "Number of words (default 2).")
                        .force_new(),
                )
                .attr(
                    "prefix",
                    Attribute::optional(AttrType::String, "A prefix word.").force_new(),
                )
                .attr(
                    "separator",
                    Attribute::optional(AttrType::String, "Word separator (default `-`).")
                        .force_new(),
                ),
        );
        resources.insert(
            "random_id".to_string(),
            Schema::new("Random bytes in several encodings.")
                .attr(
                    "byte_length",
                    Attribute::required(AttrType::Number, "Number of random bytes.").force_new(),
                )
                .attr("keepers", keepers())
                .attr(
                    "prefix",
                    Attribute::optional(AttrType::String, "A prefix for the hex and base64 forms.")
                        .force_new(),
                )
                .attr(
                    "id",
                    Attribute::computed(AttrType::String, "URL-safe base64 without padding."),
                )
                .attr(
                    "b64_url",
                    Attribute::computed(AttrType::String, "URL-safe base64 without padding."),
                )
                .attr(
                    "b64_std",
                    Attribute::computed(AttrType::String, "Standard base64 with padding."),
                )
                .attr(
                    "hex",
                    Attribute::computed(AttrType::String, "Lower-case hex."),
                )
                .attr(
                    "dec",
                    Attribute::computed(
                        AttrType::String,
                        "Decimal digits of the bytes as a big-endian number.",
                    ),
                ),
        );
        let mut pw = Schema::new(
            "A random password. Its `result` is sensitive and is never stored in plaintext.",
        )
        .attr(
            "id",
            Attribute::computed(AttrType::String, "Always `none`."),
        )
        .attr("keepers", keepers())
        .attr(
            "length",
            Attribute::required(AttrType::Number, "Length of the password.").force_new(),
        )
        .attr(
            "override_special",
            Attribute::optional(AttrType::String, "The special characters to use.").force_new(),
        )
        .attr(
            "result",
            Attribute::computed(AttrType::String, "The generated password (sensitive).")
                .sensitive(),
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
        resources.insert("random_password".to_string(), pw);
        resources.insert(
            "local_file".to_string(),
            Schema::new(
                "A file on the machine that runs iac, like the local provider's local_file.",
            )
            .attr(
                "filename",
                Attribute::required(
                    AttrType::String,
                    "Path of the file (relative to the working directory).",
                )
                .force_new(),
            )
            .attr(
                "content",
                Attribute::optional(AttrType::String, "The file's content.").force_new(),
            )
            .attr(
                "file_permission",
                Attribute::optional(
                    AttrType::String,
                    "Octal permission bits (default \"0644\").",
                )
                .force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            )
            .attr(
                "content_sha256",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            ),
        );
        let mut data_sources = BTreeMap::new();
        data_sources.insert(
            "local_file".to_string(),
            Schema::new("Reads a file on the machine that runs iac.")
                .attr(
                    "filename",
                    Attribute::required(AttrType::String, "Path of the file to read."),
                )
                .attr(
                    "content",
                    Attribute::computed(AttrType::String, "The file's content."),
                )
                .attr(
                    "content_sha256",
                    Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
                )
                .attr(
                    "id",
                    Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
                ),
        );
        BuiltinProvider {
            schema: ProviderSchema {
                provider: Schema::new("The built-in provider has no configuration."),
                resources,
                data_sources,
            },
        }
    }
}

fn uuid() -> String {
    let b: [u8; 16] = rand::thread_rng().gen();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

fn num_attr(v: &Value, name: &str, default: f64) -> f64 {
    v.get_attr(name).as_f64().unwrap_or(default)
}

fn bool_attr(v: &Value, name: &str) -> bool {
    v.get_attr(name).as_bool().unwrap_or(true)
}

fn generate_password(cfg: &Value) -> Result<String, AttrDiagnostic> {
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

fn big_endian_decimal(bytes: &[u8]) -> String {
    // Repeated division of the big-endian byte string by 10.
    let mut digits = Vec::new();
    let mut n: Vec<u8> = bytes.to_vec();
    while n.iter().any(|b| *b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = rem * 256 + *b as u32;
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(char::from(b'0' + rem as u8));
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().collect()
}

#[async_trait::async_trait]
impl Provider for BuiltinProvider {
    fn name(&self) -> &str {
        "builtin"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate_resource(&self, type_name: &str, config: &Value) -> Vec<AttrDiagnostic> {
        let mut out = Vec::new();
        match type_name {
            "random_id" => {
                if let Some(n) = config.get_attr("byte_length").as_f64() {
                    if !(1.0..=1024.0).contains(&n) || n.fract() != 0.0 {
                        out.push(AttrDiagnostic::error(
                            vec![PathStep::Key("byte_length".into())],
                            "Invalid byte_length",
                            "must be a whole number from 1 to 1024",
                        ));
                    }
                }
            }
            "random_password" => {
                if let Some(n) = config.get_attr("length").as_f64() {
                    if !(1.0..=4096.0).contains(&n) || n.fract() != 0.0 {
                        out.push(AttrDiagnostic::error(
                            vec![PathStep::Key("length".into())],
                            "Invalid length",
                            "must be a whole number from 1 to 4096",
                        ));
                    }
                }
            }
            "random_pet" => {
                if let Some(n) = config.get_attr("length").as_f64() {
                    if !(1.0..=16.0).contains(&n) {
                        out.push(AttrDiagnostic::error(
                            vec![PathStep::Key("length".into())],
                            "Invalid length",
                            "must be from 1 to 16 words",
                        ));
                    }
                }
            }
            _ => {}
        }
        out
    }

    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse {
        let Some(schema) = self.schema.resources.get(req.type_name) else {
            return PlanResponse {
                planned: Value::Null,
                requires_replace: Vec::new(),
                diagnostics: vec![AttrDiagnostic::error(
                    Vec::new(),
                    "Unknown resource type",
                    req.type_name.to_string(),
                )],
                notes: Vec::new(),
            };
        };
        let mut planned = proposed_new(schema, req.prior, req.config);
        let eq = |a: &Value, b: &Value| a == b;
        let requires_replace = match req.prior {
            Some(prior) => schema.replace_paths(prior, &planned, &eq),
            None => Vec::new(),
        };
        let replacing = req.prior.is_none() || !requires_replace.is_empty();
        if req.type_name == "terraform_data" {
            let input_changed = req
                .prior
                .is_none_or(|p| p.get_attr("input") != req.config.get_attr("input"));
            if replacing || input_changed {
                set(&mut planned, "output", Value::Unknown);
            }
        }
        if replacing {
            // Every computed value is regenerated by a create.
            for (name, a) in &schema.attributes {
                if a.computed && !a.optional {
                    let v = if a.sensitive {
                        Value::Unknown.sensitive()
                    } else {
                        Value::Unknown
                    };
                    set(&mut planned, name, v);
                }
            }
        }
        PlanResponse {
            planned,
            requires_replace,
            diagnostics: Vec::new(),
            notes: Vec::new(),
        }
    }

    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult {
        let Some(planned) = req.planned else {
            if req.type_name == "local_file" {
                if let Some(f) = req.prior.and_then(|p| p.get_attr("filename").as_str()) {
                    match std::fs::remove_file(f) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(vec![AttrDiagnostic::error(
                                vec![PathStep::Key("filename".into())],
                                "Cannot delete file",
                                format!("{f}: {e}"),
                            )])
                        }
                    }
                }
            }
            return Ok(None);
        };
        let mut new = planned.clone();
        let creating = req.prior.is_none();
        match req.type_name {
            "terraform_data" => {
                if creating {
                    set(&mut new, "id", Value::String(uuid()));
                }
                set(&mut new, "output", planned.get_attr("input").clone());
            }
            "random_pet" if creating => {
                let mut rng = rand::thread_rng();
                let n = num_attr(planned, "length", 2.0) as usize;
                let sep = planned
                    .get_attr("separator")
                    .as_str()
                    .unwrap_or("-")
                    .to_string();
                let mut words: Vec<String> = Vec::new();
                if let Some(p) = planned.get_attr("prefix").as_str() {
                    words.push(p.to_string());
                }
                for i in 0..n {
                    let list = if i + 1 == n { NOUNS } else { ADJECTIVES };
                    words.push(list[rng.gen_range(0..list.len())].to_string());
                }
                set(&mut new, "id", Value::String(words.join(&sep)));
            }
            "random_id" if creating => {
                let n = num_attr(planned, "byte_length", 8.0) as usize;
                let bytes: Vec<u8> = (0..n).map(|_| rand::thread_rng().gen()).collect();
                let prefix = planned
                    .get_attr("prefix")
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
                set(&mut new, "id", Value::String(url.clone()));
                set(&mut new, "b64_url", Value::String(format!("{prefix}{url}")));
                set(
                    &mut new,
                    "b64_std",
                    Value::String(format!(
                        "{prefix}{}",
                        base64::engine::general_purpose::STANDARD.encode(&bytes)
                    )),
                );
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                set(&mut new, "hex", Value::String(format!("{prefix}{hex}")));
                set(
                    &mut new,
                    "dec",
                    Value::String(format!("{prefix}{}", big_endian_decimal(&bytes))),
                );
            }
            "local_file" if creating => {
                let content = planned
                    .get_attr("content")
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let filename = planned
                    .get_attr("filename")
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let perm = planned
                    .get_attr("file_permission")
                    .as_str()
                    .unwrap_or("0644")
                    .to_string();
                write_local_file(&filename, &content, &perm).map_err(|e| vec![e])?;
                let digest = sha256_hex(content.as_bytes());
                set(&mut new, "id", Value::String(digest.clone()));
                set(&mut new, "content_sha256", Value::String(digest));
            }
            "random_password" if creating => {
                let pw = generate_password(planned).map_err(|d| vec![d])?;
                set(&mut new, "id", Value::string("none"));
                set(&mut new, "result", Value::String(pw).sensitive());
            }
            _ => {}
        }
        Ok(Some(new))
    }

    /// Only a `local_file` exists outside state; the others are what state says.
    fn has_remote_objects(&self, type_name: &str) -> bool {
        type_name == "local_file"
    }

    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        if type_name == "local_file" {
            return current.iter().map(read_local_file).collect();
        }
        // Other built-in objects live only in state: what state says is what exists.
        current.iter().map(|v| Ok(Some(v.clone()))).collect()
    }

    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        if type_name == "local_file" {
            let filename = config
                .get_attr("filename")
                .as_str()
                .unwrap_or("")
                .to_string();
            let bytes = std::fs::read(&filename).map_err(|e| {
                vec![AttrDiagnostic::error(
                    vec![PathStep::Key("filename".into())],
                    "Cannot read file",
                    format!("{filename}: {e}"),
                )]
            })?;
            let digest = sha256_hex(&bytes);
            return Ok(Value::map([
                ("filename", Value::String(filename)),
                (
                    "content",
                    Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                ),
                ("content_sha256", Value::String(digest.clone())),
                ("id", Value::String(digest)),
            ]));
        }
        Err(vec![AttrDiagnostic::error(
            Vec::new(),
            "Unknown data source",
            format!("the built-in provider has no data source \"{type_name}\""),
        )])
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write_local_file(filename: &str, content: &str, perm: &str) -> Result<(), AttrDiagnostic> {
    let err = |what: &str, e: std::io::Error| {
        AttrDiagnostic::error(
            vec![PathStep::Key("filename".into())],
            format!("Cannot {what} {filename}"),
            e.to_string(),
        )
    };
    let mode = u32::from_str_radix(perm.trim_start_matches("0o"), 8).map_err(|_| {
        AttrDiagnostic::error(
            vec![PathStep::Key("file_permission".into())],
            "Invalid file_permission",
            format!("\"{perm}\" is not an octal mode such as \"0644\""),
        )
    })?;
    let path = std::path::Path::new(filename);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err("create the directory of", e))?;
    }
    std::fs::write(path, content).map_err(|e| err("write", e))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| err("set permissions on", e))?;
    Ok(())
}

fn read_local_file(v: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(filename) = v.get_attr("filename").as_str() else {
        return Ok(Some(v.clone()));
    };
    match std::fs::read(filename) {
        Ok(bytes) => {
            let mut out = v.clone();
            let digest = sha256_hex(&bytes);
            if v.get_attr("content_sha256").as_str() != Some(digest.as_str()) {
                set(
                    &mut out,
                    "content",
                    Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                );
                set(&mut out, "content_sha256", Value::String(digest));
            }
            Ok(Some(out))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AttrDiagnostic::error(
            vec![PathStep::Key("filename".into())],
            "Cannot read file",
            format!("{filename}: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_bytes() {
        assert_eq!(big_endian_decimal(&[0x01, 0x00]), "256");
        assert_eq!(big_endian_decimal(&[0xff]), "255");
        assert_eq!(big_endian_decimal(&[0]), "0");
    }

    #[test]
    fn password_honours_minimums() {
        let cfg = Value::map([
            ("length", Value::Number(12.0)),
            ("min_numeric", Value::Number(4.0)),
            ("special", Value::Bool(false)),
        ]);
        for _ in 0..20 {
            let pw = generate_password(&cfg).ok().unwrap();
            assert_eq!(pw.chars().count(), 12);
            assert!(pw.chars().filter(|c| c.is_ascii_digit()).count() >= 4);
            assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        let bad = Value::map([
            ("length", Value::Number(2.0)),
            ("min_upper", Value::Number(3.0)),
        ]);
        assert!(generate_password(&bad).is_err());
    }

    #[test]
    fn terraform_data_output_is_unknown_when_input_changes() {
        let p = BuiltinProvider::new();
        let prior = Value::map([
            ("id", Value::string("x")),
            ("input", Value::string("a")),
            ("output", Value::string("a")),
            ("triggers_replace", Value::Null),
        ]);
        let same = Value::map([("input", Value::string("a"))]);
        let r = p.plan_resource(PlanRequest {
            type_name: "terraform_data",
            prior: Some(&prior),
            config: &same,
        });
        assert_eq!(r.planned, prior);
        let changed = Value::map([("input", Value::string("b"))]);
        let r = p.plan_resource(PlanRequest {
            type_name: "terraform_data",
            prior: Some(&prior),
            config: &changed,
        });
        assert_eq!(r.planned.get_attr("output"), &Value::Unknown);
        assert_eq!(r.planned.get_attr("id"), &Value::string("x"));
        assert!(r.requires_replace.is_empty());
        let trig = Value::map([
            ("input", Value::string("a")),
            ("triggers_replace", Value::Number(1.0)),
        ]);
        let r = p.plan_resource(PlanRequest {
            type_name: "terraform_data",
            prior: Some(&prior),
            config: &trig,
        });
        assert_eq!(r.requires_replace.len(), 1);
        assert_eq!(r.planned.get_attr("id"), &Value::Unknown);
    }
}
