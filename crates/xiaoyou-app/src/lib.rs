//! Use cases of xiaoyou, above the store and below the web: reference data loading, the
//! organisation tree, and the demo province generator.

pub mod access;
pub mod alumni;
pub mod audit;
pub mod auth;
pub mod demo;
pub mod error;
pub mod export;
pub mod identity;
pub mod import;
pub mod orgtree;
pub mod reference;
pub mod schools;
pub mod search;

pub use error::AppError;
