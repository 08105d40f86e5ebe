//! Engine benchmark: N `terraform_data` resources (independent ones and chains
//! of four), timing validate, a fresh plan, apply, and a no-change plan, with the
//! peak memory of each run. `cargo bench -p iac-cli --bench engine [-- N...]`.
//! With `--terraform`, the same file is also run through `terraform` (if on PATH).
//! With `--shapes [N]`, each shape of input (a map literal, a list literal, many
//! attributes in one block, a chain of locals, many resources) is planned at N and
//! 2N: a ratio near 2 is linear cost.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn manifest(n: usize) -> String {
    let mut s = String::with_capacity(n * 80);
    for i in 0..n {
        if i % 4 == 0 {
            s.push_str(&format!(
                "resource \"terraform_data\" \"r{i}\" {{\n  input = \"value-{i}\"\n}}\n"
            ));
        } else {
            s.push_str(&format!(
                "resource \"terraform_data\" \"r{i}\" {{\n  input = \"${{terraform_data.r{}.output}}-{i}\"\n}}\n",
                i - 1
            ));
        }
    }
    s
}

/// Runs a command and returns its wall time and peak resident memory (KiB).
/// The child is reaped with `wait4` (for its resource usage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn run(dir: &Path, program: &str, args: &[&str]) -> (Duration, u64) {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut usage);
        usage
    };
    let elapsed = start.elapsed();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{program} {args:?} failed in {}",
        dir.display()
    );
    (elapsed, usage.ru_maxrss as u64)
}

fn row(tool: &str, n: usize, step: &str, (t, kib): (Duration, u64)) -> String {
    format!(
        "| {tool} | {n} | {step} | {:.3} s | {:.0} MiB |",
        t.as_secs_f64(),
        kib as f64 / 1024.0
    )
}

/// One configuration of a given shape and size, for the linear-cost check.
fn shape(kind: &str, n: usize) -> String {
    let mut s = String::with_capacity(n * 32);
    match kind {
        "map literal" => {
            s.push_str("locals {\n  m = {\n");
            for i in 0..n {
                s.push_str(&format!("    k{i} = \"v{i}\"\n"));
            }
            s.push_str("  }\n}\noutput \"n\" {\n  value = length(local.m)\n}\n");
        }
        "list literal" => {
            s.push_str("locals {\n  l = [\n");
            for i in 0..n {
                s.push_str(&format!("    \"v{i}\",\n"));
            }
            s.push_str("  ]\n}\noutput \"n\" {\n  value = length(local.l)\n}\n");
        }
        "attributes in one block" => {
            s.push_str("locals {\n");
            for i in 0..n {
                s.push_str(&format!("  k{i} = \"v{i}\"\n"));
            }
            s.push_str("}\noutput \"n\" {\n  value = local.k0\n}\n");
        }
        "chain of locals" => {
            s.push_str("locals {\n  c0 = 0\n");
            for i in 1..n {
                s.push_str(&format!("  c{i} = local.c{} + 1\n", i - 1));
            }
            s.push_str(&format!(
                "}}\noutput \"n\" {{\n  value = local.c{}\n}}\n",
                n - 1
            ));
        }
        _ => s.push_str(&manifest(n)),
    }
    s
}

/// Every stage's cost follows its input: each shape at N and 2N, with the ratio.
fn shapes(iac: &str, sizes: &[usize]) {
    println!("| shape | N | plan | 2N | plan | ratio |\n|---|---|---|---|---|---|");
    for kind in [
        "map literal",
        "list literal",
        "attributes in one block",
        "chain of locals",
        "resources",
    ] {
        for &n in sizes {
            let time = |n: usize| {
                let dir = tempfile::tempdir().expect("tempdir");
                std::fs::write(dir.path().join("main.tf"), shape(kind, n)).expect("write");
                run(dir.path(), iac, &["plan", "-refresh=false"]).0
            };
            let (a, b) = (time(n), time(2 * n));
            println!(
                "| {kind} | {n} | {:.3} s | {} | {:.3} s | {:.1} |",
                a.as_secs_f64(),
                2 * n,
                b.as_secs_f64(),
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.iter().any(|a| a == "--shapes") {
        let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        let sizes = if sizes.is_empty() {
            vec![20_000]
        } else {
            sizes
        };
        shapes(env!("CARGO_BIN_EXE_iac"), &sizes);
        return;
    }
    let with_tf = args.iter().any(|a| a == "--terraform");
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    let iac = env!("CARGO_BIN_EXE_iac");
    let mut rows = vec![
        "| tool | N | step | time | peak memory |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("main.tf"), manifest(n)).expect("write");
        rows.push(row(
            "iac",
            n,
            "validate",
            run(dir.path(), iac, &["validate"]),
        ));
        rows.push(row(
            "iac",
            n,
            "plan (fresh state)",
            run(dir.path(), iac, &["plan", "-out=p.plan"]),
        ));
        rows.push(row(
            "iac",
            n,
            "apply",
            run(dir.path(), iac, &["apply", "p.plan"]),
        ));
        rows.push(row(
            "iac",
            n,
            "no-change plan",
            run(dir.path(), iac, &["plan", "-detailed-exitcode"]),
        ));
        println!("{}", rows[rows.len() - 4..].join("\n"));
        if with_tf && which("terraform") {
            let tdir = tempfile::tempdir().expect("tempdir");
            std::fs::write(tdir.path().join("main.tf"), manifest(n)).expect("write");
            run(tdir.path(), "terraform", &["init", "-input=false"]);
            rows.push(row(
                "terraform",
                n,
                "validate",
                run(tdir.path(), "terraform", &["validate"]),
            ));
            rows.push(row(
                "terraform",
                n,
                "plan (fresh state)",
                run(
                    tdir.path(),
                    "terraform",
                    &["plan", "-out=p.plan", "-input=false"],
                ),
            ));
            rows.push(row(
                "terraform",
                n,
                "apply",
                run(
                    tdir.path(),
                    "terraform",
                    &["apply", "-input=false", "p.plan"],
                ),
            ));
            rows.push(row(
                "terraform",
                n,
                "no-change plan",
                run(tdir.path(), "terraform", &["plan", "-input=false"]),
            ));
            println!("{}", rows[rows.len() - 4..].join("\n"));
        }
    }
    println!("\n{}", rows.join("\n"));
}

fn which(p: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(p).is_file()))
        .unwrap_or(false)
}
