//! Realistic texts for the generated rows: people's names (first, middle initial, last),
//! e-mail addresses built from them, and city and region names of varying lengths. Every
//! text is a pure function of a row's key, so every engine and every answer check sees the
//! same rows, and a name is unique per key.

/// Common first names (100).
pub const FIRST: [&str; 100] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Charles",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Sandra",
    "Mark",
    "Margaret",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Paul",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Dorothy",
    "Jason",
    "Rebecca",
    "Edward",
    "Sharon",
    "Jeffrey",
    "Laura",
    "Ryan",
    "Cynthia",
    "Jacob",
    "Amy",
    "Gary",
    "Kathleen",
    "Nicholas",
    "Angela",
    "Eric",
    "Shirley",
    "Jonathan",
    "Brenda",
    "Stephen",
    "Emma",
    "Larry",
    "Anna",
    "Justin",
    "Pamela",
    "Scott",
    "Nicole",
    "Brandon",
    "Samantha",
    "Benjamin",
    "Katherine",
    "Samuel",
    "Christine",
    "Gregory",
    "Helen",
    "Alexander",
    "Debra",
    "Patrick",
    "Rachel",
    "Frank",
    "Carolyn",
    "Raymond",
    "Janet",
    "Jack",
    "Maria",
    "Dennis",
    "Olivia",
    "Jerry",
    "Heather",
];

/// Common last names (100).
pub const LAST: [&str; 100] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
];

/// Mail domains (8).
pub const DOMAINS: [&str; 8] = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "example.org",
    "fastmail.fm",
];

/// City names (50), of 4 to 16 bytes.
pub const CITIES: [&str; 50] = [
    "New York",
    "Los Angeles",
    "Chicago",
    "Houston",
    "Phoenix",
    "Philadelphia",
    "San Antonio",
    "San Diego",
    "Dallas",
    "Austin",
    "Jacksonville",
    "Fort Worth",
    "Columbus",
    "Charlotte",
    "Indianapolis",
    "San Francisco",
    "Seattle",
    "Denver",
    "Washington",
    "Nashville",
    "Oklahoma City",
    "El Paso",
    "Boston",
    "Portland",
    "Las Vegas",
    "Detroit",
    "Memphis",
    "Louisville",
    "Baltimore",
    "Milwaukee",
    "Albuquerque",
    "Tucson",
    "Fresno",
    "Sacramento",
    "Kansas City",
    "Mesa",
    "Atlanta",
    "Omaha",
    "Colorado Springs",
    "Raleigh",
    "Long Beach",
    "Virginia Beach",
    "Miami",
    "Oakland",
    "Minneapolis",
    "Tulsa",
    "Bakersfield",
    "Wichita",
    "Arlington",
    "Aurora",
];

/// Region names (5).
pub const REGIONS: [&str; 5] = ["Northeast", "Midwest", "South", "West", "Pacific"];

/// Distinct (first, initial, last) combinations; past them a name takes a number.
const COMBINATIONS: u64 = 100 * 26 * 100;
/// A multiplier prime to `COMBINATIONS` (2^5 * 5^4 * 13): neighbouring keys get unrelated
/// names.
const SPREAD: u64 = 7_919;

/// The parts of the name of key `id`: (first, middle initial, last, repeat). The map from
/// `id` to parts is one to one.
fn parts(id: i64) -> (&'static str, u8, &'static str, u64) {
    let n = (id.max(1) - 1) as u64;
    let (low, repeat) = (n % COMBINATIONS, n / COMBINATIONS);
    let code = low * SPREAD % COMBINATIONS;
    let first = FIRST[(code % 100) as usize];
    let initial = b'A' + ((code / 100) % 26) as u8;
    let last = LAST[(code / 2_600) as usize];
    (first, initial, last, repeat)
}

/// `"First M. Last"` (with `" <n>"` after the first 260,000 keys): unique per key.
pub fn person_name(id: i64) -> String {
    let (first, initial, last, repeat) = parts(id);
    let initial = initial as char;
    if repeat == 0 {
        format!("{first} {initial}. {last}")
    } else {
        format!("{first} {initial}. {last} {}", repeat + 1)
    }
}

/// `"first.m.last<id>@domain"`, lower case: unique per key.
pub fn email(id: i64) -> String {
    let (first, initial, last, _) = parts(id);
    let domain = DOMAINS[(id as u64 % DOMAINS.len() as u64) as usize];
    let initial = initial.to_ascii_lowercase() as char;
    format!(
        "{}.{initial}.{}{id}@{domain}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase()
    )
}

/// The bytes of `person_name(id)` plus those of `email(id)`, without building them (the
/// point selects check every row they read, and two strings per check would cost more than
/// some engines' select).
pub fn name_and_email_bytes(id: i64) -> usize {
    let (first, _, last, repeat) = parts(id);
    let digits = |value: u64| value.checked_ilog10().map_or(1, |log| log as usize + 1);
    let name = first.len()
        + 4
        + last.len()
        + if repeat == 0 {
            0
        } else {
            1 + digits(repeat + 1)
        };
    let domain = DOMAINS[(id as u64 % DOMAINS.len() as u64) as usize];
    let email = first.len() + 3 + last.len() + digits(id as u64) + 1 + domain.len();
    name + email
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_their_lengths_known() {
        let mut names: Vec<String> = (1..30_000).map(person_name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 29_999);
        for id in [1, 2, 99, 259_999, 260_000, 260_001, 2_000_000] {
            let want = person_name(id).len() + email(id).len();
            assert_eq!(name_and_email_bytes(id), want, "id {id}");
        }
        assert_eq!(person_name(1), "James A. Smith");
        assert_ne!(person_name(260_001), person_name(1));
    }
}
