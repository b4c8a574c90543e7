//! How each format vkcompose shares as a dmabuf lies in memory, plane by plane: what
//! validation needs to check strides and sizes, and the Vulkan format to import it as.
//!
//! The single-plane formats come from [`crate::resources::format`]'s table (one source for their
//! Vulkan format and texel size); the multi-planar YUV formats are listed here.

use ash::vk;

use crate::resources::format::{all_formats, format_info, DrmFourcc};

/// The most planes a format of the table has.
const MAX_PLANES: usize = 2;

/// One plane of a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaneInfo {
    /// Bytes of one texel of the plane (for NV12's chroma plane: one Cb, Cr pair).
    pub bytes_per_texel: u32,
    /// Pixels of the image one texel of the plane covers across: 2 for 4:2:0 and 4:2:2
    /// chroma, 1 otherwise.
    pub h_sub: u32,
    /// Pixels of the image one texel of the plane covers down: 2 for 4:2:0 chroma.
    pub v_sub: u32,
}

impl PlaneInfo {
    const fn full(bytes_per_texel: u32) -> PlaneInfo {
        PlaneInfo {
            bytes_per_texel,
            h_sub: 1,
            v_sub: 1,
        }
    }

    const fn half_both(bytes_per_texel: u32) -> PlaneInfo {
        PlaneInfo {
            bytes_per_texel,
            h_sub: 2,
            v_sub: 2,
        }
    }

    /// The plane's size in texels for an image of `width` x `height` pixels.
    pub fn extent(&self, width: u32, height: u32) -> (u32, u32) {
        (width.div_ceil(self.h_sub), height.div_ceil(self.v_sub))
    }

    /// Bytes of one row of the plane (no padding) for an image `width` pixels wide.
    pub fn row_bytes(&self, width: u32) -> u64 {
        u64::from(width.div_ceil(self.h_sub)) * u64::from(self.bytes_per_texel)
    }
}

/// A format's planes and the Vulkan format that imports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlaneLayout {
    pub fourcc: DrmFourcc,
    /// The name drm_fourcc.h gives the format (`ARGB8888`, `NV12`).
    pub name: &'static str,
    pub format: vk::Format,
    planes: [PlaneInfo; MAX_PLANES],
    plane_count: usize,
}

impl PlaneLayout {
    pub fn planes(&self) -> &[PlaneInfo] {
        &self.planes[..self.plane_count]
    }

    pub fn plane_count(&self) -> usize {
        self.plane_count
    }

    /// Chroma subsampling as the largest (across, down) factor of any plane: (2, 2) for
    /// 4:2:0, (2, 1) for 4:2:2, (1, 1) for everything else.
    pub fn subsampling(&self) -> (u32, u32) {
        self.planes()
            .iter()
            .fold((1, 1), |(h, v), p| (h.max(p.h_sub), v.max(p.v_sub)))
    }

    /// Whether the format has a Y plane and chroma planes of its own.
    pub fn multi_planar(&self) -> bool {
        self.plane_count > 1
    }
}

impl PlaneLayout {
    /// A two-plane layout with the chroma plane subsampled by (`h_sub`, `v_sub`), for
    /// tests of subsampling rules that no listed format exercises (4:2:2).
    #[cfg(test)]
    pub(crate) fn two_plane(name: &'static str, h_sub: u32, v_sub: u32) -> PlaneLayout {
        PlaneLayout {
            planes: [
                PlaneInfo::full(1),
                PlaneInfo {
                    bytes_per_texel: 2,
                    h_sub,
                    v_sub,
                },
            ],
            plane_count: 2,
            ..layout(DrmFourcc::Nv16, name, vk::Format::G8_B8R8_2PLANE_422_UNORM)
        }
    }
}

const fn layout(fourcc: DrmFourcc, name: &'static str, format: vk::Format) -> PlaneLayout {
    PlaneLayout {
        fourcc,
        name,
        format,
        planes: [PlaneInfo::full(0); MAX_PLANES],
        plane_count: 0,
    }
}

/// The formats of more than one plane, with their planes as drm_fourcc.h lays them out.
static MULTI_PLANAR: [PlaneLayout; 2] = [
    // Y plane of bytes, then a half-size plane of Cb, Cr byte pairs.
    PlaneLayout {
        planes: [PlaneInfo::full(1), PlaneInfo::half_both(2)],
        plane_count: 2,
        ..layout(
            DrmFourcc::Nv12,
            "NV12",
            vk::Format::G8_B8R8_2PLANE_420_UNORM,
        )
    },
    // NV12 with 16-bit samples holding 10 bits in their top bits (what 10X6 means).
    PlaneLayout {
        planes: [PlaneInfo::full(2), PlaneInfo::half_both(4)],
        plane_count: 2,
        ..layout(
            DrmFourcc::P010,
            "P010",
            vk::Format::G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16,
        )
    },
];

/// The layout of `fourcc`, or `None` when vkcompose cannot share it as a dmabuf.
pub fn plane_layout(fourcc: DrmFourcc) -> Option<PlaneLayout> {
    if let Some(info) = format_info(fourcc) {
        return Some(PlaneLayout {
            planes: [PlaneInfo::full(info.bytes_per_pixel); MAX_PLANES],
            plane_count: 1,
            ..layout(fourcc, single_plane_name(fourcc)?, info.vk)
        });
    }
    MULTI_PLANAR.iter().find(|l| l.fourcc == fourcc).copied()
}

/// Every format vkcompose can share as a dmabuf: the format table's, then NV12 and P010.
pub fn dmabuf_formats() -> impl Iterator<Item = PlaneLayout> {
    all_formats()
        .iter()
        .filter_map(|info| plane_layout(info.fourcc))
        .chain(MULTI_PLANAR.iter().copied())
}

/// The format's name for messages: drm_fourcc.h's (`ARGB8888`) where vkcompose knows the
/// format, else its four characters (`YUYV`) or, where they are not printable, its number.
pub fn fourcc_name(fourcc: DrmFourcc) -> String {
    match plane_layout(fourcc) {
        Some(layout) => layout.name.to_string(),
        None => crate::drm_types::fourcc_code(fourcc as u32),
    }
}

/// drm_fourcc.h's names of the format table's formats: the fourcc codes themselves
/// (`AR24`) say little in a log.
fn single_plane_name(fourcc: DrmFourcc) -> Option<&'static str> {
    use DrmFourcc as F;
    Some(match fourcc {
        F::Argb8888 => "ARGB8888",
        F::Xrgb8888 => "XRGB8888",
        F::Abgr8888 => "ABGR8888",
        F::Xbgr8888 => "XBGR8888",
        F::Rgba8888 => "RGBA8888",
        F::Rgbx8888 => "RGBX8888",
        F::Bgra8888 => "BGRA8888",
        F::Bgrx8888 => "BGRX8888",
        F::Rgb565 => "RGB565",
        F::Bgr565 => "BGR565",
        F::Argb2101010 => "ARGB2101010",
        F::Xrgb2101010 => "XRGB2101010",
        F::Abgr2101010 => "ABGR2101010",
        F::Xbgr2101010 => "XBGR2101010",
        F::Abgr16161616f => "ABGR16161616F",
        F::Xbgr16161616f => "XBGR16161616F",
        F::R8 => "R8",
        F::Gr88 => "GR88",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_format_and_the_two_yuv_formats_have_a_layout() {
        let layouts: Vec<PlaneLayout> = dmabuf_formats().collect();
        assert_eq!(layouts.len(), all_formats().len() + 2);
        for (info, layout) in all_formats().iter().zip(&layouts) {
            assert_eq!(layout.fourcc, info.fourcc);
            assert_eq!(layout.format, info.vk);
            assert_eq!(layout.planes(), [PlaneInfo::full(info.bytes_per_pixel)]);
            assert_eq!(layout.subsampling(), (1, 1));
            assert!(!layout.multi_planar());
        }
    }

    #[test]
    fn names_are_drm_fourcc_h_names() {
        for layout in dmabuf_formats() {
            assert_eq!(fourcc_name(layout.fourcc), layout.name);
        }
        // drm_fourcc.h's names spell out the channels where the code abbreviates them.
        assert_eq!(DrmFourcc::Argb8888.to_string(), "AR24");
        assert_eq!(fourcc_name(DrmFourcc::Argb8888), "ARGB8888");
        assert_eq!(fourcc_name(DrmFourcc::Abgr16161616f), "ABGR16161616F");
        assert_eq!(fourcc_name(DrmFourcc::R8), "R8");
        assert_eq!(fourcc_name(DrmFourcc::Yuyv), "YUYV");
    }

    #[test]
    fn nv12_and_p010_are_4_2_0_with_a_pair_per_chroma_texel() {
        let nv12 = plane_layout(DrmFourcc::Nv12).unwrap();
        assert_eq!(nv12.format, vk::Format::G8_B8R8_2PLANE_420_UNORM);
        assert_eq!(nv12.subsampling(), (2, 2));
        assert_eq!(nv12.planes()[0].row_bytes(64), 64);
        assert_eq!(nv12.planes()[1].row_bytes(64), 64);
        assert_eq!(nv12.planes()[1].extent(64, 32), (32, 16));
        let p010 = plane_layout(DrmFourcc::P010).unwrap();
        assert_eq!(p010.planes()[0].row_bytes(64), 128);
        assert_eq!(p010.planes()[1].row_bytes(64), 128);
        assert_eq!(p010.planes()[1].extent(64, 32), (32, 16));
        assert!(plane_layout(DrmFourcc::Yuyv).is_none());
    }
}
