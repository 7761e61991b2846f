//! The index on disk (or in memory for tests): opening it, rebuilding it from the database,
//! applying changes, searching it.

use crate::analysis::{self, Folder, highlight};
use crate::collect::{self, Plan};
use crate::docs;
use crate::error::{SearchError, SearchResult};
use crate::facets::FacetCounts;
use crate::query::{self, Target};
use crate::schema::{self, Dim, Fields, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tantivy::schema::Value;
use tantivy::tokenizer::TokenStream;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use xiaoyou_core::Scope;
use xiaoyou_store::Db;
use xiaoyou_store::search::{self as feed, EnterpriseDoc, RecordDoc};

/// The file beside the index that records how far it has followed the change feed.
const CURSOR_FILE: &str = "cursor.json";
/// Documents read from the database per page during a rebuild.
const REBUILD_PAGE: i64 = 5_000;

/// How far the index has followed the feed: every entry up to `seq` is applied, except those
/// in `gaps` (numbers skipped so far, whose transactions may still commit).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cursor {
    pub schema: u32,
    pub seq: i64,
    pub gaps: Vec<Gap>,
}

/// Sequence numbers `low..=high` not seen yet, first missed at `since` (Unix seconds).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Gap {
    pub low: i64,
    pub high: i64,
    pub since: i64,
}

/// How the writer is sized: small for following the feed, large for a bulk build.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    pub threads: usize,
    pub heap_bytes: usize,
    /// A build from scratch: no segment merges while documents are added (they would compete
    /// with indexing for the same cores). The large segments a bulk writer leaves are merged
    /// later, if at all, by the writer that follows the feed.
    pub bulk: bool,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            threads: 1,
            heap_bytes: 64 * 1024 * 1024,
            bulk: false,
        }
    }
}

impl WriterOptions {
    /// For a build from scratch on a machine of its own (`search reindex`, benchmarks).
    pub fn bulk(heap_bytes: usize) -> WriterOptions {
        WriterOptions {
            threads: std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8)),
            heap_bytes,
            bulk: true,
        }
    }
}

/// Why a freshly opened index must be rebuilt before it can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A usable index with its cursor.
    Ready,
    /// There was no index (first start, or its directory was removed).
    Missing,
    /// The index could not be opened or was written by another version; it was cleared.
    Unreadable(String),
}

pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    dir: Option<PathBuf>,
    cursor: Mutex<Cursor>,
    /// Serialises rebuilds and feed application (each reads the database, then writes).
    pub(crate) apply_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// One hit: a study record or an enterprise, as stored (phones already masked).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hit {
    pub kind: &'static str,
    pub person: Option<i64>,
    pub record: Option<i64>,
    pub enterprise: Option<i64>,
    pub name: String,
    pub school: String,
    pub college: String,
    pub major: String,
    pub class_name: String,
    pub years: String,
    pub employer: String,
    pub title: String,
    pub city: String,
    pub industry: String,
    pub talent: String,
    pub mobile: Option<String>,
    pub credit_code: String,
    pub tags: String,
    pub alumni: Option<u64>,
    /// The name with the query's matches marked, HTML-escaped.
    pub name_html: String,
    /// School · college · major · class, marked and escaped.
    pub study_html: String,
    /// Employer · title · city, marked and escaped.
    pub work_html: String,
    pub score: f32,
}

/// What a search asks for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub target: Target,
    pub text: String,
    pub filters: Vec<(Dim, String)>,
    /// From 0.
    pub offset: usize,
    pub limit: usize,
    /// Whether to count facets (suggestions and exports do not need them).
    pub facets: bool,
    /// Count and rank every hit, however many (exports). Otherwise a search with more than
    /// [`EXACT_LIMIT`](crate::collect::EXACT_LIMIT) hits estimates its total and facet counts
    /// from a sample.
    pub exact: bool,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub total: usize,
    /// Whether `total` and the facet counts are estimated from a sample (shown as
    /// approximate); always within the actor's scope either way.
    pub total_is_estimate: bool,
    pub hits: Vec<Hit>,
    pub facets: FacetCounts,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing and clearing it when it cannot be
    /// read; the answer says whether it must be rebuilt.
    pub fn open(dir: &Path, options: WriterOptions) -> SearchResult<(SearchIndex, Opened)> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let has_meta = dir.join("meta.json").exists();
        let cursor = read_cursor(dir);
        let attempt = if has_meta {
            match (&cursor, Index::open_in_dir(dir)) {
                (Some(c), Ok(index)) if c.schema == SCHEMA_VERSION => {
                    match Self::from_index(index, options, Some(dir), c.clone()) {
                        Ok(opened) => return Ok((opened, Opened::Ready)),
                        // Another writer (a running server, a reindex) holds the index: it is
                        // in use, not damaged, and must be left alone.
                        Err(SearchError::Index(tantivy::TantivyError::LockFailure(..))) => {
                            return Err(SearchError::Busy {
                                path: dir.display().to_string(),
                            });
                        }
                        Err(error) => Opened::Unreadable(error.to_string()),
                    }
                }
                (Some(_), Ok(_)) => Opened::Unreadable("索引由其他版本写入".to_owned()),
                (None, Ok(_)) => Opened::Unreadable("缺少索引进度文件".to_owned()),
                (_, Err(error)) => Opened::Unreadable(error.to_string()),
            }
        } else {
            Opened::Missing
        };
        clear_dir(dir)?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        let cursor = Cursor {
            schema: SCHEMA_VERSION,
            ..Cursor::default()
        };
        let opened = Self::from_index(index, options, Some(dir), cursor)?;
        Ok((opened, attempt))
    }

    /// An index in memory (tests, benchmarks without a directory).
    pub fn in_memory(options: WriterOptions) -> SearchResult<SearchIndex> {
        let (schema, _) = schema::build();
        let index = Index::create_in_ram(schema);
        Self::from_index(
            index,
            options,
            None,
            Cursor {
                schema: SCHEMA_VERSION,
                ..Cursor::default()
            },
        )
    }

    fn from_index(
        index: Index,
        options: WriterOptions,
        dir: Option<&Path>,
        cursor: Cursor,
    ) -> SearchResult<SearchIndex> {
        analysis::register(&index);
        let fields = fields_of(&index)?;
        let writer: IndexWriter =
            index.writer_with_num_threads(options.threads, options.heap_bytes)?;
        if options.bulk {
            writer.set_merge_policy(Box::new(tantivy::merge_policy::NoMergePolicy));
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // Touch every segment once so that a damaged file shows up now, not at search time.
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            segment.fast_fields().u64("person")?;
        }
        Ok(SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            dir: dir.map(Path::to_path_buf),
            cursor: Mutex::new(cursor),
            apply_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn cursor(&self) -> Cursor {
        self.cursor
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Records how far the index has followed the feed (kept beside the index).
    pub fn set_cursor(&self, cursor: Cursor) -> SearchResult<()> {
        if let Some(dir) = &self.dir {
            write_cursor(dir, &cursor)?;
        }
        match self.cursor.lock() {
            Ok(mut c) => *c = cursor,
            Err(poisoned) => *poisoned.into_inner() = cursor,
        }
        Ok(())
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> tantivy::Result<T>,
    ) -> SearchResult<T> {
        let mut writer = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        Ok(f(&mut writer)?)
    }

    /// Adds study-record documents (not yet visible: call [`commit`](Self::commit)).
    pub fn add_records<'a>(
        &self,
        folder: &mut Folder,
        docs: impl IntoIterator<Item = &'a RecordDoc>,
    ) -> SearchResult<usize> {
        self.with_writer(|writer| {
            let mut n = 0;
            for doc in docs {
                writer.add_document(docs::record(&self.fields, folder, doc))?;
                n += 1;
            }
            Ok(n)
        })
    }

    pub fn add_enterprises<'a>(
        &self,
        docs: impl IntoIterator<Item = &'a EnterpriseDoc>,
    ) -> SearchResult<usize> {
        self.with_writer(|writer| {
            let mut n = 0;
            for doc in docs {
                writer.add_document(docs::enterprise(&self.fields, doc))?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// Removes every document of these persons and enterprises.
    pub fn delete(&self, persons: &[i64], enterprises: &[i64]) -> SearchResult<()> {
        self.with_writer(|writer| {
            for p in persons {
                writer.delete_term(Term::from_field_u64(self.fields.person, (*p).max(0) as u64));
            }
            for e in enterprises {
                writer.delete_term(Term::from_field_u64(
                    self.fields.enterprise,
                    (*e).max(0) as u64,
                ));
            }
            Ok(())
        })
    }

    pub fn delete_all(&self) -> SearchResult<()> {
        self.with_writer(|writer| writer.delete_all_documents().map(|_| ()))
    }

    /// Makes everything added or deleted so far visible to searches.
    pub fn commit(&self) -> SearchResult<()> {
        self.with_writer(|writer| writer.commit().map(|_| ()))?;
        self.reader.reload()?;
        Ok(())
    }

    /// Waits for background merges (after a bulk build, so the size on disk is final).
    pub fn wait_merges(self) -> SearchResult<()> {
        let writer = self
            .writer
            .into_inner()
            .map_err(|_| SearchError::Poisoned)?;
        writer.wait_merging_threads()?;
        Ok(())
    }

    /// Where indexing work goes: for each indexed field, the terms these documents give it
    /// (tokens for analysed text, one per value otherwise), in schema order.
    pub fn token_profile<'a>(
        &self,
        folder: &mut Folder,
        docs: impl IntoIterator<Item = &'a RecordDoc>,
    ) -> SearchResult<Vec<(String, u64)>> {
        let searcher = self.reader.searcher();
        let index = searcher.index();
        let schema = index.schema();
        let mut fields = Vec::new();
        for (field, entry) in schema.fields() {
            if !entry.is_indexed() {
                continue;
            }
            let analyzer = match entry.field_type() {
                tantivy::schema::FieldType::Str(_) => Some(index.tokenizer_for_field(field)?),
                _ => None,
            };
            fields.push((field, entry.name().to_owned(), analyzer, 0u64));
        }
        for doc in docs {
            let document = docs::record(&self.fields, folder, doc);
            for (field, value) in document.field_values() {
                let Some((_, _, analyzer, count)) = fields.iter_mut().find(|(f, ..)| *f == field)
                else {
                    continue;
                };
                match (analyzer, value.as_str()) {
                    (Some(analyzer), Some(text)) => {
                        let mut stream = analyzer.token_stream(text);
                        while stream.advance() {
                            *count += 1;
                        }
                    }
                    _ => *count += 1,
                }
            }
        }
        Ok(fields
            .into_iter()
            .map(|(_, name, _, count)| (name, count))
            .collect())
    }

    /// Documents in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Rebuilds the whole index from the database. `progress(done, total)` is called after each
    /// page. The cursor ends at the feed's newest entry as it was when the rebuild started; the
    /// last numbers before it are kept as gaps for a while, for transactions still in flight.
    pub async fn rebuild(
        &self,
        db: &Db,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> SearchResult<u64> {
        let _guard = self.apply_lock.lock().await;
        self.rebuild_locked(db, progress).await
    }

    async fn rebuild_locked(
        &self,
        db: &Db,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> SearchResult<u64> {
        let start = feed::change_bounds(db).await?.map_or(0, |(_, high)| high);
        let total = u64::try_from(feed::count_record_docs(db).await?).unwrap_or(0);
        self.delete_all()?;
        let mut folder = Folder::default();
        let mut done = 0u64;
        progress(0, total);
        // The next page is read from the database while this one is analysed and indexed.
        let mut reading = Some(read_record_page(db, 0));
        while let Some(read) = reading.take() {
            let page = read.await.map_err(|e| SearchError::Task(e.to_string()))??;
            let Some(last) = page.last() else { break };
            reading = Some(read_record_page(db, last.record));
            done += self.add_records(&mut folder, &page)? as u64;
            progress(done.min(total), total);
        }
        let mut after = 0;
        loop {
            let page = feed::enterprise_docs_after(db, after, REBUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            self.add_enterprises(&page)?;
        }
        self.commit()?;
        let trailing = (start - crate::follow::TRAILING_WINDOW + 1).max(1);
        self.set_cursor(Cursor {
            schema: SCHEMA_VERSION,
            seq: start,
            gaps: if start >= trailing {
                vec![Gap {
                    low: trailing,
                    high: start,
                    since: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
                }]
            } else {
                Vec::new()
            },
        })?;
        progress(total, total);
        Ok(done)
    }

    /// Re-reads the given persons and enterprises from the database and replaces their
    /// documents (a person merged away or deleted simply loses them).
    pub async fn refresh(&self, db: &Db, persons: &[i64], enterprises: &[i64]) -> SearchResult<()> {
        let records = feed::record_docs_of_persons(db, persons).await?;
        let firms = feed::enterprise_docs(db, enterprises).await?;
        self.delete(persons, enterprises)?;
        let mut folder = Folder::default();
        self.add_records(&mut folder, &records)?;
        self.add_enterprises(&firms)?;
        Ok(())
    }

    /// Runs a search within a scope.
    pub fn search(&self, request: &SearchRequest, scope: &Scope) -> SearchResult<SearchResults> {
        let searcher = self.reader.searcher();
        let built = query::build(
            &self.fields,
            request.target,
            &request.text,
            &request.filters,
            scope,
            &|query| matches_any(&searcher, query),
        );
        let collected = collect::collect(
            &searcher,
            &Plan {
                query: &*built.query,
                exact_names: built.exact_names.as_deref(),
                offset: request.offset,
                limit: request.limit.clamp(1, 10_000),
                facets: request.facets,
                exact: request.exact,
            },
        )?;
        let facets = if request.facets && collected.total == 0 {
            FacetCounts::empty()
        } else {
            collected.facets
        };
        let terms = highlight_terms(&request.text);
        let mut hits = Vec::with_capacity(collected.page.len());
        for (score, address) in collected.page {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, score, &terms));
        }
        Ok(SearchResults {
            total: collected.total,
            total_is_estimate: collected.total_is_estimate,
            hits,
            facets,
        })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, terms: &[String]) -> Hit {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let number = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_u64())
                .and_then(|n| i64::try_from(n).ok())
        };
        let enterprise = number(f.enterprise);
        let name = text(f.name);
        let latin: Vec<&String> = terms
            .iter()
            .filter(|t| analysis::is_latin_word(t))
            .collect();
        let name_html = if !latin.is_empty() && pinyin_matches(&name, &latin) {
            format!("<mark>{}</mark>", analysis::escape(&name))
        } else {
            highlight(&name, terms)
        };
        let join = |parts: &[String]| {
            let parts: Vec<String> = parts
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| highlight(p, terms))
                .collect();
            parts.join(" · ")
        };
        let mut hit = Hit {
            kind: if enterprise.is_some() {
                schema::KIND_ENTERPRISE
            } else {
                schema::KIND_RECORD
            },
            person: if enterprise.is_some() {
                None
            } else {
                number(f.person)
            },
            record: number(f.record),
            enterprise,
            name,
            school: text(f.school_name),
            college: text(f.college_name),
            major: text(f.major_name),
            class_name: text(f.class_name),
            years: text(f.years),
            employer: text(f.employer),
            title: text(f.title),
            city: text(f.city),
            industry: text(f.industry),
            talent: text(f.talent),
            mobile: doc
                .get_first(f.mobile)
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            credit_code: text(f.credit_code),
            tags: text(f.tags),
            alumni: doc.get_first(f.alumni).and_then(|v| v.as_u64()),
            name_html,
            study_html: String::new(),
            work_html: String::new(),
            score,
        };
        hit.study_html = join(&[
            hit.school.clone(),
            hit.college.clone(),
            hit.major.clone(),
            hit.class_name.clone(),
        ]);
        hit.work_html = if hit.kind == schema::KIND_ENTERPRISE {
            join(&[
                hit.credit_code.clone(),
                hit.industry.clone(),
                hit.city.clone(),
                hit.tags.clone(),
            ])
        } else {
            join(&[hit.employer.clone(), hit.title.clone(), hit.city.clone()])
        };
        hit
    }
}

/// The folded words of a query, for marking matches.
fn highlight_terms(text: &str) -> Vec<String> {
    query::words(text)
}

fn pinyin_matches(name: &str, latin: &[&String]) -> bool {
    let tokens = analysis::name_pinyin_tokens(name);
    latin.iter().all(|word| {
        let word: &str = String::as_str(word);
        tokens
            .split_whitespace()
            .any(|t| t == word || (word.len() >= 4 && t.starts_with(word)))
    })
}

fn fields_of(index: &Index) -> SearchResult<Fields> {
    let (expected, fields) = schema::build();
    if index.schema() != expected {
        return Err(SearchError::SchemaMismatch);
    }
    Ok(fields)
}

fn read_cursor(dir: &Path) -> Option<Cursor> {
    let text = std::fs::read_to_string(dir.join(CURSOR_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_cursor(dir: &Path, cursor: &Cursor) -> SearchResult<()> {
    let fail = |source| SearchError::Dir {
        path: dir.display().to_string(),
        source,
    };
    let text = serde_json::to_string(cursor).map_err(|e| SearchError::Dir {
        path: dir.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    let temporary = dir.join(format!("{CURSOR_FILE}.tmp"));
    std::fs::write(&temporary, text).map_err(fail)?;
    std::fs::rename(&temporary, dir.join(CURSOR_FILE)).map_err(fail)?;
    Ok(())
}

/// Empties the index directory (only files the index or its cursor could have written).
fn clear_dir(dir: &Path) -> SearchResult<()> {
    let fail = |source| SearchError::Dir {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(fail)? {
        let path = entry.map_err(fail)?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(fail)?;
        } else {
            std::fs::remove_file(&path).map_err(fail)?;
        }
    }
    Ok(())
}

/// Whether any document matches: one scorer per segment is placed on its first match, and no
/// document is collected.
fn matches_any(searcher: &tantivy::Searcher, query: &dyn tantivy::query::Query) -> bool {
    use tantivy::DocSet;
    let scoring = tantivy::query::EnableScoring::disabled_from_searcher(searcher);
    let Ok(weight) = query.weight(scoring) else {
        return true;
    };
    searcher.segment_readers().iter().any(|reader| {
        weight
            .scorer(reader, 1.0)
            .map_or(true, |scorer| scorer.doc() != tantivy::TERMINATED)
    })
}

/// Reads the page of study-record documents after `after` on a task of its own.
fn read_record_page(
    db: &Db,
    after: i64,
) -> tokio::task::JoinHandle<xiaoyou_store::StoreResult<Vec<RecordDoc>>> {
    let db = db.clone();
    tokio::spawn(async move { feed::record_docs_after(&db, after, REBUILD_PAGE).await })
}
