//! Listener and rule actions that authenticate users before the next action:
//! `authenticate_cognito` (an Amazon Cognito user pool) and
//! `authenticate_oidc` (any OpenID Connect provider). The OIDC client secret is
//! sent as written and kept only as a fingerprint: read back, it is the one
//! state has (AWS does not return it), and an update whose secret did not
//! change asks AWS to keep the one it has.

use aws_sdk_elasticloadbalancingv2 as elb;
use elb::types::{
    AuthenticateCognitoActionConditionalBehaviorEnum as CognitoBehaviour,
    AuthenticateCognitoActionConfig,
    AuthenticateOidcActionConditionalBehaviorEnum as OidcBehaviour, AuthenticateOidcActionConfig,
};
use iac_value::Value;

use crate::util::{first, int, opt_str, s, string_map};

/// What AWS uses when the configuration leaves a setting out.
const DEFAULTS: &[(&str, &str)] = &[
    ("on_unauthenticated_request", "authenticate"),
    ("scope", "openid"),
    ("session_cookie_name", "AWSELBAuthSessionCookie"),
    ("session_timeout", "604800"),
];

fn extra(b: &Value) -> Option<std::collections::HashMap<String, String>> {
    let m = string_map(b.get_attr("authentication_request_extra_params"));
    (!m.is_empty()).then(|| m.into_iter().collect())
}

pub(crate) fn cognito(b: &Value) -> AuthenticateCognitoActionConfig {
    AuthenticateCognitoActionConfig::builder()
        .set_user_pool_arn(s(b, "user_pool_arn"))
        .set_user_pool_client_id(s(b, "user_pool_client_id"))
        .set_user_pool_domain(s(b, "user_pool_domain"))
        .set_authentication_request_extra_params(extra(b))
        .set_on_unauthenticated_request(
            s(b, "on_unauthenticated_request").map(|x| CognitoBehaviour::from(x.as_str())),
        )
        .set_scope(s(b, "scope"))
        .set_session_cookie_name(s(b, "session_cookie_name"))
        .set_session_timeout(int(b, "session_timeout").map(i64::from))
        .build()
}

pub(crate) fn oidc(b: &Value) -> AuthenticateOidcActionConfig {
    // A secret the plan holds only as a fingerprint did not change: AWS keeps its own.
    let secret = s(b, "client_secret");
    AuthenticateOidcActionConfig::builder()
        .set_issuer(s(b, "issuer"))
        .set_authorization_endpoint(s(b, "authorization_endpoint"))
        .set_token_endpoint(s(b, "token_endpoint"))
        .set_user_info_endpoint(s(b, "user_info_endpoint"))
        .set_client_id(s(b, "client_id"))
        .set_use_existing_client_secret(secret.is_none().then_some(true))
        .set_client_secret(secret)
        .set_authentication_request_extra_params(extra(b))
        .set_on_unauthenticated_request(
            s(b, "on_unauthenticated_request").map(|x| OidcBehaviour::from(x.as_str())),
        )
        .set_scope(s(b, "scope"))
        .set_session_cookie_name(s(b, "session_cookie_name"))
        .set_session_timeout(int(b, "session_timeout").map(i64::from))
        .build()
}

/// The settings both kinds share, as state has them: a default AWS filled in
/// for what the configuration left out is the configuration's null.
fn common(
    kept: &Value,
    extra: Option<&std::collections::HashMap<String, String>>,
    behaviour: Option<&str>,
    scope: Option<&str>,
    cookie: Option<&str>,
    timeout: Option<i64>,
) -> Vec<(&'static str, Value)> {
    let timeout = timeout.map(|t| t.to_string());
    let got = [
        ("on_unauthenticated_request", behaviour),
        ("scope", scope),
        ("session_cookie_name", cookie),
        ("session_timeout", timeout.as_deref()),
    ];
    let mut out: Vec<(&'static str, Value)> = got
        .iter()
        .map(|(k, v)| {
            let default = DEFAULTS.iter().find(|(d, _)| d == k).map(|(_, d)| *d);
            let value = match v {
                Some(x) if kept.get_attr(k).is_null() && Some(*x) == default => Value::Null,
                Some(x) if *k == "session_timeout" => {
                    x.parse::<f64>().map_or(Value::Null, Value::num)
                }
                Some(x) => Value::string(*x),
                None => Value::Null,
            };
            (*k, value)
        })
        .collect();
    let extra = extra.filter(|m| !m.is_empty()).map_or(Value::Null, |m| {
        Value::map(m.iter().map(|(k, v)| (k.clone(), Value::string(v))))
    });
    out.push(("authentication_request_extra_params", extra));
    out
}

pub(crate) fn cognito_value(c: Option<&AuthenticateCognitoActionConfig>, keep: &Value) -> Value {
    let Some(c) = c else {
        return Value::List(Vec::new());
    };
    let kept = first(keep, "authenticate_cognito");
    let mut v = vec![
        ("user_pool_arn", opt_str(c.user_pool_arn())),
        ("user_pool_client_id", opt_str(c.user_pool_client_id())),
        ("user_pool_domain", opt_str(c.user_pool_domain())),
    ];
    v.extend(common(
        &kept,
        c.authentication_request_extra_params(),
        c.on_unauthenticated_request().map(|b| b.as_str()),
        c.scope(),
        c.session_cookie_name(),
        c.session_timeout(),
    ));
    Value::List(vec![Value::map(v)])
}

pub(crate) fn oidc_value(c: Option<&AuthenticateOidcActionConfig>, keep: &Value) -> Value {
    let Some(c) = c else {
        return Value::List(Vec::new());
    };
    let kept = first(keep, "authenticate_oidc");
    let mut v = vec![
        ("issuer", opt_str(c.issuer())),
        (
            "authorization_endpoint",
            opt_str(c.authorization_endpoint()),
        ),
        ("token_endpoint", opt_str(c.token_endpoint())),
        ("user_info_endpoint", opt_str(c.user_info_endpoint())),
        ("client_id", opt_str(c.client_id())),
        // Never AWS's answer: what state holds (a fingerprint).
        ("client_secret", kept.get_attr("client_secret").clone()),
    ];
    v.extend(common(
        &kept,
        c.authentication_request_extra_params(),
        c.on_unauthenticated_request().map(|b| b.as_str()),
        c.scope(),
        c.session_cookie_name(),
        c.session_timeout(),
    ));
    Value::List(vec![Value::map(v)])
}
