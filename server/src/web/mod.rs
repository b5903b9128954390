//! The web UI: server-rendered HTML pages that work without JavaScript, in French and English.

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::domain::cooperative::Accent;
use crate::domain::member::Member;
use crate::error::AppError;
use crate::http::auth::Viewer;
use crate::http::csrf::{self, CsrfToken};
use crate::i18n::{Lang, Tr};
use crate::services::cooperative::{self as presentation, Presented};
use crate::state::AppState;

mod account;
mod admin;
mod assets;
mod catalogue;
mod collectives;
mod confirm;
mod cooperative;
pub mod errors;
mod exchange_views;
mod exchanges;
mod forms;
mod home;
mod listings;
pub mod media;
mod members;
mod notifications;
mod peers;
mod photos;
mod views;

/// The pages; `media` sets the body limit of photo uploads.
pub fn routes(media: &crate::config::MediaConfig) -> Router<AppState> {
    let upload_limit = axum::extract::DefaultBodyLimit::max(crate::http::upload::body_limit(media));
    Router::new()
        .route("/", get(home::page))
        .route("/catalogue", get(catalogue::page))
        .route("/static/style.css", get(assets::stylesheet))
        .route("/static/places.js", get(assets::places_script))
        .route("/static/favicon.svg", get(assets::favicon))
        .route("/favicon.ico", get(assets::favicon))
        .route("/listings", post(listings::create))
        .route("/listings/new", get(listings::new_form))
        .route("/listings/{id}", get(listings::show))
        .route("/listings/{id}/edit", get(listings::edit_form).post(listings::update))
        .route("/listings/{id}/status", post(listings::set_status))
        .route("/listings/{id}/take-out", post(listings::take_out))
        .route("/listings/{id}/delete", get(listings::delete_confirm).post(listings::delete))
        .route("/listings/{id}/photos", get(photos::show).post(photos::add).layer(upload_limit))
        .route("/listings/{id}/photos/{image}", post(photos::act))
        .route("/listings/{id}/exchange", get(exchanges::start_form).post(exchanges::start))
        .route("/exchanges", get(exchanges::list))
        .route("/exchanges/{id}", get(exchanges::show))
        .route("/exchanges/{id}/messages", post(exchanges::message))
        .route("/exchanges/{id}/{move}", post(exchanges::act))
        .route("/collectives", get(collectives::list).post(collectives::create))
        .route("/collectives/new", get(collectives::new_form))
        .route("/collectives/lookup", post(collectives::look_up))
        .route("/collectives/{name}", get(collectives::show))
        .route("/collectives/{name}/edit", get(collectives::edit_form).post(collectives::update))
        .route("/collectives/{name}/charter", get(collectives::charter))
        .route("/collectives/{name}/join", get(collectives::join_form).post(collectives::join))
        .route("/collectives/{name}/members", get(collectives::members))
        .route("/collectives/{name}/invitations", post(collectives::invite))
        .route("/collectives/{name}/members/{id}/{action}", post(collectives::decide))
        .route("/collectives/{name}/{action}", post(collectives::mine))
        .route("/register", get(account::register_form).post(account::register))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/members/{username}", get(members::profile))
        .route("/members/{username}/edit", get(members::edit_form).post(members::update))
        .route("/members/{username}/avatar", post(members::set_avatar).layer(upload_limit))
        .route("/members/{username}/avatar/remove", post(members::remove_avatar))
        .route("/members/{username}/notifications", get(notifications::show).post(notifications::save))
        .route("/members/{username}/calendar", post(notifications::calendar_action))
        .route("/calendar/{file}", get(notifications::feed))
        .route("/admin", get(admin::overview))
        .route("/admin/cooperative", get(cooperative::show).post(cooperative::save_presentation))
        .route("/admin/cooperative/logo", post(cooperative::set_logo).layer(upload_limit))
        .route("/admin/cooperative/logo/remove", post(cooperative::remove_logo))
        .route("/admin/members", get(admin::members))
        .route("/admin/members/{username}/{action}", post(admin::member_action))
        .route("/admin/listings", get(admin::listings_page))
        .route("/admin/listings/{id}/remove", post(admin::remove_listing))
        .route("/admin/peers", get(peers::peers).post(peers::request))
        .route("/admin/peers/{domain}/{action}", get(peers::confirm).post(peers::act))
        .route("/follows", get(peers::follows).post(peers::follow))
        .route("/follows/remove", post(peers::unfollow))
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
    /// The current query without its `lang` parameter, so that switching language keeps the search.
    pub query: String,
    /// What the form just submitted did (`?done=KEY` on the page it led to), translated.
    pub notice: Option<&'static str>,
    /// The cooperative's logo in the header, when it has one: the image's URL.
    pub logo: Option<String>,
    /// The cooperative's colour, a class of the page's root (`accent-forest`...).
    pub accent: Accent,
    /// How many of the viewer's exchanges wait for them (the count beside « Mes échanges »).
    pub exchanges_waiting: i64,
    /// What waits for the viewer in collectives: requests to decide, invitations, new charters.
    pub collectives_waiting: i64,
}

/// The outcomes a form can announce on the page it leads to, with `done(…)`. A key that is not
/// here shows nothing, so that a link cannot make a page say something it did not do.
const NOTICES: &[&str] = &[
    "listing_created",
    "listing_saved",
    "listing_reopened",
    "listing_reserved",
    "listing_closed",
    "listing_deleted",
    "listing_removed",
    "photo_added",
    "photo_described",
    "photo_moved",
    "photo_removed",
    "profile_saved",
    "avatar_saved",
    "avatar_removed",
    "logo_saved",
    "logo_removed",
    "presentation_saved",
    "member_updated",
    "peering_requested",
    "peering_accepted",
    "peering_refused",
    "peering_ended",
    "peer_blocked",
    "peer_unblocked",
    "peer_retry",
    "followed",
    "already_following",
    "unfollowed",
    "exchange_started",
    "exchange_moved",
    "message_sent",
    "notifications_saved",
    "calendar_made",
    "calendar_removed",
    "collective_created",
    "collective_saved",
    "collective_joined",
    "collective_join_requested",
    "collective_left",
    "charter_accepted",
    "member_admitted",
    "member_refused",
    "member_invited",
    "member_removed",
    "role_changed",
    "listing_taken_out",
];

/// A page from its template (a template that fails to render is our error, not the reader's).
pub fn render(template: impl askama::Template) -> crate::error::AppResult<axum::response::Html<String>> {
    template.render().map(axum::response::Html).map_err(AppError::internal)
}

/// A redirect to `path` that tells the page what was just done (one of [`NOTICES`]).
pub fn done(path: &str, notice: &'static str) -> Redirect {
    debug_assert!(NOTICES.contains(&notice), "unknown notice {notice}");
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}done={notice}"))
}

/// The `?page=` of a page of a list (a profile's listings, a collective's members). A number that is
/// not one shows the first page, as a list past its end shows an empty one: no error page for a link.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PageParam {
    page: Option<String>,
}

impl PageParam {
    /// The page asked for, from 1 to 1,000.
    pub fn number(&self) -> i64 {
        self.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(1).clamp(1, 1000)
    }
}

fn notice_of(t: Tr, query: &str) -> Option<&'static str> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "done")
        .and_then(|(_, value)| NOTICES.iter().find(|n| **n == value))
        .map(|key| t.t(&format!("notice.{key}")))
}

impl PageCtx {
    /// For pages rendered without looking up the visitor (error pages).
    pub fn anonymous(state: &AppState, t: Tr, csrf: String, path: String) -> Self {
        Self {
            t,
            instance_name: state.config().instance.name.clone(),
            instance_description: state.config().instance.description.clone(),
            langs: state.langs.to_vec(),
            viewer: None,
            csrf,
            path,
            query: String::new(),
            notice: None,
            logo: None,
            accent: Accent::default(),
            exchanges_waiting: 0,
            collectives_waiting: 0,
        }
        .presenting(presentation::known(&state.services).as_deref())
    }

    /// The page in the cooperative's logo and colour.
    fn presenting(mut self, presented: Option<&Presented>) -> Self {
        if let Some(presented) = presented {
            self.logo = presented.cooperative.logo.as_ref().map(views::logo_url);
            self.accent = presented.cooperative.accent;
        }
        self
    }

    /// The current page in another language, keeping its other query parameters.
    pub fn lang_url(&self, lang: &Lang) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in url::form_urlencoded::parse(self.query.as_bytes()) {
            if key != "lang" && key != "done" {
                query.append_pair(&key, &value);
            }
        }
        query.append_pair("lang", lang.code());
        // After a form was shown again with its errors, the path is the form's POST address. A
        // path such as `//evil.example` (an error page) would make a link off-site: home instead.
        let path = forms::safe_next(&self.path).unwrap_or("/");
        format!("{}?{}", page_of_form(path), query.finish())
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
        let csrf = csrf::page_token(&parts.headers, parts.extensions.get::<CsrfToken>(), viewer.is_some());
        let presented = presentation::presented(&state.services).await?;
        let mut ctx = Self::anonymous(state, t, csrf, parts.uri.path().to_owned()).presenting(Some(&presented));
        if let Some(viewer) = &viewer {
            ctx.exchanges_waiting = crate::services::exchanges::awaiting(&state.services, &viewer.id).await?;
            ctx.collectives_waiting = crate::services::collectives::awaiting(&state.services, viewer).await?;
        }
        ctx.viewer = viewer;
        ctx.query = parts.uri.query().unwrap_or_default().to_owned();
        ctx.notice = notice_of(t, &ctx.query);
        Ok(ctx)
    }
}

/// The page a form is on, for a form's POST address: where to come back after logging in.
fn page_of_form(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["listings"] => "/listings/new".to_owned(),
        ["listings", id, "status" | "delete" | "take-out"] => format!("/listings/{id}"),
        ["listings", id, "photos", ..] => format!("/listings/{id}/photos"),
        ["members", name, "avatar", ..] => format!("/members/{name}/edit"),
        ["members", name, "calendar"] => format!("/members/{name}/notifications"),
        ["admin", "cooperative", ..] => "/admin/cooperative".to_owned(),
        ["admin", "members", ..] => "/admin/members".to_owned(),
        ["admin", "listings", ..] => "/admin/listings".to_owned(),
        ["admin", "peers", ..] => "/admin/peers".to_owned(),
        ["follows", ..] => "/follows".to_owned(),
        ["exchanges", id, ..] => format!("/exchanges/{id}"),
        ["collectives"] => "/collectives/new".to_owned(),
        ["collectives", name, "members" | "invitations", ..] => format!("/collectives/{name}/members"),
        ["collectives", name, "leave" | "accept-charter"] => format!("/collectives/{name}"),
        _ => path.to_owned(),
    }
}

/// The member submitting a form. A visitor whose session ended while the form was open is sent to
/// the login page, and from there back to the page the form was on (not to its POST address, which
/// has no page).
#[derive(Debug, Clone)]
pub struct FormAuthor(pub Member);

impl FromRequestParts<AppState> for FormAuthor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Viewer(viewer) = Viewer::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match viewer {
            Some(member) => Ok(FormAuthor(member)),
            None => {
                let next: String =
                    url::form_urlencoded::byte_serialize(page_of_form(parts.uri.path()).as_bytes()).collect();
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// An admin submitting a form; others get a 403, anonymous visitors the login page.
#[derive(Debug, Clone)]
pub struct FormAdmin(pub Member);

impl FromRequestParts<AppState> for FormAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let FormAuthor(member) = FormAuthor::from_request_parts(parts, state).await?;
        if member.is_admin() { Ok(FormAdmin(member)) } else { Err(AppError::forbidden().into_response()) }
    }
}

#[cfg(test)]
mod tests {
    use super::{NOTICES, notice_of, page_of_form};
    use crate::i18n::{self, Lang, Tr};

    #[test]
    fn every_notice_is_translated_and_only_known_ones_are_shown() {
        for lang in [Lang::Fr, Lang::En] {
            for key in NOTICES {
                let key = format!("notice.{key}");
                assert!(i18n::catalog(lang).contains_key(&key), "{key} missing in {}", lang.code());
            }
        }
        let t = Tr::new(Lang::En);
        assert_eq!(notice_of(t, "q=velo&done=listing_created"), Some("Your listing is published."));
        assert_eq!(notice_of(t, "done=made_up"), None);
        assert_eq!(notice_of(t, "q=done"), None);
    }

    #[test]
    fn a_form_sends_back_to_its_page_after_logging_in() {
        assert_eq!(page_of_form("/listings"), "/listings/new");
        assert_eq!(page_of_form("/listings/abc/status"), "/listings/abc");
        assert_eq!(page_of_form("/listings/abc/delete"), "/listings/abc");
        assert_eq!(page_of_form("/listings/abc/edit"), "/listings/abc/edit");
        assert_eq!(page_of_form("/members/alice/edit"), "/members/alice/edit");
        assert_eq!(page_of_form("/admin/members/alice/approve"), "/admin/members");
        assert_eq!(page_of_form("/admin/listings/abc/remove"), "/admin/listings");
        assert_eq!(page_of_form("/exchanges/abc/accept"), "/exchanges/abc");
        assert_eq!(page_of_form("/listings/abc/exchange"), "/listings/abc/exchange");
    }
}
