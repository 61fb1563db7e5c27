//! Access codes: one per unit and wave, typed by people from an e-mail, an SMS
//! or a classroom sheet.
//!
//! A code is 10 random Crockford base32 characters (50 bits from the operating
//! system's CSPRNG) plus a Luhn mod 32 check character, shown as `XXXX-XXXX-XXX`.
//! Parsing forgives what people do: any case, spaces and hyphens, O for 0 and
//! I or L for 1. The check character catches a mistyped character and most swaps
//! of neighbours before any lookup is made.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_LEN: usize = 10;
const LEN: usize = RANDOM_LEN + 1;

/// A well-formed access code in canonical form (11 characters, upper case, no separators).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccessCode(String);

/// The keyed hash of an access code: the only form in which codes are looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CodeDigest(pub String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MalformedCode {
    #[error("an access code has {LEN} characters; this one has {0}")]
    WrongLength(usize),
    #[error("an access code has only letters and digits")]
    BadCharacter,
    #[error("the access code has a typing error")]
    CheckFailed,
}

fn value_of(c: char) -> Option<u32> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET.iter().position(|&a| a as char == c).map(|p| p as u32)
}

/// Luhn mod 32 check value over `digits`, as the character that makes the sum divisible.
fn check_value(digits: &[u32]) -> u32 {
    let n = ALPHABET.len() as u32;
    let mut factor = 2;
    let mut sum = 0;
    for &d in digits.iter().rev() {
        let addend = factor * d;
        sum += addend / n + addend % n;
        factor = if factor == 2 { 1 } else { 2 };
    }
    (n - sum % n) % n
}

impl AccessCode {
    pub fn parse(input: &str) -> Result<Self, MalformedCode> {
        // Every request with a code parses it, so the digits go to an array,
        // not a vector; characters past the eleventh are only counted.
        let (mut digits, mut len) = ([0u32; LEN], 0);
        for c in input.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let digit = value_of(c).ok_or(MalformedCode::BadCharacter)?;
            if let Some(slot) = digits.get_mut(len) {
                *slot = digit;
            }
            len += 1;
        }
        if len != LEN {
            return Err(MalformedCode::WrongLength(len));
        }
        if check_value(&digits[..RANDOM_LEN]) != digits[RANDOM_LEN] {
            return Err(MalformedCode::CheckFailed);
        }
        let mut canonical = String::with_capacity(LEN);
        canonical.extend(digits.iter().map(|&d| char::from(ALPHABET[d as usize])));
        Ok(Self(canonical))
    }

    /// A fresh code from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; RANDOM_LEN];
        getrandom::fill(&mut bytes).expect("the operating system's random source is available");
        let mut digits: Vec<u32> = bytes.iter().map(|b| u32::from(b & 31)).collect();
        digits.push(check_value(&digits));
        Self(digits.iter().map(|&d| ALPHABET[d as usize] as char).collect())
    }

    /// The canonical form: 11 characters without separators.
    pub fn canonical(&self) -> &str {
        &self.0
    }
}

/// Grouped for people: `K7Q4-9MZP-3XA`.
impl fmt::Display for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", &self.0[..4], &self.0[4..8], &self.0[8..])
    }
}

/// Never prints the code itself, so that a stray `{:?}` cannot leak it into logs.
impl fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessCode(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_codes_parse_back_to_themselves() {
        for _ in 0..1000 {
            let code = AccessCode::generate();
            assert_eq!(AccessCode::parse(&code.to_string()), Ok(code.clone()));
            assert_eq!(AccessCode::parse(code.canonical()), Ok(code));
        }
    }

    #[test]
    fn display_groups_four_four_three() {
        let code = AccessCode::generate().to_string();
        assert_eq!(code.len(), 13);
        assert_eq!((&code[4..5], &code[9..10]), ("-", "-"));
    }

    #[test]
    fn people_may_type_it_loosely() {
        let code = AccessCode::generate();
        let shown = code.to_string();
        let loose = shown.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
        assert_eq!(AccessCode::parse(&format!("  {loose} ")), Ok(code.clone()));
        let with_i = shown.replace('1', "I");
        assert_eq!(AccessCode::parse(&with_i), Ok(code));
    }

    #[test]
    fn malformed_codes_are_told_apart() {
        let cases = [
            ("", MalformedCode::WrongLength(0)),
            ("K7Q4-9MZP-3", MalformedCode::WrongLength(9)),
            ("K7Q4-9MZP-3XAB", MalformedCode::WrongLength(12)),
            ("K7Q4-9MZP-3X4K7Q4-9MZP-3X4", MalformedCode::WrongLength(22)),
            ("K7Q4-9MZP-3X4K7Q4-9MZP-3U", MalformedCode::BadCharacter),
            ("K7Q4-9MZP-3U", MalformedCode::BadCharacter),
            ("K7Q4_9MZP_3X", MalformedCode::BadCharacter),
            ("K7Q4-9MZP-3Ø", MalformedCode::BadCharacter),
        ];
        for (input, expected) in cases {
            assert_eq!(AccessCode::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_code() {
        let code = AccessCode::generate();
        assert!(!format!("{code:?}").contains(code.canonical()));
    }

    proptest! {
        #[test]
        fn every_single_character_typo_is_caught(pos in 0usize..LEN, replacement in 0u32..32) {
            let code = AccessCode::generate();
            let mut chars: Vec<char> = code.canonical().chars().collect();
            let typo = ALPHABET[replacement as usize] as char;
            prop_assume!(chars[pos] != typo);
            chars[pos] = typo;
            let typed: String = chars.into_iter().collect();
            prop_assert_eq!(AccessCode::parse(&typed), Err(MalformedCode::CheckFailed));
        }

        #[test]
        fn parsing_never_panics(input in ".{0,40}") {
            let _ = AccessCode::parse(&input);
        }
    }
}
