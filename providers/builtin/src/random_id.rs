//! `random_id`: random bytes in several encodings.

use base64::Engine as _;
use iac_provider::kit::ResourceType;
use iac_provider::{ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::{PathStep, Value};
use rand::Rng;

use crate::util::{keepers, num_attr, set};

pub struct RandomId;

fn big_endian_decimal(bytes: &[u8]) -> String {
    // Repeated division of the big-endian byte string by 10.
    let mut digits = Vec::new();
    let mut n: Vec<u8> = bytes.to_vec();
    while n.iter().any(|b| *b != 0) {
        let mut rem = 0u32;
        for b in n.iter_mut() {
            let cur = rem * 256 + *b as u32;
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(char::from(b'0' + rem as u8));
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().collect()
}

#[async_trait::async_trait]
impl ResourceType<()> for RandomId {
    fn schema(&self) -> Schema {
        Schema::new("Random bytes in several encodings.")
            .attr(
                "byte_length",
                Attribute::required(AttrType::Number, "Number of random bytes.").force_new(),
            )
            .attr("keepers", keepers())
            .attr(
                "prefix",
                Attribute::optional(AttrType::String, "A prefix for the hex and base64 forms.")
                    .force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "URL-safe base64 without padding."),
            )
            .attr(
                "b64_url",
                Attribute::computed(AttrType::String, "URL-safe base64 without padding."),
            )
            .attr(
                "b64_std",
                Attribute::computed(AttrType::String, "Standard base64 with padding."),
            )
            .attr(
                "hex",
                Attribute::computed(AttrType::String, "Lower-case hex."),
            )
            .attr(
                "dec",
                Attribute::computed(
                    AttrType::String,
                    "Decimal digits of the bytes as a big-endian number.",
                ),
            )
    }

    fn validate(&self, config: &Value) -> Vec<AttrDiagnostic> {
        match config.get_attr("byte_length").as_f64() {
            Some(n) if !(1.0..=1024.0).contains(&n) || n.fract() != 0.0 => {
                vec![AttrDiagnostic::error(
                    vec![PathStep::Key("byte_length".into())],
                    "Invalid byte_length",
                    "must be a whole number from 1 to 1024",
                )]
            }
            _ => Vec::new(),
        }
    }

    fn has_remote_objects(&self) -> bool {
        false
    }

    async fn create(&self, _: &(), planned: &Value, _: &ApplyRequest<'_>) -> ApplyResult {
        let n = num_attr(planned, "byte_length", 8.0) as usize;
        let bytes: Vec<u8> = (0..n).map(|_| rand::thread_rng().gen()).collect();
        let prefix = planned
            .get_attr("prefix")
            .as_str()
            .unwrap_or("")
            .to_string();
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let mut new = planned.clone();
        set(&mut new, "id", Value::String(url.clone()));
        set(&mut new, "b64_url", Value::String(format!("{prefix}{url}")));
        set(
            &mut new,
            "b64_std",
            Value::String(format!(
                "{prefix}{}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            )),
        );
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        set(&mut new, "hex", Value::String(format!("{prefix}{hex}")));
        set(
            &mut new,
            "dec",
            Value::String(format!("{prefix}{}", big_endian_decimal(&bytes))),
        );
        Ok(Some(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_bytes() {
        assert_eq!(big_endian_decimal(&[0x01, 0x00]), "256");
        assert_eq!(big_endian_decimal(&[0xff]), "255");
        assert_eq!(big_endian_decimal(&[0]), "0");
    }
}
