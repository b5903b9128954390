//! Where a place a member typed is. The commune it names is found offline (`domain::gazetteer`);
//! a street address (« 12 rue de Lannoy, Roubaix ») is also asked of the address server when one is
//! configured (`services::geocoding`), once per text: its answers are kept. When that server does not
//! answer, or is not sure, the place is its commune's, as without one. The catalogue's `near` is
//! found offline only (`gazetteer::point_of`): a search is not worth a request to that server, nor
//! is a visitor's text to be sent to it.

use super::Services;
use crate::domain::FieldError;
use crate::domain::gazetteer::{self, Lookup};
use crate::domain::geo::Point;
use crate::domain::ids::now_ms;
use crate::domain::text::search_form;
use crate::storage::geocoded;

/// A place typed without coordinates: the name to keep and its position. A text that names no
/// commune and that the address server does not find, or that several communes share, is refused
/// (the error names the candidates).
pub async fn locate(services: &Services, field: &'static str, text: &str) -> Result<(String, Point), FieldError> {
    let commune = match gazetteer::lookup(text) {
        Lookup::Ambiguous(candidates) => return Err(gazetteer::ambiguous(field, text, &candidates)),
        Lookup::Found(commune) => Some(commune),
        Lookup::NotFound => None,
    };
    let Some(geocoder) = services.geocoder().filter(|_| !commune.is_some_and(|c| gazetteer::names_only(text, c)))
    else {
        return gazetteer::locate(field, text);
    };
    let query = search_form(text);
    if let Some(point) = remembered(services, &query).await {
        return Ok((text.trim().to_owned(), point));
    }
    match geocoder.position(text, commune).await {
        Ok(Some(point)) => {
            if let Err(error) = remember(services, &query, point).await {
                tracing::warn!(%error, "a position found by the address server could not be kept");
            }
            Ok((text.trim().to_owned(), point))
        }
        Ok(None) => gazetteer::locate(field, text),
        Err(error) => {
            tracing::warn!(%error, "the address server did not give a position; the commune's is used");
            gazetteer::locate(field, text)
        }
    }
}

/// Whether `point` was found from `name` (the commune's position, or the address server's), so that
/// a form shows the name alone and a changed name is looked up again.
pub async fn is_point_of(services: &Services, name: &str, point: Point) -> bool {
    // Positions found while a server was configured stay known as found after it is taken off.
    gazetteer::is_point_of(name, point)
        || (!name.trim().is_empty()
            && matches!(remembered(services, &search_form(name)).await, Some(p) if same(p, point)))
}

fn same(a: Point, b: Point) -> bool {
    (a.latitude - b.latitude).abs() < 1e-6 && (a.longitude - b.longitude).abs() < 1e-6
}

async fn remembered(services: &Services, query: &str) -> Option<Point> {
    let mut conn = services.conn().await.ok()?;
    geocoded::position(&mut conn, query)
        .await
        .map_err(|error| tracing::warn!(%error, "the positions found by the address server cannot be read"))
        .ok()
        .flatten()
}

async fn remember(services: &Services, query: &str, point: Point) -> crate::error::AppResult<()> {
    let mut tx = services.write().await?;
    geocoded::remember(&mut tx, query, point, now_ms()).await?;
    tx.commit().await?;
    Ok(())
}
