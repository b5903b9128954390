//! Extractors for JSON bodies and query strings that turn every kind of bad input into an `AppError`
//! (rendered as JSON by `http::errors::render_api_errors`), never into a 500 or a plain-text answer:
//!
//! | input | status | code |
//! |---|---|---|
//! | not JSON at all, cut short, empty | 400 | `invalid_json` |
//! | JSON of the wrong shape (type, unknown field) | 422 | `invalid_json` (+ `fields` when the field is known) |
//! | no `Content-Type: application/json` | 415 | `unsupported_media_type` |
//! | a body over `http::BODY_LIMIT_BYTES` | 413 | `payload_too_large` |
//! | a query string of the wrong shape (unknown or repeated parameter) | 422 | `invalid_query` |
//! | a query parameter that is not UTF-8 once percent-decoded (`q=%E9`) | 400 | `invalid_encoding` (+ `fields`) |

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::domain::FieldError;
use crate::error::AppError;
use crate::http::encoding::{first_non_utf8, not_utf8};

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<Object<T>>::from_request(request, state).await {
            Ok(Json(Object(value))) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON request body of type `T` that may also be left out (no body, no `Content-Type`): then
/// `T::default()`. For the actions whose details are optional (`POST /exchanges/{id}/accept`).
#[derive(Debug, Clone)]
pub struct ApiJsonOrNothing<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for ApiJsonOrNothing<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if request.headers().contains_key(axum::http::header::CONTENT_TYPE) {
            return ApiJson::from_request(request, state).await.map(|ApiJson(value)| Self(value));
        }
        let body = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large"))?;
        if body.is_empty() {
            Ok(Self(T::default()))
        } else {
            Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "error.unsupported_media_type",
            ))
        }
    }
}

/// The parameters of a query string, of type `T`.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(name) = parts.uri.query().and_then(|q| first_non_utf8(q.as_bytes())) {
            return Err(not_utf8_error(&name));
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

/// The `page` query parameter of a list: 1 when left out or empty, else a number from 1 to 10,000.
pub fn page_number(page: Option<&str>) -> Result<i64, AppError> {
    match page.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(text) => text.parse::<i64>().ok().filter(|p| (1..=10_000).contains(p)).ok_or_else(|| {
            AppError::field(FieldError::new("page", "error.integer_range").with("min", 1).with("max", 10_000))
        }),
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonSyntaxError(e) => {
            AppError::new(StatusCode::BAD_REQUEST, "invalid_json", "error.invalid_json").with_arg("detail", detail(&e))
        }
        JsonRejection::JsonDataError(e) => shape_error("invalid_json", "error.invalid_json", &detail(&e)),
        JsonRejection::MissingJsonContentType(_) => {
            AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "error.unsupported_media_type")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        other => {
            tracing::debug!(error = %other.body_text(), "request body could not be read");
            AppError::bad_request("error.bad_request")
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> AppError {
    match rejection {
        QueryRejection::FailedToDeserializeQueryString(e) => {
            shape_error("invalid_query", "error.invalid_query", &detail(&e))
        }
        other => AppError::new(StatusCode::BAD_REQUEST, "invalid_query", "error.invalid_query")
            .with_arg("detail", other.body_text()),
    }
}

/// A 400 naming the parameter that is not text, in `fields` too when the API knows it.
fn not_utf8_error(name: &str) -> AppError {
    let mut error = not_utf8(name);
    if let Some(field) = KNOWN_FIELDS.iter().find(|f| **f == name) {
        error.fields.push(FieldError::new(field, "error.invalid_encoding").with("field", name));
    }
    error
}

fn payload_too_large() -> AppError {
    AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large")
}

/// What serde said, with the path of the field at fault in front ("quantity: invalid type: ..."),
/// without axum's generic preamble.
fn detail(error: &dyn std::error::Error) -> String {
    error.source().map_or_else(|| error.to_string(), ToString::to_string)
}

/// A 422 for input that is well-formed but of the wrong shape. When the detail starts with the
/// path of a field the API knows, that field gets the message too, so that clients can show it
/// beside the right input.
fn shape_error(code: &'static str, key: &'static str, detail: &str) -> AppError {
    let mut error = AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, key).with_arg("detail", detail);
    if let Some((field, message)) = split_path(detail) {
        error.fields.push(FieldError::new(field, key).with("detail", message));
    }
    error
}

/// Every field name a request body or query string of the API has, so that error paths reported by
/// serde can be named with a `&'static str`. Names a client invents are not in it (the message
/// still quotes them).
const KNOWN_FIELDS: &[&str] = &[
    "activities",
    "address",
    "admission",
    "alt",
    "answers",
    "available_from",
    "available_until",
    "category",
    "charter",
    "charter_version",
    "decision",
    "description",
    "display_name",
    "entry_criteria",
    "kind",
    "lang",
    "limit",
    "location",
    "location.latitude",
    "location.longitude",
    "location.name",
    "message",
    "mode",
    "move",
    "name",
    "near",
    "page",
    "password",
    "per_page",
    "price_basis",
    "price_cents",
    "price_kind",
    "purpose",
    "q",
    "quantity",
    "questions",
    "radius_km",
    "reason",
    "reduced_price_cents",
    "role",
    "sort",
    "status",
    "territory",
    "title",
    "unit",
    "username",
    "version",
    "visibility",
    "collective",
];

/// Splits `"location.latitude: invalid type: ..."` into the known field and the rest.
fn split_path(detail: &str) -> Option<(&'static str, &str)> {
    let (path, rest) = detail.split_once(": ")?;
    let field = KNOWN_FIELDS.iter().find(|f| **f == path)?;
    Some((field, strip_position(rest)))
}

/// Drops serde_json's " at line 1 column 20" suffix, which means nothing beside a named field.
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message[at + 9..].split(" column ").all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &message[..at]
        }
        _ => message,
    }
}

/// A `T` that only a JSON object gives. Structs derived with serde also accept arrays (`[]`, or the
/// fields by position), which would let `"location": []` through as an empty place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        deserializer.deserialize_map(ObjectVisitor(PhantomData)).map(Object)
    }
}

/// For PATCH bodies: tells a field given as `null` (`Some(None)`) from a field not given (`None`,
/// with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_known_fields_are_split_off() {
        assert_eq!(
            split_path("quantity: invalid type: string \"many\", expected f64 at line 1 column 20"),
            Some(("quantity", "invalid type: string \"many\", expected f64"))
        );
        assert_eq!(
            split_path("location.latitude: invalid type: string \"NaN\", expected f64 at line 3 column 2"),
            Some(("location.latitude", "invalid type: string \"NaN\", expected f64"))
        );
        // No path: the message itself contains ": ".
        assert_eq!(split_path("invalid type: sequence, expected struct ListingBody at line 1 column 0"), None);
        // A field the client made up is not named in `fields`.
        assert_eq!(split_path("colour: unknown field `colour`"), None);
        assert_eq!(strip_position("expected value at line x"), "expected value at line x");
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Patch {
        #[serde(deserialize_with = "present")]
        quantity: Option<Option<f64>>,
    }

    #[test]
    fn only_objects_make_structs() {
        let from_object: Result<Object<Patch>, _> = serde_json::from_str(r#"{"quantity": 2}"#);
        assert_eq!(from_object.map(|o| o.0.quantity).ok(), Some(Some(Some(2.0))));
        for not_an_object in ["[]", "[2]", "\"x\"", "null", "3"] {
            let error = serde_json::from_str::<Object<Patch>>(not_an_object).err().map(|e| e.to_string());
            assert!(error.is_some_and(|e| e.contains("expected a JSON object")), "{not_an_object}");
        }
    }

    #[test]
    fn present_tells_null_from_absent() {
        let absent: Patch = serde_json::from_str("{}").unwrap_or_default();
        assert_eq!(absent.quantity, None);
        let null: Patch = serde_json::from_str(r#"{"quantity": null}"#).unwrap_or_default();
        assert_eq!(null.quantity, Some(None));
        let given: Patch = serde_json::from_str(r#"{"quantity": 2.5}"#).unwrap_or_default();
        assert_eq!(given.quantity, Some(Some(2.5)));
    }
}
