//! Sizes and rates as people read them, and parsing of sizes people type.

use super::{Error, Result};

const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/// `1536` → "1.5 KiB"; whole numbers lose their decimals ("2 GiB").
pub fn format_bytes(bytes: u64) -> String {
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        return format!("{bytes} B");
    }
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[i])
    } else {
        format!("{rounded:.1} {}", UNITS[i])
    }
}

/// A KiB count as libvirt reports memory.
pub fn format_kib(kib: u64) -> String {
    format_bytes(kib.saturating_mul(1024))
}

/// Bytes per second, decimal as network tools show it: "12.3 kB/s", "1.2 MB/s".
pub fn format_rate(bytes_per_s: f64) -> String {
    if !bytes_per_s.is_finite() || bytes_per_s <= 0.0 {
        return "0 B/s".into();
    }
    let units = ["B/s", "kB/s", "MB/s", "GB/s", "TB/s"];
    let mut v = bytes_per_s;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 || v >= 100.0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

/// Parse "4 GiB", "512M", "1.5g", "2048" (plain numbers are MiB, like virt-manager's
/// memory field) into bytes.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let bad = |why: &str| Error::InvalidInput(format!("“{t}”: {why}"));
    if t.is_empty() {
        return Err(bad("enter a size, for example 2 GiB"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| bad("not a number, for example 2 GiB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "m" | "mib" | "mb" => 1024.0 * 1024.0,
        "b" => 1.0,
        "k" | "kib" | "kb" => 1024.0,
        "g" | "gib" | "gb" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" | "tb" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(bad(&format!(
                "unknown unit “{other}” (use MiB, GiB or TiB)"
            )))
        }
    };
    let bytes = value * mult;
    if !bytes.is_finite() || bytes > u64::MAX as f64 {
        return Err(bad("too large"));
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_sizes() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(format_kib(524288), "512 MiB");
        assert_eq!(format_kib(16 * 1024 * 1024), "16 GiB");
        assert_eq!(format_kib(1_600_000), "1.5 GiB");
    }

    #[test]
    fn formats_rates() {
        assert_eq!(format_rate(0.0), "0 B/s");
        assert_eq!(format_rate(f64::NAN), "0 B/s");
        assert_eq!(format_rate(999.0), "999 B/s");
        assert_eq!(format_rate(12_345.0), "12.3 kB/s");
        assert_eq!(format_rate(1_200_000.0), "1.2 MB/s");
        assert_eq!(format_rate(250_000_000.0), "250 MB/s");
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("2048").unwrap(), 2048 * 1024 * 1024);
        assert_eq!(parse_size("4 GiB").unwrap(), 4 << 30);
        assert_eq!(parse_size("1.5g").unwrap(), 1536 << 20);
        assert_eq!(parse_size(" 512 MiB ").unwrap(), 512 << 20);
        assert!(parse_size("").is_err());
        assert!(parse_size("lots").is_err());
        let e = parse_size("4 parsecs").unwrap_err().to_string();
        assert!(e.contains("parsecs"), "{e}");
    }
}
