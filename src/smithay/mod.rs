//! Smithay 0.7's renderer traits (feature `smithay`): [`VulkanRenderer`] drops in where a
//! Smithay compositor uses `GlesRenderer` or `PixmanRenderer`, so that Smithay's element
//! and damage machinery (`OutputDamageTracker`, `desktop::Space`, surface imports) draws
//! through vkcompose.
//!
//! Conventions are Smithay's: frame coordinates are the output's after its transform;
//! texture and solid damage and opaque regions are relative to the destination; clear
//! rectangles are in output space; colours are premultiplied. A frame records what it is
//! asked to draw and submits it in one command buffer when it finishes (or is dropped).

mod convert;
mod export;
mod fence;
mod frame;
mod import;
mod swap_error;
mod texture;

use std::collections::HashMap;
use std::fmt;

use smithay::backend::allocator::dmabuf::WeakDmabuf;
use smithay::backend::renderer::sync::SyncPoint;
use smithay::backend::renderer::{
    ContextId, DebugFlags, Renderer as SmithayRenderer, RendererSuper, TextureFilter,
};
use smithay::utils::{Physical, Size, Transform};

use crate::error::{Error, Result};
use crate::resources::sampler::Filter;

pub use export::VulkanMapping;
pub use fence::VulkanFence;
pub use frame::VulkanFrame;
pub use texture::{VulkanFramebuffer, VulkanTexture};

/// A [`crate::Renderer`] behind Smithay's renderer traits.
pub struct VulkanRenderer {
    renderer: crate::Renderer,
    context: ContextId<VulkanTexture>,
    upscale: Filter,
    downscale: Filter,
    debug: DebugFlags,
    /// Smithay's dma-buf handles and the descriptions made from them: the same client
    /// buffer keeps one description, so the renderer's import cache recognises it.
    dmabufs: HashMap<WeakDmabuf, crate::dmabuf::Dmabuf>,
}

impl VulkanRenderer {
    /// Wraps `renderer`; textures it already made can be drawn through
    /// [`VulkanTexture::from_texture`].
    pub fn new(renderer: crate::Renderer) -> VulkanRenderer {
        VulkanRenderer {
            renderer,
            context: ContextId::new(),
            upscale: Filter::Linear,
            downscale: Filter::Linear,
            debug: DebugFlags::empty(),
            dmabufs: HashMap::new(),
        }
    }

    /// The vkcompose renderer underneath, for what Smithay's traits do not cover
    /// (dma-buf export, YUV options, custom pipelines, GPU timings).
    pub fn renderer(&self) -> &crate::Renderer {
        &self.renderer
    }

    /// See [`VulkanRenderer::renderer`].
    pub fn renderer_mut(&mut self) -> &mut crate::Renderer {
        &mut self.renderer
    }

    /// Whether the device was lost: every call (Smithay's traits included) then fails with
    /// `Error::DeviceLost`, which converts to `SwapBuffersError::ContextLost` as Smithay's
    /// renderers' lost contexts do. Drop the renderer and its textures, make a new one and
    /// import the clients' buffers again.
    pub fn is_lost(&self) -> bool {
        self.renderer.is_lost()
    }

    /// Gives the vkcompose renderer back.
    pub fn into_inner(self) -> crate::Renderer {
        self.renderer
    }
}

impl fmt::Debug for VulkanRenderer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VulkanRenderer")
            .field("device", &self.renderer.device().name())
            .field("upscale", &self.upscale)
            .field("downscale", &self.downscale)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

impl RendererSuper for VulkanRenderer {
    type Error = Error;
    type TextureId = VulkanTexture;
    type Framebuffer<'buffer> = VulkanFramebuffer<'buffer>;
    type Frame<'frame, 'buffer>
        = VulkanFrame<'frame, 'buffer>
    where
        'buffer: 'frame,
        Self: 'frame;
}

impl SmithayRenderer for VulkanRenderer {
    fn context_id(&self) -> ContextId<VulkanTexture> {
        self.context.clone()
    }

    fn downscale_filter(&mut self, filter: TextureFilter) -> Result<()> {
        self.downscale = convert::filter(filter);
        Ok(())
    }

    fn upscale_filter(&mut self, filter: TextureFilter) -> Result<()> {
        self.upscale = convert::filter(filter);
        Ok(())
    }

    fn set_debug_flags(&mut self, flags: DebugFlags) {
        self.debug = flags;
    }

    fn debug_flags(&self) -> DebugFlags {
        self.debug
    }

    fn render<'frame, 'buffer>(
        &'frame mut self,
        framebuffer: &'frame mut VulkanFramebuffer<'buffer>,
        output_size: Size<i32, Physical>,
        dst_transform: Transform,
    ) -> Result<VulkanFrame<'frame, 'buffer>>
    where
        'buffer: 'frame,
    {
        let texture = framebuffer.texture();
        let size = (texture.width() as i32, texture.height() as i32);
        // Smithay gives the output's size before its transform: the framebuffer's own.
        // vkcompose draws whole targets, so any other size is a caller error.
        if (output_size.w, output_size.h) != size {
            return Err(Error::InvalidArgument(format!(
                "output size {}x{} differs from the {}x{} framebuffer",
                output_size.w, output_size.h, size.0, size.1
            )));
        }
        VulkanFrame::new(self, framebuffer, dst_transform)
    }

    fn wait(&mut self, sync: &SyncPoint) -> Result<()> {
        fence::wait_on_cpu(sync)
    }

    fn cleanup_texture_cache(&mut self) -> Result<()> {
        self.dmabufs.retain(|weak, _| !weak.is_gone());
        self.renderer.dmabuf_parts().0.release_dead();
        Ok(())
    }
}
