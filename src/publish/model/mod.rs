//! The site model: which pages exist, where they live, and the plain view data each page's
//! template receives. Table markup decisions (header rows, scopes, `headers`/`id`, units in
//! captions) are made here once, so both themes render the same, correct structure.
//!
//! From the bottom up: `views` (the data templates see), `cells` (one value as shown), `site`
//! (the page list and its indexes), then one file per kind of view data: `entity`, `directory`,
//! `branches` (the bureau tree and the lists of bureaus), `year`, `home` and `tables`, whose
//! `<table>` elements `markup` writes.

mod branches;
mod cells;
mod directory;
mod entity;
mod home;
pub mod links;
mod markup;
mod site;
mod tables;
mod tree;
mod views;
mod year;

pub use crate::inputs::dataset::applies;
pub use branches::{BRANCH_INLINE, BRANCH_PAGE};
pub use cells::{by_key, date_text, keyed};
pub use markup::{NOT_APPLICABLE_HTML, escape, escape_into};
pub use site::{DIRECTORY_PAGE, INLINE_LIST, Indexes, PageKind, PageList, Site, YEAR_PAGE, in_every_theme, root_of};
pub use tree::Tree;
pub use views::*;
pub use year::COUNTED;
