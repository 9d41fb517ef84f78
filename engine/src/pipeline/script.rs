//! Splitting SQL text into statements, and telling whether text ends with a complete one, by
//! SQLite's completeness rules (the `sqlite3_complete` state machine): a `;` ends a statement
//! unless it sits inside a string literal, a quoted identifier, a comment, or the
//! `BEGIN .. END` body of a `CREATE [TEMP] TRIGGER`, which ends only at `; END;`. Used by
//! `execute_batch`'s callers and the REPL (its line continuation and its scripts).

/// Splits `sql` into statement texts (each without its final `;`), dropping empty ones. A
/// `CREATE TRIGGER` stays whole, its body's `;`s included.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let mut statements = Vec::new();
    let mut start = 0;
    for end in statement_ends(sql) {
        push_nonblank(&mut statements, &sql[start..end]);
        start = end + 1;
    }
    push_nonblank(&mut statements, &sql[start..]);
    statements
}

fn push_nonblank<'a>(statements: &mut Vec<&'a str>, text: &'a str) {
    if !is_blank(text) {
        statements.push(text.trim());
    }
}

/// Whether `text` holds only whitespace and comments.
pub fn is_blank(text: &str) -> bool {
    let mut scanner = Scanner::new(text);
    while let Some(token) = scanner.next_token() {
        if token != Token::Space {
            return false;
        }
    }
    true
}

/// Whether `text` ends with a complete statement, as `sqlite3_complete` decides: its last
/// token other than whitespace and comments is a `;` that ends a statement, and no literal,
/// quoted identifier or block comment is left open.
pub fn is_complete(text: &str) -> bool {
    let mut scanner = Scanner::new(text);
    let mut state = State::Invalid;
    while let Some(token) = scanner.next_token() {
        state = state.after(token);
    }
    !scanner.unterminated && state == State::Start
}

/// Byte offsets of the `;`s in `sql` that end a statement.
fn statement_ends(sql: &str) -> Vec<usize> {
    let mut scanner = Scanner::new(sql);
    let mut state = State::Invalid;
    let mut ends = Vec::new();
    loop {
        let position = scanner.position;
        let Some(token) = scanner.next_token() else {
            return ends;
        };
        state = state.after(token);
        if token == Token::Semicolon && state == State::Start {
            debug_assert_eq!(sql.as_bytes()[position], b';');
            ends.push(position);
        }
    }
}

/// Where `sqlite3_complete`'s machine stands after the tokens so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing but whitespace and comments yet.
    Invalid,
    /// Just after a statement-ending `;` (the only state in which text is complete).
    Start,
    /// Inside an ordinary statement.
    Normal,
    /// After `EXPLAIN` at the start of a statement.
    Explain,
    /// After `CREATE` (and maybe `TEMP`) at the start of a statement.
    Create,
    /// Inside a `CREATE TRIGGER` statement.
    Trigger,
    /// Just after a `;` inside a trigger: `END` may follow.
    TriggerSemicolon,
    /// After `; END` inside a trigger: a `;` now ends the statement.
    TriggerEnd,
}

impl State {
    /// SQLite's transition table (src/complete.c), row by row.
    fn after(self, token: Token) -> State {
        use State::*;
        use Token::*;
        match (self, token) {
            (Trigger | TriggerSemicolon, Semicolon) => TriggerSemicolon,
            (_, Semicolon) => Start,
            (state, Space) => state,
            (Invalid | Start, Keyword(Word::Explain)) => Explain,
            (Invalid | Start | Explain, Keyword(Word::Create)) => Create,
            (Invalid | Start | Explain | Normal | Create, _) => match (self, token) {
                (Create, Keyword(Word::Temp)) => Create,
                (Create, Keyword(Word::Trigger)) => Trigger,
                (Explain, Other) => Explain,
                _ => Normal,
            },
            (Trigger, _) => Trigger,
            (TriggerSemicolon, Keyword(Word::End)) => TriggerEnd,
            (TriggerSemicolon | TriggerEnd, _) => Trigger,
        }
    }
}

/// The words the machine tells apart (any other word is `Token::Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Create,
    Temp,
    Trigger,
    End,
    Explain,
}

impl Word {
    fn classify(word: &[u8]) -> Option<Word> {
        const WORDS: [(&[u8], Word); 6] = [
            (b"create", Word::Create),
            (b"temp", Word::Temp),
            (b"temporary", Word::Temp),
            (b"trigger", Word::Trigger),
            (b"end", Word::End),
            (b"explain", Word::Explain),
        ];
        WORDS
            .iter()
            .find(|(text, _)| text.eq_ignore_ascii_case(word))
            .map(|(_, keyword)| *keyword)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Semicolon,
    /// Whitespace or a comment.
    Space,
    Keyword(Word),
    /// A literal, a quoted identifier, any other word, or punctuation.
    Other,
}

/// Characters of an identifier or keyword, as SQLite's tokenizer takes them.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

struct Scanner<'a> {
    bytes: &'a [u8],
    position: usize,
    /// A string, quoted identifier or block comment runs to the end of the text.
    unterminated: bool,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            bytes: text.as_bytes(),
            position: 0,
            unterminated: false,
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        let bytes = self.bytes;
        let byte = *bytes.get(self.position)?;
        let next = bytes.get(self.position + 1).copied();
        Some(match (byte, next) {
            (b';', _) => {
                self.position += 1;
                Token::Semicolon
            }
            (b'-', Some(b'-')) => {
                while self.position < bytes.len() && bytes[self.position] != b'\n' {
                    self.position += 1;
                }
                Token::Space
            }
            (b'/', Some(b'*')) => {
                match find(&bytes[self.position + 2..], b"*/") {
                    Some(offset) => self.position += 2 + offset + 2,
                    None => {
                        self.position = bytes.len();
                        self.unterminated = true;
                    }
                }
                Token::Space
            }
            (b'\'' | b'"' | b'`', _) => {
                self.skip_quoted(byte);
                Token::Other
            }
            (b'[', _) => {
                self.skip_quoted(b']');
                Token::Other
            }
            (byte, _) if byte.is_ascii_whitespace() => {
                self.position += 1;
                Token::Space
            }
            (byte, _) if is_word_byte(byte) => {
                let start = self.position;
                while self.position < bytes.len() && is_word_byte(bytes[self.position]) {
                    self.position += 1;
                }
                Word::classify(&bytes[start..self.position]).map_or(Token::Other, Token::Keyword)
            }
            _ => {
                self.position += 1;
                Token::Other
            }
        })
    }

    /// Skips a quoted run that closes with `close` (a doubled `close` reads as two quoted
    /// runs side by side, which is the same for splitting).
    fn skip_quoted(&mut self, close: u8) {
        match self.bytes[self.position + 1..]
            .iter()
            .position(|&b| b == close)
        {
            Some(offset) => self.position += 1 + offset + 1,
            None => {
                self.position = self.bytes.len();
                self.unterminated = true;
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "SELECT 'a;b'; -- c;d\nSELECT \"x;\" /* ; */ ; ;SELECT 3";
        assert_eq!(
            split_statements(sql),
            vec!["SELECT 'a;b'", "-- c;d\nSELECT \"x;\" /* ; */", "SELECT 3"]
        );
        assert_eq!(
            split_statements("SELECT [a;b], `c;d`; SELECT 'it''s;'"),
            vec!["SELECT [a;b], `c;d`", "SELECT 'it''s;'"]
        );
    }

    #[test]
    fn completeness() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done"));
        assert!(is_complete("SELECT 1; /* done */\n"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT \"a;"));
        assert!(!is_complete("SELECT [a;"));
        assert!(!is_complete("SELECT `a;"));
        assert!(!is_complete("SELECT 1 /* ; "));
        assert!(!is_complete("SELECT 1; /* open"));
        assert!(!is_complete("SELECT 1 -- ;"));
        assert!(!is_complete(""));
        assert!(!is_complete("  -- only a comment\n"));
        assert!(is_complete(";"));
        assert!(is_blank("  -- only a comment\n"));
        assert!(is_blank("/* a */ -- b"));
        assert!(!is_blank("/* a */ x"));
    }

    const TRIGGER: &str = "CREATE TRIGGER log_insert AFTER INSERT ON t BEGIN\n  \
                           INSERT INTO log VALUES (new.a);\n  \
                           UPDATE n SET c = c + 1;\nEND";

    #[test]
    fn a_trigger_body_does_not_end_the_statement() {
        assert!(!is_complete(
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;"
        ));
        assert!(!is_complete(
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END"
        ));
        assert!(is_complete(
            "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;"
        ));
        assert!(is_complete(&format!("{TRIGGER};")));
        assert!(is_complete(
            "create temp trigger x after insert on t begin select 1; end ; -- c"
        ));
        assert!(is_complete(
            "CREATE TEMPORARY TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;"
        ));
        assert!(is_complete(
            "EXPLAIN CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;"
        ));
    }

    #[test]
    fn a_trigger_ends_only_at_end_right_after_a_semicolon() {
        // END of a CASE is not the trigger's END; neither is an END in a string or comment.
        let text = "CREATE TRIGGER x AFTER INSERT ON t BEGIN \
                    SELECT CASE WHEN 1 THEN 2 END; SELECT 'end;'; /* ; END; */ -- ; END;\n";
        assert!(!is_complete(text));
        assert!(is_complete(&format!("{text} END;")));
        assert!(is_complete(&format!("{text} /* c */ END /* c */;")));
    }

    #[test]
    fn splitting_keeps_a_trigger_whole() {
        let sql = format!("BEGIN; {TRIGGER}; ROLLBACK;");
        assert_eq!(split_statements(&sql), vec!["BEGIN", TRIGGER, "ROLLBACK"]);
    }

    #[test]
    fn words_that_only_look_like_keywords_are_other_words() {
        // `trigger_log` and `ends` are identifiers: neither opens nor closes a trigger body.
        let sql = "CREATE TABLE trigger_log(ends INT); CREATE TEMP TABLE t(a); SELECT 1";
        assert_eq!(
            split_statements(sql),
            vec![
                "CREATE TABLE trigger_log(ends INT)",
                "CREATE TEMP TABLE t(a)",
                "SELECT 1"
            ]
        );
        // A TRIGGER word not right after CREATE [TEMP] is an ordinary word.
        assert_eq!(
            split_statements("SELECT trigger FROM t; SELECT 2"),
            vec!["SELECT trigger FROM t", "SELECT 2"]
        );
        assert_eq!(
            split_statements("CREATE TABLE \"trigger\"(a); SELECT 2"),
            vec!["CREATE TABLE \"trigger\"(a)", "SELECT 2"]
        );
    }

    #[test]
    fn an_unfinished_trigger_is_left_whole_for_the_parser_to_reject() {
        let sql = "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;";
        assert_eq!(
            split_statements(sql),
            vec!["CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;"]
        );
    }
}
