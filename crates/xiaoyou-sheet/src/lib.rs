//! Reading spreadsheets as schools really have them.
//!
//! - [`decode`]: bytes → text for CSV/TSV: BOMs, UTF-16, GBK/GB18030 (and Big5) detected;
//! - [`read`]: xlsx, xls and delimited text into rows of cleaned cell text, with the
//!   worksheet chosen (first visible one with data) and cells of every type rendered as text;
//! - [`header`]: the header row found below title rows, two-row and merged headers combined,
//!   Chinese header synonyms mapped to [`Field`]s, blank, note and total rows recognised;
//! - [`values`]: the date, year and phone forms rosters use.

pub mod decode;
pub mod error;
pub mod fields;
pub mod header;
pub mod read;
pub mod values;

pub use error::SheetError;
pub use fields::Field;
pub use header::{HeaderMap, RowKind, classify_row, find_header};
pub use read::{
    Container, Format, Position, RawRow, SheetInfo, Table, Visit, container_of, read_table,
    stream_rows,
};
