//! A scripted provider for engine tests: an in-memory "cloud" that the engine
//! creates, reads, updates and deletes objects in, a log of every call, and
//! failures on demand. Built once per case; the cloud lives across its steps.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use iac_provider::{
    proposed_new, ApplyRequest, ApplyResult, AttrDiagnostic, AttrType, Attribute, NestedBlock,
    Nesting, PlanRequest, PlanResponse, Provider, ProviderSchema, Schema,
};
use iac_value::Value;

/// What the provider holds and does, shared with the harness.
#[derive(Default)]
pub struct Cloud {
    /// Objects by id.
    pub objects: BTreeMap<String, Value>,
    /// Every call, in order (apply calls in the order they were made).
    pub calls: Vec<String>,
    next_id: usize,
    /// Objects created so far, by name.
    created: BTreeMap<String, usize>,
    /// Calls in flight, and the number of the current group of overlapping calls.
    inflight: usize,
    group: usize,
}

#[derive(Clone)]
pub struct Scripted {
    schema: Arc<ProviderSchema>,
    pub cloud: Arc<Mutex<Cloud>>,
    /// Set the cancel flag once this many apply calls have finished (0: never).
    pub cancel_after: Arc<AtomicUsize>,
    pub cancel: Arc<AtomicBool>,
    finished: Arc<AtomicUsize>,
    /// The configuration `configure` received (for provider-block cases).
    pub configured: Arc<Mutex<Vec<String>>>,
    /// The threads `plan_resource` has been called on (to see a plan share its work).
    pub plan_threads: Arc<Mutex<std::collections::BTreeSet<String>>>,
    label: Option<String>,
}

fn thing_schema() -> Schema {
    Schema::new("A thing in the scripted cloud.")
        .attr(
            "name",
            Attribute::optional(AttrType::String, "Updatable in place."),
        )
        .attr(
            "size",
            Attribute::optional(AttrType::Number, "Forces replacement.").force_new(),
        )
        .attr(
            "tags",
            Attribute::optional(AttrType::Map(Box::new(AttrType::String)), "Tags."),
        )
        .attr(
            "secret",
            Attribute::optional(AttrType::String, "A sensitive input.").sensitive(),
        )
        .attr(
            "fail",
            Attribute::optional(
                AttrType::String,
                "\"create\", \"update\" or \"delete\": that call fails.",
            ),
        )
        .attr("id", Attribute::computed(AttrType::String, "Assigned id."))
        .attr(
            "computed",
            Attribute::computed(AttrType::String, "Derived from name by the cloud."),
        )
        .block(
            "rule",
            NestedBlock {
                nesting: Nesting::List,
                min_items: 0,
                max_items: None,
                force_new: false,
                block: Schema::new("A nested block.")
                    .attr("port", Attribute::required(AttrType::Number, "Port."))
                    .attr(
                        "rule_id",
                        Attribute::computed(AttrType::String, "Assigned per rule."),
                    ),
            },
        )
}

impl Scripted {
    pub fn new() -> Scripted {
        let mut resources = BTreeMap::new();
        resources.insert("test_thing".to_string(), thing_schema());
        resources.insert(
            "test_password".to_string(),
            Schema::new("A generated secret, kept only in state (as random_password).")
                .attr(
                    "length",
                    Attribute::required(AttrType::Number, "Length.").force_new(),
                )
                .attr("id", Attribute::computed(AttrType::String, "Id."))
                .attr(
                    "result",
                    Attribute::computed(AttrType::String, "The secret.").sensitive(),
                ),
        );
        let mut data_sources = BTreeMap::new();
        data_sources.insert(
            "test_lookup".to_string(),
            Schema::new("Looks a value up.")
                .attr("name", Attribute::required(AttrType::String, "Key."))
                .attr("value", Attribute::computed(AttrType::String, "v-<name>.")),
        );
        let provider = Schema::new("The scripted provider.")
            .attr("region", Attribute::optional(AttrType::String, "Region."));
        Scripted {
            schema: Arc::new(ProviderSchema {
                provider,
                resources,
                data_sources,
            }),
            cloud: Arc::default(),
            cancel_after: Arc::default(),
            cancel: Arc::default(),
            finished: Arc::default(),
            configured: Arc::default(),
            plan_threads: Arc::default(),
            label: None,
        }
    }

    /// Logs a call, numbered by the group of calls that overlapped it, so the
    /// harness can order a transcript without depending on which of several
    /// parallel calls the scheduler ran first.
    fn log(&self, line: String) {
        let line = match &self.label {
            Some(l) => format!("[{l}] {line}"),
            None => line,
        };
        if let Ok(mut c) = self.cloud.lock() {
            if c.inflight == 0 {
                c.group += 1;
            }
            let g = c.group;
            c.calls.push(format!("{g:06}|{line}"));
        }
    }

    fn enter(&self) {
        if let Ok(mut c) = self.cloud.lock() {
            if c.inflight == 0 {
                c.group += 1;
            }
            c.inflight += 1;
        }
    }

    fn leave(&self) {
        if let Ok(mut c) = self.cloud.lock() {
            c.inflight -= 1;
        }
    }

    fn one_done(&self) {
        let n = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        let after = self.cancel_after.load(Ordering::SeqCst);
        if after > 0 && n >= after {
            self.cancel.store(true, Ordering::SeqCst);
        }
    }

    pub fn reset_counters(&self) {
        self.finished.store(0, Ordering::SeqCst);
        self.cancel.store(false, Ordering::SeqCst);
        self.cancel_after.store(0, Ordering::SeqCst);
    }
}

/// What the cloud stores for a configuration: configured values, assigned ids.
fn materialize(config: &Value, id: &str, prior: Option<&Value>) -> Value {
    let mut m = config
        .clone()
        .unmark_deep()
        .0
        .as_map()
        .cloned()
        .unwrap_or_default();
    m.insert("id".into(), Value::string(id));
    let name = m
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    m.insert("computed".into(), Value::string(format!("c-{name}")));
    let prior_rules = prior.and_then(|p| p.get_attr("rule").as_list().map(|l| l.to_vec()));
    if let Some(rules) = m.get("rule").and_then(|r| r.as_list()).map(|l| l.to_vec()) {
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut r = r.as_map().cloned().unwrap_or_default();
                let kept = prior_rules
                    .as_ref()
                    .and_then(|p| p.get(i))
                    .map(|p| p.get_attr("rule_id").clone())
                    .filter(|v| !v.is_null() && !v.is_unknown());
                r.insert(
                    "rule_id".into(),
                    kept.unwrap_or_else(|| Value::string(format!("{id}-r{i}"))),
                );
                Value::Map(r.into())
            })
            .collect();
        m.insert("rule".into(), Value::List(rules));
    }
    Value::Map(m.into())
}

fn fails(config: &Value, call: &str) -> bool {
    config.get_attr("fail").as_str() == Some(call)
}

#[async_trait::async_trait]
impl Provider for Scripted {
    fn name(&self) -> &str {
        "test"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    /// `test_unbuilt` stands for a type the real provider has and iac lacks.
    fn missing_type(&self, type_name: &str, _data: bool) -> Option<String> {
        (type_name == "test_unbuilt").then(|| "the provider has it; iac does not yet".to_string())
    }

    fn new_instance(&self) -> Option<Arc<dyn Provider>> {
        let mut p = self.clone();
        p.label = Some("instance".into());
        Some(Arc::new(p))
    }

    async fn configure(&self, config: &Value) -> Vec<AttrDiagnostic> {
        let region = config.get_attr("region").as_str().unwrap_or("default");
        if let Ok(mut c) = self.configured.lock() {
            c.push(region.to_string());
        }
        Vec::new()
    }

    fn plan_resource(&self, req: PlanRequest<'_>) -> PlanResponse {
        if let Ok(mut t) = self.plan_threads.lock() {
            t.insert(
                std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_string(),
            );
        }
        let schema = &self.schema.resources[req.type_name];
        let mut planned = proposed_new(schema, req.prior, req.config);
        if req.type_name == "test_password" {
            let requires_replace = match req.prior {
                Some(p) => schema.replace_paths(p, &planned, &|a, b| a == b),
                None => Vec::new(),
            };
            if req.prior.is_none() || !requires_replace.is_empty() {
                if let Value::Map(m) = &mut planned {
                    m.insert("id".into(), Value::Unknown);
                    m.insert("result".into(), Value::Unknown.sensitive());
                }
            }
            return PlanResponse {
                planned,
                requires_replace,
                diagnostics: Vec::new(),
                notes: Vec::new(),
            };
        }
        let eq = |a: &Value, b: &Value| a == b;
        let requires_replace = match req.prior {
            Some(p) => schema.replace_paths(p, &planned, &eq),
            None => Vec::new(),
        };
        if let Value::Map(m) = &mut planned {
            let name_changed = req
                .prior
                .is_none_or(|p| p.get_attr("name") != req.config.get_attr("name"));
            if req.prior.is_none() || !requires_replace.is_empty() {
                m.insert("id".into(), Value::Unknown);
            }
            if name_changed || !requires_replace.is_empty() {
                m.insert("computed".into(), Value::Unknown);
            }
        }
        PlanResponse {
            planned,
            requires_replace,
            diagnostics: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn has_remote_objects(&self, type_name: &str) -> bool {
        type_name != "test_password"
    }

    async fn apply_resource(&self, req: ApplyRequest<'_>) -> ApplyResult {
        self.enter();
        // Yield once, so operations that can run together do.
        tokio::task::yield_now().await;
        let r = self.apply_inner(req).await;
        self.leave();
        r
    }

    async fn read_resources(
        &self,
        type_name: &str,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let ids: Vec<&str> = current
            .iter()
            .map(|v| v.get_attr("id").as_str().unwrap_or("?"))
            .collect();
        self.log(format!("read {type_name} [{}]", ids.join(", ")));
        let c = self.cloud.lock().expect("cloud");
        current
            .iter()
            .map(|v| {
                let id = v.get_attr("id").as_str().unwrap_or("");
                Ok(c.objects.get(id).map(|o| with_marks(o.clone(), v)))
            })
            .collect()
    }

    async fn read_data(
        &self,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, Vec<AttrDiagnostic>> {
        let name = config.get_attr("name").as_str().unwrap_or("").to_string();
        self.log(format!("read_data {type_name} name={name:?}"));
        Ok(Value::map([
            ("name", Value::string(name.clone())),
            ("value", Value::string(format!("v-{name}"))),
        ]))
    }
}

impl Scripted {
    async fn apply_inner(&self, req: ApplyRequest<'_>) -> ApplyResult {
        if req.type_name == "test_password" {
            let result = match req.planned {
                Some(_) => {
                    let mut c = self.cloud.lock().expect("cloud");
                    c.next_id += 1;
                    let n = c.next_id;
                    drop(c);
                    self.log(format!("generate test_password {n}"));
                    Ok(Some(Value::map([
                        ("length", req.config.get_attr("length").clone()),
                        ("id", Value::string(format!("pw-{n}"))),
                        ("result", Value::string(format!("secret-{n}")).sensitive()),
                    ])))
                }
                None => {
                    self.log("discard test_password".to_string());
                    Ok(None)
                }
            };
            self.one_done();
            return result;
        }
        let result = match (req.prior, req.planned) {
            (None, Some(_)) => {
                let name = match req.config.get_attr("name") {
                    v if v.is_marked() => "(sensitive)".to_string(),
                    v => v.as_str().unwrap_or("").to_string(),
                };
                self.log(format!("create {} name={name:?}", req.type_name));
                if fails(req.config, "create") {
                    Err(vec![AttrDiagnostic::error(
                        Vec::new(),
                        "scripted create failure",
                        "",
                    )])
                } else {
                    let mut c = self.cloud.lock().expect("cloud");
                    // Ids follow names, not the order parallel creates happen to run in.
                    let n = c.created.entry(name.clone()).or_default();
                    *n += 1;
                    let id = format!("{name}-{n}");
                    let obj = materialize(req.config, &id, None);
                    c.objects.insert(id, obj.clone());
                    Ok(Some(with_marks(obj, req.config)))
                }
            }
            (Some(prior), Some(_)) => {
                let id = prior.get_attr("id").as_str().unwrap_or("").to_string();
                self.log(format!("update {id}"));
                if fails(req.config, "update") {
                    Err(vec![AttrDiagnostic::error(
                        Vec::new(),
                        "scripted update failure",
                        "",
                    )])
                } else {
                    let obj = materialize(req.config, &id, Some(prior));
                    self.cloud
                        .lock()
                        .expect("cloud")
                        .objects
                        .insert(id, obj.clone());
                    Ok(Some(with_marks(obj, req.config)))
                }
            }
            (Some(prior), None) => {
                let id = prior.get_attr("id").as_str().unwrap_or("").to_string();
                self.log(format!("delete {id}"));
                let in_cloud = self.cloud.lock().expect("cloud").objects.get(&id).cloned();
                if in_cloud.is_some_and(|o| fails(&o, "delete")) {
                    Err(vec![AttrDiagnostic::error(
                        Vec::new(),
                        "scripted delete failure",
                        "",
                    )])
                } else {
                    self.cloud.lock().expect("cloud").objects.remove(&id);
                    Ok(None)
                }
            }
            (None, None) => Ok(None),
        };
        self.one_done();
        result
    }
}

/// Marks a returned object's `secret` sensitive, as the schema says.
fn with_marks(obj: Value, _like: &Value) -> Value {
    match obj {
        Value::Map(mut m) => {
            if let Some(s) = m.get_mut("secret") {
                if !s.is_null() {
                    *s = std::mem::replace(s, Value::Null).sensitive();
                }
            }
            Value::Map(m)
        }
        v => v,
    }
}
