//! Chinese text handling shared by import, identity and search.
//!
//! - [`fold`]: full-width → half-width, invisible characters out, whitespace collapsed;
//! - [`script`]: traditional → simplified folding (OpenCC tables), surname-aware;
//! - [`keys`]: normalised keys for names of people and organisations;
//! - [`pinyin`]: tone-less pinyin of names, order-insensitive keys for romanised names;
//! - [`similar`]: similarity and "did you mean" lists.

pub mod fold;
pub mod keys;
pub mod pinyin;
pub mod script;
pub mod similar;

pub use fold::{clean_cell, fold_width};
pub use keys::{name_key, org_alias_key, org_name_key};
pub use pinyin::{name_pinyin, name_pinyin_initials, pinyin_name, pinyin_name_key};
pub use script::to_simplified;
pub use similar::{close_matches, similarity};
