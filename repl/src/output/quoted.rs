//! The modes that print values as SQL literals, as sqlite3's do: quote (`1,'it''s',NULL,X'00'`
//! per row) and insert (`INSERT INTO t VALUES(..);` per row, so the output loads back).
//! Literals are `.dump`'s: reals in the shortest text that reads back the same.

use std::io::{self, Write};

use ember::Value;

use crate::dump::{literal, quote_identifier};

/// `name` as sqlite3 writes a table or column name in insert mode: bare when it is a plain
/// identifier and not a keyword, else in double quotes.
pub fn identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let keyword = crate::helper::KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(name));
    if plain && !keyword {
        name.to_string()
    } else {
        quote_identifier(name)
    }
}

fn literals(row: &[Value]) -> String {
    row.iter().map(literal).collect::<Vec<_>>().join(",")
}

pub fn write_quote(
    out: &mut dyn Write,
    headers: bool,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if headers {
        let names: Vec<String> = columns
            .iter()
            .map(|name| literal(&Value::Text(name.clone())))
            .collect();
        writeln!(out, "{}", names.join(","))?;
    }
    for row in rows {
        writeln!(out, "{}", literals(row))?;
    }
    Ok(())
}

pub fn write_insert(
    out: &mut dyn Write,
    headers: bool,
    table: &str,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let target = identifier(table);
    let names = if headers {
        let names: Vec<String> = columns.iter().map(|name| identifier(name)).collect();
        format!("({})", names.join(","))
    } else {
        String::new()
    };
    for row in rows {
        writeln!(
            out,
            "INSERT INTO {target}{names} VALUES({});",
            literals(row)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::render;
    use super::super::Mode;
    use super::*;

    fn rows() -> Vec<Vec<Value>> {
        vec![
            vec![Value::Integer(1), Value::Text("it's".into())],
            vec![Value::Real(1.5), Value::Null],
            vec![Value::Blob(vec![0, 255]), Value::Text("a\nb".into())],
        ]
    }

    #[test]
    fn quote_mode_writes_sql_literals() {
        assert_eq!(
            render(Mode::Quote, true, &rows()),
            "'id','name'\n1,'it''s'\n1.5,NULL\nX'00ff','a\nb'\n"
        );
    }

    #[test]
    fn insert_mode_writes_statements_that_load_back() {
        assert_eq!(
            render(Mode::Insert, false, &rows()[..2]),
            "INSERT INTO \"table\" VALUES(1,'it''s');\nINSERT INTO \"table\" VALUES(1.5,NULL);\n"
        );
        let mut out = Vec::new();
        write_insert(
            &mut out,
            true,
            "my table",
            &["id".into(), "select".into()],
            &rows()[..1],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "INSERT INTO \"my table\"(id,\"select\") VALUES(1,'it''s');\n"
        );
    }
}
