//! Text helpers: trimming and length rules, and the accent- and case-insensitive form used by search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::FieldError;

/// Trims `value` and checks its length in characters; `field` names the input in the error.
pub fn bounded(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length < min {
        // Nothing at all is "required", which says more than "at least 3 characters".
        return Err(if min <= 1 || length == 0 {
            FieldError::new(field, "error.required")
        } else {
            FieldError::new(field, "error.too_short").with("min", min)
        });
    }
    if length > max {
        return Err(FieldError::new(field, "error.too_long").with("max", max));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "error.control_characters"));
    }
    Ok(trimmed.replace("\r\n", "\n"))
}

/// The searchable form of a text: lower case, accents removed, ligatures expanded, every run of
/// characters that are neither letters nor digits turned into one space.
///
/// "Vélo cargo — Œuvre" becomes "velo cargo oeuvre". The same function prepares stored listings and
/// queries, on both database backends, so that search behaves identically on SQLite and PostgreSQL.
pub fn search_form(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pending_space = false;
    for c in value.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let expanded: &str = match c {
            'œ' | 'Œ' => "oe",
            'æ' | 'Æ' => "ae",
            'ß' => "ss",
            _ => "",
        };
        if !expanded.is_empty() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(expanded);
        } else if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The words of a search query in searchable form, at most `max` of them.
pub fn search_terms(query: &str, max: usize) -> Vec<String> {
    search_form(query).split(' ').filter(|w| !w.is_empty()).take(max).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_form_ignores_accents_case_and_punctuation() {
        assert_eq!(search_form("Vélo cargo — Œuvre d'ÉTÉ"), "velo cargo oeuvre d ete");
        assert_eq!(search_form("  Palettes (x20), 1,5 m³ "), "palettes x20 1 5 m3");
        assert_eq!(search_form("Straße"), "strasse");
        assert_eq!(search_form(""), "");
    }

    #[test]
    fn search_terms_are_capped() {
        assert_eq!(search_terms("vélo, cargo!", 10), vec!["velo", "cargo"]);
        assert_eq!(search_terms("a b c d", 2), vec!["a", "b"]);
        assert!(search_terms(" ,;: ", 10).is_empty());
    }

    #[test]
    fn bounded_trims_and_reports_lengths() {
        assert_eq!(bounded("title", "  Vélo  ", 3, 10).as_deref(), Ok("Vélo"));
        assert_eq!(bounded("title", "  ", 1, 10).map_err(|e| e.message.key), Err("error.required"));
        assert_eq!(bounded("title", "ab", 3, 10).map_err(|e| e.message.key), Err("error.too_short"));
        assert_eq!(bounded("title", "  ", 3, 10).map_err(|e| e.message.key), Err("error.required"));
        assert_eq!(bounded("title", "abcdef", 1, 5).map_err(|e| e.message.key), Err("error.too_long"));
        assert_eq!(bounded("t", "a\u{0}b", 1, 5).map_err(|e| e.message.key), Err("error.control_characters"));
    }
}
