//! The logical device: the physical device chosen, one graphics queue, and the memory
//! properties every allocation consults. Cheap to clone.

use std::ffi::CStr;
use std::sync::{Arc, Mutex};

use ash::vk;

use crate::error::{Error, Result, VkResultExt};
use crate::instance::{Instance, InstanceShared};

/// A Vulkan device with a graphics queue.
#[derive(Clone)]
pub struct Device {
    pub(crate) shared: Arc<DeviceShared>,
}

pub(crate) struct DeviceShared {
    /// Keeps the instance alive as long as the device.
    pub _instance: Arc<InstanceShared>,
    pub physical: vk::PhysicalDevice,
    pub raw: ash::Device,
    pub queue_family: u32,
    /// Vulkan requires external synchronization of queue submissions.
    pub queue: Mutex<vk::Queue>,
    pub memory: vk::PhysicalDeviceMemoryProperties,
    pub name: String,
}

impl Device {
    /// The best device of the instance: discrete over integrated over virtual over CPU,
    /// among those with Vulkan 1.2 and a graphics queue.
    pub fn new(instance: &Instance) -> Result<Device> {
        let shared = &instance.shared;
        // SAFETY: a plain query on a live instance.
        let physicals = unsafe { shared.raw.enumerate_physical_devices() }
            .or_vk("vkEnumeratePhysicalDevices")?;
        let mut rejected = Vec::new();
        let best = physicals
            .into_iter()
            .filter_map(|pd| match suitability(&shared.raw, pd) {
                Ok(found) => Some(found),
                Err(why) => {
                    rejected.push(why);
                    None
                }
            })
            .max_by_key(|c| c.rank);
        let Some(chosen) = best else {
            let why = if rejected.is_empty() {
                "the Vulkan loader reports no devices".to_string()
            } else {
                rejected.join("; ")
            };
            return Err(Error::NoDevice(why));
        };
        Self::create(instance, chosen)
    }

    fn create(instance: &Instance, chosen: Candidate) -> Result<Device> {
        let shared = &instance.shared;
        let priorities = [1.0];
        let queues = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(chosen.queue_family)
            .queue_priorities(&priorities)];
        let mut vulkan12 = vk::PhysicalDeviceVulkan12Features::default().timeline_semaphore(true);
        let info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .push_next(&mut vulkan12);
        // SAFETY: `chosen.physical` belongs to this instance and the create info only
        // points to locals.
        let raw = unsafe { shared.raw.create_device(chosen.physical, &info, None) }
            .or_vk("vkCreateDevice")?;
        // SAFETY: queue 0 of the family was requested above.
        let queue = unsafe { raw.get_device_queue(chosen.queue_family, 0) };
        // SAFETY: a plain query.
        let memory = unsafe {
            shared
                .raw
                .get_physical_device_memory_properties(chosen.physical)
        };
        tracing::info!("using Vulkan device {}", chosen.name);
        Ok(Device {
            shared: Arc::new(DeviceShared {
                _instance: shared.clone(),
                physical: chosen.physical,
                raw,
                queue_family: chosen.queue_family,
                queue: Mutex::new(queue),
                memory,
                name: chosen.name,
            }),
        })
    }

    /// The device's name as the driver reports it.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    pub fn raw(&self) -> &ash::Device {
        &self.shared.raw
    }

    pub fn physical(&self) -> vk::PhysicalDevice {
        self.shared.physical
    }

    pub fn queue_family(&self) -> u32 {
        self.shared.queue_family
    }
}

impl Drop for DeviceShared {
    fn drop(&mut self) {
        // SAFETY: every object created from the device holds a clone of it, so none is
        // alive; waiting idle first makes sure no submitted work still uses them.
        unsafe {
            let _ = self.raw.device_wait_idle();
            self.raw.destroy_device(None);
        }
    }
}

struct Candidate {
    physical: vk::PhysicalDevice,
    queue_family: u32,
    rank: u32,
    name: String,
}

fn suitability(
    instance: &ash::Instance,
    physical: vk::PhysicalDevice,
) -> Result<Candidate, String> {
    // SAFETY: plain queries on a physical device of this instance.
    let (properties, families) = unsafe {
        (
            instance.get_physical_device_properties(physical),
            instance.get_physical_device_queue_family_properties(physical),
        )
    };
    let name = properties
        .device_name_as_c_str()
        .map(CStr::to_string_lossy)
        .unwrap_or_default()
        .into_owned();
    if properties.api_version < vk::API_VERSION_1_2 {
        return Err(format!("{name}: Vulkan 1.2 is required"));
    }
    let queue_family = families
        .iter()
        .position(|f| f.queue_flags.contains(vk::QueueFlags::GRAPHICS))
        .ok_or_else(|| format!("{name}: no graphics queue"))? as u32;
    let rank = match properties.device_type {
        vk::PhysicalDeviceType::DISCRETE_GPU => 4,
        vk::PhysicalDeviceType::INTEGRATED_GPU => 3,
        vk::PhysicalDeviceType::VIRTUAL_GPU => 2,
        vk::PhysicalDeviceType::CPU => 1,
        _ => 0,
    };
    Ok(Candidate {
        physical,
        queue_family,
        rank,
        name,
    })
}
