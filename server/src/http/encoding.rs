//! Form bodies and query strings must be text. Their percent-decoded names and values are checked
//! for UTF-8 before they are parsed, because the parsers (`serde_urlencoded`, axum's `Query`) turn
//! bytes that are not UTF-8 into U+FFFD without a word: "V%E9lo" (Latin-1) would be stored as
//! "V�lo". Such input is refused with a 400 `invalid_encoding` that names the field.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// Longest field name quoted back in the error, in characters.
const NAME_MAX: usize = 64;

/// The name of the first parameter of a URL-encoded text (a form body or a query string) whose
/// name or value, percent-decoded, is not UTF-8; `None` when every one is.
pub fn first_non_utf8(encoded: &[u8]) -> Option<String> {
    encoded.split(|b| *b == b'&').filter(|pair| !pair.is_empty()).find_map(|pair| {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = percent_decode(name);
        let text = std::str::from_utf8(&name).is_ok() && std::str::from_utf8(&percent_decode(value)).is_ok();
        (!text).then(|| String::from_utf8_lossy(&name).chars().take(NAME_MAX).collect())
    })
}

/// `+` is a space, `%XX` a byte; a `%` not followed by two hex digits stands for itself (as
/// `form_urlencoded` reads it).
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = match bytes[i] {
            b'+' => b' ',
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(high), Some(low)) => {
                    i += 2;
                    high * 16 + low
                }
                _ => b'%',
            },
            other => other,
        };
        out.push(byte);
        i += 1;
    }
    out
}

fn hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// The error for a field that is not UTF-8 text.
pub fn not_utf8(field: &str) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, "invalid_encoding", "error.invalid_encoding").with_arg("field", field)
}

/// Middleware for the web pages: a query string that is not UTF-8 text gets the error page.
pub async fn refuse_non_utf8_query(request: Request, next: Next) -> Response {
    match request.uri().query().and_then(|q| first_non_utf8(q.as_bytes())) {
        Some(field) => not_utf8(&field).into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_first_field_that_is_not_utf8() {
        assert_eq!(first_non_utf8(b"q=v%C3%A9lo&page=2"), None);
        assert_eq!(first_non_utf8(b"q=%EF%BF%BD"), None, "U+FFFD itself is text");
        assert_eq!(first_non_utf8(b""), None);
        assert_eq!(first_non_utf8(b"a=%&b=%4&c=%zz&d"), None, "a lone % is itself");
        assert_eq!(first_non_utf8(b"title=ok&description=V%E9lo&q=%FF").as_deref(), Some("description"));
        assert_eq!(first_non_utf8(b"q=%C3").as_deref(), Some("q"), "cut in the middle of a character");
        assert_eq!(first_non_utf8(b"t%FFtle=x").as_deref(), Some("t\u{FFFD}tle"));
        assert_eq!(first_non_utf8(b"q=a+b%2B").as_deref(), None);
        let long = format!("{}=%FF", "n".repeat(200));
        assert_eq!(first_non_utf8(long.as_bytes()).map(|n| n.chars().count()), Some(NAME_MAX));
    }

    #[test]
    fn percent_decoding_reads_plus_and_escapes() {
        assert_eq!(percent_decode(b"a+b%20c%2b%"), b"a b c+%");
        assert_eq!(percent_decode(b"%e9%C3%A9"), [0xE9, 0xC3, 0xA9]);
    }
}
