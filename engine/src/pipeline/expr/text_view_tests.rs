//! Text views against the functions they stand for: substr(), upper(), lower() and
//! length() of the built text, and the byte order of the built texts.

use super::super::function::{call, Function};
use super::*;

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn view(s: &str) -> TextView<'static> {
    TextView::of_value(Cow::Owned(text(s))).expect("a text")
}

const TEXTS: [&str; 8] = [
    "",
    "k",
    "k5x",
    "K12345",
    "aé½Z",
    "é",
    "ab\u{1F600}cd",
    "MiXeD 9",
];

#[test]
fn substr_views_make_what_substr_makes() {
    let starts = [-9, -3, -1, 0, 1, 2, 3, 7, i64::from(i32::MAX)];
    let lengths = [None, Some(-4), Some(-1), Some(0), Some(1), Some(2), Some(9)];
    for source in TEXTS {
        for start in starts {
            for length in lengths {
                let mut args = vec![text(source), Value::Integer(start)];
                args.extend(length.map(Value::Integer));
                let want = call(Function::Substr, &args).unwrap();
                let got = view(source).substr(start, length);
                assert_eq!(
                    got.char_count() as i64,
                    match &want {
                        Value::Text(t) => t.chars().count() as i64,
                        other => panic!("{other:?}"),
                    }
                );
                assert_eq!(
                    got.into_value(),
                    want,
                    "substr({source:?}, {start}, {length:?})"
                );
            }
        }
    }
}

#[test]
fn case_mappings_nest_as_the_functions_do() {
    for source in TEXTS {
        let upper = call(Function::Upper, &[text(source)]).unwrap();
        let lower = call(Function::Lower, &[text(source)]).unwrap();
        assert_eq!(view(source).with_case(Case::Upper).into_value(), upper);
        assert_eq!(view(source).with_case(Case::Lower).into_value(), lower);
        // upper(lower(x)) is upper(x); substr of a mapped text is the mapped substr.
        let nested = call(Function::Upper, std::slice::from_ref(&lower)).unwrap();
        let mapped = view(source).with_case(Case::Lower).with_case(Case::Upper);
        assert_eq!(mapped.into_value(), nested);
        let substr_of_upper = call(Function::Substr, &[upper, Value::Integer(2)]).unwrap();
        let view_of = view(source).with_case(Case::Upper).substr(2, None);
        assert_eq!(view_of.into_value(), substr_of_upper);
    }
}

#[test]
fn views_order_as_their_texts() {
    let cases = [Case::AsIs, Case::Upper, Case::Lower];
    for a in TEXTS {
        for b in TEXTS {
            for (case_a, case_b) in cases
                .iter()
                .flat_map(|x| cases.iter().map(move |y| (*x, *y)))
            {
                let left = view(a).with_case(case_a).substr(2, None);
                let right = view(b).with_case(case_b);
                let (Value::Text(l), Value::Text(r)) =
                    (left.clone().into_value(), right.clone().into_value())
                else {
                    panic!("texts")
                };
                assert_eq!(
                    left.cmp_text(&right),
                    l.as_bytes().cmp(r.as_bytes()),
                    "{a} {b}"
                );
            }
        }
    }
    assert_eq!(view("k5").as_is(), Some("k5"));
    assert_eq!(view("k5").with_case(Case::Upper).as_is(), None);
    assert!(TextView::of_value(Cow::Owned(Value::Integer(5))).is_err());
}

/// The characters before the first NUL, counted the plain way.
fn chars_before_nul(text: &str) -> usize {
    text.chars().take_while(|&c| c != '\0').count()
}

#[test]
fn char_count_stops_at_the_first_nul() {
    let pieces = ["a", "é", "\u{1F600}", "\0", "Z9", "½"];
    // Texts of up to six pieces drawn by a fixed pseudo-random walk, short and repeated
    // long (past the word-wide ASCII test's eight bytes).
    let mut state = 0x2545_f491_u32;
    for _ in 0..4000 {
        let mut text = String::new();
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let count = 1 + state as usize % 6;
        for at in 0..count {
            text.push_str(pieces[(state as usize >> (3 * at)) % pieces.len()]);
        }
        for repeat in [1, 5, 12] {
            let long = text.repeat(repeat);
            assert_eq!(char_count(&long), chars_before_nul(&long), "{long:?}");
        }
    }
    let ascii = "x".repeat(40);
    assert_eq!(char_count(&ascii), 40);
    assert_eq!(char_count(&format!("{ascii}\0y")), 40);
}
