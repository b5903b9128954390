//! The demo's collectives, made once the instances have peered: the repairers' collective of the
//! metropolis, hosted by the lending cooperative, with members on all three instances (one request
//! still waiting for its moderators); and a town's private group, on invitation, with an invitation
//! waiting on another instance.

use std::time::Duration;

use anyhow::Context;

use super::exchanges::Instance;
use crate::domain::collective::{CollectiveInput, CollectiveName, JoinInput, MembershipState};
use crate::domain::member::Member;
use crate::services::{accounts, collectives};
use crate::storage::collectives as storage;

const LENDING: usize = 0;
const BIKES: usize = 1;
const GROCERY: usize = 2;

const REPAIRERS_CHARTER: &str = "# Charte du collectif

Le collectif réunit les ateliers et les réparateurs vélo de la métropole lilloise, bénévoles ou \
salariés, quelle que soit la coopérative dont ils sont membres.

## Ce que nous nous engageons à faire

- **Réparer sans juger** : chacun apprend à son rythme, l'atelier est ouvert à toutes et tous.
- **Transmettre** : montrer plutôt que faire à la place, chaque fois que c'est possible.
- **Pratiquer des prix justes** : prix libre ou prix solidaire pour les personnes qui en ont besoin.
- **Partager nos outils et nos pièces** entre ateliers, par des prêts et des dons.

## Ce que le collectif apporte à ses membres

- une permanence commune par mois ;
- l'entraide entre ateliers (outils spécialisés, pièces rares, coups de main) ;
- une appartenance visible, qui tient lieu de confiance : pas de notes, pas d'avis.

Un membre qui ne respecte pas la charte peut être exclu par les modérateurs, qui lui disent pourquoi.";

const TOWN_CHARTER: &str = "# Règles du groupe

Ce groupe privé permet aux services de la ville de se prêter du matériel (barrières, tables, \
sono, outillage) plutôt que d'en acheter.

- Le matériel prêté revient **propre et à l'heure**.
- Une casse se signale au service prêteur le jour même.
- Le groupe reste entre services : on y entre sur invitation.";

async fn member(instance: &Instance<'_>, username: &str) -> anyhow::Result<Member> {
    accounts::find(instance.services.db(), username)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .with_context(|| format!("no member {username} on {}", instance.profile.slug))
}

fn input(
    display_name: &str,
    purpose: &str,
    charter: &str,
    questions: &[&str],
    admission: &str,
    visibility: &str,
) -> CollectiveInput {
    CollectiveInput {
        display_name: display_name.to_owned(),
        purpose: purpose.to_owned(),
        activities: vec!["bikes-repair".to_owned(), "skills-services".to_owned()],
        territory: "Métropole européenne de Lille".to_owned(),
        charter: charter.to_owned(),
        entry_criteria: String::new(),
        questions: questions.iter().map(|q| (*q).to_owned()).collect(),
        admission: admission.to_owned(),
        visibility: visibility.to_owned(),
    }
}

/// Waits (10 s at most) until `instance` holds `actor`'s membership of the collective `address`
/// in `state`.
async fn reached(instance: &Instance<'_>, address: &str, actor: &str, state: MembershipState) -> anyhow::Result<()> {
    for _ in 0..200 {
        let mut conn = instance.services.db().conn().await?;
        let collective = match address.split_once('@') {
            Some((name, host)) => storage::remote_by_address(&mut conn, &CollectiveName::parse(name)?, host).await?,
            None => storage::local_by_name(&mut conn, &CollectiveName::parse(address)?).await?,
        };
        if let Some(collective) = collective
            && storage::membership(&mut conn, &collective.id, actor).await?.is_some_and(|m| m.membership.state == state)
        {
            return Ok(());
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("{actor} did not reach {state} in {address} on {}", instance.profile.slug)
}

/// Makes the demo's collectives, unless the lending cooperative already hosts one; returns how many.
pub async fn seed(instances: &[Instance<'_>]) -> anyhow::Result<usize> {
    let (Some(host), Some(bikes), Some(grocery)) =
        (instances.get(LENDING), instances.get(BIKES), instances.get(GROCERY))
    else {
        return Ok(0);
    };
    if !storage::visible(&mut *host.services.db().conn().await?, None).await?.is_empty() {
        return Ok(0);
    }
    let fail = |what: &'static str| move |e: crate::error::AppError| anyhow::anyhow!("{what}: {e:?}");
    let host_domain = host.services.urls().domain();

    // The repairers' collective, hosted by the lending cooperative, administered by Sophie.
    let sophie = member(host, "sophie_delattre").await?;
    let repairers = input(
        "Collectif des réparateurs vélo de la MEL",
        "Les ateliers vélo de la métropole s'entraident : outils, pièces, permanences communes, savoir-faire.",
        REPAIRERS_CHARTER,
        &["Dans quel atelier réparez-vous (ou voulez-vous réparer) ?"],
        "approval",
        "public",
    );
    collectives::create(host.services, &sophie, "reparateurs_mel", &repairers)
        .await
        .map_err(fail("the repairers' collective"))?;
    let address = format!("reparateurs_mel@{host_domain}");
    let joiners: [(&Instance<'_>, &str, &str, bool); 4] = [
        (bikes, "atelier_velo", "L'atelier vélo de Roubaix, à l'Union.", true),
        (bikes, "ressourcerie_flandres", "La ressourcerie : nous récupérons des vélos à remettre en état.", true),
        (grocery, "paul_deconinck", "Bénévole à l'atelier du quartier de Fives, le samedi.", true),
        (bikes, "coursiers_du_nord", "Nos coursiers réparent leurs vélos cargo eux-mêmes.", false),
    ];
    for (instance, username, answer, admitted) in joiners {
        let joiner = member(instance, username).await?;
        collectives::look_up(instance.services, &address).await.map_err(fail("looking the collective up"))?;
        let join =
            JoinInput { charter_version: Some(1), answers: vec![answer.to_owned()], message: "Bonjour !".to_owned() };
        collectives::join(instance.services, &joiner, &address, &join).await.map_err(fail("joining"))?;
        let actor = instance.services.urls().member(username).to_string();
        reached(host, "reparateurs_mel", &actor, MembershipState::Requested).await?;
        if admitted {
            let record = storage::membership(
                &mut *host.services.db().conn().await?,
                &collective_id(host, "reparateurs_mel").await?,
                &actor,
            )
            .await?
            .context("the request")?;
            collectives::decide(host.services, &sophie, "reparateurs_mel", record.id.as_str(), true, "")
                .await
                .map_err(fail("admitting"))?;
            reached(instance, &address, &actor, MembershipState::Member).await?;
        }
    }

    // Listings for the collective's members alone: Sophie's, on the lending cooperative, and the
    // bike workshop's, published from its own instance to the collective hosted by the other.
    let repairers_id = collective_id(host, "reparateurs_mel").await?;
    collective_listing(
        host,
        &sophie,
        "lend",
        "Banc de montage à partager entre ateliers",
        "Banc de montage professionnel, à prêter aux ateliers du collectif pour les journées de réparation.",
        &repairers_id,
    )
    .await?;
    let bikes_copy =
        crate::domain::ids::CollectiveId::for_remote(host.services.urls().collective("reparateurs_mel").as_str());
    let atelier = member(bikes, "atelier_velo").await?;
    collective_listing(
        bikes,
        &atelier,
        "give",
        "Lot de chambres à air 26 pouces",
        "Une vingtaine de chambres à air neuves en trop : à donner aux ateliers du collectif.",
        &bikes_copy,
    )
    .await?;

    // The town's private group: its services lend each other equipment, on invitation.
    let jardins = member(host, "jardins_fives").await?;
    let town = input(
        "Prêt de matériel entre services de la ville",
        "Les services municipaux se prêtent barrières, tables, sono et outillage plutôt que d'en racheter.",
        TOWN_CHARTER,
        &[],
        "invitation",
        "private",
    );
    collectives::create(host.services, &jardins, "pret_services_ville", &town)
        .await
        .map_err(fail("the private group"))?;
    collectives::invite(host.services, &jardins, "pret_services_ville", "menuiserie_vandamme")
        .await
        .map_err(fail("inviting"))?;
    let menuiserie = member(host, "menuiserie_vandamme").await?;
    let accept = JoinInput { charter_version: Some(1), ..JoinInput::default() };
    collectives::join(host.services, &menuiserie, "pret_services_ville", &accept).await.map_err(fail("accepting"))?;
    let grocery_domain = grocery.services.urls().domain();
    collectives::invite(host.services, &jardins, "pret_services_ville", &format!("epicerie_asso@{grocery_domain}"))
        .await
        .map_err(fail("inviting across instances"))?;
    let invited = grocery.services.urls().member("epicerie_asso").to_string();
    reached(grocery, &format!("pret_services_ville@{host_domain}"), &invited, MembershipState::Invited).await?;
    Ok(2)
}

/// A listing published to a collective (`collective`: its id on `instance`).
async fn collective_listing(
    instance: &Instance<'_>,
    author: &Member,
    mode: &str,
    title: &str,
    description: &str,
    collective: &crate::domain::ids::CollectiveId,
) -> anyhow::Result<()> {
    let input = crate::domain::listing::ListingInput {
        purpose: "offer".to_owned(),
        mode: mode.to_owned(),
        category: "bikes-repair".to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        location_name: Some("Roubaix".to_owned()),
        visibility: Some("collective".to_owned()),
        collective: Some(collective.to_string()),
        ..crate::domain::listing::ListingInput::default()
    };
    crate::services::listings::create(instance.services, author, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .with_context(|| format!("the listing {title:?} for a collective"))?;
    Ok(())
}

async fn collective_id(instance: &Instance<'_>, name: &str) -> anyhow::Result<crate::domain::ids::CollectiveId> {
    let name = CollectiveName::parse(name)?;
    Ok(storage::local_by_name(&mut *instance.services.db().conn().await?, &name).await?.context("the collective")?.id)
}
