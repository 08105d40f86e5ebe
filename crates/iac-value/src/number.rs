//! Numbers as Terraform has them: binary floating point of the precision each
//! number was made at (512 bits for what is written in a configuration or read
//! from JSON, 64 for a count or a length, 53 for what a float function gives),
//! exact integers of any size, and written in the fewest digits that read back
//! as the same number at that precision.
//!
//! Most numbers are small integers and short fractions that a 64-bit float
//! holds exactly: those stay a float (with their precision beside), and
//! arithmetic on them stays a float while its result is exact. Anything else
//! is a big float (`big.rs`).

mod big;

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use big::Big;
pub use big::LITERAL_PREC;
use num_bigint::BigUint;

/// The precision of an integer Terraform makes (`cty.NumberIntVal`).
pub const INT_PREC: u32 = 64;
/// The precision of a float Terraform makes (`cty.NumberFloatVal`).
pub const FLOAT_PREC: u32 = 53;

#[derive(Clone)]
pub struct Number(Repr);

#[derive(Clone)]
enum Repr {
    /// Exactly this float (never NaN), made at this precision.
    Small(f64, u32),
    /// What no float holds exactly.
    Big(Arc<Big>),
}

const TWO_53: f64 = 9_007_199_254_740_992.0;

impl Number {
    /// The same number made at the same precision (so written the same way):
    /// stricter than `==`, which compares the numbers only. Big numbers are
    /// identical only as copies of one (a cheap test that may say no to equals).
    pub fn identical(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (Repr::Small(a, p), Repr::Small(b, q)) => a == b && p == q,
            (Repr::Big(a), Repr::Big(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// A whole number as Terraform's integer-valued functions give it.
    pub fn int(v: i64) -> Number {
        if v.unsigned_abs() <= 1 << 53 {
            Number(Repr::Small(v as f64, INT_PREC))
        } else {
            let neg = v < 0;
            Number::from_big(Big::from_int(
                neg,
                BigUint::from(v.unsigned_abs()),
                INT_PREC,
            ))
        }
    }

    /// A whole number of any size (`parseint`): at least 64 bits of
    /// precision, more when it has more.
    pub fn big_int(neg: bool, digits: BigUint) -> Number {
        let prec = (digits.bits() as u32).max(INT_PREC);
        Number::from_big(Big::from_int(neg, digits, prec))
    }

    /// A float as Terraform's float functions (`pow`, `log`) give it: 53 bits.
    pub fn float(v: f64) -> Number {
        Number::with_prec(v, FLOAT_PREC)
    }

    /// A float made at the precision of numbers read from text: what a
    /// configuration's literal is when the float holds it exactly.
    pub fn literal(v: f64) -> Number {
        Number::with_prec(v, LITERAL_PREC)
    }

    /// A whole number read from text (JSON): 512 bits.
    pub fn literal_int(neg: bool, v: u64) -> Number {
        if v <= 1 << 53 {
            let f = v as f64;
            Number::literal(if neg { -f } else { f })
        } else {
            Number::from_big(Big::from_int(neg, BigUint::from(v), LITERAL_PREC))
        }
    }

    fn with_prec(v: f64, prec: u32) -> Number {
        if v.is_nan() {
            return Number(Repr::Small(0.0, prec));
        }
        Number(Repr::Small(v, prec))
    }

    /// A decimal number as Terraform reads one (`cty.ParseNumberVal`):
    /// 512 bits, rounded to nearest even.
    pub fn parse(s: &str) -> Option<Number> {
        let t = s;
        if t.is_empty() {
            return None;
        }
        // The common case: a short whole number.
        if t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit()) {
            return t.parse::<f64>().ok().map(Number::literal);
        }
        Big::parse(t, LITERAL_PREC).map(Number::from_big)
    }

    fn from_big(b: Big) -> Number {
        // A value a float holds exactly is kept as one.
        if !b.inf && b.bits() <= 53 {
            let top = b.exp + b.bits() as i64;
            if (-1000..=1000).contains(&top) {
                let v = b.to_f64();
                return Number(Repr::Small(
                    if v == 0.0 && b.neg { -0.0 } else { v },
                    b.prec,
                ));
            }
        }
        if b.inf {
            return Number(Repr::Small(
                if b.neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                b.prec,
            ));
        }
        Number(Repr::Big(Arc::new(b)))
    }

    fn big(&self) -> Big {
        match &self.0 {
            Repr::Small(v, p) => Big::from_f64(*v, *p),
            Repr::Big(b) => (**b).clone(),
        }
    }

    /// The number exactly as this build holds it (value and precision), for a
    /// binary copy of what was read (see `iac_state::cache`); `from_bytes` reads
    /// it back.
    pub fn write_bytes(&self, out: &mut Vec<u8>) {
        match &self.0 {
            Repr::Small(v, p) => {
                out.push(0);
                out.extend_from_slice(&v.to_bits().to_le_bytes());
                out.extend_from_slice(&p.to_le_bytes());
            }
            Repr::Big(b) => {
                out.push(1 | u8::from(b.neg) << 1 | u8::from(b.inf) << 2);
                out.extend_from_slice(&b.exp.to_le_bytes());
                out.extend_from_slice(&b.prec.to_le_bytes());
                let mant = b.mant.to_bytes_le();
                out.extend_from_slice(&(mant.len() as u64).to_le_bytes());
                out.extend_from_slice(&mant);
            }
        }
    }

    /// The number `write_bytes` wrote at the start of `b`, and the bytes it took;
    /// `None` for bytes it cannot have written.
    pub fn from_bytes(b: &[u8]) -> Option<(Number, usize)> {
        let word = |at: usize| -> Option<[u8; 8]> { b.get(at..at + 8)?.try_into().ok() };
        let half = |at: usize| -> Option<[u8; 4]> { b.get(at..at + 4)?.try_into().ok() };
        let tag = *b.first()?;
        if tag == 0 {
            let v = f64::from_bits(u64::from_le_bytes(word(1)?));
            let p = u32::from_le_bytes(half(9)?);
            return (!v.is_nan()).then_some((Number(Repr::Small(v, p)), 13));
        }
        if tag & 1 == 0 || tag > 7 {
            return None;
        }
        let exp = i64::from_le_bytes(word(1)?);
        let prec = u32::from_le_bytes(half(9)?);
        let n = usize::try_from(u64::from_le_bytes(word(13)?)).ok()?;
        let mant = BigUint::from_bytes_le(b.get(21..21usize.checked_add(n)?)?);
        // Zero or odd, as every `Big` is kept.
        if mant.bit(0) || mant.bits() == 0 {
            let big = Big {
                neg: tag & 2 != 0,
                mant,
                exp,
                prec,
                inf: tag & 4 != 0,
            };
            return Some((Number(Repr::Big(Arc::new(big))), 21 + n));
        }
        None
    }

    /// The precision in bits this number was made at.
    pub fn prec(&self) -> u32 {
        match &self.0 {
            Repr::Small(_, p) => *p,
            Repr::Big(b) => b.prec,
        }
    }

    /// The nearest 64-bit float.
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Small(v, _) => *v,
            Repr::Big(b) => b.to_f64(),
        }
    }

    /// The number as an `i64` when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Small(v, _) => (v.fract() == 0.0 && v.abs() < 9.2e18).then_some(*v as i64),
            Repr::Big(b) if b.is_int() => {
                let m = b.trunc();
                let m: i64 = i64::try_from(m).ok()?;
                Some(if b.neg { -m } else { m })
            }
            Repr::Big(_) => None,
        }
    }

    /// Whether this is a whole number (an infinity is not).
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Small(v, _) => v.is_finite() && v.fract() == 0.0,
            Repr::Big(b) => b.is_int(),
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self.0, Repr::Small(v, _) if v == 0.0)
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Small(v, _) => *v < 0.0,
            Repr::Big(b) => b.neg,
        }
    }

    pub fn is_infinite(&self) -> bool {
        matches!(self.0, Repr::Small(v, _) if v.is_infinite())
    }

    /// The whole part towards zero, at this number's precision.
    pub fn trunc(&self) -> Number {
        match &self.0 {
            Repr::Small(v, p) => Number(Repr::Small(v.trunc(), *p)),
            Repr::Big(b) => Number::from_big(Big::from_int(b.neg, b.trunc(), b.prec)),
        }
    }

    pub fn floor(&self) -> Number {
        let t = self.trunc();
        if self.is_negative() && !self.is_integer() && !self.is_infinite() {
            t.sub(&Number::int(1).with(self.prec())).unwrap_or(t)
        } else {
            t
        }
    }

    pub fn ceil(&self) -> Number {
        let t = self.trunc();
        if !self.is_negative() && !self.is_integer() && !self.is_infinite() {
            t.add(&Number::int(1).with(self.prec())).unwrap_or(t)
        } else {
            t
        }
    }

    /// The same value made at another precision (exact values only).
    fn with(self, prec: u32) -> Number {
        match self.0 {
            Repr::Small(v, _) => Number(Repr::Small(v, prec)),
            Repr::Big(b) => Number::from_big(Big::round(b.neg, b.mant.clone(), b.exp, prec, false)),
        }
    }

    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Small(v, p) => Number(Repr::Small(-v, *p)),
            Repr::Big(b) => Number(Repr::Big(Arc::new(b.neg()))),
        }
    }

    pub fn abs(&self) -> Number {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `self + other`, rounded as Go's `Float.Add` at the larger precision;
    /// `None` for infinities of opposite signs.
    pub fn add(&self, other: &Number) -> Option<Number> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Small(a, _), Repr::Small(b, _)) = (&self.0, &other.0) {
            let s = a + b;
            // Exact when the rounding error of the sum is zero.
            let bb = s - a;
            let err = (a - (s - bb)) + (b - bb);
            if s.is_finite() && err == 0.0 && (s == 0.0 || s.abs() > 1e-290) {
                return Some(Number(Repr::Small(s, prec)));
            }
            if s.is_infinite() && (a.is_infinite() || b.is_infinite()) {
                return Some(Number(Repr::Small(s, prec)));
            }
            if s.is_nan() {
                return None;
            }
        }
        self.big().add(&other.big(), prec).map(Number::from_big)
    }

    pub fn sub(&self, other: &Number) -> Option<Number> {
        self.add(&other.neg())
    }

    /// `self * other` as cty multiplies: the product at 512 bits, kept at
    /// the larger of the operands' precisions and the bits it needs.
    pub fn mul(&self, other: &Number) -> Option<Number> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Small(a, _), Repr::Small(b, _)) = (&self.0, &other.0) {
            let p = a * b;
            if p.is_finite() && (p == 0.0 || p.abs() > 1e-290) && a.mul_add(*b, -p) == 0.0 {
                return Some(Number(Repr::Small(p, prec)));
            }
        }
        let r = self.big().mul(&other.big(), LITERAL_PREC)?;
        let keep = prec.max(r.bits() as u32);
        let mut r = r;
        r.prec = keep;
        Some(Number::from_big(r))
    }

    /// `self / other` rounded at the larger precision; an infinity for a
    /// nonzero number over zero, `None` for 0/0.
    pub fn div(&self, other: &Number) -> Option<Number> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Small(a, _), Repr::Small(b, _)) = (&self.0, &other.0) {
            if *b != 0.0 && a.is_finite() && b.is_finite() {
                let q = a / b;
                if q.is_finite() && (q == 0.0 || q.abs() > 1e-290) && (-q).mul_add(*b, *a) == 0.0 {
                    return Some(Number(Repr::Small(q, prec)));
                }
            }
        }
        self.big().quo(&other.big(), prec).map(Number::from_big)
    }

    /// `self % other` as cty takes it: `self - other * trunc(self / other)`
    /// at `self`'s precision; `self` when `other` is zero.
    pub fn rem(&self, other: &Number) -> Option<Number> {
        if other.is_zero() {
            return Some(self.clone());
        }
        if self.is_infinite() || other.is_infinite() {
            return self.mul(other);
        }
        if let (Repr::Small(a, p), Repr::Small(b, _)) = (&self.0, &other.0) {
            if a.fract() == 0.0 && b.fract() == 0.0 && a.abs() < TWO_53 && b.abs() < TWO_53 {
                return Some(Number(Repr::Small(a % b, *p)));
            }
        }
        let prec = self.prec();
        let rat = self.div(other)?.big();
        let whole = Big::from_int(rat.neg, rat.trunc(), prec);
        let work = whole.mul(&other.big(), prec)?;
        self.big().add(&work.neg(), prec).map(Number::from_big)
    }

    /// Numbers in order (as values, whatever their precision).
    pub fn compare(&self, other: &Number) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Small(a, _), Repr::Small(b, _)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            _ => self.big().cmp(&other.big()),
        }
    }

    /// Terraform's equality of numbers: whole numbers by value, other
    /// numbers by how they are written (so `0.1` made at 53 bits equals
    /// `0.1` made at 512).
    pub fn equals(&self, other: &Number) -> bool {
        match (self.is_integer(), other.is_integer()) {
            (true, true) => self.compare(other) == Ordering::Equal,
            (false, false) => {
                if let (Repr::Small(a, pa), Repr::Small(b, pb)) = (&self.0, &other.0) {
                    if a == b && pa == pb {
                        return true;
                    }
                }
                self.to_string() == other.to_string()
            }
            _ => false,
        }
    }
}

impl fmt::Display for Number {
    /// Go's `Text('f', -1)`, as Terraform writes numbers in JSON and strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Small(v, _) if v.fract() == 0.0 && v.abs() < TWO_53 => {
                write!(f, "{}", *v as i64)
            }
            _ => f.write_str(&self.big().text()),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Values compare as Terraform compares what it stores: the same number
/// written the same way. A number read back from state (at 512 bits) equals
/// the one written (`pow(2, 64)`, a float, is written and read back as
/// 18446744073709550000), so a plan after an apply finds nothing changed, as
/// Terraform's does. The `==` operator is [`Number::equals`].
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        if let (Repr::Small(a, _), Repr::Small(b, _)) = (&self.0, &other.0) {
            if a == b {
                return true;
            }
            if a.fract() == 0.0 && b.fract() == 0.0 && a.abs() < TWO_53 && b.abs() < TWO_53 {
                return false;
            }
        }
        self.to_string() == other.to_string()
    }
}

impl From<f64> for Number {
    /// A float from Rust code: a whole number is an integer (64 bits), a
    /// fraction a float (53 bits).
    fn from(v: f64) -> Number {
        if v.fract() == 0.0 && v.abs() < 9.2e18 {
            Number::with_prec(v, INT_PREC)
        } else {
            Number::float(v)
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Number {
                Number::int(v as i64)
            }
        }
    )*};
}
from_int!(i32, u32, i64, u16, u8, i16, usize);

impl From<u64> for Number {
    fn from(v: u64) -> Number {
        match i64::try_from(v) {
            Ok(i) => Number::int(i),
            Err(_) => Number::big_int(false, BigUint::from(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn arithmetic_as_terraform() {
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(
            n("9007199254740993").sub(&n("1")).unwrap().to_string(),
            "9007199254740992"
        );
        assert_eq!(n("4.35").mul(&n("100")).unwrap().to_string(), "435");
        assert_eq!(n("7").rem(&n("3")).unwrap().to_string(), "1");
        assert_eq!(n("-7").rem(&n("3")).unwrap().to_string(), "-1");
        assert_eq!(n("7.5").rem(&n("2")).unwrap().to_string(), "1.5");
        assert_eq!(n("5").rem(&n("0")).unwrap().to_string(), "5");
        assert_eq!(
            Number::float(2f64.powi(64)).to_string(),
            "18446744073709550000"
        );
        assert_eq!(
            Number::int(3).div(&Number::int(4)).unwrap().to_string(),
            "0.75"
        );
        let third = Number::int(1).div(&Number::int(3)).unwrap().to_string();
        assert_eq!(third, "0.33333333333333333334", "at 64 bits");
        // Just past 2^53, where a float would round.
        assert_eq!(
            Number::literal_int(false, (1 << 53) + 1).to_string(),
            "9007199254740993"
        );
        assert_eq!(Number::int((1 << 53) + 1).to_string(), "9007199254740993");
        assert_eq!(Number::int(-(1 << 53) - 1).to_string(), "-9007199254740993");
    }

    #[test]
    fn equality_whole_by_value_fractions_by_text() {
        assert!(n("3").equals(&Number::int(3)));
        assert!(n("0.1").equals(&Number::float(0.1)));
        assert!(!n("0.1").equals(&n("0.2")));
        assert!(!n("1").equals(&n("1.5")));
    }

    #[test]
    fn floor_and_ceil() {
        assert_eq!(n("-1.5").floor().to_string(), "-2");
        assert_eq!(n("1.5").ceil().to_string(), "2");
        assert_eq!(n("1.5").floor().to_string(), "1");
        assert_eq!(
            n("99999999999999999.5").floor().to_string(),
            "99999999999999999"
        );
    }
}
