//! recguard's integration tests: one binary, one module per topic. Every test
//! runs real compiled components (built by `tests/build.rs`) through the host.

mod audit;
mod concurrency;
mod helpers;
mod hostile;
mod limits;
mod loading;
mod merge;
mod minimisation;
mod reference_policies;
mod requests;
mod scope;
mod signing;
mod suite;
mod twins;
