//! An exchange between two members about one listing, as a state machine both instances agree on
//! (docs/ARCHITECTURE.md, "State machines"; the peering's is the model).
//!
//! Its two parties are the **provider** (who lends, gives, sells, serves) and the **receiver**; on an
//! offer the listing's author provides, answering a need the author receives. Its life depends on
//! the listing's mode ([`Life`]):
//! - a loan of custody (`lend`) or of use (`share`): proposed → accepted → handed over → completed
//!   (the lender records the return), overdue past its due date, renewable;
//! - a transfer (`give`, `swap`, `sell`): proposed → accepted → delivered → completed;
//! - a service (`service`): proposed → accepted → done → completed.
//!
//! A conversation may open without terms (a question, [`ExchangeState::Question`]); either party
//! proposes terms later. Terms are answered by the party who did not propose them: accepted,
//! refused, or countered with other terms. A delivery or a service done is confirmed by the receiver,
//! or completes by itself some days later. Either party can cancel before completion, except a loan
//! whose item is out: its return comes first.
//!
//! Services never set a state: they call [`Exchange::apply`] with the [`Move`] a party makes, which
//! refuses a move not allowed now, or not this party's, and changes nothing then. Each move that
//! applies adds one to the exchange's `version`, which travels with it to the other instance.

use time::{Date, Time};

use super::FieldError;
use super::ids::{ExchangeId, ListingId, MemberId};
use super::listing::{Mode, Price, PriceBasis, PriceCents, Quantity, Unit};
use super::message::FieldErrors;
use super::text::bounded;

/// The longest message of a conversation, in characters.
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// The longest reason for a refusal or a cancellation, and description of what a swap offers.
pub const MAX_REASON_CHARS: usize = 1_000;

string_enum!(
    /// Where an exchange stands.
    ExchangeState, "state" {
        Question => "question",
        Proposed => "proposed",
        Accepted => "accepted",
        HandedOver => "handed_over",
        Delivered => "delivered",
        Done => "done",
        Completed => "completed",
        Refused => "refused",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// One of the two sides of an exchange.
    Party, "party" { Provider => "provider", Receiver => "receiver" }
);

impl Party {
    pub fn other(self) -> Self {
        match self {
            Party::Provider => Party::Receiver,
            Party::Receiver => Party::Provider,
        }
    }
}

string_enum!(
    /// How an exchange is paid: not at all, in euros outside Maillage, or (with the ledger, later) in
    /// mutual credit.
    Settlement, "settlement" { Nothing => "none", Euros => "euros", Credit => "credit" }
);

impl Settlement {
    /// What the listing's price asks for `quantity`: nothing for a free listing; euros otherwise,
    /// with the amount when there is one (a per-unit price times the quantity, rounded to the cent;
    /// a solidarity price's full amount, the reduced one being the parties' business; a « prix libre »
    /// its suggestion, if any).
    pub fn for_price(price: Price, basis: PriceBasis, quantity: Quantity) -> (Self, Option<PriceCents>) {
        if price.is_free() {
            return (Settlement::Nothing, None);
        }
        let amount = price.amount().map(|unit_price| match basis {
            PriceBasis::Total => unit_price,
            PriceBasis::PerUnit => {
                let cents = (i128::from(unit_price.cents()) * i128::from(quantity.milli()) + 500) / 1000;
                PriceCents::new("price", i64::try_from(cents).unwrap_or(i64::MAX)).unwrap_or(unit_price)
            }
        });
        (Settlement::Euros, amount)
    }
}

/// The life an exchange follows, from its listing's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// `lend` (custody) and `share` (use): from a date until a due date, then back.
    Loan,
    /// `give`, `swap`, `sell`: a quantity changes hands.
    Transfer,
    /// `service`: a slot, then the work.
    Service,
}

impl Life {
    pub fn of(mode: Mode) -> Self {
        match mode {
            Mode::Lend | Mode::Share => Life::Loan,
            Mode::Give | Mode::Swap | Mode::Sell => Life::Transfer,
            Mode::Service => Life::Service,
        }
    }
}

impl ExchangeState {
    /// Nothing more happens: completed, refused or cancelled.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Refused | Self::Cancelled)
    }

    /// Agreed and not finished: the quantity is reserved, a loan's dates are taken.
    pub fn is_agreed(self) -> bool {
        matches!(self, Self::Accepted | Self::HandedOver | Self::Delivered | Self::Done)
    }
}

/// On which listing a party starts an exchange, and so who provides: the author of an offer, the
/// one who answers a need.
pub fn starter_party(listing_is_offer: bool) -> Party {
    if listing_is_offer { Party::Receiver } else { Party::Provider }
}

/// What the parties agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub quantity: Quantity,
    /// A loan's first day, an order's pickup or delivery day, a service's day.
    pub from: Option<Date>,
    /// A loan's due date (the last day).
    pub until: Option<Date>,
    /// A service's time of day.
    pub at: Option<Time>,
    /// What a swap offers in return.
    pub in_return: String,
}

/// Terms as typed, before they are checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermsInput {
    pub quantity: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub at: Option<String>,
    pub in_return: Option<String>,
}

impl Terms {
    /// Checks terms for an exchange of `mode` on a listing of which `available` remains (`None`: no
    /// limit), on `today`: every problem at once, each naming its field.
    pub fn parse(
        mode: Mode,
        input: &TermsInput,
        available: Option<Quantity>,
        today: Date,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let quantity = match input.quantity.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            None => Some(Quantity::from_milli(1000)),
            Some(text) => errors.take(Quantity::parse_text("quantity", text)),
        };
        if let (Some(quantity), Some(available)) = (quantity, available)
            && quantity > available
        {
            errors.push(FieldError::new("quantity", "error.exchange_quantity_available").with("available", available));
        }
        let date = |errors: &mut FieldErrors, field: &'static str, value: &Option<String>| {
            let text = value.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
            let date = errors.take(super::listing::parse_input_date(field, text))?;
            if date < today {
                errors.push(FieldError::new(field, "error.exchange_date_past"));
                return None;
            }
            Some(date)
        };
        let from = date(&mut errors, "from", &input.from);
        let until = date(&mut errors, "until", &input.until);
        let at = match input.at.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => errors.take(parse_time("at", text)),
        };
        let in_return =
            errors.take(bounded("in_return", input.in_return.as_deref().unwrap_or(""), 0, MAX_REASON_CHARS));
        let life = Life::of(mode);
        let required = |errors: &mut FieldErrors, field: &'static str, given: bool, raw: &Option<String>| {
            // A field already refused says why; one left empty is required.
            if !given && raw.as_deref().is_none_or(|t| t.trim().is_empty()) {
                errors.push(FieldError::new(field, "error.required"));
            }
        };
        match life {
            Life::Loan => {
                required(&mut errors, "from", from.is_some(), &input.from);
                required(&mut errors, "until", until.is_some(), &input.until);
                if let (Some(from), Some(until)) = (from, until)
                    && until < from
                {
                    errors.push(FieldError::new("until", "error.dates_order"));
                }
            }
            Life::Service => {
                required(&mut errors, "from", from.is_some(), &input.from);
                required(&mut errors, "at", at.is_some(), &input.at);
            }
            Life::Transfer => {
                if mode == Mode::Sell {
                    required(&mut errors, "from", from.is_some(), &input.from);
                }
                if mode == Mode::Swap && in_return.as_deref().is_some_and(str::is_empty) {
                    errors.push(FieldError::new("in_return", "error.exchange_swap_in_return"));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors.0);
        }
        let (Some(quantity), Some(in_return)) = (quantity, in_return) else { return Err(errors.0) };
        // Only what the life uses is kept: a gift's stray due date means nothing.
        Ok(Self {
            quantity,
            from,
            until: if life == Life::Loan { until } else { None },
            at: if life == Life::Service { at } else { None },
            in_return: if mode == Mode::Swap { in_return } else { String::new() },
        })
    }

    /// Whether two loans' dates share a day.
    pub fn overlaps(&self, other: &Terms) -> bool {
        match (self.from, self.until, other.from, other.until) {
            (Some(a_from), Some(a_until), Some(b_from), Some(b_until)) => a_from <= b_until && b_from <= a_until,
            _ => false,
        }
    }
}

/// `HH:MM`, 24-hour.
pub fn parse_time(field: &'static str, text: &str) -> Result<Time, FieldError> {
    let invalid = || FieldError::new(field, "error.time_format");
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(invalid)?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return Err(invalid());
    }
    let hours: u8 = hours.parse().map_err(|_| invalid())?;
    let minutes: u8 = minutes.parse().map_err(|_| invalid())?;
    Time::from_hms(hours, minutes, 0).map_err(|_| invalid())
}

pub fn format_time(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// A message of a conversation: plain text, 1 to [`MAX_MESSAGE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, FieldError> {
        bounded(field, text, 1, MAX_MESSAGE_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a party refuses or cancels: optional for a refusal, required for a cancellation.
pub fn parse_reason(text: &str, required: bool) -> Result<String, FieldError> {
    bounded("reason", text, usize::from(required), MAX_REASON_CHARS)
}

/// What a party does to an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Terms, in a conversation opened with a question.
    Propose(Terms),
    Accept,
    Refuse {
        reason: String,
    },
    /// Other terms instead of those proposed (other dates, another slot, another quantity).
    Counter(Terms),
    Cancel {
        reason: String,
    },
    /// The lender gives the item.
    HandOver,
    /// The lender has it back: the loan is completed.
    Return,
    /// The borrower asks to keep the item until a later date.
    Renew {
        until: Date,
    },
    AcceptRenewal,
    RefuseRenewal,
    /// The provider has delivered (or the receiver picked up).
    Deliver,
    /// The provider has done the service.
    MarkDone,
    /// The receiver confirms a delivery or a service.
    Confirm,
    /// Nobody confirmed in the days given: the exchange completes by itself.
    CompleteByItself,
}

impl Move {
    /// Its name in the API's paths, on the wire and in the conversation.
    pub fn name(&self) -> &'static str {
        match self {
            Move::Propose(_) => "propose",
            Move::Accept => "accept",
            Move::Refuse { .. } => "refuse",
            Move::Counter(_) => "counter",
            Move::Cancel { .. } => "cancel",
            Move::HandOver => "hand-over",
            Move::Return => "return",
            Move::Renew { .. } => "renew",
            Move::AcceptRenewal => "accept-renewal",
            Move::RefuseRenewal => "refuse-renewal",
            Move::Deliver => "deliver",
            Move::MarkDone => "done",
            Move::Confirm => "confirm",
            Move::CompleteByItself => "complete",
        }
    }
}

/// Why a move is refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveError {
    /// The move does not exist for this kind of exchange (a return of a gift).
    NotForThisKind,
    /// Not allowed from the current state (accepting what is already accepted).
    NotNow { state: ExchangeState },
    /// The other party's move (a borrower recording a return, accepting one's own proposal).
    NotYours,
    /// A loan's item is out: its return comes first.
    ItemOut,
    /// A renewal must end after the current due date.
    RenewalNotLater,
    /// A renewal is already waiting for the lender's answer.
    RenewalPending,
    /// No renewal was asked.
    NoRenewal,
}

impl MoveError {
    /// The locale key of its message.
    pub fn key(&self) -> &'static str {
        match self {
            MoveError::NotForThisKind => "error.exchange_move_kind",
            MoveError::NotNow { .. } => "error.exchange_move_now",
            MoveError::NotYours => "error.exchange_move_party",
            MoveError::ItemOut => "error.exchange_item_out",
            MoveError::RenewalNotLater => "error.exchange_renewal_later",
            MoveError::RenewalPending => "error.exchange_renewal_pending",
            MoveError::NoRenewal => "error.exchange_no_renewal",
        }
    }
}

/// An exchange's state, terms and version: what both instances keep the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub mode: Mode,
    pub state: ExchangeState,
    /// The terms proposed (in `Proposed`) or agreed (after); `None` in a question.
    pub terms: Option<Terms>,
    /// Who proposed the current terms: the other party answers them.
    pub proposed_by: Option<Party>,
    /// The due date a borrower asked for, waiting for the lender's answer.
    pub renewal: Option<Date>,
    /// When the provider delivered or did the service (unix ms), from which it completes by itself.
    pub provider_done_at: Option<i64>,
    /// Why it was refused or cancelled, and by whom.
    pub ended_by: Option<Party>,
    pub reason: String,
    /// How it is paid, and how much when that is known; set from the listing's price when terms
    /// are proposed or countered (`services::exchanges`).
    pub settlement: Settlement,
    pub price: Option<PriceCents>,
    /// One more at each move applied: 1 when it starts.
    pub version: i64,
}

impl Exchange {
    /// A conversation opened with a question: no terms yet.
    pub fn question(mode: Mode) -> Self {
        Self {
            mode,
            state: ExchangeState::Question,
            terms: None,
            proposed_by: None,
            renewal: None,
            provider_done_at: None,
            ended_by: None,
            reason: String::new(),
            settlement: Settlement::Nothing,
            price: None,
            version: 1,
        }
    }

    /// An exchange opened with terms, by `by`.
    pub fn proposed(mode: Mode, by: Party, terms: Terms) -> Self {
        Self { state: ExchangeState::Proposed, terms: Some(terms), proposed_by: Some(by), ..Self::question(mode) }
    }

    pub fn life(&self) -> Life {
        Life::of(self.mode)
    }

    /// A loan whose item is out past its due date.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.state == ExchangeState::HandedOver && self.terms.as_ref().and_then(|t| t.until).is_some_and(|d| d < today)
    }

    /// Whether `party` has something to do: answer terms or a renewal, hand over, deliver, do the
    /// service, confirm.
    pub fn awaits(&self, party: Party) -> bool {
        match self.state {
            ExchangeState::Proposed => self.proposed_by == Some(party.other()),
            ExchangeState::Accepted => party == Party::Provider,
            ExchangeState::HandedOver => party == Party::Provider && self.renewal.is_some(),
            ExchangeState::Delivered | ExchangeState::Done => party == Party::Receiver,
            _ => false,
        }
    }

    /// Whether a delivery or a service done `after_days` ago without confirmation completes now.
    pub fn completes_by_itself(&self, now_ms: i64, after_days: u32) -> bool {
        matches!(self.state, ExchangeState::Delivered | ExchangeState::Done)
            && self.provider_done_at.is_some_and(|at| now_ms.saturating_sub(at) >= i64::from(after_days) * 86_400_000)
    }

    /// The moves `party` may make now, by name (for the buttons a page shows).
    pub fn moves_for(&self, party: Party) -> Vec<&'static str> {
        let probe = |mv: Move| {
            let mut copy = self.clone();
            copy.apply(party, mv.clone(), 0).is_ok().then(|| mv.name())
        };
        let terms = self.terms.clone().unwrap_or(Terms {
            quantity: Quantity::from_milli(1000),
            from: None,
            until: None,
            at: None,
            in_return: String::new(),
        });
        let later = self.terms.as_ref().and_then(|t| t.until).and_then(Date::next_day).unwrap_or(Date::MAX);
        [
            Move::Propose(terms.clone()),
            Move::Accept,
            Move::Refuse { reason: String::new() },
            Move::Counter(terms),
            Move::HandOver,
            Move::Return,
            Move::Renew { until: later },
            Move::AcceptRenewal,
            Move::RefuseRenewal,
            Move::Deliver,
            Move::MarkDone,
            Move::Confirm,
            Move::Cancel { reason: String::new() },
        ]
        .into_iter()
        .filter_map(probe)
        .collect()
    }

    /// Makes `mv` by `by` at `now_ms`, or refuses it and changes nothing.
    pub fn apply(&mut self, by: Party, mv: Move, now_ms: i64) -> Result<(), MoveError> {
        use ExchangeState as S;
        let life = self.life();
        let not_now = MoveError::NotNow { state: self.state };
        let kind = |wanted: Life| if life == wanted { Ok(()) } else { Err(MoveError::NotForThisKind) };
        let party = |wanted: Party| if by == wanted { Ok(()) } else { Err(MoveError::NotYours) };
        match mv {
            Move::Propose(terms) => {
                if self.state != S::Question {
                    return Err(not_now);
                }
                self.state = S::Proposed;
                self.terms = Some(terms);
                self.proposed_by = Some(by);
            }
            Move::Accept | Move::Refuse { .. } | Move::Counter(_) if self.state != S::Proposed => return Err(not_now),
            Move::Accept | Move::Refuse { .. } | Move::Counter(_) if self.proposed_by == Some(by) => {
                return Err(MoveError::NotYours);
            }
            Move::Accept => self.state = S::Accepted,
            Move::Refuse { reason } => self.end(S::Refused, by, reason),
            Move::Counter(terms) => {
                self.terms = Some(terms);
                self.proposed_by = Some(by);
            }
            Move::Cancel { reason } => {
                if self.state.is_finished() {
                    return Err(not_now);
                }
                if self.state == S::HandedOver {
                    return Err(MoveError::ItemOut);
                }
                self.end(S::Cancelled, by, reason);
            }
            Move::HandOver => {
                kind(Life::Loan)?;
                party(Party::Provider)?;
                if self.state != S::Accepted {
                    return Err(not_now);
                }
                self.state = S::HandedOver;
            }
            Move::Return => {
                kind(Life::Loan)?;
                party(Party::Provider)?;
                if self.state != S::HandedOver {
                    return Err(not_now);
                }
                self.state = S::Completed;
                self.renewal = None;
            }
            Move::Renew { until } => {
                kind(Life::Loan)?;
                party(Party::Receiver)?;
                if self.state != S::HandedOver {
                    return Err(not_now);
                }
                if self.renewal.is_some() {
                    return Err(MoveError::RenewalPending);
                }
                if self.terms.as_ref().and_then(|t| t.until).is_some_and(|due| until <= due) {
                    return Err(MoveError::RenewalNotLater);
                }
                self.renewal = Some(until);
            }
            Move::AcceptRenewal | Move::RefuseRenewal => {
                kind(Life::Loan)?;
                party(Party::Provider)?;
                if self.state != S::HandedOver {
                    return Err(not_now);
                }
                let until = self.renewal.take().ok_or(MoveError::NoRenewal)?;
                if mv == Move::AcceptRenewal
                    && let Some(terms) = self.terms.as_mut()
                {
                    terms.until = Some(until);
                }
            }
            Move::Deliver | Move::MarkDone => {
                kind(if mv == Move::Deliver { Life::Transfer } else { Life::Service })?;
                party(Party::Provider)?;
                if self.state != S::Accepted {
                    return Err(not_now);
                }
                self.state = if mv == Move::Deliver { S::Delivered } else { S::Done };
                self.provider_done_at = Some(now_ms);
            }
            Move::Confirm => {
                party(Party::Receiver)?;
                if !matches!(self.state, S::Delivered | S::Done) {
                    return Err(if life == Life::Loan { MoveError::NotForThisKind } else { not_now });
                }
                self.state = S::Completed;
            }
            Move::CompleteByItself => {
                if !matches!(self.state, S::Delivered | S::Done) {
                    return Err(not_now);
                }
                self.state = S::Completed;
            }
        }
        self.version += 1;
        Ok(())
    }

    fn end(&mut self, state: ExchangeState, by: Party, reason: String) {
        self.state = state;
        self.ended_by = Some(by);
        self.reason = reason;
        self.renewal = None;
    }
}

/// One side of an exchange as an instance knows it: always its actor id (how the other instance
/// names it), and the member when the party is one of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRef {
    pub member: Option<MemberId>,
    pub actor: String,
}

/// An exchange as this instance keeps it: who, about what, and its state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRecord {
    pub id: ExchangeId,
    /// Its id on the wire: ours when it was started here, the other instance's otherwise.
    pub ap_id: String,
    pub listing_id: ListingId,
    pub listing_ap_id: String,
    /// The listing's title and unit when the exchange started: it stays readable without it.
    pub listing_title: String,
    pub unit: Unit,
    pub started_by: Party,
    pub provider: PartyRef,
    pub receiver: PartyRef,
    pub exchange: Exchange,
    /// The last `Offer` of the agreement (ours or the other instance's), which an `Accept` or a
    /// `Reject` answers.
    pub offer_ap_id: Option<String>,
    /// A move our member made on an exchange another instance hosts, waiting for the host to apply
    /// it.
    pub pending: Option<PendingMove>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A move sent to the instance that hosts an exchange, not applied yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMove {
    /// Its name ([`Move::name`]).
    pub name: String,
    /// The activity that asked for it, which the host's answer names.
    pub activity: String,
}

impl ExchangeRecord {
    /// Whether a party is a member of ours on both sides (nothing travels).
    pub fn is_local(&self) -> bool {
        self.provider.member.is_some() && self.receiver.member.is_some()
    }

    /// Our side when only one party is ours.
    pub fn our_side(&self) -> Option<Party> {
        match (self.provider.member.is_some(), self.receiver.member.is_some()) {
            (true, false) => Some(Party::Provider),
            (false, true) => Some(Party::Receiver),
            _ => None,
        }
    }

    pub fn party(&self, party: Party) -> &PartyRef {
        match party {
            Party::Provider => &self.provider,
            Party::Receiver => &self.receiver,
        }
    }

    /// Which side this member of ours is on, if any.
    pub fn side_of(&self, member: &MemberId) -> Option<Party> {
        if self.provider.member.as_ref() == Some(member) {
            Some(Party::Provider)
        } else if self.receiver.member.as_ref() == Some(member) {
            Some(Party::Receiver)
        } else {
            None
        }
    }

    /// Which side this actor is on, if any.
    pub fn side_of_actor(&self, actor: &str) -> Option<Party> {
        if self.provider.actor == actor {
            Some(Party::Provider)
        } else if self.receiver.actor == actor {
            Some(Party::Receiver)
        } else {
            None
        }
    }
}

/// What an entry of a conversation is: a party's message, or the line a move leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Message,
    /// The name of the move ([`Move::name`]).
    Move(&'static str),
}

/// A line of an exchange's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub author: Party,
    pub kind: EntryKind,
    /// The message, or a refusal's or cancellation's reason, a swap's offer.
    pub body: String,
    /// The version the move made.
    pub version: Option<i64>,
    /// The terms the move named (a proposal, a counter-proposal; a renewal's date as `until`).
    pub terms: Option<Terms>,
    /// The activity that brought it from the other instance.
    pub ap_id: Option<String>,
    pub created_at: i64,
}

impl Entry {
    /// The line `mv`, made by `author`, leaves in the conversation once applied to `exchange`.
    pub fn of_move(author: Party, mv: &Move, exchange: &Exchange, at: i64) -> Self {
        let (body, terms) = match mv {
            Move::Propose(terms) | Move::Counter(terms) => (terms.in_return.clone(), Some(terms.clone())),
            Move::Refuse { reason } | Move::Cancel { reason } => (reason.clone(), None),
            Move::Accept | Move::AcceptRenewal => (String::new(), exchange.terms.clone()),
            Move::Renew { until } => {
                let asked = exchange.terms.clone().map(|t| Terms { until: Some(*until), ..t });
                (String::new(), asked)
            }
            _ => (String::new(), None),
        };
        Self {
            author,
            kind: EntryKind::Move(mv.name()),
            body,
            version: Some(exchange.version),
            terms,
            ap_id: None,
            created_at: at,
        }
    }
}

/// The move names a stored entry may carry (those of [`Move::name`]).
pub const MOVE_NAMES: &[&str] = &[
    "propose",
    "accept",
    "refuse",
    "counter",
    "cancel",
    "hand-over",
    "return",
    "renew",
    "accept-renewal",
    "refuse-renewal",
    "deliver",
    "done",
    "confirm",
    "complete",
];

#[cfg(test)]
mod tests {
    use time::macros::{date, time};

    use super::*;
    use ExchangeState as S;
    use Party::{Provider, Receiver};

    const TODAY: Date = date!(2026 - 12 - 02);

    fn input(pairs: &[(&str, &str)]) -> TermsInput {
        let get = |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        TermsInput {
            quantity: get("quantity"),
            from: get("from"),
            until: get("until"),
            at: get("at"),
            in_return: get("in_return"),
        }
    }

    fn fields(result: Result<Terms, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
        result.expect_err("refused").into_iter().map(|e| (e.field, e.message.key)).collect()
    }

    fn loan_terms(from: Date, until: Date) -> Terms {
        Terms {
            quantity: Quantity::from_milli(1000),
            from: Some(from),
            until: Some(until),
            at: None,
            in_return: String::new(),
        }
    }

    fn loan() -> Exchange {
        Exchange::proposed(Mode::Lend, Receiver, loan_terms(date!(2026 - 12 - 03), date!(2026 - 12 - 10)))
    }

    #[test]
    fn terms_are_checked_for_the_kind_of_exchange() {
        let terms = Terms::parse(Mode::Lend, &input(&[("from", "2026-12-03"), ("until", "2026-12-10")]), None, TODAY)
            .expect("a loan");
        assert_eq!(
            (terms.from, terms.until, terms.quantity.milli()),
            (Some(date!(2026 - 12 - 03)), Some(date!(2026 - 12 - 10)), 1000)
        );
        assert_eq!(
            fields(Terms::parse(Mode::Lend, &input(&[]), None, TODAY)),
            [("from", "error.required"), ("until", "error.required")]
        );
        assert_eq!(
            fields(Terms::parse(Mode::Share, &input(&[("from", "2026-12-10"), ("until", "2026-12-03")]), None, TODAY)),
            [("until", "error.dates_order")]
        );
        assert_eq!(
            fields(Terms::parse(Mode::Lend, &input(&[("from", "2026-12-01"), ("until", "2026-12-03")]), None, TODAY)),
            [("from", "error.exchange_date_past")]
        );
        assert_eq!(
            fields(Terms::parse(Mode::Lend, &input(&[("from", "3 décembre"), ("until", "2026-12-03")]), None, TODAY)),
            [("from", "error.date_format")],
            "a date refused is not also « required »"
        );

        // Quantities: positive, at most what is available.
        let five = Some(Quantity::from_milli(5000));
        let sale = |q: &str| Terms::parse(Mode::Sell, &input(&[("quantity", q), ("from", "2026-12-05")]), five, TODAY);
        assert_eq!(sale("2,5").expect("an order").quantity.milli(), 2500);
        assert_eq!(fields(sale("6")), [("quantity", "error.exchange_quantity_available")]);
        assert_eq!(fields(sale("0")), [("quantity", "error.quantity_positive")]);
        assert_eq!(fields(sale("-1")), [("quantity", "error.quantity_positive")]);
        assert_eq!(fields(Terms::parse(Mode::Sell, &input(&[]), five, TODAY)), [("from", "error.required")]);

        // A swap says what it offers; a gift needs nothing more, and keeps no stray dates.
        assert_eq!(
            fields(Terms::parse(Mode::Swap, &input(&[]), None, TODAY)),
            [("in_return", "error.exchange_swap_in_return")]
        );
        let swap = Terms::parse(Mode::Swap, &input(&[("in_return", "  Deux caisses de pommes ")]), None, TODAY)
            .expect("a swap");
        assert_eq!(swap.in_return, "Deux caisses de pommes");
        let gift = Terms::parse(Mode::Give, &input(&[("until", "2026-12-09"), ("in_return", "x")]), None, TODAY)
            .expect("a gift");
        assert_eq!((gift.until, gift.in_return.as_str()), (None, ""));
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            fields(Terms::parse(Mode::Swap, &input(&[("in_return", &long)]), None, TODAY)),
            [("in_return", "error.too_long")]
        );

        // A service: a day and a time.
        let booking = Terms::parse(Mode::Service, &input(&[("from", "2026-12-04"), ("at", "9:30")]), None, TODAY)
            .expect("a booking");
        assert_eq!(booking.at, Some(time!(9:30)));
        assert_eq!(
            fields(Terms::parse(Mode::Service, &input(&[("from", "2026-12-04")]), None, TODAY)),
            [("at", "error.required")]
        );
        for bad in ["25:00", "9h30", "9:3", ":30", "12:60", "midi"] {
            assert_eq!(
                fields(Terms::parse(Mode::Service, &input(&[("from", "2026-12-04"), ("at", bad)]), None, TODAY)),
                [("at", "error.time_format")],
                "{bad}"
            );
        }
    }

    #[test]
    fn a_loan_lives_proposed_accepted_handed_over_returned() {
        let mut exchange = loan();
        assert!(exchange.awaits(Provider) && !exchange.awaits(Receiver));
        assert_eq!(exchange.apply(Receiver, Move::Accept, 0), Err(MoveError::NotYours), "one's own proposal");
        assert_eq!(exchange.apply(Provider, Move::HandOver, 0), Err(MoveError::NotNow { state: S::Proposed }));
        exchange.apply(Provider, Move::Accept, 0).expect("accepted");
        assert_eq!((exchange.state, exchange.version), (S::Accepted, 2));
        assert_eq!(exchange.apply(Provider, Move::Accept, 0), Err(MoveError::NotNow { state: S::Accepted }));
        assert_eq!(exchange.apply(Receiver, Move::HandOver, 0), Err(MoveError::NotYours), "the lender records it");
        assert_eq!(exchange.apply(Provider, Move::Deliver, 0), Err(MoveError::NotForThisKind));
        exchange.apply(Provider, Move::HandOver, 0).expect("handed over");
        assert!(!exchange.is_overdue(date!(2026 - 12 - 10)) && exchange.is_overdue(date!(2026 - 12 - 11)));
        assert_eq!(
            exchange.apply(Receiver, Move::Cancel { reason: "plus besoin".into() }, 0),
            Err(MoveError::ItemOut),
            "an item out comes back first"
        );
        assert_eq!(exchange.apply(Receiver, Move::Return, 0), Err(MoveError::NotYours));
        exchange.apply(Provider, Move::Return, 0).expect("returned");
        assert_eq!((exchange.state, exchange.version), (S::Completed, 4));
        assert!(!exchange.is_overdue(date!(2027 - 01 - 01)), "back: not overdue");
        assert!(exchange.apply(Provider, Move::Cancel { reason: "x".into() }, 0).is_err(), "finished");
    }

    #[test]
    fn a_borrower_asks_for_more_days_and_the_lender_answers() {
        let mut exchange = loan();
        for (by, mv) in [(Provider, Move::Accept), (Provider, Move::HandOver)] {
            exchange.apply(by, mv, 0).expect("moves");
        }
        assert_eq!(
            exchange.apply(Receiver, Move::Renew { until: date!(2026 - 12 - 10) }, 0),
            Err(MoveError::RenewalNotLater)
        );
        assert_eq!(exchange.apply(Provider, Move::Renew { until: date!(2026 - 12 - 20) }, 0), Err(MoveError::NotYours));
        assert_eq!(exchange.apply(Provider, Move::AcceptRenewal, 0), Err(MoveError::NoRenewal));
        exchange.apply(Receiver, Move::Renew { until: date!(2026 - 12 - 20) }, 0).expect("asked");
        assert!(exchange.awaits(Provider));
        assert_eq!(
            exchange.apply(Receiver, Move::Renew { until: date!(2026 - 12 - 21) }, 0),
            Err(MoveError::RenewalPending)
        );
        exchange.apply(Provider, Move::AcceptRenewal, 0).expect("accepted");
        assert_eq!(exchange.terms.as_ref().and_then(|t| t.until), Some(date!(2026 - 12 - 20)));
        assert!(!exchange.is_overdue(date!(2026 - 12 - 15)));
        exchange.apply(Receiver, Move::Renew { until: date!(2026 - 12 - 31) }, 0).expect("asked again");
        exchange.apply(Provider, Move::RefuseRenewal, 0).expect("refused");
        assert_eq!(
            (exchange.renewal, exchange.terms.as_ref().and_then(|t| t.until)),
            (None, Some(date!(2026 - 12 - 20)))
        );
        assert_eq!(exchange.state, S::HandedOver);
    }

    #[test]
    fn terms_are_countered_until_one_side_accepts_or_refuses() {
        let mut exchange = loan();
        let other_dates = loan_terms(date!(2026 - 12 - 05), date!(2026 - 12 - 12));
        exchange.apply(Provider, Move::Counter(other_dates.clone()), 0).expect("countered");
        assert_eq!((exchange.state, exchange.proposed_by), (S::Proposed, Some(Provider)));
        assert!(exchange.awaits(Receiver) && !exchange.awaits(Provider));
        assert_eq!(exchange.apply(Provider, Move::Accept, 0), Err(MoveError::NotYours));
        exchange.apply(Receiver, Move::Accept, 0).expect("accepted");
        assert_eq!(exchange.terms, Some(other_dates));

        let mut refused = loan();
        refused.apply(Provider, Move::Refuse { reason: "Déjà prêtée".into() }, 0).expect("refused");
        assert_eq!(
            (refused.state, refused.ended_by, refused.reason.as_str()),
            (S::Refused, Some(Provider), "Déjà prêtée")
        );
        assert!(refused.apply(Receiver, Move::Counter(loan_terms(TODAY, TODAY)), 0).is_err());
    }

    #[test]
    fn a_question_opens_without_terms_and_either_side_proposes() {
        let mut exchange = Exchange::question(Mode::Give);
        assert_eq!(exchange.apply(Provider, Move::Accept, 0), Err(MoveError::NotNow { state: S::Question }));
        assert!(exchange.moves_for(Provider).contains(&"propose"));
        let terms =
            Terms { quantity: Quantity::from_milli(2000), from: None, until: None, at: None, in_return: String::new() };
        exchange.apply(Provider, Move::Propose(terms), 0).expect("proposed");
        assert!(exchange.awaits(Receiver));
        assert!(exchange.apply(Receiver, Move::Propose(loan_terms(TODAY, TODAY)), 0).is_err(), "answer, not propose");
        // Cancelled by either side before completion, with its reason.
        exchange.apply(Receiver, Move::Cancel { reason: "Trouvé ailleurs".into() }, 0).expect("cancelled");
        assert_eq!((exchange.state, exchange.ended_by), (S::Cancelled, Some(Receiver)));
    }

    #[test]
    fn a_delivery_or_a_service_is_confirmed_or_completes_by_itself() {
        let day = 86_400_000;
        let order = Terms {
            quantity: Quantity::from_milli(3000),
            from: Some(TODAY),
            until: None,
            at: None,
            in_return: String::new(),
        };
        let mut exchange = Exchange::proposed(Mode::Sell, Receiver, order);
        exchange.apply(Provider, Move::Accept, 0).expect("accepted");
        assert_eq!(exchange.apply(Provider, Move::HandOver, 0), Err(MoveError::NotForThisKind));
        assert_eq!(exchange.apply(Provider, Move::MarkDone, 0), Err(MoveError::NotForThisKind));
        assert_eq!(exchange.apply(Receiver, Move::Deliver, 0), Err(MoveError::NotYours));
        exchange.apply(Provider, Move::Deliver, 10 * day).expect("delivered");
        assert!(exchange.awaits(Receiver));
        assert!(!exchange.completes_by_itself(16 * day, 7) && exchange.completes_by_itself(17 * day, 7));
        assert_eq!(exchange.apply(Provider, Move::Confirm, 0), Err(MoveError::NotYours));
        exchange.apply(Receiver, Move::Confirm, 0).expect("confirmed");
        assert_eq!(exchange.state, S::Completed);

        let slot = Terms {
            quantity: Quantity::from_milli(1000),
            from: Some(TODAY),
            until: None,
            at: Some(time!(14:00)),
            in_return: String::new(),
        };
        let mut repair = Exchange::proposed(Mode::Service, Receiver, slot);
        repair.apply(Provider, Move::Accept, 0).expect("slot confirmed");
        assert_eq!(repair.apply(Provider, Move::Deliver, 0), Err(MoveError::NotForThisKind));
        repair.apply(Provider, Move::MarkDone, day).expect("done");
        assert_eq!(repair.apply(Receiver, Move::CompleteByItself, 0), Ok(()));
        assert_eq!((repair.state, repair.version), (S::Completed, 4));
    }

    #[test]
    fn a_page_offers_the_moves_allowed_now() {
        let mut exchange = loan();
        assert_eq!(exchange.moves_for(Provider), ["accept", "refuse", "counter", "cancel"]);
        assert_eq!(exchange.moves_for(Receiver), ["cancel"]);
        exchange.apply(Provider, Move::Accept, 0).expect("accepted");
        exchange.apply(Provider, Move::HandOver, 0).expect("handed over");
        assert_eq!(exchange.moves_for(Provider), ["return"]);
        assert_eq!(exchange.moves_for(Receiver), ["renew"]);
        let before = exchange.clone();
        assert!(exchange.apply(Receiver, Move::Confirm, 0).is_err());
        assert_eq!(exchange, before, "a move refused changes nothing");
    }

    #[test]
    fn loans_overlap_when_they_share_a_day() {
        let week = loan_terms(date!(2026 - 12 - 03), date!(2026 - 12 - 10));
        assert!(week.overlaps(&loan_terms(date!(2026 - 12 - 10), date!(2026 - 12 - 12))));
        assert!(week.overlaps(&loan_terms(date!(2026 - 12 - 01), date!(2026 - 12 - 03))));
        assert!(week.overlaps(&loan_terms(date!(2026 - 12 - 05), date!(2026 - 12 - 06))));
        assert!(!week.overlaps(&loan_terms(date!(2026 - 12 - 11), date!(2026 - 12 - 12))));
        assert_eq!(starter_party(true), Receiver);
        assert_eq!(starter_party(false), Provider);
    }

    #[test]
    fn the_price_says_what_is_owed_for_the_quantity() {
        let kilos = Quantity::from_milli(2500);
        let cents = |c| PriceCents::new("price", c).expect("a price");
        assert_eq!(Settlement::for_price(Price::Free, PriceBasis::Total, kilos), (Settlement::Nothing, None));
        let per_kilo = Price::Fixed(cents(150));
        assert_eq!(Settlement::for_price(per_kilo, PriceBasis::PerUnit, kilos), (Settlement::Euros, Some(cents(375))));
        assert_eq!(Settlement::for_price(per_kilo, PriceBasis::Total, kilos), (Settlement::Euros, Some(cents(150))));
        let free_price = Price::PayWhatYouCan { suggested: None };
        assert_eq!(Settlement::for_price(free_price, PriceBasis::Total, kilos), (Settlement::Euros, None));
        let solidarity = Price::Solidarity { full: cents(1200), reduced: cents(600) };
        assert_eq!(Settlement::for_price(solidarity, PriceBasis::Total, kilos), (Settlement::Euros, Some(cents(1200))));
    }

    #[test]
    fn messages_are_bounded_plain_text() {
        assert_eq!(
            MessageText::parse("body", "  Bonjour !\r\nÀ demain ").expect("a message").as_str(),
            "Bonjour !\nÀ demain"
        );
        assert!(MessageText::parse("body", "   ").is_err());
        assert!(MessageText::parse("body", &"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert!(parse_reason("", false).is_ok() && parse_reason("", true).is_err());
    }
}
