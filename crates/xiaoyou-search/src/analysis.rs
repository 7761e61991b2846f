//! Chinese-aware analysis shared by indexing and querying.
//!
//! Every text is first folded the same way ([`fold`]): invisible characters out, full-width
//! forms to ASCII, traditional characters to simplified, lower case. Then three analyses:
//!
//! - `zh_gram`: every Han character is a token of its own, every run of letters or digits is
//!   one token, positions consecutive. A single character is a term of this field; a word
//!   mixing Han characters with letters or digits (`2008级`) is a phrase of these tokens.
//! - `zh_bigram`: each adjacent pair of Han characters is one token (`王伟国` → `王伟 伟国`),
//!   positions consecutive. A query of two or more Han characters is a phrase of its bigrams
//!   (a single term for two characters), so 王伟 matches inside 王伟国 (jieba would keep
//!   王伟国 as one word and miss it) but not 王国伟, and the postings intersected are those of
//!   rare pairs instead of frequent single characters.
//! - `whole`: the whole folded name as one token, so an exact full name ranks first.
//! - `py`: pinyin of names, the full reading run together (`wangwei`) and the initials
//!   (`ww`), so Latin input finds Han names.

use crate::token_cache::FastHash;
use crate::token_cache::{Cached, SliceStream};
use std::collections::HashMap;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use xiaoyou_text::fold::{fold_char, is_invisible};

pub const GRAM: &str = "zh_gram";
pub const BIGRAM: &str = "zh_bigram";
/// `zh_gram` and `zh_bigram` with a per-thread token cache ([`crate::token_cache`]), for
/// fields whose values repeat across documents (schools, colleges, employers …).
pub const GRAM_CACHED: &str = "zh_gram_cached";
pub const BIGRAM_CACHED: &str = "zh_bigram_cached";
pub const PINYIN: &str = "py";
/// The whole folded value as one token (names: an exact full-name match ranks first).
pub const WHOLE: &str = "whole";

/// Folds text for indexing and querying: cleaned, width-folded, simplified, lower case.
pub fn fold(text: &str) -> String {
    let cleaned = xiaoyou_text::clean_cell(text);
    xiaoyou_text::to_simplified(&cleaned).to_lowercase()
}

/// Folds one character the same way (for aligning highlights with the original text).
pub fn fold_one(c: char) -> char {
    let c = fold_char(c);
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut buffer = [0u8; 4];
    let simplified = xiaoyou_text::to_simplified(c.encode_utf8(&mut buffer));
    let mut chars = simplified.chars();
    match (chars.next(), chars.next()) {
        (Some(single), None) => single.to_lowercase().next().unwrap_or(single),
        _ => c,
    }
}

/// A folding cache for values that repeat across many documents (school, college, major,
/// class, employer, city names): OpenCC is the costliest step of building a document.
#[derive(Debug, Default)]
pub struct Folder {
    cache: HashMap<String, String, FastHash>,
}

impl Folder {
    const LIMIT: usize = 200_000;

    pub fn fold(&mut self, text: &str) -> String {
        if let Some(folded) = self.cache.get(text) {
            return folded.clone();
        }
        let folded = fold(text);
        if self.cache.len() >= Self::LIMIT {
            self.cache.clear();
        }
        self.cache.insert(text.to_owned(), folded.clone());
        folded
    }
}

/// Whether a character is a Han ideograph (CJK unified ideographs and their extensions).
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{2ebef}'
        | '\u{30000}'..='\u{3134f}')
}

/// The `zh_gram` tokens of already folded text.
pub fn gram_tokens(folded: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut run = String::new();
    for c in folded.chars() {
        if is_han(c) {
            if !run.is_empty() {
                tokens.push(std::mem::take(&mut run));
            }
            tokens.push(c.to_string());
        } else if c.is_alphanumeric() {
            run.push(c);
        } else if !run.is_empty() {
            tokens.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        tokens.push(run);
    }
    tokens
}

/// The `zh_bigram` tokens of already folded text: each adjacent pair of Han characters, in
/// order. Characters of different runs (separated by anything not Han) never pair.
pub fn bigram_tokens_into(folded: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut previous: Option<(usize, char)> = None;
    let mut position = 0;
    for (offset, c) in folded.char_indices() {
        if !is_han(c) {
            previous = None;
            continue;
        }
        if let Some((from, first)) = previous {
            let mut text = String::with_capacity(first.len_utf8() + c.len_utf8());
            text.push(first);
            text.push(c);
            out.push(Token {
                offset_from: from,
                offset_to: offset + c.len_utf8(),
                position,
                text,
                position_length: 1,
            });
            position += 1;
        }
        previous = Some((offset, c));
    }
}

/// The bigrams of a folded word, as query terms.
pub fn bigrams(folded: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    bigram_tokens_into(folded, &mut tokens);
    tokens.into_iter().map(|t| t.text).collect()
}

/// Whether a folded word is Han characters only.
pub fn is_han_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_han)
}

/// Adjacent pairs of Han characters (see [`bigram_tokens_into`]).
#[derive(Debug, Clone, Default)]
pub struct BigramTokenizer {
    tokens: Vec<Token>,
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = SliceStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SliceStream<'a> {
        bigram_tokens_into(text, &mut self.tokens);
        SliceStream::new(&mut self.tokens)
    }
}

/// Separates the values of one field (school, college, employer …) in a joined text: the
/// gram tokenizer leaves a position free at each, so a phrase never spans two values.
pub const VALUE_SEPARATOR: char = '\n';

/// Han characters one by one, letter/digit runs whole.
#[derive(Debug, Clone, Default)]
pub struct GramTokenizer {
    token: Token,
}

pub struct GramStream<'a> {
    text: &'a str,
    offset: usize,
    position: usize,
    token: &'a mut Token,
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = GramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> GramStream<'a> {
        self.token.reset();
        GramStream {
            text,
            offset: 0,
            position: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for GramStream<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.offset..];
        let mut start = None;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match start {
                None => {
                    if c == VALUE_SEPARATOR {
                        self.position += 1;
                        continue;
                    }
                    if is_han(c) {
                        start = Some(i);
                        end = i + c.len_utf8();
                        break;
                    }
                    if c.is_alphanumeric() && !is_invisible(c) {
                        start = Some(i);
                    }
                }
                Some(_) => {
                    if is_han(c) || !c.is_alphanumeric() {
                        end = i;
                        break;
                    }
                }
            }
        }
        let Some(start) = start else {
            self.offset = self.text.len();
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&rest[start..end]);
        self.token.offset_from = self.offset + start;
        self.token.offset_to = self.offset + end;
        self.token.position = self.position;
        self.token.position_length = 1;
        self.position += 1;
        self.offset += end;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Registers the analyses on an index.
pub fn register(index: &tantivy::Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(GRAM, GramTokenizer::default());
    tokenizers.register(BIGRAM, BigramTokenizer::default());
    tokenizers.register(GRAM_CACHED, Cached::new(GramTokenizer::default()));
    tokenizers.register(BIGRAM_CACHED, Cached::new(BigramTokenizer::default()));
    // Names and their pinyin are folded (lower case) before they reach the index.
    tokenizers.register(WHOLE, tantivy::tokenizer::RawTokenizer::default());
    tokenizers.register(PINYIN, tantivy::tokenizer::WhitespaceTokenizer::default());
}

/// The pinyin tokens of a name: the full reading run together and the initials
/// (`王伟国` → `wangweiguo wwg`); the name's own Latin letters when it is romanised.
pub fn name_pinyin_tokens(name: &str) -> String {
    folded_name_pinyin(&fold(name))
}

/// [`name_pinyin_tokens`] of a name already folded.
pub fn folded_name_pinyin(folded: &str) -> String {
    let mut out = String::new();
    if let Some(full) = xiaoyou_text::name_pinyin(folded) {
        out.push_str(&full.replace(' ', ""));
        if let Some(initials) = xiaoyou_text::name_pinyin_initials(folded) {
            out.push(' ');
            out.push_str(&initials);
        }
    } else if folded.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') {
        out.push_str(&folded.replace(' ', ""));
    }
    out
}

/// Whether a query word is Latin letters only (routed to pinyin).
pub fn is_latin_word(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic())
}

/// Wraps every occurrence of the terms (already folded) in `<mark>`, HTML-escaping the rest.
/// Matching is done on the folded form of each character, so 王偉 in the text is marked for
/// the query 王伟.
pub fn highlight(text: &str, terms: &[String]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|c| fold_one(*c)).collect();
    let mut marked = vec![false; chars.len()];
    for term in terms {
        let needle: Vec<char> = term.chars().collect();
        if needle.is_empty() || needle.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - needle.len() {
            if folded[start..start + needle.len()] == needle[..] {
                for flag in &mut marked[start..start + needle.len()] {
                    *flag = true;
                }
            }
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut open = false;
    for (c, mark) in chars.iter().zip(marked.iter()) {
        if *mark && !open {
            out.push_str("<mark>");
            open = true;
        } else if !*mark && open {
            out.push_str("</mark>");
            open = false;
        }
        escape_into(*c, &mut out);
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        escape_into(c, &mut out);
    }
    out
}

fn escape_into(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        other => out.push(other),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every token of `text` with its position.
    pub(crate) fn tokens_of<T: Tokenizer>(tokenizer: &mut T, text: &str) -> Vec<(String, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        out
    }

    fn stream(text: &str) -> Vec<(String, usize)> {
        tokens_of(&mut GramTokenizer::default(), text)
    }

    #[test]
    fn grams_split_han_and_keep_latin_runs() {
        assert_eq!(
            stream("2008级机械1班 abb"),
            vec![
                ("2008".into(), 0),
                ("级".into(), 1),
                ("机".into(), 2),
                ("械".into(), 3),
                ("1".into(), 4),
                ("班".into(), 5),
                ("abb".into(), 6)
            ]
        );
        assert_eq!(gram_tokens("机械1班"), vec!["机", "械", "1", "班"]);
    }

    #[test]
    fn bigrams_pair_adjacent_han_characters_only() {
        let mut tokenizer = BigramTokenizer::default();
        let mut stream = tokenizer.token_stream("王伟国 ab中联重科1班");
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        assert_eq!(
            out,
            vec![
                ("王伟".into(), 0),
                ("伟国".into(), 1),
                ("中联".into(), 2),
                ("联重".into(), 3),
                ("重科".into(), 4)
            ]
        );
        assert_eq!(bigrams("王伟"), vec!["王伟"]);
        assert!(bigrams("王").is_empty());
        assert!(is_han_word("王伟") && !is_han_word("2008级") && !is_han_word(""));
    }

    #[test]
    fn folding_makes_traditional_full_width_and_case_equal() {
        assert_eq!(fold("王偉"), "王伟");
        assert_eq!(fold("ＡＢＢ　中聯重科"), "abb 中联重科");
        assert_eq!(fold_one('偉'), '伟');
        assert_eq!(fold_one('Ａ'), 'a');
    }

    #[test]
    fn pinyin_tokens_of_names() {
        assert_eq!(name_pinyin_tokens("王伟"), "wangwei ww");
        assert_eq!(name_pinyin_tokens("王偉國"), "wangweiguo wwg");
        assert_eq!(name_pinyin_tokens("Wang Wei"), "wangwei");
        assert!(is_latin_word("wgw"));
        assert!(!is_latin_word("王伟"));
    }

    #[test]
    fn highlights_are_escaped_and_follow_folding() {
        assert_eq!(
            highlight("王偉<b>", &["王伟".to_owned()]),
            "<mark>王偉</mark>&lt;b&gt;"
        );
        assert_eq!(
            highlight("中联重科股份", &["重科".to_owned()]),
            "中联<mark>重科</mark>股份"
        );
    }
}
