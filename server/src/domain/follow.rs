//! Where a follow of a remote actor by one of our actors stands: asked and not answered yet,
//! accepted, or refused. Only the other side's answer (`Accept` or `Reject`) moves it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Requested,
    Accepted,
    Rejected,
}

impl FollowState {
    pub const ALL: [Self; 3] = [Self::Requested, Self::Accepted, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state the other side's answer leads to.
    pub fn answered(accepted: bool) -> Self {
        if accepted { Self::Accepted } else { Self::Rejected }
    }
}

impl std::fmt::Display for FollowState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_reads_back_as_written() {
        for state in FollowState::ALL {
            assert_eq!(FollowState::parse(state.as_str()), Some(state));
        }
        assert_eq!(FollowState::parse("pending"), None);
        assert_eq!(FollowState::answered(true), FollowState::Accepted);
        assert_eq!(FollowState::answered(false), FollowState::Rejected);
    }
}
