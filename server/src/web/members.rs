//! Member profiles.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::forms::NoFields;
use super::forms::{Field, FieldMessages};
use super::render;
use super::views::{AvatarView, ListingView, date};
use super::{FormAuthor, PageCtx, PageParam, done};
use crate::domain::FieldError;
use crate::domain::gazetteer;
use crate::domain::geo::Location;
use crate::domain::member::{Member, MemberStatus};
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedIn;
use crate::http::csrf::{CsrfForm, CsrfUpload};
use crate::services::images::megabytes;
use crate::services::{accounts, catalogue, pictures, places};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    ctx: PageCtx,
    member: Member,
    /// `@username@domain`: the address to follow this member by from another instance.
    handle: String,
    kind: &'static str,
    place: Option<String>,
    /// How many exchanges they completed: a fact, never a judgement (no ratings).
    exchanges_completed: i64,
    /// The cooperative they belong to (this one) and the date they joined it.
    cooperative: String,
    /// The collectives they belong to: verifiable belonging, the trust that replaces ratings.
    badges: Vec<super::collectives::Badge>,
    /// Shown to admins looking at a pending or disabled member.
    status: Option<&'static str>,
    own: bool,
    avatar: Option<AvatarView>,
    items: Vec<ListingView>,
    page: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

async fn find_active(state: &AppState, username: &str, viewer: Option<&Member>) -> AppResult<Member> {
    match accounts::find(state.db(), username).await? {
        // Pending and disabled members have no public profile, except for admins.
        Some(member) if member.status == MemberStatus::Active || viewer.is_some_and(Member::is_admin) => Ok(member),
        _ => Err(AppError::not_found()),
    }
}

pub async fn profile(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(username): Path<String>,
    Query(params): Query<PageParam>,
) -> AppResult<Html<String>> {
    let member = find_active(&state, &username, ctx.viewer.as_ref()).await?;
    let page = params.number();
    let results = catalogue::by_member(state.db(), &member, ctx.viewer.as_ref(), page).await?;
    let t = ctx.t;
    let items = results.items.iter().map(|f| ListingView::card(t, &f.listing, None)).collect();
    let base = format!("/members/{}", member.username);
    let exchanges_completed = crate::services::exchanges::completed(&state.services, &member.id).await?;
    let belongings = crate::services::collectives::badges(&state.services, &member, ctx.viewer.as_ref()).await?;
    render(ProfilePage {
        badges: super::collectives::badges(t, &belongings),
        cooperative: t
            .t1("profile.cooperative_since", "date", &date(t, member.created_at))
            .replace("{name}", &state.config().instance.name),
        exchanges_completed,
        handle: format!("@{}@{}", member.username, state.config().domain),
        kind: t.t(&format!("kind.{}", member.kind)),
        place: member.location.as_ref().map(|l| l.name.clone()).filter(|n| !n.is_empty()),
        status: (member.status != MemberStatus::Active).then(|| t.t(&format!("member_status.{}", member.status))),
        own: ctx.viewer.as_ref().is_some_and(|v| v.id == member.id),
        avatar: member.avatar.as_ref().map(AvatarView::new),
        previous_url: (page > 1).then(|| format!("{base}?page={}", page - 1)),
        next_url: results.has_more.then(|| format!("{base}?page={}", page + 1)),
        ctx,
        member,
        items,
        page,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    display_name: String,
    description: String,
    location_name: String,
    /// The commune chosen among those a shared name offered.
    place_choice: String,
    latitude: String,
    longitude: String,
}

/// The fields of the profile form, in the order it shows them.
const FIELDS: &[Field] = &[
    Field { name: "display_name", input: "display_name", label: "register.display_name" },
    Field { name: "description", input: "description", label: "profile.description" },
    Field { name: "location.name", input: "location_name", label: "listing_form.place_name" },
    Field { name: "location.latitude", input: "latitude", label: "listing_form.latitude" },
    Field { name: "location.longitude", input: "longitude", label: "listing_form.longitude" },
];

#[derive(Template)]
#[template(path = "profile_form.html")]
struct ProfileFormPage {
    ctx: PageCtx,
    username: String,
    form: ProfileForm,
    errors: FieldMessages,
    place_candidates: Vec<String>,
    avatar: Option<AvatarView>,
    /// What is wrong with the picture just sent (its own form, below the profile's).
    avatar_errors: FieldMessages,
    max_mb: u64,
}

/// The field of the avatar's form, for its error summary.
const AVATAR_FIELDS: &[Field] = &[Field { name: "photo", input: "avatar", label: "avatar.file" }];

impl ProfileFormPage {
    fn new(state: &AppState, ctx: PageCtx, member: &Member, form: ProfileForm, errors: FieldMessages) -> Self {
        let place_candidates = if errors.has("location.name") {
            gazetteer::candidates(&form.location_name).iter().map(|c| c.label()).collect()
        } else {
            Vec::new()
        };
        Self {
            ctx,
            username: member.username.to_string(),
            form,
            errors,
            place_candidates,
            avatar: member.avatar.as_ref().map(AvatarView::new),
            avatar_errors: FieldMessages::default(),
            max_mb: megabytes(state.config().media.image_limits().max_bytes as u64),
        }
    }
}

/// The profile form as the member's profile fills it.
async fn form_of(state: &AppState, member: &Member) -> ProfileForm {
    let name = member.location.as_ref().map(|l| l.name.clone()).unwrap_or_default();
    // Coordinates found from the name are not shown: the name is the place.
    let mut point = member.location.as_ref().and_then(|l| l.point);
    if let Some(found) = point
        && places::is_point_of(&state.services, &name, found).await
    {
        point = None;
    }
    ProfileForm {
        display_name: member.display_name.clone(),
        description: member.description.clone(),
        location_name: name,
        place_choice: String::new(),
        latitude: point.map(|p| p.latitude.to_string()).unwrap_or_default(),
        longitude: point.map(|p| p.longitude.to_string()).unwrap_or_default(),
    }
}

fn own_profile(member: &Member, username: &str) -> AppResult<()> {
    if member.username.as_str() == username.trim().to_ascii_lowercase() { Ok(()) } else { Err(AppError::forbidden()) }
}

pub async fn edit_form(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    Path(username): Path<String>,
) -> AppResult<Html<String>> {
    own_profile(&member, &username)?;
    render(ProfileFormPage::new(&state, ctx, &member, form_of(&state, &member).await, FieldMessages::default()))
}

/// Sets the member's picture from the avatar form of the profile page (`multipart/form-data`).
pub async fn set_avatar(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(username): Path<String>,
    CsrfUpload(upload): CsrfUpload,
) -> AppResult<Response> {
    own_profile(&member, &username)?;
    let set = match upload.file {
        Ok(file) => pictures::set_avatar(&state.services, &member, Some(file)).await.map(drop),
        Err(error) => Err(error),
    };
    match set {
        Ok(()) => Ok(done(&format!("/members/{}/edit", member.username), "avatar_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let avatar_errors = FieldMessages::new(ctx.t, &error.fields, AVATAR_FIELDS);
            let mut page =
                ProfileFormPage::new(&state, ctx, &member, form_of(&state, &member).await, FieldMessages::default());
            page.avatar_errors = avatar_errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

/// Takes the member's picture off.
pub async fn remove_avatar(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    Path(username): Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Response> {
    own_profile(&member, &username)?;
    pictures::set_avatar(&state.services, &member, None).await?;
    Ok(done(&format!("/members/{}/edit", member.username), "avatar_removed").into_response())
}

fn parse_coordinate(field: &'static str, value: &str) -> Result<Option<f64>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value.replace(',', ".").parse().map(Some).map_err(|_| FieldError::new(field, "error.number"))
}

pub async fn update(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    Path(username): Path<String>,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> AppResult<Response> {
    own_profile(&member, &username)?;
    let location = parse_coordinate("location.latitude", &form.latitude).and_then(|lat| {
        let lon = parse_coordinate("location.longitude", &form.longitude)?;
        let name = if form.place_choice.trim().is_empty() { &form.location_name } else { &form.place_choice };
        Location::parse(Some(name), lat, lon)
    });
    match accounts::update_profile(&state.services, &member, &form.display_name, &form.description, location).await {
        Ok(member) => Ok(done(&format!("/members/{}", member.username), "profile_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let page = ProfileFormPage::new(&state, ctx, &member, form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_coordinate;

    #[test]
    fn coordinates_accept_a_comma_and_name_the_field_when_wrong() {
        assert_eq!(parse_coordinate("location.latitude", " 50,63 "), Ok(Some(50.63)));
        assert_eq!(parse_coordinate("location.latitude", "3.06"), Ok(Some(3.06)));
        assert_eq!(parse_coordinate("location.latitude", "  "), Ok(None));
        let error = parse_coordinate("location.longitude", "nord").err().map(|e| (e.field, e.message.key));
        assert_eq!(error, Some(("location.longitude", "error.number")));
    }
}
