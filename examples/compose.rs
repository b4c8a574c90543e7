//! The demo: composes a desktop scene headless with [`Renderer`] and writes each frame as
//! a PNG. Frame 0 draws everything; each later frame changes one part of one window's
//! buffer, uploads only that part and redraws only the output pixels it shows in, as a
//! compositor does with damage.
//!
//! The built-in scene has overlapping windows in ARGB8888, XRGB8888 (with a padded
//! stride), ABGR8888, RGB565, ABGR2101010 and ABGR16161616F buffers, translucent bodies, a
//! declared-opaque title bar, one window turned by a transform, one scaled up with linear
//! filtering, one cropped by a source rectangle, one faded to 60%, and solid rectangles (a
//! panel, a dock, a translucent selection) over them.
//!
//! ```text
//! scripts/demo -- --size 1920x1080 --frames 10 --output out
//! cargo run --example compose -- [--size WIDTHxHEIGHT] [--frames N] [--output DIR]
//!                                [--scene FILE.ron]
//! ```
//!
//! Each frame prints its kind, how many draws it made, the CPU time from the first call
//! that records it to `finish` returning, and the GPU time from timestamp queries.
//!
//! Scenes are RON files; `examples/scenes/default.ron` is the built-in one, and its
//! comments describe every field.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{
    Device, Filter, Frame, Instance, Renderer, RendererOptions, ShmLayout, Texture, TextureDraw,
};

const DEFAULT_SCENE: &str = include_str!("scenes/default.ron");

const USAGE: &str = "\
usage: compose [--size WIDTHxHEIGHT] [--frames N] [--output DIR] [--scene FILE.ron]
  --size    output size (default: the scene's, 1280x800 for the built-in scene)
  --frames  frames to render: one full, then partial-damage ones (default 6)
  --output  directory for frame-000.png, frame-001.png, ... (default compose-out)
  --scene   scene file (default: the built-in examples/scenes/default.ron)";

/// The largest buffer side a scene may ask for (the demo paints buffers in memory).
const MAX_BUFFER_SIZE: u32 = 16384;

/// How long a frame may take before the demo gives up on the GPU.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Options

struct Options {
    /// `None`: the scene's own size.
    size: Option<(u32, u32)>,
    frames: u32,
    output: PathBuf,
    scene: Option<PathBuf>,
}

enum Command {
    Run(Options),
    Help,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        size: None,
        frames: 6,
        output: PathBuf::from("compose-out"),
        scene: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--size" => options.size = Some(parse_size(&value("--size")?)?),
            "--frames" => {
                let text = value("--frames")?;
                options.frames = match text.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        return Err(format!(
                            "--frames needs a number of at least 1, not `{text}`"
                        ))
                    }
                };
            }
            "--output" => options.output = value("--output")?.into(),
            "--scene" => options.scene = Some(value("--scene")?.into()),
            "--help" | "-h" => return Ok(Command::Help),
            // `scripts/demo -- ARGS` hands cargo one `--` more than it eats.
            "--" => {}
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Command::Run(options))
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--size needs WIDTHxHEIGHT between 1x1 and 8192x8192, not `{text}`");
    let (w, h) = text.split_once('x').ok_or_else(bad)?;
    match (w.parse::<u32>(), h.parse::<u32>()) {
        (Ok(w @ 1..=8192), Ok(h @ 1..=8192)) => Ok((w, h)),
        _ => Err(bad()),
    }
}

// ---------------------------------------------------------------------------------------
// The scene file (see examples/scenes/default.ron for what each field means)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scene {
    size: (u32, u32),
    background: [f32; 4],
    windows: Vec<WindowSpec>,
    #[serde(default)]
    solids: Vec<SolidSpec>,
    #[serde(default)]
    animation: Option<AnimationSpec>,
}

/// An integer rectangle: x, y, width, height.
#[derive(Deserialize, Clone, Copy)]
struct Area(i32, i32, i32, i32);

/// A fractional rectangle: x, y, width, height.
#[derive(Deserialize, Clone, Copy)]
struct AreaF(f64, f64, f64, f64);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowSpec {
    name: String,
    format: String,
    buffer: (u32, u32),
    #[serde(default)]
    stride_padding: u32,
    content: Content,
    dst: Area,
    #[serde(default)]
    src: Option<AreaF>,
    #[serde(default, with = "TransformName")]
    transform: Transform,
    #[serde(default = "opaque_alpha")]
    alpha: f32,
    #[serde(default = "nearest", with = "FilterName")]
    filter: Filter,
    #[serde(default)]
    opaque: Vec<Area>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct Content {
    tint: [f32; 3],
    #[serde(default = "opaque_alpha")]
    body_alpha: f32,
    #[serde(default = "default_title_bar")]
    title_bar: u32,
    #[serde(default = "default_checker")]
    checker: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SolidSpec {
    rect: Area,
    color: [f32; 4],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnimationSpec {
    window: String,
    damage: Area,
    color: [f32; 4],
}

/// The scene file names transforms as `Transform`'s variants do.
#[derive(Deserialize)]
#[serde(remote = "Transform")]
enum TransformName {
    Normal,
    Rotate90,
    Rotate180,
    Rotate270,
    Flipped,
    Flipped90,
    Flipped180,
    Flipped270,
}

#[derive(Deserialize)]
#[serde(remote = "Filter")]
enum FilterName {
    Nearest,
    Linear,
}

fn opaque_alpha() -> f32 {
    1.0
}

fn nearest() -> Filter {
    Filter::Nearest
}

fn default_title_bar() -> u32 {
    24
}

fn default_checker() -> u32 {
    16
}

fn load_scene(path: Option<&Path>) -> Result<Scene, String> {
    let (text, name) = match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            (text, path.display().to_string())
        }
        None => (
            DEFAULT_SCENE.to_string(),
            "examples/scenes/default.ron".into(),
        ),
    };
    // Optional fields can then be written without `Some(...)`.
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .map_err(|e| format!("{name}:{e}"))
}

// ---------------------------------------------------------------------------------------
// Pixel formats the demo can paint

/// A packed DRM format: channel letters most significant first, as the fourcc's name
/// spells them, each `bits` wide, stored as one little-endian word.
struct PixelFormat {
    name: &'static str,
    fourcc: DrmFourcc,
    bits: &'static [u32],
    /// Channels are half floats rather than unsigned normalized integers.
    float: bool,
}

const fn packed(name: &'static str, fourcc: DrmFourcc, bits: &'static [u32]) -> PixelFormat {
    PixelFormat {
        name,
        fourcc,
        bits,
        float: false,
    }
}

const PIXEL_FORMATS: &[PixelFormat] = &[
    packed("ARGB8888", DrmFourcc::Argb8888, &[8, 8, 8, 8]),
    packed("XRGB8888", DrmFourcc::Xrgb8888, &[8, 8, 8, 8]),
    packed("ABGR8888", DrmFourcc::Abgr8888, &[8, 8, 8, 8]),
    packed("XBGR8888", DrmFourcc::Xbgr8888, &[8, 8, 8, 8]),
    packed("RGBA8888", DrmFourcc::Rgba8888, &[8, 8, 8, 8]),
    packed("RGBX8888", DrmFourcc::Rgbx8888, &[8, 8, 8, 8]),
    packed("BGRA8888", DrmFourcc::Bgra8888, &[8, 8, 8, 8]),
    packed("BGRX8888", DrmFourcc::Bgrx8888, &[8, 8, 8, 8]),
    packed("RGB565", DrmFourcc::Rgb565, &[5, 6, 5]),
    packed("BGR565", DrmFourcc::Bgr565, &[5, 6, 5]),
    packed("ARGB2101010", DrmFourcc::Argb2101010, &[2, 10, 10, 10]),
    packed("XRGB2101010", DrmFourcc::Xrgb2101010, &[2, 10, 10, 10]),
    packed("ABGR2101010", DrmFourcc::Abgr2101010, &[2, 10, 10, 10]),
    packed("XBGR2101010", DrmFourcc::Xbgr2101010, &[2, 10, 10, 10]),
    PixelFormat {
        float: true,
        ..packed("ABGR16161616F", DrmFourcc::Abgr16161616f, &[16, 16, 16, 16])
    },
    PixelFormat {
        float: true,
        ..packed("XBGR16161616F", DrmFourcc::Xbgr16161616f, &[16, 16, 16, 16])
    },
];

impl PixelFormat {
    fn by_name(name: &str) -> Result<&'static PixelFormat, String> {
        PIXEL_FORMATS
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<_> = PIXEL_FORMATS.iter().map(|f| f.name).collect();
                format!("unknown format `{name}` (known: {})", known.join(", "))
            })
    }

    fn bytes_per_pixel(&self) -> usize {
        (self.bits.iter().sum::<u32>() / 8) as usize
    }

    fn has_alpha(&self) -> bool {
        self.name.contains('A')
    }

    /// Writes premultiplied `rgba` as one pixel. X channels get zero: the renderer must
    /// not show them.
    fn encode(&self, [r, g, b, a]: [f32; 4], pixel: &mut [u8]) {
        let letters = &self.name.as_bytes()[..self.bits.len()];
        let mut word = 0u64;
        let mut shift = 0;
        // The name lists channels from the most significant bits down.
        for (&letter, &bits) in letters.iter().zip(self.bits).rev() {
            let value = match letter {
                b'R' => r,
                b'G' => g,
                b'B' => b,
                b'A' => a,
                _ => 0.0,
            };
            let field = if self.float {
                u64::from(f16_bits(value))
            } else {
                let max = ((1u64 << bits) - 1) as f32;
                (value.clamp(0.0, 1.0) * max).round() as u64
            };
            word |= field << shift;
            shift += bits;
        }
        pixel.copy_from_slice(&word.to_le_bytes()[..pixel.len()]);
    }
}

/// The IEEE half float nearest `value` (ties to even), as bits.
fn f16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        let nan = if mantissa != 0 { 0x200 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let half_exponent = exponent - 127 + 15;
    if half_exponent >= 0x1f {
        return sign | 0x7c00;
    }
    // Keep the top mantissa bits; rounding may carry into the exponent, which is exactly
    // the next representable value (or infinity).
    let (full, dropped_bits, exponent_field) = if half_exponent > 0 {
        (mantissa, 13, (half_exponent as u32) << 10)
    } else if half_exponent >= -10 {
        // Subnormal: the implicit leading one becomes explicit and shifts right.
        (mantissa | 0x80_0000, (14 - half_exponent) as u32, 0)
    } else {
        return sign;
    };
    let kept = exponent_field | (full >> dropped_bits);
    let dropped = full & ((1 << dropped_bits) - 1);
    let halfway = 1 << (dropped_bits - 1);
    let round_up = dropped > halfway || (dropped == halfway && kept & 1 == 1);
    sign | (kept + u32::from(round_up)) as u16
}

// ---------------------------------------------------------------------------------------
// The scene placed on the output

/// A window with its format resolved and its rectangles in output pixels.
struct Window {
    name: String,
    format: &'static PixelFormat,
    width: u32,
    height: u32,
    stride: u32,
    content: Content,
    src: RectF,
    dst: Rect,
    transform: Transform,
    alpha: f32,
    filter: Filter,
    opaque: Vec<Rect>,
}

struct Solid {
    rect: Rect,
    color: [f32; 4],
}

/// What changes after frame 0.
struct Animation {
    window: usize,
    /// Buffer pixels.
    damage: Rect,
    color: [f32; 4],
}

struct Placed {
    background: [f32; 4],
    windows: Vec<Window>,
    solids: Vec<Solid>,
    animation: Option<Animation>,
}

/// The scene's rectangles scaled from its own size to `width` x `height`, checked.
fn place_scene(scene: &Scene, width: u32, height: u32) -> Result<Placed, String> {
    let (scene_w, scene_h) = scene.size;
    if scene_w == 0 || scene_h == 0 {
        return Err("the scene's size must not be zero".into());
    }
    let scale = (
        f64::from(width) / f64::from(scene_w),
        f64::from(height) / f64::from(scene_h),
    );
    let windows = scene
        .windows
        .iter()
        .map(|spec| place_window(spec, scale).map_err(|e| format!("window `{}`: {e}", spec.name)))
        .collect::<Result<Vec<_>, _>>()?;
    let solids = scene
        .solids
        .iter()
        .map(|s| Solid {
            rect: scale_area(s.rect, scale),
            color: s.color,
        })
        .collect();
    let animation = match &scene.animation {
        Some(spec) => Some(find_animation(spec, &windows)?),
        None => None,
    };
    Ok(Placed {
        background: scene.background,
        windows,
        solids,
        animation,
    })
}

fn place_window(spec: &WindowSpec, scale: (f64, f64)) -> Result<Window, String> {
    let format = PixelFormat::by_name(&spec.format)?;
    let (width, height) = spec.buffer;
    if !(1..=MAX_BUFFER_SIZE).contains(&width) || !(1..=MAX_BUFFER_SIZE).contains(&height) {
        return Err(format!(
            "buffer {width}x{height} is outside 1x1 to {MAX_BUFFER_SIZE}x{MAX_BUFFER_SIZE}"
        ));
    }
    let bpp = format.bytes_per_pixel() as u32;
    if spec.stride_padding % bpp != 0 {
        return Err(format!(
            "stride_padding {} is not a multiple of the {bpp}-byte pixel",
            spec.stride_padding
        ));
    }
    let stride = width
        .checked_mul(bpp)
        .and_then(|row| row.checked_add(spec.stride_padding))
        .ok_or("the buffer is too large")?;
    let src = match spec.src {
        Some(AreaF(x, y, w, h)) => RectF::new(x, y, w, h),
        None => RectF::new(0.0, 0.0, f64::from(width), f64::from(height)),
    };
    let inside = src.x >= 0.0
        && src.y >= 0.0
        && src.w > 0.0
        && src.h > 0.0
        && src.x + src.w <= f64::from(width)
        && src.y + src.h <= f64::from(height);
    if !inside {
        return Err(format!(
            "src {src:?} is not inside the {width}x{height} buffer"
        ));
    }
    let dst = scale_area(spec.dst, scale);
    if dst.is_empty() {
        return Err("dst is empty".into());
    }
    if !(0.0..=1.0).contains(&spec.alpha) {
        return Err(format!("alpha {} is outside 0 to 1", spec.alpha));
    }
    // Surface-local, like wl_surface's opaque region.
    let opaque = spec
        .opaque
        .iter()
        .map(|&area| {
            let r = scale_area(area, scale);
            Rect::new(
                dst.x.saturating_add(r.x),
                dst.y.saturating_add(r.y),
                r.w,
                r.h,
            )
        })
        .collect();
    Ok(Window {
        name: spec.name.clone(),
        format,
        width,
        height,
        stride,
        content: spec.content,
        src,
        dst,
        transform: spec.transform,
        alpha: spec.alpha,
        filter: spec.filter,
        opaque,
    })
}

fn find_animation(spec: &AnimationSpec, windows: &[Window]) -> Result<Animation, String> {
    let window = windows
        .iter()
        .position(|w| w.name == spec.window)
        .ok_or_else(|| format!("animation: no window is named `{}`", spec.window))?;
    let Area(x, y, w, h) = spec.damage;
    let damage = Rect::new(x, y, w, h);
    let buffer = Rect::new(
        0,
        0,
        windows[window].width as i32,
        windows[window].height as i32,
    );
    if damage.is_empty() || !buffer.contains_rect(&damage) {
        return Err(format!(
            "animation: damage {damage:?} is not inside window `{}`'s {}x{} buffer",
            spec.window, buffer.w, buffer.h
        ));
    }
    Ok(Animation {
        window,
        damage,
        color: spec.color,
    })
}

/// Scales both edges, so that rectangles sharing an edge in the scene still share it.
fn scale_area(Area(x, y, w, h): Area, (sx, sy): (f64, f64)) -> Rect {
    let edge = |v: i32, s: f64| (f64::from(v) * s).round() as i32;
    let (left, top) = (edge(x, sx), edge(y, sy));
    let (right, bottom) = (edge(x.saturating_add(w), sx), edge(y.saturating_add(h), sy));
    Rect::new(
        left,
        top,
        right.saturating_sub(left),
        bottom.saturating_sub(top),
    )
}

// ---------------------------------------------------------------------------------------
// Window contents

/// A window's shm buffer: the bytes as the client would have them, and the texture.
struct WindowBuffer {
    pixels: Vec<u8>,
    texture: Texture,
}

/// The procedural contents: `progress` (0 to 1) is how full the animated bar is, `bar`
/// where it is when this window is the animated one.
struct Painter<'a> {
    window: &'a Window,
    bar: Option<(Rect, [f32; 4])>,
    progress: f32,
}

impl Painter<'_> {
    /// The premultiplied colour at buffer pixel (x, y).
    fn color(&self, x: u32, y: u32) -> [f32; 4] {
        let (w, h) = (self.window.width, self.window.height);
        let content = &self.window.content;
        let tint = |shade: f32, alpha: f32| {
            let [r, g, b] = content.tint.map(|c| (c * shade).min(1.0) * alpha);
            [r, g, b, alpha]
        };
        if let Some((bar, color)) = self.bar {
            let (x, y) = (x as i32, y as i32);
            if (bar.x..bar.right()).contains(&x) && (bar.y..bar.bottom()).contains(&y) {
                let filled = (x - bar.x) as f32 + 0.5 < self.progress * bar.w as f32;
                return if filled { color } else { [0.1, 0.1, 0.1, 1.0] };
            }
        }
        if x < 2 || y < 2 || x + 2 >= w || y + 2 >= h {
            return tint(1.3, 1.0);
        }
        let title = content.title_bar.max(1);
        if y < title {
            return title_bar_color(x, y, w, title).unwrap_or_else(|| tint(0.35, 1.0));
        }
        let checker = content.checker.max(1);
        let square = if (x / checker + y / checker) % 2 == 0 {
            1.0
        } else {
            0.75
        };
        let shade =
            square * (0.45 + 0.55 * x as f32 / w as f32) * (1.0 - 0.3 * y as f32 / h as f32);
        // Formats without alpha would show a premultiplied body darkened, not see-through.
        let alpha = if self.window.format.has_alpha() {
            content.body_alpha.clamp(0.0, 1.0)
        } else {
            1.0
        };
        tint(shade, alpha)
    }

    /// Paints `area` (buffer pixels) of `pixels`.
    fn paint(&self, pixels: &mut [u8], area: Rect) {
        let bpp = self.window.format.bytes_per_pixel();
        let stride = self.window.stride as usize;
        for y in area.y..area.bottom() {
            for x in area.x..area.right() {
                let at = y as usize * stride + x as usize * bpp;
                let color = self.color(x as u32, y as u32);
                self.window.format.encode(color, &mut pixels[at..at + bpp]);
            }
        }
    }
}

/// Close, minimize and maximize buttons at the title bar's right end, one square cell of
/// the title bar's height each; `None` elsewhere.
fn title_bar_color(x: u32, y: u32, width: u32, title: u32) -> Option<[f32; 4]> {
    let from_right = width.checked_sub(x + 1)?;
    let cell = from_right / title;
    let (in_x, in_y) = (title - 1 - from_right % title, y);
    let margin = title / 4;
    let on_button =
        (margin..title - margin).contains(&in_x) && (margin..title - margin).contains(&in_y);
    const BUTTONS: [[f32; 4]; 3] = [
        [0.90, 0.30, 0.25, 1.0],
        [0.95, 0.75, 0.20, 1.0],
        [0.30, 0.80, 0.35, 1.0],
    ];
    BUTTONS.get(cell as usize).filter(|_| on_button).copied()
}

fn painter<'a>(placed: &'a Placed, index: usize, progress: f32) -> Painter<'a> {
    let bar = placed
        .animation
        .as_ref()
        .filter(|a| a.window == index)
        .map(|a| (a.damage, a.color));
    Painter {
        window: &placed.windows[index],
        bar,
        progress,
    }
}

/// Whether the device can show `window` as asked; the renderer would refuse it too, but
/// without naming the window.
fn check_support(renderer: &Renderer, window: &Window) -> Result<(), String> {
    let device = renderer.device().name();
    let Some(support) = renderer.formats().support(window.format.fourcc) else {
        return Err(format!("{device} has no {}", window.format.name));
    };
    if !support.shm() {
        return Err(format!("{device} cannot sample {}", window.format.name));
    }
    if window.filter == Filter::Linear && !support.sample_linear_filter {
        return Err(format!(
            "{device} cannot filter {} linearly",
            window.format.name
        ));
    }
    Ok(())
}

/// Paints every window and imports it as an shm buffer. Padding bytes after each row are
/// junk: the renderer must skip them.
fn make_window_buffers(
    renderer: &mut Renderer,
    placed: &Placed,
) -> Result<Vec<WindowBuffer>, String> {
    let mut buffers = Vec::new();
    for (index, window) in placed.windows.iter().enumerate() {
        let in_window = |e: &dyn std::fmt::Display| format!("window `{}`: {e}", window.name);
        check_support(renderer, window).map_err(|e| in_window(&e))?;
        let mut pixels = vec![0xa5; window.stride as usize * window.height as usize];
        let whole = Rect::new(0, 0, window.width as i32, window.height as i32);
        painter(placed, index, 0.0).paint(&mut pixels, whole);
        let layout = ShmLayout {
            fourcc: window.format.fourcc,
            width: window.width,
            height: window.height,
            stride: window.stride,
        };
        let texture = renderer
            .import_memory(&pixels, layout)
            .map_err(|e| in_window(&e))?;
        buffers.push(WindowBuffer { pixels, texture });
    }
    Ok(buffers)
}

// ---------------------------------------------------------------------------------------
// Frames

struct FrameReport {
    full: bool,
    draws: usize,
    cpu: Duration,
    gpu: Option<Duration>,
}

/// The output pixels that can change when buffer pixels `changed` of `window` do.
fn output_damage(window: &Window, changed: Rect) -> Option<Rect> {
    if window.transform != Transform::Normal {
        return Some(window.dst);
    }
    let (src, dst) = (window.src, window.dst);
    let (sx, sy) = (f64::from(dst.w) / src.w, f64::from(dst.h) / src.h);
    // A linear filter blends each output pixel from the texels around it, so a changed
    // texel also shows in the output pixels over its neighbours.
    let margin = if window.filter == Filter::Linear {
        1.0
    } else {
        0.0
    };
    let left = f64::from(dst.x) + (f64::from(changed.x) - margin - src.x) * sx;
    let top = f64::from(dst.y) + (f64::from(changed.y) - margin - src.y) * sy;
    let right = f64::from(dst.x) + (f64::from(changed.right()) + margin - src.x) * sx;
    let bottom = f64::from(dst.y) + (f64::from(changed.bottom()) + margin - src.y) * sy;
    let (x, y) = (left.floor() as i32, top.floor() as i32);
    let (w, h) = (
        (right.ceil() as i32).saturating_sub(x),
        (bottom.ceil() as i32).saturating_sub(y),
    );
    let rect = Rect::new(x, y, w, h);
    rect.intersect(&dst)
}

/// Frame `index`'s damage in output pixels: everything for frame 0; after that, where the
/// animated window's buffer changed, with its new contents painted (before the clock
/// starts: the client draws its buffer, not the compositor) and returned for upload.
fn next_damage<'p>(
    placed: &'p Placed,
    buffers: &mut [WindowBuffer],
    output: Rect,
    index: u32,
    frames: u32,
) -> (Vec<Rect>, Option<&'p Animation>) {
    let Some(animation) = placed.animation.as_ref().filter(|_| index > 0) else {
        let whole = if index == 0 { vec![output] } else { Vec::new() };
        return (whole, None);
    };
    let progress = index as f32 / (frames - 1) as f32;
    let pixels = &mut buffers[animation.window].pixels;
    painter(placed, animation.window, progress).paint(pixels, animation.damage);
    let window = &placed.windows[animation.window];
    let damage = output_damage(window, animation.damage)
        .into_iter()
        .collect();
    (damage, Some(animation))
}

/// Renders frame `index` of `frames` and waits for it.
fn render_frame(
    renderer: &mut Renderer,
    target: &Texture,
    placed: &Placed,
    buffers: &mut [WindowBuffer],
    index: u32,
    frames: u32,
) -> Result<FrameReport, Box<dyn Error>> {
    let output = Rect::new(0, 0, target.width() as i32, target.height() as i32);
    let (damage, upload) = next_damage(placed, buffers, output, index, frames);

    let started = Instant::now();
    if let Some(animation) = upload {
        let buffer = &buffers[animation.window];
        let stride = placed.windows[animation.window].stride;
        renderer.update_memory(&buffer.texture, &buffer.pixels, stride, &[animation.damage])?;
    }
    let mut frame = renderer.render(target, Transform::Normal)?;
    frame.clear(placed.background, &damage)?;
    let draws = draw_scene(&mut frame, placed, buffers, &damage)?;
    let point = frame.finish()?;
    let cpu = started.elapsed();

    if !point.wait(FRAME_TIMEOUT)? {
        return Err(format!("frame {index} did not complete within {FRAME_TIMEOUT:?}").into());
    }
    Ok(FrameReport {
        full: index == 0,
        draws,
        cpu,
        gpu: renderer.gpu_time(&point)?,
    })
}

/// Draws, back to front, everything that overlaps `damage`, limited to it; returns how
/// many draws that was.
fn draw_scene<'r>(
    frame: &mut Frame<'r>,
    placed: &Placed,
    buffers: &'r [WindowBuffer],
    damage: &[Rect],
) -> vkcompose::Result<usize> {
    let overlaps = |rect: &Rect| damage.iter().any(|d| d.intersect(rect).is_some());
    let mut draws = 0;
    for (window, buffer) in placed.windows.iter().zip(buffers) {
        if !overlaps(&window.dst) {
            continue;
        }
        let draw = TextureDraw {
            src: window.src,
            dst: window.dst,
            damage,
            opaque: &window.opaque,
            transform: window.transform,
            alpha: window.alpha,
            filter: window.filter,
        };
        frame.render_texture_from_to(&buffer.texture, &draw)?;
        draws += 1;
    }
    for solid in placed.solids.iter().filter(|s| overlaps(&s.rect)) {
        frame.draw_solid(solid.rect, damage, solid.color)?;
        draws += 1;
    }
    Ok(draws)
}

/// Reads the whole target back as RGBA8 and writes it to `path`.
fn write_png(renderer: &mut Renderer, target: &Texture, path: &Path) -> Result<(), Box<dyn Error>> {
    let (width, height) = (target.width(), target.height());
    let whole = Rect::new(0, 0, width as i32, height as i32);
    let readback = renderer.copy_framebuffer(target, whole, DrmFourcc::Abgr8888)?;
    let file = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()?
        .write_image_data(readback.bytes()?)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reporting

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn report_frame(index: u32, report: &FrameReport, path: &Path) {
    let kind = if report.full { "full" } else { "partial" };
    let gpu = report.gpu.map_or("n/a".to_string(), millis);
    println!(
        "frame {index}: {kind}, {} draws, cpu {}, gpu {gpu}, wrote {}",
        report.draws,
        millis(report.cpu),
        path.display()
    );
}

fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2),
    }
}

fn report_summary(device: &str, reports: &[FrameReport]) {
    let partial: Vec<&FrameReport> = reports.iter().filter(|r| !r.full).collect();
    if partial.is_empty() {
        println!("{device}: no partial frames");
        return;
    }
    let cpu = median(partial.iter().map(|r| r.cpu).collect());
    let gpu = median(partial.iter().filter_map(|r| r.gpu).collect());
    let show = |d: Option<Duration>| d.map_or("n/a".to_string(), millis);
    println!(
        "{device}: median of {} partial frames: cpu {}, gpu {}",
        partial.len(),
        show(cpu),
        show(gpu)
    );
}

// ---------------------------------------------------------------------------------------

fn main() {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return;
        }
        Err(message) => {
            eprintln!("compose: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("compose: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let scene = load_scene(options.scene.as_deref())?;
    let (width, height) = options.size.unwrap_or(scene.size);
    let placed = place_scene(&scene, width, height)?;

    let instance = Instance::new(&Default::default())?;
    let device = Device::new(&instance)?;
    let mut renderer = Renderer::new(&device, &RendererOptions::default())?;
    let mut buffers = make_window_buffers(&mut renderer, &placed)?;
    let target = renderer.create_target(width, height, DrmFourcc::Abgr8888)?;
    // The imports go to the GPU now, so that frame 0's times are the frame's own.
    renderer.flush()?;

    std::fs::create_dir_all(&options.output)
        .map_err(|e| format!("cannot create {}: {e}", options.output.display()))?;
    let mut reports = Vec::new();
    for index in 0..options.frames {
        let report = render_frame(
            &mut renderer,
            &target,
            &placed,
            &mut buffers,
            index,
            options.frames,
        )?;
        let path = options.output.join(format!("frame-{index:03}.png"));
        write_png(&mut renderer, &target, &path)?;
        report_frame(index, &report, &path);
        reports.push(report);
    }
    report_summary(device.name(), &reports);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vkcompose::format::format_info;

    #[test]
    fn half_floats() {
        assert_eq!(f16_bits(0.0), 0);
        assert_eq!(f16_bits(-0.0), 0x8000);
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(0.5), 0x3800);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(65520.0), 0x7c00);
        assert_eq!(f16_bits(2f32.powi(-14)), 0x0400);
        assert_eq!(f16_bits(2f32.powi(-24)), 0x0001);
        assert_eq!(f16_bits(2f32.powi(-26)), 0);
        assert_eq!(
            f16_bits(1.0 + 2f32.powi(-11)),
            0x3c00,
            "a tie rounds to even"
        );
        assert_eq!(f16_bits(f32::NAN) & 0x7e00, 0x7e00);
    }

    #[test]
    fn pixel_formats_match_the_renderer_table() {
        for format in PIXEL_FORMATS {
            let info = format_info(format.fourcc).expect("mapped");
            assert_eq!(
                info.bytes_per_pixel as usize,
                format.bytes_per_pixel(),
                "{}",
                format.name
            );
            assert_eq!(info.has_alpha, format.has_alpha(), "{}", format.name);
        }
    }

    #[test]
    fn byte_order_follows_the_fourcc() {
        let mut pixel = [0; 4];
        PixelFormat::by_name("ARGB8888")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(pixel, [0, 0, 255, 255]);
        PixelFormat::by_name("abgr8888")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(pixel, [255, 0, 0, 255]);
        let mut pixel = [0; 2];
        PixelFormat::by_name("RGB565")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(u16::from_le_bytes(pixel), 0xf800);
    }

    #[test]
    fn the_default_scene_loads() {
        let scene = load_scene(None).unwrap();
        assert!(place_scene(&scene, 1920, 1080).is_ok());
    }
}
