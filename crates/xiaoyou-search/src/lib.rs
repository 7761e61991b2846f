//! The search projection of xiaoyou: a tantivy index with Chinese-aware analysis over study
//! records (one document per study record of a live person, person-level data copied onto
//! each) and enterprises. It is never the source of truth: it follows the ordered change feed
//! that database triggers fill (`search_changes`), and can always be rebuilt from the
//! database. Searches apply the actor's scope inside the query, so hits and facet counts
//! never include a document outside it.

pub mod analysis;
pub mod collect;
pub mod docs;
pub mod error;
pub mod facets;
pub mod follow;
pub mod index;
pub mod query;
pub mod schema;
pub mod token_cache;

pub use error::{SearchError, SearchResult};
pub use facets::{FacetCounts, FacetValue};
pub use index::{
    Cursor, Gap, Hit, Opened, SearchIndex, SearchRequest, SearchResults, WriterOptions,
};
pub use query::Target;
pub use schema::Dim;
