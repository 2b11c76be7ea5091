//! Consistency rules: every `[[rules]]` of every table definition, evaluated on the loaded data.
//!
//! A rule is checked once per record (records tables), or once per row or column (matrix
//! tables, by `scope`). Names resolve to the record's fields, `prev.x` to the same record one
//! year earlier, `other_table.x` to the matching record of another table of the same
//! entity-year, and `children.x` to the entities reporting to this one. A failed check says
//! the arithmetic with the actual numbers, e.g.
//! `1,079.96 + 21,772.41 − 21,885.53 = 966.84，但填报值为 996.84（相差 30.00）`.
//! Totals that do not add up are reported, never corrected.
//!
//! From the bottom up: `values` (evaluation values), `lookups` (across entities, kept by
//! `serve`), `validator` (where a rule runs, lookups into the data), `resolve` (names), `eval`
//! (expressions; `join` looks `count_where(all.…, …)` up), `explain` (operands in words),
//! `failure` (messages), `run` (which rules run where, and their outcomes). `references` and
//! `types` check the definitions alone.

mod eval;
mod explain;
mod failure;
mod join;
mod lookups;
mod references;
mod resolve;
mod run;
mod types;
mod validator;
mod values;

pub use lookups::{Before, Lookups, children_of};
pub use references::check_references;
pub use resolve::ENTITY_ATTRS;
pub use run::{dependents, run};
pub use validator::Validator;
