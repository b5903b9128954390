//! The address server an administrator may set in `[geocoding]`: the position of a street address
//! (« 12 rue de Lannoy, Roubaix »), more precise than its commune's. It speaks the French national
//! address API (`ban`, also addok) or Nominatim. Its answers are read as any other server's: bounded
//! in size and time, numbers checked, a position far from the commune the text names not believed.

use std::time::Duration;

use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use crate::config::{GeocodingConfig, GeocodingService};
use crate::domain::gazetteer::{Commune, Precision};
use crate::domain::geo::Point;

/// Larger than any answer of one result.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The national address API's confidence below which its answer is a guess (its scale is 0 to 1).
const MIN_SCORE: f64 = 0.5;

#[derive(Debug, thiserror::Error)]
pub enum GeocodingError {
    #[error("no answer: {0}")]
    Request(String),
    #[error("answered {0}")]
    Status(u16),
    #[error("answer larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("unreadable answer: {0}")]
    Unreadable(String),
    #[error("too many requests waiting for their turn")]
    Busy,
}

/// A client of the address server; one per instance, shared.
#[derive(Debug)]
pub struct Geocoder {
    client: reqwest::Client,
    url: Url,
    service: GeocodingService,
    /// The time between two requests, and when the next may leave.
    spacing: Duration,
    next_request: tokio::sync::Mutex<Instant>,
    /// A request that would wait longer than this for its turn is not made: the member is not kept
    /// waiting behind a queue of others, their place is their commune's.
    longest_wait: Duration,
}

impl Geocoder {
    /// The client of the configured server; `None` when there is none.
    pub fn new(config: &GeocodingConfig, user_agent: &str) -> Option<Self> {
        let url = Url::parse(&config.url).ok()?;
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_millis(u64::from(config.timeout_ms)))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| tracing::error!(error = %e, "the geocoding client cannot be built"))
            .ok()?;
        Some(Self {
            client,
            url,
            service: config.service,
            spacing: Duration::from_secs(1) / config.requests_per_second.max(1),
            next_request: tokio::sync::Mutex::new(Instant::now()),
            longest_wait: Duration::from_millis(u64::from(config.timeout_ms)),
        })
    }

    /// The position of `text`, inside `commune` when the text names one; `Ok(None)` when the server
    /// found nothing it is sure of (or only a place far from that commune).
    pub async fn position(&self, text: &str, commune: Option<Commune>) -> Result<Option<Point>, GeocodingError> {
        self.wait_turn().await?;
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("q", text.trim()).append_pair("limit", "1");
            match self.service {
                GeocodingService::Ban => {
                    if let Some(commune) = commune {
                        query.append_pair("citycode", commune.insee());
                    }
                }
                GeocodingService::Nominatim => {
                    query.append_pair("format", "jsonv2").append_pair("countrycodes", "fr");
                }
            }
        }
        let answer = self.get(url).await?;
        let found = match self.service {
            GeocodingService::Ban => ban_position(&answer)?,
            GeocodingService::Nominatim => nominatim_position(&answer)?,
        };
        Ok(found.filter(|point| commune.is_none_or(|c| is_within(point, c))))
    }

    /// Spaces requests by `requests_per_second`: each waits for the slot after the previous one's,
    /// or gives up when that slot is further away than `longest_wait`.
    async fn wait_turn(&self) -> Result<(), GeocodingError> {
        let slot = {
            let mut next = self.next_request.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            if slot.duration_since(now) > self.longest_wait {
                return Err(GeocodingError::Busy);
            }
            *next = slot + self.spacing;
            slot
        };
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    async fn get(&self, url: Url) -> Result<Vec<u8>, GeocodingError> {
        let request =
            |e: reqwest::Error| GeocodingError::Request(maillage_federation::error::describe_request_error(&e));
        let mut response =
            self.client.get(url).header(reqwest::header::ACCEPT, "application/json").send().await.map_err(request)?;
        if !response.status().is_success() {
            return Err(GeocodingError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(GeocodingError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(GeocodingError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// How far from its commune's position an address may be: a commune's position is its centre, or an
/// average of its neighbours' for those the open data places nowhere (`domain::gazetteer`).
fn is_within(point: &Point, commune: Commune) -> bool {
    let km = match commune.precision() {
        Precision::Place => 25.0,
        Precision::PostalCode => 40.0,
        Precision::Department => 120.0,
    };
    point.distance_km(&commune.point()) <= km
}

fn checked(latitude: f64, longitude: f64) -> Result<Point, GeocodingError> {
    Point::new("latitude", "longitude", latitude, longitude)
        .map_err(|_| GeocodingError::Unreadable(format!("no such position: {latitude}, {longitude}")))
}

fn unreadable(e: serde_json::Error) -> GeocodingError {
    GeocodingError::Unreadable(e.to_string())
}

/// The national address API's GeoJSON: `features[0].geometry.coordinates` is `[lon, lat]`.
fn ban_position(answer: &[u8]) -> Result<Option<Point>, GeocodingError> {
    #[derive(Deserialize)]
    struct Collection {
        features: Vec<Feature>,
    }
    #[derive(Deserialize)]
    struct Feature {
        geometry: Geometry,
        properties: Properties,
    }
    #[derive(Deserialize)]
    struct Geometry {
        coordinates: (f64, f64),
    }
    #[derive(Deserialize)]
    struct Properties {
        score: f64,
    }
    let collection: Collection = serde_json::from_slice(answer).map_err(unreadable)?;
    let Some(best) = collection.features.into_iter().next() else { return Ok(None) };
    // A NaN score is not sure either.
    if best.properties.score.is_nan() || best.properties.score < MIN_SCORE {
        return Ok(None);
    }
    let (longitude, latitude) = best.geometry.coordinates;
    checked(latitude, longitude).map(Some)
}

/// Nominatim's `jsonv2`: a list of places whose `lat` and `lon` are texts.
fn nominatim_position(answer: &[u8]) -> Result<Option<Point>, GeocodingError> {
    #[derive(Deserialize)]
    struct Place {
        lat: String,
        lon: String,
    }
    let places: Vec<Place> = serde_json::from_slice(answer).map_err(unreadable)?;
    let Some(best) = places.into_iter().next() else { return Ok(None) };
    let number = |text: &str| {
        text.trim().parse::<f64>().map_err(|_| GeocodingError::Unreadable(format!("not a coordinate: {text:?}")))
    };
    checked(number(&best.lat)?, number(&best.lon)?).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_address_apis_answer_is_read_and_checked() {
        let answer = br#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "geometry":{"type":"Point","coordinates":[3.1742,50.6921]},
            "properties":{"label":"12 Rue de Lannoy 59100 Roubaix","score":0.93,"citycode":"59512"}}]}"#;
        let point = ban_position(answer).expect("read").expect("found");
        assert_eq!((point.latitude, point.longitude), (50.6921, 3.1742));
        let unsure = br#"{"features":[{"geometry":{"coordinates":[3.17,50.69]},"properties":{"score":0.2}}]}"#;
        assert!(ban_position(unsure).expect("read").is_none());
        assert!(ban_position(br#"{"features":[]}"#).expect("read").is_none());
        let off_earth = br#"{"features":[{"geometry":{"coordinates":[3.17,500]},"properties":{"score":0.9}}]}"#;
        assert!(matches!(ban_position(off_earth), Err(GeocodingError::Unreadable(_))));
        assert!(matches!(ban_position(b"<html>"), Err(GeocodingError::Unreadable(_))));
    }

    #[test]
    fn nominatims_answer_is_read_and_checked() {
        let answer = br#"[{"place_id":1,"lat":"50.6921","lon":"3.1742","display_name":"Rue de Lannoy"}]"#;
        let point = nominatim_position(answer).expect("read").expect("found");
        assert_eq!((point.latitude, point.longitude), (50.6921, 3.1742));
        assert!(nominatim_position(b"[]").expect("read").is_none());
        assert!(nominatim_position(br#"[{"lat":"north","lon":"3"}]"#).is_err());
        assert!(nominatim_position(br#"[{"lat":"NaN","lon":"3"}]"#).is_err());
    }

    #[test]
    fn a_position_far_from_the_commune_named_is_not_believed() {
        let roubaix = crate::domain::gazetteer::by_insee("59512").expect("Roubaix");
        assert!(is_within(&Point { latitude: 50.6921, longitude: 3.1742 }, roubaix));
        // A « rue de Lannoy » in Marseille.
        assert!(!is_within(&Point { latitude: 43.2965, longitude: 5.3698 }, roubaix));
    }

    #[tokio::test]
    async fn a_lookup_that_would_wait_too_long_for_its_turn_is_not_made() {
        let config = GeocodingConfig {
            url: "http://127.0.0.1:9/search".to_owned(),
            timeout_ms: 200,
            requests_per_second: 2,
            ..GeocodingConfig::default()
        };
        let geocoder = Geocoder::new(&config, "test").expect("a client");
        geocoder.wait_turn().await.expect("the first goes at once");
        // The next slot is 500 ms away, more than the 200 ms a lookup may take.
        assert!(matches!(geocoder.wait_turn().await, Err(GeocodingError::Busy)));
    }
}
