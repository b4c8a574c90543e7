//! Sub-allocation, dedicated exportable memory shared between two devices, and the memory
//! budget, with validation on.

mod common;

use common::{assert_validation_clean, gpu, rgba_texture};
use vkcompose::{vk, Buffer, DedicatedMemory, DedicatedTo, Device, DeviceBuilder, Error};

#[test]
fn textures_and_buffers_share_blocks_and_return_their_space() {
    let (instance, device) = gpu();
    let before = device.allocator_stats();
    let textures: Vec<_> = (0..16)
        .map(|_| rgba_texture(&device, 64, 64, true))
        .collect();
    let buffers: Vec<_> = (0..16)
        .map(|_| Buffer::new(&device, 4096, vk::BufferUsageFlags::TRANSFER_SRC).unwrap())
        .collect();
    let during = device.allocator_stats();
    assert_eq!(during.allocations, before.allocations + 32);
    assert!(
        during.blocks <= before.blocks + 2,
        "32 small resources must share blocks, got {} blocks",
        during.blocks
    );
    assert!(during.allocated_bytes >= 16 * 64 * 64 * 4 + 16 * 4096);
    drop((textures, buffers));
    let after = device.allocator_stats();
    assert_eq!(after.allocations, before.allocations);
    assert_eq!(after.allocated_bytes, before.allocated_bytes);
    assert_validation_clean(&instance);
}

#[test]
fn the_budget_lists_every_heap() {
    let (instance, device) = gpu();
    let heaps = device.memory_budget();
    assert_eq!(
        heaps.len(),
        device.memory_properties().memory_heap_count as usize
    );
    for heap in &heaps {
        assert!(heap.size > 0);
        assert_eq!(heap.budget.is_some(), device.capabilities().memory_budget);
        if let Some(budget) = heap.budget {
            assert!(budget > 0 && budget <= heap.size);
        }
    }
    assert_validation_clean(&instance);
}

/// A buffer whose memory may be exported or imported as an opaque fd.
fn external_buffer(device: &Device, size: u64) -> vk::Buffer {
    let mut external = vk::ExternalMemoryBufferCreateInfo::default()
        .handle_types(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD);
    let info = vk::BufferCreateInfo::default()
        .size(size)
        .usage(vk::BufferUsageFlags::TRANSFER_SRC | vk::BufferUsageFlags::TRANSFER_DST)
        .push_next(&mut external);
    // SAFETY: test code; a valid create info.
    unsafe { device.raw().create_buffer(&info, None) }.unwrap()
}

#[test]
fn dedicated_memory_exported_as_an_opaque_fd_is_seen_by_a_second_device() {
    let (instance, device) = gpu();
    let host = vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT;
    let size = 65536;
    let buffer = external_buffer(&device, size);
    // SAFETY: test code; a buffer of this device.
    let requirements = unsafe { device.raw().get_buffer_memory_requirements(buffer) };
    let to = DedicatedTo::Buffer(buffer);
    if !device.capabilities().opaque_fd_memory.both() {
        let err = DedicatedMemory::allocate(
            &device,
            requirements,
            host,
            to,
            Some(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD),
        )
        .err()
        .unwrap();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");
        // SAFETY: test code; never bound.
        unsafe { device.raw().destroy_buffer(buffer, None) };
        return;
    }
    let mut exported = DedicatedMemory::allocate(
        &device,
        requirements,
        host,
        to,
        Some(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD),
    )
    .unwrap();
    let pattern: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    exported.bytes_mut()[..size as usize].copy_from_slice(&pattern);

    let other = DeviceBuilder::new(device.physical_device())
        .unwrap()
        .build()
        .unwrap();
    let other_buffer = external_buffer(&other, size);
    // SAFETY: test code; a buffer of the second device.
    let other_requirements = unsafe { other.raw().get_buffer_memory_requirements(other_buffer) };
    // SAFETY: the fd is an opaque-fd export of the same physical device (same UUIDs),
    // dedicated to a buffer created with the same parameters.
    let imported = unsafe {
        DedicatedMemory::import_opaque_fd(
            &other,
            exported.export_opaque_fd().unwrap(),
            other_requirements,
            host,
            DedicatedTo::Buffer(other_buffer),
        )
    }
    .unwrap();
    assert_eq!(&imported.bytes()[..size as usize], &pattern[..]);
    // SAFETY: test code; binding fresh memory at offset 0 to each buffer, then destroying
    // the buffers before their memory.
    unsafe {
        other
            .raw()
            .bind_buffer_memory(other_buffer, imported.raw(), 0)
            .unwrap();
        device
            .raw()
            .bind_buffer_memory(buffer, exported.raw(), 0)
            .unwrap();
        other.raw().destroy_buffer(other_buffer, None);
        device.raw().destroy_buffer(buffer, None);
    }
    drop((imported, exported, other));
    assert_validation_clean(&instance);
}

#[test]
fn exporting_memory_that_was_not_made_exportable_is_an_error() {
    let (instance, device) = gpu();
    let buffer = external_buffer(&device, 4096);
    // SAFETY: test code; a buffer of this device.
    let requirements = unsafe { device.raw().get_buffer_memory_requirements(buffer) };
    let memory = DedicatedMemory::allocate(
        &device,
        requirements,
        vk::MemoryPropertyFlags::empty(),
        DedicatedTo::Buffer(buffer),
        None,
    )
    .unwrap();
    let err = memory.export_opaque_fd().unwrap_err();
    assert!(
        err.to_string().contains("not allocated exportable"),
        "{err}"
    );
    drop(memory);
    // SAFETY: test code; never bound.
    unsafe { device.raw().destroy_buffer(buffer, None) };
    assert_validation_clean(&instance);
}
