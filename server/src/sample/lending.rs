//! "La Coop du Prêt — Lille": objects lent between neighbours.

use super::places::*;
use super::{Profile, SampleListing as L, SampleMember};
use crate::domain::cooperative::Accent;
use crate::domain::listing::{Mode, Unit};
use crate::domain::member::MemberKind;

pub const PROFILE: Profile = Profile {
    slug: "coop-du-pret",
    name: "La Coop du Prêt — Lille",
    description: "Coopérative de prêt d'objets entre voisins de la métropole lilloise. Perceuse, escabeau, \
        appareil à raclette, remorque : empruntez ce qui dort dans les placards des autres plutôt que d'acheter \
        neuf. Pas de notes ni de classements : la confiance vient de l'adhésion à la coopérative.",
    presentation: "## Qui sommes-nous\n\
        \n\
        La **Coop du Prêt** est une coopérative de voisins de la métropole lilloise : ce qui dort dans les \
        placards des uns sert aux autres. Perceuse, escabeau, tente, remorque : *empruntez plutôt que d'acheter \
        neuf*.\n\
        \n\
        ## Comment ça marche\n\
        \n\
        - Adhérez (c'est gratuit), puis publiez ce que vous prêtez ou ce que vous cherchez.\n\
        - Convenez du jour avec le membre qui prête, et rendez l'objet comme vous l'avez trouvé.\n\
        - Pas de notes ni de classements : la confiance vient de l'adhésion à la coopérative.\n\
        \n\
        ## Permanence\n\
        \n\
        Le mercredi de 18 h à 20 h à la maison de quartier de Wazemmes, pour accueillir les nouveaux membres.",
    accent: Accent::Teal,
    logo: include_bytes!("../../data/sample-logos/coop-du-pret.png"),
    admin: SampleMember {
        username: "camille",
        display_name: "Camille Lefebvre",
        kind: MemberKind::Person,
        description: "Coordinatrice bénévole de la Coop du Prêt. Permanence le mercredi soir à la maison de \
            quartier de Wazemmes pour accueillir les nouveaux membres.",
        place: LILLE_WAZEMMES,
        listings: &[],
    },
    members: &[
        SampleMember {
            username: "mehdi",
            display_name: "Mehdi Benali",
            kind: MemberKind::Person,
            description: "Bricoleur du dimanche, je prête volontiers mes outils. Je déménage à Roubaix en janvier.",
            place: LILLE_FIVES,
            listings: &[
                L::offer(
                    Mode::Lend,
                    "objects-tools-diy",
                    "Perceuse-visseuse à prêter",
                    "Perceuse-visseuse sans fil 18 V avec deux batteries et un coffret de forets (bois, métal, \
                    béton). À récupérer à Fives en semaine après 18 h, à rendre sous une semaine.",
                )
                .quantity(1.0, Unit::Piece),
                L::offer(
                    Mode::Lend,
                    "objects-tools-diy",
                    "Escabeau 5 marches",
                    "Escabeau en aluminium, hauteur de travail d'environ 3 m. Idéal pour repeindre un plafond ou \
                    changer une ampoule haut perchée.",
                )
                .quantity(1.0, Unit::Piece),
                L::need(
                    Mode::Lend,
                    "transport-logistics",
                    "Cherche remorque vélo pour un déménagement",
                    "Je déménage de Fives à Roubaix et je voudrais faire quelques allers-retours à vélo : je \
                    cherche une remorque qui supporte au moins 50 kg, pour un week-end.",
                )
                .quantity(1.0, Unit::Piece)
                .window(40, 60),
                L::need(
                    Mode::Give,
                    "materials-cardboard",
                    "Cherche cartons de déménagement",
                    "Une trentaine de cartons solides, même déjà servis. Je peux passer les chercher dans Lille \
                    ou à Hellemmes.",
                )
                .quantity(30.0, Unit::Piece)
                .window(0, 45),
            ],
        },
        SampleMember {
            username: "sophie_delattre",
            display_name: "Sophie Delattre",
            kind: MemberKind::Person,
            description: "Maman de deux enfants, je fais le tri et je prête ce qui ne sert qu'une fois par an.",
            place: LAMBERSART,
            listings: &[
                L::offer(
                    Mode::Lend,
                    "objects-tools-kitchen",
                    "Appareil à raclette 8 personnes",
                    "Appareil à raclette avec plaque grill et huit poêlons. Parfait pour les soirées d'hiver ; \
                    merci de le rendre propre !",
                )
                .quantity(1.0, Unit::Piece),
                L::offer(
                    Mode::Give,
                    "objects-tools-children",
                    "Poussette canne et porte-bébé à donner",
                    "Poussette canne légère et porte-bébé physiologique (jusqu'à 15 kg), en bon état. Nos \
                    enfants ont grandi !",
                )
                .quantity(2.0, Unit::Piece)
                .reserved(),
                L::offer(
                    Mode::Lend,
                    "objects-tools-garden",
                    "Tondeuse hélicoïdale",
                    "Tondeuse manuelle sans moteur, silencieuse, largeur de coupe 38 cm : pour un petit jardin \
                    de ville. Disponible à partir du printemps.",
                )
                .quantity(1.0, Unit::Piece)
                .window(100, 280),
                L::offer(
                    Mode::Service,
                    "skills-services",
                    "Initiation à la couture, le samedi matin",
                    "Je vous apprends à faire un ourlet, poser une fermeture éclair ou raccommoder un jean, sur \
                    ma machine ou la vôtre. Deux heures, chez moi à Lambersart.",
                )
                .quantity(2.0, Unit::Hour),
            ],
        },
        SampleMember {
            username: "menuiserie_vandamme",
            display_name: "Menuiserie Vandamme",
            kind: MemberKind::Organisation,
            description: "Menuiserie artisanale à Tourcoing depuis 1987 : agencement, escaliers, fenêtres en bois. \
                Nous donnons nos chutes plutôt que de les brûler.",
            place: TOURCOING,
            listings: &[
                L::offer(
                    Mode::Give,
                    "materials-wood",
                    "Chutes de bois de chêne et de hêtre",
                    "Chutes de 20 à 80 cm, sèches et non traitées : pour le bricolage, les ateliers d'enfants ou \
                    le petit mobilier. À venir chercher à l'atelier, du lundi au vendredi de 8 h à 16 h.",
                )
                .quantity(0.5, Unit::CubicMetre),
                L::offer(
                    Mode::Give,
                    "materials-pallets",
                    "Palettes Europe (x20) à donner",
                    "Vingt palettes EPAL 120 × 80 en bon état, marquage HT (traitement thermique, sans produit \
                    chimique). Idéal pour du mobilier ou un composteur. Prévoir un utilitaire.",
                )
                .quantity(20.0, Unit::Piece)
                .window(0, 30),
                L::offer(
                    Mode::Lend,
                    "objects-tools-diy",
                    "Scie à onglet radiale à prêter le week-end",
                    "Scie à onglet radiale 254 mm, prêtée du vendredi soir au lundi matin, avec une \
                    démonstration à la première utilisation.",
                )
                .quantity(1.0, Unit::Piece)
                .members_only(),
            ],
        },
        SampleMember {
            username: "jardins_fives",
            display_name: "Jardins partagés de Fives",
            kind: MemberKind::Organisation,
            description: "Association de jardiniers amateurs : quarante parcelles à Fives, un compost collectif et \
                des ateliers ouverts à tous le samedi matin.",
            place: LILLE_FIVES,
            listings: &[
                L::offer(
                    Mode::Share,
                    "objects-tools-garden",
                    "Broyeur de végétaux à partager",
                    "Broyeur électrique 2 500 W acheté en commun par l'association. Réservation à la \
                    demi-journée ; la première utilisation se fait avec un membre du bureau.",
                )
                .quantity(1.0, Unit::Piece),
                L::need(
                    Mode::Give,
                    "objects-tools-garden",
                    "Cherche récupérateurs d'eau de pluie",
                    "Pour les parcelles du fond : deux ou trois cuves de 200 à 1 000 litres, même un peu \
                    abîmées.",
                )
                .quantity(1000.0, Unit::Litre),
                L::offer(
                    Mode::Swap,
                    "objects-tools-garden",
                    "Plants de tomates anciennes à échanger",
                    "Cœur de bœuf, noire de Crimée, green zebra : une cinquantaine de plants à échanger contre \
                    d'autres plants ou des graines, au printemps.",
                )
                .quantity(50.0, Unit::Piece)
                .window(140, 190),
                L::offer(
                    Mode::Give,
                    "objects-tools-garden",
                    "Compost mûr à donner",
                    "Compost de deux ans, tamisé, issu des déchets verts des parcelles. Venez avec vos seaux ou \
                    vos sacs le samedi matin.",
                )
                .quantity(0.3, Unit::CubicMetre)
                .closed(),
            ],
        },
        SampleMember {
            username: "julien_morel",
            display_name: "Julien Morel",
            kind: MemberKind::Person,
            description: "Cycliste au quotidien et campeur l'été. Je prête mon matériel quand il dort au garage.",
            place: MONS_EN_BAROEUL,
            listings: &[
                L::offer(
                    Mode::Lend,
                    "bikes-repair",
                    "Vélo cargo biporteur",
                    "Biporteur à assistance électrique, caisse en bois pour deux enfants ou 80 kg de courses. \
                    Prêt à la journée ou au week-end ; antivol et housse de pluie fournis.",
                )
                .quantity(1.0, Unit::Piece),
                L::offer(
                    Mode::Lend,
                    "sports-gear",
                    "Tente 4 places",
                    "Tente dôme 4 places, montée en dix minutes, avec tapis de sol. À rendre sèche, s'il vous \
                    plaît !",
                )
                .quantity(1.0, Unit::Piece)
                .from_day(120),
                L::offer(
                    Mode::Lend,
                    "sports-gear",
                    "Raquettes de badminton et volants",
                    "Quatre raquettes et une boîte de volants, pour le parc ou la salle.",
                )
                .quantity(4.0, Unit::Piece)
                .closed(),
                L::need(
                    Mode::Lend,
                    "objects-tools",
                    "Cherche nettoyeur haute pression",
                    "Pour nettoyer une terrasse de 20 m² avant l'hiver ; une demi-journée suffit.",
                )
                .quantity(1.0, Unit::Piece)
                .window(0, 14),
            ],
        },
    ],
};
