//! A dmabuf's memory imported as a `VkBuffer` (`VK_KHR_external_memory` allows buffers
//! over the same fds): when an image cannot take the buffer's layout (a LINEAR stride the
//! driver would not pick without explicit modifiers), the GPU copies rows from the buffer
//! into a texture of our own, with the stride given as the copy's row length.

use std::sync::{Arc, Mutex};

use ash::vk;

use super::desc::{Dmabuf, ValidatedLayout};
use super::{HandleKind, Modifier};
use crate::core::device::Device;
use crate::core::memory::{DedicatedMemory, DedicatedTo};
use crate::error::{Error, Result, VkResultExt};
use crate::gpu::Gpu;
use crate::resources::graveyard::Graveyard;
use crate::resources::texture::Texture;

/// The imported buffer and the copy that fills a texture from it.
pub(crate) struct ImportedBuffer {
    device: Device,
    raw: vk::Buffer,
    memory: Option<DedicatedMemory>,
    region: vk::BufferImageCopy,
    foreign_family: u32,
    /// The last point of work reading it; drop defers destruction until then.
    last_use: Mutex<Option<(Arc<Graveyard>, u64)>>,
}

impl ImportedBuffer {
    /// Imports the memory of a single-plane LINEAR buffer.
    pub fn import(gpu: &Gpu, buffer: &Dmabuf, layout: &ValidatedLayout) -> Result<Self> {
        let region = copy_region(buffer)?;
        let device = gpu.device();
        require_importable(device, buffer.kind())?;
        let (plane, size) = layout.memories[0];
        let raw = create_buffer(device, buffer.kind(), size)?;
        let destroy = || {
            // SAFETY: the buffer was never used.
            unsafe { device.raw().destroy_buffer(raw, None) }
        };
        let memory = import_memory(device, buffer, plane, size, raw).inspect_err(|_| destroy())?;
        // SAFETY: fresh memory imported for this buffer, bound once at its start.
        unsafe { device.raw().bind_buffer_memory(raw, memory.raw(), 0) }
            .or_vk("vkBindBufferMemory")
            .inspect_err(|_| destroy())?;
        let foreign_family = buffer.kind().foreign_family(device);
        Ok(ImportedBuffer {
            device: device.clone(),
            raw,
            memory: Some(memory),
            region,
            foreign_family,
            last_use: Mutex::new(None),
        })
    }

    /// Records the copy into `texture` with the next upload submission.
    pub fn copy_into(&self, gpu: &mut Gpu, texture: &Texture) -> Result<()> {
        let family = gpu.device().queue_family();
        let submitter = gpu.submitter();
        submitter.hold_for_uploads(texture);
        *self.last_use.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((submitter.graveyard().clone(), submitter.next_point()));
        let uploads = submitter.uploads()?;
        uploads.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        let cmd = uploads.command_buffer();
        let device = self.device.raw();
        let ownership = |src: u32, dst: u32| {
            vk::BufferMemoryBarrier::default()
                .buffer(self.raw)
                .offset(0)
                .size(vk::WHOLE_SIZE)
                .src_access_mask(vk::AccessFlags::empty())
                .dst_access_mask(vk::AccessFlags::TRANSFER_READ)
                .src_queue_family_index(src)
                .dst_queue_family_index(dst)
        };
        // SAFETY: the upload recorder is recording outside a render pass; the texture is
        // in TRANSFER_DST_OPTIMAL (transitioned above) and the region lies inside both
        // (validated). The buffer is acquired from its other users for the copy and
        // released back after it.
        unsafe {
            device.cmd_pipeline_barrier(
                cmd,
                vk::PipelineStageFlags::TOP_OF_PIPE,
                vk::PipelineStageFlags::TRANSFER,
                vk::DependencyFlags::empty(),
                &[],
                &[ownership(self.foreign_family, family)],
                &[],
            );
            device.cmd_copy_buffer_to_image(
                cmd,
                self.raw,
                texture.image(),
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &[self.region],
            );
            let release = ownership(family, self.foreign_family)
                .src_access_mask(vk::AccessFlags::empty())
                .dst_access_mask(vk::AccessFlags::empty());
            device.cmd_pipeline_barrier(
                cmd,
                vk::PipelineStageFlags::TRANSFER,
                vk::PipelineStageFlags::BOTTOM_OF_PIPE,
                vk::DependencyFlags::empty(),
                &[],
                &[release],
                &[],
            );
        }
        uploads.transition(texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
        Ok(())
    }
}

impl Drop for ImportedBuffer {
    fn drop(&mut self) {
        let (device, raw, memory) = (self.device.clone(), self.raw, self.memory.take());
        let destroy = move || {
            // SAFETY: runs once the last copy from the buffer has completed.
            unsafe { device.raw().destroy_buffer(raw, None) };
            drop(memory);
        };
        let last = self.last_use.get_mut().unwrap_or_else(|p| p.into_inner());
        match last.take() {
            Some((graveyard, point)) => graveyard.bury(point, Box::new(destroy)),
            None => destroy(),
        }
    }
}

/// The copy of the whole buffer: rows `stride` bytes apart from the plane's offset.
fn copy_region(buffer: &Dmabuf) -> Result<vk::BufferImageCopy> {
    let info = crate::resources::format::format_info(buffer.fourcc()).ok_or_else(|| {
        Error::BadBuffer(format!(
            "{:?} buffers cannot be copied through a buffer (multi-planar)",
            buffer.fourcc()
        ))
    })?;
    let [plane] = buffer.planes() else {
        return Err(Error::BadBuffer(
            "only single-plane buffers are copied".into(),
        ));
    };
    let bpp = u64::from(info.bytes_per_pixel);
    if buffer.modifier() != Modifier::LINEAR {
        return Err(Error::BadBuffer(
            "only LINEAR buffers can be copied through a buffer".into(),
        ));
    }
    // vkCmdCopyBufferToImage needs the offset aligned to the texel (and 4) and whole
    // texels per row.
    if plane.stride % bpp != 0 || plane.offset % bpp.max(4) != 0 {
        return Err(Error::BadBuffer(format!(
            "a LINEAR {:?} buffer with stride {} at offset {} cannot be copied: the stride must be a multiple of {bpp} and the offset of {}",
            buffer.fourcc(),
            plane.stride,
            plane.offset,
            bpp.max(4)
        )));
    }
    let row_length = u32::try_from(plane.stride / bpp)
        .map_err(|_| Error::BadBuffer(format!("stride {} is too large", plane.stride)))?;
    Ok(crate::resources::texture::buffer_image_copy(
        plane.offset,
        row_length,
        (0, 0, buffer.width(), buffer.height()),
    ))
}

fn require_importable(device: &Device, kind: HandleKind) -> Result<()> {
    let instance = device.physical_device().instance().raw();
    let info = vk::PhysicalDeviceExternalBufferInfo::default()
        .usage(vk::BufferUsageFlags::TRANSFER_SRC)
        .handle_type(kind.vk());
    let mut out = vk::ExternalBufferProperties::default();
    // SAFETY: a plain query on a live physical device.
    unsafe {
        instance.get_physical_device_external_buffer_properties(device.physical(), &info, &mut out)
    };
    let features = out.external_memory_properties.external_memory_features;
    if features.contains(vk::ExternalMemoryFeatureFlags::IMPORTABLE) {
        Ok(())
    } else {
        Err(Error::Unsupported {
            device: device.name().to_string(),
            what: format!("import of {kind:?} memory as a buffer, which this buffer's layout needs (no image can take it)"),
        })
    }
}

fn create_buffer(device: &Device, kind: HandleKind, size: u64) -> Result<vk::Buffer> {
    let mut external = vk::ExternalMemoryBufferCreateInfo::default().handle_types(kind.vk());
    let info = vk::BufferCreateInfo::default()
        .size(size)
        .usage(vk::BufferUsageFlags::TRANSFER_SRC)
        .sharing_mode(vk::SharingMode::EXCLUSIVE)
        .push_next(&mut external);
    // SAFETY: a valid create info; the handle type is importable for buffers (checked).
    let raw = unsafe { device.raw().create_buffer(&info, None) }.or_vk("vkCreateBuffer")?;
    device.count_created();
    Ok(raw)
}

fn import_memory(
    device: &Device,
    buffer: &Dmabuf,
    plane: usize,
    size: u64,
    raw: vk::Buffer,
) -> Result<DedicatedMemory> {
    // SAFETY: `raw` is a buffer of this device.
    let requirements = unsafe { device.raw().get_buffer_memory_requirements(raw) };
    super::image::import_plane_memory(
        device,
        buffer,
        plane,
        size,
        requirements,
        Some(DedicatedTo::Buffer(raw)),
    )
}
