//! LINEAR dma-bufs on drivers without dma-buf import but with host-memory import
//! (`VK_EXT_external_memory_host`: lavapipe, NVIDIA): plane 0 is mapped, the mapping's
//! pages are imported as host memory behind a `VkBuffer`, and the GPU copies from it into a
//! texture of our own with `vkCmdCopyBufferToImage`. No CPU copy.
//!
//! The mapping and its buffer are made once per buffer; every later import of the same
//! buffer (a client's next commit) records one more copy from them and creates nothing.
//! That is sound because the mapping is `MAP_SHARED` (it shows the buffer's bytes as they
//! are when the copy runs), and a host allocation import either reads through the pointer
//! (lavapipe) or pins the mapped pages for the import's life (drivers that map them for
//! the device to read), so they cannot move away underneath it. Mappings of memory the kernel backs
//! with no pages (a GPU's VRAM, `VM_PFNMAP`) cannot be imported as host allocations; the
//! driver refuses them and those buffers are copied on the CPU. The other handle type,
//! `HOST_MAPPED_FOREIGN_MEMORY`, is not used: it holds no reference to the memory and would
//! go stale if the exporter moved it.
//!
//! Implicit sync. To the kernel, the GPU reading through our mapping is CPU access, so the
//! copy is bracketed by `DMA_BUF_IOCTL_SYNC`: START before the copy is recorded (it waits,
//! on the CPU, for the buffer's pending writes, and makes the mapping coherent), END once
//! the copy has completed. The buffer goes back to its producer only once read, as with
//! the CPU copy: the copy's completion is attached to the buffer as a read fence where the
//! driver exports sync_files and the kernel takes them; otherwise the import waits for the
//! copy before it returns.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ash::vk;

use super::desc::Dmabuf;
use super::implicit;
use super::linux::{self, Access, Mapping};
use crate::core::capabilities::ShmUpload;
use crate::core::sync::{Semaphore, SemaphoreHandle, SyncFile};
use crate::error::{Error, Result};
use crate::gpu::submitter::Submitter;
use crate::gpu::Gpu;
use crate::resources::buffer::HostBuffer;
use crate::resources::graveyard::Graveyard;
use crate::resources::texture::Texture;

/// A buffer's mapping imported as host memory, and the copy that fills its texture.
pub(crate) struct HostMapped {
    /// The imported buffer, then the mapping it imports: dropped (destroyed, then
    /// unmapped) in that order.
    parts: Option<(HostBuffer, Mapping)>,
    /// Plane 0's fd, for the CPU-access bracket and the read fence.
    fd: Arc<OwnedFd>,
    region: vk::BufferImageCopy,
    /// Signalled by each copy's submission and exported as its sync_file, where the driver
    /// exports them; exporting unsignals it, so one serves every copy.
    fence: Option<Semaphore>,
    /// Cleared once attaching a fence failed (not a dma-buf, or an old kernel): later
    /// copies are waited for on the CPU without trying.
    attach: AtomicBool,
    /// The last point of work reading it; drop defers destruction until then.
    last_use: Mutex<Option<(Arc<Graveyard>, u64)>>,
}

impl HostMapped {
    /// Maps plane 0 of a validated single-plane LINEAR buffer and imports the mapping.
    /// `None` (logged) when it cannot be imported, and the buffer is to be copied on the
    /// CPU; an error when it cannot even be mapped.
    pub fn import(gpu: &Gpu, buffer: &Dmabuf, enabled: bool) -> Result<Option<HostMapped>> {
        let region = match host_copy_region(gpu, buffer, enabled) {
            Ok(region) => region,
            Err(reason) => return Ok(refused(buffer, &reason)),
        };
        let plane = &buffer.planes()[0];
        let len = region_end(buffer)?;
        let mapping = Mapping::new(plane.fd.as_fd(), plane.offset, len)
            .map_err(|e| Error::BadBuffer(format!("plane 0's fd cannot be mapped ({e})")))?;
        let (pages, pages_len) = mapping.pages();
        // SAFETY: host_copy_region checked that the device has the extension enabled
        // (HostPointer upload) and that the page size is a multiple of its alignment, so
        // the page-aligned start and whole-page length are aligned; the pages stay mapped
        // until after the buffer is destroyed (`parts` drops the buffer first).
        let host = unsafe { HostBuffer::import(gpu.device(), pages.as_ptr(), pages_len as u64) };
        let host = match host {
            Ok(host) => host,
            Err(e) => return Ok(refused(buffer, &format!("the driver refused it ({e})"))),
        };
        let region = vk::BufferImageCopy {
            buffer_offset: mapping.skip() as u64,
            ..region
        };
        let caps = gpu.device().capabilities();
        let fence = caps
            .sync_file
            .export
            .then(|| Semaphore::exportable(gpu.device(), SemaphoreHandle::SyncFd))
            .transpose()?;
        Ok(Some(HostMapped {
            parts: Some((host, mapping)),
            fd: plane.fd.clone(),
            region,
            fence,
            attach: AtomicBool::new(true),
            last_use: Mutex::new(None),
        }))
    }

    /// Copies the buffer's current contents into `texture` on the GPU, between the
    /// kernel's begin and end of CPU access. Returns once the buffer may go back to its
    /// producer: the copy has completed, or its completion is the buffer's read fence.
    pub fn copy_into(&self, gpu: &mut Gpu, texture: &Texture) -> Result<()> {
        let fd = self.fd.as_fd();
        implicit::before_cpu_read(fd)?;
        match self.submit_copy(gpu.submitter(), texture) {
            Ok(point) => self.hand_back(gpu.submitter_ref(), point),
            Err(e) => {
                implicit::after_cpu_read(fd);
                Err(e)
            }
        }
    }

    /// Records the copy and submits it now, with whatever uploads are pending.
    fn submit_copy(&self, submitter: &mut Submitter, texture: &Texture) -> Result<u64> {
        let (host, _) = self.parts.as_ref().expect("present until drop");
        submitter.hold_for_uploads(texture);
        *self.last_use.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((submitter.graveyard().clone(), submitter.next_point()));
        let uploads = submitter.uploads()?;
        uploads.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        // SAFETY: the upload recorder records outside a render pass; the texture is in
        // TRANSFER_DST_OPTIMAL (transitioned above); the region lies inside the texture
        // (the buffer's size) and inside the imported pages (region_end was mapped). The
        // buffer and texture outlive the copy (both are kept until its point passes).
        // Host writes before the submission are visible to it (vkQueueSubmit's implicit
        // host-write dependency), so no barrier is needed for the buffer.
        unsafe {
            uploads.device().raw().cmd_copy_buffer_to_image(
                uploads.command_buffer(),
                host.raw(),
                texture.image(),
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &[self.region],
            )
        };
        uploads.transition(texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
        match self
            .fence
            .as_ref()
            .filter(|_| self.attach.load(Ordering::Relaxed))
        {
            Some(fence) => submitter.flush_signalling(fence),
            None => submitter.flush(),
        }
    }

    /// Attaches the copy's completion to the buffer as a read fence, and ends the CPU
    /// access when the copy completes; where the fence cannot be attached, waits for the
    /// copy first and ends the access now.
    fn hand_back(&self, submitter: &Submitter, point: u64) -> Result<()> {
        let fd = self.fd.as_fd();
        let file = self.exported_fence();
        if implicit::after_gpu_access(fd, Access::Read, file.as_ref())? {
            let fd = self.fd.clone();
            let end = move || implicit::after_cpu_read(fd.as_fd());
            submitter.graveyard().bury(point, Box::new(end));
            return Ok(());
        }
        if file.is_some() {
            self.attach.store(false, Ordering::Relaxed);
        }
        let waited = submitter.timeline().wait(point, Duration::MAX);
        implicit::after_cpu_read(fd);
        waited.map(|_| ())
    }

    /// The sync_file of the copy just submitted, where its submission signalled the fence.
    fn exported_fence(&self) -> Option<SyncFile> {
        let fence = self.fence.as_ref()?;
        if !self.attach.load(Ordering::Relaxed) {
            return None;
        }
        match fence.export_sync_file() {
            Ok(file) => Some(file),
            Err(e) => {
                // The fence may still hold the signal: never submit it again.
                tracing::debug!("exporting a dma-buf copy's sync_file failed: {e}");
                self.attach.store(false, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Drop for HostMapped {
    fn drop(&mut self) {
        let (parts, fence) = (self.parts.take(), self.fence.take());
        let destroy = move || drop((parts, fence));
        let last = self.last_use.get_mut().unwrap_or_else(|p| p.into_inner());
        match last.take() {
            Some((graveyard, point)) => graveyard.bury(point, Box::new(destroy)),
            None => destroy(),
        }
    }
}

/// The whole-buffer copy from plane 0 (at buffer offset 0 for now: the mapping decides
/// it), or why the GPU cannot make it from an imported mapping.
fn host_copy_region(
    gpu: &Gpu,
    buffer: &Dmabuf,
    enabled: bool,
) -> std::result::Result<vk::BufferImageCopy, String> {
    let ShmUpload::HostPointer { alignment } = gpu.device().capabilities().shm_upload else {
        return Err("the device has no host-memory import".into());
    };
    if !enabled {
        return Err("RendererOptions::dmabuf_host_import is off".into());
    }
    let page = linux::page_size();
    if alignment == 0 || page % alignment != 0 {
        return Err(format!(
            "the driver needs {alignment}-byte alignment, which {page}-byte pages do not give"
        ));
    }
    let (plane, info) = match (
        buffer.planes(),
        crate::resources::format::format_info(buffer.fourcc()),
    ) {
        ([plane], Some(info)) => (plane, info),
        _ => return Err("only single-plane RGB buffers are copied from a mapping".into()),
    };
    // vkCmdCopyBufferToImage needs whole texels per row and an offset aligned to the
    // texel and to 4; the mapping starts at a page, so the offset keeps its alignment.
    let bpp = u64::from(info.bytes_per_pixel);
    if plane.stride % bpp != 0 || plane.offset % bpp.max(4) != 0 {
        return Err(format!(
            "the GPU copy needs the stride ({}) a multiple of {bpp} and the offset ({}) of {}",
            plane.stride,
            plane.offset,
            bpp.max(4)
        ));
    }
    let row_length = u32::try_from(plane.stride / bpp)
        .map_err(|_| format!("stride {} is too large", plane.stride))?;
    Ok(crate::resources::texture::buffer_image_copy(
        0,
        row_length,
        (0, 0, buffer.width(), buffer.height()),
    ))
}

/// Bytes from plane 0's offset to the end of its last row's texels: what the copy reads.
pub(super) fn region_end(buffer: &Dmabuf) -> Result<usize> {
    let plane = &buffer.planes()[0];
    let row = super::planes::plane_layout(buffer.fourcc())
        .and_then(|layout| layout.planes().first().map(|p| p.row_bytes(buffer.width())))
        .unwrap_or(0);
    u64::from(buffer.height() - 1)
        .checked_mul(plane.stride)
        .and_then(|rows| rows.checked_add(row))
        .and_then(|len| usize::try_from(len).ok())
        .ok_or_else(|| Error::BadBuffer(format!("plane 0's stride {} overflows", plane.stride)))
}

/// Logs why a buffer's mapping is not imported (once at info level, each time at debug)
/// and says to copy it on the CPU.
fn refused(buffer: &Dmabuf, reason: &str) -> Option<HostMapped> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::info!("fallback: a LINEAR dma-buf's mapping is not imported as host memory ({reason}); such buffers are copied on the CPU")
    });
    tracing::debug!(
        "{}x{} {:?} dma-buf copied on the CPU: {reason}",
        buffer.width(),
        buffer.height(),
        buffer.fourcc()
    );
    None
}
