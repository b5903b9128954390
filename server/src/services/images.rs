//! Images: reading an uploaded (or fetched) file, and keeping it as JPEG renditions at the widths of
//! its kind (`domain::photo::ImageKind`: a listing's photo, an avatar cut square, a logo).
//!
//! A file is never kept as it came. Its type is read from its bytes (not from its name or what the
//! browser says), only JPEG, PNG and WebP are read, its size in pixels is checked against the
//! configured limit before it is decoded (a "decompression bomb" of 20,000 × 20,000 pixels in a few
//! kilobytes is refused from its header), its EXIF orientation is applied, and each rendition is
//! encoded again: nothing of the original's metadata (a phone's GPS position, its serial number)
//! survives. The work is done on a blocking thread, one image at a time, so that a small machine's
//! memory stays bounded; a large JPEG is decoded at a smaller scale ([`decode_jpeg_scaled`]), so
//! that a 12-megapixel photo needs 9 MB of pixels rather than 36.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, metadata::Orientation};
use tokio::sync::Semaphore;

use crate::domain::FieldError;
use crate::domain::photo::{ImageKind, ImageLimits};
use crate::error::{AppError, AppResult};

/// JPEG quality of the renditions: photos look right, and a 1280-pixel one weighs 150–300 kB.
const JPEG_QUALITY: u8 = 82;
/// The longest side read, whatever the pixel budget says (a 100,000 × 1 strip is no photo).
const MAX_SIDE: u32 = 16_384;
/// Images processed at once: each holds its decoded pixels in memory.
static PROCESSING: Semaphore = Semaphore::const_new(1);

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

    /// The widths of the renditions, smallest first.
    pub fn widths(&self) -> Vec<u32> {
        self.renditions.iter().map(|r| r.width).collect()
    }

    /// Each rendition's width and bytes, as `MediaFiles::write` takes them.
    pub fn files(&self) -> Vec<(u32, &[u8])> {
        self.renditions.iter().map(|r| (r.width, r.jpeg.as_slice())).collect()
    }
}

/// Why a file was refused, as the form field `photo` says it.
fn refused(key: &'static str) -> AppError {
    AppError::validation(vec![FieldError::new("photo", key)])
}

/// Reads `bytes` and makes its renditions for `kind`, on a blocking thread, one image at a time.
pub async fn process(bytes: Vec<u8>, limits: ImageLimits, kind: ImageKind) -> AppResult<Processed> {
    let _permit = PROCESSING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || process_now(&bytes, limits, kind)).await.map_err(AppError::internal)?
}

/// The work of [`process`], on the calling thread.
pub fn process_now(bytes: &[u8], limits: ImageLimits, kind: ImageKind) -> AppResult<Processed> {
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
    if format == ImageFormat::Jpeg
        && let Some((image, orientation)) = decode_jpeg_scaled(bytes, limits, kind).map_err(|()| too_many_pixels())?
    {
        return Ok(Processed { renditions: renditions(image, orientation, kind)? });
    }
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
    Ok(Processed { renditions: renditions(image, orientation, kind)? })
}

/// A JPEG decoded at the smallest scale its format allows (1/8, 1/4, 1/2 or whole, in the DCT,
/// before any pixel exists) that is still at least as wide as the widest rendition once turned (for
/// an avatar: whose shorter side still is): a 12-megapixel photo is read as 2000 × 1500 pixels
/// (9 MB) rather than 4000 × 3000 (36 MB).
/// `Ok(None)` for what this decoder does not read (CMYK, 16-bit, or a file it finds broken), which
/// the general path reads or refuses; `Err(())` for too many pixels.
fn decode_jpeg_scaled(
    bytes: &[u8],
    limits: ImageLimits,
    kind: ImageKind,
) -> Result<Option<(DynamicImage, Orientation)>, ()> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    if decoder.read_info().is_err() {
        return Ok(None);
    }
    let Some(info) = decoder.info() else { return Ok(None) };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(());
    }
    if !matches!(info.pixel_format, jpeg_decoder::PixelFormat::L8 | jpeg_decoder::PixelFormat::RGB24) {
        return Ok(None);
    }
    let orientation = decoder.exif_data().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
    let widest = kind.widths()[kind.widths().len() - 1] as u16;
    // The decoder picks the smallest scale at which the width or the height reaches what is asked:
    // ask for the side that must stay wide enough — the one shown as the width, or for a square
    // the shorter — and the impossible for the other.
    let width_decides = if kind.is_square() { width <= height } else { !is_turned(orientation) };
    let wanted = if width_decides { (widest, u16::MAX) } else { (u16::MAX, widest) };
    let Ok((width, height)) = decoder.scale(wanted.0, wanted.1) else { return Ok(None) };
    let Ok(pixels) = decoder.decode() else { return Ok(None) };
    let (width, height) = (u32::from(width), u32::from(height));
    let image = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => image::RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8),
    };
    Ok(image.map(|image| (image, orientation)))
}

/// Whether an orientation turns the image a quarter (its width shown as its height).
fn is_turned(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    )
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
/// the next larger one (so the full-size pixels are let go after the first). An avatar is cut to
/// the square at its centre first (the same square whichever way it is turned).
fn renditions(image: DynamicImage, orientation: Orientation, kind: ImageKind) -> AppResult<Vec<Rendition>> {
    let turned = is_turned(orientation);
    let image = if kind.is_square() && image.width() != image.height() {
        let side = image.width().min(image.height());
        image.crop_imm((image.width() - side) / 2, (image.height() - side) / 2, side, side)
    } else {
        image
    };
    let (width, height) = (image.width(), image.height());
    let (shown_width, shown_height) = if turned { (height, width) } else { (width, height) };
    let mut source = image;
    let mut made = Vec::new();
    for (w, h) in kind.rendition_sizes(shown_width, shown_height).into_iter().rev() {
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
            let processed = process_now(&encoded(&image, format), LIMITS, ImageKind::Photo).expect("processes");
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
    fn a_large_jpeg_is_read_at_a_smaller_scale_and_still_kept_at_each_width() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(4000, 3000, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 60])
        }));
        let (scaled, _) =
            decode_jpeg_scaled(&encoded(&image, ImageFormat::Jpeg), LIMITS, ImageKind::Photo).unwrap().unwrap();
        assert_eq!((scaled.width(), scaled.height()), (2000, 1500), "read at half its size");
        let processed = process_now(&encoded(&image, ImageFormat::Jpeg), LIMITS, ImageKind::Photo).expect("processes");
        let sizes: Vec<_> = processed.renditions.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, vec![(320, 240), (640, 480), (1280, 960)]);
        let few_pixels = ImageLimits { max_bytes: 20 << 20, max_pixels: 1_000_000 };
        let refused = process_now(&encoded(&image, ImageFormat::Jpeg), few_pixels, ImageKind::Photo).unwrap_err();
        assert_eq!(field_key(refused), "photo.too_many_pixels");
    }

    #[test]
    fn an_avatar_is_the_square_at_the_centre_and_a_logo_keeps_its_proportions() {
        // Red on the left and right edges, green in the middle: the square keeps the green only.
        let wide = DynamicImage::ImageRgb8(image::RgbImage::from_fn(3000, 1000, |x, _| {
            if (1000..2000).contains(&x) { image::Rgb([0, 200, 0]) } else { image::Rgb([200, 0, 0]) }
        }));
        for format in [ImageFormat::Jpeg, ImageFormat::Png] {
            let avatar = process_now(&encoded(&wide, format), LIMITS, ImageKind::Avatar).expect("processes");
            let sizes: Vec<_> = avatar.renditions.iter().map(|r| (r.width, r.height)).collect();
            assert_eq!(sizes, vec![(96, 96), (400, 400)], "{format:?}");
            let back = image::load_from_memory(&avatar.largest().jpeg).expect("a JPEG").to_rgb8();
            for (x, y) in [(2, 2), (397, 200), (200, 397)] {
                let [r, g, _] = back.get_pixel(x, y).0;
                assert!(g > 150 && r < 60, "{format:?} ({x}, {y}): {:?}", back.get_pixel(x, y));
            }
        }
        let logo = process_now(&encoded(&wide, ImageFormat::Png), LIMITS, ImageKind::Logo).expect("processes");
        let sizes: Vec<_> = logo.renditions.iter().map(|r| (r.width, r.height)).collect();
        assert_eq!(sizes, vec![(160, 54), (480, 160)]);
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(50, 50, image::Rgba([0, 0, 0, 0])));
        let processed = process_now(&encoded(&clear, ImageFormat::Png), LIMITS, ImageKind::Photo).expect("processes");
        let back = image::load_from_memory(&processed.largest().jpeg).expect("a JPEG").to_rgb8();
        assert!(back.get_pixel(25, 25).0.iter().all(|c| *c > 245), "{:?}", back.get_pixel(25, 25));
    }

    #[test]
    fn what_is_not_a_photo_we_read_is_refused_by_its_bytes() {
        assert_eq!(
            field_key(process_now(b"GIF89a not a photo", LIMITS, ImageKind::Photo).unwrap_err()),
            "photo.not_an_image"
        );
        assert_eq!(
            field_key(process_now(b"<html>hello</html>", LIMITS, ImageKind::Photo).unwrap_err()),
            "photo.not_an_image"
        );
        let heic = [&[0, 0, 0, 0x18][..], b"ftypheic", &[0; 12]].concat();
        assert_eq!(field_key(process_now(&heic, LIMITS, ImageKind::Photo).unwrap_err()), "photo.heic");
        // A JPEG's first bytes, then junk.
        let truncated = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7; 64]].concat();
        assert_eq!(field_key(process_now(&truncated, LIMITS, ImageKind::Photo).unwrap_err()), "photo.unreadable");
    }

    #[test]
    fn limits_are_checked_before_decoding() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(400, 300));
        let png = encoded(&image, ImageFormat::Png);
        let small = ImageLimits { max_bytes: png.len() - 1, max_pixels: 40_000_000 };
        assert_eq!(field_key(process_now(&png, small, ImageKind::Photo).unwrap_err()), "photo.too_heavy");
        let few_pixels = ImageLimits { max_bytes: 1 << 20, max_pixels: 100_000 };
        assert_eq!(field_key(process_now(&png, few_pixels, ImageKind::Photo).unwrap_err()), "photo.too_many_pixels");
    }
}
