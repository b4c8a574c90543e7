//! Reading pixels back: the copy is submitted at once and a handle returned; its bytes are
//! available when the GPU is done, so the caller never blocks unless it asks to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ash::vk;

use crate::core::sync::TimelineSemaphore;
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::gpu::submitter::Held;
use crate::render::renderer::Renderer;
use crate::resources::buffer::Buffer;
use crate::resources::format::{format_info, DrmFourcc};
use crate::resources::texture::{buffer_image_copy, color_layers, Texture, TextureDesc};

/// Readback buffers kept for reuse.
const MAX_SPARES: usize = 4;

/// Pixels on their way back from the GPU.
pub struct Readback {
    /// Always `Some` until drop returns it to the renderer's spares.
    buffer: Option<Buffer>,
    len: usize,
    spares: Arc<Mutex<Vec<Buffer>>>,
    timeline: std::sync::Arc<TimelineSemaphore>,
    point: u64,
    /// Kept until the copy has completed.
    _converted: Option<Texture>,
    pub width: u32,
    pub height: u32,
    pub fourcc: DrmFourcc,
}

impl Renderer {
    /// Copies `region` of a target this renderer drew into; see [`Renderer::copy_texture`].
    pub fn copy_framebuffer(
        &mut self,
        target: &Texture,
        region: Rect,
        fourcc: DrmFourcc,
    ) -> Result<Readback> {
        self.copy_texture(target, region, fourcc)
    }

    /// Copies `region` of `texture` into host memory as `fourcc` pixels (tightly packed
    /// rows), converting through a blit when `fourcc` is not the texture's own format.
    /// Returns at once.
    pub fn copy_texture(
        &mut self,
        texture: &Texture,
        region: Rect,
        fourcc: DrmFourcc,
    ) -> Result<Readback> {
        self.device().require_alive()?;
        self.require_own(texture)?;
        texture.require_usage(vk::ImageUsageFlags::TRANSFER_SRC, "a readback source")?;
        let bounds = Rect::new(0, 0, texture.width() as i32, texture.height() as i32);
        if region.is_empty() || region.intersect(&bounds) != Some(region) {
            return Err(Error::InvalidArgument(format!(
                "readback region {region:?} is not inside the {}x{} texture",
                texture.width(),
                texture.height()
            )));
        }
        let info =
            format_info(fourcc).ok_or_else(|| self.gpu().unsupported(fourcc, "readback format"))?;
        let (width, height) = (region.w as u32, region.h as u32);
        let bytes = u64::from(width) * u64::from(height) * u64::from(info.bytes_per_pixel);
        let buffer = self.readback_buffer(bytes)?;
        let mut recorder = self.gpu_mut().submitter().take_recorder()?;
        let same = texture.fourcc() == Some(fourcc)
            || (texture.fourcc().is_none() && texture.format() == info.vk);
        let converted = if same {
            record_copy_to_buffer(&mut recorder, texture, region, &buffer);
            None
        } else {
            let converted = match self.blit_converted(&mut recorder, texture, region, fourcc) {
                Ok(converted) => converted,
                Err(e) => {
                    self.gpu_mut().submitter().return_unsubmitted(recorder);
                    return Err(e);
                }
            };
            let whole = Rect::new(0, 0, region.w, region.h);
            record_copy_to_buffer(&mut recorder, &converted, whole, &buffer);
            Some(converted)
        };
        let held = Held {
            textures: vec![texture],
            ..Held::default()
        };
        let submitter = self.gpu_mut().submitter();
        let point = submitter.submit(recorder, &[], &[], held)?;
        let timeline = submitter.timeline().clone();
        Ok(Readback {
            buffer: Some(buffer),
            len: bytes as usize,
            spares: self.readback_spares().clone(),
            timeline,
            point,
            _converted: converted,
            width,
            height,
            fourcc,
        })
    }

    /// A buffer of at least `bytes` bytes: the smallest spare that fits, else a new one
    /// (readbacks of one size, as screencopy makes, reuse one buffer).
    fn readback_buffer(&mut self, bytes: u64) -> Result<Buffer> {
        let mut spares = self
            .readback_spares()
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let best = spares
            .iter()
            .enumerate()
            .filter(|(_, b)| b.size() >= bytes)
            .min_by_key(|(_, b)| b.size())
            .map(|(i, _)| i);
        match best {
            Some(i) => Ok(spares.swap_remove(i)),
            None => Buffer::new(self.device(), bytes, vk::BufferUsageFlags::TRANSFER_DST),
        }
    }

    /// A `region`-sized image of `fourcc` holding the region, converted by `vkCmdBlitImage`.
    fn blit_converted(
        &mut self,
        recorder: &mut crate::pipelines::recorder::Recorder,
        texture: &Texture,
        region: Rect,
        fourcc: DrmFourcc,
    ) -> Result<Texture> {
        let info = format_info(fourcc).expect("checked by the caller");
        let support = self.formats().support(fourcc).unwrap_or_default();
        let source = texture
            .fourcc()
            .and_then(|f| self.formats().support(f))
            .unwrap_or_default();
        let identity = !info.reorders_channels();
        if !(support.blit_dst && source.blit_src && identity) {
            return Err(self.gpu().unsupported(
                fourcc,
                "readback conversion target (the device cannot blit into it)",
            ));
        }
        let converted = Texture::new(
            self.device(),
            TextureDesc {
                width: region.w as u32,
                height: region.h as u32,
                format: info.vk,
                // Sampled only because every texture has a view, and views need a use.
                usage: vk::ImageUsageFlags::TRANSFER_DST
                    | vk::ImageUsageFlags::TRANSFER_SRC
                    | vk::ImageUsageFlags::SAMPLED,
                has_alpha: info.has_alpha,
                fourcc: Some(fourcc),
                ..Default::default()
            },
        )?;
        recorder.transition(texture, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
        recorder.transition(&converted, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        let layers = color_layers();
        let blit = vk::ImageBlit {
            src_subresource: layers,
            src_offsets: [
                vk::Offset3D {
                    x: region.x,
                    y: region.y,
                    z: 0,
                },
                vk::Offset3D {
                    x: region.right(),
                    y: region.bottom(),
                    z: 1,
                },
            ],
            dst_subresource: layers,
            dst_offsets: [
                vk::Offset3D::default(),
                vk::Offset3D {
                    x: region.w,
                    y: region.h,
                    z: 1,
                },
            ],
        };
        // SAFETY: both images are in the transfer layouts recorded above and support
        // blitting (checked); the regions are inside both.
        unsafe {
            self.device().raw().cmd_blit_image(
                recorder.command_buffer(),
                texture.image(),
                vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
                converted.image(),
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &[blit],
                vk::Filter::NEAREST,
            )
        };
        Ok(converted)
    }
}

impl Readback {
    /// Whether the bytes are there (never blocks).
    pub fn is_ready(&self) -> Result<bool> {
        Ok(self.timeline.value()? >= self.point)
    }

    /// Waits for the copy, up to `timeout`; `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        self.timeline.wait(self.point, timeout)
    }

    /// The pixels if the copy has completed, without waiting.
    pub fn try_bytes(&self) -> Result<Option<&[u8]>> {
        Ok(self.is_ready()?.then(|| self.pixels()))
    }

    fn pixels(&self) -> &[u8] {
        let buffer = self.buffer.as_ref().expect("present until drop");
        &buffer.bytes()[..self.len]
    }

    /// The pixels, rows of `width * bytes_per_pixel` bytes; waits for the copy if needed.
    pub fn bytes(&self) -> Result<&[u8]> {
        self.wait(Duration::MAX)?;
        Ok(self.pixels())
    }
}

impl Drop for Readback {
    fn drop(&mut self) {
        // The buffer (and converted image) must outlive the copy into them.
        if self.wait(Duration::MAX).is_ok() {
            let mut spares = self.spares.lock().unwrap_or_else(|p| p.into_inner());
            // A few sizes are kept; more would only hold memory.
            if spares.len() < MAX_SPARES {
                spares.extend(self.buffer.take());
            }
        }
    }
}

fn record_copy_to_buffer(
    recorder: &mut crate::pipelines::recorder::Recorder,
    texture: &Texture,
    region: Rect,
    buffer: &Buffer,
) {
    let previous = texture.layout();
    recorder.transition(texture, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
    let texels = (region.x, region.y, region.w as u32, region.h as u32);
    let copy = buffer_image_copy(0, 0, texels);
    // SAFETY: the region is inside the texture (checked) and the buffer holds it tightly
    // packed; the texture is in TRANSFER_SRC_OPTIMAL after the barrier above.
    unsafe {
        recorder.device().raw().cmd_copy_image_to_buffer(
            recorder.command_buffer(),
            texture.image(),
            vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
            buffer.raw(),
            &[copy],
        )
    };
    // Textures go back to being sampled; targets stay in the transfer layout, which the
    // next frame's barrier leaves.
    if previous == vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL {
        recorder.transition(texture, previous);
    }
}
