//! Collectives on the wire. A collective is a `Group` actor (FEP-1b12) hosted by one instance; its
//! document carries, in our terms, what a person reads before joining — the charter (Markdown
//! source) and its version, the entry criteria and questions, the admission and visibility — and
//! its members collection. Membership travels as:
//!
//! - `Join` (actor: the person; object: the Group) with the message (`content`, and Mobilizon's
//!   `participationMessage`), the answers and the charter version accepted (`charterVersion`); a
//!   member who accepts a new charter sends a `Join` again with the new version;
//! - the Group's `Accept` or `Reject` of that `Join` (embedded), a refusal with its reason as
//!   `content`;
//! - `Leave` (actor: the person; object: the Group), also declining an invitation;
//! - the Group's `Invite` (object: the Group; target: the person);
//! - the Group's `Add` and `Remove` (object: the person; target: the Group's members collection),
//!   sent to the servers of its members: the confirmation, on the Group's word alone, of who
//!   belongs (a `Remove` to the person excluded carries the reason).
//!
//! Everything here is plain data: who may do what is the server's to decide.

use serde_json::{Value, json};
use url::Url;

use crate::urls::Urls;
use crate::vocab::value_id;

/// The longest charter and text we accept from another server (characters).
const MAX_TEXT: usize = 20_000;
/// The most questions or answers, and the longest of each.
const MAX_ITEMS: usize = 5;
const MAX_ITEM: usize = 1_000;

/// What a `Group` document says beyond an actor's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupData {
    /// The charter's Markdown source and its version (0: none said, a group of other software).
    pub charter: String,
    pub charter_version: i64,
    pub entry_criteria: String,
    pub questions: Vec<String>,
    /// `open`, `approval`, `invitation` (ours); from `manuallyApprovesFollowers` otherwise.
    pub admission: String,
    /// `public` or `private`.
    pub visibility: String,
    pub territory: String,
    /// Category ids of our taxonomy.
    pub activities: Vec<String>,
    /// Its members collection.
    pub members: Option<Url>,
}

/// Where a Group's members collection is.
pub fn members_of(group: &Url) -> Url {
    let mut url = group.clone();
    url.set_path(&format!("{}/members", group.path().trim_end_matches('/')));
    url
}

fn text(value: &Value, key: &str, max: usize) -> Result<String, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(s.clone()),
        Some(Value::String(_)) => Err(format!("{key} is longer than {max} characters")),
        Some(_) => Err(format!("{key} is not a text")),
    }
}

fn texts(value: &Value, key: &str) -> Result<Vec<String>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_ITEMS => items
            .iter()
            .map(|item| match item {
                Value::String(s) if s.chars().count() <= MAX_ITEM => Ok(s.clone()),
                _ => Err(format!("{key} holds something that is not a short text")),
            })
            .collect(),
        Some(_) => Err(format!("{key} is not a list of at most {MAX_ITEMS} texts")),
    }
}

fn version(value: &Value, key: &str) -> Result<Option<i64>, String> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().filter(|n| *n >= 1).map(Some).ok_or_else(|| format!("{key} is not a version number")),
    }
}

/// Reads what a `Group` document says in our terms (another server's: every size bounded; a group
/// of other software has none of them, and gets defaults from what it does say).
pub fn read_group(document: &Value, id: &Url) -> Result<GroupData, String> {
    let manual = document.get("manuallyApprovesFollowers").and_then(Value::as_bool).unwrap_or(false);
    let admission = match text(document, "maillage:admission", 20)?.as_str() {
        "" if manual => "approval".to_owned(),
        "" => "open".to_owned(),
        other @ ("open" | "approval" | "invitation") => other.to_owned(),
        other => return Err(format!("unknown admission {other:?}")),
    };
    let visibility = match text(document, "maillage:visibility", 20)?.as_str() {
        "" => "public".to_owned(),
        other @ ("public" | "private") => other.to_owned(),
        other => return Err(format!("unknown visibility {other:?}")),
    };
    // The members collection counts only on the Group's own server.
    let members =
        document.get("maillage:members").and_then(value_id).filter(|members| crate::target::same_server(members, id));
    Ok(GroupData {
        charter: text(document, "maillage:charter", MAX_TEXT)?,
        charter_version: version(document, "maillage:charterVersion")?.unwrap_or(0),
        entry_criteria: text(document, "maillage:entryCriteria", 4_000)?,
        questions: texts(document, "maillage:questions")?,
        admission,
        visibility,
        territory: text(document, "maillage:territory", 200)?,
        activities: match document.get("maillage:activities") {
            Some(Value::Array(items)) if items.len() <= 20 => {
                items.iter().filter_map(Value::as_str).filter(|s| s.len() <= 60).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        },
        members,
    })
}

/// The id of one of our `Join`s: under `/activities/join-…`, so that an answer naming it by id is
/// told apart from the answers to our follows.
pub fn join_id(urls: &Urls, id: &str) -> Url {
    urls.activity(&format!("join-{id}"))
}

fn is_our_join(urls: &Urls, id: &Url) -> bool {
    urls.is_local(id) && id.path().starts_with("/activities/join-")
}

/// A person's `Join` of a Group: the charter version they accept, their answers, their message.
/// Without a charter version, it is a `Join` as another software sent it, which an answer embeds
/// as it was.
pub fn join(
    id: &Url,
    actor: &Url,
    group: &Url,
    charter_version: Option<i64>,
    answers: &[String],
    message: &str,
) -> Value {
    let mut join = json!({
        "type": "Join",
        "id": id,
        "actor": actor,
        "object": group,
        "to": [group],
        "content": message,
        "participationMessage": message,
    });
    if let Some(version) = charter_version {
        join["maillage:charterVersion"] = json!(version);
        join["maillage:answers"] = json!(answers);
    }
    crate::context::with_context(join)
}

/// The Group's answer to a `Join` (embedded, as it was received): `Accept`, or `Reject` with the
/// reason as `content`.
pub fn answer(urls: &Urls, activity_id: &str, group: &Url, join: &Value, accepted: bool, reason: &str) -> Value {
    let person = join.get("actor").cloned().unwrap_or(Value::Null);
    let mut answer = json!({
        "type": if accepted { "Accept" } else { "Reject" },
        "id": urls.activity(activity_id),
        "actor": group,
        "object": embedded(join),
        "to": [person],
    });
    if !reason.is_empty() {
        answer["content"] = json!(reason);
    }
    crate::context::with_context(answer)
}

/// `Leave` of a Group by a person (also declining its invitation).
pub fn leave(urls: &Urls, activity_id: &str, actor: &Url, group: &Url) -> Value {
    crate::context::with_context(json!({
        "type": "Leave",
        "id": urls.activity(activity_id),
        "actor": actor,
        "object": group,
        "to": [group],
    }))
}

/// The Group invites a person.
pub fn invite(urls: &Urls, activity_id: &str, group: &Url, person: &Url) -> Value {
    crate::context::with_context(json!({
        "type": "Invite",
        "id": urls.activity(activity_id),
        "actor": group,
        "object": group,
        "target": person,
        "to": [person],
    }))
}

/// The Group says that `person` is one of its members (`Add`, with the charter version they
/// accepted — none for someone of a software without charters — and since when), or no longer one (`Remove`, with the reason when excluded), to `to`.
pub fn membership(
    urls: &Urls,
    activity_id: &str,
    group: &Url,
    person: &Url,
    added: Option<(Option<i64>, &str)>,
    reason: &str,
    to: &[Url],
) -> Value {
    let mut activity = json!({
        "type": if added.is_some() { "Add" } else { "Remove" },
        "id": urls.activity(activity_id),
        "actor": group,
        "object": person,
        "target": members_of(group),
        "to": to,
    });
    if let Some((charter_version, since)) = added {
        if let Some(version) = charter_version {
            activity["maillage:charterVersion"] = json!(version);
        }
        activity["published"] = json!(since);
    }
    if !reason.is_empty() {
        activity["content"] = json!(reason);
    }
    crate::context::with_context(activity)
}

/// The Group's `Announce` of an activity of one of its members about a listing published to it
/// (`Create`, `Update` or `Delete`, embedded), to its members collection (FEP-1b12).
pub fn announce(urls: &Urls, activity_id: &str, group: &Url, activity: &Value) -> Value {
    announce_to(urls, activity_id, group, activity, json!([members_of(group)]), None)
}

/// A public Group's `Announce` of a member's public listing (its `Create`, `Update` or `Delete`,
/// embedded), to everyone and its followers: what following a collective from Mastodon shows.
pub fn announce_public(urls: &Urls, activity_id: &str, group: &Url, activity: &Value) -> Value {
    let followers = json!([crate::urls::followers_of(group)]);
    announce_to(urls, activity_id, group, activity, json!([crate::PUBLIC]), Some(followers))
}

fn announce_to(urls: &Urls, activity_id: &str, group: &Url, activity: &Value, to: Value, cc: Option<Value>) -> Value {
    let mut announce = json!({
        "type": "Announce",
        "id": urls.activity(activity_id),
        "actor": group,
        "object": embedded(activity),
        "to": to,
    });
    if let Some(cc) = cc {
        announce["cc"] = cc;
    }
    crate::context::with_context(announce)
}

/// An activity or a document as another one embeds it: without its own `@context`.
pub(crate) fn embedded(document: &Value) -> Value {
    let mut embedded = document.clone();
    if let Value::Object(map) = &mut embedded {
        map.remove("@context");
    }
    embedded
}

/// The activity a Group announces for a listing that reached it by its author's `Create` or
/// `Update` (whose own activity it did not keep): the proposal, as its author wrote it, under an
/// activity of the author's, named after the proposal.
pub fn listing_activity(proposal: &Value, author: &Url, update: bool) -> Value {
    let id = proposal.get("id").and_then(Value::as_str).unwrap_or_default();
    json!({
        "type": if update { "Update" } else { "Create" },
        "id": format!("{id}#{}", if update { "update" } else { "create" }),
        "actor": author,
        "object": proposal,
    })
}

/// A Group's members collection: its members' ids, all of them, in the order they joined.
pub fn members_collection(group: &Url, members: &[String]) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "OrderedCollection",
        "id": members_of(group),
        "totalItems": members.len(),
        "orderedItems": members,
    })
}

/// A received activity about a collective, read for its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupActivity {
    /// `actor` asks to join `group` (accepts an invitation, or a new charter version). `activity`
    /// is the `Join` as received, which an answer embeds.
    Join {
        id: Url,
        actor: Url,
        group: Url,
        charter_version: Option<i64>,
        answers: Vec<String>,
        message: String,
        activity: Value,
    },
    /// `actor` leaves `group`, or declines its invitation.
    Leave { actor: Url, group: Url },
    /// `group` accepted or refused the `Join` of `person` (one of ours) whose id was `join`.
    Answered { group: Url, person: Url, join: Url, accepted: bool, charter_version: Option<i64>, reason: String },
    /// `group` invites `person`.
    Invited { group: Url, person: Url },
    /// `group` says `person` is one of its members (`added`), or no longer (with a reason).
    Membership { group: Url, person: Url, added: bool, charter_version: Option<i64>, reason: String },
    /// `group` announces an activity of a member's about a listing published to it: `Create`,
    /// `Update` or `Delete`, embedded (`activity`), by `author`.
    Announced { group: Url, author: Url, kind: String, activity: Value },
}

/// The `GroupActivity` of a received activity, `None` when it is none (a `Follow`'s answer, a
/// listing's `Add`…); an error when it is one but malformed or lying about who acts.
pub fn read(activity: &Value, actor: &Url, urls: &Urls) -> Result<Option<GroupActivity>, String> {
    let kind = activity.get("type").and_then(Value::as_str).unwrap_or_default();
    let object = activity.get("object");
    let object_id = object.and_then(value_id);
    let id = activity.get("id").and_then(value_id).ok_or("no id")?;
    let reason = text(activity, "content", 2_000).unwrap_or_default();
    Ok(Some(match kind {
        "Join" => {
            let group = object_id.ok_or("a Join of nothing")?;
            let message = match text(activity, "participationMessage", 2_000)? {
                m if m.is_empty() => text(activity, "content", 2_000)?,
                m => m,
            };
            GroupActivity::Join {
                id,
                actor: actor.clone(),
                group,
                charter_version: version(activity, "maillage:charterVersion")?,
                answers: texts(activity, "maillage:answers")?,
                message,
                activity: activity.clone(),
            }
        }
        "Leave" => GroupActivity::Leave { actor: actor.clone(), group: object_id.ok_or("a Leave of nothing")? },
        "Accept" | "Reject" => {
            let (join, person, charter_version) = match object {
                Some(Value::Object(join)) if join.get("type").and_then(Value::as_str) == Some("Join") => {
                    let join_value = Value::Object(join.clone());
                    (
                        join.get("id").and_then(value_id).ok_or("the Join has no id")?,
                        join.get("actor").and_then(value_id).ok_or("the Join has no actor")?,
                        version(&join_value, "maillage:charterVersion")?,
                    )
                }
                Some(Value::String(_)) if object_id.as_ref().is_some_and(|o| is_our_join(urls, o)) => {
                    let person = activity.get("to").and_then(value_id).ok_or("no person answered")?;
                    (object_id.ok_or("no object")?, person, None)
                }
                _ => return Ok(None),
            };
            if !is_our_join(urls, &join) {
                return Err("answers a Join that is not ours".into());
            }
            if let Some(Value::Object(join)) = object
                && join.get("object").and_then(value_id).is_some_and(|group| group != *actor)
            {
                return Err("answers a Join of another group".into());
            }
            GroupActivity::Answered {
                group: actor.clone(),
                person,
                join,
                accepted: kind == "Accept",
                charter_version,
                reason,
            }
        }
        "Invite" => {
            let person = activity.get("target").and_then(value_id).ok_or("an Invite of nobody")?;
            if object_id.as_ref() != Some(actor) {
                return Err("invites to another actor than the one inviting".into());
            }
            GroupActivity::Invited { group: actor.clone(), person }
        }
        "Announce" => {
            // Only an embedded activity about a listing (a boost of a post by its URL is not ours).
            let Some(Value::Object(inner)) = object else { return Ok(None) };
            let inner_kind = inner.get("type").and_then(Value::as_str).unwrap_or_default();
            if !matches!(inner_kind, "Create" | "Update" | "Delete") {
                return Ok(None);
            }
            let author = inner.get("actor").and_then(value_id).ok_or("an announced activity without actor")?;
            GroupActivity::Announced {
                group: actor.clone(),
                author,
                kind: inner_kind.to_owned(),
                activity: Value::Object(inner.clone()),
            }
        }
        "Add" | "Remove" => {
            let target = activity.get("target").and_then(value_id);
            if target.as_ref() != Some(&members_of(actor)) {
                // Not about a Group's members (a Lemmy moderator, a featured post): not ours.
                return Ok(None);
            }
            GroupActivity::Membership {
                group: actor.clone(),
                person: object_id.ok_or("adds nobody")?,
                added: kind == "Add",
                charter_version: version(activity, "maillage:charterVersion")?,
                reason,
            }
        }
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> Urls {
        Urls::new(Url::parse("https://b.example/").unwrap())
    }

    fn group() -> Url {
        Url::parse("https://a.example/collectives/reparateurs").unwrap()
    }

    #[test]
    fn a_join_and_its_answer_are_read_back() {
        let me = Url::parse("https://b.example/members/malik").unwrap();
        let id = join_id(&urls(), "x1");
        let sent = join(&id, &me, &group(), Some(2), &["Fives".into()], "Bonjour");
        let a = Urls::new(Url::parse("https://a.example/").unwrap());
        let received = read(&sent, &me, &a).unwrap().unwrap();
        assert!(matches!(&received, GroupActivity::Join { charter_version: Some(2), message, answers, .. }
            if message == "Bonjour" && answers == &["Fives"]));
        let accepted = answer(&a, "y1", &group(), &sent, true, "");
        let answered = read(&accepted, &group(), &urls()).unwrap().unwrap();
        assert_eq!(
            answered,
            GroupActivity::Answered {
                group: group(),
                person: me.clone(),
                join: id.clone(),
                accepted: true,
                charter_version: Some(2),
                reason: String::new(),
            }
        );
        // The same answer from another actor than the Group joined is refused.
        let other = Url::parse("https://a.example/collectives/autre").unwrap();
        assert!(read(&accepted, &other, &urls()).is_err());
    }

    #[test]
    fn a_mobilizon_join_gives_its_participation_message() {
        let me = Url::parse("https://mobilizon.example/@lea").unwrap();
        let activity = json!({"type": "Join", "id": "https://mobilizon.example/join/1", "actor": me,
            "object": group(), "participationMessage": "Je répare aussi"});
        let read = read(&activity, &me, &urls()).unwrap().unwrap();
        assert!(
            matches!(read, GroupActivity::Join { message, charter_version: None, .. } if message == "Je répare aussi")
        );
    }

    #[test]
    fn a_group_document_is_read_with_bounds() {
        let document = json!({"type": "Group", "maillage:charter": "# Charte", "maillage:charterVersion": 3, "maillage:admission": "approval",
            "maillage:questions": ["Quel atelier ?"], "maillage:members": "https://a.example/collectives/reparateurs/members"});
        let data = read_group(&document, &group()).unwrap();
        assert_eq!((data.charter_version, data.admission.as_str(), data.questions.len()), (3, "approval", 1));
        assert_eq!(data.members, Some(members_of(&group())));
        let lemmy = json!({"type": "Group", "manuallyApprovesFollowers": true,
            "maillage:members": "https://elsewhere.example/members"});
        let data = read_group(&lemmy, &group()).unwrap();
        assert_eq!((data.admission.as_str(), data.members), ("approval", None));
        let huge = json!({"type": "Group", "maillage:charter": "x".repeat(MAX_TEXT + 1)});
        assert!(read_group(&huge, &group()).is_err());
        let many = json!({"type": "Group", "maillage:questions": ["a", "b", "c", "d", "e", "f"]});
        assert!(read_group(&many, &group()).is_err());
    }

    #[test]
    fn only_a_group_adds_to_its_own_members() {
        let person = Url::parse("https://b.example/members/malik").unwrap();
        let added = membership(&urls(), "z", &group(), &person, Some((Some(1), "2026-12-07T10:00:00Z")), "", &[]);
        let read_back = read(&added, &group(), &urls()).unwrap().unwrap();
        assert!(matches!(read_back, GroupActivity::Membership { added: true, charter_version: Some(1), .. }));
        let impostor = Url::parse("https://a.example/collectives/autre").unwrap();
        assert_eq!(read(&added, &impostor, &urls()).unwrap(), None, "another group's members are not its own");
    }
}
