//! Parser for sqllogictest files: splits a file into records (statements, queries, control
//! lines) with their skipif/onlyif conditions, exactly as /work/shared/slt/README.md says.

/// How query values are ordered before they are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortMode {
    NoSort,
    RowSort,
    ValueSort,
}

/// What a query record expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// One value per line, in file order.
    Values(Vec<String>),
    /// `<N> values hashing to <md5>`.
    Hash { count: usize, md5: String },
}

/// A skipif/onlyif line in front of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    SkipIf(String),
    OnlyIf(String),
}

/// What one record asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Statement {
        expect_error: bool,
        sql: String,
    },
    Query {
        types: String,
        sort: SortMode,
        label: Option<String>,
        sql: String,
        expected: Expected,
    },
    HashThreshold(usize),
    Halt,
}

/// One record with its conditions and the line it starts on (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub conditions: Vec<Condition>,
    pub kind: RecordKind,
}

impl Record {
    /// Whether the record applies to the engine called `engine`.
    pub fn applies_to(&self, engine: &str) -> bool {
        self.applies_to_any(&[engine])
    }

    /// Whether the record runs on an engine that answers to any of `names`: no `skipif`
    /// names one of them, and every `onlyif` does.
    pub fn applies_to_any(&self, names: &[&str]) -> bool {
        let named = |name: &str| names.iter().any(|n| name.eq_ignore_ascii_case(n));
        self.conditions.iter().all(|c| match c {
            Condition::SkipIf(name) => !named(name),
            Condition::OnlyIf(name) => named(name),
        })
    }
}

/// Parses a whole file. Malformed records are reported as errors with their line number.
pub fn parse(text: &str) -> Result<Vec<Record>, String> {
    // Comments are removed first: they neither end a record nor count as lines.
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    let mut records = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].1.trim().is_empty() {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && !lines[i].1.trim().is_empty() {
            i += 1;
        }
        if let Some(record) = parse_record(&lines[start..i])? {
            records.push(record);
        }
    }
    Ok(records)
}

/// The directive tokens of a line, up to a `#` comment.
fn tokens(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .collect()
}

fn parse_record(block: &[(usize, &str)]) -> Result<Option<Record>, String> {
    let mut conditions = Vec::new();
    let mut at = 0;
    loop {
        let Some(&(line, text)) = block.get(at) else {
            return Ok(None);
        };
        let words = tokens(text);
        match words.as_slice() {
            ["skipif", engine, ..] => conditions.push(Condition::SkipIf(engine.to_string())),
            ["onlyif", engine, ..] => conditions.push(Condition::OnlyIf(engine.to_string())),
            ["statement", mode, ..] => {
                let expect_error = match *mode {
                    "ok" => false,
                    "error" => true,
                    other => return Err(format!("line {line}: unknown statement mode {other}")),
                };
                let sql = join_sql(&block[at + 1..]);
                let kind = RecordKind::Statement { expect_error, sql };
                return Ok(Some(Record {
                    line,
                    conditions,
                    kind,
                }));
            }
            ["query", types, rest @ ..] => {
                let kind = parse_query(line, types, rest, &block[at + 1..])?;
                return Ok(Some(Record {
                    line,
                    conditions,
                    kind,
                }));
            }
            ["hash-threshold", n, ..] => {
                let n = n
                    .parse()
                    .map_err(|_| format!("line {line}: bad hash-threshold {n}"))?;
                let kind = RecordKind::HashThreshold(n);
                return Ok(Some(Record {
                    line,
                    conditions,
                    kind,
                }));
            }
            ["halt", ..] => {
                let kind = RecordKind::Halt;
                return Ok(Some(Record {
                    line,
                    conditions,
                    kind,
                }));
            }
            _ => return Err(format!("line {line}: unknown record: {text}")),
        }
        at += 1;
    }
}

fn join_sql(lines: &[(usize, &str)]) -> String {
    let sql: Vec<&str> = lines.iter().map(|(_, l)| *l).collect();
    sql.join("\n")
}

fn parse_query(
    line: usize,
    types: &str,
    rest: &[&str],
    body: &[(usize, &str)],
) -> Result<RecordKind, String> {
    let mut sort = SortMode::NoSort;
    let mut label = None;
    for word in rest {
        match *word {
            "nosort" => sort = SortMode::NoSort,
            "rowsort" => sort = SortMode::RowSort,
            "valuesort" => sort = SortMode::ValueSort,
            other if label.is_none() => label = Some(other.to_string()),
            other => return Err(format!("line {line}: unexpected query option {other}")),
        }
    }
    let separator = body.iter().position(|(_, l)| l.trim_end() == "----");
    let (sql_lines, result_lines) = match separator {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, &body[..0]),
    };
    let values: Vec<String> = result_lines.iter().map(|(_, l)| l.to_string()).collect();
    let expected = match hash_line(&values) {
        Some((count, md5)) => Expected::Hash { count, md5 },
        None => Expected::Values(values.iter().map(|v| v.trim().to_string()).collect()),
    };
    Ok(RecordKind::Query {
        types: types.to_string(),
        sort,
        label,
        sql: join_sql(sql_lines),
        expected,
    })
}

/// Recognises `<N> values hashing to <md5>`.
fn hash_line(values: &[String]) -> Option<(usize, String)> {
    let [only] = values else { return None };
    let words: Vec<&str> = only.split_whitespace().collect();
    match words.as_slice() {
        [n, "values", "hashing", "to", md5] => Some((n.parse().ok()?, md5.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_records_conditions_and_comments() {
        let text = "hash-threshold 8\n\nstatement ok\nCREATE TABLE t(a INT)\n\n\
            skipif mysql # comment\nquery IT rowsort label-1\nSELECT a,\n# inside\n b FROM t\n\
            ----\n1\nx\n\nquery I nosort\nSELECT 1\n----\n3 values hashing to abc\n\n\
            onlyif sqlite\nhalt\n";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 5);
        assert_eq!(records[0].kind, RecordKind::HashThreshold(8));
        let RecordKind::Query {
            sql,
            label,
            sort,
            expected,
            ..
        } = &records[2].kind
        else {
            panic!("not a query")
        };
        assert_eq!(sql, "SELECT a,\n b FROM t");
        assert_eq!(label.as_deref(), Some("label-1"));
        assert_eq!(*sort, SortMode::RowSort);
        assert_eq!(*expected, Expected::Values(vec!["1".into(), "x".into()]));
        assert!(!records[2].applies_to("mysql"));
        assert!(records[2].applies_to("sqlite"));
        let RecordKind::Query { expected, .. } = &records[3].kind else {
            panic!()
        };
        assert_eq!(
            *expected,
            Expected::Hash {
                count: 3,
                md5: "abc".into()
            }
        );
        assert_eq!(records[4].kind, RecordKind::Halt);
        assert!(!records[4].applies_to("mysql"));
    }

    #[test]
    fn rejects_unknown_records() {
        assert!(parse("bogus line\n").is_err());
        assert!(parse("statement maybe\nSELECT 1\n").is_err());
    }
}
