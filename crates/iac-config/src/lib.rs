//! Configuration: loading modules into typed declarations, type constraints,
//! expression evaluation with unknowns and sensitivity, and the function library.

mod eval;
pub mod functions;
mod module;
pub mod sources;
mod typeexpr;
pub mod vars;
pub mod versions;

pub use eval::{values_equal, EmptyNamespace, EvalContext, Namespace};
pub use module::{
    load_module, load_module_cached, load_module_from_files, module_calls_in, module_files,
    normalize, parse_counts, parsing_now, Backend, Check, Condition, Lifecycle, Local, Mode,
    Module, ModuleCall, Moved, Output, ProviderConfig, ProviderRef, Provisioner, Removed, Resource,
    Validation, Variable,
};
pub use typeexpr::parse_type;
