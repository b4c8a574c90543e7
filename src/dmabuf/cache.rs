//! The renderer's imported dmabufs: the same buffer imported again (a client committing it
//! again) gets the same texture back. Entries hold neither the buffer nor the texture:
//! whichever the caller drops first ends the entry.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Weak};

use super::buffer::ImportedBuffer;
use super::desc::Dmabuf;
use super::hostmap::HostMapped;
use crate::resources::texture::Texture;

/// Where a texture that holds a copy of a buffer copies from again.
#[derive(Clone)]
pub(crate) enum CopySource {
    /// The buffer's memory imported as a `VkBuffer`: a GPU copy.
    Buffer(Arc<ImportedBuffer>),
    /// The buffer mapped, the mapping imported as host memory: a GPU copy.
    HostMapped(Arc<HostMapped>),
    /// The buffer mapped on the CPU.
    Mapped,
}

/// How an imported dmabuf's texture gets the buffer's pixels
/// ([`Renderer::dmabuf_path`](crate::Renderer::dmabuf_path)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmabufPath {
    /// The texture is the buffer's memory: no copy.
    ZeroCopy,
    /// The buffer's memory is imported as a `VkBuffer` (no image can take its layout) and
    /// the GPU copies it into the texture on every import.
    BufferCopy,
    /// The buffer is mapped, the mapping imported as host memory, and the GPU copies it
    /// into the texture on every import (no dma-buf import on the device).
    HostMappingCopy,
    /// The buffer is mapped and copied on the CPU on every import.
    CpuCopy,
}

impl CopySource {
    /// The path of a texture copied from this source, or of a zero-copy one.
    pub fn path(source: Option<&CopySource>) -> DmabufPath {
        match source {
            None => DmabufPath::ZeroCopy,
            Some(CopySource::Buffer(_)) => DmabufPath::BufferCopy,
            Some(CopySource::HostMapped(_)) => DmabufPath::HostMappingCopy,
            Some(CopySource::Mapped) => DmabufPath::CpuCopy,
        }
    }
}

struct Entry {
    buffer: Weak<dyn Any + Send + Sync>,
    texture: Weak<Texture>,
    copy: Option<CopySource>,
}

impl Entry {
    fn is_live(&self) -> bool {
        self.buffer.strong_count() > 0 && self.texture.strong_count() > 0
    }
}

#[derive(Default)]
pub(crate) struct DmabufCache {
    entries: HashMap<usize, Entry>,
}

impl DmabufCache {
    /// The texture of `buffer` if it was imported and both still live.
    pub fn lookup(&mut self, buffer: &Dmabuf) -> Option<(Arc<Texture>, Option<CopySource>)> {
        let id = buffer.identity();
        let entry = self.entries.get(&id)?;
        match entry.texture.upgrade() {
            Some(texture) if entry.is_live() => Some((texture, entry.copy.clone())),
            _ => {
                self.entries.remove(&id);
                None
            }
        }
    }

    /// Drops the entries whose buffer or texture is gone, and with them what a copy source
    /// holds of the buffer (its mapping and fd).
    pub fn prune(&mut self) {
        self.entries.retain(|_, e| e.is_live());
    }

    pub fn insert(&mut self, buffer: &Dmabuf, texture: &Arc<Texture>, copy: Option<CopySource>) {
        // Dead entries go whenever one is added, so the map never outgrows what is live.
        self.prune();
        self.entries.insert(
            buffer.identity(),
            Entry {
                buffer: buffer.downgrade(),
                texture: Arc::downgrade(texture),
                copy,
            },
        );
    }
}
