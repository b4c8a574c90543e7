//! No fd leaks: importing and dropping 10,000 buffers leaves the process's open fd count
//! where it was. Alone in its test binary, so that no other test opens fds meanwhile.

mod common;

use common::{assert_validation_clean, gpu};
use vkcompose::dmabuf::{open_fd_count, Dmabuf, HandleKind, Tiling};
use vkcompose::format::DrmFourcc;
use vkcompose::{Device, Renderer, RendererOptions};

#[test]
fn ten_thousand_imports_and_drops_leave_no_fd_open() {
    let (instance, device) = gpu();
    let mut a = Renderer::new(&device, &RendererOptions::default()).unwrap();
    let mut b = Renderer::new(
        &Device::new(&instance).unwrap(),
        &RendererOptions::default(),
    )
    .unwrap();
    let modifiers: Vec<_> = a
        .modifier_table()
        .entries()
        .iter()
        .filter(|s| s.fourcc == DrmFourcc::Argb8888 && s.kind == HandleKind::OpaqueFd)
        .filter(|s| s.exportable && s.tiling == Tiling::Optimal)
        .map(|s| s.modifier)
        .collect();
    let (_target, buffer) = a
        .create_exported_target(
            32,
            32,
            DrmFourcc::Argb8888,
            &modifiers,
            HandleKind::OpaqueFd,
        )
        .unwrap();
    // Warm up whatever the first import creates once (caches, the driver's own fds).
    drop(b.import_dmabuf(&buffer).unwrap());
    let before = open_fd_count().unwrap();
    let objects_before = b.device().objects_created();
    for i in 0..10_000 {
        // A new description each time (a new wl_buffer of the same memory): no cache hit.
        let copy = Dmabuf::builder(
            32,
            32,
            DrmFourcc::Argb8888,
            buffer.modifier(),
            HandleKind::OpaqueFd,
        )
        .plane_with_size(
            buffer.planes()[0].fd.try_clone().unwrap(),
            buffer.planes()[0].offset,
            buffer.planes()[0].stride,
            buffer.planes()[0].size.unwrap(),
        )
        .build();
        let texture = b.import_dmabuf(&copy).unwrap();
        drop(texture);
        drop(copy);
        if i % 2_500 == 0 {
            b.wait_idle().unwrap();
        }
    }
    b.wait_idle().unwrap();
    let after = open_fd_count().unwrap();
    // Each import really made an image, its memory and its view.
    assert!(b.device().objects_created() - objects_before >= 30_000);
    assert_eq!(before, after, "open fds before and after 10,000 imports");
    drop((a, b));
    assert_validation_clean(&instance);
}
