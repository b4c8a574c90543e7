//! Pixels back to the CPU (`ExportMem`) and copies between framebuffers (`Blit`).

use std::fmt;

use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::{
    Blit, ExportMem, Texture as SmithayTexture, TextureFilter, TextureMapping,
};
use smithay::utils::{Buffer, Physical, Rectangle};

use super::convert;
use super::texture::{VulkanFramebuffer, VulkanTexture};
use super::VulkanRenderer;
use crate::error::Result;
use crate::geometry::{RectF, Transform};
use crate::render::frame::TextureDraw;
use crate::render::readback::Readback;

/// Pixels on their way to the CPU; [`ExportMem::map_texture`] waits for them.
pub struct VulkanMapping {
    readback: Readback,
    width: u32,
    height: u32,
    fourcc: Fourcc,
}

impl fmt::Debug for VulkanMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VulkanMapping")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("fourcc", &self.fourcc)
            .finish_non_exhaustive()
    }
}

impl SmithayTexture for VulkanMapping {
    fn width(&self) -> u32 {
        self.width
    }

    fn height(&self) -> u32 {
        self.height
    }

    fn format(&self) -> Option<Fourcc> {
        Some(self.fourcc)
    }
}

impl TextureMapping for VulkanMapping {
    /// Rows come top-down.
    fn flipped(&self) -> bool {
        false
    }
}

impl VulkanRenderer {
    fn mapping(
        &mut self,
        texture: &crate::Texture,
        region: Rectangle<i32, Buffer>,
        fourcc: Fourcc,
    ) -> Result<VulkanMapping> {
        let readback = self
            .renderer
            .copy_texture(texture, convert::rect(region), fourcc)?;
        Ok(VulkanMapping {
            readback,
            width: region.size.w as u32,
            height: region.size.h as u32,
            fourcc,
        })
    }
}

impl ExportMem for VulkanRenderer {
    type TextureMapping = VulkanMapping;

    fn copy_framebuffer(
        &mut self,
        target: &VulkanFramebuffer<'_>,
        region: Rectangle<i32, Buffer>,
        format: Fourcc,
    ) -> Result<VulkanMapping> {
        self.mapping(target.texture(), region, format)
    }

    fn copy_texture(
        &mut self,
        texture: &VulkanTexture,
        region: Rectangle<i32, Buffer>,
        format: Fourcc,
    ) -> Result<VulkanMapping> {
        self.mapping(texture.texture(), region, format)
    }

    fn can_read_texture(&mut self, texture: &VulkanTexture) -> Result<bool> {
        let texture = texture.texture();
        Ok(self.renderer.require_own(texture).is_ok()
            && texture
                .usage()
                .contains(ash::vk::ImageUsageFlags::TRANSFER_SRC))
    }

    fn map_texture<'a>(&mut self, mapping: &'a VulkanMapping) -> Result<&'a [u8]> {
        mapping.readback.bytes()
    }
}

impl Blit for VulkanRenderer {
    /// Replaces `dst` of `to` with `src` of `from`, scaled with `filter`: a clear and an
    /// unblended-equivalent draw (transparent under the source) in one frame.
    fn blit(
        &mut self,
        from: &VulkanFramebuffer<'_>,
        to: &mut VulkanFramebuffer<'_>,
        src: Rectangle<i32, Physical>,
        dst: Rectangle<i32, Physical>,
        filter: TextureFilter,
    ) -> Result<()> {
        let (source, target) = (from.texture().clone(), to.texture().clone());
        let dst = convert::rect(dst);
        let src = convert::rect(src);
        let mut frame = self.renderer.render(&target, Transform::Normal)?;
        frame.clear([0.0; 4], &[dst])?;
        frame.render_texture_from_to(
            &source,
            &TextureDraw {
                src: RectF::new(src.x.into(), src.y.into(), src.w.into(), src.h.into()),
                dst,
                damage: &[dst],
                opaque: &[],
                transform: Transform::Normal,
                alpha: 1.0,
                filter: convert::filter(filter),
            },
        )?;
        frame.finish()?;
        Ok(())
    }
}
