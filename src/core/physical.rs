//! Physical devices: what each Vulkan device of the instance is and supports, read once at
//! enumeration so that selection, capabilities and `examples/info` all see the same facts.

use std::collections::BTreeSet;
use std::ffi::CStr;
use std::fmt;
use std::sync::Arc;

use ash::{ext, khr, vk};

use crate::core::drm::{DevId, DeviceLocation, DrmIds, PciAddress};
use crate::core::instance::Instance;
use crate::error::{Result, VkResultExt};

/// A Vulkan physical device and what it reported.
#[derive(Clone)]
pub struct PhysicalDevice {
    pub(crate) instance: Instance,
    pub(crate) raw: vk::PhysicalDevice,
    info: Arc<PhysicalDeviceInfo>,
}

/// Everything vkcompose reads about a physical device.
#[derive(Clone, Debug)]
pub struct PhysicalDeviceInfo {
    /// Position in `vkEnumeratePhysicalDevices`' list.
    pub index: usize,
    pub name: String,
    pub device_type: DeviceType,
    pub vendor_id: u32,
    pub device_id: u32,
    /// The device's API version, already capped at the instance's.
    pub api_version: Version,
    pub driver: Driver,
    pub device_uuid: [u8; vk::UUID_SIZE],
    pub driver_uuid: [u8; vk::UUID_SIZE],
    /// From `VK_EXT_pci_bus_info`; `None` without it.
    pub pci: Option<PciAddress>,
    /// From `VK_EXT_physical_device_drm`; `None` without it.
    pub drm: Option<DrmIds>,
    pub extensions: BTreeSet<String>,
    pub limits: Limits,
    pub memory_heaps: Vec<MemoryHeap>,
    pub queue_families: Vec<QueueFamily>,
    pub features: Features,
    pub external: ExternalSupport,
}

/// The kind of device, in the order "best" selection prefers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeviceType {
    Other,
    Cpu,
    Virtual,
    Integrated,
    Discrete,
}

/// A Vulkan version (`VK_MAKE_API_VERSION` encoding); displays as `1.3.255`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32);

/// Which driver runs the device.
#[derive(Clone, Debug)]
pub struct Driver {
    pub id: vk::DriverId,
    pub name: String,
    pub info: String,
    /// The driver's own version encoding; only meaningful next to `id`.
    pub version: u32,
}

/// The limits the renderer consults.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_image_dimension_2d: u32,
    pub max_push_constants_size: u32,
    pub max_sampler_anisotropy: f32,
    pub non_coherent_atom_size: u64,
    pub optimal_buffer_copy_row_pitch_alignment: u64,
    pub timestamp_period_ns: f32,
    /// `VK_EXT_external_memory_host`'s alignment for imported host pointers.
    pub min_imported_host_pointer_alignment: Option<u64>,
}

/// One memory heap.
#[derive(Clone, Copy, Debug)]
pub struct MemoryHeap {
    pub size: u64,
    pub device_local: bool,
}

/// One queue family.
#[derive(Clone, Copy, Debug)]
pub struct QueueFamily {
    pub index: u32,
    pub flags: vk::QueueFlags,
    pub count: u32,
    /// Meaningful bits of timestamps written on this family's queues (0: none).
    pub timestamp_valid_bits: u32,
}

/// The optional features vkcompose can use, as the device supports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub timeline_semaphore: bool,
    pub synchronization2: bool,
    pub sampler_ycbcr_conversion: bool,
    /// Everything a frame-wide texture array needs: runtime arrays, non-uniform indexing of
    /// sampled images, partially bound and update-after-bind bindings.
    pub descriptor_indexing: bool,
}

/// Whether the device can move objects across APIs and processes through fds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExternalSupport {
    pub opaque_fd_memory: HandleSupport,
    pub opaque_fd_semaphore: HandleSupport,
    pub sync_fd_semaphore: HandleSupport,
}

/// Export and import support of one external handle type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HandleSupport {
    pub export: bool,
    pub import: bool,
}

impl HandleSupport {
    /// Both directions: what a round trip needs.
    pub fn both(self) -> bool {
        self.export && self.import
    }
}

impl fmt::Debug for PhysicalDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhysicalDevice")
            .field("index", &self.info.index)
            .field("name", &self.info.name)
            .finish_non_exhaustive()
    }
}

impl PhysicalDevice {
    /// Every physical device of the instance, in the driver's order.
    pub fn enumerate(instance: &Instance) -> Result<Vec<PhysicalDevice>> {
        // SAFETY: a plain query on a live instance.
        let raws = unsafe { instance.raw().enumerate_physical_devices() }
            .or_vk("vkEnumeratePhysicalDevices")?;
        raws.into_iter()
            .enumerate()
            .map(|(index, raw)| PhysicalDevice::read(instance, raw, index))
            .collect()
    }

    /// Wraps a handle the caller got from this instance (used when adopting a device).
    pub(crate) fn read(
        instance: &Instance,
        raw: vk::PhysicalDevice,
        index: usize,
    ) -> Result<PhysicalDevice> {
        let info = read_info(instance, raw, index)?;
        Ok(PhysicalDevice {
            instance: instance.clone(),
            raw,
            info: Arc::new(info),
        })
    }

    pub fn info(&self) -> &PhysicalDeviceInfo {
        &self.info
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn raw(&self) -> vk::PhysicalDevice {
        self.raw
    }

    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The queue families that can draw, each a [`GraphicsFamily`] a device can be built
    /// with.
    pub fn graphics_families(&self) -> Vec<GraphicsFamily> {
        self.info
            .queue_families
            .iter()
            .filter(|f| f.flags.contains(vk::QueueFlags::GRAPHICS) && f.count > 0)
            .map(|f| GraphicsFamily(f.index))
            .collect()
    }
}

impl PhysicalDeviceInfo {
    pub fn has_extension(&self, name: &CStr) -> bool {
        name.to_str()
            .is_ok_and(|name| self.extensions.contains(name))
    }

    /// Where the device lives, for matching DRM nodes.
    pub fn location(&self) -> DeviceLocation {
        DeviceLocation {
            name: self.name.clone(),
            drm: self.drm,
            pci: self.pci,
        }
    }
}

/// A queue family known to support graphics: the only way to name the family a
/// [`DeviceBuilder`](crate::DeviceBuilder) creates its queue from, so a device without a
/// graphics queue cannot be described.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphicsFamily(pub(crate) u32);

impl GraphicsFamily {
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}",
            vk::api_version_major(self.0),
            vk::api_version_minor(self.0),
            vk::api_version_patch(self.0)
        )
    }
}

impl fmt::Display for DeviceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceType::Discrete => "discrete GPU",
            DeviceType::Integrated => "integrated GPU",
            DeviceType::Virtual => "virtual GPU",
            DeviceType::Cpu => "CPU",
            DeviceType::Other => "other",
        })
    }
}

impl From<vk::PhysicalDeviceType> for DeviceType {
    fn from(t: vk::PhysicalDeviceType) -> DeviceType {
        match t {
            vk::PhysicalDeviceType::DISCRETE_GPU => DeviceType::Discrete,
            vk::PhysicalDeviceType::INTEGRATED_GPU => DeviceType::Integrated,
            vk::PhysicalDeviceType::VIRTUAL_GPU => DeviceType::Virtual,
            vk::PhysicalDeviceType::CPU => DeviceType::Cpu,
            _ => DeviceType::Other,
        }
    }
}

fn read_info(
    instance: &Instance,
    raw: vk::PhysicalDevice,
    index: usize,
) -> Result<PhysicalDeviceInfo> {
    let ash_instance = instance.raw();
    // SAFETY: a plain query on a physical device of this instance.
    let extensions = unsafe { ash_instance.enumerate_device_extension_properties(raw) }
        .or_vk("vkEnumerateDeviceExtensionProperties")?
        .iter()
        .filter_map(|e| e.extension_name_as_c_str().ok())
        .map(|e| e.to_string_lossy().into_owned())
        .collect::<BTreeSet<String>>();
    let has = |name: &CStr| name.to_str().is_ok_and(|n| extensions.contains(n));
    let properties = read_properties(ash_instance, raw, &has);
    let features = read_features(ash_instance, raw, properties.api_version, &has);
    // SAFETY: plain queries on a physical device of this instance.
    let (memory, families) = unsafe {
        (
            ash_instance.get_physical_device_memory_properties(raw),
            ash_instance.get_physical_device_queue_family_properties(raw),
        )
    };
    let api_version = properties.api_version.min(instance.api_version());
    Ok(PhysicalDeviceInfo {
        index,
        name: properties.name,
        device_type: properties.device_type,
        vendor_id: properties.vendor_id,
        device_id: properties.device_id,
        api_version: Version(api_version),
        driver: properties.driver,
        device_uuid: properties.device_uuid,
        driver_uuid: properties.driver_uuid,
        pci: properties.pci,
        drm: properties.drm,
        limits: properties.limits,
        memory_heaps: memory.memory_heaps_as_slice().iter().map(heap).collect(),
        queue_families: families
            .iter()
            .zip(0..)
            .map(|(f, index)| QueueFamily {
                index,
                flags: f.queue_flags,
                count: f.queue_count,
                timestamp_valid_bits: f.timestamp_valid_bits,
            })
            .collect(),
        features,
        external: read_external_support(ash_instance, raw, &has),
        extensions,
    })
}

fn heap(heap: &vk::MemoryHeap) -> MemoryHeap {
    MemoryHeap {
        size: heap.size,
        device_local: heap.flags.contains(vk::MemoryHeapFlags::DEVICE_LOCAL),
    }
}

/// The properties read through `vkGetPhysicalDeviceProperties2`, flattened.
struct Properties {
    name: String,
    device_type: DeviceType,
    vendor_id: u32,
    device_id: u32,
    api_version: u32,
    driver: Driver,
    device_uuid: [u8; vk::UUID_SIZE],
    driver_uuid: [u8; vk::UUID_SIZE],
    pci: Option<PciAddress>,
    drm: Option<DrmIds>,
    limits: Limits,
}

fn read_properties(
    instance: &ash::Instance,
    raw: vk::PhysicalDevice,
    has: &dyn Fn(&CStr) -> bool,
) -> Properties {
    let mut vulkan11 = vk::PhysicalDeviceVulkan11Properties::default();
    let mut vulkan12 = vk::PhysicalDeviceVulkan12Properties::default();
    let mut pci = vk::PhysicalDevicePCIBusInfoPropertiesEXT::default();
    let mut drm = vk::PhysicalDeviceDrmPropertiesEXT::default();
    let mut host = vk::PhysicalDeviceExternalMemoryHostPropertiesEXT::default();
    let (has_pci, has_drm, has_host) = (
        has(ext::pci_bus_info::NAME),
        has(ext::physical_device_drm::NAME),
        has(ext::external_memory_host::NAME),
    );
    let mut properties2 = vk::PhysicalDeviceProperties2::default()
        .push_next(&mut vulkan11)
        .push_next(&mut vulkan12);
    // Extension structs may only be chained when the device has the extension.
    if has_pci {
        properties2 = properties2.push_next(&mut pci);
    }
    if has_drm {
        properties2 = properties2.push_next(&mut drm);
    }
    if has_host {
        properties2 = properties2.push_next(&mut host);
    }
    // SAFETY: every chained struct is valid for this device (checked above) and outlives the
    // call.
    unsafe { instance.get_physical_device_properties2(raw, &mut properties2) };
    let p = properties2.properties;
    let limits = Limits {
        max_image_dimension_2d: p.limits.max_image_dimension2_d,
        max_push_constants_size: p.limits.max_push_constants_size,
        max_sampler_anisotropy: p.limits.max_sampler_anisotropy,
        non_coherent_atom_size: p.limits.non_coherent_atom_size,
        optimal_buffer_copy_row_pitch_alignment: p.limits.optimal_buffer_copy_row_pitch_alignment,
        timestamp_period_ns: p.limits.timestamp_period,
        min_imported_host_pointer_alignment: has_host
            .then_some(host.min_imported_host_pointer_alignment),
    };
    Properties {
        name: c_string(p.device_name_as_c_str()),
        device_type: p.device_type.into(),
        vendor_id: p.vendor_id,
        device_id: p.device_id,
        api_version: p.api_version,
        driver: Driver {
            id: vulkan12.driver_id,
            name: c_string(vulkan12.driver_name_as_c_str()),
            info: c_string(vulkan12.driver_info_as_c_str()),
            version: p.driver_version,
        },
        device_uuid: vulkan11.device_uuid,
        driver_uuid: vulkan11.driver_uuid,
        pci: has_pci.then(|| pci_address(&pci)),
        drm: has_drm.then(|| drm_ids(&drm)),
        limits,
    }
}

fn c_string(s: std::result::Result<&CStr, std::ffi::FromBytesUntilNulError>) -> String {
    s.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn pci_address(pci: &vk::PhysicalDevicePCIBusInfoPropertiesEXT<'_>) -> PciAddress {
    // Bus, device and function are 8, 5 and 3 bits wide in PCI; the driver reports them
    // as u32.
    PciAddress {
        domain: pci.pci_domain,
        bus: pci.pci_bus as u8,
        device: pci.pci_device as u8,
        function: pci.pci_function as u8,
    }
}

fn drm_ids(drm: &vk::PhysicalDeviceDrmPropertiesEXT<'_>) -> DrmIds {
    let id = |major: i64, minor: i64| DevId {
        major: major as u32,
        minor: minor as u32,
    };
    DrmIds {
        primary: (drm.has_primary == vk::TRUE).then(|| id(drm.primary_major, drm.primary_minor)),
        render: (drm.has_render == vk::TRUE).then(|| id(drm.render_major, drm.render_minor)),
    }
}

fn read_features(
    instance: &ash::Instance,
    raw: vk::PhysicalDevice,
    api_version: u32,
    has: &dyn Fn(&CStr) -> bool,
) -> Features {
    let mut vulkan11 = vk::PhysicalDeviceVulkan11Features::default();
    let mut vulkan12 = vk::PhysicalDeviceVulkan12Features::default();
    let mut sync2 = vk::PhysicalDeviceSynchronization2Features::default();
    let sync2_known = api_version >= vk::API_VERSION_1_3 || has(khr::synchronization2::NAME);
    let mut features2 = vk::PhysicalDeviceFeatures2::default()
        .push_next(&mut vulkan11)
        .push_next(&mut vulkan12);
    if sync2_known {
        features2 = features2.push_next(&mut sync2);
    }
    // SAFETY: the chained structs are core 1.2 or checked above, and outlive the call.
    unsafe { instance.get_physical_device_features2(raw, &mut features2) };
    Features {
        timeline_semaphore: vulkan12.timeline_semaphore == vk::TRUE,
        synchronization2: sync2_known && sync2.synchronization2 == vk::TRUE,
        sampler_ycbcr_conversion: vulkan11.sampler_ycbcr_conversion == vk::TRUE,
        descriptor_indexing: [
            vulkan12.runtime_descriptor_array,
            vulkan12.shader_sampled_image_array_non_uniform_indexing,
            vulkan12.descriptor_binding_partially_bound,
            vulkan12.descriptor_binding_sampled_image_update_after_bind,
            vulkan12.descriptor_binding_variable_descriptor_count,
        ]
        .iter()
        .all(|&f| f == vk::TRUE),
    }
}

fn read_external_support(
    instance: &ash::Instance,
    raw: vk::PhysicalDevice,
    has: &dyn Fn(&CStr) -> bool,
) -> ExternalSupport {
    let semaphore_fd = has(khr::external_semaphore_fd::NAME);
    let semaphore = |handle| {
        if semaphore_fd {
            semaphore_support(instance, raw, handle)
        } else {
            HandleSupport::default()
        }
    };
    ExternalSupport {
        opaque_fd_memory: if has(khr::external_memory_fd::NAME) {
            buffer_memory_support(instance, raw)
        } else {
            HandleSupport::default()
        },
        opaque_fd_semaphore: semaphore(vk::ExternalSemaphoreHandleTypeFlags::OPAQUE_FD),
        sync_fd_semaphore: semaphore(vk::ExternalSemaphoreHandleTypeFlags::SYNC_FD),
    }
}

fn semaphore_support(
    instance: &ash::Instance,
    raw: vk::PhysicalDevice,
    handle: vk::ExternalSemaphoreHandleTypeFlags,
) -> HandleSupport {
    // sync_fd only exists for binary semaphores; asking about binary covers both.
    let info = vk::PhysicalDeviceExternalSemaphoreInfo::default().handle_type(handle);
    let mut properties = vk::ExternalSemaphoreProperties::default();
    // SAFETY: core 1.1 query with valid structs.
    unsafe {
        instance.get_physical_device_external_semaphore_properties(raw, &info, &mut properties)
    };
    let features = properties.external_semaphore_features;
    HandleSupport {
        export: features.contains(vk::ExternalSemaphoreFeatureFlags::EXPORTABLE),
        import: features.contains(vk::ExternalSemaphoreFeatureFlags::IMPORTABLE),
    }
}

fn buffer_memory_support(instance: &ash::Instance, raw: vk::PhysicalDevice) -> HandleSupport {
    let info = vk::PhysicalDeviceExternalBufferInfo::default()
        .usage(vk::BufferUsageFlags::TRANSFER_SRC | vk::BufferUsageFlags::TRANSFER_DST)
        .handle_type(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD);
    let mut properties = vk::ExternalBufferProperties::default();
    // SAFETY: core 1.1 query with valid structs.
    unsafe { instance.get_physical_device_external_buffer_properties(raw, &info, &mut properties) };
    let features = properties
        .external_memory_properties
        .external_memory_features;
    HandleSupport {
        export: features.contains(vk::ExternalMemoryFeatureFlags::EXPORTABLE),
        import: features.contains(vk::ExternalMemoryFeatureFlags::IMPORTABLE),
    }
}
