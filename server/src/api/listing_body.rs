//! Listing request bodies (create and partial update) and their mapping onto `ListingInput`, which
//! `ListingDraft::parse` validates as a whole.

use serde::Deserialize;

use super::json::{Object, present};
use crate::domain::FieldError;
use crate::domain::listing::{ListingInput, NumberInput, PriceInput};

/// `POST /listings`. Absent and `null` are the same here: missing required fields become field
/// errors of the validation, all reported at once, rather than a first serde error.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewListing {
    purpose: Option<String>,
    mode: Option<String>,
    category: Option<String>,
    title: Option<String>,
    description: Option<String>,
    quantity: Option<f64>,
    unit: Option<String>,
    price_kind: Option<String>,
    price_cents: Option<i64>,
    reduced_price_cents: Option<i64>,
    price_basis: Option<String>,
    location: Option<Object<NewLocation>>,
    available_from: Option<String>,
    available_until: Option<String>,
    status: Option<String>,
    visibility: Option<String>,
    /// With visibility `collective`: the collective's id.
    collective: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewLocation {
    name: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl NewListing {
    pub fn into_input(self) -> ListingInput {
        let location = self.location.unwrap_or_default().0;
        ListingInput {
            purpose: self.purpose.unwrap_or_default(),
            mode: self.mode.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            title: self.title.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            quantity: self.quantity.map(NumberInput::Number),
            unit: self.unit,
            price_kind: self.price_kind,
            price: self.price_cents.map(PriceInput::Cents),
            reduced_price: self.reduced_price_cents.map(PriceInput::Cents),
            price_basis: self.price_basis,
            location_name: location.name,
            latitude: location.latitude.map(NumberInput::Number),
            longitude: location.longitude.map(NumberInput::Number),
            available_from: self.available_from,
            available_until: self.available_until,
            status: self.status,
            visibility: self.visibility,
            collective: self.collective,
        }
    }
}

/// `PATCH /listings/{id}`, with JSON Merge Patch (RFC 7396) semantics: a field left out keeps its
/// value, `null` clears an optional field (and is an error for a required one), and `location`
/// merges field by field.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListingPatch {
    #[serde(deserialize_with = "present")]
    purpose: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    mode: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    category: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    title: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    description: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    quantity: Option<Option<f64>>,
    #[serde(deserialize_with = "present")]
    unit: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    price_kind: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    price_cents: Option<Option<i64>>,
    #[serde(deserialize_with = "present")]
    reduced_price_cents: Option<Option<i64>>,
    #[serde(deserialize_with = "present")]
    price_basis: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    location: Option<Option<Object<LocationPatch>>>,
    #[serde(deserialize_with = "present")]
    available_from: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    available_until: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    status: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    visibility: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    collective: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocationPatch {
    #[serde(deserialize_with = "present")]
    name: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    latitude: Option<Option<f64>>,
    #[serde(deserialize_with = "present")]
    longitude: Option<Option<f64>>,
}

/// A required field: given a value, replaces; given `null`, is an error; absent, stays.
fn required(field: &'static str, patch: Option<Option<String>>, target: &mut String, errors: &mut Vec<FieldError>) {
    match patch {
        None => {}
        Some(Some(value)) => *target = value,
        Some(None) => errors.push(FieldError::new(field, "error.required")),
    }
}

/// A field that always has a value but whose input is optional (`unit`, `status`, `visibility`
/// default when a listing is created): `null` would silently reset it, so it is an error too.
fn required_choice(
    field: &'static str,
    patch: Option<Option<String>>,
    target: &mut Option<String>,
    errors: &mut Vec<FieldError>,
) {
    match patch {
        None => {}
        Some(Some(value)) => *target = Some(value),
        Some(None) => errors.push(FieldError::new(field, "error.required")),
    }
}

/// An optional field: `null` clears it.
fn optional<T>(patch: Option<Option<T>>, target: &mut Option<T>) {
    if let Some(value) = patch {
        *target = value;
    }
}

impl ListingPatch {
    /// Overlays the fields given on `input` (the listing as it is). Returns the errors of fields set
    /// to `null` that may not be; the caller validates the result as a whole.
    pub fn apply(self, input: &mut ListingInput) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required("purpose", self.purpose, &mut input.purpose, &mut errors);
        required("mode", self.mode, &mut input.mode, &mut errors);
        required("category", self.category, &mut input.category, &mut errors);
        required("title", self.title, &mut input.title, &mut errors);
        if let Some(description) = self.description {
            input.description = description.unwrap_or_default();
        }
        optional(self.quantity.map(|q| q.map(NumberInput::Number)), &mut input.quantity);
        required_choice("unit", self.unit, &mut input.unit, &mut errors);
        // A client that changes only the amount of a free or fixed price (as before prices had
        // kinds) gets the kind that amount means: a price set makes it fixed, cleared makes it free.
        let plain = matches!(input.price_kind.as_deref(), Some("free" | "fixed"));
        if self.price_kind.is_none() && self.price_cents.is_some() && plain {
            input.price_kind = None;
        }
        required_choice("price_kind", self.price_kind, &mut input.price_kind, &mut errors);
        optional(self.price_cents.map(|p| p.map(PriceInput::Cents)), &mut input.price);
        optional(self.reduced_price_cents.map(|p| p.map(PriceInput::Cents)), &mut input.reduced_price);
        required_choice("price_basis", self.price_basis, &mut input.price_basis, &mut errors);
        match self.location {
            None => {}
            Some(None) => {
                input.location_name = None;
                input.latitude = None;
                input.longitude = None;
            }
            Some(Some(Object(location))) => {
                // A new name without coordinates is a new place: its coordinates are looked up
                // from the name, not kept from the old one.
                if matches!(location.name, Some(Some(_))) && location.latitude.is_none() && location.longitude.is_none()
                {
                    input.latitude = None;
                    input.longitude = None;
                }
                optional(location.name, &mut input.location_name);
                optional(location.latitude.map(|l| l.map(NumberInput::Number)), &mut input.latitude);
                optional(location.longitude.map(|l| l.map(NumberInput::Number)), &mut input.longitude);
            }
        }
        optional(self.available_from, &mut input.available_from);
        optional(self.available_until, &mut input.available_until);
        required_choice("status", self.status, &mut input.status, &mut errors);
        required_choice("visibility", self.visibility, &mut input.visibility, &mut errors);
        optional(self.collective, &mut input.collective);
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn existing() -> ListingInput {
        ListingInput {
            purpose: "offer".into(),
            mode: "lend".into(),
            category: "bikes-repair".into(),
            title: "Vélo cargo à prêter".into(),
            description: "Biporteur".into(),
            quantity: Some(NumberInput::Number(1.0)),
            unit: Some("piece".into()),
            price_kind: Some("fixed".into()),
            price: Some(PriceInput::Cents(500)),
            reduced_price: None,
            price_basis: Some("total".into()),
            location_name: Some("Lille".into()),
            latitude: Some(NumberInput::Number(50.63)),
            longitude: Some(NumberInput::Number(3.06)),
            available_from: Some("2026-12-01".into()),
            available_until: None,
            status: Some("active".into()),
            visibility: Some("public".into()),
            collective: None,
        }
    }

    fn patched(json: &str) -> (ListingInput, Vec<&'static str>) {
        let patch: ListingPatch = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let mut input = existing();
        let errors = patch.apply(&mut input).iter().map(|e| e.field).collect();
        (input, errors)
    }

    #[test]
    fn absent_fields_stay_and_given_ones_change() {
        let (input, errors) = patched(r#"{"title": "Triporteur"}"#);
        assert!(errors.is_empty());
        assert_eq!(input.title, "Triporteur");
        let mut expected = existing();
        expected.title = "Triporteur".into();
        assert_eq!(format!("{input:?}"), format!("{expected:?}"));
    }

    #[test]
    fn null_clears_optional_fields() {
        let (input, errors) = patched(
            r#"{"quantity": null, "price_cents": null, "available_from": null, "description": null, "location": null}"#,
        );
        assert!(errors.is_empty());
        assert_eq!(input.quantity, None);
        assert_eq!(input.price, None);
        assert_eq!(input.available_from, None);
        assert_eq!(input.description, "");
        assert_eq!((input.location_name, input.latitude, input.longitude), (None, None, None));
    }

    #[test]
    fn location_merges_field_by_field() {
        let (input, errors) = patched(r#"{"location": {"name": "Roubaix", "latitude": 50.69}}"#);
        assert!(errors.is_empty());
        assert_eq!(input.location_name.as_deref(), Some("Roubaix"));
        assert_eq!(input.latitude, Some(NumberInput::Number(50.69)));
        assert_eq!(input.longitude, Some(NumberInput::Number(3.06)));
        let (input, _) = patched(r#"{"location": {"name": "Roubaix"}}"#);
        assert_eq!((input.latitude, input.longitude), (None, None), "a new name alone is looked up again");
        let (input, _) = patched(r#"{"location": {"latitude": null, "longitude": null}}"#);
        assert_eq!(input.location_name.as_deref(), Some("Lille"));
        assert_eq!((input.latitude, input.longitude), (None, None));
    }

    #[test]
    fn null_is_refused_for_required_fields() {
        let (_, errors) = patched(r#"{"title": null, "purpose": null, "status": null, "unit": null, "mode": "give"}"#);
        assert_eq!(errors, ["purpose", "title", "unit", "status"]);
    }

    #[test]
    fn an_amount_alone_keeps_a_plain_price_plain_and_a_kind_given_wins() {
        let (input, errors) = patched(r#"{"price_cents": null}"#);
        assert!(errors.is_empty());
        assert_eq!((input.price_kind, input.price), (None, None), "no kind: no amount reads as free");
        let (input, _) = patched(r#"{"price_kind": "solidarity", "reduced_price_cents": 250}"#);
        assert_eq!(input.price_kind.as_deref(), Some("solidarity"));
        assert_eq!((input.price, input.reduced_price), (Some(PriceInput::Cents(500)), Some(PriceInput::Cents(250))));
        let (_, errors) = patched(r#"{"price_kind": null, "price_basis": null}"#);
        assert_eq!(errors, ["price_kind", "price_basis"]);
    }

    #[test]
    fn a_new_listing_maps_onto_input() {
        let body: NewListing = serde_json::from_str(
            r#"{"purpose": "offer", "quantity": 2, "price_cents": 1500, "location": {"name": "Lille", "latitude": 50.6}}"#,
        )
        .unwrap_or_default();
        let input = body.into_input();
        assert_eq!(input.purpose, "offer");
        assert_eq!(input.title, "", "missing strings are empty, for the validation to name them");
        assert_eq!(input.quantity, Some(NumberInput::Number(2.0)));
        assert_eq!(input.price, Some(PriceInput::Cents(1500)));
        assert_eq!(input.latitude, Some(NumberInput::Number(50.6)));
        assert_eq!(input.longitude, None);
    }
}
