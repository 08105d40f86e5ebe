//! Test support: a scratch module directory and a way to run `iac` in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Work {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The `Plan: ...` summary line.
    pub fn summary(&self) -> String {
        self.stdout
            .lines()
            .find(|l| l.starts_with("Plan:") || l.starts_with("No changes."))
            .unwrap_or("")
            .to_string()
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_iac"))
}

impl Work {
    pub fn new(main_tf: &str) -> Work {
        let w = Work {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        w.write("main.tf", main_tf);
        w
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, content: &str) {
        let p = self.dir.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("IAC_ENV")
            .env("NO_COLOR", "1");
        for (k, _) in std::env::vars() {
            if k.starts_with("IAC_VAR_") {
                c.env_remove(k);
            }
        }
        c
    }

    pub fn iac(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run iac").into()
    }

    pub fn iac_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("run iac").into()
    }

    pub fn apply(&self) -> Run {
        self.iac(&["apply", "-auto-approve"]).ok()
    }

    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("iac.tfstate")).expect("state is JSON")
    }

    /// Attributes of one instance in state.
    pub fn attrs(&self, address: &str) -> serde_json::Value {
        self.attrs_in("iac.tfstate", address)
    }

    /// Attributes of one instance in the state file at `path`.
    pub fn attrs_in(&self, path: &str, address: &str) -> serde_json::Value {
        let s: serde_json::Value = serde_json::from_str(&self.read(path)).expect("state is JSON");
        s["resources"]
            .as_array()
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r["address"] == address && r.get("deposed").is_none())
            })
            .map(|r| r["attributes"].clone())
            .unwrap_or(serde_json::Value::Null)
    }

    pub fn addresses(&self) -> Vec<String> {
        let s = self.state();
        s["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| r["address"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Compares against an expected-output file; `UPDATE_EXPECT=1` rewrites it.
#[track_caller]
pub fn expect_file(path: &str, actual: &str) {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/it/testdata")
        .join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&full)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", full.display()));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual);
        panic!(
            "output differs from {}:\n{}\n(run with UPDATE_EXPECT=1 to accept)",
            full.display(),
            diff.unified_diff()
        );
    }
}
