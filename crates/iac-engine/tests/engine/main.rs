//! The engine, in process, against a scripted provider: no cloud, no CLI.
//!
//! Every case is a directory under `crates/iac-engine/testdata/` with numbered
//! configurations (`1/main.tf`, `2/main.tf`, ...), a `script` of steps, and
//! `expect.txt`, the transcript the steps must produce (plans, provider calls,
//! outcomes, diagnostics, state). `UPDATE_EXPECT=1 cargo test -p iac-engine`
//! rewrites the transcripts; review the diff.
//!
//! Script lines:
//! - `plan N [flags]`: plan configuration N and print the plan as `iac plan` does;
//! - `apply N [flags]`: plan and apply it; print the changes, calls, outcome, state;
//! - `cloud delete ADDR` / `cloud set ADDR KEY=VALUE` (`tags.K=V`: one key of a map):
//!   change the cloud behind iac's back;
//! - `cloud fix`: calls that were scripted to fail (`fail = "delete"`) succeed from now on;
//! - `state rm ADDR`: forget an object (it stays in the cloud);
//! - `# ...`: a comment, copied into the transcript.
//!
//! Flags: `-target=ADDR`, `-replace=ADDR`, `-destroy`, `-refresh-only`,
//! `-refresh=false`, `-parallelism=N`, `-cancel-after=N` (interrupt once N
//! provider calls have finished), `-var NAME=VALUE`, `-threads=N` (plan with
//! at most N threads, and print how many the provider was called on).

mod conformance;
mod scripted;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iac_config::vars::{parse_raw_value, VarSource, VarValue};
use iac_diagnostics::{render_human, Diagnostics, SourceMap};
use iac_engine::{ApplyInput, Engine, PlanInput, Providers};
use iac_plan::{render_text, Action, Plan, PlanMode, TextOptions};
use iac_state::{Backend, LockGuard, State, StateError, StateOp};
use iac_value::addr::{AddrPattern, InstanceAddr};
use iac_value::Value;
use scripted::Scripted;

/// State kept as JSON, as a real backend keeps it: what apply writes is what the
/// next step reads (sensitive values as fingerprints).
#[derive(Default)]
struct MemoryBackend {
    doc: Mutex<Option<String>>,
}

impl Backend for MemoryBackend {
    fn describe(&self) -> String {
        "memory".into()
    }
    fn lock(&self, _operation: &str, _timeout: Duration) -> Result<LockGuard, StateError> {
        Ok(LockGuard::none())
    }
    fn read(&self) -> Result<Option<State>, StateError> {
        let doc = self.doc.lock().expect("doc").clone();
        Ok(doc.map(|d| {
            let j: serde_json::Value = serde_json::from_str(&d).expect("state JSON");
            State::from_json(&j).expect("state")
        }))
    }
    fn write(&self, state: &State) -> Result<(), StateError> {
        *self.doc.lock().expect("doc") = Some(state.to_json().to_string());
        Ok(())
    }
    fn append(&self, base: &State, ops: &[StateOp]) -> Result<(), StateError> {
        let mut s = self.read()?.unwrap_or_else(|| base.clone());
        for op in ops {
            s.apply_op(op);
        }
        self.write(&s)
    }
    fn force_unlock(&self, _id: &str) -> Result<(), StateError> {
        Ok(())
    }
}

struct Case {
    dir: PathBuf,
    deposed_keys: Vec<String>,
    provider: Scripted,
    backend: MemoryBackend,
    out: String,
}

#[derive(Default)]
struct Flags {
    targets: Vec<AddrPattern>,
    replace: Vec<InstanceAddr>,
    mode: Option<PlanMode>,
    refresh: bool,
    parallelism: usize,
    cancel_after: usize,
    vars: Vec<(String, String)>,
    threads: usize,
}

fn parse_flags(words: &[&str]) -> Flags {
    let mut f = Flags {
        refresh: true,
        parallelism: 10,
        ..Flags::default()
    };
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if let Some(t) = w.strip_prefix("-target=") {
            f.targets.push(t.parse().expect("target address"));
        } else if let Some(t) = w.strip_prefix("-replace=") {
            f.replace.push(t.parse().expect("replace address"));
        } else if w == "-destroy" {
            f.mode = Some(PlanMode::Destroy);
        } else if w == "-refresh-only" {
            f.mode = Some(PlanMode::RefreshOnly);
        } else if w == "-refresh=false" {
            f.refresh = false;
        } else if let Some(n) = w.strip_prefix("-parallelism=") {
            f.parallelism = n.parse().expect("parallelism");
        } else if let Some(n) = w.strip_prefix("-cancel-after=") {
            f.cancel_after = n.parse().expect("cancel-after");
        } else if let Some(n) = w.strip_prefix("-threads=") {
            f.threads = n.parse().expect("threads");
        } else if w == "-var" {
            i += 1;
            let (name, raw) = words[i].split_once('=').expect("-var NAME=VALUE");
            f.vars.push((name.to_string(), raw.to_string()));
        } else {
            panic!("unknown flag {w}");
        }
        i += 1;
    }
    f
}

impl Case {
    fn engine(&self) -> Engine {
        Engine::new(Providers::new(vec![Arc::new(self.provider.clone())]))
    }

    fn say(&mut self, s: &str) {
        // Deposed keys derive from the state's random lineage: name them by order.
        let mut s = s.to_string();
        for (i, k) in self.deposed_keys.iter().enumerate() {
            s = s.replace(k.as_str(), &format!("DEPOSED{}", i + 1));
        }
        let s = s.as_str();
        self.out.push_str(s);
        if !s.ends_with('\n') {
            self.out.push('\n');
        }
    }

    fn load(&self, step: &str) -> (iac_config::Module, SourceMap, Diagnostics) {
        let mut sources = SourceMap::default();
        let dir = self.dir.join(step);
        let (module, diags) = iac_config::load_module(&dir, &mut sources);
        (module, sources, diags)
    }

    fn diagnostics(&mut self, diags: &Diagnostics, sources: &SourceMap) {
        for d in diags.iter() {
            let text = render_human(d, sources, false);
            // Paths relative to the case, so transcripts do not depend on the checkout.
            let text = text.replace(&format!("{}/", self.dir.display()), "");
            self.say(&text);
        }
    }

    fn take_calls(&self) -> Vec<String> {
        std::mem::take(&mut self.provider.cloud.lock().expect("cloud").calls)
    }

    fn take_reads(&self) -> Vec<String> {
        strip_groups(self.take_calls())
    }

    fn plan(
        &mut self,
        step: &str,
        flags: &Flags,
    ) -> Option<(Plan, iac_config::Module, HashMap<String, Value>)> {
        let (module, sources, diags) = self.load(step);
        if diags.has_errors() {
            self.diagnostics(&diags, &sources);
            return None;
        }
        let inputs: Vec<VarValue> = flags
            .vars
            .iter()
            .map(|(name, raw)| {
                let ty = &module.variables[name].ty;
                VarValue {
                    name: name.clone(),
                    value: parse_raw_value(raw, ty).expect("-var value"),
                    source: VarSource::CommandLine,
                    span: None,
                }
            })
            .collect();
        let (vars, vd) = iac_engine::resolve_root_variables(&module, &inputs);
        if vd.has_errors() {
            self.diagnostics(&vd, &sources);
            return None;
        }
        let state = self.backend.read().expect("read").unwrap_or_default();
        let mut engine = self.engine();
        if flags.threads > 0 {
            engine = engine.with_threads(flags.threads);
            self.provider.plan_threads.lock().expect("threads").clear();
        }
        let rt = runtime();
        let out = rt.block_on(engine.plan(&PlanInput {
            module: &module,
            variables: &vars,
            state: &state,
            mode: flags.mode.unwrap_or(PlanMode::Normal),
            refresh: flags.refresh,
            targets: &flags.targets,
            replace: &flags.replace,
            workspace: "default",
        }));
        self.diagnostics(&out.diagnostics, &sources);
        if flags.threads > 0 {
            let n = self.provider.plan_threads.lock().expect("threads").len();
            self.say(&format!(
                "(planned on {n} thread{})",
                if n == 1 { "" } else { "s" }
            ));
        }
        if out.diagnostics.has_errors() || out.plan.errored {
            return None;
        }
        Some((out.plan, module, vars))
    }

    fn run(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["plan", step, rest @ ..] => {
                let flags = parse_flags(rest);
                let Some((plan, _, _)) = self.plan(step, &flags) else {
                    self.log_calls();
                    return;
                };
                self.log_calls();
                let text = render_text(&plan, TextOptions { color: false });
                self.say(&text);
            }
            ["apply", step, rest @ ..] => {
                let flags = parse_flags(rest);
                let Some((plan, module, vars)) = self.plan(step, &flags) else {
                    self.log_calls();
                    return;
                };
                for c in &plan.changes {
                    if let Some(k) = &c.deposed {
                        self.learn_deposed(k);
                    }
                }
                self.say("changes:");
                for c in &plan.changes {
                    if c.action != Action::NoOp {
                        let deposed = c
                            .deposed
                            .as_ref()
                            .map(|d| format!(" (deposed {d})"))
                            .unwrap_or_default();
                        let line = format!(
                            "  {:?} {}{deposed}: {}",
                            c.action,
                            c.addr,
                            c.reason.describe(&c.addr)
                        );
                        self.say(&line);
                    }
                }
                for d in &plan.drift {
                    let line = match &d.after {
                        Some(_) => format!("  drift: {} changed", d.addr),
                        None => format!("  drift: {} deleted", d.addr),
                    };
                    self.say(&line);
                }
                self.log_calls();
                self.provider.reset_counters();
                self.provider
                    .cancel_after
                    .store(flags.cancel_after, Ordering::SeqCst);
                let state = self.backend.read().expect("read").unwrap_or_default();
                let engine = self.engine();
                let rt = runtime();
                let outcome = rt.block_on(engine.apply(ApplyInput {
                    module: &module,
                    variables: &vars,
                    plan: &plan,
                    state,
                    backend: &self.backend,
                    parallelism: flags.parallelism,
                    cancel: self.provider.cancel.clone(),
                    workspace: "default",
                    on_event: &|_| {},
                }));
                let calls = self.take_calls();
                self.say("calls:");
                for c in sorted_within_batches(calls) {
                    self.say(&format!("  {c}"));
                }
                let (_, sources, _) = self.load(step);
                self.diagnostics(&outcome.diagnostics, &sources);
                self.say(&format!(
                    "result: {} added, {} changed, {} destroyed{}{}",
                    outcome.added,
                    outcome.changed,
                    outcome.destroyed,
                    if outcome.interrupted {
                        ", interrupted"
                    } else {
                        ""
                    },
                    if outcome.not_done > 0 {
                        format!(", {} not done", outcome.not_done)
                    } else {
                        String::new()
                    }
                ));
                self.print_state();
            }
            ["cloud", "delete", addr] => {
                let id = self.id_of(addr);
                self.provider
                    .cloud
                    .lock()
                    .expect("cloud")
                    .objects
                    .remove(&id);
                self.say(&format!("(cloud: deleted {addr} {id})"));
            }
            ["cloud", "set", addr, kv] => {
                let id = self.id_of(addr);
                let (k, v) = kv.split_once('=').expect("KEY=VALUE");
                if let Some(Value::Map(m)) = self
                    .provider
                    .cloud
                    .lock()
                    .expect("cloud")
                    .objects
                    .get_mut(&id)
                {
                    // `tags.Owner=x` sets one key of a map attribute.
                    match k.split_once('.') {
                        Some((attr, key)) => {
                            let entry = m
                                .entry(attr.to_string())
                                .or_insert_with(|| Value::Map(Default::default()));
                            if let Value::Map(inner) = entry {
                                inner.insert(key.to_string(), Value::string(v));
                            }
                        }
                        None => {
                            m.insert(k.to_string(), Value::string(v));
                        }
                    }
                }
                self.say(&format!("(cloud: set {k} of {addr} {id} to {v:?})"));
            }
            ["cloud", "fix"] => {
                for o in self
                    .provider
                    .cloud
                    .lock()
                    .expect("cloud")
                    .objects
                    .values_mut()
                {
                    if let Value::Map(m) = o {
                        m.remove("fail");
                    }
                }
                self.say("(cloud: no call fails any more)");
            }
            ["state", "rm", addr] => {
                let a: InstanceAddr = addr.parse().expect("address");
                let mut state = self.backend.read().expect("read").unwrap_or_default();
                state.resources.remove(&a);
                state.serial += 1;
                self.backend.write(&state).expect("write");
                self.say(&format!("(state: removed {addr})"));
            }
            _ => panic!("unknown script line: {line}"),
        }
    }

    fn log_calls(&mut self) {
        let calls = self.take_reads();
        if !calls.is_empty() {
            self.say("reads:");
            for c in calls {
                self.say(&format!("  {c}"));
            }
        }
    }

    fn id_of(&self, addr: &str) -> String {
        let a: InstanceAddr = addr.parse().expect("address");
        let state = self.backend.read().expect("read").unwrap_or_default();
        state
            .current(&a)
            .and_then(|o| o.attributes.get_attr("id").as_str().map(String::from))
            .unwrap_or_else(|| panic!("{addr} has no id in state"))
    }

    fn learn_deposed(&mut self, k: &str) {
        if !self.deposed_keys.iter().any(|x| x == k) {
            self.deposed_keys.push(k.to_string());
        }
    }

    fn print_state(&mut self) {
        let state = self.backend.read().expect("read").unwrap_or_default();
        for inst in state.resources.values() {
            for k in inst.deposed.keys() {
                self.learn_deposed(k);
            }
        }
        self.say(&format!("state (serial {}):", state.serial));
        let mut lines = Vec::new();
        for (addr, inst) in &state.resources {
            let via = if inst.provider == "test" {
                String::new()
            } else {
                format!(" via {}", inst.provider)
            };
            if let Some(o) = &inst.current {
                let tainted = if o.tainted { " (tainted)" } else { "" };
                lines.push(format!("  {addr}{via}{tainted}: {}", brief(&o.attributes)));
            }
            for (k, o) in &inst.deposed {
                lines.push(format!("  {addr} deposed {k}: {}", brief(&o.attributes)));
            }
        }
        for (name, o) in &state.outputs {
            let v = if o.sensitive {
                "(sensitive)".to_string()
            } else {
                o.value.to_string()
            };
            lines.push(format!("  output.{name} = {v}"));
        }
        for l in lines {
            self.say(&l);
        }
    }
}

/// The attributes worth reading in a transcript: id, name, size, and what is secret.
fn brief(v: &Value) -> String {
    let mut parts = Vec::new();
    for k in ["id", "name", "size", "secret", "tags", "rule"] {
        let x = v.get_attr(k);
        if !x.is_null() && x.as_list().is_none_or(|l| !l.is_empty()) {
            let shown = match x {
                Value::Redacted(_) | Value::Sensitive(_) => "(sensitive)".to_string(),
                other => other.to_string(),
            };
            parts.push(format!("{k}={shown}"));
        }
    }
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join(" ")
    }
}

/// Calls that overlapped (ran in parallel) come in the order the scheduler
/// picked: within each group of overlapping calls they are sorted, so
/// transcripts are stable and still show every ordering that matters.
fn sorted_within_batches(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    strip_groups(calls)
}

fn strip_groups(calls: Vec<String>) -> Vec<String> {
    calls
        .into_iter()
        .map(|c| c.split_once('|').map(|(_, l)| l.to_string()).unwrap_or(c))
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Runs one case and compares (or, with UPDATE_EXPECT=1, rewrites) its transcript.
fn check(name: &str) {
    let dir = testdata().join(name);
    let script = std::fs::read_to_string(dir.join("script")).expect("script");
    let mut case = Case {
        dir: dir.clone(),
        deposed_keys: Vec::new(),
        provider: Scripted::new(),
        backend: MemoryBackend::default(),
        out: String::new(),
    };
    for line in script.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('#') {
            case.say(line);
            continue;
        }
        case.say(&format!("$ {line}"));
        case.run(line);
    }
    let expect_path = dir.join("expect.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expect_path, &case.out).expect("write expect.txt");
        return;
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
    if expected != case.out {
        let diff = similar_lines(&expected, &case.out);
        panic!("{name}: transcript differs from expect.txt (UPDATE_EXPECT=1 rewrites it)\n{diff}");
    }
}

fn similar_lines(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => {
                out.push_str(&format!(
                    "line {}:\n- {}\n+ {}\n",
                    i + 1,
                    x.unwrap_or(&"<none>"),
                    y.unwrap_or(&"<none>")
                ));
                if out.len() > 4000 {
                    break;
                }
            }
        }
    }
    out
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*

        #[test]
        fn every_case_directory_is_listed() {
            let listed: Vec<&str> = vec![$(stringify!($name)),*];
            let mut missing = Vec::new();
            for e in std::fs::read_dir(testdata()).expect("testdata") {
                let name = e.expect("entry").file_name().to_string_lossy().to_string();
                if !listed.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "cases not listed in main.rs: {missing:?}");
        }
    };
}

cases! {
    removed_blocks,
    moved_into_module_instances,
    module_count_and_for_each,
    create_from_nothing,
    parallel_plan,
    parallel_resources,
    update_in_place,
    replace_on_force_new,
    create_before_destroy,
    delete_removed_from_config,
    deletes_in_reverse_dependency_order,
    destroy_mode,
    count_grow_and_shrink,
    for_each_keys,
    count_added_to_a_single_resource,
    moved_block_renames,
    moved_to_another_type_is_an_error,
    cycle_is_an_error,
    failure_skips_dependents_only,
    failed_update_keeps_the_prior_object,
    interrupted_apply_converges,
    target_plans_a_resource_and_its_dependencies,
    target_one_instance_leaves_its_siblings,
    targeted_destroy_takes_dependents,
    replace_by_request,
    refresh_finds_a_deleted_object,
    refresh_finds_a_changed_object,
    refresh_only_updates_state,
    refresh_false_trusts_state,
    ignore_changes,
    replace_triggered_by,
    prevent_destroy,
    import_block_adopts_an_object,
    data_source_read_at_plan,
    data_source_deferred_to_apply,
    sensitive_variable,
    sensitive_variable_in_a_plain_attribute,
    generated_secret_inside_jsonencode,
    unknown_count_is_an_error,
    output_changes,
    modules_pass_values_in_and_out,
    aliased_provider_configuration,
    undeclared_provider_configuration,
    deposed_object_is_deleted_later,
    nested_blocks_keep_computed_values,
    dynamic_blocks,
    dynamic_block_errors,
    depends_on_orders_without_references,
    variable_validation,
    unknown_resource_type,
    unsupported_argument_in_a_block_without_instances,
    conditional_resources_with_no_instances,
    ignore_changes_on_map_keys,
    provider_of_an_object_is_kept,
    module_providers_map,
    orphan_of_a_removed_configuration,
    operations_on_a_generated_secret,
}
