//! AWS benchmark: one configuration (a network, N instances, and one of each newer
//! type: IAM role and instance profile, S3 bucket with versioning, SSM parameter,
//! log group, launch template) applied and re-planned against moto, timing each
//! step and counting the API calls moto answered (from its request log).
//! `cargo bench -p iac-cli --bench aws [-- N] [--terraform]`: with `--terraform`
//! the same file also goes through Terraform with the real `hashicorp/aws`
//! provider, found in a filesystem mirror (`find / -maxdepth 6`), against the
//! same emulator (reset in between).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(n: usize) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}}

data "aws_ami" "base" {{
  owners      = ["amazon"]
  most_recent = true
  filter {{
    name   = "name"
    values = ["amzn-ami-*"]
  }}
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.60.0.0/16"
}}

resource "aws_subnet" "a" {{
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route_table" "public" {{
  vpc_id = aws_vpc.main.id
  route {{
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }}
}}

resource "aws_security_group" "web" {{
  name   = "web"
  vpc_id = aws_vpc.main.id
  ingress {{
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_instance" "web" {{
  count                  = {n}
  ami                    = data.aws_ami.base.id
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.a[count.index % 2].id
  vpc_security_group_ids = [aws_security_group.web.id]
  tags                   = {{ Name = "web-${{count.index}}" }}
}}

resource "aws_iam_role" "app" {{
  name = "bench-app"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}]
  }})
}}

resource "aws_iam_instance_profile" "app" {{
  name = "bench-app"
  role = aws_iam_role.app.name
}}

resource "aws_s3_bucket" "artifacts" {{
  bucket = "bench-artifacts"
}}

resource "aws_s3_bucket_versioning" "artifacts" {{
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {{
    status = "Enabled"
  }}
}}

resource "aws_ssm_parameter" "host" {{
  name           = "/bench/host"
  type           = "String"
  insecure_value = "db.internal"
}}

resource "aws_cloudwatch_log_group" "app" {{
  name              = "/bench/app"
  retention_in_days = 7
}}

resource "aws_launch_template" "app" {{
  name          = "bench-app"
  image_id      = data.aws_ami.base.id
  instance_type = "t3.micro"
}}
"#
    )
}

struct Moto {
    endpoint: String,
    pid: String,
    log: PathBuf,
}

impl Moto {
    fn start() -> Moto {
        let out = Command::new(root().join("scripts/moto.sh"))
            .stderr(Stdio::null())
            .output()
            .expect("scripts/moto.sh");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let field = |name: &str| {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{name}=")))
                .unwrap_or_default()
                .to_string()
        };
        let endpoint = field("AWS_ENDPOINT_URL");
        let port = endpoint.rsplit(':').next().unwrap_or_default().to_string();
        Moto {
            pid: field("MOTO_PID"),
            log: root().join(format!(".tools/moto-{port}.log")),
            endpoint,
        }
    }

    /// Requests moto has answered so far.
    fn calls(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\" 200 ") || l.contains("HTTP/1.1\" "))
            .filter(|l| !l.contains("/moto-api/"))
            .count()
    }

    fn reset(&self) {
        let _ = Command::new("curl")
            .args([
                "-fs",
                "-X",
                "POST",
                &format!("{}/moto-api/reset", self.endpoint),
            ])
            .output();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

/// Runs a step, returning its time and the calls moto answered meanwhile.
fn step(
    moto: &Moto,
    dir: &Path,
    program: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> (Duration, usize) {
    let before = moto.calls();
    let start = Instant::now();
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The log is written as requests finish; give the last lines a moment.
    std::thread::sleep(Duration::from_millis(300));
    (elapsed, moto.calls() - before)
}

fn mirror() -> Option<PathBuf> {
    let out = Command::new("find")
        .args([
            "/",
            "-xdev",
            "-maxdepth",
            "6",
            "-type",
            "d",
            "-path",
            "*registry.terraform.io/hashicorp/aws",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()?
        .to_string();
    Path::new(&first)
        .parent()?
        .parent()?
        .parent()
        .map(Path::to_path_buf)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100);
    let with_tf = args.iter().any(|a| a == "--terraform");
    let iac = std::env::var("IAC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let target = std::env::var("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|_| root().join("target"));
            target.join("release/iac")
        });
    assert!(
        iac.exists(),
        "build iac first: cargo build --release -p iac-cli ({})",
        iac.display()
    );
    let moto = Moto::start();
    let env = vec![
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
    ];
    println!(
        "| tool | instances | apply | calls | no-change plan | calls |\n|---|---|---|---|---|---|"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), config(n)).expect("write");
    let iac = iac.to_string_lossy().to_string();
    let (t1, c1) = step(&moto, dir.path(), &iac, &["apply", "-auto-approve"], &env);
    let (t2, c2) = step(&moto, dir.path(), &iac, &["plan"], &env);
    println!(
        "| iac | {n} | {:.1} s | {c1} | {:.2} s | {c2} |",
        t1.as_secs_f64(),
        t2.as_secs_f64()
    );
    if !with_tf {
        return;
    }
    let Some(mirror) = mirror() else {
        println!("(no hashicorp/aws filesystem mirror found: Terraform skipped)");
        return;
    };
    moto.reset();
    let tdir = tempfile::tempdir().expect("tempdir");
    std::fs::write(tdir.path().join("main.tf"), config(n)).expect("write");
    let rc = tdir.path().join("tf.rc");
    std::fs::write(
        &rc,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("rc");
    let mut tenv = env.clone();
    tenv.push(("TF_CLI_CONFIG_FILE", rc.display().to_string()));
    tenv.push(("TF_IN_AUTOMATION", "1".to_string()));
    step(
        &moto,
        tdir.path(),
        "terraform",
        &["init", "-input=false"],
        &tenv,
    );
    let (t1, c1) = step(
        &moto,
        tdir.path(),
        "terraform",
        &["apply", "-auto-approve", "-input=false"],
        &tenv,
    );
    let (t2, c2) = step(
        &moto,
        tdir.path(),
        "terraform",
        &["plan", "-input=false"],
        &tenv,
    );
    println!(
        "| Terraform 1.11.4 + aws 5.100.0 | {n} | {:.1} s | {c1} | {:.2} s | {c2} |",
        t1.as_secs_f64(),
        t2.as_secs_f64()
    );
}
