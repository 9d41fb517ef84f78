//! Benchmark data: the rows every engine loads, a small deterministic PRNG, and a
//! YCSB-style Zipfian key generator (no external `rand` dependency, so every engine sees
//! exactly the same keys). Rows hold what real data holds: people's names and e-mail
//! addresses (`names.rs`) and arbitrary doubles (every mantissa bit used).

use crate::names;

/// One row of the benchmark table `t(id, name, email, age, score)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub age: i64,
    pub score: f64,
}

impl Person {
    /// The row with primary key `id` (deterministic).
    pub fn new(id: i64) -> Person {
        Person {
            id,
            name: names::person_name(id),
            email: names::email(id),
            age: Person::age_of(id),
            score: Person::score_of(id),
        }
    }

    /// The `score` of row `id`: an arbitrary double in [0, 1000) from a hash of the key.
    pub fn score_of(id: i64) -> f64 {
        unit_double(crate::tables::mix(id as u64 ^ 0x5C0E)) * 1000.0
    }

    /// The `age` of row `id`, without building the row (the selects check every answer,
    /// and formatting two strings per check would cost more than some engines' select).
    pub fn age_of(id: i64) -> i64 {
        18 + (id * 7) % 60
    }

    /// Raw payload size: 8 bytes per integer/real plus the text bytes.
    pub fn payload_bytes(&self) -> usize {
        8 + self.name.len() + self.email.len() + 8 + 8
    }
}

/// Average raw payload bytes per row over ids `1..=rows`.
pub fn payload_bytes_per_row(rows: usize) -> f64 {
    if rows == 0 {
        return 0.0;
    }
    let total: usize = (1..=rows as i64)
        .map(|id| Person::new(id).payload_bytes())
        .sum();
    total as f64 / rows as f64
}

/// A double in [0, 1) from the top 53 bits of `bits` (every mantissa bit random).
pub fn unit_double(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// SplitMix64: tiny, fast, good enough to spread benchmark keys.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        unit_double(self.next_u64())
    }

    /// A key in `1..=rows` (uniform).
    pub fn key(&mut self, rows: usize) -> i64 {
        (self.next_u64() % rows.max(1) as u64) as i64 + 1
    }
}

/// Zipfian keys over `1..=items` with skew `theta` (Gray et al., as in YCSB), scrambled so
/// the hot keys are spread over the key space.
#[derive(Debug, Clone)]
pub struct Zipfian {
    items: u64,
    theta: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
}

impl Zipfian {
    /// YCSB's default skew.
    pub const THETA_YCSB: f64 = 0.99;

    pub fn new(items: usize, theta: f64) -> Zipfian {
        let items = items.max(2) as u64;
        let zeta = |n: u64| (1..=n).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let zetan = zeta(items);
        let zeta2 = zeta(2);
        let alpha = 1.0 / (1.0 - theta);
        let eta = (1.0 - (2.0 / items as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan);
        Zipfian {
            items,
            theta,
            alpha,
            zetan,
            eta,
        }
    }

    /// The next key in `1..=items`.
    pub fn next_key(&self, rng: &mut Rng) -> i64 {
        let u = rng.next_f64();
        let uz = u * self.zetan;
        let rank = if uz < 1.0 {
            0
        } else if uz < 1.0 + 0.5f64.powf(self.theta) {
            1
        } else {
            let spread = self.eta * u - self.eta + 1.0;
            ((self.items as f64) * spread.powf(self.alpha)) as u64
        };
        let rank = rank.min(self.items - 1);
        // Scramble (FNV-style multiply) so rank 0 is not always key 1.
        let scrambled = rank.wrapping_mul(0x9E37_79B9_7F4A_7C15) % self.items;
        scrambled as i64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipfian_keys_stay_in_range_and_are_skewed() {
        let zipf = Zipfian::new(1000, Zipfian::THETA_YCSB);
        let mut rng = Rng::new(7);
        let mut counts = vec![0u32; 1001];
        for _ in 0..20_000 {
            let key = zipf.next_key(&mut rng);
            assert!((1..=1000).contains(&key), "key {key} out of range");
            counts[key as usize] += 1;
        }
        let hottest = *counts.iter().max().unwrap();
        // Uniform would give ~20 per key; Zipf(0.99) puts far more on the hottest key.
        assert!(hottest > 500, "hottest key drew only {hottest}");
    }

    #[test]
    fn payload_counts_text_and_numbers() {
        let person = Person::new(12);
        assert_eq!(
            person.payload_bytes(),
            8 + person.name.len() + person.email.len() + 16
        );
        // Arbitrary doubles: no score of the first thousand rows is a short binary fraction.
        let short = (1..1000)
            .map(Person::score_of)
            .filter(|score| (score * 1024.0).fract() == 0.0)
            .count();
        assert!(short < 3, "{short} scores are multiples of 1/1024");
    }
}
