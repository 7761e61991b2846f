//! The reading half of an import, on a thread of its own: rows streamed from the file, the
//! header found and the school's column choices applied, every row checked, and the good ones
//! prepared for storing (fingerprint, sealed ID number, organisation keys) so that the writing
//! half only talks to the database. Rows travel in chunks over a bounded channel, so memory
//! holds a few chunks, never the file.

use super::mapping::ColumnChoices;
use super::orgs::{OrgKeys, RowOrgs};
use super::validate::{self, ValidRow};
use super::{ImportProgress, RowError};
use crate::error::{AppError, AppResult};
use sha2::{Digest, Sha256};
use std::io::{Read, Seek};
use std::ops::ControlFlow;
use tokio::sync::mpsc;
use xiaoyou_core::{PersonalDataKey, SchoolKind};
use xiaoyou_sheet::header::HEADER_SEARCH_ROWS;
use xiaoyou_sheet::{
    Field, HeaderMap, Position, RawRow, RowKind, SheetInfo, classify_row, find_header, stream_rows,
};
use xiaoyou_store::bulk::RowFingerprint;
use xiaoyou_store::people::StoredIdCard;

/// Rows per chunk handed to the writer.
pub const CHUNK_ROWS: usize = 4_000;

/// What a file read and checked produces for storing.
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// A good row, ready to store.
#[derive(Debug)]
pub struct PreparedRow {
    pub row: ValidRow,
    pub fingerprint: RowFingerprint,
    /// The matching key of the row's name.
    pub name_key: String,
    /// Where the row came from: file, line and serial number as written.
    pub source_ref: String,
    pub id_card: Option<StoredIdCard>,
    /// The row's college, major and class, numbered by their keys.
    pub orgs: RowOrgs,
}

#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<PreparedRow>,
    pub errors: Vec<RowError>,
    /// Data rows read so far in the file (good and refused).
    pub data_rows: u64,
    pub position: Position,
}

#[derive(Debug)]
pub enum Message {
    Header(HeaderMap),
    Chunk(Chunk),
}

/// What the reader needs to know.
pub struct ReadPlan {
    pub school_kind: SchoolKind,
    pub current_year: i32,
    pub choices: ColumnChoices,
    pub default_college: Option<String>,
    pub key: PersonalDataKey,
    /// The file's name as the user gave it, for each record's source reference.
    pub file_name: String,
}

/// The decimal digits of a year, without allocating.
struct YearText {
    digits: [u8; 12],
    len: usize,
}

impl YearText {
    fn of(year: i32) -> YearText {
        use std::io::Write;
        let mut digits = [0u8; 12];
        let mut rest = &mut digits[..];
        // Twelve bytes hold every i32.
        let _ = write!(rest, "{year}");
        let len = 12 - rest.len();
        YearText { digits, len }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..self.len]).unwrap_or_default()
    }
}

/// The fingerprint of a row's content: the same person at the same place and time, however
/// the file around it changed (line numbers and serial numbers do not count). The college,
/// major and class keys come already computed.
fn fingerprint(row: &ValidRow, name_key: &str, org_keys: [Option<&str>; 3]) -> RowFingerprint {
    let mut hasher = Sha256::new();
    // Each part as its length and its bytes, a missing one as empty.
    let mut part = |text: Option<&str>| {
        let text = text.unwrap_or_default();
        hasher.update((text.len() as u64).to_be_bytes());
        hasher.update(text.as_bytes());
    };
    let [college, major, class] = org_keys;
    let enrolment = row.enrolment_year.map(YearText::of);
    let graduation = row.graduation_year.map(YearText::of);
    part(Some(name_key));
    part(row.id_card.as_ref().map(|c| c.expose()));
    part(row.student_no.as_deref());
    part(college);
    part(major);
    part(class);
    part(Some(row.level.code()));
    part(enrolment.as_ref().map(YearText::as_str));
    part(graduation.as_ref().map(YearText::as_str));
    part(row.mobile.as_ref().map(|m| m.expose()));
    RowFingerprint::from_digest(&hasher.finalize().into())
}

/// Finds the header among the first rows and applies the school's choices.
pub fn resolve_header(head: &[RawRow], choices: &ColumnChoices) -> AppResult<HeaderMap> {
    let cells: Vec<Vec<String>> = head.iter().map(|r| r.cells.clone()).collect();
    let header = find_header(&cells)
        .map_err(|e| AppError::Invalid {
            field: "表头",
            reason: e.to_string(),
        })?
        .with_choices(|column, text| choices.choose(column, text));
    if header.column_of(Field::Name).is_none() {
        return Err(AppError::Invalid {
            field: "表头",
            reason: "缺少必需的“姓名”列".into(),
        });
    }
    Ok(header)
}

fn prepare(line: usize, row: ValidRow, plan: &ReadPlan, org_keys: &mut OrgKeys) -> PreparedRow {
    let key = &plan.key;
    let id_card = row.id_card.as_ref().map(|id| {
        let sealed = key.seal(id.expose());
        StoredIdCard {
            hash: sealed.hash,
            cipher: sealed.ciphertext,
            masked: id.masked(),
        }
    });
    let orgs = org_keys.number(
        row.college.as_deref(),
        row.major.as_deref(),
        row.class.as_deref(),
    );
    let name_key = xiaoyou_text::name_key(row.name.as_str());
    let source_ref = match &row.serial {
        Some(serial) => format!("{}#{line} 序号={serial}", plan.file_name),
        None => format!("{}#{line}", plan.file_name),
    };
    PreparedRow {
        fingerprint: fingerprint(
            &row,
            &name_key,
            [orgs.college, orgs.major, orgs.class].map(|id| org_keys.key(id)),
        ),
        name_key,
        source_ref,
        id_card,
        orgs,
        row,
    }
}

/// The state of the reading half while rows stream by.
struct Reader<'a> {
    plan: &'a ReadPlan,
    sender: &'a mpsc::Sender<Message>,
    head: Vec<RawRow>,
    header: Option<HeaderMap>,
    chunk: Chunk,
    data_rows: u64,
    failure: Option<AppError>,
    org_keys: OrgKeys,
}

impl Reader<'_> {
    fn send(&mut self, message: Message) -> ControlFlow<()> {
        // The writer went away (it failed); it reports why.
        if self.sender.blocking_send(message).is_err() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn begin(&mut self) -> ControlFlow<()> {
        match resolve_header(&self.head, &self.plan.choices) {
            Ok(header) => {
                let head = std::mem::take(&mut self.head);
                self.send(Message::Header(header.clone()))?;
                let first = header.header_row + 1;
                self.header = Some(header);
                for row in head.into_iter().skip(first) {
                    self.check(row)?;
                }
                ControlFlow::Continue(())
            }
            Err(e) => {
                self.failure = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn visit(&mut self, row: RawRow, position: Position) -> ControlFlow<()> {
        self.chunk.position = position;
        if self.header.is_none() {
            self.head.push(row);
            if self.head.len() > HEADER_SEARCH_ROWS {
                return self.begin();
            }
            return ControlFlow::Continue(());
        }
        self.check(row)
    }

    fn check(&mut self, mut row: RawRow) -> ControlFlow<()> {
        let Some(header) = &self.header else {
            return ControlFlow::Continue(());
        };
        if classify_row(&row.cells, header) != RowKind::Data {
            return ControlFlow::Continue(());
        }
        self.data_rows += 1;
        match validate::validate(
            header,
            &mut row.cells,
            self.plan.school_kind,
            self.plan.current_year,
        ) {
            Ok(mut valid) => {
                if valid.college.is_none() {
                    valid.college.clone_from(&self.plan.default_college);
                }
                self.chunk
                    .rows
                    .push(prepare(row.line, valid, self.plan, &mut self.org_keys));
            }
            Err(problems) => self.chunk.errors.push(RowError {
                line: row.line,
                cells: row.cells,
                problems,
            }),
        }
        if self.chunk.rows.len() + self.chunk.errors.len() >= CHUNK_ROWS {
            return self.flush();
        }
        ControlFlow::Continue(())
    }

    fn flush(&mut self) -> ControlFlow<()> {
        let position = self.chunk.position;
        let next = Chunk {
            rows: Vec::with_capacity(CHUNK_ROWS),
            position,
            ..Chunk::default()
        };
        let mut chunk = std::mem::replace(&mut self.chunk, next);
        chunk.data_rows = self.data_rows;
        self.org_keys.make_room();
        self.send(Message::Chunk(chunk))
    }
}

/// Reads the whole file, sending the header and then chunks of checked rows. Ends with an
/// error when the file as a whole cannot be imported.
pub fn read_and_check(
    source: Box<dyn ReadSeek>,
    plan: &ReadPlan,
    sender: &mpsc::Sender<Message>,
) -> AppResult<SheetInfo> {
    let mut reader = Reader {
        plan,
        sender,
        head: Vec::new(),
        header: None,
        chunk: Chunk {
            rows: Vec::with_capacity(CHUNK_ROWS),
            ..Chunk::default()
        },
        data_rows: 0,
        failure: None,
        org_keys: OrgKeys::default(),
    };
    let info =
        stream_rows(source, &mut |row, position| reader.visit(row, position)).map_err(|e| {
            AppError::Invalid {
                field: "文件",
                reason: e.to_string(),
            }
        })?;
    if reader.failure.is_none() && reader.header.is_none() {
        let _ = reader.begin();
    }
    if let Some(failure) = reader.failure {
        return Err(failure);
    }
    if reader.data_rows == 0 {
        return Err(AppError::Invalid {
            field: "文件",
            reason: "表头下没有数据行".into(),
        });
    }
    let _ = reader.flush();
    Ok(info)
}

/// Progress as the reader saw it, for the writer to pass on.
pub fn progress_of(chunk: &Chunk, stored: u64) -> ImportProgress {
    ImportProgress {
        rows_read: chunk.data_rows,
        rows_stored: stored,
        done: chunk.position.done,
        total: chunk.position.total,
    }
}
