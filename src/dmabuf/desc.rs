//! The description of a dmabuf as a client or another device hands it over, and its
//! validation against what the device supports, before any Vulkan call sees it.

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;

use ash::vk;

use super::linux::{check_open, fd_size, file_id};
use super::modifiers::{ModifierSupport, ModifierTable, Tiling};
use super::planes::{fourcc_name, plane_layout, PlaneInfo, PlaneLayout};
use super::{HandleKind, Modifier, Purpose};
use crate::error::{Error, Result};
use crate::resources::format::DrmFourcc;

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
    /// bytes). More than one means the image is disjoint. The size is 0 where neither the
    /// description nor the fd told it (dma-bufs only: Vulkan then asks the kernel).
    pub memories: Vec<(usize, u64)>,
    /// Per plane, where it lies in its memory object.
    pub planes: Vec<ValidatedPlane>,
}

/// One plane of a [`ValidatedLayout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidatedPlane {
    /// Bytes from the start of the plane's memory object.
    pub offset: u64,
    /// Bytes from one row to the next.
    pub stride: u64,
    /// The plane's size in texels (half the image's across and down for 4:2:0 chroma);
    /// `None` for planes that hold a modifier's metadata rather than pixels.
    pub extent: Option<vk::Extent2D>,
    /// Bytes of one row of texels without padding (0 for metadata planes).
    pub row_bytes: u64,
}

impl Purpose {
    /// The entry's largest image for this purpose; `None` where it does not serve it.
    pub fn extent(self, support: &ModifierSupport) -> Option<vk::Extent2D> {
        match self {
            Purpose::Texture => support.texture,
            Purpose::Render => support.render,
        }
    }
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
    // For the import cache, written on its own branch.
    #[allow(dead_code)]
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// A weak handle that tells a cache when the last clone is gone.
    pub(crate) fn downgrade(&self) -> std::sync::Weak<dyn std::any::Any + Send + Sync> {
        let weak: std::sync::Weak<Inner> = Arc::downgrade(&self.0);
        weak
    }

    /// Checks the description against the device's table for use as a texture: format and
    /// modifier known and supported for `kind`, plane count, offsets and strides inside
    /// each fd, size within the modifier's limits. Nothing here calls Vulkan.
    pub fn validate(&self, table: &ModifierTable) -> Result<ValidatedLayout> {
        self.validate_for(table, Purpose::Texture)
    }

    /// [`Dmabuf::validate`] for a given use: a render target must be in the table as one,
    /// and within its (possibly smaller) largest size.
    ///
    /// The checks, in order, each failure its own error: the format is one vkcompose
    /// knows ([`Error::UnsupportedFormat`]); the table has (format, modifier, kind) for
    /// `purpose` ([`Error::UnsupportedModifier`], listing what it has); then, as
    /// [`Error::BadBuffer`]: the size is at least 1x1 and within the entry's limit, even
    /// where 4:2:0 and 4:2:2 formats need it; one plane per memory plane; every fd open;
    /// strides at least a row of texels; every plane's rows inside its memory object; and
    /// planes in separate memory objects only where the entry allows disjoint images.
    ///
    /// For optimal tiling (INVALID on opaque fds) the layout is the driver's own, so
    /// offsets and strides are neither used nor checked.
    pub fn validate_for(&self, table: &ModifierTable, purpose: Purpose) -> Result<ValidatedLayout> {
        let layout = plane_layout(self.fourcc()).ok_or_else(|| Error::UnsupportedFormat {
            device: table.device_name().to_string(),
            fourcc: fourcc_name(self.fourcc()),
            what: "dmabuf (vkcompose maps no Vulkan format to it)",
        })?;
        let (support, max) = self.table_entry(table, purpose)?;
        self.check_extent(table, support, purpose, max)?;
        self.check_subsampling(&layout)?;
        self.check_plane_count(support)?;
        self.check_fds_open()?;
        let planes = self.plane_layouts(&layout, support)?;
        let sizes = self.memory_sizes()?;
        let MemoryObjects {
            plane_memory,
            memories,
        } = self.memories(&sizes)?;
        if support.tiling != Tiling::Optimal {
            // Each plane against its memory object's size, which another plane of the same
            // object may be the one to give.
            let sizes: Vec<Option<u64>> = plane_memory
                .iter()
                .map(|&m| Some(memories[m].1).filter(|&size| size > 0))
                .collect();
            check_bounds(&planes, &sizes)?;
        }
        if memories.len() > 1 && !support.disjoint {
            return Err(Error::BadBuffer(format!(
                "the planes lie in {} memory objects (plane {} apart from plane 0), but {} \
                 cannot import {} with {} disjoint: give every plane the same fd",
                memories.len(),
                memories[1].0,
                table.device_name(),
                layout.name,
                self.modifier()
            )));
        }
        Ok(ValidatedLayout {
            support: support.clone(),
            format: support.format,
            plane_memory,
            memories,
            planes,
        })
    }

    /// The table's entry for this buffer and purpose, with its largest size.
    fn table_entry<'t>(
        &self,
        table: &'t ModifierTable,
        purpose: Purpose,
    ) -> Result<(&'t ModifierSupport, vk::Extent2D)> {
        let entry = table
            .find(self.fourcc(), self.modifier(), self.kind())
            .and_then(|e| Some((e, purpose.extent(e)?)));
        entry.ok_or_else(|| Error::UnsupportedModifier {
            device: table.device_name().to_string(),
            fourcc: fourcc_name(self.fourcc()),
            modifier: self.modifier(),
            kind: self.kind(),
            purpose,
            supported: table
                .entries()
                .iter()
                .filter(|e| e.fourcc == self.fourcc() && e.kind == self.kind())
                .filter(|e| purpose.extent(e).is_some())
                .map(|e| e.modifier)
                .collect(),
        })
    }

    fn check_extent(
        &self,
        table: &ModifierTable,
        support: &ModifierSupport,
        purpose: Purpose,
        max: vk::Extent2D,
    ) -> Result<()> {
        let (width, height) = (self.width(), self.height());
        if width == 0 || height == 0 {
            return Err(Error::BadBuffer(format!(
                "the buffer is {width}x{height}: both sides must be at least 1"
            )));
        }
        if width > max.width || height > max.height {
            return Err(Error::BadBuffer(format!(
                "the buffer is {width}x{height}, larger than the {}x{} {} allows for {} with \
                 {} as a {purpose}",
                max.width,
                max.height,
                table.device_name(),
                fourcc_name(self.fourcc()),
                support.modifier
            )));
        }
        Ok(())
    }

    /// Vulkan requires even sides where chroma is subsampled (the image's extent must be
    /// a multiple of the chroma block).
    fn check_subsampling(&self, layout: &PlaneLayout) -> Result<()> {
        let (across, down) = layout.subsampling();
        let scheme = if down == 2 { "4:2:0" } else { "4:2:2" };
        let odd = |side: &str, value: u32, factor: u32| {
            if factor == 2 && value % 2 == 1 {
                return Err(Error::BadBuffer(format!(
                    "{} is {scheme} (chroma at half resolution), so its {side} must be even, \
                     not {value}",
                    layout.name
                )));
            }
            Ok(())
        };
        odd("width", self.width(), across)?;
        odd("height", self.height(), down)
    }

    fn check_plane_count(&self, support: &ModifierSupport) -> Result<()> {
        let given = self.planes().len();
        if given == 0 {
            return Err(Error::BadBuffer("the buffer has no planes".into()));
        }
        if given != support.memory_planes as usize {
            return Err(Error::BadBuffer(format!(
                "{} with {} has {} memory plane(s), but the buffer has {given}",
                fourcc_name(self.fourcc()),
                support.modifier,
                support.memory_planes
            )));
        }
        Ok(())
    }

    fn check_fds_open(&self) -> Result<()> {
        for (i, plane) in self.planes().iter().enumerate() {
            if check_open(plane.fd.as_fd()).is_err() {
                return Err(Error::BadBuffer(format!(
                    "plane {i}'s fd {} is not open",
                    plane.fd.as_raw_fd()
                )));
            }
        }
        Ok(())
    }

    /// Every plane's place, with the strides checked: at least one row of texels (a
    /// lower bound for tiled layouts too, whose rows are never narrower).
    fn plane_layouts(
        &self,
        layout: &PlaneLayout,
        support: &ModifierSupport,
    ) -> Result<Vec<ValidatedPlane>> {
        let mut planes = Vec::with_capacity(self.planes().len());
        for (i, plane) in self.planes().iter().enumerate() {
            // Planes past the format's own hold a modifier's metadata, not texels.
            let texels = layout.planes().get(i);
            let extent = texels.map(|t| {
                let (width, height) = t.extent(self.width(), self.height());
                vk::Extent2D { width, height }
            });
            let row_bytes = texels.map_or(0, |t| t.row_bytes(self.width()));
            if support.tiling != Tiling::Optimal {
                check_stride(i, plane.stride, row_bytes, texels, extent)?;
            }
            planes.push(ValidatedPlane {
                offset: plane.offset,
                stride: plane.stride,
                extent,
                row_bytes,
            });
        }
        Ok(planes)
    }

    /// Each plane's memory size: the one given, else what the fd reports. Unknown is
    /// fine for dma-bufs (the kernel knows it when importing) but not for opaque fds.
    fn memory_sizes(&self) -> Result<Vec<Option<u64>>> {
        let mut sizes = Vec::with_capacity(self.planes().len());
        for (i, plane) in self.planes().iter().enumerate() {
            let size = match plane.size {
                Some(size) => Some(size),
                None => match (fd_size(plane.fd.as_fd()), self.kind()) {
                    (Ok(size), _) => Some(size),
                    (Err(_), HandleKind::DmaBuf) => None,
                    (Err(error), HandleKind::OpaqueFd) => {
                        return Err(Error::BadBuffer(format!(
                            "plane {i}: opaque fds need the memory size (give it with \
                             DmabufBuilder::plane_with_size), and fd {} does not report one \
                             ({error})",
                            plane.fd.as_raw_fd()
                        )))
                    }
                },
            };
            if size == Some(0) {
                return Err(Error::BadBuffer(format!("plane {i}'s memory has 0 bytes")));
            }
            sizes.push(size);
        }
        Ok(sizes)
    }

    /// Groups the planes by memory object.
    fn memories(&self, sizes: &[Option<u64>]) -> Result<MemoryObjects> {
        let ids = self.file_ids()?;
        let mut plane_memory = Vec::with_capacity(sizes.len());
        // Per memory object: its first plane and its size where known.
        let mut groups: Vec<(usize, Option<u64>)> = Vec::new();
        for (i, &plane_size) in sizes.iter().enumerate() {
            let same = groups
                .iter()
                .position(|&(first, _)| self.same_memory(first, i, &ids));
            let Some(group) = same else {
                plane_memory.push(groups.len());
                groups.push((i, plane_size));
                continue;
            };
            plane_memory.push(group);
            let (first, size) = &mut groups[group];
            match (*size, plane_size) {
                (Some(a), Some(b)) if a != b => {
                    return Err(Error::BadBuffer(format!(
                        "planes {first} and {i} share one memory object but give it \
                         different sizes ({a} and {b} bytes)"
                    )))
                }
                (None, known) => *size = known,
                _ => {}
            }
        }
        let memories = groups
            .into_iter()
            .map(|(first, size)| (first, size.unwrap_or(0)))
            .collect();
        Ok(MemoryObjects {
            plane_memory,
            memories,
        })
    }

    /// For dma-bufs, the file behind each plane's fd: two fd numbers may be one buffer.
    fn file_ids(&self) -> Result<Vec<Option<(u64, u64)>>> {
        let dma_buf = self.kind() == HandleKind::DmaBuf;
        let planes = self.planes().iter().enumerate();
        planes
            .map(|(i, plane)| {
                if !dma_buf {
                    return Ok(None);
                }
                file_id(plane.fd.as_fd()).map(Some).map_err(|error| {
                    Error::BadBuffer(format!(
                        "plane {i}'s fd {} cannot be examined: {error}",
                        plane.fd.as_raw_fd()
                    ))
                })
            })
            .collect()
    }

    /// Planes `a` and `b` share a memory object when they share the fd; dma-bufs also
    /// when their fds are the same file. Opaque fds are imported by number, so two
    /// numbers are two imports even of one allocation.
    fn same_memory(&self, a: usize, b: usize, ids: &[Option<(u64, u64)>]) -> bool {
        let (pa, pb) = (&self.planes()[a], &self.planes()[b]);
        if Arc::ptr_eq(&pa.fd, &pb.fd) || pa.fd.as_raw_fd() == pb.fd.as_raw_fd() {
            return true;
        }
        self.kind() == HandleKind::DmaBuf && ids[a].is_some() && ids[a] == ids[b]
    }
}

/// The planes grouped by memory object, as [`ValidatedLayout`] holds them.
struct MemoryObjects {
    plane_memory: Vec<usize>,
    memories: Vec<(usize, u64)>,
}

fn check_stride(
    plane: usize,
    stride: u64,
    row_bytes: u64,
    texels: Option<&PlaneInfo>,
    extent: Option<vk::Extent2D>,
) -> Result<()> {
    let (Some(texels), Some(extent)) = (texels, extent) else {
        return Ok(());
    };
    if stride == 0 {
        return Err(Error::BadBuffer(format!("plane {plane}'s stride is 0")));
    }
    if stride < row_bytes {
        return Err(Error::BadBuffer(format!(
            "plane {plane}'s stride {stride} is less than a row of its {} texels of {} bytes \
             ({row_bytes} bytes)",
            extent.width, texels.bytes_per_texel
        )));
    }
    Ok(())
}

/// Every plane inside its memory object: its offset, and for planes of texels the end
/// of its last row. The arithmetic is checked: a description is untrusted input.
fn check_bounds(planes: &[ValidatedPlane], sizes: &[Option<u64>]) -> Result<()> {
    for (i, (plane, &size)) in planes.iter().zip(sizes).enumerate() {
        let end = match plane.extent {
            Some(extent) => plane_end(plane, extent.height).ok_or_else(|| {
                Error::BadBuffer(format!(
                    "plane {i}'s offset {} + stride {} x {} rows overflows",
                    plane.offset, plane.stride, extent.height
                ))
            })?,
            None => plane.offset,
        };
        let Some(size) = size else { continue };
        if plane.offset >= size {
            return Err(Error::BadBuffer(format!(
                "plane {i}'s offset {} lies past the end of its {size}-byte memory",
                plane.offset
            )));
        }
        if end > size {
            let height = plane.extent.map_or(0, |e| e.height);
            return Err(Error::BadBuffer(format!(
                "plane {i} needs bytes up to {end} (offset {} + stride {} x {} rows + {} \
                 bytes of the last row), but its memory has {size} bytes",
                plane.offset,
                plane.stride,
                height.saturating_sub(1),
                plane.row_bytes
            )));
        }
    }
    Ok(())
}

/// The first byte after the plane's last row: offset + stride x (height - 1) + a row.
fn plane_end(plane: &ValidatedPlane, height: u32) -> Option<u64> {
    let rows_before_last = u64::from(height.saturating_sub(1));
    plane
        .stride
        .checked_mul(rows_before_last)?
        .checked_add(plane.offset)?
        .checked_add(plane.row_bytes)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmabuf::linux::test_fds::{memfd, pipe, NEVER_OPEN};
    use crate::dmabuf::linux::{open_fd_count, FD_COUNT_LOCK};
    use std::os::fd::FromRawFd;
    use DrmFourcc as F;
    use HandleKind::{DmaBuf as Dma, OpaqueFd as Opaque};

    const BLOCK_LINEAR: Modifier = Modifier(0x0300_0000_0060_6015);

    fn extent(side: u32) -> Option<vk::Extent2D> {
        Some(vk::Extent2D {
            width: side,
            height: side,
        })
    }

    fn entry(fourcc: DrmFourcc, modifier: Modifier, kind: HandleKind) -> ModifierSupport {
        let layout = plane_layout(fourcc).unwrap();
        let tiling = match (modifier, kind) {
            (Modifier::INVALID, _) => Tiling::Optimal,
            (Modifier::LINEAR, Opaque) => Tiling::Linear,
            _ => Tiling::DrmModifier,
        };
        ModifierSupport {
            fourcc,
            modifier,
            kind,
            format: layout.format,
            tiling,
            memory_planes: layout.plane_count() as u32,
            features: vk::FormatFeatureFlags::SAMPLED_IMAGE,
            texture: extent(16384),
            render: (!layout.multi_planar()).then(|| extent(8192)).flatten(),
            exportable: true,
            dedicated_only: false,
            disjoint: false,
        }
    }

    /// Like lavapipe for opaque fds, like a modifier-capable driver for dma-bufs, with a
    /// block-linear NV12 that may be disjoint.
    fn table() -> ModifierTable {
        let mut nv12_disjoint = entry(F::Nv12, BLOCK_LINEAR, Dma);
        nv12_disjoint.disjoint = true;
        ModifierTable::from_entries(
            "Test GPU",
            vec![
                entry(F::Argb8888, Modifier::LINEAR, Opaque),
                entry(F::Argb8888, Modifier::INVALID, Opaque),
                entry(F::Argb8888, Modifier::LINEAR, Dma),
                entry(F::Nv12, Modifier::LINEAR, Opaque),
                entry(F::Nv12, Modifier::INVALID, Opaque),
                entry(F::Nv12, Modifier::LINEAR, Dma),
                nv12_disjoint,
            ],
        )
    }

    fn fd(len: usize) -> Arc<OwnedFd> {
        Arc::new(memfd(len, |i| i as u8))
    }

    /// A 64x16 ARGB8888 buffer, 256-byte rows, in a 4096-byte memfd.
    fn argb(kind: HandleKind, modifier: Modifier) -> DmabufBuilder {
        Dmabuf::builder(64, 16, F::Argb8888, modifier, kind)
    }

    fn good_argb(kind: HandleKind) -> Dmabuf {
        argb(kind, Modifier::LINEAR)
            .plane_with_size(fd(4096), 0, 256, 4096)
            .build()
    }

    /// A 64x32 NV12 buffer: Y rows of 64 bytes, then 16 chroma rows of 64 bytes.
    fn nv12(kind: HandleKind, modifier: Modifier) -> DmabufBuilder {
        Dmabuf::builder(64, 32, F::Nv12, modifier, kind)
    }

    fn bad_buffer(result: Result<ValidatedLayout>) -> String {
        match result {
            Err(Error::BadBuffer(message)) => message,
            other => panic!("expected a bad buffer, got {other:?}"),
        }
    }

    fn assert_bad(result: Result<ValidatedLayout>, parts: &[&str]) {
        let message = bad_buffer(result);
        for part in parts {
            assert!(message.contains(part), "{part:?} missing in: {message}");
        }
    }

    /// An fd number that is not open, in an `OwnedFd` as a careless caller might hand
    /// one over; give it back to [`forget_fd`] so that it is never closed.
    fn closed_fd() -> Arc<OwnedFd> {
        // SAFETY: a violation of OwnedFd's contract on purpose, to see validation catch
        // it; the value is only asked about (F_GETFD) and never closed.
        Arc::new(unsafe { OwnedFd::from_raw_fd(NEVER_OPEN) })
    }

    fn forget_fd(fd: Arc<OwnedFd>) {
        std::mem::forget(Arc::into_inner(fd).expect("the last reference"));
    }

    #[test]
    fn a_good_linear_argb_buffer_validates() {
        let buffer = good_argb(Opaque);
        let layout = buffer.validate(&table()).unwrap();
        assert_eq!(layout.format, vk::Format::B8G8R8A8_UNORM);
        assert_eq!(layout.support.tiling, Tiling::Linear);
        assert_eq!(layout.plane_memory, [0]);
        assert_eq!(layout.memories, [(0, 4096)]);
        assert!(!layout.disjoint());
        let plane = ValidatedPlane {
            offset: 0,
            stride: 256,
            extent: Some(vk::Extent2D {
                width: 64,
                height: 16,
            }),
            row_bytes: 256,
        };
        assert_eq!(layout.planes, [plane]);
    }

    #[test]
    fn a_dma_buf_without_a_size_is_measured_by_the_fd() {
        let buffer = argb(Dma, Modifier::LINEAR).plane(fd(5000), 0, 256).build();
        assert_eq!(buffer.validate(&table()).unwrap().memories, [(0, 5000)]);
        // Padding rows and an offset are fine while the last row fits.
        let padded = argb(Dma, Modifier::LINEAR)
            .plane(fd(5000), 100, 300)
            .build();
        padded.validate(&table()).unwrap();
    }

    #[test]
    fn nv12_in_one_fd_is_one_memory_object() {
        let memory = fd(3072);
        let buffer = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory.clone(), 0, 64, 3072)
            .plane_with_size(memory, 2048, 64, 3072)
            .build();
        let layout = buffer.validate(&table()).unwrap();
        assert_eq!(layout.format, vk::Format::G8_B8R8_2PLANE_420_UNORM);
        assert_eq!(layout.plane_memory, [0, 0]);
        assert_eq!(layout.memories, [(0, 3072)]);
        let chroma = layout.planes[1];
        assert_eq!(
            chroma.extent,
            Some(vk::Extent2D {
                width: 32,
                height: 16
            })
        );
        assert_eq!((chroma.offset, chroma.row_bytes), (2048, 64));
    }

    #[test]
    fn dma_buf_fds_of_one_file_are_one_memory_object() {
        let memory = memfd(3072, |_| 0);
        let dup = memory.try_clone().unwrap();
        let buffer = nv12(Dma, Modifier::LINEAR)
            .plane(memory, 0, 64)
            .plane(dup, 2048, 64)
            .build();
        let layout = buffer.validate(&table()).unwrap();
        assert_eq!(layout.plane_memory, [0, 0]);
        assert!(!layout.disjoint());
    }

    #[test]
    fn disjoint_nv12_validates_where_the_entry_allows_it() {
        let buffer = nv12(Dma, BLOCK_LINEAR)
            .plane(fd(2048), 0, 64)
            .plane(fd(1024), 0, 64)
            .build();
        let layout = buffer.validate(&table()).unwrap();
        assert!(layout.disjoint());
        assert_eq!(layout.plane_memory, [0, 1]);
        assert_eq!(layout.memories, [(0, 2048), (1, 1024)]);
    }

    #[test]
    fn an_unknown_format_is_unsupported() {
        let buffer = Dmabuf::builder(64, 16, F::Yuyv, Modifier::LINEAR, Dma)
            .plane(fd(2048), 0, 128)
            .build();
        let error = buffer.validate(&table()).unwrap_err();
        assert!(
            matches!(error, Error::UnsupportedFormat { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("Test GPU") && message.contains("YUYV"),
            "{message}"
        );
    }

    #[test]
    fn a_modifier_missing_from_the_table_lists_the_supported_ones() {
        let buffer = argb(Opaque, BLOCK_LINEAR)
            .plane_with_size(fd(4096), 0, 256, 4096)
            .build();
        let error = buffer.validate(&table()).unwrap_err();
        let Error::UnsupportedModifier {
            modifier,
            kind,
            purpose,
            ref supported,
            ..
        } = error
        else {
            panic!("{error:?}");
        };
        assert_eq!(
            (modifier, kind, purpose),
            (BLOCK_LINEAR, Opaque, Purpose::Texture)
        );
        assert_eq!(supported, &[Modifier::LINEAR, Modifier::INVALID]);
        assert_eq!(
            error.to_string(),
            "Test GPU cannot use ARGB8888 with modifier 0x300000000606015 from an opaque fd \
             as a texture: the modifiers it supports for that are LINEAR, INVALID"
        );
    }

    #[test]
    fn a_texture_only_entry_is_no_render_target() {
        let memory = fd(3072);
        let buffer = nv12(Dma, Modifier::LINEAR)
            .plane(memory.clone(), 0, 64)
            .plane(memory, 2048, 64)
            .build();
        buffer.validate(&table()).unwrap();
        let message = buffer
            .validate_for(&table(), Purpose::Render)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "Test GPU cannot use NV12 with modifier LINEAR from a dma-buf as a render \
             target: it supports no modifier for that"
        );
    }

    #[test]
    fn sizes_must_be_positive_and_within_the_purpose_limit() {
        for (width, height) in [(0, 16), (64, 0)] {
            let buffer = Dmabuf::builder(width, height, F::Argb8888, Modifier::LINEAR, Opaque)
                .plane_with_size(fd(4096), 0, 256, 4096)
                .build();
            assert_bad(
                buffer.validate(&table()),
                &["at least 1", &format!("{width}x{height}")],
            );
        }
        let wide = |width: u32| {
            Dmabuf::builder(width, 1, F::Argb8888, Modifier::LINEAR, Opaque)
                .plane_with_size(fd(65540), 0, 65540, 65540)
                .build()
        };
        assert_bad(
            wide(16385).validate(&table()),
            &["16385x1", "larger than the 16384x16384", "as a texture"],
        );
        wide(16384).validate(&table()).unwrap();
        assert_bad(
            wide(9000).validate_for(&table(), Purpose::Render),
            &["9000x1", "8192x8192", "as a render target"],
        );
        wide(8192).validate_for(&table(), Purpose::Render).unwrap();
    }

    #[test]
    fn subsampled_formats_need_even_sides() {
        let memory = fd(8192);
        let odd_width = Dmabuf::builder(63, 32, F::Nv12, Modifier::LINEAR, Opaque)
            .plane_with_size(memory.clone(), 0, 64, 8192)
            .plane_with_size(memory.clone(), 2048, 64, 8192)
            .build();
        assert_bad(
            odd_width.validate(&table()),
            &["NV12 is 4:2:0", "width must be even, not 63"],
        );
        let odd_height = Dmabuf::builder(64, 31, F::Nv12, Modifier::LINEAR, Opaque)
            .plane_with_size(memory.clone(), 0, 64, 8192)
            .plane_with_size(memory.clone(), 2048, 64, 8192)
            .build();
        assert_bad(
            odd_height.validate(&table()),
            &["height must be even, not 31"],
        );
        // 4:2:2 halves only the width (no listed format is 4:2:2; NV16 would be).
        let nv16 = PlaneLayout::two_plane("NV16", 2, 1);
        let with_size =
            |width, height| Dmabuf::builder(width, height, F::Nv16, Modifier::LINEAR, Dma).build();
        let message = match with_size(63, 32).check_subsampling(&nv16) {
            Err(Error::BadBuffer(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(
            message.contains("NV16 is 4:2:2") && message.contains("width must be even, not 63"),
            "{message}"
        );
        with_size(64, 31).check_subsampling(&nv16).unwrap();
    }

    #[test]
    fn the_plane_count_must_match_the_memory_planes() {
        let memory = fd(4096);
        let two = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(memory.clone(), 0, 256, 4096)
            .plane_with_size(memory.clone(), 0, 256, 4096)
            .build();
        assert_bad(
            two.validate(&table()),
            &["ARGB8888 with LINEAR has 1 memory plane(s), but the buffer has 2"],
        );
        let none = argb(Opaque, Modifier::LINEAR).build();
        assert_bad(none.validate(&table()), &["the buffer has no planes"]);
        let one = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory, 0, 64, 4096)
            .build();
        assert_bad(one.validate(&table()), &["NV12 with LINEAR has 2"]);
    }

    #[test]
    fn a_closed_fd_is_named_by_plane_and_number() {
        let closed = closed_fd();
        let buffer = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(closed.clone(), 0, 256, 4096)
            .build();
        assert_bad(
            buffer.validate(&table()),
            &[&format!("plane 0's fd {NEVER_OPEN} is not open")],
        );
        let memory = fd(3072);
        let second = nv12(Dma, Modifier::LINEAR)
            .plane(memory, 0, 64)
            .plane(closed.clone(), 2048, 64)
            .build();
        assert_bad(second.validate(&table()), &["plane 1's fd"]);
        drop((buffer, second));
        forget_fd(closed);
    }

    #[test]
    fn strides_must_hold_a_row_of_texels() {
        let zero = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(4096), 0, 0, 4096)
            .build();
        assert_bad(zero.validate(&table()), &["plane 0's stride is 0"]);
        let short = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(4096), 0, 255, 4096)
            .build();
        assert_bad(
            short.validate(&table()),
            &["plane 0's stride 255 is less than a row of its 64 texels of 4 bytes (256 bytes)"],
        );
        let memory = fd(3072);
        let chroma = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory.clone(), 0, 64, 3072)
            .plane_with_size(memory, 2048, 63, 3072)
            .build();
        assert_bad(
            chroma.validate(&table()),
            &["plane 1's stride 63 is less than a row of its 32 texels of 2 bytes (64 bytes)"],
        );
    }

    #[test]
    fn every_row_must_lie_inside_the_memory() {
        let small = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(4095), 0, 256, 4095)
            .build();
        assert_bad(
            small.validate(&table()),
            &[
                "plane 0 needs bytes up to 4096",
                "offset 0 + stride 256 x 15 rows + 256",
                "4095 bytes",
            ],
        );
        // The given size counts, not the fd's.
        let told_small = argb(Dma, Modifier::LINEAR)
            .plane_with_size(fd(8192), 0, 256, 4000)
            .build();
        assert_bad(
            told_small.validate(&table()),
            &["its memory has 4000 bytes"],
        );
        let memory = fd(3072);
        let chroma = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory.clone(), 0, 64, 3072)
            .plane_with_size(memory, 2049, 64, 3072)
            .build();
        assert_bad(
            chroma.validate(&table()),
            &["plane 1 needs bytes up to 3073"],
        );
        let past = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(4096), 4096, 256, 4096)
            .build();
        assert_bad(
            past.validate(&table()),
            &["plane 0's offset 4096 lies past the end"],
        );
    }

    #[test]
    fn offset_and_stride_arithmetic_never_overflows() {
        let cases = [
            (u64::MAX - 10, 256),
            (0, u64::MAX / 2),
            (u64::MAX, u64::MAX),
        ];
        for (offset, stride) in cases {
            let buffer = argb(Opaque, Modifier::LINEAR)
                .plane_with_size(fd(4096), offset, stride, u64::MAX)
                .build();
            assert_bad(
                buffer.validate(&table()),
                &["plane 0's offset", "overflows"],
            );
        }
    }

    #[test]
    fn opaque_fds_need_a_size_and_dma_bufs_do_without() {
        let (read, write) = pipe();
        let opaque = argb(Opaque, Modifier::LINEAR).plane(read, 0, 256).build();
        assert_bad(
            opaque.validate(&table()),
            &[
                "plane 0: opaque fds need the memory size",
                "plane_with_size",
            ],
        );
        // A dma-buf whose fd cannot tell its size is checked for everything else.
        let dma = argb(Dma, Modifier::LINEAR).plane(write, 0, 256).build();
        let layout = dma.validate(&table()).unwrap();
        assert_eq!(layout.memories, [(0, 0)]);
        let empty = argb(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(0), 0, 256, 0)
            .build();
        assert_bad(empty.validate(&table()), &["plane 0's memory has 0 bytes"]);
    }

    #[test]
    fn optimal_tiling_ignores_offsets_and_strides() {
        let memory = fd(100);
        let buffer = argb(Opaque, Modifier::INVALID)
            .plane_with_size(memory, 12345, 0, 100)
            .build();
        let layout = buffer.validate(&table()).unwrap();
        assert_eq!(layout.support.tiling, Tiling::Optimal);
        assert_eq!(layout.memories, [(0, 100)]);
    }

    #[test]
    fn a_fourcc_without_printable_characters_is_a_typed_error() {
        // Found by fuzz/dmabuf_layout: naming DRM_FORMAT_BIG_ENDIAN (0x80000000) in the
        // error went through drm-fourcc's Display, which panics on it.
        let buffer = Dmabuf::builder(64, 16, F::Big_endian, Modifier::LINEAR, Dma)
            .plane(fd(4096), 0, 256)
            .build();
        let error = buffer.validate(&table()).unwrap_err();
        assert!(
            matches!(&error, Error::UnsupportedFormat { fourcc, .. } if fourcc == "0x80000000"),
            "{error}"
        );
    }

    #[test]
    fn a_plane_is_bounded_by_the_size_another_plane_gives_its_memory() {
        // One object whose size only plane 0 states (a pipe reports none): plane 1's rows
        // must still fit in it. Validation once checked plane 1 against nothing.
        let (read, _write) = pipe();
        let read = Arc::new(read);
        let buffer = nv12(Dma, Modifier::LINEAR)
            .plane_with_size(read.clone(), 0, 64, 64 * 32 + 64 * 16)
            .plane(read.clone(), 64 * 32 + 64, 64)
            .build();
        assert_bad(
            buffer.validate(&table()),
            &["plane 1 needs bytes up to 3136", "memory has 3072 bytes"],
        );
        let fits = nv12(Dma, Modifier::LINEAR)
            .plane_with_size(read.clone(), 0, 64, 64 * 32 + 64 * 16)
            .plane(read, 64 * 32, 64)
            .build();
        assert!(fits.validate(&table()).is_ok());
    }

    #[test]
    fn separate_memory_objects_need_a_disjoint_entry() {
        let separate = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(fd(2048), 0, 64, 2048)
            .plane_with_size(fd(1024), 0, 64, 1024)
            .build();
        assert_bad(
            separate.validate(&table()),
            &[
                "2 memory objects (plane 1 apart from plane 0)",
                "Test GPU cannot import NV12 with LINEAR disjoint",
            ],
        );
        // Opaque fds are imported by number: a dup is a second import, so disjoint.
        let memory = memfd(3072, |_| 0);
        let dup = memory.try_clone().unwrap();
        let dupped = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory, 0, 64, 3072)
            .plane_with_size(dup, 2048, 64, 3072)
            .build();
        assert_bad(dupped.validate(&table()), &["2 memory objects"]);
    }

    #[test]
    fn opaque_planes_with_one_fd_number_in_two_owners_share_memory() {
        let memory = memfd(3072, |_| 0);
        // SAFETY: a second owner of one number, as two layers of a caller might wrap
        // it; forgotten below so that the number is closed once.
        let alias = Arc::new(unsafe { OwnedFd::from_raw_fd(memory.as_raw_fd()) });
        let buffer = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory, 0, 64, 3072)
            .plane_with_size(alias.clone(), 2048, 64, 3072)
            .build();
        let layout = buffer.validate(&table()).unwrap();
        assert_eq!(layout.plane_memory, [0, 0]);
        drop(buffer);
        forget_fd(alias);
    }

    #[test]
    fn one_memory_object_cannot_have_two_sizes() {
        let memory = fd(4096);
        let buffer = nv12(Opaque, Modifier::LINEAR)
            .plane_with_size(memory.clone(), 0, 64, 3072)
            .plane_with_size(memory, 2048, 64, 4096)
            .build();
        assert_bad(
            buffer.validate(&table()),
            &["planes 0 and 1 share one memory object but give it different sizes (3072 and 4096 bytes)"],
        );
    }

    /// Validation only looks at fds: none is opened, closed or moved.
    #[test]
    fn validation_never_leaks_closes_or_seeks_fds() {
        let _lock = FD_COUNT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let good = good_argb(Opaque);
        let memory = fd(3072);
        let bad = nv12(Dma, Modifier::LINEAR)
            .plane(memory.clone(), 0, 64)
            .plane(memory.clone(), 2049, 64)
            .build();
        let fds = [good.planes()[0].fd.clone(), memory];
        let ids: Vec<_> = fds.iter().map(|f| file_id(f.as_fd()).unwrap()).collect();
        // SAFETY: moves the position of an open fd, to see that validation keeps it.
        unsafe { libc::lseek(fds[1].as_raw_fd(), 17, libc::SEEK_SET) };
        let before = open_fd_count().unwrap();
        for _ in 0..500 {
            good.validate(&table()).unwrap();
            bad.validate(&table()).unwrap_err();
        }
        let after = open_fd_count().unwrap();
        // A leak per call would add 1000; other tests open a few fds meanwhile.
        assert!(after < before + 64, "{before} fds before, {after} after");
        for (fd, id) in fds.iter().zip(ids) {
            check_open(fd.as_fd()).unwrap();
            assert_eq!(file_id(fd.as_fd()).unwrap(), id);
        }
        // SAFETY: reads the position of an open fd.
        let position = unsafe { libc::lseek(fds[1].as_raw_fd(), 0, libc::SEEK_CUR) };
        assert_eq!(position, 17);
    }
}
