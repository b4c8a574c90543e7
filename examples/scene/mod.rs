//! The demo scene, shared by the `compose` and `window` examples and the window test
//! (each includes this file with `#[path]`): the scene file, the pixel formats its
//! buffers use, the scene placed on an output, the windows' painted contents, and
//! drawing it all into a frame.

// Each user takes what it needs of this.
#![allow(dead_code)]

use std::path::Path;

use serde::Deserialize;
use vkcompose::color::ColorDescription;
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Filter, Frame, Renderer, ShmLayout, Texture, TextureDraw};

pub const DEFAULT_SCENE: &str = include_str!("../scenes/default.ron");

/// The largest buffer side a scene may ask for (the demo paints buffers in memory).
pub const MAX_BUFFER_SIZE: u32 = 16384;

// ---------------------------------------------------------------------------------------
// The scene file (see examples/scenes/default.ron for what each field means)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    pub size: (u32, u32),
    pub background: [f32; 4],
    pub windows: Vec<WindowSpec>,
    #[serde(default)]
    pub solids: Vec<SolidSpec>,
    #[serde(default)]
    pub animation: Option<AnimationSpec>,
}

/// An integer rectangle: x, y, width, height.
#[derive(Deserialize, Clone, Copy)]
pub struct Area(i32, i32, i32, i32);

/// A fractional rectangle: x, y, width, height.
#[derive(Deserialize, Clone, Copy)]
pub struct AreaF(f64, f64, f64, f64);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
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
    #[serde(default)]
    color: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct Content {
    pub tint: [f32; 3],
    #[serde(default = "opaque_alpha")]
    pub body_alpha: f32,
    #[serde(default = "default_title_bar")]
    pub title_bar: u32,
    #[serde(default = "default_checker")]
    pub checker: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolidSpec {
    rect: Area,
    color: [f32; 4],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnimationSpec {
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

/// `--size WIDTHxHEIGHT`, as both examples take it.
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--size needs WIDTHxHEIGHT between 1x1 and 8192x8192, not `{text}`");
    let (w, h) = text.split_once('x').ok_or_else(bad)?;
    match (w.parse::<u32>(), h.parse::<u32>()) {
        (Ok(w @ 1..=8192), Ok(h @ 1..=8192)) => Ok((w, h)),
        _ => Err(bad()),
    }
}

pub fn load_scene(path: Option<&Path>) -> Result<Scene, String> {
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
pub struct PixelFormat {
    pub name: &'static str,
    pub fourcc: DrmFourcc,
    pub bits: &'static [u32],
    /// Channels are half floats rather than unsigned normalized integers.
    pub float: bool,
}

const fn packed(name: &'static str, fourcc: DrmFourcc, bits: &'static [u32]) -> PixelFormat {
    PixelFormat {
        name,
        fourcc,
        bits,
        float: false,
    }
}

pub const PIXEL_FORMATS: &[PixelFormat] = &[
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
    pub fn by_name(name: &str) -> Result<&'static PixelFormat, String> {
        PIXEL_FORMATS
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<_> = PIXEL_FORMATS.iter().map(|f| f.name).collect();
                format!("unknown format `{name}` (known: {})", known.join(", "))
            })
    }

    pub fn bytes_per_pixel(&self) -> usize {
        (self.bits.iter().sum::<u32>() / 8) as usize
    }

    pub fn has_alpha(&self) -> bool {
        self.name.contains('A')
    }

    /// Writes premultiplied `rgba` as one pixel. X channels get zero: the renderer must
    /// not show them.
    pub fn encode(&self, [r, g, b, a]: [f32; 4], pixel: &mut [u8]) {
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

/// The IEEE half float nearest `value` (ties to even), as bits: vkcompose's own.
pub use vkcompose::format::f16_bits;

// ---------------------------------------------------------------------------------------
// The scene placed on the output

/// A window with its format resolved and its rectangles in output pixels.
pub struct Window {
    pub name: String,
    pub format: &'static PixelFormat,
    pub width: u32,
    pub height: u32,
    pub stride: u32,
    pub content: Content,
    pub src: RectF,
    pub dst: Rect,
    pub transform: Transform,
    pub alpha: f32,
    pub filter: Filter,
    pub opaque: Vec<Rect>,
    /// How the buffer's values encode light (its painted values are the signal).
    pub color: ColorDescription,
}

pub struct Solid {
    pub rect: Rect,
    pub color: [f32; 4],
}

/// What changes after frame 0.
pub struct Animation {
    pub window: usize,
    /// Buffer pixels.
    pub damage: Rect,
    pub color: [f32; 4],
}

pub struct Placed {
    pub background: [f32; 4],
    pub windows: Vec<Window>,
    pub solids: Vec<Solid>,
    pub animation: Option<Animation>,
}

/// The scene's rectangles scaled from its own size to `width` x `height`, checked.
pub fn place_scene(scene: &Scene, width: u32, height: u32) -> Result<Placed, String> {
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
        color: color_by_name(spec.color.as_deref().unwrap_or("srgb"))?,
    })
}

/// The colour descriptions a scene's window may name.
pub fn color_by_name(name: &str) -> Result<ColorDescription, String> {
    match name {
        "srgb" => Ok(ColorDescription::srgb()),
        "display-p3" => Ok(ColorDescription::display_p3()),
        "bt709-bt1886" => Ok(ColorDescription::bt709_bt1886()),
        "bt2020-pq" => Ok(ColorDescription::bt2020_pq()),
        "bt2020-hlg" => Ok(ColorDescription::bt2020_hlg()),
        "scrgb" => Ok(ColorDescription::scrgb()),
        other => Err(format!(
            "unknown color `{other}` (srgb, display-p3, bt709-bt1886, bt2020-pq, bt2020-hlg \
             or scrgb)"
        )),
    }
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
pub struct WindowBuffer {
    pub pixels: Vec<u8>,
    pub texture: Texture,
}

/// The procedural contents: `progress` (0 to 1) is how full the animated bar is, `bar`
/// where it is when this window is the animated one.
pub struct Painter<'a> {
    window: &'a Window,
    bar: Option<(Rect, [f32; 4])>,
    progress: f32,
}

impl Painter<'_> {
    /// The premultiplied colour at buffer pixel (x, y).
    pub fn color(&self, x: u32, y: u32) -> [f32; 4] {
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
    pub fn paint(&self, pixels: &mut [u8], area: Rect) {
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

pub fn painter<'a>(placed: &'a Placed, index: usize, progress: f32) -> Painter<'a> {
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
pub fn check_support(renderer: &Renderer, window: &Window) -> Result<(), String> {
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
pub fn make_window_buffers(
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
        if window.color != ColorDescription::srgb() {
            texture
                .set_color_description(window.color)
                .map_err(|e| in_window(&e))?;
        }
        buffers.push(WindowBuffer { pixels, texture });
    }
    Ok(buffers)
}

// ---------------------------------------------------------------------------------------
// Drawing

/// The output pixels that can change when buffer pixels `changed` of `window` do.
pub fn output_damage(window: &Window, changed: Rect) -> Option<Rect> {
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

/// Draws, back to front, everything that overlaps `damage`, limited to it; returns how
/// many draws that was.
pub fn draw_scene<'r>(
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

/// Paints the animated bar at `progress` (0 to 1) into its window's buffer and uploads the
/// changed part; returns the output pixels that change (`None` for a still scene).
pub fn animate(
    renderer: &mut Renderer,
    placed: &Placed,
    buffers: &mut [WindowBuffer],
    progress: f32,
) -> vkcompose::Result<Option<Rect>> {
    let Some(animation) = &placed.animation else {
        return Ok(None);
    };
    let window = &placed.windows[animation.window];
    let buffer = &mut buffers[animation.window];
    painter(placed, animation.window, progress).paint(&mut buffer.pixels, animation.damage);
    renderer.update_memory(
        &buffer.texture,
        &buffer.pixels,
        window.stride,
        &[animation.damage],
    )?;
    Ok(output_damage(window, animation.damage))
}

/// Draws the whole scene over the whole output, background first; returns how many draws
/// that was.
pub fn draw_all<'r>(
    frame: &mut Frame<'r>,
    placed: &Placed,
    buffers: &'r [WindowBuffer],
) -> vkcompose::Result<usize> {
    let (width, height) = frame.output_size();
    let whole = [Rect::new(0, 0, width, height)];
    frame.clear(placed.background, &whole)?;
    draw_scene(frame, placed, buffers, &whole)
}
