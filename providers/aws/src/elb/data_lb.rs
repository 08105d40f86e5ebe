//! `data "aws_lb"` (and `data "aws_alb"`): an existing load balancer, found by
//! ARN, by name, or by tags (every tag given must match), with every attribute
//! the resource has. Exactly one must match.

use aws_sdk_elasticloadbalancingv2::types::LoadBalancer;
use iac_provider::kit::{DataSourceType, ResourceType};
use iac_provider::{AttrDiagnostic, AttrType, Attribute, Schema};
use iac_value::Value;

use super::lb::{describe_lb, lb_value, read_attributes, LbType};
use super::{not_found, tags_of_arns};
use crate::util::{attr_err, err_code, has_tags, s, sdk_err};
use crate::Clients;

pub(crate) struct LbData;

/// The resource's schema, every name computed but the three that find one.
fn data_schema(mut schema: Schema) -> Schema {
    fn computed(schema: &mut Schema) {
        for a in schema.attributes.values_mut() {
            a.required = false;
            a.optional = false;
            a.computed = true;
            a.force_new = false;
        }
        for b in schema.blocks.values_mut() {
            b.min_items = 0;
            b.force_new = false;
            computed(&mut b.block);
        }
    }
    computed(&mut schema);
    schema.description =
        "Finds an existing load balancer by ARN, name or tags (exactly one must match).";
    schema.attributes.remove("name_prefix");
    schema.not_supported.clear();
    schema
        .attr(
            "arn",
            Attribute::optional_computed(AttrType::String, "ARN of the load balancer to find."),
        )
        .attr(
            "name",
            Attribute::optional_computed(AttrType::String, "Name of the load balancer to find."),
        )
        .attr(
            "tags",
            Attribute::optional_computed(
                AttrType::Map(Box::new(AttrType::String)),
                "Tags the load balancer must have (each of them), or its tags.",
            ),
        )
}

async fn all_lbs(c: &Clients) -> Result<Vec<LoadBalancer>, AttrDiagnostic> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = c
            .elb
            .describe_load_balancers()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| sdk_err("DescribeLoadBalancers", e))?;
        out.extend(page.load_balancers().iter().cloned());
        marker = page.next_marker().map(String::from);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for LbData {
    fn schema(&self) -> Schema {
        data_schema(LbType.schema())
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        let arn = s(config, "arn");
        let name = s(config, "name");
        let want = config.get_attr("tags");
        let candidates = if let Some(arn) = &arn {
            describe_lb(c, arn)
                .await
                .map_err(|d| vec![d])?
                .into_iter()
                .collect()
        } else if let Some(name) = &name {
            match c.elb.describe_load_balancers().names(name).send().await {
                Ok(o) => o.load_balancers().to_vec(),
                Err(e) if not_found(err_code(&e)) => Vec::new(),
                Err(e) => return Err(vec![sdk_err("DescribeLoadBalancers", e)]),
            }
        } else if want.as_map().is_some_and(|m| !m.is_empty()) {
            all_lbs(c).await.map_err(|d| vec![d])?
        } else {
            return Err(vec![attr_err(
                "arn",
                "Nothing to find by",
                "set `arn`, `name` or `tags`",
            )]);
        };
        let arns: Vec<String> = candidates
            .iter()
            .filter_map(|l| l.load_balancer_arn().map(String::from))
            .collect();
        let mut tags = std::collections::BTreeMap::new();
        for chunk in arns.chunks(20) {
            tags.extend(tags_of_arns(c, chunk).await.map_err(|d| vec![d])?);
        }
        let found: Vec<&LoadBalancer> = candidates
            .iter()
            .filter(|l| {
                let t = tags.get(l.load_balancer_arn().unwrap_or_default());
                has_tags(t.unwrap_or(&Value::Null), want)
            })
            .collect();
        let [lb] = found[..] else {
            let what = match (&arn, &name) {
                (Some(a), _) => format!("the ARN {a}"),
                (None, Some(n)) => format!("the name \"{n}\""),
                (None, None) => "those tags".to_string(),
            };
            return Err(vec![attr_err(
                if arn.is_some() {
                    "arn"
                } else if name.is_some() {
                    "name"
                } else {
                    "tags"
                },
                "No single load balancer",
                format!(
                    "{} load balancers match {what}{}; exactly one must",
                    found.len(),
                    if arn.is_some() || name.is_some() {
                        " (and the tags given)"
                    } else {
                        ""
                    }
                ),
            )]);
        };
        let arn = lb.load_balancer_arn().unwrap_or_default();
        let attrs = read_attributes(c, arn).await.map_err(|d| vec![d])?;
        let mut v = lb_value(
            lb,
            &attrs,
            tags.get(arn).cloned().unwrap_or(Value::Null),
            config,
        );
        if let Value::Map(m) = &mut v {
            m.remove("name_prefix");
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_asked_for_must_match() {
        let tags = Value::map([
            ("env", Value::string("live")),
            ("team", Value::string("web")),
        ]);
        assert!(has_tags(&tags, &Value::Null));
        assert!(has_tags(
            &tags,
            &Value::map([("env", Value::string("live"))])
        ));
        assert!(!has_tags(
            &tags,
            &Value::map([("env", Value::string("test"))])
        ));
        assert!(!has_tags(
            &Value::Null,
            &Value::map([("env", Value::string("live"))])
        ));
    }

    #[test]
    fn the_data_schema_finds_by_three_names_and_computes_the_rest() {
        let s = data_schema(LbType.schema());
        for n in ["arn", "name", "tags"] {
            assert!(s.attributes[n].optional && s.attributes[n].computed, "{n}");
        }
        assert!(!s.attributes["idle_timeout"].optional && s.attributes["idle_timeout"].computed);
        assert!(!s.attributes.contains_key("name_prefix"));
        assert!(s.blocks["subnet_mapping"].block.attributes["subnet_id"].computed);
    }
}
