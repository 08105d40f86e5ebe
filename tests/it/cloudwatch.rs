//! CloudWatch metric alarms through the `iac` binary against moto, read back with
//! the SDK: a single-metric alarm and a metric-math alarm, no-op re-plan, update
//! in place, drift, tags, import, batched refresh and destroy.

use crate::moto::{block, Moto};
use crate::support::{Run, Work};

fn run(w: &Work, env: &[(&str, String)], args: &[&str]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    w.iac_env(args, &env)
}

const ALARMS: &str = r#"
variable "threshold" { default = 80 }
variable "team" { default = "ops" }

resource "aws_cloudwatch_metric_alarm" "cpu" {
  count               = 3
  alarm_name          = "web-cpu-high-${count.index}"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 2
  metric_name         = "CPUUtilization"
  namespace           = "AWS/EC2"
  period              = 120
  statistic           = "Average"
  threshold           = var.threshold
  alarm_description   = "CPU of the web fleet"
  dimensions          = { AutoScalingGroupName = "web-${count.index}" }
  tags                = { Team = var.team }
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "web-5xx-rate"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 1
  treat_missing_data  = "notBreaching"

  metric_query {
    id          = "rate"
    expression  = "100 * errors / requests"
    label       = "5xx rate"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      metric_name = "HTTPCode_Target_5XX_Count"
      namespace   = "AWS/ApplicationELB"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = "app/web/123" }
    }
  }
  metric_query {
    id = "requests"
    metric {
      metric_name = "RequestCount"
      namespace   = "AWS/ApplicationELB"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = "app/web/123" }
    }
  }
}

output "arn" { value = aws_cloudwatch_metric_alarm.errors.arn }
"#;

#[test]
fn metric_alarms_against_moto() {
    let m = Moto::start();
    let cw = aws_sdk_cloudwatch::Client::new(&m.sdk());
    let env = m.env();
    let w = Work::new(ALARMS);
    let r = run(&w, &env, &["apply", "-auto-approve"]).ok();
    assert!(r.stdout.contains("4 added"), "{}", r.stdout);

    let describe = |name: &'static str| {
        let cw = cw.clone();
        block(async move {
            let r = cw
                .describe_alarms()
                .alarm_names(name)
                .send()
                .await
                .expect("describe");
            r.metric_alarms().first().cloned().expect(name)
        })
    };
    let cpu = describe("web-cpu-high-1");
    assert_eq!(cpu.threshold(), Some(80.0));
    assert_eq!(cpu.period(), Some(120));
    assert_eq!(cpu.statistic().map(|s| s.as_str()), Some("Average"));
    assert_eq!(cpu.alarm_description(), Some("CPU of the web fleet"));
    let dims: Vec<(&str, &str)> = cpu
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or(""), d.value().unwrap_or("")))
        .collect();
    assert_eq!(dims, vec![("AutoScalingGroupName", "web-1")]);
    let errors = describe("web-5xx-rate");
    assert_eq!(errors.metrics().len(), 3);
    assert_eq!(errors.treat_missing_data(), Some("notBreaching"));
    let rate = errors
        .metrics()
        .iter()
        .find(|q| q.id() == Some("rate"))
        .expect("rate query");
    assert_eq!(rate.expression(), Some("100 * errors / requests"));
    assert_eq!(rate.return_data(), Some(true));
    let tags = block(async {
        cw.list_tags_for_resource()
            .resource_arn(cpu.alarm_arn().unwrap_or_default())
            .send()
            .await
            .expect("tags")
    });
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("ops")));

    // A no-change plan refreshes the four alarms in one DescribeAlarms call.
    let proxy = crate::proxy::Proxy::start(&m.endpoint, 0);
    let r = run(
        &w,
        &m.env_via(&proxy.endpoint),
        &["plan", "-detailed-exitcode"],
    )
    .code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_eq!(
        proxy.count("DescribeAlarms"),
        1,
        "one page of names, one call"
    );

    // An update in place: the threshold (PutMetricAlarm again) and a tag.
    let r = run(
        &w,
        &env,
        &[
            "apply",
            "-auto-approve",
            "-var",
            "threshold=90",
            "-var",
            "team=web",
        ],
    )
    .ok();
    assert!(
        r.stdout.contains("0 added, 3 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    let cpu = describe("web-cpu-high-2");
    assert_eq!(cpu.threshold(), Some(90.0));
    let tags = block(async {
        cw.list_tags_for_resource()
            .resource_arn(cpu.alarm_arn().unwrap_or_default())
            .send()
            .await
            .expect("tags")
    });
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == Some("Team") && t.value() == Some("web")));
    let vars = ["-var", "threshold=90", "-var", "team=web"];
    let mut plan = vec!["plan", "-detailed-exitcode"];
    plan.extend(vars);
    run(&w, &env, &plan).code(0);

    // Drift: the alarm's threshold changed outside iac is put back.
    block(async {
        cw.put_metric_alarm()
            .alarm_name("web-cpu-high-0")
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
            )
            .evaluation_periods(2)
            .metric_name("CPUUtilization")
            .namespace("AWS/EC2")
            .period(120)
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .threshold(50.0)
            .send()
            .await
            .expect("drift");
    });
    let r = run(&w, &env, &plan).code(2);
    assert!(
        r.stdout.contains("threshold") && r.stdout.contains("50") && r.stdout.contains("90"),
        "{}",
        r.stdout
    );
    let mut apply = vec!["apply", "-auto-approve"];
    apply.extend(vars);
    run(&w, &env, &apply).ok();
    assert_eq!(describe("web-cpu-high-0").threshold(), Some(90.0));

    // Import by name, as Terraform does, then no changes.
    let arn =
        serde_json::from_str::<serde_json::Value>(&run(&w, &env, &["output", "-json"]).ok().stdout)
            .expect("json")["arn"]["value"]
            .as_str()
            .map(String::from)
            .expect("arn");
    assert!(arn.contains(":alarm:web-5xx-rate"), "{arn}");
    run(
        &w,
        &env,
        &["state", "rm", "aws_cloudwatch_metric_alarm.errors"],
    )
    .ok();
    let mut import = vec!["import"];
    import.extend(vars);
    import.extend(["aws_cloudwatch_metric_alarm.errors", "web-5xx-rate"]);
    run(&w, &env, &import).ok();
    let r = run(&w, &env, &plan).code(0);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);

    // A create does not silently overwrite an alarm of the same name.
    let other = Work::new(
        r#"
resource "aws_cloudwatch_metric_alarm" "dup" {
  alarm_name          = "web-5xx-rate"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "Errors"
  namespace           = "App"
  period              = 60
  statistic           = "Sum"
  threshold           = 5
}
"#,
    );
    let r = run(&other, &env, &["apply", "-auto-approve"]).code(1);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    assert_eq!(describe("web-5xx-rate").metrics().len(), 3);

    let mut destroy = vec!["destroy", "-auto-approve"];
    destroy.extend(vars);
    run(&w, &env, &destroy).ok();
    let left = block(async { cw.describe_alarms().send().await.expect("describe") });
    assert!(left.metric_alarms().is_empty());
}

#[test]
fn metric_alarm_arguments_are_checked_at_plan() {
    let w = Work::new(
        r#"
resource "aws_cloudwatch_metric_alarm" "bad" {
  alarm_name          = "bad"
  comparison_operator = "BiggerThan"
  evaluation_periods  = 1
  metric_name         = "CPUUtilization"
  namespace           = "AWS/EC2"
  period              = 45
  threshold           = 1
}
"#,
    );
    let r = w.iac(&["validate"]).code(1);
    assert!(
        r.stderr.contains("\"BiggerThan\" is not one of"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("a period is one of"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("set one of `statistic` or `extended_statistic`"),
        "{}",
        r.stderr
    );
}

/// `timeouts`: an operation that has not finished within its limit stops with an
/// error naming the limit; the next apply converges without a second alarm.
#[test]
fn an_operation_past_its_timeout_stops_with_an_error() {
    let m = Moto::start();
    let slow = crate::proxy::Proxy::start_with(
        &m.endpoint,
        0,
        Some(("PutMetricAlarm", std::time::Duration::from_millis(2500))),
    );
    let w = Work::new(
        r#"
resource "aws_cloudwatch_metric_alarm" "slow" {
  alarm_name          = "slow-to-create"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  metric_name         = "Errors"
  namespace           = "App"
  period              = 60
  statistic           = "Sum"
  threshold           = 5
  timeouts {
    create = "1s"
  }
}
"#,
    );
    let start = std::time::Instant::now();
    let r = run(&w, &m.env_via(&slow.endpoint), &["apply", "-auto-approve"]).code(1);
    assert!(
        r.stderr
            .contains("Timed out: the create did not finish within 1s"),
        "{}",
        r.stderr
    );
    assert!(start.elapsed() < std::time::Duration::from_millis(2400));
    // The held request still reaches AWS; the next apply converges on one alarm.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let r = run(&w, &m.env(), &["apply", "-auto-approve"]);
    let cw = aws_sdk_cloudwatch::Client::new(&m.sdk());
    let alarms = block(async { cw.describe_alarms().send().await.expect("describe") });
    assert_eq!(alarms.metric_alarms().len(), 1);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    run(&w, &m.env(), &["plan", "-detailed-exitcode"]).code(0);
}
