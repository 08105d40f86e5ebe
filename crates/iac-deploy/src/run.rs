//! The interpreter: runs a plan's steps against a cloud.

use std::time::Duration;

use crate::analysis::{Analysis, Metrics};
use crate::release::{Release, Status};
use crate::spec::{CanaryStep, Hook, Spec};
use crate::steps::{Planned, Step};

/// An error from the cloud: what failed and the cloud's words for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub summary: String,
    pub detail: String,
}

impl Error {
    pub fn new(summary: impl Into<String>, detail: impl Into<String>) -> Error {
        Error {
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.detail.is_empty() {
            f.write_str(&self.summary)
        } else {
            write!(f, "{}: {}", self.summary, self.detail)
        }
    }
}

/// Why a run ended before its last step.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The new release failed its health gate: traffic is back on the live
    /// release (it never left, for blue-green) and the new release was removed
    /// unless `rollback.automatic = false`.
    Gate(Error),
    /// The cloud failed a call: the run stopped where it was, and the next run
    /// resumes from there.
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Error(e)
    }
}

/// How many of a release's servers are healthy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Health {
    pub healthy: usize,
    pub total: usize,
    /// The others, as `id: state`.
    pub others: Vec<String>,
}

/// A cloud's servers, grouped by release. Every call can be repeated: a run that
/// stopped halfway is resumed by running the same steps again.
#[async_trait::async_trait]
pub trait Fleet: Send + Sync {
    /// The release's group, made if it is not there yet, with the release's
    /// servers that already run (a stopped run made them) found and in it.
    async fn prepare(&self, release: &str) -> Result<Release, Error>;
    /// The servers of a release that run now.
    async fn servers(&self, release: &str) -> Result<Vec<String>, Error>;
    /// Launches `n` more servers of the release (numbered from `offset`) into its
    /// group; returns when they run.
    async fn launch(
        &self,
        release: &Release,
        n: usize,
        offset: usize,
    ) -> Result<Vec<String>, Error>;
    /// The health of the release's servers (of `only` these, if given).
    async fn health(&self, release: &Release, only: Option<&[String]>) -> Result<Health, Error>;
    /// Takes servers out of the release's group: they get no new requests and
    /// finish those they have. Returns how long the group lets that take (on
    /// AWS, the target group's deregistration delay).
    async fn deregister(&self, release: &Release, servers: &[String]) -> Result<Duration, Error>;
    /// How many of these servers are still finishing their requests.
    async fn draining(&self, release: &Release, servers: &[String]) -> Result<usize, Error>;
    /// Stops servers.
    async fn stop(&self, servers: &[String]) -> Result<(), Error>;
    /// Removes a release: its servers and its group.
    async fn remove(&self, release: &Release) -> Result<(), Error>;
    /// A rolling release replaced all its servers and its group lives on with the
    /// new release: remove whatever else it had (an autoscaling group).
    async fn close(&self, _release: &Release) -> Result<(), Error> {
        Ok(())
    }
}

/// Sends traffic to groups.
#[async_trait::async_trait]
pub trait Router: Send + Sync {
    /// Traffic to groups by percent (one group: all of it); confirmed by reading
    /// it back before returning.
    async fn route(&self, weights: &[(&str, u8)]) -> Result<(), Error>;
    /// The test route (a second listener) to one group: test traffic reaches a
    /// new release before any user does. Only called when the spec has one.
    async fn route_test(&self, group: &str) -> Result<(), Error>;
}

/// Time, which tests drive.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    /// Since the epoch.
    fn now(&self) -> Duration;
    async fn sleep(&self, d: Duration);
}

/// `health.check_url`.
#[async_trait::async_trait]
pub trait Probe: Send + Sync {
    /// Ok on a 2xx answer; else why not.
    async fn get(&self, url: &str) -> Result<(), String>;
}

/// The real clock.
pub struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Duration {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// `check_url` over HTTP/1.0 (http:// URLs).
pub struct HttpProbe;

#[async_trait::async_trait]
impl Probe for HttpProbe {
    async fn get(&self, url: &str) -> Result<(), String> {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || http_body(&url).map(|_| ()))
            .await
            .map_err(|e| e.to_string())?
    }
}

/// GET over HTTP/1.0: the body of a 2xx answer, else why not.
pub(crate) fn http_body(url: &str) -> Result<String, String> {
    use std::io::{Read, Write};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs can be checked"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let mut s = std::net::TcpStream::connect(&addr).map_err(|e| format!("{url}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    // One write: a server that answers after the first bytes must not cut the
    // rest of the request off.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    s.write_all(request.as_bytes())
        .map_err(|e| format!("{url}: {e}"))?;
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    let code: u16 = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if (200..300).contains(&code) {
        let body = buf.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        Ok(body.to_string())
    } else {
        Err(format!("{url} answered {code}"))
    }
}

/// What a run works with.
pub struct Cloud<'a> {
    pub fleet: &'a dyn Fleet,
    pub router: &'a dyn Router,
    pub clock: &'a dyn Clock,
    pub probe: &'a dyn Probe,
    pub metrics: &'a dyn Metrics,
    pub hooks: &'a dyn HookRunner,
}

/// Runs hooks.
#[async_trait::async_trait]
pub trait HookRunner: Send + Sync {
    /// Runs a hook with these variables added to its environment; why it failed.
    async fn run(&self, name: &str, hook: &Hook, env: &[(String, String)]) -> Result<(), String>;
}

/// Hooks as `sh -c` commands on this machine; each line they print goes to
/// `output` as ` (name): line`, and the last lines are in the error of one that fails.
pub struct ShellHooks<'a> {
    pub output: Option<&'a (dyn Fn(&str) + Send + Sync)>,
}

#[async_trait::async_trait]
impl HookRunner for ShellHooks<'_> {
    async fn run(&self, name: &str, hook: &Hook, env: &[(String, String)]) -> Result<(), String> {
        use std::io::BufRead;
        let say = |line: &str| {
            if let Some(out) = self.output {
                out(&format!(" ({name}): {line}"));
            }
        };
        say(&format!("running `{}`", hook.command));
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("exec 2>&1\n{}", hook.command))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped());
        for (k, v) in env.iter().chain(hook.environment.iter()) {
            cmd.env(k, v);
        }
        if let Some(d) = &hook.working_dir {
            cmd.current_dir(d);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot start sh: {e}"))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let deadline = tokio::time::Instant::now() + hook.timeout;
        let mut last: std::collections::VecDeque<String> = std::collections::VecDeque::new();
        let mut remember = |line: String| {
            say(&line);
            last.push_back(line);
            if last.len() > 10 {
                last.pop_front();
            }
        };
        let status = loop {
            tokio::select! {
                Some(line) = rx.recv() => remember(line),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                        break st;
                    }
                    if tokio::time::Instant::now() >= deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(format!("`{}` did not finish within {}", hook.command, hook.timeout_text));
                    }
                }
            }
        };
        // The rest of its output.
        while let Some(line) = rx.recv().await {
            remember(line);
        }
        if status.success() {
            return Ok(());
        }
        let code = status
            .code()
            .map_or_else(|| "was killed".to_string(), |c| format!("exited with {c}"));
        let tail: Vec<String> = last.into_iter().collect();
        Err(if tail.is_empty() {
            format!("`{}` {code}", hook.command)
        } else {
            format!("`{}` {code}: {}", hook.command, tail.join(" / "))
        })
    }
}

/// Runs a plan's steps from the releases in state; the releases to record.
pub async fn run(
    spec: &Spec,
    planned: &Planned,
    prior: &[Release],
    cloud: &Cloud<'_>,
) -> Result<Vec<Release>, Failure> {
    match run_steps(spec, planned, prior, cloud).await {
        Err(Failure::Gate(mut e)) => {
            // A release was rolled back: `on_rollback` hears why.
            if let Some(h) = &spec.hooks.on_rollback {
                let mut env = hook_env(spec, prior, None, "on_rollback");
                env.push(("IAC_ROLLBACK_REASON".into(), e.summary.clone()));
                if let Err(why) = cloud.hooks.run("on_rollback", h, &env).await {
                    e.detail
                        .push_str(&format!("; the on_rollback hook failed: {why}"));
                }
            }
            Err(Failure::Gate(e))
        }
        other => other,
    }
}

/// What a hook is told, in its environment: the deployment, the release, the
/// one live before it, the release's group and servers.
fn hook_env(
    spec: &Spec,
    releases: &[Release],
    r: Option<&Release>,
    hook: &str,
) -> Vec<(String, String)> {
    let live = releases
        .iter()
        .find(|x| x.status == Status::Live && r.is_none_or(|r| r.id != x.id));
    let strategy = match spec.strategy {
        crate::Strategy::BlueGreen => "blue_green",
        crate::Strategy::Canary { .. } => "canary",
        crate::Strategy::Rolling { .. } => "rolling",
    };
    vec![
        ("IAC_HOOK".into(), hook.into()),
        ("IAC_DEPLOYMENT".into(), spec.name.clone()),
        ("IAC_STRATEGY".into(), strategy.into()),
        (
            "IAC_RELEASE".into(),
            r.map(|r| r.id.clone()).unwrap_or_default(),
        ),
        (
            "IAC_PREVIOUS_RELEASE".into(),
            live.map(|l| l.id.clone()).unwrap_or_default(),
        ),
        (
            "IAC_TARGET_GROUP".into(),
            r.map(|r| r.group.clone()).unwrap_or_default(),
        ),
        (
            "IAC_SERVERS".into(),
            r.map(|r| r.servers.join(",")).unwrap_or_default(),
        ),
    ]
}

async fn run_steps(
    spec: &Spec,
    planned: &Planned,
    prior: &[Release],
    cloud: &Cloud<'_>,
) -> Result<Vec<Release>, Failure> {
    let mut releases: Vec<Release> = prior.to_vec();
    let mut new: Option<Release> = None;
    for step in &planned.steps {
        match step {
            Step::Retire { release, .. } => {
                if let Some(i) = releases.iter().position(|r| r.id == *release) {
                    cloud.fleet.remove(&releases[i]).await?;
                    releases.remove(i);
                }
            }
            Step::Launch { release, count, .. } => {
                let mut r = cloud.fleet.prepare(release).await?;
                if r.servers.len() < *count {
                    let have = r.servers.len();
                    let more = cloud.fleet.launch(&r, count - have, have).await?;
                    r.servers.extend(more);
                }
                r.servers.sort();
                new = Some(r);
            }
            Step::AwaitHealthy { .. } => {
                let r = candidate(&new)?;
                if let Err(why) = gate(spec, cloud, r, None).await {
                    return Err(reject(spec, cloud, &releases, r, why).await?);
                }
            }
            Step::Analyse { .. } => {
                let r = candidate(&new)?;
                if let Some(a) = &spec.analysis {
                    if let Err(why) = analyse(a, cloud, r).await {
                        return Err(reject(spec, cloud, &releases, r, why).await?);
                    }
                }
            }
            Step::Shift {
                from,
                steps,
                from_step,
                ..
            } => {
                let r = candidate(&new)?;
                if let Some(paused) =
                    shift(spec, cloud, &mut releases, r, from, steps, *from_step).await?
                {
                    return Ok(paused);
                }
            }
            Step::TestRoute { .. } => {
                let r = candidate(&new)?;
                cloud.router.route_test(&r.group).await?;
            }
            Step::Hook { name, release, .. } => {
                hook(spec, cloud, &releases, new.as_ref(), name, release).await?;
            }
            Step::Resume { release } => {
                let r = releases
                    .iter()
                    .find(|x| x.id == *release && x.status == Status::Paused)
                    .cloned()
                    .ok_or_else(|| {
                        Failure::Error(Error::new(format!("Release {release} is not paused"), ""))
                    })?;
                new = Some(r);
            }
            Step::Abort { release, live } => {
                if let Some(i) = releases.iter().position(|x| x.id == *release) {
                    let live_group = group_of(&releases, live)?;
                    cloud.router.route(&[(live_group.as_str(), 100)]).await?;
                    cloud.fleet.remove(&releases[i]).await?;
                    releases.remove(i);
                    for x in releases.iter_mut().filter(|x| x.id == *live) {
                        x.weight = 100;
                    }
                }
            }
            Step::Flip { to, .. } => {
                let r = candidate(&new)?;
                debug_assert_eq!(r.id, *to);
                cloud.router.route(&[(r.group.as_str(), 100)]).await?;
            }
            Step::Keep { release, until } => {
                for r in releases.iter_mut().filter(|r| r.id == *release) {
                    r.status = Status::Previous;
                    r.keep_until = iac_value::time::rfc3339(*until);
                    r.weight = 0;
                }
            }
            Step::Replace {
                from, to, batch, ..
            } => {
                let r = replace(spec, cloud, &releases, from, to, *batch).await?;
                releases.retain(|x| x.id != *from);
                new = Some(r);
            }
        }
    }
    if let Some(mut r) = new {
        // Whatever was live and not kept (a first release has none) is not any more.
        releases.retain(|x| x.id != r.id);
        r.status = Status::Live;
        r.weight = 100;
        releases.push(r);
    }
    Ok(releases)
}

/// A new release that failed before it got traffic: removed (or, with
/// `rollback.automatic = false`, left for inspection); the failure says which.
async fn reject(
    spec: &Spec,
    cloud: &Cloud<'_>,
    releases: &[Release],
    r: &Release,
    why: String,
) -> Result<Failure, Error> {
    let extra = if spec.automatic_rollback {
        discard(spec, cloud, releases, r).await?;
        format!("release {} was removed; ", r.id)
    } else {
        format!(
            "release {} was left in place for inspection (rollback.automatic = false); ",
            r.id
        )
    };
    Ok(rolled_back(spec, why, &extra))
}

/// Removes a release that failed. A test listener sending to it goes back to
/// the live release first (a target group in use cannot be deleted).
async fn discard(
    spec: &Spec,
    cloud: &Cloud<'_>,
    releases: &[Release],
    r: &Release,
) -> Result<(), Error> {
    if spec.test_route {
        if let Some(live) = releases
            .iter()
            .find(|x| x.status == Status::Live && x.id != r.id)
        {
            cloud.router.route_test(&live.group).await?;
        }
    }
    cloud.fleet.remove(r).await
}

/// A canary's traffic steps from `from` to the new release `r`, each watched
/// (and analysed); a pause without a duration stops here with the releases as
/// state records them (`Some`). A failed check sends traffic back.
async fn shift(
    spec: &Spec,
    cloud: &Cloud<'_>,
    releases: &mut Vec<Release>,
    r: &Release,
    from: &str,
    steps: &[CanaryStep],
    from_step: usize,
) -> Result<Option<Vec<Release>>, Failure> {
    let old = group_of(releases, from)?;
    let hold = match &spec.strategy {
        crate::Strategy::Canary { interval, .. } => *interval,
        _ => Duration::ZERO,
    };
    let mut bg = spec
        .analysis
        .as_ref()
        .filter(|a| a.background)
        .map(|a| Background::new(a, cloud.clock.now()));
    // The share on the new release (after a pause, what the pause left).
    let mut w = releases
        .iter()
        .find(|x| x.id == r.id)
        .map_or(0, |x| x.weight);
    for (i, step) in steps.iter().enumerate().skip(from_step) {
        let wait = match step {
            CanaryStep::Weight(p) if *p >= 100 => continue,
            CanaryStep::Weight(p) => {
                w = *p;
                cloud
                    .router
                    .route(&[(old.as_str(), 100 - w), (r.group.as_str(), w)])
                    .await?;
                hold
            }
            CanaryStep::Pause(Some((d, _))) => *d,
            CanaryStep::Pause(None) => {
                // Stopped until `iac promote`: the state records where.
                let mut paused = r.clone();
                paused.status = Status::Paused;
                paused.weight = w;
                paused.step = i + 1;
                releases.retain(|x| x.id != paused.id);
                for x in releases.iter_mut().filter(|x| x.id == *from) {
                    x.weight = 100 - w;
                }
                releases.push(paused);
                return Ok(Some(releases.clone()));
            }
        };
        let checked = match watch(spec, cloud, r, wait, bg.as_mut()).await {
            Ok(()) if matches!(step, CanaryStep::Weight(_)) => match &spec.analysis {
                Some(a) if !a.background => analyse(a, cloud, r).await,
                _ => Ok(()),
            },
            other => other,
        };
        if let Err(why) = checked {
            cloud.router.route(&[(old.as_str(), 100)]).await?;
            if spec.automatic_rollback {
                discard(spec, cloud, releases, r).await?;
            }
            let extra = format!("traffic was at {w}% on {} and went back; ", r.id);
            return Err(rolled_back(spec, why, &extra));
        }
    }
    cloud.router.route(&[(r.group.as_str(), 100)]).await?;
    Ok(None)
}

/// A hook of the release; when it fails, the release is rolled back as far as
/// traffic has moved (removed before traffic, traffic sent back after).
async fn hook(
    spec: &Spec,
    cloud: &Cloud<'_>,
    releases: &[Release],
    new: Option<&Release>,
    name: &str,
    release: &str,
) -> Result<(), Failure> {
    let Some(h) = spec.hooks.get(name) else {
        return Ok(());
    };
    // A rolling release's servers do not exist before its first batch.
    let placeholder = Release::candidate(release, cloud.clock.now().as_secs());
    let r = new.unwrap_or(&placeholder);
    let env = hook_env(spec, releases, Some(r), name);
    let Err(why) = cloud.hooks.run(name, h, &env).await else {
        return Ok(());
    };
    let why = format!("the {name} hook failed: {why}");
    let live = releases
        .iter()
        .find(|x| x.status == Status::Live && x.id != r.id)
        .cloned();
    let traffic_moved = name == "post_traffic";
    match (traffic_moved, live) {
            (false, _) => {
                // No traffic has moved yet.
                let extra = if spec.automatic_rollback && new.is_some() {
                    discard(spec, cloud, releases, r).await?;
                    format!("release {} was removed; ", r.id)
                } else {
                    String::new()
                };
                Err(rolled_back(spec, why, &extra))
            }
            (true, Some(old)) if !matches!(spec.strategy, crate::Strategy::Rolling { .. }) => {
                cloud.router.route(&[(old.group.as_str(), 100)]).await?;
                let extra = if spec.automatic_rollback {
                    discard(spec, cloud, releases, r).await?;
                    format!("traffic went back to {} and release {} was removed; ", old.id, r.id)
                } else {
                    format!("traffic went back to {}; ", old.id)
                };
                Err(rolled_back(spec, why, &extra))
            }
            _ => Err(Failure::Error(Error::new(
                format!("Deployment {}: {why}", spec.name),
                format!(
                    "release {} has all the traffic and there is no previous release to send it back to; the next apply runs the hook again",
                    r.id
                ),
            ))),
        }
}

fn candidate(new: &Option<Release>) -> Result<&Release, Failure> {
    new.as_ref().ok_or_else(|| {
        Failure::Error(Error::new(
            "A step needs the new release before it is made",
            "the plan's steps are out of order",
        ))
    })
}

fn group_of(releases: &[Release], id: &str) -> Result<String, Failure> {
    releases
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.group.clone())
        .ok_or_else(|| Failure::Error(Error::new(format!("Release {id} is not in state"), "")))
}

fn rolled_back(spec: &Spec, why: String, extra: &str) -> Failure {
    Failure::Gate(Error::new(
        format!("Deployment {} rolled back: {why}", spec.name),
        format!("{extra}traffic stayed on the live release; the state is unchanged"),
    ))
}

/// Rolling: new servers join the live release's group `batch` at a time, each
/// batch healthy before as many old servers leave.
async fn replace(
    spec: &Spec,
    cloud: &Cloud<'_>,
    releases: &[Release],
    from: &str,
    to: &str,
    batch: usize,
) -> Result<Release, Failure> {
    let old = releases
        .iter()
        .find(|r| r.id == from)
        .ok_or_else(|| Failure::Error(Error::new(format!("Release {from} is not in state"), "")))?;
    let mut new = Release::candidate(to, cloud.clock.now().as_secs());
    new.group = old.group.clone();
    new.servers = cloud.fleet.servers(to).await?;
    let mut remaining_old: Vec<String> = old
        .servers
        .iter()
        .filter(|s| !new.servers.contains(s))
        .cloned()
        .collect();
    // Servers a stopped run launched pass the gate before they count.
    if !new.servers.is_empty() {
        let found = new.servers.clone();
        if let Err(why) = gate(spec, cloud, &new, Some(&found)).await {
            if spec.automatic_rollback {
                retire(cloud, &new, &found).await?;
            }
            return Err(rolled_back(spec, why, "the old servers were kept; "));
        }
    }
    let batch = batch.max(1);
    let mut bg = spec
        .analysis
        .as_ref()
        .filter(|a| a.background)
        .map(|a| Background::new(a, cloud.clock.now()));
    while new.servers.len() < spec.count || !remaining_old.is_empty() {
        let add = batch.min(spec.count.saturating_sub(new.servers.len()));
        let launched = if add > 0 {
            cloud.fleet.launch(&new, add, new.servers.len()).await?
        } else {
            Vec::new()
        };
        let checked = if launched.is_empty() {
            // Nothing new this round: the old servers left over go.
            Ok(())
        } else {
            match gate(spec, cloud, &new, Some(&launched)).await {
                Ok(()) => match (&spec.analysis, bg.as_mut()) {
                    (_, Some(b)) => b.tick(cloud, &new).await,
                    (Some(a), None) => analyse(a, cloud, &new).await,
                    (None, None) => Ok(()),
                },
                Err(why) => Err(why),
            }
        };
        if let Err(why) = checked {
            if spec.automatic_rollback {
                // Only the servers of this batch go; the old ones still serve.
                retire(cloud, &new, &launched).await?;
            }
            return Err(rolled_back(spec, why, "the old servers were kept; "));
        }
        new.servers.extend(launched);
        let leave: Vec<String> = remaining_old
            .drain(..batch.min(remaining_old.len()))
            .collect();
        if !leave.is_empty() {
            retire(cloud, old, &leave).await?;
        }
    }
    cloud.fleet.close(old).await?;
    new.servers.sort();
    Ok(new)
}

/// Holds a share of traffic for `d`, the health gate checked throughout.
async fn watch(
    spec: &Spec,
    cloud: &Cloud<'_>,
    r: &Release,
    d: Duration,
    mut bg: Option<&mut Background>,
) -> Result<(), String> {
    let until = cloud.clock.now() + d;
    loop {
        gate(spec, cloud, r, None).await?;
        if let Some(b) = bg.as_deref_mut() {
            b.tick(cloud, r).await?;
        }
        let now = cloud.clock.now();
        if now >= until {
            return Ok(());
        }
        let mut wait = spec.gate.interval.min(until - now);
        if let Some(b) = bg.as_deref() {
            wait = wait.min(b.next.saturating_sub(now).max(Duration::from_millis(1)));
        }
        cloud.clock.sleep(wait).await;
    }
}

/// An analysis with `background = true`: measured every `interval` from the
/// moment traffic first reaches the release until the rollout's last step;
/// failures add up over the whole rollout.
struct Background {
    a: Analysis,
    next: Duration,
    failed: usize,
    taken: usize,
    seen: Vec<Vec<String>>,
}

impl Background {
    fn new(a: &Analysis, now: Duration) -> Background {
        Background {
            a: a.clone(),
            next: now,
            failed: 0,
            taken: 0,
            seen: vec![Vec::new(); a.metrics.len()],
        }
    }

    /// A measurement, if one is due; the error names what failed.
    async fn tick(&mut self, cloud: &Cloud<'_>, r: &Release) -> Result<(), String> {
        let now = cloud.clock.now();
        if now < self.next {
            return Ok(());
        }
        self.next = now + self.a.interval;
        self.taken += 1;
        let mut bad = Vec::new();
        for (k, m) in self.a.metrics.iter().enumerate() {
            let (text, ok) = measure(cloud, m, r).await;
            self.seen[k].push(text);
            if !ok {
                bad.push(k);
            }
        }
        if bad.is_empty() {
            return Ok(());
        }
        self.failed += 1;
        if self.failed <= self.a.failure_limit {
            return Ok(());
        }
        Err(failed_analysis(
            &self.a,
            r,
            &bad,
            &self.seen,
            self.failed,
            self.taken,
        ))
    }
}

/// One measurement of one metric: how it reads, and whether it passed.
async fn measure(cloud: &Cloud<'_>, m: &crate::analysis::Metric, r: &Release) -> (String, bool) {
    match cloud.metrics.measure(&m.source, r).await {
        Ok(Some(v)) => (format_value(v), m.threshold.holds(v)),
        Ok(None) => ("no data".into(), m.no_data_passes),
        Err(e) => (format!("error ({e})"), false),
    }
}

fn failed_analysis(
    a: &Analysis,
    r: &Release,
    bad: &[usize],
    seen: &[Vec<String>],
    failed: usize,
    taken: usize,
) -> String {
    let which: Vec<String> = bad
        .iter()
        .map(|k| {
            let m = &a.metrics[*k];
            format!(
                "{} ({}) gave {} against {}",
                m.name,
                crate::analysis::expand(&m.source.to_string(), r),
                seen[*k].join(", "),
                m.threshold.text
            )
        })
        .collect();
    format!(
        "analysis of release {} failed {failed} of {taken} measurement{} ({} allowed): {}",
        r.id,
        if taken == 1 { "" } else { "s" },
        a.failure_limit,
        which.join("; ")
    )
}

/// `iac promote`: a canary paused until promoted goes on from its pause.
pub async fn promote(
    spec: &Spec,
    prior: &[Release],
    cloud: &Cloud<'_>,
) -> Result<Vec<Release>, Failure> {
    let planned = crate::steps::plan_promotion(spec, prior, cloud.clock.now().as_secs())
        .map_err(|why| Failure::Error(Error::new("Nothing to promote", why)))?;
    run(spec, &planned, prior, cloud).await
}

/// `iac abort`: a paused canary's traffic goes back to the live release and the
/// canary is removed; it is recorded as rolled back (kept in the list for
/// `keep`), so the next apply does not release it again.
pub async fn abort(
    keep: Duration,
    prior: &[Release],
    cloud: &Cloud<'_>,
) -> Result<Vec<Release>, Error> {
    let paused = prior
        .iter()
        .find(|r| r.status == Status::Paused)
        .ok_or_else(|| {
            Error::new(
                "Nothing to abort",
                "no release is paused: abort stops a canary stopped at a `pause` step",
            )
        })?;
    let live = prior
        .iter()
        .find(|r| r.status == Status::Live)
        .ok_or_else(|| Error::new("The paused release has no live release beside it", ""))?;
    cloud.router.route(&[(live.group.as_str(), 100)]).await?;
    cloud.fleet.remove(paused).await?;
    let keep_until = iac_value::time::rfc3339((cloud.clock.now() + keep).as_secs());
    let mut out = prior.to_vec();
    for r in out.iter_mut() {
        if r.id == paused.id {
            r.status = Status::RolledBack;
            r.keep_until = keep_until.clone();
            r.weight = 0;
            r.servers.clear();
        } else if r.id == live.id {
            r.weight = 100;
        }
    }
    Ok(out)
}

/// Measures every metric of the analysis `count` times, `interval` apart; more
/// failed measurements than `failure_limit` fail it, and the error names each
/// metric that failed, its source, the values it gave and its threshold.
async fn analyse(a: &Analysis, cloud: &Cloud<'_>, r: &Release) -> Result<(), String> {
    let mut seen: Vec<Vec<String>> = vec![Vec::new(); a.metrics.len()];
    let mut bad: Vec<bool> = vec![false; a.metrics.len()];
    let mut failed = 0;
    for i in 0..a.count {
        if i > 0 {
            cloud.clock.sleep(a.interval).await;
        }
        let mut this_failed = false;
        for (k, m) in a.metrics.iter().enumerate() {
            let (text, ok) = measure(cloud, m, r).await;
            seen[k].push(text);
            if !ok {
                bad[k] = true;
                this_failed = true;
            }
        }
        if this_failed {
            failed += 1;
            if failed > a.failure_limit {
                let which: Vec<usize> = (0..a.metrics.len()).filter(|k| bad[*k]).collect();
                return Err(failed_analysis(a, r, &which, &seen, failed, i + 1));
            }
        }
    }
    Ok(())
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Takes servers out of their group, waits until they have finished their
/// requests (no longer than the group allows), then stops them: no request is cut.
async fn retire(cloud: &Cloud<'_>, r: &Release, servers: &[String]) -> Result<(), Error> {
    if servers.is_empty() {
        return Ok(());
    }
    let limit = cloud.fleet.deregister(r, servers).await?;
    let deadline = cloud.clock.now() + limit;
    loop {
        if cloud.fleet.draining(r, servers).await? == 0 {
            break;
        }
        let now = cloud.clock.now();
        if now >= deadline {
            // The group stops sending to them now anyway.
            break;
        }
        cloud.clock.sleep(DRAIN_POLL.min(deadline - now)).await;
    }
    cloud.fleet.stop(servers).await
}

/// How often draining servers are checked on.
const DRAIN_POLL: Duration = Duration::from_secs(2);

/// Waits for a release (or some of its servers) to pass the health gate; the
/// error says why it did not.
async fn gate(
    spec: &Spec,
    cloud: &Cloud<'_>,
    r: &Release,
    only: Option<&[String]>,
) -> Result<(), String> {
    let g = &spec.gate;
    let total = only.map_or(r.servers.len(), <[String]>::len);
    let needed = match only {
        Some(ids) => ids.len(),
        None => g.healthy.needed(total),
    };
    let deadline = cloud.clock.now() + g.timeout;
    loop {
        let h = cloud
            .fleet
            .health(r, only)
            .await
            .map_err(|e| e.to_string())?;
        let url = match &g.check_url {
            Some(u) => cloud.probe.get(u).await,
            None => Ok(()),
        };
        if h.healthy >= needed && url.is_ok() {
            return Ok(());
        }
        if cloud.clock.now() + g.interval > deadline {
            let mut why = match only {
                None => format!(
                    "release {} did not pass its health gate within {}: {} of {total} targets healthy, {needed} needed",
                    r.id, g.timeout_text, h.healthy
                ),
                Some(_) => format!(
                    "new servers of release {} were not healthy in time ({})",
                    r.id,
                    h.others.join(", ")
                ),
            };
            if only.is_none() && !h.others.is_empty() {
                why.push_str(&format!(" ({})", h.others.join(", ")));
            }
            if let Err(u) = url {
                why.push_str(&format!("; {u}"));
            }
            return Err(why);
        }
        cloud.clock.sleep(g.interval).await;
    }
}

/// `iac rollback`: traffic goes back to the newest kept previous release, if it
/// is wholly healthy; the live one becomes `rolled_back`, kept for `keep`.
pub async fn rollback(
    keep: Duration,
    prior: &[Release],
    cloud: &Cloud<'_>,
) -> Result<Vec<Release>, Error> {
    let Some(prev) = prior
        .iter()
        .filter(|r| r.status == Status::Previous)
        .max_by(|a, b| a.created.cmp(&b.created))
        .cloned()
    else {
        return Err(Error::new(
            "There is no previous release to roll back to",
            "a previous release is kept for rollback.keep_previous after a blue_green or canary release (rolling releases replace servers in place)",
        ));
    };
    let h = cloud.fleet.health(&prev, None).await?;
    if h.healthy == 0 || h.healthy < h.total {
        return Err(Error::new(
            format!("The previous release {} is not healthy", prev.id),
            format!(
                "{} of {} targets healthy: traffic is not moved to it",
                h.healthy, h.total
            ),
        ));
    }
    cloud.router.route(&[(prev.group.as_str(), 100)]).await?;
    let keep_until = iac_value::time::rfc3339((cloud.clock.now() + keep).as_secs());
    let mut out = prior.to_vec();
    for r in out.iter_mut() {
        if r.status == Status::Live {
            r.status = Status::RolledBack;
            r.keep_until = keep_until.clone();
            r.weight = 0;
        } else if r.id == prev.id {
            r.status = Status::Live;
            r.keep_until = String::new();
            r.weight = 100;
        }
    }
    Ok(out)
}
