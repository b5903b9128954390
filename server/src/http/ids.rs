//! Ids in request paths, read as the domain's types: a segment that cannot be an id names nothing,
//! and is answered "not found" before any query.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::domain::ids::ListingId;
use crate::error::AppError;

/// The `{id}` of a listing's path (`/listings/{id}`, `/api/v1/listings/{id}`…).
pub struct ListingPath(pub ListingId);

impl<S: Send + Sync> FromRequestParts<S> for ListingPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(id) = Path::<String>::from_request_parts(parts, state).await.map_err(|_| AppError::not_found())?;
        ListingId::parse(&id).map(Self).ok_or_else(AppError::not_found)
    }
}

/// The `{id}` and `{image}` of a listing's photo's path (`/listings/{id}/photos/{image}`).
pub struct PhotoPath(pub ListingId, pub crate::domain::ids::ImageId);

impl<S: Send + Sync> FromRequestParts<S> for PhotoPath {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path((id, image)) =
            Path::<(String, String)>::from_request_parts(parts, state).await.map_err(|_| AppError::not_found())?;
        match (ListingId::parse(&id), crate::domain::ids::ImageId::parse(&image)) {
            (Some(id), Some(image)) => Ok(Self(id, image)),
            _ => Err(AppError::not_found()),
        }
    }
}
