//! Buffers: host-visible, coherent and mapped, used for staging, readback and per-draw data.

use ash::vk;

use crate::core::device::Device;
use crate::core::memory::{Allocation, MemoryUse};
use crate::error::{Result, VkResultExt};

/// A mapped buffer. Writes through [`Buffer::bytes_mut`] are visible to the GPU without
/// flushing (the memory is host-coherent).
pub struct Buffer {
    device: Device,
    pub(crate) raw: vk::Buffer,
    memory: Allocation,
    size: u64,
}

impl Buffer {
    pub fn new(device: &Device, size: u64, usage: vk::BufferUsageFlags) -> Result<Buffer> {
        let info = vk::BufferCreateInfo::default()
            .size(size.max(1))
            .usage(usage)
            .sharing_mode(vk::SharingMode::EXCLUSIVE);
        let raw_device = device.raw();
        // SAFETY: a valid create info for this device.
        let raw = unsafe { raw_device.create_buffer(&info, None) }.or_vk("vkCreateBuffer")?;
        device.count_created();
        // SAFETY: `raw` is a buffer of this device.
        let requirements = unsafe { raw_device.get_buffer_memory_requirements(raw) };
        // Buffers the GPU writes are read back by the CPU; cached memory makes that fast.
        let memory_use = if usage.contains(vk::BufferUsageFlags::TRANSFER_DST) {
            MemoryUse::Readback
        } else {
            MemoryUse::Upload
        };
        let memory = Allocation::new(device, "buffer", requirements, memory_use, true)
            .inspect_err(|_| {
                // SAFETY: the buffer was never bound or used.
                unsafe { raw_device.destroy_buffer(raw, None) }
            })?;
        // SAFETY: a fresh mapped sub-allocation meeting the buffer's requirements, bound once.
        if let Err(e) =
            unsafe { raw_device.bind_buffer_memory(raw, memory.memory(), memory.offset()) }
        {
            // SAFETY: the buffer was never used.
            unsafe { raw_device.destroy_buffer(raw, None) };
            return Err(e).or_vk("vkBindBufferMemory");
        }
        Ok(Buffer {
            device: device.clone(),
            raw,
            memory,
            size,
        })
    }

    /// A buffer holding a copy of `data`.
    pub fn with_data(device: &Device, data: &[u8], usage: vk::BufferUsageFlags) -> Result<Buffer> {
        let mut buffer = Buffer::new(device, data.len() as u64, usage)?;
        buffer.bytes_mut()[..data.len()].copy_from_slice(data);
        Ok(buffer)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn raw(&self) -> vk::Buffer {
        self.raw
    }

    /// The buffer's contents. Read only after the GPU work writing them has completed.
    pub fn bytes(&self) -> &[u8] {
        &self.memory.bytes()[..self.size as usize]
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let size = self.size as usize;
        &mut self.memory.bytes_mut()[..size]
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: buffers are dropped only after the GPU work using them completed.
        unsafe { self.device.raw().destroy_buffer(self.raw, None) };
    }
}

/// A `VkBuffer` over host memory imported from a pointer (`VK_EXT_external_memory_host`):
/// the GPU reads the host's pages where they are, with no copy into memory of its own.
/// Destroyed on drop; its owner keeps the host range mapped until then and drops it only
/// once the GPU work reading it has completed.
pub(crate) struct HostBuffer {
    device: Device,
    raw: vk::Buffer,
    memory: vk::DeviceMemory,
    len: u64,
}

impl HostBuffer {
    /// Imports the `len` bytes at `ptr` as a transfer source. Errors where the driver
    /// refuses the pointer (`vkGetMemoryHostPointerPropertiesEXT`), offers no memory type
    /// for it, or cannot allocate; nothing is left behind then.
    ///
    /// # Safety
    /// The device has `VK_EXT_external_memory_host` enabled; `ptr` and `len` are non-zero
    /// multiples of its `minImportedHostPointerAlignment`; the `len` bytes at `ptr` stay
    /// mapped and readable until the returned buffer is dropped.
    pub unsafe fn import(device: &Device, ptr: *const u8, len: u64) -> Result<HostBuffer> {
        let handle = vk::ExternalMemoryHandleTypeFlags::HOST_ALLOCATION_EXT;
        // SAFETY: forwarded from this function's contract.
        let allowed = unsafe { host_pointer_types(device, handle, ptr) }?;
        let mut external = vk::ExternalMemoryBufferCreateInfo::default().handle_types(handle);
        let info = vk::BufferCreateInfo::default()
            .size(len)
            .usage(vk::BufferUsageFlags::TRANSFER_SRC)
            .push_next(&mut external);
        // SAFETY: a valid create info.
        let raw = unsafe { device.raw().create_buffer(&info, None) }.or_vk("vkCreateBuffer")?;
        device.count_created();
        // Owned from here on, so that every error below destroys what was made.
        let mut buffer = HostBuffer {
            device: device.clone(),
            raw,
            memory: vk::DeviceMemory::null(),
            len,
        };
        // SAFETY: a buffer of this device.
        let requirements = unsafe { device.raw().get_buffer_memory_requirements(raw) };
        let allowed = requirements.memory_type_bits & allowed;
        // Coherent where the driver offers it: the host's writes need no flush then.
        let coherent =
            vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT;
        let type_index =
            crate::core::memory::memory_type(device, allowed, coherent).or_else(|_| {
                crate::core::memory::memory_type(device, allowed, vk::MemoryPropertyFlags::empty())
            })?;
        let mut import = vk::ImportMemoryHostPointerInfoEXT::default()
            .handle_type(handle)
            .host_pointer(ptr.cast_mut().cast());
        let allocate = vk::MemoryAllocateInfo::default()
            .allocation_size(len)
            .memory_type_index(type_index)
            .push_next(&mut import);
        // SAFETY: the host range is aligned, mapped and outlives the memory (contract); the
        // type is one the driver allows for this pointer.
        buffer.memory =
            unsafe { device.raw().allocate_memory(&allocate, None) }.or_vk("vkAllocateMemory")?;
        device.count_created();
        // SAFETY: fresh memory of an allowed type, covering the whole buffer, bound once.
        unsafe { device.raw().bind_buffer_memory(raw, buffer.memory, 0) }
            .or_vk("vkBindBufferMemory")?;
        Ok(buffer)
    }

    pub fn raw(&self) -> vk::Buffer {
        self.raw
    }

    pub fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        // SAFETY: owners drop the buffer only once the GPU work reading it has completed;
        // freeing a null memory handle (an import that failed) is a no-op.
        unsafe {
            self.device.raw().destroy_buffer(self.raw, None);
            self.device.raw().free_memory(self.memory, None);
        }
    }
}

/// The memory types the driver can import the host pointer `ptr` into.
///
/// # Safety
/// As [`HostBuffer::import`].
unsafe fn host_pointer_types(
    device: &Device,
    handle: vk::ExternalMemoryHandleTypeFlags,
    ptr: *const u8,
) -> Result<u32> {
    let loader = ash::ext::external_memory_host::Device::new(device.instance().raw(), device.raw());
    let mut properties = vk::MemoryHostPointerPropertiesEXT::default();
    // SAFETY: the pointer is aligned and mapped (caller's contract); the function pointer
    // was loaded for this device, which has the extension enabled (caller's contract).
    unsafe {
        (loader.fp().get_memory_host_pointer_properties_ext)(
            loader.device(),
            handle,
            ptr.cast(),
            &mut properties,
        )
    }
    .result()
    .or_vk("vkGetMemoryHostPointerPropertiesEXT")?;
    Ok(properties.memory_type_bits)
}
