//! Choosing the language of a response: `?lang=`, then the `lang` cookie, then `Accept-Language`,
//! then the instance's first language. Only the instance's configured languages are chosen.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};

use super::Lang;

pub const LANG_COOKIE: &str = "lang";

/// Returns the language and whether it came from `?lang=` (the caller then remembers it in a cookie).
pub fn negotiate(query: Option<&str>, headers: &HeaderMap, offered: &[Lang]) -> (Lang, bool) {
    let offered_lang = |code: &str| Lang::parse(code).filter(|l| offered.contains(l));
    if let Some(lang) = query.and_then(query_lang).and_then(|code| offered_lang(&code)) {
        return (lang, true);
    }
    let cookie_lang = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| offered_lang(value));
    if let Some(lang) = cookie_lang {
        return (lang, false);
    }
    if let Some(lang) =
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(|v| from_accept_language(v, offered))
    {
        return (lang, false);
    }
    (offered.first().copied().unwrap_or(Lang::Fr), false)
}

fn query_lang(query: &str) -> Option<String> {
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == "lang").map(|(_, v)| v.to_owned())
}

/// The offered language with the highest quality in an `Accept-Language` header
/// (`en-GB,en;q=0.9,fr;q=0.8`); ties keep the header's order.
fn from_accept_language(header: &str, offered: &[Lang]) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let quality =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        if let Some(lang) = Lang::parse(primary).filter(|l| offered.contains(l))
            && quality > 0.0
            && best.is_none_or(|(q, _)| quality > q)
        {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, lang)| lang)
}
