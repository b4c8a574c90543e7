//! Device memory. Internal images and buffers are sub-allocated from large blocks by
//! `gpu-allocator` (drivers limit the number of allocations, and each costs a kernel call);
//! memory shared with other devices or processes is a dedicated allocation, because an
//! exported fd carries the whole `VkDeviceMemory`.

use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

use ash::{khr, vk};
use gpu_allocator::vulkan as ga;
use gpu_allocator::MemoryLocation;

use crate::core::allocator::allocation_error;
use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};

/// What a sub-allocation is for, which decides the memory type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryUse {
    /// Only the GPU touches it (textures, render targets).
    GpuOnly,
    /// The CPU writes, the GPU reads (staging, per-frame data); mapped and coherent.
    Upload,
    /// The GPU writes, the CPU reads (readback); mapped, cached where the device has it.
    Readback,
}

/// A sub-allocation, returned to the allocator on drop.
pub struct Allocation {
    device: Device,
    inner: Option<ga::Allocation>,
}

/// A whole `VkDeviceMemory` given to one image or buffer.
pub struct DedicatedMemory {
    device: Device,
    raw: vk::DeviceMemory,
    /// Host address when the memory is host-visible (then it is mapped for its whole life).
    mapped: Option<std::ptr::NonNull<u8>>,
    size: u64,
    /// The handle types it was allocated exportable as; exporting anything else would be
    /// invalid usage.
    exportable: vk::ExternalMemoryHandleTypeFlags,
}

/// How an fd becomes memory: its handle type, the allocation size and memory type, and
/// the resource it is dedicated to (none for disjoint planes, which cannot be dedicated).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemoryImport {
    pub handle: vk::ExternalMemoryHandleTypeFlags,
    pub size: u64,
    pub type_index: u32,
    pub properties: vk::MemoryPropertyFlags,
    pub dedicated: Option<DedicatedTo>,
}

/// The resource a dedicated allocation belongs to.
#[derive(Clone, Copy, Debug)]
pub enum DedicatedTo {
    Image(vk::Image),
    Buffer(vk::Buffer),
}

impl Allocation {
    /// Sub-allocates memory meeting `requirements`. `linear` says whether the resource is
    /// a buffer or linear image (the allocator keeps those apart from optimal images).
    pub fn new(
        device: &Device,
        name: &str,
        requirements: vk::MemoryRequirements,
        memory_use: MemoryUse,
        linear: bool,
    ) -> Result<Allocation> {
        let desc = ga::AllocationCreateDesc {
            name,
            requirements,
            location: match memory_use {
                MemoryUse::GpuOnly => MemoryLocation::GpuOnly,
                MemoryUse::Upload => MemoryLocation::CpuToGpu,
                MemoryUse::Readback => MemoryLocation::GpuToCpu,
            },
            linear,
            allocation_scheme: ga::AllocationScheme::GpuAllocatorManaged,
        };
        let inner = device
            .allocator()
            .with(|a| a.allocate(&desc))?
            .map_err(allocation_error)?;
        device.count_allocation();
        Ok(Allocation {
            device: device.clone(),
            inner: Some(inner),
        })
    }

    fn inner(&self) -> &ga::Allocation {
        self.inner.as_ref().expect("present until drop")
    }

    /// The block this allocation lives in; bind at [`Allocation::offset`].
    pub fn memory(&self) -> vk::DeviceMemory {
        // SAFETY: the handle is only used to bind resources within this allocation's range
        // and stays valid while the allocation lives.
        unsafe { self.inner().memory() }
    }

    pub fn offset(&self) -> u64 {
        self.inner().offset()
    }

    pub fn size(&self) -> u64 {
        self.inner().size()
    }

    /// The mapped bytes; empty for GPU-only memory.
    pub fn bytes(&self) -> &[u8] {
        self.inner().mapped_slice().unwrap_or(&[])
    }

    /// The mapped bytes, writable; empty for GPU-only memory.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.inner
            .as_mut()
            .and_then(ga::Allocation::mapped_slice_mut)
            .unwrap_or(&mut [])
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Owners drop allocations only after the GPU finished with them.
            if let Ok(Err(e)) = self.device.allocator().with(|a| a.free(inner)) {
                tracing::warn!("freeing a sub-allocation failed: {e}");
            }
        }
    }
}

impl DedicatedMemory {
    /// A dedicated allocation for `to`, optionally exportable as `export` handle types.
    pub fn allocate(
        device: &Device,
        requirements: vk::MemoryRequirements,
        properties: vk::MemoryPropertyFlags,
        to: DedicatedTo,
        export: Option<vk::ExternalMemoryHandleTypeFlags>,
    ) -> Result<DedicatedMemory> {
        let type_index = memory_type(device, requirements.memory_type_bits, properties)?;
        let mut dedicated = dedicated_info(to);
        let mut export_info =
            vk::ExportMemoryAllocateInfo::default().handle_types(export.unwrap_or_default());
        let mut info = vk::MemoryAllocateInfo::default()
            .allocation_size(requirements.size)
            .memory_type_index(type_index)
            .push_next(&mut dedicated);
        if let Some(handles) = export {
            if handles.contains(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD) {
                require_opaque_fd(device, "export")?;
            }
            info = info.push_next(&mut export_info);
        }
        // SAFETY: a valid allocate info; the dedicated resource belongs to this device.
        let raw = unsafe { device.raw().allocate_memory(&info, None) }.or_vk("vkAllocateMemory")?;
        device.count_created();
        let mut memory = DedicatedMemory::wrap(device, raw, requirements.size, properties)?;
        memory.exportable = export.unwrap_or_default();
        Ok(memory)
    }

    /// Imports memory another device or process exported as an opaque fd, dedicated to
    /// `to`. On success Vulkan owns the fd; on failure it is closed.
    ///
    /// # Safety
    /// `fd` must be an opaque-fd export of a `VkDeviceMemory` of at least
    /// `requirements.size` bytes, made by a device with the same `deviceUUID` and
    /// `driverUUID` as `device`, and dedicated to a resource created with the same
    /// parameters as `to` (the rules of `VK_KHR_external_memory_fd`).
    pub unsafe fn import_opaque_fd(
        device: &Device,
        fd: OwnedFd,
        requirements: vk::MemoryRequirements,
        properties: vk::MemoryPropertyFlags,
        to: DedicatedTo,
    ) -> Result<DedicatedMemory> {
        require_opaque_fd(device, "import")?;
        let type_index = memory_type(device, requirements.memory_type_bits, properties)?;
        let import = MemoryImport {
            handle: vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD,
            size: requirements.size,
            type_index,
            properties,
            dedicated: Some(to),
        };
        // SAFETY: forwarded from this function's contract.
        unsafe { DedicatedMemory::import_fd(device, fd, &import) }
    }

    /// Imports `fd` as described by `import`. On success Vulkan owns the fd; on failure it
    /// is closed.
    ///
    /// # Safety
    /// `fd` is a handle of `import.handle`'s type whose memory `device` can import at
    /// `import.size` bytes into `import.type_index` (for opaque fds: exported by a device
    /// with the same UUIDs, at exactly that size); a dedicated resource was created for
    /// external memory of that handle type.
    pub(crate) unsafe fn import_fd(
        device: &Device,
        fd: OwnedFd,
        import: &MemoryImport,
    ) -> Result<DedicatedMemory> {
        let identity = file_identity(raw_fd_of(&fd));
        let raw_fd = fd.into_raw_fd();
        let mut fd_info = vk::ImportMemoryFdInfoKHR::default()
            .handle_type(import.handle)
            .fd(raw_fd);
        let mut dedicated = import.dedicated.map(dedicated_info);
        let mut info = vk::MemoryAllocateInfo::default()
            .allocation_size(import.size)
            .memory_type_index(import.type_index)
            .push_next(&mut fd_info);
        if let Some(dedicated) = dedicated.as_mut() {
            info = info.push_next(dedicated);
        }
        // SAFETY: the caller vouches for the fd (see above); on success the driver owns it.
        let raw = match unsafe { device.raw().allocate_memory(&info, None) } {
            Ok(raw) => {
                device.count_created();
                raw
            }
            Err(e) => {
                release_after_failed_import(raw_fd, identity);
                return Err(e).or_vk("vkAllocateMemory");
            }
        };
        DedicatedMemory::wrap(device, raw, import.size, import.properties)
    }

    fn wrap(
        device: &Device,
        raw: vk::DeviceMemory,
        size: u64,
        properties: vk::MemoryPropertyFlags,
    ) -> Result<DedicatedMemory> {
        // Wrapped first so that a failing map below still frees the memory.
        let mut memory = DedicatedMemory {
            device: device.clone(),
            raw,
            mapped: None,
            size,
            exportable: vk::ExternalMemoryHandleTypeFlags::empty(),
        };
        if properties.contains(vk::MemoryPropertyFlags::HOST_VISIBLE) {
            // SAFETY: host-visible memory, not mapped yet.
            let pointer = unsafe {
                device
                    .raw()
                    .map_memory(raw, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty())
            }
            .or_vk("vkMapMemory")?;
            memory.mapped = std::ptr::NonNull::new(pointer.cast());
        }
        Ok(memory)
    }

    /// A new fd for this memory (each call makes another; the memory lives until every fd
    /// and this object are gone).
    pub fn export_opaque_fd(&self) -> Result<OwnedFd> {
        require_opaque_fd(self.device(), "export")?;
        self.export_fd(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD)
    }

    /// A new fd of `handle`'s type for this memory.
    pub(crate) fn export_fd(&self, handle: vk::ExternalMemoryHandleTypeFlags) -> Result<OwnedFd> {
        if !self.exportable.contains(handle) {
            return Err(Error::InvalidArgument(format!(
                "this memory was not allocated exportable as {handle:?}"
            )));
        }
        let loader = self.device.memory_fd()?;
        let info = vk::MemoryGetFdInfoKHR::default()
            .memory(self.raw)
            .handle_type(handle);
        // SAFETY: the memory was allocated exportable as `handle` (checked above).
        let fd = unsafe { loader.get_memory_fd(&info) }.or_vk("vkGetMemoryFdKHR")?;
        if fd < 0 {
            return Err(Error::InvalidArgument("the driver exported no fd".into()));
        }
        // SAFETY: a successful export returns a new fd that we own.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    pub fn raw(&self) -> vk::DeviceMemory {
        self.raw
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    fn device(&self) -> &Device {
        &self.device
    }

    /// The mapped bytes; empty unless host-visible.
    pub fn bytes(&self) -> &[u8] {
        match self.mapped {
            // SAFETY: the mapping covers `size` bytes and lives as long as `self`.
            Some(p) => unsafe { std::slice::from_raw_parts(p.as_ptr(), self.size as usize) },
            None => &[],
        }
    }

    /// The mapped bytes, writable; empty unless host-visible.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match self.mapped {
            // SAFETY: as in `bytes`, and `&mut self` makes this the only reference.
            Some(p) => unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.size as usize) },
            None => &mut [],
        }
    }
}

// SAFETY: the mapped pointer is only dereferenced through `&self`/`&mut self` methods that
// respect Rust's aliasing rules; Vulkan memory objects may be used from any thread.
unsafe impl Send for DedicatedMemory {}
// SAFETY: as above; shared access only reads through the pointer.
unsafe impl Sync for DedicatedMemory {}

impl Drop for DedicatedMemory {
    fn drop(&mut self) {
        // SAFETY: owners drop memory only after the GPU finished with it; freeing also
        // unmaps it.
        unsafe { self.device.raw().free_memory(self.raw, None) };
    }
}

pub(crate) fn memory_type(
    device: &Device,
    allowed: u32,
    wanted: vk::MemoryPropertyFlags,
) -> Result<u32> {
    let properties = device.memory_properties();
    (0..properties.memory_type_count)
        .find(|&i| {
            allowed & (1 << i) != 0
                && properties.memory_types[i as usize]
                    .property_flags
                    .contains(wanted)
        })
        .ok_or(Error::NoMemoryType { allowed, wanted })
}

fn dedicated_info(to: DedicatedTo) -> vk::MemoryDedicatedAllocateInfo<'static> {
    match to {
        DedicatedTo::Image(image) => vk::MemoryDedicatedAllocateInfo::default().image(image),
        DedicatedTo::Buffer(buffer) => vk::MemoryDedicatedAllocateInfo::default().buffer(buffer),
    }
}

fn require_opaque_fd(device: &Device, verb: &str) -> Result<()> {
    let support = device.capabilities().opaque_fd_memory;
    let ok = if verb == "export" {
        support.export
    } else {
        support.import
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Unsupported {
            device: device.name().to_string(),
            what: format!(
                "{verb} of opaque-fd memory ({})",
                khr::external_memory_fd::NAME.to_string_lossy()
            ),
        })
    }
}

fn raw_fd_of(fd: &OwnedFd) -> std::os::fd::RawFd {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

/// The device and inode an fd refers to, if it is open.
fn file_identity(fd: std::os::fd::RawFd) -> Option<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole `stat` on success; it is read only then.
    if unsafe { libc::fstat(fd, stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded.
    let stat = unsafe { stat.assume_init() };
    Some((stat.st_dev, stat.st_ino))
}

/// Closes the fd of a failed import, which the spec leaves to the application, unless the
/// driver already did: Mesa's lavapipe closes it on failure too (seen with Mesa 25.0 on a
/// pipe imported as a dma-buf), and closing the number again would close whatever file the
/// process opened under it since (or abort, under Rust's I/O-safety checks).
fn release_after_failed_import(fd: std::os::fd::RawFd, identity: Option<(u64, u64)>) {
    let now = file_identity(fd);
    if now.is_some() && now == identity {
        // SAFETY: the import failed, and the number still names the file we handed over,
        // so it is still ours.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    } else {
        tracing::debug!("the driver closed the fd of a failed memory import itself");
    }
}
