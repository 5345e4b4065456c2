//! From a directory entry to a [`Person`], per the configured attribute names: the id (text or
//! AD's binary GUID), the display name, every mail and phone (phones in E.164), and the date
//! of birth in the configured format.

use ldap3::{ldap_escape, SearchEntry};
use time::{macros::format_description, Date};
use uuid::Uuid;

use super::config::{AttributeMap, DateOfBirthFormat, IdEncoding};
use crate::{
    directory::{DirectoryError, Person, PersonId},
    phone_number::E164Number,
};

#[derive(Debug, Clone)]
pub(super) struct PersonMapper {
    pub map: AttributeMap,
    pub phone_region: String,
}

impl PersonMapper {
    pub fn person(&self, entry: &SearchEntry) -> Result<Person, DirectoryError> {
        let missing = |what: &str, attribute: &str| {
            DirectoryError::Corrupt(format!("{} has no {what} ({attribute})", entry.dn))
        };
        let id = self.id(entry).ok_or_else(|| missing("id", &self.map.id))?;
        let username = first(entry, &self.map.username)
            .ok_or_else(|| missing("username", &self.map.username))?
            .to_owned();
        let display_name = first(entry, &self.map.display_name)
            .or_else(|| first(entry, "cn"))
            .unwrap_or(&username)
            .to_owned();
        let notification_emails = values(entry, &self.map.mail).to_vec();
        let mut phones: Vec<String> = Vec::new();
        for attribute in &self.map.phones {
            for raw in values(entry, attribute) {
                match E164Number::parse(raw, &self.phone_region) {
                    Ok(number) if !phones.iter().any(|p| p == number.as_str()) => {
                        phones.push(number.as_str().to_owned());
                    }
                    Ok(_) => {}
                    // The number itself stays out of the log.
                    Err(error) => tracing::warn!(
                        dn = %entry.dn, %attribute, %error,
                        "a phone number in the directory is skipped"
                    ),
                }
            }
        }
        Ok(Person {
            id,
            username,
            display_name,
            notification_emails,
            phones,
        })
    }

    /// The entry's date of birth, `None` when it has none; a value in another format than the
    /// configured one is an error, so a wrong `date_of_birth_format` shows at once.
    pub fn date_of_birth(&self, entry: &SearchEntry) -> Result<Option<Date>, DirectoryError> {
        let Some(attribute) = &self.map.date_of_birth else {
            return Ok(None);
        };
        let Some(raw) = first(entry, attribute) else {
            return Ok(None);
        };
        parse_date_of_birth(raw.trim(), self.map.date_of_birth_format)
            .map(Some)
            .ok_or_else(|| {
                DirectoryError::Corrupt(format!(
                    "{}: {attribute} is not a {:?} date",
                    entry.dn, self.map.date_of_birth_format
                ))
            })
    }

    /// The filter value that finds `id` in the id attribute, escaped; `None` for an id that
    /// cannot be one of ours (a GUID that does not parse).
    pub fn id_filter_value(&self, id: &PersonId) -> Option<String> {
        match self.map.id_encoding {
            IdEncoding::Text => Some(ldap_escape(id.0.as_str()).into_owned()),
            IdEncoding::Guid => {
                let guid = Uuid::parse_str(&id.0).ok()?;
                Some(
                    guid.to_bytes_le()
                        .iter()
                        .map(|b| format!("\\{b:02x}"))
                        .collect(),
                )
            }
        }
    }

    fn id(&self, entry: &SearchEntry) -> Option<PersonId> {
        match self.map.id_encoding {
            IdEncoding::Text => first(entry, &self.map.id).map(|id| PersonId(id.to_owned())),
            IdEncoding::Guid => {
                // ldap3 keeps values that happen to be valid UTF-8 as text.
                let bytes = binary(entry, &self.map.id)
                    .or_else(|| first(entry, &self.map.id).map(|text| text.as_bytes().to_vec()))?;
                let bytes: [u8; 16] = bytes.try_into().ok()?;
                Some(PersonId(
                    Uuid::from_bytes_le(bytes).hyphenated().to_string(),
                ))
            }
        }
    }
}

pub(super) fn parse_date_of_birth(raw: &str, format: DateOfBirthFormat) -> Option<Date> {
    let compact = format_description!("[year][month][day]");
    match format {
        DateOfBirthFormat::Yyyymmdd if raw.len() == 8 => Date::parse(raw, compact).ok(),
        DateOfBirthFormat::YyyyMmDd => {
            Date::parse(raw, format_description!("[year]-[month]-[day]")).ok()
        }
        // YYYYMMDDHH[MM[SS]][.fraction](Z|±HHMM): the date as written.
        DateOfBirthFormat::GeneralizedTime
            if raw.len() >= 11 && raw.get(8..10)?.chars().all(|c| c.is_ascii_digit()) =>
        {
            Date::parse(raw.get(..8)?, compact).ok()
        }
        _ => None,
    }
}

/// Attribute names are case-insensitive; servers answer in their schema's spelling.
fn values<'e>(entry: &'e SearchEntry, attribute: &str) -> &'e [String] {
    entry
        .attrs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .map_or(&[], |(_, values)| values.as_slice())
}

fn first<'e>(entry: &'e SearchEntry, attribute: &str) -> Option<&'e str> {
    values(entry, attribute)
        .iter()
        .map(String::as_str)
        .find(|value| !value.trim().is_empty())
}

fn binary(entry: &SearchEntry, attribute: &str) -> Option<Vec<u8>> {
    entry
        .bin_attrs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .and_then(|(_, values)| values.first().cloned())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use time::macros::date;

    use super::*;

    fn entry(attrs: &[(&str, &[&str])], bin_attrs: &[(&str, Vec<u8>)]) -> SearchEntry {
        SearchEntry {
            dn: "uid=x,dc=example,dc=org".to_owned(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            bin_attrs: bin_attrs
                .iter()
                .map(|(k, v)| (k.to_string(), vec![v.clone()]))
                .collect::<HashMap<_, _>>(),
        }
    }

    fn mapper(map: AttributeMap) -> PersonMapper {
        PersonMapper {
            map,
            phone_region: "US".to_owned(),
        }
    }

    #[test]
    fn dates_of_birth_parse_in_each_format() {
        use DateOfBirthFormat::*;
        let dob = date!(1985 - 12 - 10);
        assert_eq!(parse_date_of_birth("19851210", Yyyymmdd), Some(dob));
        assert_eq!(parse_date_of_birth("1985-12-10", YyyyMmDd), Some(dob));
        for raw in ["19851210000000Z", "1985121012Z", "19851210235959.5-0500"] {
            assert_eq!(
                parse_date_of_birth(raw, GeneralizedTime),
                Some(dob),
                "{raw}"
            );
        }
        for (raw, format) in [
            ("1985-12-10", Yyyymmdd),
            ("19851210", YyyyMmDd),
            ("19851310", Yyyymmdd),
            ("19851210", GeneralizedTime),
            ("1985121", Yyyymmdd),
            ("", GeneralizedTime),
        ] {
            assert_eq!(
                parse_date_of_birth(raw, format),
                None,
                "{raw} as {format:?}"
            );
        }
    }

    #[test]
    fn an_ad_object_guid_reads_as_ad_shows_it_and_finds_it_again() {
        let map = AttributeMap {
            username: "sAMAccountName".into(),
            id: "objectGUID".into(),
            id_encoding: IdEncoding::Guid,
            ..AttributeMap::default()
        };
        let guid = Uuid::parse_str("3f2504e0-4f89-11d3-9a0c-0305e82c3301").unwrap();
        let e = entry(
            &[("sAMAccountName", &["ada"]), ("cn", &["Ada L"])],
            &[("objectGUID", guid.to_bytes_le().to_vec())],
        );
        let person = mapper(map.clone()).person(&e).unwrap();
        assert_eq!(person.id.0, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
        assert_eq!(person.display_name, "Ada L");
        assert_eq!(
            mapper(map.clone()).id_filter_value(&person.id).unwrap(),
            "\\e0\\04\\25\\3f\\89\\4f\\d3\\11\\9a\\0c\\03\\05\\e8\\2c\\33\\01"
        );
        assert_eq!(mapper(map).id_filter_value(&PersonId("*".into())), None);
    }

    #[test]
    fn phones_become_e164_and_the_unparsable_are_skipped() {
        let e = entry(
            &[
                ("uid", &["grace"]),
                ("entryUUID", &["u-1"]),
                ("telephoneNumber", &["(201) 555-0123", "not a phone"]),
                ("MOBILE", &["+44 20 7946 0018", "+1 201 555 0123"]),
                ("mail", &["a@example.org", "b@example.org"]),
            ],
            &[],
        );
        let person = mapper(AttributeMap::default()).person(&e).unwrap();
        assert_eq!(person.phones, ["+12015550123", "+442079460018"]);
        assert_eq!(
            person.notification_emails,
            ["a@example.org", "b@example.org"]
        );
        assert_eq!(person.display_name, "grace");
        assert_eq!(
            mapper(AttributeMap::default())
                .id_filter_value(&PersonId("a*)(uid=*".into()))
                .unwrap(),
            "a\\2a\\29\\28uid=\\2a"
        );
    }
}
