//! Enough of `resource.Quantity` to validate resources: parsing the suffixed number
//! syntax (`100m`, `1Gi`, `0.5`, `1e3`), comparing, and the canonical string that
//! upstream prints in messages (`0.5` → `500m`, `1024Mi` → `1Gi`).
//!
//! Values are held exactly in nano units (upstream rounds up to 10⁻⁹ as well); a value
//! too large for that (beyond ~10²⁹) is reported as unparseable.

use std::cmp::Ordering;

/// Upstream's parse error text (`resource.ErrFormatWrong`'s regex).
pub const FORMAT_ERROR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    BinarySi,
    DecimalSi,
    DecimalExponent,
}

/// A parsed quantity.
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.nanos.cmp(&other.nanos))
    }
}

fn pow(base: i128, exp: u32) -> Option<i128> {
    base.checked_pow(exp)
}

impl Quantity {
    /// Parses `s`; `None` when it is not a quantity.
    pub fn parse(s: &str) -> Option<Quantity> {
        let (negative, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, suffix) = rest.split_at(num_end);
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
            return None;
        }
        let mut mantissa: i128 = 0;
        for b in int_part.bytes().chain(frac_part.bytes()) {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(i128::from(b - b'0'))?;
        }
        let (format, exp10, binary) = match suffix {
            "Ki" => (Format::BinarySi, 0, 1),
            "Mi" => (Format::BinarySi, 0, 2),
            "Gi" => (Format::BinarySi, 0, 3),
            "Ti" => (Format::BinarySi, 0, 4),
            "Pi" => (Format::BinarySi, 0, 5),
            "Ei" => (Format::BinarySi, 0, 6),
            "n" => (Format::DecimalSi, -9, 0),
            "u" => (Format::DecimalSi, -6, 0),
            "m" => (Format::DecimalSi, -3, 0),
            "" => (Format::DecimalSi, 0, 0),
            "k" => (Format::DecimalSi, 3, 0),
            "M" => (Format::DecimalSi, 6, 0),
            "G" => (Format::DecimalSi, 9, 0),
            "T" => (Format::DecimalSi, 12, 0),
            "P" => (Format::DecimalSi, 15, 0),
            "E" => (Format::DecimalSi, 18, 0),
            s if s.starts_with(['e', 'E']) => {
                let digits = &s[1..];
                let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
                if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (Format::DecimalExponent, digits.parse::<i32>().ok()?, 0)
            }
            _ => return None,
        };
        // value = mantissa * 1024^binary * 10^(exp10 - frac digits); in nanos: +9.
        let scale = exp10 + 9 - i32::try_from(frac_part.len()).ok()?;
        let mut num = mantissa.checked_mul(pow(1024, binary)?)?;
        let mut den: i128 = 1;
        if scale >= 0 {
            num = num.checked_mul(pow(10, scale.unsigned_abs())?)?;
        } else {
            den = pow(10, scale.unsigned_abs()).unwrap_or(0);
        }
        let nanos = if den == 0 {
            // Smaller than anything representable: rounds up to one nano unless zero.
            i128::from(num != 0)
        } else {
            (num + den - 1) / den
        };
        Some(Quantity {
            nanos: if negative { -nanos } else { nanos },
            format,
        })
    }

    /// A string equal for equal quantities however written (`1Gi`, `1073741824`),
    /// upstream's semantic equality (`Cmp == 0`).
    pub fn comparable(&self) -> String {
        format!("{}n", self.nanos)
    }

    /// The value in units of 10^-9 (`1m` is 1,000,000).
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// Upstream `Quantity.String()`: the canonical form.
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.abs();
        const NANO: i128 = 1_000_000_000;
        if self.format == Format::BinarySi && abs % NANO == 0 && abs / NANO >= 1024 {
            let mut value = abs / NANO;
            let mut k = 0;
            while k < 6 && value % 1024 == 0 {
                value /= 1024;
                k += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
            return format!("{sign}{value}{suffix}");
        }
        let mut value = abs;
        let mut exp = -9;
        while exp < 18 && value % 1000 == 0 {
            value /= 1000;
            exp += 3;
        }
        let suffix = if self.format == Format::DecimalExponent {
            if exp == 0 {
                String::new()
            } else {
                format!("e{exp}")
            }
        } else {
            match exp {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            }
            .to_string()
        };
        format!("{sign}{value}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_canonicalises() {
        let cases = [
            ("100m", "100m"),
            ("0.5", "500m"),
            ("1", "1"),
            ("1000m", "1"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("512", "512"),
            ("1e3", "1e3"),
            ("1500", "1500"),
            ("2000", "2k"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("123Mi", "123Mi"),
            ("1.5Gi", "1536Mi"),
            ("-1", "-1"),
            ("+2k", "2k"),
            (".5", "500m"),
            ("0", "0"),
        ];
        for (input, canonical) in cases {
            let q = Quantity::parse(input).unwrap_or_else(|| panic!("{input} parses"));
            assert_eq!(q.canonical(), canonical, "{input}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for input in [
            "", "abc", "1.2.3", ".", "1Ki2", "1e", "1ee3", "--1", "1 Gi", "1g",
        ] {
            assert!(Quantity::parse(input).is_none(), "{input}");
        }
    }

    #[test]
    fn compares_across_suffixes() {
        let q = |s| Quantity::parse(s).expect("valid");
        assert!(q("100m") < q("0.2"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("1e3") == q("1k"));
        assert!(q("0.1") == q("100m"));
        assert!(q("-1") < q("0"));
    }
}
