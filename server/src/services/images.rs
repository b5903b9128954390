//! Images: reading an uploaded (or fetched) file, and keeping it as JPEG renditions at the widths of
//! `domain::photo::WIDTHS`.
//!
//! A file is never kept as it came. Its type is read from its bytes (not from its name or what the
//! browser says), only JPEG, PNG and WebP are read, its size in pixels is checked against the
//! configured limit before it is decoded (a "decompression bomb" of 20,000 × 20,000 pixels in a few
//! kilobytes is refused from its header), its EXIF orientation is applied, and each rendition is
//! encoded again: nothing of the original's metadata (a phone's GPS position, its serial number)
//! survives. The work is done on a blocking thread, one image at a time, so that a small machine's
//! memory stays bounded: a 12-megapixel photo needs its decoded pixels (36 MB) and little more.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, metadata::Orientation};
use tokio::sync::Semaphore;

use crate::domain::FieldError;
use crate::domain::photo::rendition_sizes;
use crate::error::{AppError, AppResult};

/// JPEG quality of the renditions: photos look right, and a 1280-pixel one weighs 150–300 kB.
const JPEG_QUALITY: u8 = 82;
/// The longest side read, whatever the pixel budget says (a 100,000 × 1 strip is no photo).
const MAX_SIDE: u32 = 16_384;
/// Images processed at once: each holds its decoded pixels in memory.
static PROCESSING: Semaphore = Semaphore::const_new(1);

/// What a file may be.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Size of the file, in bytes.
    pub max_bytes: usize,
    /// Width × height.
    pub max_pixels: u64,
}

/// One rendition, encoded.
#[derive(Debug)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// An image read and encoded again: its renditions, smallest first.
#[derive(Debug)]
pub struct Processed {
    pub renditions: Vec<Rendition>,
}

impl Processed {
    pub fn largest(&self) -> &Rendition {
        &self.renditions[self.renditions.len() - 1]
    }

    pub fn bytes(&self) -> u64 {
        self.renditions.iter().map(|r| r.jpeg.len() as u64).sum()
    }
}

/// Why a file was refused, as the form field `photo` says it.
fn refused(key: &'static str) -> AppError {
    AppError::validation(vec![FieldError::new("photo", key)])
}

/// Reads `bytes` and makes its renditions, on a blocking thread, one image at a time.
pub async fn process(bytes: Vec<u8>, limits: ImageLimits) -> AppResult<Processed> {
    let _permit = PROCESSING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || process_now(&bytes, limits)).await.map_err(AppError::internal)?
}

/// The work of [`process`], on the calling thread.
pub fn process_now(bytes: &[u8], limits: ImageLimits) -> AppResult<Processed> {
    if bytes.len() > limits.max_bytes {
        return Err(AppError::validation(vec![
            FieldError::new("photo", "photo.too_heavy").with("max", megabytes(limits.max_bytes as u64)),
        ]));
    }
    let format = sniff(bytes)?;
    let too_many_pixels = || {
        AppError::validation(vec![
            FieldError::new("photo", "photo.too_many_pixels").with("max", limits.max_pixels.div_ceil(1_000_000)),
        ])
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(MAX_SIDE);
    decode_limits.max_image_height = Some(MAX_SIDE);
    // Room for the pixels at 4 bytes each (16-bit and alpha images are refused beyond that) and the
    // decoder's own buffers.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(16 << 20));
    reader.limits(decode_limits);
    let unreadable = |error: image::ImageError| match error {
        image::ImageError::Limits(_) => too_many_pixels(),
        other => {
            tracing::debug!(error = %other, "an image that does not read");
            refused("photo.unreadable")
        }
    };
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(too_many_pixels());
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    Ok(Processed { renditions: renditions(image, orientation)? })
}

/// The format of a file, from its first bytes. HEIC (iPhones' default) and AVIF get a message of
/// their own: members will send them.
fn sniff(bytes: &[u8]) -> AppResult<ImageFormat> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"]
            .iter()
            .any(|b| brand == *b)
        {
            return Err(refused("photo.heic"));
        }
    }
    match image::guess_format(bytes) {
        Ok(format @ (ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP)) => Ok(format),
        _ => Err(refused("photo.not_an_image")),
    }
}

/// Each rendition of `image`, smallest first, turned the way its EXIF orientation says and made from
/// the next larger one (so the full-size pixels are let go after the first).
fn renditions(image: DynamicImage, orientation: Orientation) -> AppResult<Vec<Rendition>> {
    let turned = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (width, height) = (image.width(), image.height());
    let (shown_width, shown_height) = if turned { (height, width) } else { (width, height) };
    let mut source = image;
    let mut made = Vec::new();
    for (w, h) in rendition_sizes(shown_width, shown_height).into_iter().rev() {
        let (source_w, source_h) = if turned { (h, w) } else { (w, h) };
        if (source.width(), source.height()) != (source_w, source_h) {
            source = source.thumbnail_exact(source_w, source_h);
        }
        let mut shown = flattened(&source);
        shown.apply_orientation(orientation);
        made.push(Rendition { width: w, height: h, jpeg: jpeg(&shown)? });
    }
    made.reverse();
    Ok(made)
}

/// The image as 8-bit RGB, transparency laid on white (JPEG has none).
fn flattened(image: &DynamicImage) -> DynamicImage {
    if !image.color().has_alpha() {
        return DynamicImage::ImageRgb8(image.to_rgb8());
    }
    let rgba = image.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    });
    DynamicImage::ImageRgb8(rgb)
}

fn jpeg(image: &DynamicImage) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(image)
        .map_err(AppError::internal)?;
    Ok(out)
}

/// `bytes` in megabytes, rounded up, for messages.
pub fn megabytes(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ImageLimits = ImageLimits { max_bytes: 20 << 20, max_pixels: 40_000_000 };

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).expect("encodes");
        out.into_inner()
    }

    fn field_key(error: AppError) -> &'static str {
        error.fields[0].message.key
    }

    #[test]
    fn jpeg_png_and_webp_are_read_and_kept_as_jpeg_at_each_width() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1600, 1200, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP] {
            let processed = process_now(&encoded(&image, format), LIMITS).expect("processes");
            let sizes: Vec<_> = processed.renditions.iter().map(|r| (r.width, r.height)).collect();
            assert_eq!(sizes, vec![(320, 240), (640, 480), (1280, 960)], "{format:?}");
            for rendition in &processed.renditions {
                let back = image::load_from_memory(&rendition.jpeg).expect("a JPEG");
                assert_eq!(image::guess_format(&rendition.jpeg).ok(), Some(ImageFormat::Jpeg));
                assert_eq!((back.width(), back.height()), (rendition.width, rendition.height));
            }
        }
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(50, 50, image::Rgba([0, 0, 0, 0])));
        let processed = process_now(&encoded(&clear, ImageFormat::Png), LIMITS).expect("processes");
        let back = image::load_from_memory(&processed.largest().jpeg).expect("a JPEG").to_rgb8();
        assert!(back.get_pixel(25, 25).0.iter().all(|c| *c > 245), "{:?}", back.get_pixel(25, 25));
    }

    #[test]
    fn what_is_not_a_photo_we_read_is_refused_by_its_bytes() {
        assert_eq!(field_key(process_now(b"GIF89a not a photo", LIMITS).unwrap_err()), "photo.not_an_image");
        assert_eq!(field_key(process_now(b"<html>hello</html>", LIMITS).unwrap_err()), "photo.not_an_image");
        let heic = [&[0, 0, 0, 0x18][..], b"ftypheic", &[0; 12]].concat();
        assert_eq!(field_key(process_now(&heic, LIMITS).unwrap_err()), "photo.heic");
        // A JPEG's first bytes, then junk.
        let truncated = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7; 64]].concat();
        assert_eq!(field_key(process_now(&truncated, LIMITS).unwrap_err()), "photo.unreadable");
    }

    #[test]
    fn limits_are_checked_before_decoding() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(400, 300));
        let png = encoded(&image, ImageFormat::Png);
        let small = ImageLimits { max_bytes: png.len() - 1, max_pixels: 40_000_000 };
        assert_eq!(field_key(process_now(&png, small).unwrap_err()), "photo.too_heavy");
        let few_pixels = ImageLimits { max_bytes: 1 << 20, max_pixels: 100_000 };
        assert_eq!(field_key(process_now(&png, few_pixels).unwrap_err()), "photo.too_many_pixels");
    }
}
