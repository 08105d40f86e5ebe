//! Command-line arguments. Terraform's single-dash long flags (`-auto-approve`,
//! `-var k=v`, `-out=FILE`) are accepted as well as the two-dash form.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "iac",
    version,
    about = "Declarative infrastructure as code: plan and apply HCL manifests"
)]
pub struct Cli {
    /// Run as if started in DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// Disable coloured output (also off when stdout is not a terminal, or NO_COLOR is set).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a variable: -var 'name=value'. Repeatable; highest priority.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variables from a file (HCL .tfvars or .tfvars.json). Repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Ask for missing required variables on a terminal (default true).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
}

#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// Path of the state file (default: iac.tfstate in the module directory).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Take the state lock (default true).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    /// How long to wait for the state lock, such as 30s or 2m (default 0s: fail at once).
    #[arg(long = "lock-timeout", value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
    /// Environment: its own state (workspace) and env/NAME.tfvars; shown in plan headers (also IAC_ENV).
    #[arg(short = 'e', long = "env", value_name = "NAME")]
    pub env: Option<String>,
}

/// What `rollback`, `promote` and `abort` take.
#[derive(Args, Debug, Clone)]
pub struct DeploymentAction {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Do not ask for confirmation.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// The deployment, such as deployment.web.
    pub address: String,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Plan only these resources (and what they depend on). Repeatable.
    #[arg(long, value_name = "ADDRESS")]
    pub target: Vec<String>,
    /// Plan to replace this resource instance. Repeatable.
    #[arg(long, value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// Read the real objects before planning (default true).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Plan only to record changes made outside of iac into state.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Plan to destroy every object in state.
    #[arg(long)]
    pub destroy: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Prepare the working directory (checks the configuration and the backend).
    Init {
        #[command(flatten)]
        state: StateArgs,
        /// Backend setting KEY=VALUE, or a file of `key = value` lines. Repeatable;
        /// overrides the backend block.
        #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
        backend_config: Vec<String>,
        /// Copy the state from the previously initialized backend to the new one.
        #[arg(long = "migrate-state")]
        migrate_state: bool,
        /// Use the backend as now configured, without copying any state.
        #[arg(long)]
        reconfigure: bool,
        /// With -migrate-state: replace state already in the new backend without asking.
        #[arg(long = "force-copy")]
        force_copy: bool,
        /// Resolve module versions again and download them anew.
        #[arg(long)]
        upgrade: bool,
    },
    /// Download the modules the configuration calls (registry, git, HTTPS archives)
    /// into .iac/modules.
    Get {
        /// Resolve versions again and download anew.
        #[arg(long)]
        update: bool,
    },
    /// Evaluate expressions against the configuration and state (reads standard input when piped).
    Console {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Check the configuration: syntax, references, types, schemas.
    Validate {
        /// Print diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rewrite configuration files in canonical format.
    Fmt {
        /// Only check; exit 3 if any file needs formatting.
        #[arg(long)]
        check: bool,
        /// Show what would change.
        #[arg(long)]
        diff: bool,
        /// Also format subdirectories.
        #[arg(long)]
        recursive: bool,
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        plan: PlanArgs,
        /// Save the plan to FILE for `iac apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Exit 0 with no changes, 1 on error, 2 with changes.
        #[arg(long = "detailed-exitcode")]
        detailed_exitcode: bool,
        /// Print the plan as JSON (schemas/plan.schema.json) instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the plan as a pull-request comment in Markdown to FILE.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Check whether the real objects still match the state and the configuration.
    /// Exit 0: no drift; 2: drift; 1: error. Changes nothing.
    Drift {
        #[command(flatten)]
        plan: PlanArgs,
        /// Print the report as JSON (the plan format, with `drift_detected`).
        #[arg(long)]
        json: bool,
        /// Also write the report as Markdown to FILE.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
    },
    /// Apply the changes (or exactly a saved plan).
    Apply {
        #[command(flatten)]
        plan: PlanArgs,
        /// Do not ask for confirmation.
        #[arg(long = "auto-approve")]
        auto_approve: bool,
        /// How many operations run at once (default 10).
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
        /// A plan saved with `iac plan -out=FILE`.
        planfile: Option<PathBuf>,
    },
    /// Destroy every object in state (same as `apply -destroy`).
    Destroy {
        #[command(flatten)]
        plan: PlanArgs,
        #[arg(long = "auto-approve")]
        auto_approve: bool,
        #[arg(long, default_value_t = 10)]
        parallelism: usize,
    },
    /// Show the state, or a saved plan.
    Show {
        #[arg(long)]
        json: bool,
        /// Print a saved plan as a pull-request comment in Markdown.
        #[arg(long)]
        markdown: bool,
        #[command(flatten)]
        state: StateArgs,
        planfile: Option<PathBuf>,
    },
    /// Show output values from state.
    Output {
        #[arg(long)]
        json: bool,
        /// Print a string value without quotes.
        #[arg(long)]
        raw: bool,
        #[command(flatten)]
        state: StateArgs,
        name: Option<String>,
    },
    /// Inspect and change state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Adopt an existing object into state: iac import ADDRESS ID.
    Import {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        state: StateArgs,
        address: String,
        id: String,
    },
    /// Send a deployment's traffic back to its previous release (while it is kept).
    Rollback(DeploymentAction),
    /// Let a deployment's canary, paused until promoted, go on from its pause.
    Promote(DeploymentAction),
    /// Send a paused canary's traffic back to the live release and remove it.
    Abort(DeploymentAction),
    /// List deployments and their releases: status, traffic weight, health.
    Deployments {
        #[command(flatten)]
        vars: VarArgs,
        #[command(flatten)]
        state: StateArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the dependency graph in DOT format.
    Graph,
    /// Print iac's version, platform and built-in providers (`-json` for a document).
    Version {
        #[arg(long)]
        json: bool,
    },
    /// Show the provider configurations the configuration declares and state uses,
    /// and which resources each serves (`providers schema -json`: every schema).
    Providers {
        #[command(subcommand)]
        command: Option<ProvidersCommand>,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Release a lock left by a crashed run.
    #[command(name = "force-unlock")]
    ForceUnlock {
        #[command(flatten)]
        state: StateArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProvidersCommand {
    /// Print every resource type and data source schema as JSON.
    Schema {
        /// JSON output (the only format).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List resource instances in state.
    List {
        #[command(flatten)]
        state: StateArgs,
        addresses: Vec<String>,
    },
    /// Show one resource instance.
    Show {
        #[command(flatten)]
        state: StateArgs,
        address: String,
    },
    /// Forget resource instances (the objects are not destroyed).
    Rm {
        #[command(flatten)]
        state: StateArgs,
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Rename a resource instance, resource or module in state.
    Mv {
        #[command(flatten)]
        state: StateArgs,
        source: String,
        destination: String,
    },
    /// Print the state document.
    Pull {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Replace the state with a file (refuses another lineage or a lower serial without -force).
    Push {
        #[command(flatten)]
        state: StateArgs,
        #[arg(long)]
        force: bool,
        path: PathBuf,
    },
}

/// Long options that Terraform users write with one dash.
const LONG: &[&str] = &[
    "chdir",
    "no-color",
    "var",
    "var-file",
    "input",
    "state",
    "lock",
    "lock-timeout",
    "target",
    "replace",
    "refresh",
    "refresh-only",
    "destroy",
    "env",
    "out",
    "detailed-exitcode",
    "json",
    "auto-approve",
    "parallelism",
    "check",
    "diff",
    "recursive",
    "raw",
    "force",
    "backend-config",
    "migrate-state",
    "reconfigure",
    "force-copy",
    "upgrade",
    "update",
    "markdown",
    "help",
    "version",
];

/// Rewrites `-name` and `-name=value` to `--name...` for known long options.
pub fn normalize(argv: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut rest = false;
    for (i, a) in argv.into_iter().enumerate() {
        if i == 0 || rest {
            out.push(a);
            continue;
        }
        if a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        if a.len() > 2 && a.starts_with('-') && !a.starts_with("--") {
            let name = a[1..].split('=').next().unwrap_or("");
            if LONG.contains(&name) {
                out.push(format!("-{a}"));
                continue;
            }
        }
        out.push(a);
    }
    out
}

pub fn parse(argv: Vec<String>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(normalize(argv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_dash_flags_work() {
        let cli = parse(
            [
                "iac",
                "plan",
                "-var",
                "a=1",
                "-out=p.bin",
                "-detailed-exitcode",
                "-target=terraform_data.a",
                "-no-color",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        )
        .unwrap();
        assert!(cli.no_color);
        match cli.command {
            Command::Plan {
                plan,
                out,
                detailed_exitcode,
                ..
            } => {
                assert_eq!(plan.vars.vars, vec!["a=1"]);
                assert_eq!(out.unwrap().to_str(), Some("p.bin"));
                assert!(detailed_exitcode);
                assert_eq!(plan.target, vec!["terraform_data.a"]);
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(
            ["iac", "apply", "-auto-approve", "-lock=false"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        )
        .unwrap();
        match cli.command {
            Command::Apply {
                auto_approve, plan, ..
            } => {
                assert!(auto_approve);
                assert!(!plan.state.lock);
            }
            other => panic!("{other:?}"),
        }
    }
}
