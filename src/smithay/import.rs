//! Client buffers into textures: memory (shm) and dma-bufs, through Smithay's import
//! traits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use smithay::backend::allocator::dmabuf::Dmabuf as SmithayDmabuf;
use smithay::backend::allocator::format::FormatSet;
use smithay::backend::allocator::{Buffer as _, Fourcc};
use smithay::backend::renderer::{ContextId, ImportDma, ImportDmaWl, ImportMem, ImportMemWl};
use smithay::reexports::wayland_server::protocol::wl_buffer::WlBuffer;
use smithay::utils::{Buffer, Rectangle, Size};
use smithay::wayland::compositor::SurfaceData;
use smithay::wayland::shm::{self, BufferData};

use super::convert::{dimension, format_set};
use super::texture::VulkanTexture;
use super::{convert, VulkanRenderer};
use crate::dmabuf::{Dmabuf, HandleKind, Modifier};
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::gpu::shm_layout::ShmLayout;
use crate::resources::texture::Texture;

/// A surface's shm texture per renderer, kept in the surface's data so that later commits
/// upload only their damage.
#[derive(Default)]
struct ShmTextures(Mutex<HashMap<ContextId<VulkanTexture>, VulkanTexture>>);

impl ImportMem for VulkanRenderer {
    fn import_memory(
        &mut self,
        data: &[u8],
        format: Fourcc,
        size: Size<i32, Buffer>,
        flipped: bool,
    ) -> Result<VulkanTexture> {
        let layout = self.packed_layout(format, size)?;
        let rows = upright(data, &layout, flipped);
        let texture = self.renderer.import_memory(&rows, layout)?;
        Ok(VulkanTexture::new(texture, flipped))
    }

    fn update_memory(
        &mut self,
        texture: &VulkanTexture,
        data: &[u8],
        region: Rectangle<i32, Buffer>,
    ) -> Result<()> {
        let inner = texture.texture();
        let fourcc = inner.fourcc().ok_or_else(|| {
            Error::InvalidArgument("the texture was not imported from memory".into())
        })?;
        let size = Size::from((inner.width() as i32, inner.height() as i32));
        let layout = self.packed_layout(fourcc, size)?;
        let rows = upright(data, &layout, texture.flipped);
        let mut region = convert::rect(region);
        if texture.flipped {
            region.y = layout.height as i32 - region.y - region.h;
        }
        self.renderer
            .update_memory(inner, &rows, layout.stride, &[region])
    }

    fn mem_formats(&self) -> Box<dyn Iterator<Item = Fourcc>> {
        Box::new(self.renderer.shm_formats().into_iter())
    }
}

impl VulkanRenderer {
    /// Tightly packed rows of `fourcc`, as Smithay's memory imports are.
    fn packed_layout(&self, fourcc: Fourcc, size: Size<i32, Buffer>) -> Result<ShmLayout> {
        let info = self.renderer.gpu().shm_format(fourcc)?;
        let (width, height) = (dimension(size.w)?, dimension(size.h)?);
        let stride = width
            .checked_mul(info.bytes_per_pixel)
            .ok_or_else(|| Error::BadBuffer(format!("a {width} pixel wide row overflows")))?;
        Ok(ShmLayout {
            fourcc,
            width,
            height,
            stride,
        })
    }
}

/// The rows top-down: Smithay's flipped memory stores them bottom-up. Data too short for
/// its rows is passed on as is, for the import to refuse.
fn upright<'a>(data: &'a [u8], layout: &ShmLayout, flipped: bool) -> std::borrow::Cow<'a, [u8]> {
    let stride = layout.stride as usize;
    let len = stride * layout.height as usize;
    if !flipped || data.len() < len || stride == 0 {
        return data.into();
    }
    data[..len]
        .chunks_exact(stride)
        .rev()
        .flatten()
        .copied()
        .collect::<Vec<u8>>()
        .into()
}

impl ImportMemWl for VulkanRenderer {
    fn import_shm_buffer(
        &mut self,
        buffer: &WlBuffer,
        surface: Option<&SurfaceData>,
        damage: &[Rectangle<i32, Buffer>],
    ) -> Result<VulkanTexture> {
        let cache = surface.map(|s| s.data_map.get_or_insert_threadsafe(ShmTextures::default));
        let context = self.context.clone();
        let cached = cache.and_then(|c| lock(c).get(&context).cloned());
        let texture = shm::with_buffer_contents(buffer, |ptr, len, data| {
            // SAFETY: Smithay keeps the pool mapped for `len` bytes while this closure
            // runs. The client may write to it meanwhile; that only changes which pixels
            // are read.
            let pool = unsafe { std::slice::from_raw_parts(ptr, len) };
            self.upload_shm(pool, data, cached, damage)
        })
        .map_err(|e| Error::BadBuffer(format!("the wl_buffer's memory cannot be read: {e}")))??;
        if let Some(cache) = cache {
            let mut textures = lock(cache);
            // Renderers whose device was lost are gone or going: their copies go too.
            textures.retain(|_, t| !t.texture().device_lost());
            textures.insert(context, texture.clone());
        }
        Ok(texture)
    }
}

fn lock(
    cache: &ShmTextures,
) -> std::sync::MutexGuard<'_, HashMap<ContextId<VulkanTexture>, VulkanTexture>> {
    // A panic elsewhere while the map was held leaves it consistent: entries are
    // inserted whole.
    cache
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl VulkanRenderer {
    /// Copies the buffer into `cached` where it still fits (only the damage), else into a
    /// new texture.
    fn upload_shm(
        &mut self,
        pool: &[u8],
        data: BufferData,
        cached: Option<VulkanTexture>,
        damage: &[Rectangle<i32, Buffer>],
    ) -> Result<VulkanTexture> {
        let fourcc = shm::shm_format_to_fourcc(data.format).ok_or_else(|| {
            Error::BadBuffer(format!("wl_shm format {:?} has no fourcc", data.format))
        })?;
        let (width, height) = (dimension(data.width)?, dimension(data.height)?);
        let stride = dimension(data.stride)?;
        let bytes = usize::try_from(data.offset)
            .ok()
            .and_then(|offset| pool.get(offset..))
            .ok_or_else(|| {
                Error::BadBuffer(format!(
                    "offset {} is outside the {} byte pool",
                    data.offset,
                    pool.len()
                ))
            })?;
        let reusable = cached.filter(|t| {
            let t = t.texture();
            (t.width(), t.height(), t.fourcc()) == (width, height, Some(fourcc))
        });
        match reusable {
            Some(texture) => {
                let whole = Rect::new(0, 0, data.width, data.height);
                let damage: Vec<Rect> = if damage.is_empty() {
                    vec![whole]
                } else {
                    damage.iter().copied().map(convert::rect).collect()
                };
                self.renderer
                    .update_memory(texture.texture(), bytes, stride, &damage)?;
                Ok(texture)
            }
            None => {
                let layout = ShmLayout {
                    fourcc,
                    width,
                    height,
                    stride,
                };
                let texture = self.renderer.import_memory(bytes, layout)?;
                Ok(VulkanTexture::new(texture, false))
            }
        }
    }

    /// The texture of a Smithay dma-buf: the same description for the same buffer, so the
    /// renderer's cache finds it again.
    pub(super) fn import_smithay_dmabuf(&mut self, dmabuf: &SmithayDmabuf) -> Result<Arc<Texture>> {
        if dmabuf.y_inverted() {
            return Err(Error::Unsupported {
                device: self.renderer.device().name().to_string(),
                what: "y-inverted dma-bufs (zwp_linux_buffer_params Y_INVERT)".into(),
            });
        }
        let weak = dmabuf.weak();
        let description = match self.dmabufs.get(&weak) {
            Some(description) => description.clone(),
            None => {
                let description = describe(dmabuf)?;
                self.dmabufs.retain(|weak, _| !weak.is_gone());
                self.dmabufs.insert(weak, description.clone());
                description
            }
        };
        self.renderer.import_dmabuf(&description)
    }
}

/// vkcompose's description of a Smithay dma-buf, with its own duplicates of the fds.
fn describe(dmabuf: &SmithayDmabuf) -> Result<Dmabuf> {
    let format = dmabuf.format();
    let mut builder = Dmabuf::builder(
        dmabuf.width(),
        dmabuf.height(),
        format.code,
        Modifier(format.modifier.into()),
        HandleKind::DmaBuf,
    );
    for ((fd, offset), stride) in dmabuf.handles().zip(dmabuf.offsets()).zip(dmabuf.strides()) {
        builder = builder.plane(
            fd.try_clone_to_owned()?,
            u64::from(offset),
            u64::from(stride),
        );
    }
    Ok(builder.build())
}

impl ImportDma for VulkanRenderer {
    fn dmabuf_formats(&self) -> FormatSet {
        format_set(self.renderer.dmabuf_formats(false))
    }

    fn import_dmabuf(
        &mut self,
        dmabuf: &SmithayDmabuf,
        _damage: Option<&[Rectangle<i32, Buffer>]>,
    ) -> Result<VulkanTexture> {
        // Copy-backed imports copy the whole buffer again: the renderer's copies have no
        // damage tracking yet.
        let texture = self.import_smithay_dmabuf(dmabuf)?;
        Ok(VulkanTexture::from_texture(texture))
    }
}

impl ImportDmaWl for VulkanRenderer {}
