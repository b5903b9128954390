//! The web UI: server-rendered HTML pages that work without JavaScript, in French and English.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};

use crate::domain::member::Member;
use crate::error::AppError;
use crate::http::AppState;
use crate::http::auth::Viewer;
use crate::http::csrf::CsrfToken;
use crate::i18n::{Lang, Tr};

mod account;
mod admin;
mod assets;
mod catalogue;
mod forms;
mod listings;
mod members;
mod views;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalogue::page))
        .route("/static/style.css", get(assets::stylesheet))
        .route("/listings", post(listings::create))
        .route("/listings/new", get(listings::new_form))
        .route("/listings/{id}", get(listings::show))
        .route("/listings/{id}/edit", get(listings::edit_form).post(listings::update))
        .route("/listings/{id}/status", post(listings::set_status))
        .route("/listings/{id}/delete", post(listings::delete))
        .route("/register", get(account::register_form).post(account::register))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/members/{username}", get(members::profile))
        .route("/members/{username}/edit", get(members::edit_form).post(members::update))
        .route("/admin", get(admin::overview))
        .route("/admin/members", get(admin::members))
        .route("/admin/members/{username}/{action}", post(admin::member_action))
        .route("/admin/listings", get(admin::listings_page))
        .route("/admin/listings/{id}/remove", post(admin::remove_listing))
}

/// What every page's layout needs: translations, the instance, the visitor, the CSRF token.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub t: Tr,
    pub instance_name: String,
    pub instance_description: String,
    pub langs: Vec<Lang>,
    pub viewer: Option<Member>,
    pub csrf: String,
    /// The current path, for the language links.
    pub path: String,
}

impl PageCtx {
    /// For pages rendered without looking up the visitor (error pages).
    pub fn anonymous(state: &AppState, t: Tr, csrf: String, path: String) -> Self {
        Self {
            t,
            instance_name: state.config.instance.name.clone(),
            instance_description: state.config.instance.description.clone(),
            langs: state.langs.to_vec(),
            viewer: None,
            csrf,
            path,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.viewer.as_ref().is_some_and(Member::is_admin)
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let t = Tr::from_request_parts(parts, state).await.unwrap_or(Tr::new(Lang::Fr));
        let Viewer(viewer) = Viewer::from_request_parts(parts, state).await?;
        let csrf = parts.extensions.get::<CsrfToken>().map(|c| c.0.clone()).unwrap_or_default();
        let mut ctx = Self::anonymous(state, t, csrf, parts.uri.path().to_owned());
        ctx.viewer = viewer;
        Ok(ctx)
    }
}
