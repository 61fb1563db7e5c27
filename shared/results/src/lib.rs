//! From counted answers to published results: the populations figures are
//! published for, disclosure control over them, the unit, county and national
//! reports, IMDi's bundle, and the run that writes them all before it moves the
//! `latest.json` pointer.

pub mod bundle;
pub mod dictionary;
pub mod export;
pub mod key_figures;
pub mod microdata;
pub mod org;
pub mod population;
pub mod previous;
pub mod progress;
pub mod protect;
pub mod release;
pub mod report;
pub mod run;
pub mod tables;

pub use progress::RunState;
pub use release::{Ledger, ProtectionFailed};
pub use run::{new_run_id, run, run_participants, Progress, RunError, RunSummary, DEFAULT_SEGMENTS};
