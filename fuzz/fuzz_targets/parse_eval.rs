//! Parse and evaluate arbitrary input: no input may panic.
#![no_main]

use iac_config::{load_module_from_files, EmptyNamespace, EvalContext};
use iac_diagnostics::SourceMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The whole module pipeline: parse, lower, decode declarations.
    let mut sources = SourceMap::default();
    let files = vec![("main.tf".to_string(), text.to_string())];
    let (module, _) = load_module_from_files(std::path::Path::new("/nonexistent"), std::path::Path::new(""), &files, &mut sources);
    // Evaluate every local and output expression with nothing in scope.
    let dir = std::path::PathBuf::from("/nonexistent");
    for l in module.locals.values() {
        let mut ctx = EvalContext::new(&EmptyNamespace, dir.clone(), dir.clone());
        let _ = ctx.eval(&l.expr);
    }
    for o in module.outputs.values() {
        let mut ctx = EvalContext::new(&EmptyNamespace, dir.clone(), dir.clone());
        let _ = ctx.eval(&o.value);
    }
    // Standalone expressions and templates too.
    let mut sm = SourceMap::default();
    let id = sm.add("expr", text);
    if let Ok(e) = iac_syntax::parse_expression(id, text) {
        let mut ctx = EvalContext::new(&EmptyNamespace, dir.clone(), dir.clone());
        let _ = ctx.eval(&e);
    }
    if let Ok(t) = iac_syntax::parse_template(id, text) {
        let mut ctx = EvalContext::new(&EmptyNamespace, dir.clone(), dir);
        let _ = ctx.eval(&t);
    }
});
