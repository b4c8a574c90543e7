//! The dmabuf modifier table on the real driver, with validation on: what each test
//! machine's driver is known to offer (Mesa 22.3 lavapipe; NVIDIA on the H100), and
//! dmabuf descriptions validated against it. Memfds stand in for linear dmabufs: neither
//! machine has /dev/dri.

mod common;

use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Arc;

use common::{assert_validation_clean, gpu};
use vkcompose::dmabuf::{
    open_fd_count, Dmabuf, HandleKind, Modifier, ModifierTable, Purpose, Tiling,
};
use vkcompose::format::DrmFourcc;
use vkcompose::{vk, Device, Error};

use DrmFourcc as F;
use HandleKind::{DmaBuf, OpaqueFd};

/// drm_fourcc.h's vendor of NVIDIA's modifiers (the top 8 bits).
const NVIDIA_VENDOR: u64 = 0x03;
/// Intel's X tiling: no driver of the test machines has it.
const I915_X_TILED: Modifier = Modifier(0x0100_0000_0000_0001);
/// A number that is no open fd and never will be: above the kernel's limit on fds.
const NEVER_OPEN: i32 = i32::MAX - 1;

fn driver(device: &Device) -> vk::DriverId {
    device.physical_device().info().driver.id
}

/// An anonymous file of `len` bytes, standing in for a linear dmabuf.
fn memfd(len: usize) -> Arc<OwnedFd> {
    // SAFETY: a NUL-terminated name; memfd_create returns a new fd or -1.
    let raw = unsafe { libc::memfd_create(c"vkcompose-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(
        raw >= 0,
        "memfd_create: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: a new fd nothing else owns.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw) });
    file.write_all(&vec![0x80; len]).unwrap();
    Arc::new(OwnedFd::from(file))
}

/// A 64x16 LINEAR ARGB8888 buffer of 256-byte rows from an opaque fd, with its size.
fn argb(modifier: Modifier, fd: Arc<OwnedFd>, stride: u64, size: u64) -> Dmabuf {
    Dmabuf::builder(64, 16, F::Argb8888, modifier, OpaqueFd)
        .plane_with_size(fd, 0, stride, size)
        .build()
}

fn bad_buffer(result: vkcompose::Result<impl std::fmt::Debug>, part: &str) {
    match result {
        Err(Error::BadBuffer(message)) => {
            assert!(message.contains(part), "{part:?} missing in: {message}")
        }
        other => panic!("expected a bad buffer ({part}), got {other:?}"),
    }
}

#[test]
fn the_table_has_what_the_driver_is_known_to_offer() {
    let (instance, device) = gpu();
    let table = ModifierTable::probe(&device);
    println!("{table}");
    let caps = device.capabilities();
    // Only Mesa 25's lavapipe (the guest of scripts/test-vm) imports dma-bufs.
    let native = caps.dmabuf_import == vkcompose::DmabufImport::Native;
    let kinds: &[_] = if native {
        &[OpaqueFd, DmaBuf]
    } else {
        &[OpaqueFd]
    };
    assert_eq!(ModifierTable::importable_kinds(caps), kinds);
    let texture_and_render = |fourcc, modifier| {
        let entry = table.find(fourcc, modifier, OpaqueFd);
        let entry = entry.unwrap_or_else(|| panic!("{fourcc} {modifier} missing:\n{table}"));
        assert!(entry.texture.is_some() && entry.render.is_some(), "{entry}");
        entry
    };
    match driver(&device) {
        vk::DriverId::MESA_LLVMPIPE if native => {
            for fourcc in [F::Argb8888, F::Xrgb8888, F::Abgr8888] {
                for kind in [OpaqueFd, DmaBuf] {
                    let linear = table.find(fourcc, Modifier::LINEAR, kind);
                    let linear = linear.unwrap_or_else(|| panic!("{fourcc} {kind}:\n{table}"));
                    assert_eq!(linear.tiling, Tiling::DrmModifier);
                    assert!(linear.texture.is_some() && linear.render.is_some());
                    assert!(linear.exportable, "{linear}");
                }
            }
        }
        vk::DriverId::MESA_LLVMPIPE => {
            for fourcc in [F::Argb8888, F::Xrgb8888, F::Abgr8888] {
                let linear = texture_and_render(fourcc, Modifier::LINEAR);
                assert_eq!(linear.tiling, Tiling::Linear);
                let optimal = texture_and_render(fourcc, Modifier::INVALID);
                assert_eq!(optimal.tiling, Tiling::Optimal);
            }
            assert!(
                table.find(F::Nv12, Modifier::LINEAR, OpaqueFd).is_none(),
                "no YCbCr"
            );
        }
        vk::DriverId::NVIDIA_PROPRIETARY => {
            let block_linear = table.entries().iter().any(|e| {
                e.fourcc == F::Argb8888
                    && e.kind == OpaqueFd
                    && e.modifier.0 >> 56 == NVIDIA_VENDOR
                    && e.texture.is_some()
                    && e.render.is_some()
                    && e.exportable
            });
            assert!(
                block_linear,
                "no exportable block-linear ARGB8888:\n{table}"
            );
            let linear = table.find(F::Argb8888, Modifier::LINEAR, OpaqueFd);
            let linear = linear.unwrap_or_else(|| panic!("no LINEAR ARGB8888:\n{table}"));
            assert_eq!(linear.tiling, Tiling::DrmModifier);
            assert!(linear.texture.is_some(), "{linear}");
            let nv12 = table.entries().iter().any(|e| {
                e.fourcc == F::Nv12 && e.tiling == Tiling::DrmModifier && e.memory_planes == 2
            });
            assert!(nv12, "no two-plane NV12 modifier:\n{table}");
        }
        other => println!("{}: no expectations for driver {other:?}", device.name()),
    }
    let textures = table.texture_formats(OpaqueFd);
    assert!(
        textures.iter().any(|(f, _)| *f == F::Argb8888),
        "{textures:?}"
    );
    assert!(!table.exportable_modifiers(F::Argb8888, OpaqueFd).is_empty());
    assert_validation_clean(&instance);
}

#[test]
fn a_memfd_backed_linear_argb_buffer_validates() {
    let (instance, device) = gpu();
    let table = ModifierTable::probe(&device);
    let buffer = argb(Modifier::LINEAR, memfd(4096), 256, 4096);
    let layout = buffer.validate(&table).unwrap();
    assert_eq!(layout.format, vk::Format::B8G8R8A8_UNORM);
    assert_eq!(layout.memories, [(0, 4096)]);
    assert!(!layout.disjoint());
    let entry = table.find(F::Argb8888, Modifier::LINEAR, OpaqueFd).unwrap();
    if entry.render.is_some() {
        buffer.validate_for(&table, Purpose::Render).unwrap();
    }
    assert_validation_clean(&instance);
}

#[test]
fn every_bad_description_is_refused_with_its_reason() {
    let (instance, device) = gpu();
    let table = ModifierTable::probe(&device);
    let fd = memfd(4096);
    let good = |stride, size| argb(Modifier::LINEAR, fd.clone(), stride, size);

    let yuyv = Dmabuf::builder(64, 16, F::Yuyv, Modifier::LINEAR, OpaqueFd)
        .plane_with_size(fd.clone(), 0, 128, 4096)
        .build();
    let error = yuyv.validate(&table).unwrap_err();
    assert!(
        matches!(error, Error::UnsupportedFormat { .. }),
        "{error:?}"
    );

    let error = argb(I915_X_TILED, fd.clone(), 256, 4096)
        .validate(&table)
        .unwrap_err();
    println!("{error}");
    let Error::UnsupportedModifier { ref supported, .. } = error else {
        panic!("{error:?}");
    };
    assert!(supported.contains(&Modifier::LINEAR), "{error}");

    let max = table
        .find(F::Argb8888, Modifier::LINEAR, OpaqueFd)
        .and_then(|e| e.texture)
        .unwrap();
    for (width, height, why) in [
        (0, 16, "at least 1"),
        (max.width + 1, 1, "larger than"),
        (1, max.height + 1, "larger than"),
    ] {
        let buffer = Dmabuf::builder(width, height, F::Argb8888, Modifier::LINEAR, OpaqueFd)
            .plane_with_size(fd.clone(), 0, 256, 4096)
            .build();
        bad_buffer(buffer.validate(&table), why);
    }

    let two_planes = Dmabuf::builder(64, 16, F::Argb8888, Modifier::LINEAR, OpaqueFd)
        .plane_with_size(fd.clone(), 0, 256, 4096)
        .plane_with_size(fd.clone(), 0, 256, 4096)
        .build();
    bad_buffer(two_planes.validate(&table), "memory plane");

    // SAFETY: a closed number in an OwnedFd on purpose, to see validation catch it; only
    // asked about, and forgotten below instead of closed.
    let closed = Arc::new(unsafe { OwnedFd::from_raw_fd(NEVER_OPEN) });
    let buffer = argb(Modifier::LINEAR, closed.clone(), 256, 4096);
    bad_buffer(
        buffer.validate(&table),
        "plane 0's fd 2147483646 is not open",
    );
    drop(buffer);
    std::mem::forget(Arc::into_inner(closed));

    bad_buffer(good(0, 4096).validate(&table), "stride is 0");
    bad_buffer(good(255, 4096).validate(&table), "stride 255 is less than");
    bad_buffer(good(256, 4095).validate(&table), "needs bytes up to 4096");
    bad_buffer(good(u64::MAX, u64::MAX).validate(&table), "overflows");

    let (read, _write) = pipe();
    let unsized_buffer = Dmabuf::builder(64, 16, F::Argb8888, Modifier::LINEAR, OpaqueFd)
        .plane(read, 0, 256)
        .build();
    bad_buffer(
        unsized_buffer.validate(&table),
        "opaque fds need the memory size",
    );

    nv12_cases(&table);

    // Nothing above, nor many more rounds, leaks or closes an fd.
    let before = open_fd_count().unwrap();
    for _ in 0..200 {
        good(256, 4096).validate(&table).unwrap();
        good(255, 4096).validate(&table).unwrap_err();
    }
    let after = open_fd_count().unwrap();
    assert!(after < before + 32, "{before} fds before, {after} after");
    assert_validation_clean(&instance);
}

/// The cases only a multi-planar format has, where the device imports NV12.
fn nv12_cases(table: &ModifierTable) {
    let Some(entry) = table
        .entries()
        .iter()
        .find(|e| e.fourcc == F::Nv12 && e.kind == OpaqueFd && e.memory_planes == 2)
    else {
        println!(
            "{}: no NV12, so no odd-size or disjoint cases",
            table.device_name()
        );
        return;
    };
    let nv12 = |width, height, y: Arc<OwnedFd>, chroma: Arc<OwnedFd>| {
        Dmabuf::builder(width, height, F::Nv12, entry.modifier, OpaqueFd)
            .plane_with_size(y.clone(), 0, 64, 8192)
            .plane_with_size(chroma.clone(), 2048, 64, 8192)
            .build()
    };
    let fd = memfd(8192);
    bad_buffer(
        nv12(63, 32, fd.clone(), fd.clone()).validate(table),
        "width must be even",
    );
    bad_buffer(
        nv12(64, 31, fd.clone(), fd.clone()).validate(table),
        "height must be even",
    );
    let separate = nv12(64, 32, fd.clone(), memfd(8192)).validate(table);
    if entry.disjoint {
        assert!(separate.unwrap().disjoint());
    } else {
        bad_buffer(separate, "disjoint");
    }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: two new fds nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}
