//! Buffers: host-visible, coherent and mapped, used for staging, readback and per-draw data.

use ash::vk;

use crate::device::Device;
use crate::error::{Result, VkResultExt};
use crate::memory::{Allocation, MemoryUse};

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
