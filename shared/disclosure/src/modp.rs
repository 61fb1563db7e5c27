//! Residues modulo the Mersenne prime 2^61 − 1: the field the greedy
//! protection computes in. Exact integers grow without bound when tables are
//! linked rather than nested (counties and size bands cut the same units two
//! ways), while a residue is one machine word. The field is only a heuristic
//! for choosing what to withhold: a coincidence modulo the prime could at worst
//! publish a cell that exact arithmetic would withhold, and every suppression
//! is checked over the rationals by [`is_protected`](crate::is_protected)
//! before anything is released.

const P: u64 = (1 << 61) - 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Residue(u64);

impl Residue {
    pub(crate) const ZERO: Residue = Residue(0);
    pub(crate) const ONE: Residue = Residue(1);

    fn reduce(value: u128) -> Residue {
        let folded = (value & u128::from(P)) + (value >> 61);
        let folded = (folded & u128::from(P)) + (folded >> 61);
        let v = folded as u64;
        Residue(if v >= P { v - P } else { v })
    }

    /// A residue spread over the field by SplitMix64 from `seed`: a point
    /// chosen where no table's structure puts one.
    pub(crate) fn scattered(seed: u64) -> Residue {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Residue::reduce(u128::from(z ^ (z >> 31)))
    }

    #[cfg(test)]
    pub(crate) fn from_i64(value: i64) -> Residue {
        let magnitude = Residue::reduce(u128::from(value.unsigned_abs()));
        if value < 0 {
            magnitude.neg()
        } else {
            magnitude
        }
    }

    pub(crate) fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn add(self, other: Residue) -> Residue {
        let sum = self.0 + other.0;
        Residue(if sum >= P { sum - P } else { sum })
    }

    pub(crate) fn neg(self) -> Residue {
        Residue(if self.0 == 0 { 0 } else { P - self.0 })
    }

    pub(crate) fn sub(self, other: Residue) -> Residue {
        self.add(other.neg())
    }

    pub(crate) fn mul(self, other: Residue) -> Residue {
        Residue::reduce(u128::from(self.0) * u128::from(other.0))
    }

    /// The inverse of a nonzero residue, by Fermat: `self^(P − 2)`.
    pub(crate) fn inv(self) -> Residue {
        debug_assert!(!self.is_zero(), "zero has no inverse");
        let (mut result, mut base, mut exponent) = (Residue::ONE, self, P - 2);
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = result.mul(base);
            }
            base = base.mul(base);
            exponent >>= 1;
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_agrees_with_integers_modulo_the_prime() {
        let values = [0i64, 1, -1, 2, -7, 1 << 40, -(1 << 40), i64::MAX, i64::MIN + 1];
        let modulo = |v: i128| Residue(v.rem_euclid(i128::from(P)) as u64);
        for &a in &values {
            for &b in &values {
                let (ra, rb) = (Residue::from_i64(a), Residue::from_i64(b));
                let (a, b) = (i128::from(a), i128::from(b));
                assert_eq!(ra.add(rb), modulo(a + b));
                assert_eq!(ra.sub(rb), modulo(a - b));
                assert_eq!(ra.mul(rb), modulo((a % i128::from(P)) * (b % i128::from(P))));
            }
        }
        assert_eq!(Residue::from_i64(P as i64), Residue::ZERO);
        assert_eq!(Residue(P - 1).mul(Residue(P - 1)), Residue::ONE);
        for &a in values.iter().filter(|&&a| a != 0) {
            let a = Residue::from_i64(a);
            assert_eq!(a.mul(a.inv()), Residue::ONE);
        }
    }
}
