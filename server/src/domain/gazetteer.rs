//! The communes of France with a point and their postal codes, offline: `server/data/communes.tsv`
//! (its sources, licences and how it is rebuilt are in `server/data/README.md`), compiled into
//! the binary with an index the build script makes (`server/build.rs`: the points, the names in
//! search form and the postal codes, sorted). Both are read in place: a lookup allocates nothing
//! and touches only the pages it reads, so an instance's memory stays small whether its members type
//! places or not.
//!
//! A place typed by a member — « Roubaix », « 59100 », « Lille Fives », « 12 rue de Lannoy,
//! Roubaix », « Sainte-Marie (35) » — is looked up by its postal code and its name, ignoring case,
//! accents and punctuation (« st » is « saint »). A text that names no commune is tried word by
//! word: « Lille Fives » is Lille (Fives is a quarter, not a commune). A name several communes
//! share is ambiguous: the candidates are offered, each with a label that finds it alone.

use super::geo::Point;
use super::message::FieldError;
use super::search_form::place_key as key;

/// The gazetteer as the build script indexed it (`server/build.rs` describes its layout).
const INDEX: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gazetteer.idx"));

/// How many entries one of the first keys stands for (the build script's `BLOCK`).
const BLOCK: usize = 64;

/// Where a commune's point comes from: GeoNames' place (the town centre), or, for the communes
/// GeoNames does not list, the average of those sharing its postal code or its department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Place,
    PostalCode,
    Department,
}

/// The little-endian `u32` at `at` in [`INDEX`] (0 past its end, which the tests rule out).
fn word(at: usize) -> u32 {
    INDEX.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_le_bytes)
}

/// The `n`th number of the header.
fn header(n: usize) -> usize {
    word(4 + 4 * n) as usize
}

fn commune_count() -> usize {
    header(0)
}

/// A commune: its record in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commune(u32);

/// A record's fields, in their order (see the build script).
#[derive(Clone, Copy)]
enum Field {
    Key,
    Name,
    Insee,
    Department,
    PostalCodes,
}

impl Commune {
    fn record(self) -> &'static [u8] {
        let at = header(2) + 4 * self.0 as usize;
        INDEX.get(word(at) as usize..word(at + 4) as usize).unwrap_or_default()
    }

    /// The `field`th text of its record, and what follows it.
    fn text(self, field: Field) -> (&'static str, &'static [u8]) {
        let mut rest = self.record();
        let mut value = "";
        for _ in 0..=field as usize {
            let len = rest.first().map_or(0, |l| usize::from(*l));
            let bytes = rest.get(1..1 + len).unwrap_or_default();
            value = std::str::from_utf8(bytes).unwrap_or_default();
            rest = rest.get(1 + len..).unwrap_or_default();
        }
        (value, rest)
    }

    /// Its name in search form, as the index is sorted.
    fn key(self) -> &'static str {
        self.text(Field::Key).0
    }

    /// Its INSEE code (`59512`).
    pub fn insee(self) -> &'static str {
        self.text(Field::Insee).0
    }

    pub fn name(self) -> &'static str {
        self.text(Field::Name).0
    }

    /// Comma-separated, ascending; empty for the few that have none.
    pub fn postal_codes(self) -> &'static str {
        self.text(Field::PostalCodes).0
    }

    pub fn department(self) -> &'static str {
        self.text(Field::Department).0
    }

    pub fn point(self) -> Point {
        let rest = self.text(Field::PostalCodes).1;
        let float = |at: usize| rest.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0.0, f32::from_le_bytes);
        // Four decimals in the file: rounding the f32 back gives them again.
        let round = |v: f32| (f64::from(v) * 10_000.0).round() / 10_000.0;
        Point { latitude: round(float(0)), longitude: round(float(4)) }
    }

    pub fn precision(self) -> Precision {
        match self.text(Field::PostalCodes).1.get(8) {
            Some(0) => Precision::Place,
            Some(1) => Precision::PostalCode,
            _ => Precision::Department,
        }
    }

    /// Its first postal code (a city has several).
    pub fn postal_code(self) -> &'static str {
        self.postal_codes().split(',').next().unwrap_or_default()
    }

    /// « Roubaix (59100) », or « Sainte-Marie (97230) »: the name and a postal code, which finds
    /// this commune alone when the name does not (a label is looked up again as it is).
    pub fn label(self) -> String {
        match self.postal_code() {
            "" => format!("{} ({})", self.name(), self.department()),
            code => format!("{} ({code})", self.name()),
        }
    }

    fn has_postal_code(self, code: &str) -> bool {
        self.postal_codes().split(',').any(|c| c == code)
    }
}

/// What a text names.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Commune),
    /// Several communes answer: they are offered (at most [`MAX_CANDIDATES`]).
    Ambiguous(Vec<Commune>),
    NotFound,
}

/// How many candidates an ambiguous place offers.
pub const MAX_CANDIDATES: usize = 12;

/// One of the two sorted lists (the communes by key, the postal codes), as a search reads it: the
/// first keys first (one per [`BLOCK`] entries, side by side), then the one block where the text
/// is, so that a search touches a few pages of the index.
#[derive(Clone, Copy)]
enum Sorted {
    Names,
    PostalCodes,
}

impl Sorted {
    fn count(self) -> usize {
        match self {
            Sorted::Names => commune_count(),
            Sorted::PostalCodes => header(1),
        }
    }

    /// The text of entry `i`: a commune's key, or a postal code.
    fn text(self, i: usize) -> &'static str {
        match self {
            Sorted::Names => Commune(i as u32).key(),
            Sorted::PostalCodes => {
                let at = header(4) + 9 * i;
                INDEX.get(at..at + 5).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default()
            }
        }
    }

    fn commune(self, i: usize) -> Commune {
        match self {
            Sorted::Names => Commune(i as u32),
            Sorted::PostalCodes => Commune(word(header(4) + 9 * i + 5)),
        }
    }

    /// The first key of block `b`.
    fn first_key(self, b: usize) -> &'static str {
        let bytes = match self {
            Sorted::Names => {
                let at = word(header(3) + 4 * b) as usize;
                let len = INDEX.get(at).map_or(0, |l| usize::from(*l));
                INDEX.get(at + 1..at + 1 + len)
            }
            Sorted::PostalCodes => INDEX.get(header(5) + 5 * b..header(5) + 5 * b + 5),
        };
        bytes.and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default()
    }

    /// The first entry whose text is not below `text`.
    fn first_from(self, text: &str) -> usize {
        let count = self.count();
        let blocks = count.div_ceil(BLOCK);
        // The first block whose first key is not below `text`: the entry is in the block before
        // it, or is that first key.
        let (mut low, mut high) = (0, blocks);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.first_key(middle) < text {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let end = (low * BLOCK).min(count);
        let start = low.saturating_sub(1) * BLOCK;
        (start..end).find(|i| self.text(*i) >= text).unwrap_or(end)
    }

    /// The communes of the entries whose text passes `keep`, from the first not below `from`.
    fn from(self, from: &str, keep: impl Fn(&str) -> bool) -> impl Iterator<Item = Commune> {
        (self.first_from(from)..self.count()).take_while(move |i| keep(self.text(*i))).map(move |i| self.commune(i))
    }
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

fn with_name(name: &str) -> impl Iterator<Item = Commune> + '_ {
    Sorted::Names.from(name, move |key| key == name)
}

fn with_postal_code(code: &str) -> impl Iterator<Item = Commune> + '_ {
    Sorted::PostalCodes.from(code, move |c| c == code)
}

/// What a text names: the last part of it that names something (« 12 rue de Lannoy, 59100
/// Roubaix »).
pub fn lookup(text: &str) -> Lookup {
    let mut best = Lookup::NotFound;
    for part in text.rsplit([',', ';']) {
        match lookup_part(part) {
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

fn lookup_part(part: &str) -> Lookup {
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
        let found: Vec<Commune> = with_name(&name).filter(|c| fits(c)).collect();
        if !found.is_empty() {
            return decide(found);
        }
    }
    // A postal code alone (or beside words that name nothing): its communes.
    postal_code.map_or(Lookup::NotFound, |code| decide(with_postal_code(code).collect()))
}

/// Communes whose name or postal code starts as `text` does, for suggestions as a member types:
/// towns first (those GeoNames lists have over a thousand inhabitants: « Roubaix » before
/// « Roubia »), the shortest names first among them (« Lille » before « Lillebonne »).
pub fn suggest(text: &str, limit: usize) -> Vec<Commune> {
    let key = key(text);
    if key.is_empty() {
        return Vec::new();
    }
    if key.bytes().all(|b| b.is_ascii_digit()) {
        let mut seen = Vec::new();
        for commune in Sorted::PostalCodes.from(&key, |code| code.starts_with(key.as_str())) {
            if !seen.contains(&commune) {
                seen.push(commune);
            }
            if seen.len() == limit {
                break;
            }
        }
        return seen;
    }
    let mut found: Vec<Commune> = Sorted::Names.from(&key, |name| name.starts_with(key.as_str())).collect();
    found.sort_by_key(|c| (c.precision() != Precision::Place, c.name().len(), c.department(), c.insee()));
    found.truncate(limit);
    found
}

fn decide(mut found: Vec<Commune>) -> Lookup {
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
pub fn names_only(text: &str, commune: Commune) -> bool {
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
pub fn candidates(text: &str) -> Vec<Commune> {
    match lookup(text) {
        Lookup::Ambiguous(candidates) => candidates,
        _ => Vec::new(),
    }
}

/// The error of a name several communes share, naming them.
pub fn ambiguous(field: &'static str, text: &str, candidates: &[Commune]) -> FieldError {
    let labels: Vec<String> = candidates.iter().map(|c| c.label()).collect();
    FieldError::new(field, "error.place_ambiguous").with("place", text.trim()).with("candidates", labels.join(", "))
}

/// The commune with this INSEE code.
pub fn by_insee(insee: &str) -> Option<Commune> {
    // By name is how the index is sorted: this reads it all, for tests and tools only.
    (0..commune_count() as u32).map(Commune).find(|c| c.insee() == insee)
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
    fn the_index_is_whole_and_sorted() {
        assert_eq!(INDEX.get(..4), Some(&b"GZ02"[..]));
        let count = commune_count();
        assert!(count > 34_900, "{count}");
        let lines = include_str!("../../data/communes.tsv").lines().count();
        assert_eq!(lines - 1, count, "every line read");
        let communes: Vec<Commune> = (0..count as u32).map(Commune).collect();
        let mut insee: Vec<&str> = communes.iter().map(|c| c.insee()).collect();
        insee.sort_unstable();
        insee.dedup();
        assert_eq!(insee.len(), count, "no INSEE code twice");
        for c in &communes {
            let p = c.point();
            assert!((-90.0..=90.0).contains(&p.latitude) && (-180.0..=180.0).contains(&p.longitude), "{c:?}");
            assert_eq!(c.insee().len(), 5, "{c:?}");
            assert_eq!(c.key(), key(c.name()), "{c:?}");
        }
        for sorted in [Sorted::Names, Sorted::PostalCodes] {
            assert!((1..sorted.count()).all(|i| sorted.text(i - 1) <= sorted.text(i)), "sorted");
            for b in 0..sorted.count().div_ceil(BLOCK) {
                assert_eq!(sorted.first_key(b), sorted.text(b * BLOCK), "block {b}'s first key");
            }
        }
        assert!((0..Sorted::PostalCodes.count()).all(|i| Sorted::PostalCodes.text(i).len() == 5));
        // A search finds the first entry of its text, wherever the blocks cut.
        for i in (0..count).step_by(97) {
            let text = Sorted::Names.text(i);
            let first = Sorted::Names.first_from(text);
            assert!(first <= i && Sorted::Names.text(first) == text, "{text}");
            assert!(first == 0 || Sorted::Names.text(first - 1) < text, "{text}");
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
        assert_eq!(roubaix.precision(), Precision::Place);
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
