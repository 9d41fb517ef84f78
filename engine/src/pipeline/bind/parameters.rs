//! Parameter numbering as SQLite does it, in the order placeholders appear in the text: `?`
//! takes the largest index so far plus one; `?NNN` (and EmberDB's `$NNN`) takes index NNN;
//! a named parameter (`:name`, `@name`, `$name`) takes the index of an earlier use of the
//! same name (prefix included), else the largest so far plus one. The binder looks each
//! placeholder up by its position in the text.

use std::collections::HashMap;

use sqlparser::ast::{self, Statement};

use crate::error::{unsupported, Result};
use crate::limits::PARAMETERS_MAX;

/// The slot of every placeholder of one statement, and the slots' names.
#[derive(Debug, Default)]
pub struct ParameterMap {
    /// (line, column) of a placeholder -> its 0-based slot.
    slots: HashMap<(u64, u64), usize>,
    /// The name of each slot (`:id`, `?3`); `None` for slots only `?` uses.
    pub names: Vec<Option<Box<str>>>,
}

impl ParameterMap {
    /// The slot of the placeholder that starts at `location`.
    pub fn slot(&self, location: (u64, u64)) -> Option<usize> {
        self.slots.get(&location).copied()
    }
}

/// Numbers the placeholders of `statement` in text order.
pub fn number_parameters(statement: &Statement) -> Result<ParameterMap> {
    let mut placeholders = Vec::new();
    let _ = crate::ast_visit::exprs(statement, |expr| {
        if let ast::Expr::Value(value) = expr {
            if let ast::Value::Placeholder(name) = &value.value {
                let start = value.span.start;
                placeholders.push(((start.line, start.column), name.clone()));
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    placeholders.sort_by_key(|(location, _)| *location);
    placeholders.dedup_by_key(|(location, _)| *location);
    let mut map = ParameterMap::default();
    for (location, name) in placeholders {
        let slot = slot_of(&mut map.names, &name)?;
        map.slots.insert(location, slot);
    }
    Ok(map)
}

/// The slot `name` takes given the slots named so far (`names`, grown as needed).
fn slot_of(names: &mut Vec<Option<Box<str>>>, name: &str) -> Result<usize> {
    let numbered = name
        .strip_prefix('?')
        .or_else(|| name.strip_prefix('$'))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    let slot = if name == "?" {
        names.len()
    } else if let Some(digits) = numbered {
        match digits.parse::<usize>() {
            Ok(n) if (1..=PARAMETERS_MAX).contains(&n) => n - 1,
            _ => {
                return Err(crate::err!(
                    Limit,
                    "parameter {name}: the number must be between 1 and {PARAMETERS_MAX}"
                ))
            }
        }
    } else if name.len() > 1 && matches!(name.as_bytes()[0], b':' | b'@' | b'$') {
        match names.iter().position(|n| n.as_deref() == Some(name)) {
            Some(slot) => slot,
            None => names.len(),
        }
    } else {
        return Err(unsupported(format!(
            "parameter {name} (use ?, ?NNN, :name, @name or $name)"
        )));
    };
    if slot >= PARAMETERS_MAX {
        return Err(crate::err!(
            Limit,
            "more than {PARAMETERS_MAX} parameters in one statement"
        ));
    }
    if slot >= names.len() {
        names.resize(slot + 1, None);
    }
    if name != "?" && names[slot].is_none() {
        names[slot] = Some(name.into());
    }
    Ok(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(sql: &str) -> Vec<usize> {
        let parsed = crate::parse::parse_statements(sql).unwrap();
        let map = number_parameters(&parsed[0]).unwrap();
        let mut slots: Vec<_> = map.slots.into_iter().collect();
        slots.sort();
        slots.into_iter().map(|(_, slot)| slot + 1).collect()
    }

    #[test]
    fn numbers_follow_sqlite() {
        assert_eq!(numbered("SELECT ?, ?, ?"), [1, 2, 3]);
        assert_eq!(numbered("SELECT ?5, ?"), [5, 6]);
        assert_eq!(numbered("SELECT :a, @a, $a, :a, ?"), [1, 2, 3, 1, 4]);
        assert_eq!(numbered("SELECT ?2, :x, ?1"), [2, 3, 1]);
        assert_eq!(
            numbered("SELECT CASE WHEN ? THEN :a ELSE ? END, :a"),
            [1, 2, 3, 2]
        );
    }

    #[test]
    fn names_of_slots() {
        let parsed = crate::parse::parse_statements("SELECT ?, :id, ?3, :id").unwrap();
        let map = number_parameters(&parsed[0]).unwrap();
        let names: Vec<_> = map.names.iter().map(|n| n.as_deref()).collect();
        assert_eq!(names, [None, Some(":id"), Some("?3")]);
    }

    #[test]
    fn out_of_range_numbers_are_errors() {
        for sql in ["SELECT ?0", "SELECT ?99999999999999999999999"] {
            let parsed = crate::parse::parse_statements(sql).unwrap();
            let error = number_parameters(&parsed[0]).unwrap_err();
            assert!(error.to_string().contains("between 1 and"), "{error}");
        }
    }
}
