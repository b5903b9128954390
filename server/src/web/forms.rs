//! What web forms have in common: field error messages, the summary above a form, `<select>` choices.

use serde::Deserialize;

use crate::domain::FieldError;
use crate::i18n::Tr;

/// A form field: the name its errors carry, the id of its input (what the summary links to) and the
/// key of its label.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub input: &'static str,
    pub label: &'static str,
}

/// One line of the error summary above a form: a link to the field, its label, what is wrong.
#[derive(Debug, Clone)]
pub struct SummaryItem {
    pub href: String,
    pub label: String,
    pub message: String,
}

/// Field error messages of a submitted form, translated, for the template to show in a summary and
/// beside each field.
#[derive(Debug, Clone, Default)]
pub struct FieldMessages {
    messages: Vec<(String, String)>,
    summary: Vec<SummaryItem>,
}

/// The id of the element holding a field's error message (`location.latitude` → `location-latitude-error`).
pub fn error_id(field: &str) -> String {
    format!("{}-error", field.replace('.', "-"))
}

impl FieldMessages {
    /// `fields` lists the form's fields in the order they appear, so that the summary follows it.
    pub fn new(t: Tr, errors: &[FieldError], fields: &[Field]) -> Self {
        let messages: Vec<(String, String)> = errors.iter().map(|e| (e.field.to_owned(), t.msg(&e.message))).collect();
        let mut summary = Vec::new();
        for field in fields {
            for (_, message) in messages.iter().filter(|(name, _)| name == field.name) {
                summary.push(SummaryItem {
                    href: format!("#{}", field.input),
                    label: t.t(field.label).to_owned(),
                    message: message.clone(),
                });
            }
        }
        // An error about a field the form does not show (none is expected) is still reported.
        for (name, message) in &messages {
            if !fields.iter().any(|f| f.name == name) {
                summary.push(SummaryItem { href: String::new(), label: String::new(), message: message.clone() });
            }
        }
        Self { messages, summary }
    }

    /// The message for `field`, or an empty string.
    pub fn of(&self, field: &str) -> &str {
        self.messages.iter().find(|(f, _)| f == field).map_or("", |(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.messages.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    pub fn summary(&self) -> &[SummaryItem] {
        &self.summary
    }

    pub fn error_id(&self, field: &str) -> String {
        error_id(field)
    }

    /// The `aria-describedby` and `aria-invalid` attributes of a field's input: its hint (the id of
    /// an element, or "") and its error message when it has one. Field names and hint ids are
    /// written in templates, never taken from the request.
    pub fn aria(&self, field: &str, hint: &str) -> String {
        let mut described_by: Vec<String> = Vec::new();
        if !hint.is_empty() {
            described_by.push(hint.to_owned());
        }
        if self.has(field) {
            described_by.push(error_id(field));
        }
        let mut attributes = String::new();
        if !described_by.is_empty() {
            attributes.push_str(&format!(" aria-describedby=\"{}\"", described_by.join(" ")));
        }
        if self.has(field) {
            attributes.push_str(" aria-invalid=\"true\"");
        }
        attributes
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
pub fn enum_choices(t: Tr, prefix: &str, values: impl IntoIterator<Item = &'static str>, current: &str) -> Vec<Choice> {
    values
        .into_iter()
        .map(|value| Choice {
            value,
            label: t.t(&format!("{prefix}.{value}")),
            selected: current.trim() == value,
            indent: false,
        })
        .collect()
}

/// The longest `next` followed after a login, in bytes.
pub const NEXT_MAX: usize = 2048;

/// Only a plain local path is followed after a login, so that a link cannot send people elsewhere:
/// a `/` not followed by another one, then printable ASCII only — no whitespace or control character
/// anywhere, and no backslash (browsers drop tabs and line breaks from a URL and read `\` as `/`, so
/// `/\t/evil.example` and `/\evil.example` would both lead to `evil.example`; CR, LF and NUL cannot go
/// in a `Location` header at all), at most [`NEXT_MAX`] bytes. The paths this site puts in `next`
/// are percent-encoded and pass; anything else falls back to the home page.
pub fn safe_next(next: &str) -> Option<&str> {
    let plain = next.len() <= NEXT_MAX && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    let local = next.strip_prefix('/').is_some_and(|rest| !rest.starts_with('/'));
    (plain && local).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn next_must_be_a_plain_local_path() {
        assert_eq!(safe_next("/listings/new"), Some("/listings/new"));
        assert_eq!(safe_next("/"), Some("/"));
        assert_eq!(safe_next("/?q=v%C3%A9lo&page=2"), Some("/?q=v%C3%A9lo&page=2"));
        assert_eq!(safe_next("/%2F%2Fevil.example"), Some("/%2F%2Fevil.example"), "one local path");
        for hostile in [
            "//evil.example/",
            "///evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "/a\\b",
            "/\t/evil.example",
            "/ /evil.example",
            " /listings",
            "/listings\n",
            "/\r\nSet-Cookie: a=b",
            "/\0",
            "/\u{7f}",
            "/\u{a0}/evil.example",
            "/vélo",
            "listings",
            "",
        ] {
            assert_eq!(safe_next(hostile), None, "{hostile:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(NEXT_MAX - 1))).map(str::len), Some(NEXT_MAX));
        assert_eq!(safe_next(&format!("/{}", "a".repeat(NEXT_MAX))), None);
    }

    const FIELDS: &[Field] = &[
        Field { name: "title", input: "title", label: "listing_form.title" },
        Field { name: "location.latitude", input: "latitude", label: "listing_form.latitude" },
    ];

    #[test]
    fn the_summary_follows_the_form_and_links_to_each_field() {
        let errors = [
            FieldError::new("location.latitude", "error.latitude_range"),
            FieldError::new("title", "error.required"),
            FieldError::new("elsewhere", "error.required"),
        ];
        let messages = FieldMessages::new(Tr::new(Lang::Fr), &errors, FIELDS);
        let summary: Vec<(&str, &str, &str)> =
            messages.summary().iter().map(|s| (s.href.as_str(), s.label.as_str(), s.message.as_str())).collect();
        assert_eq!(
            summary,
            [
                ("#title", "Titre", "Ce champ est obligatoire."),
                ("#latitude", "Latitude", "La latitude doit être comprise entre -90 et 90."),
                ("", "", "Ce champ est obligatoire."),
            ]
        );
        assert_eq!(messages.of("title"), "Ce champ est obligatoire.");
        assert_eq!(messages.of("description"), "");
    }

    #[test]
    fn inputs_point_to_their_hint_and_error() {
        let messages =
            FieldMessages::new(Tr::new(Lang::En), &[FieldError::new("location.latitude", "error.number")], FIELDS);
        assert_eq!(
            messages.aria("location.latitude", ""),
            " aria-describedby=\"location-latitude-error\" aria-invalid=\"true\""
        );
        assert_eq!(
            messages.aria("location.latitude", "latitude-hint"),
            " aria-describedby=\"latitude-hint location-latitude-error\" aria-invalid=\"true\""
        );
        assert_eq!(messages.aria("title", "title-hint"), " aria-describedby=\"title-hint\"");
        assert_eq!(messages.aria("title", ""), "");
        assert_eq!(messages.error_id("location.latitude"), "location-latitude-error");
    }
}

/// The body of a form that has nothing but its CSRF token (a button).
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}
