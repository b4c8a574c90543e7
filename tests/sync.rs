//! Fences, binary and timeline semaphores from the CPU and the GPU, their export and
//! import as fds, and ownership-transfer barriers, all with validation on.

mod common;

use std::os::fd::FromRawFd;
use std::time::Duration;

use common::{assert_validation_clean, gpu, rgba_texture, submit_commands};
use vkcompose::sync::{Fence, Semaphore, SemaphoreHandle, SyncFile, TimelineSemaphore};
use vkcompose::{record_image_barriers, vk, DeviceBuilder, Error, ImageBarrier, SemaphorePoint};

const SHORT: Duration = Duration::from_millis(20);
const LONG: Duration = Duration::from_secs(10);

#[test]
fn a_fence_signals_when_its_submission_completes_and_can_be_reused() {
    let (instance, device) = gpu();
    let fence = Fence::new(&device, false).unwrap();
    assert!(!fence.is_signaled().unwrap());
    assert!(!fence.wait(SHORT).unwrap(), "nothing was submitted");
    let _pool = submit_commands(&device, &[], &[], Some(&fence), |_| {});
    assert!(fence.wait(LONG).unwrap());
    // A signalled fence cannot go into a submission before a reset.
    let err = device
        .graphics_queue()
        .submit(&vkcompose::Submission {
            fence: Some(&fence),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    fence.reset().unwrap();
    assert!(!fence.is_signaled().unwrap());
    let _pool = submit_commands(&device, &[], &[], Some(&fence), |_| {});
    assert!(fence.wait(LONG).unwrap());
    assert!(Fence::new(&device, true).unwrap().is_signaled().unwrap());
    // Exporting what was not created exportable is refused before reaching the driver.
    let plain = Semaphore::new(&device).unwrap();
    assert!(plain.export_sync_file().is_err() && plain.export_opaque_fd().is_err());
    let timeline = TimelineSemaphore::new(&device, 0).unwrap();
    assert!(timeline.export_opaque_fd().is_err());
    drop((plain, timeline));
    drop(fence);
    assert_validation_clean(&instance);
}

#[test]
fn a_timeline_advances_and_waits_from_the_cpu() {
    let (instance, device) = gpu();
    let timeline = TimelineSemaphore::new(&device, 3).unwrap();
    assert_eq!(timeline.value().unwrap(), 3);
    assert!(timeline.wait(3, SHORT).unwrap());
    assert!(!timeline.wait(5, SHORT).unwrap(), "5 is not reached yet");
    timeline.signal(5).unwrap();
    assert_eq!(timeline.value().unwrap(), 5);
    assert!(timeline.wait(4, Duration::ZERO).unwrap());
    let err = timeline.signal(5).unwrap_err().to_string();
    assert!(err.contains("raise"), "{err}");
    drop(timeline);
    assert_validation_clean(&instance);
}

#[test]
fn the_gpu_waits_on_a_binary_semaphore_and_a_cpu_signalled_timeline() {
    let (instance, device) = gpu();
    let gate = TimelineSemaphore::new(&device, 0).unwrap();
    let done = TimelineSemaphore::new(&device, 0).unwrap();
    let link = Semaphore::new(&device).unwrap();
    let stage = vk::PipelineStageFlags::ALL_COMMANDS;
    // A binary wait needs every signal it depends on submitted already (lavapipe blocks
    // in vkQueueSubmit otherwise), so the link is signalled by a batch that waits for
    // nothing, and the CPU gate holds back the batch that waits on the link.
    let _first = submit_commands(&device, &[], &[SemaphorePoint::Binary(&link)], None, |_| {});
    let _second = submit_commands(
        &device,
        &[
            (SemaphorePoint::Binary(&link), stage),
            (SemaphorePoint::Timeline(&gate, 1), stage),
        ],
        &[SemaphorePoint::Timeline(&done, 7)],
        None,
        |_| {},
    );
    assert!(
        !done.wait(7, SHORT).unwrap(),
        "the GPU ran before the gate opened"
    );
    gate.signal(1).unwrap();
    assert!(done.wait(7, LONG).unwrap());
    assert_eq!(done.value().unwrap(), 7);
    drop((_first, _second, gate, done, link));
    assert_validation_clean(&instance);
}

#[test]
fn a_timeline_exported_as_an_opaque_fd_is_shared_with_a_second_device() {
    let (instance, device) = gpu();
    let caps = device.capabilities();
    if !caps.opaque_fd_semaphore.both() {
        let err = TimelineSemaphore::exportable(&device, 0)
            .err()
            .expect("export must fail where unsupported")
            .to_string();
        assert!(
            err.contains(device.name()) && err.contains("opaque-fd"),
            "{err}"
        );
        eprintln!(
            "{}: opaque-fd semaphores unsupported; checked the error",
            device.name()
        );
        return;
    }
    let other = DeviceBuilder::new(device.physical_device())
        .unwrap()
        .build()
        .unwrap();
    let exported = TimelineSemaphore::exportable(&device, 0).unwrap();
    // Signalled before the import: the importer sees the shared payload's value. (A CPU
    // signal after the import trips a false positive in validation layer 1.3.239, which
    // tracks the imported handle as having a pending signal of value 0.)
    exported.signal(4).unwrap();
    let imported =
        TimelineSemaphore::import_opaque_fd(&other, exported.export_opaque_fd().unwrap()).unwrap();
    assert_eq!(imported.value().unwrap(), 4);
    assert!(imported.wait(4, LONG).unwrap());
    // And back: the importer's GPU signals, the exporter sees it.
    let _pool = submit_commands(
        &other,
        &[],
        &[SemaphorePoint::Timeline(&imported, 9)],
        None,
        |_| {},
    );
    assert!(exported.wait(9, LONG).unwrap());
    drop((_pool, imported, exported, other));
    assert_validation_clean(&instance);
}

#[test]
fn a_sync_file_carries_a_gpu_signal_out_and_back_in() {
    let (instance, device) = gpu();
    if !device.capabilities().sync_file.both() {
        let err = Semaphore::exportable(&device, SemaphoreHandle::SyncFd)
            .err()
            .expect("export must fail where unsupported")
            .to_string();
        assert!(
            err.contains(device.name()) && err.contains("sync_file"),
            "{err}"
        );
        eprintln!(
            "{}: sync_file export unsupported; checked the error",
            device.name()
        );
        return;
    }
    let out = Semaphore::exportable(&device, SemaphoreHandle::SyncFd).unwrap();
    let stage = vk::PipelineStageFlags::ALL_COMMANDS;
    let texture = rgba_texture(&device, 64, 64, true);
    // Exporting a sync_file needs its signal (and everything that signal depends on)
    // submitted, so the producer waits for nothing; it clears a texture to have work to do.
    let _producer = submit_commands(&device, &[], &[SemaphorePoint::Binary(&out)], None, |cmd| {
        clear(&device, cmd, texture.image())
    });
    let file = out.export_sync_file().unwrap();
    assert!(file.wait(LONG).unwrap());
    // Import: a consumer batch waits on the sync_file and signals a timeline.
    let input = Semaphore::new(&device).unwrap();
    input.import_sync_file(file).unwrap();
    let done = TimelineSemaphore::new(&device, 0).unwrap();
    let _consumer = submit_commands(
        &device,
        &[(SemaphorePoint::Binary(&input), stage)],
        &[SemaphorePoint::Timeline(&done, 1)],
        None,
        |_| {},
    );
    assert!(done.wait(1, LONG).unwrap());
    // An already-signalled sync_file (fd -1) imports as signalled.
    let signalled = Semaphore::new(&device).unwrap();
    signalled.import_sync_file(SyncFile::signaled()).unwrap();
    let _third = submit_commands(
        &device,
        &[(SemaphorePoint::Binary(&signalled), stage)],
        &[SemaphorePoint::Timeline(&done, 2)],
        None,
        |_| {},
    );
    assert!(done.wait(2, LONG).unwrap());
    drop((_producer, _consumer, _third));
    assert_validation_clean(&instance);
}

#[test]
fn importing_a_file_that_is_no_sync_file_is_refused_before_the_driver() {
    let (instance, device) = gpu();
    let semaphore = Semaphore::new(&device).unwrap();
    // SAFETY: test code; a NUL-terminated name.
    let raw = unsafe { libc::memfd_create(c"vkcompose-test".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(raw >= 0, "memfd_create failed");
    // SAFETY: a new fd nothing else owns.
    let memfd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
    let err = semaphore
        .import_sync_file(SyncFile::from_fd(memfd))
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("not a sync_file")),
        "{err}"
    );
    // The semaphore is untouched: still usable as a plain semaphore.
    let stage = vk::PipelineStageFlags::ALL_COMMANDS;
    let done = TimelineSemaphore::new(&device, 0).unwrap();
    let _signal = submit_commands(
        &device,
        &[],
        &[SemaphorePoint::Binary(&semaphore)],
        None,
        |_| {},
    );
    let _wait = submit_commands(
        &device,
        &[(SemaphorePoint::Binary(&semaphore), stage)],
        &[SemaphorePoint::Timeline(&done, 1)],
        None,
        |_| {},
    );
    assert!(done.wait(1, LONG).unwrap());
    drop((_signal, _wait, semaphore, done));
    assert_validation_clean(&instance);
}

#[test]
fn ownership_moves_from_the_foreign_family_and_back_without_validation_errors() {
    let (instance, device) = gpu();
    let texture = rgba_texture(&device, 4, 4, true);
    let foreign = device.capabilities().foreign_queue_family();
    let family = device.queue_family();
    let image = texture.image();
    let _pool = submit_commands(&device, &[], &[], None, |cmd| {
        let acquire = ImageBarrier::acquire_from_foreign(
            image,
            foreign,
            family,
            vk::ImageLayout::UNDEFINED,
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
        );
        let to_attachment = ImageBarrier::transition(
            image,
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
        );
        let release = ImageBarrier::release_to_foreign(
            image,
            family,
            foreign,
            vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL,
            vk::ImageLayout::GENERAL,
        );
        // SAFETY: test code; a recording command buffer of this device, and the layouts
        // follow each other.
        unsafe {
            record_image_barriers(&device, cmd, &[acquire]);
            record_image_barriers(&device, cmd, &[to_attachment]);
            record_image_barriers(&device, cmd, &[release]);
        }
    });
    drop(_pool);
    assert_validation_clean(&instance);
}

/// Records a transition to TRANSFER_DST and a clear of the whole image.
fn clear(device: &vkcompose::Device, cmd: vk::CommandBuffer, image: vk::Image) {
    let to_dst = ImageBarrier::transition(
        image,
        vk::ImageLayout::UNDEFINED,
        vk::ImageLayout::TRANSFER_DST_OPTIMAL,
    );
    let range = to_dst.to_vk().subresource_range;
    // SAFETY: test code; a recording command buffer and an image of this device.
    unsafe {
        record_image_barriers(device, cmd, &[to_dst]);
        device.raw().cmd_clear_color_image(
            cmd,
            image,
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
            &vk::ClearColorValue {
                float32: [1.0, 0.0, 0.0, 1.0],
            },
            &[range],
        );
    }
}
