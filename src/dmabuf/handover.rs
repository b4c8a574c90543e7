//! Handing shared textures over around a frame: their memory is also used by another
//! driver, process or Vulkan instance, so each frame acquires them from that owner's queue
//! family before using them and releases them back after, and (for dma-bufs) waits for
//! their kernel fences first and attaches its own to the ones it writes after.

use std::os::fd::{AsFd, BorrowedFd};

use ash::vk;

use super::implicit;
use super::linux::Access;
use crate::core::barrier::{record_image_barriers, ImageBarrier};
use crate::core::device::Device;
use crate::core::semaphore_pool::SemaphorePool;
use crate::core::sync::{Semaphore, SyncFile};
use crate::error::Result;
use crate::pipelines::recorder::Recorder;
use crate::resources::texture::Texture;

/// The layout shared images are in between frames: the only one every user agrees on.
/// Acquires name it also on a texture's first use: the image is UNDEFINED to this device
/// until then, but an acquire from UNDEFINED would allow the driver to discard what the
/// other owner wrote.
const SHARED_LAYOUT: vk::ImageLayout = vk::ImageLayout::GENERAL;

/// The shared textures one frame uses: the target (written) and sources (read).
pub(crate) struct Handover<'a> {
    textures: Vec<(&'a Texture, Access)>,
}

impl<'a> Handover<'a> {
    pub fn new(target: &'a Texture, sources: impl IntoIterator<Item = &'a Texture>) -> Self {
        let mut textures: Vec<(&Texture, Access)> = Vec::new();
        if target.external().is_some() {
            textures.push((target, Access::ReadWrite));
        }
        for source in sources {
            let seen = textures.iter().any(|(t, _)| std::ptr::eq(*t, source));
            if source.external().is_some() && !seen {
                textures.push((source, Access::Read));
            }
        }
        Handover { textures }
    }

    /// Whether the frame uses no shared texture.
    pub fn is_empty(&self) -> bool {
        self.textures.is_empty()
    }

    /// Whether the frame writes a dma-buf (its target): the frame's completion fence is
    /// attached to those, so the frame exports a sync_file for them.
    pub fn writes_dmabufs(&self) -> bool {
        self.dmabuf_fds().any(|(_, access)| access != Access::Read)
    }

    fn dmabuf_fds(&self) -> impl Iterator<Item = (BorrowedFd<'_>, Access)> {
        self.textures.iter().flat_map(|(t, access)| {
            t.external()
                .into_iter()
                .flat_map(|e| e.dmabuf_fds.iter())
                .map(move |fd| (fd.as_fd(), *access))
        })
    }

    /// Semaphores (from `pool`) the frame's submission waits on for the buffers' pending
    /// work: empty where it is done already or was waited for on the CPU instead. On an
    /// error the semaphores already made are dropped, their imports never waited on.
    pub fn fences_before(
        &self,
        device: &Device,
        pool: &mut SemaphorePool,
    ) -> Result<Vec<Semaphore>> {
        let mut waits = Vec::new();
        for (fd, access) in self.dmabuf_fds() {
            if let Some(file) = implicit::before_gpu_access(device, fd, access)? {
                waits.push(pool.import(file)?);
            }
        }
        Ok(waits)
    }

    /// Attaches the frame's completion to each dma-buf the frame writes. False when it
    /// could not be: the caller waits for the frame on the CPU before the buffers go back.
    ///
    /// Dma-bufs the frame only samples get no read fence. By the Wayland buffer contract
    /// a client does not write a buffer between committing it and wl_buffer.release, and
    /// the compositor sends that release once the frames sampling the buffer are done
    /// (their [`crate::SyncPoint`]s reached), so no writer needs to wait on our reads.
    /// Attaching one would need the frame's sync_file, and exporting that blocks until the
    /// frame completes on some drivers (Mesa 25 lavapipe), so a frame sampling a buffer
    /// whose producer is still drawing would block in `finish` until it is done.
    pub fn fences_after(&self, done: Option<&SyncFile>) -> Result<bool> {
        let mut attached = true;
        for (fd, access) in self.dmabuf_fds() {
            if access != Access::Read {
                attached &= implicit::after_gpu_access(fd, access, done)?;
            }
        }
        Ok(attached)
    }

    /// Acquires every texture from its other owner, into the layout the frame uses it in.
    pub fn record_acquire(&self, recorder: &mut Recorder) {
        let family = recorder.device().queue_family();
        let barriers: Vec<ImageBarrier> = self
            .textures
            .iter()
            .filter_map(|&(texture, access)| {
                let foreign = texture.external()?.foreign_family;
                let layout = match access {
                    Access::Read => vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
                    Access::Write | Access::ReadWrite => vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
                };
                texture.record_layout(layout);
                Some(ImageBarrier::acquire_from_foreign(
                    texture.image(),
                    foreign,
                    family,
                    SHARED_LAYOUT,
                    layout,
                ))
            })
            .collect();
        // SAFETY: the recorder is recording outside a render pass; each image is in
        // `old_layout` (its contents' layout as the other owner left it).
        unsafe { record_image_barriers(recorder.device(), recorder.command_buffer(), &barriers) };
    }

    /// Releases every texture back to its other owner in the shared layout.
    pub fn record_release(&self, recorder: &mut Recorder) {
        let family = recorder.device().queue_family();
        let barriers: Vec<ImageBarrier> = self
            .textures
            .iter()
            .filter_map(|&(texture, _)| {
                let foreign = texture.external()?.foreign_family;
                let barrier = ImageBarrier::release_to_foreign(
                    texture.image(),
                    family,
                    foreign,
                    texture.layout(),
                    SHARED_LAYOUT,
                );
                texture.record_layout(SHARED_LAYOUT);
                Some(barrier)
            })
            .collect();
        // SAFETY: recording outside a render pass; each image is in its tracked layout.
        unsafe { record_image_barriers(recorder.device(), recorder.command_buffer(), &barriers) };
    }
}
