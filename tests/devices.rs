//! Instance, enumeration, capabilities, selection, the device builder and adopting a
//! caller's device, on the real driver with validation on.

mod common;

use std::ffi::CStr;

use common::{assert_validation_clean, gpu};
use vkcompose::drm::{DevId, DrmNode, Sysfs};
use vkcompose::{
    ash, vk, AdoptedDevice, Capabilities, Device, DeviceBuilder, DeviceSelector, DeviceType,
    DmabufImport, DrmMatching, Error, Features, Instance, InstanceOptions, PhysicalDevice,
    ShmUpload,
};

fn instance() -> Instance {
    Instance::new(&InstanceOptions {
        validation: true,
        ..Default::default()
    })
    .expect("an instance with validation")
}

#[test]
fn the_instance_negotiates_at_least_vulkan_1_2_and_counts_no_errors() {
    let instance = instance();
    assert!(instance.api_version() >= vk::API_VERSION_1_2);
    assert!(instance.validation_enabled());
    assert!(!instance.synchronization_validation_enabled());
    assert_eq!(instance.messages().error_count(), 0);
}

#[test]
fn synchronization_validation_can_be_switched_on() {
    let instance = Instance::new(&InstanceOptions {
        synchronization_validation: true,
        ..Default::default()
    })
    .unwrap();
    assert!(
        instance.validation_enabled(),
        "sync validation implies validation"
    );
    assert!(instance.synchronization_validation_enabled());
    let device = Device::new(&instance).unwrap();
    let texture = common::rgba_texture(&device, 8, 8, true);
    // Two clears of one image with no barrier between them: a write-after-write hazard
    // that only synchronization validation reports.
    let image = texture.image();
    let pool = common::submit_commands(&device, &[], &[], None, |cmd| {
        let to_dst = vkcompose::ImageBarrier::transition(
            image,
            vk::ImageLayout::UNDEFINED,
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
        );
        let range = to_dst.to_vk().subresource_range;
        let color = vk::ClearColorValue::default();
        // SAFETY: test code; valid commands whose only fault is the missing barrier.
        unsafe {
            vkcompose::record_image_barriers(&device, cmd, &[to_dst]);
            for _ in 0..2 {
                device.raw().cmd_clear_color_image(
                    cmd,
                    image,
                    vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                    &color,
                    &[range],
                );
            }
        }
    });
    drop((pool, texture));
    let errors = instance.messages().errors();
    assert!(
        // Layer 1.3.239 names it SYNC-HAZARD-WRITE-AFTER-WRITE, 1.4.309 WRITE_AFTER_WRITE.
        errors
            .iter()
            .any(|e| e.contains("SYNC-HAZARD-WRITE") || e.contains("WRITE_AFTER_WRITE hazard")),
        "expected a write-after-write hazard, got {errors:?}"
    );
}

#[test]
fn enumeration_reports_what_the_driver_says() {
    let instance = instance();
    let devices = PhysicalDevice::enumerate(&instance).unwrap();
    assert!(!devices.is_empty());
    for (i, device) in devices.iter().enumerate() {
        let info = device.info();
        assert_eq!(info.index, i);
        assert!(!info.name.is_empty());
        assert!(info.api_version.0 >= vk::API_VERSION_1_2, "{}", info.name);
        assert!(
            info.api_version.0 <= instance.api_version(),
            "capped at the instance's"
        );
        assert_ne!(info.device_uuid, [0; 16], "{}: a device UUID", info.name);
        assert!(!info.memory_heaps.is_empty() && info.memory_heaps.iter().all(|h| h.size > 0));
        assert!(info.has_extension(ash::khr::swapchain::NAME) || !info.extensions.is_empty());
        assert!(info.limits.max_image_dimension_2d >= 4096);
        assert!(!device.graphics_families().is_empty());
        let location = info.location();
        assert_eq!((location.drm, location.pci), (info.drm, info.pci));
    }
    assert_validation_clean(&instance);
}

/// What each driver of the two test machines is known to offer (Mesa 22.3 lavapipe on
/// Debian 12; NVIDIA 580 on the H100): a change in either shows up here.
#[test]
fn capabilities_match_what_the_driver_is_known_to_offer() {
    let instance = instance();
    for device in PhysicalDevice::enumerate(&instance).unwrap() {
        let info = device.info();
        let caps = Capabilities::detect(info).unwrap();
        // Whatever the driver, every extension to enable is one it offers.
        for name in caps.device_extensions() {
            assert!(info.has_extension(name), "{}: {name:?}", info.name);
        }
        match info.driver.id {
            // Mesa 25.0's lavapipe (the guest of scripts/test-vm) imports dma-bufs, 22.3's
            // (Debian 12) does not; the extension tells them apart.
            vk::DriverId::MESA_LLVMPIPE
                if info.has_extension(c"VK_EXT_external_memory_dma_buf") =>
            {
                assert_eq!(info.device_type, DeviceType::Cpu);
                assert_eq!(caps.dmabuf_import, DmabufImport::Native);
                assert!(caps.drm_modifiers);
                assert!(caps.opaque_fd_memory.both());
                assert_eq!(caps.shm_upload, ShmUpload::HostPointer { alignment: 4096 });
                assert!(caps.sync_file.both());
                assert_eq!(caps.drm_matching, DrmMatching::Unavailable);
                assert!(caps.queue_family_foreign && caps.ycbcr_conversion);
                assert!(caps.descriptor_indexing);
            }
            vk::DriverId::MESA_LLVMPIPE => {
                assert_eq!(info.device_type, DeviceType::Cpu);
                assert_eq!(caps.dmabuf_import, DmabufImport::HostMapping);
                assert!(!caps.drm_modifiers);
                assert!(caps.opaque_fd_memory.both());
                assert_eq!(caps.shm_upload, ShmUpload::HostPointer { alignment: 4096 });
                assert!(!caps.sync_file.export);
                assert_eq!(caps.drm_matching, DrmMatching::Unavailable);
                assert!(caps.synchronization2);
                assert!(
                    !caps.descriptor_indexing,
                    "lavapipe 22.3 lacks update-after-bind"
                );
            }
            vk::DriverId::NVIDIA_PROPRIETARY => {
                assert_eq!(info.device_type, DeviceType::Discrete);
                assert_eq!(
                    caps.dmabuf_import,
                    DmabufImport::MmapCopy,
                    "no dma_buf ext; host-memory import of mapped files breaks the device"
                );
                assert!(caps.drm_modifiers);
                assert!(caps.opaque_fd_memory.both());
                // SYNC_FD support depends on nvidia-drm being loaded; the H100 machine has
                // no /dev/dri and reports none, so sync_file is not asserted either way.
                assert!(caps.opaque_fd_semaphore.both());
                assert!(matches!(caps.shm_upload, ShmUpload::HostPointer { .. }));
                assert!(caps.queue_family_foreign && caps.ycbcr_conversion);
                assert!(caps.descriptor_indexing);
                assert_eq!(caps.drm_matching, DrmMatching::DrmProperties);
                assert!(info.pci.is_some());
            }
            other => eprintln!("{}: no expectations for driver {other:?}", info.name),
        }
        eprintln!("{} ({:?}):", info.name, info.driver.id);
        for path in caps.paths() {
            eprintln!("  {path}");
        }
    }
}

#[test]
fn selectors_find_devices_by_index_uuid_and_name_and_explain_misses() {
    let instance = instance();
    let devices = PhysicalDevice::enumerate(&instance).unwrap();
    let sysfs = Sysfs::system();
    let first = &devices[0];
    let by_index = DeviceSelector::Index(0).pick(&devices, &sysfs).unwrap();
    assert_eq!(by_index.raw(), first.raw());
    let by_uuid = DeviceSelector::Uuid(first.info().device_uuid)
        .pick(&devices, &sysfs)
        .unwrap();
    assert_eq!(by_uuid.raw(), first.raw());
    let name = first.name().to_uppercase();
    let by_name = DeviceSelector::Name(name[..3].to_string())
        .pick(&devices, &sysfs)
        .unwrap();
    assert_eq!(by_name.raw(), first.raw());
    let best = DeviceSelector::Best.pick(&devices, &sysfs).unwrap();
    let top = devices.iter().map(|d| d.info().device_type).max().unwrap();
    assert_eq!(best.info().device_type, top);

    let err = DeviceSelector::Index(99)
        .pick(&devices, &sysfs)
        .unwrap_err()
        .to_string();
    assert!(err.contains("99") && err.contains(first.name()), "{err}");
    // A DRM node no device reports (there is no such GPU here) names every device.
    let node = DrmNode::from_dev_id(DevId {
        major: 226,
        minor: 128,
    })
    .unwrap();
    let err = DeviceSelector::Drm(node)
        .pick(&devices, &sysfs)
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingDevice(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("226:128") && text.contains(first.name()),
        "{text}"
    );
}

#[test]
fn the_builder_always_has_a_graphics_queue_and_enables_what_capabilities_chose() {
    let instance = instance();
    let physical = vkcompose::select_device(&instance, &DeviceSelector::Best).unwrap();
    let family = *physical.graphics_families().last().unwrap();
    let builder = DeviceBuilder::new(&physical)
        .unwrap()
        .graphics_family(family)
        .transfer_queue(true);
    let expected = builder.capabilities().clone();
    let device = builder.build().unwrap();
    assert_eq!(device.queue_family(), family.index());
    let flags = physical.info().queue_families[family.index() as usize].flags;
    assert!(flags.contains(vk::QueueFlags::GRAPHICS));
    assert_eq!(device.capabilities(), &expected);
    if let Some(transfer) = device.transfer_queue() {
        let flags = physical.info().queue_families[transfer.family() as usize].flags;
        assert!(
            flags.contains(vk::QueueFlags::TRANSFER) || flags.contains(vk::QueueFlags::GRAPHICS)
        );
        transfer.wait_idle().unwrap();
    }
    if expected.global_priority.is_none() {
        assert_eq!(device.queue_priority(), None);
    }
    eprintln!(
        "{}: transfer queue {:?}, priority {:?}",
        device.name(),
        device.transfer_queue().map(|q| (q.family(), q.index())),
        device.queue_priority()
    );
    // Using an enabled extension's entry point is clean under validation.
    if expected.opaque_fd_memory.export {
        let _ = vkcompose::sync::Fence::new(&device, false).unwrap();
    }
    drop(device);
    assert_validation_clean(&instance);
}

/// The caller creates instance and device itself (as Skia's clients do), lends them to
/// vkcompose, and destroys them afterwards: vkcompose must neither destroy them nor use
/// what was not enabled.
#[test]
fn an_adopted_device_works_and_is_left_to_its_creator() {
    // SAFETY: test code following Vulkan's rules; every handle is destroyed by this test
    // after vkcompose's wrappers are gone.
    unsafe {
        let entry = ash::Entry::load().unwrap();
        let layers = [c"VK_LAYER_KHRONOS_validation".as_ptr()];
        let extensions = [ash::ext::debug_utils::NAME.as_ptr()];
        let app = vk::ApplicationInfo::default().api_version(vk::API_VERSION_1_2);
        let info = vk::InstanceCreateInfo::default()
            .application_info(&app)
            .enabled_layer_names(&layers)
            .enabled_extension_names(&extensions);
        let raw_instance = entry.create_instance(&info, None).unwrap();
        let physical = raw_instance.enumerate_physical_devices().unwrap()[0];
        let family = raw_instance
            .get_physical_device_queue_family_properties(physical)
            .iter()
            .position(|f| f.queue_flags.contains(vk::QueueFlags::GRAPHICS))
            .unwrap() as u32;
        let priorities = [1.0];
        let queues = [vk::DeviceQueueCreateInfo::default()
            .queue_family_index(family)
            .queue_priorities(&priorities)];
        let mut vulkan12 = vk::PhysicalDeviceVulkan12Features::default().timeline_semaphore(true);
        let device_info = vk::DeviceCreateInfo::default()
            .queue_create_infos(&queues)
            .push_next(&mut vulkan12);
        let raw_device = raw_instance
            .create_device(physical, &device_info, None)
            .unwrap();
        let instance_extensions: [&CStr; 1] = [ash::ext::debug_utils::NAME];
        let adopt = |features: Features| {
            Device::adopt(AdoptedDevice {
                entry: entry.clone(),
                instance: raw_instance.handle(),
                instance_api_version: vk::API_VERSION_1_2,
                instance_extensions: &instance_extensions,
                physical_device: physical,
                device: raw_device.handle(),
                queue_family: family,
                queue_index: 0,
                device_extensions: &[],
                features,
            })
        };
        // Claiming no timeline semaphores is refused with the reason.
        let err = adopt(Features::default()).err().unwrap().to_string();
        assert!(err.contains("timelineSemaphore"), "{err}");

        let device = adopt(Features {
            timeline_semaphore: true,
            ..Features::default()
        })
        .unwrap();
        assert!(device.is_adopted());
        // Nothing optional was enabled, so nothing optional is used.
        assert!(device.capabilities().device_extensions().is_empty());
        assert!(!device.capabilities().synchronization2);
        let timeline = vkcompose::sync::TimelineSemaphore::new(&device, 0).unwrap();
        let _pool = common::submit_commands(
            &device,
            &[],
            &[vkcompose::SemaphorePoint::Timeline(&timeline, 1)],
            None,
            |_| {},
        );
        assert!(timeline
            .wait(1, std::time::Duration::from_secs(10))
            .unwrap());
        let texture = common::rgba_texture(&device, 16, 16, false);
        drop((texture, _pool, timeline));
        let adopted_instance = device.instance().clone();
        drop(device);
        assert_validation_clean(&adopted_instance);
        drop(adopted_instance);
        // Still alive: vkcompose destroyed neither.
        raw_device.device_wait_idle().unwrap();
        raw_device.destroy_device(None);
        raw_instance.destroy_instance(None);
    }
}

#[test]
fn device_new_uses_the_best_device() {
    let (instance, device) = gpu();
    let devices = PhysicalDevice::enumerate(&instance).unwrap();
    let top = devices.iter().map(|d| d.info().device_type).max().unwrap();
    assert_eq!(device.physical_device().info().device_type, top);
    assert!(!device.is_adopted());
}
