//! Module sources as Terraform writes them, and where `iac init` installed the
//! remote ones (`.iac/modules/`, listed in `.iac/modules/modules.json`): local
//! paths (`./x`, `../x`), registry addresses (`[host/]namespace/name/provider`),
//! git (`git::URL`, `github.com/org/repo`, `?ref=`), HTTPS archives; `//subdir`
//! selects a directory inside any of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where installed modules live, under the root module's directory.
pub const MODULES_DIR: &str = ".iac/modules";

pub fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// A registry address: `namespace/name/provider`, optionally after a hostname.
pub fn is_registry(source: &str) -> bool {
    let (base, _) = split_subdir(source);
    if base.contains("::") || base.contains("://") || base.contains('?') {
        return false;
    }
    let parts: Vec<&str> = base.split('/').collect();
    let ok = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    match parts.len() {
        3 => parts.iter().all(ok) && !parts[0].contains('.'),
        4 => parts[0].contains('.') && parts[0] != "github.com" && parts[1..].iter().all(ok),
        _ => false,
    }
}

/// Whether iac can fetch this source (an error says why not).
pub fn check(source: &str) -> Result<(), String> {
    if is_local(source) || is_registry(source) {
        return Ok(());
    }
    let (base, _) = split_subdir(source);
    if base.starts_with("git::") || base.starts_with("github.com/") || base.starts_with("git@") {
        return Ok(());
    }
    if base.starts_with("https://") || base.starts_with("http://") {
        let path = base.split('?').next().unwrap_or(&base);
        if path.ends_with(".git") {
            return Ok(());
        }
        if path.ends_with(".tar.gz") || path.ends_with(".tgz") {
            return Ok(());
        }
        return Err("an HTTP source must be a .tar.gz archive or a .git repository".into());
    }
    if let Some((scheme, _)) = base.split_once("::") {
        return Err(format!("sources of kind `{scheme}::` are not supported"));
    }
    if source.starts_with('/') {
        return Err("a local path starts with ./ or ../ (relative to the module)".into());
    }
    Err("not a source iac knows".into())
}

/// `BASE//SUBDIR?QUERY` -> (`BASE?QUERY`, `SUBDIR`): the `//` after the scheme's
/// `://` (or a `::` forcing a getter) names a directory inside the package.
pub fn split_subdir(source: &str) -> (String, Option<String>) {
    let mut start = 0;
    if let Some(i) = source.find("::") {
        start = i + 2;
    }
    if let Some(i) = source[start..].find("://") {
        start += i + 3;
    }
    let (body, query) = match source[start..].find('?') {
        Some(q) => (&source[..start + q], &source[start + q..]),
        None => (source, ""),
    };
    match body[start..].find("//") {
        Some(i) => {
            let sub = body[start + i + 2..].trim_matches('/').to_string();
            (
                format!("{}{query}", &body[..start + i]),
                (!sub.is_empty()).then_some(sub),
            )
        }
        None => (source.to_string(), None),
    }
}

/// The key of a module call below `parent` (`vpc`, `vpc.subnets`), as Terraform keys them.
pub fn child_key(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// One installed module.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Installed {
    pub key: String,
    /// The source as written in the configuration.
    pub source: String,
    /// The `version` constraint as written (registry modules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// The version chosen (registry modules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where the package came from in the end (a git URL and commit, an archive URL).
    pub fetched_from: String,
    /// SHA-256 over the installed files (names and contents), checked on every load.
    pub digest: String,
    /// The module's directory, relative to the root module.
    pub dir: String,
}

/// `.iac/modules/modules.json`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub modules: BTreeMap<String, Installed>,
}

impl Manifest {
    pub fn path(root: &Path) -> PathBuf {
        root.join(MODULES_DIR).join("modules.json")
    }

    /// The manifest in `root` (empty when there is none or it cannot be read).
    pub fn read(root: &Path) -> Manifest {
        std::fs::read(Self::path(root))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Where the module at `key` with this source is installed, or why it is not.
    pub fn dir_of(
        &self,
        root: &Path,
        key: &str,
        source: &str,
        constraint: Option<&str>,
    ) -> Result<PathBuf, String> {
        let Some(m) = self.modules.get(key) else {
            return Err(format!("`{source}` has not been downloaded"));
        };
        if m.source != source || m.constraint.as_deref() != constraint {
            return Err(format!(
                "installed from `{}`{}; the configuration now says `{source}`{}",
                m.source,
                m.constraint
                    .as_deref()
                    .map(|c| format!(" (version {c})"))
                    .unwrap_or_default(),
                constraint
                    .map(|c| format!(" (version {c})"))
                    .unwrap_or_default()
            ));
        }
        let dir = root.join(&m.dir);
        if digest_dir(&dir).as_deref() != Some(m.digest.as_str()) {
            return Err(format!(
                "the files in {} differ from what was downloaded",
                m.dir
            ));
        }
        Ok(dir)
    }
}

/// SHA-256 over a directory's files (relative names and contents, sorted),
/// skipping `.git`; `None` if it cannot be read.
pub fn digest_dir(dir: &Path) -> Option<String> {
    use sha2::Digest;
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            let name = e.file_name();
            if name == ".git" {
                continue;
            }
            if e.file_type()?.is_dir() {
                walk(base, &p, out)?;
            } else {
                let rel = p.strip_prefix(base).unwrap_or(&p).display().to_string();
                out.push((rel, p));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files).ok()?;
    files.sort();
    let mut h = sha2::Sha256::new();
    for (rel, p) in files {
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(std::fs::read(&p).ok()?);
        h.update([0]);
    }
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_as_terraform_reads_them() {
        assert!(is_registry("terraform-aws-modules/vpc/aws"));
        assert!(is_registry("app.terraform.io/acme/vpc/aws"));
        assert!(!is_registry("github.com/acme/vpc"));
        assert!(!is_registry("./vpc"));
        assert_eq!(
            split_subdir("git::https://example.com/vpc.git//modules/sub?ref=v1.2.0"),
            (
                "git::https://example.com/vpc.git?ref=v1.2.0".to_string(),
                Some("modules/sub".to_string())
            )
        );
        assert_eq!(
            split_subdir("terraform-aws-modules/iam/aws//modules/iam-role"),
            (
                "terraform-aws-modules/iam/aws".to_string(),
                Some("modules/iam-role".to_string())
            )
        );
        assert_eq!(
            split_subdir("https://example.com/m.tar.gz"),
            ("https://example.com/m.tar.gz".to_string(), None)
        );
        assert!(check("s3::https://bucket/m.zip").is_err());
        assert!(check("/abs/path").is_err());
        assert!(check("github.com/acme/net?ref=v1").is_ok());
    }
}
