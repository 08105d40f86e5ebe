//! `iac fmt`: canonical layout for HCL files: two-space indentation by nesting
//! depth, one space around `=`, `=` aligned across consecutive attributes, no
//! trailing whitespace, one final newline. Heredoc bodies are left as written.

use std::path::{Path, PathBuf};

use anyhow::Result;
use iac_diagnostics::SourceMap;

use crate::exit::{EXIT_ERROR, EXIT_FMT_NEEDED, EXIT_OK};
use crate::ui::Ui;

#[derive(Clone, Copy, PartialEq)]
enum LineKind {
    /// `name = value` starting at the line's depth, with the byte offset of `=` in the trimmed line.
    Attr(usize),
    Other,
    Blank,
}

struct Line {
    depth: usize,
    text: String,
    kind: LineKind,
    verbatim: bool,
}

/// Scans lines, tracking bracket depth outside strings, comments and heredocs.
fn analyse(src: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut depth: i64 = 0;
    let mut heredoc: Option<String> = None;
    let mut in_block_comment = false;
    for raw in src.lines() {
        if let Some(end) = &heredoc {
            let t = raw.trim();
            let done = t == end;
            out.push(Line {
                depth: depth.max(0) as usize,
                text: raw.to_string(),
                kind: LineKind::Other,
                verbatim: !done,
            });
            if done {
                heredoc = None;
                if let Some(l) = out.last_mut() {
                    l.text = t.to_string();
                }
            }
            continue;
        }
        let t = raw.trim();
        if t.is_empty() {
            out.push(Line {
                depth: depth.max(0) as usize,
                text: String::new(),
                kind: LineKind::Blank,
                verbatim: false,
            });
            continue;
        }
        let starts_closing = t.starts_with('}') || t.starts_with(']') || t.starts_with(')');
        let line_depth = if starts_closing { depth - 1 } else { depth };
        let mut kind = LineKind::Other;
        if !in_block_comment {
            if let Some(eq) = attr_eq(t) {
                kind = LineKind::Attr(eq);
            }
        }
        // Walk the characters to update depth.
        let chars: Vec<char> = t.chars().collect();
        let mut i = 0;
        let mut in_str = false;
        let mut interp: Vec<i64> = Vec::new();
        while i < chars.len() {
            let c = chars[i];
            if in_block_comment {
                if c == '*' && chars.get(i + 1) == Some(&'/') {
                    in_block_comment = false;
                    i += 1;
                }
                i += 1;
                continue;
            }
            if in_str {
                match c {
                    '\\' => i += 1,
                    '"' => in_str = false,
                    '$' | '%' if chars.get(i + 1) == Some(&'{') => {
                        interp.push(0);
                        in_str = false;
                        i += 1;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match c {
                '"' => in_str = true,
                '#' => break,
                '/' if chars.get(i + 1) == Some(&'/') => break,
                '/' if chars.get(i + 1) == Some(&'*') => {
                    in_block_comment = true;
                    i += 1;
                }
                '<' if chars.get(i + 1) == Some(&'<') => {
                    let rest: String = chars[i + 2..].iter().collect();
                    let rest = rest.trim_start_matches('-');
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        heredoc = Some(name);
                        break;
                    }
                }
                '{' | '[' | '(' => {
                    if let Some(d) = interp.last_mut() {
                        *d += 1;
                    } else {
                        depth += 1;
                    }
                }
                '}' | ']' | ')' => {
                    if let Some(d) = interp.last_mut() {
                        if *d == 0 && c == '}' {
                            interp.pop();
                            in_str = true;
                        } else {
                            *d -= 1;
                        }
                    } else {
                        depth -= 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out.push(Line {
            depth: line_depth.max(0) as usize,
            text: t.to_string(),
            kind,
            verbatim: false,
        });
    }
    out
}

/// Offset of the `=` of an attribute assignment (`name = value`), if the line is one.
fn attr_eq(t: &str) -> Option<usize> {
    let name_end = t.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))?;
    if name_end == 0
        || !t
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        return None;
    }
    let rest = &t[name_end..];
    let eq = rest.len() - rest.trim_start().len();
    let after = &rest[eq..];
    if after.starts_with('=') && !after.starts_with("==") {
        Some(name_end)
    } else {
        None
    }
}

pub fn format_source(src: &str) -> String {
    let lines = analyse(src);
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let l = &lines[i];
        if l.verbatim {
            out.push(l.text.clone());
            i += 1;
            continue;
        }
        if let LineKind::Attr(_) = l.kind {
            // A run of attributes at the same depth, each on consecutive lines.
            let mut j = i;
            let mut width = 0;
            while j < lines.len() && lines[j].depth == l.depth && !lines[j].verbatim {
                match lines[j].kind {
                    LineKind::Attr(n) => width = width.max(n),
                    _ => break,
                }
                j += 1;
                // A value that continues on later lines ends the run after it.
                if j < lines.len() && lines[j].depth != l.depth {
                    break;
                }
            }
            for line in &lines[i..j] {
                let LineKind::Attr(n) = line.kind else {
                    continue;
                };
                let name = &line.text[..n];
                let value = line.text[n..].trim_start()[1..].trim_start();
                out.push(format!(
                    "{}{name:width$} = {value}",
                    "  ".repeat(line.depth)
                ));
            }
            i = j;
            continue;
        }
        if l.kind == LineKind::Blank {
            out.push(String::new());
        } else {
            out.push(format!("{}{}", "  ".repeat(l.depth), l.text));
        }
        i += 1;
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn collect(paths: &[PathBuf], recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    for p in roots {
        if p.is_file() {
            out.push(p);
        } else if p.is_dir() {
            walk(&p, recursive, &mut out);
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            if recursive {
                walk(&p, recursive, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".hcl") || name.ends_with(".tfvars") {
            out.push(p);
        }
    }
}

pub fn cmd_fmt(
    ui: &Ui,
    check: bool,
    diff: bool,
    recursive: bool,
    paths: Vec<PathBuf>,
) -> Result<u8> {
    let files = collect(&paths, recursive);
    let mut needs = false;
    let mut sources = SourceMap::default();
    let mut bad = false;
    for f in files {
        let src = std::fs::read_to_string(&f)?;
        let id = sources.add(f.display().to_string(), src.as_str());
        let parsed = iac_syntax::parse_file(id, &src);
        if !parsed.diagnostics.is_empty() {
            ui.diagnostics(&iac_diagnostics::Diagnostics(parsed.diagnostics), &sources);
            bad = true;
            continue;
        }
        let formatted = format_source(&src);
        if formatted == src {
            continue;
        }
        needs = true;
        println!("{}", f.display());
        if diff {
            let d = similar::TextDiff::from_lines(&src, &formatted);
            print!(
                "{}",
                d.unified_diff()
                    .header(&f.display().to_string(), &f.display().to_string())
            );
        }
        if !check {
            std::fs::write(&f, formatted)?;
        }
    }
    if bad {
        return Ok(EXIT_ERROR);
    }
    Ok(if check && needs {
        EXIT_FMT_NEEDED
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_and_aligns() {
        let src = "resource \"a\" \"b\" {\ninput=1\n    long_name   = \"x\"\n  tags = {\n  k = \"v\"\n  }\n\n  nested {\n      x = \"${upper(\"a\")}\"\n  }\n}\n\n\n";
        let want = "resource \"a\" \"b\" {\n  input     = 1\n  long_name = \"x\"\n  tags      = {\n    k = \"v\"\n  }\n\n  nested {\n    x = \"${upper(\"a\")}\"\n  }\n}\n";
        assert_eq!(format_source(src), want);
        assert_eq!(format_source(want), want);
    }

    #[test]
    fn heredoc_bodies_are_kept() {
        let src = "a = <<EOT\n   keep   this\nEOT\nb = 2\n";
        assert_eq!(format_source(src), src);
    }
}
