//! A peering between two instances, as a state machine: each instance's actor follows the other's,
//! and the peering holds while both follows are accepted. Our side (`Outgoing`: our follow of them)
//! and theirs (`Incoming`: their follow of us) move only through the methods below, which are the
//! allowed transitions; the storage keeps the states as the text of `as_str`. Exchanges follow the
//! same pattern (docs/ARCHITECTURE.md, "State machines").

use serde::Serialize;

/// Our follow of their instance actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outgoing {
    None,
    /// Sent; no answer yet.
    Requested,
    Accepted,
    Rejected,
}

/// Their follow of our instance actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    None,
    /// Waiting for an admin of ours (policy `approval`).
    Pending,
    Accepted,
    Rejected,
}

impl Outgoing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Requested => "requested",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::None, Self::Requested, Self::Accepted, Self::Rejected].into_iter().find(|s| s.as_str() == text)
    }
}

impl Incoming {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::None, Self::Pending, Self::Accepted, Self::Rejected].into_iter().find(|s| s.as_str() == text)
    }
}

/// A peering with one domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Peering {
    pub domain: String,
    /// Their instance actor, once known.
    pub actor_id: Option<String>,
    pub outgoing: Outgoing,
    pub incoming: Incoming,
    /// The id of their `Follow`, to answer it.
    pub incoming_follow: Option<String>,
    pub blocked: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A peering's state, as admins see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerState {
    /// We asked; they have not answered yet.
    Requested,
    /// They asked; an admin of ours has to decide.
    PendingApproval,
    /// Both follow each other: listings flow both ways.
    Peered,
    /// They refused, or ended it.
    Refused,
    Blocked,
    /// Nothing any more (after unpeering).
    None,
}

impl PeerState {
    pub fn as_str(self) -> &'static str {
        match self {
            PeerState::Requested => "requested",
            PeerState::PendingApproval => "pending_approval",
            PeerState::Peered => "peered",
            PeerState::Refused => "refused",
            PeerState::Blocked => "blocked",
            PeerState::None => "none",
        }
    }
}

impl Peering {
    /// A domain we have no link with yet.
    pub fn new(domain: &str, now: i64) -> Self {
        Self {
            domain: domain.to_owned(),
            actor_id: None,
            outgoing: Outgoing::None,
            incoming: Incoming::None,
            incoming_follow: None,
            blocked: false,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn state(&self) -> PeerState {
        use {Incoming as I, Outgoing as O};
        if self.blocked {
            return PeerState::Blocked;
        }
        match (self.outgoing, self.incoming) {
            (_, I::Pending) => PeerState::PendingApproval,
            (O::Accepted, I::Accepted) => PeerState::Peered,
            (O::Rejected, _) | (_, I::Rejected) => PeerState::Refused,
            (O::Requested | O::Accepted, _) | (_, I::Accepted) => PeerState::Requested,
            (O::None, I::None) => PeerState::None,
        }
    }

    /// Both follows accepted, and not blocked: listings flow both ways.
    pub fn is_peered(&self) -> bool {
        self.state() == PeerState::Peered
    }

    /// Their listings come to us: they accepted our follow (and they are not blocked).
    pub fn we_receive(&self) -> bool {
        !self.blocked && self.outgoing == Outgoing::Accepted
    }

    /// Our partners-only listings go to them: we accepted their follow (and they are not blocked).
    pub fn they_receive(&self) -> bool {
        !self.blocked && self.incoming == Incoming::Accepted
    }

    /// Whether we follow them or asked to.
    pub fn we_asked(&self) -> bool {
        self.outgoing != Outgoing::None
    }

    /// Whether their request waits for an admin of ours.
    pub fn is_pending(&self) -> bool {
        self.incoming == Incoming::Pending
    }

    /// We ask them (again): returns whether a `Follow` must be sent (not when they accepted already).
    pub fn request(&mut self) -> bool {
        if self.outgoing == Outgoing::Accepted {
            return false;
        }
        self.outgoing = Outgoing::Requested;
        true
    }

    /// After we accept their follow: returns whether we must follow them back (we do not, or they
    /// refused us before).
    pub fn follow_back(&mut self) -> bool {
        if matches!(self.outgoing, Outgoing::None | Outgoing::Rejected) {
            self.outgoing = Outgoing::Requested;
            return true;
        }
        false
    }

    /// They ask us: their follow is recorded, to be answered.
    pub fn asked_by(&mut self, actor_id: &str, follow_id: &str) {
        self.actor_id = Some(actor_id.to_owned());
        self.incoming_follow = Some(follow_id.to_owned());
    }

    pub fn accept_them(&mut self) {
        self.incoming = Incoming::Accepted;
    }

    pub fn refuse_them(&mut self) {
        self.incoming = Incoming::Rejected;
    }

    pub fn wait_for_approval(&mut self) {
        self.incoming = Incoming::Pending;
    }

    /// They answered our follow.
    pub fn answered(&mut self, accepted: bool) {
        self.outgoing = if accepted { Outgoing::Accepted } else { Outgoing::Rejected };
    }

    /// They undid their follow of us.
    pub fn they_left(&mut self) {
        self.incoming = Incoming::None;
        self.incoming_follow = None;
    }

    /// The peering ends, on both sides.
    pub fn end(&mut self) {
        self.outgoing = Outgoing::None;
        self.they_left();
    }

    /// Nothing is accepted from them or sent to them any more.
    pub fn block(&mut self) {
        self.blocked = true;
        self.end();
    }

    pub fn unblock(&mut self) {
        self.blocked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peering_is_peered_when_both_follows_are_accepted_and_ends_on_both_sides() {
        let mut peering = Peering::new("coop.example", 0);
        assert_eq!(peering.state(), PeerState::None);
        assert!(peering.request());
        assert_eq!(peering.state(), PeerState::Requested);
        peering.answered(true);
        assert!(peering.we_receive() && !peering.they_receive());
        assert_eq!(peering.state(), PeerState::Requested);
        peering.accept_them();
        assert!(!peering.follow_back(), "we follow them already");
        assert!(peering.is_peered());
        assert!(!peering.request(), "nothing to ask again");
        peering.end();
        assert_eq!(peering.state(), PeerState::None);
        assert!(!peering.we_receive() && !peering.they_receive());
    }

    #[test]
    fn a_block_wins_over_every_state() {
        let mut peering = Peering::new("coop.example", 0);
        peering.answered(true);
        peering.accept_them();
        peering.block();
        assert_eq!(peering.state(), PeerState::Blocked);
        assert!(!peering.we_receive() && !peering.they_receive());
        peering.unblock();
        assert_eq!(peering.state(), PeerState::None);
    }

    #[test]
    fn a_pending_request_and_refusals_show_as_such() {
        let mut peering = Peering::new("coop.example", 0);
        peering.asked_by("https://coop.example/actor", "https://coop.example/follows/1");
        peering.wait_for_approval();
        assert!(peering.is_pending());
        assert_eq!(peering.state(), PeerState::PendingApproval);
        peering.refuse_them();
        assert_eq!(peering.state(), PeerState::Refused);
        assert!(peering.follow_back(), "a refused peer is asked again when we accept it later");
        peering.answered(false);
        assert_eq!(peering.state(), PeerState::Refused);
    }

    #[test]
    fn the_states_are_stored_as_their_text() {
        for state in [Outgoing::None, Outgoing::Requested, Outgoing::Accepted, Outgoing::Rejected] {
            assert_eq!(Outgoing::parse(state.as_str()), Some(state));
        }
        for state in [Incoming::None, Incoming::Pending, Incoming::Accepted, Incoming::Rejected] {
            assert_eq!(Incoming::parse(state.as_str()), Some(state));
        }
        assert_eq!(Incoming::parse("requested"), None, "their side is never `requested`");
    }
}
