//! Every function of the library, through the CLI: each case is an output whose
//! value is compared with what Terraform 1.11 gives for the same expression.

use crate::support::Work;
use serde_json::json;

/// (expression, expected value as JSON).
fn cases() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("length([1, 2, 3])", json!(3)),
        ("length(\"héllo\")", json!(5)),
        ("length({a = 1})", json!(1)),
        ("concat([1], [2, 3])", json!([1, 2, 3])),
        ("merge({a = 1, b = 2}, {b = 3})", json!({"a": 1, "b": 3})),
        ("lookup({a = \"x\"}, \"a\", \"d\")", json!("x")),
        ("lookup({a = \"x\"}, \"z\", \"d\")", json!("d")),
        ("element([\"a\", \"b\"], 3)", json!("b")),
        ("slice([1, 2, 3, 4], 1, 3)", json!([2, 3])),
        ("keys({b = 1, a = 2})", json!(["a", "b"])),
        ("values({b = 1, a = 2})", json!([2, 1])),
        ("contains([\"a\", \"b\"], \"b\")", json!(true)),
        ("distinct([1, 2, 1, 3])", json!([1, 2, 3])),
        ("flatten([[1, [2]], [3]])", json!([1, 2, 3])),
        ("range(3)", json!([0, 1, 2])),
        ("range(1, 10, 4)", json!([1, 5, 9])),
        ("toset([\"b\", \"a\", \"b\"])", json!(["a", "b"])),
        ("tolist(toset([\"b\", \"a\"]))", json!(["a", "b"])),
        ("tomap({a = 1})", json!({"a": 1})),
        ("tostring(5)", json!("5")),
        ("tonumber(\"42\")", json!(42)),
        ("join(\"-\", [\"a\", \"b\"])", json!("a-b")),
        ("split(\",\", \"a,b,c\")", json!(["a", "b", "c"])),
        ("format(\"%s-%03d\", \"web\", 7)", json!("web-007")),
        (
            "formatlist(\"%s=%d\", [\"a\", \"b\"], [1, 2])",
            json!(["a=1", "b=2"]),
        ),
        (
            "replace(\"hello world\", \"o\", \"0\")",
            json!("hell0 w0rld"),
        ),
        ("replace(\"a1b22\", \"/[0-9]+/\", \"#\")", json!("a#b#")),
        ("lower(\"ABC\")", json!("abc")),
        ("upper(\"abc\")", json!("ABC")),
        ("trimspace(\"  x \\n\")", json!("x")),
        ("substr(\"hello\", 1, 3)", json!("ell")),
        ("substr(\"hello\", -3, -1)", json!("llo")),
        ("coalesce(\"\", \"b\", \"c\")", json!("b")),
        ("min(3, 1, 2)", json!(1)),
        ("max(3, 1, 2)", json!(3)),
        ("abs(-4.5)", json!(4.5)),
        ("ceil(1.2)", json!(2)),
        ("floor(1.8)", json!(1)),
        ("jsonencode({a = [1, \"x\"]})", json!("{\"a\":[1,\"x\"]}")),
        (
            "jsondecode(\"{\\\"a\\\": [1, true]}\")",
            json!({"a": [1, true]}),
        ),
        ("yamlencode({a = 1})", json!("\"a\": 1\n")),
        (
            "yamlencode({a = [1, \"x\", {b = true, c = null}], d = {}, e = [], f = \"multi\\nline\"})",
            json!("\"a\":\n- 1\n- \"x\"\n- \"b\": true\n  \"c\": null\n\"d\": {}\n\"e\": []\n\"f\": |-\n  multi\n  line\n"),
        ),
        ("yamlencode([\"a\", [\"b\", \"c\"], {x = 1}])", json!("- \"a\"\n- - \"b\"\n  - \"c\"\n- \"x\": 1\n")),
        ("base64encode(\"hello\")", json!("aGVsbG8=")),
        ("base64decode(\"aGVsbG8=\")", json!("hello")),
        (
            "sha256(\"abc\")",
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ),
        ("md5(\"abc\")", json!("900150983cd24fb0d6963f7d28e17f72")),
        (
            "file(\"${path.module}/hello.txt\")",
            json!("hi from a file\n"),
        ),
        (
            "templatefile(\"${path.module}/t.tftpl\", { name = \"x\", items = [1, 2] })",
            json!("name=x\n- 1\n- 2\n"),
        ),
        ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", json!("10.0.2.0/24")),
        ("cidrhost(\"10.0.2.0/24\", 5)", json!("10.0.2.5")),
        ("try(tonumber(\"x\"), 7)", json!(7)),
        ("can(tonumber(\"x\"))", json!(false)),
        ("can(tonumber(\"1\"))", json!(true)),
        ("zipmap([\"a\", \"b\"], [1, 2])", json!({"a": 1, "b": 2})),
        ("one([\"only\"])", json!("only")),
        ("one([])", json!(null)),
        ("sum([1, 2, 3.5])", json!(6.5)),
        ("startswith(\"hello\", \"he\")", json!(true)),
        ("endswith(\"hello\", \"he\")", json!(false)),
        ("regex(\"[a-z]+([0-9]+)\", \"abc123\")", json!(["123"])),
        (
            "regex(\"(?P<word>[a-z]+)\", \"abc123\")",
            json!({"word": "abc"}),
        ),
        ("compact([\"a\", \"\", \"b\"])", json!(["a", "b"])),
        ("reverse([1, 2, 3])", json!([3, 2, 1])),
        ("sort([\"b\", \"a\"])", json!(["a", "b"])),
        // Language features that go with them.
        ("[for s in [\"a\", \"b\"] : upper(s)]", json!(["A", "B"])),
        (
            "{for k, v in {a = 1, b = 2} : v => k if v > 1}",
            json!({"2": "b"}),
        ),
        ("[{n = 1}, {n = 2}][*].n", json!([1, 2])),
        ("true ? \"y\" : \"n\"", json!("y")),
        ("\"%{if true}yes%{else}no%{endif}\"", json!("yes")),
        ("\"%{for x in [1, 2]}<${x}>%{endfor}\"", json!("<1><2>")),
        ("5 % 3 + 2 * 3 - 1", json!(7)),
    ]
}

#[test]
fn every_function_matches_terraform() {
    let mut tf = String::new();
    for (i, (expr, _)) in cases().iter().enumerate() {
        tf.push_str(&format!("output \"f{i}\" {{\n  value = {expr}\n}}\n"));
    }
    let w = Work::new(&tf);
    w.write("hello.txt", "hi from a file\n");
    w.write(
        "t.tftpl",
        "name=${name}\n%{ for i in items ~}\n- ${i}\n%{ endfor ~}\n",
    );
    w.apply();
    let s = w.state();
    let mut failures = Vec::new();
    for (i, (expr, want)) in cases().into_iter().enumerate() {
        let got = &s["outputs"][format!("f{i}")]["value"];
        let same = match (got.as_f64(), want.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => *got == want,
        };
        if !same {
            failures.push(format!("{expr}: got {got}, want {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn function_errors_point_at_the_argument() {
    let w = Work::new(
        "output \"x\" {\n  value = element([], 1)\n}\noutput \"y\" {\n  value = lenght([1])\n}\n",
    );
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr
            .contains("error[E0313]: Invalid call to function \"element\""),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cannot use element on an empty list"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("error[E0312]: Call to unknown function \"lenght\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean `length`?"), "{}", r.stderr);
}

#[test]
fn unknown_values_propagate_and_print_as_known_after_apply() {
    let w = Work::new(
        "resource \"terraform_data\" \"a\" {\n  input = 1\n}\nresource \"terraform_data\" \"b\" {\n  input = upper(\"id-${terraform_data.a.id}\")\n}\nresource \"terraform_data\" \"c\" {\n  count = length(terraform_data.a.id)\n}\n",
    );
    let r = w.iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("error[E0215]: Invalid count argument"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:8:11"), "{}", r.stderr);
    w.write(
        "main.tf",
        &w.read("main.tf")
            .replace("count = length(terraform_data.a.id)", "count = 1"),
    );
    let r = w.iac(&["plan"]).ok();
    assert!(
        r.stdout.contains("+ input  = (known after apply)"),
        "{}",
        r.stdout
    );
}

/// The functions of `testdata/terraform/functions.tf`, evaluated by iac, equal
/// what Terraform 1.11.4 gave (`functions.json`, from scripts/terraform-golden.sh).
#[test]
fn functions_match_terraform_golden_output() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/it/testdata/terraform");
    let tf = std::fs::read_to_string(dir.join("functions.tf")).expect("functions.tf");
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("functions.json")).expect("functions.json"),
    )
    .expect("json");
    let w = Work::new(&tf);
    w.apply();
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).expect("output json");
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        match (a, b) {
            (serde_json::Value::Number(x), serde_json::Value::Number(y)) => {
                (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9
            }
            (serde_json::Value::Array(x), serde_json::Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }
    let mut failures = Vec::new();
    for (name, want) in golden.as_object().expect("object") {
        let got = &out[name]["value"];
        if !same(got, want) {
            failures.push(format!("{name}: iac {got}, Terraform {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `base64gzip` writes Go's bytes exactly: the inputs of
/// `testdata/terraform/gzip.tf` (fixed, dynamic and stored blocks, matches of
/// every length, a sliding window, split blocks) compressed by iac equal what
/// Terraform 1.11.4 wrote (`gzip.json`, from scripts/terraform-golden.sh).
#[test]
fn base64gzip_writes_the_bytes_terraform_writes() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/it/testdata/terraform");
    let tf = std::fs::read_to_string(dir.join("gzip.tf")).expect("gzip.tf");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("gzip.json")).expect("gzip.json"))
            .expect("json");
    let w = Work::new(&tf);
    w.apply();
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).expect("output json");
    let golden = golden.as_object().expect("object");
    assert_eq!(golden.len(), 12, "every case has a golden value");
    let mut failures = Vec::new();
    for (name, want) in golden {
        let got = &out[name]["value"];
        if got != want {
            failures.push(format!("{name}: iac {got}, Terraform {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The functions whose results are not the same twice (the time, random UUIDs)
/// or depend on the machine (the home directory), and gzip that a gzip reader
/// takes back to the text.
#[test]
fn time_uuid_path_and_gzip_functions() {
    let w = Work::new(
        r#"
output "now" { value = timestamp() }
output "plan_time" { value = plantimestamp() }
output "ids" { value = [uuid(), uuid()] }
output "home" { value = [pathexpand("~/.ssh/id_rsa"), pathexpand("/etc/x"), pathexpand("~")] }
output "abs" { value = abspath("a/../b/./c") }
output "gz" { value = base64gzip("hello, gzip") }
output "hashes" { value = [bcrypt("secret"), bcrypt("secret", 5)] }
"#,
    );
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = w.iac_env(&["apply", "-auto-approve"], &[("HOME", "/home/someone")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out: serde_json::Value =
        serde_json::from_str(&w.iac(&["output", "-json"]).ok().stdout).expect("json");
    // timestamp(): RFC 3339 in UTC, whole seconds, now.
    let now = out["now"]["value"].as_str().unwrap().to_string();
    assert_eq!(now.len(), 20, "{now}");
    assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    let w2 = Work::new(&format!(
        "output \"d\" {{ value = timecmp(\"{now}\", timeadd(\"1970-01-01T00:00:00Z\", \"{before}s\")) }}\n"
    ));
    w2.apply();
    let cmp = w2.iac(&["output", "-raw", "d"]).ok().stdout;
    assert!(
        cmp == "0" || cmp == "1",
        "timestamp() is not before the run: {cmp}"
    );
    assert!(out["plan_time"]["value"].as_str().unwrap().ends_with('Z'));
    // uuid(): version 4, a new one each call.
    let ids = out["ids"]["value"].as_array().unwrap();
    let (a, b) = (ids[0].as_str().unwrap(), ids[1].as_str().unwrap());
    assert_ne!(a, b);
    for id in [a, b] {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(&id[14..15], "4", "version 4: {id}");
    }
    assert_eq!(
        out["home"]["value"],
        serde_json::json!(["/home/someone/.ssh/id_rsa", "/etc/x", "/home/someone"])
    );
    let abs = out["abs"]["value"].as_str().unwrap();
    assert!(abs.starts_with('/') && abs.ends_with("/b/c"), "{abs}");
    // base64gzip: gzip that `gzip -d` reads back.
    let gz = out["gz"]["value"].as_str().unwrap();
    let bytes = std::process::Command::new("sh")
        .args(["-c", &format!("echo {gz} | base64 -d | gzip -dc")])
        .output()
        .expect("gzip");
    assert_eq!(String::from_utf8_lossy(&bytes.stdout), "hello, gzip");
    // bcrypt: Go's $2a$ form, a new salt each time.
    let h = out["hashes"]["value"].as_array().unwrap();
    assert!(h[0].as_str().unwrap().starts_with("$2a$10$"), "{h:?}");
    assert!(h[1].as_str().unwrap().starts_with("$2a$05$"), "{h:?}");
    assert_eq!(h[0].as_str().unwrap().len(), 60);
    // Errors say what was wrong, as Terraform's do.
    let w = Work::new(
        "output \"a\" { value = formatdate(\"YYYY\", \"2018-01-02\") }\noutput \"b\" { value = timeadd(\"2017-11-22T00:00:00Z\", \"10x\") }\noutput \"c\" { value = formatdate(\"YYYY Q\", \"2018-01-02T00:00:00Z\") }\noutput \"d\" { value = yamldecode(\"a: [1\") }\noutput \"e\" { value = textencodebase64(\"x\", \"EBCDIC\") }\noutput \"f\" { value = rsadecrypt(\"x\", \"y\") }\n",
    );
    let r = w.iac(&["plan"]).code(1);
    for want in [
        "not a valid RFC3339 timestamp: missing required time introducer 'T'",
        "unknown unit \"x\" in duration \"10x\"",
        "invalid date format verb \"Q\"",
        "while parsing a flow sequence, expected ',' or ']'",
        "\"EBCDIC\" is not an encoding iac supports",
        "`rsadecrypt` is not supported by iac",
    ] {
        assert!(r.stderr.contains(want), "{want}\n{}", r.stderr);
    }
}

/// File functions read `~/...` from the home directory, as Terraform's do.
#[test]
fn file_functions_expand_the_home_directory() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("key.pub"), "ssh-ed25519 AAAA test\n").unwrap();
    let w = Work::new(
        "output \"key\" {\n  value = file(\"~/key.pub\")\n}\noutput \"there\" {\n  value = fileexists(\"~/key.pub\")\n}\n",
    );
    let home_dir = home.path().to_str().unwrap();
    w.iac_env(&["apply", "-auto-approve"], &[("HOME", home_dir)])
        .ok();
    let out = w.iac(&["output", "-json"]).ok();
    let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j["key"]["value"], "ssh-ed25519 AAAA test\n");
    assert_eq!(j["there"]["value"], true);
}

/// Numbers as Terraform has them, through apply, state and `output -json`:
/// every digit of an integer beyond 2^53 and of a fraction at 512 bits, no
/// overflow to null, and a second plan that finds nothing changed (what state
/// holds reads back as the same number).
#[test]
fn numbers_keep_every_digit_through_state() {
    let w = Work::new(
        r#"
resource "terraform_data" "n" {
  input = [1 / 3, 9007199254740993, 0.1 + 0.2]
}
output "third" { value = 1 / 3 }
output "big" { value = 9007199254740993 }
output "product" { value = 12345678901234567890 * 10 }
output "huge" { value = 1e308 * 10 }
output "float" { value = pow(2, 64) }
output "text" { value = "${2 / 3}" }
output "input" { value = terraform_data.n.output }
"#,
    );
    w.apply();
    let out = w.iac(&["output", "-json"]).ok().stdout;
    let third = format!("0.{}5", "3".repeat(154));
    for want in [
        format!("\"value\": {third}"),
        "\"value\": 9007199254740993".to_string(),
        "\"value\": 123456789012345678900".to_string(),
        format!("\"value\": 1{}", "0".repeat(309)),
        "\"value\": 18446744073709550000".to_string(),
        // `"${x}"` alone is x itself, a number, in Terraform too.
        format!("\"value\": 0.{}7", "6".repeat(153)),
    ] {
        assert!(out.contains(&want), "{want} not in:\n{out}");
    }
    // What state holds is what Terraform would write, digit for digit.
    let state = w.read("iac.tfstate");
    assert!(state.contains(&third), "{state}");
    assert!(state.contains("9007199254740993"), "{state}");
    let plan = w.iac(&["plan"]).ok().stdout;
    assert!(plan.contains("No changes"), "{plan}");
    let raw = w.iac(&["output", "-raw", "big"]).ok().stdout;
    assert_eq!(raw.trim(), "9007199254740993");
}
