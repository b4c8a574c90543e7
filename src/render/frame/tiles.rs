//! The linear path's tiled draw (`texture_tiled_decode`): a texture array of plain sRGB
//! sources drawn by screen tiles instead of quad by quad. The CPU sorts the quads into
//! the tiles they touch (in order, so each tile's list is bottom-most first); each tile is
//! one instance, whose pixels composite their list in the shader, in linear light in
//! registers, top-most first until an opaque texel, and blend the result once.
//!
//! Why: blending into an sRGB view or a float buffer is what makes the linear path dear
//! on GPUs (their blenders read, convert and write every layer's pixels); one blend per
//! pixel leaves the shader's arithmetic, and layers hidden under opaque ones cost nothing.
//! The pixels are those of the quad-by-quad draw but more exact: the layers are
//! composited in 32-bit floats, rounded once, where blending rounds each layer to the
//! target's format.

use crate::error::Result;
use crate::pipelines::recorder::{PassRecorder, Scratch};
use crate::pipelines::SampledTexture;
use crate::shaders::{passes, sets, texture_indexed, texture_tiled_decode};

/// A tile's side in pixels.
const TILE: u32 = 32;

/// The words of one quad in the shader's data: the texture-array instance, field for field.
const QUAD_WORDS: usize = 12;
const _: () = assert!(std::mem::size_of::<texture_indexed::Instance>() == QUAD_WORDS * 4);

/// The most bytes a storage buffer binding may span on every device (Vulkan's least
/// `maxStorageBufferRange`); a frame of more quads and lists draws quad by quad.
const MAX_BOUND_BYTES: usize = 1 << 27;

/// The words of one tile instance.
const TILE_WORDS: usize = 6;
const _: () = assert!(std::mem::size_of::<texture_tiled_decode::Instance>() == TILE_WORDS * 4);

/// Sources of one decoding drawn by tiles: the texture array, its quads, and the columns
/// of the matrix that takes their decoded light to the output's.
pub(super) struct TiledDraw<'d> {
    pub textures: &'d [SampledTexture<'d>],
    pub instances: &'d [texture_indexed::Instance],
    pub to_output: [[f32; 4]; 3],
}

/// Draws `draw` by tiles of the pass's target if its quads lie at least `min_depth` deep
/// on average over the tiles they touch; false, drawing nothing, if not (where drawing
/// quad by quad costs less).
pub(super) fn draw_tiled(
    pass: &mut PassRecorder<'_, passes::Output>,
    pipeline: &texture_tiled_decode::Pipeline,
    draw: &TiledDraw<'_>,
    min_depth: f64,
) -> Result<bool> {
    let mut scratch = pass.recorder.take_scratch();
    let drawn = draw_with(pass, pipeline, draw, min_depth, &mut scratch);
    pass.recorder.give_scratch(scratch);
    drawn
}

fn draw_with(
    pass: &mut PassRecorder<'_, passes::Output>,
    pipeline: &texture_tiled_decode::Pipeline,
    draw: &TiledDraw<'_>,
    min_depth: f64,
    scratch: &mut Scratch,
) -> Result<bool> {
    let instances = draw.instances;
    let [width, height] = pass.target_size().map(|s| s as u32);
    let grid = Grid::new(width, height);
    let [ends, entries, tiles] = &mut scratch.words;
    let covered = bin(&grid, instances, ends, entries);
    tile_instances(&grid, ends, (instances.len() * QUAD_WORDS) as u32, tiles);
    let tile_pixels = (tiles.len() / TILE_WORDS) as f64 * f64::from(TILE * TILE);
    if tiles.is_empty() || (covered as f64) < min_depth * tile_pixels {
        return Ok(false);
    }
    let quads: &[u8] = bytemuck::cast_slice(instances);
    let entries: &[u8] = bytemuck::cast_slice(entries);
    if quads.len() + entries.len() > MAX_BOUND_BYTES {
        return Ok(false);
    }
    let (data, offset) = pass.storage_data(&[quads, entries])?;
    if offset as usize + quads.len() + entries.len() > MAX_BOUND_BYTES {
        return Ok(false);
    }
    let push = texture_tiled_decode::Push {
        target_size: pass.target_size(),
        quads: (offset / 4) as u32,
        to_output_0: draw.to_output[0],
        to_output_1: draw.to_output[1],
        to_output_2: draw.to_output[2],
        ..bytemuck::Zeroable::zeroed()
    };
    let set = sets::TiledSources {
        data,
        textures: draw.textures,
    };
    pass.draw(pipeline, &push, set, bytemuck::cast_slice(tiles))?;
    Ok(true)
}

/// The target's tiles: `columns` x `rows` of `TILE` pixels, the last ones cut by its
/// edges.
struct Grid {
    width: u32,
    height: u32,
    columns: u32,
    rows: u32,
}

impl Grid {
    fn new(width: u32, height: u32) -> Grid {
        Grid {
            width,
            height,
            columns: width.div_ceil(TILE),
            rows: height.div_ceil(TILE),
        }
    }

    fn count(&self) -> usize {
        (self.columns * self.rows) as usize
    }

    /// The tiles holding the pixels from the first to the last of `columns` and of
    /// `rows`: one range of tile indices per row of tiles.
    fn tile_rows(
        &self,
        columns: [u32; 2],
        rows: [u32; 2],
    ) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let [x0, x1] = columns.map(|p| (p / TILE) as usize);
        (rows[0] / TILE..rows[1] / TILE + 1).map(move |row| {
            let start = (row * self.columns) as usize;
            start + x0..start + x1 + 1
        })
    }

    /// The pixels whose centres `dst` covers (the rasterizer's rule): the first and last
    /// column and row; `None` where it covers none.
    fn covered(&self, dst: [f32; 4]) -> Option<([u32; 2], [u32; 2])> {
        let [x, y, w, h] = dst;
        let columns = covered_pixels(x, w, self.width)?;
        let rows = covered_pixels(y, h, self.height)?;
        Some((columns, rows))
    }
}

/// The first and last pixel of `0..size` whose centre lies in `[start, start + len)`.
fn covered_pixels(start: f32, len: f32, size: u32) -> Option<[u32; 2]> {
    // Centre p + 0.5 is in [start, end) for p in ceil(start - 0.5) .. ceil(end - 0.5).
    let first = (start - 0.5).ceil().max(0.0);
    let end = (start + len - 0.5).ceil().min(size as f32);
    (first < end).then(|| [first as u32, end as u32 - 1])
}

/// Sorts the instances into the tiles they touch: `entries` holds every tile's list, tile
/// after tile, each in the instances' order; `ends[t]` is where tile `t`'s list ends.
/// Returns how many pixels the instances cover, counting each layer.
fn bin(
    grid: &Grid,
    instances: &[texture_indexed::Instance],
    ends: &mut Vec<u32>,
    entries: &mut Vec<u32>,
) -> u64 {
    ends.clear();
    ends.resize(grid.count(), 0);
    // Count, then turn the counts into each list's start...
    let mut covered = 0;
    for instance in instances {
        if let Some((columns, rows)) = grid.covered(instance.dst) {
            covered += u64::from(columns[1] - columns[0] + 1) * u64::from(rows[1] - rows[0] + 1);
            for tiles in grid.tile_rows(columns, rows) {
                ends[tiles].iter_mut().for_each(|count| *count += 1);
            }
        }
    }
    let mut total = 0;
    for slot in ends.iter_mut() {
        let count = *slot;
        *slot = total;
        total += count;
    }
    // ...and fill: each tile's cursor moves from its start to its end.
    entries.clear();
    entries.resize(total as usize, 0);
    for (index, instance) in instances.iter().enumerate() {
        if let Some((columns, rows)) = grid.covered(instance.dst) {
            for tiles in grid.tile_rows(columns, rows) {
                for cursor in &mut ends[tiles] {
                    entries[*cursor as usize] = index as u32;
                    *cursor += 1;
                }
            }
        }
    }
    covered
}

/// One instance per tile with a non-empty list: the tile's rectangle, and its list's start
/// (in words after the quads, which take `quad_words`) and length.
fn tile_instances(grid: &Grid, ends: &[u32], quad_words: u32, tiles: &mut Vec<u32>) {
    tiles.clear();
    let mut start = 0;
    for (t, &end) in ends.iter().enumerate() {
        if end > start {
            let (column, row) = (t as u32 % grid.columns, t as u32 / grid.columns);
            let (x, y) = (column * TILE, row * TILE);
            let (w, h) = (TILE.min(grid.width - x), TILE.min(grid.height - y));
            let dst = [x, y, w, h].map(|v| (v as f32).to_bits());
            tiles.extend_from_slice(&dst);
            tiles.extend_from_slice(&[quad_words + start, end - start]);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quad(dst: [f32; 4]) -> texture_indexed::Instance {
        texture_indexed::Instance {
            dst,
            ..bytemuck::Zeroable::zeroed()
        }
    }

    #[test]
    fn pixels_are_covered_by_their_centres() {
        assert_eq!(covered_pixels(0.0, 32.0, 100), Some([0, 31]));
        assert_eq!(covered_pixels(0.5, 1.0, 100), Some([0, 0]));
        assert_eq!(covered_pixels(0.6, 1.0, 100), Some([1, 1]));
        assert_eq!(covered_pixels(0.6, 0.5, 100), None);
        assert_eq!(covered_pixels(-10.0, 20.0, 100), Some([0, 9]));
        assert_eq!(covered_pixels(90.0, 20.0, 100), Some([90, 99]));
        assert_eq!(covered_pixels(100.0, 20.0, 100), None);
    }

    #[test]
    fn every_tile_lists_its_quads_in_order() {
        let grid = Grid::new(70, 40);
        assert_eq!((grid.columns, grid.rows), (3, 2));
        let quads = [
            quad([0.0, 0.0, 70.0, 40.0]),
            quad([40.0, 10.0, 10.0, 10.0]),
            quad([31.0, 31.0, 2.0, 2.0]),
            quad([0.0, 0.0, 0.0, 10.0]),
        ];
        let (mut ends, mut entries, mut tiles) = (Vec::new(), Vec::new(), Vec::new());
        let covered = bin(&grid, &quads, &mut ends, &mut entries);
        assert_eq!(covered, 70 * 40 + 10 * 10 + 2 * 2);
        assert_eq!(ends, [2, 5, 6, 8, 10, 11]);
        let lists: Vec<&[u32]> = (0..grid.count())
            .map(|t| &entries[if t == 0 { 0 } else { ends[t - 1] as usize }..ends[t] as usize])
            .collect();
        assert_eq!(
            lists,
            [&[0, 2][..], &[0, 1, 2], &[0], &[0, 2], &[0, 2], &[0]]
        );
        tile_instances(&grid, &ends, 100, &mut tiles);
        let instances: &[texture_tiled_decode::Instance] = bytemuck::cast_slice(&tiles);
        assert_eq!(instances.len(), 6);
        assert_eq!(instances[2].dst, [64.0, 0.0, 6.0, 32.0]);
        assert_eq!(instances[2].entries, [105, 1]);
        assert_eq!(instances[5].dst, [64.0, 32.0, 6.0, 8.0]);
    }
}
