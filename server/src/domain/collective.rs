//! Collectives: groups of members from any instance — a territory's repairers' collective, a town's
//! private group, a club of an industrial zone — each hosted by one instance, with its purpose, its
//! charter (every change a new version, the older ones kept), its entry criteria and questions, its
//! admission (`open`, `approval` by its moderators, `invitation` only) and its visibility (`public`,
//! or `private`: seen by its members alone, and then admitting on invitation only).
//!
//! A person's belonging is a [`Membership`], a state machine like an exchange: its moves are methods
//! that refuse, with a [`MembershipError`], what is not allowed from the current state. Who may make
//! a move (a moderator, an administrator, the person) is asked of the [`Role`]s by the service.

use super::FieldError;
use super::ids::{CollectiveId, MemberId, MembershipId};
use super::message::FieldErrors;
use super::text::{bounded, formatted_html};

string_enum!(
    /// How people come in: at once, after a moderator's approval, or on invitation only.
    Admission, "admission" {
        Open => "open",
        Approval => "approval",
        Invitation => "invitation",
    }
);

string_enum!(
    /// Who sees the collective: anyone, or its members alone (its page, members and listings).
    CollectiveVisibility, "visibility" {
        Public => "public",
        Private => "private",
    }
);

string_enum!(
    /// A member's role: administrators change the collective, its charter and roles; moderators
    /// (and administrators) admit, invite and exclude.
    Role, "role" {
        Administrator => "administrator",
        Moderator => "moderator",
        Member => "member",
    }
);

impl Role {
    pub fn moderates(self) -> bool {
        matches!(self, Role::Administrator | Role::Moderator)
    }

    pub fn administers(self) -> bool {
        self == Role::Administrator
    }
}

string_enum!(
    /// Where a person stands with a collective: `requested` (waiting for a moderator), `invited`
    /// (waiting for the person), `member`, `refused` (with a reason), `left` (or declined an
    /// invitation), `removed` (excluded, with a reason the person sees).
    MembershipState, "state" {
        Requested => "requested",
        Invited => "invited",
        Member => "member",
        Refused => "refused",
        Left => "left",
        Removed => "removed",
    }
);

/// A collective's name: its address (`!name@domain`, `acct:name@domain` on the wire) and its page
/// (`/collectives/name`). The same rules as a member's username — and no member may have it, nor a
/// collective a member's username, so that an address names one actor only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CollectiveName(String);

impl CollectiveName {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        super::member::account_name("name", value).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CollectiveName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A charter: rights and duties, in the simple formatting of Markdown, shown sanitised
/// ([`formatted_html`]). Bounded (a charter is read before joining: it has to be readable), and a
/// text that tries to carry scripts is refused outright rather than quietly cleaned, so that its
/// author knows what the members will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charter(String);

impl Charter {
    pub const MAX: usize = 20_000;

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let text = bounded("charter", value, 1, Self::MAX)?;
        let lower = text.to_lowercase();
        let active =
            ["<script", "<style", "<iframe", "<object", "<embed", "javascript:", "vbscript:", "data:text/html"];
        if active.iter().any(|needle| lower.contains(needle)) {
            return Err(FieldError::new("charter", "error.charter_active_content"));
        }
        Ok(Self(text))
    }

    /// A stored charter, as it was accepted when written.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn to_html(&self) -> String {
        formatted_html(&self.0)
    }
}

/// The most questions a collective asks an applicant, and the longest of each question and answer.
pub const MAX_QUESTIONS: usize = 5;
const QUESTION_MAX: usize = 300;
const ANSWER_MAX: usize = 1000;
/// The longest message an applicant adds, and the longest reason of a refusal or an exclusion.
const MESSAGE_MAX: usize = 2000;

/// A collective as its creator or an administrator writes it, unparsed.
#[derive(Debug, Clone, Default)]
pub struct CollectiveInput {
    pub display_name: String,
    pub purpose: String,
    /// Category ids of the shipped taxonomy.
    pub activities: Vec<String>,
    pub territory: String,
    pub charter: String,
    pub entry_criteria: String,
    pub questions: Vec<String>,
    pub admission: String,
    pub visibility: String,
}

/// A collective's description, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectiveDraft {
    pub display_name: String,
    pub purpose: String,
    pub activities: Vec<&'static str>,
    pub territory: String,
    pub charter: Charter,
    pub entry_criteria: String,
    pub questions: Vec<String>,
    pub admission: Admission,
    pub visibility: CollectiveVisibility,
}

impl CollectiveDraft {
    /// Every field checked, every error reported at once.
    pub fn parse(input: &CollectiveInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let display_name = errors.take(bounded("display_name", &input.display_name, 1, 100));
        let purpose = errors.take(bounded("purpose", &input.purpose, 1, 2000));
        let mut activities = Vec::new();
        for id in input.activities.iter().filter(|id| !id.trim().is_empty()) {
            if let Some(category) = errors.take(super::category::parse("activities", id))
                && !activities.contains(&category.id)
            {
                activities.push(category.id);
            }
        }
        let territory = errors.take(bounded("territory", &input.territory, 0, 200));
        let charter = errors.take(Charter::parse(&input.charter));
        let entry_criteria = errors.take(bounded("entry_criteria", &input.entry_criteria, 0, 4000));
        let mut questions = Vec::new();
        for question in &input.questions {
            if let Some(question) = errors.take(bounded("questions", question, 0, QUESTION_MAX))
                && !question.is_empty()
            {
                questions.push(question);
            }
        }
        if questions.len() > MAX_QUESTIONS {
            errors.push(FieldError::new("questions", "error.too_many_questions").with("max", MAX_QUESTIONS));
        }
        let admission = errors.take(Admission::parse(&input.admission));
        let visibility = errors.take(CollectiveVisibility::parse(&input.visibility));
        if visibility == Some(CollectiveVisibility::Private) && admission.is_some_and(|a| a != Admission::Invitation) {
            // Nobody outside sees a private collective: nobody could ask to join it.
            errors.push(FieldError::new("admission", "error.private_by_invitation"));
        }
        errors.into_result()?;
        Ok(Self {
            display_name: display_name.unwrap_or_default(),
            purpose: purpose.unwrap_or_default(),
            activities,
            territory: territory.unwrap_or_default(),
            charter: charter.ok_or_else(Vec::new)?,
            entry_criteria: entry_criteria.unwrap_or_default(),
            questions,
            admission: admission.ok_or_else(Vec::new)?,
            visibility: visibility.ok_or_else(Vec::new)?,
        })
    }
}

/// What an applicant sends: the charter version they accept (none when the box is not ticked),
/// their answers to the questions, a message.
#[derive(Debug, Clone, Default)]
pub struct JoinInput {
    pub charter_version: Option<i64>,
    pub answers: Vec<String>,
    pub message: String,
}

/// A request to join, valid for the collective it was checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// The charter version accepted; `None` only in a `Join` of software that knows no charter
    /// ([`JoinRequest::without_charter`]).
    pub charter_version: Option<i64>,
    pub answers: Vec<String>,
    pub message: String,
}

impl JoinRequest {
    /// Checks `input` against the collective's current charter version and its `questions`; an
    /// invited person accepts the charter but is not asked the entry questions.
    pub fn parse(
        input: &JoinInput,
        charter_version: i64,
        questions: &[String],
        invited: bool,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        match input.charter_version {
            None => errors.push(FieldError::new("charter_version", "error.charter_not_accepted")),
            Some(version) if version != charter_version => {
                errors
                    .push(FieldError::new("charter_version", "error.charter_changed").with("version", charter_version));
            }
            Some(_) => {}
        }
        let mut answers = Vec::new();
        if !invited {
            if input.answers.len() > questions.len() {
                errors.push(FieldError::new("answers", "error.too_many_answers").with("max", questions.len()));
            }
            for index in 0..questions.len() {
                let answer = input.answers.get(index).map_or("", String::as_str);
                if let Some(answer) = errors.take(bounded("answers", answer, 1, ANSWER_MAX)) {
                    answers.push(answer);
                }
            }
        }
        let message = errors.take(parse_message("message", &input.message));
        errors.into_result()?;
        Ok(Self { charter_version: Some(charter_version), answers, message: message.unwrap_or_default() })
    }

    /// The `Join` of fediverse software that knows no charter (Mobilizon's, with its
    /// `participationMessage`): a request that moderators decide, whatever the admission, and
    /// whose person has accepted no charter.
    pub fn without_charter(message: &str) -> Result<Self, FieldError> {
        Ok(Self { charter_version: None, answers: Vec::new(), message: parse_message("message", message)? })
    }
}

/// A message or a reason (a refusal's, an exclusion's): plain text, at most 2,000 characters.
pub fn parse_message(field: &'static str, value: &str) -> Result<String, FieldError> {
    bounded(field, value, 0, MESSAGE_MAX)
}

/// Why a move on a membership is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipError {
    AlreadyMember,
    AlreadyAsked,
    AlreadyInvited,
    /// Admission by invitation only, and this person was not invited.
    NotInvited,
    /// No request waits (deciding on someone who did not ask, or whose request was decided).
    NoRequest,
    /// Not a member (leaving, excluding, a role, the charter).
    NotMember,
    /// The version accepted is not the charter's current one.
    CharterChanged,
}

impl MembershipError {
    /// The locale key of its message.
    pub fn key(self) -> &'static str {
        match self {
            MembershipError::AlreadyMember => "error.collective_already_member",
            MembershipError::AlreadyAsked => "error.collective_already_asked",
            MembershipError::AlreadyInvited => "error.collective_already_invited",
            MembershipError::NotInvited => "error.collective_not_invited",
            MembershipError::NoRequest => "error.collective_no_request",
            MembershipError::NotMember => "error.collective_not_member",
            MembershipError::CharterChanged => "error.charter_changed",
        }
    }
}

/// Where one person stands with one collective, and what they accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub state: MembershipState,
    pub role: Role,
    /// The charter version they accepted last (`None` before they accepted any).
    pub charter_version: Option<i64>,
    /// When they became a member (unix ms), while they are one.
    pub since: Option<i64>,
    /// Their request's message and answers.
    pub message: String,
    pub answers: Vec<String>,
    /// Why they were refused or excluded.
    pub reason: String,
}

impl Membership {
    /// What a request to join makes of where the person stood (`previous`, `None` if nowhere). An
    /// invited person becomes a member; otherwise the admission decides, and someone excluded
    /// comes back only through a moderator.
    pub fn ask(
        previous: Option<&Membership>,
        admission: Admission,
        request: JoinRequest,
        now_ms: i64,
    ) -> Result<Membership, MembershipError> {
        use MembershipState as S;
        let state = match (previous.map(|m| m.state), admission) {
            (Some(S::Member), _) => return Err(MembershipError::AlreadyMember),
            (Some(S::Requested), _) => return Err(MembershipError::AlreadyAsked),
            (Some(S::Invited), _) => S::Member,
            (_, Admission::Invitation) => return Err(MembershipError::NotInvited),
            (Some(S::Removed), _) | (_, Admission::Approval) => S::Requested,
            (_, Admission::Open) => S::Member,
        };
        Ok(Membership {
            state,
            role: previous.filter(|m| m.state == S::Invited).map_or(Role::Member, |m| m.role),
            charter_version: request.charter_version,
            since: (state == S::Member).then_some(now_ms),
            message: request.message,
            answers: request.answers,
            reason: String::new(),
        })
    }

    /// The first administrator: the person who created the collective.
    pub fn founder(charter_version: i64, now_ms: i64) -> Membership {
        Membership {
            state: MembershipState::Member,
            role: Role::Administrator,
            charter_version: Some(charter_version),
            since: Some(now_ms),
            message: String::new(),
            answers: Vec::new(),
            reason: String::new(),
        }
    }

    /// A moderator invites someone (`previous`: where they stood). Inviting someone who asked
    /// admits them.
    pub fn invite(previous: Option<&Membership>, now_ms: i64) -> Result<Membership, MembershipError> {
        match previous {
            Some(m) if m.state == MembershipState::Member => Err(MembershipError::AlreadyMember),
            Some(m) if m.state == MembershipState::Invited => Err(MembershipError::AlreadyInvited),
            Some(m) if m.state == MembershipState::Requested => {
                let mut admitted = m.clone();
                admitted.approve(now_ms)?;
                Ok(admitted)
            }
            _ => Ok(Membership {
                state: MembershipState::Invited,
                role: Role::Member,
                charter_version: previous.and_then(|m| m.charter_version),
                since: None,
                message: String::new(),
                answers: Vec::new(),
                reason: String::new(),
            }),
        }
    }

    /// A moderator admits a request.
    pub fn approve(&mut self, now_ms: i64) -> Result<(), MembershipError> {
        if self.state != MembershipState::Requested {
            return Err(MembershipError::NoRequest);
        }
        self.state = MembershipState::Member;
        self.since = Some(now_ms);
        self.reason.clear();
        Ok(())
    }

    /// A moderator refuses a request, saying why.
    pub fn refuse(&mut self, reason: String) -> Result<(), MembershipError> {
        if self.state != MembershipState::Requested {
            return Err(MembershipError::NoRequest);
        }
        self.state = MembershipState::Refused;
        self.reason = reason;
        Ok(())
    }

    /// The person leaves — or withdraws their request, or declines an invitation.
    pub fn leave(&mut self) -> Result<(), MembershipError> {
        match self.state {
            MembershipState::Member | MembershipState::Requested | MembershipState::Invited => {
                self.state = MembershipState::Left;
                self.since = None;
                self.role = Role::Member;
                Ok(())
            }
            _ => Err(MembershipError::NotMember),
        }
    }

    /// A moderator excludes a member, saying why.
    pub fn remove(&mut self, reason: String) -> Result<(), MembershipError> {
        if self.state != MembershipState::Member {
            return Err(MembershipError::NotMember);
        }
        self.state = MembershipState::Removed;
        self.since = None;
        self.role = Role::Member;
        self.reason = reason;
        Ok(())
    }

    /// The member accepts the charter's new version.
    pub fn accept_charter(&mut self, version: i64, current: i64) -> Result<(), MembershipError> {
        if self.state != MembershipState::Member {
            return Err(MembershipError::NotMember);
        }
        if version != current {
            return Err(MembershipError::CharterChanged);
        }
        self.charter_version = Some(version);
        Ok(())
    }

    /// An administrator gives the member another role.
    pub fn set_role(&mut self, role: Role) -> Result<(), MembershipError> {
        if self.state != MembershipState::Member {
            return Err(MembershipError::NotMember);
        }
        self.role = role;
        Ok(())
    }

    pub fn is_member(&self) -> bool {
        self.state == MembershipState::Member
    }

    /// A member who has not accepted the charter's current version yet.
    pub fn owes_charter(&self, current: i64) -> bool {
        self.is_member() && self.charter_version.is_none_or(|accepted| accepted < current)
    }
}

/// A collective as an instance keeps it: one hosted here, or a copy of another instance's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collective {
    pub id: CollectiveId,
    pub name: CollectiveName,
    /// Where it is hosted when that is another instance: its host and its `Group`'s id.
    pub origin: Option<CollectiveOrigin>,
    pub display_name: String,
    pub purpose: String,
    pub activities: Vec<&'static str>,
    pub territory: String,
    pub entry_criteria: String,
    pub questions: Vec<String>,
    pub admission: Admission,
    pub visibility: CollectiveVisibility,
    /// The charter's current version (the first is 1).
    pub charter_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectiveOrigin {
    pub host: String,
    pub ap_id: String,
}

impl Collective {
    pub fn is_private(&self) -> bool {
        self.visibility == CollectiveVisibility::Private
    }

    pub fn is_ours(&self) -> bool {
        self.origin.is_none()
    }

    /// How its page is addressed here: its name when hosted here, `name@host` otherwise.
    pub fn handle(&self) -> String {
        match &self.origin {
            None => self.name.to_string(),
            Some(origin) => format!("{}@{}", self.name, origin.host),
        }
    }
}

/// A membership as an instance keeps it: whose (`actor`, their ActivityPub id, and `member` when
/// they are a member here), of which collective, and who decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRecord {
    pub id: MembershipId,
    pub collective: CollectiveId,
    pub actor: String,
    pub member: Option<MemberId>,
    pub membership: Membership,
    /// The actor who admitted, refused, invited or excluded them.
    pub decided_by: Option<String>,
    /// The activity that asked (their `Join`) or invited (our `Invite`), which an answer refers to.
    pub activity_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CollectiveInput {
        CollectiveInput {
            display_name: "Collectif des réparateurs vélo de la MEL".into(),
            purpose: "Réparer ensemble.".into(),
            activities: vec!["bikes-repair".into(), "bikes-repair".into(), "skills-services".into()],
            territory: "Métropole européenne de Lille".into(),
            charter: "# Charte\n\nNous réparons **sans jugement**.".into(),
            entry_criteria: "Tenir un atelier.".into(),
            questions: vec!["Quel atelier ?".into(), " ".into()],
            admission: "approval".into(),
            visibility: "public".into(),
        }
    }

    fn request(version: i64) -> JoinRequest {
        JoinRequest::parse(
            &JoinInput {
                charter_version: Some(version),
                answers: vec!["Atelier de Fives".into()],
                message: "Bonjour".into(),
            },
            version,
            &["Quel atelier ?".to_owned()],
            false,
        )
        .unwrap()
    }

    #[test]
    fn a_name_follows_the_rules_of_usernames() {
        assert_eq!(CollectiveName::parse(" Reparateurs_MEL ").unwrap().as_str(), "reparateurs_mel");
        assert!(CollectiveName::parse("ab").is_err());
        assert!(CollectiveName::parse("répar").is_err());
        assert!(CollectiveName::parse("a.b.c").is_err());
    }

    #[test]
    fn a_draft_keeps_its_activities_once_and_its_questions_asked() {
        let draft = CollectiveDraft::parse(&input()).unwrap();
        assert_eq!(draft.activities, ["bikes-repair", "skills-services"]);
        assert_eq!(draft.questions, ["Quel atelier ?"]);
        assert!(draft.charter.to_html().contains("<strong>sans jugement</strong>"));
        assert!(draft.charter.to_html().contains("<h2>Charte</h2>"));
    }

    #[test]
    fn bad_drafts_say_every_field_that_is_wrong() {
        let mut bad = input();
        bad.display_name = String::new();
        bad.charter = "x".repeat(Charter::MAX + 1);
        bad.questions = (0..6).map(|i| format!("Question {i} ?")).collect();
        bad.activities = vec!["nothing".into()];
        bad.admission = "sometimes".into();
        let fields: Vec<_> = CollectiveDraft::parse(&bad).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["display_name", "activities", "charter", "questions", "admission"]);
    }

    #[test]
    fn a_charter_with_scripts_is_refused_and_html_is_shown_as_text() {
        for text in ["<script>alert(1)</script>", "[x](javascript:alert(1))", "<IFRAME src=x>", "<style>p{}</style>"] {
            assert_eq!(Charter::parse(text).unwrap_err().message.key, "error.charter_active_content", "{text}");
        }
        let html = Charter::parse("<b onclick=x>gras</b> [site](https://example.org)").unwrap().to_html();
        assert!(html.contains("&lt;b onclick=x&gt;"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
    }

    #[test]
    fn a_private_collective_admits_on_invitation_only() {
        let mut private = input();
        private.visibility = "private".into();
        assert_eq!(CollectiveDraft::parse(&private).unwrap_err()[0].message.key, "error.private_by_invitation");
        private.admission = "invitation".into();
        assert!(CollectiveDraft::parse(&private).is_ok());
    }

    #[test]
    fn joining_needs_the_current_charter_and_every_answer() {
        let questions = ["Quel atelier ?".to_owned()];
        let keys = |input: JoinInput| -> Vec<&str> {
            JoinRequest::parse(&input, 2, &questions, false).unwrap_err().iter().map(|e| e.message.key).collect()
        };
        assert_eq!(
            keys(JoinInput { charter_version: None, ..JoinInput::default() }),
            ["error.charter_not_accepted", "error.required"]
        );
        assert_eq!(
            keys(JoinInput { charter_version: Some(1), answers: vec!["Fives".into()], ..JoinInput::default() }),
            ["error.charter_changed"]
        );
        let invited =
            JoinRequest::parse(&JoinInput { charter_version: Some(2), ..JoinInput::default() }, 2, &questions, true);
        assert!(invited.unwrap().answers.is_empty());
    }

    #[test]
    fn admission_decides_what_a_request_becomes() {
        let asked = |previous: Option<&Membership>, admission| Membership::ask(previous, admission, request(1), 10);
        assert_eq!(asked(None, Admission::Open).unwrap().state, MembershipState::Member);
        assert_eq!(asked(None, Admission::Open).unwrap().since, Some(10));
        assert_eq!(asked(None, Admission::Approval).unwrap().state, MembershipState::Requested);
        assert_eq!(asked(None, Admission::Invitation).unwrap_err(), MembershipError::NotInvited);

        let requested = asked(None, Admission::Approval).unwrap();
        assert_eq!(asked(Some(&requested), Admission::Approval).unwrap_err(), MembershipError::AlreadyAsked);
        let member = asked(None, Admission::Open).unwrap();
        assert_eq!(asked(Some(&member), Admission::Open).unwrap_err(), MembershipError::AlreadyMember);

        let invited = Membership::invite(None, 5).unwrap();
        assert_eq!(invited.state, MembershipState::Invited);
        assert_eq!(asked(Some(&invited), Admission::Invitation).unwrap().state, MembershipState::Member);
        assert_eq!(Membership::invite(Some(&invited), 6).unwrap_err(), MembershipError::AlreadyInvited);
        // Inviting someone who asked admits them.
        assert_eq!(Membership::invite(Some(&requested), 6).unwrap().state, MembershipState::Member);

        // Someone excluded comes back only through a moderator, even where admission is open.
        let mut removed = member.clone();
        removed.remove("Absent".into()).unwrap();
        assert_eq!(asked(Some(&removed), Admission::Open).unwrap().state, MembershipState::Requested);
        let mut left = member.clone();
        left.leave().unwrap();
        assert_eq!(asked(Some(&left), Admission::Open).unwrap().state, MembershipState::Member);
    }

    #[test]
    fn moderators_decide_requests_once() {
        let mut requested = Membership::ask(None, Admission::Approval, request(1), 1).unwrap();
        let mut refused = requested.clone();
        refused.refuse("Pas d'atelier".into()).unwrap();
        assert_eq!((refused.state, refused.reason.as_str()), (MembershipState::Refused, "Pas d'atelier"));
        assert_eq!(refused.approve(2).unwrap_err(), MembershipError::NoRequest);
        requested.approve(3).unwrap();
        assert_eq!((requested.state, requested.since), (MembershipState::Member, Some(3)));
        assert_eq!(requested.refuse(String::new()).unwrap_err(), MembershipError::NoRequest);
    }

    #[test]
    fn a_new_charter_is_owed_until_accepted() {
        let mut member = Membership::ask(None, Admission::Open, request(1), 1).unwrap();
        assert!(!member.owes_charter(1));
        assert!(member.owes_charter(2));
        assert_eq!(member.accept_charter(1, 2).unwrap_err(), MembershipError::CharterChanged);
        member.accept_charter(2, 2).unwrap();
        assert!(!member.owes_charter(2));
        member.set_role(Role::Moderator).unwrap();
        member.leave().unwrap();
        assert_eq!((member.role, member.since), (Role::Member, None));
        assert_eq!(member.accept_charter(2, 2).unwrap_err(), MembershipError::NotMember);
        assert_eq!(member.remove(String::new()).unwrap_err(), MembershipError::NotMember);
    }
}
