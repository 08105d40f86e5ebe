//! `iac init` / `iac get`: installs the modules the configuration calls from a
//! registry, git or an HTTPS archive into `.iac/modules/<key>`, and records them
//! in `.iac/modules/modules.json` (source, constraint, chosen version, where the
//! package came from, a digest of its files). Every later command loads modules
//! from there offline, and refuses files that no longer match their digest.
//!
//! Registry hosts are found by Terraform's service discovery
//! (`https://HOST/.well-known/terraform.json`, `modules.v1`); a host can be pointed
//! elsewhere (a mirror, a test server) with `IAC_REGISTRY_HOSTS="host=URL,..."`.
//! Credentials come from `IAC_TOKEN_<host>` or Terraform's `TF_TOKEN_<host>` (dots
//! as `_`, dashes as `__`).

use iac_config::versions::{allows, parse_version};
use std::path::Path;
use std::process::Command;

use anyhow::{anyhow, bail, Context, Result};
use iac_config::sources::{self, child_key, digest_dir, Installed, Manifest, MODULES_DIR};

const DEFAULT_HOST: &str = "registry.terraform.io";

/// What one install run did, for the command's output.
pub struct Report {
    pub lines: Vec<String>,
}

/// Installs every remote module the configuration in `root` calls (recursively);
/// with `upgrade`, re-resolves versions and fetches again even what is installed.
pub fn install(root: &Path, upgrade: bool) -> Result<Report> {
    let old = Manifest::read(root);
    let mut new = Manifest::default();
    let mut report = Report { lines: Vec::new() };
    walk(root, root, "", &old, &mut new, upgrade, 0, &mut report)?;
    let base = root.join(MODULES_DIR);
    if new.modules.is_empty() && old.modules.is_empty() {
        return Ok(report);
    }
    std::fs::create_dir_all(&base)?;
    // Packages no call names any more go.
    for k in old.modules.keys() {
        if !new.modules.contains_key(k) {
            let _ = std::fs::remove_dir_all(base.join(k));
        }
    }
    let text = serde_json::to_string_pretty(&new)?;
    std::fs::write(Manifest::path(root), text + "\n")?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn walk(
    root: &Path,
    dir: &Path,
    key: &str,
    old: &Manifest,
    new: &mut Manifest,
    upgrade: bool,
    depth: usize,
    report: &mut Report,
) -> Result<()> {
    if depth > 20 {
        bail!("module calls nest too deeply at {key}: is a module calling itself?");
    }
    for (name, source, constraint) in iac_config::module_calls_in(dir) {
        let ckey = child_key(key, &name);
        if sources::is_local(&source) {
            let child = iac_config::normalize(&dir.join(&source));
            if child.is_dir() {
                walk(root, &child, &ckey, old, new, upgrade, depth + 1, report)?;
            }
            continue;
        }
        let kept = (!upgrade)
            .then(|| old.dir_of(root, &ckey, &source, constraint.as_deref()).ok())
            .flatten();
        let child = match kept {
            Some(d) => {
                new.modules.insert(ckey.clone(), old.modules[&ckey].clone());
                d
            }
            None => {
                // Files lost or changed, same call: the version installed before
                // (as a lock would keep it); -upgrade resolves again.
                let pinned = old
                    .modules
                    .get(&ckey)
                    .filter(|m| !upgrade && m.source == source && m.constraint == constraint)
                    .and_then(|m| m.version.clone());
                let m = fetch(
                    root,
                    &ckey,
                    &source,
                    constraint.as_deref(),
                    pinned.as_deref(),
                )
                .with_context(|| format!("cannot install module \"{ckey}\" from `{source}`"))?;
                report.lines.push(format!(
                    "Downloaded {source}{} for {ckey} (from {})",
                    m.version
                        .as_deref()
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default(),
                    m.fetched_from
                ));
                let d = root.join(&m.dir);
                new.modules.insert(ckey.clone(), m);
                d
            }
        };
        walk(root, &child, &ckey, old, new, upgrade, depth + 1, report)?;
    }
    Ok(())
}

/// Fetches one module into `.iac/modules/<key>`.
fn fetch(
    root: &Path,
    key: &str,
    source: &str,
    constraint: Option<&str>,
    pinned: Option<&str>,
) -> Result<Installed> {
    let target = root.join(MODULES_DIR).join(key);
    if target.exists() {
        std::fs::remove_dir_all(&target)?;
    }
    std::fs::create_dir_all(&target)?;
    let (base, mut sub) = sources::split_subdir(source);
    let (fetched_from, version) = if sources::is_registry(source) {
        let (getter, version, creds) = registry_download(&base, constraint, pinned)?;
        let (getter, inner) = sources::split_subdir(&getter);
        // A subdirectory in the registry's answer comes before the caller's.
        sub = match (inner, sub) {
            (Some(i), Some(s)) => Some(format!("{i}/{s}")),
            (i, s) => i.or(s),
        };
        (fetch_getter(&getter, &target, &creds)?, Some(version))
    } else {
        (fetch_getter(&base, &target, &None)?, None)
    };
    let dir = match &sub {
        Some(s) => target.join(s),
        None => target.clone(),
    };
    if !dir.is_dir() {
        bail!(
            "the package has no directory {}",
            sub.as_deref().unwrap_or(".")
        );
    }
    let digest = digest_dir(&dir).ok_or_else(|| anyhow!("cannot read {}", dir.display()))?;
    let rel = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
    Ok(Installed {
        key: key.to_string(),
        source: source.to_string(),
        constraint: constraint.map(String::from),
        version,
        fetched_from,
        digest,
        dir: rel,
    })
}

/// Fetches a go-getter style address (what a source or a registry names) into
/// `target`; returns where it came from (with the git commit).
/// A registry's token goes along only to that registry's own URLs (an archive it
/// serves), never to another host it names.
fn fetch_getter(getter: &str, target: &Path, creds: &Creds) -> Result<String> {
    let g = getter.strip_prefix("git::");
    let is_git = g.is_some()
        || getter.starts_with("github.com/")
        || getter.starts_with("git@")
        || getter.split('?').next().unwrap_or("").ends_with(".git");
    let g = g.unwrap_or(getter);
    if is_git {
        let (url, query) = match g.split_once('?') {
            Some((u, q)) => (u.to_string(), q),
            None => (g.to_string(), ""),
        };
        let url = match url.strip_prefix("github.com/") {
            Some(rest) => format!("https://github.com/{}.git", rest.trim_end_matches(".git")),
            None => url,
        };
        let reference = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("ref="))
            .map(String::from);
        return fetch_git(&url, reference.as_deref(), target);
    }
    if getter.starts_with("https://") || getter.starts_with("http://") {
        let path = getter.split('?').next().unwrap_or(getter);
        if path.ends_with(".tar.gz") || path.ends_with(".tgz") {
            let bytes = http_get(getter, creds)?.1;
            let archive = target.with_extension("download.tar.gz");
            std::fs::write(&archive, &bytes)?;
            let out = Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(target)
                .output()
                .context("cannot run tar")?;
            let _ = std::fs::remove_file(&archive);
            if !out.status.success() {
                bail!(
                    "cannot unpack {getter}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            use sha2::Digest;
            let sum: String = sha2::Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            return Ok(format!("{getter} (sha256 {sum})"));
        }
    }
    bail!("iac cannot fetch `{getter}` (git and .tar.gz over HTTPS are supported)")
}

fn git(args: &[&str], dir: Option<&Path>) -> Result<String> {
    let mut c = Command::new("git");
    c.args(args).env("GIT_TERMINAL_PROMPT", "0");
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let out = c.output().context("cannot run git (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn fetch_git(url: &str, reference: Option<&str>, target: &Path) -> Result<String> {
    let t = target.to_string_lossy().to_string();
    let shallow = match reference {
        Some(r) => git(
            &["clone", "--quiet", "--depth", "1", "--branch", r, url, &t],
            None,
        ),
        None => git(&["clone", "--quiet", "--depth", "1", url, &t], None),
    };
    if shallow.is_err() {
        // A commit id cannot be cloned by name: clone all, then check it out.
        let _ = std::fs::remove_dir_all(target);
        git(&["clone", "--quiet", url, &t], None)?;
        if let Some(r) = reference {
            git(
                &["-c", "advice.detachedHead=false", "checkout", "--quiet", r],
                Some(target),
            )?;
        }
    }
    let commit = git(&["rev-parse", "HEAD"], Some(target))?;
    let _ = std::fs::remove_dir_all(target.join(".git"));
    Ok(format!("{url} at {commit}"))
}

/// The base URL a registry host is reached at (`IAC_REGISTRY_HOSTS` overrides).
fn host_url(host: &str) -> String {
    std::env::var("IAC_REGISTRY_HOSTS")
        .ok()
        .and_then(|all| {
            all.split(',').find_map(|pair| {
                let (h, u) = pair.split_once('=')?;
                (h.trim() == host).then(|| u.trim().trim_end_matches('/').to_string())
            })
        })
        .unwrap_or_else(|| format!("https://{host}"))
}

fn token_for(host: &str) -> Option<String> {
    let name: String = host
        .chars()
        .flat_map(|c| match c {
            '.' => vec!['_'],
            '-' => vec!['_', '_'],
            c => vec![c],
        })
        .collect();
    std::env::var(format!("IAC_TOKEN_{name}"))
        .or_else(|_| std::env::var(format!("TF_TOKEN_{name}")))
        .ok()
}

type Headers = Vec<(String, String)>;

/// A registry's token and the base URL it is for: it is sent only to that registry.
type Creds = Option<(String, String)>;

fn http_get(url: &str, creds: &Creds) -> Result<(Headers, Vec<u8>)> {
    let mut req = ureq::get(url).timeout(std::time::Duration::from_secs(60));
    if let Some((base, token)) = creds {
        if url.starts_with(base.as_str()) {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, _)) => bail!("{url}: HTTP {code}"),
        Err(e) => bail!("{url}: {e}"),
    };
    let headers: Headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body)?;
    Ok((headers, body))
}

fn header(headers: &Headers, name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// Resolves a URL reference against a base URL (absolute, host-relative or relative).
fn join_url(base: &str, reference: &str) -> String {
    if reference.contains("://") || reference.contains("::") {
        return reference.to_string();
    }
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let origin_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..origin_end]);
    }
    let dir_end = base
        .rfind('/')
        .filter(|i| *i >= origin_end)
        .unwrap_or(base.len());
    format!("{}/{reference}", &base[..dir_end])
}

/// Finds the version a constraint allows and where to download it.
fn registry_download(
    address: &str,
    constraint: Option<&str>,
    pinned: Option<&str>,
) -> Result<(String, String, Creds)> {
    let parts: Vec<&str> = address.split('/').collect();
    let (host, ns, name, provider) = match parts.as_slice() {
        [ns, name, provider] => (DEFAULT_HOST, *ns, *name, *provider),
        [host, ns, name, provider] => (*host, *ns, *name, *provider),
        _ => bail!("`{address}` is not a registry address (namespace/name/provider)"),
    };
    let base = host_url(host);
    let creds: Creds = token_for(host).map(|t| (format!("{base}/"), t));
    let discovery = format!("{base}/.well-known/terraform.json");
    let (_, body) = http_get(&discovery, &creds)?;
    let services: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("{discovery} is not service discovery JSON"))?;
    let modules = services["modules.v1"]
        .as_str()
        .ok_or_else(|| anyhow!("{host} offers no module registry (modules.v1)"))?;
    let modules = join_url(&discovery, modules);
    let modules = modules.trim_end_matches('/');
    let versions_url = format!("{modules}/{ns}/{name}/{provider}/versions");
    let (_, body) = http_get(&versions_url, &creds)?;
    let doc: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("{versions_url} is not a versions document"))?;
    let mut available: Vec<semver::Version> = doc["modules"][0]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["version"].as_str())
        .filter_map(parse_version)
        .collect();
    available.sort();
    let pinned = pinned.and_then(parse_version);
    let chosen = available
        .iter()
        .rev()
        .filter(|v| {
            pinned.as_ref().is_none_or(|p| p == *v)
                || !available.iter().any(|a| Some(a) == pinned.as_ref())
        })
        .find(|v| {
            constraint.is_none_or(|c| allows(c, v))
                && (v.pre.is_empty() || constraint.is_some_and(|c| c.contains(&v.to_string())))
        })
        .ok_or_else(|| {
            anyhow!(
                "no version of {address} matches {} (available: {})",
                constraint.unwrap_or("any"),
                available
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?
        .to_string();
    let download = format!("{modules}/{ns}/{name}/{provider}/{chosen}/download");
    let (headers, body) = http_get(&download, &creds)?;
    let location = header(&headers, "X-Terraform-Get")
        .or_else(|| {
            serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|j| j["location"].as_str().map(String::from))
        })
        .ok_or_else(|| anyhow!("{download} named no location (X-Terraform-Get)"))?;
    Ok((join_url(&download, &location), chosen, creds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_as_terraform_reads_them() {
        let v = |s: &str| parse_version(s).unwrap();
        assert!(allows("~> 1.2", &v("1.9.0")));
        assert!(!allows("~> 1.2", &v("2.0.0")));
        assert!(allows("~> 1.2.3", &v("1.2.9")));
        assert!(!allows("~> 1.2.3", &v("1.3.0")));
        assert!(allows(">= 1.0, < 2.0", &v("1.5.0")));
        assert!(!allows(">= 1.0, < 2.0", &v("2.0.0")));
        assert!(allows("1.2.0", &v("1.2.0")));
        assert!(!allows("!= 1.2.0", &v("1.2.0")));
        assert_eq!(
            join_url("http://h:1/.well-known/terraform.json", "/v1/modules/"),
            "http://h:1/v1/modules/"
        );
        assert_eq!(
            join_url("http://h:1/v1/modules/a/b/c/1.0.0/download", "./pkg.tar.gz"),
            "http://h:1/v1/modules/a/b/c/1.0.0/./pkg.tar.gz"
        );
    }
}
