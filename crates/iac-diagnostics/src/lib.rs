//! One diagnostic model for the whole engine: stable code, severity, message,
//! labelled byte spans and help, plus the renderers (human text and JSON).

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

/// Index of a source file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file. Line and column are computed only when rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded source file.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    /// Where each line starts: found when a diagnostic first needs a line,
    /// not for every file a run loads.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            path: path.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            starts.extend(
                self.text
                    .bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i as u32 + 1),
            );
            starts
        })
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = offset.min(self.text.len() as u32);
        let starts = self.line_starts();
        let line = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = starts[line] as usize;
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// Text of a 1-based line without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        let starts = self.line_starts();
        let start = starts[line - 1] as usize;
        let end = starts
            .get(line)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// All source files of a run, so spans can be rendered.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        self.files.push(SourceFile::new(path, text));
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// `path:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(f) => {
                let (l, c) = f.line_col(span.start);
                format!("{}:{}:{}", f.path, l, c)
            }
            None => "<unknown>".to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A problem found in the user's input or while running it.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Stable code, for example `E0201`. Listed in `docs/diagnostics.md`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The exact spot (Terraform's "subject").
    pub primary: Option<Label>,
    /// Other places that explain the problem (for example the enclosing block).
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn with_span(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    /// Sets the primary span only when none is set yet.
    pub fn or_span(self, span: Span) -> Diagnostic {
        if self.primary.is_some() {
            self
        } else {
            self.with_span(span, "")
        }
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A list of diagnostics collected along the way; work goes on after an error.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Returns the candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim_jaro_winkler(name, c);
        if score > 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Jaro-Winkler similarity (0..=1), small enough to keep here instead of a dependency.
fn strsim_jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_match = vec![false; a.len()];
    let mut b_match = vec![false; b.len()];
    let mut matches = 0usize;
    for i in 0..a.len() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_match[j] && a[i] == b[j] {
                a_match[i] = true;
                b_match[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0;
    for i in 0..a.len() {
        if a_match[i] {
            while !b_match[k] {
                k += 1;
            }
            if a[i] != b[k] {
                transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let jaro =
        (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64 / 2.0) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Renders diagnostics for a terminal: `error[E0201]: message`, `--> file:line:col`,
/// the source line and a caret under the span.
pub fn render_human(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let (sev, sev_color) = match diag.severity {
        Severity::Error => ("error", "\x1b[1;31m"),
        Severity::Warning => ("warning", "\x1b[1;33m"),
    };
    let (bold, blue, reset) = if color {
        ("\x1b[1m", "\x1b[1;34m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let sc = if color { sev_color } else { "" };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{sc}{sev}[{}]{reset}{bold}: {}{reset}",
        diag.code, diag.message
    );
    let mut labels: Vec<(&Label, bool)> = Vec::new();
    if let Some(p) = &diag.primary {
        labels.push((p, true));
    }
    labels.extend(diag.secondary.iter().map(|l| (l, false)));
    for (label, primary) in labels {
        let Some(file) = sources.get(label.span.file) else {
            continue;
        };
        let (line, col) = file.line_col(label.span.start);
        let (end_line, end_col) = file.line_col(label.span.end);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}{blue}-->{reset} {}:{}:{}", file.path, line, col);
        let _ = writeln!(out, "{pad} {blue}|{reset}");
        let text = file.line_text(line);
        let _ = writeln!(out, "{blue}{line} |{reset} {}", text.replace('\t', " "));
        let width = if end_line == line {
            end_col.saturating_sub(col).max(1)
        } else {
            (text.chars().count() + 1).saturating_sub(col).max(1)
        };
        let mark = if primary { "^" } else { "-" };
        let _ = writeln!(
            out,
            "{pad} {blue}|{reset} {}{sc}{}{}{reset}",
            " ".repeat(col - 1),
            mark.repeat(width),
            if label.message.is_empty() {
                String::new()
            } else {
                format!(" {}", label.message)
            }
        );
    }
    if let Some(help) = &diag.help {
        let _ = writeln!(out, "  {bold}= help:{reset} {help}");
    }
    out
}

#[derive(Serialize)]
struct JsonRange {
    filename: String,
    start: JsonPos,
    end: JsonPos,
}

#[derive(Serialize)]
struct JsonPos {
    line: usize,
    column: usize,
    byte: u32,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    severity: Severity,
    code: &'static str,
    summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    range: Option<JsonRange>,
}

/// A diagnostic as a JSON value (shape close to Terraform's `-json` diagnostics).
pub fn render_json(diag: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let range = diag.primary.as_ref().and_then(|l| {
        let f = sources.get(l.span.file)?;
        let (sl, sc) = f.line_col(l.span.start);
        let (el, ec) = f.line_col(l.span.end);
        Some(JsonRange {
            filename: f.path.clone(),
            start: JsonPos {
                line: sl,
                column: sc,
                byte: l.span.start,
            },
            end: JsonPos {
                line: el,
                column: ec,
                byte: l.span.end,
            },
        })
    });
    serde_json::to_value(JsonDiagnostic {
        severity: diag.severity,
        code: diag.code,
        summary: diag.message.clone(),
        detail: diag.help.clone(),
        range,
    })
    .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let mut sm = SourceMap::default();
        let f = sm.add("main.tf", "a = 1\nname = var.nmae\n");
        let d = Diagnostic::error("E0201", "Reference to undeclared input variable")
            .with_span(Span::new(f, 17, 21), "did you mean `var.name`?")
            .with_help("declare it with a variable block");
        let out = render_human(&d, &sm, false);
        assert_eq!(
            out,
            "error[E0201]: Reference to undeclared input variable\n --> main.tf:2:12\n  |\n2 | name = var.nmae\n  |            ^^^^ did you mean `var.name`?\n  = help: declare it with a variable block\n"
        );
    }

    #[test]
    fn did_you_mean_picks_close_names_only() {
        assert_eq!(did_you_mean("nmae", ["name", "other"]), Some("name"));
        assert_eq!(did_you_mean("zzz", ["name", "other"]), None);
        assert_eq!(
            did_you_mean("terraform_dat", ["terraform_data", "random_pet"]),
            Some("terraform_data")
        );
    }

    #[test]
    fn line_col_counts_characters() {
        let f = SourceFile::new("x", "é = 1\nb");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (1, 3));
        assert_eq!(f.line_col(7), (2, 1));
    }
}
