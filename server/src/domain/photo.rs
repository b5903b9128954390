//! Photos: a listing's (up to [`MAX_PHOTOS`], each with its alt text), and the images behind them —
//! ours, re-encoded at a few widths when they are uploaded, or another server's, which we fetch,
//! re-encode the same way and keep the first time someone looks at them.

use super::FieldError;
use super::ids::ImageId;

/// Photos a listing may have.
pub const MAX_PHOTOS: usize = 6;
/// The longest alt text, in characters: a sentence or two, what a screen reader reads out.
pub const MAX_ALT_CHARS: usize = 300;
/// The widths we keep of every image, in pixels: a card's thumbnail, a phone's screen, a gallery on
/// a desktop. An image narrower than one of them is kept at its own width instead.
pub const WIDTHS: [u32; 3] = [320, 640, 1280];
/// The width shown on catalogue cards.
pub const THUMBNAIL_WIDTH: u32 = 320;
/// The widths of an avatar, cut square: beside a name (48 CSS pixels on a sharp screen) and on a
/// profile page or another server (Mastodon shows 400 × 400).
pub const AVATAR_WIDTHS: [u32; 2] = [96, 400];
/// The widths of a cooperative's logo: in the header of every page, and on its front page.
pub const LOGO_WIDTHS: [u32; 2] = [160, 480];
/// The widest rendition of any kind: `/media/` names no wider file.
const WIDEST: u32 = WIDTHS[WIDTHS.len() - 1];

/// What an image is for, which decides the sizes it is kept at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A listing's photo, kept with its proportions.
    Photo,
    /// A member's (or another server's actor's) picture, cut square around its centre.
    Avatar,
    /// A cooperative's logo, kept with its proportions.
    Logo,
}

impl ImageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Avatar => "avatar",
            Self::Logo => "logo",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Photo, Self::Avatar, Self::Logo].into_iter().find(|k| k.as_str() == text)
    }

    /// The widths it is kept at, smallest first.
    pub fn widths(self) -> &'static [u32] {
        match self {
            Self::Photo => &WIDTHS,
            Self::Avatar => &AVATAR_WIDTHS,
            Self::Logo => &LOGO_WIDTHS,
        }
    }

    pub fn is_square(self) -> bool {
        self == Self::Avatar
    }

    /// The sizes (width, height) to keep of an image `width` × `height` pixels (once turned the
    /// way it is shown): each of [`Self::widths`] it is wider than, and its own width when it is
    /// narrower than the widest of them. An avatar is first cut to the square of its shorter side.
    pub fn rendition_sizes(self, width: u32, height: u32) -> Vec<(u32, u32)> {
        let (width, height) = (width.max(1), height.max(1));
        let (width, height) = if self.is_square() { (width.min(height), width.min(height)) } else { (width, height) };
        let widths = self.widths();
        let mut sizes: Vec<(u32, u32)> =
            widths.iter().filter(|w| **w < width).map(|w| (*w, scaled_height(width, height, *w))).collect();
        if width <= widths[widths.len() - 1] {
            sizes.push((width, height));
        }
        sizes
    }
}

/// An image we serve (at `/media/ID-WIDTH.jpg`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: ImageId,
    pub kind: ImageKind,
    /// The size of the largest rendition (for another server's image not fetched yet, the size it
    /// announced, which only shapes the page until the image is read).
    pub width: u32,
    pub height: u32,
    /// The widths on disk, smallest first; empty for another server's image not fetched yet.
    pub widths: Vec<u32>,
    /// Another server's image (fetched on first view).
    pub remote: bool,
    /// Another server's image that could not be fetched or read when last tried: not shown.
    pub failed: bool,
}

impl Image {
    /// Whether a page may show it: ours, or another server's not known to be bad.
    pub fn shown(&self) -> bool {
        !self.widths.is_empty() || (self.remote && !self.failed)
    }

    /// The widths a page may ask for: those on disk, or for another server's image not fetched
    /// yet, those it will have.
    pub fn offered_widths(&self) -> Vec<u32> {
        if self.widths.is_empty() {
            self.kind.rendition_sizes(self.width, self.height).iter().map(|s| s.0).collect()
        } else {
            self.widths.clone()
        }
    }

    /// The rendition to serve for a request of `wanted` pixels: the smallest at least as wide, or
    /// the widest there is.
    pub fn best_width(&self, wanted: u32) -> Option<u32> {
        self.widths.iter().copied().find(|w| *w >= wanted).or_else(|| self.widths.last().copied())
    }

    /// The height of the rendition `width` pixels wide.
    pub fn height_at(&self, width: u32) -> u32 {
        scaled_height(self.width, self.height, width)
    }
}

/// The file name (and the last segment of the URL) of one rendition.
pub fn file_name(id: &ImageId, width: u32) -> String {
    format!("{id}-{width}.jpg")
}

/// `ID-WIDTH.jpg` back to its parts; junk is `None`.
pub fn parse_file_name(name: &str) -> Option<(ImageId, u32)> {
    let (id, width) = name.strip_suffix(".jpg")?.split_once('-')?;
    let width = width.parse().ok().filter(|w| (1..=WIDEST).contains(w))?;
    Some((ImageId::parse(id)?, width))
}

fn scaled_height(width: u32, height: u32, to_width: u32) -> u32 {
    ((u64::from(height.max(1)) * u64::from(to_width)).div_ceil(u64::from(width.max(1)))).max(1) as u32
}

/// A listing's photo: an image and what it shows, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub image: Image,
    pub alt: String,
}

/// An alt text: what the photo shows, for those who cannot see it. May be empty (a page then says
/// « Photo N of the listing … »), at most [`MAX_ALT_CHARS`] characters, on one line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AltText(String);

impl AltText {
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > MAX_ALT_CHARS {
            return Err(FieldError::new("alt", "error.too_long").with("max", MAX_ALT_CHARS));
        }
        if text.chars().any(char::is_control) {
            return Err(FieldError::new("alt", "error.control_characters"));
        }
        Ok(Self(text))
    }

    /// Another server's alt text (its `name`): whitespace folded, cut at [`MAX_ALT_CHARS`].
    pub fn received(text: &str) -> Self {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Self(text.chars().filter(|c| !c.is_control()).take(MAX_ALT_CHARS).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What an uploaded or fetched image file may be (from the `[media]` configuration).
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Size of the file, in bytes.
    pub max_bytes: usize,
    /// Width × height.
    pub max_pixels: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_kept_at_the_widths_it_is_wider_than_and_at_its_own() {
        let photo = |w, h| ImageKind::Photo.rendition_sizes(w, h);
        assert_eq!(photo(4000, 3000), vec![(320, 240), (640, 480), (1280, 960)]);
        assert_eq!(photo(800, 600), vec![(320, 240), (640, 480), (800, 600)]);
        assert_eq!(photo(200, 100), vec![(200, 100)]);
        assert_eq!(photo(1280, 1), vec![(320, 1), (640, 1), (1280, 1)]);
        // Portrait: the width decides.
        assert_eq!(photo(3000, 4000), vec![(320, 427), (640, 854), (1280, 1707)]);
        // An avatar is the square of the shorter side; a logo keeps its proportions.
        assert_eq!(ImageKind::Avatar.rendition_sizes(4000, 3000), vec![(96, 96), (400, 400)]);
        assert_eq!(ImageKind::Avatar.rendition_sizes(300, 200), vec![(96, 96), (200, 200)]);
        assert_eq!(ImageKind::Logo.rendition_sizes(1000, 250), vec![(160, 40), (480, 120)]);
        for kind in [ImageKind::Photo, ImageKind::Avatar, ImageKind::Logo] {
            assert_eq!(ImageKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn file_names_round_trip_and_junk_is_refused() {
        let id = ImageId::new();
        assert_eq!(parse_file_name(&file_name(&id, 640)), Some((id.clone(), 640)));
        for junk in [
            "",
            "x.jpg",
            &format!("{id}-0.jpg"),
            &format!("{id}-99999.jpg"),
            &format!("{id}-640.png"),
            &format!("../{id}-640.jpg"),
            &format!("{id}-640.jpg.jpg"),
            &format!("{id}--640.jpg"),
        ] {
            assert_eq!(parse_file_name(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn the_best_rendition_is_the_smallest_wide_enough() {
        let image = Image {
            id: ImageId::new(),
            kind: ImageKind::Photo,
            width: 800,
            height: 600,
            widths: vec![320, 640, 800],
            remote: false,
            failed: false,
        };
        assert_eq!(image.best_width(320), Some(320));
        assert_eq!(image.best_width(321), Some(640));
        assert_eq!(image.best_width(1280), Some(800));
        assert_eq!(image.height_at(320), 240);
    }

    #[test]
    fn alt_texts_are_one_line_and_bounded() {
        assert_eq!(AltText::parse("  Un vélo\n bleu ").map(AltText::into_string), Ok("Un vélo bleu".to_owned()));
        assert!(AltText::parse(&"é".repeat(300)).is_ok());
        assert_eq!(AltText::parse(&"é".repeat(301)).map_err(|e| e.message.key), Err("error.too_long"));
        assert_eq!(AltText::parse("a\u{0}b").map_err(|e| e.message.key), Err("error.control_characters"));
        assert_eq!(AltText::received(&"x".repeat(10_000)).as_str().len(), 300);
    }
}
