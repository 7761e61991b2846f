//! Turning what a user typed, the facet filters and the actor's scope into one tantivy query.
//! Users never reach tantivy's query syntax: their words become term and phrase queries.

use crate::analysis::{bigrams, fold, gram_tokens, is_han_word, is_latin_word};
use crate::schema::{Dim, Fields, KIND_ENTERPRISE, KIND_RECORD};
use jieba_rs::Jieba;
use std::sync::LazyLock;
use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RegexQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use xiaoyou_core::Scope;

/// What to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Study records (alumni).
    #[default]
    Records,
    Enterprises,
}

/// The words of a query, folded, split on white space. A query of Latin letters and spaces
/// only (`wang wei`) is one pinyin word.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let parts: Vec<String> = folded.split_whitespace().map(str::to_owned).collect();
    if parts.len() > 1 && parts.iter().all(|p| is_latin_word(p)) {
        return vec![parts.concat()];
    }
    parts
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn u64_term(field: Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A run of gram tokens in a field: a term for one token, a phrase for more.
fn grams(field: Field, tokens: &[String]) -> Box<dyn Query> {
    if let [single] = tokens {
        return term(field, single);
    }
    Box::new(PhraseQuery::new(
        tokens
            .iter()
            .map(|t| Term::from_field_text(field, t))
            .collect(),
    ))
}

fn boost(query: Box<dyn Query>, factor: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, factor))
}

/// Added to the score of a document whose whole name is one of the query's words: far above
/// any text score, so exact full names always come first.
pub const EXACT_NAME_BONUS: f32 = 1_000.0;

/// One word in one pair of fields: two or more Han characters are a phrase of their bigrams
/// (one term for two characters); a single character, a run of letters or digits, or a word
/// mixing them is a phrase of single-character tokens (one term for a single token).
fn text_match(gram: Field, bigram: Field, word: &str, tokens: &[String]) -> Box<dyn Query> {
    if tokens.len() >= 2 && is_han_word(word) {
        return grams(bigram, &bigrams(word));
    }
    grams(gram, tokens)
}

/// The clause that lifts exact full-name matches of a word to the top.
fn exact_name(fields: &Fields, word: &str) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(
        term(fields.name_word, word),
        EXACT_NAME_BONUS,
    ))
}

/// The dictionary segmenter, loaded on first use.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Han characters below which a word is taken as typed (names, short words).
const SEGMENT_FROM_CHARS: usize = 4;

/// The jieba words of a long run of Han characters, when it holds more than one word.
fn segmented(word: &str) -> Option<Vec<String>> {
    if !is_han_word(word) || word.chars().count() < SEGMENT_FROM_CHARS {
        return None;
    }
    let words: Vec<String> = JIEBA
        .cut(word, false)
        .into_iter()
        .map(|token| token.word.to_owned())
        .filter(|w| !w.is_empty())
        .collect();
    (words.len() > 1).then_some(words)
}

/// A word in a name or in the other text fields.
fn word_anywhere(fields: &Fields, word: &str) -> Box<dyn Query> {
    let tokens = gram_tokens(word);
    Box::new(BooleanQuery::new(vec![
        (
            Occur::Should,
            text_match(fields.name_gram, fields.name_bi, word, &tokens),
        ),
        (
            Occur::Should,
            text_match(fields.text_gram, fields.text_bi, word, &tokens),
        ),
    ]))
}

/// Whether a query matches any document of the index, asked before a long Han word is cut
/// into its jieba words: a word found as typed is not broadened.
pub type FoundAsTyped<'a> = &'a dyn Fn(&dyn Query) -> bool;

/// One word: must match somewhere; exact full names first, then name matches.
fn word_query(fields: &Fields, word: &str, found_as_typed: FoundAsTyped<'_>) -> Box<dyn Query> {
    let tokens = gram_tokens(word);
    if tokens.is_empty() {
        return Box::new(EmptyQuery);
    }
    let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
        (
            Occur::Should,
            boost(
                text_match(fields.name_gram, fields.name_bi, word, &tokens),
                3.0,
            ),
        ),
        (
            Occur::Should,
            text_match(fields.text_gram, fields.text_bi, word, &tokens),
        ),
    ];
    if let Some(words) = segmented(word)
        && !found_as_typed(&*word_anywhere(fields, word))
    {
        // A run of Han words typed without spaces (中联重科工程师, 长沙新能源汽车) that
        // appears nowhere as typed matches when each of its words matches somewhere.
        let each: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| (Occur::Must, word_anywhere(fields, w)))
            .collect();
        any.push((Occur::Should, Box::new(BooleanQuery::new(each))));
    }
    if is_latin_word(word) {
        any.push((Occur::Should, boost(term(fields.name_py, word), 2.5)));
        if word.len() >= 4 {
            // A pinyin prefix: `wangwei` also finds 王伟国 (`wangweiguo`). Latin letters only,
            // so the pattern holds no user-controlled syntax.
            if let Ok(prefix) = RegexQuery::from_pattern(&format!("{word}.*"), fields.name_py) {
                any.push((Occur::Should, boost(Box::new(prefix), 1.5)));
            }
        }
    }
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, Box::new(BooleanQuery::new(any))),
        (Occur::Should, exact_name(fields, word)),
    ]))
}

/// The scope as a filter over study records: school, college, class or person terms. `None`
/// when the scope is everything; an empty scope gives a query matching nothing.
pub fn scope_filter(fields: &Fields, scope: &Scope) -> Option<Box<dyn Query>> {
    if scope.all {
        return None;
    }
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for s in &scope.schools {
        any.push((
            Occur::Should,
            u64_term(fields.school_id, s.get().max(0) as u64),
        ));
    }
    for c in &scope.colleges {
        any.push((
            Occur::Should,
            u64_term(fields.college_id, c.get().max(0) as u64),
        ));
    }
    for c in &scope.classes {
        any.push((
            Occur::Should,
            u64_term(fields.class_id, c.get().max(0) as u64),
        ));
    }
    for p in &scope.persons {
        any.push((
            Occur::Should,
            u64_term(fields.person, p.get().max(0) as u64),
        ));
    }
    if any.is_empty() {
        return Some(Box::new(EmptyQuery));
    }
    Some(Box::new(BooleanQuery::new(any)))
}

/// A search's query, and the same query narrowed to documents whose whole name is one of the
/// words (ranked first; looked up on their own when the hits are counted from a sample).
pub struct Built {
    pub query: Box<dyn Query>,
    pub exact_names: Option<Box<dyn Query>>,
}

/// The whole query: target kind, scope, filters (OR within a dimension, AND across), words.
pub fn build(
    fields: &Fields,
    target: Target,
    text: &str,
    filters: &[(Dim, String)],
    scope: &Scope,
    found_as_typed: FoundAsTyped<'_>,
) -> Built {
    let kind = match target {
        Target::Records => KIND_RECORD,
        Target::Enterprises => KIND_ENTERPRISE,
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(TermQuery::new(
            Term::from_field_text(fields.kind, kind),
            IndexRecordOption::Basic,
        )),
    )];
    if target == Target::Records
        && let Some(filter) = scope_filter(fields, scope)
    {
        clauses.push((Occur::Must, filter));
    }
    for dim in Dim::ALL {
        let Some(field) = fields.facet(dim) else {
            continue;
        };
        let values: Vec<(Occur, Box<dyn Query>)> = filters
            .iter()
            .filter(|(d, _)| *d == dim)
            .map(|(_, v)| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        if !values.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(values))));
        }
    }
    let words = words(text);
    for word in &words {
        clauses.push((Occur::Must, word_query(fields, word, found_as_typed)));
    }
    let query = BooleanQuery::new(clauses);
    let exact_names = (!words.is_empty()).then(|| {
        let names: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|w| (Occur::Should, term(fields.name_word, w)))
            .collect();
        // The name clause scores nothing: these documents keep the main query's scores.
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(query.clone())),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(BooleanQuery::new(names)),
                    0.0,
                )),
            ),
        ])) as Box<dyn Query>
    });
    Built {
        query: Box::new(query),
        exact_names,
    }
}

#[cfg(test)]
mod tests {
    use super::segmented;

    #[test]
    fn long_han_words_are_cut_into_dictionary_words_and_short_ones_kept() {
        assert_eq!(
            segmented("中联重科工程师"),
            Some(vec!["中联重科".into(), "工程师".into()])
        );
        // The premise of the search test that a word found as typed is not broadened.
        assert_eq!(
            segmented("中联物流"),
            Some(vec!["中联".into(), "物流".into()])
        );
        assert_eq!(segmented("王国伟"), None);
        assert_eq!(segmented("wangweiguo"), None);
    }
}
