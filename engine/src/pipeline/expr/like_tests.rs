//! Tests of LIKE and GLOB matching (`like.rs`): fixed cases, the prepared patterns against
//! the token matcher over every short pattern and text, and the substring search against a
//! naive scan.

use super::*;

fn l(text: &str, pattern: &str) -> bool {
    like(text, pattern, None).unwrap()
}

fn g(text: &str, pattern: &str) -> bool {
    glob(text, pattern).unwrap()
}

#[test]
fn like_wildcards_and_case() {
    assert!(l("abc", "abc"));
    assert!(l("ABC", "abc"));
    assert!(l("abc", "a%"));
    assert!(l("abc", "%c"));
    assert!(l("abc", "%b%"));
    assert!(l("abc", "a_c"));
    assert!(l("", "%"));
    assert!(l("abc", "%%%"));
    assert!(!l("abc", "a_"));
    assert!(!l("abc", "abcd"));
    assert!(!l("", "_"));
    assert!(l("aXbXc", "%b%c"));
    assert!(l("mississippi", "%iss%ppi"));
    assert!(!l("mississippi", "%iss%ppx"));
    // Only ASCII folds case, as in SQLite without ICU.
    assert!(!l("É", "é"));
    assert!(l("é", "_"));
}

#[test]
fn like_escape() {
    assert!(like("a%c", "a\\%c", Some('\\')).unwrap());
    assert!(!like("abc", "a\\%c", Some('\\')).unwrap());
    assert!(like("a_c", "a#_c", Some('#')).unwrap());
    assert!(!like("abc", "a#_c", Some('#')).unwrap());
    // The escape character itself may be a wildcard character.
    assert!(like("a%", "a%%", Some('%')).unwrap());
    assert!(!like("ab", "a%%", Some('%')).unwrap());
    // A trailing escape character matches nothing.
    assert!(!like("a", "a\\", Some('\\')).unwrap());
}

#[test]
fn glob_wildcards_and_classes() {
    assert!(g("abc", "a*"));
    assert!(!g("ABC", "a*"));
    assert!(g("abc", "?b?"));
    assert!(g("abc", "[a-c]bc"));
    assert!(!g("dbc", "[a-c]bc"));
    assert!(g("dbc", "[^a-c]bc"));
    assert!(g("]", "[]]"));
    assert!(g("-", "[a-]"));
    assert!(g("a", "[a-]"));
    assert!(!g("a", "[abc"));
    assert!(g("a*c", "a[*]c"));
    assert!(!g("abc", "a[*]c"));
    assert!(g("x", "*"));
    // Wildcards take whole characters of several bytes.
    assert!(g("éa", "?a"));
    assert!(g("aéb", "a?b"));
    assert!(!g("é", "??"));
    assert!(g("xéé", "*é"));
    assert!(g("k1é9", "k1*9"));
    assert!(g("é", "[à-ê]"));
}

/// `like` agrees with the token matcher on every pattern and text of up to 4
/// characters over an alphabet of letters in both cases, a non-ASCII letter, both
/// wildcards and an escape character, with and without ESCAPE.
#[test]
fn like_agrees_with_the_token_matcher() {
    let alphabet = ['a', 'A', 'b', 'é', '%', '_', '\\'];
    let strings = |max: usize| {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    };
    let (patterns, texts) = (strings(4), strings(3));
    let mut checked = 0;
    for escape in [None, Some('\\'), Some('%')] {
        for pattern in &patterns {
            let reference = compile_like(pattern, escape);
            let prepared = Pattern::like(pattern, escape).unwrap();
            for text in &texts {
                let expected = reference
                    .as_ref()
                    .is_some_and(|tokens| matches(text, tokens, true));
                assert_eq!(
                    like(text, pattern, escape).unwrap(),
                    expected,
                    "{text:?} LIKE {pattern:?} ESCAPE {escape:?}"
                );
                assert_eq!(
                    prepared.matches(text),
                    expected,
                    "prepared: {text:?} LIKE {pattern:?} ESCAPE {escape:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1_000_000);
}

/// Prepared patterns cut into runs (`_` and several `%`) agree with the token matcher
/// over longer patterns and texts than the exhaustive test reaches.
#[test]
fn runs_agree_with_the_token_matcher_on_longer_texts() {
    let patterns = [
        "k%1_3%",
        "%1_3%",
        "k%1_3",
        "%a_b%c_d%",
        "__%__",
        "%_é_%",
        "a%a%a%a",
        "%ab_%ab_",
        "_%_%_",
        "%k_",
        "k_%",
        "é_é",
        "%%_%%",
        "a_c",
        "%b_",
        "x%y_z%y",
    ];
    let texts = [
        "",
        "k",
        "k123",
        "k1x3",
        "K9913",
        "kaaa1b3",
        "abcd",
        "xabxcxdx",
        "aXbYcZdW",
        "ééé",
        "aéébé",
        "aaaa",
        "aaa",
        "ab_ab_",
        "abxabyabz",
        "k13",
        "k1é3",
        "xyzyz",
        "xayazy",
        "1234567890",
        "k1_3k1_3",
    ];
    for pattern in patterns {
        let reference = compile_like(pattern, None).unwrap();
        let prepared = Pattern::like(pattern, None).unwrap();
        for text in texts {
            assert_eq!(
                prepared.matches(text),
                matches(text, &reference, true),
                "{text:?} LIKE {pattern:?}"
            );
        }
    }
}

/// The `%body%` search (by a candidate byte, or by `memmem` for a prepared body with
/// no letter) finds what a scan of every start finds, on texts long enough for the
/// vectorized searches to take whole blocks, with matches at the ends, in the middle,
/// overlapping, in either case and beside multi-byte characters.
#[test]
fn contains_search_agrees_with_a_naive_scan() {
    let naive = |text: &[u8], body: &[u8]| {
        body.is_empty()
            || text
                .windows(body.len())
                .any(|window| window.eq_ignore_ascii_case(body))
    };
    let bodies = [
        "1-2", "é", "aB", "a1", "7é", "1-2-1", "zz", "éa", "-", "Q9Q",
    ];
    let filler = "xé-Ab1-2-1".repeat(9);
    let mut texts = vec![String::new(), filler.clone()];
    for body in bodies {
        for place in [0, 7, filler.len()] {
            let mut text = filler.clone();
            while !text.is_char_boundary(place.min(text.len())) {
                text.push('x');
            }
            text.insert_str(place.min(text.len()), &body.to_ascii_uppercase());
            texts.push(text);
        }
    }
    for body in bodies {
        let prepared = Pattern::like(&format!("%{body}%"), None).unwrap();
        for text in &texts {
            let expected = naive(text.as_bytes(), body.as_bytes());
            assert_eq!(
                contains_ignoring_ascii_case(text.as_bytes(), body.as_bytes()),
                expected,
                "{text:?} contains {body:?}"
            );
            assert_eq!(prepared.matches(text), expected, "{text:?} LIKE %{body}%");
        }
    }
}

#[test]
fn long_patterns_are_refused() {
    let pattern = "%".repeat(LIKE_PATTERN_BYTES_MAX + 1);
    assert!(like("a", &pattern, None).is_err());
    assert!(Pattern::like(&pattern, None).is_err());
    assert!(glob("a", &pattern).is_err());
    assert!(Pattern::glob(&pattern).is_err());
}

/// A prepared GLOB pattern answers what `glob` answers, over patterns with every
/// wildcard and class form (unterminated ones too) and texts of both cases.
#[test]
fn prepared_glob_agrees_with_glob() {
    let patterns = [
        "", "*", "?", "a*", "*a", "*b*", "a?c", "[a-c]*", "[^a]?", "[]]", "[a-]", "[abc", "A*",
        "*é", "a[*]c", "??", "*?*",
    ];
    let texts = [
        "", "a", "A", "abc", "ABC", "ba", "é", "aé", "]", "-", "a*c", "xyz",
    ];
    for pattern in patterns {
        let prepared = Pattern::glob(pattern).unwrap();
        for text in texts {
            assert_eq!(
                prepared.matches(text),
                glob(text, pattern).unwrap(),
                "{text:?} GLOB {pattern:?}"
            );
        }
    }
}
