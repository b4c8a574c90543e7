//! Pixel formats: DRM fourcc codes, as `wl_shm` buffers and dmabufs name them, mapped to
//! Vulkan formats, and what a device can do with each.
//!
//! DRM formats are defined on a little-endian word: `ARGB8888` is
//! `[31:0] A:R:G:B 8:8:8:8 little endian`, so its bytes in memory are B, G, R, A, which is
//! exactly `VK_FORMAT_B8G8R8A8_UNORM`. Where no Vulkan format has the fourcc's memory
//! layout (`RGBA8888`, `BGRA8888`), the table uses one with the same bytes in another order
//! and a view swizzle that puts the channels back, so shaders always read r, g, b, a.
//!
//! ```
//! use vkcompose::format::{format_info, DrmFourcc};
//! use vkcompose::vk;
//!
//! let info = format_info(DrmFourcc::Xrgb8888).unwrap();
//! assert_eq!(info.vk, vk::Format::B8G8R8A8_UNORM);
//! assert!(!info.has_alpha);
//! assert_eq!(info.with_alpha, DrmFourcc::Argb8888);
//! ```

use ash::vk;

use crate::core::device::Device;
use crate::error::{Error, Result};

pub use drm_fourcc::DrmFourcc;

use vk::ComponentSwizzle as S;
use DrmFourcc as F;

/// How one DRM format maps to Vulkan.
#[derive(Clone, Copy, Debug)]
pub struct FormatInfo {
    pub fourcc: DrmFourcc,
    pub vk: vk::Format,
    /// Applied by sampling views so that shaders see r, g, b, a; identity where the memory
    /// order already matches. Alpha is `ONE` exactly when `has_alpha` is false; channels
    /// the format lacks altogether (green and blue of `R8`) are `ZERO`.
    pub swizzle: vk::ComponentMapping,
    pub bytes_per_pixel: u32,
    /// False for X formats: alpha reads as 1 (the view swizzles alpha to ONE). Also false
    /// for formats with no alpha channel at all (`RGB565`, `R8`, `GR88`), which are just as
    /// opaque.
    pub has_alpha: bool,
    /// The fourcc with alpha for an X format (XRGB8888 -> ARGB8888) and itself otherwise
    /// (formats without an alpha channel have no such variant).
    pub with_alpha: DrmFourcc,
}

// By hand: ash's `ComponentMapping` has no `PartialEq`.
impl PartialEq for FormatInfo {
    fn eq(&self, other: &Self) -> bool {
        self.fourcc == other.fourcc
            && self.vk == other.vk
            && same_mapping(&self.swizzle, &other.swizzle)
            && self.bytes_per_pixel == other.bytes_per_pixel
            && self.has_alpha == other.has_alpha
            && self.with_alpha == other.with_alpha
    }
}

impl Eq for FormatInfo {}

fn same_mapping(a: &vk::ComponentMapping, b: &vk::ComponentMapping) -> bool {
    (a.r, a.g, a.b, a.a) == (b.r, b.g, b.b, b.a)
}

impl FormatInfo {
    /// Whether the swizzle moves a channel of memory to another channel (`RGBA8888`,
    /// `BGRA8888` and their X variants). Such formats can be sampled but not rendered to:
    /// attachment views must have the identity swizzle. Swizzles to the constants `ZERO` and
    /// `ONE` do not count: they only stand in for channels whose bytes are ignored or absent.
    pub fn reorders_channels(&self) -> bool {
        let s = &self.swizzle;
        [
            (s.r, vk::ComponentSwizzle::R),
            (s.g, vk::ComponentSwizzle::G),
            (s.b, vk::ComponentSwizzle::B),
            (s.a, vk::ComponentSwizzle::A),
        ]
        .iter()
        .any(|&(from, own)| {
            matches!(
                from,
                vk::ComponentSwizzle::R
                    | vk::ComponentSwizzle::G
                    | vk::ComponentSwizzle::B
                    | vk::ComponentSwizzle::A
            ) && from != own
        })
    }
}

const fn mapping(r: S, g: S, b: S, a: S) -> vk::ComponentMapping {
    vk::ComponentMapping { r, g, b, a }
}

/// Memory order matches; alpha is real.
const IDENTITY: vk::ComponentMapping = mapping(S::IDENTITY, S::IDENTITY, S::IDENTITY, S::IDENTITY);
/// Memory order matches; alpha is ignored (X formats) or absent.
const OPAQUE: vk::ComponentMapping = mapping(S::IDENTITY, S::IDENTITY, S::IDENTITY, S::ONE);

/// `RGBA8888` is `[31:0] R:G:B:A`, so its bytes are A, B, G, R. Read as
/// `R8G8B8A8_UNORM` the stored components are r=A, g=B, b=G, a=R: red comes from the
/// stored a, green from b, blue from g and alpha from r.
const FROM_ABGR_BYTES: vk::ComponentMapping = mapping(S::A, S::B, S::G, S::R);
/// `BGRA8888` is `[31:0] B:G:R:A`, so its bytes are A, R, G, B. Read as
/// `R8G8B8A8_UNORM` the stored components are r=A, g=R, b=G, a=B: red comes from the
/// stored g, green from b, blue from a and alpha from r.
const FROM_ARGB_BYTES: vk::ComponentMapping = mapping(S::G, S::B, S::A, S::R);

/// With alpha swizzled to `ONE` (the X variant of a mapping).
const fn opaque(m: vk::ComponentMapping) -> vk::ComponentMapping {
    mapping(m.r, m.g, m.b, S::ONE)
}

const fn entry(
    fourcc: DrmFourcc,
    vk: vk::Format,
    swizzle: vk::ComponentMapping,
    bytes_per_pixel: u32,
    with_alpha: DrmFourcc,
) -> FormatInfo {
    FormatInfo {
        fourcc,
        vk,
        swizzle,
        bytes_per_pixel,
        has_alpha: !matches!(swizzle.a, S::ONE),
        with_alpha,
    }
}

/// Every mapped format, the two formats every `wl_shm` compositor must support first, and
/// each X format right after its A variant. Bit layouts are drm_fourcc.h's, on a
/// little-endian word.
static FORMATS: [FormatInfo; 18] = [
    // [31:0] A:R:G:B 8:8:8:8 -> bytes B, G, R, A.
    entry(
        F::Argb8888,
        vk::Format::B8G8R8A8_UNORM,
        IDENTITY,
        4,
        F::Argb8888,
    ),
    entry(
        F::Xrgb8888,
        vk::Format::B8G8R8A8_UNORM,
        OPAQUE,
        4,
        F::Argb8888,
    ),
    // [31:0] A:B:G:R 8:8:8:8 -> bytes R, G, B, A.
    entry(
        F::Abgr8888,
        vk::Format::R8G8B8A8_UNORM,
        IDENTITY,
        4,
        F::Abgr8888,
    ),
    entry(
        F::Xbgr8888,
        vk::Format::R8G8B8A8_UNORM,
        OPAQUE,
        4,
        F::Abgr8888,
    ),
    // [31:0] R:G:B:A 8:8:8:8 -> bytes A, B, G, R: no Vulkan format has this order
    // (A8B8G8R8_UNORM_PACK32 is ABGR8888 again), so swizzle R8G8B8A8.
    entry(
        F::Rgba8888,
        vk::Format::R8G8B8A8_UNORM,
        FROM_ABGR_BYTES,
        4,
        F::Rgba8888,
    ),
    entry(
        F::Rgbx8888,
        vk::Format::R8G8B8A8_UNORM,
        opaque(FROM_ABGR_BYTES),
        4,
        F::Rgba8888,
    ),
    // [31:0] B:G:R:A 8:8:8:8 -> bytes A, R, G, B: swizzled R8G8B8A8 as well.
    entry(
        F::Bgra8888,
        vk::Format::R8G8B8A8_UNORM,
        FROM_ARGB_BYTES,
        4,
        F::Bgra8888,
    ),
    entry(
        F::Bgrx8888,
        vk::Format::R8G8B8A8_UNORM,
        opaque(FROM_ARGB_BYTES),
        4,
        F::Bgra8888,
    ),
    // [15:0] R:G:B 5:6:5: Vulkan's packed formats are defined on a word too, R in the top bits.
    entry(
        F::Rgb565,
        vk::Format::R5G6B5_UNORM_PACK16,
        OPAQUE,
        2,
        F::Rgb565,
    ),
    // [15:0] B:G:R 5:6:5.
    entry(
        F::Bgr565,
        vk::Format::B5G6R5_UNORM_PACK16,
        OPAQUE,
        2,
        F::Bgr565,
    ),
    // [31:0] A:R:G:B 2:10:10:10.
    entry(
        F::Argb2101010,
        vk::Format::A2R10G10B10_UNORM_PACK32,
        IDENTITY,
        4,
        F::Argb2101010,
    ),
    entry(
        F::Xrgb2101010,
        vk::Format::A2R10G10B10_UNORM_PACK32,
        OPAQUE,
        4,
        F::Argb2101010,
    ),
    // [31:0] A:B:G:R 2:10:10:10.
    entry(
        F::Abgr2101010,
        vk::Format::A2B10G10R10_UNORM_PACK32,
        IDENTITY,
        4,
        F::Abgr2101010,
    ),
    entry(
        F::Xbgr2101010,
        vk::Format::A2B10G10R10_UNORM_PACK32,
        OPAQUE,
        4,
        F::Abgr2101010,
    ),
    // [63:0] A:B:G:R 16:16:16:16 -> half floats R, G, B, A in memory order.
    entry(
        F::Abgr16161616f,
        vk::Format::R16G16B16A16_SFLOAT,
        IDENTITY,
        8,
        F::Abgr16161616f,
    ),
    entry(
        F::Xbgr16161616f,
        vk::Format::R16G16B16A16_SFLOAT,
        OPAQUE,
        8,
        F::Abgr16161616f,
    ),
    // [7:0] R: red only, read as (r, 0, 0, 1), not as luminance. The explicit ZERO/ONE
    // are what Vulkan substitutes for the missing channels anyway.
    entry(
        F::R8,
        vk::Format::R8_UNORM,
        mapping(S::IDENTITY, S::ZERO, S::ZERO, S::ONE),
        1,
        F::R8,
    ),
    // [15:0] G:R 8:8 -> bytes R, G, read as (r, g, 0, 1).
    entry(
        F::Gr88,
        vk::Format::R8G8_UNORM,
        mapping(S::IDENTITY, S::IDENTITY, S::ZERO, S::ONE),
        2,
        F::Gr88,
    ),
];

/// The table's entry for `fourcc`, or `None` when vkcompose has no mapping for it.
pub fn format_info(fourcc: DrmFourcc) -> Option<&'static FormatInfo> {
    FORMATS.iter().find(|f| f.fourcc == fourcc)
}

/// Every format vkcompose maps, in table order (ARGB8888 and XRGB8888 first).
pub fn all_formats() -> &'static [FormatInfo] {
    &FORMATS
}

/// The fourcc whose memory layout is exactly `format`, read without reordering: for naming
/// readbacks and screenshots. A format with alpha is preferred over its X variant
/// (`B8G8R8A8_UNORM` gives ARGB8888); `None` for formats the table lacks.
pub fn fourcc_for(format: vk::Format) -> Option<DrmFourcc> {
    FORMATS
        .iter()
        .find(|f| f.vk == format && !f.reorders_channels())
        .map(|f| f.fourcc)
}

/// The `wl_shm.format` enum value of `fourcc`: 0 and 1 for ARGB8888 and XRGB8888 (the
/// protocol's historical exceptions), the fourcc code for every other format.
pub fn wl_shm_format(fourcc: DrmFourcc) -> u32 {
    match fourcc {
        DrmFourcc::Argb8888 => 0,
        DrmFourcc::Xrgb8888 => 1,
        other => other as u32,
    }
}

/// The fourcc of a `wl_shm.format` enum value (see [`wl_shm_format`]), or `None` for a
/// value that is no known fourcc.
pub fn from_wl_shm_format(value: u32) -> Option<DrmFourcc> {
    match value {
        0 => Some(DrmFourcc::Argb8888),
        1 => Some(DrmFourcc::Xrgb8888),
        other => DrmFourcc::try_from(other).ok(),
    }
}

/// What the device can do with one format (optimal tiling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormatSupport {
    pub sample: bool,
    pub sample_linear_filter: bool,
    /// The device can render to the Vulkan format (`COLOR_ATTACHMENT`).
    pub render: bool,
    pub blend: bool,
    pub transfer_src: bool,
    pub transfer_dst: bool,
    pub blit_src: bool,
    pub blit_dst: bool,
    /// The fourcc needs a channel-reordering view swizzle
    /// ([`FormatInfo::reorders_channels`]), which attachments cannot have: not a render
    /// target even where the device can render to the Vulkan format.
    pub reorders_channels: bool,
}

impl FormatSupport {
    /// The support for a fourcc mapped as `info`, from its Vulkan format's
    /// optimal-tiling features.
    pub fn from_features(info: &FormatInfo, features: vk::FormatFeatureFlags) -> FormatSupport {
        use vk::FormatFeatureFlags as Ff;
        FormatSupport {
            sample: features.contains(Ff::SAMPLED_IMAGE),
            sample_linear_filter: features.contains(Ff::SAMPLED_IMAGE_FILTER_LINEAR),
            render: features.contains(Ff::COLOR_ATTACHMENT),
            blend: features.contains(Ff::COLOR_ATTACHMENT_BLEND),
            transfer_src: features.contains(Ff::TRANSFER_SRC),
            transfer_dst: features.contains(Ff::TRANSFER_DST),
            blit_src: features.contains(Ff::BLIT_SRC),
            blit_dst: features.contains(Ff::BLIT_DST),
            reorders_channels: info.reorders_channels(),
        }
    }

    /// Usable as a `wl_shm` texture: sampled and uploaded to. Scaling with a linear filter
    /// needs [`FormatSupport::sample_linear_filter`] as well.
    pub fn shm(&self) -> bool {
        self.sample && self.transfer_dst
    }

    /// Usable as a render target: rendered to with blending and read back, through an
    /// identity view. X formats can be targets: rendering writes the alpha channel into
    /// the ignored bytes, and readers of the X format ignore it.
    pub fn target(&self) -> bool {
        self.render && self.blend && self.transfer_src && !self.reorders_channels
    }
}

/// Every table format's support on one device.
#[derive(Clone, Debug)]
pub struct FormatTable {
    entries: Vec<(FormatInfo, FormatSupport)>,
}

impl FormatTable {
    /// Queries `vkGetPhysicalDeviceFormatProperties` once per Vulkan format of the table.
    /// The answer never changes for a device: probe once and keep the table.
    pub fn probe(device: &Device) -> FormatTable {
        let instance = device.physical_device().instance().raw();
        let physical = device.physical();
        let table = FormatTable::from_features(|format| {
            // SAFETY: a plain query; the physical device belongs to this live instance.
            unsafe { instance.get_physical_device_format_properties(physical, format) }
                .optimal_tiling_features
        });
        for (info, support) in &table.entries {
            tracing::debug!(
                "{}: {} ({:?}): shm {}, target {}, {support:?}",
                device.name(),
                info.fourcc,
                info.vk,
                support.shm(),
                support.target()
            );
        }
        table
    }

    /// The table from each Vulkan format's optimal-tiling features (asked once per format).
    pub fn from_features(mut features: impl FnMut(vk::Format) -> vk::FormatFeatureFlags) -> Self {
        let mut seen: Vec<(vk::Format, vk::FormatFeatureFlags)> = Vec::new();
        let entries = FORMATS
            .iter()
            .map(|info| {
                let flags = match seen.iter().find(|(f, _)| *f == info.vk) {
                    Some(&(_, flags)) => flags,
                    None => {
                        let flags = features(info.vk);
                        seen.push((info.vk, flags));
                        flags
                    }
                };
                (*info, FormatSupport::from_features(info, flags))
            })
            .collect();
        FormatTable { entries }
    }

    /// Every table format with its support, in table order.
    pub fn entries(&self) -> &[(FormatInfo, FormatSupport)] {
        &self.entries
    }

    /// The support for `fourcc`, or `None` when the table lacks it.
    pub fn support(&self, fourcc: DrmFourcc) -> Option<FormatSupport> {
        self.entries
            .iter()
            .find(|(info, _)| info.fourcc == fourcc)
            .map(|&(_, support)| support)
    }

    /// The formats a compositor can advertise for `wl_shm`, in table order. (Advertise
    /// them with [`wl_shm_format`]: the protocol numbers ARGB8888 and XRGB8888 0 and 1.)
    pub fn shm_formats(&self) -> Vec<DrmFourcc> {
        self.filtered(FormatSupport::shm)
    }

    /// The formats the device can render into (see [`FormatSupport::target`]), in table
    /// order.
    pub fn render_formats(&self) -> Vec<DrmFourcc> {
        self.filtered(FormatSupport::target)
    }

    /// The info, or [`Error::UnsupportedFormat`] naming the device and format when the
    /// table lacks it or the device cannot sample it (or upload to it).
    pub fn require_shm(&self, device_name: &str, fourcc: DrmFourcc) -> Result<&FormatInfo> {
        self.entries
            .iter()
            .find(|(info, support)| info.fourcc == fourcc && support.shm())
            .map(|(info, _)| info)
            .ok_or_else(|| Error::UnsupportedFormat {
                device: device_name.to_string(),
                fourcc: crate::drm_types::fourcc_code(fourcc as u32),
                what: "shm texture",
            })
    }

    fn filtered(&self, keep: fn(&FormatSupport) -> bool) -> Vec<DrmFourcc> {
        self.entries
            .iter()
            .filter(|(_, support)| keep(support))
            .map(|(info, _)| info.fourcc)
            .collect()
    }
}

/// The sRGB format of the same memory layout as `format`, where Vulkan has one: a view in
/// it encodes shader output to sRGB and decodes for blending, in hardware.
pub(crate) fn srgb_twin(format: vk::Format) -> Option<vk::Format> {
    match format {
        vk::Format::B8G8R8A8_UNORM => Some(vk::Format::B8G8R8A8_SRGB),
        vk::Format::R8G8B8A8_UNORM => Some(vk::Format::R8G8B8A8_SRGB),
        vk::Format::A8B8G8R8_UNORM_PACK32 => Some(vk::Format::A8B8G8R8_SRGB_PACK32),
        _ => None,
    }
}

/// `value` as IEEE half-precision bits, rounded to nearest (even on ties); beyond the
/// half range it saturates to infinity, as the conversion in hardware does. For uploads
/// of half-float formats (`Abgr16161616f` content, 3D LUTs).
pub fn f16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        let nan = if mantissa != 0 { 0x200 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let half_exponent = exponent - 127 + 15;
    if half_exponent >= 0x1f {
        return sign | 0x7c00;
    }
    if half_exponent <= 0 {
        // Subnormal (or zero): shift the mantissa, with its implicit bit, into place.
        if half_exponent < -10 {
            return sign;
        }
        let full = mantissa | 0x80_0000;
        let shift = (14 - half_exponent) as u32;
        return sign | round_shift(full, shift) as u16;
    }
    let rounded = round_shift(((half_exponent as u32) << 23) | mantissa, 13);
    sign | rounded as u16
}

/// `value >> shift`, rounded to nearest with ties to even.
fn round_shift(value: u32, shift: u32) -> u32 {
    let kept = value >> shift;
    let rest = value & ((1 << shift) - 1);
    let half = 1 << (shift - 1);
    if rest > half || (rest == half && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The formats the table must cover.
    const REQUIRED: [DrmFourcc; 18] = [
        F::Argb8888,
        F::Xrgb8888,
        F::Abgr8888,
        F::Xbgr8888,
        F::Rgba8888,
        F::Rgbx8888,
        F::Bgra8888,
        F::Bgrx8888,
        F::Rgb565,
        F::Bgr565,
        F::Argb2101010,
        F::Xrgb2101010,
        F::Abgr2101010,
        F::Xbgr2101010,
        F::Abgr16161616f,
        F::Xbgr16161616f,
        F::R8,
        F::Gr88,
    ];

    /// The fourcc's layout as drm_fourcc.h writes it: total bits, and each channel's name
    /// (`X` for ignored bits), lowest bit and width in the little-endian word. Written out
    /// independently of the table so that the two can check each other.
    fn drm_layout(fourcc: DrmFourcc) -> (u32, Vec<(char, u32, u32)>) {
        // From the most significant channel down, as the header lists them.
        let (bits, names, widths): (u32, &str, &[u32]) = match fourcc {
            F::Argb8888 => (32, "ARGB", &[8, 8, 8, 8]),
            F::Xrgb8888 => (32, "XRGB", &[8, 8, 8, 8]),
            F::Abgr8888 => (32, "ABGR", &[8, 8, 8, 8]),
            F::Xbgr8888 => (32, "XBGR", &[8, 8, 8, 8]),
            F::Rgba8888 => (32, "RGBA", &[8, 8, 8, 8]),
            F::Rgbx8888 => (32, "RGBX", &[8, 8, 8, 8]),
            F::Bgra8888 => (32, "BGRA", &[8, 8, 8, 8]),
            F::Bgrx8888 => (32, "BGRX", &[8, 8, 8, 8]),
            F::Rgb565 => (16, "RGB", &[5, 6, 5]),
            F::Bgr565 => (16, "BGR", &[5, 6, 5]),
            F::Argb2101010 => (32, "ARGB", &[2, 10, 10, 10]),
            F::Xrgb2101010 => (32, "XRGB", &[2, 10, 10, 10]),
            F::Abgr2101010 => (32, "ABGR", &[2, 10, 10, 10]),
            F::Xbgr2101010 => (32, "XBGR", &[2, 10, 10, 10]),
            F::Abgr16161616f => (64, "ABGR", &[16, 16, 16, 16]),
            F::Xbgr16161616f => (64, "XBGR", &[16, 16, 16, 16]),
            F::R8 => (8, "R", &[8]),
            F::Gr88 => (16, "GR", &[8, 8]),
            other => panic!("no layout written for {other}"),
        };
        (bits, packed_layout(bits, names, widths))
    }

    /// Vulkan's own definition of a format's stored components r, g, b, a in a
    /// little-endian word, written from the Vulkan spec's format names: packed formats
    /// list components from the most significant bits, the others in memory order.
    fn vk_layout(format: vk::Format) -> Vec<(char, u32, u32)> {
        match format {
            vk::Format::R8G8B8A8_UNORM => memory_order("rgba", 8),
            vk::Format::B8G8R8A8_UNORM => memory_order("bgra", 8),
            vk::Format::R16G16B16A16_SFLOAT => memory_order("rgba", 16),
            vk::Format::R8_UNORM => memory_order("r", 8),
            vk::Format::R8G8_UNORM => memory_order("rg", 8),
            vk::Format::R5G6B5_UNORM_PACK16 => packed_layout(16, "rgb", &[5, 6, 5]),
            vk::Format::B5G6R5_UNORM_PACK16 => packed_layout(16, "bgr", &[5, 6, 5]),
            vk::Format::A2R10G10B10_UNORM_PACK32 => packed_layout(32, "argb", &[2, 10, 10, 10]),
            vk::Format::A2B10G10R10_UNORM_PACK32 => packed_layout(32, "abgr", &[2, 10, 10, 10]),
            other => panic!("no layout written for {other:?}"),
        }
    }

    fn packed_layout(bits: u32, names: &str, widths: &[u32]) -> Vec<(char, u32, u32)> {
        assert_eq!(widths.iter().sum::<u32>(), bits);
        let mut top = bits;
        names
            .chars()
            .zip(widths)
            .map(|(name, &width)| {
                top -= width;
                (name, top, width)
            })
            .collect()
    }

    fn memory_order(names: &str, width: u32) -> Vec<(char, u32, u32)> {
        names
            .chars()
            .enumerate()
            .map(|(i, name)| (name, i as u32 * width, width))
            .collect()
    }

    /// A channel as a shader sees it: raw bits of some width, or a constant.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Value {
        Bits { value: u64, width: u32 },
        Zero,
        One,
    }

    fn field(word: u64, lsb: u32, width: u32) -> Value {
        Value::Bits {
            value: (word >> lsb) & ((1u64 << width) - 1),
            width,
        }
    }

    /// What a shader reads from `bytes` of `format` through a view with `swizzle`, as
    /// Vulkan defines it (missing g and b read 0, missing a reads 1).
    fn sample(format: vk::Format, swizzle: vk::ComponentMapping, bytes: &[u8]) -> [Value; 4] {
        let mut padded = [0u8; 8];
        padded[..bytes.len()].copy_from_slice(bytes);
        let word = u64::from_le_bytes(padded);
        let layout = vk_layout(format);
        let stored: [Value; 4] = std::array::from_fn(|i| {
            let name = b"rgba"[i] as char;
            match layout.iter().find(|(n, _, _)| *n == name) {
                Some(&(_, lsb, width)) => field(word, lsb, width),
                None if name == 'a' => Value::One,
                None => Value::Zero,
            }
        });
        let pick = |s: S, own: usize| match s {
            S::IDENTITY => stored[own],
            S::R => stored[0],
            S::G => stored[1],
            S::B => stored[2],
            S::A => stored[3],
            S::ZERO => Value::Zero,
            S::ONE => Value::One,
            other => panic!("bad swizzle {other:?}"),
        };
        [
            pick(swizzle.r, 0),
            pick(swizzle.g, 1),
            pick(swizzle.b, 2),
            pick(swizzle.a, 3),
        ]
    }

    /// What the DRM definition says a pixel holds: its channels' bits, alpha 1 for X
    /// formats and formats without alpha, 0 for missing colour channels.
    fn meaning(fourcc: DrmFourcc, word: u64) -> [Value; 4] {
        let (_, layout) = drm_layout(fourcc);
        std::array::from_fn(|i| {
            let name = b"RGBA"[i] as char;
            match layout.iter().find(|(n, _, _)| *n == name) {
                Some(&(_, lsb, width)) => field(word, lsb, width),
                None if name == 'A' => Value::One,
                None => Value::Zero,
            }
        })
    }

    fn info(fourcc: DrmFourcc) -> &'static FormatInfo {
        format_info(fourcc).unwrap_or_else(|| panic!("{fourcc} is not in the table"))
    }

    #[test]
    fn every_required_format_is_in_the_table_exactly_once() {
        for fourcc in REQUIRED {
            let count = all_formats().iter().filter(|f| f.fourcc == fourcc).count();
            assert_eq!(count, 1, "{fourcc} is in the table {count} times");
            assert_eq!(info(fourcc).fourcc, fourcc);
        }
        for (i, a) in all_formats().iter().enumerate() {
            for b in &all_formats()[i + 1..] {
                assert_ne!(a.fourcc, b.fourcc, "{} is in the table twice", a.fourcc);
            }
        }
        assert_eq!(format_info(DrmFourcc::Nv12), None);
        assert_eq!(all_formats()[0].fourcc, DrmFourcc::Argb8888);
        assert_eq!(all_formats()[1].fourcc, DrmFourcc::Xrgb8888);
    }

    #[test]
    fn bytes_per_pixel_matches_the_bit_depth_and_the_recorder() {
        for f in all_formats() {
            let (bits, layout) = drm_layout(f.fourcc);
            assert_eq!(f.bytes_per_pixel * 8, bits, "{}", f.fourcc);
            assert_eq!(
                layout.iter().map(|c| c.2).sum::<u32>(),
                bits,
                "{}",
                f.fourcc
            );
            assert_eq!(
                crate::pipelines::recorder::texel_size(f.vk),
                Some(f.bytes_per_pixel),
                "{} as {:?}",
                f.fourcc,
                f.vk
            );
        }
    }

    #[test]
    fn x_formats_read_alpha_as_one_and_point_to_their_alpha_variant() {
        let mut x_formats = 0;
        for f in all_formats() {
            assert_eq!(f.has_alpha, f.swizzle.a != S::ONE, "{}", f.fourcc);
            let (_, layout) = drm_layout(f.fourcc);
            let has_x = layout.iter().any(|c| c.0 == 'X');
            let has_a = layout.iter().any(|c| c.0 == 'A');
            assert_eq!(f.has_alpha, has_a, "{}", f.fourcc);
            if has_x {
                x_formats += 1;
                let a = info(f.with_alpha);
                assert_ne!(a.fourcc, f.fourcc);
                assert!(a.has_alpha, "{} -> {}", f.fourcc, a.fourcc);
                assert_eq!(a.with_alpha, a.fourcc);
                assert_eq!(a.vk, f.vk, "{} -> {}", f.fourcc, a.fourcc);
                assert_eq!(a.bytes_per_pixel, f.bytes_per_pixel);
                assert!(same_mapping(&opaque(a.swizzle), &f.swizzle), "{}", f.fourcc);
                // The X is where the A is.
                let x_at = layout.iter().position(|c| c.0 == 'X');
                let a_at = drm_layout(a.fourcc).1.iter().position(|c| c.0 == 'A');
                assert_eq!(x_at, a_at, "{}", f.fourcc);
            } else {
                assert_eq!(f.with_alpha, f.fourcc, "{}", f.fourcc);
            }
        }
        assert_eq!(x_formats, 7);
    }

    #[test]
    fn the_view_reads_what_the_drm_definition_means() {
        // Pseudo-random pixels: every channel of every format gets many distinct values.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..256 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for f in all_formats() {
                let bits = f.bytes_per_pixel * 8;
                let word = if bits == 64 {
                    state
                } else {
                    state & ((1 << bits) - 1)
                };
                let bytes = &word.to_le_bytes()[..f.bytes_per_pixel as usize];
                assert_eq!(
                    sample(f.vk, f.swizzle, bytes),
                    meaning(f.fourcc, word),
                    "{} as {:?} with {:?}, pixel {word:#x}",
                    f.fourcc,
                    f.vk,
                    f.swizzle
                );
            }
        }
    }

    fn bits8(value: u64) -> Value {
        Value::Bits { value, width: 8 }
    }

    fn bits(value: u64, width: u32) -> Value {
        Value::Bits { value, width }
    }

    /// What the view of `fourcc` reads from one pixel's bytes.
    fn read(fourcc: DrmFourcc, bytes: &[u8]) -> [Value; 4] {
        let i = info(fourcc);
        sample(i.vk, i.swizzle, bytes)
    }

    #[test]
    fn byte_order_of_argb_and_abgr_8888() {
        // ARGB8888 0xAARRGGBB is stored [BB, GG, RR, AA]: B8G8R8A8 reads byte 0 as blue.
        let argb: u32 = 0x44_11_22_33;
        assert_eq!(argb.to_le_bytes(), [0x33, 0x22, 0x11, 0x44]);
        assert_eq!(
            read(F::Argb8888, &argb.to_le_bytes()),
            [bits8(0x11), bits8(0x22), bits8(0x33), bits8(0x44)]
        );
        // XRGB8888: the same bytes, the alpha byte ignored.
        assert_eq!(
            read(F::Xrgb8888, &[0x33, 0x22, 0x11, 0x99]),
            [bits8(0x11), bits8(0x22), bits8(0x33), Value::One]
        );
        // ABGR8888 0xAABBGGRR is stored [RR, GG, BB, AA]: plain R8G8B8A8.
        assert_eq!(info(F::Abgr8888).vk, vk::Format::R8G8B8A8_UNORM);
        assert_eq!(
            read(F::Abgr8888, &[0x11, 0x22, 0x33, 0x44]),
            [bits8(0x11), bits8(0x22), bits8(0x33), bits8(0x44)]
        );
    }

    /// The orders with alpha in the low byte, which no Vulkan format has: the view swizzles.
    #[test]
    fn byte_order_of_rgba_and_bgra_8888() {
        // RGBA8888 0xRRGGBBAA is stored [AA, BB, GG, RR].
        let rgba: u32 = 0x11_22_33_44;
        assert_eq!(rgba.to_le_bytes(), [0x44, 0x33, 0x22, 0x11]);
        assert_eq!(
            read(F::Rgba8888, &rgba.to_le_bytes()),
            [bits8(0x11), bits8(0x22), bits8(0x33), bits8(0x44)]
        );
        // BGRA8888 0xBBGGRRAA is stored [AA, RR, GG, BB].
        assert_eq!(
            read(F::Bgra8888, &[0x44, 0x11, 0x22, 0x33]),
            [bits8(0x11), bits8(0x22), bits8(0x33), bits8(0x44)]
        );
    }

    /// Channels packed across bytes: the DRM code names them from the high bits of a
    /// little-endian word.
    #[test]
    fn byte_order_of_packed_formats() {
        // RGB565 pure red is 0xf800, stored [0x00, 0xf8].
        assert_eq!(
            read(F::Rgb565, &0xf800u16.to_le_bytes()),
            [bits(31, 5), bits(0, 6), bits(0, 5), Value::One]
        );
        // BGR565 pure red is 0x001f.
        assert_eq!(read(F::Bgr565, &0x001fu16.to_le_bytes())[0], bits(31, 5));
        // ARGB2101010 opaque red: alpha 3 in bits 31:30, red 1023 in 29:20.
        let word: u32 = (3 << 30) | (1023 << 20);
        let argb = read(F::Argb2101010, &word.to_le_bytes());
        assert_eq!(argb[0], bits(1023, 10));
        assert_eq!(argb[3], bits(3, 2));
        // ABGR2101010 has red in the low bits.
        assert_eq!(
            read(F::Abgr2101010, &1023u32.to_le_bytes())[0],
            bits(1023, 10)
        );
    }

    #[test]
    fn byte_order_of_half_floats() {
        // ABGR16161616F: red is the first half float in memory (1.0 = 0x3c00).
        let word: u64 = 0x3c00;
        assert_eq!(
            read(F::Abgr16161616f, &word.to_le_bytes())[0],
            bits(0x3c00, 16)
        );
    }

    #[test]
    fn byte_order_of_one_and_two_channel_formats() {
        // R8 reads as (r, 0, 0, 1), GR88 [RR, GG] as (r, g, 0, 1).
        assert_eq!(
            read(F::R8, &[0x80]),
            [bits8(0x80), Value::Zero, Value::Zero, Value::One]
        );
        assert_eq!(
            read(F::Gr88, &0x2211u16.to_le_bytes()),
            [bits8(0x11), bits8(0x22), Value::Zero, Value::One]
        );
    }

    #[test]
    fn only_rgba_and_bgra_orders_reorder_channels() {
        let reordering: Vec<DrmFourcc> = all_formats()
            .iter()
            .filter(|f| f.reorders_channels())
            .map(|f| f.fourcc)
            .collect();
        assert_eq!(
            reordering,
            [F::Rgba8888, F::Rgbx8888, F::Bgra8888, F::Bgrx8888]
        );
    }

    #[test]
    fn fourcc_for_names_the_unswizzled_format_with_alpha() {
        assert_eq!(fourcc_for(vk::Format::B8G8R8A8_UNORM), Some(F::Argb8888));
        assert_eq!(fourcc_for(vk::Format::R8G8B8A8_UNORM), Some(F::Abgr8888));
        assert_eq!(
            fourcc_for(vk::Format::A2B10G10R10_UNORM_PACK32),
            Some(F::Abgr2101010)
        );
        assert_eq!(
            fourcc_for(vk::Format::R16G16B16A16_SFLOAT),
            Some(F::Abgr16161616f)
        );
        assert_eq!(fourcc_for(vk::Format::R8_UNORM), Some(F::R8));
        assert_eq!(fourcc_for(vk::Format::R8G8B8A8_SRGB), None);
        for f in all_formats() {
            let named = info(fourcc_for(f.vk).expect("every table format is named"));
            assert_eq!(named.vk, f.vk);
            assert!(!named.reorders_channels());
        }
    }

    #[test]
    fn wl_shm_codes_are_0_and_1_for_the_two_mandatory_formats() {
        assert_eq!(wl_shm_format(F::Argb8888), 0);
        assert_eq!(wl_shm_format(F::Xrgb8888), 1);
        assert_eq!(wl_shm_format(F::Abgr8888), F::Abgr8888 as u32);
        for f in all_formats() {
            assert_eq!(from_wl_shm_format(wl_shm_format(f.fourcc)), Some(f.fourcc));
        }
        assert_eq!(from_wl_shm_format(2), None);
    }

    #[test]
    fn a_table_filters_by_support_and_names_what_is_missing() {
        use vk::FormatFeatureFlags as Ff;
        let full = Ff::SAMPLED_IMAGE
            | Ff::SAMPLED_IMAGE_FILTER_LINEAR
            | Ff::COLOR_ATTACHMENT
            | Ff::COLOR_ATTACHMENT_BLEND
            | Ff::TRANSFER_SRC
            | Ff::TRANSFER_DST
            | Ff::BLIT_SRC
            | Ff::BLIT_DST;
        let mut asked = Vec::new();
        let table = FormatTable::from_features(|format| {
            asked.push(format);
            match format {
                vk::Format::B5G6R5_UNORM_PACK16 => Ff::empty(),
                vk::Format::R8_UNORM => Ff::SAMPLED_IMAGE | Ff::TRANSFER_DST,
                _ => full,
            }
        });
        // Once per Vulkan format.
        let mut unique = asked.clone();
        unique.sort_by_key(|f| f.as_raw());
        unique.dedup();
        assert_eq!(asked.len(), unique.len());
        assert_eq!(table.entries().len(), all_formats().len());

        let shm = table.shm_formats();
        assert_eq!(shm.len(), 17);
        assert!(!shm.contains(&F::Bgr565));
        assert_eq!(&shm[..2], &[F::Argb8888, F::Xrgb8888]);

        let render = table.render_formats();
        for absent in [
            F::Rgba8888,
            F::Rgbx8888,
            F::Bgra8888,
            F::Bgrx8888,
            F::Bgr565,
            F::R8,
        ] {
            assert!(!render.contains(&absent), "{absent}");
        }
        assert!(render.contains(&F::Xrgb8888));
        assert!(render.contains(&F::Gr88));
        assert_eq!(render.len(), 12);

        let rgba = table.support(F::Rgba8888).unwrap();
        assert!(rgba.shm() && rgba.render && rgba.reorders_channels && !rgba.target());
        assert_eq!(table.support(F::Nv12), None);

        assert_eq!(
            table.require_shm("gpu", F::Xrgb8888).unwrap().fourcc,
            F::Xrgb8888
        );
        // Big_endian is a flag drm-fourcc's Display panics on; a client can send it.
        for (fourcc, code) in [
            (F::Bgr565, "BG16"),
            (F::Nv12, "NV12"),
            (F::Big_endian, "0x80000000"),
        ] {
            let error = table.require_shm("gpu", fourcc).unwrap_err();
            assert!(
                matches!(&error, Error::UnsupportedFormat { device, fourcc, .. } if device == "gpu" && fourcc == code),
                "{error}"
            );
        }
    }

    #[test]
    fn halves_of_known_values() {
        assert_eq!(f16_bits(0.0), 0x0000);
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(0.5), 0x3800);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(1e6), 0x7c00);
        assert_eq!(f16_bits(1.0 / 3.0), 0x3555);
        // The smallest subnormal half, 2^-24.
        assert_eq!(f16_bits(5.960_464_5e-8), 0x0001);
    }
}
