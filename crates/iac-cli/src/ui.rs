//! Terminal output: colour, diagnostics, prompts.

use std::io::{BufRead, IsTerminal, Write};

use iac_diagnostics::{render_human, Diagnostics, SourceMap};

pub struct Ui {
    pub color: bool,
}

impl Ui {
    pub fn new(no_color: bool) -> Ui {
        let color =
            !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
        Ui { color }
    }

    /// Prints diagnostics to stderr; returns whether any was an error.
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &SourceMap) -> bool {
        let color = self.color && std::io::stderr().is_terminal();
        let mut err = std::io::stderr().lock();
        for d in diags.iter() {
            let _ = writeln!(err, "{}", render_human(d, sources, color));
        }
        diags.has_errors()
    }

    pub fn bold(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        if self.color {
            format!("\x1b[1;32m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Asks a question on the terminal and reads one line; `None` at end of input.
pub fn ask(question: &str) -> Option<String> {
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

pub use iac_value::time::parse_duration;
