//! Every strategy against the fake cloud: releases, gate failures, and a crash
//! at every call resumed by the next run.

use std::time::Duration;

use crate::fake::FakeCloud;
use crate::*;

fn spec(strategy: Strategy) -> Spec {
    Spec {
        name: "web".into(),
        strategy,
        gate: Gate {
            healthy: Threshold::Percent(100.0),
            healthy_text: "100%".into(),
            timeout: Duration::from_secs(600),
            timeout_text: "10m".into(),
            interval: Duration::from_secs(5),
            check_url: None,
        },
        count: 3,
        keep_previous: Duration::from_secs(3600),
        keep_previous_text: "1h".into(),
        automatic_rollback: true,
        analysis: None,
        hooks: Hooks::default(),
        test_route: false,
    }
}

fn hook(command: &str) -> Option<Hook> {
    Some(Hook {
        command: command.into(),
        timeout: Duration::from_secs(60),
        timeout_text: "1m".into(),
        environment: Vec::new(),
        working_dir: None,
    })
}

/// An analysis of one HTTP metric, `{release}` in its URL.
fn with_analysis(mut s: Spec, count: usize, failure_limit: usize) -> Spec {
    s.analysis = Some(Analysis {
        metrics: vec![Metric {
            name: "error_rate".into(),
            source: Source::Http {
                url: "http://metrics/{release}/errors".into(),
            },
            threshold: crate::analysis::Threshold::parse("< 1%").unwrap(),
            no_data_passes: false,
        }],
        interval: Duration::from_secs(60),
        interval_text: "1m".into(),
        count,
        failure_limit,
        background: false,
    });
    s
}

const ERRORS: &str = "GET http://metrics/rnew/errors";

fn canary() -> Strategy {
    Strategy::Canary {
        steps: vec![
            CanaryStep::Weight(10),
            CanaryStep::Weight(50),
            CanaryStep::Weight(100),
        ],
        interval: Duration::from_secs(300),
        interval_text: "5m".into(),
    }
}

fn rolling(batch: usize) -> Strategy {
    Strategy::Rolling {
        batch_size: batch,
        min_healthy_percent: 100.0,
    }
}

/// The live release `rold`, in state and in the cloud.
fn live(fake: &FakeCloud) -> Vec<Release> {
    let r = Release {
        id: "rold".into(),
        status: Status::Live,
        group: "tg-rold".into(),
        servers: vec!["i-a".into(), "i-b".into(), "i-c".into()],
        created: "2026-11-28T10:00:00Z".into(),
        keep_until: String::new(),
        weight: 100,
        step: 0,
    };
    fake.seed(&r);
    vec![r]
}

fn planned(spec: &Spec, fake: &FakeCloud, wanted: &str, prior: &[Release]) -> Planned {
    plan(spec, Some(wanted), prior, fake.now().as_secs(), &|r| {
        format!("web-{r}")
    })
}

async fn release(
    spec: &Spec,
    fake: &FakeCloud,
    wanted: &str,
    prior: &[Release],
) -> Result<Vec<Release>, Failure> {
    let p = planned(spec, fake, wanted, prior);
    let cloud = Cloud {
        fleet: fake,
        router: fake,
        clock: fake,
        probe: fake,
        metrics: fake,
        hooks: fake,
    };
    run(spec, &p, prior, &cloud).await
}

fn summary(rs: &[Release]) -> Vec<(String, Status, u8, usize)> {
    let mut v: Vec<_> = rs
        .iter()
        .map(|r| (r.id.clone(), r.status, r.weight, r.servers.len()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn words() -> Words {
    Words {
        server: "aws_instance".into(),
        size: "t3.micro".into(),
        group: "target group".into(),
        router: "listener".into(),
        route_call: "ModifyListener".into(),
        read_call: "DescribeListeners".into(),
    }
}

#[tokio::test]
async fn a_first_release_is_made_checked_and_given_all_traffic() {
    for strategy in [Strategy::BlueGreen, canary(), rolling(1)] {
        let fake = FakeCloud::new();
        let s = spec(strategy);
        let out = release(&s, &fake, "rnew", &[]).await.unwrap();
        assert_eq!(summary(&out), [("rnew".into(), Status::Live, 100, 3)]);
        assert_eq!(fake.weights(), [("tg-rnew".to_string(), 100)]);
        assert_eq!(fake.running("rnew"), 3);
    }
}

#[tokio::test]
async fn blue_green_flips_in_one_call_and_keeps_the_previous_release() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(Strategy::BlueGreen);
    let now = fake.now().as_secs();
    let out = release(&s, &fake, "rnew", &prior).await.unwrap();
    assert_eq!(
        summary(&out),
        [
            ("rnew".into(), Status::Live, 100, 3),
            ("rold".into(), Status::Previous, 0, 3)
        ]
    );
    let kept = out.iter().find(|r| r.id == "rold").unwrap();
    assert_eq!(kept.keep_until, iac_value::time::rfc3339(now + 3600));
    assert_eq!(fake.routes(), [vec![("tg-rnew".to_string(), 100)]]);
    // The previous release still runs, for `iac rollback`.
    assert_eq!(fake.running("rold"), 3);
}

#[tokio::test]
async fn canary_walks_the_weights_and_holds_each_step() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(canary());
    let start = fake.now();
    release(&s, &fake, "rnew", &prior).await.unwrap();
    let w = |pairs: &[(&str, u8)]| -> Vec<(String, u8)> {
        pairs.iter().map(|(g, w)| (g.to_string(), *w)).collect()
    };
    assert_eq!(
        fake.routes(),
        [
            w(&[("tg-rold", 90), ("tg-rnew", 10)]),
            w(&[("tg-rold", 50), ("tg-rnew", 50)]),
            w(&[("tg-rnew", 100)]),
        ]
    );
    // Two held steps of 5m each.
    assert!(fake.now() - start >= Duration::from_secs(600));
}

#[tokio::test]
async fn rolling_replaces_servers_in_batches_and_never_serves_with_fewer() {
    for batch in [1, 2, 3] {
        let fake = FakeCloud::new();
        let prior = live(&fake);
        let s = spec(rolling(batch));
        let out = release(&s, &fake, "rnew", &prior).await.unwrap();
        assert_eq!(summary(&out), [("rnew".into(), Status::Live, 100, 3)]);
        assert_eq!(out[0].group, "tg-rold", "one group for every release");
        assert_eq!(fake.running("rold"), 0);
        assert_eq!(fake.running_total(), 3);
        assert!(fake.lowest_serving().unwrap() >= 3, "batch {batch}");
        // No routing: the group that takes traffic stays the same.
        assert!(fake.routes().is_empty());
    }
}

#[tokio::test]
async fn servers_leaving_finish_their_requests_before_they_stop() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    fake.set_drain(Duration::from_secs(30));
    let start = fake.now();
    let s = spec(rolling(1));
    release(&s, &fake, "rnew", &prior).await.unwrap();
    assert_eq!(fake.cut(), Vec::<String>::new());
    assert_eq!(fake.running("rold"), 0);
    // Three batches, each waiting out the 30 s drain.
    assert!(fake.now() - start >= Duration::from_secs(90));
}

#[tokio::test]
async fn a_failed_gate_leaves_traffic_on_the_live_release_and_removes_the_new_one() {
    for strategy in [Strategy::BlueGreen, canary(), rolling(1)] {
        let fake = FakeCloud::new();
        let prior = live(&fake);
        fake.make_unhealthy("rnew");
        let s = spec(strategy.clone());
        let err = release(&s, &fake, "rnew", &prior).await.unwrap_err();
        let Failure::Gate(e) = err else {
            panic!("{strategy:?}: not a gate failure: {err:?}")
        };
        assert!(e.summary.starts_with("Deployment web rolled back: "), "{e}");
        assert_eq!(
            fake.weights(),
            [("tg-rold".to_string(), 100)],
            "{strategy:?}"
        );
        assert_eq!(fake.running("rnew"), 0, "{strategy:?}");
        assert_eq!(fake.running("rold"), 3, "{strategy:?}");
        assert!(fake.lowest_serving().unwrap() >= 3, "{strategy:?}");
    }
}

#[tokio::test]
async fn a_canary_that_turns_unhealthy_midway_sends_its_traffic_back() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    // Healthy at the gate, unhealthy a minute into the 10% step.
    fake.make_unhealthy_after("rnew", Duration::from_secs(60));
    let s = spec(canary());
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("the canary went on")
    };
    assert!(
        e.detail
            .starts_with("traffic was at 10% on rnew and went back"),
        "{e}"
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    assert!(!fake.has_group("rnew"));
}

#[tokio::test]
async fn without_automatic_rollback_the_failed_release_is_left_for_inspection() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    fake.make_unhealthy("rnew");
    let mut s = spec(Strategy::BlueGreen);
    s.automatic_rollback = false;
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("not a gate failure")
    };
    assert!(e.detail.contains("left in place for inspection"), "{e}");
    assert_eq!(fake.running("rnew"), 3);
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
}

#[tokio::test]
async fn a_check_url_that_fails_fails_the_gate() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let mut s = spec(Strategy::BlueGreen);
    s.gate.check_url = Some("http://app/fail".into());
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("not a gate failure")
    };
    assert!(e.summary.contains("answered 503"), "{e}");
}

#[tokio::test]
async fn an_analysis_that_passes_lets_the_release_through() {
    for strategy in [Strategy::BlueGreen, canary(), rolling(1)] {
        let fake = FakeCloud::new();
        let prior = live(&fake);
        fake.set_metric(ERRORS, &[0.001]);
        let s = with_analysis(spec(strategy.clone()), 3, 0);
        let out = release(&s, &fake, "rnew", &prior).await.unwrap();
        assert!(out
            .iter()
            .any(|r| r.id == "rnew" && r.status == Status::Live));
        // Three measurements a minute apart, each time it runs.
        let m = fake.measured();
        let runs = match strategy {
            Strategy::BlueGreen => 1,
            Strategy::Canary { .. } => 2,  // the 10% and 50% steps
            Strategy::Rolling { .. } => 3, // each batch
        };
        assert_eq!(m.len(), 3 * runs, "{strategy:?}: {m:?}");
        let t = |x: &str| x.rsplit('@').next().unwrap().parse::<u64>().unwrap();
        assert_eq!(t(&m[1]) - t(&m[0]), 60);
    }
}

#[tokio::test]
async fn an_analysis_that_fails_rolls_back_and_names_the_query_and_its_values() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    // One bad measurement is allowed; the second fails the analysis.
    fake.set_metric(ERRORS, &[0.05, 0.0, 0.07]);
    let s = with_analysis(spec(Strategy::BlueGreen), 3, 1);
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("the release went through")
    };
    assert_eq!(
        e.summary,
        "Deployment web rolled back: analysis of release rnew failed 2 of 3 measurements (1 allowed): error_rate (GET http://metrics/rnew/errors) gave 0.05, 0, 0.07 against < 1%"
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    assert_eq!(fake.running("rnew"), 0);
    // No data is a failure for this metric (no_data_passes = false).
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = with_analysis(spec(Strategy::BlueGreen), 1, 0);
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("the release went through")
    };
    assert!(e.summary.ends_with("gave no data against < 1%"), "{e}");
}

#[tokio::test]
async fn a_background_analysis_measures_throughout_the_canary_and_adds_failures_up() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    // One bad reading is allowed over the whole rollout; the second fails it.
    fake.set_metric(ERRORS, &[0.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0.0]);
    let mut s = with_analysis(spec(canary()), 1, 1);
    if let Some(a) = s.analysis.as_mut() {
        a.background = true;
    }
    // 5m per step, measured every minute.
    let p = planned(&s, &fake, "rnew", &prior);
    assert!(p.notes(&words())[2].ends_with(
        "; analyse throughout: error_rate < 1% (every 1m throughout, 1 failure allowed)"
    ));
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("went on")
    };
    assert!(
        e.summary.contains("failed 2 of 6 measurements (1 allowed): error_rate (GET http://metrics/rnew/errors) gave 0, 0.5, 0, 0, 0, 0.5"),
        "{e}"
    );
    assert!(e.detail.starts_with("traffic was at 10% on rnew"), "{e}");
    // Readings a minute apart, from the first step on.
    let t: Vec<u64> = fake
        .measured()
        .iter()
        .map(|x| x.rsplit('@').next().unwrap().parse().unwrap())
        .collect();
    assert!(t.windows(2).all(|w| w[1] - w[0] == 60), "{t:?}");
}

#[tokio::test]
async fn a_canary_whose_analysis_fails_at_a_step_sends_its_traffic_back() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    // Good at 10%, bad at 50%.
    fake.set_metric(ERRORS, &[0.0, 0.2]);
    let s = with_analysis(spec(canary()), 1, 0);
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("the canary went on")
    };
    assert!(
        e.detail
            .starts_with("traffic was at 50% on rnew and went back"),
        "{e}"
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    assert!(!fake.has_group("rnew"));
}

fn paused_canary() -> Strategy {
    Strategy::Canary {
        steps: vec![
            CanaryStep::Weight(10),
            CanaryStep::Pause(None),
            CanaryStep::Weight(50),
            CanaryStep::Pause(Some((Duration::from_secs(600), "10m".into()))),
            CanaryStep::Weight(100),
        ],
        interval: Duration::from_secs(60),
        interval_text: "1m".into(),
    }
}

fn cloud(fake: &FakeCloud) -> Cloud<'_> {
    Cloud {
        fleet: fake,
        router: fake,
        clock: fake,
        probe: fake,
        metrics: fake,
        hooks: fake,
    }
}

#[tokio::test]
async fn a_canary_stops_at_a_pause_until_promoted() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(paused_canary());
    let p = planned(&s, &fake, "rnew", &prior);
    assert!(p.notes(&words())[2]
        .contains("in steps 10% → pause until promoted → 50% → pause 10m → 100% (1m each"));
    let paused = release(&s, &fake, "rnew", &prior).await.unwrap();
    assert_eq!(
        summary(&paused),
        [
            ("rnew".into(), Status::Paused, 10, 3),
            ("rold".into(), Status::Live, 90, 3)
        ]
    );
    let w = |pairs: &[(&str, u8)]| -> Vec<(String, u8)> {
        pairs.iter().map(|(g, w)| (g.to_string(), *w)).collect()
    };
    assert_eq!(fake.weights(), w(&[("tg-rold", 90), ("tg-rnew", 10)]));
    // Planning the same configuration again: nothing to do but wait.
    let again = planned(&s, &fake, "rnew", &paused);
    assert!(again.steps.is_empty());
    assert_eq!(again.awaiting, Some(("rnew".into(), 10)));
    assert!(again.notes(&words())[0].contains("awaiting `iac promote`"));
    // Promoted: on from the pause, through the timed pause, to all traffic.
    let before = fake.now();
    let done = promote(&s, &paused, &cloud(&fake)).await.unwrap();
    assert_eq!(
        summary(&done),
        [
            ("rnew".into(), Status::Live, 100, 3),
            ("rold".into(), Status::Previous, 0, 3)
        ]
    );
    assert_eq!(
        fake.routes()[1..],
        [
            w(&[("tg-rold", 50), ("tg-rnew", 50)]),
            w(&[("tg-rnew", 100)]),
        ]
    );
    // The 50% step's minute and the 10-minute pause.
    assert!(fake.now() - before >= Duration::from_secs(660));
    // Nothing is paused any more.
    let none = promote(&s, &done, &cloud(&fake)).await.unwrap_err();
    assert!(matches!(none, Failure::Error(e) if e.summary == "Nothing to promote"));
}

#[tokio::test]
async fn an_aborted_canary_sends_its_traffic_back_and_is_not_released_again() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(paused_canary());
    let paused = release(&s, &fake, "rnew", &prior).await.unwrap();
    let out = abort(Duration::from_secs(3600), &paused, &cloud(&fake))
        .await
        .unwrap();
    assert_eq!(
        summary(&out),
        [
            ("rnew".into(), Status::RolledBack, 0, 0),
            ("rold".into(), Status::Live, 100, 3)
        ]
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    assert_eq!(fake.running("rnew"), 0);
    let again = planned(&s, &fake, "rnew", &out);
    assert!(again.steps.is_empty());
    assert_eq!(again.rolled_back.map(|r| r.0), Some("rnew".into()));
}

#[tokio::test]
async fn a_new_release_while_one_is_paused_replaces_it() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(paused_canary());
    let paused = release(&s, &fake, "rnew", &prior).await.unwrap();
    let p = planned(&s, &fake, "rnext", &paused);
    assert_eq!(
        p.steps[0],
        Step::Abort {
            release: "rnew".into(),
            live: "rold".into()
        }
    );
    let out = release(&s, &fake, "rnext", &paused).await.unwrap();
    assert_eq!(
        summary(&out),
        [
            ("rnext".into(), Status::Paused, 10, 3),
            ("rold".into(), Status::Live, 90, 3)
        ]
    );
    assert_eq!(fake.running("rnew"), 0);
}

#[tokio::test]
async fn hooks_run_before_traffic_and_after_it_with_the_release_in_their_environment() {
    for strategy in [Strategy::BlueGreen, canary(), rolling(1)] {
        let fake = FakeCloud::new();
        let prior = live(&fake);
        let mut s = spec(strategy.clone());
        s.hooks.pre_traffic = hook("./migrate.sh");
        s.hooks.post_traffic = hook("./smoke.sh");
        release(&s, &fake, "rnew", &prior).await.unwrap();
        let runs = fake.hooks_run();
        let names: Vec<&str> = runs.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["pre_traffic", "post_traffic"], "{strategy:?}");
        let (_, env, weights) = &runs[0];
        assert_eq!(env["IAC_RELEASE"], "rnew");
        assert_eq!(env["IAC_PREVIOUS_RELEASE"], "rold");
        assert_eq!(env["IAC_DEPLOYMENT"], "web");
        // Before: all traffic still on the live release.
        assert_eq!(weights, &[("tg-rold".to_string(), 100)], "{strategy:?}");
        let after = &runs[1].2;
        assert_eq!(after.last().map(|w| w.1), Some(100));
        if !matches!(strategy, Strategy::Rolling { .. }) {
            // (A rolling release keeps the live release's group.)
            assert_ne!(after[0].0, "tg-rold", "{strategy:?}: {after:?}");
        }
    }
}

#[tokio::test]
async fn a_failing_hook_rolls_back_and_on_rollback_hears_why() {
    // Before traffic: nothing moved, the new release goes.
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let mut s = spec(Strategy::BlueGreen);
    s.hooks.pre_traffic = hook("./migrate.sh --fail");
    s.hooks.on_rollback = hook("./page.sh");
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("went on")
    };
    assert!(
        e.summary
            .contains("the pre_traffic hook failed: `./migrate.sh --fail` exited with 1"),
        "{e}"
    );
    assert!(fake.routes().is_empty());
    assert_eq!(fake.running("rnew"), 0);
    let runs = fake.hooks_run();
    assert_eq!(runs.last().unwrap().0, "on_rollback");
    assert!(runs.last().unwrap().1["IAC_ROLLBACK_REASON"].contains("pre_traffic hook failed"));
    // After traffic moved: it goes back to the previous release.
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let mut s = spec(Strategy::BlueGreen);
    s.hooks.post_traffic = hook("./smoke.sh --fail");
    let Err(Failure::Gate(e)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("went on")
    };
    assert!(
        e.detail
            .starts_with("traffic went back to rold and release rnew was removed"),
        "{e}"
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    // A first release has nothing to go back to: the run stops, to be resumed.
    let fake = FakeCloud::new();
    let Err(Failure::Error(e)) = release(&s, &fake, "rnew", &[]).await else {
        panic!("not an error")
    };
    assert!(
        e.detail.contains("no previous release to send it back to"),
        "{e}"
    );
}

#[tokio::test]
async fn the_test_route_reaches_the_new_release_before_its_pre_traffic_hook() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let mut s = spec(Strategy::BlueGreen);
    s.test_route = true;
    s.hooks.pre_traffic = hook("./smoke.sh");
    let p = planned(&s, &fake, "rnew", &prior);
    assert!(p
        .notes(&words())
        .contains(&"point the test listener at rnew".to_string()));
    release(&s, &fake, "rnew", &prior).await.unwrap();
    let runs = fake.hooks_run();
    assert_eq!(runs[0].1["(test route)"], "tg-rnew");
    assert_eq!(
        runs[0].2,
        [("tg-rold".to_string(), 100)],
        "users are still on rold"
    );
    // A failing hook: the test route goes back before the release is removed.
    let fake = FakeCloud::new();
    let prior = live(&fake);
    s.hooks.pre_traffic = hook("./smoke.sh --fail");
    let Err(Failure::Gate(_)) = release(&s, &fake, "rnew", &prior).await else {
        panic!("went on")
    };
    assert_eq!(fake.test_route().as_deref(), Some("tg-rold"));
    assert!(!fake.has_group("rnew"));
}

#[tokio::test]
async fn a_shell_hook_streams_its_output_and_fails_with_its_last_lines() {
    let said = std::sync::Mutex::new(Vec::<String>::new());
    let out = |l: &str| said.lock().unwrap().push(l.to_string());
    let runner = ShellHooks { output: Some(&out) };
    let env = vec![("IAC_RELEASE".to_string(), "r1".to_string())];
    let mut h = hook("echo release $IAC_RELEASE; echo to stderr >&2").unwrap();
    runner.run("pre_traffic", &h, &env).await.unwrap();
    assert_eq!(
        *said.lock().unwrap(),
        [
            " (pre_traffic): running `echo release $IAC_RELEASE; echo to stderr >&2`",
            " (pre_traffic): release r1",
            " (pre_traffic): to stderr",
        ]
    );
    h.command = "echo migrating; exit 3".into();
    let e = runner.run("pre_traffic", &h, &env).await.unwrap_err();
    assert_eq!(e, "`echo migrating; exit 3` exited with 3: migrating");
    h.command = "sleep 5".into();
    h.timeout = Duration::from_millis(200);
    h.timeout_text = "200ms".into();
    let e = runner.run("pre_traffic", &h, &env).await.unwrap_err();
    assert_eq!(e, "`sleep 5` did not finish within 200ms");
}

/// A run stopped by a failure at each call in turn (after the cloud made the
/// change), then run again: the same releases as a run that never stopped, and
/// no server made twice.
#[tokio::test]
async fn a_run_stopped_at_any_call_resumes_without_duplicates() {
    // Every strategy, and each with a test route, hooks and an analysis too.
    let mut specs: Vec<Spec> = [Strategy::BlueGreen, canary(), rolling(1), rolling(2)]
        .into_iter()
        .map(spec)
        .collect();
    for strategy in [Strategy::BlueGreen, canary(), rolling(2)] {
        let mut s = with_analysis(spec(strategy), 2, 0);
        s.test_route = !matches!(s.strategy, Strategy::Rolling { .. });
        s.hooks.pre_traffic = hook("./migrate.sh");
        s.hooks.post_traffic = hook("./smoke.sh");
        specs.push(s);
    }
    for s in specs {
        let strategy = s.strategy.clone();
        let set_metrics = |f: &FakeCloud| f.set_metric(ERRORS, &[0.0]);
        let clean = FakeCloud::new();
        set_metrics(&clean);
        let prior = live(&clean);
        let want = summary(&release(&s, &clean, "rnew", &prior).await.unwrap());
        let calls = clean.calls().len();
        assert!(calls >= 2, "{strategy:?}");
        for k in 0..calls {
            let fake = FakeCloud::new();
            set_metrics(&fake);
            let prior = live(&fake);
            fake.fail_at(Some(k));
            let first = release(&s, &fake, "rnew", &prior).await;
            assert!(
                matches!(first, Err(Failure::Error(_))),
                "{strategy:?} stopped at call {k}: {first:?}"
            );
            // State is unchanged by a failed run: the next starts from `prior`.
            fake.fail_at(None);
            let out = release(&s, &fake, "rnew", &prior)
                .await
                .unwrap_or_else(|e| panic!("{strategy:?} resumed after call {k}: {e:?}"));
            assert_eq!(summary(&out), want, "{strategy:?} after call {k}");
            assert_eq!(fake.running("rnew"), 3, "{strategy:?} after call {k}");
            assert_eq!(
                fake.weights(),
                [(
                    out.iter()
                        .find(|r| r.status == Status::Live)
                        .unwrap()
                        .group
                        .clone(),
                    100
                )]
            );
            let old_running = if matches!(strategy, Strategy::Rolling { .. }) {
                0
            } else {
                3
            };
            assert_eq!(
                fake.running("rold"),
                old_running,
                "{strategy:?} after call {k}"
            );
        }
    }
}

#[tokio::test]
async fn rollback_returns_traffic_to_the_kept_release_only_when_it_is_healthy() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let s = spec(Strategy::BlueGreen);
    let released = release(&s, &fake, "rnew", &prior).await.unwrap();
    let cloud = Cloud {
        fleet: &fake,
        router: &fake,
        clock: &fake,
        probe: &fake,
        metrics: &fake,
        hooks: &fake,
    };
    let back = rollback(Duration::from_secs(3600), &released, &cloud)
        .await
        .unwrap();
    assert_eq!(
        summary(&back),
        [
            ("rnew".into(), Status::RolledBack, 0, 3),
            ("rold".into(), Status::Live, 100, 3)
        ]
    );
    assert_eq!(fake.weights(), [("tg-rold".to_string(), 100)]);
    // Nothing kept to go back to.
    let again = rollback(Duration::from_secs(3600), &back, &cloud).await;
    assert!(again.unwrap_err().summary.contains("no previous release"));
    // A kept release that is not healthy is not given traffic.
    let fake2 = FakeCloud::new();
    let prior2 = live(&fake2);
    let released2 = release(&s, &fake2, "rnew", &prior2).await.unwrap();
    fake2.make_unhealthy("rold");
    let cloud2 = Cloud {
        fleet: &fake2,
        router: &fake2,
        clock: &fake2,
        probe: &fake2,
        metrics: &fake2,
        hooks: &fake2,
    };
    let refused = rollback(Duration::from_secs(3600), &released2, &cloud2).await;
    assert!(refused.unwrap_err().summary.contains("is not healthy"));
    assert_eq!(fake2.weights(), [("tg-rnew".to_string(), 100)]);
}

#[test]
fn the_plan_shows_the_steps_run_executes() {
    let fake = FakeCloud::new();
    let prior = live(&fake);
    let now = fake.now().as_secs();
    let s = spec(Strategy::BlueGreen);
    let p = planned(&s, &fake, "rnew", &prior);
    assert_eq!(
        p.notes(&words()),
        [
            "create release rnew: 3 × aws_instance (t3.micro), target group web-rnew".to_string(),
            "wait until 100% of targets are healthy (timeout 10m)".into(),
            "flip the listener rold → rnew (one ModifyListener)".into(),
            format!(
                "keep rold until {} for `iac rollback`, then remove it on a later apply",
                iac_value::time::rfc3339(now + 3600)
            ),
            "on a failed gate: traffic stays on (or returns to) the live release and the new one is removed".into(),
        ]
    );
    let c = planned(&spec(canary()), &fake, "rnew", &prior);
    assert!(c.notes(&words())[2].starts_with(
        "shift traffic from rold to rnew in steps 10% → 50% → 100% (5m each, confirmed with DescribeListeners"
    ));
    let r = planned(&spec(rolling(1)), &fake, "rnew", &prior);
    assert_eq!(r.steps.len(), 1);
    assert!(r.notes(&words())[0].starts_with("replace 3 servers of rold with release rnew (3 × t3.micro), 1 at a time behind target group tg-rold"));
    // The live release asked for again: nothing to do.
    let same = planned(&s, &fake, "rold", &prior);
    assert!(same.steps.is_empty() && !same.releases);
    // A release that was rolled back is not released again.
    let mut back = prior.clone();
    back[0].status = Status::Previous;
    back.push(Release {
        status: Status::RolledBack,
        ..Release::candidate("rbad", now)
    });
    let again = planned(&s, &fake, "rbad", &back);
    assert!(again.steps.is_empty());
    assert_eq!(
        again.rolled_back.as_ref().map(|r| r.0.as_str()),
        Some("rbad")
    );
    // Kept releases whose time is up are removed first.
    let mut expired = prior.clone();
    expired.push(Release {
        status: Status::Previous,
        keep_until: iac_value::time::rfc3339(now - 1),
        ..Release::candidate("rgone", now - 7200)
    });
    let p = planned(&s, &fake, "rold", &expired);
    assert_eq!(
        p.steps,
        [Step::Retire {
            release: "rgone".into(),
            kept_until: iac_value::time::rfc3339(now - 1)
        }]
    );
}
