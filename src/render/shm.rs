//! The renderer's shm uploads: client memory copied into textures (see `gpu::upload`).

use crate::error::Result;
use crate::geometry::Rect;
use crate::gpu::shm_layout::ShmLayout;
use crate::gpu::upload::ShmPool;
use crate::render::renderer::Renderer;
use crate::resources::texture::Texture;

impl Renderer {
    /// A texture holding a copy of an shm buffer.
    pub fn import_memory(&mut self, data: &[u8], layout: ShmLayout) -> Result<Texture> {
        self.device().require_alive()?;
        self.gpu_mut().import_memory(data, layout)
    }

    /// Copies the damaged rectangles of `data` (laid out like the texture, `stride` bytes a
    /// row) into `texture`; everything else keeps its contents.
    pub fn update_memory(
        &mut self,
        texture: &Texture,
        data: &[u8],
        stride: u32,
        damage: &[Rect],
    ) -> Result<()> {
        self.device().require_alive()?;
        self.gpu_mut().update_memory(texture, data, stride, damage)
    }

    /// Imports `len` bytes at `ptr` (an shm pool's mapping) as host memory the GPU can copy
    /// from. Fails with a typed error where the device has no host-pointer import or the
    /// mapping is not aligned to what it needs (then use [`Renderer::update_memory`]).
    ///
    /// # Safety
    /// The `len` bytes at `ptr` stay mapped, readable and not unmapped until the returned
    /// pool is dropped (its drop waits for the GPU work reading it).
    pub unsafe fn import_shm_pool(&mut self, ptr: *mut u8, len: usize) -> Result<ShmPool> {
        self.device().require_alive()?;
        // SAFETY: the caller keeps this function's contract, which is the same.
        unsafe { self.gpu_mut().import_shm_pool(ptr, len) }
    }

    /// Copies the damaged rectangles of the buffer at `offset` in `pool` into `texture` on
    /// the GPU: no CPU copy.
    pub fn update_from_pool(
        &mut self,
        texture: &Texture,
        pool: &ShmPool,
        offset: u64,
        stride: u32,
        damage: &[Rect],
    ) -> Result<()> {
        self.device().require_alive()?;
        self.gpu_mut()
            .update_from_pool(texture, pool, offset, stride, damage)
    }
}
