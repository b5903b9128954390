//! The API's errors: every 4xx and 5xx answer of `/api/v1` is JSON `{error, message, fields?}` in
//! the request's language — also the framework's own 404, 405, 413 and 415.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::PublicError;
use crate::http::errors::public_error;
use crate::i18n::{Lang, render};

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<&'static str, String>,
}

pub async fn render_api_errors(request: Request, next: Next) -> Response {
    let lang = request.extensions().get::<Lang>().copied().unwrap_or(Lang::Fr);
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json && response.extensions().get::<Arc<PublicError>>().is_none() {
        return response;
    }
    let Some(public) = public_error(&response) else {
        return response;
    };
    let mut fields = BTreeMap::new();
    for field in &public.fields {
        fields.entry(field.field).or_insert_with(|| render(lang, &field.message));
    }
    let body = ErrorBody { error: public.code, message: render(lang, &public.message), fields };
    let mut rendered = (public.status, axum::Json(body)).into_response();
    // Keep headers such as WWW-Authenticate or Allow that the original answer carried.
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use axum::http::StatusCode;

    use crate::http::errors::catch_panics;

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_500_in_the_api_format() {
        let app: Router = Router::new()
            .route("/boom", get(boom))
            .layer(catch_panics())
            .layer(axum::middleware::from_fn(render_api_errors));
        let request = Request::builder().uri("/boom").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 10_000).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "internal_error", "{json}");
    }
}
