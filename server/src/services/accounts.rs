//! Members: registration, login, sessions, approval and roles.

use std::net::IpAddr;

use axum::http::StatusCode;

use crate::config::RegistrationMode;
use crate::domain::actor::OurActor;
use crate::domain::geo::Location;
use crate::domain::ids::{MemberId, new_token, now_ms};
use crate::domain::member::{
    Member, MemberKind, MemberStatus, NewPassword, Role, Username, parse_description, parse_display_name,
};
use crate::domain::message::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::services::Services;
use crate::services::federation::outbound;
use crate::services::limits::Limits;
use crate::services::passwords;
use crate::services::places;
use crate::storage::Db;
use crate::storage::members::{self, InsertMemberError, NewMember};
use crate::storage::sessions::{self, SessionKind};

const DAY_MS: i64 = 24 * 3600 * 1000;
pub const WEB_SESSION_DAYS: i64 = 30;
pub const API_TOKEN_DAYS: i64 = 90;

/// A registration as submitted.
#[derive(Debug, Default, Clone)]
pub struct Registration {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub kind: String,
    pub description: String,
}

/// How a member is being created: by someone registering, or by an admin (CLI).
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    SelfRegistration(RegistrationMode),
    ByAdmin { role: Role },
}

/// A registration whose every field parsed: what storing it needs.
struct ValidRegistration {
    username: Username,
    password: NewPassword,
    display_name: String,
    kind: MemberKind,
    description: String,
}

/// Checks every field of a registration at once.
fn check_registration(input: &Registration) -> AppResult<ValidRegistration> {
    let mut errors = FieldErrors::default();
    let username = errors.take(Username::parse(&input.username));
    let password = errors.take(NewPassword::parse(&input.password));
    let display_name = if input.display_name.trim().is_empty() {
        Some(input.username.trim().to_owned())
    } else {
        errors.take(parse_display_name(&input.display_name))
    };
    let kind = if input.kind.trim().is_empty() {
        Some(MemberKind::Person)
    } else {
        errors.take(MemberKind::parse(&input.kind))
    };
    let description = errors.take(parse_description(&input.description));
    let (Some(username), Some(password), Some(display_name), Some(kind), Some(description)) =
        (username, password, display_name, kind, description)
    else {
        return Err(AppError::validation(errors.0));
    };
    Ok(ValidRegistration { username, password, display_name, kind, description })
}

/// Creates a member (by an admin, or for the tests and the sample data: no rate limit).
pub async fn register(db: &Db, input: &Registration, origin: Origin) -> AppResult<Member> {
    create(db, check_registration(input)?, origin).await
}

/// Someone registering from `client`: the form is checked first, so that a form sent back for a
/// mistake does not count against the address's registration quota; a complete one does, before
/// its password is hashed.
pub async fn register_from(
    db: &Db,
    limits: &Limits,
    client: IpAddr,
    input: &Registration,
    mode: RegistrationMode,
) -> AppResult<Member> {
    let valid = check_registration(input)?;
    limits.registration(client)?;
    create(db, valid, Origin::SelfRegistration(mode)).await
}

async fn create(db: &Db, valid: ValidRegistration, origin: Origin) -> AppResult<Member> {
    let ValidRegistration { username, password, display_name, kind, description } = valid;
    let (role, status) = match origin {
        Origin::SelfRegistration(RegistrationMode::Open) => (Role::Member, MemberStatus::Active),
        Origin::SelfRegistration(RegistrationMode::Approval) => (Role::Member, MemberStatus::Pending),
        Origin::ByAdmin { role } => (role, MemberStatus::Active),
    };
    let password_hash = passwords::hash(password.expose().to_owned()).await?;
    let id = MemberId::new();
    let now = now_ms();
    let new = NewMember {
        id: &id,
        username: &username,
        kind,
        display_name: &display_name,
        description: &description,
        location: None,
        password_hash: &password_hash,
        role,
        status,
        now,
    };
    match members::insert(&mut *db.conn().await?, &new).await {
        Ok(()) => {}
        Err(InsertMemberError::UsernameTaken) => {
            return Err(AppError::validation(vec![crate::domain::FieldError::new("username", "error.username_taken")])
                .with_status(StatusCode::CONFLICT, "username_taken"));
        }
        Err(InsertMemberError::Database(e)) => return Err(e.into()),
    }
    tracing::info!(member.id = %id, member.username = %username, member.status = %status, "member registered");
    members::by_id(&mut *db.conn().await?, &id)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("member vanished after insert")))
}

/// A login from `client`: the rate limits first (a refused attempt costs no hashing), then the
/// credentials.
pub async fn log_in(db: &Db, limits: &Limits, client: IpAddr, username: &str, password: &str) -> AppResult<Member> {
    limits.login(client, Username::parse(username).ok().as_ref())?;
    authenticate(db, username, password).await
}

/// Checks a username and password; the error does not say which one was wrong.
pub async fn authenticate(db: &Db, username: &str, password: &str) -> AppResult<Member> {
    let invalid = || AppError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "error.invalid_credentials");
    let Ok(username) = Username::parse(username) else {
        passwords::verify_nothing(password.to_owned()).await?;
        return Err(invalid());
    };
    let Some((member, hash)) = members::credentials(&mut *db.conn().await?, &username).await? else {
        passwords::verify_nothing(password.to_owned()).await?;
        return Err(invalid());
    };
    if !passwords::verify(password.to_owned(), hash).await? {
        return Err(invalid());
    }
    match member.status {
        MemberStatus::Active => Ok(member),
        MemberStatus::Pending => {
            Err(AppError::new(StatusCode::FORBIDDEN, "pending_approval", "error.pending_approval"))
        }
        MemberStatus::Disabled => {
            Err(AppError::new(StatusCode::FORBIDDEN, "account_disabled", "error.account_disabled"))
        }
    }
}

/// Opens a session and returns its secret token.
pub async fn open_session(db: &Db, member: &Member, kind: SessionKind) -> AppResult<String> {
    let token = new_token();
    let now = now_ms();
    let days = match kind {
        SessionKind::Web => WEB_SESSION_DAYS,
        SessionKind::Api => API_TOKEN_DAYS,
    };
    sessions::insert(&mut *db.conn().await?, &token, &member.id, kind, now, now + days * DAY_MS).await?;
    Ok(token)
}

/// The active member behind a session token, if any.
pub async fn member_for_token(db: &Db, token: &str, kind: SessionKind) -> AppResult<Option<Member>> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(member_id) = sessions::member_id(&mut *db.conn().await?, token, kind, now_ms()).await? else {
        return Ok(None);
    };
    Ok(members::by_id(&mut *db.conn().await?, &member_id).await?.filter(|m| m.status == MemberStatus::Active))
}

pub async fn close_session(db: &Db, token: &str) -> AppResult<()> {
    sessions::delete(&mut *db.conn().await?, token).await?;
    Ok(())
}

pub async fn find(db: &Db, username: &str) -> AppResult<Option<Member>> {
    match Username::parse(username) {
        Ok(username) => Ok(members::by_username(&mut *db.conn().await?, &username).await?),
        Err(_) => Ok(None),
    }
}

async fn find_required(db: &Db, username: &str) -> AppResult<Member> {
    find(db, username).await?.ok_or_else(|| AppError::not_found().with_arg("what", username))
}

/// Admin: lets a pending member in.
pub async fn approve(db: &Db, username: &str) -> AppResult<Member> {
    let member = find_required(db, username).await?;
    if member.status == MemberStatus::Pending {
        members::set_status(&mut *db.conn().await?, &member.id, MemberStatus::Active, now_ms()).await?;
        tracing::info!(member.username = %member.username, "member approved");
    }
    find_required(db, username).await
}

/// Admin: refuses a pending member, or disables an active one; their sessions end at once.
pub async fn disable(db: &Db, username: &str) -> AppResult<Member> {
    let member = find_required(db, username).await?;
    members::set_status(&mut *db.conn().await?, &member.id, MemberStatus::Disabled, now_ms()).await?;
    sessions::delete_for_member(&mut *db.conn().await?, &member.id).await?;
    tracing::info!(member.username = %member.username, "member disabled");
    find_required(db, username).await
}

/// Admin: re-enables a disabled member.
pub async fn enable(db: &Db, username: &str) -> AppResult<Member> {
    let member = find_required(db, username).await?;
    members::set_status(&mut *db.conn().await?, &member.id, MemberStatus::Active, now_ms()).await?;
    find_required(db, username).await
}

pub async fn set_role(db: &Db, username: &str, role: Role) -> AppResult<Member> {
    let member = find_required(db, username).await?;
    members::set_role(&mut *db.conn().await?, &member.id, role, now_ms()).await?;
    tracing::info!(member.username = %member.username, member.role = %role, "member role changed");
    find_required(db, username).await
}

/// Admin: sets a new password (for a member who lost theirs); their sessions end.
pub async fn reset_password(db: &Db, username: &str, password: &str) -> AppResult<()> {
    let member = find_required(db, username).await?;
    let password = NewPassword::parse(password).map_err(AppError::field)?;
    let hash = passwords::hash(password.expose().to_owned()).await?;
    members::set_password_hash(&mut *db.conn().await?, &member.id, &hash, now_ms()).await?;
    sessions::delete_for_member(&mut *db.conn().await?, &member.id).await?;
    Ok(())
}

/// A place typed by name only: its position (`services::places`), when the place changed (a
/// profile saved with a name that names no commune keeps it).
async fn locate(
    services: &Services,
    member: &Member,
    location: Option<Location>,
) -> Result<Option<Location>, crate::domain::FieldError> {
    match location {
        Some(Location { name, point: None })
            if member.location.as_ref() != Some(&Location { name: name.clone(), point: None }) =>
        {
            let (name, point) = places::locate(services, "location.name", &name).await?;
            Ok(Some(Location { name, point: Some(point) }))
        }
        other => Ok(other),
    }
}

/// A member edits their own profile; the servers that hold a copy of their actor are told.
pub async fn update_profile(
    services: &Services,
    member: &Member,
    display_name: &str,
    description: &str,
    location: Result<Option<Location>, crate::domain::FieldError>,
) -> AppResult<Member> {
    let mut errors = FieldErrors::default();
    let display_name = errors.take(parse_display_name(display_name));
    let description = errors.take(parse_description(description));
    let location = match errors.take(location) {
        Some(location) => errors.take(locate(services, member, location).await),
        None => None,
    };
    let (Some(display_name), Some(description), Some(location)) = (display_name, description, location) else {
        return Err(AppError::validation(errors.0));
    };
    members::update_profile(
        &mut *services.conn().await?,
        &member.id,
        &display_name,
        &description,
        location.as_ref(),
        now_ms(),
    )
    .await?;
    outbound::actor_changed(services, &OurActor::of(member)).await;
    find_required(services.db(), member.username.as_str()).await
}

/// The figures of the administration overview: members, members waiting for approval, and the
/// listings of this instance.
#[derive(Debug, Clone, Copy)]
pub struct Overview {
    pub members: i64,
    pub pending: usize,
    pub listings: i64,
}

pub async fn overview(db: &Db) -> AppResult<Overview> {
    let mut conn = db.conn().await?;
    let members = members::count(&mut conn).await?;
    let pending = members::list(&mut conn, Some(MemberStatus::Pending), 500).await?.len();
    let listings = crate::storage::listings::count_local(&mut conn).await?;
    Ok(Overview { members, pending, listings })
}

pub async fn pending(db: &Db) -> AppResult<Vec<Member>> {
    Ok(members::list(&mut *db.conn().await?, Some(MemberStatus::Pending), 500).await?)
}

pub async fn all(db: &Db, limit: i64) -> AppResult<Vec<Member>> {
    Ok(members::list(&mut *db.conn().await?, None, limit).await?)
}

/// Admin: members with the given status, oldest first, or all of them when `None`.
pub async fn with_status(db: &Db, status: Option<MemberStatus>, limit: i64) -> AppResult<Vec<Member>> {
    Ok(members::list(&mut *db.conn().await?, status, limit).await?)
}
