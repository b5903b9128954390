//! The response language, chosen once per request, and the instance's time zone, available to
//! handlers as extensions (and together as `Tr`).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::i18n::{LANG_COOKIE, Lang, Tr, Zone, negotiate};
use crate::state::AppState;

/// Middleware: picks the language, stores it in the request, and remembers a `?lang=` choice in a
/// cookie.
pub async fn negotiate_language(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (lang, chosen) = negotiate(request.uri().query(), request.headers(), &state.langs);
    request.extensions_mut().insert(lang);
    request.extensions_mut().insert(state.zone);
    let mut response = next.run(request).await;
    if chosen {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The request's language, for handlers: `Tr` gives translations.
impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Fr);
        Ok(match parts.extensions.get::<Zone>() {
            Some(zone) => Tr::in_zone(lang, *zone),
            None => Tr::new(lang),
        })
    }
}
