//! A release and its status, as state records them.

use iac_value::Value;

/// Where a release stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Being made; not yet given traffic.
    Candidate,
    /// Serving the traffic.
    Live,
    /// A canary stopped at a pause until `iac promote` (or `iac abort`), with
    /// part of the traffic.
    Paused,
    /// Was live; kept until `keep_until` for `iac rollback`.
    Previous,
    /// Was live, and rolled back; kept until `keep_until`, never released again
    /// until the configuration changes.
    RolledBack,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Candidate => "candidate",
            Status::Live => "live",
            Status::Paused => "paused",
            Status::Previous => "previous",
            Status::RolledBack => "rolled_back",
        }
    }

    /// The status state records (`new` was the candidate's name before).
    pub fn parse(s: &str) -> Status {
        match s {
            "live" => Status::Live,
            "paused" => Status::Paused,
            "previous" => Status::Previous,
            "rolled_back" => Status::RolledBack,
            _ => Status::Candidate,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One release of a deployment's fleet: its servers and the group that takes
/// traffic for them (on AWS, a target group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// `r` and 8 hex digits of the fleet template's digest.
    pub id: String,
    pub status: Status,
    /// The group's handle (a target group ARN).
    pub group: String,
    pub servers: Vec<String>,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339; empty unless kept.
    pub keep_until: String,
    /// Share of traffic, in percent.
    pub weight: u8,
    /// For a paused canary: the index of the canary step it goes on with.
    pub step: usize,
}

impl Release {
    /// A new release with no group or servers yet.
    pub fn candidate(id: &str, created: u64) -> Release {
        Release {
            id: id.to_string(),
            status: Status::Candidate,
            group: String::new(),
            servers: Vec::new(),
            created: iac_value::time::rfc3339(created),
            keep_until: String::new(),
            weight: 0,
            step: 0,
        }
    }

    /// Whether a kept release's time is up (`at`: seconds since the epoch).
    pub fn expired(&self, at: u64) -> bool {
        matches!(self.status, Status::Previous | Status::RolledBack)
            && iac_value::time::parse_rfc3339(&self.keep_until).is_some_and(|t| t <= at)
    }

    /// As the deployment's `releases` attribute holds it (strings throughout, the
    /// format state has always had).
    pub fn to_value(&self) -> Value {
        let mut m: std::collections::BTreeMap<String, Value> = [
            ("id", self.id.clone()),
            ("status", self.status.as_str().to_string()),
            ("target_group_arn", self.group.clone()),
            ("instance_ids", self.servers.join(",")),
            ("created", self.created.clone()),
            ("keep_until", self.keep_until.clone()),
            ("weight", self.weight.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
        if self.status == Status::Paused {
            m.insert("step".into(), Value::String(self.step.to_string()));
        }
        Value::Map(m.into())
    }

    pub fn from_value(v: &Value) -> Release {
        let text = |k: &str| v.get_attr(k).as_str().unwrap_or("").to_string();
        Release {
            id: text("id"),
            status: Status::parse(&text("status")),
            group: text("target_group_arn"),
            servers: text("instance_ids")
                .split(',')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect(),
            created: text("created"),
            keep_until: text("keep_until"),
            weight: text("weight")
                .parse::<f64>()
                .unwrap_or(0.0)
                .clamp(0.0, 100.0) as u8,
            step: text("step").parse().unwrap_or(0),
        }
    }

    /// The releases of a deployment's value.
    pub fn all_of(v: &Value) -> Vec<Release> {
        v.get_attr("releases")
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(Release::from_value)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_round_trips_through_its_state_value() {
        let r = Release {
            id: "r1234abcd".into(),
            status: Status::Previous,
            group: "arn:tg/web-r1234abcd".into(),
            servers: vec!["i-1".into(), "i-2".into()],
            created: "2026-11-28T10:00:00Z".into(),
            keep_until: "2026-11-28T11:00:00Z".into(),
            weight: 0,
            step: 0,
        };
        assert_eq!(Release::from_value(&r.to_value()), r);
        assert_eq!(r.to_value().get_attr("weight").as_str(), Some("0"));
        assert!(r.expired(iac_value::time::parse_rfc3339("2026-11-28T11:00:00Z").unwrap()));
        assert!(!r.expired(iac_value::time::parse_rfc3339("2026-11-28T10:59:59Z").unwrap()));
        // A candidate written by an older iac as `new`.
        let old = Value::map([("status", Value::string("new"))]);
        assert_eq!(Release::from_value(&old).status, Status::Candidate);
    }
}
