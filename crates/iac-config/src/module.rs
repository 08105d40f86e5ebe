//! Loading a module directory into typed declarations: variables, locals,
//! outputs, resources, data sources, module calls, providers and `moved` blocks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics, SourceMap, Span};
use iac_syntax::{Attribute, Block, Body, Expr, ExprKind, Reference};
use iac_value::Type;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub outputs: BTreeMap<String, Output>,
    /// Keyed by `type.name` (managed) or `data.type.name`.
    pub resources: BTreeMap<String, Box<Resource>>,
    pub module_calls: BTreeMap<String, ModuleCall>,
    pub providers: Vec<ProviderConfig>,
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
    /// `check` blocks: assertions reported as warnings, never stopping a run.
    pub checks: Vec<Check>,
    pub backend: Option<Backend>,
}

/// `import { to = ADDRESS, id = "..." }`: adopt an existing object.
#[derive(Debug)]
pub struct Import {
    pub to: Expr,
    pub id: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub ty: Type,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
    pub span: Span,
}

#[derive(Debug, Default, Clone)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub prevent_destroy_span: Option<Span>,
    pub ignore_all_changes: bool,
    pub ignore_changes: Vec<Vec<String>>,
    pub replace_triggered_by: Vec<Expr>,
    /// `precondition` blocks: checked before the instance is planned.
    pub preconditions: Vec<Condition>,
    /// `postcondition` blocks: checked against the planned object and, where
    /// that is not known yet, the applied one (`self`).
    pub postconditions: Vec<Condition>,
}

/// `provisioner "local-exec" { command = ... }`: a command run on this machine
/// after the object is created (or, with `when = destroy`, before it is deleted).
#[derive(Debug)]
pub struct Provisioner {
    /// Its arguments (`command`, `interpreter`, `environment`, `working_dir`,
    /// `quiet`), evaluated when it runs (`self` is the object).
    pub body: Body,
    pub when_destroy: bool,
    /// `on_failure = continue`: a failure is a warning, not an error.
    pub on_failure_continue: bool,
    pub span: Span,
}

/// `check "name" { assert { ... } }`.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub asserts: Vec<Condition>,
    pub span: Span,
}

/// A `precondition`, `postcondition` or `check`'s `assert` block.
#[derive(Debug, Clone)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Resource {
    pub mode: Mode,
    pub ty: String,
    pub name: String,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Reference>,
    /// The `provider` meta-argument: which configuration serves this block.
    pub provider: Option<ProviderRef>,
    pub lifecycle: Lifecycle,
    /// `provisioner "local-exec"` blocks, in order.
    pub provisioners: Vec<Provisioner>,
    /// The configuration body with meta-arguments taken out.
    pub body: Body,
    /// The block header (`resource "t" "n"`).
    pub span: Span,
    pub type_span: Span,
    /// The check block a data source is scoped to (`check "c" { data ... }`):
    /// only that check's assertions may refer to it, and its errors are
    /// warnings.
    pub check: Option<String>,
}

impl Resource {
    pub fn key(&self) -> String {
        // Without the formatter: every block's key is made while loading.
        let data = self.mode == Mode::Data;
        let mut k = String::with_capacity(self.ty.len() + self.name.len() + 6);
        if data {
            k.push_str("data.");
        }
        k.push_str(&self.ty);
        k.push('.');
        k.push_str(&self.name);
        k
    }
}

/// A reference to a provider configuration: `aws` or `aws.west`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub span: Span,
}

impl std::fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.alias {
            Some(a) => write!(f, "{}.{a}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl ProviderRef {
    /// Reads `aws` or `aws.west` from an expression.
    fn from_expr(e: &Expr) -> Option<ProviderRef> {
        let r = e.as_bare_ref()?;
        match r.attrs.as_slice() {
            [] => Some(ProviderRef {
                name: r.root.clone(),
                alias: None,
                span: e.span,
            }),
            [(alias, _)] => Some(ProviderRef {
                name: r.root.clone(),
                alias: Some(alias.clone()),
                span: e.span,
            }),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    /// `version`: a constraint on a registry module's version (`~> 5.0`).
    pub version: Option<String>,
    pub inputs: Vec<Attribute>,
    /// `count` / `for_each`: the call makes one module instance per index or key
    /// (`module.net[0]`, `module.net["eu"]`).
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// `providers = { aws = aws.west }`: the child's configuration name (key)
    /// and the caller's configuration it stands for (value).
    pub providers: Vec<(ProviderRef, ProviderRef)>,
    pub depends_on: Vec<Reference>,
    pub span: Span,
    pub module: Module,
}

#[derive(Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub span: Span,
}

#[derive(Debug)]
pub struct Moved {
    pub from: Expr,
    pub to: Expr,
    pub span: Span,
}

/// `removed { from = ADDR  lifecycle { destroy = false } }`: a resource or module
/// taken out of the configuration on purpose; with `destroy = false` its objects
/// leave state and stay in the cloud.
#[derive(Debug)]
pub struct Removed {
    pub from: Expr,
    pub destroy: bool,
    pub span: Span,
}

#[derive(Debug)]
pub struct Backend {
    pub kind: String,
    pub body: Body,
    pub span: Span,
}

const TOP_LEVEL: &[&str] = &[
    "variable",
    "locals",
    "output",
    "resource",
    "data",
    "deployment",
    "module",
    "provider",
    "moved",
    "removed",
    "check",
    "terraform",
    "iac",
];

/// The file being parsed right now, if any: what a caller that gave up waiting
/// can name (the parser is the one stage whose cost depends on its input's shape).
static PARSING: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

fn set_parsing(path: Option<&Path>) {
    if let Ok(mut p) = PARSING.lock() {
        *p = path.map(Path::to_path_buf);
    }
}

/// The file whose parse is under way (see `load_module`).
pub fn parsing_now() -> Option<PathBuf> {
    PARSING.lock().ok().and_then(|p| p.clone())
}

/// The module calls written in the files of `dir` (that module only): name,
/// source and version constraint, for `iac init` to install what they name.
pub fn module_calls_in(dir: &Path) -> Vec<(String, String, Option<String>)> {
    let mut module = Module::default();
    let mut diags = Diagnostics::new();
    let mut sources = SourceMap::default();
    for path in module_files(dir).unwrap_or_default() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let id = sources.add(display_path(&path), text.as_str());
        let parsed = iac_syntax::parse_file(id, &text);
        decode_body(&mut module, parsed.body, &mut diags);
    }
    module
        .module_calls
        .into_values()
        .map(|c| (c.name, c.source, c.version))
        .collect()
}

/// Loads the module in `dir` and, recursively, the modules it calls.
pub fn load_module(dir: &Path, sources: &mut SourceMap) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let installed = crate::sources::Manifest::read(dir);
    let ctx = LoadCtx {
        root: dir,
        installed: &installed,
        cache: None,
    };
    let module = load(dir, "", sources, &mut diags, 0, &ctx);
    (module, diags)
}

/// As [`load_module`], keeping the parse of each file in `cache` (a directory,
/// created when first needed) and reusing it while the file's text is unchanged.
/// The cache is an accelerator only: when it cannot be read or written, files are
/// parsed as usual.
pub fn load_module_cached(
    dir: &Path,
    sources: &mut SourceMap,
    cache: &Path,
) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let installed = crate::sources::Manifest::read(dir);
    let ctx = LoadCtx {
        root: dir,
        installed: &installed,
        cache: Some(cache),
    };
    let module = load(dir, "", sources, &mut diags, 0, &ctx);
    (module, diags)
}

/// What every level of a load shares.
struct LoadCtx<'a> {
    root: &'a Path,
    installed: &'a crate::sources::Manifest,
    cache: Option<&'a Path>,
}

/// Files parsed, and files taken from the cache, by this process (for the debug log).
static PARSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CACHED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many configuration files this process parsed, and how many it took from
/// the parse cache instead.
pub fn parse_counts() -> (usize, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    (PARSED.load(Relaxed), CACHED.load(Relaxed))
}

/// The cache entry of one configuration file, named by a hash of its path.
fn cache_entry(cache: &Path, file: &Path) -> PathBuf {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in file.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    cache.join(format!("{h:016x}"))
}

/// Parses one file, through the cache when there is one.
fn parse_source(
    path: &Path,
    id: iac_diagnostics::FileId,
    text: &str,
    cache: Option<&Path>,
) -> iac_syntax::ParsedFile {
    let entry = cache.map(|c| cache_entry(c, path));
    if let Some(body) = entry
        .as_ref()
        .and_then(|e| std::fs::read(e).ok())
        .and_then(|bytes| iac_syntax::cache::decode(&bytes, text, id))
    {
        CACHED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return iac_syntax::ParsedFile {
            file: id,
            body,
            diagnostics: Vec::new(),
        };
    }
    PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    set_parsing(Some(path));
    let parsed = iac_syntax::parse_file(id, text);
    set_parsing(None);
    if let (Some(cache), Some(entry)) = (cache, entry) {
        if parsed.diagnostics.is_empty() {
            store(
                cache,
                &entry,
                &iac_syntax::cache::encode(text, &parsed.body),
            );
        }
    }
    parsed
}

/// Writes a cache entry whole or not at all (a temporary file renamed into place),
/// so a concurrent reader or a crash never leaves half an entry; errors are ignored.
fn store(cache: &Path, entry: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(cache).is_err() {
        return;
    }
    let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, entry).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Loads a module from in-memory files (a saved plan's configuration snapshot).
/// `files` are keyed by paths relative to `root_dir`; `rel_dir` is the module's
/// directory relative to it (empty for the root module).
pub fn load_module_from_files(
    root_dir: &Path,
    rel_dir: &Path,
    files: &[(String, String)],
    sources: &mut SourceMap,
) -> (Module, Diagnostics) {
    let installed = crate::sources::Manifest::read(root_dir);
    from_files(root_dir, rel_dir, "", files, sources, &installed)
}

fn from_files(
    root_dir: &Path,
    rel_dir: &Path,
    key: &str,
    files: &[(String, String)],
    sources: &mut SourceMap,
    installed: &crate::sources::Manifest,
) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut bodies = Vec::new();
    for (path, text) in files {
        if Path::new(path).parent() == Some(rel_dir) {
            let id = sources.add(path.clone(), text.as_str());
            let parsed = iac_syntax::parse_file(id, text);
            diags.extend(Diagnostics(parsed.diagnostics));
            bodies.push(parsed.body);
        }
    }
    let mut module = Module {
        dir: normalize(&root_dir.join(rel_dir)),
        ..Module::default()
    };
    for body in bodies {
        decode_body(&mut module, body, &mut diags);
    }
    let calls: Vec<String> = module.module_calls.keys().cloned().collect();
    for name in calls {
        let call = &module.module_calls[&name];
        let child_key = crate::sources::child_key(key, &name);
        let child_rel = if crate::sources::is_local(&call.source) {
            normalize(&rel_dir.join(&call.source))
        } else {
            match installed.dir_of(root_dir, &child_key, &call.source, call.version.as_deref()) {
                Ok(d) => d.strip_prefix(root_dir).map(Path::to_path_buf).unwrap_or(d),
                Err(why) => {
                    diags.push(
                        Diagnostic::error(
                            "E0129",
                            format!("Module \"{child_key}\" is not installed"),
                        )
                        .with_span(call.span, why)
                        .with_help("run `iac init` to download it"),
                    );
                    continue;
                }
            }
        };
        let (child, d) = from_files(root_dir, &child_rel, &child_key, files, sources, installed);
        diags.extend(d);
        if let Some(call) = module.module_calls.get_mut(&name) {
            call.module = child;
        }
    }
    (module, diags)
}

/// Resolves `.` and `..` without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The configuration files of a module directory, sorted: `*.tf` and `*.hcl`, no dotfiles.
pub fn module_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.')
                && (name.ends_with(".tf") || name.ends_with(".hcl"))
                && p.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

fn load(
    dir: &Path,
    key: &str,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
    depth: usize,
    ctx: &LoadCtx<'_>,
) -> Module {
    let cache = ctx.cache;
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let files = match module_files(dir) {
        Ok(f) => f,
        Err(e) => {
            diags.push(Diagnostic::error(
                "E0103",
                format!("Cannot read module directory {}: {e}", dir.display()),
            ));
            return module;
        }
    };
    for path in files {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    "E0103",
                    format!("Cannot read {}: {e}", path.display()),
                ));
                continue;
            }
        };
        let id = sources.add(display_path(&path), text.as_str());
        let parsed = parse_source(&path, id, &text, cache);
        diags.extend(Diagnostics(parsed.diagnostics));
        decode_body(&mut module, parsed.body, diags);
    }
    let calls: Vec<String> = module.module_calls.keys().cloned().collect();
    for name in calls {
        let (source, span) = {
            let c = &module.module_calls[&name];
            (c.source.clone(), c.span)
        };
        if depth > 20 {
            diags.push(
                Diagnostic::error("E0104", "Module calls nest too deeply")
                    .with_span(span, "is this module calling itself?"),
            );
            continue;
        }
        let child_key = crate::sources::child_key(key, &name);
        let child_dir = if crate::sources::is_local(&source) {
            normalize(&dir.join(&source))
        } else {
            let version = module.module_calls[&name].version.clone();
            match ctx
                .installed
                .dir_of(ctx.root, &child_key, &source, version.as_deref())
            {
                Ok(d) => d,
                Err(why) => {
                    diags.push(
                        Diagnostic::error("E0129", format!("Module \"{child_key}\" is not installed"))
                            .with_span(span, why)
                            .with_help("run `iac init` to download it (`iac init -upgrade` for newer versions)"),
                    );
                    continue;
                }
            }
        };
        if !child_dir.is_dir() {
            diags.push(
                Diagnostic::error("E0105", "Module not found")
                    .with_span(span, format!("no directory at {}", child_dir.display()))
                    .with_help(
                        "a local source is a directory relative to the calling module (`./path`)",
                    ),
            );
            continue;
        }
        let child = load(&child_dir, &child_key, sources, diags, depth + 1, ctx);
        if let Some(call) = module.module_calls.get_mut(&name) {
            call.module = child;
        }
    }
    module
}

fn display_path(p: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    match cwd.as_deref().and_then(|c| p.strip_prefix(c).ok()) {
        Some(rel) => rel.display().to_string(),
        None => p.display().to_string(),
    }
}

fn labels<'a>(
    b: &'a Block,
    n: usize,
    names: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<&'a str>> {
    if b.labels.len() != n {
        diags.push(
            Diagnostic::error(
                "E0106",
                format!("A {} block needs {n} label(s): {names}", b.kind),
            )
            .with_span(b.header_span(), format!("found {}", b.labels.len())),
        );
        return None;
    }
    Some(b.labels.iter().map(|l| l.value.as_str()).collect())
}

fn decode_body(module: &mut Module, body: Body, diags: &mut Diagnostics) {
    for a in &body.attributes {
        diags.push(
            Diagnostic::error(
                "E0107",
                format!("Unexpected attribute \"{}\" at the top level", a.name),
            )
            .with_span(a.name_span, "only blocks are allowed here")
            .with_help("iac reads every *.tf and *.hcl file in the module directory as configuration; name a variables file *.tfvars and a -backend-config file *.tfbackend"),
        );
    }
    for b in body.blocks {
        match b.kind.as_str() {
            "variable" => decode_variable(module, b, diags),
            "locals" => {
                for a in b.body.attributes {
                    if let Some(prev) = module.locals.get(&a.name) {
                        diags.push(
                            Diagnostic::error(
                                "E0108",
                                format!("Duplicate local value \"{}\"", a.name),
                            )
                            .with_span(a.name_span, "declared again here")
                            .with_secondary(prev.span, "first declared here"),
                        );
                        continue;
                    }
                    module.locals.insert(
                        a.name.clone(),
                        Local {
                            name: a.name,
                            expr: a.expr,
                            span: a.name_span,
                        },
                    );
                }
            }
            "output" => decode_output(module, b, diags),
            "resource" => decode_resource(module, b, Mode::Managed, diags),
            // `deployment "web" { ... }` is the managed object `deployment.web`,
            // whose `name` is its label.
            "deployment" => {
                if labels(&b, 1, "the deployment name", diags).is_some() {
                    let mut b = b;
                    let label = b.labels[0].clone();
                    if b.body.attribute("name").is_none() {
                        b.body.attributes.push(Attribute {
                            name: "name".into(),
                            name_span: label.span,
                            expr: Expr {
                                kind: ExprKind::String(label.value.clone()),
                                span: label.span,
                            },
                            span: label.span,
                        });
                    }
                    b.labels.insert(
                        0,
                        iac_syntax::Label {
                            value: "deployment".into(),
                            span: b.kind_span,
                        },
                    );
                    decode_resource(module, b, Mode::Managed, diags);
                }
            }
            "data" => decode_resource(module, b, Mode::Data, diags),
            "module" => decode_module_call(module, b, diags),
            "provider" => {
                if let Some(l) = labels(&b, 1, "the provider name", diags) {
                    let alias = b
                        .body
                        .attribute("alias")
                        .and_then(|a| a.expr.as_static_string())
                        .map(String::from);
                    module.providers.push(ProviderConfig {
                        name: l[0].to_string(),
                        alias,
                        span: b.header_span(),
                        body: b.body,
                    });
                }
            }
            "moved" => {
                let from = b.body.attribute("from").map(|a| a.expr.clone());
                let to = b.body.attribute("to").map(|a| a.expr.clone());
                match (from, to) {
                    (Some(from), Some(to)) => module.moved.push(Moved {
                        from,
                        to,
                        span: b.header_span(),
                    }),
                    _ => diags.push(
                        Diagnostic::error("E0109", "A moved block needs `from` and `to`")
                            .with_span(b.header_span(), "missing from or to"),
                    ),
                }
            }
            "removed" => decode_removed(module, b, diags),
            "check" => decode_check(module, b, diags),
            "import" => {
                let to = b.body.attribute("to").map(|a| a.expr.clone());
                let id = b.body.attribute("id").map(|a| a.expr.clone());
                match (to, id) {
                    (Some(to), Some(id)) => module.imports.push(Import {
                        to,
                        id,
                        span: b.header_span(),
                    }),
                    _ => diags.push(
                        Diagnostic::error("E0125", "An import block needs `to` and `id`")
                            .with_span(b.header_span(), "missing to or id"),
                    ),
                }
            }
            "terraform" | "iac" => {
                crate::versions::check_terraform_block(&b, diags);
                for inner in &b.body.blocks {
                    if inner.kind == "backend" {
                        if let Some(l) = labels(inner, 1, "the backend type", diags) {
                            module.backend = Some(Backend {
                                kind: l[0].to_string(),
                                body: inner.body.clone(),
                                span: inner.header_span(),
                            });
                        }
                    }
                }
            }
            other => {
                let help = match did_you_mean(other, TOP_LEVEL.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the block types are: {}", TOP_LEVEL.join(", ")),
                };
                diags.push(
                    Diagnostic::error("E0110", format!("Unsupported block type \"{other}\""))
                        .with_span(b.kind_span, "not a block type iac knows")
                        .with_help(help),
                );
            }
        }
    }
}

fn decode_provisioner(b: Block, diags: &mut Diagnostics) -> Option<Provisioner> {
    let kind = labels(&b, 1, "the provisioner type", diags)?[0].to_string();
    let header = b.header_span();
    if kind != "local-exec" {
        diags.push(
            Diagnostic::error("E0137", format!("The \"{kind}\" provisioner is not supported"))
                .with_span(b.labels[0].span, "not supported")
                .with_help(match kind.as_str() {
                    "remote-exec" | "file" => "iac does not log in to servers: configure them at boot (user_data, cloud-init) or with a configuration tool; `local-exec` runs commands on this machine",
                    _ => "the provisioner iac has is `local-exec`",
                }),
        );
        return None;
    }
    let mut body = b.body;
    check_attrs(
        &body,
        &[
            "command",
            "interpreter",
            "environment",
            "working_dir",
            "quiet",
            "when",
            "on_failure",
        ],
        "provisioner",
        diags,
    );
    for inner in &body.blocks {
        diags.push(
            Diagnostic::error("E0137", format!("Unsupported block type \"{}\" in a provisioner", inner.kind))
                .with_span(inner.kind_span, "not supported")
                .with_help("iac does not log in to servers; a local-exec provisioner runs its command on this machine"),
        );
    }
    let keyword = |name: &str, allowed: &[&str], diags: &mut Diagnostics| -> Option<String> {
        let a = body.attribute(name)?;
        match &a.expr.kind {
            ExprKind::Ref(r) if r.attrs.is_empty() && allowed.contains(&r.root.as_str()) => {
                Some(r.root.clone())
            }
            _ => {
                diags.push(
                    Diagnostic::error("E0137", format!("Invalid `{name}`")).with_span(
                        a.expr.span,
                        format!(
                            "one of {} is required (a keyword, not a string)",
                            allowed.join(", ")
                        ),
                    ),
                );
                None
            }
        }
    };
    let when_destroy = keyword("when", &["create", "destroy"], diags).as_deref() == Some("destroy");
    let on_failure_continue =
        keyword("on_failure", &["continue", "fail"], diags).as_deref() == Some("continue");
    if body.attribute("command").is_none() {
        diags.push(
            Diagnostic::error("E0137", "A local-exec provisioner needs `command`")
                .with_span(header, "missing command"),
        );
        return None;
    }
    body.attributes
        .retain(|a| a.name != "when" && a.name != "on_failure");
    Some(Provisioner {
        body,
        when_destroy,
        on_failure_continue,
        span: header,
    })
}

fn decode_check(module: &mut Module, b: Block, diags: &mut Diagnostics) {
    let Some(l) = labels(&b, 1, "the check name", diags) else {
        return;
    };
    check_attrs(&b.body, &[], "check", diags);
    let mut asserts = Vec::new();
    let mut scoped: Option<Span> = None;
    for inner in &b.body.blocks {
        match inner.kind.as_str() {
            "assert" => asserts.extend(decode_condition(inner, diags)),
            "data" => {
                if let Some(first) = scoped {
                    diags.push(
                        Diagnostic::error("E0110", "Multiple data resource blocks")
                            .with_span(inner.kind_span, "a second data source in this check block")
                            .with_secondary(first, "the first")
                            .with_help("a check block holds at most one data source"),
                    );
                    continue;
                }
                scoped = Some(inner.kind_span);
                decode_resource_in(module, inner.clone(), Mode::Data, Some(l[0]), diags);
            }
            other => diags.push(
                Diagnostic::error("E0110", format!("Unsupported block type \"{other}\""))
                    .with_span(inner.kind_span, "not expected in a check block")
                    .with_help("a check block holds assert blocks"),
            ),
        }
    }
    if asserts.is_empty() {
        diags.push(
            Diagnostic::error("E0134", "A check block needs at least one assert block")
                .with_span(b.header_span(), "no assert block"),
        );
    }
    module.checks.push(Check {
        name: l[0].to_string(),
        asserts,
        span: b.header_span(),
    });
}

fn decode_removed(module: &mut Module, b: Block, diags: &mut Diagnostics) {
    check_attrs(&b.body, &["from"], "removed", diags);
    let mut destroy = true;
    for inner in &b.body.blocks {
        match inner.kind.as_str() {
            "lifecycle" => {
                check_attrs(&inner.body, &["destroy"], "lifecycle", diags);
                if inner.body.attribute("destroy").is_some() {
                    destroy = static_bool(inner.body.attribute("destroy"), diags);
                }
            }
            other => diags.push(
                Diagnostic::error("E0110", format!("Unsupported block type \"{other}\""))
                    .with_span(inner.kind_span, "not expected in a removed block")
                    .with_help(
                        "a removed block holds `from` and a `lifecycle { destroy = ... }` block",
                    ),
            ),
        }
    }
    match b.body.attribute("from") {
        Some(a) => module.removed.push(Removed {
            from: a.expr.clone(),
            destroy,
            span: b.header_span(),
        }),
        None => diags.push(
            Diagnostic::error("E0133", "A removed block needs `from`")
                .with_span(b.header_span(), "missing from")
                .with_help(
                    "name the resource or module that was removed: `from = aws_instance.old`",
                ),
        ),
    }
}

fn check_attrs(body: &Body, allowed: &[&str], what: &str, diags: &mut Diagnostics) {
    for a in &body.attributes {
        if !allowed.contains(&a.name.as_str()) {
            let help = match did_you_mean(&a.name, allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the arguments of a {what} block are: {}",
                    allowed.join(", ")
                ),
            };
            diags.push(
                Diagnostic::error(
                    "E0111",
                    format!("Unsupported argument \"{}\" in {what} block", a.name),
                )
                .with_span(a.name_span, "not expected here")
                .with_help(help),
            );
        }
    }
}

fn static_bool(a: Option<&Attribute>, diags: &mut Diagnostics) -> bool {
    match a.map(|a| (&a.expr.kind, a.expr.span)) {
        None => false,
        Some((ExprKind::Bool(b), _)) => *b,
        Some((_, span)) => {
            diags.push(
                Diagnostic::error("E0112", "A literal true or false is required here")
                    .with_span(span, "must be `true` or `false`"),
            );
            false
        }
    }
}

fn static_string(a: Option<&Attribute>, diags: &mut Diagnostics) -> Option<String> {
    let a = a?;
    match &a.expr.kind {
        ExprKind::String(s) => Some(s.clone()),
        // A heredoc (or quoted template) with nothing interpolated is a literal.
        ExprKind::Template(p)
            if p.iter()
                .all(|x| matches!(x, iac_syntax::TemplatePart::Literal(_))) =>
        {
            Some(
                p.iter()
                    .map(|x| match x {
                        iac_syntax::TemplatePart::Literal(s) => s.as_str(),
                        _ => "",
                    })
                    .collect(),
            )
        }
        _ => {
            diags.push(
                Diagnostic::error("E0113", "A literal string is required here")
                    .with_span(a.expr.span, "must be a string without interpolation"),
            );
            None
        }
    }
}

fn decode_variable(module: &mut Module, b: Block, diags: &mut Diagnostics) {
    let Some(l) = labels(&b, 1, "the variable name", diags) else {
        return;
    };
    let name = l[0].to_string();
    check_attrs(
        &b.body,
        &[
            "type",
            "default",
            "description",
            "sensitive",
            "nullable",
            "ephemeral",
        ],
        "variable",
        diags,
    );
    let ty = match b.body.attribute("type") {
        Some(a) => match crate::typeexpr::parse_type(&a.expr) {
            Ok(t) => t,
            Err(d) => {
                diags.push(d);
                Type::Any
            }
        },
        None => Type::Any,
    };
    let mut validations = Vec::new();
    for v in b.body.blocks_of("validation") {
        match (
            v.body.attribute("condition"),
            v.body.attribute("error_message"),
        ) {
            (Some(c), Some(m)) => validations.push(Validation {
                condition: c.expr.clone(),
                error_message: m.expr.clone(),
            }),
            _ => diags.push(
                Diagnostic::error(
                    "E0114",
                    "A validation block needs `condition` and `error_message`",
                )
                .with_span(v.header_span(), "incomplete validation"),
            ),
        }
    }
    let nullable = b
        .body
        .attribute("nullable")
        .is_none_or(|a| !matches!(a.expr.kind, ExprKind::Bool(false)));
    let var = Variable {
        name: name.clone(),
        ty,
        default: b.body.attribute("default").map(|a| a.expr.clone()),
        description: static_string(b.body.attribute("description"), diags),
        // Terraform 1.10's ephemeral variables are never stored; iac stores no
        // sensitive value either, so an ephemeral one is kept as sensitive.
        sensitive: static_bool(b.body.attribute("sensitive"), diags)
            | static_bool(b.body.attribute("ephemeral"), diags),
        nullable,
        validations,
        span: b.header_span(),
    };
    if let Some(prev) = module.variables.get(&name) {
        diags.push(
            Diagnostic::error("E0108", format!("Duplicate variable \"{name}\""))
                .with_span(var.span, "declared again here")
                .with_secondary(prev.span, "first declared here"),
        );
        return;
    }
    module.variables.insert(name, var);
}

fn decode_output(module: &mut Module, b: Block, diags: &mut Diagnostics) {
    let Some(l) = labels(&b, 1, "the output name", diags) else {
        return;
    };
    let name = l[0].to_string();
    check_attrs(
        &b.body,
        &[
            "value",
            "sensitive",
            "description",
            "depends_on",
            "ephemeral",
        ],
        "output",
        diags,
    );
    let Some(value) = b.body.attribute("value") else {
        diags.push(
            Diagnostic::error("E0115", format!("Output \"{name}\" has no value"))
                .with_span(b.header_span(), "add `value = ...`"),
        );
        return;
    };
    let out = Output {
        name: name.clone(),
        value: value.expr.clone(),
        sensitive: static_bool(b.body.attribute("sensitive"), diags)
            | static_bool(b.body.attribute("ephemeral"), diags),
        description: static_string(b.body.attribute("description"), diags),
        span: b.header_span(),
    };
    if let Some(prev) = module.outputs.get(&name) {
        diags.push(
            Diagnostic::error("E0108", format!("Duplicate output \"{name}\""))
                .with_span(out.span, "declared again here")
                .with_secondary(prev.span, "first declared here"),
        );
        return;
    }
    module.outputs.insert(name, out);
}

/// `providers = { aws = aws.west, aws.east = aws }` on a module call.
fn providers_map(a: &Attribute, diags: &mut Diagnostics) -> Vec<(ProviderRef, ProviderRef)> {
    let ExprKind::Object(items) = &a.expr.kind else {
        diags.push(
            Diagnostic::error("E0127", "Invalid providers map")
                .with_span(a.expr.span, "a map like `{ aws = aws.west }` is required"),
        );
        return Vec::new();
    };
    let mut out: Vec<(ProviderRef, ProviderRef)> = Vec::new();
    for (k, v) in items {
        let key = match k {
            iac_syntax::ObjectKey::Ident(name) => Some(ProviderRef {
                name: name.clone(),
                alias: None,
                span: v.span,
            }),
            iac_syntax::ObjectKey::Expr(e) => ProviderRef::from_expr(e),
        };
        let value = ProviderRef::from_expr(v);
        match (key, value) {
            (Some(key), Some(value)) => {
                if key.name != value.name {
                    diags.push(
                        Diagnostic::error("E0127", "Invalid providers map")
                            .with_span(v.span, format!("a configuration of provider \"{}\" is required here", key.name))
                            .with_help("each entry passes a configuration of the same provider: `aws = aws.west`"),
                    );
                } else if out.iter().any(|(k, _)| k.to_string() == key.to_string()) {
                    diags.push(
                        Diagnostic::error("E0127", "Invalid providers map")
                            .with_span(v.span, format!("`{key}` is given twice")),
                    );
                } else {
                    out.push((key, value));
                }
            }
            _ => diags.push(
                Diagnostic::error("E0127", "Invalid providers map").with_span(
                    v.span,
                    "each entry is `name = name` or `name.alias = name.alias`, without quotes",
                ),
            ),
        }
    }
    out
}

fn refs_list(a: &Attribute, what: &str, diags: &mut Diagnostics) -> Vec<Reference> {
    let mut out = Vec::new();
    match &a.expr.kind {
        ExprKind::Tuple(items) => {
            for i in items {
                match i.as_bare_ref() {
                    Some(r) => out.push(r.clone()),
                    None => diags.push(
                        Diagnostic::error("E0116", format!("Invalid {what} entry"))
                            .with_span(i.span, "a reference like `terraform_data.a` is required"),
                    ),
                }
            }
        }
        _ => diags.push(
            Diagnostic::error("E0116", format!("Invalid {what}"))
                .with_span(a.expr.span, "a list of references is required"),
        ),
    }
    out
}

/// An `ignore_changes` entry as a path: attribute names, and the keys of
/// indexes (`tags["Name"]`, `ebs_block_device[0]`) as Terraform takes them.
fn ignore_path(e: &Expr) -> Option<Vec<String>> {
    match &e.kind {
        ExprKind::Ref(r) => {
            let mut path = vec![r.root.clone()];
            path.extend(r.attrs.iter().map(|(n, _)| n.clone()));
            Some(path)
        }
        ExprKind::GetAttr(inner, name) => {
            let mut path = ignore_path(inner)?;
            path.push(name.clone());
            Some(path)
        }
        ExprKind::Index(inner, key) => {
            let mut path = ignore_path(inner)?;
            path.push(match &key.kind {
                ExprKind::String(s) => s.clone(),
                ExprKind::Number(n) if n.fract() == 0.0 && *n >= 0.0 => format!("{n}"),
                _ => return None,
            });
            Some(path)
        }
        _ => None,
    }
}

fn decode_lifecycle(b: &Block, diags: &mut Diagnostics) -> Lifecycle {
    check_attrs(
        &b.body,
        &[
            "create_before_destroy",
            "prevent_destroy",
            "ignore_changes",
            "replace_triggered_by",
        ],
        "lifecycle",
        diags,
    );
    let mut lc = Lifecycle {
        create_before_destroy: static_bool(b.body.attribute("create_before_destroy"), diags),
        prevent_destroy: static_bool(b.body.attribute("prevent_destroy"), diags),
        prevent_destroy_span: b.body.attribute("prevent_destroy").map(|a| a.span),
        ..Lifecycle::default()
    };
    if let Some(a) = b.body.attribute("ignore_changes") {
        match &a.expr.kind {
            ExprKind::Ref(r) if r.root == "all" && r.attrs.is_empty() => {
                lc.ignore_all_changes = true
            }
            ExprKind::Tuple(items) => {
                for i in items {
                    match ignore_path(i) {
                        Some(path) => lc.ignore_changes.push(path),
                        None => diags.push(
                            Diagnostic::error("E0116", "Invalid ignore_changes entry").with_span(
                                i.span,
                                "an attribute like `tags`, `tags[\"Name\"]` or `root_block_device[0].volume_size` is required",
                            ),
                        ),
                    }
                }
            }
            _ => diags.push(
                Diagnostic::error("E0116", "Invalid ignore_changes").with_span(
                    a.expr.span,
                    "a list of attribute names or `all` is required",
                ),
            ),
        }
    }
    if let Some(a) = b.body.attribute("replace_triggered_by") {
        match &a.expr.kind {
            ExprKind::Tuple(items) => lc.replace_triggered_by = items.clone(),
            _ => diags.push(
                Diagnostic::error("E0116", "Invalid replace_triggered_by")
                    .with_span(a.expr.span, "a list of references is required"),
            ),
        }
    }
    for inner in &b.body.blocks {
        match inner.kind.as_str() {
            "precondition" => lc.preconditions.extend(decode_condition(inner, diags)),
            "postcondition" => lc.postconditions.extend(decode_condition(inner, diags)),
            other => diags.push(
                Diagnostic::error("E0110", format!("Unsupported block type \"{other}\""))
                    .with_span(inner.kind_span, "not expected in a lifecycle block")
                    .with_help("a lifecycle block holds precondition and postcondition blocks"),
            ),
        }
    }
    lc
}

/// `condition` and `error_message`, both required.
pub(crate) fn decode_condition(b: &Block, diags: &mut Diagnostics) -> Option<Condition> {
    check_attrs(&b.body, &["condition", "error_message"], &b.kind, diags);
    let condition = b.body.attribute("condition").map(|a| a.expr.clone());
    let message = b.body.attribute("error_message").map(|a| a.expr.clone());
    match (condition, message) {
        (Some(condition), Some(error_message)) => Some(Condition {
            condition,
            error_message,
            span: b.header_span(),
        }),
        _ => {
            diags.push(
                Diagnostic::error(
                    "E0134",
                    format!("A {} block needs `condition` and `error_message`", b.kind),
                )
                .with_span(b.header_span(), "missing condition or error_message"),
            );
            None
        }
    }
}

fn decode_resource(module: &mut Module, b: Block, mode: Mode, diags: &mut Diagnostics) {
    decode_resource_in(module, b, mode, None, diags);
}

fn decode_resource_in(
    module: &mut Module,
    b: Block,
    mode: Mode,
    check: Option<&str>,
    diags: &mut Diagnostics,
) {
    let what = if mode == Mode::Managed {
        "resource"
    } else {
        "data"
    };
    let Some(l) = labels(&b, 2, "the type and the name", diags) else {
        return;
    };
    let (ty, name) = (l[0].to_string(), l[1].to_string());
    let type_span = b.labels[0].span;
    let span = b.header_span();
    let mut body = b.body;
    let take = |body: &mut Body, n: &str| -> Option<Attribute> {
        let i = body.attributes.iter().position(|a| a.name == n)?;
        Some(body.attributes.remove(i))
    };
    let count = take(&mut body, "count").map(|a| a.expr);
    let for_each = take(&mut body, "for_each").map(|a| a.expr);
    if let (Some(c), Some(_)) = (&count, &for_each) {
        diags.push(
            Diagnostic::error("E0117", "`count` and `for_each` cannot be used together")
                .with_span(c.span, "remove one of them"),
        );
    }
    let depends_on = take(&mut body, "depends_on")
        .map(|a| refs_list(&a, "depends_on", diags))
        .unwrap_or_default();
    let provider = take(&mut body, "provider").and_then(|a| {
        let r = ProviderRef::from_expr(&a.expr);
        if r.is_none() {
            diags.push(
                Diagnostic::error("E0126", "Invalid provider reference")
                    .with_span(a.expr.span, "a provider configuration like `aws` or `aws.west` is required")
                    .with_help("name the provider and, for an aliased configuration, its alias, without quotes"),
            );
        }
        r
    });
    let mut lifecycle = Lifecycle::default();
    let mut provisioners = Vec::new();
    let mut kept = Vec::new();
    for inner in std::mem::take(&mut body.blocks) {
        match inner.kind.as_str() {
            "lifecycle" => lifecycle = decode_lifecycle(&inner, diags),
            "provisioner" => provisioners.extend(decode_provisioner(inner, diags)),
            "connection" => diags.push(
                Diagnostic::error("E0137", "Connection blocks are not supported")
                    .with_span(inner.kind_span, "iac does not log in to servers")
                    .with_help("configure servers at boot (user_data, cloud-init) or with a configuration tool; local-exec provisioners run on this machine"),
            ),
            _ => kept.push(inner),
        }
    }
    body.blocks = kept;
    let res = Resource {
        mode,
        ty,
        name,
        count,
        for_each,
        depends_on,
        provider,
        lifecycle,
        provisioners,
        body,
        span,
        type_span,
        check: check.map(String::from),
    };
    if res.check.is_some() {
        if let Some(c) = res.count.as_ref().or(res.for_each.as_ref()) {
            diags.push(
                Diagnostic::error("E0110", "Invalid meta-argument in a scoped data source")
                    .with_span(c.span, "not allowed here")
                    .with_help("a data source in a check block is read once: it takes no count or for_each"),
            );
        }
    }
    // One search of the module's blocks, for the check and the insertion.
    match module.resources.entry(res.key()) {
        std::collections::btree_map::Entry::Occupied(prev) => {
            let key = prev.key();
            diags.push(
                Diagnostic::error("E0108", format!("Duplicate {what} block \"{key}\""))
                    .with_span(res.span, "declared again here")
                    .with_secondary(prev.get().span, "first declared here"),
            );
        }
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(Box::new(res));
        }
    }
}

fn decode_module_call(module: &mut Module, b: Block, diags: &mut Diagnostics) {
    let Some(l) = labels(&b, 1, "the module name", diags) else {
        return;
    };
    let name = l[0].to_string();
    let span = b.header_span();
    let Some(source) = static_string(b.body.attribute("source"), diags) else {
        diags.push(
            Diagnostic::error("E0118", format!("Module \"{name}\" has no source"))
                .with_span(span, "add `source = \"./path\"`"),
        );
        return;
    };
    let version = static_string(b.body.attribute("version"), diags);
    if let Err(why) = crate::sources::check(&source) {
        diags.push(
            Diagnostic::error("E0119", "Unsupported module source")
                .with_span(
                    b.body
                        .attribute("source")
                        .map(|a| a.expr.span)
                        .unwrap_or(span),
                    why,
                )
                .with_help("a local path (./ or ../), a registry address (namespace/name/provider), a git source (git::URL, github.com/org/repo) or an HTTPS archive"),
        );
        return;
    }
    if version.is_some() && !crate::sources::is_registry(&source) {
        diags.push(
            Diagnostic::error("E0119", "`version` is only for registry modules")
                .with_span(
                    b.body
                        .attribute("version")
                        .map(|a| a.name_span)
                        .unwrap_or(span),
                    "not a registry source",
                )
                .with_help("pin a git source with ?ref=TAG instead"),
        );
    }
    let count = b.body.attribute("count").map(|a| a.expr.clone());
    let for_each = b.body.attribute("for_each").map(|a| a.expr.clone());
    if let (Some(c), Some(_)) = (&count, &for_each) {
        diags.push(
            Diagnostic::error("E0117", "`count` and `for_each` cannot be used together")
                .with_span(c.span, "remove one of them"),
        );
    }
    let depends_on = b
        .body
        .attribute("depends_on")
        .map(|a| refs_list(a, "depends_on", diags))
        .unwrap_or_default();
    let providers = b
        .body
        .attribute("providers")
        .map(|a| providers_map(a, diags))
        .unwrap_or_default();
    let inputs = b
        .body
        .attributes
        .iter()
        .filter(|a| {
            ![
                "source",
                "version",
                "count",
                "for_each",
                "providers",
                "depends_on",
            ]
            .contains(&a.name.as_str())
        })
        .cloned()
        .collect();
    module.module_calls.insert(
        name.clone(),
        ModuleCall {
            name,
            source,
            version,
            inputs,
            count,
            for_each,
            providers,
            depends_on,
            span,
            module: Module::default(),
        },
    );
}
