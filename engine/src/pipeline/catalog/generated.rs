//! The order generated columns are computed in: each after the generated columns its
//! expression reads, so one pass over the order computes a whole row. A loop (`b AS (c)`,
//! `c AS (b)`) has no order and is SQLite's error `generated column loop on "b"`.

use crate::error::Result;

use super::ColumnDef;

/// The positions of the generated columns of `columns`, each after those it reads.
pub fn generated_order(columns: &[ColumnDef]) -> Result<Vec<usize>> {
    // 0: not visited, 1: on the current path, 2: placed.
    let mut state = vec![0u8; columns.len()];
    let mut order = Vec::new();
    for start in 0..columns.len() {
        if columns[start].generated.is_some() && state[start] == 0 {
            place(columns, start, &mut state, &mut order)?;
        }
    }
    Ok(order)
}

/// Places `position` after the generated columns it reads (depth first; the depth is at
/// most the number of columns, which `limits::COLUMNS_MAX` bounds).
fn place(
    columns: &[ColumnDef],
    position: usize,
    state: &mut [u8],
    order: &mut Vec<usize>,
) -> Result<()> {
    let Some(generated) = &columns[position].generated else {
        return Ok(());
    };
    state[position] = 1;
    for read in generated.expr.columns_read() {
        match state.get(read) {
            Some(1) => {
                return Err(crate::err!(
                    InvalidInput,
                    "generated column loop on \"{}\"",
                    columns[read].name
                ))
            }
            Some(0) => place(columns, read, state, order)?,
            _ => {}
        }
    }
    state[position] = 2;
    order.push(position);
    Ok(())
}
