//! Text helpers: trimming and length rules, and the accent- and case-insensitive form used by search.

use super::FieldError;
pub use super::search_form::search_form;

/// Trims `value` (of whitespace and of the invisible characters of [`is_invisible`] that can stand
/// at its edges) and checks its length: at least `min` visible characters, at most `max` in all;
/// `field` names the input in the error. A text of invisible characters only is empty: "required"
/// where one is needed, `""` otherwise.
pub fn bounded(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim_matches(|c| is_invisible(c) && !is_invisible_mark(c));
    let visible = trimmed.chars().filter(|c| !is_invisible(*c)).count();
    if visible < min {
        // Nothing at all is "required", which says more than "at least 3 characters".
        return Err(if min <= 1 || visible == 0 {
            FieldError::new(field, "error.required")
        } else {
            FieldError::new(field, "error.too_short").with("min", min)
        });
    }
    if visible == 0 {
        return Ok(String::new());
    }
    if trimmed.chars().count() > max {
        return Err(FieldError::new(field, "error.too_long").with("max", max));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(FieldError::new(field, "error.control_characters"));
    }
    Ok(trimmed.replace("\r\n", "\n"))
}

/// Text written with the simple formatting of Markdown (paragraphs, **bold**, *italics*, lists,
/// links, headings: a cooperative's presentation, a collective's charter) as HTML that is safe to
/// put in a page: the formatting turned into tags, anything written as HTML shown as text, and the
/// result cleaned by a sanitiser that keeps only the formatting tags, `href`s to web and mail
/// addresses, and no attribute else. The page has its own first-level heading: the text's start at
/// the second.
pub fn formatted_html(text: &str) -> String {
    use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
    let events = Parser::new(text).filter_map(|event| match event {
        // Raw HTML is shown as what it is, text.
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        // Images would load from anywhere: their description is kept as text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        // The page has its own first-level heading: the text's start at the second.
        Event::Start(Tag::Heading { level: HeadingLevel::H1, id, classes, attrs }) => {
            Some(Event::Start(Tag::Heading { level: HeadingLevel::H2, id, classes, attrs }))
        }
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => Some(Event::End(TagEnd::Heading(HeadingLevel::H2))),
        event => Some(event),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    ammonia::Builder::empty()
        .add_tags([
            "p",
            "br",
            "strong",
            "em",
            "ul",
            "ol",
            "li",
            "a",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "code",
            "hr",
        ])
        .add_tag_attributes("a", ["href"])
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

/// Whether `value` shows nothing: empty, or made of [`is_invisible`] characters only.
pub fn is_blank(value: &str) -> bool {
    value.chars().all(is_invisible)
}

/// Characters that show nothing on their own: whitespace, format characters (Unicode category `Cf`:
/// zero-width space, joiners, word joiner, byte order mark, bidirectional controls, soft hyphen…),
/// the fillers and blanks that fonts draw as nothing (Hangul fillers, the braille blank), and the
/// marks that only modify the character before them ([`is_invisible_mark`]).
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || is_format(c)
        || is_invisible_mark(c)
        || matches!(c, '\u{115F}' | '\u{1160}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}')
}

/// Variation selectors, the combining grapheme joiner, Mongolian free variation selectors, Khmer
/// inherent vowels: invisible, but part of the character before them (the emoji style of "❤️"), so
/// kept when they end a text.
fn is_invisible_mark(c: char) -> bool {
    matches!(c, '\u{034F}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}')
        || ('\u{E0100}'..='\u{E01EF}').contains(&c)
}

/// The format characters (general category `Cf`) of Unicode 16.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
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

    #[test]
    fn invisible_characters_are_no_text() {
        let key = |value: &str, min: usize| bounded("title", value, min, 10).map_err(|e| e.message.key);
        for invisible in [
            "\u{200B}\u{200B}\u{200B}",
            "\u{FEFF}\u{2060}\u{200C}\u{200D}",
            "\u{3164}\u{00AD} \u{FE0F}",
            "\u{E0020}\u{202E}",
        ] {
            assert_eq!(key(invisible, 3), Err("error.required"), "{invisible:?}");
            assert_eq!(key(invisible, 0).as_deref(), Ok(""), "{invisible:?}");
            assert!(is_blank(invisible), "{invisible:?}");
        }
        assert_eq!(key("ab\u{200B}\u{200B}", 3), Err("error.too_short"));
        assert_eq!(key("\u{200B}Vélo\u{FEFF}\u{200D}", 3).as_deref(), Ok("Vélo"));
        // Inside a text, or ending an emoji, they stay.
        assert_eq!(key("a\u{200D}b\u{200D}c", 3).as_deref(), Ok("a\u{200D}b\u{200D}c"));
        assert_eq!(key("Cœur ❤\u{FE0F}", 3).as_deref(), Ok("Cœur ❤\u{FE0F}"));
        assert!(!is_blank("a") && is_blank(""));
    }
}
