//! End-to-end tests: the `iac` binary on real files and state.

mod moto;
mod pg;
mod proxy;
mod support;

mod acm;
mod adopt;
mod aws;
mod backends;
mod ci;
mod cloudwatch;
mod conformance;
mod databases;
mod deployments;
mod diagnostics;
mod dns;
mod encryption;
mod functions;
mod iam;
mod lifecycle;
mod modules;
mod network;
mod params;
mod provider_block;
mod s3;
mod safety;
mod saved_plans;
mod schemas;
mod stack;
mod state_cmds;
mod variables;
