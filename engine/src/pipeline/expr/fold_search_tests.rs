//! Tests of the packed-pair substring search (`fold_search.rs`) against a naive scan, over
//! generated texts and needles: ASCII letters in both cases, the bytes that differ from a
//! letter only in bit 0x20 (`@`, `` ` ``, `[`, `{`), zero and borrow-prone bytes, and
//! multi-byte characters whose cases do not fold.

use super::*;

/// The naive answer: every start in order, the whole needle compared.
fn naive(haystack: &[u8], needle: &[u8], fold_case: bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|window| {
        if fold_case {
            window.eq_ignore_ascii_case(needle)
        } else {
            window == needle
        }
    })
}

/// Pieces texts and needles are made of (characters, so every text is UTF-8).
const PIECES: [&str; 16] = [
    "s", "S", "o", "O", "n", "@", "`", "[", "{", "\0", "\u{1}", "é", "É", "ß", "1", ".",
];

/// A small deterministic generator (xorshift64).
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn text(&mut self, pieces: usize) -> String {
        let alphabet = 1 + self.below(PIECES.len());
        (0..pieces).map(|_| PIECES[self.below(alphabet)]).collect()
    }
}

#[test]
fn finds_what_a_naive_scan_finds() {
    let mut generator = Generator(0x9E37_79B9_7F4A_7C15);
    let mut found = 0;
    for _ in 0..60_000 {
        let haystack_pieces = generator.below(48);
        let haystack = generator.text(haystack_pieces);
        let needle_pieces = generator.below(7);
        let needle = if needle_pieces > 0 && generator.below(3) == 0 && !haystack.is_empty() {
            // A piece of the text itself, with its case perhaps changed.
            let chars: Vec<char> = haystack.chars().collect();
            let from = generator.below(chars.len());
            let to = (from + needle_pieces).min(chars.len());
            let piece: String = chars[from..to].iter().collect();
            if generator.below(2) == 0 {
                piece.to_ascii_uppercase()
            } else {
                piece
            }
        } else {
            generator.text(needle_pieces)
        };
        for fold_case in [true, false] {
            let want = naive(haystack.as_bytes(), needle.as_bytes(), fold_case);
            let got = find(haystack.as_bytes(), needle.as_bytes(), fold_case);
            assert_eq!(got, want, "{haystack:?} {needle:?} fold {fold_case}");
            let prepared = Finder::new(needle.as_bytes(), fold_case).find(haystack.as_bytes());
            assert_eq!(
                prepared, want,
                "prepared: {haystack:?} {needle:?} fold {fold_case}"
            );
            found += usize::from(want.is_some());
        }
    }
    // The generated cases must hold matches as well as misses.
    assert!(found > 20_000, "{found}");
}

#[test]
fn fixed_cases() {
    let cases: [(&str, &str, bool, Option<usize>); 14] = [
        ("james.johnson1@example.com", "son", true, Some(10)),
        ("JAMES.JOHNSON1@EXAMPLE.COM", "son", true, Some(10)),
        ("JAMES.JOHNSON1@EXAMPLE.COM", "son", false, None),
        ("sssssssssssssssssssssssson", "son", true, Some(23)),
        ("sssssssssssssssssssssssssn", "son", true, None),
        ("a@b", "`", true, None),
        ("a@b", "@", true, Some(1)),
        ("[x]", "{X}", true, None),
        ("short", "longer than the text", true, None),
        ("", "", true, Some(0)),
        ("abc", "", false, Some(0)),
        ("ÉCOLE école", "école", true, Some(7)),
        ("ÉCOLE", "école", true, None),
        (
            "\u{1}\0\u{1}\0\u{1}\0\u{1}\0\u{1}\0",
            "\0\u{1}",
            false,
            Some(1),
        ),
    ];
    for (haystack, needle, fold_case, want) in cases {
        let got = find(haystack.as_bytes(), needle.as_bytes(), fold_case);
        assert_eq!(got, want, "{haystack:?} {needle:?} fold {fold_case}");
        let prepared = Finder::new(needle.as_bytes(), fold_case).find(haystack.as_bytes());
        assert_eq!(
            prepared, want,
            "prepared: {haystack:?} {needle:?} fold {fold_case}"
        );
    }
}
