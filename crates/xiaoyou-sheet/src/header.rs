//! Finding the header below title rows, combining two-row (merged) headers, and telling data
//! rows from blank, note and total rows.

use crate::error::SheetError;
use crate::fields::{Field, header_key, header_key_chars};

/// How many leading rows are searched for the header.
pub const HEADER_SEARCH_ROWS: usize = 30;

/// Which column holds which field, and where the data starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// 0-based index of the (last) header row.
    pub header_row: usize,
    /// The header text of every column, as combined from merged header rows.
    pub headers: Vec<String>,
    /// The recognised field of each column (`None`: unrecognised, kept for the error report).
    pub columns: Vec<Option<Field>>,
}

impl HeaderMap {
    /// Applies a person's choices: `choose(column, header)` answers `Some(Some(field))` to map the
    /// column to a field, `Some(None)` to ignore it, `None` to keep what was recognised. A field
    /// chosen for one column is taken from any other column that had it.
    pub fn with_choices(
        mut self,
        mut choose: impl FnMut(usize, &str) -> Option<Option<Field>>,
    ) -> HeaderMap {
        let choices: Vec<Option<Option<Field>>> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| choose(i, h))
            .collect();
        for (column, choice) in choices.into_iter().enumerate() {
            let Some(choice) = choice else { continue };
            if let Some(field) = choice {
                for other in self.columns.iter_mut() {
                    if *other == Some(field) {
                        *other = None;
                    }
                }
            }
            if let Some(slot) = self.columns.get_mut(column) {
                *slot = choice;
            }
        }
        self
    }

    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|c| *c == Some(field))
    }

    /// Headers no field was recognised for: the user maps them by hand.
    pub fn unmapped(&self) -> Vec<(usize, &str)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(i, c)| c.is_none() && !self.headers[*i].is_empty())
            .map(|(i, _)| (i, self.headers[i].as_str()))
            .collect()
    }
}

fn recognised(row: &[String]) -> usize {
    row.iter()
        .filter(|cell| Field::from_header(cell).is_some())
        .count()
}

/// Finds the header among the first rows: the row with the most recognised column names (at
/// least two), so that title rows such as `湖南城市学院2015届毕业生通讯录` above it are
/// skipped. When the row below also names fields (a two-row header whose upper cells are
/// merged, e.g. `联系方式` over `手机 | 邮箱`), both rows are combined.
pub fn find_header(rows: &[Vec<String>]) -> Result<HeaderMap, SheetError> {
    let searched = rows.len().min(HEADER_SEARCH_ROWS);
    let best = (0..searched)
        .map(|i| (recognised(&rows[i]), i))
        .filter(|(count, _)| *count >= 2)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let Some((_, top)) = best else {
        return Err(SheetError::NoHeader { searched });
    };
    let width = rows
        .iter()
        .take(searched + 1)
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let cell = |row: usize, col: usize| {
        rows.get(row)
            .and_then(|r| r.get(col))
            .map_or("", |c| c.trim())
    };

    // A second header row: the next row names at least one field where the top row is blank
    // or carries a group title that is itself no field.
    let below = top + 1;
    let two_rows = below < rows.len()
        && (0..width).any(|col| {
            Field::from_header(cell(below, col)).is_some()
                && (cell(top, col).is_empty() || Field::from_header(cell(top, col)).is_none())
        })
        && (0..width).all(|col| {
            let text = cell(below, col);
            text.is_empty() || Field::from_header(text).is_some() || looks_like_label(text)
        });

    let mut headers = Vec::with_capacity(width);
    let mut columns = Vec::with_capacity(width);
    let mut group = String::new();
    for col in 0..width {
        let upper = cell(top, col);
        if !upper.is_empty() {
            group = upper.to_owned();
        }
        let (text, field) = if two_rows {
            let lower = cell(below, col);
            match (lower.is_empty(), Field::from_header(lower)) {
                (false, Some(field)) => (lower.to_owned(), Some(field)),
                (false, None) => (
                    format!("{group}{lower}"),
                    Field::from_header(&format!("{group}{lower}")),
                ),
                (true, _) => (upper.to_owned(), Field::from_header(upper)),
            }
        } else {
            (upper.to_owned(), Field::from_header(upper))
        };
        headers.push(text);
        columns.push(field);
    }
    // A field named twice keeps its first column; later ones are left for the user to map.
    for i in 0..columns.len() {
        if let Some(field) = columns[i]
            && columns[..i].contains(&Some(field))
        {
            columns[i] = None;
        }
    }
    Ok(HeaderMap {
        header_row: if two_rows { below } else { top },
        headers,
        columns,
    })
}

/// Short text without digits reads as a column label rather than data.
fn looks_like_label(text: &str) -> bool {
    text.chars().count() <= 8 && !text.chars().any(|c| c.is_ascii_digit())
}

/// What a row below the header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Data,
    Blank,
    /// `合计`, `总计`, `共计 35 人`
    Total,
    /// `备注：…`, `注：…`, `填表说明…`, or the header repeated (printed pages)
    Note,
}

/// Words that open a total row.
const TOTALS: [&str; 4] = ["合计", "总计", "小计", "共计"];
/// Words that open a note row (when followed by a colon, alone in the row, or a form's
/// 填表… / 制表… line).
const NOTES: [&str; 7] = [
    "备注",
    "注",
    "说明",
    "填表说明",
    "填表人",
    "制表人",
    "审核人",
];

pub fn classify_row(cells: &[String], header: &HeaderMap) -> RowKind {
    let mut filled = cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty());
    let Some(first) = filled.next() else {
        return RowKind::Blank;
    };
    let alone = filled.next().is_none();
    // Only a row whose first text could open a total or a note needs its key.
    let lead = header_key_chars(first).next();
    let may_be_marked = lead.is_some_and(|lead| {
        TOTALS
            .iter()
            .chain(NOTES.iter())
            .any(|word| word.starts_with(lead))
    });
    if may_be_marked {
        let key = header_key(first);
        if TOTALS.iter().any(|t| key.starts_with(t)) {
            return RowKind::Total;
        }
        let labelled = first.contains(':') || first.contains('：');
        if NOTES.iter().any(|t| {
            key.starts_with(t)
                && (labelled || alone || key.starts_with("填表") || key.starts_with("制表"))
        }) {
            return RowKind::Note;
        }
    }
    let repeated = cells
        .iter()
        .zip(&header.headers)
        .filter(|(cell, head)| !cell.trim().is_empty() && cell.trim() == head.as_str())
        .count();
    if repeated >= 2 {
        return RowKind::Note;
    }
    RowKind::Data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_override_what_was_recognised() {
        let header = find_header(&rows(&[&["姓名", "电话", "备用号码", "单位"]])).unwrap();
        assert_eq!(header.column_of(Field::Mobile), Some(1));
        let chosen = header.with_choices(|column, text| match (column, text) {
            (2, "备用号码") => Some(Some(Field::Mobile)),
            (3, _) => Some(None),
            _ => None,
        });
        assert_eq!(
            chosen.column_of(Field::Mobile),
            Some(2),
            "moved, not doubled"
        );
        assert_eq!(chosen.columns[1], None);
        assert_eq!(chosen.columns[3], None, "ignored");
        assert_eq!(chosen.column_of(Field::Name), Some(0), "kept");
    }

    fn rows(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn skips_title_rows() -> Result<(), SheetError> {
        let sheet = rows(&[
            &["湖南城市学院2015届毕业生通讯录", "", "", ""],
            &["", "", "", "制表日期：2015年6月"],
            &["序号", "姓 名", "手机号码", "工作单位"],
            &["1", "王伟", "13800001111", "中联重科"],
        ]);
        let header = find_header(&sheet)?;
        assert_eq!(header.header_row, 2);
        assert_eq!(
            header.columns,
            vec![
                Some(Field::SerialNo),
                Some(Field::Name),
                Some(Field::Mobile),
                Some(Field::Employer)
            ]
        );
        Ok(())
    }

    #[test]
    fn combines_two_row_merged_headers() -> Result<(), SheetError> {
        let sheet = rows(&[
            &["姓名", "性别", "联系方式", "", "毕业时间"],
            &["", "", "手机", "邮箱", ""],
            &["李娜", "女", "13900002222", "lina@qq.com", "2012.7"],
        ]);
        let header = find_header(&sheet)?;
        assert_eq!(header.header_row, 1);
        assert_eq!(
            header.columns,
            vec![
                Some(Field::Name),
                Some(Field::Gender),
                Some(Field::Mobile),
                Some(Field::Email),
                Some(Field::GraduationYear)
            ]
        );
        assert!(header.unmapped().is_empty());
        Ok(())
    }

    #[test]
    fn no_header_is_an_error_and_duplicates_are_left_to_the_user() {
        let sheet = rows(&[&["a", "b"], &["1", "2"]]);
        assert!(matches!(
            find_header(&sheet),
            Err(SheetError::NoHeader { .. })
        ));
        let sheet = rows(&[&["姓名", "电话", "手机", "爱好"]]);
        let header = find_header(&sheet).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            header.columns,
            vec![Some(Field::Name), Some(Field::Mobile), None, None]
        );
        assert_eq!(header.unmapped(), vec![(2, "手机"), (3, "爱好")]);
    }

    #[test]
    fn tells_data_from_totals_and_notes() {
        let header = HeaderMap {
            header_row: 0,
            headers: vec!["姓名".into(), "手机".into()],
            columns: vec![Some(Field::Name), Some(Field::Mobile)],
        };
        let row = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(classify_row(&row(&["王伟", "138"]), &header), RowKind::Data);
        assert_eq!(classify_row(&row(&["", " "]), &header), RowKind::Blank);
        assert_eq!(
            classify_row(&row(&["合计", "35人"]), &header),
            RowKind::Total
        );
        assert_eq!(
            classify_row(&row(&["备注：手机号以最新为准", ""]), &header),
            RowKind::Note
        );
        assert_eq!(
            classify_row(&row(&["姓名", "手机"]), &header),
            RowKind::Note
        );
        assert_eq!(
            classify_row(&row(&["注明", "13800001111"]), &header),
            RowKind::Data,
            "a name is not a note"
        );
        assert_eq!(
            classify_row(&row(&["备注：此行以下为补录", "13800001111"]), &header),
            RowKind::Note,
            "a labelled note beside other cells"
        );
        assert_eq!(
            classify_row(&row(&[" （合计） ", "35"]), &header),
            RowKind::Total
        );
        assert_eq!(
            classify_row(&row(&["小明", "13800001111"]), &header),
            RowKind::Data
        );
        assert_eq!(
            classify_row(&row(&["", "说明：以学籍为准"]), &header),
            RowKind::Note
        );
    }
}
