//! Splitting SQL text into statements at top-level semicolons, skipping semicolons inside
//! string literals, quoted identifiers and comments. Used by `execute_batch` and the REPL
//! (which also asks whether the text so far ends in a complete statement).

/// Splits `sql` into statement texts (each without its `;`), dropping empty ones.
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
        if token != Token::Comment && token != Token::Whitespace {
            return false;
        }
    }
    true
}

/// Whether `text` ends with a complete statement: its last non-blank token is a top-level
/// `;` and no literal or comment is left open.
pub fn is_complete(text: &str) -> bool {
    let mut scanner = Scanner::new(text);
    let mut last_significant = None;
    while let Some(token) = scanner.next_token() {
        if token != Token::Comment && token != Token::Whitespace {
            last_significant = Some(token);
        }
    }
    !scanner.unterminated && last_significant == Some(Token::Semicolon)
}

/// Byte offsets of the top-level semicolons in `sql`.
fn statement_ends(sql: &str) -> Vec<usize> {
    let mut scanner = Scanner::new(sql);
    let mut ends = Vec::new();
    loop {
        let position = scanner.position;
        match scanner.next_token() {
            None => return ends,
            Some(Token::Semicolon) => ends.push(position),
            Some(_) => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Semicolon,
    Comment,
    Whitespace,
    Quoted,
    Other,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    position: usize,
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
                Token::Comment
            }
            (b'/', Some(b'*')) => {
                match find(&bytes[self.position + 2..], b"*/") {
                    Some(offset) => self.position += 2 + offset + 2,
                    None => {
                        self.position = bytes.len();
                        self.unterminated = true;
                    }
                }
                Token::Comment
            }
            (b'\'' | b'"' | b'`', _) => {
                self.skip_quoted(byte);
                Token::Quoted
            }
            (b'[', _) => {
                self.skip_quoted(b']');
                Token::Quoted
            }
            (byte, _) if byte.is_ascii_whitespace() => {
                self.position += 1;
                Token::Whitespace
            }
            _ => {
                self.position += 1;
                Token::Other
            }
        })
    }

    /// Skips a quoted run that closes with `close` (a doubled `close` is an escape).
    fn skip_quoted(&mut self, close: u8) {
        let bytes = self.bytes;
        let mut position = self.position + 1;
        loop {
            match bytes.get(position) {
                None => {
                    self.position = bytes.len();
                    self.unterminated = true;
                    return;
                }
                Some(&b) if b == close => {
                    if close != b']' && bytes.get(position + 1) == Some(&close) {
                        position += 2;
                        continue;
                    }
                    self.position = position + 1;
                    return;
                }
                Some(_) => position += 1,
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
    }

    #[test]
    fn completeness() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT ';"));
        assert!(!is_complete("SELECT 1 /* ; "));
        assert!(is_blank("  -- only a comment\n"));
    }
}
