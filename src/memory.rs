//! Device memory: a dedicated allocation per resource for now. Sub-allocation arrives with
//! the core (issue 3); every resource already goes through this one module.

use ash::vk;

use crate::device::Device;
use crate::error::{Error, Result, VkResultExt};

/// A block of device memory, freed on drop.
pub struct Memory {
    device: Device,
    pub(crate) raw: vk::DeviceMemory,
    /// Host address when the memory is mapped (host-visible allocations always are).
    mapped: Option<std::ptr::NonNull<u8>>,
    size: u64,
}

// SAFETY: the mapped pointer is only dereferenced through `&self`/`&mut self` methods that
// respect Rust's aliasing rules; Vulkan memory objects may be used from any thread.
unsafe impl Send for Memory {}
// SAFETY: as above; shared access only reads through the pointer.
unsafe impl Sync for Memory {}

impl Memory {
    /// Allocates memory meeting `requirements` with at least `properties`; host-visible
    /// memory is mapped for the whole of its life.
    pub fn allocate(
        device: &Device,
        requirements: vk::MemoryRequirements,
        properties: vk::MemoryPropertyFlags,
    ) -> Result<Memory> {
        let type_index = memory_type(device, requirements.memory_type_bits, properties)?;
        let info = vk::MemoryAllocateInfo::default()
            .allocation_size(requirements.size)
            .memory_type_index(type_index);
        let raw_device = device.raw();
        // SAFETY: a valid allocate info for this device.
        let raw = unsafe { raw_device.allocate_memory(&info, None) }.or_vk("vkAllocateMemory")?;
        let mut memory = Memory {
            device: device.clone(),
            raw,
            mapped: None,
            size: requirements.size,
        };
        if properties.contains(vk::MemoryPropertyFlags::HOST_VISIBLE) {
            // SAFETY: the memory is host-visible and not mapped yet.
            let pointer = unsafe {
                raw_device.map_memory(raw, 0, vk::WHOLE_SIZE, vk::MemoryMapFlags::empty())
            }
            .or_vk("vkMapMemory")?;
            memory.mapped = std::ptr::NonNull::new(pointer.cast());
        }
        Ok(memory)
    }

    /// The mapped bytes; empty for device-local memory.
    pub fn bytes(&self) -> &[u8] {
        match self.mapped {
            // SAFETY: the mapping covers `size` bytes and lives as long as `self`.
            Some(p) => unsafe { std::slice::from_raw_parts(p.as_ptr(), self.size as usize) },
            None => &[],
        }
    }

    /// The mapped bytes, writable; empty for device-local memory.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match self.mapped {
            // SAFETY: as in `bytes`, and `&mut self` makes this the only reference.
            Some(p) => unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.size as usize) },
            None => &mut [],
        }
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: owners drop memory only after the GPU finished with it; freeing also
        // unmaps it.
        unsafe { self.device.raw().free_memory(self.raw, None) };
    }
}

fn memory_type(device: &Device, allowed: u32, wanted: vk::MemoryPropertyFlags) -> Result<u32> {
    let properties = &device.shared.memory;
    (0..properties.memory_type_count)
        .find(|&i| {
            allowed & (1 << i) != 0
                && properties.memory_types[i as usize]
                    .property_flags
                    .contains(wanted)
        })
        .ok_or(Error::NoMemoryType { allowed, wanted })
}
