//! The SQL dialect the parser uses: sqlparser's SQLite dialect (every method it overrides is
//! delegated, and it reports itself as `SQLiteDialect` so sqlparser's dialect checks still hold),
//! plus what SQLite parses and sqlparser's dialect does not: SQLite's operator precedence (`||`
//! binds tighter than `*`; `& | << >>` share one level, above `<`, which is above `=`; unary `-`
//! and `~` bind tightest), `<<` / `>>`, `NOT GLOB` / `NOT REGEXP` / `NOT MATCH`, the postfix
//! `ISNULL`, `x [NOT] IN table`, `x IS [NOT] y` for any `y`, and the JSON operators `->` and `->>`
//! at the level of `||`. With `table_versioning` (set for SQL text that mentions SYSTEM_TIME) it
//! parses `FROM t FOR SYSTEM_TIME AS OF <expr>` (`bind::as_of`); off otherwise, since sqlparser's
//! versioning syntax would read an alias `at` or `before` as the start of a clause.

use std::any::TypeId;

use sqlparser::ast::{BinaryOperator, Expr, Statement, UnaryOperator};
use sqlparser::dialect::{Dialect, Precedence, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// Precedences (higher binds tighter), on sqlparser's scale where AND is 10 and `=` is 20.
const UNARY_OPERAND: u8 = 48;
const CONCAT: u8 = 45;
const MULTIPLY: u8 = 40;
const ADD: u8 = 30;
const BITWISE: u8 = 22;
const LESS_GREATER: u8 = 21;
const IS: u8 = 17;

/// The unquoted word ISNULL (not a keyword for sqlparser).
fn is_isnull(token: &Token) -> bool {
    matches!(token, Token::Word(word)
        if word.quote_style.is_none() && word.value.eq_ignore_ascii_case("isnull"))
}

/// SQLite's `x IS [NOT] y` for any operand `y` (sqlparser takes only NULL, TRUE, FALSE and
/// DISTINCT FROM after IS), parsed as `x IS [NOT] DISTINCT FROM y`: a comparison where NULL
/// equals NULL. `None` (nothing consumed) when IS is followed by one of sqlparser's forms.
fn parse_is_operand(
    parser: &mut Parser,
    expr: &Expr,
    precedence: u8,
) -> Option<Result<Expr, ParserError>> {
    let is_keyword = |token: &Token, keyword: Keyword| {
        matches!(token, Token::Word(word)
            if word.keyword == keyword && word.quote_style.is_none())
    };
    if !is_keyword(&parser.peek_token_ref().token, Keyword::IS) {
        return None;
    }
    let negated = is_keyword(&parser.peek_nth_token_ref(1).token, Keyword::NOT);
    let operand = &parser.peek_nth_token_ref(1 + usize::from(negated)).token;
    if [
        Keyword::NULL,
        Keyword::TRUE,
        Keyword::FALSE,
        Keyword::DISTINCT,
    ]
    .iter()
    .any(|&keyword| is_keyword(operand, keyword))
    {
        return None;
    }
    parser.next_token();
    if negated {
        parser.next_token();
    }
    let right = match parser.parse_subexpr(precedence) {
        Ok(right) => right,
        Err(error) => return Some(Err(error)),
    };
    let (left, right) = (Box::new(expr.clone()), Box::new(right));
    Some(Ok(match negated {
        false => Expr::IsNotDistinctFrom(left, right),
        true => Expr::IsDistinctFrom(left, right),
    }))
}

/// SQLite's `x [NOT] IN table` (a table name instead of a list or subquery), parsed as
/// `x [NOT] IN (SELECT * FROM table)`; `None` (nothing consumed) for other input.
fn parse_in_table(parser: &mut Parser, expr: &Expr) -> Option<Result<Expr, ParserError>> {
    let negated = match &parser.peek_token_ref().token {
        Token::Word(word) if word.keyword == Keyword::NOT => true,
        Token::Word(word) if word.keyword == Keyword::IN => false,
        _ => return None,
    };
    let offset = usize::from(negated);
    if negated
        && !matches!(&parser.peek_nth_token_ref(1).token,
            Token::Word(word) if word.keyword == Keyword::IN)
    {
        return None;
    }
    let Token::Word(table) = &parser.peek_nth_token_ref(offset + 1).token else {
        return None;
    };
    let table = table.clone();
    for _ in 0..offset + 2 {
        parser.next_token();
    }
    let sql = format!("SELECT * FROM {table}");
    let query = Parser::new(&EmberDialect::default())
        .try_with_sql(&sql)
        .and_then(|mut inner| inner.parse_query());
    Some(query.map(|subquery| Expr::InSubquery {
        expr: Box::new(expr.clone()),
        subquery,
        negated,
    }))
}

/// sqlparser's SQLite dialect with SQLite's precedence and the operators above.
#[derive(Debug, Default)]
pub struct EmberDialect {
    sqlite: SQLiteDialect,
    table_versioning: bool,
}

impl EmberDialect {
    /// The dialect for `sql`: table versioning (`FOR SYSTEM_TIME AS OF`) only when the text
    /// names SYSTEM_TIME.
    pub fn for_sql(sql: &str) -> EmberDialect {
        const WORD: &[u8] = b"system_time";
        let table_versioning = sql
            .as_bytes()
            .windows(WORD.len())
            .any(|window| window.eq_ignore_ascii_case(WORD));
        EmberDialect {
            sqlite: SQLiteDialect {},
            table_versioning,
        }
    }
}

impl Dialect for EmberDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<SQLiteDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.sqlite.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.sqlite.identifier_quote_style(identifier)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.sqlite.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.sqlite.is_identifier_part(ch)
    }

    fn supports_table_versioning(&self) -> bool {
        self.table_versioning
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        self.sqlite.supports_filter_during_aggregation()
    }

    fn supports_start_transaction_modifier(&self) -> bool {
        self.sqlite.supports_start_transaction_modifier()
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        self.sqlite.parse_statement(parser)
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if is_isnull(&parser.peek_token_ref().token) {
            parser.next_token();
            return Some(Ok(Expr::IsNull(Box::new(expr.clone()))));
        }
        if let Some(result) = parse_in_table(parser, expr) {
            return Some(result);
        }
        if let Some(result) = parse_is_operand(parser, expr, precedence) {
            return Some(result);
        }
        for (keyword, op) in [
            (Keyword::GLOB, BinaryOperator::Glob),
            (Keyword::REGEXP, BinaryOperator::Regexp),
            (Keyword::MATCH, BinaryOperator::Match),
        ] {
            if parser.parse_keywords(&[Keyword::NOT, keyword]) {
                let right = match parser.parse_subexpr(precedence) {
                    Ok(right) => right,
                    Err(error) => return Some(Err(error)),
                };
                return Some(Ok(Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: Box::new(Expr::Nested(Box::new(Expr::BinaryOp {
                        left: Box::new(expr.clone()),
                        op,
                        right: Box::new(right),
                    }))),
                }));
            }
        }
        self.sqlite.parse_infix(parser, expr, precedence)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        let precedence = match &parser.peek_token_ref().token {
            Token::StringConcat | Token::Arrow | Token::LongArrow => CONCAT,
            Token::Mul | Token::Div | Token::Mod => MULTIPLY,
            Token::Plus | Token::Minus => ADD,
            Token::Ampersand | Token::Pipe | Token::ShiftLeft | Token::ShiftRight => BITWISE,
            Token::Lt | Token::LtEq | Token::Gt | Token::GtEq => LESS_GREATER,
            token if is_isnull(token) => IS,
            Token::Word(word) if word.keyword == Keyword::NOT => {
                match &parser.peek_nth_token_ref(1).token {
                    Token::Word(next)
                        if matches!(
                            next.keyword,
                            Keyword::GLOB | Keyword::REGEXP | Keyword::MATCH
                        ) =>
                    {
                        self.prec_value(Precedence::Like)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(Ok(precedence))
    }

    fn prec_value(&self, precedence: Precedence) -> u8 {
        match precedence {
            // sqlparser parses the operand of unary `-`, `+` and `~` at these levels.
            Precedence::MulDivModOp | Precedence::PlusMinus => UNARY_OPERAND,
            other => self.sqlite.prec_value(other),
        }
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        true
    }

    fn supports_in_empty_list(&self) -> bool {
        self.sqlite.supports_in_empty_list()
    }

    fn supports_limit_comma(&self) -> bool {
        self.sqlite.supports_limit_comma()
    }

    fn supports_asc_desc_in_column_definition(&self) -> bool {
        self.sqlite.supports_asc_desc_in_column_definition()
    }

    fn supports_dollar_placeholder(&self) -> bool {
        self.sqlite.supports_dollar_placeholder()
    }

    fn supports_notnull_operator(&self) -> bool {
        self.sqlite.supports_notnull_operator()
    }

    /// `FROM (t)`, `FROM ((SELECT ..) AS s)`: parentheses around one FROM item, as SQLite
    /// takes them.
    fn supports_parens_around_table_factor(&self) -> bool {
        true
    }

    fn supports_comma_separated_trim(&self) -> bool {
        self.sqlite.supports_comma_separated_trim()
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        self.sqlite.supports_numeric_literal_underscores()
    }
}
