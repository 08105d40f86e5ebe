//! `local_file`: a real file on the machine that runs iac (so refresh, drift and
//! failures are testable without a cloud), and the `local_file` data source.
//! `local_sensitive_file` is the same with its content sensitive (shown and kept
//! only as a fingerprint) and permissions `0700` by default, as the local
//! provider has it.

use iac_provider::kit::{DataSourceType, ResourceType};
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};

use crate::util::{set, sha256_hex};

pub struct LocalFile {
    pub sensitive: bool,
}

impl LocalFile {
    fn default_permission(&self) -> &'static str {
        if self.sensitive {
            "0700"
        } else {
            "0644"
        }
    }
}

pub struct LocalFileData;

fn write_local_file(filename: &str, content: &str, perm: &str) -> Result<(), AttrDiagnostic> {
    let err = |what: &str, e: std::io::Error| {
        AttrDiagnostic::error(
            vec![PathStep::Key("filename".into())],
            format!("Cannot {what} {filename}"),
            e.to_string(),
        )
    };
    let mode = u32::from_str_radix(perm.trim_start_matches("0o"), 8).map_err(|_| {
        AttrDiagnostic::error(
            vec![PathStep::Key("file_permission".into())],
            "Invalid file_permission",
            format!("\"{perm}\" is not an octal mode such as \"0644\""),
        )
    })?;
    let path = std::path::Path::new(filename);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err("create the directory of", e))?;
    }
    std::fs::write(path, content).map_err(|e| err("write", e))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| err("set permissions on", e))?;
    Ok(())
}

fn read_local_file(v: &Value) -> Result<Option<Value>, AttrDiagnostic> {
    let Some(filename) = v.get_attr("filename").as_str() else {
        return Ok(Some(v.clone()));
    };
    match std::fs::read(filename) {
        Ok(bytes) => {
            let mut out = v.clone();
            let digest = sha256_hex(&bytes);
            if v.get_attr("content_sha256").as_str() != Some(digest.as_str()) {
                set(
                    &mut out,
                    "content",
                    Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                );
                set(&mut out, "content_sha256", Value::String(digest));
            }
            Ok(Some(out))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AttrDiagnostic::error(
            vec![PathStep::Key("filename".into())],
            "Cannot read file",
            format!("{filename}: {e}"),
        )),
    }
}

#[async_trait::async_trait]
impl ResourceType<()> for LocalFile {
    fn schema(&self) -> Schema {
        let content = Attribute::optional(AttrType::String, "The file's content.").force_new();
        let content = if self.sensitive {
            content.sensitive()
        } else {
            content
        };
        Schema::new(if self.sensitive {
            "A file on the machine that runs iac whose content is secret, like the local provider's local_sensitive_file."
        } else {
            "A file on the machine that runs iac, like the local provider's local_file."
        })
            .attr(
                "filename",
                Attribute::required(
                    AttrType::String,
                    "Path of the file (relative to the working directory).",
                )
                .force_new(),
            )
            .attr("content", content)
            .attr(
                "file_permission",
                Attribute::optional(
                    AttrType::String,
                    "Octal permission bits (default \"0644\"; \"0700\" for local_sensitive_file).",
                )
                .force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            )
            .attr(
                "content_sha256",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            )
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let text =
            |k: &str, default: &str| planned.get_attr(k).as_str().unwrap_or(default).to_string();
        let content = text("content", "");
        write_local_file(
            &text("filename", ""),
            &content,
            &text("file_permission", self.default_permission()),
        )
        .map_err(|e| vec![e])?;
        let digest = sha256_hex(content.as_bytes());
        let mut new = planned.clone();
        set(&mut new, "id", Value::String(digest.clone()));
        set(&mut new, "content_sha256", Value::String(digest));
        Ok(Some(new))
    }

    async fn delete(
        &self,
        _: &(),
        prior: &Value,
        _: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        let Some(f) = prior.get_attr("filename").as_str() else {
            return Ok(());
        };
        match std::fs::remove_file(f) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(vec![AttrDiagnostic::error(
                vec![PathStep::Key("filename".into())],
                "Cannot delete file",
                format!("{f}: {e}"),
            )]),
        }
    }

    async fn read(&self, _: &(), current: &[Value]) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        current.iter().map(read_local_file).collect()
    }
}

#[async_trait::async_trait]
impl DataSourceType<()> for LocalFileData {
    fn schema(&self) -> Schema {
        Schema::new("Reads a file on the machine that runs iac.")
            .attr(
                "filename",
                Attribute::required(AttrType::String, "Path of the file to read."),
            )
            .attr(
                "content",
                Attribute::computed(AttrType::String, "The file's content."),
            )
            .attr(
                "content_sha256",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "SHA-256 of the content, hex."),
            )
    }

    async fn read(&self, _: &(), config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let filename = config
            .get_attr("filename")
            .as_str()
            .unwrap_or("")
            .to_string();
        let bytes = std::fs::read(&filename).map_err(|e| {
            vec![AttrDiagnostic::error(
                vec![PathStep::Key("filename".into())],
                "Cannot read file",
                format!("{filename}: {e}"),
            )]
        })?;
        let digest = sha256_hex(&bytes);
        Ok(Value::map([
            ("filename", Value::String(filename)),
            (
                "content",
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            ),
            ("content_sha256", Value::String(digest.clone())),
            ("id", Value::String(digest)),
        ]))
    }
}
