//! The column-mapping step: which field each column of a roster holds. Recognised header
//! names come first, then what the school chose for the same header before (its saved
//! template), then what the user picked for this file.

use super::read::{ReadSeek, resolve_header};
use crate::error::{AppError, AppResult};
use std::collections::HashMap;
use std::ops::ControlFlow;
use xiaoyou_sheet::fields::header_key;
use xiaoyou_sheet::header::HEADER_SEARCH_ROWS;
use xiaoyou_sheet::{Field, HeaderMap, RawRow, RowKind, SheetInfo, classify_row, stream_rows};

/// Choices over what header recognition found: by header name (a school's saved template) and
/// by column (this file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnChoices {
    pub by_header: HashMap<String, Option<Field>>,
    pub by_column: HashMap<usize, Option<Field>>,
}

impl ColumnChoices {
    /// A school's saved template, as stored: header key → field code, empty for "ignore".
    pub fn from_saved(saved: HashMap<String, String>) -> ColumnChoices {
        let by_header = saved
            .into_iter()
            .map(|(key, code)| (key, Field::from_code(&code)))
            .collect();
        ColumnChoices {
            by_header,
            by_column: HashMap::new(),
        }
    }

    pub fn choose(&self, column: usize, header: &str) -> Option<Option<Field>> {
        self.by_column
            .get(&column)
            .copied()
            .or_else(|| self.by_header.get(&header_key(header)).copied())
    }

    /// The choices for this file as saved with its job: column → field code ("" to ignore).
    pub fn columns_to_json(&self) -> String {
        let map: std::collections::BTreeMap<String, &str> = self
            .by_column
            .iter()
            .map(|(column, field)| (column.to_string(), field.map_or("", Field::code)))
            .collect();
        serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn with_columns_json(mut self, json: &str) -> AppResult<ColumnChoices> {
        let map: HashMap<String, String> =
            serde_json::from_str(json).map_err(|e| AppError::Invalid {
                field: "列对应",
                reason: format!("无法读取已保存的列对应：{e}"),
            })?;
        for (column, code) in map {
            let column: usize = column.parse().map_err(|_| AppError::Invalid {
                field: "列对应",
                reason: format!("列号“{column}”无效"),
            })?;
            self.by_column.insert(column, Field::from_code(&code));
        }
        Ok(self)
    }
}

/// The first rows of a file with the mapping the import would use.
#[derive(Debug, Clone)]
pub struct Preview {
    pub info: SheetInfo,
    pub header: HeaderMap,
    /// The header's line in the file.
    pub header_line: usize,
    /// The first data rows, as they are.
    pub sample: Vec<RawRow>,
}

/// Data rows shown on the mapping page.
pub const SAMPLE_ROWS: usize = 5;

/// Reads just enough of a file to show its columns and first rows.
pub fn preview(source: Box<dyn ReadSeek>, choices: &ColumnChoices) -> AppResult<Preview> {
    let mut head: Vec<RawRow> = Vec::new();
    let info = stream_rows(source, &mut |row, _| {
        head.push(row);
        if head.len() > HEADER_SEARCH_ROWS + SAMPLE_ROWS {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .map_err(|e| AppError::Invalid {
        field: "文件",
        reason: e.to_string(),
    })?;
    let searched = head.len().min(HEADER_SEARCH_ROWS + 1);
    let header = resolve_header(&head[..searched], choices)?;
    let header_line = head.get(header.header_row).map_or(0, |r| r.line);
    let sample = head
        .into_iter()
        .skip(header.header_row + 1)
        .filter(|r| classify_row(&r.cells, &header) == RowKind::Data)
        .take(SAMPLE_ROWS)
        .collect();
    Ok(Preview {
        info,
        header,
        header_line,
        sample,
    })
}

/// Checks a person's choice of fields per column: each field at most once, a name column.
pub fn check_columns(header_count: usize, columns: &[(usize, Option<Field>)]) -> AppResult<()> {
    let mut seen: HashMap<Field, usize> = HashMap::new();
    for (column, field) in columns {
        if *column >= header_count {
            return Err(AppError::Invalid {
                field: "列对应",
                reason: format!("第 {} 列不存在", column + 1),
            });
        }
        if let Some(field) = field
            && let Some(first) = seen.insert(*field, *column)
        {
            return Err(AppError::Invalid {
                field: "列对应",
                reason: format!(
                    "“{}”同时对应了第 {} 列和第 {} 列，每个字段只能对应一列",
                    field.label(),
                    first + 1,
                    column + 1
                ),
            });
        }
    }
    if !seen.contains_key(&Field::Name) {
        return Err(AppError::Invalid {
            field: "列对应",
            reason: "必须有一列对应“姓名”".into(),
        });
    }
    Ok(())
}
