//! The searchable form of a text, shared with the build script (`server/build.rs`), which indexes
//! the gazetteer's names with it: this file uses nothing of the crate.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

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

/// A place name as the gazetteer compares it: in search form, « st » and « ste » written out.
pub fn place_key(name: &str) -> String {
    search_form(name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}
