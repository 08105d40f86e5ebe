//! The provider's `default_tags` and `ignore_tags`, for every taggable type, in
//! one place (as Terraform's AWS provider does it):
//! - every type with `tags` also has a computed `tags_all`: the provider's default
//!   tags merged with the resource's own (the resource's win);
//! - a type writes `tags_all` to AWS: the provider hands it `tags_all` as `tags`
//!   (and the prior object's `tags_all` likewise), so a type's own tag code stays
//!   as it is;
//! - what AWS returns is `tags_all`; `tags` is what of it the configuration owns
//!   (a default tag is not repeated in `tags` unless the resource sets it too), so
//!   default tags never show as a change;
//! - `ignore_tags` keys (and key prefixes) are left out of both on every read: iac
//!   neither reports nor removes them.

use std::collections::BTreeMap;

use iac_provider::{AttrType, Attribute, ProviderSchema};
use iac_value::Value;

use crate::util::set;

/// What the provider block says about tags.
#[derive(Clone, Debug, Default)]
pub(crate) struct TagSettings {
    pub defaults: BTreeMap<String, String>,
    pub ignore_keys: Vec<String>,
    pub ignore_prefixes: Vec<String>,
}

use crate::util::first_block;

fn strings(v: &Value) -> Vec<String> {
    v.as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The `tags` map of a `default_tags` block.
fn tags_in(block: &Value) -> BTreeMap<String, String> {
    block
        .get_attr("tags")
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

impl TagSettings {
    pub(crate) fn from_config(config: &Value) -> TagSettings {
        let defaults = tags_in(&first_block(config, "default_tags"));
        let ignore = first_block(config, "ignore_tags");
        TagSettings {
            defaults,
            ignore_keys: strings(ignore.get_attr("keys")),
            ignore_prefixes: strings(ignore.get_attr("key_prefixes")),
        }
    }

    /// The settings for one object: an `override_provider { default_tags { ... } }`
    /// block (on `aws_s3_object`) puts its own default tags in the provider's place.
    pub(crate) fn for_object(&self, v: &Value) -> std::borrow::Cow<'_, TagSettings> {
        let over = first_block(&first_block(v, "override_provider"), "default_tags");
        if over.is_null() {
            return std::borrow::Cow::Borrowed(self);
        }
        std::borrow::Cow::Owned(TagSettings {
            defaults: tags_in(&over),
            ..self.clone()
        })
    }

    fn ignored(&self, key: &str) -> bool {
        self.ignore_keys.iter().any(|k| k == key)
            || self
                .ignore_prefixes
                .iter()
                .any(|p| key.starts_with(p.as_str()))
    }

    /// `tags_all` for a planned object: defaults, then the object's own tags.
    pub(crate) fn plan(&self, planned: &mut Value) {
        let tags = planned.get_attr("tags").clone();
        let all = match tags.unmarked() {
            _ if !tags.is_wholly_known() => Value::Unknown,
            own => {
                let mut m: BTreeMap<String, Value> = self
                    .defaults
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect();
                if let Some(own) = own.as_map() {
                    for (k, v) in own {
                        m.insert(k.clone(), v.clone());
                    }
                }
                if m.is_empty() {
                    Value::Null
                } else {
                    Value::Map(m.into())
                }
            }
        };
        set(planned, "tags_all", all);
    }

    /// An object as the type sees it: `tags_all` in the place of `tags`.
    pub(crate) fn to_type(v: &Value) -> Value {
        let mut out = v.clone();
        match v.get_attr("tags_all") {
            Value::Null => {}
            all if !all.is_wholly_known() => {}
            all => set(&mut out, "tags", all.clone()),
        }
        out
    }

    /// An object the type returned (its `tags` are what AWS has) as state keeps
    /// it: `tags_all` all of them, `tags` those the configuration owns. `owned`
    /// is the object's own `tags` before (configuration or state).
    pub(crate) fn read_back(&self, mut v: Value, owned: &Value) -> Value {
        let aws: BTreeMap<String, Value> = v
            .get_attr("tags")
            .as_map()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| !self.ignored(k))
                    .map(|(k, x)| (k.clone(), x.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let owned = owned.as_map();
        let own: BTreeMap<String, Value> = aws
            .iter()
            .filter(|(k, x)| {
                owned.is_some_and(|o| o.contains_key(*k))
                    || self
                        .defaults
                        .get(*k)
                        .is_none_or(|d| x.as_str() != Some(d.as_str()))
            })
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect();
        let or_null = |m: BTreeMap<String, Value>| {
            if m.is_empty() {
                Value::Null
            } else {
                Value::Map(m.into())
            }
        };
        set(&mut v, "tags", or_null(own));
        set(&mut v, "tags_all", or_null(aws));
        v
    }
}

/// Every type with `tags` gets `tags_all`.
pub(crate) fn add_tags_all(schema: &mut ProviderSchema) {
    for s in schema.resources.values_mut() {
        if s.attributes.contains_key("tags") && !s.attributes.contains_key("tags_all") {
            s.attributes.insert(
                "tags_all".to_string(),
                Attribute::computed(
                    AttrType::Map(Box::new(AttrType::String)),
                    "Every tag of the object: the provider's default_tags merged with tags.",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Value {
        Value::map(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
    }

    fn settings() -> TagSettings {
        TagSettings {
            defaults: [("Env", "prod"), ("Owner", "ops")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ignore_keys: vec!["aws:cloudformation".into()],
            ignore_prefixes: vec!["kubernetes.io/".into()],
        }
    }

    #[test]
    fn the_resource_wins_over_the_defaults() {
        let mut planned = Value::map([("tags", tags(&[("Owner", "web"), ("Name", "a")]))]);
        settings().plan(&mut planned);
        assert_eq!(
            planned.get_attr("tags_all"),
            &tags(&[("Env", "prod"), ("Owner", "web"), ("Name", "a")])
        );
    }

    #[test]
    fn defaults_are_not_read_back_into_tags() {
        let s = settings();
        let from_aws = Value::map([(
            "tags",
            tags(&[
                ("Env", "prod"),
                ("Owner", "web"),
                ("Name", "a"),
                ("kubernetes.io/cluster", "x"),
            ]),
        )]);
        let owned = tags(&[("Owner", "web"), ("Name", "a")]);
        let v = s.read_back(from_aws, &owned);
        assert_eq!(v.get_attr("tags"), &owned);
        assert_eq!(
            v.get_attr("tags_all"),
            &tags(&[("Env", "prod"), ("Owner", "web"), ("Name", "a")])
        );
        // A default tag changed outside iac is the resource's drift, in tags.
        let drifted = s.read_back(
            Value::map([("tags", tags(&[("Env", "dev")]))]),
            &Value::Null,
        );
        assert_eq!(drifted.get_attr("tags"), &tags(&[("Env", "dev")]));
    }
}
