//! RFC 2822 dates, as Duo's `Date` / `X-Duo-Date` headers carry them.
//!
//! Only what a request header needs: `[Www,] DD Mon YYYY HH:MM[:SS] ZONE`, where ZONE is
//! `+HHMM` / `-HHMM` (`-0000` included) or one of the named zones RFC 2822 keeps as
//! obsolete forms (`GMT`, `UT`, `UTC`, `Z`, and the US zones). Day and month names are the
//! English ones; a localized name (`Mi, 14 Feb …`) does not parse, which Duo answers with
//! 40104 (JohnDuprey/DuoSecurity#32).

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Parses an RFC 2822 date-time into Unix seconds. `None` when it is not one.
pub(crate) fn parse_rfc2822(input: &str) -> Option<i64> {
    let mut rest = input.trim();
    // Optional day of week followed by a comma.
    if let Some(comma) = rest.find(',') {
        let day = rest.get(..comma)?.trim().to_ascii_lowercase();
        if !DAYS.contains(&day.as_str()) {
            return None;
        }
        rest = rest.get(comma + 1..)?;
    }
    let mut fields = rest.split_whitespace();
    let day: u32 = parse_digits(fields.next()?, 1, 2)?;
    let month_name = fields.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year_text = fields.next()?;
    let mut year: i64 = i64::from(parse_digits(year_text, 2, 4)?);
    if year_text.len() == 2 {
        // RFC 2822 section 4.3: two-digit years 00-49 are 2000-2049, 50-99 are 1950-1999.
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_text.len() == 3 {
        year += 1900;
    }
    let time = fields.next()?;
    let zone = fields.next()?;
    if fields.next().is_some() {
        return None;
    }

    let mut hms = time.split(':');
    let hour: u32 = parse_digits(hms.next()?, 2, 2)?;
    let minute: u32 = parse_digits(hms.next()?, 2, 2)?;
    let second: u32 = match hms.next() {
        Some(s) => parse_digits(s, 2, 2)?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let offset = parse_zone(zone)?;
    let days = days_from_civil(year, month, day);
    let local =
        days * 86_400 + i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second);
    Some(local - offset)
}

fn parse_digits(text: &str, min: usize, max: usize) -> Option<u32> {
    if text.len() < min || text.len() > max || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The zone's offset east of UTC, in seconds.
fn parse_zone(zone: &str) -> Option<i64> {
    let bytes = zone.as_bytes();
    if let [sign @ (b'+' | b'-'), ..] = bytes {
        let digits = zone.get(1..)?;
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let hours: i64 = digits.get(..2)?.parse().ok()?;
        let minutes: i64 = digits.get(2..)?.parse().ok()?;
        if minutes > 59 {
            return None;
        }
        let magnitude = hours * 3_600 + minutes * 60;
        return Some(if *sign == b'-' { -magnitude } else { magnitude });
    }
    let hours = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    };
    Some(hours * 3_600)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, i64::from(month) + 9)
    } else {
        (year, i64::from(month) - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Formats Unix seconds as `Www, DD Mon YYYY HH:MM:SS <zone>`: with zone `GMT` this is the
/// HTTP date the emulator sends in its `Date` response header (its own, skewed clock).
pub(crate) fn format_date(unix: i64, zone: &str) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday; DAYS starts on Monday.
    let weekday = (days + 3).rem_euclid(7) as usize;
    let day_name = DAYS.get(weekday).copied().unwrap_or("mon");
    let month_name = MONTHS.get(month as usize - 1).copied().unwrap_or("jan");
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} {zone}",
        capitalize(day_name),
        day,
        capitalize(month_name),
        year,
        secs / 3_600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_dates() {
        assert_eq!(
            parse_rfc2822("Tue, 21 Aug 2012 17:29:18 -0000"),
            Some(1_345_570_158)
        );
        assert_eq!(
            parse_rfc2822("Fri, 07 Dec 2012 17:18:00 -0000"),
            Some(1_354_900_680)
        );
        assert_eq!(
            parse_rfc2822("Fri, 24 May 2024 12:00:00 -0000"),
            Some(1_716_552_000)
        );
    }

    #[test]
    fn zones_and_variants() {
        let utc = parse_rfc2822("Fri, 24 May 2024 12:00:00 +0000");
        assert_eq!(utc, Some(1_716_552_000));
        assert_eq!(parse_rfc2822("Fri, 24 May 2024 14:00:00 +0200"), utc);
        assert_eq!(parse_rfc2822("Fri, 24 May 2024 07:00:00 -0500"), utc);
        assert_eq!(parse_rfc2822("24 May 2024 12:00:00 GMT"), utc);
        assert_eq!(parse_rfc2822("Fri, 24 May 2024 12:00 UT"), utc);
        assert_eq!(parse_rfc2822("Fri,  24 May 2024 12:00:00 -0000 "), utc);
    }

    #[test]
    fn rejects_non_rfc2822() {
        for bad in [
            "",
            "2024-05-24T12:00:00Z",
            "Mi, 14 Feb 2024 12:00:00 +0100",
            "Fri, 24 Mai 2024 12:00:00 +0000",
            "Fri, 31 Apr 2024 12:00:00 +0000",
            "Fri, 24 May 2024 25:00:00 +0000",
            "Fri, 24 May 2024 12:00:00",
            "Fri, 24 May 2024 12:00:00 +00",
            "Fri, 24 May 2024 12:00:00 +0000 extra",
        ] {
            assert_eq!(parse_rfc2822(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(
            format_date(1_345_570_158, "-0000"),
            "Tue, 21 Aug 2012 17:29:18 -0000"
        );
        assert_eq!(
            format_date(1_345_570_158, "GMT"),
            "Tue, 21 Aug 2012 17:29:18 GMT"
        );
        for t in [0_i64, 951_782_400, 1_716_552_000, 4_102_444_799] {
            assert_eq!(parse_rfc2822(&format_date(t, "+0000")), Some(t));
        }
    }
}
