//! Texture handles and render targets: what Smithay holds, binds and draws into.

use std::marker::PhantomData;
use std::sync::Arc;

use ash::vk;
use smithay::backend::allocator::dmabuf::Dmabuf as SmithayDmabuf;
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::allocator::Fourcc;
use smithay::backend::renderer::{Bind, Offscreen, Texture as SmithayTexture};
use smithay::utils::{Buffer, Size};

use super::convert::dimension;
use super::VulkanRenderer;
use crate::color::ColorDescription;
use crate::error::{Error, Result};
use crate::resources::texture::Texture;

/// A texture Smithay can hold on to: cheap to clone, sendable, the same texture in every
/// clone.
#[derive(Clone, Debug)]
pub struct VulkanTexture {
    texture: Arc<Texture>,
    /// Imported from memory Smithay called flipped: its rows were stored bottom-up, and
    /// updates are turned the same way.
    pub(super) flipped: bool,
}

impl VulkanTexture {
    /// A handle on a texture of the wrapped renderer (imported or made through
    /// [`crate::Renderer`] directly).
    pub fn from_texture(texture: Arc<Texture>) -> VulkanTexture {
        VulkanTexture {
            texture,
            flipped: false,
        }
    }

    pub(super) fn new(texture: Texture, flipped: bool) -> VulkanTexture {
        VulkanTexture {
            texture: Arc::new(texture),
            flipped,
        }
    }

    /// The vkcompose texture.
    pub fn texture(&self) -> &Arc<Texture> {
        &self.texture
    }

    /// How the texture's pixels encode light (Smithay 0.7 has no colour API; sRGB unless
    /// set); see [`Texture::set_color_description`].
    pub fn color_description(&self) -> ColorDescription {
        self.texture.color_description()
    }

    /// Tags the texture's pixels, for a client's image description.
    pub fn set_color_description(&self, description: ColorDescription) -> Result<()> {
        self.texture.set_color_description(description)
    }
}

/// Smithay's `Texture` for handles whose `texture` field is the vkcompose texture.
macro_rules! smithay_texture {
    ($($handle:ty),+) => {$(
        impl SmithayTexture for $handle {
            fn width(&self) -> u32 {
                self.texture.width()
            }

            fn height(&self) -> u32 {
                self.texture.height()
            }

            fn format(&self) -> Option<Fourcc> {
                self.texture.fourcc()
            }
        }
    )+};
}

smithay_texture!(VulkanTexture, VulkanFramebuffer<'_>);

/// A bound render target: an offscreen texture or an imported dma-buf.
#[derive(Debug)]
pub struct VulkanFramebuffer<'buffer> {
    texture: Arc<Texture>,
    /// Bound for as long as Smithay lends the target.
    _target: PhantomData<&'buffer mut ()>,
}

impl VulkanFramebuffer<'_> {
    pub(super) fn texture(&self) -> &Arc<Texture> {
        &self.texture
    }

    /// How the target's pixels encode light: what frames on it encode into (sRGB unless
    /// set). A dma-buf keeps it across binds, as its texture is cached.
    pub fn color_description(&self) -> ColorDescription {
        self.texture.color_description()
    }

    /// Sets the target's encoding (an output switched to HDR).
    pub fn set_color_description(&self, description: ColorDescription) -> Result<()> {
        self.texture.set_color_description(description)
    }
}

impl VulkanRenderer {
    /// A framebuffer on `texture`, refused unless this renderer can draw into it.
    fn framebuffer<'a>(&self, texture: Arc<Texture>) -> Result<VulkanFramebuffer<'a>> {
        self.renderer.require_own(&texture)?;
        if !texture
            .usage()
            .contains(vk::ImageUsageFlags::COLOR_ATTACHMENT)
        {
            return Err(Error::InvalidArgument(format!(
                "a {}x{} {:?} texture that cannot be a render target (imported for sampling or copied)",
                texture.width(),
                texture.height(),
                texture.fourcc()
            )));
        }
        Ok(VulkanFramebuffer {
            texture,
            _target: PhantomData,
        })
    }
}

impl Bind<VulkanTexture> for VulkanRenderer {
    fn bind<'a>(&mut self, target: &'a mut VulkanTexture) -> Result<VulkanFramebuffer<'a>> {
        self.framebuffer(target.texture.clone())
    }

    fn supported_formats(&self) -> Option<FormatSet> {
        Some(super::convert::format_set(
            self.renderer
                .formats()
                .render_formats()
                .into_iter()
                .map(|f| (f, vec![crate::dmabuf::Modifier::INVALID])),
        ))
    }
}

impl Bind<SmithayDmabuf> for VulkanRenderer {
    fn bind<'a>(&mut self, target: &'a mut SmithayDmabuf) -> Result<VulkanFramebuffer<'a>> {
        let texture = self.import_smithay_dmabuf(target)?;
        self.framebuffer(texture)
    }

    fn supported_formats(&self) -> Option<FormatSet> {
        Some(super::convert::format_set(
            self.renderer.dmabuf_formats(true),
        ))
    }
}

impl Offscreen<VulkanTexture> for VulkanRenderer {
    fn create_buffer(&mut self, format: Fourcc, size: Size<i32, Buffer>) -> Result<VulkanTexture> {
        let (width, height) = (dimension(size.w)?, dimension(size.h)?);
        let texture = self.renderer.create_target(width, height, format)?;
        Ok(VulkanTexture::new(texture, false))
    }
}
