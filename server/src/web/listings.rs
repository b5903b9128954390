//! Listing pages: detail, publish, edit, change status, delete.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::catalogue::category_choices;
use super::confirm::ConfirmPage;
use super::forms::{Choice, Field, FieldMessages, NoFields, enum_choices};
use super::views::{AvatarView, ListingView, amount, decimal, long_date};
use super::{FormAuthor, PageCtx, done, render};
use crate::domain::gazetteer;
use crate::domain::geo::Location;
use crate::domain::ids::ListingId;
use crate::domain::listing::{
    ListingInput, ListingStatus, Mode, NumberInput, PriceBasis, PriceInput, PriceKind, Purpose, Unit, Visibility,
};
use crate::domain::member::Member;
use crate::error::{AppError, AppResult};
use crate::http::auth::SignedIn;
use crate::http::csrf::CsrfForm;
use crate::http::ids::ListingPath;
use crate::i18n::Tr;
use crate::services::{exchanges, follows, listings, photos, places};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    ctx: PageCtx,
    item: ListingView,
    can_edit: bool,
    can_remove: bool,
    /// For a listing from an instance we are not peered with, seen by a member: the author's
    /// `user@host`, to follow them, and whether the member already does.
    follow_author: Option<(String, bool)>,
    /// The author's picture, when they have one that can be shown.
    author_avatar: Option<AvatarView>,
    /// The button that proposes an exchange (« Emprunter », « Commander »…): its label and where it
    /// leads (the form, or for a visitor the login page and back); none on one's own listing.
    exchange_start: Option<(&'static str, String)>,
    /// « Prêté jusqu'au … » while a loan's item is out.
    lent_until: Option<String>,
    /// The collective it is published to, when the viewer may see it: its name and page; and
    /// whether the viewer moderates it (then they may take the listing out).
    collective: Option<(String, String)>,
    moderates_collective: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
) -> AppResult<Html<String>> {
    let listing = listings::get(state.db(), &id, ctx.viewer.as_ref()).await?;
    let (can_edit, can_remove) = match &ctx.viewer {
        Some(viewer) => (
            listings::can_edit(&listing, viewer),
            !listings::can_edit(&listing, viewer) && listings::can_delete(&listing, viewer),
        ),
        None => (false, false),
    };
    let follow_author = match (&ctx.viewer, &listing.origin) {
        (Some(viewer), Some(origin)) if !follows::receives_from(&state.services, &origin.domain).await? => {
            let following = follows::follows_actor(&state.services, viewer, &listing.author.id).await?;
            Some((listing.author.username.clone(), following))
        }
        _ => None,
    };
    let author_avatar = match &listing.author.avatar {
        Some(id) if photos::shown(&state.services, id).await? => Some(AvatarView::new(id)),
        _ => None,
    };
    let is_author = ctx.viewer.as_ref().is_some_and(|viewer| listing.author.is(&viewer.id));
    let exchange_start = (!is_author && listing.content.status == ListingStatus::Active).then(|| {
        let form = format!("/listings/{}/exchange", listing.id);
        let url = match &ctx.viewer {
            Some(_) => form,
            None => {
                format!("/login?next={}", url::form_urlencoded::byte_serialize(form.as_bytes()).collect::<String>())
            }
        };
        (ctx.t.t(&super::exchange_views::start_label(&listing)), url)
    });
    let lent_until = exchanges::lent_until(&state.services, &listing.id).await?.map(|d| long_date(ctx.t, d));
    let item = ListingView::new(ctx.t, &listing, None).with_gallery(ctx.t, &listing);
    let collective = match &listing.content.collective {
        Some(id) => crate::storage::collectives::by_id(&mut *state.services.conn().await?, id).await?,
        None => None,
    };
    let moderates_collective = match &ctx.viewer {
        Some(viewer) => {
            crate::services::collectives::moderated_collective_of(&state.services, viewer, &listing).await?.is_some()
        }
        None => false,
    };
    let collective = collective.map(|c| (c.display_name.clone(), format!("/collectives/{}", c.handle())));
    render(ListingPage {
        ctx,
        item,
        can_edit,
        can_remove,
        follow_author,
        author_avatar,
        exchange_start,
        lent_until,
        collective,
        moderates_collective,
    })
}

/// A moderator of the collective a listing is published to takes it out of the collective.
pub async fn take_out(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ListingPath(id): ListingPath,
    CsrfForm(_): CsrfForm<super::forms::NoFields>,
) -> AppResult<Response> {
    let listing = crate::services::collectives::take_out(&state.services, &member, &id).await?;
    // Ours stays (for this cooperative's members); another instance's is gone from here.
    let page = if listing.origin.is_none() { format!("/listings/{id}") } else { "/collectives".to_owned() };
    Ok(done(&page, "listing_taken_out").into_response())
}

/// The listing form as submitted: every field as text, so that nothing typed is lost on error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListingForm {
    purpose: String,
    mode: String,
    category: String,
    title: String,
    description: String,
    quantity: String,
    unit: String,
    price_kind: String,
    price: String,
    reduced_price: String,
    price_basis: String,
    location_name: String,
    /// The commune chosen among those a shared name offered (its label, which names it alone).
    place_choice: String,
    latitude: String,
    longitude: String,
    available_from: String,
    available_until: String,
    visibility: String,
    /// With visibility `collective`: the collective's id.
    collective: String,
}

fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

/// An amount as the form shows it: `12,50` in French.
fn euros_typed(t: Tr, value: &Option<PriceInput>) -> String {
    match value {
        Some(PriceInput::Cents(c)) => amount(t, *c),
        Some(PriceInput::Euros(e)) => e.clone(),
        None => String::new(),
    }
}

impl ListingForm {
    fn to_input(&self, status: Option<String>) -> ListingInput {
        let number = |value: &str| (!value.trim().is_empty()).then(|| NumberInput::Text(value.to_owned()));
        ListingInput {
            purpose: self.purpose.clone(),
            mode: self.mode.clone(),
            category: self.category.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            quantity: number(&self.quantity),
            unit: Some(self.unit.clone()),
            // Given even when empty, so that errors name the form's fields (`price`, not `price_cents`).
            price_kind: Some(self.price_kind.clone()),
            price: Some(PriceInput::Euros(self.price.clone())),
            reduced_price: Some(PriceInput::Euros(self.reduced_price.clone())),
            price_basis: Some(self.price_basis.clone()),
            location_name: Some(if self.place_choice.trim().is_empty() {
                self.location_name.clone()
            } else {
                self.place_choice.clone()
            }),
            latitude: number(&self.latitude),
            longitude: number(&self.longitude),
            available_from: Some(self.available_from.clone()),
            available_until: Some(self.available_until.clone()),
            status,
            visibility: Some(self.visibility.clone()),
            collective: (!self.collective.trim().is_empty()).then(|| self.collective.clone()),
        }
    }

    /// The form filled in with a listing, numbers written the way the reader's language writes them
    /// (coordinates keep their dot, as maps show them).
    /// `point_from_name`: the coordinates were found from the place's name (`places::is_point_of`).
    fn from_input(t: Tr, input: &ListingInput, point_from_name: bool) -> Self {
        let coordinate = |value: &Option<NumberInput>| match value {
            Some(NumberInput::Number(n)) => n.to_string(),
            Some(NumberInput::Text(t)) => t.clone(),
            None => String::new(),
        };
        let from_name = point_from_name;
        Self {
            purpose: input.purpose.clone(),
            mode: input.mode.clone(),
            category: input.category.clone(),
            title: input.title.clone(),
            description: input.description.clone(),
            quantity: match &input.quantity {
                Some(NumberInput::Number(n)) => decimal(t, *n),
                other => coordinate(other),
            },
            unit: text(input.unit.clone()),
            price_kind: text(input.price_kind.clone()),
            price: euros_typed(t, &input.price),
            reduced_price: euros_typed(t, &input.reduced_price),
            price_basis: text(input.price_basis.clone()),
            location_name: text(input.location_name.clone()),
            place_choice: String::new(),
            // Coordinates found from the name are not shown: the name is the place, and a new name
            // is looked up again.
            latitude: if from_name { String::new() } else { coordinate(&input.latitude) },
            longitude: if from_name { String::new() } else { coordinate(&input.longitude) },
            available_from: text(input.available_from.clone()),
            available_until: text(input.available_until.clone()),
            visibility: text(input.visibility.clone()),
            collective: text(input.collective.clone()),
        }
    }
}

/// The fields of the listing form, in the order it shows them.
const FIELDS: &[Field] = &[
    Field { name: "purpose", input: "purpose-offer", label: "listing.purpose" },
    Field { name: "title", input: "title", label: "listing_form.title" },
    Field { name: "description", input: "description", label: "listing_form.description" },
    Field { name: "mode", input: "mode", label: "listing.mode" },
    Field { name: "category", input: "category", label: "listing.category" },
    Field { name: "quantity", input: "quantity", label: "listing.quantity" },
    Field { name: "unit", input: "unit", label: "listing_form.unit" },
    Field { name: "price_kind", input: "price_kind", label: "listing_form.price_kind" },
    Field { name: "price", input: "price", label: "listing_form.price" },
    Field { name: "reduced_price", input: "reduced_price", label: "listing_form.reduced_price" },
    Field { name: "price_basis", input: "price_basis", label: "listing_form.price_basis" },
    Field { name: "visibility", input: "visibility", label: "listing.visibility" },
    Field { name: "collective", input: "collective", label: "listing.collective" },
    Field { name: "location.name", input: "location_name", label: "listing_form.place_name" },
    Field { name: "location.latitude", input: "latitude", label: "listing_form.latitude" },
    Field { name: "location.longitude", input: "longitude", label: "listing_form.longitude" },
    Field { name: "available_from", input: "available_from", label: "listing_form.available_from" },
    Field { name: "available_until", input: "available_until", label: "listing_form.available_until" },
];

#[derive(Template)]
#[template(path = "listing_form.html")]
struct ListingFormPage {
    ctx: PageCtx,
    title: &'static str,
    action: String,
    cancel_url: String,
    form: ListingForm,
    errors: FieldMessages,
    purposes: Vec<Choice>,
    modes: Vec<Choice>,
    categories: Vec<Choice>,
    units: Vec<Choice>,
    price_kinds: Vec<Choice>,
    price_bases: Vec<Choice>,
    visibilities: Vec<Choice>,
    collectives: Vec<CollectiveChoice>,
    /// The communes a shared place name offers, to choose from (their labels).
    place_candidates: Vec<String>,
}

/// Which form: a new listing, or the edit form of the listing with this id.
enum Target<'a> {
    New,
    Edit(&'a ListingId),
}

/// A collective the author may publish to (one they are a member of).
#[derive(Debug, Clone)]
pub struct CollectiveChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// The collectives `member` belongs to, for the form's choice; `current` is selected.
async fn collective_choices(state: &AppState, member: &Member, current: &str) -> AppResult<Vec<CollectiveChoice>> {
    let states = [crate::domain::collective::MembershipState::Member];
    let belongings = crate::services::collectives::belongings(&state.services, member, &states).await?;
    Ok(belongings
        .into_iter()
        .map(|b| CollectiveChoice {
            selected: b.collective.id.as_str() == current.trim(),
            id: b.collective.id.to_string(),
            name: b.collective.display_name,
        })
        .collect())
}

fn form_page(
    ctx: PageCtx,
    target: Target<'_>,
    form: ListingForm,
    errors: FieldMessages,
    collectives: Vec<CollectiveChoice>,
) -> ListingFormPage {
    let t = ctx.t;
    // Visibility « collectif » is offered to members of a collective only.
    let visibilities = Visibility::ALL
        .iter()
        .filter(|v| **v != Visibility::Collective || !collectives.is_empty() || form.visibility == "collective")
        .map(|v| v.as_str());
    let (title_key, action, cancel_url) = match target {
        Target::New => ("listing_form.new_title", "/listings".to_owned(), "/".to_owned()),
        Target::Edit(id) => ("listing_form.edit_title", format!("/listings/{id}/edit"), format!("/listings/{id}")),
    };
    ListingFormPage {
        title: t.t(title_key),
        action,
        cancel_url,
        purposes: enum_choices(t, "purpose", Purpose::ALL.iter().map(|p| p.as_str()), &form.purpose),
        modes: enum_choices(t, "mode", Mode::ALL.iter().map(|m| m.as_str()), &form.mode),
        categories: category_choices(t.code(), Some(&form.category)),
        units: enum_choices(t, "unit", Unit::ALL.iter().map(|u| u.as_str()), &form.unit),
        price_kinds: enum_choices(t, "price_kind", PriceKind::ALL.iter().map(|k| k.as_str()), &form.price_kind),
        price_bases: enum_choices(t, "price_basis", PriceBasis::ALL.iter().map(|b| b.as_str()), &form.price_basis),
        visibilities: enum_choices(t, "visibility", visibilities, &form.visibility),
        collectives,
        place_candidates: if errors.has("location.name") {
            gazetteer::candidates(&form.location_name).iter().map(|c| c.label()).collect()
        } else {
            Vec::new()
        },
        ctx,
        form,
        errors,
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
) -> AppResult<Html<String>> {
    let form = ListingForm {
        purpose: "offer".to_owned(),
        mode: "lend".to_owned(),
        unit: "piece".to_owned(),
        quantity: "1".to_owned(),
        price_kind: "free".to_owned(),
        price_basis: "total".to_owned(),
        visibility: "public".to_owned(),
        ..ListingForm::default()
    };
    let collectives = collective_choices(&state, &member, "").await?;
    render(form_page(ctx, Target::New, form, FieldMessages::default(), collectives))
}

pub async fn create(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    CsrfForm(form): CsrfForm<ListingForm>,
) -> AppResult<Response> {
    match listings::create(&state.services, &member, &form.to_input(None)).await {
        Ok(listing) => Ok(done(&format!("/listings/{}", listing.id), "listing_created").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let collectives = collective_choices(&state, &member, &form.collective).await?;
            let page = form_page(ctx, Target::New, form, errors, collectives);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
) -> AppResult<Html<String>> {
    let listing = listings::get(state.db(), &id, Some(&member)).await?;
    if !listings::can_edit(&listing, &member) {
        return Err(AppError::forbidden());
    }
    let from_name = match &listing.content.location {
        Some(Location { name, point: Some(point) }) => places::is_point_of(&state.services, name, *point).await,
        _ => false,
    };
    let form = ListingForm::from_input(ctx.t, &listing.to_input(), from_name);
    let collectives = collective_choices(&state, &member, &form.collective).await?;
    render(form_page(ctx, Target::Edit(&id), form, FieldMessages::default(), collectives))
}

pub async fn update(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
    CsrfForm(form): CsrfForm<ListingForm>,
) -> AppResult<Response> {
    let listing = listings::get(state.db(), &id, Some(&member)).await?;
    // The edit form does not show the status; keep the current one.
    let status = Some(listing.content.status.as_str().to_owned());
    match listings::update(&state.services, &id, &member, &form.to_input(status)).await {
        Ok(listing) => Ok(done(&format!("/listings/{}", listing.id), "listing_saved").into_response()),
        Err(error) if !error.fields.is_empty() => {
            let errors = FieldMessages::new(ctx.t, &error.fields, FIELDS);
            let collectives = collective_choices(&state, &member, &form.collective).await?;
            let page = form_page(ctx, Target::Edit(&id), form, errors, collectives);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(error) => Err(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ListingPath(id): ListingPath,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> AppResult<Redirect> {
    let status = ListingStatus::parse(&form.status).map_err(AppError::field)?;
    listings::set_status(&state.services, &id, &member, status).await?;
    let notice = match status {
        ListingStatus::Active => "listing_reopened",
        ListingStatus::Reserved => "listing_reserved",
        ListingStatus::Closed => "listing_closed",
    };
    Ok(done(&format!("/listings/{id}"), notice))
}

/// Asks before deleting (or, for a moderator, removing) a listing.
/// Where the confirmation page was opened from (`?from=admin`: the moderation list), for "Cancel".
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmFrom {
    from: String,
}

pub async fn delete_confirm(
    State(state): State<AppState>,
    SignedIn(member): SignedIn,
    ctx: PageCtx,
    ListingPath(id): ListingPath,
    Query(from): Query<ConfirmFrom>,
) -> AppResult<Html<String>> {
    let listing = listings::get(state.db(), &id, Some(&member)).await?;
    if !listings::can_delete(&listing, &member) {
        return Err(AppError::forbidden());
    }
    let own = listings::can_edit(&listing, &member);
    let t = ctx.t;
    let title = &listing.content.title;
    let (heading, message, button) = if own {
        (t.t1("confirm.delete_listing", "title", title), t.t("confirm.delete_listing_message"), t.t("listing.delete"))
    } else {
        (t.t1("confirm.remove_listing", "title", title), t.t("confirm.remove_listing_message"), t.t("listing.remove"))
    };
    render(ConfirmPage {
        ctx,
        heading,
        message: message.to_owned(),
        action: format!("/listings/{}/delete", listing.id),
        button,
        cancel: if from.from == "admin" { "/admin/listings".to_owned() } else { format!("/listings/{}", listing.id) },
    })
}

pub async fn delete(
    State(state): State<AppState>,
    FormAuthor(member): FormAuthor,
    ListingPath(id): ListingPath,
    CsrfForm(_): CsrfForm<NoFields>,
) -> AppResult<Redirect> {
    let listing = listings::get(state.db(), &id, Some(&member)).await?;
    listings::delete(&state.services, &id, &member).await?;
    if listing.author.is(&member.id) {
        Ok(done(&format!("/members/{}", member.username), "listing_deleted"))
    } else {
        Ok(done("/admin/listings", "listing_removed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::listing::ListingDraft;
    use crate::i18n::Lang;

    fn form() -> ListingForm {
        ListingForm {
            purpose: "offer".to_owned(),
            mode: "sell".to_owned(),
            category: "food-groceries".to_owned(),
            title: "Pommes de Flandre".to_owned(),
            quantity: "1,5".to_owned(),
            unit: "kg".to_owned(),
            price: "12,50".to_owned(),
            location_name: "Lille".to_owned(),
            latitude: "50,63".to_owned(),
            longitude: "3.06".to_owned(),
            available_from: "2026-12-01".to_owned(),
            visibility: "public".to_owned(),
            ..ListingForm::default()
        }
    }

    #[test]
    fn numbers_typed_the_french_way_are_understood() {
        let draft = ListingDraft::parse(&form().to_input(None)).map_err(|e| format!("{e:?}"));
        let draft = draft.as_ref().map(|d| (d.quantity.map(|q| q.as_f64()), d.price.amount().map(|p| p.cents())));
        assert_eq!(draft, Ok((Some(1.5), Some(1250))));
    }

    #[test]
    fn empty_fields_mean_not_given() {
        let empty = ListingForm { quantity: " ".to_owned(), price: String::new(), ..form() };
        let input = empty.to_input(None);
        assert!(input.quantity.is_none(), "{input:?}");
        let draft = ListingDraft::parse(&input).map_err(|e| format!("{e:?}"));
        assert_eq!(draft.map(|d| d.price), Ok(crate::domain::listing::Price::Free));
        // A form with nothing in it is a list of field errors, not a failure to parse.
        let errors = ListingDraft::parse(&ListingForm::default().to_input(None)).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["purpose", "mode", "category", "title"]);
    }

    fn errors_of(form: ListingForm) -> Vec<&'static str> {
        let errors = ListingDraft::parse(&form.to_input(None)).err().unwrap_or_default();
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn price_mistakes_point_at_the_form_field_to_correct() {
        let per_unit = |unit: &str| ListingForm { price_basis: "per_unit".into(), unit: unit.into(), ..form() };
        assert_eq!(errors_of(per_unit("")), ["unit"], "a price per unit without a unit");
        assert!(errors_of(per_unit("kg")).is_empty());
        let free = ListingForm { price_kind: "free".into(), ..form() };
        assert_eq!(errors_of(free), ["price"], "an amount left on a free listing");
        let solidarity =
            |reduced: &str| ListingForm { price_kind: "solidarity".into(), reduced_price: reduced.into(), ..form() };
        assert_eq!(errors_of(solidarity("")), ["reduced_price"]);
        assert_eq!(errors_of(solidarity("13")), ["reduced_price"], "higher than the price");
        assert!(errors_of(solidarity("6")).is_empty());
        let libre = ListingForm { price_kind: "pay_what_you_can".into(), price: String::new(), ..form() };
        assert!(errors_of(libre).is_empty(), "a « prix libre » needs no amount");
        let service = ListingForm { mode: "service".into(), unit: "kg".into(), ..form() };
        assert_eq!(errors_of(service), ["unit"], "a service is counted in time");
        let per_unit_free = ListingForm { price_kind: "free".into(), price: String::new(), ..per_unit("kg") };
        assert_eq!(errors_of(per_unit_free), ["price_basis"]);
    }

    #[test]
    fn the_edit_form_writes_numbers_the_readers_way() {
        let input = ListingInput {
            quantity: Some(NumberInput::Number(1.5)),
            price: Some(PriceInput::Cents(1250)),
            latitude: Some(NumberInput::Number(50.63)),
            ..ListingInput::default()
        };
        let fr = ListingForm::from_input(Tr::new(Lang::Fr), &input, false);
        assert_eq!((fr.quantity.as_str(), fr.price.as_str(), fr.latitude.as_str()), ("1,5", "12,50", "50.63"));
        let en = ListingForm::from_input(Tr::new(Lang::En), &input, false);
        assert_eq!((en.quantity.as_str(), en.price.as_str()), ("1.5", "12.50"));
        let whole = ListingInput { price: Some(PriceInput::Cents(300)), ..input };
        assert_eq!(ListingForm::from_input(Tr::new(Lang::Fr), &whole, false).price, "3");
    }
}
