//! Small checks on text: bypass codes, digits, whole words.

/// `123 456 789`.
pub fn is_grouped_code(s: &str) -> bool {
    let groups: Vec<&str> = s.split(' ').collect();
    groups.len() == 3
        && groups
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

/// The digits of `s`.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether `haystack` holds `needle` as a whole word (ASCII letters and digits around it do
/// not count as a boundary), ignoring ASCII case.
pub fn contains_word(haystack: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    if n.is_empty() || haystack.len() < n.len() {
        return false;
    }
    (0..=haystack.len() - n.len()).any(|i| {
        haystack[i..i + n.len()].eq_ignore_ascii_case(n)
            && (i == 0 || !haystack[i - 1].is_ascii_alphanumeric())
            && haystack
                .get(i + n.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_codes() {
        assert!(contains_word(b"hello ada!", "ada"));
        assert!(contains_word(b"\"Ada Lovelace\"", "ada"));
        assert!(!contains_word(b"metadata", "ada"));
        assert!(!contains_word(b"canada", "ada"));
        assert!(is_grouped_code("123 456 789"));
        assert!(!is_grouped_code("123456789"));
        assert_eq!(digits("1, 2, 3"), "123");
    }
}
