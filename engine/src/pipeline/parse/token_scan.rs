//! The token scan that the text rewrites before parsing share (`exclude.rs`, `cte_hint.rs`):
//! a cheap byte search for the rewrite's keyword first, then the statement's tokens with the
//! positions of the significant ones (whitespace and comments skipped), and a test for an
//! unquoted keyword at a significant position.

use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::EmberDialect;

/// A statement's tokens and the indexes of its significant ones.
pub(super) struct TokenScan {
    pub(super) tokens: Vec<Token>,
    /// Indexes into `tokens` of every token that is not whitespace, in order.
    pub(super) significant: Vec<usize>,
}

impl TokenScan {
    /// The scan of `sql` when its text holds `keyword` (any case), or `None`: no such text,
    /// or text the tokenizer refuses (the parser then reports it).
    pub(super) fn of_sql_containing(sql: &str, keyword: &str) -> Option<TokenScan> {
        let keyword = keyword.as_bytes();
        if !sql
            .as_bytes()
            .windows(keyword.len())
            .any(|window| window.eq_ignore_ascii_case(keyword))
        {
            return None;
        }
        let tokens = Tokenizer::new(&EmberDialect::default(), sql)
            .tokenize()
            .ok()?;
        let significant = (0..tokens.len())
            .filter(|&i| !matches!(tokens[i], Token::Whitespace(_)))
            .collect();
        Some(TokenScan {
            tokens,
            significant,
        })
    }

    /// Whether the significant token at `at` is the unquoted word `keyword` (any case).
    pub(super) fn word(&self, at: usize, keyword: &str) -> bool {
        self.significant.get(at).is_some_and(|&i| {
            matches!(&self.tokens[i], Token::Word(w) if w.quote_style.is_none()
                && w.value.eq_ignore_ascii_case(keyword))
        })
    }

    /// Whether the significant token at `at` is `token`.
    pub(super) fn is(&self, at: usize, token: &Token) -> bool {
        self.significant
            .get(at)
            .is_some_and(|&i| self.tokens[i] == *token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_found_at_significant_positions_unquoted_only() {
        assert!(TokenScan::of_sql_containing("SELECT 1", "exclude").is_none());
        let scan = TokenScan::of_sql_containing("SELECT  \"As\" ,as (", "AS").unwrap();
        assert!(scan.word(0, "select"));
        assert!(!scan.word(1, "as"), "a quoted name is not the keyword");
        assert!(scan.is(2, &Token::Comma));
        assert!(scan.word(3, "AS"));
        assert!(scan.is(4, &Token::LParen));
        assert!(
            !scan.word(5, "as") && !scan.is(5, &Token::LParen),
            "past the end"
        );
    }
}
