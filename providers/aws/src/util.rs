//! Small helpers: values, tags, SDK errors, client construction.

use std::collections::BTreeMap;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use iac_provider::AttrDiagnostic;
use iac_value::{PathStep, Value};

use crate::Clients;

pub fn set(v: &mut Value, name: &str, x: Value) {
    if let Value::Map(m) = v {
        m.insert(name.to_string(), x);
    }
}

pub fn s(v: &Value, name: &str) -> Option<String> {
    v.get_attr(name).as_str().map(String::from)
}

pub fn opt_str(x: Option<&str>) -> Value {
    x.map(|s| Value::String(s.to_string()))
        .unwrap_or(Value::Null)
}

/// Equality for planning: an empty map or list and null are the same (as in Terraform).
pub fn same(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| match v.unmarked() {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        Value::List(l) | Value::Set(l) => l.is_empty(),
        _ => false,
    };
    // Sensitivity is how a value is shown, not what it is: a secret from a
    // sensitive variable equals the same text read back from AWS.
    (empty(a) && empty(b)) || a == b || a.clone().unmark_deep().0 == b.clone().unmark_deep().0
}

/// `tags` of a configuration as a sorted map.
pub fn tags_of(v: &Value) -> BTreeMap<String, String> {
    string_map(v.get_attr("tags"))
}

/// A map of strings (`tags`, `volume_tags`, a listener's
/// `authentication_request_extra_params`) as a sorted map; anything else as
/// an empty one.
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Tags read from AWS (as key/value pairs), without the `iac:` ones iac adds
/// for itself and AWS's reserved `aws:` ones; `null` when none are left.
pub fn tag_map<'a>(pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>) -> Value {
    let m: BTreeMap<String, Value> = pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?, v.unwrap_or(""))))
        // `aws:` tags are AWS's own (a launch template's, an autoscaling
        // group's); no one can set them, so they are no one's configuration.
        .filter(|(k, _)| !k.starts_with("iac:") && !k.starts_with("aws:"))
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    if m.is_empty() {
        Value::Null
    } else {
        Value::Map(m.into())
    }
}

/// EC2 tags as a value (see `tag_map`).
pub fn tags_value(tags: &[aws_sdk_ec2::types::Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

/// How tags change from `old` to `new`, if they do: the keys to remove, and the
/// tags to write (all of `new`; tagging APIs overwrite values in place).
pub fn tag_change(old: &Value, new: &Value) -> Option<(Vec<String>, BTreeMap<String, String>)> {
    let (was, now) = (tags_of(old), tags_of(new));
    if was == now {
        return None;
    }
    let gone = was
        .keys()
        .filter(|k| !now.contains_key(*k))
        .cloned()
        .collect();
    Some((gone, now))
}

/// Strings as a set value (sorted, once each).
pub fn str_set(items: impl IntoIterator<Item = String>) -> Value {
    let mut l: Vec<String> = items.into_iter().collect();
    l.sort();
    l.dedup();
    Value::Set(l.into_iter().map(Value::String).collect())
}

/// Whether `tags` (an object's, as read) has every tag `want` names (a data
/// source's `tags` filter; null asks for none).
pub fn has_tags(tags: &Value, want: &Value) -> bool {
    want.as_map()
        .is_none_or(|w| w.iter().all(|(k, v)| tags.get_attr(k) == v))
}

/// The first block of a list-nested block, or null.
pub fn first(v: &Value, k: &str) -> Value {
    v.get_attr(k)
        .as_list()
        .and_then(|l| l.first().cloned())
        .unwrap_or(Value::Null)
}

/// The strings of a list or set attribute.
pub fn strings(v: &Value, k: &str) -> Vec<String> {
    v.get_attr(k)
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A number attribute as the SDK's i32.
pub fn int(v: &Value, k: &str) -> Option<i32> {
    v.get_attr(k).as_f64().map(|n| n as i32)
}

/// A string the provider must send in plaintext, refusing a secret iac keeps
/// only as a fingerprint (`Value::Redacted`) rather than sending anything else.
pub fn plaintext(v: &Value, name: &str) -> Result<Option<String>, AttrDiagnostic> {
    match v.get_attr(name) {
        Value::Redacted(_) => Err(attr_err(
            name,
            "Secret value not available",
            format!("`{name}` is needed in plaintext, and iac keeps only a fingerprint of secrets: give the value again (from its variable or secret store), or generate a new one (for random_password, plan with -replace)"),
        )),
        x => Ok(x.as_str().map(String::from)),
    }
}

/// The error code of an SDK error, if the service sent one.
pub fn err_code<E: ProvideErrorMetadata, R>(
    e: &aws_sdk_ec2::error::SdkError<E, R>,
) -> Option<String> {
    e.as_service_error()
        .and_then(|se| se.code())
        .map(String::from)
}

/// An SDK error as a provider diagnostic, with the service's code and message.
pub fn sdk_err<E>(
    what: &str,
    e: aws_sdk_ec2::error::SdkError<E, aws_sdk_ec2::config::http::HttpResponse>,
) -> AttrDiagnostic
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = match e.as_service_error() {
        Some(se) => format!(
            "{}: {}",
            se.code().unwrap_or("error"),
            se.message().unwrap_or("")
        ),
        None => format!("{}", aws_sdk_ec2::error::DisplayErrorContext(&e)),
    };
    AttrDiagnostic::error(Vec::new(), format!("{what} failed"), detail)
}

/// A delete that succeeded, or found the object already gone, is done.
pub fn deleted<T, E>(
    what: &str,
    r: Result<T, aws_sdk_ec2::error::SdkError<E, aws_sdk_ec2::config::http::HttpResponse>>,
) -> Result<(), AttrDiagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(_) => Ok(()),
        Err(e) if err_code(&e).is_some_and(|c| c.ends_with(".NotFound")) => Ok(()),
        Err(e) => Err(sdk_err(what, e)),
    }
}

pub fn attr_err(attr: &str, summary: &str, detail: impl Into<String>) -> AttrDiagnostic {
    AttrDiagnostic::error(vec![PathStep::Key(attr.to_string())], summary, detail)
}

const NO_CREDENTIALS: &str = "No AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or point iac at the local emulator with `scripts/moto.sh` (it prints the AWS_ENDPOINT_URL and test credentials to export).";

/// A setting's plaintext (credentials in the block are marked sensitive).
fn plain_setting(config: &Value, name: &str) -> Option<String> {
    config.get_attr(name).unmarked().as_str().map(String::from)
}

/// Settings of Terraform's AWS provider that iac does not honour yet, if the block
/// sets any: each an error that names it and says why.
pub fn unsupported_settings(config: &Value) -> Vec<AttrDiagnostic> {
    crate::schema::NOT_YET
        .iter()
        .filter(|(name, _)| {
            let v = config.get_attr(name);
            !v.is_null() && v.as_list().is_none_or(|l| !l.is_empty())
        })
        .map(|(name, why)| attr_err(name, &format!("`{name}` is not supported yet"), *why))
        .collect()
}

/// `assume_role`: credentials of a session of the role, from STS `AssumeRole`
/// (the SDK's identity cache asks again before they expire).
#[derive(Debug)]
struct AssumeRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    policy: Option<String>,
    policy_arns: Vec<String>,
    duration: Option<std::time::Duration>,
    tags: Vec<(String, String)>,
}

impl AssumeRole {
    async fn assume(&self) -> aws_credential_types::provider::Result {
        use aws_credential_types::provider::error::CredentialsError;
        let arns: Vec<aws_sdk_sts::types::PolicyDescriptorType> = self
            .policy_arns
            .iter()
            .map(|a| {
                aws_sdk_sts::types::PolicyDescriptorType::builder()
                    .arn(a)
                    .build()
            })
            .collect();
        let tags = self
            .tags
            .iter()
            .map(|(k, v)| aws_sdk_sts::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(CredentialsError::invalid_configuration)?;
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .set_policy(self.policy.clone())
            .set_policy_arns((!arns.is_empty()).then_some(arns))
            .set_duration_seconds(self.duration.map(|d| d.as_secs() as i32))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| {
                CredentialsError::provider_error(format!(
                    "assuming {}: {}",
                    self.role_arn,
                    aws_sdk_sts::error::DisplayErrorContext(&e)
                ))
            })?;
        let c = out
            .credentials()
            .ok_or_else(|| CredentialsError::unhandled("AssumeRole returned no credentials"))?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        Ok(aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "assume_role",
        ))
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(self.assume())
    }
}

/// The first (only) block of a nested block list.
pub(crate) fn first_block(config: &Value, name: &str) -> Value {
    let b = config.get_attr(name);
    match b.as_list() {
        Some(l) => l.first().cloned().unwrap_or(Value::Null),
        None => b.clone(),
    }
}

/// Builds the SDK clients from the provider block and the environment.
pub async fn build_clients(config: &Value) -> Result<Clients, String> {
    let region_cfg = s(config, "region");
    let profile = s(config, "profile");
    let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
    let mut profile_credentials = aws_config::profile::ProfileFileCredentialsProvider::builder();
    if let Some(p) = &profile {
        profile_region = profile_region.profile_name(p);
        profile_credentials = profile_credentials.profile_name(p);
    }
    // The provider block, then AWS_REGION, then the profile; an empty value counts as unset.
    let env_region = RegionProviderChain::first_try(
        aws_config::environment::region::EnvironmentVariableRegionProvider::new(),
    )
    .region()
    .await
    .filter(|r| !r.as_ref().is_empty());
    let profile_region = RegionProviderChain::first_try(profile_region.build())
        .region()
        .await
        .filter(|r| !r.as_ref().is_empty());
    let region = region_cfg
        .filter(|r| !r.is_empty())
        .map(aws_config::Region::new)
        .or(env_region)
        .or(profile_region)
        .unwrap_or_else(|| aws_config::Region::from_static("us-east-1"));
    // Static credentials in the block win, as in Terraform; then the environment, then the profile.
    let static_keys = match (s(config, "access_key"), plain_setting(config, "secret_key")) {
        (Some(id), Some(secret)) => Some(aws_credential_types::Credentials::new(
            id,
            secret,
            plain_setting(config, "token"),
            None,
            "provider block",
        )),
        (None, None) => None,
        _ => {
            return Err(
                "Set both access_key and secret_key in the provider block, or neither".to_string(),
            )
        }
    };
    let chain = CredentialsProviderChain::first_try(
        "environment",
        aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else("profile", profile_credentials.build());
    let credentials = match static_keys {
        Some(keys) => aws_credential_types::provider::SharedCredentialsProvider::new(keys),
        None => {
            if chain.provide_credentials().await.is_err() {
                return Err(NO_CREDENTIALS.to_string());
            }
            aws_credential_types::provider::SharedCredentialsProvider::new(chain)
        }
    };
    let attempts = config
        .get_attr("max_retries")
        .as_f64()
        .map(|n| n.max(0.0) as u32 + 1)
        .unwrap_or(8);
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts));
    let endpoints = config.get_attr("endpoints");
    let endpoints = match endpoints.as_list() {
        Some(l) => l.first().cloned().unwrap_or(Value::Null),
        None => endpoints.clone(),
    };
    let mut sdk = loader.load().await;
    // assume_role: the credentials above assume the role, and every client uses
    // the role's (refreshed as they expire).
    let role = first_block(config, "assume_role");
    if let Some(arn) = s(&role, "role_arn").filter(|a| !a.is_empty()) {
        let duration = match s(&role, "duration") {
            Some(d) => Some(
                iac_value::time::parse_duration(&d)
                    .map_err(|e| format!("assume_role.duration: {e}"))?,
            ),
            None => None,
        };
        // STS is called with the credentials found above, through the block's STS
        // endpoint if it sets one (the service's own setting, which wins over the
        // environment's, as for every other client).
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
        if let Some(url) = s(&first_block(config, "endpoints"), "sts") {
            sts = sts.endpoint_url(url);
        }
        let assume = AssumeRole {
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            role_arn: arn,
            session_name: s(&role, "session_name").unwrap_or_else(|| "iac".to_string()),
            external_id: s(&role, "external_id"),
            policy: s(&role, "policy"),
            policy_arns: strings(&role, "policy_arns"),
            duration,
            tags: tags_of(&role).into_iter().collect(),
        };
        sdk = sdk
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(assume),
            )
            .build();
    }
    let mut ec2 = aws_sdk_ec2::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "ec2") {
        ec2 = ec2.endpoint_url(url);
    }
    let mut elb = aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "elbv2").or_else(|| s(&endpoints, "elb")) {
        elb = elb.endpoint_url(url);
    }
    let mut rds = aws_sdk_rds::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "rds") {
        rds = rds.endpoint_url(url);
    }
    let mut secrets = aws_sdk_secretsmanager::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "secretsmanager") {
        secrets = secrets.endpoint_url(url);
    }
    let mut iam = aws_sdk_iam::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "iam") {
        iam = iam.endpoint_url(url);
    }
    let mut autoscaling = aws_sdk_autoscaling::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "autoscaling") {
        autoscaling = autoscaling.endpoint_url(url);
    }
    let mut route53 = aws_sdk_route53::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "route53") {
        route53 = route53.endpoint_url(url);
    }
    let mut kms = aws_sdk_kms::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "kms") {
        kms = kms.endpoint_url(url);
    }
    let mut ssm = aws_sdk_ssm::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "ssm") {
        ssm = ssm.endpoint_url(url);
    }
    let mut cloudwatch = aws_sdk_cloudwatch::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "cloudwatch") {
        cloudwatch = cloudwatch.endpoint_url(url);
    }
    let mut acm = aws_sdk_acm::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "acm") {
        acm = acm.endpoint_url(url);
    }
    let mut logs = aws_sdk_cloudwatchlogs::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "cloudwatchlogs").or_else(|| s(&endpoints, "logs")) {
        logs = logs.endpoint_url(url);
    }
    let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "sts") {
        sts = sts.endpoint_url(url);
    }
    let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(url) = s(&endpoints, "s3") {
        s3 = s3.endpoint_url(url);
    }
    // Emulators and S3-compatible stores serve buckets by path, not by host name.
    let path_style = config
        .get_attr("s3_use_path_style")
        .as_bool()
        .unwrap_or(std::env::var_os("AWS_ENDPOINT_URL").is_some() || s(&endpoints, "s3").is_some());
    s3 = s3.force_path_style(path_style);
    Ok(Clients {
        acm: aws_sdk_acm::Client::from_conf(acm.build()),
        ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
        iam: aws_sdk_iam::Client::from_conf(iam.build()),
        ssm: aws_sdk_ssm::Client::from_conf(ssm.build()),
        kms: aws_sdk_kms::Client::from_conf(kms.build()),
        route53: aws_sdk_route53::Client::from_conf(route53.build()),
        logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs.build()),
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch.build()),
        autoscaling: aws_sdk_autoscaling::Client::from_conf(autoscaling.build()),
        sts: aws_sdk_sts::Client::from_conf(sts.build()),
        s3: aws_sdk_s3::Client::from_conf(s3.build()),
        account: tokio::sync::OnceCell::new(),
        skip_account: config.get_attr("skip_requesting_account_id").as_bool() == Some(true),
        elb: aws_sdk_elasticloadbalancingv2::Client::from_conf(elb.build()),
        rds: aws_sdk_rds::Client::from_conf(rds.build()),
        secrets: aws_sdk_secretsmanager::Client::from_conf(secrets.build()),
    })
}

/// The name to create an object under: `name`, else `name_prefix` (default
/// `terraform-`, as Terraform) followed by a suffix made from the idempotency token,
/// so a retried create asks for the same name.
pub(crate) fn name_for(p: &Value, token: &str) -> String {
    if let Some(n) = s(p, "name") {
        return n;
    }
    let suffix: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(26)
        .collect();
    format!(
        "{}{suffix}",
        s(p, "name_prefix").unwrap_or_else(|| "terraform-".into())
    )
}

/// A list for an SDK call that takes none rather than an empty one.
/// JSON as Terraform's provider normalises a policy it reads: compact, keys
/// sorted (text that is not JSON is left as it is).
pub(crate) fn normalized_json(text: &str) -> String {
    fn sorted(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut pairs: Vec<(String, serde_json::Value)> =
                    m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
                pairs.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(pairs.into_iter().collect())
            }
            serde_json::Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => sorted(v).to_string(),
        Err(_) => text.to_string(),
    }
}

pub(crate) fn non_empty(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

/// Whether the configuration writes this argument or block (an empty block list is not).
/// Whether both arguments are known to be set: a conflict between them is
/// certain. An unknown one may yet be null, so (as Terraform's ConflictsWith)
/// it is checked once known, at apply.
pub(crate) fn both_set(config: &Value, a: &str, b: &str) -> bool {
    let set = |n: &str| {
        let v = config.get_attr(n);
        !v.is_null() && !v.is_unknown()
    };
    set(a) && set(b)
}

pub(crate) fn written(v: &Value, name: &str) -> bool {
    match v.get_attr(name) {
        Value::Null => false,
        Value::List(l) | Value::Set(l) => !l.is_empty(),
        _ => true,
    }
}

/// What the configuration leaves unwritten among `names` (Optional and Computed
/// in Terraform) is as AWS has it: the prior object's, unknown on a create. An
/// unknown value counts as written.
pub(crate) fn as_aws_has(
    prior: Option<&Value>,
    config: &Value,
    planned: &mut Value,
    names: &[&str],
) {
    for k in names {
        if !written(config, k) {
            set(
                planned,
                k,
                prior.map_or(Value::Unknown, |p| p.get_attr(k).clone()),
            );
        }
    }
}

/// An SDK integer as a value (null when absent).
pub(crate) fn int_value(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |x| Value::num(f64::from(x)))
}

/// A write-only argument (Terraform 1.11: `password_wo`, `secret_string_wo`,
/// `value_wo`) and what it stands for: never in a plan or in state in any form
/// (not even a fingerprint); its value, from the configuration, goes where the
/// plain argument would, on a create and on an update whose version changed.
pub(crate) struct WriteOnly {
    /// The write-only argument.
    pub value: &'static str,
    /// The number whose change sends it again.
    pub version: &'static str,
    /// The plain argument the type's calls send.
    pub plain: &'static str,
    /// A computed flag saying one is in use (`has_value_wo`), if the type has one.
    pub flag: Option<&'static str>,
}

impl WriteOnly {
    pub(crate) const PASSWORD: WriteOnly = WriteOnly {
        value: "password_wo",
        version: "password_wo_version",
        plain: "password",
        flag: None,
    };
    pub(crate) const SECRET_STRING: WriteOnly = WriteOnly {
        value: "secret_string_wo",
        version: "secret_string_wo_version",
        plain: "secret_string",
        flag: Some("has_secret_string_wo"),
    };
    pub(crate) const PARAMETER: WriteOnly = WriteOnly {
        value: "value_wo",
        version: "value_wo_version",
        plain: "value",
        flag: Some("has_value_wo"),
    };

    /// Planned as null, whatever the configuration says; the flag as written.
    pub(crate) fn plan(&self, r: &mut iac_provider::PlanResponse) {
        set(&mut r.planned, self.value, Value::Null);
        r.requires_replace
            .retain(|p| !matches!(p.first(), Some(iac_value::PathStep::Key(k)) if k == self.value));
    }

    /// The planned (and prior) object for the calls: with the configuration's
    /// write-only value as the plain argument when it is to be sent (the prior's
    /// plain argument cleared, so an update sees a change).
    pub(crate) fn to_send(
        &self,
        planned: &Value,
        prior: Option<&Value>,
        config: &Value,
    ) -> (Value, Value) {
        let before = prior.cloned().unwrap_or(Value::Null);
        let secret = config.get_attr(self.value);
        let send = secret.as_str().is_some()
            && prior.is_none_or(|p| p.get_attr(self.version) != planned.get_attr(self.version));
        if !send {
            return (planned.clone(), before);
        }
        let (mut with, mut before) = (planned.clone(), before);
        set(&mut with, self.plain, secret.clone());
        if prior.is_some() {
            set(&mut before, self.plain, Value::Null);
        }
        (with, before)
    }

    /// The object as state keeps it: the write-only value in no form.
    pub(crate) fn forget(&self, mut v: Value, planned: &Value) -> Value {
        set(&mut v, self.plain, planned.get_attr(self.plain).clone());
        set(&mut v, self.value, Value::Null);
        if let Some(flag) = self.flag {
            set(&mut v, flag, planned.get_attr(flag).clone());
        }
        v
    }
}

/// A value with nothing unknown in it (what was planned but never answered is null).
pub(crate) fn known(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(l) => Value::List(l.iter().map(known).collect()),
        Value::Set(l) => Value::Set(l.iter().map(known).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), known(x))).collect()),
        other => other.clone(),
    }
}
