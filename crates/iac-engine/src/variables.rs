//! Input variables of the root module: precedence, type conversion, validation.

use std::collections::{BTreeMap, HashMap};

use iac_config::vars::{parse_raw_value, VarSource, VarValue};
use iac_config::{EmptyNamespace, EvalContext, Module, Namespace, Variable};
use iac_diagnostics::{did_you_mean, Diagnostic, Diagnostics};
use iac_value::{convert, Value};

/// Names of required root variables that have no value from any source.
pub fn missing_variables(module: &Module, inputs: &[VarValue]) -> Vec<String> {
    module
        .variables
        .values()
        .filter(|v| v.default.is_none() && !inputs.iter().any(|i| i.name == v.name))
        .map(|v| v.name.clone())
        .collect()
}

struct OneVar<'a>(&'a str, &'a Value);

impl Namespace for OneVar<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        (name == self.0).then(|| self.1.clone())
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn data(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn module(&self, _: &str) -> Option<Value> {
        None
    }
}

/// Checks a variable's value: type, nullability, validation blocks, sensitivity.
pub fn finish_variable(
    var: &Variable,
    value: Value,
    module: &Module,
    at: Option<iac_diagnostics::Span>,
    diags: &mut Diagnostics,
) -> Value {
    let span = at.unwrap_or(var.span);
    let value = match convert(value, &var.ty) {
        Ok(v) => v,
        Err(msg) => {
            diags.push(
                Diagnostic::error(
                    "E0210",
                    format!("Invalid value for variable \"{}\"", var.name),
                )
                .with_span(span, msg.to_string())
                .with_secondary(var.span, format!("declared as {}", var.ty)),
            );
            return Value::Unknown;
        }
    };
    if value.is_null() && !var.nullable {
        diags.push(
            Diagnostic::error(
                "E0210",
                format!("Invalid value for variable \"{}\"", var.name),
            )
            .with_span(span, "the variable is not nullable"),
        );
    }
    for v in &var.validations {
        let ns = OneVar(&var.name, &value);
        let mut ctx = EvalContext::new(&ns, module.dir.clone(), module.dir.clone());
        match ctx.eval(&v.condition) {
            Ok(c) => match c.unmarked() {
                Value::Bool(true) | Value::Unknown => {}
                Value::Bool(false) => {
                    let msg = ctx
                        .eval(&v.error_message)
                        .ok()
                        .and_then(|m| m.as_str().map(String::from))
                        .unwrap_or_else(|| "the value is not valid".into());
                    diags.push(
                        Diagnostic::error(
                            "E0211",
                            format!("Invalid value for variable \"{}\"", var.name),
                        )
                        .with_span(span, msg)
                        .with_secondary(v.condition.span, "this validation failed"),
                    );
                }
                other => diags.push(
                    Diagnostic::error("E0211", "Invalid validation condition").with_span(
                        v.condition.span,
                        format!("must be a bool, got {}", other.type_name()),
                    ),
                ),
            },
            Err(d) => diags.push(d),
        }
    }
    value.mark_if(var.sensitive)
}

/// Resolves root variables from inputs given lowest priority first.
pub fn resolve_root_variables(
    module: &Module,
    inputs: &[VarValue],
) -> (HashMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut chosen: BTreeMap<&str, &VarValue> = BTreeMap::new();
    for i in inputs {
        // The environment is shared by every configuration a shell runs: a value
        // there for a variable this one does not declare is ignored, as Terraform
        // ignores TF_VAR_ values.
        if !module.variables.contains_key(&i.name) && i.source == VarSource::Environment {
            continue;
        }
        if !module.variables.contains_key(&i.name) {
            let help = did_you_mean(&i.name, module.variables.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    format!("declare it with a `variable \"{}\" {{}}` block", i.name)
                });
            let mut d = match &i.source {
                VarSource::File(_) => Diagnostic::warning(
                    "W0212",
                    format!("Value for undeclared variable \"{}\"", i.name),
                ),
                _ => Diagnostic::error(
                    "E0212",
                    format!("Value for undeclared variable \"{}\"", i.name),
                ),
            };
            if let Some(s) = i.span {
                d = d.with_span(s, "no variable with this name is declared");
            }
            diags.push(d.with_help(help));
            continue;
        }
        let replace = chosen
            .get(i.name.as_str())
            .is_none_or(|prev| prev.source <= i.source);
        if replace {
            chosen.insert(&i.name, i);
        }
    }
    let mut out = HashMap::new();
    for (name, var) in &module.variables {
        let value = match chosen.get(name.as_str()) {
            Some(i) => {
                let raw = matches!(i.source, VarSource::CommandLine | VarSource::Environment);
                let v = if raw {
                    match (&i.value, raw) {
                        (Value::String(s), true) => match parse_raw_value(s, &var.ty) {
                            Ok(v) => v,
                            Err(msg) => {
                                diags.push(Diagnostic::error(
                                    "E0210",
                                    format!("Invalid value for variable \"{name}\": {msg}"),
                                ));
                                Value::Unknown
                            }
                        },
                        (v, _) => v.clone(),
                    }
                } else {
                    i.value.clone()
                };
                finish_variable(var, v, module, i.span, &mut diags)
            }
            None => match &var.default {
                Some(d) => {
                    let mut ctx =
                        EvalContext::new(&EmptyNamespace, module.dir.clone(), module.dir.clone());
                    match ctx.eval(d) {
                        Ok(v) => finish_variable(var, v, module, Some(d.span), &mut diags),
                        Err(e) => {
                            diags.push(e);
                            Value::Unknown
                        }
                    }
                }
                None => {
                    diags.push(
                        Diagnostic::error("E0213", format!("No value for required variable \"{name}\""))
                            .with_span(var.span, "this variable has no default")
                            .with_help(format!(
                                "set it with -var '{name}=...', a -var-file, a terraform.tfvars or *.auto.tfvars file, or the IAC_VAR_{name} environment variable"
                            )),
                    );
                    Value::Unknown
                }
            },
        };
        out.insert(name.clone(), value);
    }
    (out, diags)
}
