//! shm buffers: client memory copied into textures. Only damaged rectangles are copied,
//! through the staging ring; where the device has `VK_EXT_external_memory_host`, a
//! page-aligned shm pool is imported once and the GPU copies straight from it. The
//! renderer's public methods (`render/shm`) call these.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ash::vk;

use super::shm_layout::ShmLayout;
use super::Gpu;
use crate::core::capabilities::ShmUpload;
use crate::core::sync::TimelineSemaphore;
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::resources::buffer::HostBuffer;
use crate::resources::format::FormatInfo;
use crate::resources::texture::{Texture, TextureDesc};

/// An shm pool imported as host memory: the GPU reads it directly.
pub struct ShmPool {
    host: HostBuffer,
    /// The last point of work reading the pool; drop waits for it.
    last_use: Mutex<Option<(Arc<TimelineSemaphore>, u64)>>,
}

impl Gpu {
    /// A texture holding a copy of an shm buffer.
    pub(crate) fn import_memory(&mut self, data: &[u8], layout: ShmLayout) -> Result<Texture> {
        let info = self.check_layout(&layout, data.len() as u64)?;
        let texture = self.texture_for_copies(layout.width, layout.height, info)?;
        texture.set_owner(self.id);
        let whole = Rect::new(0, 0, layout.width as i32, layout.height as i32);
        self.copy_damage(&texture, data, &layout, info, &[whole])?;
        Ok(texture)
    }

    /// Copies the damaged rectangles of `data` (laid out like the texture, `stride` bytes a
    /// row) into `texture`; everything else keeps its contents.
    pub(crate) fn update_memory(
        &mut self,
        texture: &Texture,
        data: &[u8],
        stride: u32,
        damage: &[Rect],
    ) -> Result<()> {
        self.require_own(texture)?;
        let layout = texture_layout(texture, stride)?;
        let info = self.check_layout(&layout, data.len() as u64)?;
        self.copy_damage(texture, data, &layout, info, damage)
    }

    /// Imports `len` bytes at `ptr` (an shm pool's mapping) as host memory the GPU can copy
    /// from. Fails with a typed error where the device has no host-pointer import or the
    /// mapping is not aligned to what it needs (then use `update_memory`).
    ///
    /// # Safety
    /// The `len` bytes at `ptr` stay mapped, readable and not unmapped until the returned
    /// pool is dropped (its drop waits for the GPU work reading it).
    pub(crate) unsafe fn import_shm_pool(&mut self, ptr: *mut u8, len: usize) -> Result<ShmPool> {
        let ShmUpload::HostPointer { alignment } = self.device.capabilities().shm_upload else {
            return Err(Error::Unsupported {
                device: self.device.name().to_string(),
                what: "host-pointer import (VK_EXT_external_memory_host)".into(),
            });
        };
        if ptr as usize % alignment as usize != 0 || len as u64 % alignment != 0 || len == 0 {
            return Err(Error::BadBuffer(format!(
                "an shm pool of {len} bytes at {ptr:p} is not aligned to the {alignment} bytes host import needs"
            )));
        }
        // SAFETY: aligned (checked above), the extension is enabled (the capability says
        // so), and the range outlives the pool (this function's contract).
        let host = unsafe { HostBuffer::import(&self.device, ptr.cast_const(), len as u64) }?;
        Ok(ShmPool {
            host,
            last_use: Mutex::new(None),
        })
    }

    /// Copies the damaged rectangles of the buffer at `offset` in `pool` into `texture` on
    /// the GPU: no CPU copy.
    pub(crate) fn update_from_pool(
        &mut self,
        texture: &Texture,
        pool: &ShmPool,
        offset: u64,
        stride: u32,
        damage: &[Rect],
    ) -> Result<()> {
        self.require_own(texture)?;
        let layout = texture_layout(texture, stride)?;
        let info = self.check_layout(&layout, pool.len().saturating_sub(offset))?;
        let bpp = u64::from(info.bytes_per_pixel);
        if offset % bpp != 0 {
            return Err(Error::BadBuffer(format!(
                "buffer offset {offset} is not a multiple of the {bpp}-byte pixel"
            )));
        }
        let regions: Vec<_> = layout
            .copies(info.bytes_per_pixel, damage)
            .iter()
            .map(|c| {
                copy_region(
                    offset + c.start as u64,
                    stride / info.bytes_per_pixel,
                    &c.rect,
                )
            })
            .collect();
        let point = self.submitter.next_point();
        pool.mark_used(self.submitter.timeline(), point);
        self.submitter.hold_for_uploads(texture);
        let uploads = self.submitter.uploads()?;
        uploads.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        record_copy(uploads, texture, pool.host.raw(), &regions);
        uploads.transition(texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
        // Submitted now, so that dropping the pool (which waits for this point before the
        // caller may unmap it) never waits for work nobody will submit.
        self.submitter.flush().map(|_| ())
    }

    /// A texture of our own that client pixels are copied into: sampled, a transfer
    /// destination, and readable back.
    pub(crate) fn texture_for_copies(
        &self,
        width: u32,
        height: u32,
        info: &FormatInfo,
    ) -> Result<Texture> {
        Texture::new(
            &self.device,
            TextureDesc {
                width,
                height,
                format: info.vk,
                usage: vk::ImageUsageFlags::SAMPLED
                    | vk::ImageUsageFlags::TRANSFER_DST
                    | vk::ImageUsageFlags::TRANSFER_SRC,
                has_alpha: info.has_alpha,
                swizzle: info.swizzle,
                fourcc: Some(info.fourcc),
            },
        )
    }

    fn check_layout(&self, layout: &ShmLayout, available: u64) -> Result<&'static FormatInfo> {
        let info = self.shm_format(layout.fourcc)?;
        layout.check(info, available, self.max_extent())?;
        Ok(info)
    }

    /// Packs each damaged rectangle of `data` (laid out as `layout`, checked) into the
    /// staging ring and records its copy into `texture`. Each copy is recorded right after
    /// its space is taken: if taking space had to submit pending uploads, the copies
    /// recorded so far went with them.
    fn copy_damage(
        &mut self,
        texture: &Texture,
        data: &[u8],
        layout: &ShmLayout,
        info: &FormatInfo,
        damage: &[Rect],
    ) -> Result<()> {
        let planned = layout.copies(info.bytes_per_pixel, damage);
        if planned.is_empty() {
            return Ok(());
        }
        let align = u64::from(info.bytes_per_pixel.max(4));
        // Everything that can fail comes before the first command: a failure then leaves
        // nothing recorded that refers to the texture (which the caller may drop at once).
        let mut copies = Vec::with_capacity(planned.len());
        for copy in planned {
            let len = (copy.row_bytes * copy.rows) as u64;
            let device = self.device.clone();
            let (staging, mut timeline) = self.submitter.staging_parts();
            let slice = staging.allocate(&device, len, align, &mut timeline)?;
            if copy.contiguous() {
                // Whole, unpadded rows are contiguous: one copy instead of one per row.
                slice.bytes.copy_from_slice(&data[copy.start..copy.end()]);
            } else {
                for (y, dst) in slice.bytes.chunks_exact_mut(copy.row_bytes).enumerate() {
                    let src = copy.start + y * copy.stride;
                    dst.copy_from_slice(&data[src..src + copy.row_bytes]);
                }
            }
            copies.push((slice.buffer, copy_region(slice.offset, 0, &copy.rect)));
        }
        let uploads = self.submitter.uploads()?;
        uploads.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        for (buffer, region) in copies {
            record_copy(uploads, texture, buffer, &[region]);
        }
        uploads.transition(texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
        self.submitter.hold_for_uploads(texture);
        Ok(())
    }
}

impl ShmPool {
    pub fn len(&self) -> u64 {
        self.host.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn mark_used(&self, timeline: &Arc<TimelineSemaphore>, point: u64) {
        let mut last = self.last_use.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some((timeline.clone(), point));
    }
}

impl Drop for ShmPool {
    fn drop(&mut self) {
        let last = self.last_use.get_mut().unwrap_or_else(|p| p.into_inner());
        if let Some((timeline, point)) = last.take() {
            let _ = timeline.wait(point, Duration::MAX);
        }
        // The host buffer is destroyed after this, once the work reading it has completed
        // (waited above).
    }
}

/// The layout of a buffer matching `texture` with `stride`.
fn texture_layout(texture: &Texture, stride: u32) -> Result<ShmLayout> {
    let fourcc = texture.fourcc().ok_or_else(|| {
        Error::InvalidArgument("only textures made from shm buffers can be updated".into())
    })?;
    Ok(ShmLayout {
        fourcc,
        width: texture.width(),
        height: texture.height(),
        stride,
    })
}

fn copy_region(buffer_offset: u64, row_length: u32, rect: &Rect) -> vk::BufferImageCopy {
    let texels = (rect.x, rect.y, rect.w as u32, rect.h as u32);
    crate::resources::texture::buffer_image_copy(buffer_offset, row_length, texels)
}

/// Records `regions` from `buffer` into `texture`, which is in TRANSFER_DST_OPTIMAL.
fn record_copy(
    recorder: &mut crate::pipelines::recorder::Recorder,
    texture: &Texture,
    buffer: vk::Buffer,
    regions: &[vk::BufferImageCopy],
) {
    if regions.is_empty() {
        return;
    }
    // SAFETY: the regions lie inside the texture (clipped) and the buffer (sized by the
    // caller); both outlive the submission (the texture and pool wait for it on drop, the
    // staging ring frees by timeline point).
    unsafe {
        recorder.device().raw().cmd_copy_buffer_to_image(
            recorder.command_buffer(),
            buffer,
            texture.image(),
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
            regions,
        )
    };
}
