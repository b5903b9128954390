//! The web pages' errors: an HTML error page in the request's language, with the member's own menu
//! when they are logged in. A page that answered a 4xx by itself (a form shown again with its
//! errors) is left as it is.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::PageCtx;
use crate::error::PublicError;
use crate::http::cookies::{SESSION_COOKIE, cookie_value};
use crate::http::csrf;
use crate::http::errors::public_error;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use crate::storage::sessions::SessionKind;

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
    let csrf = request.extensions().get::<csrf::CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
    // Kept to show the error page with the member's own menu: a member reading "not allowed"
    // beside "Log in" would think they had been logged out.
    let session = cookie_value(request.headers(), SESSION_COOKIE);
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
            crate::services::accounts::member_for_token(state.db(), &token, SessionKind::Web).await.ok().flatten();
        if ctx.viewer.is_some() {
            // The member's own token, for the logout button of the menu.
            ctx.csrf = csrf::session_form_token(&token);
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
