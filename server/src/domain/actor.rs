//! Which of our actors something belongs to: the instance's own actor or a member's (and, next,
//! a collective's). Keys, followers, follows and the signer of each outgoing activity are stored
//! under its [`OurActor::key`].

use super::member::{Member, Username};

/// The storage key of the instance actor (member ids are hex and never start with `@`).
pub const INSTANCE_KEY: &str = "@instance";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OurActor {
    Instance,
    Member { id: String, username: Username },
}

impl OurActor {
    pub fn of(member: &Member) -> Self {
        Self::Member { id: member.id.clone(), username: member.username.clone() }
    }

    /// The key its keys, followers and follows are stored under.
    pub fn key(&self) -> &str {
        match self {
            Self::Instance => INSTANCE_KEY,
            Self::Member { id, .. } => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_key_cannot_be_a_member_id() {
        assert!(!crate::domain::ids::is_valid_id(INSTANCE_KEY));
        assert_eq!(OurActor::Instance.key(), INSTANCE_KEY);
    }
}
