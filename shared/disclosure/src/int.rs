//! Exact integers for the elimination: an `i64` while a value fits, a small
//! arbitrary-precision magnitude when it does not. Every operation is exact;
//! nothing wraps, saturates or rounds, so the algebra never depends on the size
//! of the numbers it meets (structured 0/1 tables keep them tiny, and then only
//! the `Small` path runs).

use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Int {
    Small(i64),
    /// A value outside `i64` (boxed, so that the common case stays small).
    Big(Box<Big>),
}

/// A sign and a magnitude in base 2^32, least significant limb first, without
/// leading zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Big {
    negative: bool,
    magnitude: Vec<u32>,
}

impl Int {
    pub(crate) const ZERO: Int = Int::Small(0);
    pub(crate) const ONE: Int = Int::Small(1);

    pub(crate) fn from_i128(value: i128) -> Int {
        match i64::try_from(value) {
            Ok(small) => Int::Small(small),
            Err(_) => Int::big(value < 0, mag_from_u128(value.unsigned_abs())),
        }
    }

    /// The value as an `i128`, when it fits.
    pub(crate) fn to_i128(&self) -> Option<i128> {
        match self {
            Int::Small(v) => Some(*v as i128),
            Int::Big(big) if big.magnitude.len() <= 4 => {
                let m = big.magnitude.iter().rev().fold(0u128, |acc, &limb| (acc << 32) | limb as u128);
                match big.negative {
                    false => i128::try_from(m).ok(),
                    true if m == 1u128 << 127 => Some(i128::MIN),
                    true => i128::try_from(m).ok().map(|v| -v),
                }
            }
            Int::Big(_) => None,
        }
    }

    fn from_parts(negative: bool, mut magnitude: Vec<u32>) -> Int {
        trim(&mut magnitude);
        if magnitude.len() <= 2 {
            let m = magnitude.iter().rev().fold(0i128, |acc, &limb| (acc << 32) | limb as i128);
            return Int::from_i128(if negative { -m } else { m });
        }
        Int::big(negative, magnitude)
    }

    fn big(negative: bool, magnitude: Vec<u32>) -> Int {
        Int::Big(Box::new(Big { negative, magnitude }))
    }

    fn parts(&self) -> (bool, Vec<u32>) {
        match self {
            Int::Small(v) => (*v < 0, mag_from_u128(v.unsigned_abs() as u128)),
            Int::Big(big) => (big.negative, big.magnitude.clone()),
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Int::Small(0))
    }

    pub(crate) fn is_negative(&self) -> bool {
        match self {
            Int::Small(v) => *v < 0,
            Int::Big(big) => big.negative,
        }
    }

    pub(crate) fn is_one(&self) -> bool {
        matches!(self, Int::Small(1))
    }

    #[cfg(test)]
    pub(crate) fn add(&self, other: &Int) -> Int {
        if let (Int::Small(a), Int::Small(b)) = (self, other) {
            return Int::from_i128(*a as i128 + *b as i128);
        }
        let (na, ma) = self.parts();
        let (nb, mb) = other.parts();
        signed_add(na, ma, nb, mb)
    }

    pub(crate) fn sub(&self, other: &Int) -> Int {
        if let (Int::Small(a), Int::Small(b)) = (self, other) {
            return Int::from_i128(*a as i128 - *b as i128);
        }
        let (na, ma) = self.parts();
        let (nb, mb) = other.parts();
        signed_add(na, ma, !nb, mb)
    }

    pub(crate) fn mul(&self, other: &Int) -> Int {
        if let (Int::Small(a), Int::Small(b)) = (self, other) {
            return Int::from_i128(*a as i128 * *b as i128);
        }
        let (na, ma) = self.parts();
        let (nb, mb) = other.parts();
        Int::from_parts(na != nb, mag_mul(&ma, &mb))
    }

    pub(crate) fn neg(&self) -> Int {
        match self {
            Int::Small(v) => Int::from_i128(-(*v as i128)),
            Int::Big(big) => Int::from_parts(!big.negative, big.magnitude.clone()),
        }
    }

    /// The greatest common divisor, never negative; `gcd(0, 0) = 0`.
    pub(crate) fn gcd(&self, other: &Int) -> Int {
        if let (Int::Small(a), Int::Small(b)) = (self, other) {
            let (mut x, mut y) = (a.unsigned_abs(), b.unsigned_abs());
            while y != 0 {
                (x, y) = (y, x % y);
            }
            return Int::from_i128(x as i128);
        }
        if matches!(self, Int::Small(1 | -1)) || matches!(other, Int::Small(1 | -1)) {
            return Int::ONE;
        }
        let (_, ma) = self.parts();
        let (_, mb) = other.parts();
        Int::from_parts(false, mag_gcd(ma, mb))
    }

    /// The gcd of `start` and every value, stopping early at 1.
    pub(crate) fn gcd_all<'a>(start: Int, values: impl IntoIterator<Item = &'a Int>) -> Int {
        let mut g = start;
        for value in values {
            if g.is_one() {
                break;
            }
            g = g.gcd(value);
        }
        g
    }

    /// `self / divisor` where the division is known to be exact.
    ///
    /// # Panics
    /// When `divisor` is zero.
    pub(crate) fn div_exact(&self, divisor: &Int) -> Int {
        assert!(!divisor.is_zero(), "division by zero");
        if let (Int::Small(a), Int::Small(b)) = (self, divisor) {
            debug_assert_eq!(*a as i128 % *b as i128, 0, "inexact division");
            return Int::from_i128(*a as i128 / *b as i128);
        }
        let (na, ma) = self.parts();
        let (nb, mb) = divisor.parts();
        let (quotient, remainder) = mag_divrem(&ma, &mb);
        debug_assert!(remainder.is_empty(), "inexact division");
        Int::from_parts(na != nb, quotient)
    }
}

impl From<i64> for Int {
    fn from(value: i64) -> Self {
        Int::Small(value)
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Int::Small(v) => write!(f, "{v}"),
            Int::Big(big) => {
                let mut chunks = Vec::new();
                let mut rest = big.magnitude.clone();
                while !rest.is_empty() {
                    let (quotient, remainder) = mag_divrem_small(&rest, 1_000_000_000);
                    chunks.push(remainder);
                    rest = quotient;
                }
                if big.negative {
                    f.write_str("-")?;
                }
                let mut chunks = chunks.iter().rev();
                if let Some(first) = chunks.next() {
                    write!(f, "{first}")?;
                }
                chunks.try_for_each(|chunk| write!(f, "{chunk:09}"))
            }
        }
    }
}

fn signed_add(na: bool, ma: Vec<u32>, nb: bool, mb: Vec<u32>) -> Int {
    if na == nb {
        return Int::from_parts(na, mag_add(&ma, &mb));
    }
    match mag_cmp(&ma, &mb) {
        Ordering::Less => Int::from_parts(nb, mag_sub(&mb, &ma)),
        _ => Int::from_parts(na, mag_sub(&ma, &mb)),
    }
}

fn mag_from_u128(mut value: u128) -> Vec<u32> {
    let mut magnitude = Vec::new();
    while value != 0 {
        magnitude.push(value as u32);
        value >>= 32;
    }
    magnitude
}

fn trim(magnitude: &mut Vec<u32>) {
    while magnitude.last() == Some(&0) {
        magnitude.pop();
    }
}

fn mag_cmp(a: &[u32], b: &[u32]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn mag_add(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    let mut sum = Vec::with_capacity(long.len() + 1);
    let mut carry = 0u64;
    for (i, &limb) in long.iter().enumerate() {
        let total = limb as u64 + short.get(i).copied().unwrap_or(0) as u64 + carry;
        sum.push(total as u32);
        carry = total >> 32;
    }
    if carry != 0 {
        sum.push(carry as u32);
    }
    sum
}

/// `a - b` for `a >= b`.
fn mag_sub(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut difference = Vec::with_capacity(a.len());
    let mut borrow = 0i64;
    for (i, &limb) in a.iter().enumerate() {
        let mut d = limb as i64 - b.get(i).copied().unwrap_or(0) as i64 - borrow;
        borrow = 0;
        if d < 0 {
            d += 1 << 32;
            borrow = 1;
        }
        difference.push(d as u32);
    }
    debug_assert_eq!(borrow, 0, "mag_sub needs a >= b");
    trim(&mut difference);
    difference
}

fn mag_mul(a: &[u32], b: &[u32]) -> Vec<u32> {
    if a.is_empty() || b.is_empty() {
        return Vec::new();
    }
    let mut product = vec![0u32; a.len() + b.len()];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            let total = product[i + j] as u64 + x as u64 * y as u64 + carry;
            product[i + j] = total as u32;
            carry = total >> 32;
        }
        product[i + b.len()] = carry as u32;
    }
    trim(&mut product);
    product
}

fn trailing_zeros(a: &[u32]) -> u32 {
    let zero_limbs = a.iter().take_while(|&&limb| limb == 0).count();
    zero_limbs as u32 * 32 + a[zero_limbs].trailing_zeros()
}

fn mag_shr(a: &[u32], bits: u32) -> Vec<u32> {
    let (limbs, bits) = ((bits / 32) as usize, bits % 32);
    let mut shifted: Vec<u32> = a.iter().skip(limbs).copied().collect();
    if bits > 0 {
        for i in 0..shifted.len() {
            let high = shifted.get(i + 1).copied().unwrap_or(0);
            shifted[i] = (shifted[i] >> bits) | (high << (32 - bits));
        }
    }
    trim(&mut shifted);
    shifted
}

fn mag_shl(a: &[u32], bits: u32) -> Vec<u32> {
    let (limbs, bits) = ((bits / 32) as usize, bits % 32);
    let mut shifted = vec![0u32; limbs];
    let mut carry = 0u32;
    for &limb in a {
        shifted.push(if bits == 0 { limb } else { (limb << bits) | carry });
        carry = if bits == 0 { 0 } else { limb >> (32 - bits) };
    }
    shifted.push(carry);
    trim(&mut shifted);
    shifted
}

/// Binary GCD: shifts and subtractions only.
fn mag_gcd(a: Vec<u32>, b: Vec<u32>) -> Vec<u32> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let (za, zb) = (trailing_zeros(&a), trailing_zeros(&b));
    let (mut a, mut b) = (mag_shr(&a, za), mag_shr(&b, zb));
    loop {
        match mag_cmp(&a, &b) {
            Ordering::Equal => break,
            Ordering::Less => std::mem::swap(&mut a, &mut b),
            Ordering::Greater => {}
        }
        let difference = mag_sub(&a, &b);
        a = mag_shr(&difference, trailing_zeros(&difference));
    }
    mag_shl(&a, za.min(zb))
}

fn mag_divrem_small(a: &[u32], divisor: u32) -> (Vec<u32>, u32) {
    let mut quotient = vec![0u32; a.len()];
    let mut remainder = 0u64;
    for i in (0..a.len()).rev() {
        let current = (remainder << 32) | a[i] as u64;
        quotient[i] = (current / divisor as u64) as u32;
        remainder = current % divisor as u64;
    }
    trim(&mut quotient);
    (quotient, remainder as u32)
}

/// Long division one bit at a time: slow, simple, and only met on huge values.
fn mag_divrem(a: &[u32], b: &[u32]) -> (Vec<u32>, Vec<u32>) {
    if b.len() == 1 {
        let (quotient, remainder) = mag_divrem_small(a, b[0]);
        return (quotient, if remainder == 0 { Vec::new() } else { vec![remainder] });
    }
    if mag_cmp(a, b) == Ordering::Less {
        return (Vec::new(), a.to_vec());
    }
    let mut quotient = vec![0u32; a.len()];
    let mut remainder: Vec<u32> = Vec::new();
    for bit in (0..a.len() * 32).rev() {
        remainder = mag_shl(&remainder, 1);
        if (a[bit / 32] >> (bit % 32)) & 1 == 1 {
            match remainder.first_mut() {
                Some(low) => *low |= 1,
                None => remainder.push(1),
            }
        }
        if mag_cmp(&remainder, b) != Ordering::Less {
            remainder = mag_sub(&remainder, b);
            quotient[bit / 32] |= 1 << (bit % 32);
        }
    }
    trim(&mut quotient);
    (quotient, remainder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn int(v: i128) -> Int {
        Int::from_i128(v)
    }

    fn product(factors: &[i64]) -> Int {
        factors.iter().fold(Int::ONE, |acc, &f| acc.mul(&Int::from(f)))
    }

    #[test]
    fn values_are_small_exactly_when_they_fit_i64() {
        assert_eq!(int(i64::MAX as i128), Int::Small(i64::MAX));
        assert_eq!(int(i64::MIN as i128), Int::Small(i64::MIN));
        assert!(matches!(int(i64::MAX as i128 + 1), Int::Big(b) if !b.negative));
        assert!(matches!(int(i64::MIN as i128 - 1), Int::Big(b) if b.negative));
        let min = Int::Small(i64::MIN);
        assert!(matches!(min.neg(), Int::Big(_)));
        assert_eq!(min.neg().neg(), min);
        assert_eq!(int(i64::MAX as i128 + 1).sub(&Int::ONE), Int::Small(i64::MAX));
    }

    #[test]
    fn big_values_print_in_decimal() {
        assert_eq!(int(1 << 100).to_string(), "1267650600228229401496703205376");
        assert_eq!(int(-(10i128.pow(30))).to_string(), "-1000000000000000000000000000000");
        let huge = product(&[1_000_000_000_000, 1_000_000_000_000, 1_000_000_000_000, -7]);
        assert_eq!(huge.to_string(), format!("-7{}", "0".repeat(36)));
    }

    #[test]
    fn gcd_handles_signs_zero_and_i64_min() {
        assert_eq!(int(-12).gcd(&int(18)), int(6));
        assert_eq!(int(0).gcd(&int(-5)), int(5));
        assert_eq!(int(0).gcd(&int(0)), int(0));
        assert_eq!(Int::Small(i64::MIN).gcd(&Int::Small(i64::MIN)), int(1 << 63));
    }

    proptest! {
        #[test]
        fn small_arithmetic_matches_i128(a in any::<i64>(), b in any::<i64>()) {
            let (x, y) = (Int::from(a), Int::from(b));
            prop_assert_eq!(x.add(&y).to_i128(), Some(a as i128 + b as i128));
            prop_assert_eq!(x.sub(&y).to_i128(), Some(a as i128 - b as i128));
            prop_assert_eq!(x.mul(&y).to_i128(), Some(a as i128 * b as i128));
            if b != 0 {
                let exact = x.mul(&y);
                prop_assert_eq!(exact.div_exact(&y), x.clone());
            }
        }

        #[test]
        fn big_arithmetic_is_a_ring_with_exact_division(
            a in prop::collection::vec(any::<i64>().prop_filter("nonzero", |v| *v != 0), 1..5),
            b in prop::collection::vec(any::<i64>().prop_filter("nonzero", |v| *v != 0), 1..5),
            g in any::<i64>().prop_filter("nonzero", |v| *v != 0),
        ) {
            let (x, y, g) = (product(&a), product(&b), Int::from(g));
            prop_assert_eq!(x.add(&y).sub(&y), x.clone());
            prop_assert_eq!(x.sub(&y).add(&y), x.clone());
            prop_assert_eq!(x.mul(&y).div_exact(&y), x.clone());
            prop_assert_eq!(x.mul(&y), y.mul(&x));
            prop_assert_eq!(x.add(&x.neg()), Int::ZERO);
            // gcd(xg, yg) = |g| gcd(x, y), and it divides both.
            let scaled = x.mul(&g).gcd(&y.mul(&g));
            let abs_g = if g.is_negative() { g.neg() } else { g.clone() };
            prop_assert_eq!(scaled.clone(), abs_g.mul(&x.gcd(&y)));
            prop_assert_eq!(x.mul(&g).div_exact(&scaled).mul(&scaled), x.mul(&g));
            if let (Some(xi), Some(yi)) = (x.to_i128(), y.to_i128()) {
                if let Some(sum) = xi.checked_add(yi) {
                    prop_assert_eq!(x.add(&y).to_i128(), Some(sum));
                }
            }
        }
    }
}
