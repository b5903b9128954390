//! What error rendering shares across surfaces: a panicking handler answers 500 instead of closing
//! the connection, and every 4xx or 5xx answer has a [`PublicError`] to show — the one the handler's
//! `AppError` attached, or one made up from the status when the framework answered by itself. Each
//! surface renders it in its own format: `api::errors` as JSON, `web::errors` as an HTML page.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;

use crate::domain::Message;
use crate::error::PublicError;

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

/// The public error carried by a response, or one made up from its status when the framework
/// answered by itself (unknown route, wrong method, body too large, wrong content type).
pub fn public_error(response: &Response) -> Option<PublicError> {
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
