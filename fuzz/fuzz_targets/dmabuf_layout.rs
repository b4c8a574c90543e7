//! dmabuf descriptions against a modifier table: a table built from a fake driver's
//! arbitrary answers, then arbitrary descriptions validated against it. Validation never
//! panics, and what it accepts is safe to hand to Vulkan: the table's entry, one plane per
//! memory plane, every plane's rows inside its memory object, disjoint only where allowed,
//! the size within the entry's limit.
#![no_main]

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, OnceLock};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use vkcompose::dmabuf::{
    plane_layout, Dmabuf, DriverModifier, HandleKind, ImageAnswer, ImageQuery, Modifier,
    ModifierQueries, ModifierTable, Purpose, Tiling, ValidatedLayout,
};
use vkcompose::format::{all_formats, DrmFourcc};
use vkcompose::vk;

/// A driver answering from the fuzzer's bytes.
struct FakeDriver<'a, 'b> {
    u: &'b mut Unstructured<'a>,
}

impl ModifierQueries for FakeDriver<'_, '_> {
    fn modifiers(&mut self, _format: vk::Format) -> Vec<DriverModifier> {
        let count = self.u.int_in_range(0..=4).unwrap_or(0);
        (0..count)
            .map(|_| DriverModifier {
                modifier: Modifier(modifier(self.u)),
                plane_count: self.u.int_in_range(0..=5).unwrap_or(1),
                features: vk::FormatFeatureFlags::from_raw(self.u.arbitrary().unwrap_or(0)),
            })
            .collect()
    }

    fn format_properties(&mut self, _format: vk::Format) -> vk::FormatProperties {
        let mut flags = || vk::FormatFeatureFlags::from_raw(self.u.arbitrary().unwrap_or(0));
        vk::FormatProperties {
            linear_tiling_features: flags(),
            optimal_tiling_features: flags(),
            buffer_features: flags(),
        }
    }

    fn image_format(&mut self, _query: &ImageQuery) -> Option<ImageAnswer> {
        if !self.u.arbitrary::<bool>().unwrap_or(false) {
            return None;
        }
        Some(ImageAnswer {
            max_extent: vk::Extent2D {
                width: self.u.int_in_range(0..=1 << 15).unwrap_or(0),
                height: self.u.int_in_range(0..=1 << 15).unwrap_or(0),
            },
            external: vk::ExternalMemoryFeatureFlags::from_raw(self.u.arbitrary().unwrap_or(0)),
        })
    }
}

/// Mostly the modifiers drivers use, sometimes any 64 bits.
fn modifier(u: &mut Unstructured) -> u64 {
    const KNOWN: [u64; 4] = [
        0,
        0x00ff_ffff_ffff_ffff,
        0x0300_0000_0060_6015,
        0x0100_0000_0000_0002,
    ];
    match u.int_in_range(0..=4).unwrap_or(0) {
        4 => u.arbitrary().unwrap_or(0),
        i => KNOWN[i as usize],
    }
}

/// Memory objects the planes point into: four memfds (resized per input) and a pipe.
fn fds() -> &'static [Arc<OwnedFd>] {
    static FDS: OnceLock<Vec<Arc<OwnedFd>>> = OnceLock::new();
    FDS.get_or_init(|| {
        let mut fds = Vec::new();
        for _ in 0..4 {
            // SAFETY: memfd_create with a valid name; the fd is owned from here on.
            let fd = unsafe { libc::memfd_create(c"fuzz".as_ptr(), libc::MFD_CLOEXEC) };
            assert!(fd >= 0);
            // SAFETY: just created, owned by no one else.
            fds.push(Arc::new(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for the two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        // SAFETY: both just created; the write end is kept open so the pipe stays valid.
        fds.push(Arc::new(unsafe { OwnedFd::from_raw_fd(pipe[0]) }));
        std::mem::forget(unsafe { OwnedFd::from_raw_fd(pipe[1]) });
        fds
    })
}

#[derive(Arbitrary, Debug)]
struct PlaneInput {
    fd: u8,
    offset: u64,
    stride: u64,
    size: Option<u64>,
}

fn description(u: &mut Unstructured, table: &ModifierTable) -> arbitrary::Result<Dmabuf> {
    let formats = all_formats();
    let fourcc = match u.int_in_range(0..=8)? {
        0 => DrmFourcc::try_from(u.arbitrary::<u32>()?).unwrap_or(DrmFourcc::Argb8888),
        _ => formats[u.choose_index(formats.len())?].fourcc,
    };
    let entry = (!table.entries().is_empty() && u.arbitrary::<bool>()?)
        .then(|| u.choose(table.entries()).ok())
        .flatten();
    let (fourcc, modifier, kind) = match entry {
        Some(e) => (e.fourcc, e.modifier, e.kind),
        None => (
            fourcc,
            Modifier(modifier(u)),
            *u.choose(&[HandleKind::DmaBuf, HandleKind::OpaqueFd])?,
        ),
    };
    let width = small_or_any(u)?;
    let height = small_or_any(u)?;
    let mut builder = Dmabuf::builder(width, height, fourcc, modifier, kind);
    let planes: Vec<PlaneInput> = u.arbitrary()?;
    for plane in planes.into_iter().take(6) {
        let fd = fds()[plane.fd as usize % fds().len()].clone();
        let (offset, stride) = (small_or(plane.offset), small_or(plane.stride));
        builder = match plane.size {
            Some(size) => builder.plane_with_size(fd, offset, stride, small_or(size)),
            None => builder.plane(fd, offset, stride),
        };
    }
    Ok(builder.build())
}

fn small_or_any(u: &mut Unstructured) -> arbitrary::Result<u32> {
    Ok(match u.arbitrary::<bool>()? {
        true => u.int_in_range(0..=4096)?,
        false => u.arbitrary()?,
    })
}

/// Mostly plausible byte counts, sometimes the extremes.
fn small_or(value: u64) -> u64 {
    match value >> 62 {
        0 => value % (1 << 24),
        1 => value % (1 << 34),
        _ => value,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(drm_modifiers) = u.arbitrary::<bool>() else {
        return;
    };
    let kinds = [HandleKind::DmaBuf, HandleKind::OpaqueFd];
    let table =
        ModifierTable::from_queries("fuzz", drm_modifiers, &kinds, &mut FakeDriver { u: &mut u });
    let _ = table.to_string();
    for kind in kinds {
        for (fourcc, _) in table.texture_formats(kind) {
            let _ = table.exportable_modifiers(fourcc, kind);
        }
        let _ = table.render_formats(kind);
    }
    // Memory object sizes for this input.
    for fd in &fds()[..4] {
        let size = small_or(u.arbitrary().unwrap_or(0));
        // SAFETY: a memfd of ours; ftruncate has no memory-safety preconditions.
        unsafe {
            libc::ftruncate(
                std::os::fd::AsRawFd::as_raw_fd(&**fd),
                size.min(1 << 34) as i64,
            )
        };
    }
    while let Ok(buffer) = description(&mut u, &table) {
        for purpose in [Purpose::Texture, Purpose::Render] {
            match buffer.validate_for(&table, purpose) {
                Ok(layout) => check_accepted(&buffer, &table, purpose, &layout),
                Err(e) => drop(e.to_string()),
            }
        }
        if u.is_empty() {
            break;
        }
    }
});

fn check_accepted(
    buffer: &Dmabuf,
    table: &ModifierTable,
    purpose: Purpose,
    layout: &ValidatedLayout,
) {
    let entry = table
        .find(buffer.fourcc(), buffer.modifier(), buffer.kind())
        .expect("accepted buffers have an entry");
    assert_eq!(&layout.support, entry);
    let max = purpose.extent(entry).expect("the entry serves the purpose");
    assert!(buffer.width() >= 1 && buffer.height() >= 1);
    assert!(buffer.width() <= max.width && buffer.height() <= max.height);
    assert_eq!(buffer.planes().len(), entry.memory_planes as usize);
    assert_eq!(layout.planes.len(), buffer.planes().len());
    assert_eq!(layout.plane_memory.len(), buffer.planes().len());
    assert!(!layout.memories.is_empty());
    assert!(
        layout.memories.len() == 1 || entry.disjoint,
        "disjoint planes without DISJOINT"
    );
    assert!(plane_layout(buffer.fourcc()).is_some());
    if entry.tiling == Tiling::Optimal {
        return;
    }
    for (i, plane) in layout.planes.iter().enumerate() {
        let memory = layout.memories[layout.plane_memory[i]];
        let Some(extent) = plane.extent else { continue };
        assert!(plane.stride >= plane.row_bytes, "plane {i}: {plane:?}");
        let end = u128::from(plane.offset)
            + u128::from(plane.stride) * u128::from(extent.height.saturating_sub(1))
            + u128::from(plane.row_bytes);
        // A size of 0 is one Vulkan asks the kernel for (dma-bufs only).
        assert!(
            memory.1 == 0 && buffer.kind() == HandleKind::DmaBuf || end <= u128::from(memory.1),
            "plane {i} ends at byte {end} of a {}-byte memory object: {plane:?} {layout:?}",
            memory.1
        );
    }
}
