//! Result output. For now sqlite3's `list` mode: values joined by `|`, NULL as empty, no
//! header.

use std::io::Write;

use ember::Value;

/// Writes rows in list mode.
pub fn write_list(out: &mut impl Write, rows: &[Vec<Value>]) -> std::io::Result<()> {
    for row in rows {
        let mut first = true;
        for value in row {
            if !first {
                out.write_all(b"|")?;
            }
            first = false;
            write!(out, "{value}")?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_mode_matches_sqlite() {
        let rows = vec![
            vec![Value::Integer(3), Value::Null],
            vec![Value::Integer(2), Value::Text("b".into())],
            vec![Value::Real(1.5), Value::Real(2.0)],
        ];
        let mut out = Vec::new();
        write_list(&mut out, &rows).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "3|\n2|b\n1.5|2.0\n");
    }
}
