//! PostgreSQL's half of bulk writing. Each table's rows of a batch go in through one
//! `COPY … FROM STDIN` in the text format: PostgreSQL parses plain lines instead of planning
//! and binding multi-row INSERTs of thousands of parameters. The statement-level feed triggers
//! fire for a COPY as for an INSERT, once, with every row in their transition table.
//!
//! A batch's lines are encoded in full before its COPY starts, so a COPY is only ever cut
//! short by the connection or by the database refusing a row; either fails the transaction.

use super::{
    Batch, BulkConsent, BulkContact, BulkEmployment, BulkPerson, BulkStudyRecord, CONSENTS,
    CONTACTS, EMPLOYMENTS, PERSONS, RowFingerprint, STUDY_RECORDS,
};
use crate::error::{StoreError, StoreResult};
use crate::people::contact_value_key;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::PgConnection;
use std::fmt::Write as _;
use xiaoyou_core::{ClassId, CollegeId, EnterpriseId, Gender, MajorId};

/// Writes a batch, consuming it, in dependency order.
pub(super) async fn write_batch(
    conn: &mut PgConnection,
    batch: Batch,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let now = now.to_rfc3339_opts(SecondsFormat::Micros, false);
    copy(
        conn,
        PERSONS,
        PERSONS_COPY,
        persons_lines(&batch.persons, &now),
    )
    .await?;
    let lines = study_record_lines(&batch.study_records, &now);
    copy(conn, STUDY_RECORDS, STUDY_RECORDS_COPY, lines).await?;
    copy(
        conn,
        CONTACTS,
        CONTACTS_COPY,
        contact_lines(&batch.contacts, &now),
    )
    .await?;
    copy(
        conn,
        CONSENTS,
        CONSENTS_COPY,
        consent_lines(&batch.consents, &now),
    )
    .await?;
    let lines = employment_lines(&batch.employments, &now);
    copy(conn, EMPLOYMENTS, EMPLOYMENTS_COPY, lines).await
}

const PERSONS_COPY: &str = "COPY persons (id, name, name_key, gender, birth_date, id_card_hash,
    id_card_cipher, id_card_masked, native_region_code, current_city, created_at, updated_at)
    FROM STDIN";
const STUDY_RECORDS_COPY: &str = "COPY study_records (person_id, school_id, college_id,
    major_id, class_id, level, enrolment_year, graduation_year, student_no, name_as_reported,
    source_id, source_ref, row_fingerprint, reported_at, created_at) FROM STDIN";
const CONTACTS_COPY: &str = "COPY contact_points (person_id, kind, value, value_key, source_id,
    observed_on, verified, created_at) FROM STDIN";
const CONSENTS_COPY: &str =
    "COPY consents (person_id, audience, granted, source, recorded_at) FROM STDIN";
const EMPLOYMENTS_COPY: &str = "COPY employments (person_id, enterprise_id, employer_name, title,
    city, start_year, end_year, is_current, source_id, created_at) FROM STDIN";

/// Streams encoded lines into `statement`, a `COPY … FROM STDIN`; `what` names the rows in
/// an error.
async fn copy(
    conn: &mut PgConnection,
    what: &'static str,
    statement: &'static str,
    lines: CopyLines,
) -> StoreResult<()> {
    if lines.rows == 0 {
        return Ok(());
    }
    let fail = || StoreError::query("批量写入", what);
    let mut copy_in = conn.copy_in_raw(statement).await.map_err(fail())?;
    copy_in
        .send(lines.text.into_bytes())
        .await
        .map_err(fail())?;
    copy_in.finish().await.map_err(fail())?;
    Ok(())
}

fn persons_lines(rows: &[BulkPerson], now: &str) -> CopyLines {
    let mut lines = CopyLines::default();
    for p in rows {
        let card = p.id_card.as_ref();
        lines
            .int(Some(p.id.get()))
            .text(Some(p.name.as_str()))
            .text(Some(&p.name_key))
            .text(p.gender.map(Gender::code))
            .date(p.birth_date)
            .text(card.map(|c| c.hash.as_str()))
            .bytes(card.map(|c| c.cipher.as_slice()))
            .text(card.map(|c| c.masked.as_str()))
            .int(
                p.native_region
                    .map(|code| i64::from(super::region_param(code))),
            )
            .text(p.current_city.as_deref())
            .text(Some(now))
            .text(Some(now))
            .end_row();
    }
    lines
}

fn study_record_lines(rows: &[BulkStudyRecord], now: &str) -> CopyLines {
    let mut lines = CopyLines::default();
    for r in rows {
        lines
            .int(Some(r.person.get()))
            .int(Some(r.school.get()))
            .int(r.college.map(CollegeId::get))
            .int(r.major.map(MajorId::get))
            .int(r.class.map(ClassId::get))
            .text(Some(r.level.code()))
            .int(r.enrolment_year.map(i64::from))
            .int(r.graduation_year.map(i64::from))
            .text(r.student_no.as_deref())
            .text(Some(&r.name_as_reported))
            .int(Some(r.source.get()))
            .text(r.source_ref.as_deref())
            .int(r.row_fingerprint.map(RowFingerprint::get))
            .text(Some(now))
            .text(Some(now))
            .end_row();
    }
    lines
}

fn contact_lines(rows: &[BulkContact], now: &str) -> CopyLines {
    let mut lines = CopyLines::default();
    for c in rows {
        lines
            .int(Some(c.person.get()))
            .text(Some(c.kind.code()))
            .text(Some(&c.value))
            .text(Some(&contact_value_key(c.kind, &c.value)))
            .int(Some(c.source.get()))
            .date(c.observed_on)
            .boolean(c.verified)
            .text(Some(now))
            .end_row();
    }
    lines
}

fn consent_lines(rows: &[BulkConsent], now: &str) -> CopyLines {
    let mut lines = CopyLines::default();
    for c in rows {
        lines
            .int(Some(c.person.get()))
            .text(Some(c.audience.code()))
            .boolean(c.granted)
            .text(Some(&c.source))
            .text(Some(now))
            .end_row();
    }
    lines
}

fn employment_lines(rows: &[BulkEmployment], now: &str) -> CopyLines {
    let mut lines = CopyLines::default();
    for e in rows {
        lines
            .int(Some(e.person.get()))
            .int(e.enterprise.map(EnterpriseId::get))
            .text(Some(&e.employer_name))
            .text(e.title.as_deref())
            .text(e.city.as_deref())
            .int(e.start_year.map(i64::from))
            .int(e.end_year.map(i64::from))
            .boolean(e.is_current)
            .int(Some(e.source.get()))
            .text(Some(now))
            .end_row();
    }
    lines
}

/// Rows in COPY's text format: fields separated by tabs, rows ended by newlines, `\N` for
/// NULL, and backslash escapes for the characters that would break a line apart.
#[derive(Default)]
struct CopyLines {
    text: String,
    rows: usize,
    /// Whether the current row has a field yet (the next one needs a tab before it).
    row_started: bool,
}

impl CopyLines {
    fn next_field(&mut self) {
        if self.row_started {
            self.text.push('\t');
        }
        self.row_started = true;
    }

    fn null(&mut self) {
        self.text.push_str("\\N");
    }

    fn text(&mut self, value: Option<&str>) -> &mut Self {
        self.next_field();
        let Some(value) = value else {
            self.null();
            return self;
        };
        for c in value.chars() {
            match c {
                '\\' => self.text.push_str("\\\\"),
                '\t' => self.text.push_str("\\t"),
                '\n' => self.text.push_str("\\n"),
                '\r' => self.text.push_str("\\r"),
                other => self.text.push(other),
            }
        }
        self
    }

    fn int(&mut self, value: Option<i64>) -> &mut Self {
        self.next_field();
        match value {
            // Writing into a String cannot fail.
            Some(n) => {
                let _ = write!(self.text, "{n}");
            }
            None => self.null(),
        }
        self
    }

    fn boolean(&mut self, value: bool) -> &mut Self {
        self.next_field();
        self.text.push(if value { 't' } else { 'f' });
        self
    }

    fn date(&mut self, value: Option<NaiveDate>) -> &mut Self {
        self.next_field();
        match value {
            Some(day) => {
                let _ = write!(self.text, "{}", day.format("%F"));
            }
            None => self.null(),
        }
        self
    }

    /// A bytea in hex form; its leading backslash is itself escaped (`\\x…`).
    fn bytes(&mut self, value: Option<&[u8]>) -> &mut Self {
        self.next_field();
        let Some(value) = value else {
            self.null();
            return self;
        };
        self.text.push_str("\\\\x");
        for byte in value {
            let _ = write!(self.text, "{byte:02x}");
        }
        self
    }

    fn end_row(&mut self) {
        self.text.push('\n');
        self.rows += 1;
        self.row_started = false;
    }
}

#[cfg(test)]
mod tests {
    use super::CopyLines;

    #[test]
    fn copy_lines_escape_what_would_split_a_row_and_mark_nulls() {
        let mut lines = CopyLines::default();
        lines
            .text(Some("王\t伟\\国\n第二行\r"))
            .text(None)
            .int(Some(-42))
            .int(None)
            .boolean(true)
            .bytes(Some(&[0x0a, 0xff]))
            .date(chrono::NaiveDate::from_ymd_opt(2015, 7, 1))
            .end_row();
        lines.text(Some("")).boolean(false).end_row();
        assert_eq!(
            lines.text,
            "王\\t伟\\\\国\\n第二行\\r\t\\N\t-42\t\\N\tt\t\\\\x0aff\t2015-07-01\n\tf\n"
        );
        assert_eq!(lines.rows, 2);
    }
}
