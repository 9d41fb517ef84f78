//! A window frame's `EXCLUDE NO OTHERS | CURRENT ROW | GROUP | TIES`, which sqlparser does
//! not parse: before parsing, the clause is removed from the SQL text and, unless it is
//! `NO OTHERS`, recorded as one more ORDER BY term of the same window, a quoted identifier
//! starting with `FRAME_EXCLUDE_MARKER` that `bind/window.rs` takes back off. An EXCLUDE
//! that does not follow a frame (`ROWS`, `RANGE`, `GROUPS` inside the same parentheses) is
//! left alone, so the parser reports it as the syntax error it is.

use sqlparser::tokenizer::Token;

use super::token_scan::TokenScan;

/// How the recorded ORDER BY term's identifier starts; the exclusion follows it
/// (`current row`, `group` or `ties`).
pub(crate) const FRAME_EXCLUDE_MARKER: &str = "\u{1}ember-exclude:";

/// `sql` with every frame EXCLUDE clause rewritten, or `None` when there is none.
pub(super) fn rewrite_frame_exclusions(sql: &str) -> Option<String> {
    let scan = TokenScan::of_sql_containing(sql, "exclude")?;
    let (tokens, significant) = (&scan.tokens, &scan.significant);
    let word = |at: usize, keyword: &str| scan.word(at, keyword);
    // Token index -> text to insert before it; token indexes to drop.
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    for at in 0..significant.len() {
        if !word(at, "exclude") {
            continue;
        }
        let (kind, length) = if word(at + 1, "no") && word(at + 2, "others") {
            (None, 3)
        } else if word(at + 1, "current") && word(at + 2, "row") {
            (Some("current row"), 3)
        } else if word(at + 1, "group") {
            (Some("group"), 2)
        } else if word(at + 1, "ties") {
            (Some("ties"), 2)
        } else {
            continue;
        };
        let Some((units, has_order_by)) = frame_before(tokens, significant, at) else {
            continue;
        };
        if !scan.is(at + length, &Token::RParen) {
            continue;
        }
        dropped.extend(significant[at..at + length].iter().copied());
        if let Some(kind) = kind {
            let separator = if has_order_by { ", " } else { "ORDER BY " };
            inserts.push((
                significant[units],
                format!("{separator}\"{FRAME_EXCLUDE_MARKER}{kind}\" "),
            ));
        }
    }
    if dropped.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + 64);
    for (index, token) in tokens.iter().enumerate() {
        for (_, text) in inserts.iter().filter(|(before, _)| *before == index) {
            out.push_str(text);
        }
        if !dropped.contains(&index) {
            out.push_str(&token.to_string());
        }
    }
    Some(out)
}

/// For an EXCLUDE at significant position `at`: the significant position of the frame's
/// units keyword inside the same parentheses, and whether an ORDER BY comes before it.
fn frame_before(tokens: &[Token], significant: &[usize], at: usize) -> Option<(usize, bool)> {
    let mut depth = 0usize;
    let mut units = None;
    for position in (0..at).rev() {
        match &tokens[significant[position]] {
            Token::RParen => depth += 1,
            Token::LParen if depth == 0 => {
                let units = units?;
                let has_order_by = (position + 1..units).any(|p| {
                    matches!(&tokens[significant[p]], Token::Word(w) if w.quote_style.is_none()
                        && w.value.eq_ignore_ascii_case("order"))
                });
                return Some((units, has_order_by));
            }
            Token::LParen => depth -= 1,
            Token::Word(w)
                if depth == 0
                    && w.quote_style.is_none()
                    && units.is_none()
                    && ["rows", "range", "groups"]
                        .iter()
                        .any(|keyword| w.value.eq_ignore_ascii_case(keyword)) =>
            {
                units = Some(position);
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rewritten text with runs of whitespace made single spaces.
    fn rewritten(sql: &str) -> Option<String> {
        rewrite_frame_exclusions(sql)
            .map(|out| out.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    #[test]
    fn exclusions_become_order_by_markers() {
        let sql = "SELECT sum(x) OVER (ORDER BY x ROWS 1 PRECEDING EXCLUDE TIES) FROM t";
        assert_eq!(
            rewritten(sql).unwrap(),
            format!(
                "SELECT sum(x) OVER (ORDER BY x , \"{FRAME_EXCLUDE_MARKER}ties\" ROWS 1 \
                 PRECEDING ) FROM t"
            )
        );
        let sql = "SELECT sum(x) OVER (PARTITION BY (a) GROUPS CURRENT ROW exclude current row)";
        let out = rewritten(sql).unwrap();
        assert!(out.contains(&format!(
            "ORDER BY \"{FRAME_EXCLUDE_MARKER}current row\" GROUPS"
        )));
        let sql = "SELECT sum(x) OVER (ROWS UNBOUNDED PRECEDING EXCLUDE NO OTHERS)";
        assert_eq!(
            rewritten(sql).unwrap(),
            "SELECT sum(x) OVER (ROWS UNBOUNDED PRECEDING )"
        );
    }

    #[test]
    fn other_excludes_are_left_alone() {
        assert_eq!(rewrite_frame_exclusions("SELECT 1"), None);
        assert_eq!(rewrite_frame_exclusions("SELECT exclude FROM t"), None);
        assert_eq!(
            rewrite_frame_exclusions("SELECT avg(x) OVER (ORDER BY x EXCLUDE GROUP) FROM t"),
            None
        );
    }
}
