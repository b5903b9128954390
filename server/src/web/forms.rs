//! What web forms have in common: field error messages and `<select>` choices.

use crate::domain::FieldError;
use crate::i18n::Tr;

/// Field error messages of a submitted form, translated, for the template to show beside each field.
#[derive(Debug, Clone, Default)]
pub struct FieldMessages(pub Vec<(String, String)>);

impl FieldMessages {
    pub fn new(t: Tr, errors: &[FieldError]) -> Self {
        Self(errors.iter().map(|e| (e.field.to_owned(), t.msg(&e.message))).collect())
    }

    /// The message for `field`, or an empty string.
    pub fn of(&self, field: &str) -> &str {
        self.0.iter().find(|(f, _)| f == field).map_or("", |(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A choice in a `<select>` or a radio group.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
    pub indent: bool,
}

/// Choices for an enum whose labels are `prefix.value` in the locale files.
pub fn enum_choices(t: Tr, prefix: &str, values: &[&'static str], current: &str) -> Vec<Choice> {
    values
        .iter()
        .map(|value| Choice {
            value,
            label: t.t(&format!("{prefix}.{value}")),
            selected: current.trim() == *value,
            indent: false,
        })
        .collect()
}

/// Only local paths are followed after a login, so that a link cannot send people elsewhere.
pub fn safe_next(next: &str) -> Option<&str> {
    let next = next.trim();
    (next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\")).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next("/listings/new"), Some("/listings/new"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next(""), None);
    }
}
