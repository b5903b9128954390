//! Turns the gazetteer (`data/communes.tsv`) into the index the server reads in place
//! (`domain::gazetteer`): the communes sorted by their name in search form, each a record with all
//! a lookup shows, so that the communes a name or a prefix finds lie side by side; their postal
//! codes sorted; and for each, one key in every [`BLOCK`] copied into a small table that a search
//! reads first. A lookup then allocates nothing and touches a few pages of the binary, not the
//! whole list: an instance keeps its small memory whether its members type places or not.
//!
//! The index (`OUT_DIR/gazetteer.idx`), numbers little-endian:
//! - a header: `GZ02`, then `u32`s: the number of communes, of postal codes, and where each part
//!   starts: the records' offsets, the names' first keys, the postal codes, the codes' first keys;
//! - the records' offsets: one `u32` per commune, and one for the end of the last record;
//! - the records, sorted by key then INSEE code: each its key, name, INSEE code, department and
//!   postal codes (comma-separated) as a length byte and the text, then its latitude and longitude
//!   (`f32`), and how precise its point is (a byte: 0 a place, 1 a postal code's, 2 a department's);
//! - the names' first keys: for every [`BLOCK`]-th record, its key as a length byte and the text,
//!   each found by a `u32` offset given before them all;
//! - the postal codes, sorted by code then commune: 5 bytes and the commune's record (`u32`);
//! - the codes' first keys: every [`BLOCK`]-th postal code, 5 bytes each.

use std::io::Write;
use std::path::PathBuf;

#[path = "src/domain/search_form.rs"]
mod search_form;

/// How many entries a first key stands for (a search reads one block of them).
const BLOCK: usize = 64;

struct Commune<'a> {
    key: String,
    name: &'a str,
    insee: &'a str,
    department: &'a str,
    postal_codes: &'a str,
    latitude: f32,
    longitude: f32,
    precision: u8,
}

fn text(out: &mut Vec<u8>, value: &str) -> Result<(), Box<dyn std::error::Error>> {
    out.push(u8::try_from(value.len()).map_err(|_| format!("{value:?} is longer than 255 bytes"))?);
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

fn u32_of(value: usize) -> Result<u32, Box<dyn std::error::Error>> {
    Ok(u32::try_from(value)?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo::rerun-if-changed=data/communes.tsv");
    println!("cargo::rerun-if-changed=src/domain/search_form.rs");
    let data = std::fs::read_to_string("data/communes.tsv")?;
    let mut communes = Vec::with_capacity(36_000);
    for (n, line) in data.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [insee, name, postal_codes, department, latitude, longitude, source] = fields[..] else {
            return Err(format!("communes.tsv line {}: 7 fields expected", n + 1).into());
        };
        if insee.len() != 5 {
            return Err(format!("communes.tsv line {}: an INSEE code has 5 characters", n + 1).into());
        }
        communes.push(Commune {
            key: search_form::place_key(name),
            name,
            insee,
            department,
            postal_codes,
            latitude: latitude.parse().map_err(|e| format!("line {}: latitude: {e}", n + 1))?,
            longitude: longitude.parse().map_err(|e| format!("line {}: longitude: {e}", n + 1))?,
            precision: match source {
                "geonames" => 0,
                "postal_code" => 1,
                _ => 2,
            },
        });
    }
    communes.sort_by(|a, b| a.key.cmp(&b.key).then(a.insee.cmp(b.insee)));
    let mut codes: Vec<(&str, u32)> = Vec::with_capacity(40_000);
    for (i, commune) in communes.iter().enumerate() {
        for code in commune.postal_codes.split(',').filter(|c| !c.is_empty()) {
            if code.len() != 5 {
                return Err(format!("{}: postal code {code:?} has not 5 digits", commune.insee).into());
            }
            codes.push((code, u32_of(i)?));
        }
    }
    codes.sort();

    let mut records = Vec::with_capacity(communes.len() * 48);
    let mut starts = Vec::with_capacity(communes.len() + 1);
    for commune in &communes {
        starts.push(records.len());
        for value in [commune.key.as_str(), commune.name, commune.insee, commune.department, commune.postal_codes] {
            text(&mut records, value)?;
        }
        records.extend_from_slice(&commune.latitude.to_le_bytes());
        records.extend_from_slice(&commune.longitude.to_le_bytes());
        records.push(commune.precision);
    }
    starts.push(records.len());
    let mut name_tops = Vec::new();
    let mut name_top_starts = Vec::new();
    for commune in communes.iter().step_by(BLOCK) {
        name_top_starts.push(name_tops.len());
        text(&mut name_tops, &commune.key)?;
    }

    // The parts, one after the other after the header (4 + 6 numbers).
    let header = 4 + 6 * 4;
    let offsets_at = header;
    let records_at = offsets_at + starts.len() * 4;
    let name_tops_at = records_at + records.len();
    let name_top_texts_at = name_tops_at + name_top_starts.len() * 4;
    let codes_at = name_top_texts_at + name_tops.len();
    let code_tops_at = codes_at + codes.len() * 9;
    let mut out = Vec::with_capacity(code_tops_at + codes.len().div_ceil(BLOCK) * 5);
    out.extend_from_slice(b"GZ02");
    for value in [communes.len(), codes.len(), offsets_at, name_tops_at, codes_at, code_tops_at] {
        out.extend_from_slice(&u32_of(value)?.to_le_bytes());
    }
    for start in &starts {
        out.extend_from_slice(&u32_of(records_at + start)?.to_le_bytes());
    }
    out.extend_from_slice(&records);
    for start in &name_top_starts {
        out.extend_from_slice(&u32_of(name_top_texts_at + start)?.to_le_bytes());
    }
    out.extend_from_slice(&name_tops);
    for (code, record) in &codes {
        out.extend_from_slice(code.as_bytes());
        out.extend_from_slice(&record.to_le_bytes());
    }
    for (code, _) in codes.iter().step_by(BLOCK) {
        out.extend_from_slice(code.as_bytes());
    }
    let path = PathBuf::from(std::env::var("OUT_DIR")?).join("gazetteer.idx");
    std::fs::File::create(path)?.write_all(&out)?;
    Ok(())
}
