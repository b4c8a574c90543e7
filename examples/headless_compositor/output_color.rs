//! `--output-color`: how the output image encodes light, and how a screenshot of it is
//! written as a PNG.
//!
//! | `--output-color` | target format | description | PNG |
//! | --- | --- | --- | --- |
//! | `srgb` (default) | ABGR8888 (else ARGB8888) | sRGB | 8-bit RGBA |
//! | `bt2020-pq` | ABGR2101010 | BT.2020 primaries, PQ | 16-bit RGBA, `cICP` 9/16/0/1 |
//! | `bt2020-hlg` | ABGR2101010 | BT.2020 primaries, HLG | 16-bit RGBA, `cICP` 9/18/0/1 |
//! | `scrgb` | ABGR16161616F | extended linear BT.709, 1.0 = 80 cd/m² | 16-bit RGBA, `cICP` 9/16/0/1 |
//!
//! 10-bit samples become the nearest 16-bit value, `(v * 65535 + 511) / 1023` (so `v / 1023`
//! and the sample over 65535 differ by at most half a 16-bit step, and `v` comes back as
//! `(s * 1023 + 32767) / 65535`); an `sBIT` chunk records that 10 bits (2 of alpha) are
//! significant.
//!
//! PNG has no floating-point samples, so an scRGB output is written as what a PQ display
//! would be sent: its linear BT.709 light (1.0 = 80 cd/m²) converted to BT.2020, then PQ
//! encoded to 16 bits, tagged BT.2020/PQ. Nothing within BT.2020 and 0 to 10 000 cd/m² is
//! lost, which covers scRGB's nominal range (up to 125.0); values beyond (negative light
//! outside BT.2020, NaN) are clipped. The raw half floats are not written.

use std::{fs::File, io::BufWriter, path::Path};

// vkcompose's DrmFourcc is Smithay's Fourcc (both drm-fourcc's); named so, this file also
// serves the compose demo, which has no Smithay.
use vkcompose::color::{conversion, pq_from_nits, ColorDescription, Primaries};
use vkcompose::format::DrmFourcc as Fourcc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputColor {
    Srgb,
    Bt2020Pq,
    Bt2020Hlg,
    Scrgb,
}

/// H.273 code points (colour primaries, transfer characteristics, matrix, full range)
/// of the `cICP` chunk: BT.2020 primaries, RGB, full range; PQ or HLG.
const CICP_BT2020_PQ: [u8; 4] = [9, 16, 0, 1];
const CICP_BT2020_HLG: [u8; 4] = [9, 18, 0, 1];

impl OutputColor {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "srgb" => Some(Self::Srgb),
            "bt2020-pq" => Some(Self::Bt2020Pq),
            "bt2020-hlg" => Some(Self::Bt2020Hlg),
            "scrgb" => Some(Self::Scrgb),
            _ => None,
        }
    }

    /// How the output's pixels encode light.
    pub fn description(self) -> ColorDescription {
        match self {
            Self::Srgb => ColorDescription::srgb(),
            Self::Bt2020Pq => ColorDescription::bt2020_pq(),
            Self::Bt2020Hlg => ColorDescription::bt2020_hlg(),
            Self::Scrgb => ColorDescription::scrgb(),
        }
    }

    /// The offscreen target's formats, in order of preference. sRGB takes either 8-bit
    /// order (both read back as RGBA by moving bytes); the HDR encodings need their depth.
    pub fn target_formats(self) -> &'static [Fourcc] {
        match self {
            Self::Srgb => &[Fourcc::Abgr8888, Fourcc::Argb8888],
            Self::Bt2020Pq | Self::Bt2020Hlg => &[Fourcc::Abgr2101010],
            Self::Scrgb => &[Fourcc::Abgr16161616f],
        }
    }

    fn cicp(self) -> Option<[u8; 4]> {
        match self {
            Self::Srgb => None,
            Self::Bt2020Pq | Self::Scrgb => Some(CICP_BT2020_PQ),
            Self::Bt2020Hlg => Some(CICP_BT2020_HLG),
        }
    }
}

/// Pixels read back from the output: `data` holds `height` rows of `format` (the stride
/// is its length over the height), bottom row first if `flipped`.
pub struct Pixels<'a> {
    pub data: &'a [u8],
    pub format: Fourcc,
    pub width: usize,
    pub height: usize,
    pub flipped: bool,
}

impl Pixels<'_> {
    /// The rows top first, each `width * bytes_per_pixel` bytes.
    fn rows(&self, bytes_per_pixel: usize) -> Result<impl Iterator<Item = &[u8]>, String> {
        let (width, height) = (self.width, self.height);
        let row_bytes = width * bytes_per_pixel;
        if height == 0 || self.data.len() < row_bytes * height {
            return Err(format!(
                "mapping holds {} bytes, {width}x{height} {:?} needs {}",
                self.data.len(),
                self.format,
                row_bytes * height
            ));
        }
        let stride = self.data.len() / height;
        let flipped = self.flipped;
        Ok((0..height).map(move |y| {
            let row = if flipped { height - 1 - y } else { y };
            &self.data[row * stride..][..row_bytes]
        }))
    }
}

/// Writes the screenshot of an output encoded as `color` to `path` (see the module
/// documentation for the PNG of each).
pub fn write_screenshot(
    path: &Path,
    pixels: &Pixels<'_>,
    color: OutputColor,
) -> Result<(), String> {
    let (width, height) = (pixels.width as u32, pixels.height as u32);
    let cicp = color.cicp().map(|c| (*b"cICP", c.to_vec()));
    match pixels.format {
        Fourcc::Abgr2101010 => {
            let sbit = (*b"sBIT", vec![10, 10, 10, 2]);
            let samples = rgba16_from_2101010(pixels)?;
            let chunks: Vec<_> = [Some(sbit), cicp].into_iter().flatten().collect();
            write_png(
                path,
                (width, height),
                png::BitDepth::Sixteen,
                &be_bytes(&samples),
                &chunks,
            )
        }
        Fourcc::Abgr16161616f => {
            let samples = pq_rgba16_from_scrgb(pixels, &color.description())?;
            let chunks: Vec<_> = cicp.into_iter().collect();
            write_png(
                path,
                (width, height),
                png::BitDepth::Sixteen,
                &be_bytes(&samples),
                &chunks,
            )
        }
        _ => {
            let rgba = rgba8(pixels)?;
            write_png(path, (width, height), png::BitDepth::Eight, &rgba, &[])
        }
    }
}

/// 8-bit pixels as tightly packed RGBA8 rows, top row first.
fn rgba8(pixels: &Pixels<'_>) -> Result<Vec<u8>, String> {
    // Byte positions of R, G, B, A in one little-endian pixel of each format.
    let (r, g, b, a) = match pixels.format {
        Fourcc::Abgr8888 => (0, 1, 2, Some(3)),
        Fourcc::Xbgr8888 => (0, 1, 2, None),
        Fourcc::Argb8888 => (2, 1, 0, Some(3)),
        Fourcc::Xrgb8888 => (2, 1, 0, None),
        other => return Err(format!("cannot convert {other:?} to RGBA")),
    };
    let mut rgba = Vec::with_capacity(pixels.width * pixels.height * 4);
    for row in pixels.rows(4)? {
        for px in row.chunks_exact(4) {
            rgba.extend_from_slice(&[px[r], px[g], px[b], a.map_or(0xff, |a| px[a])]);
        }
    }
    Ok(rgba)
}

/// ABGR2101010 pixels (R in the low 10 bits of the little-endian word, A in the top 2)
/// as RGBA16 samples, each the nearest 16-bit value.
fn rgba16_from_2101010(pixels: &Pixels<'_>) -> Result<Vec<u16>, String> {
    let scale = |v: u32, max: u32| ((v * 65535 + max / 2) / max) as u16;
    let mut samples = Vec::with_capacity(pixels.width * pixels.height * 4);
    for row in pixels.rows(4)? {
        for px in row.chunks_exact(4) {
            let word = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
            let channel = |shift: u32| scale((word >> shift) & 0x3ff, 1023);
            samples.extend_from_slice(&[
                channel(0),
                channel(10),
                channel(20),
                scale(word >> 30, 3),
            ]);
        }
    }
    Ok(samples)
}

/// ABGR16161616F pixels encoded as `scrgb` (linear BT.709) as 16-bit BT.2020/PQ RGBA.
fn pq_rgba16_from_scrgb(pixels: &Pixels<'_>, scrgb: &ColorDescription) -> Result<Vec<u16>, String> {
    let to_bt2020 = conversion(&scrgb.primaries, &Primaries::BT2020).map_err(|e| e.to_string())?;
    let nits = scrgb.to_nits_scale();
    let quantize = |v: f64| (v.clamp(0.0, 1.0) * 65535.0).round() as u16;
    let mut samples = Vec::with_capacity(pixels.width * pixels.height * 4);
    for row in pixels.rows(8)? {
        for px in row.chunks_exact(8) {
            let half = |i: usize| f16_to_f64(u16::from_le_bytes([px[2 * i], px[2 * i + 1]]));
            // The output is opaque (its clear colour is), so premultiplication is moot.
            let rgb = to_bt2020.apply([half(0), half(1), half(2)]);
            let pq = rgb.map(|v| quantize(pq_from_nits(v * nits)));
            samples.extend_from_slice(&[pq[0], pq[1], pq[2], quantize(half(3))]);
        }
    }
    Ok(samples)
}

/// An IEEE 754 half (binary16) as f64, subnormals, infinities and NaN included.
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    sign * match exponent {
        0 => mantissa * 2f64.powi(-24),
        0x1f if mantissa == 0.0 => f64::INFINITY,
        0x1f => f64::NAN,
        e => (1.0 + mantissa / 1024.0) * 2f64.powi(e - 15),
    }
}

/// 16-bit samples in PNG's byte order (big-endian).
fn be_bytes(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_be_bytes()).collect()
}

/// Writes an RGBA PNG of `depth` with `chunks` (type, data) between the header and the
/// image data, where `sBIT` and `cICP` must go.
fn write_png(
    path: &Path,
    (width, height): (u32, u32),
    depth: png::BitDepth,
    data: &[u8],
    chunks: &[([u8; 4], Vec<u8>)],
) -> Result<(), String> {
    // Written beside the destination and renamed, so a reader never sees half a file.
    let tmp = path.with_extension("png.tmp");
    let file = File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(depth);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    // png 0.18 reads cICP but does not write it: written by hand, like sBIT.
    for (name, data) in chunks {
        writer
            .write_chunk(png::chunk::ChunkType(*name), data)
            .map_err(|e| e.to_string())?;
    }
    writer.write_image_data(data).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
