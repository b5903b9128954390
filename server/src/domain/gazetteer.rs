//! The communes of France with a point and their postal codes, offline: `server/data/communes.tsv`
//! (its sources, licences and how it is rebuilt are in `server/data/README.md`), compiled into
//! the binary and read on the first lookup, so that an instance that never looks a place up never
//! spends the memory.
//!
//! A place typed by a member — « Roubaix », « 59100 », « Lille Fives », « 12 rue de Lannoy,
//! Roubaix », « Sainte-Marie (35) » — is looked up by its postal code and its name, ignoring case,
//! accents and punctuation (« st » is « saint »). A text that names no commune is tried word by
//! word: « Lille Fives » is Lille (Fives is a quarter, not a commune). A name several communes
//! share is ambiguous: the candidates are offered, each with a label that finds it alone.

use std::sync::OnceLock;

use super::geo::Point;
use super::message::FieldError;
use super::text::search_form;

const DATA: &str = include_str!("../../data/communes.tsv");

/// Where a commune's point comes from: GeoNames' place (the town centre), or, for the communes
/// GeoNames does not list, the average of those sharing its postal code or its department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Place,
    PostalCode,
    Department,
}

/// A commune: its line of the shipped file (its codes and names are read from there, not copied:
/// the whole list then takes under 2 MB), and its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// Where its line starts in [`DATA`].
    line: u32,
    latitude: f32,
    longitude: f32,
    pub precision: Precision,
}

impl Commune {
    /// The `n`th field of its line.
    fn field(&self, n: usize) -> &'static str {
        DATA[self.line as usize..].split(['\t', '\n']).nth(n).unwrap_or_default()
    }

    /// Its INSEE code (`59512`).
    pub fn insee(&self) -> &'static str {
        self.field(0)
    }

    pub fn name(&self) -> &'static str {
        self.field(1)
    }

    /// Comma-separated, ascending; empty for the few that have none.
    pub fn postal_codes(&self) -> &'static str {
        self.field(2)
    }

    pub fn department(&self) -> &'static str {
        self.field(3)
    }

    pub fn point(&self) -> Point {
        // Four decimals in the file: rounding the f32 back gives them again.
        let round = |v: f32| (f64::from(v) * 10_000.0).round() / 10_000.0;
        Point { latitude: round(self.latitude), longitude: round(self.longitude) }
    }

    /// Its first postal code (a city has several).
    pub fn postal_code(&self) -> &'static str {
        self.postal_codes().split(',').next().unwrap_or_default()
    }

    /// « Roubaix (59100) », or « Sainte-Marie (97230) »: the name and a postal code, which finds
    /// this commune alone when the name does not (a label is looked up again as it is).
    pub fn label(&self) -> String {
        match self.postal_code() {
            "" => format!("{} ({})", self.name(), self.department()),
            code => format!("{} ({code})", self.name()),
        }
    }

    fn has_postal_code(&self, code: &str) -> bool {
        self.postal_codes().split(',').any(|c| c == code)
    }
}

/// What a text names.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(&'static Commune),
    /// Several communes answer: they are offered (at most [`MAX_CANDIDATES`]).
    Ambiguous(Vec<&'static Commune>),
    NotFound,
}

/// How many candidates an ambiguous place offers.
pub const MAX_CANDIDATES: usize = 12;

/// A place in one of the sorted indexes: a text (a name's key in `keys`, or a postal code in
/// [`DATA`]) by its start and length, and the commune's index.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u8,
    commune: u32,
}

struct Gazetteer {
    communes: Vec<Commune>,
    /// The names in search form, one after the other.
    keys: String,
    /// The names (in `keys`), sorted: names and their prefixes are found by binary search.
    by_name: Vec<Entry>,
    /// The postal codes (in [`DATA`]), sorted.
    by_postal_code: Vec<Entry>,
}

fn gazetteer() -> &'static Gazetteer {
    static GAZETTEER: OnceLock<Gazetteer> = OnceLock::new();
    GAZETTEER.get_or_init(load)
}

/// Reads [`DATA`]: one commune a line, after the header.
fn load() -> Gazetteer {
    let mut communes = Vec::with_capacity(36_000);
    let mut keys = String::new();
    let mut by_name = Vec::with_capacity(36_000);
    let mut by_postal_code = Vec::with_capacity(40_000);
    let mut offset = 0;
    for (n, line) in DATA.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        if n == 0 {
            continue;
        }
        let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
        let [_, name, postal_codes, _, latitude, longitude, source] = fields[..] else { continue };
        let (Ok(latitude), Ok(longitude)) = (latitude.parse::<f32>(), longitude.parse::<f32>()) else {
            // The file is ours and checked by the tests; a bad line is skipped, not a panic.
            continue;
        };
        let precision = match source {
            "geonames" => Precision::Place,
            "postal_code" => Precision::PostalCode,
            _ => Precision::Department,
        };
        let index = communes.len() as u32;
        let key = key(name);
        by_name.push(Entry { start: keys.len() as u32, len: key.len().min(255) as u8, commune: index });
        keys.push_str(&key);
        // Where the postal codes start in the line: after the INSEE code and the name.
        let mut code_start = start + fields[0].len() + 1 + name.len() + 1;
        for code in postal_codes.split(',') {
            if !code.is_empty() {
                by_postal_code.push(Entry { start: code_start as u32, len: code.len() as u8, commune: index });
            }
            code_start += code.len() + 1;
        }
        communes.push(Commune { line: start as u32, latitude, longitude, precision });
    }
    keys.shrink_to_fit();
    communes.shrink_to_fit();
    let name_of = |e: &Entry| &keys[e.start as usize..e.start as usize + e.len as usize];
    by_name.sort_by(|a, b| name_of(a).cmp(name_of(b)).then(a.commune.cmp(&b.commune)));
    by_name.shrink_to_fit();
    by_postal_code.sort_by(|a, b| postal(a).cmp(postal(b)).then(a.commune.cmp(&b.commune)));
    by_postal_code.shrink_to_fit();
    Gazetteer { communes, keys, by_name, by_postal_code }
}

/// The postal code of an entry of `by_postal_code`.
fn postal(entry: &Entry) -> &'static str {
    &DATA[entry.start as usize..entry.start as usize + entry.len as usize]
}

/// A name as it is compared: in search form, « st » and « ste » written out.
fn key(name: &str) -> String {
    search_form(name)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that make a text an address, whose commune comes last.
const STREET_WORDS: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "chemin",
    "place",
    "allee",
    "impasse",
    "route",
    "quai",
    "cours",
    "square",
    "passage",
    "sentier",
    "lieu",
    "dit",
    "residence",
    "zone",
    "za",
    "zi",
];

fn is_postal_code(word: &str) -> bool {
    word.len() == 5 && word.bytes().all(|b| b.is_ascii_digit())
}

/// A department code as typed after a name: `59`, `2a`, `971`.
fn is_department(word: &str) -> bool {
    let digits = word.bytes().filter(u8::is_ascii_digit).count();
    (word.len() == 2 && (digits == 2 || word == "2a" || word == "2b")) || (word.len() == 3 && digits == 3)
}

impl Gazetteer {
    /// The key of an entry of `by_name`.
    fn name_key(&self, entry: &Entry) -> &str {
        &self.keys[entry.start as usize..entry.start as usize + entry.len as usize]
    }

    fn with_name(&self, name: &str) -> impl Iterator<Item = &Commune> {
        let start = self.by_name.partition_point(|e| self.name_key(e) < name);
        self.by_name[start..]
            .iter()
            .take_while(move |e| self.name_key(e) == name)
            .map(|e| &self.communes[e.commune as usize])
    }

    fn with_postal_code(&self, code: &str) -> impl Iterator<Item = &Commune> {
        let start = self.by_postal_code.partition_point(|e| postal(e) < code);
        self.by_postal_code[start..]
            .iter()
            .take_while(move |e| postal(e) == code)
            .map(|e| &self.communes[e.commune as usize])
    }

    fn lookup(&'static self, text: &str) -> Lookup {
        // The last part that names something: « 12 rue de Lannoy, 59100 Roubaix ».
        let mut best = Lookup::NotFound;
        for part in text.rsplit([',', ';']) {
            match self.lookup_part(part) {
                Lookup::NotFound => {}
                found @ Lookup::Found(_) => return found,
                ambiguous => {
                    if best == Lookup::NotFound {
                        best = ambiguous;
                    }
                }
            }
        }
        best
    }

    fn lookup_part(&'static self, part: &str) -> Lookup {
        let key = key(part);
        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
        let postal_code = words.iter().copied().find(|w| is_postal_code(w));
        let department = words.iter().copied().find(|w| is_department(w));
        let name_words: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| Some(*w) != postal_code && Some(*w) != department && !w.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        let fits = |c: &Commune| {
            postal_code.is_none_or(|p| c.has_postal_code(p))
                && department.is_none_or(|d| c.department().eq_ignore_ascii_case(d))
        };
        // The whole text, then the commune it starts with (« Lille Fives » is Lille), then, for an
        // address (a number or a street), the commune it ends with (« 12 rue de Lannoy Roubaix »).
        // Not any word inside a text: « Chez ma grand-mère » must not be Grand (Vosges).
        let address = words.iter().any(|w| w.bytes().all(|b| b.is_ascii_digit()) || STREET_WORDS.contains(w));
        let n = name_words.len();
        let mut runs = vec![(0, n)];
        if address {
            runs.extend((1..n).map(|start| (start, n - start)));
        }
        runs.extend((1..n).rev().map(|len| (0, len)));
        for (start, len) in runs {
            let name = name_words[start..start + len].join(" ");
            let found: Vec<&'static Commune> = self.with_name(&name).filter(|c| fits(c)).collect();
            if !found.is_empty() {
                return decide(found);
            }
        }
        // A postal code alone (or beside words that name nothing): its communes.
        postal_code.map_or(Lookup::NotFound, |code| decide(self.with_postal_code(code).collect()))
    }

    fn suggest(&'static self, text: &str, limit: usize) -> Vec<&'static Commune> {
        let key = key(text);
        if key.is_empty() {
            return Vec::new();
        }
        if key.bytes().all(|b| b.is_ascii_digit()) {
            let start = self.by_postal_code.partition_point(|e| postal(e) < key.as_str());
            let mut seen = Vec::new();
            for entry in self.by_postal_code[start..].iter().take_while(|e| postal(e).starts_with(key.as_str())) {
                let commune = &self.communes[entry.commune as usize];
                if !seen.contains(&commune) {
                    seen.push(commune);
                }
                if seen.len() == limit {
                    break;
                }
            }
            return seen;
        }
        let start = self.by_name.partition_point(|e| self.name_key(e) < key.as_str());
        let mut found: Vec<&'static Commune> = self.by_name[start..]
            .iter()
            .take_while(|e| self.name_key(e).starts_with(key.as_str()))
            .map(|e| &self.communes[e.commune as usize])
            .collect();
        // Towns first (those GeoNames lists have over a thousand inhabitants: « Roubaix » before
        // « Roubia »), the shortest names first among them (« Lille » before « Lillebonne »).
        found.sort_by_key(|c| (c.precision != Precision::Place, c.name().len(), c.department(), c.insee()));
        found.truncate(limit);
        found
    }
}

fn decide(mut found: Vec<&'static Commune>) -> Lookup {
    found.sort_by_key(|c| (c.department(), c.insee()));
    found.dedup_by_key(|c| c.insee());
    match found.len() {
        0 => Lookup::NotFound,
        1 => Lookup::Found(found[0]),
        _ => {
            found.truncate(MAX_CANDIDATES);
            Lookup::Ambiguous(found)
        }
    }
}

/// The commune a text names.
pub fn lookup(text: &str) -> Lookup {
    gazetteer().lookup(text)
}

/// Communes whose name or postal code starts as `text` does, for suggestions as a member types.
pub fn suggest(text: &str, limit: usize) -> Vec<&'static Commune> {
    gazetteer().suggest(text, limit)
}

/// Whether a text is a pair of coordinates, `LAT,LON` (the dot as decimal separator).
pub fn is_coordinates(text: &str) -> bool {
    text.split_once(',').is_some_and(|(lat, lon)| {
        let number = |v: &str| !v.trim().is_empty() && v.trim().parse::<f64>().is_ok();
        number(lat) && number(lon)
    })
}

/// The point a text names where one is needed (the catalogue's `near`): coordinates
/// `LAT,LON`, or a commune by its name or postal code. A name several communes share is an error
/// that names them, each by a label that finds it alone.
pub fn point_of(field: &'static str, text: &str) -> Result<Point, FieldError> {
    if is_coordinates(text) {
        return Point::parse_pair(field, text);
    }
    locate(field, text).map(|(_, point)| point)
}

/// A place a member typed without coordinates: the name to keep and the point of the commune it
/// names. The name kept is the commune's own when the text is only its name (« roubaix » is
/// « Roubaix »), the text as typed otherwise (« Lille Fives »).
pub fn locate(field: &'static str, text: &str) -> Result<(String, Point), FieldError> {
    match lookup(text) {
        Lookup::Found(commune) => {
            let name =
                if key(text) == key(commune.name()) { commune.name().to_owned() } else { text.trim().to_owned() };
            Ok((name, commune.point()))
        }
        Lookup::Ambiguous(candidates) => Err(ambiguous(field, text, &candidates)),
        Lookup::NotFound => Err(FieldError::new(field, "error.place_not_found").with("place", text.trim())),
    }
}

/// Whether a text says no more than the commune it names: its name, its label, or a postal code
/// (an address server could add nothing to it).
pub fn names_only(text: &str, commune: &Commune) -> bool {
    let key = key(text);
    let words: Vec<&str> = key.split(' ').filter(|w| !is_postal_code(w) && !is_department(w)).collect();
    words.is_empty() || words.join(" ") == self::key(commune.name())
}

/// Whether `point` is the one the gazetteer gives `name` (coordinates found from the name, which
/// a form need not show).
pub fn is_point_of(name: &str, point: Point) -> bool {
    matches!(lookup(name), Lookup::Found(c) if {
        let p = c.point();
        (p.latitude - point.latitude).abs() < 1e-4 && (p.longitude - point.longitude).abs() < 1e-4
    })
}

/// The candidates of an ambiguous name, when it is one (for a form to offer them).
pub fn candidates(text: &str) -> Vec<&'static Commune> {
    match lookup(text) {
        Lookup::Ambiguous(candidates) => candidates,
        _ => Vec::new(),
    }
}

/// The error of a name several communes share, naming them.
pub fn ambiguous(field: &'static str, text: &str, candidates: &[&Commune]) -> FieldError {
    let labels: Vec<String> = candidates.iter().map(|c| c.label()).collect();
    FieldError::new(field, "error.place_ambiguous").with("place", text.trim()).with("candidates", labels.join(", "))
}

/// The commune with this INSEE code.
pub fn by_insee(insee: &str) -> Option<&'static Commune> {
    let communes = &gazetteer().communes;
    communes.binary_search_by(|c| c.insee().cmp(insee)).ok().map(|i| &communes[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> &'static str {
        match lookup(text) {
            Lookup::Found(c) => c.insee(),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn the_file_is_whole_and_sorted() {
        let g = gazetteer();
        assert!(g.communes.len() > 34_900, "{}", g.communes.len());
        assert!(g.communes.windows(2).all(|w| w[0].insee() < w[1].insee()), "sorted by INSEE code, no duplicate");
        assert!(g.by_name.iter().all(|e| e.len < u8::MAX), "a name's key is longer than an entry holds");
        assert!(g.by_postal_code.iter().all(|e| postal(e).len() == 5), "postal codes are read where they are");
        assert_eq!(DATA.lines().count() - 1, g.communes.len(), "every line read");
        for c in &g.communes {
            let p = c.point();
            assert!((-90.0..=90.0).contains(&p.latitude) && (-180.0..=180.0).contains(&p.longitude), "{c:?}");
        }
    }

    #[test]
    fn names_and_postal_codes_are_found_whatever_the_case_and_accents() {
        assert_eq!(found("Roubaix"), "59512");
        assert_eq!(found("roubaix"), "59512");
        assert_eq!(found("  ROUBAIX "), "59512");
        assert_eq!(found("59100"), "59512");
        assert_eq!(found("Villeneuve-d'Ascq"), "59009");
        assert_eq!(found("villeneuve d ascq"), "59009");
        assert_eq!(found("Mons en Baroeul"), "59410");
        let roubaix = by_insee("59512").unwrap();
        assert_eq!(roubaix.label(), "Roubaix (59100)");
        let p = roubaix.point();
        assert!((p.latitude - 50.69).abs() < 0.02 && (p.longitude - 3.18).abs() < 0.02, "{p:?}");
        assert_eq!(roubaix.precision, Precision::Place);
    }

    #[test]
    fn address_like_texts_find_their_commune() {
        assert_eq!(found("Lille Fives"), "59350");
        assert_eq!(found("12 rue de Lannoy, 59100 Roubaix"), "59512");
        assert_eq!(found("Roubaix 59100"), "59512");
        assert_eq!(found("Paris 11e Arrondissement"), "75111");
        assert_eq!(found("Paris"), "75056");
        assert_eq!(found("St-Amand-les-Eaux"), "59526");
        assert_eq!(found("rue de Lannoy Roubaix"), "59512");
        assert_eq!(lookup("Chez ma grand-mère"), Lookup::NotFound, "no commune inside any text");
        assert_eq!(lookup("Chez moi"), Lookup::NotFound);
    }

    #[test]
    fn a_shared_name_offers_its_communes_and_each_label_finds_one() {
        let Lookup::Ambiguous(candidates) = lookup("Sainte-Marie") else { panic!("Sainte-Marie is ambiguous") };
        assert!(candidates.len() >= 5, "{candidates:?}");
        for candidate in &candidates {
            assert_eq!(found(&candidate.label()), candidate.insee(), "{}", candidate.label());
        }
        // A department after the name tells them apart too.
        assert_eq!(found("Sainte-Marie (35)"), "35294");
        assert_eq!(lookup("Qwzrtplk"), Lookup::NotFound);
        assert_eq!(lookup(""), Lookup::NotFound);
        assert_eq!(lookup("00000"), Lookup::NotFound);
    }

    #[test]
    fn a_point_is_coordinates_or_a_commune() {
        assert_eq!(point_of("near", "50.63,3.06").map(|p| p.latitude), Ok(50.63));
        assert_eq!(point_of("near", "roubaix").map(|p| p.latitude), Ok(by_insee("59512").unwrap().point().latitude));
        assert_eq!(point_of("near", "95,3").map_err(|e| e.message.key), Err("error.latitude_range"));
        assert_eq!(point_of("near", "Nullepart-sur-Rien").map_err(|e| e.message.key), Err("error.place_not_found"));
        let error = point_of("near", "Sainte-Marie").unwrap_err();
        assert_eq!(error.message.key, "error.place_ambiguous");
        assert!(format!("{:?}", error.message.args).contains("Sainte-Marie (35600)"), "{error:?}");
    }

    #[test]
    fn a_typed_place_keeps_its_words_or_the_communes_name() {
        assert_eq!(locate("location.name", "roubaix").map(|(n, _)| n), Ok("Roubaix".to_owned()));
        assert_eq!(locate("location.name", "Lille Fives").map(|(n, _)| n), Ok("Lille Fives".to_owned()));
        let (name, point) = locate("location.name", "59100").unwrap();
        assert_eq!(name, "59100");
        assert!(is_point_of("Roubaix", point) && !is_point_of("Lille", point));
        assert_eq!(locate("location.name", "Sainte-Marie").unwrap_err().message.key, "error.place_ambiguous");
        assert!(candidates("Sainte-Marie").len() > 1 && candidates("Roubaix").is_empty());
    }

    #[test]
    fn a_text_is_only_its_commune_or_more() {
        let roubaix = by_insee("59512").expect("Roubaix");
        for text in ["Roubaix", "roubaix", "Roubaix (59100)", "59100", "59100 Roubaix", "Roubaix 59"] {
            assert!(names_only(text, roubaix), "{text}");
        }
        for text in ["12 rue de Lannoy, Roubaix", "Roubaix centre", "Alma Roubaix"] {
            assert!(!names_only(text, roubaix), "{text}");
        }
    }

    #[test]
    fn suggestions_start_as_typed() {
        let names: Vec<&str> = suggest("roub", 8).iter().map(|c| c.name()).collect();
        assert_eq!(names.first(), Some(&"Roubaix"), "{names:?}");
        let names: Vec<&str> = suggest("Lille", 5).iter().map(|c| c.name()).collect();
        assert_eq!(names.first(), Some(&"Lille"), "{names:?}");
        let by_code: Vec<&str> = suggest("5910", 20).iter().map(|c| c.name()).collect();
        assert!(by_code.contains(&"Roubaix"), "{by_code:?}");
        assert!(suggest("", 8).is_empty());
        assert_eq!(suggest("a", 3).len(), 3);
    }
}
