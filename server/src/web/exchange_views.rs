//! What the exchange pages show, in the reader's language: a row of « Mes échanges », an exchange
//! with its conversation, the sentences its moves leave (« Camille a accepté le prêt : du 3 au
//! 10 décembre 2026 »), and messages as text whose web links are clickable and nothing else is.

use super::views::{date, decimal, euros, long_date};
use crate::domain::exchange::{Entry, EntryKind, ExchangeRecord, Life, Party, Settlement, Terms, format_time};
use crate::domain::link::WebLink;
use crate::domain::listing::{Listing, Mode, Purpose, Unit, format_date};
use crate::i18n::Tr;
use crate::services::exchanges::ExchangeView as Seen;
use crate::services::parties::PartyName;

/// The terms form's fields as typed (or as the current terms read).
#[derive(Debug, Clone, Default)]
pub struct TermsForm {
    pub quantity: String,
    pub from: String,
    pub until: String,
    pub at: String,
    pub in_return: String,
}

impl TermsForm {
    /// Filled with `terms`, dates as a date field takes them (`2026-12-03`).
    pub fn of(t: Tr, terms: Option<&Terms>) -> Self {
        let Some(terms) = terms else { return Self::default() };
        Self {
            quantity: decimal(t, terms.quantity.as_f64()),
            from: terms.from.map(format_date).unwrap_or_default(),
            until: terms.until.map(format_date).unwrap_or_default(),
            at: terms.at.map(format_time).unwrap_or_default(),
            in_return: terms.in_return.clone(),
        }
    }
}

/// « du 3 décembre 2026 au 10 décembre 2026 », « 2,5 kg, le 5 décembre 2026 », « le 4 décembre 2026
/// à 14:00 », « contre : deux caisses de pommes ».
pub fn terms_text(t: Tr, mode: Mode, unit: Unit, terms: &Terms) -> String {
    let mut parts = Vec::new();
    let life = Life::of(mode);
    let counted = terms.quantity.milli() != 1000 || life == Life::Transfer;
    if counted {
        parts.push(format!("{} {}", decimal(t, terms.quantity.as_f64()), t.t(&format!("unit.{unit}"))));
    }
    match (life, terms.from, terms.until, terms.at) {
        (Life::Loan, Some(from), Some(until), _) => parts
            .push(t.t1("exchange.terms_loan", "from", &long_date(t, from)).replace("{until}", &long_date(t, until))),
        (Life::Service, Some(from), _, Some(at)) => {
            parts.push(t.t1("exchange.terms_slot", "from", &long_date(t, from)).replace("{at}", &format_time(at)));
        }
        (_, Some(from), _, _) => parts.push(t.t1("exchange.terms_day", "from", &long_date(t, from))),
        _ => {}
    }
    if !terms.in_return.is_empty() {
        parts.push(t.t1("exchange.terms_in_return", "what", &terms.in_return));
    }
    parts.join(", ")
}

/// How it is paid: « Gratuit », « 3,75 € à régler entre vous, en dehors de Maillage ».
fn settlement_text(t: Tr, record: &ExchangeRecord) -> String {
    let e = &record.exchange;
    match (e.settlement, e.price) {
        (Settlement::Nothing, _) => t.t("exchange.settlement_none").to_owned(),
        (Settlement::Euros, Some(price)) => t.t1("exchange.settlement_euros", "amount", &euros(t, price.cents())),
        (Settlement::Euros, None) => t.t("exchange.settlement_euros_open").to_owned(),
        (Settlement::Credit, Some(price)) => {
            t.t1("exchange.settlement_credit", "amount", &decimal(t, price.cents() as f64 / 100.0))
        }
        (Settlement::Credit, None) => t.t("exchange.settlement_euros_open").to_owned(),
    }
}

/// A day and a time: « 3 décembre 2026, 14:05 ».
fn moment(t: Tr, ms: i64) -> String {
    format!("{}, {}", date(t, ms), t.zone.time_of_day(ms))
}

/// A row of « Mes échanges ».
#[derive(Debug, Clone)]
pub struct ExchangeRow {
    pub url: String,
    pub title: String,
    /// « Prêt », « Commande »...
    pub kind: &'static str,
    /// The other party's name.
    pub other: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub terms: String,
    pub updated: String,
    pub overdue: bool,
    pub awaits_me: bool,
}

impl ExchangeRow {
    pub fn new(t: Tr, seen: &Seen, other: &str) -> Self {
        let record = &seen.record;
        let e = &record.exchange;
        Self {
            url: format!("/exchanges/{}", record.id),
            title: record.listing_title.clone(),
            kind: t.t(&format!("exchange.kind.{}", e.mode)),
            other: other.to_owned(),
            state: state_label(t, seen),
            state_code: e.state.as_str(),
            terms: e.terms.as_ref().map(|terms| terms_text(t, e.mode, record.unit, terms)).unwrap_or_default(),
            updated: date(t, record.updated_at),
            overdue: seen.overdue,
            awaits_me: seen.awaits_me,
        }
    }
}

fn state_label(t: Tr, seen: &Seen) -> &'static str {
    if seen.overdue {
        return t.t("exchange_state.overdue");
    }
    t.t(&format!("exchange_state.{}", seen.record.exchange.state))
}

/// A piece of a message: text, or a web link (its text is the link itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub link: Option<String>,
}

/// A message's text cut into plain text and web links (`http`/`https` only; the punctuation that
/// ends a sentence after a link is not part of it). The template escapes every piece.
pub fn linkify(text: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(start) = ["https://", "http://"].iter().filter_map(|scheme| rest.find(scheme)).min() {
        let candidate = &rest[start..];
        let end =
            candidate.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"')).unwrap_or(candidate.len());
        let url = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '»', '\'']);
        match WebLink::parse(url) {
            Some(link) if url.len() > "https://".len() => {
                if start > 0 {
                    segments.push(Segment { text: rest[..start].to_owned(), link: None });
                }
                segments.push(Segment { text: url.to_owned(), link: Some(link.to_string()) });
                rest = &rest[start + url.len()..];
            }
            _ => {
                // Not a link after all: keep the scheme as text and look further.
                let skip = start + candidate.find("//").map_or(1, |i| i + 2);
                segments.push(Segment { text: rest[..skip].to_owned(), link: None });
                rest = &rest[skip..];
            }
        }
    }
    if !rest.is_empty() {
        segments.push(Segment { text: rest.to_owned(), link: None });
    }
    // Neighbouring pieces of text are one.
    let mut merged: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments {
        match merged.last_mut() {
            Some(last) if last.link.is_none() && segment.link.is_none() => last.text.push_str(&segment.text),
            _ => merged.push(segment),
        }
    }
    merged
}

/// A line of the conversation.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// A message (the author's words) rather than the line a move leaves.
    pub is_message: bool,
    /// Written by the reader.
    pub mine: bool,
    pub author: String,
    /// A message's text, or a move's sentence.
    pub segments: Vec<Segment>,
    /// A refusal's or cancellation's reason, under the move's sentence.
    pub reason: String,
    pub at: String,
}

/// The sentence a move leaves: « Camille a accepté le prêt : du 3 au 10 décembre 2026 ».
/// `who` is `None` for the reader's own moves, which are said in the second person.
pub fn move_sentence(t: Tr, record: &ExchangeRecord, entry: &Entry, name: &str, who: Option<&str>) -> String {
    let mode = record.exchange.mode;
    let kind = t.t(&format!("exchange.noun.{mode}"));
    let terms = entry.terms.as_ref().map(|terms| terms_text(t, mode, record.unit, terms)).unwrap_or_default();
    let until = entry.terms.as_ref().and_then(|terms| terms.until).map(|d| long_date(t, d)).unwrap_or_default();
    let key = if who.is_some() { format!("exchange.line.{name}") } else { format!("exchange.line_mine.{name}") };
    t.t(&key)
        .replace("{who}", who.unwrap_or_default())
        .replace("{kind}", kind)
        .replace("{terms}", &terms)
        .replace("{until}", &until)
}

/// An exchange's page.
#[derive(Debug, Clone)]
pub struct ExchangeView {
    pub url: String,
    pub title: String,
    pub kind: &'static str,
    pub listing_url: String,
    pub other: PartyName,
    /// What the reader does in it: « Vous prêtez », « Vous empruntez »...
    pub my_role: String,
    pub state: &'static str,
    pub state_code: &'static str,
    pub overdue: bool,
    pub awaits_me: bool,
    pub terms: String,
    /// Who proposed the terms on the table, when they wait for an answer.
    pub proposed_by_me: bool,
    pub settlement: String,
    /// The due date a borrower asked for, waiting for the lender.
    pub renewal: Option<String>,
    /// Who ended it and why.
    pub ended: Option<String>,
    pub moves: Vec<&'static str>,
    /// The move the reader made that waits for the other instance (which hosts the exchange).
    pub waiting: Option<&'static str>,
    /// `loan`, `transfer` or `service`: which fields the terms take.
    pub life: &'static str,
    pub mode: &'static str,
    pub unit: String,
    pub has_quantity: bool,
    pub entries: Vec<EntryView>,
}

impl ExchangeView {
    pub fn new(t: Tr, seen: &Seen, entries: &[Entry], provider: &PartyName, receiver: &PartyName) -> Self {
        let record = &seen.record;
        let e = &record.exchange;
        let name_of = |party: Party| if party == Party::Provider { provider } else { receiver };
        let other = name_of(seen.side.other()).clone();
        let me = t.t("exchange.you");
        let who = |party: Party| if party == seen.side { me.to_owned() } else { name_of(party).name.clone() };
        let entries = entries
            .iter()
            .map(|entry| {
                let author = who(entry.author);
                let (is_message, segments, reason) = match entry.kind {
                    EntryKind::Message => (true, linkify(&entry.body), String::new()),
                    EntryKind::Move(name) => {
                        let who = (entry.author != seen.side).then_some(author.as_str());
                        let sentence = move_sentence(t, record, entry, name, who);
                        let reason =
                            if matches!(name, "refuse" | "cancel") { entry.body.clone() } else { String::new() };
                        (false, vec![Segment { text: sentence, link: None }], reason)
                    }
                };
                EntryView {
                    is_message,
                    mine: entry.author == seen.side,
                    author,
                    segments,
                    reason,
                    at: moment(t, entry.created_at),
                }
            })
            .collect();
        let life = Life::of(e.mode);
        Self {
            url: format!("/exchanges/{}", record.id),
            title: record.listing_title.clone(),
            kind: t.t(&format!("exchange.kind.{}", e.mode)),
            listing_url: format!("/listings/{}", record.listing_id),
            my_role: t.t(&format!("exchange.role.{}.{}", e.mode, seen.side)).to_owned(),
            state: state_label(t, seen),
            state_code: e.state.as_str(),
            overdue: seen.overdue,
            awaits_me: seen.awaits_me,
            terms: e.terms.as_ref().map(|terms| terms_text(t, e.mode, record.unit, terms)).unwrap_or_default(),
            proposed_by_me: e.proposed_by == Some(seen.side),
            settlement: settlement_text(t, record),
            renewal: e.renewal.map(|d| long_date(t, d)),
            ended: e.ended_by.map(|by| {
                let refused = e.state == crate::domain::exchange::ExchangeState::Refused;
                match (refused, by == seen.side) {
                    (true, true) => t.t("exchange.refused_by_me").to_owned(),
                    (false, true) => t.t("exchange.cancelled_by_me").to_owned(),
                    (true, false) => t.t1("exchange.refused_by", "who", &name_of(by).name),
                    (false, false) => t.t1("exchange.cancelled_by", "who", &name_of(by).name),
                }
            }),
            moves: seen.moves.clone(),
            waiting: record.pending.as_ref().map(|p| t.t(&format!("exchange.do.{}", p.name))),
            life: match life {
                Life::Loan => "loan",
                Life::Transfer => "transfer",
                Life::Service => "service",
            },
            mode: e.mode.as_str(),
            unit: t.t(&format!("unit.{}", record.unit)).to_owned(),
            has_quantity: life != Life::Loan || e.terms.as_ref().is_some_and(|t| t.quantity.milli() != 1000),
            other,
            entries,
        }
    }

    pub fn can(&self, name: &str) -> bool {
        self.moves.contains(&name)
    }
}

/// The label of the button that proposes an exchange on a listing: « Emprunter », « Commander »...
pub fn start_label(listing: &Listing) -> String {
    match listing.content.purpose {
        Purpose::Offer => format!("exchange.start.{}", listing.content.mode),
        Purpose::Request => "exchange.start.answer".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Segment, linkify};

    fn link(text: &str) -> Segment {
        Segment { text: text.to_owned(), link: Some(text.to_owned()) }
    }

    fn plain(text: &str) -> Segment {
        Segment { text: text.to_owned(), link: None }
    }

    #[test]
    fn web_links_are_cut_out_of_messages_and_nothing_else() {
        assert_eq!(linkify("Bonjour !"), [plain("Bonjour !")]);
        assert_eq!(
            linkify("Le plan : https://coop.example/plan.pdf. À demain"),
            [plain("Le plan : "), link("https://coop.example/plan.pdf"), plain(". À demain")]
        );
        assert_eq!(linkify("(voir http://a.example/x)"), [plain("(voir "), link("http://a.example/x"), plain(")")]);
        assert_eq!(linkify("javascript:alert(1) et https://"), [plain("javascript:alert(1) et https://")]);
        assert_eq!(
            linkify("<script>https://a.example/\"onmouseover=x</script>"),
            [plain("<script>"), link("https://a.example/"), plain("\"onmouseover=x</script>")]
        );
        assert_eq!(linkify(""), []);
    }
}
