//! How the parties of exchanges are named on pages, in emails and in the calendar: a member of ours
//! by their profile, a member of another instance by our copy of their actor.

use std::collections::HashMap;

use crate::domain::exchange::{ExchangeRecord, PartyRef};
use crate::domain::link::WebLink;
use crate::error::AppResult;
use crate::services::Services;
use crate::storage::{members, remote_actors};

/// How a party is shown: a name, and a link to their profile when there is one to follow.
#[derive(Debug, Clone)]
pub struct PartyName {
    pub name: String,
    /// `user@host` for a member of another instance.
    pub handle: Option<String>,
    pub url: Option<String>,
}

/// The names of the parties of these exchanges, by actor id, each looked up once: ours from their
/// profile, another instance's from our copy of their actor (its page only as a web link).
pub async fn names(services: &Services, records: &[&ExchangeRecord]) -> AppResult<HashMap<String, PartyName>> {
    let mut conn = services.conn().await?;
    let mut names = HashMap::new();
    for party in records.iter().flat_map(|r| [&r.provider, &r.receiver]) {
        if names.contains_key(&party.actor) {
            continue;
        }
        let unknown = PartyName { name: party.actor.clone(), handle: None, url: None };
        let name = match &party.member {
            Some(member) => match members::by_id(&mut conn, member).await? {
                Some(m) => PartyName {
                    name: m.display_name.clone(),
                    handle: None,
                    url: Some(format!("/members/{}", m.username)),
                },
                None => unknown,
            },
            None => match remote_actors::remote_actor(&mut conn, &party.actor).await? {
                Some(actor) => PartyName {
                    name: actor.name.clone(),
                    handle: Some(actor.handle()),
                    url: actor.page.clone().and_then(WebLink::from_url).map(|link| link.to_string()),
                },
                None => unknown,
            },
        };
        names.insert(party.actor.clone(), name);
    }
    Ok(names)
}

/// The name of each side of an exchange: (provider, receiver).
pub async fn party_names(services: &Services, record: &ExchangeRecord) -> AppResult<(PartyName, PartyName)> {
    let mut names = names(services, &[record]).await?;
    let mut take = |party: &PartyRef| {
        names.remove(&party.actor).unwrap_or_else(|| PartyName { name: party.actor.clone(), handle: None, url: None })
    };
    let provider = take(&record.provider);
    let receiver = take(&record.receiver);
    Ok((provider, receiver))
}
