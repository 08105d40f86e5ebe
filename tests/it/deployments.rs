//! Load balancers and deployments against moto: what the listener forwards to
//! is read from moto (DescribeListeners) while iac works, not taken from state.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::moto::{block, iac, Moto};
use crate::support::{Run, Work};

fn base(strategy: &str, extra: &str) -> String {
    format!(
        r##"
variable "app_version" {{
  default = "v1"
}}
data "aws_availability_zones" "az" {{}}
resource "aws_vpc" "main" {{
  cidr_block = "10.70.0.0/16"
}}
resource "aws_subnet" "s" {{
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.70.0.0/16", 8, count.index)
  availability_zone = data.aws_availability_zones.az.names[count.index]
}}
resource "aws_lb" "app" {{
  name    = "app"
  subnets = aws_subnet.s[*].id
}}
resource "aws_lb_listener" "http" {{
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  default_action {{
    type = "fixed-response"
    fixed_response {{
      content_type = "text/plain"
      status_code  = "503"
    }}
  }}
  lifecycle {{
    ignore_changes = [default_action]
  }}
}}
deployment "web" {{
  listener = aws_lb_listener.http
  strategy = "{strategy}"
  fleet {{
    count         = 3
    ami           = "ami-12c6146b"
    instance_type = "t3.micro"
    subnet_ids    = aws_subnet.s[*].id
    user_data     = "#!/bin/sh\necho ${{var.app_version}} > /srv/version"
    target_group {{
      port   = 80
      vpc_id = aws_vpc.main.id
      health_check {{
        path = "/health"
      }}
    }}
  }}
{extra}
}}
output "release" {{
  value = deployment.web.release
}}
"##
    )
}

fn run(w: &Work, m: &Moto, args: &[&str]) -> Run {
    let env = m.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

fn listener_arn(w: &Work) -> String {
    w.attrs("aws_lb_listener.http")["arn"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Target group name -> weight, as the listener forwards now.
fn forwards(m: &Moto, listener: &str) -> BTreeMap<String, i32> {
    let elb = m.elb();
    let out = block(elb.describe_listeners().listener_arns(listener).send()).unwrap();
    let mut seen = BTreeMap::new();
    for a in out.listeners()[0].default_actions() {
        let name = |arn: &str| arn.split('/').nth(1).unwrap_or(arn).to_string();
        match a.forward_config().filter(|f| !f.target_groups().is_empty()) {
            Some(f) => {
                for g in f.target_groups() {
                    seen.insert(name(g.target_group_arn().unwrap()), g.weight().unwrap_or(1));
                }
            }
            None => {
                if let Some(t) = a.target_group_arn() {
                    seen.insert(name(t), 1);
                }
            }
        }
    }
    seen
}

/// Records what the listener forwards to, every 50 ms, until dropped.
struct Watch {
    endpoint: String,
    listener: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<BTreeMap<String, i32>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watch {
    fn listener(m: &Moto, listener: &str) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2) = (stop.clone(), seen.clone());
        let endpoint = m.endpoint.clone();
        let listener_owned = listener.to_string();
        let listener = listener.to_string();
        let thread = std::thread::spawn(move || {
            let m = Moto::attach(&endpoint);
            while !s2.load(Ordering::SeqCst) {
                let f = forwards(&m, &listener);
                let mut v = seen2.lock().unwrap();
                if v.last() != Some(&f) {
                    v.push(f);
                }
                drop(v);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Watch {
            endpoint: m.endpoint.clone(),
            listener: listener_owned,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<BTreeMap<String, i32>> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        // And where it ended up.
        let last = forwards(&Moto::attach(&self.endpoint), &self.listener);
        let mut v = self.seen.lock().unwrap().clone();
        if v.last() != Some(&last) {
            v.push(last);
        }
        v
    }
}

fn tg_exists(m: &Moto, name: &str) -> bool {
    block(m.elb().describe_target_groups().names(name).send()).is_ok()
}

/// The running servers of a release, as moto has them.
fn running_instances(m: &Moto, release: &str) -> Vec<aws_sdk_ec2::types::Instance> {
    use aws_sdk_ec2::types::Filter;
    let out = block(
        m.ec2()
            .describe_instances()
            .filters(
                Filter::builder()
                    .name("tag:iac:release")
                    .values(release)
                    .build(),
            )
            .filters(
                Filter::builder()
                    .name("instance-state-name")
                    .values("running")
                    .build(),
            )
            .send(),
    )
    .unwrap();
    out.reservations()
        .iter()
        .flat_map(|r| r.instances().to_vec())
        .collect()
}

fn running_in_release(m: &Moto, release: &str) -> usize {
    running_instances(m, release).len()
}

fn release(w: &Work) -> String {
    w.state()["outputs"]["release"]["value"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn blue_green_flips_the_listener_keeps_the_previous_release_and_rolls_back() {
    let m = Moto::start();
    let w = Work::new(&base(
        "blue_green",
        "  health {\n    interval = \"200ms\"\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
    assert_eq!(running_in_release(&m, &r1), 3);

    let plan = run(&w, &m, &["plan", "-var", "app_version=v2"]).ok();
    for want in [
        "# deployment.web will be updated in-place",
        "# Note: create release r",
        ": 3 × aws_instance (t3.micro), target group web-r",
        "# Note: wait until 100% of targets are healthy (timeout 10m)",
        &format!("# Note: flip the listener {r1} → r"),
        &format!("# Note: keep {r1} until "),
    ] {
        assert!(plan.stdout.contains(want), "{want}: {}", plan.stdout);
    }
    // The steps are in the JSON plan and in the pull-request comment too.
    let json = run(&w, &m, &["plan", "-json", "-var", "app_version=v2"]).ok();
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let change = j["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "deployment.web")
        .unwrap()
        .clone();
    assert_eq!(change["change"]["actions"][0], "update");
    assert!(change["notes"].as_array().unwrap().iter().any(|n| n
        .as_str()
        .unwrap()
        .starts_with(&format!("flip the listener {r1} → r"))));
    crate::schemas::assert_valid(&crate::schemas::schema("plan.schema.json"), &j);
    run(
        &w,
        &m,
        &["plan", "-var", "app_version=v2", "-markdown=pr.md"],
    )
    .ok();
    let md = w.read("pr.md");
    assert!(
        md.contains("- `deployment.web`: `fleet` changed (**create release r"),
        "{md}"
    );
    assert!(
        md.contains(&format!("(**flip the listener {r1} → r")),
        "{md}"
    );
    let watch = Watch::listener(&m, &listener);
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    let seen = watch.finish();
    let r2 = release(&w);
    assert_ne!(r1, r2);
    // One flip, straight from the old release to the new one.
    assert_eq!(
        seen,
        vec![
            BTreeMap::from([(format!("web-{r1}"), 1)]),
            BTreeMap::from([(format!("web-{r2}"), 1)])
        ]
    );
    // The previous release is still there, for rollback.
    assert!(tg_exists(&m, &format!("web-{r1}")));
    assert_eq!(running_in_release(&m, &r1), 3);

    let r = run(&w, &m, &["rollback", "-auto-approve", "deployment.web"]).ok();
    assert!(
        r.stdout
            .contains(&format!("traffic moved from release {r2} to {r1}")),
        "{}",
        r.stdout
    );
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
    let list = run(&w, &m, &["deployments", "-json"]).ok();
    let j: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let rel = &j["deployments"][0]["releases"];
    let status = |id: &str| {
        rel.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| {
                (
                    r["status"].as_str().unwrap().to_string(),
                    r["weight"].as_i64().unwrap(),
                )
            })
    };
    assert_eq!(status(&r1), Some(("live".into(), 100)));
    assert_eq!(status(&r2), Some(("rolled_back".into(), 0)));
    let text = run(&w, &m, &["deployments"]).ok();
    assert!(
        text.stdout
            .contains(&format!("deployment.web (blue_green), live release {r1}")),
        "{}",
        text.stdout
    );
    // The rolled-back fleet is not deployed again by accident.
    let again = run(
        &w,
        &m,
        &["plan", "-var", "app_version=v2", "-detailed-exitcode"],
    );
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stderr
            .contains(&format!("Release {r2} was rolled back")),
        "{}",
        again.stderr
    );
    // Destroy removes every release.
    run(&w, &m, &["destroy", "-auto-approve"]).ok();
    assert_eq!(running_in_release(&m, &r1) + running_in_release(&m, &r2), 0);
    assert!(!tg_exists(&m, &format!("web-{r1}")) && !tg_exists(&m, &format!("web-{r2}")));
}

/// A local HTTP server answering `status`, changeable while it runs.
fn health_server() -> (String, Arc<AtomicU16>) {
    let status = Arc::new(AtomicU16::new(200));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", l.local_addr().unwrap());
    let st = status.clone();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            // Read the whole request head before answering.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let code = st.load(Ordering::SeqCst);
            let _ = write!(c, "HTTP/1.0 {code} X\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    (url, status)
}

#[test]
fn a_failed_health_gate_rolls_back_and_traffic_never_leaves_the_healthy_release() {
    let m = Moto::start();
    let (url, status) = health_server();
    let w = Work::new(&base(
        "blue_green",
        &format!("  health {{\n    check_url = \"{url}\"\n    timeout   = \"2s\"\n    interval  = \"200ms\"\n  }}\n"),
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    let serial = w.state()["serial"].clone();
    // The new release's check fails.
    status.store(500, Ordering::SeqCst);
    let watch = Watch::listener(&m, &listener);
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(1);
    let seen = watch.finish();
    assert!(
        r.stderr.contains("Deployment web rolled back: release r"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("{url} answered 500")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("traffic stayed on the live release"),
        "{}",
        r.stderr
    );
    // Traffic never left the healthy release, not even for a moment.
    assert_eq!(seen, vec![BTreeMap::from([(format!("web-{r1}"), 1)])]);
    // The failed release is gone, the live one untouched, state unchanged.
    let failed: Vec<String> = block(m.elb().describe_target_groups().send())
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_name().map(String::from))
        .collect();
    assert_eq!(failed, vec![format!("web-{r1}")]);
    assert_eq!(running_in_release(&m, &r1), 3);
    assert_eq!(release(&w), r1);
    assert_eq!(w.state()["serial"], serial);
    // Once the check passes again, the release goes out.
    status.store(200, Ordering::SeqCst);
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    assert_ne!(release(&w), r1);
}

#[test]
fn canary_passes_through_each_weight_step() {
    let m = Moto::start();
    let w = Work::new(&base(
        "canary",
        "  health {\n    interval = \"100ms\"\n  }\n  canary {\n    steps    = [10, 50, 100]\n    interval = \"600ms\"\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    let watch = Watch::listener(&m, &listener);
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    let seen = watch.finish();
    let r2 = release(&w);
    let (a, b) = (format!("web-{r1}"), format!("web-{r2}"));
    assert_eq!(
        seen,
        vec![
            BTreeMap::from([(a.clone(), 1)]),
            BTreeMap::from([(a.clone(), 90), (b.clone(), 10)]),
            BTreeMap::from([(a.clone(), 50), (b.clone(), 50)]),
            BTreeMap::from([(b.clone(), 1)]),
        ],
        "{}",
        r.stdout
    );
}

#[test]
fn rolling_replaces_servers_without_dropping_below_the_healthy_minimum() {
    let m = Moto::start();
    let w = Work::new(&base(
        "rolling",
        "  health {\n    interval = \"100ms\"\n  }\n  rolling {\n    batch_size          = 1\n    min_healthy_percent = 100\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let tg = w.attrs("deployment.web")["live_target_group_arn"]
        .as_str()
        .unwrap()
        .to_string();
    // Count healthy targets of the one target group while the servers are replaced.
    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let (s2, samples2, endpoint, tg2) = (
        stop.clone(),
        samples.clone(),
        m.endpoint.clone(),
        tg.clone(),
    );
    let poller = std::thread::spawn(move || {
        let m = Moto::attach(&endpoint);
        while !s2.load(Ordering::SeqCst) {
            let out = block(
                m.elb()
                    .describe_target_health()
                    .target_group_arn(&tg2)
                    .send(),
            )
            .unwrap();
            let healthy = out
                .target_health_descriptions()
                .iter()
                .filter(|d| {
                    d.target_health()
                        .and_then(|h| h.state())
                        .map(|s| s.as_str())
                        == Some("healthy")
                })
                .count();
            samples2.lock().unwrap().push(healthy);
            std::thread::sleep(Duration::from_millis(30));
        }
    });
    // Old servers leave slowly (through a proxy that holds DeregisterTargets
    // for 300 ms), so the moments with four servers can be seen.
    let slow = crate::proxy::Proxy::start_with(
        &m.endpoint,
        0,
        Some(("DeregisterTargets", Duration::from_millis(300))),
    );
    let env = m.env_via(&slow.endpoint);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(&["apply", "-auto-approve", "-var", "app_version=v2"], &env)
        .ok();
    stop.store(true, Ordering::SeqCst);
    assert_eq!(slow.count("DeregisterTargets"), 3, "one batch at a time");
    // Each batch of old servers drains (within the target group's deregistration
    // delay, read for it) before it is terminated.
    assert_eq!(slow.count("DescribeTargetGroupAttributes"), 3);
    poller.join().unwrap();
    let r2 = release(&w);
    let samples = samples.lock().unwrap().clone();
    assert!(samples.len() > 5, "{samples:?}");
    assert!(
        samples.iter().all(|h| *h >= 3),
        "healthy dropped below 3: {samples:?}"
    );
    assert!(
        samples.contains(&4),
        "a new server joined before an old one left: {samples:?}"
    );
    // Same target group, all servers of the new release.
    assert_eq!(
        w.attrs("deployment.web")["live_target_group_arn"],
        tg.as_str()
    );
    assert_eq!(running_in_release(&m, &r2), 3);
    assert_eq!(running_in_release(&m, &r1), 0);
}

const MANUAL: &str = r#"
variable "blue_weight" {
  default = 100
}
data "aws_availability_zones" "az" {}
resource "aws_vpc" "main" {
  cidr_block = "10.80.0.0/16"
}
resource "aws_subnet" "s" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.80.0.0/16", 8, count.index)
  availability_zone = data.aws_availability_zones.az.names[count.index]
}
resource "aws_security_group" "lb" {
  name   = "lb"
  vpc_id = aws_vpc.main.id
  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_lb" "app" {
  name            = "app"
  subnets         = aws_subnet.s[*].id
  security_groups = [aws_security_group.lb.id]
  tags            = { Team = "web" }
}
resource "aws_lb_target_group" "blue" {
  name     = "blue"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
  health_check {
    path = "/health"
  }
}
resource "aws_lb_target_group" "green" {
  name     = "green"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.main.id
}
resource "aws_instance" "blue" {
  ami           = "ami-12c6146b"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s[0].id
}
resource "aws_lb_target_group_attachment" "blue" {
  target_group_arn = aws_lb_target_group.blue.arn
  target_id        = aws_instance.blue.id
  port             = 80
}
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.blue.arn
        weight = var.blue_weight
      }
      target_group {
        arn    = aws_lb_target_group.green.arn
        weight = 100 - var.blue_weight
      }
    }
  }
}
resource "aws_lb_listener_rule" "maintenance" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10
  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "down for maintenance"
      status_code  = "503"
    }
  }
  condition {
    path_pattern {
      values = ["/admin/*"]
    }
  }
}
"#;

#[test]
fn a_terraform_style_blue_green_changes_weights_with_one_modify_listener() {
    let m = Moto::start();
    let w = Work::new(MANUAL);
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("Resources: 11 added"), "{}", r.stdout);
    let listener = listener_arn(&w);
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([("blue".to_string(), 100), ("green".to_string(), 0)])
    );
    let again = run(&w, &m, &["plan", "-detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    // Shift traffic: an update in place, one ModifyListener, nothing else changes.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = crate::moto::iac_via(
        &w,
        &m,
        &proxy,
        &["apply", "-auto-approve", "-var", "blue_weight=10"],
    )
    .ok();
    assert!(
        r.stdout
            .contains("Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    assert_eq!(proxy.count("ModifyListener"), 1);
    assert_eq!(
        proxy.count_prefix("Create") + proxy.count_prefix("Delete"),
        0
    );
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([("blue".to_string(), 10), ("green".to_string(), 90)])
    );
    // The rule and the attachment are there.
    let rules = block(m.elb().describe_rules().listener_arn(&listener).send()).unwrap();
    assert!(rules.rules().iter().any(|r| r.priority() == Some("10")));
    let blue_tg = w.attrs("aws_lb_target_group.blue")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let health = block(
        m.elb()
            .describe_target_health()
            .target_group_arn(&blue_tg)
            .send(),
    )
    .unwrap();
    assert_eq!(health.target_health_descriptions().len(), 1);

    // Drift: weights changed by hand are seen and put back.
    let green_tg = w.attrs("aws_lb_target_group.green")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum};
    block(
        m.elb()
            .modify_listener()
            .listener_arn(&listener)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&green_tg)
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let r = run(&w, &m, &["plan", "-var", "blue_weight=10"]).ok();
    assert!(
        r.stdout.contains("# aws_lb_listener.http has changed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("# aws_lb_listener.http will be updated in-place"),
        "{}",
        r.stdout
    );
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "blue_weight=10"],
    )
    .ok();
    assert_eq!(forwards(&m, &listener)["blue"], 10);

    // A change AWS cannot make in place replaces: the green group's port.
    w.write(
        "main.tf",
        &MANUAL.replacen(
            "port     = 80\n  protocol = \"HTTP\"\n  vpc_id   = aws_vpc.main.id\n}",
            "port     = 8080\n  protocol = \"HTTP\"\n  vpc_id   = aws_vpc.main.id\n}",
            1,
        ),
    );
    let r = run(&w, &m, &["plan", "-var", "blue_weight=10"]).ok();
    assert!(
        r.stdout
            .contains("# aws_lb_target_group.green must be replaced"),
        "{}",
        r.stdout
    );
    w.write("main.tf", MANUAL);

    // Import: forget the listener, the group and the attachment; adopt them again.
    let attachment = w.attrs("aws_lb_target_group_attachment.blue")["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (addr, id) in [
        ("aws_lb_listener.http", listener.clone()),
        ("aws_lb_target_group.green", green_tg.clone()),
        ("aws_lb_target_group_attachment.blue", attachment),
    ] {
        run(&w, &m, &["state", "rm", addr]).ok();
        run(&w, &m, &["import", addr, &id]).ok();
    }
    let r = run(
        &w,
        &m,
        &["plan", "-var", "blue_weight=10", "-detailed-exitcode"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // Refresh reads every type in one call (plus tags), not one per object.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-var", "blue_weight=10"]).ok();
    assert_eq!(proxy.count("DescribeTargetGroups"), 1);
    assert_eq!(proxy.count("DescribeListeners"), 1);

    run(
        &w,
        &m,
        &["destroy", "-auto-approve", "-var", "blue_weight=10"],
    )
    .ok();
    let lbs = block(m.elb().describe_load_balancers().send()).unwrap();
    assert!(lbs.load_balancers().is_empty());
}

#[test]
fn a_release_killed_midway_resumes_without_duplicate_servers() {
    let m = Moto::start();
    let w = Work::new(&base(
        "canary",
        "  health {\n    interval = \"100ms\"\n  }\n  canary {\n    steps    = [10, 100]\n    interval = \"30s\"\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    let mut child = w
        .command(&["apply", "-auto-approve", "-var", "app_version=v2"])
        .envs(m.env())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while 10% of the traffic is on the new release.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if forwards(&m, &listener).len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the canary step never came"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // The state still says r1; the new release's objects exist, half-used.
    assert_eq!(release(&w), r1);
    // A re-run (with short steps now) finds the release's servers and target
    // group and carries on: no second set of servers.
    w.write(
        "main.tf",
        &base(
            "canary",
            "  health {\n    interval = \"100ms\"\n  }\n  canary {\n    steps    = [10, 100]\n    interval = \"200ms\"\n  }\n",
        ),
    );
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    let r2 = release(&w);
    assert_ne!(r1, r2);
    assert_eq!(running_in_release(&m, &r2), 3);
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r2}"), 1)])
    );
}

#[test]
fn the_previous_release_is_removed_by_a_later_apply_once_its_time_is_up() {
    let m = Moto::start();
    let w = Work::new(&base(
        "blue_green",
        "  health {\n    interval = \"100ms\"\n  }\n  rollback {\n    keep_previous = \"1s\"\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    assert!(tg_exists(&m, &format!("web-{r1}")));
    std::thread::sleep(Duration::from_millis(2100));
    let plan = run(&w, &m, &["plan", "-var", "app_version=v2"]).ok();
    assert!(
        plan.stdout
            .contains(&format!("# Note: remove release {r1} (kept until ")),
        "{}",
        plan.stdout
    );
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    assert!(!tg_exists(&m, &format!("web-{r1}")));
    assert_eq!(running_in_release(&m, &r1), 0);
    let rollback = run(&w, &m, &["rollback", "-auto-approve", "deployment.web"]).code(1);
    assert!(
        rollback
            .stderr
            .contains("There is no previous release to roll back to"),
        "{}",
        rollback.stderr
    );
}

const LB_ARGS: &str = r#"
variable "protect" { default = true }
variable "idle" { default = 120 }
data "aws_availability_zones" "az" {}
resource "aws_vpc" "main" {
  cidr_block = "10.90.0.0/16"
}
resource "aws_subnet" "s" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet("10.90.0.0/16", 8, count.index)
  availability_zone = data.aws_availability_zones.az.names[count.index]
}
resource "aws_s3_bucket" "logs" {
  bucket = "alb-logs-iac-test"
}
resource "aws_alb" "app" {
  name_prefix                = "web-"
  subnets                    = aws_subnet.s[*].id
  enable_deletion_protection = var.protect
  idle_timeout               = var.idle
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  access_logs {
    bucket = aws_s3_bucket.logs.bucket
    prefix = "web"
  }
  timeouts {
    create = "10m"
    delete = "15m"
  }
}
resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_alb.app.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:iam::123456789012:server-certificate/web"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "200"
    }
  }
}
"#;

/// `aws_lb` arguments that are load-balancer attributes, an `access_logs` block,
/// `name_prefix`, deletion protection refused at plan time, and `timeouts`.
#[test]
fn load_balancer_attributes_against_moto() {
    let m = Moto::start();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&m.sdk());
    let w = Work::new(LB_ARGS);
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_alb.app")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    assert!(
        w.attrs("aws_alb.app")["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("web-") && n.len() <= 32),
        "{}",
        w.attrs("aws_alb.app")
    );
    let attrs = |elb: &aws_sdk_elasticloadbalancingv2::Client| {
        block(async {
            elb.describe_load_balancer_attributes()
                .load_balancer_arn(&arn)
                .send()
                .await
                .expect("attributes")
                .attributes()
                .iter()
                .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                .collect::<BTreeMap<String, String>>()
        })
    };
    let a = attrs(&elb);
    assert_eq!(a["deletion_protection.enabled"], "true");
    assert_eq!(a["idle_timeout.timeout_seconds"], "120");
    assert_eq!(a["routing.http.drop_invalid_header_fields.enabled"], "true");
    assert_eq!(a["routing.http.desync_mitigation_mode"], "strictest");
    assert_eq!(a["access_logs.s3.enabled"], "true");
    assert_eq!(a["access_logs.s3.bucket"], "alb-logs-iac-test");
    assert_eq!(a["access_logs.s3.prefix"], "web");
    let listeners = block(async {
        elb.describe_listeners()
            .load_balancer_arn(&arn)
            .send()
            .await
            .expect("listeners")
    });
    let l = listeners.listeners().first().expect("listener");
    assert_eq!(l.ssl_policy(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
    // Defaults left out of the configuration are no change.
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_eq!(w.attrs("aws_alb.app")["enable_http2"], true);
    assert_eq!(w.attrs("aws_alb.app")["timeouts"]["create"], "10m");

    // A destroy of a protected load balancer is refused before anything changes.
    let r = run(&w, &m, &["destroy", "-auto-approve"]).code(1);
    assert!(
        r.stderr.contains("Deletion protection is on"),
        "{}",
        r.stderr
    );
    assert_eq!(w.attrs("aws_alb.app")["arn"], arn.as_str());

    // Drift: turned off outside iac, planned back on.
    block(async {
        elb.modify_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .attributes(
                aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
                    .key("idle_timeout.timeout_seconds")
                    .value("30")
                    .build(),
            )
            .send()
            .await
            .expect("modify");
    });
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(r.stdout.contains("idle_timeout"), "{}", r.stdout);

    // In place: protection off and a new idle timeout, then the destroy goes through.
    let r = run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "protect=false",
            "-var",
            "idle=300",
        ],
    )
    .ok();
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    let a = attrs(&elb);
    assert_eq!(a["deletion_protection.enabled"], "false");
    assert_eq!(a["idle_timeout.timeout_seconds"], "300");
    run(
        &w,
        &m,
        &[
            "destroy",
            "-auto-approve",
            "-var",
            "protect=false",
            "-var",
            "idle=300",
        ],
    )
    .ok();
    let left = block(async { elb.describe_load_balancers().send().await.expect("lbs") });
    assert!(left.load_balancers().is_empty());
}

/// A network load balancer with a fixed address in each subnet, as static-IP
/// configurations write it: an Elastic IP by `subnet_mapping.allocation_id`,
/// and an internal one with `private_ipv4_address`. Sent with CreateLoadBalancer
/// (moto keeps no addresses, so the request is checked), no change on a second
/// plan, another Elastic IP for a subnet replaces the load balancer (AWS cannot
/// change one in place); on an application load balancer, refused.
#[test]
fn network_load_balancer_fixed_addresses_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |eip_b: &str, kind: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.0.0.0/16"
}}
resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.v.id
}}
resource "aws_subnet" "s" {{
  for_each          = toset(["a", "b"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${{index(["a", "b"], each.key) + 1}}.0/24"
  availability_zone = "us-east-1${{each.key}}"
}}
resource "aws_eip" "ip" {{
  for_each = toset(["a", "b", "c"])
  domain   = "vpc"
}}
resource "aws_lb" "public" {{
  name               = "static-nlb"
  load_balancer_type = "{kind}"
  subnet_mapping {{
    subnet_id     = aws_subnet.s["a"].id
    allocation_id = aws_eip.ip["a"].id
  }}
  subnet_mapping {{
    subnet_id     = aws_subnet.s["b"].id
    allocation_id = aws_eip.ip["{eip_b}"].id
  }}
  depends_on = [aws_internet_gateway.gw]
}}
resource "aws_lb" "internal" {{
  name               = "private-nlb"
  load_balancer_type = "network"
  internal           = true
  subnet_mapping {{
    subnet_id            = aws_subnet.s["a"].id
    private_ipv4_address = "10.0.1.10"
  }}
  subnet_mapping {{
    subnet_id = aws_subnet.s["b"].id
  }}
}}
output "mapping" {{
  value = [for m in aws_lb.public.subnet_mapping : m.allocation_id]
}}
"#
        )
    };
    let w = Work::new(&main("b", "network"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let eip = |k: &str| {
        w.attrs(&format!("aws_eip.ip[\"{k}\"]"))["id"]
            .as_str()
            .expect("eip")
            .to_string()
    };
    let creates = proxy.requests("CreateLoadBalancer");
    let public = creates
        .iter()
        .find(|p| p.get("Name").map(String::as_str) == Some("static-nlb"))
        .expect("the public load balancer");
    let sent: Vec<&String> = public
        .iter()
        .filter(|(k, _)| k.starts_with("SubnetMappings.member.") && k.ends_with(".AllocationId"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(sent.len(), 2, "{public:?}");
    assert!(
        sent.contains(&&eip("a")) && sent.contains(&&eip("b")),
        "{public:?}"
    );
    assert!(
        !public.keys().any(|k| k.starts_with("Subnets.member.")),
        "mappings, not subnets: {public:?}"
    );
    let internal = creates
        .iter()
        .find(|p| p.get("Name").map(String::as_str) == Some("private-nlb"))
        .expect("the internal load balancer");
    assert!(internal.values().any(|v| v == "10.0.1.10"), "{internal:?}");
    let out: serde_json::Value =
        serde_json::from_str(&iac(&w, &m, &["output", "-json"]).ok().stdout).expect("json");
    let mut got: Vec<String> = out["mapping"]["value"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    got.sort();
    let mut want = vec![eip("a"), eip("b")];
    want.sort();
    assert_eq!(got, want);
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // Another Elastic IP for subnet b: a new load balancer.
    w.write("main.tf", &main("c", "network"));
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout.contains("aws_lb.public must be replaced"),
        "{}",
        r.stdout
    );
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let last = proxy.requests("CreateLoadBalancer");
    let last = last
        .iter()
        .rev()
        .find(|p| p.get("Name").map(String::as_str) == Some("static-nlb"))
        .expect("made again");
    assert!(last.values().any(|v| *v == eip("c")), "{last:?}");
    let r = iac(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // An application load balancer has no fixed addresses.
    w.write("main.tf", &main("c", "application"));
    let r = iac(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("an application load balancer's addresses are AWS's"),
        "{}",
        r.stderr
    );
    w.write("main.tf", &main("c", "network"));
    iac(&w, &m, &["destroy", "-auto-approve"]).ok();
}

const NLB: &str = r#"
variable "cross_zone" {
  default = true
}
variable "policy" {
  default = "availability_zone_affinity"
}
variable "zones" {
  default = ["a", "b"]
}
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "s" {
  for_each          = toset(["a", "b", "c"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${index(["a", "b", "c"], each.key) + 1}.0/24"
  availability_zone = "us-east-1${each.key}"
}
resource "aws_lb" "net" {
  name                             = "nlb-iac"
  load_balancer_type               = "network"
  internal                         = true
  subnets                          = [for z in var.zones : aws_subnet.s[z].id]
  enable_cross_zone_load_balancing = var.cross_zone
  dns_record_client_routing_policy = var.policy
  # A setting of application load balancers: ignored, with a warning.
  idle_timeout = 120
  tags = {
    Name = "nlb"
  }
}
# Found again by name and by tags.
data "aws_lb" "by_name" {
  name = aws_lb.net.name
}
data "aws_alb" "by_tags" {
  tags       = { Name = "nlb" }
  depends_on = [aws_lb.net]
}
output "found" {
  value = {
    arn     = data.aws_lb.by_name.arn
    type    = data.aws_lb.by_name.load_balancer_type
    subnets = length(data.aws_lb.by_name.subnets)
    policy  = data.aws_alb.by_tags.dns_record_client_routing_policy
    same    = data.aws_alb.by_tags.arn == data.aws_lb.by_name.arn
  }
}
resource "aws_lb_target_group" "tcp" {
  name     = "tcp-iac"
  port     = 80
  protocol = "TCP"
  vpc_id   = aws_vpc.v.id
}
resource "aws_lb_listener" "tcp" {
  load_balancer_arn = aws_lb.net.arn
  port              = 80
  protocol          = "TCP"
  # The idle timeout of a TCP listener: a listener attribute.
  tcp_idle_timeout_seconds = 600
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.tcp.arn
  }
}
"#;

/// A network load balancer with a TCP listener and target group: its own
/// attributes (cross-zone balancing, DNS routing policy) set, changed in place
/// and drift found; an application load balancer's argument ignored with a
/// warning; a subnet added in place, a subnet removed by a replacement; destroy.
/// `data "aws_lb"` and `data "aws_alb"` find it by name and by tags.
#[test]
fn network_load_balancer_against_moto() {
    let m = Moto::start();
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&m.sdk());
    let w = Work::new(NLB);
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("7 added"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("`idle_timeout` is a setting of application load balancers"),
        "{}",
        r.stderr
    );
    let arn = w.attrs("aws_lb.net")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let lb = |elb: &aws_sdk_elasticloadbalancingv2::Client, arn: &str| {
        block(async {
            elb.describe_load_balancers()
                .load_balancer_arns(arn)
                .send()
                .await
                .expect("describe")
                .load_balancers()
                .first()
                .cloned()
                .expect("load balancer")
        })
    };
    let attrs = |elb: &aws_sdk_elasticloadbalancingv2::Client, arn: &str| {
        block(async {
            elb.describe_load_balancer_attributes()
                .load_balancer_arn(arn)
                .send()
                .await
                .expect("attributes")
                .attributes()
                .iter()
                .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
                .collect::<BTreeMap<String, String>>()
        })
    };
    let l = lb(&elb, &arn);
    assert_eq!(l.r#type().map(|t| t.as_str()), Some("network"));
    assert_eq!(l.scheme().map(|s| s.as_str()), Some("internal"));
    assert_eq!(l.availability_zones().len(), 2);
    let a = attrs(&elb, &arn);
    assert_eq!(a["load_balancing.cross_zone.enabled"], "true");
    assert_eq!(
        a["dns_record.client_routing_policy"],
        "availability_zone_affinity"
    );
    assert!(!a.contains_key("idle_timeout.timeout_seconds"), "{a:?}");
    // The listener and its target group speak TCP; the listener's idle timeout is set.
    let listener = block(async {
        elb.describe_listeners()
            .load_balancer_arn(&arn)
            .send()
            .await
            .expect("listeners")
    });
    let listener = listener.listeners().first().expect("listener").clone();
    assert_eq!(listener.protocol().map(|p| p.as_str()), Some("TCP"));
    let listener_arn = listener.listener_arn().expect("arn").to_string();
    let idle = block(async {
        elb.describe_listener_attributes()
            .listener_arn(&listener_arn)
            .send()
            .await
            .expect("listener attributes")
    });
    assert!(
        idle.attributes()
            .iter()
            .any(|a| a.key() == Some("tcp.idle_timeout.seconds") && a.value() == Some("600")),
        "{idle:?}"
    );
    let tg_arn = w.attrs("aws_lb_target_group.tcp")["arn"]
        .as_str()
        .expect("tg")
        .to_string();
    let tg = block(async {
        elb.describe_target_groups()
            .target_group_arns(&tg_arn)
            .send()
            .await
            .expect("target groups")
    });
    assert_eq!(
        tg.target_groups()[0].protocol().map(|p| p.as_str()),
        Some("TCP")
    );
    // State as Terraform keeps it: the other kind's settings are null.
    let s = w.attrs("aws_lb.net");
    assert_eq!(s["load_balancer_type"], "network");
    assert!(
        s["idle_timeout"].is_null() && s["enable_http2"].is_null(),
        "{s}"
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    // The data sources found it by name and by tags.
    let out: serde_json::Value =
        serde_json::from_str(&run(&w, &m, &["output", "-json"]).ok().stdout).unwrap();
    let found = &out["found"]["value"];
    assert_eq!(found["arn"], arn.as_str(), "{out}");
    assert_eq!(found["type"], "network");
    assert_eq!(found["subnets"], 2);
    assert_eq!(found["policy"], "availability_zone_affinity");
    assert_eq!(found["same"], true);

    // Drift: cross-zone turned off outside iac is planned back on.
    block(async {
        elb.modify_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .attributes(
                aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
                    .key("load_balancing.cross_zone.enabled")
                    .value("false")
                    .build(),
            )
            .send()
            .await
            .expect("modify");
    });
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(2);
    assert!(
        r.stdout
            .contains("enable_cross_zone_load_balancing = false -> true"),
        "{}",
        r.stdout
    );

    // In place: the attributes, and a third subnet.
    let three = [
        "-var",
        "cross_zone=false",
        "-var",
        "policy=any_availability_zone",
    ];
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(three);
    args.extend(["-var", r#"zones=["a","b","c"]"#]);
    let r = run(&w, &m, &args).ok();
    assert!(r.stdout.contains("1 changed"), "{}", r.stdout);
    assert_eq!(w.attrs("aws_lb.net")["arn"], arn.as_str());
    let a = attrs(&elb, &arn);
    assert_eq!(a["load_balancing.cross_zone.enabled"], "false");
    assert_eq!(
        a["dns_record.client_routing_policy"],
        "any_availability_zone"
    );
    assert_eq!(lb(&elb, &arn).availability_zones().len(), 3);

    // A network load balancer cannot leave a subnet: removing one replaces it.
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(three);
    args.extend(["-var", r#"zones=["a","c"]"#]);
    let r = run(&w, &m, &args).ok();
    assert!(r.stdout.contains("# forces replacement"), "{}", r.stdout);
    let replaced = w.attrs("aws_lb.net")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    assert_ne!(replaced, arn);
    assert_eq!(lb(&elb, &replaced).availability_zones().len(), 2);
    // AWS's defaults are what was asked for: nothing else is set on the new one.
    let a = attrs(&elb, &replaced);
    assert_eq!(a["load_balancing.cross_zone.enabled"], "false");
    assert!(
        a.get("dns_record.client_routing_policy")
            .is_none_or(|p| p == "any_availability_zone"),
        "{a:?}"
    );
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(three);
    args.extend(["-var", r#"zones=["a","c"]"#]);
    run(&w, &m, &args).code(0);

    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(three);
    args.extend(["-var", r#"zones=["a","c"]"#]);
    run(&w, &m, &args).ok();
    let left = block(async { elb.describe_load_balancers().send().await.expect("lbs") });
    assert!(left.load_balancers().is_empty());

    // A lookup that finds none says so.
    let w = Work::new(
        r#"
data "aws_lb" "gone" {
  name = "nlb-iac"
}
"#,
    );
    let r = run(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("0 load balancers match the name \"nlb-iac\""),
        "{}",
        r.stderr
    );
}

#[test]
fn load_balancer_arguments_iac_cannot_honour_are_errors() {
    let w = Work::new(
        r#"
resource "aws_lb" "gwlb" {
  load_balancer_type = "gateway"
  subnets            = ["subnet-1", "subnet-2"]
  timeouts {
    create = "ten minutes"
  }
}
resource "aws_lb_listener" "http" {
  load_balancer_arn = "arn"
  port              = 80
  ssl_policy        = "ELBSecurityPolicy-2016-08"
  default_action {
    type             = "forward"
    target_group_arn = "arn"
  }
}
"#,
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr
            .contains("gateway load balancers are not supported yet"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\"ten minutes\" is not a duration"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("applies to an HTTPS or TLS listener"),
        "{}",
        r.stderr
    );
}

/// Shared with a server thread.
type Shared<T> = Arc<Mutex<T>>;

/// A Prometheus HTTP API answering every instant query with `value`; the
/// queries it was asked, decoded.
fn prometheus_server() -> (String, Shared<String>, Shared<Vec<String>>) {
    let value = Arc::new(Mutex::new("0".to_string()));
    let asked = Arc::new(Mutex::new(Vec::new()));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", l.local_addr().unwrap());
    let (v, a) = (value.clone(), asked.clone());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
            let query = target.split_once("query=").map_or("", |(_, q)| q);
            a.lock().unwrap().push(percent_decode(query));
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1700000000,"{}"]}}]}}}}"#,
                v.lock().unwrap()
            );
            let _ = write!(
                c,
                "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (address, value, asked)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

/// Puts one datapoint of `App/Errors` for a release into moto's CloudWatch.
fn put_errors(m: &Moto, release: &str, value: f64) {
    put_metric(m, "Errors", release, value);
}

/// Puts one datapoint of `App/<name>` (dimensions Release, Service=web).
fn put_metric(m: &Moto, name: &str, release: &str, value: f64) {
    let cw = aws_sdk_cloudwatch::Client::new(&m.sdk());
    let dim = |k: &str, v: &str| {
        aws_sdk_cloudwatch::types::Dimension::builder()
            .name(k)
            .value(v)
            .build()
    };
    block(
        cw.put_metric_data()
            .namespace("App")
            .metric_data(
                aws_sdk_cloudwatch::types::MetricDatum::builder()
                    .metric_name(name)
                    .dimensions(dim("Release", release))
                    .dimensions(dim("Service", "web"))
                    .value(value)
                    .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(
                        std::time::SystemTime::now(),
                    ))
                    .build(),
            )
            .send(),
    )
    .unwrap();
}

/// The release a plan would make.
fn planned_release(w: &Work, m: &Moto, version: &str) -> String {
    let json = run(
        w,
        m,
        &["plan", "-json", "-var", &format!("app_version={version}")],
    )
    .ok();
    let j: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    j["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "deployment.web")
        .and_then(|c| c["change"]["after"]["release"].as_str())
        .unwrap()
        .to_string()
}

#[test]
fn an_analysis_gate_reads_cloudwatch_and_prometheus_and_rolls_back_on_a_breach() {
    let m = Moto::start();
    let (prom, latency, asked) = prometheus_server();
    let analysis = format!(
        r#"  analysis {{
    interval = "200ms"
    count    = 2
    metric {{
      name      = "errors"
      threshold = "< 1"
      cloudwatch {{
        namespace   = "App"
        metric_name = "Errors"
        stat        = "Maximum"
        dimensions  = {{ Service = "web", Release = "{{release}}" }}
      }}
    }}
    metric {{
      name      = "p99"
      threshold = "< 200ms"
      prometheus {{
        address = "{prom}"
        query   = "histogram_quantile(0.99, latency{{release=\"{{release}}\"}})"
      }}
    }}
  }}
"#
    );
    let w = Work::new(&base("blue_green", &analysis));
    *latency.lock().unwrap() = "0.05".into();
    // The plan says what will be measured.
    let plan = run(&w, &m, &["plan"]).ok();
    assert!(
        plan.stdout.contains("# Note: analyse ")
            && plan.stdout.contains(
                "errors < 1, p99 < 200ms (2 measurements 200ms apart, 0 failures allowed)"
            ),
        "{}",
        plan.stdout
    );
    // No errors in CloudWatch yet (no data passes): the first release goes out.
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    // The release's id went into the query.
    assert!(
        asked.lock().unwrap().contains(&format!(
            "histogram_quantile(0.99, latency{{release=\"{r1}\"}})"
        )),
        "{:?}",
        asked.lock().unwrap()
    );
    let serial = w.state()["serial"].clone();
    // The next release is slow: rolled back, with the query and its value.
    *latency.lock().unwrap() = "0.35".into();
    let watch = Watch::listener(&m, &listener);
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(1);
    let seen = watch.finish();
    assert!(
        r.stderr.contains("Deployment web rolled back: analysis of release r")
            && r.stderr.contains("failed 1 of 1 measurement (0 allowed): p99 (Prometheus `histogram_quantile(0.99, latency{release=\"r")
            && r.stderr.contains("gave 0.35 against < 200ms"),
        "{}",
        r.stderr
    );
    // Traffic never left the live release; state unchanged.
    assert_eq!(seen, vec![BTreeMap::from([(format!("web-{r1}"), 1)])]);
    assert_eq!(w.state()["serial"], serial);
    assert_eq!(running_in_release(&m, &r1), 3);
    // Fast now, but CloudWatch counts errors for that release.
    *latency.lock().unwrap() = "0.08".into();
    let r2 = planned_release(&w, &m, "v2");
    put_errors(&m, &r2, 5.0);
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(1);
    assert!(
        r.stderr.contains(&format!(
            "analysis of release {r2} failed 1 of 1 measurement (0 allowed): errors (CloudWatch App Errors Maximum) gave 5 against < 1"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        running_in_release(&m, &r2),
        0,
        "the failed release is removed"
    );
    assert_eq!(release(&w), r1);
    // A release within both objectives goes out.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v3"],
    )
    .ok();
    let r3 = release(&w);
    assert!(r3 != r1 && r3 != r2);
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r3}"), 1)])
    );
}

#[test]
fn a_canary_paused_until_promoted_ends_the_apply_awaiting_promotion_then_goes_on_or_aborts() {
    let m = Moto::start();
    let w = Work::new(&base(
        "canary",
        "  health {\n    interval = \"100ms\"\n  }\n  canary {\n    steps    = [10, \"pause\", 50, 100]\n    interval = \"300ms\"\n  }\n  post_traffic {\n    command = \"echo verified $IAC_RELEASE\"\n  }\n",
    ));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let listener = listener_arn(&w);
    let plan = run(&w, &m, &["plan", "-var", "app_version=v2"]).ok();
    assert!(
        plan.stdout
            .contains("in steps 10% → pause until promoted → 50% → 100% (300ms each"),
        "{}",
        plan.stdout
    );
    // An unattended apply stops at the pause: done, and says it awaits promotion.
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(4);
    assert!(
        r.stdout
            .contains("deployment.web awaits promotion: release r")
            && r.stdout.contains("has 10% of traffic")
            && r.stdout
                .contains("Run `iac promote deployment.web` to go on"),
        "{}",
        r.stdout
    );
    let web = |r: &str| format!("web-{r}");
    let split = forwards(&m, &listener);
    assert_eq!(split.get(&web(&r1)), Some(&90), "{split:?}");
    let r2 = split
        .keys()
        .find(|k| **k != web(&r1))
        .unwrap()
        .trim_start_matches("web-")
        .to_string();
    assert_eq!(split.get(&web(&r2)), Some(&10));
    // State records the pause: the live release is still r1.
    assert_eq!(release(&w), r1);
    let listed = run(&w, &m, &["deployments", "-json"]).ok();
    let j: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let rel = &j["deployments"][0]["releases"];
    let status_of = |id: &str| {
        rel.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of(&r2).as_deref(), Some("paused"), "{rel}");
    // Applying the same configuration again changes nothing and still waits.
    let again = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(4);
    assert!(
        again.stdout.contains("awaits promotion"),
        "{}",
        again.stdout
    );
    assert_eq!(forwards(&m, &listener).get(&web(&r2)), Some(&10));
    // Promoted: the rest of the steps, to all traffic.
    let watch = Watch::listener(&m, &listener);
    let p = run(
        &w,
        &m,
        &[
            "promote",
            "-auto-approve",
            "-var",
            "app_version=v2",
            "deployment.web",
        ],
    )
    .ok();
    let seen = watch.finish();
    assert!(
        p.stdout
            .contains(&format!("deployment.web promoted: release {r2} is live")),
        "{}",
        p.stdout
    );
    // The post_traffic hook ran at the end of the promotion, its output shown.
    assert!(
        p.stdout
            .contains(&format!("deployment.web (post_traffic): verified {r2}")),
        "{}",
        p.stdout
    );
    assert!(
        seen.contains(&BTreeMap::from([(web(&r1), 50), (web(&r2), 50)])),
        "{seen:?}"
    );
    assert_eq!(forwards(&m, &listener), BTreeMap::from([(web(&r2), 1)]));
    assert_eq!(release(&w), r2);
    // Another release, paused, then aborted: traffic back on r2, r3 removed.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v3"],
    )
    .code(4);
    let r3 = forwards(&m, &listener)
        .keys()
        .find(|k| **k != web(&r2))
        .unwrap()
        .trim_start_matches("web-")
        .to_string();
    let a = run(
        &w,
        &m,
        &[
            "abort",
            "-auto-approve",
            "-var",
            "app_version=v3",
            "deployment.web",
        ],
    )
    .ok();
    assert!(
        a.stdout.contains(&format!(
            "deployment.web aborted: release {r3}'s traffic went back to {r2}"
        )),
        "{}",
        a.stdout
    );
    assert_eq!(forwards(&m, &listener), BTreeMap::from([(web(&r2), 1)]));
    assert_eq!(running_in_release(&m, &r3), 0);
    // The aborted fleet is not released again until the configuration changes.
    let after = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v3"],
    )
    .ok();
    assert!(
        after
            .stderr
            .contains(&format!("Release {r3} was rolled back")),
        "{}",
        after.stderr
    );
    assert_eq!(forwards(&m, &listener), BTreeMap::from([(web(&r2), 1)]));
    // Nothing is paused now: promote says so.
    let none = run(
        &w,
        &m,
        &[
            "promote",
            "-auto-approve",
            "-var",
            "app_version=v3",
            "deployment.web",
        ],
    )
    .code(1);
    assert!(
        none.stderr.contains("Nothing to promote"),
        "{}",
        none.stderr
    );
}

/// The boot script and tags of a running server of a release.
fn server_of(m: &Moto, release: &str) -> (String, BTreeMap<String, String>) {
    use base64::Engine as _;
    let i = running_instances(m, release)[0].clone();
    let tags = i
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let attr = block(
        m.ec2()
            .describe_instance_attribute()
            .instance_id(i.instance_id().unwrap())
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send(),
    )
    .unwrap();
    let data = attr
        .user_data()
        .and_then(|u| u.value())
        .map(|v| {
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v).unwrap()).unwrap()
        })
        .unwrap_or_default();
    (data, tags)
}

const USER_DATA_LINE: &str =
    "    user_data     = \"#!/bin/sh\\necho ${var.app_version} > /srv/version\"\n";

fn container_config(extra_env: &str) -> String {
    let container = format!(
        r#"    container {{
      image       = "ghcr.io/acme/web:${{var.git_sha}}"
      port        = 8080
      environment = {{ LOG_LEVEL = "info"{extra_env} }}
      secrets     = {{ DB_PASSWORD = aws_secretsmanager_secret.db.arn }}
      health_path = "/healthz"
    }}
"#
    );
    let head = r#"
variable "git_sha" {
  default = "1f2e3d"
}
variable "db_password" {
  sensitive = true
  default   = "s3cr3t-value-xyz"
}
resource "aws_secretsmanager_secret" "db" {
  name = "web-db"
}
resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = aws_secretsmanager_secret.db.id
  secret_string = var.db_password
}
"#;
    let b = base("blue_green", "  health {\n    interval = \"200ms\"\n  }\n");
    assert!(b.contains(USER_DATA_LINE));
    // No health check path of the target group's own: the container's is used.
    let check = "      health_check {\n        path = \"/health\"\n      }\n";
    assert!(b.contains(check));
    format!(
        "{head}{}",
        b.replace(USER_DATA_LINE, &container).replace(check, "")
    )
}

#[test]
fn a_container_release_boots_its_image_with_secrets_fetched_by_the_server() {
    let m = Moto::start();
    let w = Work::new(&container_config(""));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let (script, tags) = server_of(&m, &r1);
    assert_eq!(
        tags.get("iac:image").map(String::as_str),
        Some("ghcr.io/acme/web:1f2e3d")
    );
    let arn = w.attrs("aws_secretsmanager_secret.db")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    for want in [
        "docker run -d --restart always --name app -p 80:8080 --env-file \"$env_file\" 'ghcr.io/acme/web:1f2e3d'",
        "printf '%s=%s\\n' 'LOG_LEVEL' 'info' >> \"$env_file\"",
        &format!(
            "printf '%s=%s\\n' 'DB_PASSWORD' \"$(aws secretsmanager get-secret-value --secret-id '{arn}' --query SecretString --output text)\""
        ),
    ] {
        assert!(script.contains(want), "{want}\n---\n{script}");
    }
    // The secret's value is in neither the boot script nor the state.
    assert!(!script.contains("s3cr3t-value-xyz"));
    assert!(!std::fs::read_to_string(w.dir.path().join("iac.tfstate"))
        .unwrap()
        .contains("s3cr3t-value-xyz"));
    // The container's health path is the target group's.
    let tg = block(
        m.elb()
            .describe_target_groups()
            .names(format!("web-{r1}"))
            .send(),
    )
    .unwrap();
    assert_eq!(tg.target_groups()[0].health_check_path(), Some("/healthz"));
    // The same image with another setting, or another image, is a new release.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "git_sha=9a8b7c"],
    )
    .ok();
    let r2 = release(&w);
    assert_ne!(r2, r1);
    assert_eq!(
        server_of(&m, &r2).1.get("iac:image").map(String::as_str),
        Some("ghcr.io/acme/web:9a8b7c")
    );
    assert_eq!(
        forwards(&m, &listener_arn(&w)),
        BTreeMap::from([(format!("web-{r2}"), 1)])
    );
}

#[test]
fn a_secret_in_a_container_environment_is_refused() {
    let m = Moto::start();
    let w = Work::new(&container_config(", DB = var.db_password"));
    let r = run(&w, &m, &["plan"]).code(1);
    assert!(
        r.stderr
            .contains("environment \"DB\" holds a sensitive value")
            && r.stderr
                .contains("give the secret's ARN in `secrets` instead"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("s3cr3t-value-xyz") && !r.stdout.contains("s3cr3t-value-xyz"));
}

/// The container example: the same image released to sandbox, then to live,
/// each with its own settings and its own secret, fetched at boot.
#[test]
fn container_example_promotes_one_image_from_sandbox_to_live() {
    let m = Moto::start();
    let w = Work::new("");
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/container-web");
    for f in ["main.tf", "env/sandbox.tfvars", "env/live.tfvars"] {
        w.write(f, &std::fs::read_to_string(example.join(f)).unwrap());
    }
    let mut releases = Vec::new();
    for (env, servers, level) in [("sandbox", 1, "debug"), ("live", 3, "warn")] {
        let r = run(
            &w,
            &m,
            &[
                "apply",
                "-auto-approve",
                "-env",
                env,
                "-var",
                &format!("db_password=pw-{env}-9d8c"),
            ],
        )
        .ok();
        let rel = r
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("release = "))
            .unwrap()
            .trim_matches('"')
            .to_string();
        assert_eq!(running_in_release(&m, &rel), servers, "{env}");
        let (script, tags) = server_of(&m, &rel);
        assert_eq!(
            tags.get("iac:image").map(String::as_str),
            Some("ghcr.io/acme/web:1f2e3d")
        );
        assert!(script.contains(&format!("'APP_ENV' '{env}'")), "{script}");
        assert!(
            script.contains(&format!("'LOG_LEVEL' '{level}'")),
            "{script}"
        );
        assert!(
            script.contains("aws secretsmanager get-secret-value --secret-id 'arn:"),
            "{script}"
        );
        assert!(!script.contains(&format!("pw-{env}-9d8c")));
        releases.push(rel);
    }
    // One image, two releases: the settings differ, so the fleets do.
    assert_ne!(releases[0], releases[1]);
}

#[test]
fn hooks_run_around_traffic_with_the_release_in_their_environment_and_a_failing_one_rolls_back() {
    let m = Moto::start();
    let hooks = r#"  pre_traffic {
    command     = "echo pre $IAC_RELEASE from $IAC_PREVIOUS_RELEASE > pre.txt; echo migrating; test -z \"$FAIL\" || exit 3"
    environment = { FAIL = var.fail }
    timeout     = "1m"
  }
  post_traffic {
    command = "echo post $IAC_RELEASE > post.txt"
  }
  on_rollback {
    command = "echo \"$IAC_ROLLBACK_REASON\" > rollback.txt"
  }
"#;
    let config = base("blue_green", hooks).replace(
        "variable \"app_version\" {",
        "variable \"fail\" {\n  default = \"\"\n}\nvariable \"app_version\" {",
    );
    let w = Work::new(&config);
    let plan = run(&w, &m, &["plan"]).ok();
    assert!(
        plan.stdout.contains("# Note: run the pre_traffic hook `echo pre $IAC_RELEASE")
            && plan.stdout.contains("# Note: run the post_traffic hook `echo post $IAC_RELEASE > post.txt` (timeout 10m)"),
        "{}",
        plan.stdout
    );
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    // The hook's output is shown as it runs, under the deployment's address.
    assert!(
        r.stdout.contains("deployment.web (pre_traffic): migrating"),
        "{}",
        r.stdout
    );
    let r1 = release(&w);
    let read = |f: &str| std::fs::read_to_string(w.dir.path().join(f)).unwrap_or_default();
    assert_eq!(read("pre.txt").trim(), format!("pre {r1} from"));
    assert_eq!(read("post.txt").trim(), format!("post {r1}"));
    // A failing migration: no traffic moves, the release goes, on_rollback hears why.
    let listener = listener_arn(&w);
    let watch = Watch::listener(&m, &listener);
    let r = run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "app_version=v2",
            "-var",
            "fail=yes",
        ],
    )
    .code(1);
    let seen = watch.finish();
    assert!(
        r.stderr
            .contains("the pre_traffic hook failed: `echo pre $IAC_RELEASE")
            && r.stderr.contains("exited with 3: migrating"),
        "{}",
        r.stderr
    );
    assert_eq!(seen, vec![BTreeMap::from([(format!("web-{r1}"), 1)])]);
    assert_eq!(release(&w), r1);
    assert!(
        read("rollback.txt").contains("the pre_traffic hook failed"),
        "{}",
        read("rollback.txt")
    );
    // It passes: the release goes out, the hooks see it and the one before.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    let r2 = release(&w);
    assert_ne!(r2, r1);
    assert_eq!(read("pre.txt").trim(), format!("pre {r2} from {r1}"));
    assert_eq!(read("post.txt").trim(), format!("post {r2}"));
}

#[test]
fn a_test_listener_reaches_a_new_release_before_its_pre_traffic_hook_and_comes_back_on_failure() {
    let m = Moto::start();
    let test_listener = r#"resource "aws_lb_listener" "test" {
  load_balancer_arn = aws_lb.app.arn
  port              = 8080
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "503"
    }
  }
  lifecycle {
    ignore_changes = [default_action]
  }
}
variable "fail" {
  default = ""
}
deployment "web" {"#;
    let extra = r#"  test_listener = aws_lb_listener.test
  pre_traffic {
    command     = "test -z \"$FAIL\" || exit 3"
    environment = { FAIL = var.fail }
  }
"#;
    let w = Work::new(&base("blue_green", extra).replace("deployment \"web\" {", test_listener));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let test_arn = w.attrs("aws_lb_listener.test")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        forwards(&m, &test_arn),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
    // The hook fails: the test listener comes back to r1 and r2's group can go.
    let plan = run(&w, &m, &["plan", "-var", "app_version=v2"]).ok();
    assert!(
        plan.stdout.contains("# Note: point the test listener at r"),
        "{}",
        plan.stdout
    );
    let r = run(
        &w,
        &m,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "app_version=v2",
            "-var",
            "fail=yes",
        ],
    )
    .code(1);
    assert!(
        r.stderr.contains("the pre_traffic hook failed"),
        "{}",
        r.stderr
    );
    assert_eq!(
        forwards(&m, &test_arn),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
    let groups: Vec<String> = block(m.elb().describe_target_groups().send())
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_name().map(String::from))
        .collect();
    assert_eq!(groups, vec![format!("web-{r1}")]);
    // It passes: both listeners on r2.
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .ok();
    let r2 = release(&w);
    assert_ne!(r2, r1);
    assert_eq!(
        forwards(&m, &test_arn),
        BTreeMap::from([(format!("web-{r2}"), 1)])
    );
    assert_eq!(
        forwards(&m, &listener_arn(&w)),
        BTreeMap::from([(format!("web-{r2}"), 1)])
    );
}

/// Instances of a release's autoscaling group.
fn asg_instances(m: &Moto, name: &str) -> Option<usize> {
    let asg = aws_sdk_autoscaling::Client::new(&m.sdk());
    let out = block(
        asg.describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send(),
    )
    .unwrap();
    out.auto_scaling_groups()
        .first()
        .map(|g| g.instances().len())
}

fn template_config(strategy: &str) -> String {
    let lt = r#"variable "size" {
  default = "t3.micro"
}
resource "aws_launch_template" "web" {
  name          = "web"
  image_id      = "ami-12c6146b"
  instance_type = var.size
}
deployment "web" {"#;
    base(strategy, "  health {\n    interval = \"200ms\"\n  }\n")
        .replace(
            "    ami           = \"ami-12c6146b\"\n    instance_type = \"t3.micro\"\n",
            "    launch_template {\n      id      = aws_launch_template.web.id\n      version = aws_launch_template.web.latest_version\n    }\n",
        )
        .replace(USER_DATA_LINE, "")
        .replace("    count         = 3\n", "    count         = 2\n")
        .replace("deployment \"web\" {", lt)
}

#[test]
fn a_fleet_from_a_launch_template_is_an_autoscaling_group_per_release() {
    let m = Moto::start();
    let w = Work::new(&template_config("blue_green"));
    assert!(w.read("main.tf").contains("launch_template {"));
    let plan = run(&w, &m, &["plan"]).ok();
    assert!(
        plan.stdout.contains("an autoscaling group"),
        "{}",
        plan.stdout
    );
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    assert_eq!(asg_instances(&m, &format!("web-{r1}")), Some(2));
    let listener = listener_arn(&w);
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
    // A new template version is a new release: its own group, then the flip.
    run(&w, &m, &["apply", "-auto-approve", "-var", "size=t3.small"]).ok();
    let r2 = release(&w);
    assert_ne!(r2, r1);
    assert_eq!(asg_instances(&m, &format!("web-{r2}")), Some(2));
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r2}"), 1)])
    );
    // The previous release's group is kept for rollback.
    assert_eq!(asg_instances(&m, &format!("web-{r1}")), Some(2));
    run(&w, &m, &["rollback", "-auto-approve", "deployment.web"]).ok();
    assert_eq!(
        forwards(&m, &listener),
        BTreeMap::from([(format!("web-{r1}"), 1)])
    );
}

#[test]
fn a_rolling_release_from_a_launch_template_replaces_the_group_batch_by_batch() {
    let m = Moto::start();
    let w = Work::new(&template_config("rolling"));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    let tg = w.attrs("deployment.web")["live_target_group_arn"]
        .as_str()
        .unwrap()
        .to_string();
    run(&w, &m, &["apply", "-auto-approve", "-var", "size=t3.small"]).ok();
    let r2 = release(&w);
    assert_ne!(r2, r1);
    // The new release's group serves in the same target group; the old group is gone.
    assert_eq!(
        w.attrs("deployment.web")["live_target_group_arn"],
        tg.as_str()
    );
    assert_eq!(asg_instances(&m, &format!("web-{r1}")), None);
    assert_eq!(asg_instances(&m, &format!("web-{r2}")), Some(2));
    let healthy = block(
        m.elb()
            .describe_target_health()
            .target_group_arn(&tg)
            .send(),
    )
    .unwrap()
    .target_health_descriptions()
    .iter()
    .filter(|d| {
        d.target_health()
            .and_then(|h| h.state())
            .map(|s| s.as_str())
            == Some("healthy")
    })
    .count();
    assert_eq!(healthy, 2);
}

#[test]
fn an_error_rate_is_one_cloudwatch_metric_divided_by_another() {
    let m = Moto::start();
    let analysis = r#"  analysis {
    metric {
      name      = "error_rate"
      threshold = "< 1%"
      cloudwatch {
        namespace   = "App"
        metric_name = "Errors"
        divided_by  = "Requests"
        stat        = "Sum"
        dimensions  = { Service = "web", Release = "{release}" }
      }
    }
  }
"#;
    let w = Work::new(&base("blue_green", analysis));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let r1 = release(&w);
    // 2 errors in 100 requests: 2%, over the objective.
    let r2 = planned_release(&w, &m, "v2");
    put_metric(&m, "Errors", &r2, 2.0);
    put_metric(&m, "Requests", &r2, 100.0);
    let r = run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v2"],
    )
    .code(1);
    assert!(
        r.stderr
            .contains("error_rate (CloudWatch App Errors/Requests Sum) gave 0.02 against < 1%"),
        "{}",
        r.stderr
    );
    assert_eq!(release(&w), r1);
    // Requests and no errors: 0%, the release goes out.
    let r3 = planned_release(&w, &m, "v3");
    put_metric(&m, "Requests", &r3, 100.0);
    run(
        &w,
        &m,
        &["apply", "-auto-approve", "-var", "app_version=v3"],
    )
    .ok();
    assert_eq!(release(&w), r3);
}

/// A network load balancer's security groups and whether they apply to
/// PrivateLink traffic: sent with SetSecurityGroups after the create and on a
/// change (checked in the requests through the recording proxy: moto keeps no
/// such setting), kept as written, quiet on re-plan; on an application load
/// balancer it is ignored with a warning, as its other network-only settings.
#[test]
fn private_link_enforcement_on_a_network_load_balancer_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let cfg = |enforce: &str| {
        format!(
            r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.0.0.0/16"
}}
resource "aws_subnet" "s" {{
  for_each          = toset(["a", "b"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${{index(["a", "b"], each.key) + 1}}.0/24"
  availability_zone = "us-east-1${{each.key}}"
}}
resource "aws_security_group" "nlb" {{
  name   = "nlb"
  vpc_id = aws_vpc.v.id
}}
resource "aws_lb" "net" {{
  name               = "nlb-private-link"
  load_balancer_type = "network"
  internal           = true
  subnets            = [for s in aws_subnet.s : s.id]
  security_groups    = [aws_security_group.nlb.id]
  enforce_security_group_inbound_rules_on_private_link_traffic = "{enforce}"
}}
"#
        )
    };
    let w = Work::new(&cfg("off"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    let key = "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic";
    let sent = proxy.requests("SetSecurityGroups");
    assert_eq!(
        sent.last().and_then(|r| r.get(key)).map(String::as_str),
        Some("off"),
        "{sent:?}"
    );
    assert_eq!(
        w.attrs("aws_lb.net")["enforce_security_group_inbound_rules_on_private_link_traffic"],
        "off"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    w.write("main.tf", &cfg("on"));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let sent = proxy.requests("SetSecurityGroups");
    assert_eq!(
        sent.last().and_then(|r| r.get(key)).map(String::as_str),
        Some("on"),
        "{sent:?}"
    );
    crate::moto::iac_via(&w, &m, &proxy, &["plan", "-detailed-exitcode"]).code(0);

    let app = cfg("on").replace("\"network\"", "\"application\"");
    w.write("main.tf", &app);
    let r = crate::moto::iac_via(&w, &m, &proxy, &["plan"]).ok();
    assert!(
        r.stderr.contains("`enforce_security_group_inbound_rules_on_private_link_traffic` is a setting of network load balancers"),
        "{}",
        r.stderr
    );
    w.write("main.tf", &cfg("on"));
    crate::moto::iac_via(&w, &m, &proxy, &["destroy", "-auto-approve"]).ok();
}

/// A VPC with two subnets, an application load balancer and a target group in
/// it, all named `name`: what the listener tests below build on.
fn alb_base(name: &str) -> String {
    format!(
        r#"
resource "aws_vpc" "v" {{
  cidr_block = "10.0.0.0/16"
}}
resource "aws_subnet" "s" {{
  for_each          = toset(["a", "b"])
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.0.${{index(["a", "b"], each.key) + 1}}.0/24"
  availability_zone = "us-east-1${{each.key}}"
}}
resource "aws_lb" "web" {{
  name    = "{name}"
  subnets = [for s in aws_subnet.s : s.id]
}}
resource "aws_lb_target_group" "web" {{
  name     = "{name}"
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.v.id
}}
"#
    )
}

/// Listener rule conditions of every kind Terraform has (host and path
/// patterns, an HTTP header, methods, query strings, source addresses): sent as
/// ELBv2's conditions, read back through the SDK, no change on a second plan,
/// changed in place.
#[test]
fn listener_rule_conditions_of_every_kind_against_moto() {
    let m = Moto::start();
    let main = |method: &str| {
        format!(
            r#"
{base}
resource "aws_lb_listener" "http" {{
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  default_action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }}
}}
resource "aws_lb_listener_rule" "api" {{
  listener_arn = aws_lb_listener.http.arn
  priority     = 5
  action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }}
  condition {{
    http_header {{
      http_header_name = "X-Team"
      values           = ["web", "api"]
    }}
  }}
  condition {{
    http_request_method {{
      values = ["{method}"]
    }}
  }}
  condition {{
    query_string {{
      key   = "version"
      value = "2"
    }}
    query_string {{
      value = "beta"
    }}
  }}
  condition {{
    source_ip {{
      values = ["10.0.0.0/8"]
    }}
  }}
  condition {{
    host_header {{
      values = ["api.example.com"]
    }}
  }}
}}
"#,
            base = alb_base("conditions")
        )
    };
    let w = Work::new(&main("GET"));
    run(&w, &m, &["apply", "-auto-approve"]).ok();
    let arn = w.attrs("aws_lb_listener_rule.api")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let fields = || {
        let out = block(m.elb().describe_rules().rule_arns(&arn).send()).expect("rules");
        let mut seen: Vec<String> = out.rules()[0]
            .conditions()
            .iter()
            .map(|c| {
                let field = c.field().unwrap_or_default();
                let detail = match field {
                    "http-header" => c.http_header_config().map(|h| {
                        format!(
                            "{}={:?}",
                            h.http_header_name().unwrap_or_default(),
                            h.values()
                        )
                    }),
                    "http-request-method" => c
                        .http_request_method_config()
                        .map(|h| format!("{:?}", h.values())),
                    "query-string" => c.query_string_config().map(|q| {
                        let mut pairs: Vec<String> = q
                            .values()
                            .iter()
                            .map(|p| {
                                format!(
                                    "{}:{}",
                                    p.key().unwrap_or("*"),
                                    p.value().unwrap_or_default()
                                )
                            })
                            .collect();
                        pairs.sort();
                        pairs.join(",")
                    }),
                    "source-ip" => c.source_ip_config().map(|s| format!("{:?}", s.values())),
                    "host-header" => c.host_header_config().map(|s| format!("{:?}", s.values())),
                    _ => None,
                };
                format!("{field} {}", detail.unwrap_or_default())
            })
            .collect();
        seen.sort();
        seen
    };
    let first = fields();
    assert_eq!(first.len(), 5, "{first:?}");
    assert!(
        first.iter().any(|f| f.starts_with("http-header X-Team=")),
        "{first:?}"
    );
    assert!(
        first.contains(&"http-request-method [\"GET\"]".to_string()),
        "{first:?}"
    );
    assert!(
        first.contains(&"query-string *:beta,version:2".to_string()),
        "{first:?}"
    );
    assert!(
        first.contains(&"source-ip [\"10.0.0.0/8\"]".to_string()),
        "{first:?}"
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &main("POST"));
    let r = run(&w, &m, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert!(
        fields().contains(&"http-request-method [\"POST\"]".to_string()),
        "{:?}",
        fields()
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    run(&w, &m, &["destroy", "-auto-approve"]).ok();
}

/// A listener that authenticates through an OpenID Connect provider (and a rule
/// through a Cognito user pool) before forwarding: read back through the SDK,
/// the client secret never in state, no change on a second plan; a changed scope
/// updates the listener in place asking AWS to keep the secret it has.
#[test]
fn authenticate_actions_against_moto() {
    let m = Moto::start();
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let main = |scope: &str| {
        format!(
            r#"
variable "client_secret" {{
  type      = string
  sensitive = true
  default   = "oidc-client-secret-value"
}}
{base}
resource "aws_lb_listener" "web" {{
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  default_action {{
    type = "authenticate-oidc"
    authenticate_oidc {{
      issuer                 = "https://idp.example.com"
      authorization_endpoint = "https://idp.example.com/authorize"
      token_endpoint         = "https://idp.example.com/token"
      user_info_endpoint     = "https://idp.example.com/userinfo"
      client_id              = "web"
      client_secret          = var.client_secret
      scope                  = "{scope}"
    }}
  }}
  default_action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }}
}}
resource "aws_lb_listener_rule" "admin" {{
  listener_arn = aws_lb_listener.web.arn
  priority     = 3
  action {{
    type = "authenticate-cognito"
    authenticate_cognito {{
      user_pool_arn       = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
      user_pool_client_id = "admin"
      user_pool_domain    = "admin-auth"
      on_unauthenticated_request = "deny"
    }}
  }}
  action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }}
  condition {{
    path_pattern {{
      values = ["/admin/*"]
    }}
  }}
}}
"#,
            base = alb_base("auth")
        )
    };
    let w = Work::new(&main("openid"));
    crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        !w.read("iac.tfstate").contains("oidc-client-secret-value"),
        "the client secret is not in state"
    );
    let listener = w.attrs("aws_lb_listener.web")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let out =
        block(m.elb().describe_listeners().listener_arns(&listener).send()).expect("listener");
    let actions = out.listeners()[0].default_actions().to_vec();
    let oidc = actions
        .iter()
        .find_map(|a| a.authenticate_oidc_config())
        .expect("an oidc action");
    assert_eq!(oidc.issuer(), Some("https://idp.example.com"));
    assert_eq!(oidc.client_id(), Some("web"));
    let rule = w.attrs("aws_lb_listener_rule.admin")["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let rules = block(m.elb().describe_rules().rule_arns(&rule).send()).expect("rule");
    let cognito = rules.rules()[0]
        .actions()
        .iter()
        .find_map(|a| a.authenticate_cognito_config())
        .cloned()
        .expect("a cognito action");
    assert_eq!(cognito.user_pool_domain(), Some("admin-auth"));
    assert_eq!(
        cognito.on_unauthenticated_request().map(|b| b.as_str()),
        Some("deny")
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    w.write("main.tf", &main("openid email"));
    let r = crate::moto::iac_via(&w, &m, &proxy, &["apply", "-auto-approve"]).ok();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let modify = proxy.requests("ModifyListener");
    let last = modify.last().expect("a ModifyListener");
    assert!(
        last.iter().any(
            |(k, v)| k.ends_with("AuthenticateOidcConfig.UseExistingClientSecret") && v == "true"
        ),
        "{last:?}"
    );
    assert!(
        !last
            .values()
            .any(|v| v.contains("oidc-client-secret-value")),
        "{last:?}"
    );
    let r = run(&w, &m, &["plan", "-detailed-exitcode"]).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    run(&w, &m, &["destroy", "-auto-approve"]).ok();
}
