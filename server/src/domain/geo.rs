//! Places and distances.

use super::FieldError;
use super::text::{bounded, is_blank};

const EARTH_RADIUS_KM: f64 = 6371.0;
pub const MAX_RADIUS_KM: f64 = 1000.0;

/// A point on Earth in decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

impl Point {
    /// `field` names the input in errors; latitude and longitude are checked separately so that the
    /// message says which one is off.
    pub fn new(
        field_lat: &'static str,
        field_lon: &'static str,
        latitude: f64,
        longitude: f64,
    ) -> Result<Self, FieldError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new(field_lat, "error.latitude_range"));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(field_lon, "error.longitude_range"));
        }
        Ok(Self { latitude, longitude })
    }

    /// Parses `"LAT,LON"` as the `near` query parameter spells it.
    pub fn parse_pair(field: &'static str, value: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "error.near_format");
        let (lat, lon) = value.split_once(',').ok_or_else(invalid)?;
        let lat: f64 = lat.trim().parse().map_err(|_| invalid())?;
        let lon: f64 = lon.trim().parse().map_err(|_| invalid())?;
        Self::new(field, field, lat, lon)
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(&self, other: &Point) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.longitude - self.longitude).to_radians();
        let a = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }

    /// Degrees of longitude per degree of latitude at this point's latitude: the factor that turns a
    /// longitude difference into a comparable distance in the flat (equirectangular) approximation
    /// that SQL uses to filter and order by distance.
    pub fn longitude_scale(&self) -> f64 {
        self.latitude.to_radians().cos().max(0.01)
    }

    /// A radius in km as a squared distance in "latitude degrees", for the equirectangular test
    /// `(Δlat)² + (Δlon·scale)² ≤ r²` that both databases can evaluate without trigonometry.
    pub fn radius_in_degrees(radius_km: f64) -> f64 {
        (radius_km / EARTH_RADIUS_KM).to_degrees()
    }
}

/// A named place with coordinates, as a listing or a member carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub name: String,
    pub point: Option<Point>,
}

impl Location {
    /// A place name (may be empty when coordinates are given) and optional coordinates, which come
    /// both or neither.
    pub fn parse(
        name: Option<&str>,
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> Result<Option<Self>, FieldError> {
        let name = match name.map(str::trim).filter(|n| !is_blank(n)) {
            Some(n) => bounded("location.name", n, 1, 120)?,
            None => String::new(),
        };
        let point = match (latitude, longitude) {
            (Some(lat), Some(lon)) => Some(Point::new("location.latitude", "location.longitude", lat, lon)?),
            (None, None) => None,
            (Some(_), None) => return Err(FieldError::new("location.longitude", "error.coordinates_pair")),
            (None, Some(_)) => return Err(FieldError::new("location.latitude", "error.coordinates_pair")),
        };
        if name.is_empty() && point.is_none() {
            return Ok(None);
        }
        Ok(Some(Self { name, point }))
    }
}

/// Parses a radius in km for distance filters.
pub fn parse_radius(field: &'static str, radius_km: f64) -> Result<f64, FieldError> {
    if radius_km.is_finite() && radius_km > 0.0 && radius_km <= MAX_RADIUS_KM {
        Ok(radius_km)
    } else {
        Err(FieldError::new(field, "error.radius_range").with("max", MAX_RADIUS_KM))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lille_to_roubaix_is_about_eleven_km() {
        let lille = Point { latitude: 50.6292, longitude: 3.0573 };
        let roubaix = Point { latitude: 50.6942, longitude: 3.1746 };
        let d = lille.distance_km(&roubaix);
        assert!((d - 11.0).abs() < 0.5, "{d}");
        // The flat approximation used in SQL agrees to within a percent at this scale.
        let scale = lille.longitude_scale();
        let flat = ((roubaix.latitude - lille.latitude).powi(2)
            + ((roubaix.longitude - lille.longitude) * scale).powi(2))
        .sqrt();
        let flat_km = flat / Point::radius_in_degrees(1.0);
        assert!((flat_km - d).abs() / d < 0.01, "{flat_km} vs {d}");
    }

    #[test]
    fn coordinates_are_range_checked_and_paired() {
        assert!(Point::new("lat", "lon", 91.0, 0.0).is_err());
        assert!(Point::new("lat", "lon", 0.0, -181.0).is_err());
        assert!(Point::new("lat", "lon", f64::NAN, 0.0).is_err());
        assert_eq!(Location::parse(Some("Lille"), Some(50.0), None).map_err(|e| e.field), Err("location.longitude"));
        assert_eq!(Location::parse(None, None, None), Ok(None));
        assert!(Point::parse_pair("near", "50.6,3.06").is_ok());
        assert!(Point::parse_pair("near", "50.6;3.06").is_err());
        assert!(parse_radius("radius_km", 0.0).is_err());
        assert!(parse_radius("radius_km", 25.0).is_ok());
    }
}
