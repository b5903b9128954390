//! "Atelier Vélo Solidaire de Roubaix": a bike repair workshop run by its members.

use super::places::*;
use super::{Profile, SampleListing as L, SampleMember};
use crate::domain::cooperative::Accent;
use crate::domain::listing::{Mode, Unit};
use crate::domain::member::MemberKind;

pub const PROFILE: Profile = Profile {
    slug: "atelier-velo-roubaix",
    name: "Atelier Vélo Solidaire de Roubaix",
    description: "Atelier participatif et solidaire : on y apprend à réparer soi-même son vélo, avec les outils \
        de l'atelier et les conseils des bénévoles. Vélos d'occasion remis en état, pièces de récupération, \
        révisions à prix libre. Ouvert le mercredi après-midi et le samedi, quartier de l'Épeule.",
    presentation: "## Un atelier pour réparer soi-même\n\
        \n\
        L'**Atelier Vélo Solidaire** prête ses outils et ses conseils : on y apprend à réparer son vélo, avec \
        les bénévoles de l'atelier. Vélos d'occasion remis en état, pièces de récupération, révisions *à prix \
        libre*.\n\
        \n\
        ## Horaires\n\
        \n\
        - le mercredi de 14 h à 18 h\n\
        - le samedi de 10 h à 17 h\n\
        \n\
        Quartier de l'Épeule, à Roubaix. Adhésion à prix libre, pour tous les âges.",
    accent: Accent::Brick,
    logo: include_bytes!("../../data/sample-logos/atelier-velo-roubaix.png"),
    admin: SampleMember {
        username: "yasmine",
        display_name: "Yasmine Haddad",
        kind: MemberKind::Person,
        description: "Salariée de l'atelier, je coordonne les permanences et l'accueil des bénévoles.",
        place: ROUBAIX_EPEULE,
        listings: &[],
    },
    members: &[
        SampleMember {
            username: "thomas_meca",
            display_name: "Thomas Vandenberghe",
            kind: MemberKind::Person,
            description: "Mécanicien bénévole, vingt ans de cyclotourisme. Les freins, les dérailleurs et les roues \
                voilées n'ont plus de secret pour moi.",
            place: ROUBAIX_CENTRE,
            listings: &[
                L::offer(
                    Mode::Service,
                    "bikes-repair",
                    "Révision de vélo à prix libre",
                    "Révision complète : réglage des freins et des vitesses, graissage de la chaîne, contrôle \
                    des roues et de l'éclairage. Environ une heure, à l'atelier le samedi ; vous donnez ce que \
                    vous pouvez.",
                )
                .quantity(1.0, Unit::Hour)
                .pay_what_you_can(Some(1000))
                .at(ROUBAIX_EPEULE),
                L::offer(
                    Mode::Service,
                    "skills-services",
                    "Cours de mécanique vélo pour débutants",
                    "Trois séances d'une heure et demie pour apprendre à réparer une crevaison, régler ses \
                    freins et entretenir sa transmission. Six personnes au plus. 15 € les trois séances, \
                    5 € au tarif solidaire.",
                )
                .quantity(3.0, Unit::Session)
                .solidarity(1500, 500)
                .window(7, 60)
                .at(ROUBAIX_EPEULE),
                L::offer(
                    Mode::Service,
                    "bikes-repair",
                    "Dévoilage de roues",
                    "Je redresse vos roues voilées sur le banc de l'atelier ; rayons remplacés si besoin, \
                    fournis par l'atelier. Une séance par roue.",
                )
                .counted_in(Unit::Session)
                .price_cents(500)
                .per_unit()
                .at(ROUBAIX_EPEULE),
            ],
        },
        SampleMember {
            username: "atelier_velo",
            display_name: "Atelier Vélo Solidaire (l'association)",
            kind: MemberKind::Organisation,
            description: "Le compte de l'association : vélos reconditionnés, créneaux d'atelier et collectes de \
                vélos.",
            place: ROUBAIX_EPEULE,
            listings: &[
                L::offer(
                    Mode::Sell,
                    "bikes-repair",
                    "Vélos reconditionnés à prix solidaire",
                    "Vélos de ville et VTC révisés par les bénévoles, garantis trois mois. De 40 à 120 € selon \
                    le modèle (prix indiqué : vélo de ville courant) ; tarif réduit sur présentation de la \
                    carte solidaire.",
                )
                .quantity(12.0, Unit::Piece)
                .solidarity(6000, 3000)
                .per_unit(),
                L::offer(
                    Mode::Share,
                    "equipment-time",
                    "Poste de réparation équipé : créneaux",
                    "Pied d'atelier, clés, dérive-chaîne, extracteurs : réservez un poste pour réparer vous-même \
                    votre vélo, un bénévole n'est jamais loin. Créneaux de deux heures.",
                )
                .quantity(2.0, Unit::Hour),
                L::need(
                    Mode::Give,
                    "bikes-repair",
                    "Cherche vélos inutilisés à remettre en état",
                    "Un vélo oublié au fond d'un garage ou d'une cave ? Donnez-le : nous le réparons et il \
                    repart avec quelqu'un qui en a besoin. Même rouillé, même sans roues.",
                )
                .quantity(30.0, Unit::Piece),
                L::offer(
                    Mode::Give,
                    "materials",
                    "Chambres à air usagées à donner",
                    "Environ 15 kg de chambres à air percées : pour la maroquinerie, des liens de jardin ou des \
                    ateliers créatifs.",
                )
                .quantity(15.0, Unit::Kg),
            ],
        },
        SampleMember {
            username: "coursiers_du_nord",
            display_name: "Les Coursiers du Nord",
            kind: MemberKind::Organisation,
            description: "Coopérative (SCOP) de livraison à vélo cargo dans la métropole lilloise : colis, courses \
                et repas, douze coursiers salariés.",
            place: LILLE_MOULINS,
            listings: &[
                L::offer(
                    Mode::Lend,
                    "transport-logistics",
                    "Remorque vélo 100 kg à prêter",
                    "Remorque à deux roues, charge utile 100 kg, attelage universel. Prêtée le dimanche et les \
                    jours fériés, quand nos coursiers ne roulent pas.",
                )
                .quantity(1.0, Unit::Piece),
                L::need(
                    Mode::Share,
                    "premises-storage",
                    "Cherche local pour stocker six vélos cargo",
                    "Garage ou rez-de-chaussée sécurisé d'environ 30 m², accessible tôt le matin, entre Roubaix \
                    et l'est de Lille. Nous pouvons partager le loyer ou les frais.",
                )
                .quantity(30.0, Unit::SquareMetre)
                .at(CROIX),
                L::offer(
                    Mode::Service,
                    "transport-logistics",
                    "Livraison à vélo cargo dans Roubaix",
                    "Livraison de colis jusqu'à 80 kg dans Roubaix, Croix et Wattrelos, le jour même. 8 € la \
                    course, tarif associatif.",
                )
                .price_cents(800)
                .at(ROUBAIX_CENTRE),
            ],
        },
        SampleMember {
            username: "lea_bonnel",
            display_name: "Léa Bonnel",
            kind: MemberKind::Person,
            description: "Étudiante à la Cité scientifique, je fais tous mes trajets à vélo, même en hiver.",
            place: VDA_PONT_DE_BOIS,
            listings: &[
                L::offer(
                    Mode::Sell,
                    "bikes-repair",
                    "Vélo de ville à vendre, cadre 52 cm",
                    "Sept vitesses, garde-boue et porte-bagages, révisé à l'atelier cet automne. Je pars en \
                    Erasmus : 90 €.",
                )
                .quantity(1.0, Unit::Piece)
                .price_cents(9000)
                .reserved(),
                L::need(
                    Mode::Give,
                    "bikes-repair",
                    "Cherche éclairage vélo à dynamo",
                    "Pour rouler l'hiver sans penser à recharger : phare et feu arrière à dynamo, d'occasion.",
                )
                .quantity(1.0, Unit::Piece)
                .window(0, 60),
            ],
        },
        SampleMember {
            username: "karim_saidi",
            display_name: "Karim Saïdi",
            kind: MemberKind::Person,
            description: "Je bricole les vélos de mes enfants et de mes voisins.",
            place: ROUBAIX_ALMA,
            listings: &[
                L::offer(
                    Mode::Swap,
                    "bikes-repair",
                    "Roue 26 pouces contre roue 28 pouces",
                    "Roue arrière 26 pouces avec cassette 8 vitesses, en bon état, à échanger contre une roue \
                    arrière 28 pouces (700C).",
                )
                .quantity(1.0, Unit::Piece),
                L::need(
                    Mode::Give,
                    "objects-tools-children",
                    "Cherche siège enfant pour vélo",
                    "Siège enfant arrière, fixation sur porte-bagages, pour ma fille de 3 ans.",
                )
                .quantity(1.0, Unit::Piece),
                L::offer(
                    Mode::Give,
                    "bikes-repair",
                    "Vélos enfant 16 pouces à donner",
                    "Deux vélos enfant 16 pouces (4 à 6 ans), pneus à regonfler, sinon en état de marche.",
                )
                .quantity(2.0, Unit::Piece)
                .closed(),
            ],
        },
        SampleMember {
            username: "ressourcerie_flandres",
            display_name: "La Ressourcerie des Flandres",
            kind: MemberKind::Organisation,
            description: "Association de réemploi et chantier d'insertion : nous collectons, trions et revendons à \
                petit prix ce qui serait jeté.",
            place: TOURCOING,
            listings: &[
                L::offer(
                    Mode::Give,
                    "materials-metal",
                    "Cadres de vélo en acier à récupérer",
                    "Une vingtaine de cadres en acier trop abîmés pour être revendus : pour les pièces, la \
                    soudure ou la création.",
                )
                .quantity(20.0, Unit::Piece)
                .at(WATTRELOS),
                L::offer(
                    Mode::Sell,
                    "bikes-repair",
                    "Pièces détachées d'occasion au kilo",
                    "Dérailleurs, pédaliers, freins, garde-boue, triés par bac. 3 € le kilo (prix indiqué), \
                    environ 40 kg disponibles.",
                )
                .quantity(40.0, Unit::Kg)
                .price_cents(300)
                .per_unit()
                .members_only(),
            ],
        },
    ],
};
