//! Photo uploads: a `multipart/form-data` body (the web form, which works without JavaScript, and
//! the API) read field by field. The file (field `photo`) is kept up to `media.max_photo_mb`; a
//! larger one is read to its end and dropped, so that the member gets the form back with a message
//! rather than a broken connection, up to [`body_limit`], past which the request is cut at 413.
//! Text fields (the alt text, the CSRF token) are UTF-8, 64 kB at most each.

use std::collections::HashMap;

use axum::extract::multipart::{Multipart, MultipartError};
use axum::http::StatusCode;

use crate::config::MediaConfig;
use crate::domain::FieldError;
use crate::error::AppError;
use crate::services::images::megabytes;

/// The name of the file field.
pub const FILE_FIELD: &str = "photo";
/// The largest text field read.
const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Fields read at most.
const MAX_FIELDS: usize = 16;

/// The body limit of an upload route: room to read a file several times too large to its end and
/// answer with a message.
pub fn body_limit(media: &MediaConfig) -> usize {
    media.image_limits().max_bytes.saturating_mul(4).saturating_add(1 << 20)
}

/// An upload as read: the file, or why it was not kept, and the text fields.
#[derive(Debug)]
pub struct Upload {
    pub file: Result<Vec<u8>, AppError>,
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// A text field, empty when absent.
    pub fn text(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or_default()
    }
}

fn broken(error: MultipartError) -> AppError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large")
    } else {
        tracing::debug!(%error, "an upload that does not read");
        AppError::bad_request("error.bad_form")
    }
}

/// Reads an upload; what is wrong with the body itself (not multipart, cut short, past the body
/// limit) is an error, what is wrong with the file is in [`Upload::file`].
pub async fn read(mut multipart: Multipart, media: &MediaConfig) -> Result<Upload, AppError> {
    let max_bytes = media.image_limits().max_bytes;
    let mut file: Option<Result<Vec<u8>, AppError>> = None;
    let mut fields = HashMap::new();
    let mut count = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(AppError::bad_request("error.bad_form"));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == FILE_FIELD {
            let mut bytes = Vec::new();
            let mut too_heavy = false;
            while let Some(chunk) = field.chunk().await.map_err(broken)? {
                if too_heavy || bytes.len() + chunk.len() > max_bytes {
                    too_heavy = true;
                    bytes = Vec::new();
                    continue;
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some(if too_heavy {
                Err(AppError::field(
                    FieldError::new(FILE_FIELD, "photo.too_heavy").with("max", megabytes(max_bytes as u64)),
                ))
            } else {
                Ok(bytes)
            });
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_TEXT_BYTES {
                return Err(AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "error.too_large"));
            }
        }
        let text = String::from_utf8(bytes).map_err(|_| crate::http::encoding::not_utf8(&name))?;
        fields.insert(name, text);
    }
    let file = file.unwrap_or_else(|| Err(AppError::field(FieldError::new(FILE_FIELD, "photo.missing"))));
    Ok(Upload { file, fields })
}
