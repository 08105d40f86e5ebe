//! State encryption at rest: every place state is written holds ciphertext, and
//! nothing reads it without the key.

use std::process::Stdio;

use crate::support::{Run, Work};

const KEY: &str = "q2cz3Lxn3dW1Sxu8bXUUwFZp2m3Tq0Hc1s2bEJ1V0QQ=";
const OTHER: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const TF: &str = r#"
resource "terraform_data" "db" {
  input = "hostname-db-7.internal"
}
"#;

fn with(w: &Work, key: &str, args: &[&str]) -> Run {
    w.iac_env(args, &[("IAC_STATE_ENCRYPTION_KEY", key)])
}

#[test]
fn encrypted_state_is_unreadable_without_its_key() {
    let w = Work::new(TF);
    with(&w, KEY, &["apply", "-auto-approve"]).ok();
    let raw = w.read("iac.tfstate");
    assert!(raw.starts_with("{\"iac_encrypted_state\":1"), "{raw}");
    assert!(!raw.contains("hostname-db-7") && !raw.contains("terraform_data"));
    let plain = w.iac(&["plan"]).code(1);
    assert!(
        plain
            .stderr
            .contains("is encrypted; set IAC_STATE_ENCRYPTION_KEY"),
        "{}",
        plain.stderr
    );
    let wrong = with(&w, OTHER, &["plan"]).code(1);
    assert!(
        wrong
            .stderr
            .contains("cannot be decrypted: the key or passphrase is wrong"),
        "{}",
        wrong.stderr
    );
    let bad = with(&w, "not base64!", &["plan"]).code(1);
    assert!(bad.stderr.contains("not base64"), "{}", bad.stderr);
    let ok = with(&w, KEY, &["plan", "-detailed-exitcode"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    // No plaintext binary copy of an encrypted state.
    assert!(!w.path().join(".iac/cache/state").exists());
    // The backup and saved plans are encrypted too; pull shows the plaintext.
    w.write("main.tf", &TF.replace("db-7", "db-8"));
    with(&w, KEY, &["plan", "-out=p.bin"]).ok();
    let plan = w.read("p.bin");
    assert!(plan.starts_with("{\"iac_encrypted_state\":1") && !plan.contains("hostname"));
    assert!(w
        .iac(&["show", "p.bin"])
        .code(1)
        .stderr
        .contains("is encrypted"));
    with(&w, KEY, &["apply", "p.bin"]).ok();
    let backup = w.read("iac.tfstate.backup");
    assert!(backup.starts_with("{\"iac_encrypted_state\":1") && !backup.contains("hostname"));
    let pulled = with(&w, KEY, &["state", "pull"]).ok();
    assert!(
        pulled.stdout.contains("hostname-db-8.internal"),
        "{}",
        pulled.stdout
    );
}

#[test]
fn a_plaintext_state_is_encrypted_on_its_next_write_and_passphrases_work() {
    let w = Work::new(TF);
    w.apply();
    assert!(w.read("iac.tfstate").contains("hostname-db-7"));
    // A plaintext state read once has a binary copy beside it ...
    w.iac(&["plan"]).ok();
    let copy = w.path().join(".iac/cache/state/iac.tfstate");
    assert!(std::fs::read(&copy)
        .unwrap()
        .windows(13)
        .any(|b| b == b"hostname-db-7"));
    let pass = [("IAC_STATE_PASSPHRASE", "a long enough passphrase")];
    w.write("main.tf", &TF.replace("db-7", "db-8"));
    w.iac_env(&["apply", "-auto-approve"], &pass).ok();
    let raw = w.read("iac.tfstate");
    assert!(raw.contains("\"kdf\":{\"name\":\"pbkdf2-sha256\""), "{raw}");
    assert!(!raw.contains("hostname"));
    // ... which goes once the state is encrypted (it would keep the old plaintext).
    assert!(!copy.exists());
    let again = w.iac_env(&["plan", "-detailed-exitcode"], &pass);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let wrong = w
        .iac_env(
            &["plan"],
            &[("IAC_STATE_PASSPHRASE", "another long passphrase")],
        )
        .code(1);
    assert!(
        wrong.stderr.contains("cannot be decrypted"),
        "{}",
        wrong.stderr
    );
    let key_instead = with(&w, KEY, &["plan"]).code(1);
    assert!(
        key_instead
            .stderr
            .contains("encrypted with a passphrase; set IAC_STATE_PASSPHRASE"),
        "{}",
        key_instead.stderr
    );
}

#[test]
fn the_journal_of_a_killed_run_is_encrypted_and_replays_with_the_key() {
    let w = Work::new(&format!(
        "{TF}\nresource \"local_file\" \"block\" {{\n  filename   = \"pipe\"\n  content    = \"x\"\n  depends_on = [terraform_data.db]\n}}\n"
    ));
    assert!(std::process::Command::new("mkfifo")
        .arg(w.path().join("pipe"))
        .status()
        .unwrap()
        .success());
    let mut child = w
        .command(&["apply", "-auto-approve"])
        .env("IAC_STATE_ENCRYPTION_KEY", KEY)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let journal = w.path().join("iac.tfstate.journal");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&journal)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 2
    {
        assert!(std::time::Instant::now() < deadline, "no journal record");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(w.path().join("pipe")).unwrap();
    let records = std::fs::read_to_string(&journal).unwrap();
    let op = records.lines().nth(1).unwrap();
    assert!(op.starts_with("{\"iac_encrypted_state\":1"), "{op}");
    assert!(!records.contains("hostname"));
    let plan = with(&w, KEY, &["plan"]).ok();
    assert_eq!(
        plan.summary(),
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "{}",
        plan.stdout
    );
}
