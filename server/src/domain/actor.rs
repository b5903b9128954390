//! Which of our actors something belongs to: the instance's own actor, a member's or a
//! collective's (its `Group`). Keys, followers, follows and the signer of each outgoing activity are
//! stored under its [`ActorKey`].

use super::collective::CollectiveName;
use super::ids::{CollectiveId, MemberId};
use super::listing::Listing;
use super::member::{Member, Username};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OurActor {
    Instance,
    Member { id: MemberId, username: Username },
    Collective { id: CollectiveId, name: CollectiveName },
}

impl OurActor {
    pub fn of(member: &Member) -> Self {
        Self::Member { id: member.id.clone(), username: member.username.clone() }
    }

    /// The member of ours who wrote `listing`; `None` for a listing received from another instance.
    pub fn author_of(listing: &Listing) -> Option<Self> {
        if listing.origin.is_some() {
            return None;
        }
        let id = MemberId::parse(&listing.author.id)?;
        Some(Self::Member { id, username: Username::parse(&listing.author.username).ok()? })
    }

    /// The key its keys, followers and follows are stored under.
    pub fn key(&self) -> ActorKey<'_> {
        match self {
            Self::Instance => ActorKey::Instance,
            Self::Member { id, .. } => ActorKey::Member(id),
            Self::Collective { id, .. } => ActorKey::Collective(id),
        }
    }
}

/// The storage key of one of our actors: what the tables of keys, followers and follows are keyed
/// by (their `owner` or `local_actor` column), and all their storage functions take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKey<'a> {
    Instance,
    Member(&'a MemberId),
    Collective(&'a CollectiveId),
}

impl ActorKey<'_> {
    /// The key as stored: a member's id, [`INSTANCE_KEY`], or a collective's id after
    /// [`COLLECTIVE_PREFIX`].
    pub fn as_str(&self) -> String {
        match self {
            Self::Instance => INSTANCE_KEY.to_owned(),
            Self::Member(id) => id.as_str().to_owned(),
            Self::Collective(id) => format!("{COLLECTIVE_PREFIX}{id}"),
        }
    }
}

/// The stored key of the instance actor (member ids are hex and never start with `@`).
pub const INSTANCE_KEY: &str = "@instance";
/// What a collective's stored key starts with, before its id.
pub const COLLECTIVE_PREFIX: &str = "@collective:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_key_cannot_be_a_member_id() {
        assert!(MemberId::parse(INSTANCE_KEY).is_none());
        assert_eq!(OurActor::Instance.key().as_str(), INSTANCE_KEY);
        let id = MemberId::new();
        assert_eq!(ActorKey::Member(&id).as_str(), id.as_str());
        let collective = CollectiveId::new();
        assert_eq!(ActorKey::Collective(&collective).as_str(), format!("@collective:{collective}"));
    }
}
