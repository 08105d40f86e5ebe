//! Bad input: every problem reported at once, with file:line:col, the source
//! line, a caret and a "did you mean". Output is compared with testdata files.

use crate::support::{expect_file, Work};

fn check(case: &str, files: &[(&str, &str)]) {
    let w = Work::new("");
    std::fs::remove_file(w.path().join("main.tf")).unwrap();
    for (name, text) in files {
        w.write(name, text);
    }
    let r = w.iac(&["validate"]);
    assert_eq!(r.code, 1, "validate should fail\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    expect_file(&format!("{case}/stderr.txt"), &r.stderr);
}

#[test]
fn syntax_error() {
    check(
        "syntax_error",
        &[(
            "main.tf",
            "resource \"terraform_data\" \"a\" {\n  input = \n}\n",
        )],
    );
}

#[test]
fn misspelled_names() {
    check(
        "misspelled_names",
        &[(
            "main.tf",
            r#"variable "name" {
  default = "x"
}

resource "terraform_dat" "a" {
}

resource "terraform_data" "b" {
  inptu = var.nmae
}

resource "terraform_data" "c" {
  input = terraform_data.bb.id
}

resourse "terraform_data" "d" {
}
"#,
        )],
    );
}

#[test]
fn cycle_names_every_address() {
    check(
        "cycle",
        &[(
            "main.tf",
            "resource \"terraform_data\" \"a\" {\n  input = terraform_data.b.id\n}\nresource \"terraform_data\" \"b\" {\n  input = local.x\n}\nlocals {\n  x = terraform_data.a.id\n}\n",
        )],
    );
}

/// What Terraform's AWS provider has and iac does not (the ledger in
/// providers/aws/src/not_supported.rs) is refused by name, with why: an
/// argument, a block, and a block a `dynamic` block would generate.
#[test]
fn terraform_arguments_iac_lacks_are_refused_with_why() {
    check(
        "not_supported",
        &[(
            "main.tf",
            r#"resource "aws_instance" "web" {
  ami            = "ami-12345678"
  instance_type  = "t3.micro"
  cpu_core_count = 2

  ephemeral_block_device {
    device_name  = "/dev/sdb"
    virtual_name = "ephemeral0"
  }
}

resource "aws_db_instance" "db" {
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  allocated_storage   = 20
  username            = "app"
  password_wo         = "never-stored"
  password_wo_version = 1
}

resource "aws_s3_bucket" "logs" {
  bucket = "logs"

  dynamic "replication_configuration" {
    for_each = [1]
    content {
      enabled = true
    }
  }
}
"#,
        )],
    );
}

#[test]
fn type_errors() {
    check(
        "type_errors",
        &[(
            "main.tf",
            "variable \"n\" {\n  type    = number\n  default = \"many\"\n}\nvariable \"t\" {\n  type = lsit(string)\n}\nresource \"random_pet\" \"p\" {\n  length = \"two\"\n}\noutput \"o\" {\n  value = 1 + \"x\"\n}\n",
        )],
    );
}

#[test]
fn json_diagnostics() {
    let w = Work::new("resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n");
    let r = w.iac(&["validate", "-json"]).code(1);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["valid"], false);
    assert_eq!(j["diagnostics"][0]["code"], "E0201");
    assert_eq!(j["diagnostics"][0]["range"]["start"]["line"], 2);
    assert_eq!(j["diagnostics"][0]["range"]["start"]["column"], 11);
}

#[test]
fn garbage_input_never_panics() {
    let inputs = [
        "{{{{",
        "resource",
        "resource \"a\"",
        "x = [for",
        "a = \"${",
        "a = <<EOT\n",
        "locals { a = b.c[ }",
        "\u{0}\u{1}",
        "output \"o\" { value = [1,2][5] }",
        "variable \"v\" { type = map(list(object({a=string}))) default = 1 }",
        "resource \"terraform_data\" \"a\" { count = -1 }",
        "resource \"terraform_data\" \"a\" { for_each = [\"a\"] }",
        "module \"m\" { source = \"./nowhere\" }",
        "moved { from = 1\n to = 2 }",
    ];
    for (i, input) in inputs.iter().enumerate() {
        let w = Work::new(input);
        let r = w.iac(&["plan", "-input=false"]);
        assert!(
            !r.stderr.contains("panicked"),
            "input {i} panicked:\n{}",
            r.stderr
        );
        assert_eq!(
            r.code, 1,
            "input {i} ({input:?}) should be an error:\n{}{}",
            r.stdout, r.stderr
        );
    }
}

#[test]
fn loading_has_a_deadline() {
    // Found by the fuzzer: the HCL parser backtracks exponentially on this (seconds
    // for 200 bytes); a run gives up after IAC_PARSE_TIMEOUT instead of hanging.
    let w = Work::new("x = 2/2/2/2---(2/2/2---(2/2\n ----(2/2/2---(2/2/2---(2/2\n ----(2/2/2---(2/2\n ----(2/2/2/2--(--(2/2/2---(2/2\n ----(2/2/2/2--(2/2/2---(2/2/2---(_/ 3 % 2 - -1 == 1 ?(2/2\n ----(2/2/2/2--(2/2/2---(_/ 3 % 2 - -1 == 1 ? !t ----(");
    let r = w.iac_env(&["validate"], &[("IAC_PARSE_TIMEOUT", "100ms")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("took too long"), "{}", r.stderr);
    // The message names the file and what in it is slow.
    assert!(r.stderr.contains("main.tf took too long"), "{}", r.stderr);
    assert!(r.stderr.contains("unary minus"), "{}", r.stderr);

    // A file that is merely large is not blamed on unary minus.
    let mut big = String::from("locals {\n");
    for i in 0..100_000 {
        big.push_str(&format!("  k{i} = \"v{i}\"\n"));
    }
    big.push_str("}\n");
    let w = Work::new(&big);
    let r = w.iac_env(&["validate"], &[("IAC_PARSE_TIMEOUT", "200ms")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("main.tf took too long"), "{}", r.stderr);
    assert!(r.stderr.contains("100002 lines"), "{}", r.stderr);
    assert!(!r.stderr.contains("unary minus"), "{}", r.stderr);
}

/// `iac show | head`: a closed pipe ends iac quietly (SIGPIPE), never a panic.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let w = crate::support::Work::new(
        // More output than a pipe holds (64 KiB), so iac is still writing when
        // the reader goes away.
        &(0..2000)
            .map(|i| format!("resource \"terraform_data\" \"r{i}\" {{\n  input = \"{i}\"\n}}\n"))
            .collect::<String>(),
    );
    w.apply();
    let mut child = w
        .command(&["show"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a line");
    // The reader is gone (dropped): iac's next writes meet a closed pipe.
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(first.starts_with("# terraform_data."), "{first}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGPIPE),
            "{:?} {stderr}",
            out.status
        );
    }
}

/// A type Terraform's AWS provider has and iac does not is named as not
/// supported yet, not answered with a guess at another type; a misspelled one
/// still gets its "did you mean".
#[test]
fn types_terraform_has_and_iac_lacks() {
    check(
        "types_iac_lacks",
        &[(
            "main.tf",
            "resource \"aws_sagemaker_domain\" \"d\" {\n}\n\ndata \"aws_kinesis_stream\" \"s\" {\n}\n\nresource \"aws_subnett\" \"x\" {\n}\n",
        )],
    );
}

/// `plan` reports every configuration error at once, as `validate` does, even
/// when an undeclared name stops its walk early.
#[test]
fn plan_reports_every_error_validate_finds() {
    let w = Work::new(
        "resource \"terraform_data\" \"a\" {\n  input = var.nope\n}\nresource \"terraform_data\" \"b\" {\n  input = local.nope\n}\noutput \"x\" {\n  value = upper(1, 2)\n}\n",
    );
    let errors = |r: &crate::support::Run| {
        let mut e: Vec<String> = r
            .stderr
            .lines()
            .filter(|l| l.starts_with("error["))
            .map(String::from)
            .collect();
        e.sort();
        e
    };
    let validate = errors(&w.iac(&["validate"]).code(1));
    let plan = errors(&w.iac(&["plan"]).code(1));
    assert_eq!(validate.len(), 3, "{validate:?}");
    assert_eq!(plan, validate);
}
