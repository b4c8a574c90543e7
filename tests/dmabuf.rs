//! Dmabufs on a real device with validation on. No machine here has a dma-buf exporter, so
//! buffers are shared the way Vulkan drivers share them with each other: one renderer
//! exports a target as an opaque fd and a second renderer, on its own device, imports it
//! (with real block-linear modifiers on NVIDIA). The CPU copy fallback is fed memfds
//! standing in for LINEAR dma-bufs.

mod common;
#[path = "common/fds.rs"]
mod fds;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use common::{assert_validation_clean, gpu};
use vkcompose::dmabuf::{Dmabuf, DmabufPath, HandleKind, Modifier, Tiling};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Device, Error, Filter, Instance, Renderer, RendererOptions, Texture, TextureDraw};

type Rgba = [u8; 4];

const BACKGROUND: Rgba = [10, 20, 30, 255];

fn renderer(device: &Device) -> Renderer {
    Renderer::new(device, &RendererOptions::default()).unwrap()
}

/// Two renderers on two devices of the same GPU: what opaque-fd sharing needs.
fn two_renderers() -> (Instance, Renderer, Renderer) {
    let (instance, device) = gpu();
    let second = Device::new(&instance).unwrap();
    (instance, renderer(&device), renderer(&second))
}

fn unorm(c: Rgba) -> [f32; 4] {
    c.map(|v| f32::from(v) / 255.0)
}

fn whole(texture: &Texture) -> Rect {
    Rect::new(0, 0, texture.width() as i32, texture.height() as i32)
}

/// Reads an ABGR8888 (R, G, B, A bytes) copy of `texture`.
fn read(renderer: &mut Renderer, texture: &Texture) -> Vec<Rgba> {
    let readback = renderer
        .copy_framebuffer(texture, whole(texture), DrmFourcc::Abgr8888)
        .unwrap();
    readback
        .bytes()
        .unwrap()
        .chunks(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect()
}

/// The test picture: four solid quadrants, so that a wrong layout, stride or offset moves
/// colours to the wrong place.
fn quadrant_color(x: u32, y: u32, width: u32, height: u32) -> Rgba {
    match (x < width / 2, y < height / 2) {
        (true, true) => [200, 30, 40, 255],
        (false, true) => [20, 180, 60, 255],
        (true, false) => [30, 40, 220, 255],
        (false, false) => [240, 230, 20, 255],
    }
}

fn quadrant_rects(width: u32, height: u32) -> [(Rect, Rgba); 4] {
    let (w, h) = ((width / 2) as i32, (height / 2) as i32);
    let (rw, rh) = (width as i32 - w, height as i32 - h);
    [
        (Rect::new(0, 0, w, h), quadrant_color(0, 0, width, height)),
        (
            Rect::new(w, 0, rw, h),
            quadrant_color(width - 1, 0, width, height),
        ),
        (
            Rect::new(0, h, w, rh),
            quadrant_color(0, height - 1, width, height),
        ),
        (
            Rect::new(w, h, rw, rh),
            quadrant_color(width - 1, height - 1, width, height),
        ),
    ]
}

/// Draws the quadrants into `target` with clears.
fn paint_quadrants(renderer: &mut Renderer, target: &Texture) {
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    for (rect, color) in quadrant_rects(target.width(), target.height()) {
        frame.clear(unorm(color), &[rect]).unwrap();
    }
    frame
        .finish()
        .unwrap()
        .wait(std::time::Duration::MAX)
        .unwrap();
}

/// Shows `texture` whole in a fresh target of the same size and reads it back.
fn show(renderer: &mut Renderer, texture: &Texture) -> Vec<Rgba> {
    let target = renderer
        .create_target(texture.width(), texture.height(), DrmFourcc::Abgr8888)
        .unwrap();
    let all = whole(&target);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear(unorm(BACKGROUND), &[all]).unwrap();
    frame
        .render_texture_from_to(
            texture,
            &TextureDraw {
                src: RectF::new(
                    0.0,
                    0.0,
                    f64::from(texture.width()),
                    f64::from(texture.height()),
                ),
                dst: all,
                damage: &[all],
                opaque: &[],
                transform: Transform::Normal,
                alpha: 1.0,
                filter: Filter::Nearest,
            },
        )
        .unwrap();
    frame.finish().unwrap();
    read(renderer, &target)
}

fn assert_quadrants(pixels: &[Rgba], width: u32, height: u32, what: &str) {
    for y in 0..height {
        for x in 0..width {
            let actual = pixels[(y * width + x) as usize];
            let expected = quadrant_color(x, y, width, height);
            let close = actual
                .iter()
                .zip(expected)
                .all(|(&a, e)| a.abs_diff(e) <= 1);
            assert!(
                close,
                "{what} at ({x}, {y}): got {actual:?}, expected {expected:?}"
            );
        }
    }
}

/// The modifiers `renderer` can export ARGB8888 render targets with as opaque fds.
fn exportable(renderer: &Renderer, tiling: Tiling) -> Vec<Modifier> {
    renderer
        .modifier_table()
        .entries()
        .iter()
        .filter(|s| {
            s.fourcc == DrmFourcc::Argb8888
                && s.kind == HandleKind::OpaqueFd
                && s.exportable
                && s.render.is_some()
                && s.tiling == tiling
        })
        .map(|s| s.modifier)
        .collect()
}

/// Exports a target with one of `modifiers` from `a`, paints it, imports it into `b` and
/// checks the pixels `b` sees.
fn round_trip(a: &mut Renderer, b: &mut Renderer, modifiers: &[Modifier], what: &str) {
    let (width, height) = (70, 46);
    let (target, buffer) = a
        .create_exported_target(
            width,
            height,
            DrmFourcc::Argb8888,
            modifiers,
            HandleKind::OpaqueFd,
        )
        .unwrap();
    assert!(
        modifiers.contains(&buffer.modifier()),
        "{what}: chose {}",
        buffer.modifier()
    );
    paint_quadrants(a, &target);
    let imported = b.import_dmabuf(&buffer).unwrap();
    let pixels = show(b, &imported);
    assert_quadrants(
        &pixels,
        width,
        height,
        &format!("{what} ({})", buffer.modifier()),
    );
}

#[test]
fn an_exported_target_imported_by_a_second_device_shows_the_same_pixels() {
    let (instance, mut a, mut b) = two_renderers();
    println!("{}", a.modifier_table());
    let mut tried = 0;
    for tiling in [Tiling::Linear, Tiling::Optimal, Tiling::DrmModifier] {
        let modifiers = exportable(&a, tiling);
        if modifiers.is_empty() {
            continue;
        }
        // Each modifier on its own, so that every one the table offers is exercised.
        for modifier in &modifiers {
            round_trip(&mut a, &mut b, &[*modifier], &format!("{tiling:?}"));
            tried += 1;
        }
    }
    assert!(tried >= 2, "the table offers too few exportable modifiers");
    drop((a, b));
    assert_validation_clean(&instance);
}

#[test]
fn the_same_buffer_imported_again_returns_the_cached_texture() {
    let (instance, mut a, mut b) = two_renderers();
    let modifiers = exportable(&a, Tiling::Optimal);
    let (_target, buffer) = a
        .create_exported_target(
            16,
            16,
            DrmFourcc::Argb8888,
            &modifiers,
            HandleKind::OpaqueFd,
        )
        .unwrap();
    let first = b.import_dmabuf(&buffer).unwrap();
    let again = b.import_dmabuf(&buffer.clone()).unwrap();
    assert!(
        Arc::ptr_eq(&first, &again),
        "a clone of the buffer is the same buffer"
    );
    drop((first, again));
    // Once the texture is gone, importing makes a new one (the cache holds nothing alive).
    let fresh = b.import_dmabuf(&buffer).unwrap();
    assert_eq!(fresh.width(), 16);
    drop(fresh);
    drop((a, b));
    assert_validation_clean(&instance);
}

#[test]
fn a_second_device_renders_into_an_imported_buffer_and_the_exporter_sees_it() {
    let (instance, mut a, mut b) = two_renderers();
    let modifiers = exportable(&a, Tiling::Optimal);
    let (width, height) = (40, 30);
    let (exported, buffer) = a
        .create_exported_target(
            width,
            height,
            DrmFourcc::Argb8888,
            &modifiers,
            HandleKind::OpaqueFd,
        )
        .unwrap();
    // The exporter fills it first; the importer then paints over it; the exporter shows it.
    let mut frame = a.render(&exported, Transform::Normal).unwrap();
    frame.clear([0.0; 4], &[whole(&exported)]).unwrap();
    frame
        .finish()
        .unwrap()
        .wait(std::time::Duration::MAX)
        .unwrap();
    let imported = b.import_dmabuf(&buffer).unwrap();
    assert!(imported
        .usage()
        .contains(vkcompose::vk::ImageUsageFlags::COLOR_ATTACHMENT));
    paint_quadrants(&mut b, &imported);
    let pixels = show(&mut a, &exported);
    assert_quadrants(&pixels, width, height, "rendered by the importer");
    drop(imported);
    drop((a, b));
    assert_validation_clean(&instance);
}

#[test]
fn an_empty_or_impossible_modifier_list_is_refused_with_what_would_work() {
    let (instance, device) = gpu();
    let mut a = renderer(&device);
    let unknown = Modifier(0x0100_0000_0000_0001);
    match a.create_exported_target(8, 8, DrmFourcc::Argb8888, &[unknown], HandleKind::OpaqueFd) {
        Err(Error::UnsupportedModifier { supported, .. }) => {
            assert!(!supported.is_empty(), "the error lists what would work")
        }
        other => panic!("expected UnsupportedModifier, got {:?}", other.map(|_| ())),
    }
    assert!(matches!(
        a.create_exported_target(8, 8, DrmFourcc::Argb8888, &[], HandleKind::OpaqueFd),
        Err(Error::UnsupportedModifier { .. })
    ));
    drop(a);
    assert_validation_clean(&instance);
}

/// A LINEAR buffer whose stride no LINEAR image has here: the memory is imported as a
/// `VkBuffer` and copied by the GPU.
#[test]
fn a_linear_buffer_with_a_foreign_stride_is_copied_on_the_gpu() {
    use vkcompose::vk;
    let (instance, a, mut b) = two_renderers();
    let (width, height, stride, offset) = (29u32, 17u32, 29 * 4 + 36, 256u32);
    let size = 16384u64;
    // The exporter: a host-visible buffer exportable as an opaque fd, holding the picture.
    let device = a.device().clone();
    let mut external = vk::ExternalMemoryBufferCreateInfo::default()
        .handle_types(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD);
    let info = vk::BufferCreateInfo::default()
        .size(size)
        .usage(vk::BufferUsageFlags::TRANSFER_SRC)
        .push_next(&mut external);
    // SAFETY: a valid create info; destroyed at the end of the test.
    let raw = unsafe { device.raw().create_buffer(&info, None) }.unwrap();
    // SAFETY: `raw` is a buffer of this device.
    let requirements = unsafe { device.raw().get_buffer_memory_requirements(raw) };
    assert_eq!(requirements.size, size);
    let mut memory = vkcompose::DedicatedMemory::allocate(
        &device,
        requirements,
        vk::MemoryPropertyFlags::HOST_VISIBLE | vk::MemoryPropertyFlags::HOST_COHERENT,
        vkcompose::DedicatedTo::Buffer(raw),
        Some(vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD),
    )
    .unwrap();
    let bytes = memory.bytes_mut();
    for y in 0..height {
        for x in 0..width {
            let [r, g, bl, al] = quadrant_color(x, y, width, height);
            let at = (offset + y * stride + x * 4) as usize;
            bytes[at..at + 4].copy_from_slice(&[bl, g, r, al]);
        }
    }
    let buffer = Dmabuf::builder(
        width,
        height,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::OpaqueFd,
    )
    .plane_with_size(
        memory.export_opaque_fd().unwrap(),
        u64::from(offset),
        u64::from(stride),
        size,
    )
    .build();
    // With explicit modifiers (NVIDIA) the importer takes any stride as an image layout,
    // but opaque-fd memory exported for a buffer may only be imported for an identical
    // buffer: that case is not one an opaque fd can test.
    let explicit = b
        .modifier_table()
        .find(DrmFourcc::Argb8888, Modifier::LINEAR, HandleKind::OpaqueFd)
        .is_some_and(|s| s.tiling == Tiling::DrmModifier);
    if explicit {
        println!("skipped: explicit LINEAR layouts here, so no buffer copy to test");
        drop(buffer);
        drop((a, b));
        drop(memory);
        // SAFETY: nothing used the buffer.
        unsafe { device.raw().destroy_buffer(raw, None) };
        return;
    }
    let texture = b.import_dmabuf(&buffer).unwrap();
    // Our own image filled by a transfer, not the buffer's memory.
    assert!(texture.usage().contains(vk::ImageUsageFlags::TRANSFER_DST));
    let pixels = show(&mut b, &texture);
    assert_quadrants(&pixels, width, height, "copied through a buffer");
    drop(texture);
    drop((a, b));
    drop(memory);
    // SAFETY: nothing uses the buffer any more (the renderers waited for their work).
    unsafe { device.raw().destroy_buffer(raw, None) };
    drop(device);
    assert_validation_clean(&instance);
}

// ---------------------------------------------------------------------------------------
// The CPU copy fallback, with memfds standing in for LINEAR dma-bufs.

/// ARGB8888 bytes (B, G, R, A) of the quadrant picture, `stride` bytes a row, starting at
/// `offset`, in a memfd.
fn quadrant_memfd(width: u32, height: u32, stride: u32, offset: u32) -> OwnedFd {
    let mut bytes = vec![0xEEu8; (offset + stride * height) as usize];
    for y in 0..height {
        for x in 0..width {
            let [r, g, b, a] = quadrant_color(x, y, width, height);
            let at = (offset + y * stride + x * 4) as usize;
            bytes[at..at + 4].copy_from_slice(&[b, g, r, a]);
        }
    }
    fds::memfd(&bytes)
}

/// A renderer that copies mapped dma-bufs on the CPU even where the device could import
/// their mappings as host memory: the fallback's own tests.
fn cpu_copy_renderer(device: &Device) -> Renderer {
    let options = RendererOptions {
        dmabuf_host_import: false,
        ..Default::default()
    };
    Renderer::new(device, &options).unwrap()
}

fn needs_mapping(renderer: &Renderer) -> bool {
    let native = renderer.device().capabilities().dmabuf_import == vkcompose::DmabufImport::Native;
    if native {
        println!("skipped: this driver imports dma-bufs natively, memfds are not dma-bufs");
    }
    !native
}

#[test]
fn a_linear_memfd_is_copied_with_its_stride_padding_and_offset() {
    let (instance, device) = gpu();
    let mut r = cpu_copy_renderer(&device);
    if !needs_mapping(&r) {
        return;
    }
    let (width, height, stride, offset) = (37, 21, 37 * 4 + 52, 4096 + 64);
    let buffer = Dmabuf::builder(
        width,
        height,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(
        quadrant_memfd(width, height, stride, offset),
        u64::from(offset),
        u64::from(stride),
    )
    .build();
    let texture = r.import_dmabuf(&buffer).unwrap();
    assert_eq!(r.dmabuf_path(&buffer), Some(DmabufPath::CpuCopy));
    let pixels = show(&mut r, &texture);
    assert_quadrants(&pixels, width, height, "mapped copy");
    drop(texture);
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn importing_a_mapped_buffer_again_copies_its_new_contents_into_the_same_texture() {
    let (instance, device) = gpu();
    let mut r = cpu_copy_renderer(&device);
    if !needs_mapping(&r) {
        return;
    }
    let (width, height) = (8u32, 4u32);
    let fd = fds::memfd(&vec![0u8; (width * height * 4) as usize]);
    let raw = fd.as_raw_fd();
    let buffer = Dmabuf::builder(
        width,
        height,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(fd, 0, u64::from(width * 4))
    .build();
    let first = r.import_dmabuf(&buffer).unwrap();
    // Transparent black shows the background.
    assert!(show(&mut r, &first).iter().all(|p| *p == BACKGROUND));
    // The client draws the next frame into the same buffer and commits it again.
    let next: Vec<u8> = (0..width * height)
        .flat_map(|_| [50u8, 100, 150, 255])
        .collect();
    // SAFETY: `raw` stays open while `buffer` lives; pwrite does not take ownership.
    let written = unsafe { libc::pwrite(raw, next.as_ptr().cast(), next.len(), 0) };
    assert_eq!(written, next.len() as isize);
    let again = r.import_dmabuf(&buffer).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert!(show(&mut r, &again)
        .iter()
        .all(|p| *p == [150, 100, 50, 255]));
    drop((first, again));
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn a_non_linear_buffer_without_dmabuf_import_is_refused_with_the_reason() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    if !needs_mapping(&r) {
        return;
    }
    let buffer = Dmabuf::builder(
        8,
        8,
        DrmFourcc::Argb8888,
        Modifier(0x300000000606015),
        HandleKind::DmaBuf,
    )
    .plane(fds::memfd(&[0; 256]), 0, 32)
    .build();
    let error = r.import_dmabuf(&buffer).unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Unsupported { .. }), "{text}");
    assert!(text.contains("LINEAR"), "{text}");
    drop(r);
    assert_validation_clean(&instance);
}

// ---------------------------------------------------------------------------------------
// The host-memory path: without dma-buf import, a LINEAR buffer's mapping is imported as
// host memory and copied by the GPU (VK_EXT_external_memory_host: lavapipe, NVIDIA).

/// The quadrant picture's ARGB8888 bytes at `offset`, `stride` bytes a row, the buffer
/// ending right after the last row's texels (no padding after them).
fn tight_quadrant_bytes(width: u32, height: u32, stride: u32, offset: u32) -> Vec<u8> {
    let mut bytes = vec![0xEEu8; (offset + stride * (height - 1) + width * 4) as usize];
    for y in 0..height {
        for x in 0..width {
            let [r, g, b, a] = quadrant_color(x, y, width, height);
            let at = (offset + y * stride + x * 4) as usize;
            bytes[at..at + 4].copy_from_slice(&[b, g, r, a]);
        }
    }
    bytes
}

fn argb_buffer(width: u32, height: u32, fd: OwnedFd, offset: u32, stride: u32) -> Dmabuf {
    Dmabuf::builder(
        width,
        height,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(fd, u64::from(offset), u64::from(stride))
    .build()
}

/// Whether the device takes the host-memory path (else the test is skipped).
fn maps_into_host_memory(renderer: &Renderer) -> bool {
    let path = renderer.device().capabilities().dmabuf_import;
    if path != vkcompose::DmabufImport::HostMapping {
        println!("skipped: this device's dma-buf path is {path:?}, not HostMapping");
    }
    path == vkcompose::DmabufImport::HostMapping
}

fn assert_exact_quadrants(pixels: &[Rgba], width: u32, height: u32, what: &str) {
    for y in 0..height {
        for x in 0..width {
            let actual = pixels[(y * width + x) as usize];
            let expected = quadrant_color(x, y, width, height);
            assert_eq!(actual, expected, "{what} at ({x}, {y})");
        }
    }
}

#[test]
fn linear_memfds_are_imported_as_host_memory_and_copied_on_the_gpu() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    if !maps_into_host_memory(&r) {
        return;
    }
    let report = device.capabilities().paths();
    let line = report.iter().find(|p| p.area == "dmabuf import").unwrap();
    assert!(line.path.contains("host memory"), "{line}");
    // (what, width, height, stride, offset): padded rows; an offset inside a page; a
    // buffer that ends mid-page, right after its last row's texels; a 1x1.
    let cases = [
        (
            "stride padding, offset past a page",
            37,
            21,
            37 * 4 + 52,
            4096 + 64,
        ),
        ("offset inside the first page", 64, 48, 64 * 4, 100 * 4),
        (
            "odd size, no padding after the last row",
            33,
            17,
            33 * 4 + 12,
            8,
        ),
        ("one pixel", 1, 1, 4, 0),
    ];
    for (what, width, height, stride, offset) in cases {
        let bytes = tight_quadrant_bytes(width, height, stride, offset);
        let buffer = argb_buffer(width, height, fds::memfd(&bytes), offset, stride);
        let texture = r.import_dmabuf(&buffer).unwrap();
        assert_eq!(
            r.dmabuf_path(&buffer),
            Some(DmabufPath::HostMappingCopy),
            "{what}"
        );
        let pixels = show(&mut r, &texture);
        assert_exact_quadrants(&pixels, width, height, what);
    }
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn a_host_mapped_buffer_imported_again_shows_its_new_bytes_and_creates_nothing() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    if !maps_into_host_memory(&r) {
        return;
    }
    let (width, height, stride) = (40u32, 30u32, 40 * 4 + 16);
    let fd = fds::memfd(&vec![0u8; (stride * height) as usize]);
    let raw = fd.as_raw_fd();
    let buffer = argb_buffer(width, height, fd, 0, stride);
    let fill = |color: [u8; 4]| {
        let [r, g, b, a] = color;
        let row: Vec<u8> = (0..stride / 4).flat_map(|_| [b, g, r, a]).collect();
        let bytes = row.repeat(height as usize);
        // SAFETY: `raw` stays open while `buffer` lives; pwrite does not take ownership.
        let written = unsafe { libc::pwrite(raw, bytes.as_ptr().cast(), bytes.len(), 0) };
        assert_eq!(written, bytes.len() as isize);
    };
    let first = r.import_dmabuf(&buffer).unwrap();
    assert_eq!(r.dmabuf_path(&buffer), Some(DmabufPath::HostMappingCopy));
    assert!(show(&mut r, &first).iter().all(|p| *p == BACKGROUND));
    fill([150, 100, 50, 255]);
    let again = r.import_dmabuf(&buffer).unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert!(show(&mut r, &again)
        .iter()
        .all(|p| *p == [150, 100, 50, 255]));
    // Steady commits: the client redraws and commits the same buffer; nothing is made
    // once the renderer's rings of upload recorders are full.
    for _ in 0..5 {
        drop(r.import_dmabuf(&buffer).unwrap());
    }
    let objects = device.objects_created();
    let allocations = device.allocations_made();
    for i in 0..50u8 {
        fill([i, 255 - i, 7, 255]);
        drop(r.import_dmabuf(&buffer).unwrap());
    }
    r.wait_idle().unwrap();
    assert_eq!(
        device.objects_created(),
        objects,
        "objects in steady re-imports"
    );
    assert_eq!(
        device.allocations_made(),
        allocations,
        "allocations in steady re-imports"
    );
    assert!(show(&mut r, &again).iter().all(|p| *p == [49, 206, 7, 255]));
    drop((first, again, buffer));
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn a_mapping_the_gpu_cannot_copy_from_is_copied_on_the_cpu() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    if !maps_into_host_memory(&r) {
        return;
    }
    // An offset that is not a multiple of 4: vkCmdCopyBufferToImage cannot start there,
    // whatever the mapping, but the CPU reads bytes from anywhere.
    let (width, height, stride, offset) = (24, 10, 24 * 4, 4096 + 2);
    let buffer = argb_buffer(
        width,
        height,
        quadrant_memfd(width, height, stride, offset),
        offset,
        stride,
    );
    let texture = r.import_dmabuf(&buffer).unwrap();
    assert_eq!(r.dmabuf_path(&buffer), Some(DmabufPath::CpuCopy));
    assert_exact_quadrants(&show(&mut r, &texture), width, height, "CPU fallback");
    // And the fallback re-copies on the next commit, into the same texture.
    let again = r.import_dmabuf(&buffer).unwrap();
    assert!(Arc::ptr_eq(&texture, &again));
    drop((texture, again));
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn a_too_small_buffer_on_the_host_path_is_a_typed_error_and_leaves_nothing() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    if !maps_into_host_memory(&r) {
        return;
    }
    let objects = device.objects_created();
    // 16 rows of 64 bytes need 1024 bytes after the offset; the memfd has 1000.
    let buffer = argb_buffer(16, 16, fds::memfd(&[0; 1000]), 0, 64);
    let error = r.import_dmabuf(&buffer).unwrap_err();
    assert!(matches!(error, Error::BadBuffer(_)), "{error:?}");
    assert_eq!(r.dmabuf_path(&buffer), None);
    assert_eq!(
        device.objects_created(),
        objects,
        "objects made for a bad buffer"
    );
    drop(r);
    assert_validation_clean(&instance);
}

/// `DeviceBuilder::dmabuf_import(false)` makes a device that takes the path of drivers
/// without dma-buf import, whatever the driver: how real dma-bufs reach this path where
/// the driver could import them.
#[test]
fn a_device_built_without_dmabuf_import_maps_linear_buffers() {
    let instance = vkcompose::Instance::new(&vkcompose::InstanceOptions {
        validation: true,
        ..Default::default()
    })
    .unwrap();
    let physical = vkcompose::select_device(&instance, &vkcompose::DeviceSelector::Best).unwrap();
    let builder = vkcompose::DeviceBuilder::new(&physical)
        .unwrap()
        .dmabuf_import(false);
    let caps = builder.capabilities().clone();
    assert_ne!(caps.dmabuf_import, vkcompose::DmabufImport::Native);
    assert!(!caps
        .device_extensions()
        .contains(&vkcompose::ash::ext::external_memory_dma_buf::NAME));
    // Turned back on, it is what the driver offers.
    let detected = vkcompose::Capabilities::detect(physical.info()).unwrap();
    let back = vkcompose::DeviceBuilder::new(&physical)
        .unwrap()
        .dmabuf_import(false)
        .dmabuf_import(true);
    assert_eq!(back.capabilities().dmabuf_import, detected.dmabuf_import);
    let device = builder.build().unwrap();
    let mut r = renderer(&device);
    let (width, height, stride) = (20, 12, 20 * 4);
    let buffer = argb_buffer(
        width,
        height,
        quadrant_memfd(width, height, stride, 0),
        0,
        stride,
    );
    let texture = r.import_dmabuf(&buffer).unwrap();
    let expected = match caps.dmabuf_import {
        vkcompose::DmabufImport::HostMapping => DmabufPath::HostMappingCopy,
        _ => DmabufPath::CpuCopy,
    };
    assert_eq!(r.dmabuf_path(&buffer), Some(expected));
    assert_exact_quadrants(
        &show(&mut r, &texture),
        width,
        height,
        "without dma-buf import",
    );
    drop(texture);
    drop(r);
    drop(device);
    assert_validation_clean(&instance);
}

// ---------------------------------------------------------------------------------------
// Bad input: every description error is typed and reaches neither Vulkan nor the layer.

fn expect_bad(renderer: &mut Renderer, buffer: &Dmabuf, what: &str) -> String {
    match renderer.import_dmabuf(buffer) {
        Ok(_) => panic!("{what}: imported"),
        Err(e) => {
            let ok = matches!(
                e,
                Error::BadBuffer(_)
                    | Error::UnsupportedModifier { .. }
                    | Error::UnsupportedFormat { .. }
                    | Error::Unsupported { .. }
            );
            assert!(ok, "{what}: untyped error {e:?}");
            e.to_string()
        }
    }
}

#[test]
fn bad_descriptions_are_typed_errors_on_both_import_paths() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    let max = r
        .device()
        .physical_device()
        .info()
        .limits
        .max_image_dimension_2d;
    for kind in [HandleKind::OpaqueFd, HandleKind::DmaBuf] {
        let linear = |w: u32, h: u32, stride: u64, offset: u64, len: usize| {
            let fd = fds::memfd(&vec![0; len]);
            let builder = Dmabuf::builder(w, h, DrmFourcc::Argb8888, Modifier::LINEAR, kind);
            match kind {
                HandleKind::OpaqueFd => builder.plane_with_size(fd, offset, stride, len as u64),
                HandleKind::DmaBuf => builder.plane(fd, offset, stride),
            }
            .build()
        };
        let cases: Vec<(&str, Dmabuf)> = vec![
            ("stride too small", linear(16, 16, 60, 0, 4096)),
            (
                "offset plus size past the buffer",
                linear(16, 16, 64, 64, 1024),
            ),
            ("rows past the buffer", linear(16, 16, 64, 0, 64 * 15)),
            ("zero width", linear(0, 16, 64, 0, 4096)),
            (
                "over the extent limit",
                linear(max + 1, 1, u64::from(max + 1) * 4, 0, 4096),
            ),
            (
                "two planes for a one-plane format",
                Dmabuf::builder(16, 16, DrmFourcc::Argb8888, Modifier::LINEAR, kind)
                    .plane_with_size(fds::memfd(&[0; 2048]), 0, 64, 2048)
                    .plane_with_size(fds::memfd(&[0; 2048]), 1024, 64, 2048)
                    .build(),
            ),
            (
                "no plane",
                Dmabuf::builder(16, 16, DrmFourcc::Argb8888, Modifier::LINEAR, kind).build(),
            ),
            (
                "modifier not in the table",
                Dmabuf::builder(
                    16,
                    16,
                    DrmFourcc::Argb8888,
                    Modifier(0x0100_0000_0000_0007),
                    kind,
                )
                .plane_with_size(fds::memfd(&[0; 1024]), 0, 64, 1024)
                .build(),
            ),
            (
                "unknown fourcc",
                Dmabuf::builder(16, 16, DrmFourcc::Yuyv, Modifier::LINEAR, kind)
                    .plane_with_size(fds::memfd(&[0; 1024]), 0, 64, 1024)
                    .build(),
            ),
            (
                "NV12 with an odd size",
                Dmabuf::builder(15, 9, DrmFourcc::Nv12, Modifier::LINEAR, kind)
                    .plane_with_size(fds::memfd(&[0; 1024]), 0, 16, 1024)
                    .plane_with_size(fds::memfd(&[0; 1024]), 256, 16, 1024)
                    .build(),
            ),
        ];
        for (what, buffer) in &cases {
            let text = expect_bad(&mut r, buffer, &format!("{kind:?}: {what}"));
            println!("{kind:?}, {what}: {text}");
        }
    }
    drop(r);
    assert_validation_clean(&instance);
}

#[test]
fn a_closed_or_unmappable_fd_is_a_typed_error() {
    let (instance, device) = gpu();
    let mut r = renderer(&device);
    // A pipe has no size and cannot be mapped.
    let mut fds = [0; 2];
    // SAFETY: a plain syscall writing two fds into the array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh fds we own.
    let (read_end, _write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let pipe = Dmabuf::builder(
        4,
        4,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(read_end, 0, 16)
    .build();
    println!("pipe: {}", expect_bad(&mut r, &pipe, "a pipe"));

    // A closed fd: close it behind the description's back (at a number nothing else in
    // the process will take meanwhile), and never let the description close it again.
    let fd = fds::memfd(&[0; 4096]);
    // Below 1024, the usual soft limit of open files (the scripts/test-vm guest has it).
    let high = 900 + (std::process::id() % 100) as i32;
    // SAFETY: plain syscalls; `high` is closed again at once and forgotten below.
    unsafe {
        assert_eq!(libc::dup2(fd.as_raw_fd(), high), high);
        libc::close(high);
    }
    for kind in [HandleKind::DmaBuf, HandleKind::OpaqueFd] {
        // SAFETY: the number is closed, and the description holding it is leaked (never
        // dropped), so nothing closes it a second time.
        let closed = unsafe { OwnedFd::from_raw_fd(high) };
        let buffer = Dmabuf::builder(4, 4, DrmFourcc::Argb8888, Modifier::LINEAR, kind)
            .plane_with_size(closed, 0, 16, 4096)
            .build();
        let text = expect_bad(&mut r, &buffer, "a closed fd");
        assert!(text.contains("not open"), "{text}");
        std::mem::forget(buffer);
    }
    drop(r);
    assert_validation_clean(&instance);
}
