//! The device's sub-allocator (gpu-allocator) and the heaps it draws from. It stands on
//! the raw `ash` handles only, so the device can own it; allocations (`core::memory`) go
//! through the device.

use std::sync::Mutex;

use ash::vk;
use gpu_allocator::vulkan as ga;

use crate::error::{Error, Result};

/// The device's sub-allocator. Emptied before the device is destroyed.
pub(crate) struct Allocator {
    inner: Mutex<Option<ga::Allocator>>,
}

/// How full one heap is.
#[derive(Clone, Copy, Debug)]
pub struct HeapBudget {
    pub size: u64,
    pub device_local: bool,
    /// What this process may use (`VK_EXT_memory_budget`; `None` without it).
    pub budget: Option<u64>,
    /// What this process uses now (`VK_EXT_memory_budget`; `None` without it).
    pub usage: Option<u64>,
}

/// What vkcompose's sub-allocator holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocatorStats {
    pub allocations: usize,
    pub blocks: usize,
    pub allocated_bytes: u64,
    pub capacity_bytes: u64,
}

impl Allocator {
    pub(crate) fn new(
        instance: &ash::Instance,
        device: &ash::Device,
        physical: vk::PhysicalDevice,
    ) -> Result<Allocator> {
        const MIB: u64 = 1024 * 1024;
        let allocator = ga::Allocator::new(&ga::AllocatorCreateDesc {
            instance: instance.clone(),
            device: device.clone(),
            physical_device: physical,
            debug_settings: Default::default(),
            buffer_device_address: false,
            // Compositor textures are mostly window-sized; 64 MiB device blocks hold a few
            // dozen without committing 256 MiB up front.
            allocation_sizes: gpu_allocator::AllocationSizes::new(64 * MIB, 16 * MIB),
        })
        .map_err(allocation_error)?;
        Ok(Allocator {
            inner: Mutex::new(Some(allocator)),
        })
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut ga::Allocator) -> R) -> Result<R> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let allocator = guard
            .as_mut()
            .ok_or_else(|| Error::InvalidArgument("the device is being destroyed".into()))?;
        Ok(f(allocator))
    }

    /// Frees every block; the device is destroyed next.
    pub(crate) fn destroy(&self) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        guard.take();
    }

    pub(crate) fn stats(&self) -> AllocatorStats {
        self.with(|a| {
            let report = a.generate_report();
            AllocatorStats {
                allocations: report.allocations.len(),
                blocks: report.blocks.len(),
                allocated_bytes: report.total_allocated_bytes,
                capacity_bytes: report.total_capacity_bytes,
            }
        })
        .unwrap_or_default()
    }
}

/// Every heap with its budget where `VK_EXT_memory_budget` is enabled.
pub(crate) fn heap_budgets(
    instance: &ash::Instance,
    physical: vk::PhysicalDevice,
    has_budget: bool,
) -> Vec<HeapBudget> {
    let mut budget = vk::PhysicalDeviceMemoryBudgetPropertiesEXT::default();
    let mut properties = vk::PhysicalDeviceMemoryProperties2::default();
    if has_budget {
        properties = properties.push_next(&mut budget);
    }
    // SAFETY: the budget struct is chained only when the extension is enabled.
    unsafe { instance.get_physical_device_memory_properties2(physical, &mut properties) };
    let heaps = properties
        .memory_properties
        .memory_heaps_as_slice()
        .to_vec();
    heaps
        .iter()
        .enumerate()
        .map(|(i, heap)| HeapBudget {
            size: heap.size,
            device_local: heap.flags.contains(vk::MemoryHeapFlags::DEVICE_LOCAL),
            budget: has_budget.then_some(budget.heap_budget[i]),
            usage: has_budget.then_some(budget.heap_usage[i]),
        })
        .collect()
}

pub(crate) fn allocation_error(e: gpu_allocator::AllocationError) -> Error {
    match e {
        gpu_allocator::AllocationError::OutOfMemory => Error::OutOfMemory("device"),
        other => Error::Allocation(other.to_string()),
    }
}
