//! Real dma-bufs from a real kernel: udmabuf (a sealed memfd turned into a dma-buf, as
//! shm-backed clients make them), vgem dumb buffers exported with PRIME, their fences
//! (pending until signalled), sync_files and DRM nodes. These run in the guest of
//! `scripts/test-vm` (Linux 6.12, Mesa 25 lavapipe with dma-buf import and export, LINEAR
//! modifiers and SYNC_FD semaphores); on a machine without `/dev/udmabuf` each says so and
//! skips, and inside the guest their absence fails the test.
//!
//! Pixels are compared exactly with a pattern the test writes itself, read back from the
//! GPU or from the buffer's own mapping.

mod common;
mod kernel;

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_validation_clean, gpu};
use kernel::{Mapping, Vgem, PAGE, SYNC_READ};
use vkcompose::dmabuf::{Dmabuf, HandleKind, Modifier};
use vkcompose::drm::{DrmNode, NodeKind, Sysfs};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{
    DeviceSelector, DmabufImport, Error, Filter, Renderer, RendererOptions, Texture, TextureDraw,
};

type Rgba = [u8; 4];

/// A pixel no two nearby pixels share, so that a wrong stride, offset or channel order
/// shows; `seed` tells two contents of one buffer apart.
fn pattern(x: u32, y: u32, seed: u32) -> Rgba {
    [
        (x * 5 + seed * 40) as u8,
        (y * 7 + seed * 90) as u8,
        ((x + y) * 3 + seed * 13) as u8,
        255,
    ]
}

/// Writes the pattern as ARGB8888 (B, G, R, A bytes) rows of `stride` bytes from `offset`.
fn write_pattern(bytes: &mut [u8], offset: usize, stride: usize, size: (u32, u32), seed: u32) {
    for y in 0..size.1 {
        for x in 0..size.0 {
            let [r, g, b, a] = pattern(x, y, seed);
            let i = offset + y as usize * stride + x as usize * 4;
            bytes[i..i + 4].copy_from_slice(&[b, g, r, a]);
        }
    }
}

fn assert_pattern(pixels: &[Rgba], size: (u32, u32), seed: u32, what: &str) {
    for y in 0..size.1 {
        for x in 0..size.0 {
            let actual = pixels[(y * size.0 + x) as usize];
            let expected = pattern(x, y, seed);
            assert_eq!(actual, expected, "{what}: pixel ({x}, {y})");
        }
    }
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

fn renderer(device: &vkcompose::Device) -> Renderer {
    Renderer::new(device, &RendererOptions::default()).unwrap()
}

fn whole(texture: &Texture) -> Rect {
    Rect::new(0, 0, texture.width() as i32, texture.height() as i32)
}

fn linear_argb(size: (u32, u32), fd: OwnedFd, offset: u64, stride: u64) -> Dmabuf {
    Dmabuf::builder(
        size.0,
        size.1,
        DrmFourcc::Argb8888,
        Modifier::LINEAR,
        HandleKind::DmaBuf,
    )
    .plane(fd, offset, stride)
    .build()
}

/// Reads `texture` back as R, G, B, A bytes.
fn read(renderer: &mut Renderer, texture: &Texture) -> Vec<Rgba> {
    let readback = renderer
        .copy_framebuffer(texture, whole(texture), DrmFourcc::Abgr8888)
        .unwrap();
    let bytes = readback.bytes().unwrap();
    bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

/// Draws `texture` whole into `target` (nearest, opaque) and returns the frame's point.
fn draw_whole(
    renderer: &mut Renderer,
    target: &Texture,
    texture: &Texture,
) -> vkcompose::SyncPoint {
    let all = whole(target);
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
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
    frame.finish().unwrap()
}

/// Shows `texture` in a fresh target of its size and reads it back.
fn show(renderer: &mut Renderer, texture: &Texture) -> Vec<Rgba> {
    let target = renderer
        .create_target(texture.width(), texture.height(), DrmFourcc::Abgr8888)
        .unwrap();
    draw_whole(renderer, &target, texture);
    read(renderer, &target)
}

/// A udmabuf client buffer: `size` ARGB8888 pixels in rows of `stride` bytes from
/// `offset`, the rest of the memfd filled with `fill`. Returns the memfd too (the client's
/// own view of the pixels).
fn udmabuf_buffer(size: (u32, u32), offset: usize, stride: usize, seed: u32) -> (OwnedFd, OwnedFd) {
    let len = round_up(offset + stride * size.1 as usize, PAGE);
    let mut bytes = vec![0xa5u8; len];
    write_pattern(&mut bytes, offset, stride, size, seed);
    let memfd = kernel::sealed_memfd(len, &bytes);
    let dmabuf = kernel::udmabuf(&memfd);
    (memfd, dmabuf)
}

#[test]
fn udmabuf_client_buffer_imports_without_copy_and_samples_exactly() {
    if !kernel::available("udmabuf import") {
        return;
    }
    let (instance, device) = gpu();
    assert_eq!(device.capabilities().dmabuf_import, DmabufImport::Native);
    let mut renderer = renderer(&device);
    // 61 pixels are 244 bytes; rows are padded to 256, and the plane starts 3 rows + 64
    // bytes into the buffer.
    let size = (61, 37);
    let (offset, stride) = (3 * 256 + 64, 256);
    let (memfd, fd) = udmabuf_buffer(size, offset, stride, 0);
    let buffer = linear_argb(size, fd, offset as u64, stride as u64);
    let texture = renderer.import_dmabuf(&buffer).unwrap();
    assert_pattern(&show(&mut renderer, &texture), size, 0, "udmabuf");

    // The client draws its next frame into the same buffer and commits it again: the same
    // texture comes back (a cache hit) and, with no copy in between, shows the new pixels.
    let mut bytes = vec![0u8; offset + stride * size.1 as usize];
    write_pattern(&mut bytes, offset, stride, size, 1);
    std::os::unix::fs::FileExt::write_all_at(
        &std::fs::File::from(memfd.try_clone().unwrap()),
        &bytes[offset..],
        offset as u64,
    )
    .unwrap();
    let again = renderer.import_dmabuf(&buffer.clone()).unwrap();
    assert!(
        Arc::ptr_eq(&texture, &again),
        "the same buffer is a cache hit"
    );
    assert_pattern(
        &show(&mut renderer, &again),
        size,
        1,
        "udmabuf, next commit",
    );
    assert_validation_clean(&instance);
}

#[test]
fn vgem_prime_buffer_samples_exactly() {
    if !kernel::available("vgem import") {
        return;
    }
    let (instance, device) = gpu();
    let mut renderer = renderer(&device);
    let vgem = Vgem::open();
    // Two rows more than the picture, which starts on the third: a plane offset.
    let size = (50u32, 30u32);
    let bo = vgem.dumb_buffer(size.0, size.1 + 2);
    let (pitch, offset) = (bo.pitch as usize, 2 * bo.pitch as usize);
    assert!(pitch >= size.0 as usize * 4);
    let mut map = Mapping::new(bo.dmabuf.as_fd(), bo.size as usize);
    map.with(bo.dmabuf.as_fd(), |b| {
        write_pattern(b, offset, pitch, size, 2)
    });
    let buffer = linear_argb(size, bo.dmabuf, offset as u64, pitch as u64);
    let texture = renderer.import_dmabuf(&buffer).unwrap();
    assert_pattern(&show(&mut renderer, &texture), size, 2, "vgem");
    let again = renderer.import_dmabuf(&buffer).unwrap();
    assert!(
        Arc::ptr_eq(&texture, &again),
        "the same buffer is a cache hit"
    );
    assert_validation_clean(&instance);
}

/// Clears `target` to `background` and draws a `color` square at (8, 4) of 16x12.
fn paint(renderer: &mut Renderer, target: &Texture, background: Rgba, color: Rgba) {
    let f = |c: Rgba| c.map(|v| f32::from(v) / 255.0);
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    frame.clear(f(background), &[whole(target)]).unwrap();
    let square = Rect::new(8, 4, 16, 12);
    frame.draw_solid(square, &[square], f(color)).unwrap();
    frame.finish().unwrap().wait(Duration::MAX).unwrap();
}

/// Checks the painted picture in ARGB8888 bytes, and that the row padding kept `pad`.
fn assert_painted(
    bytes: &[u8],
    layout: (usize, usize),
    size: (u32, u32),
    colors: (Rgba, Rgba),
    pad: u8,
) {
    let (offset, stride) = layout;
    for y in 0..size.1 as usize {
        for x in 0..size.0 as usize {
            let inside = (8..24).contains(&x) && (4..16).contains(&y);
            let [r, g, b, a] = if inside { colors.1 } else { colors.0 };
            let i = offset + y * stride + x * 4;
            assert_eq!(bytes[i..i + 4], [b, g, r, a], "pixel ({x}, {y})");
        }
        let padding = &bytes[offset + y * stride + size.0 as usize * 4..offset + (y + 1) * stride];
        assert!(
            padding.iter().all(|&p| p == pad),
            "row {y}'s padding was written"
        );
    }
}

#[test]
fn rendering_into_udmabuf_and_vgem_buffers_reaches_their_memory() {
    if !kernel::available("render into dma-bufs") {
        return;
    }
    let (instance, device) = gpu();
    let mut renderer = renderer(&device);
    let colors = ([20, 40, 60, 255], [250, 128, 3, 255]);
    let size = (40u32, 24u32);

    let (offset, stride) = (PAGE, 192);
    let (memfd, fd) = udmabuf_buffer(size, offset, stride, 0);
    let target = renderer
        .import_dmabuf(&linear_argb(size, fd, offset as u64, stride as u64))
        .unwrap();
    paint(&mut renderer, &target, colors.0, colors.1);
    let len = round_up(offset + stride * size.1 as usize, PAGE);
    let mut client_view = Mapping::new(memfd.as_fd(), len);
    client_view.with(memfd.as_fd(), |b| {
        assert_painted(b, (offset, stride), size, colors, 0xa5)
    });

    let vgem = Vgem::open();
    let bo = vgem.dumb_buffer(size.0, size.1);
    let mut map = Mapping::new(bo.dmabuf.as_fd(), bo.size as usize);
    map.with(bo.dmabuf.as_fd(), |b| b.fill(0x5a));
    let dmabuf = bo.dmabuf.try_clone().unwrap();
    let target = renderer
        .import_dmabuf(&linear_argb(size, dmabuf, 0, u64::from(bo.pitch)))
        .unwrap();
    paint(&mut renderer, &target, colors.1, colors.0);
    map.with(bo.dmabuf.as_fd(), |b| {
        assert_painted(b, (0, bo.pitch as usize), size, (colors.1, colors.0), 0x5a)
    });
    assert_validation_clean(&instance);
}

#[test]
fn exported_dmabuf_targets_import_into_a_second_renderer() {
    if !kernel::available("dma-buf export") {
        return;
    }
    let (instance, device) = gpu();
    let second = vkcompose::Device::new(&instance).unwrap();
    let (mut producer, mut consumer) = (renderer(&device), renderer(&second));
    let size = (48u32, 32u32);
    let (target, desc) = producer
        .create_exported_target(
            size.0,
            size.1,
            DrmFourcc::Argb8888,
            &[Modifier::LINEAR],
            HandleKind::DmaBuf,
        )
        .unwrap();
    assert_eq!(desc.modifier(), Modifier::LINEAR);
    assert_eq!(desc.kind(), HandleKind::DmaBuf);
    assert_eq!(desc.planes().len(), 1);
    let plane = &desc.planes()[0];
    assert!(
        plane.stride >= u64::from(size.0) * 4,
        "stride {}",
        plane.stride
    );
    println!(
        "exported: {}x{} {:?} {}, offset {}, stride {}",
        desc.width(),
        desc.height(),
        desc.fourcc(),
        desc.modifier(),
        plane.offset,
        plane.stride
    );
    let colors = ([200, 10, 90, 255], [5, 230, 70, 255]);
    paint(&mut producer, &target, colors.0, colors.1);

    let imported = consumer.import_dmabuf(&desc).unwrap();
    let pixels = show(&mut consumer, &imported);
    let mut bytes = Vec::new();
    for p in &pixels {
        let [r, g, b, a] = *p;
        bytes.extend_from_slice(&[b, g, r, a]);
    }
    assert_painted(&bytes, (0, size.0 as usize * 4), size, colors, 0);

    // The fd is a real dma-buf: its mapping holds the same pixels.
    let len = (plane.offset + plane.stride * u64::from(size.1)) as usize;
    let mut map = Mapping::new(plane.fd.as_fd(), round_up(len, PAGE));
    map.with(plane.fd.as_fd(), |b| {
        assert_painted(
            b,
            (plane.offset as usize, plane.stride as usize),
            size,
            colors,
            0,
        )
    });
    assert_validation_clean(&instance);
}

#[test]
fn a_pending_client_fence_is_waited_for_on_the_gpu() {
    if !kernel::available("implicit sync before") {
        return;
    }
    let (instance, device) = gpu();
    let mut renderer = renderer(&device);
    let vgem = Vgem::open();
    let size = (32u32, 16u32);
    let bo = vgem.dumb_buffer(size.0, size.1);
    let pitch = bo.pitch as usize;
    let mut map = Mapping::new(bo.dmabuf.as_fd(), bo.size as usize);
    map.with(bo.dmabuf.as_fd(), |b| write_pattern(b, 0, pitch, size, 0));
    let client = bo.dmabuf.try_clone().unwrap();
    let texture = renderer
        .import_dmabuf(&linear_argb(size, client, 0, pitch as u64))
        .unwrap();
    let target = renderer
        .create_target(size.0, size.1, DrmFourcc::Abgr8888)
        .unwrap();

    // A first frame builds the pipelines (slow under emulation), so that the timed one
    // below only records and submits.
    draw_whole(&mut renderer, &target, &texture)
        .wait(Duration::from_secs(30))
        .unwrap();

    // The client is still drawing: its buffer carries a pending write fence. Another
    // thread finishes the drawing (seed 1) and signals the fence 1.5 s from now.
    let fence = vgem.attach_write_fence(&bo);
    let signaller = vgem.try_clone();
    let fd = bo.dmabuf.try_clone().unwrap();
    let start = Instant::now();
    let client_thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = fd;
        map.unsynced(|b| write_pattern(b, 0, pitch, size, 1));
        signaller.signal(fence);
        Instant::now()
    });
    let point = draw_whole(&mut renderer, &target, &texture);
    let finished = Instant::now();
    let reached_early = point.is_reached().unwrap();
    let signalled = client_thread.join().unwrap();
    println!(
        "finish() returned after {:?}; the fence was signalled after {:?}",
        finished - start,
        signalled - start
    );
    assert!(
        finished < signalled,
        "finish() waited for the client's fence on the CPU"
    );
    assert!(
        !reached_early,
        "the frame ran before the client's fence was signalled"
    );
    assert!(point.wait(Duration::from_secs(20)).unwrap());
    assert_pattern(
        &read(&mut renderer, &target),
        size,
        1,
        "the drawing after the fence",
    );
    assert_validation_clean(&instance);
}

#[test]
fn a_frame_into_a_dmabuf_attaches_its_fence_for_readers() {
    if !kernel::available("implicit sync after") {
        return;
    }
    let (instance, device) = gpu();
    let mut renderer = renderer(&device);
    let vgem = Vgem::open();
    let size = (32u32, 24u32);
    let bo = vgem.dumb_buffer(size.0, size.1);
    let before = kernel::export_sync_file(bo.dmabuf.as_fd(), SYNC_READ);
    let fences_before = kernel::sync_file_fences(before.as_fd()).unwrap();
    let fd = bo.dmabuf.try_clone().unwrap();
    let target = renderer
        .import_dmabuf(&linear_argb(size, fd, 0, u64::from(bo.pitch)))
        .unwrap();
    let colors = ([1, 2, 3, 255], [90, 80, 70, 255]);
    let f = |c: Rgba| c.map(|v| f32::from(v) / 255.0);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear(f(colors.0), &[whole(&target)]).unwrap();
    let square = Rect::new(8, 4, 16, 12);
    frame.draw_solid(square, &[square], f(colors.1)).unwrap();
    let (point, file) = frame.finish_with_sync_file().unwrap();
    let frame_fences = kernel::sync_file_fences(file.fd().unwrap().as_fd()).unwrap();
    // A reader (a KMS plane, a screen recorder) waits for the buffer's writers: the
    // frame's fence is among them now.
    let after = kernel::export_sync_file(bo.dmabuf.as_fd(), SYNC_READ);
    let fences_after = kernel::sync_file_fences(after.as_fd()).unwrap();
    println!("a reader's fences before the frame: {fences_before:?}");
    println!("the frame's sync_file: {frame_fences:?}");
    println!("a reader's fences after the frame: {fences_after:?}");
    let attached = frame_fences.iter().all(|f| fences_after.contains(f));
    assert!(
        attached && !frame_fences.is_empty(),
        "the frame's fence was not attached"
    );
    assert!(kernel::poll(
        bo.dmabuf.as_fd(),
        libc::POLLIN,
        Duration::from_secs(10)
    ));
    assert!(
        point.is_reached().unwrap(),
        "the buffer polled ready before the frame was done"
    );
    let mut map = Mapping::new(bo.dmabuf.as_fd(), bo.size as usize);
    map.with(bo.dmabuf.as_fd(), |b| {
        assert_painted(b, (0, bo.pitch as usize), size, colors, 0)
    });
    assert_validation_clean(&instance);
}

#[test]
fn finish_with_sync_file_gives_a_real_sync_file_and_steady_frames_create_nothing() {
    if !kernel::available("frame sync_files") {
        return;
    }
    let (instance, device) = gpu();
    assert!(
        device.capabilities().sync_file.export,
        "Mesa 25 lavapipe exports sync_files"
    );
    let mut renderer = renderer(&device);
    let target = renderer.create_target(16, 16, DrmFourcc::Abgr8888).unwrap();
    let frame_with_file = |renderer: &mut Renderer| {
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        frame
            .clear([0.5, 0.25, 0.0, 1.0], &[whole(&target)])
            .unwrap();
        frame.finish_with_sync_file().unwrap()
    };
    for _ in 0..3 {
        frame_with_file(&mut renderer);
    }
    let objects = device.objects_created();
    for _ in 0..30 {
        let (point, file) = frame_with_file(&mut renderer);
        let fd = file.fd().expect("a sync_file fd");
        kernel::sync_file_fences(fd.as_fd()).expect("the fd is a sync_file");
        assert!(kernel::poll(
            fd.as_fd(),
            libc::POLLIN,
            Duration::from_secs(10)
        ));
        assert!(point.wait(Duration::from_secs(10)).unwrap());
    }
    assert_eq!(
        device.objects_created() - objects,
        0,
        "objects created by 30 steady frames"
    );
    assert_validation_clean(&instance);
}

#[test]
fn drm_nodes_of_vgem_and_their_siblings() {
    if !kernel::available("DRM nodes") {
        return;
    }
    let primary = DrmNode::from_path("/dev/dri/card0").unwrap();
    let render = DrmNode::from_path("/dev/dri/renderD128").unwrap();
    assert_eq!(primary.kind(), NodeKind::Primary);
    assert_eq!(render.kind(), NodeKind::Render);
    let sysfs = Sysfs::system();
    assert_eq!(
        primary.render_node(&sysfs).map(|n| n.id()),
        Some(render.id())
    );
    assert_eq!(
        render.primary_node(&sysfs).map(|n| n.id()),
        Some(primary.id())
    );
    println!(
        "{primary} / {render}: PCI {:?}",
        primary.pci_address(&sysfs)
    );

    // vgem is no Vulkan device, and lavapipe has no VK_EXT_physical_device_drm: selecting
    // by the node fails, naming what every device reported.
    let (instance, _device) = gpu();
    let err =
        vkcompose::select_device(&instance, &DeviceSelector::Drm(render.clone())).unwrap_err();
    assert!(matches!(err, Error::NoMatchingDevice(_)), "{err}");
    let text = err.to_string();
    println!("{text}");
    assert!(
        text.contains("226:128") && text.contains("llvmpipe"),
        "{text}"
    );
    assert!(text.contains("VK_EXT_physical_device_drm"), "{text}");
}

/// Smithay's `Frame::wait` with a client's pending fence (an acquire point of
/// linux-drm-syncobj or an implicit fence, handed over as a sync_file) becomes a wait of
/// the frame's submission on the GPU: the call returns at once, and the frame's draw sees
/// what the client wrote before it signalled.
#[cfg(feature = "smithay")]
mod smithay_wait {
    use super::*;
    use smithay::backend::allocator::dmabuf::{Dmabuf as SmithayDmabuf, DmabufFlags};
    use smithay::backend::allocator::{Fourcc, Modifier as SmithayModifier};
    use smithay::backend::renderer::sync::{Fence, Interrupted, SyncPoint};
    use smithay::backend::renderer::Renderer as _;
    use smithay::backend::renderer::{Bind, ExportMem, Frame as _, ImportDma, Offscreen};
    use smithay::utils::{Rectangle, Transform as SmithayTransform};
    use vkcompose::smithay::{VulkanRenderer, VulkanTexture};

    /// A foreign fence: a sync_file from vgem, exportable as Smithay expects of them.
    #[derive(Debug)]
    struct SyncFileFence(OwnedFd);

    impl Fence for SyncFileFence {
        fn is_signaled(&self) -> bool {
            kernel::poll(self.0.as_fd(), libc::POLLIN, Duration::ZERO)
        }
        fn wait(&self) -> Result<(), Interrupted> {
            kernel::poll(self.0.as_fd(), libc::POLLIN, Duration::from_secs(30))
                .then_some(())
                .ok_or(Interrupted)
        }
        fn is_exportable(&self) -> bool {
            true
        }
        fn export(&self) -> Option<OwnedFd> {
            self.0.try_clone().ok()
        }
    }

    #[test]
    fn a_foreign_sync_file_is_waited_for_on_the_gpu() {
        if !kernel::available("Smithay Frame::wait") {
            return;
        }
        let (instance, device) = gpu();
        let mut renderer = VulkanRenderer::new(super::renderer(&device));
        let size = (24u32, 20u32);
        let (offset, stride) = (0, 128);
        let (memfd, fd) = udmabuf_buffer(size, offset, stride, 0);
        let mut builder = SmithayDmabuf::builder(
            (size.0 as i32, size.1 as i32),
            Fourcc::Argb8888,
            SmithayModifier::Linear,
            DmabufFlags::empty(),
        );
        assert!(builder.add_plane(fd, 0, offset as u32, stride as u32));
        let client_buffer = builder.build().unwrap();
        let texture = renderer.import_dmabuf(&client_buffer, None).unwrap();
        let mut target: VulkanTexture = renderer
            .create_buffer(Fourcc::Abgr8888, (size.0 as i32, size.1 as i32).into())
            .unwrap();

        // The fence comes from another vgem buffer, so only the explicit wait orders the
        // frame after the client's drawing.
        let vgem = Vgem::open();
        let other = vgem.dumb_buffer(4, 4);
        let fence = vgem.attach_write_fence(&other);
        let sync_file = kernel::export_sync_file(other.dmabuf.as_fd(), SYNC_READ);
        assert!(!kernel::poll(
            sync_file.as_fd(),
            libc::POLLIN,
            Duration::ZERO
        ));
        let acquire = SyncPoint::from(SyncFileFence(sync_file));
        let signaller = vgem.try_clone();
        let len = round_up(offset + stride * size.1 as usize, PAGE);
        let mut client_view = Mapping::new(memfd.as_fd(), len);
        let client = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            let memfd = memfd;
            client_view.with(memfd.as_fd(), |b| write_pattern(b, offset, stride, size, 1));
            signaller.signal(fence);
        });

        let whole = Rectangle::from_size((size.0 as i32, size.1 as i32).into());
        let waited = {
            let mut framebuffer = renderer.bind(&mut target).unwrap();
            let mut frame = renderer
                .render(&mut framebuffer, whole.size, SmithayTransform::Normal)
                .unwrap();
            let start = Instant::now();
            frame.wait(&acquire).unwrap();
            let waited = start.elapsed();
            frame
                .render_texture_from_to(
                    &texture,
                    Rectangle::from_size((f64::from(size.0), f64::from(size.1)).into()),
                    whole,
                    &[whole],
                    &[],
                    SmithayTransform::Normal,
                    1.0,
                )
                .unwrap();
            frame.finish().unwrap().wait().unwrap();
            waited
        };
        client.join().unwrap();
        println!("Frame::wait returned after {waited:?}");
        assert!(
            waited < Duration::from_millis(300),
            "Frame::wait blocked for {waited:?}"
        );
        let mapping = renderer
            .copy_texture(
                &target,
                Rectangle::<i32, smithay::utils::Buffer>::from_size(
                    (size.0 as i32, size.1 as i32).into(),
                ),
                Fourcc::Abgr8888,
            )
            .unwrap();
        let bytes = renderer.map_texture(&mapping).unwrap();
        let pixels: Vec<Rgba> = bytes.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect();
        assert_pattern(&pixels, size, 1, "the drawing the client signalled");
        assert_validation_clean(&instance);
    }
}

/// Where the driver imports no dma-buf (Venus, MoltenVK, NVIDIA here: a device built
/// without the extension stands in for one), a real dma-buf's mapping is imported as host
/// memory and copied by the GPU, bracketed by the kernel's CPU-access ioctls; a pending
/// client fence is waited for before the copy.
#[test]
fn without_dmabuf_import_a_real_dmabuf_is_copied_from_its_host_imported_mapping() {
    if !kernel::available("host-mapped dma-bufs") {
        return;
    }
    let (instance, _) = gpu();
    let physical = vkcompose::select_device(&instance, &DeviceSelector::Best).unwrap();
    let device = vkcompose::DeviceBuilder::new(&physical)
        .unwrap()
        .dmabuf_import(false)
        .build()
        .unwrap();
    assert_eq!(
        device.capabilities().dmabuf_import,
        DmabufImport::HostMapping
    );
    let mut renderer = renderer(&device);
    let size = (45u32, 21u32);
    let (offset, stride) = (2 * PAGE, 192);
    let (_memfd, fd) = udmabuf_buffer(size, offset, stride, 3);
    let buffer = linear_argb(size, fd, offset as u64, stride as u64);
    let texture = renderer.import_dmabuf(&buffer).unwrap();
    assert_eq!(
        renderer.dmabuf_path(&buffer),
        Some(vkcompose::dmabuf::DmabufPath::HostMappingCopy)
    );
    assert_pattern(
        &show(&mut renderer, &texture),
        size,
        3,
        "udmabuf through its mapping",
    );

    // A vgem buffer whose client is still drawing: the import waits for its fence.
    let vgem = Vgem::open();
    let bo = vgem.dumb_buffer(size.0, size.1);
    let pitch = bo.pitch as usize;
    let mut map = Mapping::new(bo.dmabuf.as_fd(), bo.size as usize);
    map.unsynced(|b| write_pattern(b, 0, pitch, size, 0));
    let fence = vgem.attach_write_fence(&bo);
    let signaller = vgem.try_clone();
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        map.unsynced(|b| write_pattern(b, 0, pitch, size, 4));
        signaller.signal(fence);
    });
    let fd = bo.dmabuf.try_clone().unwrap();
    let buffer = linear_argb(size, fd, 0, pitch as u64);
    let texture = renderer.import_dmabuf(&buffer).unwrap();
    client.join().unwrap();
    assert_pattern(
        &show(&mut renderer, &texture),
        size,
        4,
        "vgem after its fence",
    );
    assert_validation_clean(&instance);
}
