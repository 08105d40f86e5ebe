//! Module sources as Terraform has them: a module registry (service discovery,
//! versions, download, a bearer token) served on loopback by this test, a git
//! repository served by `git daemon`, and an HTTPS-style archive; `iac init`
//! installs them, later commands work offline, `-upgrade` moves versions.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};

use crate::support::{Run, Work};

fn sh(dir: &Path, args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn module_text(version: &str) -> String {
    format!("variable \"cidr\" {{\n  type = string\n}}\nresource \"terraform_data\" \"net\" {{\n  input = var.cidr\n}}\noutput \"version\" {{\n  value = \"{version}\"\n}}\n")
}

/// A git repository with a module at the top and one under modules/sub, tagged per version.
fn publish(repo: &Path, version: &str) {
    std::fs::write(repo.join("main.tf"), module_text(version)).unwrap();
    std::fs::create_dir_all(repo.join("modules/sub")).unwrap();
    std::fs::write(
        repo.join("modules/sub/main.tf"),
        format!("output \"where\" {{\n  value = \"sub-{version}\"\n}}\n"),
    )
    .unwrap();
    sh(repo, &["git", "add", "-A"]);
    sh(repo, &["git", "commit", "-q", "-m", version]);
    sh(repo, &["git", "tag", &format!("v{version}")]);
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git_daemon(base: &Path) -> (Daemon, u16) {
    let port = crate::moto::fresh_port();
    // `git daemon` runs git-daemon as a child: start that directly, so killing it stops it.
    let exec_path = Command::new("git")
        .arg("--exec-path")
        .output()
        .expect("git");
    let exec_path = String::from_utf8_lossy(&exec_path.stdout)
        .trim()
        .to_string();
    let child = Command::new(Path::new(&exec_path).join("git-daemon"))
        .args([
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", base.display()),
        ])
        .arg(base)
        .spawn()
        .expect("git daemon");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (Daemon(child), port)
}

/// Archives the registry serves itself, by version.
type Archives = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A module registry: versions from `versions`, each downloaded from git (or, for
/// those in `archives`, from a .tar.gz it serves itself); it wants a bearer token.
struct Registry {
    port: u16,
    versions: Arc<Mutex<Vec<String>>>,
    archives: Archives,
    requests: Arc<Mutex<usize>>,
    git_url: Arc<Mutex<String>>,
}

fn registry(git_url: String) -> Registry {
    let git_url = Arc::new(Mutex::new(git_url));
    let g = git_url.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let versions = Arc::new(Mutex::new(Vec::<String>::new()));
    let archives: Archives = Arc::new(Mutex::new(Vec::new()));
    let requests = Arc::new(Mutex::new(0usize));
    let (v, a, n) = (versions.clone(), archives.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut authorized = false;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
                if h.to_ascii_lowercase()
                    .starts_with("authorization: bearer s3cr3t")
                {
                    authorized = true;
                }
            }
            *n.lock().unwrap() += 1;
            let (status, headers, body): (&str, String, Vec<u8>) = if !authorized {
                ("401 Unauthorized", String::new(), Vec::new())
            } else if path == "/.well-known/terraform.json" {
                (
                    "200 OK",
                    String::new(),
                    br#"{"modules.v1": "/v1/modules/"}"#.to_vec(),
                )
            } else if path == "/v1/modules/acme/net/aws/versions" {
                let list: Vec<String> = v
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|x| format!("{{\"version\": \"{x}\"}}"))
                    .collect();
                (
                    "200 OK",
                    String::new(),
                    format!("{{\"modules\": [{{\"versions\": [{}]}}]}}", list.join(","))
                        .into_bytes(),
                )
            } else if let Some(rest) = path.strip_prefix("/v1/modules/acme/net/aws/") {
                let version = rest.trim_end_matches("/download").to_string();
                let archived = a.lock().unwrap().iter().any(|(x, _)| *x == version);
                let location = if archived {
                    format!("/archives/net-{version}.tar.gz")
                } else {
                    format!("git::{}?ref=v{version}", g.lock().unwrap())
                };
                (
                    "204 No Content",
                    format!("X-Terraform-Get: {location}\r\n"),
                    Vec::new(),
                )
            } else if let Some(name) = path.strip_prefix("/archives/net-") {
                let version = name.trim_end_matches(".tar.gz");
                match a.lock().unwrap().iter().find(|(x, _)| x == version) {
                    Some((_, bytes)) => ("200 OK", String::new(), bytes.clone()),
                    None => ("404 Not Found", String::new(), Vec::new()),
                }
            } else {
                ("404 Not Found", String::new(), Vec::new())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    Registry {
        port,
        versions,
        archives,
        requests,
        git_url,
    }
}

#[test]
fn registry_git_and_archive_modules_install_and_then_work_offline() {
    let repos = tempfile::tempdir().unwrap();
    let repo = repos.path().join("net");
    std::fs::create_dir_all(&repo).unwrap();
    sh(&repo, &["git", "init", "-q", "-b", "main"]);
    publish(&repo, "1.0.0");
    publish(&repo, "1.1.0");
    publish(&repo, "2.0.0");
    let (_daemon, gport) = git_daemon(repos.path());
    let git_url = format!("git://127.0.0.1:{gport}/net");
    let reg = registry(git_url.clone());
    *reg.versions.lock().unwrap() = vec!["1.0.0".into(), "1.1.0".into(), "2.0.0".into()];

    let w = Work::new(&format!(
        r#"
module "net" {{
  source  = "registry.example.com/acme/net/aws"
  version = "~> 1.0"
  cidr    = "10.0.0.0/16"
}}

module "pinned" {{
  source = "git::{git_url}?ref=v1.0.0"
  cidr   = "10.1.0.0/16"
}}

module "sub" {{
  source = "git::{git_url}//modules/sub?ref=v2.0.0"
}}

output "net" {{
  value = module.net.version
}}

output "pinned" {{
  value = module.pinned.version
}}

output "sub" {{
  value = module.sub.where
}}
"#
    ));
    let hosts = format!("registry.example.com=http://127.0.0.1:{}", reg.port);
    let env = [
        ("IAC_REGISTRY_HOSTS", hosts.as_str()),
        ("IAC_TOKEN_registry_example_com", "s3cr3t"),
    ];
    let iac = |args: &[&str]| -> Run { w.iac_env(args, &env) };

    // Not installed yet: named, with the way forward.
    let r = iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("Module \"net\" is not installed") && r.stderr.contains("iac init"),
        "{}",
        r.stderr
    );
    // Without the token the registry refuses, and init says so.
    let r = w.iac_env(&["init"], &env[..1]).code(1);
    assert!(r.stderr.contains("HTTP 401"), "{}", r.stderr);

    let r = iac(&["init"]).ok();
    assert!(
        r.stdout
            .contains("Downloaded registry.example.com/acme/net/aws 1.1.0 for net"),
        "{}",
        r.stdout
    );
    iac(&["apply", "-auto-approve"]).ok();
    let out = |w: &Work| -> serde_json::Value {
        serde_json::from_str(&w.iac_env(&["output", "-json"], &env).ok().stdout).unwrap()
    };
    let o = out(&w);
    assert_eq!(o["net"]["value"], "1.1.0", "the newest 1.x");
    assert_eq!(o["pinned"]["value"], "1.0.0");
    assert_eq!(o["sub"]["value"], "sub-2.0.0");
    let manifest: serde_json::Value =
        serde_json::from_str(&w.read(".iac/modules/modules.json")).unwrap();
    assert_eq!(manifest["modules"]["net"]["version"], "1.1.0");
    assert!(manifest["modules"]["pinned"]["fetched_from"]
        .as_str()
        .unwrap()
        .contains(" at "));

    // Later commands use what was installed: no registry request, no git.
    let before = *reg.requests.lock().unwrap();
    drop(_daemon);
    iac(&["plan", "-detailed-exitcode"]).code(0);
    assert_eq!(*reg.requests.lock().unwrap(), before, "plan stays offline");

    // A changed file in an installed module is refused.
    std::fs::write(
        w.path().join(".iac/modules/net/main.tf"),
        module_text("tampered"),
    )
    .unwrap();
    let r = iac(&["plan"]).code(1);
    assert!(
        r.stderr.contains("differ from what was downloaded"),
        "{}",
        r.stderr
    );

    // A new 1.x release, served as an archive: init keeps what it has (after
    // restoring the changed files), -upgrade moves to it.
    let (_daemon, gport2) = git_daemon(repos.path());
    *reg.git_url.lock().unwrap() = format!("git://127.0.0.1:{gport2}/net");
    let pkg = tempfile::tempdir().unwrap();
    std::fs::write(pkg.path().join("main.tf"), module_text("1.2.0")).unwrap();
    let tar = pkg.path().join("net.tar.gz");
    sh(
        pkg.path(),
        &["tar", "-czf", tar.to_str().unwrap(), "main.tf"],
    );
    reg.archives
        .lock()
        .unwrap()
        .push(("1.2.0".into(), std::fs::read(&tar).unwrap()));
    reg.versions.lock().unwrap().push("1.2.0".into());
    let w2_env_fix = |s: &str| {
        s.replace(
            &format!("127.0.0.1:{gport}"),
            &format!("127.0.0.1:{gport2}"),
        )
    };
    w.write("main.tf", &w2_env_fix(&w.read("main.tf")));
    let r = iac(&["init"]).ok();
    assert!(r.stdout.contains("net"), "{}", r.stdout);
    assert!(!r.stdout.contains("1.2.0"), "{}", r.stdout);
    let r = iac(&["init", "-upgrade"]).ok();
    assert!(
        r.stdout
            .contains("Downloaded registry.example.com/acme/net/aws 1.2.0 for net"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("sha256"), "{}", r.stdout);
    iac(&["apply", "-auto-approve"]).ok();
    assert_eq!(out(&w)["net"]["value"], "1.2.0");
}

#[test]
fn unsupported_sources_are_named_at_the_source() {
    let w =
        Work::new("module \"m\" {\n  source = \"s3::https://bucket.s3.amazonaws.com/m.zip\"\n}\n");
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("Unsupported module source"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.tf:2:"), "{}", r.stderr);
    let w = Work::new("module \"m\" {\n  source  = \"./local\"\n  version = \"1.0\"\n}\n");
    std::fs::create_dir_all(w.path().join("local")).unwrap();
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("only for registry modules"),
        "{}",
        r.stderr
    );
}
