//! "Épicerie Solidaire de Villeneuve-d'Ascq": local producers and members in a short circuit.

use super::places::*;
use super::{Profile, SampleListing as L, SampleMember};
use crate::domain::cooperative::Accent;
use crate::domain::listing::{Mode, Unit};
use crate::domain::member::MemberKind;

pub const PROFILE: Profile = Profile {
    slug: "epicerie-solidaire-vda",
    name: "Épicerie Solidaire de Villeneuve-d'Ascq",
    description: "Épicerie associative en circuit court : les producteurs du coin et les adhérents y proposent \
        leurs produits à prix juste, et à prix solidaire pour les foyers aux revenus modestes. On y lutte contre \
        le gaspillage : les invendus sont donnés ou transformés.",
    presentation: "## L'épicerie du quartier, en circuit court\n\
        \n\
        Les producteurs du coin et les adhérents y proposent leurs produits **à prix juste**, et *à prix \
        solidaire* pour les foyers aux revenus modestes (sur justificatif, en toute discrétion).\n\
        \n\
        - Légumes, pain, miel et œufs des fermes des environs\n\
        - Paniers de la semaine à commander jusqu'au lundi\n\
        - Invendus donnés ou transformés : rien ne se perd\n\
        \n\
        Ouverte du mardi au samedi, près du métro Pont de Bois.",
    accent: Accent::Forest,
    logo: include_bytes!("../../data/sample-logos/epicerie-solidaire-vda.png"),
    admin: SampleMember {
        username: "nadia",
        display_name: "Nadia Kaci",
        kind: MemberKind::Person,
        description: "Présidente de l'association, bénévole à la caisse le jeudi.",
        place: VDA_HOTEL_DE_VILLE,
        listings: &[],
    },
    members: &[
        SampleMember {
            username: "helene_vasseur",
            display_name: "Hélène Vasseur",
            kind: MemberKind::Person,
            description: "Adhérente depuis l'ouverture, je donne un coup de main à la distribution et je fais des \
                confitures avec les fruits abîmés.",
            place: VDA_ASCQ,
            listings: &[
                L::offer(
                    Mode::Swap,
                    "food-groceries",
                    "Confitures maison contre légumes",
                    "Confitures de rhubarbe, de prunes et de coings, en pots de 370 g, à échanger contre des \
                    légumes du jardin.",
                )
                .quantity(12.0, Unit::Piece),
                L::offer(
                    Mode::Service,
                    "skills-services",
                    "Coup de main pour la distribution du jeudi",
                    "Disponible le jeudi de 16 h à 19 h pour la mise en rayon et l'accueil des adhérents.",
                )
                .quantity(3.0, Unit::Hour)
                .window(0, 120)
                .at(VDA_HOTEL_DE_VILLE),
                L::need(
                    Mode::Give,
                    "objects-tools-kitchen",
                    "Cherche bocaux en verre",
                    "Pour les confitures et les conserves : bocaux à vis ou à joint, toutes tailles.",
                )
                .quantity(40.0, Unit::Piece),
            ],
        },
        SampleMember {
            username: "ferme_delporte",
            display_name: "Ferme Delporte — maraîchage bio",
            kind: MemberKind::Organisation,
            description: "Maraîchers en agriculture biologique à Sainghin-en-Mélantois : une quarantaine de \
                légumes de saison, vendus à la ferme et à l'épicerie.",
            place: SAINGHIN,
            listings: &[
                L::offer(
                    Mode::Sell,
                    "food-groceries",
                    "Paniers de légumes bio",
                    "Panier hebdomadaire de saison, environ 5 kg : poireaux, carottes, courges, choux et pommes \
                    de terre en ce moment. Retrait le jeudi à l'épicerie. 12 € le panier, 6 € au tarif \
                    solidaire.",
                )
                .quantity(25.0, Unit::Basket)
                .solidarity(1200, 600)
                .per_unit()
                .at(VDA_HOTEL_DE_VILLE),
                L::offer(
                    Mode::Sell,
                    "food-groceries",
                    "Pommes de terre en vrac",
                    "Charlotte et Bintje, 1,50 € le kilo (prix indiqué), en sacs de 10 ou 25 kg.",
                )
                .quantity(400.0, Unit::Kg)
                .price_cents(150)
                .per_unit(),
                L::need(
                    Mode::Swap,
                    "materials-wood",
                    "Cherche caisses en bois pour les marchés",
                    "Nous échangeons volontiers des légumes contre des cagettes ou des caisses en bois solides.",
                )
                .quantity(50.0, Unit::Piece),
                L::offer(
                    Mode::Give,
                    "food-groceries",
                    "Légumes déclassés à donner",
                    "Légumes trop gros, tordus ou un peu abîmés, donnés chaque vendredi aux associations et aux \
                    adhérents de l'épicerie.",
                )
                .quantity(30.0, Unit::Kg)
                .members_only(),
            ],
        },
        SampleMember {
            username: "boulangerie_epi",
            display_name: "Boulangerie L'Épi de Flandre",
            kind: MemberKind::Organisation,
            description: "Boulangerie au levain, avec des farines de moulins de la région. Nous donnons nos \
                invendus plutôt que de les jeter.",
            place: VDA_PONT_DE_BOIS,
            listings: &[
                L::offer(
                    Mode::Give,
                    "food-groceries",
                    "Pain de la veille à donner",
                    "Chaque soir vers 19 h 30 : 5 à 10 kg de pain au levain de la veille, pour l'épicerie et \
                    les adhérents. Prévenez-nous la veille.",
                )
                .quantity(8.0, Unit::Kg)
                .reserved(),
                L::offer(
                    Mode::Give,
                    "materials-cardboard",
                    "Sacs de farine en papier à donner",
                    "Sacs vides de 25 kg en papier kraft, propres : pour le paillage, l'emballage ou le \
                    bricolage.",
                )
                .quantity(60.0, Unit::Piece),
                L::offer(
                    Mode::Share,
                    "equipment-time",
                    "Four à pain disponible l'après-midi",
                    "Notre four à sole est libre de 14 h à 17 h : pour les associations qui veulent cuire leurs \
                    pains ou les gâteaux de la kermesse.",
                )
                .quantity(3.0, Unit::Hour)
                .members_only(),
            ],
        },
        SampleMember {
            username: "brasserie_melantois",
            display_name: "Brasserie du Mélantois",
            kind: MemberKind::Organisation,
            description: "Microbrasserie artisanale à Lezennes, bières bio brassées avec de l'orge des Flandres.",
            place: LEZENNES,
            listings: &[
                L::offer(
                    Mode::Give,
                    "materials",
                    "Drêches de brasserie à donner",
                    "Environ 300 kg de drêches humides après chaque brassin, le mardi et le vendredi : pour \
                    l'alimentation animale, le compost ou la boulangerie. À prendre dans la journée.",
                )
                .quantity(300.0, Unit::Kg),
                L::need(
                    Mode::Give,
                    "materials",
                    "Cherche bouteilles de 75 cl à réemployer",
                    "Bouteilles en verre brun de 75 cl, sans étiquette si possible : nous les lavons et les \
                    remplissons.",
                )
                .quantity(500.0, Unit::Piece),
            ],
        },
        SampleMember {
            username: "paul_deconinck",
            display_name: "Paul Deconinck",
            kind: MemberKind::Person,
            description: "Apiculteur amateur, une vingtaine de ruches entre Tourcoing et la vallée de la Lys.",
            place: TOURCOING,
            listings: &[
                L::offer(
                    Mode::Sell,
                    "food-groceries",
                    "Miel de printemps de la Métropole",
                    "Miel toutes fleurs récolté en mai à Tourcoing, en pots de 500 g à 8 €.",
                )
                .quantity(40.0, Unit::Piece)
                .price_cents(800)
                .per_unit(),
                L::offer(
                    Mode::Lend,
                    "objects-tools",
                    "Extracteur à miel à prêter",
                    "Extracteur manuel 4 cadres, avec maturateur, pour les apiculteurs amateurs de l'épicerie.",
                )
                .quantity(1.0, Unit::Piece)
                .closed(),
            ],
        },
        SampleMember {
            username: "epicerie_asso",
            display_name: "Épicerie Solidaire (l'association)",
            kind: MemberKind::Organisation,
            description: "Le compte de l'association qui fait vivre l'épicerie : locaux, matériel et appels à \
                bénévoles.",
            place: VDA_HOTEL_DE_VILLE,
            listings: &[
                L::offer(
                    Mode::Share,
                    "premises-storage",
                    "Chambre froide à partager le week-end",
                    "Chambre froide positive (2 à 4 °C) de 6 m³, libre du samedi 14 h au lundi 8 h : pour un \
                    producteur, un traiteur solidaire ou une distribution alimentaire.",
                )
                .quantity(6.0, Unit::CubicMetre),
                L::need(
                    Mode::Service,
                    "skills-services",
                    "Cherche bénévoles pour la collecte des fêtes",
                    "Collecte alimentaire dans les supermarchés du quartier avant les fêtes : deux heures de \
                    votre temps suffisent.",
                )
                .quantity(2.0, Unit::Hour)
                .window(3, 30),
                L::offer(
                    Mode::Give,
                    "materials-wood",
                    "Cagettes à donner",
                    "Cagettes en bois qui s'accumulent après les livraisons : pour le jardin, le rangement ou \
                    les marchés.",
                )
                .quantity(50.0, Unit::Piece),
            ],
        },
    ],
};
