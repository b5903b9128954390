//! ActivityPub over HTTP: WebFinger, NodeInfo, our JSON-LD context, actor and listing documents
//! (served as `application/activity+json` to clients that ask for it, and as the usual HTML pages
//! to browsers at the same URL), outboxes, followers collections, and the inboxes.
//!
//! The documents themselves are built by the `federation` crate; this module finds the data and
//! answers.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maillage_federation::{ACTIVITY_JSON, FederationError, activities, context, nodeinfo, webfinger};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::actor::ActorKey;
use crate::domain::ids::{ListingId, MemberId};
use crate::services::federation::{Federator, actors, documents, outbound};
use crate::services::follows;
use crate::state::AppState;

/// Listings per outbox page: as many as Mastodon's outbox pages hold, so that a page anyone may ask
/// for costs about what a catalogue page costs (each item is a whole `Create` with its proposal).
const OUTBOX_PAGE: i64 = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger_handler))
        .route("/.well-known/nodeinfo", get(nodeinfo_discovery))
        .route("/nodeinfo/2.1", get(nodeinfo_document))
        .route(maillage_federation::urls::CONTEXT_PATH, get(context_document))
        .route(maillage_federation::urls::INSTANCE_ACTOR_PATH, get(instance_actor))
        .route("/actor/outbox", get(instance_outbox))
        .route("/actor/followers", get(instance_followers))
        .route("/actor/inbox", post(inbox))
        .route(maillage_federation::urls::SHARED_INBOX_PATH, post(inbox))
        .route("/members/{username}/inbox", post(member_inbox))
        .route("/members/{username}/outbox", get(member_outbox))
        .route("/members/{username}/followers", get(member_followers))
        .route("/collectives/{name}/inbox", post(collective_inbox))
        .route("/collectives/{name}/outbox", get(collective_outbox))
        .route("/collectives/{name}/followers", get(collective_followers))
}

/// Whether the client asks for ActivityPub JSON rather than HTML.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT).iter().filter_map(|v| v.to_str().ok()).any(|accept| {
        accept.contains("application/activity+json")
            || (accept.contains("application/ld+json") && !accept.contains("text/html"))
    })
}

fn activity_json(value: Value) -> Response {
    activity_text(value.to_string())
}

/// An ActivityStreams document already written out as JSON.
fn activity_text(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(ACTIVITY_JSON));
    response.headers_mut().insert(VARY, HeaderValue::from_static("Accept"));
    response
}

fn json_with_type(value: impl serde::Serialize, content_type: &'static str) -> Response {
    let Ok(body) = serde_json::to_string(&value) else {
        return FederationError::Internal("a document could not be written as JSON".into()).into_response();
    };
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert("access-control-allow-origin", HeaderValue::from_static("*"));
    response
}

fn not_found() -> Response {
    FederationError::NotFound.into_response()
}

fn internal(error: impl std::fmt::Display) -> Response {
    FederationError::Internal(error.to_string()).into_response()
}

/// Serves the ActivityPub document of a member (`/members/NAME`) or a listing (`/listings/ID`) to
/// clients that ask for one; everything else goes on to the web pages.
pub async fn negotiate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || !state.services.federates() || !wants_activity_json(request.headers()) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if !matches!(
        segments.as_slice(),
        ["members", _] | ["listings", _] | ["exchanges", _] | ["collectives", _] | ["collectives", _, "members"]
    ) {
        return next.run(request).await;
    }
    if let ["collectives", name, rest @ ..] = segments.as_slice() {
        // A private collective's documents: to the signed fetches of its members' servers alone.
        let reader = match reader(&state, request.method(), request.uri(), request.headers(), true).await {
            Ok(reader) => reader,
            Err(refused) => return refused,
        };
        return collective_document(&state, name, reader.as_ref(), !rest.is_empty()).await;
    }
    if let ["exchanges", id] = segments.as_slice() {
        // Private: to the exchange's other party's signed fetch alone, whatever the instance's
        // authorized-fetch setting; to anyone else it does not exist.
        let reader = match reader(&state, request.method(), request.uri(), request.headers(), true).await {
            Ok(Some(reader)) => reader,
            Ok(None) => return not_found(),
            Err(refused) => return refused,
        };
        return exchange_document(&state, id, &reader).await;
    }
    if let Err(refused) = reader(&state, request.method(), request.uri(), request.headers(), false).await {
        return refused;
    }
    match segments.as_slice() {
        ["members", username] => member_document(&state, username).await,
        ["listings", id] => listing_document(&state, id).await,
        _ => next.run(request).await,
    }
}

/// Who is reading one of our documents: the server whose actor signed the GET, when it signed it
/// and the signature verifies. Under "authorized fetch" an unsigned or badly signed request is
/// refused here; otherwise a signature is checked only when `need_signer` asks for the reader (it
/// costs a fetch of the signer's key the first time).
async fn reader(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    need_signer: bool,
) -> Result<Option<maillage_federation::RemoteActor>, Response> {
    let required = state.config().federation.authorized_fetch;
    let check = required || (need_signer && headers.contains_key("signature"));
    if !check {
        return Ok(None);
    }
    let Some(federation) = state.services.federation() else {
        return if required { Err(not_found()) } else { Ok(None) };
    };
    match maillage_federation::signed_fetch::verify(federation, method, uri, headers).await {
        Ok(actor) => Ok(Some(actor)),
        Err(e) if required => Err(e.into_response()),
        Err(_) => Ok(None),
    }
}

/// A request allowed to read our collections: under authorized fetch, one signed by a server we
/// do not block (checked by [`reader`]); otherwise any.
struct Authorized;

impl FromRequestParts<AppState> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        reader(state, &parts.method, &parts.uri, &parts.headers, false).await.map(|_| Authorized)
    }
}

async fn exchange_document(state: &AppState, id: &str, reader: &maillage_federation::RemoteActor) -> Response {
    let Some(id) = crate::domain::ids::ExchangeId::parse(id) else { return not_found() };
    match crate::services::exchanges::for_remote_party(&state.services, &id, &reader.id).await {
        Ok(Some(record)) => {
            let data = crate::services::federation::exchanges::agreement_data(&record);
            activity_json(maillage_federation::agreement::document(&data))
        }
        Ok(None) => not_found(),
        Err(error) => error.into_response(),
    }
}

/// A collective's `Group` (or, with `members`, its members collection), as `reader` may see it.
async fn collective_document(
    state: &AppState,
    name: &str,
    reader: Option<&maillage_federation::RemoteActor>,
    members: bool,
) -> Response {
    use crate::services::federation::collectives as groups;
    let collective = match groups::served(&state.services, name, reader).await {
        Ok(Some(collective)) => collective,
        Ok(None) => return not_found(),
        Err(error) => return error.into_response(),
    };
    let document = if members {
        groups::members_document(&state.services, &collective).await
    } else {
        groups::group_document(&state.services, &collective).await
    };
    match document {
        Ok(document) => activity_json(document),
        Err(error) => error.into_response(),
    }
}

async fn member_document(state: &AppState, username: &str) -> Response {
    match actors::member_actor(&state.services, username).await {
        Ok(Some(actor)) => activity_json(activities::actor_json(&actor, state.services.urls())),
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

async fn listing_document(state: &AppState, id: &str) -> Response {
    let Some(id) = ListingId::parse(id) else { return not_found() };
    match documents::served_listing(&state.services, &id).await {
        Ok(Some(listing)) => {
            let proposal = outbound::proposal(state.services.urls(), &listing);
            activity_json(context::with_context(serde_json::to_value(proposal).unwrap_or(Value::Null)))
        }
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

async fn webfinger_handler(State(state): State<AppState>, Query(query): Query<WebfingerQuery>) -> Response {
    let services = &state.services;
    if !services.federates() {
        return not_found();
    }
    let Some(resource) = query.resource.filter(|r| !r.trim().is_empty()) else {
        return FederationError::BadRequest("the resource parameter is required".into()).into_response();
    };
    let Some(username) = webfinger::requested_username(&resource, services.urls()) else {
        return not_found();
    };
    let urls = services.urls();
    let domain = urls.domain();
    if username.eq_ignore_ascii_case(&domain) {
        let actor = urls.instance_actor();
        return json_with_type(webfinger::document(&domain, &domain, &actor, urls.base()), "application/jrd+json");
    }
    match actors::webfinger_target(services, &username).await {
        Ok(Some((name, actor))) => {
            json_with_type(webfinger::document(&name, &domain, &actor, &actor), "application/jrd+json")
        }
        Ok(None) => not_found(),
        Err(e) => internal(e),
    }
}

async fn nodeinfo_discovery(State(state): State<AppState>) -> Response {
    json_with_type(nodeinfo::discovery(&state.services.urls().nodeinfo()), "application/json")
}

async fn nodeinfo_document(State(state): State<AppState>) -> Response {
    match usage(&state).await {
        Ok((usage, activities)) => {
            let config = state.config();
            let policy = match config.federation.policy {
                crate::config::PeeringPolicy::Open => "open",
                crate::config::PeeringPolicy::Approval => "approval",
                crate::config::PeeringPolicy::Allowlist => "allowlist",
            };
            let meta = nodeinfo::Metadata {
                name: &config.instance.name,
                description: &config.instance.description,
                languages: &config.instance.languages,
                open_registrations: config.instance.registration == crate::config::RegistrationMode::Open,
                peering_policy: policy,
                activities,
            };
            json_with_type(
                nodeinfo::document(&usage, &meta),
                "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
            )
        }
        Err(e) => internal(e),
    }
}

async fn usage(state: &AppState) -> Result<(nodeinfo::Usage, Vec<String>), sqlx::Error> {
    let stats = state.federator.usage().await?;
    Ok((
        nodeinfo::Usage {
            total_users: stats.members,
            active_month: stats.active_month,
            active_halfyear: stats.active_halfyear,
            local_posts: stats.listings,
        },
        stats.modes,
    ))
}

async fn context_document() -> Response {
    json_with_type(context::document(), "application/ld+json")
}

async fn instance_actor(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !wants_activity_json(&headers) || !state.services.federates() {
        return Redirect::to("/").into_response();
    }
    match actors::instance_actor(&state.services).await {
        Ok(actor) => activity_json(activities::actor_json(&actor, state.services.urls())),
        Err(e) => internal(e),
    }
}

/// The query of an outbox URL: none for the collection, `page=true` for its first page, and
/// `page=true&before=SEQ` for the page after the one whose last item has that key.
#[derive(Deserialize)]
struct PageQuery {
    page: Option<String>,
    before: Option<String>,
}

/// What part of an outbox a request asks for.
#[derive(Debug, PartialEq)]
enum OutboxPart {
    Collection,
    /// The listings older than `before` (the newest when `None`).
    Page {
        before: Option<i64>,
    },
}

impl OutboxPart {
    /// Reads the query. `page=1`, the first page of the numbered pages earlier versions served, is
    /// still the first page; other numbers are refused, since a numbered page would cost a scan of
    /// every listing before it (a peer reads `first`, then follows `next`).
    fn parse(query: &PageQuery) -> Result<Self, FederationError> {
        let before = match query.before.as_deref() {
            None => None,
            Some(before) => match before.parse::<i64>() {
                Ok(key) if key > 0 => Some(key),
                _ => {
                    return Err(FederationError::BadRequest(format!(
                        "before must be a positive whole number, as the `next` link of the previous page gives it, not {before:?}"
                    )));
                }
            },
        };
        match (query.page.as_deref(), before) {
            (None, None) => Ok(Self::Collection),
            (None, Some(_)) => Err(FederationError::BadRequest("before goes with page=true".into())),
            (Some("true"), before) => Ok(Self::Page { before }),
            (Some("1"), None) => Ok(Self::Page { before: None }),
            (Some(page), _) if page.parse::<u64>().is_ok() => Err(FederationError::BadRequest(format!(
                "numbered outbox pages are no longer served (page={page}): read the collection's `first` page \
                 (page=true), then follow each page's `next`"
            ))),
            (Some(page), _) => Err(FederationError::BadRequest(format!("page must be true, not {page:?}"))),
        }
    }
}

/// The URL of an outbox page: the first one, or the one after the item with key `before`.
fn outbox_page_url(outbox: &url::Url, before: Option<i64>) -> url::Url {
    let mut url = outbox.clone();
    match before {
        Some(key) => url.set_query(Some(&format!("page=true&before={key}"))),
        None => url.set_query(Some("page=true")),
    }
    url
}

async fn instance_outbox(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    let signer = match reader(&state, &method, &uri, &headers, true).await {
        Ok(signer) => signer,
        Err(refused) => return refused,
    };
    let id = maillage_federation::urls::outbox_of(&state.services.urls().instance_actor());
    // A peer reading it (a signed fetch by its instance actor) also gets the listings for peers.
    let with_peers = match signer {
        Some(actor) => match documents::reads_as_peer(&state.services, &actor).await {
            Ok(peer) => peer,
            Err(e) => return internal(e),
        },
        None => false,
    };
    outbox(&state, id, None, with_peers, &query).await
}

async fn member_outbox(
    State(state): State<AppState>,
    _: Authorized,
    Path(username): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(member) = active_member(&state, &username).await else { return not_found() };
    let id = maillage_federation::urls::outbox_of(&state.services.urls().member(member.username.as_str()));
    outbox(&state, id, Some(&member.id), false, &query).await
}

/// An outbox: the `Create` of each public listing still open, newest first, in pages that follow
/// each other by key (the `next` of a page names its last item), so that a page costs the same
/// wherever it is. The collection has no `totalItems`: counting every listing at each request
/// would cost more than the page (docs/FEDERATION.md, Collections).
async fn outbox(
    state: &AppState,
    id: url::Url,
    member_id: Option<&MemberId>,
    with_peers: bool,
    query: &PageQuery,
) -> Response {
    if !state.services.federates() {
        return not_found();
    }
    let before = match OutboxPart::parse(query) {
        Ok(OutboxPart::Collection) => {
            return activity_json(activities::collection(&id, None, Some(outbox_page_url(&id, None))));
        }
        Ok(OutboxPart::Page { before }) => before,
        Err(refused) => return refused.into_response(),
    };
    let items = match documents::outbox_listings(&state.services, member_id, with_peers, before, OUTBOX_PAGE + 1).await
    {
        Ok(items) => items,
        Err(e) => return internal(e),
    };
    let more = items.len() as i64 > OUTBOX_PAGE;
    let page = &items[..items.len().min(OUTBOX_PAGE as usize)];
    let next = page.last().filter(|_| more).map(|(seq, _)| outbox_page_url(&id, Some(*seq)));
    let urls = state.services.urls();
    let items: Vec<_> =
        page.iter().map(|(_, listing)| activities::outbox_create(outbound::proposal(urls, listing))).collect();
    match activities::collection_page(&outbox_page_url(&id, before), &id, items, next) {
        Ok(body) => activity_text(body),
        Err(e) => internal(e),
    }
}

async fn instance_followers(State(state): State<AppState>, _: Authorized) -> Response {
    let id = maillage_federation::urls::followers_of(&state.services.urls().instance_actor());
    followers(&state, id, ActorKey::Instance).await
}

async fn member_followers(State(state): State<AppState>, _: Authorized, Path(username): Path<String>) -> Response {
    let Some(member) = active_member(&state, &username).await else { return not_found() };
    let id = maillage_federation::urls::followers_of(&state.services.urls().member(member.username.as_str()));
    followers(&state, id, ActorKey::Member(&member.id)).await
}

/// A followers collection: its size only (who follows whom is not published).
async fn followers(state: &AppState, id: url::Url, local_actor: ActorKey<'_>) -> Response {
    if !state.services.federates() {
        return not_found();
    }
    match follows::follower_count(&state.services, local_actor).await {
        Ok(total) => activity_json(activities::collection(&id, Some(total), None)),
        Err(e) => e.into_response(),
    }
}

async fn active_member(state: &AppState, username: &str) -> Option<crate::domain::member::Member> {
    // A failure to read the member is logged, and answered as if there were none.
    match documents::active_member(&state.services, username).await {
        Ok(member) => member,
        Err(error) => {
            tracing::error!(%error, "looking up a member for an ActivityPub request");
            None
        }
    }
}

async fn inbox(State(state): State<AppState>, request: Request<Body>) -> Response {
    receive(&state.federator, request).await
}

async fn member_inbox(State(state): State<AppState>, Path(username): Path<String>, request: Request<Body>) -> Response {
    if active_member(&state, &username).await.is_none() {
        return not_found();
    }
    receive(&state.federator, request).await
}

async fn collective_inbox(State(state): State<AppState>, Path(name): Path<String>, request: Request<Body>) -> Response {
    match crate::services::federation::actors::collective_actor(&state.services, &name, false).await {
        Ok(Some(_)) => receive(&state.federator, request).await,
        Ok(None) => not_found(),
        Err(error) => error.into_response(),
    }
}

/// A collective's outbox: what it announces (nothing yet), as an empty collection.
async fn collective_outbox(State(state): State<AppState>, _: Authorized, Path(name): Path<String>) -> Response {
    if !state.services.federates() {
        return not_found();
    }
    match crate::services::federation::actors::collective_actor(&state.services, &name, true).await {
        Ok(Some(actor)) => {
            let id = maillage_federation::urls::outbox_of(&actor.id);
            activity_json(activities::collection(&id, Some(0), None))
        }
        Ok(None) => not_found(),
        Err(error) => error.into_response(),
    }
}

async fn collective_followers(State(state): State<AppState>, _: Authorized, Path(name): Path<String>) -> Response {
    let Ok(name) = crate::domain::collective::CollectiveName::parse(&name) else { return not_found() };
    let collective = match state.services.conn().await {
        Ok(mut conn) => crate::storage::collectives::local_by_name(&mut conn, &name).await,
        Err(error) => return error.into_response(),
    };
    match collective {
        Ok(Some(c)) if !c.is_private() => {
            let id = maillage_federation::urls::followers_of(&state.services.urls().collective(name.as_str()));
            followers(&state, id, ActorKey::Collective(&c.id)).await
        }
        Ok(_) => not_found(),
        Err(error) => internal(error),
    }
}

async fn receive(federator: &Federator, request: Request<Body>) -> Response {
    let Some(federation) = federator.services().federation() else {
        return not_found();
    };
    match maillage_federation::inbox::receive(federation, request).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(e) => e.into_response(),
    }
}
