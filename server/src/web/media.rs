//! `/media/ID-WIDTH.jpg`: the images we serve, ours and other servers' (fetched, checked and encoded
//! again the first time someone asks: never hot-linked). Outside the pages' layers: an image needs no
//! CSRF cookie, and a `Set-Cookie` would keep it out of shared caches.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::domain::photo::parse_file_name;
use crate::services::photos;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/media/{file}", get(serve))
}

/// A rendition is never changed under its name (a new photo has a new id): cached for a year.
const FOREVER: &str = "public, max-age=31536000, immutable";

async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "").into_response();
    let Some((id, width)) = parse_file_name(&file) else { return not_found() };
    let path = match photos::rendition(&state.services, &id, width).await {
        Ok(Some(path)) => path,
        Ok(None) => return not_found(),
        Err(error) => {
            tracing::error!(%error, image.id = %id, "an image could not be served");
            return (StatusCode::INTERNAL_SERVER_ERROR, [(header::CACHE_CONTROL, "no-store")], "").into_response();
        }
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
            response
        }
        Err(error) => {
            tracing::warn!(%error, path = %path.display(), "an image's file is missing");
            not_found()
        }
    }
}
