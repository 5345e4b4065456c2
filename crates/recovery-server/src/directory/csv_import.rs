//! Reading HR's CSV export into people to import.
//!
//! Columns (header row required, any order): `username`, `display_name`,
//! `notification_emails` and `phone_numbers` (`;`-separated), `date_of_birth` (`YYYY-MM-DD`),
//! `password` or `password_hash` (an argon2 PHC string), and optionally `recovery_pin` (people
//! without one set it themselves: `PUT /v1/me/recovery-pin`).
//!
//! A directory that keeps passwords elsewhere (LDAP) takes only HR facts: `username`,
//! `date_of_birth` ([`read_facts_csv`]). Every problem is reported with its line, and one bad
//! line stops the whole import.

use std::{collections::HashSet, io::Read};

use recovery_api::{fields, Secret};
use time::Date;

use crate::slow_hash::is_supported_hash;

#[derive(Debug)]
pub struct NewPerson {
    pub username: String,
    pub display_name: String,
    pub notification_emails: Vec<String>,
    pub phones: Vec<String>,
    pub date_of_birth: Date,
    pub password: PasswordSource,
    pub recovery_pin: Option<Secret>,
}

/// HR facts of a person whose password lives in another directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFacts {
    pub username: String,
    pub date_of_birth: Date,
}

#[derive(Debug)]
pub enum PasswordSource {
    Plain(Secret),
    /// An argon2 PHC string exported from another system.
    Hash(String),
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the CSV file cannot be read: {0}")]
    Unreadable(String),
    #[error("the CSV header lacks the column `{0}`")]
    MissingColumn(&'static str),
    #[error("line {line}: {message}")]
    Line { line: u64, message: String },
}

const REQUIRED: [&str; 5] = [
    "username",
    "display_name",
    "notification_emails",
    "phone_numbers",
    "date_of_birth",
];

/// Reads `username,date_of_birth` rows (other columns are ignored, so an HR export can be
/// given as it is). Passwords are refused: this file is for directories that hold them.
pub fn read_facts_csv(input: impl Read, today: time::Date) -> Result<Vec<NewFacts>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Unreadable(e.to_string()))?
        .clone();
    let column = |name: &'static str| headers.iter().position(|h| h == name);
    let username_col = column("username").ok_or(CsvError::MissingColumn("username"))?;
    let date_col = column("date_of_birth").ok_or(CsvError::MissingColumn("date_of_birth"))?;
    if let Some(secret) = ["password", "password_hash", "recovery_pin"]
        .into_iter()
        .find(|name| headers.iter().any(|h| h == *name))
    {
        return Err(CsvError::Unreadable(format!(
            "the facts file must not hold secrets: remove the column `{secret}`"
        )));
    }
    let mut seen = HashSet::new();
    let mut facts = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Unreadable(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let fail = |message: String| CsvError::Line { line, message };
        let raw = |i: usize| record.get(i).unwrap_or_default();
        let username =
            fields::normalize_username(raw(username_col)).map_err(|e| fail(e.message))?;
        if !seen.insert(username.clone()) {
            return Err(fail(format!("the username `{username}` appears twice")));
        }
        let date_of_birth =
            fields::parse_date_of_birth(raw(date_col), today).map_err(|e| fail(e.message))?;
        facts.push(NewFacts {
            username,
            date_of_birth,
        });
    }
    Ok(facts)
}

/// `today` bounds the dates of birth (none in the future).
pub fn read_people_csv(
    input: impl Read,
    phone_region: &str,
    today: time::Date,
) -> Result<Vec<NewPerson>, CsvError> {
    let region: phonenumber::country::Id = phone_region
        .parse()
        .map_err(|_| CsvError::Unreadable(format!("unknown phone region `{phone_region}`")))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| CsvError::Unreadable(e.to_string()))?
        .clone();
    let column = |name: &'static str| headers.iter().position(|h| h == name);
    for name in REQUIRED {
        column(name).ok_or(CsvError::MissingColumn(name))?;
    }
    let (password_col, hash_col) = (column("password"), column("password_hash"));
    if password_col.is_none() && hash_col.is_none() {
        return Err(CsvError::MissingColumn("password"));
    }
    let mut seen = HashSet::new();
    let mut people = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Unreadable(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let fail = |message: String| CsvError::Line { line, message };
        let get = |name: &'static str| {
            column(name)
                .and_then(|i| record.get(i))
                .unwrap_or_default()
                .to_owned()
        };
        let username = fields::normalize_username(&get("username")).map_err(|e| fail(e.message))?;
        if !seen.insert(username.clone()) {
            return Err(fail(format!("the username `{username}` appears twice")));
        }
        let display_name = get("display_name");
        if display_name.is_empty() {
            return Err(fail("display_name is empty".to_owned()));
        }
        let notification_emails = split_list(&get("notification_emails"))
            .map(|email| {
                email
                    .parse::<lettre::Address>()
                    .map(|a| a.to_string())
                    .map_err(|_| fail(format!("`{email}` is not an e-mail address")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if notification_emails.is_empty() {
            return Err(fail(
                "at least one notification e-mail address is needed".to_owned(),
            ));
        }
        let phones = split_list(&get("phone_numbers"))
            .map(|raw| {
                normalize_phone(raw, region)
                    .ok_or_else(|| fail(format!("`{raw}` is not a valid phone number")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let date_of_birth = fields::parse_date_of_birth(&get("date_of_birth"), today)
            .map_err(|e| fail(e.message))?;
        let recovery_pin = match get("recovery_pin") {
            pin if pin.is_empty() => None,
            pin => {
                fields::check_pin(&pin).map_err(|e| fail(e.message))?;
                Some(Secret::new(pin))
            }
        };
        let plain = password_col
            .and_then(|i| record.get(i))
            .filter(|p| !p.is_empty());
        let hash = hash_col
            .and_then(|i| record.get(i))
            .filter(|h| !h.is_empty());
        let password = match (plain, hash) {
            (Some(_), Some(_)) => {
                return Err(fail("give password or password_hash, not both".to_owned()))
            }
            (None, None) => return Err(fail("password or password_hash is needed".to_owned())),
            (Some(plain), None) => {
                fields::check_password(plain).map_err(|e| fail(e.message))?;
                PasswordSource::Plain(Secret::new(plain))
            }
            (None, Some(hash)) if is_supported_hash(hash) => PasswordSource::Hash(hash.to_owned()),
            (None, Some(_)) => {
                return Err(fail(
                    "password_hash must be an argon2 PHC string".to_owned(),
                ))
            }
        };
        people.push(NewPerson {
            username,
            display_name,
            notification_emails,
            phones,
            date_of_birth,
            password,
            recovery_pin,
        });
    }
    Ok(people)
}

fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// E.164 (`+15555550142`), or `None` when the number is not valid.
pub fn normalize_phone(raw: &str, region: phonenumber::country::Id) -> Option<String> {
    let number = phonenumber::parse(Some(region), raw).ok()?;
    phonenumber::is_valid(&number)
        .then(|| number.format().mode(phonenumber::Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "username,display_name,notification_emails,phone_numbers,date_of_birth,password,recovery_pin\n";

    fn today() -> time::Date {
        time::macros::date!(2026 - 12 - 06)
    }

    #[test]
    fn refuses_dates_of_birth_before_1900_or_in_the_future() {
        for (date, words) in [
            ("1899-12-31", "from 1900 on"),
            ("2026-12-07", "future"),
            ("2990-01-01", "future"),
        ] {
            let csv = format!("{HEADER}ada,Ada,ada@example.org,,{date},pw,246810\n");
            let error = read_people_csv(csv.as_bytes(), "US", today())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.starts_with("line 2:") && error.contains(words),
                "{date}: {error}"
            );
        }
        let edge = format!("{HEADER}ada,Ada,ada@example.org,,1900-01-01,pw,246810\n");
        assert!(read_people_csv(edge.as_bytes(), "US", today()).is_ok());
    }

    #[test]
    fn reads_a_valid_row() {
        let csv = format!("{HEADER}Ada,Ada Lovelace,ada@example.org;ada.home@example.net,+1 201 555 0123,1985-12-10,correct-horse-battery,246810\n");
        let people = read_people_csv(csv.as_bytes(), "US", today()).unwrap_or_default();
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].username, "ada");
        assert_eq!(people[0].notification_emails.len(), 2);
        assert_eq!(people[0].phones, vec!["+12015550123".to_owned()]);
    }

    #[test]
    fn names_the_line_of_a_bad_row() {
        let csv = format!("{HEADER}ada,Ada,ada@example.org,,1985-02-30,pw,246810\n");
        let error = read_people_csv(csv.as_bytes(), "US", today())
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("line 2:")));
    }

    #[test]
    fn refuses_a_pin_with_letters_and_a_duplicate_username() {
        let bad_pin = format!("{HEADER}ada,Ada,ada@example.org,,1985-12-10,pw,12ab56\n");
        assert!(read_people_csv(bad_pin.as_bytes(), "US", today()).is_err());
        let twice = format!(
            "{HEADER}ada,Ada,ada@example.org,,1985-12-10,pw,123456\nADA,Ada,ada@example.org,,1985-12-10,pw,123456\n"
        );
        assert!(read_people_csv(twice.as_bytes(), "US", today()).is_err());
    }

    #[test]
    fn a_person_without_a_pin_sets_one_later() {
        let csv = format!("{HEADER}ada,Ada,ada@example.org,,1985-12-10,pw,\n");
        let people = read_people_csv(csv.as_bytes(), "US", today()).unwrap_or_default();
        assert!(people.first().is_some_and(|p| p.recovery_pin.is_none()));
        let no_column =
            "username,display_name,notification_emails,phone_numbers,date_of_birth,password\n\
                         ada,Ada,ada@example.org,,1985-12-10,pw\n";
        assert!(read_people_csv(no_column.as_bytes(), "US", today()).is_ok());
    }

    #[test]
    fn reads_facts_and_refuses_secrets_in_them() {
        let facts =
            "username,date_of_birth,department\nAda,1985-12-10,Maths\ngrace,1976-12-09,Navy\n";
        let read = read_facts_csv(facts.as_bytes(), today()).unwrap_or_default();
        assert_eq!(
            read,
            vec![
                NewFacts {
                    username: "ada".to_owned(),
                    date_of_birth: time::macros::date!(1985 - 12 - 10),
                },
                NewFacts {
                    username: "grace".to_owned(),
                    date_of_birth: time::macros::date!(1976 - 12 - 09),
                },
            ]
        );
        for header in ["password", "password_hash", "recovery_pin"] {
            let csv = format!("username,date_of_birth,{header}\nada,1985-12-10,x\n");
            let error = read_facts_csv(csv.as_bytes(), today())
                .err()
                .map(|e| e.to_string());
            assert!(error.is_some_and(|e| e.contains(header)), "{header}");
        }
        for bad in [
            "username,date_of_birth\nada,1985-13-10\n",
            "username,date_of_birth\nada,2999-01-01\n",
            "username,date_of_birth\nada,1985-12-10\nADA,1985-12-10\n",
            "username\nada\n",
        ] {
            assert!(read_facts_csv(bad.as_bytes(), today()).is_err(), "{bad}");
        }
    }
}
