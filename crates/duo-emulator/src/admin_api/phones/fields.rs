//! A phone's fields as Duo takes them: numbers, types and platforms normalized the way Duo
//! does, and the fields a create or modify call may set.

use crate::envelope::ApiError;
use crate::http::params::Params;

pub(crate) const PHONE_TYPES: [&str; 3] = ["unknown", "mobile", "landline"];
pub(crate) const PLATFORMS: [(&str, &str); 10] = [
    ("unknown", "Unknown"),
    ("google android", "Google Android"),
    ("apple ios", "Apple iOS"),
    ("windows phone 7", "Windows Phone 7"),
    ("rim blackberry", "RIM BlackBerry"),
    ("java j2me", "Java J2ME"),
    ("palm webos", "Palm WebOS"),
    ("symbian os", "Symbian OS"),
    ("windows mobile", "Windows Mobile"),
    ("generic smartphone", "Generic Smartphone"),
];

/// Phone fields a create or modify call may set; `None` leaves a field alone.
#[derive(Default)]
pub(crate) struct PhoneFields {
    pub number: Option<String>,
    pub extension: Option<String>,
    pub name: Option<String>,
    pub phone_type: Option<String>,
    pub platform: Option<String>,
    pub predelay: Option<i64>,
    pub postdelay: Option<i64>,
}

impl PhoneFields {
    /// The fields of `POST /admin/v1/phones[/{phone_id}]`, checked: 40002 on a bad number,
    /// type, platform or delay.
    pub(crate) fn from_params(params: &Params) -> Result<Self, ApiError> {
        let number = match params.get("number") {
            Some(n) => Some(normalize_number(n).ok_or_else(|| ApiError::invalid("number"))?),
            None => None,
        };
        let phone_type = match params.get("type") {
            Some(t) => Some(normalize_type(t).ok_or_else(|| ApiError::invalid("type"))?),
            None => None,
        };
        let platform = match params.get("platform") {
            Some(p) => Some(normalize_platform(p).ok_or_else(|| ApiError::invalid("platform"))?),
            None => None,
        };
        Ok(PhoneFields {
            number,
            extension: params.get("extension").map(str::to_owned),
            name: params.get("name").map(str::to_owned),
            phone_type,
            platform,
            predelay: params.i64_opt("predelay")?,
            postdelay: params.i64_opt("postdelay")?,
        })
    }
}

pub(crate) fn display_type(phone_type: &str) -> String {
    match phone_type {
        "mobile" => "Mobile".to_owned(),
        "landline" => "Landline".to_owned(),
        _ => "Unknown".to_owned(),
    }
}

pub(crate) fn display_platform(platform: &str) -> String {
    PLATFORMS
        .iter()
        .find(|(key, _)| *key == platform)
        .map(|(_, shown)| (*shown).to_owned())
        .unwrap_or_else(|| "Unknown".to_owned())
}

/// Lower-cases and checks a `type` parameter.
pub(crate) fn normalize_type(value: &str) -> Option<String> {
    let lowered = value.trim().to_ascii_lowercase();
    PHONE_TYPES.contains(&lowered.as_str()).then_some(lowered)
}

/// Lower-cases and checks a `platform` parameter (`windows phone` is an alias).
pub(crate) fn normalize_platform(value: &str) -> Option<String> {
    let lowered = value.trim().to_ascii_lowercase();
    let lowered = if lowered == "windows phone" {
        "windows phone 7".to_owned()
    } else {
        lowered
    };
    PLATFORMS
        .iter()
        .any(|(key, _)| *key == lowered)
        .then_some(lowered)
}

/// Dashes and spaces are ignored; without a leading `+` Duo assumes `+1`. `None` when
/// anything but digits remains.
pub(crate) fn normalize_number(value: &str) -> Option<String> {
    let compact: String = value.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if compact.is_empty() {
        return Some(String::new());
    }
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if compact.starts_with('+') {
        compact
    } else {
        format!("+1{digits}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalize_like_duo() {
        assert_eq!(
            normalize_number("+44 20-7946-0000").as_deref(),
            Some("+442079460000")
        );
        assert_eq!(
            normalize_number("555-123-4567").as_deref(),
            Some("+15551234567")
        );
        assert_eq!(normalize_number("").as_deref(), Some(""));
        assert_eq!(normalize_number("call me"), None);
        assert_eq!(normalize_number("+"), None);
    }

    #[test]
    fn platforms_normalize() {
        assert_eq!(
            normalize_platform("Apple iOS").as_deref(),
            Some("apple ios")
        );
        assert_eq!(
            normalize_platform("windows phone").as_deref(),
            Some("windows phone 7")
        );
        assert_eq!(normalize_platform("beos"), None);
        assert_eq!(normalize_type("Landline").as_deref(), Some("landline"));
        assert_eq!(display_platform("apple ios"), "Apple iOS");
    }
}
