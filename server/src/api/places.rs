//! `GET /places`: French communes whose name or postal code starts as typed, from the gazetteer
//! shipped with Maillage — the suggestions of the place fields, for the web forms' small script
//! and for API clients.

use axum::Json;
use serde::{Deserialize, Serialize};

use super::json::ApiQuery;
use crate::domain::FieldError;
use crate::domain::gazetteer::{self, Commune, Precision};
use crate::error::{AppError, AppResult};

const LIMIT_DEFAULT: usize = 8;
const LIMIT_MAX: usize = 20;
/// Longer than any commune's name and postal code.
const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacesQuery {
    q: Option<String>,
    limit: Option<String>,
    /// Read by the language middleware (for the messages of errors).
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PlaceJson {
    pub insee: &'static str,
    pub name: &'static str,
    /// « Roubaix (59100) »: what a place field may be given to find this commune alone.
    pub label: String,
    pub postal_codes: Vec<&'static str>,
    pub department: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    /// `place` (the town's centre), `postal_code` or `department` (an average of the communes
    /// around, for the communes the open data gives no point).
    pub precision: &'static str,
}

impl PlaceJson {
    fn new(commune: Commune) -> Self {
        let point = commune.point();
        Self {
            insee: commune.insee(),
            name: commune.name(),
            label: commune.label(),
            postal_codes: commune.postal_codes().split(',').filter(|c| !c.is_empty()).collect(),
            department: commune.department(),
            latitude: point.latitude,
            longitude: point.longitude,
            precision: match commune.precision() {
                Precision::Place => "place",
                Precision::PostalCode => "postal_code",
                Precision::Department => "department",
            },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PlaceList {
    pub items: Vec<PlaceJson>,
}

pub async fn suggest(ApiQuery(query): ApiQuery<PlacesQuery>) -> AppResult<Json<PlaceList>> {
    let q = query.q.unwrap_or_default();
    let mut errors = Vec::new();
    if q.chars().count() > MAX_QUERY_CHARS {
        errors.push(FieldError::new("q", "error.too_long").with("max", MAX_QUERY_CHARS));
    }
    let limit = match query.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => LIMIT_DEFAULT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=LIMIT_MAX).contains(&n) => n,
            _ => {
                errors.push(FieldError::new("limit", "error.integer_range").with("min", 1).with("max", LIMIT_MAX));
                LIMIT_DEFAULT
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let items = gazetteer::suggest(&q, limit).into_iter().map(PlaceJson::new).collect();
    Ok(Json(PlaceList { items }))
}
