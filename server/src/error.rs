//! The one error vocabulary of the services, from which both the HTTP error (a status and a safe,
//! translatable message; the internal cause is logged once, here, and never sent) and the inbox's
//! error (`PortError`, in `services::inbox`) are made.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::{FieldError, Message};

/// The message argument that says why another server's activity is refused.
const REASON: &str = "reason";

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    /// A stable machine-readable code (`not_found`, `validation_failed`...).
    pub code: &'static str,
    pub message: Message,
    pub fields: Vec<FieldError>,
    /// How long the client should wait before trying again (`Retry-After`, on 429 and 503).
    pub retry_after: Option<std::time::Duration>,
    /// What really went wrong, for the log only.
    internal: Option<anyhow::Error>,
}

/// The part of an error that may be shown, attached to the response so that the API and the web UI
/// each render it in their own format and in the request's language.
#[derive(Debug, Clone)]
pub struct PublicError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Message,
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, key: &'static str) -> Self {
        Self { status, code, message: Message::new(key), fields: Vec::new(), retry_after: None, internal: None }
    }

    /// Something another server sent that we do not take (400, for good), with the reason it is told.
    pub fn refused(reason: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "refused", "error.refused").with_arg(REASON, reason)
    }

    /// Something another server may not do (403), with the reason it is told.
    pub fn forbidden_because(reason: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "error.forbidden_because").with_arg(REASON, reason)
    }

    /// Why another server's activity is refused, when it was said ([`AppError::refused`]).
    pub fn reason(&self) -> Option<&str> {
        self.message.args.iter().find(|(name, _)| *name == REASON).map(|(_, reason)| reason.as_str())
    }

    /// The internal cause, when there is one (for logs, and for other servers' retries).
    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.internal.as_ref()
    }

    pub fn bad_request(key: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", key)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "error.unauthorized")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "error.forbidden")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "error.not_found")
    }

    pub fn conflict(key: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", key)
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: Message::new("error.validation"),
            fields,
            retry_after: None,
            internal: None,
        }
    }

    pub fn field(error: FieldError) -> Self {
        Self::validation(vec![error])
    }

    /// A failure of ours (database, I/O): the client learns only that something went wrong.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: Message::new("error.internal"),
            fields: Vec::new(),
            retry_after: None,
            internal: Some(cause.into()),
        }
    }

    pub fn with_status(mut self, status: StatusCode, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }

    pub fn with_arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.message = self.message.with(name, value);
        self
    }

    /// A refusal to try again later (429), saying when in a `Retry-After` header.
    pub fn too_many_requests(code: &'static str, key: &'static str, retry_after: std::time::Duration) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, code, key);
        error.retry_after = Some(retry_after);
        error
    }

    /// The `Retry-After` value: whole seconds, rounded up, at least 1.
    pub fn retry_after_header(&self) -> Option<axum::http::HeaderValue> {
        let wait = self.retry_after?;
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Some(axum::http::HeaderValue::from(seconds.max(1)))
    }

    pub fn public(&self) -> PublicError {
        PublicError { status: self.status, code: self.code, message: self.message.clone(), fields: self.fields.clone() }
    }
}

/// For logs: the code, the reason told to another server, the internal cause.
impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)?;
        if let Some(reason) = self.reason() {
            write!(f, ": {reason}")?;
        }
        if let Some(cause) = &self.internal {
            write!(f, ": {cause:#}")?;
        }
        Ok(())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        Self::internal(anyhow::Error::new(error).context("database"))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let public = self.public();
        // A plain fallback body; the API and web layers replace it with JSON or a page.
        let mut response = (self.status, self.message.key).into_response();
        if let Some(value) = self.retry_after_header() {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response.extensions_mut().insert(Arc::new(public));
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
