//! Image barriers: layout transitions and queue-family ownership transfers, with the stages
//! and accesses each layout implies, so callers name layouts instead of pipeline details.

use ash::vk;

use crate::core::device::Device;

/// One image barrier. Build with [`ImageBarrier::transition`],
/// [`ImageBarrier::acquire_from_foreign`] or [`ImageBarrier::release_to_foreign`]; record
/// with [`record_image_barriers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageBarrier {
    pub image: vk::Image,
    pub old_layout: vk::ImageLayout,
    pub new_layout: vk::ImageLayout,
    pub src_stage: vk::PipelineStageFlags,
    pub src_access: vk::AccessFlags,
    pub dst_stage: vk::PipelineStageFlags,
    pub dst_access: vk::AccessFlags,
    pub src_queue_family: u32,
    pub dst_queue_family: u32,
}

impl ImageBarrier {
    /// Moves `image` from `old` to `new` on one queue, waiting for the writes `old`'s use
    /// implies before the accesses `new`'s use implies.
    pub fn transition(image: vk::Image, old: vk::ImageLayout, new: vk::ImageLayout) -> Self {
        let (src_stage, src_access) = layout_use(old);
        let (dst_stage, dst_access) = layout_use(new);
        ImageBarrier {
            image,
            old_layout: old,
            new_layout: new,
            src_stage,
            src_access: writes_only(src_access),
            dst_stage,
            dst_access,
            src_queue_family: vk::QUEUE_FAMILY_IGNORED,
            dst_queue_family: vk::QUEUE_FAMILY_IGNORED,
        }
    }

    /// The acquire half of an ownership transfer from another driver or API (a client's
    /// dmabuf): `foreign` is [`Capabilities::foreign_queue_family`](crate::Capabilities::foreign_queue_family)
    /// and `family` the queue family that will use the image. The release happened outside
    /// Vulkan, so there is nothing on this side to wait for.
    pub fn acquire_from_foreign(
        image: vk::Image,
        foreign: u32,
        family: u32,
        old: vk::ImageLayout,
        new: vk::ImageLayout,
    ) -> Self {
        let (dst_stage, dst_access) = layout_use(new);
        ImageBarrier {
            image,
            old_layout: old,
            new_layout: new,
            src_stage: vk::PipelineStageFlags::TOP_OF_PIPE,
            src_access: vk::AccessFlags::empty(),
            dst_stage,
            dst_access,
            src_queue_family: foreign,
            dst_queue_family: family,
        }
    }

    /// The release half of an ownership transfer back to `foreign` (before the buffer goes
    /// back to a client or to KMS): waits for this queue's writes; the acquire happens
    /// outside Vulkan.
    pub fn release_to_foreign(
        image: vk::Image,
        family: u32,
        foreign: u32,
        old: vk::ImageLayout,
        new: vk::ImageLayout,
    ) -> Self {
        let (src_stage, src_access) = layout_use(old);
        ImageBarrier {
            image,
            old_layout: old,
            new_layout: new,
            src_stage,
            src_access: writes_only(src_access),
            dst_stage: vk::PipelineStageFlags::BOTTOM_OF_PIPE,
            dst_access: vk::AccessFlags::empty(),
            src_queue_family: family,
            dst_queue_family: foreign,
        }
    }

    /// The Vulkan struct, for the whole color image.
    pub fn to_vk(&self) -> vk::ImageMemoryBarrier<'static> {
        vk::ImageMemoryBarrier::default()
            .image(self.image)
            .old_layout(self.old_layout)
            .new_layout(self.new_layout)
            .src_access_mask(self.src_access)
            .dst_access_mask(self.dst_access)
            .src_queue_family_index(self.src_queue_family)
            .dst_queue_family_index(self.dst_queue_family)
            .subresource_range(color_range())
    }
}

/// Records `barriers` into `cmd` as one `vkCmdPipelineBarrier`.
///
/// # Safety
/// `cmd` is a command buffer of `device` in the recording state, outside a render pass, and
/// every image belongs to `device` and is in its barrier's `old_layout` when this executes.
pub unsafe fn record_image_barriers(
    device: &Device,
    cmd: vk::CommandBuffer,
    barriers: &[ImageBarrier],
) {
    if barriers.is_empty() {
        return;
    }
    let src = barriers
        .iter()
        .fold(vk::PipelineStageFlags::empty(), |s, b| s | b.src_stage);
    let dst = barriers
        .iter()
        .fold(vk::PipelineStageFlags::empty(), |s, b| s | b.dst_stage);
    let raw: Vec<_> = barriers.iter().map(ImageBarrier::to_vk).collect();
    // SAFETY: forwarded from this function's contract.
    unsafe {
        device.raw().cmd_pipeline_barrier(
            cmd,
            src,
            dst,
            vk::DependencyFlags::empty(),
            &[],
            &[],
            &raw,
        )
    };
}

/// The stages and accesses that use an image in `layout`.
pub fn layout_use(layout: vk::ImageLayout) -> (vk::PipelineStageFlags, vk::AccessFlags) {
    use vk::{AccessFlags as A, ImageLayout as L, PipelineStageFlags as S};
    match layout {
        L::UNDEFINED | L::PREINITIALIZED => (S::TOP_OF_PIPE, A::empty()),
        L::COLOR_ATTACHMENT_OPTIMAL => (
            S::COLOR_ATTACHMENT_OUTPUT,
            A::COLOR_ATTACHMENT_READ | A::COLOR_ATTACHMENT_WRITE,
        ),
        L::SHADER_READ_ONLY_OPTIMAL => (S::FRAGMENT_SHADER, A::SHADER_READ),
        L::TRANSFER_SRC_OPTIMAL => (S::TRANSFER, A::TRANSFER_READ),
        L::TRANSFER_DST_OPTIMAL => (S::TRANSFER, A::TRANSFER_WRITE),
        // Presentation synchronizes through semaphores, not memory accesses.
        L::PRESENT_SRC_KHR => (S::BOTTOM_OF_PIPE, A::empty()),
        _ => (S::ALL_COMMANDS, A::MEMORY_READ | A::MEMORY_WRITE),
    }
}

/// Only writes need to be made available; read-after-read needs no memory dependency.
fn writes_only(access: vk::AccessFlags) -> vk::AccessFlags {
    access
        & (vk::AccessFlags::COLOR_ATTACHMENT_WRITE
            | vk::AccessFlags::TRANSFER_WRITE
            | vk::AccessFlags::SHADER_WRITE
            | vk::AccessFlags::MEMORY_WRITE)
}

/// The one mip level and layer of a color texture.
pub(crate) fn color_range() -> vk::ImageSubresourceRange {
    vk::ImageSubresourceRange {
        aspect_mask: vk::ImageAspectFlags::COLOR,
        base_mip_level: 0,
        level_count: 1,
        base_array_layer: 0,
        layer_count: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_waits_for_writes_only_and_blocks_the_next_use() {
        let b = ImageBarrier::transition(
            vk::Image::null(),
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        );
        assert_eq!(b.src_stage, vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT);
        assert_eq!(b.src_access, vk::AccessFlags::COLOR_ATTACHMENT_WRITE);
        assert_eq!(b.dst_stage, vk::PipelineStageFlags::FRAGMENT_SHADER);
        assert_eq!(b.dst_access, vk::AccessFlags::SHADER_READ);
        assert_eq!(b.src_queue_family, vk::QUEUE_FAMILY_IGNORED);
    }

    #[test]
    fn ownership_transfers_name_both_families() {
        let acquire = ImageBarrier::acquire_from_foreign(
            vk::Image::null(),
            vk::QUEUE_FAMILY_FOREIGN_EXT,
            0,
            vk::ImageLayout::GENERAL,
            vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL,
        );
        assert_eq!(
            (acquire.src_queue_family, acquire.dst_queue_family),
            (vk::QUEUE_FAMILY_FOREIGN_EXT, 0)
        );
        assert_eq!(acquire.src_access, vk::AccessFlags::empty());
        let release = ImageBarrier::release_to_foreign(
            vk::Image::null(),
            0,
            vk::QUEUE_FAMILY_EXTERNAL,
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            vk::ImageLayout::GENERAL,
        );
        assert_eq!(
            (release.src_queue_family, release.dst_queue_family),
            (0, vk::QUEUE_FAMILY_EXTERNAL)
        );
        assert_eq!(release.dst_stage, vk::PipelineStageFlags::BOTTOM_OF_PIPE);
    }
}
