//! shm layouts and update rectangles: a layout that passes `ShmLayout::check` never makes
//! `ShmLayout::copies` read past the bytes it was checked against, and the copies cover
//! exactly the damaged texels inside the buffer, each once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vkcompose::format::{all_formats, format_info};
use vkcompose::geometry::Rect;
use vkcompose::ShmLayout;

#[derive(Arbitrary, Debug)]
struct Input {
    format: u8,
    width: u32,
    height: u32,
    stride: u32,
    available: u64,
    max_extent: u16,
    damage: Vec<(i32, i32, i32, i32)>,
}

fuzz_target!(|input: Input| {
    let formats = all_formats();
    let fourcc = formats[input.format as usize % formats.len()].fourcc;
    let info = format_info(fourcc).expect("the table's own format");
    let layout = ShmLayout {
        fourcc,
        width: input.width,
        height: input.height,
        stride: input.stride,
    };
    // Buffers small enough to rasterize keep the exact coverage check cheap.
    let max_extent = u32::from(input.max_extent).max(1);
    if let Err(e) = layout.check(info, input.available, max_extent) {
        let _ = e.to_string();
        return;
    }
    let needed = layout.bytes_needed(info.bytes_per_pixel);
    assert!(needed <= input.available);
    let damage: Vec<Rect> = input
        .damage
        .iter()
        .take(16)
        .map(|&(x, y, w, h)| Rect::new(x, y, w, h))
        .collect();
    let copies = layout.copies(info.bytes_per_pixel, &damage);
    let bpp = info.bytes_per_pixel as usize;
    for copy in &copies {
        assert!(copy.rows > 0 && copy.row_bytes > 0, "{copy:?}");
        assert!(copy.row_bytes <= copy.stride, "{copy:?}");
        assert!(
            copy.end() as u64 <= needed,
            "{copy:?} reads past {needed} bytes"
        );
        assert_eq!(copy.row_bytes, copy.rect.w as usize * bpp);
        let texel = copy.rect.y as usize * copy.stride + copy.rect.x as usize * bpp;
        assert_eq!(copy.start, texel);
    }
    check_coverage(&layout, &damage, &copies);
});

/// Every texel of the buffer is copied once if some damage covers it, never otherwise.
fn check_coverage(layout: &ShmLayout, damage: &[Rect], copies: &[vkcompose::ShmCopy]) {
    let (w, h) = (layout.width as i64, layout.height as i64);
    if w * h > 1 << 16 {
        return;
    }
    for y in 0..h {
        for x in 0..w {
            let damaged = damage.iter().any(|r| covers(r, x, y));
            let count = copies.iter().filter(|c| covers(&c.rect, x, y)).count();
            assert_eq!(count, usize::from(damaged), "texel ({x}, {y})");
        }
    }
}

fn covers(r: &Rect, x: i64, y: i64) -> bool {
    let (rx, ry) = (i64::from(r.x), i64::from(r.y));
    !r.is_empty() && rx <= x && x < rx + i64::from(r.w) && ry <= y && y < ry + i64::from(r.h)
}
