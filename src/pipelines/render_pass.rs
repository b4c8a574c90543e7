//! Render passes, typed by their manifest kind: a `RenderPass<passes::Output>` can only be
//! used with pipelines built for `Output`.

use std::marker::PhantomData;

use ash::vk;

use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};
use crate::pipelines::{ColorFormat, LoadOp, RenderPassKind, StoreOp};

/// A `VkRenderPass` of kind `P` for one color format.
pub struct RenderPass<P: RenderPassKind> {
    device: Device,
    raw: vk::RenderPass,
    format: vk::Format,
    _kind: PhantomData<fn() -> P>,
}

impl<P: RenderPassKind> RenderPass<P> {
    /// A render pass of kind `P` rendering into targets of `format`. Kinds with a fixed
    /// format accept only that format.
    pub fn new(device: &Device, format: vk::Format) -> Result<RenderPass<P>> {
        let desc = P::DESC;
        if let ColorFormat::Fixed(fixed) = desc.color {
            if fixed != format {
                return Err(Error::InvalidArgument(format!(
                    "render pass `{}` renders into {fixed:?}, not {format:?}",
                    P::NAME
                )));
            }
        }
        let (load, initial) = match desc.load {
            LoadOp::Load => (
                vk::AttachmentLoadOp::LOAD,
                vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            ),
            LoadOp::Clear => (vk::AttachmentLoadOp::CLEAR, vk::ImageLayout::UNDEFINED),
            LoadOp::DontCare => (vk::AttachmentLoadOp::DONT_CARE, vk::ImageLayout::UNDEFINED),
        };
        let store = match desc.store {
            StoreOp::Store => vk::AttachmentStoreOp::STORE,
            StoreOp::DontCare => vk::AttachmentStoreOp::DONT_CARE,
        };
        let attachments = [vk::AttachmentDescription::default()
            .format(format)
            .samples(vk::SampleCountFlags::TYPE_1)
            .load_op(load)
            .store_op(store)
            .stencil_load_op(vk::AttachmentLoadOp::DONT_CARE)
            .stencil_store_op(vk::AttachmentStoreOp::DONT_CARE)
            .initial_layout(initial)
            .final_layout(vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL)];
        let color = [vk::AttachmentReference {
            attachment: 0,
            layout: vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
        }];
        let subpasses = [vk::SubpassDescription::default()
            .pipeline_bind_point(vk::PipelineBindPoint::GRAPHICS)
            .color_attachments(&color)];
        // Earlier writes to the attachment finish before this pass touches it.
        let dependencies = [vk::SubpassDependency {
            src_subpass: vk::SUBPASS_EXTERNAL,
            dst_subpass: 0,
            src_stage_mask: vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT,
            dst_stage_mask: vk::PipelineStageFlags::COLOR_ATTACHMENT_OUTPUT,
            src_access_mask: vk::AccessFlags::COLOR_ATTACHMENT_WRITE,
            dst_access_mask: vk::AccessFlags::COLOR_ATTACHMENT_READ
                | vk::AccessFlags::COLOR_ATTACHMENT_WRITE,
            dependency_flags: vk::DependencyFlags::empty(),
        }];
        let info = vk::RenderPassCreateInfo::default()
            .attachments(&attachments)
            .subpasses(&subpasses)
            .dependencies(&dependencies);
        // SAFETY: a valid create info whose arrays are locals alive for the call.
        let raw =
            unsafe { device.raw().create_render_pass(&info, None) }.or_vk("vkCreateRenderPass")?;
        device.count_created();
        Ok(RenderPass {
            device: device.clone(),
            raw,
            format,
            _kind: PhantomData,
        })
    }

    pub fn raw(&self) -> vk::RenderPass {
        self.raw
    }

    pub fn format(&self) -> vk::Format {
        self.format
    }
}

impl<P: RenderPassKind> Drop for RenderPass<P> {
    fn drop(&mut self) {
        // SAFETY: render passes are dropped only after the GPU work using them completed.
        unsafe { self.device.raw().destroy_render_pass(self.raw, None) };
    }
}
