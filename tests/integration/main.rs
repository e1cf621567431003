//! The one integration test binary: the CLI end to end, the parser on every syntax form and
//! against a second parser, the checks, the reports (snapshots, SARIF schema), and the shared
//! corpus of real-world Dockerfiles.

mod accuracy;
mod artifacts;
mod attribution;
mod audit;
mod budgets;
mod builder;
mod checks;
mod cli;
mod common;
mod config;
mod corpus;
mod fixtures;
mod formats;
mod git_history;
mod images;
mod integrations;
mod metadata;
mod ownership;
mod parser;
mod reports;
mod rpm_packages;
mod safety;
mod streams;
