//! The logical device: built by [`DeviceBuilder`] (which always has a graphics queue) or
//! adopted from a caller who created it, with the capabilities that decide every path, the
//! queues, the sub-allocator and the extension loaders. Cheap to clone.

use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ash::{khr, vk};

use crate::core::allocator::{self, Allocator, AllocatorStats, HeapBudget};
use crate::core::capabilities::Capabilities;
use crate::core::instance::Instance;
use crate::core::physical::{Features, GraphicsFamily, PhysicalDevice};
use crate::core::queue::Queue;
use crate::core::select::{select_device, DeviceSelector};
use crate::error::{Error, Result, VkResultExt};

/// A Vulkan device with a graphics queue.
#[derive(Clone)]
pub struct Device {
    pub(crate) shared: Arc<DeviceShared>,
}

pub(crate) struct DeviceShared {
    /// Keeps the instance (inside) alive as long as the device.
    physical: PhysicalDevice,
    raw: ash::Device,
    graphics: Queue,
    transfer: Option<Queue>,
    capabilities: Capabilities,
    memory: vk::PhysicalDeviceMemoryProperties,
    allocator: Allocator,
    semaphore_fd: Option<khr::external_semaphore_fd::Device>,
    memory_fd: Option<khr::external_memory_fd::Device>,
    /// Present only where VK_KHR_swapchain was enabled (presenting was asked for).
    swapchain: Option<khr::swapchain::Device>,
    priority: Option<vk::QueueGlobalPriorityKHR>,
    /// False for adopted devices: the caller destroys them.
    owned: bool,
    /// Vulkan objects created through vkcompose's wrappers, for steady-state checks.
    created: AtomicU64,
    /// Sub-allocations made, for the same checks.
    allocations: AtomicU64,
    /// Set once a call returned `VK_ERROR_DEVICE_LOST`: from then on vkcompose's calls
    /// return `Error::DeviceLost` without touching the device.
    lost: AtomicBool,
}

/// Describes the device to create. It holds a graphics queue family from the moment it
/// exists (chosen automatically, or replaced by one from
/// [`PhysicalDevice::graphics_families`]), so a device without a graphics queue cannot be
/// described.
#[derive(Clone)]
pub struct DeviceBuilder {
    physical: PhysicalDevice,
    capabilities: Capabilities,
    graphics: GraphicsFamily,
    transfer: bool,
    high_priority: bool,
    /// Enable VK_KHR_swapchain (the graphics family was checked to present).
    presentation: bool,
}

/// A device the caller created, for [`Device::adopt`].
pub struct AdoptedDevice<'a> {
    pub entry: ash::Entry,
    pub instance: vk::Instance,
    /// The `apiVersion` the instance was created with.
    pub instance_api_version: u32,
    /// The instance extensions the caller enabled (vkcompose reports validation messages
    /// through `VK_EXT_debug_utils` when it is among them).
    pub instance_extensions: &'a [&'a CStr],
    pub physical_device: vk::PhysicalDevice,
    pub device: vk::Device,
    pub queue_family: u32,
    pub queue_index: u32,
    /// The device extensions the caller enabled.
    pub device_extensions: &'a [&'a CStr],
    /// The optional features the caller enabled.
    pub features: Features,
}

impl Device {
    /// The best device (or the one `VKCOMPOSE_DEVICE` names) with default settings.
    pub fn new(instance: &Instance) -> Result<Device> {
        let physical = select_device(instance, &DeviceSelector::Best)?;
        DeviceBuilder::new(&physical)?.build()
    }

    /// Wraps a device the caller created (Skia's `GrVkBackendContext` model).
    ///
    /// vkcompose uses only the extensions and features listed in `desc` and the
    /// capabilities they allow; it fails when timeline semaphores were not enabled.
    ///
    /// # Safety
    /// - Every handle is valid, and they belong together: `physical_device` to `instance`,
    ///   `device` to `physical_device`, the queue was created with `device` in
    ///   `queue_family`, and `entry` is the loader that created `instance`.
    /// - `device_extensions`, `instance_extensions` and `features` are exactly (or a subset
    ///   of) what was enabled at creation.
    /// - The caller keeps the instance and device alive until the returned `Device`, every
    ///   clone of it and every object made from it are dropped, and then destroys them
    ///   itself: vkcompose never destroys adopted handles (it does destroy everything it
    ///   created from them: memory, images, semaphores, its debug messenger).
    /// - Queue submissions must be externally synchronized: the caller does not use the
    ///   queue while vkcompose might, except inside [`Queue::with_raw`].
    pub unsafe fn adopt(desc: AdoptedDevice<'_>) -> Result<Device> {
        // SAFETY: forwarded from this function's contract.
        let instance = unsafe {
            Instance::adopt(
                desc.entry,
                desc.instance,
                desc.instance_api_version,
                desc.instance_extensions,
            )?
        };
        let physical = PhysicalDevice::enumerate(&instance)?
            .into_iter()
            .find(|p| p.raw == desc.physical_device)
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the adopted physical device is not one of the adopted instance's".into(),
                )
            })?;
        let family_ok = physical
            .graphics_families()
            .iter()
            .any(|f| f.index() == desc.queue_family);
        if !family_ok {
            return Err(Error::Unsupported {
                device: physical.name().to_string(),
                what: format!(
                    "graphics on queue family {}, the adopted queue's family",
                    desc.queue_family
                ),
            });
        }
        let capabilities =
            Capabilities::of_adopted(physical.info(), desc.device_extensions, &desc.features)?;
        // SAFETY: the caller guarantees `device` was created from `physical_device`.
        let raw = unsafe { ash::Device::load(instance.raw().fp_v1_0(), desc.device) };
        let graphics = Queue::new(&raw, desc.queue_family, desc.queue_index);
        let parts = Parts {
            physical,
            raw,
            graphics,
            transfer: None,
            capabilities,
            priority: None,
            owned: false,
            swapchain: desc.device_extensions.contains(&khr::swapchain::NAME),
        };
        Device::assemble(parts)
    }

    fn assemble(parts: Parts) -> Result<Device> {
        let instance = parts.physical.instance().raw();
        let raw = &parts.raw;
        let physical = parts.physical.raw;
        let allocator = Allocator::new(instance, raw, physical);
        let allocator = match allocator {
            Ok(a) => a,
            Err(e) => {
                if parts.owned {
                    // SAFETY: nothing was created from the device yet.
                    unsafe { raw.destroy_device(None) };
                }
                return Err(e);
            }
        };
        let caps = &parts.capabilities;
        let any = |h: crate::core::physical::HandleSupport| h.export || h.import;
        let semaphore_fd = (any(caps.sync_file) || any(caps.opaque_fd_semaphore))
            .then(|| khr::external_semaphore_fd::Device::new(instance, raw));
        let memory_fd = caps
            .device_extensions()
            .contains(&khr::external_memory_fd::NAME)
            .then(|| khr::external_memory_fd::Device::new(instance, raw));
        let swapchain = parts
            .swapchain
            .then(|| khr::swapchain::Device::new(instance, raw));
        // SAFETY: a plain query.
        let memory = unsafe { instance.get_physical_device_memory_properties(physical) };
        caps.log(parts.physical.name());
        Ok(Device {
            shared: Arc::new(DeviceShared {
                memory,
                allocator,
                semaphore_fd,
                memory_fd,
                swapchain,
                physical: parts.physical,
                raw: parts.raw,
                graphics: parts.graphics,
                transfer: parts.transfer,
                capabilities: parts.capabilities,
                priority: parts.priority,
                owned: parts.owned,
                created: AtomicU64::new(0),
                allocations: AtomicU64::new(0),
                lost: AtomicBool::new(false),
            }),
        })
    }

    /// The device's name as the driver reports it.
    pub fn name(&self) -> &str {
        self.shared.physical.name()
    }

    pub fn raw(&self) -> &ash::Device {
        &self.shared.raw
    }

    pub fn physical(&self) -> vk::PhysicalDevice {
        self.shared.physical.raw
    }

    pub fn physical_device(&self) -> &PhysicalDevice {
        &self.shared.physical
    }

    pub fn instance(&self) -> &Instance {
        self.shared.physical.instance()
    }

    /// The family of the graphics queue.
    pub fn queue_family(&self) -> u32 {
        self.shared.graphics.family()
    }

    pub fn graphics_queue(&self) -> &Queue {
        &self.shared.graphics
    }

    /// The separate transfer queue, when one was requested and the device has one.
    pub fn transfer_queue(&self) -> Option<&Queue> {
        self.shared.transfer.as_ref()
    }

    pub fn capabilities(&self) -> &Capabilities {
        &self.shared.capabilities
    }

    /// Waits until every queue of the device has finished its work. Unlike
    /// `vkDeviceWaitIdle` this takes each queue's lock, so it is safe while other threads
    /// submit.
    pub fn wait_idle(&self) -> Result<()> {
        self.shared.graphics.wait_idle()?;
        match &self.shared.transfer {
            Some(transfer) => transfer.wait_idle(),
            None => Ok(()),
        }
    }

    /// The global priority the queues got, when one was requested and granted.
    pub fn queue_priority(&self) -> Option<vk::QueueGlobalPriorityKHR> {
        self.shared.priority
    }

    /// Whether the caller created this device ([`Device::adopt`]).
    pub fn is_adopted(&self) -> bool {
        !self.shared.owned
    }

    pub fn memory_properties(&self) -> &vk::PhysicalDeviceMemoryProperties {
        &self.shared.memory
    }

    /// Each heap's size, and its budget and usage where `VK_EXT_memory_budget` is enabled.
    pub fn memory_budget(&self) -> Vec<HeapBudget> {
        allocator::heap_budgets(
            self.physical_device().instance().raw(),
            self.physical(),
            self.capabilities().memory_budget,
        )
    }

    /// What the sub-allocator holds now.
    pub fn allocator_stats(&self) -> AllocatorStats {
        self.shared.allocator.stats()
    }

    /// How many Vulkan objects (images, views, buffers, memory, pipelines, framebuffers,
    /// pools, semaphores, fences, samplers, ...) vkcompose has created on this device. A
    /// renderer in its steady state creates none per frame; tests check this.
    pub fn objects_created(&self) -> u64 {
        self.shared.created.load(Ordering::Relaxed)
    }

    /// How many memory sub-allocations vkcompose has made on this device (also none per
    /// frame in a steady state).
    pub fn allocations_made(&self) -> u64 {
        self.shared.allocations.load(Ordering::Relaxed)
    }

    /// Whether the device was lost (a call returned `VK_ERROR_DEVICE_LOST`). Nothing made
    /// from it works again: drop it all and make a new device.
    pub fn is_lost(&self) -> bool {
        self.shared.lost.load(Ordering::Acquire)
    }

    /// `Error::DeviceLost` once the device is lost: what every operation checks first.
    pub(crate) fn require_alive(&self) -> Result<()> {
        if self.is_lost() {
            Err(Error::DeviceLost)
        } else {
            Ok(())
        }
    }

    /// Notes a device loss in `result` (the device stays lost) and passes it on.
    pub(crate) fn note<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(result, Err(Error::DeviceLost))
            && !self.shared.lost.swap(true, Ordering::AcqRel)
        {
            tracing::error!("{}: the device was lost", self.name());
        }
        result
    }

    pub(crate) fn count_allocation(&self) {
        self.shared.allocations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_created(&self) {
        self.shared.created.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn allocator(&self) -> &Allocator {
        &self.shared.allocator
    }

    pub(crate) fn semaphore_fd(&self) -> Result<&khr::external_semaphore_fd::Device> {
        self.shared
            .semaphore_fd
            .as_ref()
            .ok_or_else(|| self.missing(khr::external_semaphore_fd::NAME))
    }

    pub(crate) fn memory_fd(&self) -> Result<&khr::external_memory_fd::Device> {
        self.shared
            .memory_fd
            .as_ref()
            .ok_or_else(|| self.missing(khr::external_memory_fd::NAME))
    }

    /// Whether VK_KHR_swapchain is enabled, so that swapchains can be made.
    pub fn can_present(&self) -> bool {
        self.shared.swapchain.is_some()
    }

    #[cfg(feature = "winit")]
    pub(crate) fn swapchain_fns(&self) -> Result<&khr::swapchain::Device> {
        self.shared
            .swapchain
            .as_ref()
            .ok_or(Error::PresentationDisabled)
    }

    fn missing(&self, extension: &CStr) -> Error {
        Error::Unsupported {
            device: self.name().to_string(),
            what: extension.to_string_lossy().into_owned(),
        }
    }
}

impl Drop for DeviceShared {
    fn drop(&mut self) {
        // SAFETY: every object created from the device holds a clone of it, so none is
        // alive; waiting idle first makes sure no submitted work still uses them.
        unsafe {
            let _ = self.raw.device_wait_idle();
        }
        self.allocator.destroy();
        if self.owned {
            // SAFETY: idle, every child object is gone, and the allocator freed its blocks.
            unsafe { self.raw.destroy_device(None) };
        }
    }
}

/// Everything a device is assembled from.
struct Parts {
    physical: PhysicalDevice,
    raw: ash::Device,
    graphics: Queue,
    transfer: Option<Queue>,
    capabilities: Capabilities,
    priority: Option<vk::QueueGlobalPriorityKHR>,
    owned: bool,
    /// VK_KHR_swapchain is enabled.
    swapchain: bool,
}

/// Where the transfer queue comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransferPlace {
    /// A family of its own (a DMA engine on most GPUs).
    Family(u32),
    /// The second queue of the graphics family.
    SecondGraphics,
}

impl DeviceBuilder {
    /// A builder for `physical` with its first graphics family, every capability the
    /// device has, no transfer queue and a high-priority request where possible. Fails
    /// when the device is below the baseline or cannot draw.
    pub fn new(physical: &PhysicalDevice) -> Result<DeviceBuilder> {
        let capabilities = Capabilities::detect(physical.info())?;
        let graphics = *physical
            .graphics_families()
            .first()
            .ok_or_else(|| Error::Unsupported {
                device: physical.name().to_string(),
                what: "a graphics queue family".into(),
            })?;
        Ok(DeviceBuilder {
            physical: physical.clone(),
            capabilities,
            graphics,
            transfer: false,
            high_priority: true,
            presentation: false,
        })
    }

    /// Uses `family` for the graphics queue.
    pub fn graphics_family(mut self, family: GraphicsFamily) -> DeviceBuilder {
        self.graphics = family;
        self
    }

    /// Also create a transfer queue: from a transfer-only family when there is one, else
    /// a second queue of the graphics family, else none (logged).
    pub fn transfer_queue(mut self, wanted: bool) -> DeviceBuilder {
        self.transfer = wanted;
        self
    }

    /// Request a high global priority for the queues (default on; ignored where the
    /// device has no global-priority extension, and retried without when refused).
    pub fn high_priority(mut self, wanted: bool) -> DeviceBuilder {
        self.high_priority = wanted;
        self
    }

    /// Import dma-bufs through `VK_EXT_external_memory_dma_buf` where the driver has it
    /// (default on). Off leaves the extension out, so dma-bufs take the path of drivers
    /// without it: a LINEAR buffer's mapping imported as host memory and copied on the GPU
    /// (`VK_EXT_external_memory_host`), else copied on the CPU. For testing those paths
    /// with real dma-bufs on a driver that could import them; opaque fds are unaffected.
    pub fn dmabuf_import(mut self, wanted: bool) -> DeviceBuilder {
        self.capabilities = if wanted {
            // What `new` detected (and so cannot fail now), in case it was turned off.
            let native = Capabilities::detect(self.physical.info()).map(|c| c.dmabuf_import);
            Capabilities {
                dmabuf_import: native.unwrap_or(self.capabilities.dmabuf_import),
                ..self.capabilities
            }
        } else {
            self.capabilities.without_dmabuf_import()
        };
        self
    }

    /// What the device will be able to do.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    /// The physical device the builder describes.
    #[cfg(feature = "winit")]
    pub(crate) fn physical(&self) -> &PhysicalDevice {
        &self.physical
    }

    /// The graphics family chosen so far.
    #[cfg(feature = "winit")]
    pub(crate) fn chosen_graphics_family(&self) -> GraphicsFamily {
        self.graphics
    }

    /// Enables VK_KHR_swapchain; the caller checked that the graphics family can present.
    #[cfg(feature = "winit")]
    pub(crate) fn with_presentation(mut self) -> DeviceBuilder {
        self.presentation = true;
        self
    }

    pub fn build(self) -> Result<Device> {
        let transfer = self.transfer.then(|| self.transfer_place()).flatten();
        if self.transfer && transfer.is_none() {
            tracing::info!(
                "{}: no separate transfer queue available; transfers use the graphics queue",
                self.physical.name()
            );
        }
        let priority = (self.high_priority && self.capabilities.global_priority.is_some())
            .then_some(vk::QueueGlobalPriorityKHR::HIGH);
        let (raw, priority) = match self.create_raw(transfer, priority) {
            Err(e) if priority.is_some() && priority_refused(e) => {
                tracing::info!(
                    "{}: high queue priority refused ({e}); using the default",
                    self.physical.name()
                );
                (self.create_raw(transfer, None), None)
            }
            other => (other, priority),
        };
        let raw = raw.map_err(|e| self.creation_error(e))?;
        let graphics = Queue::new(&raw, self.graphics.index(), 0);
        let transfer = transfer.map(|place| match place {
            TransferPlace::Family(family) => Queue::new(&raw, family, 0),
            TransferPlace::SecondGraphics => Queue::new(&raw, self.graphics.index(), 1),
        });
        tracing::info!("using Vulkan device {}", self.physical.name());
        Device::assemble(Parts {
            physical: self.physical,
            raw,
            graphics,
            transfer,
            capabilities: self.capabilities,
            priority,
            owned: true,
            swapchain: self.presentation,
        })
    }

    fn transfer_place(&self) -> Option<TransferPlace> {
        let families = &self.physical.info().queue_families;
        let dedicated = families.iter().find(|f| {
            f.count > 0
                && f.flags.contains(vk::QueueFlags::TRANSFER)
                && !f
                    .flags
                    .intersects(vk::QueueFlags::GRAPHICS | vk::QueueFlags::COMPUTE)
        });
        if let Some(family) = dedicated {
            return Some(TransferPlace::Family(family.index));
        }
        let graphics = families.iter().find(|f| f.index == self.graphics.index())?;
        (graphics.count > 1).then_some(TransferPlace::SecondGraphics)
    }

    fn create_raw(
        &self,
        transfer: Option<TransferPlace>,
        priority: Option<vk::QueueGlobalPriorityKHR>,
    ) -> std::result::Result<ash::Device, vk::Result> {
        let caps = &self.capabilities;
        let graphics_priorities: &[f32] = match transfer {
            Some(TransferPlace::SecondGraphics) => &[1.0, 0.5],
            _ => &[1.0],
        };
        let mut families = vec![(self.graphics.index(), graphics_priorities)];
        if let Some(TransferPlace::Family(family)) = transfer {
            families.push((family, &[0.5]));
        }
        let mut priority_infos: Vec<_> = families
            .iter()
            .map(|_| {
                vk::DeviceQueueGlobalPriorityCreateInfoKHR::default()
                    .global_priority(priority.unwrap_or(vk::QueueGlobalPriorityKHR::MEDIUM))
            })
            .collect();
        let queue_infos: Vec<_> = families
            .iter()
            .zip(priority_infos.iter_mut())
            .map(|((family, priorities), global)| {
                let info = vk::DeviceQueueCreateInfo::default()
                    .queue_family_index(*family)
                    .queue_priorities(priorities);
                if priority.is_some() {
                    info.push_next(global)
                } else {
                    info
                }
            })
            .collect();
        let mut extensions: Vec<_> = caps
            .device_extensions()
            .iter()
            .map(|e| e.as_ptr())
            .collect();
        if self.presentation {
            extensions.push(khr::swapchain::NAME.as_ptr());
        }
        let wanted = caps.features();
        let mut vulkan11 = vk::PhysicalDeviceVulkan11Features::default()
            .sampler_ycbcr_conversion(wanted.sampler_ycbcr_conversion);
        let indexing = wanted.descriptor_indexing;
        let mut vulkan12 = vk::PhysicalDeviceVulkan12Features::default()
            .timeline_semaphore(true)
            .runtime_descriptor_array(indexing)
            .shader_sampled_image_array_non_uniform_indexing(indexing)
            .descriptor_binding_partially_bound(indexing)
            .descriptor_binding_sampled_image_update_after_bind(indexing)
            .descriptor_binding_variable_descriptor_count(indexing);
        let mut vulkan13 =
            vk::PhysicalDeviceVulkan13Features::default().synchronization2(wanted.synchronization2);
        let mut sync2 = vk::PhysicalDeviceSynchronization2Features::default()
            .synchronization2(wanted.synchronization2);
        let mut info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queue_infos)
            .enabled_extension_names(&extensions)
            .push_next(&mut vulkan11)
            .push_next(&mut vulkan12);
        // The 1.3 struct may only be chained on 1.3 devices; before that the KHR one.
        if caps.api_version.0 >= vk::API_VERSION_1_3 {
            info = info.push_next(&mut vulkan13);
        } else if wanted.synchronization2 {
            info = info.push_next(&mut sync2);
        }
        let instance = self.physical.instance().raw();
        // SAFETY: the physical device belongs to this instance; every extension and feature
        // was reported as supported; every pointer refers to locals that outlive the call.
        unsafe { instance.create_device(self.physical.raw, &info, None) }
    }

    fn creation_error(&self, result: vk::Result) -> Error {
        match result {
            vk::Result::ERROR_EXTENSION_NOT_PRESENT | vk::Result::ERROR_FEATURE_NOT_PRESENT => {
                Error::Unsupported {
                    device: self.physical.name().to_string(),
                    what: format!(
                        "something it reported ({result}); extensions requested: {}",
                        self.capabilities
                            .device_extensions()
                            .iter()
                            .map(|e| e.to_string_lossy())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
            other => Err::<(), _>(other).or_vk("vkCreateDevice").unwrap_err(),
        }
    }
}

/// Drivers refuse priorities above normal for unprivileged processes with one of these.
fn priority_refused(result: vk::Result) -> bool {
    matches!(
        result,
        vk::Result::ERROR_NOT_PERMITTED_KHR | vk::Result::ERROR_INITIALIZATION_FAILED
    )
}

impl crate::drm_types::HandleKind {
    /// The queue family that stands for a buffer's other users in ownership transfers:
    /// another driver or process (dma-bufs: FOREIGN where the device has it), or another
    /// Vulkan instance of this driver (opaque fds: EXTERNAL).
    pub(crate) fn foreign_family(self, device: &Device) -> u32 {
        match self {
            Self::DmaBuf => device.capabilities().foreign_queue_family(),
            Self::OpaqueFd => vk::QUEUE_FAMILY_EXTERNAL,
        }
    }
}
