//! A cloud in memory, for tests of strategies (here and in providers): servers
//! grouped by release, a router with weights, a clock that moves only when
//! slept on, and failures injected at any call.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use crate::release::Release;
use crate::run::{Clock, Error, Fleet, Health, Probe, Router};

/// A hook that ran: its name, its environment, and the weights at the time.
pub type HookRun = (String, BTreeMap<String, String>, Vec<(String, u8)>);

#[derive(Clone, Debug)]
struct Server {
    release: String,
    /// In its release's group.
    registered: bool,
    running: bool,
    /// Finishing its requests until then, after leaving its group.
    draining_until: Option<Duration>,
}

#[derive(Default)]
struct Inner {
    groups: BTreeMap<String, String>,
    servers: BTreeMap<String, Server>,
    /// Releases whose servers are unhealthy from a time on.
    unhealthy: BTreeMap<String, Duration>,
    weights: Vec<(String, u8)>,
    routes: Vec<Vec<(String, u8)>>,
    calls: Vec<String>,
    fail_at: Option<usize>,
    changes: usize,
    now: Duration,
    next: usize,
    lowest_serving: Option<usize>,
    drain: Duration,
    /// Servers stopped while they still had requests.
    cut: Vec<String>,
    /// Values metrics give, by source text (`{release}` expanded), in turn; the
    /// last repeats. A missing one has no data.
    metrics: BTreeMap<String, Vec<f64>>,
    measured: Vec<String>,
    /// Hooks run: name and environment, and the weights when each ran.
    hooks: Vec<HookRun>,
    test_route: Option<String>,
}

impl Inner {
    /// Counts a call that changes something; the injected failure comes after
    /// the change is made (the cloud did it, the caller never heard).
    fn change(&mut self, call: String) -> Result<(), Error> {
        self.calls.push(call.clone());
        let n = self.changes;
        self.changes += 1;
        self.note_serving();
        if self.fail_at == Some(n) {
            return Err(Error::new("Injected failure", call));
        }
        Ok(())
    }

    fn healthy(&self, id: &str) -> bool {
        self.servers.get(id).is_some_and(|s| {
            s.running
                && s.registered
                && self
                    .unhealthy
                    .get(&s.release)
                    .is_none_or(|at| self.now < *at)
        })
    }

    /// Healthy servers in the groups that get traffic, lowest seen since traffic
    /// first flowed.
    fn note_serving(&mut self) {
        if self.weights.is_empty() {
            return;
        }
        let serving: BTreeSet<&str> = self
            .weights
            .iter()
            .filter(|(_, w)| *w > 0)
            .map(|(g, _)| g.as_str())
            .collect();
        let n = self
            .servers
            .iter()
            .filter(|(id, s)| {
                self.groups
                    .get(&s.release)
                    .is_some_and(|g| serving.contains(g.as_str()))
                    && self.healthy(id)
            })
            .count();
        self.lowest_serving = Some(self.lowest_serving.map_or(n, |l| l.min(n)));
    }
}

/// The cloud. Groups are named `tg-<release>`; a rolling release's servers join
/// the group of the release they replace.
#[derive(Default)]
pub struct FakeCloud {
    inner: Mutex<Inner>,
}

impl FakeCloud {
    pub fn new() -> FakeCloud {
        let c = FakeCloud::default();
        c.lock().now = Duration::from_secs(1_800_000_000);
        c
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `n`-th call that changes something (from 0) fails after making its change.
    pub fn fail_at(&self, n: Option<usize>) {
        let mut i = self.lock();
        i.fail_at = n;
        i.changes = 0;
    }

    /// Servers of this release are never healthy.
    pub fn make_unhealthy(&self, release: &str) {
        self.make_unhealthy_after(release, Duration::ZERO);
    }

    /// Servers of this release turn unhealthy once `after` has passed.
    pub fn make_unhealthy_after(&self, release: &str, after: Duration) {
        let mut i = self.lock();
        let at = i.now + after;
        i.unhealthy.insert(release.to_string(), at);
    }

    /// Calls that changed something, in order.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// Every routing, in order.
    pub fn routes(&self) -> Vec<Vec<(String, u8)>> {
        self.lock().routes.clone()
    }

    /// The weights now.
    pub fn weights(&self) -> Vec<(String, u8)> {
        self.lock().weights.clone()
    }

    /// Running servers of a release.
    pub fn running(&self, release: &str) -> usize {
        self.lock()
            .servers
            .values()
            .filter(|s| s.running && s.release == release)
            .count()
    }

    /// Every running server.
    pub fn running_total(&self) -> usize {
        self.lock().servers.values().filter(|s| s.running).count()
    }

    /// How long servers leaving a group take to finish their requests.
    pub fn set_drain(&self, d: Duration) {
        self.lock().drain = d;
    }

    /// Servers stopped while they were still in a group or finishing requests.
    pub fn cut(&self) -> Vec<String> {
        self.lock().cut.clone()
    }

    /// The values a metric gives, one per measurement (the last repeats).
    pub fn set_metric(&self, source: &str, values: &[f64]) {
        self.lock()
            .metrics
            .insert(source.to_string(), values.to_vec());
    }

    /// Every measurement, as `source@time`.
    pub fn measured(&self) -> Vec<String> {
        self.lock().measured.clone()
    }

    /// Hooks run, in order: name, environment, and the weights when it ran.
    pub fn hooks_run(&self) -> Vec<HookRun> {
        self.lock().hooks.clone()
    }

    /// Where the test route sends.
    pub fn test_route(&self) -> Option<String> {
        self.lock().test_route.clone()
    }

    /// Whether a release's group exists.
    pub fn has_group(&self, release: &str) -> bool {
        self.lock().groups.contains_key(release)
    }

    /// The fewest healthy servers taking traffic at any moment since traffic first flowed.
    pub fn lowest_serving(&self) -> Option<usize> {
        self.lock().lowest_serving
    }

    /// Puts a release in place as if a run had made it live (servers running and
    /// healthy, all traffic to its group).
    pub fn seed(&self, release: &Release) {
        let mut i = self.lock();
        i.groups.insert(release.id.clone(), release.group.clone());
        for s in &release.servers {
            i.servers.insert(
                s.clone(),
                Server {
                    release: release.id.clone(),
                    registered: true,
                    running: true,
                    draining_until: None,
                },
            );
        }
        if release.weight > 0 {
            i.weights = vec![(release.group.clone(), 100)];
        }
    }
}

#[async_trait::async_trait]
impl Fleet for FakeCloud {
    async fn prepare(&self, release: &str) -> Result<Release, Error> {
        let mut i = self.lock();
        let group = format!("tg-{release}");
        i.groups.insert(release.to_string(), group.clone());
        let mut r = Release::candidate(release, i.now.as_secs());
        r.group = group;
        for (id, s) in i.servers.iter_mut() {
            if s.release == release && s.running {
                s.registered = true;
                r.servers.push(id.clone());
            }
        }
        i.change(format!("prepare {release}"))?;
        Ok(r)
    }

    async fn servers(&self, release: &str) -> Result<Vec<String>, Error> {
        let i = self.lock();
        Ok(i.servers
            .iter()
            .filter(|(_, s)| s.release == release && s.running)
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn launch(
        &self,
        release: &Release,
        n: usize,
        _offset: usize,
    ) -> Result<Vec<String>, Error> {
        let mut i = self.lock();
        // A rolling release's servers join the group it was given.
        i.groups
            .entry(release.id.clone())
            .or_insert_with(|| release.group.clone());
        let mut ids = Vec::new();
        for _ in 0..n {
            i.next += 1;
            let id = format!("i-{:04}", i.next);
            i.servers.insert(
                id.clone(),
                Server {
                    release: release.id.clone(),
                    registered: true,
                    running: true,
                    draining_until: None,
                },
            );
            ids.push(id);
        }
        i.change(format!("launch {} × {n}", release.id))?;
        Ok(ids)
    }

    async fn health(&self, release: &Release, only: Option<&[String]>) -> Result<Health, Error> {
        let i = self.lock();
        let ids: Vec<String> = match only {
            Some(ids) => ids.to_vec(),
            None => i
                .servers
                .iter()
                .filter(|(_, s)| {
                    s.registered && s.running && i.groups.get(&s.release) == Some(&release.group)
                })
                .map(|(id, _)| id.clone())
                .collect(),
        };
        let mut h = Health {
            total: ids.len(),
            ..Health::default()
        };
        for id in ids {
            if i.healthy(&id) {
                h.healthy += 1;
            } else {
                h.others.push(format!("{id}: unhealthy"));
            }
        }
        Ok(h)
    }

    async fn deregister(&self, release: &Release, servers: &[String]) -> Result<Duration, Error> {
        let mut i = self.lock();
        let until = i.now + i.drain;
        for id in servers {
            if let Some(s) = i.servers.get_mut(id) {
                if s.registered {
                    s.registered = false;
                    s.draining_until = Some(until);
                }
            }
        }
        let drain = i.drain;
        i.change(format!("deregister {} × {}", release.id, servers.len()))?;
        Ok(drain)
    }

    async fn draining(&self, _release: &Release, servers: &[String]) -> Result<usize, Error> {
        let i = self.lock();
        Ok(servers
            .iter()
            .filter(|id| {
                i.servers
                    .get(*id)
                    .and_then(|s| s.draining_until)
                    .is_some_and(|t| i.now < t)
            })
            .count())
    }

    async fn stop(&self, servers: &[String]) -> Result<(), Error> {
        let mut i = self.lock();
        let now = i.now;
        let mut cut = Vec::new();
        for id in servers {
            if let Some(s) = i.servers.get_mut(id) {
                if s.running && (s.registered || s.draining_until.is_some_and(|t| now < t)) {
                    cut.push(id.clone());
                }
                s.running = false;
                s.registered = false;
            }
        }
        i.cut.extend(cut);
        i.change(format!("stop {}", servers.len()))
    }

    async fn remove(&self, release: &Release) -> Result<(), Error> {
        let mut i = self.lock();
        // As ELB: a group a listener still sends to cannot be deleted.
        let group = i.groups.get(&release.id).cloned();
        if group.is_some() && i.test_route == group {
            return Err(Error::new(
                "ResourceInUse",
                format!("the test route still sends to {}", release.id),
            ));
        }
        for s in i.servers.values_mut().filter(|s| s.release == release.id) {
            s.running = false;
            s.registered = false;
        }
        i.groups.remove(&release.id);
        i.change(format!("remove {}", release.id))
    }
}

#[async_trait::async_trait]
impl Router for FakeCloud {
    async fn route(&self, weights: &[(&str, u8)]) -> Result<(), Error> {
        let mut i = self.lock();
        let w: Vec<(String, u8)> = if weights.len() == 1 {
            vec![(weights[0].0.to_string(), 100)]
        } else {
            weights.iter().map(|(g, w)| (g.to_string(), *w)).collect()
        };
        i.weights = w.clone();
        i.routes.push(w.clone());
        i.change(format!("route {w:?}"))
    }

    async fn route_test(&self, group: &str) -> Result<(), Error> {
        let mut i = self.lock();
        i.test_route = Some(group.to_string());
        i.change(format!("test route {group}"))
    }
}

#[async_trait::async_trait]
impl Clock for FakeCloud {
    fn now(&self) -> Duration {
        self.lock().now
    }

    async fn sleep(&self, d: Duration) {
        self.lock().now += d;
    }
}

#[async_trait::async_trait]
impl Probe for FakeCloud {
    async fn get(&self, url: &str) -> Result<(), String> {
        if url.contains("fail") {
            Err(format!("{url} answered 503"))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl crate::analysis::Metrics for FakeCloud {
    async fn measure(
        &self,
        source: &crate::analysis::Source,
        release: &Release,
    ) -> Result<Option<f64>, Error> {
        let key = crate::analysis::expand(&source.to_string(), release);
        let mut i = self.lock();
        let at = i.now.as_secs();
        i.measured.push(format!("{key}@{at}"));
        Ok(match i.metrics.get_mut(&key) {
            Some(v) if v.len() > 1 => Some(v.remove(0)),
            Some(v) => v.first().copied(),
            None => None,
        })
    }
}

/// Hooks whose command contains `fail` fail.
#[async_trait::async_trait]
impl crate::run::HookRunner for FakeCloud {
    async fn run(
        &self,
        name: &str,
        hook: &crate::spec::Hook,
        env: &[(String, String)],
    ) -> Result<(), String> {
        let mut i = self.lock();
        let w = i.weights.clone();
        let mut env: BTreeMap<String, String> = env.iter().cloned().collect();
        if let Some(t) = &i.test_route {
            env.insert("(test route)".into(), t.clone());
        }
        i.hooks.push((name.to_string(), env, w));
        if hook.command.contains("fail") {
            Err(format!("`{}` exited with 1", hook.command))
        } else {
            Ok(())
        }
    }
}
