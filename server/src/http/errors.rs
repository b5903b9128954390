//! Error rendering: the API answers JSON `{error, message, fields?}`, the web UI an HTML page, both in
//! the request's language. Handlers return `AppError`; these middlewares turn the `PublicError` it
//! attaches (and the framework's own 4xx answers) into the right format.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;

use super::AppState;
use crate::domain::Message;
use crate::error::PublicError;
use crate::i18n::{Lang, Tr, render};
use crate::storage::sessions::SessionKind;
use crate::web::PageCtx;

/// A handler that panics answers 500, shown by the error middlewares like any other error, instead
/// of a closed connection ("the page isn't working"); the panic is logged.
pub fn catch_panics() -> CatchPanicLayer<fn(Box<dyn std::any::Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(panic_response)
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<&'static str, String>,
}

/// The public error carried by a response, or one made up from its status when the framework
/// answered by itself (unknown route, wrong method, body too large, wrong content type).
fn public_error(response: &Response) -> Option<PublicError> {
    if let Some(public) = response.extensions().get::<Arc<PublicError>>() {
        return Some(PublicError::clone(public));
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let (code, key) = match status {
        StatusCode::NOT_FOUND => ("not_found", "error.not_found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "error.method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "error.too_large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "error.unsupported_media_type"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "error.unauthorized"),
        StatusCode::FORBIDDEN => ("forbidden", "error.forbidden"),
        s if s.is_server_error() => ("internal_error", "error.internal"),
        _ => ("bad_request", "error.bad_request"),
    };
    Some(PublicError { status, code, message: Message::new(key), fields: Vec::new() })
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

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    message: String,
}

pub async fn render_web_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let lang = request.extensions().get::<Lang>().copied().unwrap_or(Lang::Fr);
    let path = request.uri().path().to_owned();
    let csrf = request.extensions().get::<super::csrf::CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
    // Kept to show the error page with the member's own menu: a member reading "not allowed"
    // beside "Log in" would think they had been logged out.
    let session = super::csrf::cookie_value(request.headers(), super::auth::SESSION_COOKIE);
    let response = next.run(request).await;
    let is_page =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    // A page that answers 4xx by itself (a form shown again with its errors) stays as it is.
    if is_page && response.extensions().get::<Arc<PublicError>>().is_none() {
        return response;
    }
    let Some(public) = public_error(&response) else {
        return response;
    };
    let t = Tr::in_zone(lang, state.zone);
    let mut ctx = PageCtx::anonymous(&state, t, csrf, path);
    if let Some(token) = session {
        // An error while looking the member up leaves the page anonymous: it is an error page already.
        ctx.viewer =
            crate::services::accounts::member_for_token(&state.db, &token, SessionKind::Web).await.ok().flatten();
        if ctx.viewer.is_some() {
            // The member's own token, for the logout button of the menu.
            ctx.csrf = super::csrf::session_form_token(&token);
        }
    }
    let page = ErrorPage { ctx, status: public.status.as_u16(), message: t.msg(&public.message) };
    let mut rendered = match page.render() {
        Ok(html) => (public.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page");
            (public.status, public.message.key).into_response()
        }
    };
    for (name, value) in response.headers() {
        if name == axum::http::header::SET_COOKIE
            || name == axum::http::header::LOCATION
            || name == axum::http::header::RETRY_AFTER
        {
            rendered.headers_mut().append(name.clone(), value.clone());
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

    #[expect(clippy::unused_async, reason = "a handler is async")]
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
