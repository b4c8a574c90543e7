//! Images whose memory is shared: created for external memory of one handle kind, with
//! the tiling a modifier implies, and the per-plane queries that disjoint images need.

use std::os::fd::{AsRawFd, OwnedFd};

use ash::{ext, vk};

use super::desc::Dmabuf;
use super::modifiers::Tiling;
use super::HandleKind;
use crate::core::device::Device;
use crate::core::memory::{memory_type, DedicatedMemory, DedicatedTo, MemoryImport};
use crate::error::{Error, Result, VkResultExt};

/// How the image's modifier is given.
pub(crate) enum Modifiers<'a> {
    /// One modifier with the buffer's plane layouts (import).
    Explicit(u64, &'a [vk::SubresourceLayout]),
    /// Any of these, the driver's choice (export).
    List(&'a [u64]),
}

/// Everything an image over shared memory is created from.
pub(crate) struct ExternalImage<'a> {
    pub format: vk::Format,
    pub width: u32,
    pub height: u32,
    pub usage: vk::ImageUsageFlags,
    pub kind: HandleKind,
    pub tiling: Tiling,
    pub disjoint: bool,
    pub modifiers: Modifiers<'a>,
}

/// Creates the image (no memory bound yet).
pub(crate) fn create_external_image(
    device: &Device,
    desc: &ExternalImage<'_>,
) -> Result<vk::Image> {
    let mut external = vk::ExternalMemoryImageCreateInfo::default().handle_types(desc.kind.vk());
    let mut explicit = vk::ImageDrmFormatModifierExplicitCreateInfoEXT::default();
    let mut list = vk::ImageDrmFormatModifierListCreateInfoEXT::default();
    let tiling = match desc.tiling {
        Tiling::DrmModifier => vk::ImageTiling::DRM_FORMAT_MODIFIER_EXT,
        Tiling::Linear => vk::ImageTiling::LINEAR,
        Tiling::Optimal => vk::ImageTiling::OPTIMAL,
    };
    let flags = if desc.disjoint {
        vk::ImageCreateFlags::DISJOINT
    } else {
        vk::ImageCreateFlags::empty()
    };
    let mut info = vk::ImageCreateInfo::default()
        .flags(flags)
        .image_type(vk::ImageType::TYPE_2D)
        .format(desc.format)
        .extent(vk::Extent3D {
            width: desc.width,
            height: desc.height,
            depth: 1,
        })
        .mip_levels(1)
        .array_layers(1)
        .samples(vk::SampleCountFlags::TYPE_1)
        .tiling(tiling)
        .usage(desc.usage)
        .sharing_mode(vk::SharingMode::EXCLUSIVE)
        // External images must start UNDEFINED; their contents come with the first
        // acquire from the foreign queue family.
        .initial_layout(vk::ImageLayout::UNDEFINED)
        .push_next(&mut external);
    if desc.tiling == Tiling::DrmModifier {
        match desc.modifiers {
            Modifiers::Explicit(modifier, planes) => {
                explicit = explicit.drm_format_modifier(modifier).plane_layouts(planes);
                info = info.push_next(&mut explicit);
            }
            Modifiers::List(modifiers) => {
                list = list.drm_format_modifiers(modifiers);
                info = info.push_next(&mut list);
            }
        }
    }
    // SAFETY: the table said this format, tiling, usage and handle kind are supported at
    // this size (callers validate first); the chained structs live through the call.
    let image = unsafe { device.raw().create_image(&info, None) }.or_vk("vkCreateImage")?;
    device.count_created();
    Ok(image)
}

/// The aspect of each plane of an image with `planes` planes (COLOR for one).
pub(crate) fn plane_aspects(planes: usize) -> Vec<vk::ImageAspectFlags> {
    const PLANES: [vk::ImageAspectFlags; 3] = [
        vk::ImageAspectFlags::PLANE_0,
        vk::ImageAspectFlags::PLANE_1,
        vk::ImageAspectFlags::PLANE_2,
    ];
    if planes <= 1 {
        vec![vk::ImageAspectFlags::COLOR]
    } else {
        PLANES[..planes.min(3)].to_vec()
    }
}

/// The memory-plane aspects of an image with a DRM modifier (`MEMORY_PLANE_i`).
pub(crate) fn memory_plane_aspects(planes: usize) -> Vec<vk::ImageAspectFlags> {
    const PLANES: [vk::ImageAspectFlags; 4] = [
        vk::ImageAspectFlags::MEMORY_PLANE_0_EXT,
        vk::ImageAspectFlags::MEMORY_PLANE_1_EXT,
        vk::ImageAspectFlags::MEMORY_PLANE_2_EXT,
        vk::ImageAspectFlags::MEMORY_PLANE_3_EXT,
    ];
    PLANES[..planes.min(4)].to_vec()
}

/// The memory one plane of a disjoint image needs.
pub(crate) fn plane_requirements(
    device: &Device,
    image: vk::Image,
    aspect: vk::ImageAspectFlags,
) -> vk::MemoryRequirements {
    let mut plane = vk::ImagePlaneMemoryRequirementsInfo::default().plane_aspect(aspect);
    let info = vk::ImageMemoryRequirementsInfo2::default()
        .image(image)
        .push_next(&mut plane);
    let mut out = vk::MemoryRequirements2::default();
    // SAFETY: a disjoint image of this device; `aspect` is one of its planes.
    unsafe { device.raw().get_image_memory_requirements2(&info, &mut out) };
    out.memory_requirements
}

/// The memory types a dma-buf can be imported into.
pub(crate) fn dmabuf_memory_types(device: &Device, fd: &OwnedFd) -> Result<u32> {
    let loader = device.memory_fd()?;
    let mut properties = vk::MemoryFdPropertiesKHR::default();
    // SAFETY: a dma-buf fd (the description says so; a wrong fd fails the call, which is
    // reported); the handle type is valid for this query.
    unsafe {
        loader.get_memory_fd_properties(
            vk::ExternalMemoryHandleTypeFlags::DMA_BUF_EXT,
            fd.as_raw_fd(),
            &mut properties,
        )
    }
    .or_vk("vkGetMemoryFdPropertiesKHR")?;
    Ok(properties.memory_type_bits)
}

/// The modifier the driver chose for an image created from a modifier list.
pub(crate) fn image_modifier(device: &Device, image: vk::Image) -> Result<u64> {
    let loader = ext::image_drm_format_modifier::Device::new(device.instance().raw(), device.raw());
    let mut properties = vk::ImageDrmFormatModifierPropertiesEXT::default();
    // SAFETY: an image of this device created with DRM_FORMAT_MODIFIER tiling.
    unsafe { loader.get_image_drm_format_modifier_properties(image, &mut properties) }
        .or_vk("vkGetImageDrmFormatModifierPropertiesEXT")?;
    Ok(properties.drm_format_modifier)
}

/// Where each plane lies in the image's memory (for export).
pub(crate) fn plane_layouts(
    device: &Device,
    image: vk::Image,
    aspects: &[vk::ImageAspectFlags],
) -> Vec<vk::SubresourceLayout> {
    aspects
        .iter()
        .map(|&aspect| {
            // SAFETY: a LINEAR or DRM-modifier image of this device; `aspect` names one of
            // its (memory) planes.
            unsafe {
                device.raw().get_image_subresource_layout(
                    image,
                    vk::ImageSubresource {
                        aspect_mask: aspect,
                        mip_level: 0,
                        array_layer: 0,
                    },
                )
            }
        })
        .collect()
}

/// Imports the memory of `buffer`'s plane `plane` (`size` bytes) for a resource with
/// `requirements`, from a duplicate of the caller's fd. Opaque fds must land in the
/// exporter's memory type: vkcompose allocates shared memory from the first device-local
/// type a resource allows, so imports pick the same.
pub(crate) fn import_plane_memory(
    device: &Device,
    buffer: &Dmabuf,
    plane: usize,
    size: u64,
    requirements: vk::MemoryRequirements,
    dedicated: Option<DedicatedTo>,
) -> Result<DedicatedMemory> {
    let fd = buffer.planes()[plane]
        .fd
        .try_clone()
        .map_err(|e| Error::BadBuffer(format!("plane {plane}'s fd cannot be duplicated ({e})")))?;
    let mut allowed = requirements.memory_type_bits;
    if buffer.kind() == HandleKind::DmaBuf {
        allowed &= dmabuf_memory_types(device, &fd)?;
    }
    let type_index = memory_type(device, allowed, vk::MemoryPropertyFlags::DEVICE_LOCAL)
        .or_else(|_| memory_type(device, allowed, vk::MemoryPropertyFlags::empty()))?;
    let import = MemoryImport {
        handle: buffer.kind().vk(),
        // Opaque fds import only at the exporter's exact size.
        size: match buffer.kind() {
            HandleKind::OpaqueFd => size,
            HandleKind::DmaBuf => size.max(requirements.size),
        },
        type_index,
        properties: vk::MemoryPropertyFlags::empty(),
        dedicated,
    };
    // SAFETY: the fd is our duplicate of the caller's handle, of the kind the description
    // names; the resource was created for external memory of that kind, and validation
    // checked that the size covers every plane.
    unsafe { DedicatedMemory::import_fd(device, fd, &import) }.map_err(|e| match e {
        Error::Vulkan {
            result: vk::Result::ERROR_INVALID_EXTERNAL_HANDLE,
            ..
        } => Error::BadBuffer(format!(
            "plane {plane}'s fd is not {} the driver can import",
            match buffer.kind() {
                HandleKind::DmaBuf => "a dma-buf",
                HandleKind::OpaqueFd => "an opaque fd",
            }
        )),
        other => other,
    })
}
