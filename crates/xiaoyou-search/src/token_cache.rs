//! A token cache for fields whose values repeat across many documents (school, college,
//! major, class, employer, title, city names): each distinct value is analysed once per
//! indexing thread, and every further occurrence replays the stored tokens.
//!
//! tantivy clones a field's tokenizer for every segment it writes, so each indexing thread
//! owns its cache and no lock is taken. A clone starts empty. The cache is bounded: when it
//! holds [`TokenCache::LIMIT`] values it is cleared and fills again with what comes next.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// A fast, non-cryptographic hash (the multiply-rotate scheme of rustc's FxHash) for caches
/// keyed by short strings from our own data, where SipHash's protection against chosen
/// keys is not needed and its cost showed in profiles of index builds.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        // The length first, so that zero padding of the last word cannot make two byte
        // strings equal.
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FastHash = BuildHasherDefault<FastHasher>;

/// Values analysed so far, with their tokens.
#[derive(Debug, Default)]
pub struct TokenCache {
    values: HashMap<Box<str>, Vec<Token>, FastHash>,
    hits: u64,
    misses: u64,
}

impl TokenCache {
    /// Distinct values kept before the cache is cleared.
    pub const LIMIT: usize = 50_000;
    /// Values longer than this (in bytes) are analysed every time: they rarely repeat.
    pub const LONGEST: usize = 256;

    /// The tokens of `text`, analysed by `analyse` the first time it is seen.
    pub fn tokens(
        &mut self,
        text: &str,
        analyse: impl FnOnce(&str, &mut Vec<Token>),
    ) -> &mut [Token] {
        if self.values.contains_key(text) {
            self.hits += 1;
        } else {
            self.misses += 1;
            if self.values.len() >= Self::LIMIT {
                self.values.clear();
            }
            let mut tokens = Vec::new();
            analyse(text, &mut tokens);
            self.values.insert(text.into(), tokens);
        }
        match self.values.get_mut(text) {
            Some(tokens) => tokens,
            None => &mut [],
        }
    }

    /// How many lookups found their value, and how many had to analyse it.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Tokens computed up front, handed out one by one.
pub struct SliceStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
    /// Answers `token()` before the first `advance()` (tantivy never asks then).
    none: Token,
}

impl<'a> SliceStream<'a> {
    pub fn new(tokens: &'a mut [Token]) -> SliceStream<'a> {
        SliceStream {
            tokens,
            next: 0,
            none: Token::default(),
        }
    }
}

impl TokenStream for SliceStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        match self.next.checked_sub(1) {
            Some(i) => self.tokens.get(i).unwrap_or(&self.none),
            None => &self.none,
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) => self.tokens.get_mut(i).unwrap_or(&mut self.none),
            None => &mut self.none,
        }
    }
}

/// A tokenizer that analyses each distinct value once (see the module notes). `T` does the
/// analysis; its tokens must not be changed by filters placed after this one.
pub struct Cached<T> {
    inner: T,
    cache: TokenCache,
    /// For values too long to cache.
    scratch: Vec<Token>,
}

impl<T: Tokenizer> Cached<T> {
    pub fn new(inner: T) -> Cached<T> {
        Cached {
            inner,
            cache: TokenCache::default(),
            scratch: Vec::new(),
        }
    }
}

impl<T: Tokenizer> Clone for Cached<T> {
    /// A clone (one per indexing thread and segment) starts with an empty cache.
    fn clone(&self) -> Self {
        Cached::new(self.inner.clone())
    }
}

fn analyse_with<T: Tokenizer>(inner: &mut T, text: &str, out: &mut Vec<Token>) {
    out.clear();
    let mut stream = inner.token_stream(text);
    while stream.advance() {
        out.push(stream.token().clone());
    }
}

impl<T: Tokenizer> Tokenizer for Cached<T> {
    type TokenStream<'a> = SliceStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> SliceStream<'a> {
        let inner = &mut self.inner;
        if text.len() > TokenCache::LONGEST {
            analyse_with(inner, text, &mut self.scratch);
            return SliceStream::new(&mut self.scratch);
        }
        let tokens = self
            .cache
            .tokens(text, |text, out| analyse_with(inner, text, out));
        SliceStream::new(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::GramTokenizer;

    fn texts(tokenizer: &mut Cached<GramTokenizer>, text: &str) -> Vec<(String, usize)> {
        crate::analysis::tests::tokens_of(tokenizer, text)
    }

    #[test]
    fn a_repeated_value_is_analysed_once_and_gives_the_same_tokens() {
        let mut tokenizer = Cached::new(GramTokenizer::default());
        let first = texts(&mut tokenizer, "中南大学");
        let second = texts(&mut tokenizer, "中南大学");
        assert_eq!(first, second);
        assert_eq!(first.len(), 4);
        assert_eq!(tokenizer.cache.hits_and_misses(), (1, 1));
        assert!(texts(&mut tokenizer, "").is_empty());
        let long = "长".repeat(200);
        assert_eq!(texts(&mut tokenizer, &long).len(), 200);
        assert_eq!(tokenizer.cache.len(), 2, "a long value is not kept");
        assert!(tokenizer.clone().cache.is_empty(), "a clone starts empty");
    }

    #[test]
    fn the_fast_hash_tells_close_strings_apart() {
        use std::hash::BuildHasher;
        let hash = |s: &str| FastHash::default().hash_one(s);
        assert_eq!(hash("中南大学"), hash("中南大学"));
        assert_ne!(hash("中南大学"), hash("中南大学 "));
        assert_ne!(hash("ab"), hash("ba"));
        assert_ne!(hash(""), hash("\0"));
    }

    #[test]
    fn the_cache_is_cleared_when_full() {
        let mut cache = TokenCache::default();
        for i in 0..TokenCache::LIMIT {
            cache.tokens(&i.to_string(), |_, _| {});
        }
        assert_eq!(cache.len(), TokenCache::LIMIT);
        cache.tokens("one more", |_, out| out.push(Token::default()));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.tokens("one more", |_, _| {}).len(), 1);
    }
}
