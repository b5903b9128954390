//! The cooperative as its instance presents it on its front page: a presentation its
//! administrators write (short text with simple formatting), a colour chosen from a small palette
//! in which every colour reads well, and its logo.

use super::FieldError;
use super::ids::ImageId;
use super::text::{bounded, formatted_html};

/// What the front page and every page's header show of the cooperative.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cooperative {
    pub presentation: Presentation,
    pub accent: Accent,
    pub logo: Option<ImageId>,
}

/// The cooperative's presentation as its administrators wrote it: text with the simple formatting
/// of Markdown (paragraphs, **bold**, *italics*, lists, links, headings), at most
/// [`Presentation::MAX_CHARS`] characters. Empty when none was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presentation(String);

impl Presentation {
    /// A few paragraphs: who the cooperative is, what it lends or sells, where and when.
    pub const MAX_CHARS: usize = 4000;

    /// The presentation submitted in the `presentation` field; empty is allowed (the front page
    /// then shows the instance's description from the configuration).
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        bounded("presentation", text, 0, Self::MAX_CHARS).map(Self)
    }

    /// A stored presentation, as it was accepted.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The presentation as HTML that is safe to put in a page ([`formatted_html`]).
    pub fn to_html(&self) -> String {
        formatted_html(&self.0)
    }
}

string_enum! {
    /// The cooperative's colour (buttons, links, the notices' tint): one of a small palette, each of
    /// which keeps the WCAG AA contrast of 4.5:1 with the white text of buttons, on the page's
    /// background and on its own tint (checked by this module's tests).
    Accent, "accent" {
        Forest => "forest",
        Teal => "teal",
        Blue => "blue",
        Violet => "violet",
        Plum => "plum",
        Brick => "brick",
        Ochre => "ochre",
        Slate => "slate",
    }
}

#[allow(clippy::derivable_impls, reason = "string_enum! declares the enum: its variants take no attribute")]
impl Default for Accent {
    fn default() -> Self {
        Accent::Forest
    }
}

/// The contrast WCAG 2 asks of body text (level AA).
pub const MIN_CONTRAST: f64 = 4.5;

impl Accent {
    /// The colour, as red, green and blue.
    pub fn rgb(self) -> Rgb {
        match self {
            Accent::Forest => Rgb(0x2f, 0x6b, 0x4f),
            Accent::Teal => Rgb(0x1d, 0x62, 0x70),
            Accent::Blue => Rgb(0x2b, 0x55, 0x9c),
            Accent::Violet => Rgb(0x5d, 0x43, 0x91),
            Accent::Plum => Rgb(0x8a, 0x35, 0x66),
            Accent::Brick => Rgb(0xa2, 0x3c, 0x1f),
            Accent::Ochre => Rgb(0x84, 0x54, 0x00),
            Accent::Slate => Rgb(0x3e, 0x4c, 0x59),
        }
    }

    /// The pale tint of the colour behind notices: nine parts white to one of the colour.
    pub fn tint(self) -> Rgb {
        self.rgb().towards_white(0.9)
    }

    /// A stored colour; one this version does not know (written by a later one) is the default.
    pub fn from_stored(text: &str) -> Self {
        Self::parse(text).unwrap_or_default()
    }
}

/// A colour of the sRGB space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);

    /// `#rrggbb`, for a stylesheet.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// The colour moved `share` of the way to white.
    pub fn towards_white(self, share: f64) -> Rgb {
        let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * share).round().clamp(0.0, 255.0) as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }

    /// The relative luminance of WCAG 2.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The contrast ratio of WCAG 2 between two colours, from 1 (the same) to 21 (black on white).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's background and text colours (`static/style.css`).
    const BACKGROUND: Rgb = Rgb(0xfb, 0xfc, 0xfa);
    const INK: Rgb = Rgb(0x1d, 0x2a, 0x22);

    #[test]
    fn every_colour_of_the_palette_reads_well() {
        for accent in Accent::ALL {
            let colour = accent.rgb();
            for (what, against) in
                [("button text", Rgb::WHITE), ("page background", BACKGROUND), ("its tint", accent.tint())]
            {
                let ratio = colour.contrast(against);
                assert!(ratio >= MIN_CONTRAST, "{accent} against the {what}: {ratio:.2}");
            }
            let ratio = INK.contrast(accent.tint());
            assert!(ratio >= MIN_CONTRAST, "text on the tint of {accent}: {ratio:.2}");
        }
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((Rgb(0, 0, 0).contrast(Rgb::WHITE) - 21.0).abs() < 1e-9);
        assert!((Rgb::WHITE.contrast(Rgb::WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic grey at the limit of AA: 4.54:1.
        assert!((Rgb(0x76, 0x76, 0x76).contrast(Rgb::WHITE) - 4.54).abs() < 0.01);
        assert_eq!(Accent::Forest.rgb().hex(), "#2f6b4f");
        assert_eq!(Accent::from_stored("made-up"), Accent::Forest);
    }

    #[test]
    fn the_presentation_keeps_its_formatting_and_nothing_else() {
        let text = "# L'atelier\n\nRéparez **votre vélo** avec *nous*.\n\n- mardi\n- jeudi\n\n[Plan](https://velo.example/plan)";
        let html = Presentation::parse(text).unwrap().to_html();
        assert!(
            html.contains("<h2>L'atelier</h2>")
                || html.contains("<h2>L’atelier</h2>")
                || html.contains("<h2>L&#39;atelier</h2>"),
            "{html}"
        );
        assert!(html.contains("<strong>votre vélo</strong>"), "{html}");
        assert!(html.contains("<em>nous</em>"), "{html}");
        assert!(html.contains("<li>mardi</li>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://velo.example/plan" rel="noopener noreferrer nofollow">Plan</a>"#),
            "{html}"
        );
    }

    /// Each tag of `html` (what stands between `<` and `>`): the sanitiser writes every `<` of
    /// the text as `&lt;`, so these are the real ones.
    fn tags(html: &str) -> Vec<&str> {
        html.split('<').skip(1).filter_map(|rest| rest.split_once('>').map(|(tag, _)| tag)).collect()
    }

    #[test]
    fn the_presentation_cannot_carry_script_styles_or_images() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[clic](javascript:alert(1))",
            "[clic](data:text/html,<script>alert(1)</script>)",
            "![pixel](https://tracker.example/p.gif)",
            "<a href=\"https://x.example\" onclick=\"alert(1)\" style=\"color:red\">x</a>",
            "<iframe src=\"https://x.example\"></iframe>",
            "<style>body { display: none }</style>",
        ] {
            let html = Presentation::parse(hostile).unwrap().to_html();
            for tag in tags(&html) {
                let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or_default();
                assert!(["p", "a", "em", "strong"].contains(&name), "{hostile} gave the tag <{tag}> in {html}");
                if let Some(attributes) = tag.strip_prefix("a ") {
                    // A link to somewhere else than the web loses its address.
                    let web = !attributes.contains("href=") || attributes.starts_with("href=\"https://");
                    assert!(web, "{hostile} gave <{tag}>");
                    assert!(!attributes.contains("onclick") && !attributes.contains("style"), "{hostile} gave <{tag}>");
                }
            }
        }
        // What was written as HTML is still there, as text.
        let html = Presentation::parse("a <b>b</b>").unwrap().to_html();
        assert_eq!(html, "<p>a &lt;b&gt;b&lt;/b&gt;</p>\n");
    }

    #[test]
    fn the_presentation_has_a_length_limit() {
        assert!(Presentation::parse("").unwrap().is_empty());
        assert!(Presentation::parse(&"a".repeat(Presentation::MAX_CHARS)).is_ok());
        let error = Presentation::parse(&"a".repeat(Presentation::MAX_CHARS + 1)).unwrap_err();
        assert_eq!(error.field, "presentation");
    }
}
