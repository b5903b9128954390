//! The shipped bilingual taxonomy of listing categories.
//!
//! Identifiers are stable: they are stored with listings and, once instances federate, sent on the
//! wire as part of a category IRI. Never rename one; add new ones instead.

use super::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub id: &'static str,
    /// The broader category, for sub-categories such as `materials-pallets`.
    pub parent: Option<&'static str>,
    pub label_fr: &'static str,
    pub label_en: &'static str,
}

impl Category {
    pub fn label(&self, lang: &str) -> &'static str {
        if lang == "en" { self.label_en } else { self.label_fr }
    }
}

const fn top(id: &'static str, label_fr: &'static str, label_en: &'static str) -> Category {
    Category { id, parent: None, label_fr, label_en }
}

const fn sub(parent: &'static str, id: &'static str, label_fr: &'static str, label_en: &'static str) -> Category {
    Category { id, parent: Some(parent), label_fr, label_en }
}

/// Every category, parents before their children.
pub static CATEGORIES: &[Category] = &[
    top("objects-tools", "Objets et outils", "Objects & tools"),
    sub("objects-tools", "objects-tools-diy", "Bricolage", "DIY tools"),
    sub("objects-tools", "objects-tools-garden", "Jardinage", "Gardening"),
    sub("objects-tools", "objects-tools-kitchen", "Cuisine et réception", "Kitchen & hosting"),
    sub("objects-tools", "objects-tools-children", "Enfants et puériculture", "Children & baby gear"),
    top("sports-gear", "Matériel de sport", "Sports gear"),
    top("bikes-repair", "Vélos et réparation", "Bikes & repair"),
    top("food-groceries", "Alimentation et épicerie", "Food & groceries"),
    top("materials", "Matériaux et coproduits", "Materials & by-products"),
    sub("materials", "materials-pallets", "Palettes", "Pallets"),
    sub("materials", "materials-cardboard", "Carton et papier", "Cardboard & paper"),
    sub("materials", "materials-wood", "Bois", "Wood"),
    sub("materials", "materials-metal", "Métaux", "Metal"),
    sub("materials", "materials-plastics", "Plastiques", "Plastics"),
    sub("materials", "materials-textiles", "Textiles", "Textiles"),
    sub("materials", "materials-construction", "Matériaux de construction", "Building materials"),
    top("energy-heat", "Énergie et chaleur", "Energy & heat"),
    top("equipment-time", "Temps d'équipement", "Equipment time"),
    top("premises-storage", "Locaux et stockage", "Premises & storage"),
    top("skills-services", "Compétences et services", "Skills & services"),
    top("transport-logistics", "Transport et logistique", "Transport & logistics"),
];

pub fn find(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// Parses a category identifier, as a listing's `category` field gives it.
pub fn parse(field: &'static str, id: &str) -> Result<&'static Category, FieldError> {
    let id = id.trim();
    if id.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    find(id).ok_or_else(|| FieldError::new(field, "error.unknown_category"))
}

/// The category and its sub-categories: filtering on `materials` also finds `materials-pallets`.
pub fn with_children(id: &'static str) -> Vec<&'static str> {
    CATEGORIES.iter().filter(|c| c.id == id || c.parent == Some(id)).map(|c| c.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn identifiers_are_unique_slugs_and_parents_exist() {
        let mut seen = HashSet::new();
        for c in CATEGORIES {
            assert!(seen.insert(c.id), "duplicate {}", c.id);
            assert!(c.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", c.id);
            if let Some(parent) = c.parent {
                assert!(seen.contains(parent), "{} before its parent", c.id);
            }
            assert!(!c.label_fr.is_empty() && !c.label_en.is_empty());
        }
    }

    #[test]
    fn parent_filter_includes_children() {
        let ids = with_children("materials");
        assert!(ids.contains(&"materials") && ids.contains(&"materials-pallets"));
        assert!(!ids.contains(&"energy-heat"));
        assert!(parse("category", "nope").is_err());
    }
}
