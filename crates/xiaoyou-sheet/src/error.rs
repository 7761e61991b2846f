//! What can be wrong with a file as a whole. Row-level problems are reported per row by the
//! import, not here. Messages are shown to users.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SheetError {
    #[error("文件为空")]
    Empty,
    #[error("文件不是可识别的表格（支持 xlsx、xls、csv、tsv）")]
    NotASpreadsheet,
    #[error("表格文件已损坏或不完整：{0}")]
    Corrupt(String),
    #[error("文本编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV")]
    Encoding,
    #[error("文件中没有包含数据的工作表")]
    NoData,
    #[error("找不到表头：前 {searched} 行中没有可识别的列名（如 姓名、手机、毕业年份）")]
    NoHeader { searched: usize },
    #[error("第 {line} 行无法读取：{reason}")]
    Line { line: usize, reason: String },
}
