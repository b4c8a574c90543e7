//! The renderer's dma-buf methods: import, the import path, the modifier table, the
//! formats to advertise, and exported targets (see `dmabuf::import` and `dmabuf::export`).

use std::sync::Arc;

use crate::dmabuf::{Dmabuf, DmabufPath, HandleKind, Modifier, ModifierTable};
use crate::error::Result;
use crate::render::renderer::Renderer;
use crate::resources::format::DrmFourcc;
use crate::resources::sampler::YcbcrOptions;
use crate::resources::texture::Texture;

impl Renderer {
    /// A texture showing `buffer`. Importing a buffer that is already imported (a clone of
    /// the same [`Dmabuf`], while its texture lives) returns the same texture; call this on
    /// every commit: textures that hold a copy of the buffer copy it again, zero-copy ones
    /// cost nothing. The caller's fds stay the caller's.
    pub fn import_dmabuf(&mut self, buffer: &Dmabuf) -> Result<Arc<Texture>> {
        self.import_dmabuf_ycbcr(buffer, YcbcrOptions::default())
    }

    /// [`Renderer::import_dmabuf`] for YUV buffers (NV12, P010) whose colour model and
    /// range the client gave (`wp_color_representation`); RGB buffers ignore `options`.
    /// Sampled through a `VkSamplerYcbcrConversion`: an error on devices without it.
    pub fn import_dmabuf_ycbcr(
        &mut self,
        buffer: &Dmabuf,
        options: YcbcrOptions,
    ) -> Result<Arc<Texture>> {
        self.device().require_alive()?;
        let (dmabufs, gpu, drawing) = self.dmabuf_parts();
        dmabufs.import(gpu, drawing.yuv(), buffer, options)
    }

    /// How the texture of `buffer` gets its pixels, while it is imported (`None` when it is
    /// not): a compositor's debugging aid, and how tests tell the copy paths apart.
    pub fn dmabuf_path(&mut self, buffer: &Dmabuf) -> Option<DmabufPath> {
        self.dmabuf_parts().0.path(buffer)
    }

    /// The (format, modifier) pairs this device can import, render into and export.
    pub fn modifier_table(&self) -> &ModifierTable {
        self.dmabufs().modifier_table()
    }

    /// What clients may send as dma-bufs (linux-dmabuf feedback): the table's pairs where
    /// dma-bufs import natively; else LINEAR for every shm format, which is mapped and
    /// copied. `render` keeps only the pairs that can also be render targets (none on the
    /// copy path: a copy cannot be drawn back into the buffer).
    pub fn dmabuf_formats(&self, render: bool) -> Vec<(DrmFourcc, Vec<Modifier>)> {
        self.dmabufs().formats(self.gpu(), render)
    }

    /// A render target of `width`x`height` `fourcc` pixels in memory exported as `kind`,
    /// laid out with one of `modifiers` (the driver picks among those it can render into
    /// and export at this size), and the description another device or process imports
    /// it from. Frames that render into it hand it back to those users when they finish.
    pub fn create_exported_target(
        &mut self,
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        modifiers: &[Modifier],
        kind: HandleKind,
    ) -> Result<(Texture, Dmabuf)> {
        self.device().require_alive()?;
        self.dmabufs()
            .create_exported_target(self.gpu(), width, height, fourcc, modifiers, kind)
    }
}
