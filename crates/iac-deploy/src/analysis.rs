//! Analysis: metric queries with service-level thresholds, measured before a
//! release gets traffic and at each canary step; a release whose measurements
//! fail more often than allowed is rolled back, and the failure names the query
//! and the values it gave.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use iac_value::Value;

use crate::release::Release;
use crate::run::Error;
use crate::spec::SpecError;

/// Where a metric's value comes from. `{release}` in a query, a URL or a
/// dimension value stands for the release's id, `{target_group}` for its group.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A CloudWatch metric: the most recent `stat` over `period` seconds; with
    /// `divided_by`, its share of another metric of the same namespace and
    /// dimensions (5xx responses over requests: an error rate).
    CloudWatch {
        namespace: String,
        metric: String,
        stat: String,
        dimensions: BTreeMap<String, String>,
        period: u32,
        divided_by: Option<String>,
    },
    /// An instant query against Prometheus's HTTP API (`/api/v1/query`); the
    /// first sample of the result.
    Prometheus { address: String, query: String },
    /// A URL whose body is a number.
    Http { url: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::CloudWatch {
                namespace,
                metric,
                stat,
                divided_by: None,
                ..
            } => write!(f, "CloudWatch {namespace} {metric} {stat}"),
            Source::CloudWatch {
                namespace,
                metric,
                stat,
                divided_by: Some(d),
                ..
            } => write!(f, "CloudWatch {namespace} {metric}/{d} {stat}"),
            Source::Prometheus { query, .. } => write!(f, "Prometheus `{query}`"),
            Source::Http { url } => write!(f, "GET {url}"),
        }
    }
}

/// `<`, `<=`, `>`, `>=` and a number, with an optional unit: `%` (the value is a
/// ratio: `< 1%` is `< 0.01`), `ms` or `s` (the value is in seconds: `< 200ms`
/// is `< 0.2`).
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub op: String,
    pub limit: f64,
    pub text: String,
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let (op, rest) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| t.strip_prefix(op).map(|r| (*op, r.trim())))
            .ok_or_else(|| {
                format!("\"{text}\": a threshold is <, <=, > or >= and a number, such as \"< 1%\" or \"< 200ms\"")
            })?;
        let (number, scale) = if let Some(n) = rest.strip_suffix('%') {
            (n, 0.01)
        } else if let Some(n) = rest.strip_suffix("ms") {
            (n, 0.001)
        } else if let Some(n) = rest.strip_suffix('s') {
            (n, 1.0)
        } else {
            (rest, 1.0)
        };
        let n: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("\"{text}\": \"{}\" is not a number", number.trim()))?;
        Ok(Threshold {
            op: op.to_string(),
            limit: n * scale,
            text: t.to_string(),
        })
    }

    pub fn holds(&self, v: f64) -> bool {
        match self.op.as_str() {
            "<" => v < self.limit,
            "<=" => v <= self.limit,
            ">" => v > self.limit,
            _ => v >= self.limit,
        }
    }
}

/// One metric of an analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub name: String,
    pub source: Source,
    pub threshold: Threshold,
    /// Whether a measurement without data passes (a count of errors has no data
    /// while there are none).
    pub no_data_passes: bool,
}

/// The `analysis` block: `count` measurements of every metric, `interval` apart;
/// more than `failure_limit` failed measurements fail the release.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub metrics: Vec<Metric>,
    pub interval: Duration,
    pub interval_text: String,
    pub count: usize,
    pub failure_limit: usize,
    /// Measured every `interval` for the whole rollout (a canary's steps and
    /// pauses), failures adding up, instead of `count` times at each step.
    pub background: bool,
}

impl Analysis {
    /// The plan's words for it.
    pub fn describe(&self) -> String {
        let m: Vec<String> = self
            .metrics
            .iter()
            .map(|m| format!("{} {}", m.name, m.threshold.text))
            .collect();
        if self.background {
            return format!(
                "{} (every {} throughout, {} failure{} allowed)",
                m.join(", "),
                self.interval_text,
                self.failure_limit,
                if self.failure_limit == 1 { "" } else { "s" },
            );
        }
        format!(
            "{} ({} measurement{} {} apart, {} failure{} allowed)",
            m.join(", "),
            self.count,
            if self.count == 1 { "" } else { "s" },
            self.interval_text,
            self.failure_limit,
            if self.failure_limit == 1 { "" } else { "s" },
        )
    }

    /// Reads an `analysis` block (`None` when there is none).
    pub(crate) fn from_block(b: &Value, errors: &mut Vec<SpecError>) -> Option<Analysis> {
        if b.is_null() {
            return None;
        }
        let err = |path: &[&str], summary: &str, detail: String| SpecError {
            path: path.iter().map(|s| s.to_string()).collect(),
            summary: summary.to_string(),
            detail,
        };
        let interval_text = b.get_attr("interval").as_str().unwrap_or("1m").to_string();
        let interval = match iac_value::time::parse_duration(&interval_text) {
            Ok(d) => d,
            Err(e) => {
                errors.push(err(
                    &["analysis", "interval"],
                    "Invalid duration",
                    format!("\"{interval_text}\": {e}"),
                ));
                Duration::from_secs(60)
            }
        };
        let mut metrics = Vec::new();
        for (i, m) in b
            .get_attr("metric")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let name = m
                .get_attr("name")
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| format!("metric {}", i + 1));
            let threshold_text = m.get_attr("threshold").as_str().unwrap_or("");
            let threshold = match Threshold::parse(threshold_text) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(err(
                        &["analysis", "metric", "threshold"],
                        "Invalid threshold",
                        e,
                    ));
                    continue;
                }
            };
            let block = |k: &str| {
                m.get_attr(k)
                    .as_list()
                    .and_then(|l| l.first().cloned())
                    .unwrap_or(Value::Null)
            };
            let text = |v: &Value, k: &str| v.get_attr(k).as_str().unwrap_or("").to_string();
            let (cw, prom, http) = (block("cloudwatch"), block("prometheus"), block("http"));
            let given = [&cw, &prom, &http].iter().filter(|v| !v.is_null()).count();
            if given != 1 {
                errors.push(err(
                    &["analysis", "metric"],
                    "A metric needs one source",
                    format!(
                        "metric \"{name}\" has {given}: give one of cloudwatch, prometheus or http"
                    ),
                ));
                continue;
            }
            let source = if !cw.is_null() {
                Source::CloudWatch {
                    namespace: text(&cw, "namespace"),
                    metric: text(&cw, "metric_name"),
                    stat: cw
                        .get_attr("stat")
                        .as_str()
                        .unwrap_or("Average")
                        .to_string(),
                    dimensions: cw
                        .get_attr("dimensions")
                        .as_map()
                        .map(|d| {
                            d.iter()
                                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                                .collect()
                        })
                        .unwrap_or_default(),
                    period: cw.get_attr("period").as_f64().unwrap_or(60.0) as u32,
                    divided_by: cw.get_attr("divided_by").as_str().map(String::from),
                }
            } else if !prom.is_null() {
                Source::Prometheus {
                    address: text(&prom, "address"),
                    query: text(&prom, "query"),
                }
            } else {
                Source::Http {
                    url: text(&http, "url"),
                }
            };
            metrics.push(Metric {
                name,
                source,
                threshold,
                no_data_passes: m.get_attr("no_data_passes").as_bool().unwrap_or(true),
            });
        }
        let count = b.get_attr("count").as_f64().unwrap_or(1.0).max(1.0) as usize;
        let failure_limit = b.get_attr("failure_limit").as_f64().unwrap_or(0.0).max(0.0) as usize;
        Some(Analysis {
            metrics,
            interval,
            interval_text,
            count,
            failure_limit,
            background: b.get_attr("background").as_bool().unwrap_or(false),
        })
    }
}

/// `{release}` and `{target_group}` in a query.
pub fn expand(text: &str, release: &Release) -> String {
    text.replace("{release}", &release.id)
        .replace("{target_group}", &release.group)
}

/// Measures metrics.
#[async_trait::async_trait]
pub trait Metrics: Send + Sync {
    /// The metric's value now for the release; `None` when there is no data.
    async fn measure(&self, source: &Source, release: &Release) -> Result<Option<f64>, Error>;
}

/// Prometheus and HTTP sources, over HTTP/1.0 (http:// URLs); CloudWatch is the
/// cloud's to answer (an error here).
pub struct OpenMetrics;

#[async_trait::async_trait]
impl Metrics for OpenMetrics {
    async fn measure(&self, source: &Source, release: &Release) -> Result<Option<f64>, Error> {
        let url = match source {
            Source::Prometheus { address, query } => format!(
                "{}/api/v1/query?query={}",
                address.trim_end_matches('/'),
                percent_encode(&expand(query, release))
            ),
            Source::Http { url } => expand(url, release),
            Source::CloudWatch { .. } => {
                return Err(Error::new(
                    "CloudWatch metrics are not available here",
                    "only the AWS provider reads CloudWatch",
                ))
            }
        };
        let prometheus = matches!(source, Source::Prometheus { .. });
        let body = tokio::task::spawn_blocking(move || crate::run::http_body(&url))
            .await
            .map_err(|e| Error::new("The metric query failed", e.to_string()))?
            .map_err(|e| Error::new("The metric query failed", e))?;
        if prometheus {
            prometheus_value(&body)
        } else {
            let t = body.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse().map(Some).map_err(|_| {
                Error::new(
                    "The metric is not a number",
                    t.chars().take(80).collect::<String>(),
                )
            })
        }
    }
}

/// The first sample of an instant query's answer (`None` for an empty result).
fn prometheus_value(body: &str) -> Result<Option<f64>, Error> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        Error::new(
            "Prometheus answered something other than JSON",
            e.to_string(),
        )
    })?;
    if v["status"] != "success" {
        return Err(Error::new(
            "Prometheus refused the query",
            v["error"].as_str().unwrap_or("").to_string(),
        ));
    }
    let data = &v["data"];
    let sample = match data["resultType"].as_str() {
        Some("vector") => data["result"].get(0).map(|r| &r["value"]),
        Some("scalar") => Some(&data["result"]),
        _ => None,
    };
    match sample.and_then(|s| s.get(1)).and_then(|x| x.as_str()) {
        None => Ok(None),
        Some(x) => x.parse().map(Some).map_err(|_| {
            Error::new(
                "Prometheus gave a sample that is not a number",
                x.to_string(),
            )
        }),
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_as_objectives() {
        let t = Threshold::parse("< 1%").unwrap();
        assert!(t.holds(0.009) && !t.holds(0.01));
        let t = Threshold::parse("<= 200ms").unwrap();
        assert!(t.holds(0.2) && !t.holds(0.21));
        let t = Threshold::parse(">0.99").unwrap();
        assert!(t.holds(0.995) && !t.holds(0.99));
        assert!(Threshold::parse("about 3").is_err());
        assert!(Threshold::parse("< lots").is_err());
    }

    #[test]
    fn prometheus_answers() {
        let v = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0.25"]}]}}"#;
        assert_eq!(prometheus_value(v).unwrap(), Some(0.25));
        let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(prometheus_value(empty).unwrap(), None);
        let bad = r#"{"status":"error","error":"parse error"}"#;
        assert_eq!(prometheus_value(bad).unwrap_err().detail, "parse error");
        assert_eq!(percent_encode("a b{c}"), "a%20b%7Bc%7D");
    }
}
