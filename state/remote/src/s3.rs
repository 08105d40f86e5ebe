//! The S3 backend: the state is one object, written with `If-Match` on the ETag
//! this run last saw (or `If-None-Match: *` when there was none); the lock is
//! a second object, `<key>.tflock`, created with `If-None-Match: *`.

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use iac_state::{Backend, LockInfo, State, StateError};

use crate::{Bridge, Remote, Store};

/// The settings of `backend "s3" { ... }` that iac uses.
#[derive(Clone, Debug, Default)]
pub struct S3Config {
    pub bucket: String,
    pub key: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub use_path_style: Option<bool>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub profile: Option<String>,
    pub workspace_key_prefix: Option<String>,
    pub use_lockfile: bool,
}

impl S3Config {
    /// The object key for a workspace, as Terraform lays it out.
    pub fn object_key(&self, workspace: &str) -> String {
        if workspace == "default" {
            self.key.clone()
        } else {
            let prefix = self.workspace_key_prefix.as_deref().unwrap_or("env:");
            format!("{prefix}/{workspace}/{}", self.key)
        }
    }
}

pub struct S3Backend;

impl S3Backend {
    /// Connects (lazily: no request is made until the state is used).
    pub fn open(
        config: &S3Config,
        workspace: &str,
        cipher: Option<iac_state::StateCipher>,
    ) -> Result<Box<dyn Backend>, StateError> {
        let bridge = Bridge::new()?;
        let cfg = config.clone();
        let client = bridge.run(async move { client(&cfg).await })??;
        Ok(Box::new(Remote::new(
            S3Store {
                bridge: Arc::new(bridge),
                client,
                bucket: config.bucket.clone(),
                key: config.object_key(workspace),
                use_lockfile: config.use_lockfile,
            },
            cipher,
        )))
    }
}

async fn client(cfg: &S3Config) -> Result<aws_sdk_s3::Client, StateError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5));
    if let Some(r) = cfg.region.as_ref().filter(|r| !r.is_empty()) {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(p) = &cfg.profile {
        loader = loader.profile_name(p);
    }
    if let (Some(a), Some(s)) = (&cfg.access_key, &cfg.secret_key) {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            a.clone(),
            s.clone(),
            None,
            None,
            "backend configuration",
        ));
    } else {
        // Environment and profile only: no instance-metadata probing, which
        // costs seconds off EC2.
        let mut profile = aws_config::profile::ProfileFileCredentialsProvider::builder();
        if let Some(p) = &cfg.profile {
            profile = profile.profile_name(p);
        }
        let chain = aws_config::meta::credentials::CredentialsProviderChain::first_try(
            "environment",
            aws_config::environment::credentials::EnvironmentVariableCredentialsProvider::new(),
        )
        .or_else("profile", profile.build());
        if chain.provide_credentials().await.is_err() {
            return Err(StateError::Remote(
                "the S3 backend found no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), or access_key/secret_key in the backend configuration".into(),
            ));
        }
        loader = loader.credentials_provider(chain);
    }
    let mut path_style = cfg.use_path_style.unwrap_or(false);
    if let Some(e) = &cfg.endpoint {
        loader = loader.endpoint_url(e);
        // Virtual-hosted addressing cannot work against an IP address or localhost.
        if cfg.use_path_style.is_none() {
            let host = e
                .split("://")
                .nth(1)
                .unwrap_or(e)
                .split([':', '/'])
                .next()
                .unwrap_or("");
            path_style = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok();
        }
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(StateError::Remote(
            "the S3 backend needs a region: set `region` in the backend block, or AWS_REGION"
                .into(),
        ));
    }
    let conf = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(path_style)
        .build();
    Ok(aws_sdk_s3::Client::from_conf(conf))
}

struct S3Store {
    bridge: Arc<Bridge>,
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    use_lockfile: bool,
}

fn status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

fn describe_err<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    what: &str,
    e: &SdkError<E, R>,
) -> StateError {
    let msg = match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("error"),
                err.message().unwrap_or("(no message)")
            )
        }
        SdkError::DispatchFailure(d) => format!("cannot connect: {d:?}"),
        SdkError::TimeoutError(_) => "the request timed out".into(),
        other => format!("{other:?}"),
    };
    StateError::Remote(format!("{what}: {msg}"))
}

impl S3Store {
    fn lock_key(&self) -> String {
        format!("{}.tflock", self.key)
    }

    fn get_object(&self, key: String) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let c = self.client.clone();
        let bucket = self.bucket.clone();
        let what = format!("reading s3://{}/{key}", self.bucket);
        self.bridge.run(async move {
            match c.get_object().bucket(bucket).key(key).send().await {
                Ok(out) => {
                    let etag = out.e_tag().unwrap_or_default().to_string();
                    let bytes = out
                        .body
                        .collect()
                        .await
                        .map_err(|e| StateError::Remote(format!("{what}: {e}")))?
                        .into_bytes()
                        .to_vec();
                    Ok(Some((bytes, etag)))
                }
                Err(e) => {
                    if e.as_service_error().is_some_and(|s| s.is_no_such_key())
                        || status(&e) == Some(404)
                    {
                        Ok(None)
                    } else {
                        Err(describe_err(&what, &e))
                    }
                }
            }
        })?
    }

    fn delete_object(&self, key: String) -> Result<(), StateError> {
        let c = self.client.clone();
        let bucket = self.bucket.clone();
        let what = format!("deleting s3://{}/{key}", self.bucket);
        self.bridge.run(async move {
            c.delete_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| describe_err(&what, &e))
        })?
    }
}

impl Store for S3Store {
    fn describe(&self) -> String {
        format!("S3 state s3://{}/{}", self.bucket, self.key)
    }

    fn get(&self) -> Result<Option<(Vec<u8>, String)>, StateError> {
        self.get_object(self.key.clone())
    }

    fn put(
        &self,
        bytes: Vec<u8>,
        expected: Option<&str>,
        _state: &State,
    ) -> Result<String, StateError> {
        let c = self.client.clone();
        let bucket = self.bucket.clone();
        let key = self.key.clone();
        let expected = expected.map(str::to_string);
        let describe = self.describe();
        let what = format!("writing s3://{}/{}", self.bucket, self.key);
        self.bridge.run(async move {
            let mut req = c
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(bytes));
            req = match &expected {
                Some(etag) => req.if_match(etag),
                None => req.if_none_match("*"),
            };
            match req.send().await {
                Ok(out) => Ok(out.e_tag().unwrap_or_default().to_string()),
                Err(e) if matches!(status(&e), Some(412) | Some(409)) => {
                    Err(StateError::Conflict(describe))
                }
                Err(e) => Err(describe_err(&what, &e)),
            }
        })?
    }

    fn try_lock(
        &self,
        info: &LockInfo,
    ) -> Result<Result<Box<dyn FnOnce() + Send>, LockInfo>, StateError> {
        if !self.use_lockfile {
            return Ok(Ok(Box::new(|| {})));
        }
        let body = serde_json::to_vec_pretty(info).unwrap_or_default();
        let c = self.client.clone();
        let bucket = self.bucket.clone();
        let key = self.lock_key();
        let what = format!("creating the lock s3://{}/{key}", self.bucket);
        let created = self.bridge.run(async move {
            match c
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .if_none_match("*")
                .body(ByteStream::from(body))
                .send()
                .await
            {
                Ok(_) => Ok(true),
                Err(e) if matches!(status(&e), Some(412) | Some(409)) => Ok(false),
                Err(e) => Err(describe_err(&what, &e)),
            }
        })??;
        // Read back: a store whose conditional create is not atomic (moto's checks
        // and then writes; some S3-compatible servers too) can let two writers
        // "create" the lock. The object holds the last writer's id: only that
        // writer goes on, the other waits as for any held lock.
        let created = created
            && match self.get_object(self.lock_key())? {
                Some((bytes, _)) => {
                    serde_json::from_slice::<LockInfo>(&bytes).is_ok_and(|held| held.id == info.id)
                }
                None => false,
            };
        if created {
            let me = S3Store {
                bridge: self.bridge.clone(),
                client: self.client.clone(),
                bucket: self.bucket.clone(),
                key: self.key.clone(),
                use_lockfile: true,
            };
            let id = info.id.clone();
            return Ok(Ok(Box::new(move || {
                // Remove the lock only if it is still ours.
                if let Ok(Some((bytes, _))) = me.get_object(me.lock_key()) {
                    let held: Option<LockInfo> = serde_json::from_slice(&bytes).ok();
                    if held.is_some_and(|h| h.id == id) {
                        let _ = me.delete_object(me.lock_key());
                    }
                }
            })));
        }
        let holder = match self.get_object(self.lock_key())? {
            Some((bytes, _)) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| LockInfo::unknown(&self.describe())),
            // Released between our attempt and this read: report it as held
            // once; the caller tries again.
            None => LockInfo::unknown(&self.describe()),
        };
        Ok(Err(holder))
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let Some((bytes, _)) = self.get_object(self.lock_key())? else {
            return Err(StateError::Refused("the state is not locked".into()));
        };
        if let Ok(held) = serde_json::from_slice::<LockInfo>(&bytes) {
            if held.id != id {
                return Err(StateError::LockIdMismatch {
                    given: id.to_string(),
                    held: held.id,
                });
            }
        }
        self.delete_object(self.lock_key())
    }
}
