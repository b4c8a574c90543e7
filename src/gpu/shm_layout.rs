//! The layout of client memory holding one shm buffer, and what copying its damage reads:
//! pure arithmetic, checked before anything touches the device (and fuzzed in `fuzz/`).

use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::resources::format::{DrmFourcc, FormatInfo};

/// How shm bytes are laid out: `height` rows of `stride` bytes, `width` pixels each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShmLayout {
    pub fourcc: DrmFourcc,
    pub width: u32,
    pub height: u32,
    pub stride: u32,
}

/// One damaged rectangle's copy out of client memory: `rows` rows of `row_bytes` bytes,
/// the first at `start`, each `stride` bytes after the one before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShmCopy {
    /// Texels of the buffer the copy fills.
    pub rect: Rect,
    /// Byte of the rectangle's top-left texel in the buffer's memory.
    pub start: usize,
    pub row_bytes: usize,
    pub rows: usize,
    pub stride: usize,
}

impl ShmLayout {
    /// Checks that `available` bytes of `info`'s pixels hold this layout and that its size
    /// is within 1x1 to `max_extent` on each side: every failure is [`Error::BadBuffer`]
    /// saying why. `info` must be the table entry of `self.fourcc`.
    pub fn check(&self, info: &FormatInfo, available: u64, max_extent: u32) -> Result<()> {
        let (width, height) = (self.width, self.height);
        check_extent(width, height, max_extent)?;
        let bpp = info.bytes_per_pixel;
        let row = u64::from(width) * u64::from(bpp);
        if u64::from(self.stride) < row {
            return Err(Error::BadBuffer(format!(
                "stride {} is less than a row of {width} {} pixels ({row} bytes)",
                self.stride,
                crate::drm_types::fourcc_code(self.fourcc as u32)
            )));
        }
        if self.stride % bpp != 0 {
            return Err(Error::BadBuffer(format!(
                "stride {} is not a multiple of the {bpp}-byte pixel",
                self.stride
            )));
        }
        let needed = self.bytes_needed(bpp);
        if available < needed {
            return Err(Error::BadBuffer(format!(
                "{available} bytes cannot hold {height} rows of {} bytes ({needed} bytes)",
                self.stride
            )));
        }
        Ok(())
    }

    /// Bytes the layout spans: every row but the last takes its stride; the last ends
    /// after its texels (a buffer may end there, without padding). 0 for no rows.
    pub fn bytes_needed(&self, bytes_per_pixel: u32) -> u64 {
        let row = u64::from(self.width) * u64::from(bytes_per_pixel);
        match self.height {
            0 => 0,
            h => u64::from(self.stride) * u64::from(h - 1) + row,
        }
    }

    /// The copies that bring `damage` (clipped to the buffer, overlaps removed so no texel
    /// is read twice) out of a buffer of this layout. For a layout that passed
    /// [`ShmLayout::check`], every byte they read lies within
    /// [`ShmLayout::bytes_needed`].
    pub fn copies(&self, bytes_per_pixel: u32, damage: &[Rect]) -> Vec<ShmCopy> {
        let bounds = Rect::new(0, 0, clamp_i32(self.width), clamp_i32(self.height));
        let inside: Vec<Rect> = damage.iter().filter_map(|r| r.intersect(&bounds)).collect();
        let bpp = bytes_per_pixel as usize;
        let stride = self.stride as usize;
        crate::geometry::disjoint(&inside)
            .into_iter()
            .map(|rect| ShmCopy {
                rect,
                start: rect.y as usize * stride + rect.x as usize * bpp,
                row_bytes: rect.w as usize * bpp,
                rows: rect.h as usize,
                stride,
            })
            .collect()
    }
}

/// A [`Error::BadBuffer`] unless `width` x `height` is within 1x1 to `max_extent` on each
/// side: the check of every buffer size the device must hold.
pub(crate) fn check_extent(width: u32, height: u32, max_extent: u32) -> Result<()> {
    if width == 0 || height == 0 || width > max_extent || height > max_extent {
        return Err(Error::BadBuffer(format!(
            "a {width}x{height} buffer is outside 1x1 to {max_extent}x{max_extent}"
        )));
    }
    Ok(())
}

impl ShmCopy {
    /// The first byte after the copy's last row.
    pub fn end(&self) -> usize {
        match self.rows {
            0 => self.start,
            rows => self.start + (rows - 1) * self.stride + self.row_bytes,
        }
    }

    /// Whether the rows follow each other without padding (one copy instead of one a row).
    pub fn contiguous(&self) -> bool {
        self.row_bytes == self.stride
    }
}

fn clamp_i32(value: u32) -> i32 {
    value.min(i32::MAX as u32) as i32
}
