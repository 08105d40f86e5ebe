//! `timeouts { create = "60m" update = "30m" delete = "2h" }` on every AWS
//! resource, as Terraform users write it: an operation that has not finished
//! within its limit stops with an error naming the limit. Durations are Go's
//! (`"90s"`, `"10m"`, `"1h30m"`).
//!
//! An operation that stops this way may have changed the object already (AWS
//! goes on with a create it accepted): the next plan reads what is there, and a
//! re-run create finds its own object by its token instead of making another.

use std::time::Duration;

use iac_provider::{
    AttrDiagnostic, AttrType, Attribute, NestedBlock, Nesting, ProviderSchema, Schema,
};
use iac_value::{PathStep, Value};

const OPERATIONS: [&str; 4] = ["create", "read", "update", "delete"];

/// Every resource type gets the block (Terraform's types have it where their
/// operations wait; here every operation can be limited).
pub(crate) fn add_block(schema: &mut ProviderSchema) {
    for s in schema.resources.values_mut() {
        if s.blocks.contains_key("timeouts") {
            continue;
        }
        let mut block =
            Schema::new("How long each operation may take before it stops with an error.");
        for op in OPERATIONS {
            block = block.attr(
                op,
                Attribute::optional(
                    AttrType::String,
                    "A duration such as \"30s\", \"10m\" or \"1h30m\".",
                ),
            );
        }
        s.blocks.insert(
            "timeouts".to_string(),
            NestedBlock {
                nesting: Nesting::Single,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
                block,
            },
        );
    }
}

/// The data sources whose reads Terraform's provider lets a `timeouts` block
/// limit (`read` only).
const DATA_SOURCES: [&str; 10] = [
    "aws_alb",
    "aws_ami",
    "aws_availability_zones",
    "aws_lb",
    "aws_network_interface",
    "aws_security_group",
    "aws_subnet",
    "aws_subnets",
    "aws_vpc",
    "aws_vpc_endpoint_service",
];

/// `timeouts { read = ... }` on the data sources Terraform gives it.
pub(crate) fn add_data_block(schema: &mut ProviderSchema) {
    for name in DATA_SOURCES {
        let Some(s) = schema.data_sources.get_mut(name) else {
            continue;
        };
        let block = Schema::new("How long the read may take before it stops with an error.").attr(
            "read",
            Attribute::optional(
                AttrType::String,
                "A duration such as \"30s\", \"10m\" or \"1h30m\".",
            ),
        );
        s.blocks.insert(
            "timeouts".to_string(),
            NestedBlock {
                nesting: Nesting::Single,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
                block,
            },
        );
    }
}

/// Parses a Go duration: a sequence of decimal numbers with units ns, us, µs,
/// ms, s, m, h (`"1h30m"`, `"2.5s"`).
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("\"{text}\" is not a duration (write it like \"30s\", \"10m\" or \"1h30m\")");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// Checks the durations of a configuration's block.
pub(crate) fn validate(config: &Value) -> Vec<AttrDiagnostic> {
    let block = config.get_attr("timeouts");
    OPERATIONS
        .iter()
        .filter_map(|op| {
            let text = block.get_attr(op).as_str()?;
            parse(text).err().map(|e| {
                AttrDiagnostic::error(
                    vec![
                        PathStep::Key("timeouts".into()),
                        PathStep::Key(op.to_string()),
                    ],
                    "Invalid duration",
                    e,
                )
            })
        })
        .collect()
}

/// The limit of one operation: from the planned value's block (the prior's for
/// a delete), if it sets one.
pub(crate) fn limit(op: &str, value: Option<&Value>) -> Option<(Duration, String)> {
    let text = value?
        .get_attr("timeouts")
        .get_attr(op)
        .as_str()?
        .to_string();
    parse(&text).ok().map(|d| (d, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("2.5s"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert!(parse("10 minutes").is_err());
        assert!(parse("m").is_err());
        assert!(parse("").is_err());
        assert!(parse("10").is_err());
    }
}
