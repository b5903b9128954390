//! Places of the Métropole européenne de Lille, with their real coordinates (WGS 84).

use super::Place;

const fn place(name: &'static str, latitude: f64, longitude: f64) -> Place {
    Place { name, latitude, longitude }
}

pub const LILLE_WAZEMMES: Place = place("Lille, Wazemmes", 50.6247, 3.0487);
pub const LILLE_FIVES: Place = place("Lille, Fives", 50.6335, 3.0905);
pub const LILLE_MOULINS: Place = place("Lille, Moulins", 50.6186, 3.0706);
pub const LAMBERSART: Place = place("Lambersart", 50.6500, 3.0250);
pub const MONS_EN_BAROEUL: Place = place("Mons-en-Barœul", 50.6420, 3.1100);
pub const ROUBAIX_CENTRE: Place = place("Roubaix, Grand-Place", 50.6903, 3.1817);
pub const ROUBAIX_EPEULE: Place = place("Roubaix, L'Épeule", 50.6875, 3.1640);
pub const ROUBAIX_ALMA: Place = place("Roubaix, Alma", 50.6960, 3.1700);
pub const CROIX: Place = place("Croix", 50.6780, 3.1500);
pub const TOURCOING: Place = place("Tourcoing", 50.7236, 3.1611);
pub const WATTRELOS: Place = place("Wattrelos", 50.7010, 3.2170);
pub const VDA_HOTEL_DE_VILLE: Place = place("Villeneuve-d'Ascq, Hôtel de Ville", 50.6233, 3.1447);
pub const VDA_PONT_DE_BOIS: Place = place("Villeneuve-d'Ascq, Pont-de-Bois", 50.6280, 3.1300);
pub const VDA_ASCQ: Place = place("Villeneuve-d'Ascq, Ascq", 50.6180, 3.1620);
pub const LEZENNES: Place = place("Lezennes", 50.6150, 3.1130);
pub const SAINGHIN: Place = place("Sainghin-en-Mélantois", 50.5880, 3.1650);
