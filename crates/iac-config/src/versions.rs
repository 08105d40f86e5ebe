//! Versions and version constraints as Terraform writes them (`~> 1.2`,
//! `>= 1.0, < 2.0`), and the `terraform` block's `required_version` and
//! `required_providers`, checked against what iac implements.

use iac_diagnostics::{Diagnostic, Diagnostics};
use iac_syntax::{Block, ExprKind, ObjectKey};

/// The Terraform language iac implements: `required_version` is checked
/// against it, and `iac version` says it.
pub const TERRAFORM_LANGUAGE: &str = "1.11.4";

/// The providers iac has, by Terraform's source address (`hashicorp/aws`).
const PROVIDERS: &[(&str, &str)] = &[
    ("aws", "hashicorp/aws"),
    ("random", "hashicorp/random"),
    ("null", "hashicorp/null"),
    ("local", "hashicorp/local"),
    ("terraform", "terraform.io/builtin/terraform"),
];

pub fn parse_version(v: &str) -> Option<semver::Version> {
    let v = v.trim().trim_start_matches('v');
    let (core, rest) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    while parts.len() < 3 {
        parts.push("0");
    }
    semver::Version::parse(&format!("{}{rest}", parts.join("."))).ok()
}

/// Terraform's version constraints: `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>`, comma-separated.
pub fn allows(constraint: &str, v: &semver::Version) -> bool {
    constraint.split(',').all(|c| {
        let c = c.trim();
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| c.strip_prefix(op).map(|r| (*op, r.trim())))
            .unwrap_or(("=", c));
        let Some(want) = parse_version(rest) else {
            return false;
        };
        match op {
            "=" => v == &want,
            "!=" => v != &want,
            ">" => v > &want,
            ">=" => v >= &want,
            "<" => v < &want,
            "<=" => v <= &want,
            _ => {
                // ~> 1.2 allows 1.x from 1.2; ~> 1.2.3 allows 1.2.x from 1.2.3.
                let parts = rest.trim_start_matches('v').split('.').count();
                let upper = if parts >= 3 {
                    semver::Version::new(want.major, want.minor + 1, 0)
                } else {
                    semver::Version::new(want.major + 1, 0, 0)
                };
                v >= &want && v < &upper
            }
        }
    })
}

/// `required_version` and `required_providers` of a `terraform` block.
pub(crate) fn check_terraform_block(b: &Block, diags: &mut Diagnostics) {
    if let Some(a) = b.body.attribute("required_version") {
        match a.expr.as_static_string() {
            Some(c) => {
                let ours = parse_version(TERRAFORM_LANGUAGE).expect("a version");
                if !allows(c, &ours) {
                    diags.push(
                        Diagnostic::error("E0135", "Unsupported Terraform version")
                            .with_span(a.expr.span, format!("this configuration requires Terraform {c}"))
                            .with_help(format!(
                                "iac implements the language of Terraform {TERRAFORM_LANGUAGE}; change the constraint if the configuration works with it"
                            )),
                    );
                }
            }
            None => diags.push(
                Diagnostic::error("E0113", "A literal string is required here").with_span(
                    a.expr.span,
                    "must be a version constraint such as \">= 1.5\"",
                ),
            ),
        }
    }
    for rp in b.body.blocks_of("required_providers") {
        for a in &rp.body.attributes {
            let source = match &a.expr.kind {
                ExprKind::Object(items) => items.iter().find_map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(s) => s.as_str(),
                        ObjectKey::Expr(e) => e.as_static_string()?,
                    };
                    (key == "source")
                        .then(|| v.as_static_string().map(String::from))
                        .flatten()
                }),
                // Terraform 0.12's `aws = "~> 5.0"`: a version constraint only.
                _ => None,
            };
            let source = source.unwrap_or_else(|| format!("hashicorp/{}", a.name));
            let bare = source
                .trim_start_matches("registry.terraform.io/")
                .to_ascii_lowercase();
            let known = PROVIDERS
                .iter()
                .any(|(name, src)| *name == a.name && (bare == *src || source == *src));
            if !known {
                let names: Vec<&str> = PROVIDERS.iter().map(|(n, _)| *n).collect();
                diags.push(
                    Diagnostic::error(
                        "E0136",
                        format!("iac has no provider \"{}\" ({source})", a.name),
                    )
                    .with_span(a.name_span, "not a provider iac has")
                    .with_help(format!(
                        "the providers iac has are {} (built in: nothing to install)",
                        names.join(", ")
                    )),
                );
            }
        }
    }
}
