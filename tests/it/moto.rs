//! A private moto server (the local AWS emulator) per test: installed into
//! `.tools/` on first use (pinned), started on a free loopback port, stopped on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MOTO_VERSION: &str = "5.2.5";

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, installing moto first if needed (one installer at a time).
fn ensure_installed() -> PathBuf {
    let tools = repo_root().join(".tools");
    std::fs::create_dir_all(&tools).expect("create .tools");
    let venv = tools.join(format!("moto-{MOTO_VERSION}"));
    let python = venv.join("bin/python");
    let marker = venv.join(".installed");
    if marker.exists() {
        return python;
    }
    let lock = std::fs::File::create(tools.join("moto-install.lock")).expect("lock file");
    lock.lock().expect("lock");
    if !marker.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv");
        assert!(ok.success(), "creating the moto venv failed");
        let ok = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                &format!("moto[server]=={MOTO_VERSION}"),
            ])
            .status()
            .expect("pip install moto");
        assert!(
            ok.success(),
            "installing moto[server]=={MOTO_VERSION} failed"
        );
        std::fs::write(&marker, "").expect("marker");
    }
    python
}

/// A free loopback port never handed out before in this process: two tests
/// that got the same port from the kernel would share one emulator.
pub fn fresh_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

fn http(endpoint_port: u16, request: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", endpoint_port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

impl Moto {
    pub fn start() -> Moto {
        let python = ensure_installed();
        let port = fresh_port();
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            // ACM issues a requested certificate this many seconds after the
            // request (as if its DNS records had been seen), not a minute.
            .env("MOTO_ACM_VALIDATION_WAIT", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let m = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r = http(port, "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            if r.is_some_and(|r| r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200")) {
                // Answered, but by ours? A server that lost the race for the port exits.
                std::thread::sleep(Duration::from_millis(200));
                let mut m = m;
                if m.child.try_wait().ok().flatten().is_some() {
                    return Moto::start();
                }
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Environment for `iac`: the emulator's endpoint and test credentials, nothing from the user's profile.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }
}

impl Moto {
    /// Talks to a server another test handle started (for threads); does not own it.
    pub fn attach(endpoint: &str) -> Moto {
        Moto {
            child: Command::new("true").spawn().expect("spawn true"),
            endpoint: endpoint.to_string(),
        }
    }

    /// SDK configuration for our own clients: the emulator, test keys.
    pub fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
                aws_sdk_ec2::config::Credentials::new("test", "test", None, None, "test"),
            ))
            .build()
    }

    /// An EC2 client of our own, to check what iac did by reading the emulator.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.sdk())
    }

    /// An EC2 client for another region.
    pub fn ec2_in(&self, region: &str) -> aws_sdk_ec2::Client {
        let conf = aws_sdk_ec2::config::Builder::from(&self.sdk())
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    /// An S3 client of our own (path-style, as moto needs on loopback).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    pub fn elb(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.sdk())
    }

    pub fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk())
    }

    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk())
    }

    /// A Secrets Manager client for another region (a replica's).
    pub fn secrets_in(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        let conf = aws_sdk_secretsmanager::config::Builder::from(&self.sdk())
            .region(aws_config::Region::new(region.to_string()))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(conf)
    }

    /// A bucket's versioning status, read over plain HTTP: moto 5.2.5 answers
    /// GetBucketVersioning under an XML root the Rust SDK refuses.
    pub fn bucket_versioning(&self, bucket: &str) -> Option<String> {
        let port: u16 = self.endpoint.rsplit(':').next()?.parse().ok()?;
        let body = http(
            port,
            &format!(
                "GET /{bucket}?versioning HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            ),
        )?;
        let start = body.find("<Status>")? + "<Status>".len();
        let end = body[start..].find('<')? + start;
        Some(body[start..end].to_string())
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk())
    }

    /// `env()` with the endpoint replaced (to go through a proxy).
    pub fn env_via(&self, endpoint: &str) -> Vec<(&'static str, String)> {
        let mut env = self.env();
        for (k, v) in env.iter_mut() {
            if *k == "AWS_ENDPOINT_URL" {
                *v = endpoint.to_string();
            }
        }
        env
    }

    /// The current value of a secret, read from the emulator.
    pub fn secret_value(&self, id: &str) -> String {
        let c = self.secrets();
        let id = id.to_string();
        block(async move { c.get_secret_value().secret_id(id).send().await })
            .expect("get secret value")
            .secret_string()
            .unwrap_or_default()
            .to_string()
    }

    pub fn create_bucket(&self, name: &str) {
        let s3 = self.s3();
        let name = name.to_string();
        block(async move { s3.create_bucket().bucket(name).send().await }).expect("create bucket");
    }

    /// An object's body, or None when it does not exist.
    pub fn get_object(&self, bucket: &str, key: &str) -> Option<String> {
        let s3 = self.s3();
        let (bucket, key) = (bucket.to_string(), key.to_string());
        block(async move {
            let out = s3.get_object().bucket(bucket).key(key).send().await.ok()?;
            let bytes = out.body.collect().await.ok()?.into_bytes();
            Some(String::from_utf8_lossy(&bytes).to_string())
        })
    }

    pub fn put_object(&self, bucket: &str, key: &str, body: &str) {
        let s3 = self.s3();
        let (bucket, key, body) = (bucket.to_string(), key.to_string(), body.to_string());
        block(async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body.into_bytes().into())
                .send()
                .await
        })
        .expect("put object");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a future to completion (tests are synchronous).
pub fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Runs `iac` in `w` against this emulator (its endpoint and credentials in the environment).
pub fn iac(w: &crate::support::Work, m: &Moto, args: &[&str]) -> crate::support::Run {
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

/// Runs `iac` in `w` against this emulator through `proxy`, which counts and
/// records the calls (for what the emulator does not keep to be read back).
pub fn iac_via(
    w: &crate::support::Work,
    m: &Moto,
    proxy: &crate::proxy::Proxy,
    args: &[&str],
) -> crate::support::Run {
    let env = m.env_via(&proxy.endpoint);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}
