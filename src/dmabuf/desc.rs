//! The description of a dmabuf as a client or another device hands it over, and its
//! validation against what the device supports, before any Vulkan call sees it.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use ash::vk;

use super::modifiers::{ModifierSupport, ModifierTable};
use super::{HandleKind, Modifier};
use crate::error::{Error, Result};
use crate::format::DrmFourcc;

/// One plane of a dmabuf: where its pixels start in the fd and how far apart its rows are.
#[derive(Clone, Debug)]
pub struct DmabufPlane {
    /// Shared between clones of the description; vkcompose duplicates it to import, so
    /// the caller's fd stays the caller's.
    pub fd: Arc<OwnedFd>,
    pub offset: u64,
    pub stride: u64,
    /// Bytes of the memory object the fd refers to. Required for opaque fds (Vulkan
    /// imports them only at their exact allocation size, and nothing else tells it);
    /// for dma-bufs the kernel reports it when left out.
    pub size: Option<u64>,
}

#[derive(Debug)]
struct Inner {
    width: u32,
    height: u32,
    fourcc: DrmFourcc,
    modifier: Modifier,
    kind: HandleKind,
    planes: Vec<DmabufPlane>,
}

/// A shared buffer. Cloning is cheap and keeps the identity: importing a clone of a buffer
/// that is already imported returns the same texture.
#[derive(Clone, Debug)]
pub struct Dmabuf(Arc<Inner>);

/// Collects the planes of a [`Dmabuf`].
#[derive(Debug)]
pub struct DmabufBuilder {
    inner: Inner,
}

/// A dmabuf's layout once it passed validation.
#[derive(Clone, Debug)]
pub struct ValidatedLayout {
    /// The device's table entry for the buffer's format, modifier and handle kind.
    pub support: ModifierSupport,
    pub format: vk::Format,
    /// Per plane: the index into `memories` of the memory object it lives in.
    pub plane_memory: Vec<usize>,
    /// The distinct memory objects, each as (plane index whose fd to import, size in
    /// bytes). More than one means the image is disjoint.
    pub memories: Vec<(usize, u64)>,
}

impl ValidatedLayout {
    pub fn disjoint(&self) -> bool {
        self.memories.len() > 1
    }
}

impl Dmabuf {
    pub fn builder(
        width: u32,
        height: u32,
        fourcc: DrmFourcc,
        modifier: Modifier,
        kind: HandleKind,
    ) -> DmabufBuilder {
        DmabufBuilder {
            inner: Inner {
                width,
                height,
                fourcc,
                modifier,
                kind,
                planes: Vec::new(),
            },
        }
    }

    pub fn width(&self) -> u32 {
        self.0.width
    }

    pub fn height(&self) -> u32 {
        self.0.height
    }

    pub fn fourcc(&self) -> DrmFourcc {
        self.0.fourcc
    }

    pub fn modifier(&self) -> Modifier {
        self.0.modifier
    }

    pub fn kind(&self) -> HandleKind {
        self.0.kind
    }

    pub fn planes(&self) -> &[DmabufPlane] {
        &self.0.planes
    }

    /// Whether `other` is a clone of this description (the same buffer).
    pub fn same_buffer(&self, other: &Dmabuf) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// An identity for caches, valid while a clone lives.
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// A weak handle that tells a cache when the last clone is gone.
    pub(crate) fn downgrade(&self) -> std::sync::Weak<dyn std::any::Any + Send + Sync> {
        let weak: std::sync::Weak<Inner> = Arc::downgrade(&self.0);
        weak
    }

    /// Checks the description against the device's table: format and modifier known and
    /// supported for `kind`, plane count, offsets and strides inside each fd, size within
    /// the modifier's limits. Nothing here calls Vulkan.
    pub fn validate(&self, table: &ModifierTable) -> Result<ValidatedLayout> {
        let _ = table;
        Err(Error::BadBuffer("validation not written yet".into()))
    }
}

impl DmabufBuilder {
    /// Adds the next plane.
    pub fn plane(mut self, fd: impl Into<Arc<OwnedFd>>, offset: u64, stride: u64) -> Self {
        self.inner.planes.push(DmabufPlane {
            fd: fd.into(),
            offset,
            stride,
            size: None,
        });
        self
    }

    /// Adds the next plane with the size of its memory object (required for opaque fds).
    pub fn plane_with_size(
        mut self,
        fd: impl Into<Arc<OwnedFd>>,
        offset: u64,
        stride: u64,
        size: u64,
    ) -> Self {
        self.inner.planes.push(DmabufPlane {
            fd: fd.into(),
            offset,
            stride,
            size: Some(size),
        });
        self
    }

    pub fn build(self) -> Dmabuf {
        Dmabuf(Arc::new(self.inner))
    }
}
