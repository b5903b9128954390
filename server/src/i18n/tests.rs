#![allow(clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::path::Path;

use axum::http::{HeaderMap, HeaderValue};

use super::*;

fn keys(lang: Lang) -> BTreeSet<&'static str> {
    catalog(lang).keys().map(String::as_str).collect()
}

#[test]
fn locale_files_parse_and_have_the_same_keys() {
    parse_catalog(include_str!("../../locales/fr.toml")).expect("fr.toml parses");
    parse_catalog(include_str!("../../locales/en.toml")).expect("en.toml parses");
    let (fr, en) = (keys(Lang::Fr), keys(Lang::En));
    assert!(!fr.is_empty());
    let only_fr: Vec<_> = fr.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&fr).collect();
    assert!(only_fr.is_empty(), "missing in en.toml: {only_fr:?}");
    assert!(only_en.is_empty(), "missing in fr.toml: {only_en:?}");
    for lang in Lang::ALL {
        for (key, value) in catalog(lang) {
            assert!(!value.trim().is_empty(), "{key} is empty in {}", lang.code());
        }
    }
}

/// Every key that the code or a template names exists in the locale files.
#[test]
fn every_key_used_is_translated() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let known = keys(Lang::Fr);
    let mut missing = BTreeSet::new();
    let mut files = Vec::new();
    collect(&root.join("src"), &mut files);
    collect(&root.join("templates"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for key in quoted_keys(&text) {
            if !known.contains(key.as_str()) {
                missing.insert(format!("{key} ({})", file.display()));
            }
        }
    }
    assert!(missing.is_empty(), "keys used but not translated: {missing:#?}");
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
            out.push(path);
        }
    }
}

/// String literals that look like translation keys: `"section.name"` where the section is one of
/// the locale files' top-level tables.
fn quoted_keys(text: &str) -> Vec<String> {
    let sections: BTreeSet<String> =
        keys(Lang::Fr).iter().filter_map(|k| k.split_once('.')).map(|(s, _)| s.to_owned()).collect();
    let mut found = Vec::new();
    for piece in text.split('"').skip(1).step_by(2) {
        if let Some((section, rest)) = piece.split_once('.')
            && sections.contains(section)
            && !rest.is_empty()
            && piece.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
            && !piece.ends_with('.')
            && ![".html", ".css", ".json", ".toml", ".rs", ".sql"].iter().any(|ext| piece.ends_with(ext))
        {
            found.push(piece.to_owned());
        }
    }
    found
}

#[test]
fn language_negotiation_order() {
    let offered = [Lang::Fr, Lang::En];
    let mut headers = HeaderMap::new();
    assert_eq!(negotiate(None, &headers, &offered), (Lang::Fr, false));
    headers.insert("accept-language", HeaderValue::from_static("en-GB,en;q=0.9,fr;q=0.8"));
    assert_eq!(negotiate(None, &headers, &offered), (Lang::En, false));
    headers.insert("accept-language", HeaderValue::from_static("de-DE,fr;q=0.5,en;q=0.7"));
    assert_eq!(negotiate(None, &headers, &offered), (Lang::En, false));
    headers.insert("cookie", HeaderValue::from_static("a=b; lang=fr"));
    assert_eq!(negotiate(None, &headers, &offered), (Lang::Fr, false));
    assert_eq!(negotiate(Some("q=velo&lang=en"), &headers, &offered), (Lang::En, true));
    assert_eq!(negotiate(Some("lang=de"), &headers, &offered), (Lang::Fr, false));
    assert_eq!(negotiate(Some("lang=en"), &HeaderMap::new(), &[Lang::Fr]), (Lang::Fr, false));
}

#[test]
fn placeholders_are_filled() {
    let message = Message::new("error.too_long").with("max", 120);
    assert!(render(Lang::En, &message).contains("120"));
    assert!(render(Lang::Fr, &message).contains("120"));
}

/// Every value of the enumerations shown to people has its label in both languages.
#[test]
fn every_enumeration_value_has_a_label() {
    use crate::domain::listing::{ListingStatus, Mode, Purpose, Unit, Visibility};
    use crate::domain::member::{MemberKind, MemberStatus, Role};
    let mut keys: Vec<String> = Vec::new();
    keys.extend(Purpose::ALL.iter().map(|v| format!("purpose.{v}")));
    keys.extend(Mode::ALL.iter().map(|v| format!("mode.{v}")));
    keys.extend(ListingStatus::ALL.iter().map(|v| format!("status.{v}")));
    keys.extend(Visibility::ALL.iter().map(|v| format!("visibility.{v}")));
    keys.extend(Unit::ALL.iter().map(|v| format!("unit.{v}")));
    keys.extend(MemberKind::ALL.iter().map(|v| format!("kind.{v}")));
    keys.extend(Role::ALL.iter().map(|v| format!("role.{v}")));
    keys.extend(MemberStatus::ALL.iter().map(|v| format!("member_status.{v}")));
    for lang in Lang::ALL {
        let missing: Vec<&String> = keys.iter().filter(|k| !catalog(lang).contains_key(k.as_str())).collect();
        assert!(missing.is_empty(), "labels missing in {}: {missing:?}", lang.code());
    }
}
