//! The demo's photos: illustrations drawn for Maillage by `server/data/sample-photos/make.py`
//! (CC0-1.0, see its README), each with the title of the sample listing it shows and its alt text
//! (`photos.tsv`). Seeding adds them through the photo service, like a member's upload.

/// The photos' files, by name.
const FILES: &[(&str, &[u8])] = &[
    ("velo-de-ville.jpg", include_bytes!("../../data/sample-photos/velo-de-ville.jpg")),
    ("remorque-velo.jpg", include_bytes!("../../data/sample-photos/remorque-velo.jpg")),
    ("poste-reparation-velo.jpg", include_bytes!("../../data/sample-photos/poste-reparation-velo.jpg")),
    ("roues-26-28-pouces.jpg", include_bytes!("../../data/sample-photos/roues-26-28-pouces.jpg")),
    ("panier-legumes.jpg", include_bytes!("../../data/sample-photos/panier-legumes.jpg")),
    ("pommes-de-terre.jpg", include_bytes!("../../data/sample-photos/pommes-de-terre.jpg")),
    ("pain.jpg", include_bytes!("../../data/sample-photos/pain.jpg")),
    ("miel.jpg", include_bytes!("../../data/sample-photos/miel.jpg")),
    ("perceuse-visseuse.jpg", include_bytes!("../../data/sample-photos/perceuse-visseuse.jpg")),
    ("escabeau.jpg", include_bytes!("../../data/sample-photos/escabeau.jpg")),
    ("velo-cargo.jpg", include_bytes!("../../data/sample-photos/velo-cargo.jpg")),
    ("tente.jpg", include_bytes!("../../data/sample-photos/tente.jpg")),
];

const TABLE: &str = include_str!("../../data/sample-photos/photos.tsv");

/// A sample photo: the file, and its alt text.
pub struct SamplePhoto {
    pub bytes: &'static [u8],
    pub alt: &'static str,
}

/// The photos of the sample listing titled `title`.
pub fn of(title: &str) -> Vec<SamplePhoto> {
    TABLE
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let (file, listing, alt) = (fields.next()?, fields.next()?, fields.next()?);
            let bytes = FILES.iter().find(|(name, _)| *name == file)?.1;
            (listing == title).then_some(SamplePhoto { bytes, alt })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_photo_of_the_table_is_shipped_and_shows_a_sample_listing() {
        let titles: Vec<&str> = super::super::PROFILES
            .iter()
            .flat_map(|p| p.members.iter().flat_map(|m| m.listings.iter().map(|l| l.title)))
            .collect();
        let lines: Vec<&str> = TABLE.lines().skip(1).collect();
        assert_eq!(lines.len(), FILES.len());
        for line in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert!(FILES.iter().any(|(name, _)| *name == fields[0]), "{line}: no such file");
            assert!(titles.contains(&fields[1]), "{line}: no sample listing has this title");
            assert!(!fields[2].is_empty() && fields[2].chars().count() <= 300, "{line}");
        }
    }
}
