//! The leading decimal digits of a double exactly as SQLite (3.54) computes them, so REAL to
//! TEXT gives SQLite's text to the last digit. SQLite does not compute correctly rounded
//! digits: it multiplies the double's 64-bit mantissa by the top 64 bits of a power of ten
//! (tabulated for 10^0..10^26, and built from a coarser table of every 27th power times one
//! of those for the rest), keeps the high word, and rounds on one extra bit. For 1/9 that
//! gives 0.111111111111111104 where the exact value 0.11111111111111110494.. rounds to
//! ..105, so SQLite prints 0.1111111111111111 and a correctly rounded conversion
//! 0.11111111111111111. The tables are the powers of ten, normalized so the top bit is set.
//! round() and printf's real conversions (engine's `expr/round_decimal.rs`) build on the
//! same digits and powers.

/// 10^p for p in 0..=26, shifted so its highest bit is bit 63 (exact).
const POWERS_BASE: [u64; 27] = [
    0x8000000000000000,
    0xa000000000000000,
    0xc800000000000000,
    0xfa00000000000000,
    0x9c40000000000000,
    0xc350000000000000,
    0xf424000000000000,
    0x9896800000000000,
    0xbebc200000000000,
    0xee6b280000000000,
    0x9502f90000000000,
    0xba43b74000000000,
    0xe8d4a51000000000,
    0x9184e72a00000000,
    0xb5e620f480000000,
    0xe35fa931a0000000,
    0x8e1bc9bf04000000,
    0xb1a2bc2ec5000000,
    0xde0b6b3a76400000,
    0x8ac7230489e80000,
    0xad78ebc5ac620000,
    0xd8d726b7177a8000,
    0x878678326eac9000,
    0xa968163f0a57b400,
    0xd3c21bcecceda100,
    0x84595161401484a0,
    0xa56fa5b99019a5c8,
];

/// 10^(27 (g - 13)) for g in 0..26 (10^-1 at g = 13), top 64 bits, rounded.
const POWERS_SCALE: [u64; 26] = [
    0x8049a4ac0c5811ae,
    0xcf42894a5dce35ea,
    0xa76c582338ed2621,
    0x873e4f75e2224e68,
    0xda7f5bf590966848,
    0xb080392cc4349dec,
    0x8e938662882af53e,
    0xe65829b3046b0afa,
    0xba121a4650e4ddeb,
    0x964e858c91ba2655,
    0xf2d56790ab41c2a2,
    0xc428d05aa4751e4c,
    0x9e74d1b791e07e48,
    0xcccccccccccccccc,
    0xcecb8f27f4200f3a,
    0xa70c3c40a64e6c51,
    0x86f0ac99b4e8dafd,
    0xda01ee641a708de9,
    0xb01ae745b101e9e4,
    0x8e41ade9fbebc27d,
    0xe5d3ef282a242e81,
    0xb9a74a0637ce2ee1,
    0x95f83d0a1fb69cd9,
    0xf24a01a73cf2dccf,
    0xc3b8358109e84f07,
    0x9e19db92b4e31ba9,
];

/// The next 32 bits of each `POWERS_SCALE` entry.
const POWERS_SCALE_LOW: [u32; 26] = [
    0x205b896d, 0x52064cad, 0xaf2af2b8, 0x5a7744a7, 0xaf39a475, 0xbd8d794e, 0x547eb47b, 0x0cb4a5a3,
    0x92f34d62, 0x3a6a07f9, 0xfae27299, 0xaa97e14c, 0x775ea265, 0xcccccccc, 0x00000000, 0x999090b6,
    0x69a028bb, 0xe80e6f48, 0x5ec05dd0, 0x14588f14, 0x8f1668c9, 0x6d953e2c, 0x4abdaf10, 0xbc633b39,
    0x0a862f81, 0x6c07a2c2,
];

/// The powers of ten the tables reach.
pub const POWERS_FIRST: i32 = -348;
pub const POWERS_LAST: i32 = 347;

/// The top 64 bits of 10^p (p in `POWERS_FIRST..=POWERS_LAST`), normalized to bit 63, and
/// the 32 bits after them, as SQLite's `powerOfTen` builds them (its round() reads the low
/// word back too: `engine/src/pipeline/expr/round_decimal.rs`).
pub fn power_of_ten(p: i32) -> (u64, u32) {
    debug_assert!((POWERS_FIRST..=POWERS_LAST).contains(&p));
    let (group, rest) = match p {
        -1 => return (POWERS_SCALE[13], POWERS_SCALE_LOW[13]),
        0..=26 => return (POWERS_BASE[p as usize], 0),
        _ if p < 0 && p % 27 != 0 => (p / 27 - 1, p % 27 + 27),
        _ => (p / 27, p % 27),
    };
    let index = (group + 13).clamp(0, POWERS_SCALE.len() as i32 - 1) as usize;
    let scale = POWERS_SCALE[index];
    if rest == 0 {
        return (scale, POWERS_SCALE_LOW[index]);
    }
    // The upper 96 bits of (scale:low) x base, of which the top 64 are kept.
    let base = u128::from(POWERS_BASE[rest as usize]);
    let mut product = u128::from(scale) * base;
    product += (u128::from(POWERS_SCALE_LOW[index]) * base) >> 32;
    let high = (product >> 64) as u64;
    let middle = (product >> 32) as u32;
    if high & (1 << 63) == 0 {
        (high << 1 | u64::from(middle >> 31), middle << 1 | 1)
    } else {
        (high, middle)
    }
}

/// floor(log2(10^p)), SQLite's approximation (exact over the tables' range).
pub fn log2_of_power_of_ten(p: i32) -> i32 {
    (p * 108_853) >> 15
}

/// floor(log10(2^e)), SQLite's approximation.
pub fn log10_of_power_of_two(e: i32) -> i32 {
    (e * 78_913) >> 18
}

/// `value >> amount` as C computes it for amounts 0..=63, and 0 past that.
pub fn shift_right(value: u64, amount: i32) -> u64 {
    debug_assert!((0..64).contains(&amount), "shift by {amount}");
    u32::try_from(amount)
        .ok()
        .and_then(|amount| value.checked_shr(amount))
        .unwrap_or(0)
}

/// `count` (1..=18) leading decimal digits of a positive finite double as SQLite's
/// `sqlite3FpDecode` computes them: the digits as an integer `d` and the power of ten `p`
/// with value ~ d x 10^p. With 18 digits the last one is rounded on one extra bit; with
/// fewer it is truncated. `d` has `count` digits, or `count + 1` when rounding carried.
pub fn leading_digits(r: f64, count: i32) -> (u64, i32) {
    debug_assert!(r > 0.0 && r.is_finite() && (1..=18).contains(&count));
    let bits = r.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & 0x000f_ffff_ffff_ffff;
    let (mantissa, exponent) = if biased == 0 {
        let shift = fraction.leading_zeros() as i32;
        (fraction << shift, -1074 - shift)
    } else {
        (fraction << 11 | 1 << 63, biased - 1086)
    };
    let p = count - 1 - log10_of_power_of_two(exponent + 63);
    let high = ((u128::from(mantissa) * u128::from(power_of_ten(p).0)) >> 64) as u64;
    let shift = -(exponent + log2_of_power_of_ten(p) + 1);
    let digits = if count == 18 {
        let high = shift_right(high, shift - 1);
        high.wrapping_add((high << 1) & 2) >> 1
    } else {
        shift_right(high, shift)
    };
    (digits, -p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_powers_of_ten_are_exact_and_the_built_ones_are_close() {
        assert_eq!(power_of_ten(0), (1 << 63, 0));
        assert_eq!(power_of_ten(3), (1000 << 54, 0));
        // 10^27 = 0xcecb8f27f4200f3a.. x 2^26 (exactly ..3a5a6 ..).
        assert_eq!(power_of_ten(27).0, 0xcecb8f27f4200f3a);
        // Built from a scale entry and a base entry: within one unit of the true top bits.
        let true_top_of_1e30: u64 = 0xc9f2c9cd04674ede;
        assert!(power_of_ten(30).0.abs_diff(true_top_of_1e30) <= 1);
    }

    #[test]
    fn eighteen_digits_as_sqlite_computes_them() {
        assert_eq!(leading_digits(1.0, 18), (100_000_000_000_000_000, -17));
        // One digit more where the power-of-ten estimate falls short (SQLite keeps it).
        assert_eq!(
            leading_digits(1.0 / 9.0, 18),
            (1_111_111_111_111_111_049, -19)
        );
        assert_eq!(
            leading_digits(1.0 / 3.0, 18),
            (333_333_333_333_333_315, -18)
        );
        assert_eq!(leading_digits(1.0 / 3.0, 16).0 / 10, 333_333_333_333_333);
        assert!(leading_digits(5e-324, 18).0 > 0);
    }
}
