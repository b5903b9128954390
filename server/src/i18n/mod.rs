//! Translations: French first, English too.
//!
//! Strings live in `server/locales/{fr,en}.toml` (sections become dotted keys: `[nav] catalogue`
//! is `nav.catalogue`). Tests fail when a key is missing in one language or when code or a template
//! uses a key that neither file has.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::domain::Message;

mod negotiate;
mod zone;

pub use negotiate::{LANG_COOKIE, negotiate};
pub use zone::{DEFAULT_ZONE, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

type Catalog = HashMap<String, String>;

struct Catalogs {
    fr: Catalog,
    en: Catalog,
}

static CATALOGS: LazyLock<Catalogs> = LazyLock::new(|| Catalogs {
    fr: load_catalog("fr", include_str!("../../locales/fr.toml")),
    en: load_catalog("en", include_str!("../../locales/en.toml")),
});

fn load_catalog(name: &str, text: &str) -> Catalog {
    match parse_catalog(text) {
        Ok(catalog) => catalog,
        Err(error) => {
            // Unreachable once the tests pass: they parse both files.
            tracing::error!(locale = name, %error, "locale file does not parse; showing keys instead");
            Catalog::new()
        }
    }
}

fn parse_catalog(text: &str) -> Result<Catalog, String> {
    fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) -> Result<(), String> {
        for (key, value) in table {
            let full = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match value {
                toml::Value::String(text) => {
                    out.insert(full, text.clone());
                }
                toml::Value::Table(inner) => flatten(&full, inner, out)?,
                _ => return Err(format!("{full}: translations must be strings")),
            }
        }
        Ok(())
    }
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut catalog = Catalog::new();
    flatten("", &table, &mut catalog)?;
    Ok(catalog)
}

pub(crate) fn catalog(lang: Lang) -> &'static Catalog {
    match lang {
        Lang::Fr => &CATALOGS.fr,
        Lang::En => &CATALOGS.en,
    }
}

/// The translation of `key`, or the key itself when it is missing (which the tests forbid).
pub fn text(lang: Lang, key: &str) -> &'static str {
    match catalog(lang).get(key) {
        Some(value) => value.as_str(),
        None => {
            tracing::warn!(lang = lang.code(), key, "missing translation");
            // Leak-free fallback: find the key in the other language, else a fixed marker.
            let other = if lang == Lang::Fr { Lang::En } else { Lang::Fr };
            catalog(other).get(key).map_or("???", String::as_str)
        }
    }
}

/// A message with its `{placeholders}` filled in.
pub fn render(lang: Lang, message: &Message) -> String {
    let mut out = text(lang, message.key).to_owned();
    for (name, value) in &message.args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// How to speak to the reader, given to templates: the language (`{{ t.t("nav.catalogue") }}`) and
/// the time zone dates and times are shown in.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    pub zone: Zone,
}

impl Tr {
    /// In the default time zone (Europe/Paris).
    pub fn new(lang: Lang) -> Self {
        Self { lang, zone: Zone::default() }
    }

    pub fn in_zone(lang: Lang, zone: Zone) -> Self {
        Self { lang, zone }
    }

    pub fn t(&self, key: &str) -> &'static str {
        text(self.lang, key)
    }

    /// A translation with one placeholder filled in.
    pub fn t1(&self, key: &str, name: &str, value: &dyn std::fmt::Display) -> String {
        text(self.lang, key).replace(&format!("{{{name}}}"), &value.to_string())
    }

    pub fn msg(&self, message: &Message) -> String {
        render(self.lang, message)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests;
