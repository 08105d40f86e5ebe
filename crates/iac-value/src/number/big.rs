//! Binary floating point of any precision, as Terraform's numbers are (Go's
//! `math/big.Float`, rounding to nearest even): a sign, an odd integer
//! mantissa and a power of two, and the precision in bits the value was made
//! at (which decides how it is rounded and how it is written).

use std::cmp::Ordering;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};

/// The precision Terraform parses numbers at.
pub const LITERAL_PREC: u32 = 512;

/// The largest decimal exponent read (`1e100000`): a number beyond it would
/// take minutes and gigabytes to write out, so it is refused as not a number.
const MAX_EXP10: i64 = 100_000;

#[derive(Clone, Debug)]
pub struct Big {
    pub neg: bool,
    /// Zero, or odd (trailing zero bits are moved into `exp`).
    pub mant: BigUint,
    /// The value is `mant * 2^exp`.
    pub exp: i64,
    pub prec: u32,
    pub inf: bool,
}

impl Big {
    pub fn zero(prec: u32) -> Big {
        Big {
            neg: false,
            mant: BigUint::zero(),
            exp: 0,
            prec,
            inf: false,
        }
    }

    pub fn infinity(neg: bool, prec: u32) -> Big {
        Big {
            neg,
            mant: BigUint::zero(),
            exp: 0,
            prec,
            inf: true,
        }
    }

    pub fn is_zero(&self) -> bool {
        !self.inf && self.mant.is_zero()
    }

    /// Significant bits of the mantissa (Go's `MinPrec`).
    pub fn bits(&self) -> u64 {
        self.mant.bits()
    }

    /// `mant * 2^exp` rounded to `prec` bits, to nearest and ties to even;
    /// `sticky` says nonzero bits were already dropped below `mant`.
    pub fn round(neg: bool, mant: BigUint, exp: i64, prec: u32, sticky: bool) -> Big {
        if mant.is_zero() {
            return Big::zero(prec);
        }
        let (mut mant, mut exp) = (mant, exp);
        let bits = mant.bits();
        if sticky && bits < u64::from(prec) + 2 {
            let s = u64::from(prec) + 2 - bits;
            mant <<= s;
            exp -= s as i64;
        }
        let bits = mant.bits();
        if bits > u64::from(prec) {
            let shift = bits - u64::from(prec);
            let half = mant.bit(shift - 1);
            let rest = sticky || mant.trailing_zeros().unwrap_or(0) < shift - 1;
            let mut q = &mant >> shift;
            if half && (rest || q.bit(0)) {
                q += 1u32;
            }
            mant = q;
            exp += shift as i64;
        }
        let tz = mant.trailing_zeros().unwrap_or(0);
        if tz > 0 {
            mant >>= tz;
            exp += tz as i64;
        }
        Big {
            neg,
            mant,
            exp,
            prec,
            inf: false,
        }
    }

    /// The exact value of a finite float.
    pub fn from_f64(v: f64, prec: u32) -> Big {
        if v.is_infinite() {
            return Big::infinity(v < 0.0, prec);
        }
        if v == 0.0 {
            return Big::zero(prec);
        }
        let bits = v.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (m, exp) = if e == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), e - 1075)
        };
        Big::round(v < 0.0, BigUint::from(m), exp, prec.max(53), false)
    }

    pub fn from_int(neg: bool, mant: BigUint, prec: u32) -> Big {
        Big::round(neg, mant, 0, prec, false)
    }

    /// The nearest float (infinite beyond its range).
    pub fn to_f64(&self) -> f64 {
        if self.inf {
            return if self.neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        }
        if self.mant.is_zero() {
            return 0.0;
        }
        let r = if self.bits() > 53 {
            Big::round(self.neg, self.mant.clone(), self.exp, 53, false)
        } else {
            self.clone()
        };
        let m = r.mant.to_f64().unwrap_or(f64::INFINITY);
        let top = r.exp + r.bits() as i64;
        let v = if top > 1025 {
            f64::INFINITY
        } else if top < -1080 {
            0.0
        } else {
            // Two steps keep the intermediate power of two in range.
            let half = r.exp / 2;
            m * 2f64.powi(half as i32) * 2f64.powi((r.exp - half) as i32)
        };
        if r.neg {
            -v
        } else {
            v
        }
    }

    /// Whether the value is a whole number (infinities are not).
    pub fn is_int(&self) -> bool {
        !self.inf && (self.mant.is_zero() || self.exp >= 0)
    }

    /// The whole part, towards zero.
    pub fn trunc(&self) -> BigUint {
        if self.exp >= 0 {
            &self.mant << self.exp as u64
        } else if (-self.exp) as u64 >= self.bits() {
            BigUint::zero()
        } else {
            &self.mant >> (-self.exp) as u64
        }
    }

    pub fn neg(&self) -> Big {
        let mut r = self.clone();
        r.neg = !r.neg;
        r
    }

    pub fn cmp(&self, other: &Big) -> Ordering {
        let sign = |b: &Big| {
            if b.is_zero() {
                0
            } else if b.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb {
            return sa.cmp(&sb);
        }
        if sa == 0 {
            return Ordering::Equal;
        }
        let mag = match (self.inf, other.inf) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let ta = self.exp + self.bits() as i64;
                let tb = other.exp + other.bits() as i64;
                if ta != tb {
                    ta.cmp(&tb)
                } else {
                    let e = self.exp.min(other.exp);
                    let a = &self.mant << (self.exp - e) as u64;
                    let b = &other.mant << (other.exp - e) as u64;
                    a.cmp(&b)
                }
            }
        };
        if sa < 0 {
            mag.reverse()
        } else {
            mag
        }
    }

    /// `self + other` rounded to `prec`; `None` for opposite infinities.
    pub fn add(&self, other: &Big, prec: u32) -> Option<Big> {
        match (self.inf, other.inf) {
            (true, true) if self.neg != other.neg => return None,
            (true, _) => return Some(Big::infinity(self.neg, prec)),
            (_, true) => return Some(Big::infinity(other.neg, prec)),
            _ => {}
        }
        if self.is_zero() {
            return Some(Big::round(
                other.neg,
                other.mant.clone(),
                other.exp,
                prec,
                false,
            ));
        }
        if other.is_zero() {
            return Some(Big::round(
                self.neg,
                self.mant.clone(),
                self.exp,
                prec,
                false,
            ));
        }
        let ta = self.exp + self.bits() as i64;
        let tb = other.exp + other.bits() as i64;
        // One far below the other (more than the precision's bits) decides
        // nothing: it is less than a quarter of the larger one's unit.
        let (big, far) = if ta >= tb {
            (self, ta - tb)
        } else {
            (other, tb - ta)
        };
        if far > i64::from(prec) + 8 {
            return Some(Big::round(big.neg, big.mant.clone(), big.exp, prec, false));
        }
        let e = self.exp.min(other.exp);
        let a = &self.mant << (self.exp - e) as u64;
        let b = &other.mant << (other.exp - e) as u64;
        let (neg, m) = if self.neg == other.neg {
            (self.neg, a + b)
        } else if a >= b {
            (self.neg, a - b)
        } else {
            (other.neg, b - a)
        };
        Some(Big::round(neg, m, e, prec, false))
    }

    /// The exact product rounded to `prec`.
    pub fn mul(&self, other: &Big, prec: u32) -> Option<Big> {
        let neg = self.neg != other.neg;
        if self.inf || other.inf {
            if self.is_zero() || other.is_zero() {
                return None;
            }
            return Some(Big::infinity(neg, prec));
        }
        Some(Big::round(
            neg,
            &self.mant * &other.mant,
            self.exp + other.exp,
            prec,
            false,
        ))
    }

    /// The quotient rounded to `prec`; `None` for 0/0 and inf/inf, an
    /// infinity for a nonzero number over zero.
    pub fn quo(&self, other: &Big, prec: u32) -> Option<Big> {
        let neg = self.neg != other.neg;
        match (self.inf, other.inf) {
            (true, true) => return None,
            (true, false) => return Some(Big::infinity(neg, prec)),
            (false, true) => return Some(Big::zero(prec)),
            _ => {}
        }
        if other.is_zero() {
            if self.is_zero() {
                return None;
            }
            return Some(Big::infinity(neg, prec));
        }
        if self.is_zero() {
            return Some(Big::zero(prec));
        }
        let want = u64::from(prec) + 2 + other.bits();
        let s = want.saturating_sub(self.bits());
        let num = &self.mant << s;
        let q = &num / &other.mant;
        let sticky = !(&num % &other.mant).is_zero();
        Some(Big::round(
            neg,
            q,
            self.exp - s as i64 - other.exp,
            prec,
            sticky,
        ))
    }

    /// A decimal number as Go's `big.ParseFloat(s, 10, prec, ToNearestEven)`
    /// reads it (Terraform's `cty.ParseNumberVal`): digits with an optional
    /// point and exponent, and an optional sign. Go scales by a power of five
    /// that it computes at 64 bits more than `prec`, so very large exponents
    /// round as Go's do.
    pub fn parse(s: &str, prec: u32) -> Option<Big> {
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body == "Inf" || body == "inf" {
            return Some(Big::infinity(neg, prec));
        }
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let mut digits = String::with_capacity(mantissa.len());
        let mut frac: i64 = 0;
        let mut seen_point = false;
        for c in mantissa.chars() {
            match c {
                '0'..='9' => {
                    digits.push(c);
                    if seen_point {
                        frac += 1;
                    }
                }
                '.' if !seen_point => seen_point = true,
                _ => return None,
            }
        }
        if digits.is_empty() {
            return None;
        }
        let exp10: i64 = match exponent {
            Some(e) => {
                let (sign, d) = match e.as_bytes().first()? {
                    b'-' => (-1, &e[1..]),
                    b'+' => (1, &e[1..]),
                    _ => (1, e),
                };
                if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                sign * d.parse::<i64>().ok().filter(|v| *v <= MAX_EXP10)?
            }
            None => 0,
        };
        let m = BigUint::parse_bytes(digits.as_bytes(), 10)?;
        if m.is_zero() {
            let mut z = Big::zero(prec);
            z.neg = neg;
            return Some(z);
        }
        let exp5 = exp10 - frac;
        let z = Big {
            neg,
            mant: m,
            exp: exp5,
            prec,
            inf: false,
        };
        if exp5 == 0 {
            return Some(Big::round(z.neg, z.mant, z.exp, prec, false));
        }
        let p = pow5(exp5.unsigned_abs(), prec + 64);
        if exp5 < 0 {
            z.quo(&p, prec)
        } else {
            z.mul(&p, prec)
        }
    }

    /// The exact decimal expansion: digits without trailing zeros and the
    /// position of the point (`0.digits * 10^point`), as Go's `decimal`.
    fn decimal(mant: &BigUint, exp: i64) -> (Vec<u8>, i64) {
        if mant.is_zero() {
            return (Vec::new(), 0);
        }
        let (m, shift) = if exp >= 0 {
            (mant << exp as u64, 0)
        } else {
            // m * 2^-k = m * 5^k / 10^k
            let k = (-exp) as u64;
            (mant * BigUint::from(5u32).pow(k as u32), k as i64)
        };
        let mut s = m.to_str_radix(10).into_bytes();
        let point = s.len() as i64 - shift;
        while s.last() == Some(&b'0') {
            s.pop();
        }
        (s, point)
    }

    /// Go's `Text('f', -1)`: the shortest decimal that reads back as this
    /// value at its precision, without an exponent.
    pub fn text(&self) -> String {
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        if self.inf {
            if !self.neg {
                out.push('+');
            }
            out.push_str("Inf");
            return out;
        }
        let (mut d, mut point) = Big::decimal(&self.mant, self.exp);
        if !d.is_empty() {
            round_shortest(&mut d, &mut point, self);
        }
        // 'f' with as many fraction digits as the digits need.
        let frac = (d.len() as i64 - point).max(0);
        if point > 0 {
            let m = (d.len() as i64).min(point) as usize;
            out.push_str(std::str::from_utf8(&d[..m]).unwrap_or("0"));
            for _ in m as i64..point {
                out.push('0');
            }
        } else {
            out.push('0');
        }
        if frac > 0 {
            out.push('.');
            for i in 0..frac {
                let j = point + i;
                out.push(if j >= 0 && (j as usize) < d.len() {
                    d[j as usize] as char
                } else {
                    '0'
                });
            }
        }
        out
    }
}

/// 5^n as Go's `Float.pow5` makes it: exact up to 5^27, then by squaring
/// with each product rounded (to `prec`, the factor to `prec + 64`).
fn pow5(n: u64, prec: u32) -> Big {
    const TAB: u64 = 7_450_580_596_923_828_125; // 5^27
    if n <= 27 {
        return Big::from_int(false, BigUint::from(5u64.pow(n as u32)), prec);
    }
    let mut z = Big::from_int(false, BigUint::from(TAB), prec);
    let mut f = Big::from_int(false, BigUint::from(5u32), prec + 64);
    let mut n = n - 27;
    while n > 0 {
        if n & 1 != 0 {
            z = z.mul(&f, prec).unwrap_or_else(|| Big::zero(prec));
        }
        f = f.mul(&f, prec + 64).unwrap_or_else(|| Big::zero(prec + 64));
        n >>= 1;
    }
    z
}

/// Go's `roundShortest`: trims `d` (the exact digits of `x`) to the fewest
/// digits that still lie within half a unit of `x`'s last bit at its
/// precision. The bounds are compared digit by digit at the same index, as
/// Go does.
fn round_shortest(d: &mut Vec<u8>, point: &mut i64, x: &Big) {
    let mut mant = x.mant.clone();
    let mut exp = x.exp;
    let bits = mant.bits() as i64;
    let s = bits - (i64::from(x.prec) + 1);
    if s < 0 {
        mant <<= (-s) as u64;
    } else if s > 0 {
        mant >>= s as u64;
    }
    exp += s;
    let (lower, _) = Big::decimal(&(&mant - BigUint::one()), exp);
    let (upper, _) = Big::decimal(&(&mant + BigUint::one()), exp);
    let inclusive = !mant.bit(1);
    let at = |v: &[u8], i: usize| v.get(i).copied().unwrap_or(b'0');
    for i in 0..d.len() {
        let m = d[i];
        let l = at(&lower, i);
        let u = at(&upper, i);
        let okdown = l != m || inclusive && i + 1 == lower.len();
        let okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.len());
        if okdown && okup {
            round_digits(d, point, i + 1);
            return;
        } else if okdown {
            round_down(d, i + 1);
            return;
        } else if okup {
            round_up(d, point, i + 1);
            return;
        }
    }
}

fn round_digits(d: &mut Vec<u8>, point: &mut i64, n: usize) {
    if n >= d.len() {
        return;
    }
    let up = if d[n] == b'5' && n + 1 == d.len() {
        n > 0 && (d[n - 1] - b'0') & 1 != 0
    } else {
        d[n] >= b'5'
    };
    if up {
        round_up(d, point, n);
    } else {
        round_down(d, n);
    }
}

fn round_down(d: &mut Vec<u8>, n: usize) {
    if n >= d.len() {
        return;
    }
    d.truncate(n);
    while d.last() == Some(&b'0') {
        d.pop();
    }
}

fn round_up(d: &mut Vec<u8>, point: &mut i64, n: usize) {
    if n >= d.len() {
        return;
    }
    let mut n = n;
    while n > 0 && d[n - 1] >= b'9' {
        n -= 1;
    }
    if n == 0 {
        d.clear();
        d.push(b'1');
        *point += 1;
        return;
    }
    d[n - 1] += 1;
    d.truncate(n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        Big::parse(s, LITERAL_PREC).unwrap().text()
    }

    #[test]
    fn literals_read_back_as_written() {
        for s in [
            "0.1",
            "3",
            "9007199254740993",
            "99999999999999999",
            "12345678901234567890",
            "0.000001",
            "1.5",
            "-2.25",
            "123456.789",
        ] {
            assert_eq!(text(s), s);
        }
        assert_eq!(text("1e3"), "1000");
        assert_eq!(text("1.5e-3"), "0.0015");
    }

    #[test]
    fn division_at_512_bits_as_terraform_writes_it() {
        let one = Big::parse("1", 512).unwrap();
        let three = Big::parse("3", 512).unwrap();
        let t = one.quo(&three, 512).unwrap().text();
        assert_eq!(t.len(), 2 + 155);
        assert!(t.starts_with("0.3333") && t.ends_with("335"), "{t}");
    }

    #[test]
    fn a_float64_prints_shortest_at_53_bits_as_go_does() {
        // Go's big.Float at 53 bits, not strconv: 2^64 has a symmetric
        // half-unit interval, so 16 digits suffice.
        assert_eq!(
            Big::from_f64(2f64.powi(64), 53).text(),
            "18446744073709550000"
        );
        assert_eq!(Big::from_f64(0.1, 53).text(), "0.1");
        assert_eq!(Big::from_f64(2.5, 53).text(), "2.5");
    }

    #[test]
    fn large_exponents_and_sums() {
        let a = Big::parse("1.5e300", 512).unwrap();
        let b = Big::parse("1e10", 512).unwrap();
        let p = a.mul(&b, 512).unwrap().text();
        assert_eq!(p, format!("15{}", "0".repeat(309)));
        let x = Big::parse("0.1", 512).unwrap();
        let y = Big::parse("0.2", 512).unwrap();
        assert_eq!(x.add(&y, 512).unwrap().text(), "0.3");
        let tiny = Big::parse("1e-400", 512).unwrap();
        assert_eq!(
            a.add(&tiny, 512).unwrap().text(),
            format!("15{}", "0".repeat(299))
        );
    }
}
