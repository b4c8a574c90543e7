//! # vkcompose-effects
//!
//! Window decorations a compositor draws around its windows — rounded, anti-aliased
//! corners (a radius per corner), a border (solid or a two-stop gradient) and a drop
//! shadow (a box blurred by a Gaussian, in closed form) — as a crate outside vkcompose
//! would write them: its own shaders (`shaders/`, WGSL and one GLSL stage) and manifest
//! (`pipelines.ron`), compiled, checked and turned into typed pipelines by
//! vkcompose-codegen in `build.rs`, drawn in vkcompose frames and (feature `smithay`) in
//! Smithay frames through render elements ([`elements`]).
//!
//! [`Effects`] builds the pipelines once per attachment format and draws each effect into
//! anything that is a [`Canvas`]: a [`vkcompose::Frame`], or with the `smithay` feature a
//! [`vkcompose::smithay::VulkanFrame`]. Geometry is in output pixels, like the frames' own
//! draws; the shaders work in the window's pixels whatever the output's transform.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use vkcompose::color::{convert_premultiplied, ColorDescription};
use vkcompose::geometry::{Quad, Rect, RectF};
use vkcompose::pipelines::RenderPass;
use vkcompose::{vk, Device, Error, Filter, PassInfo, PassRecorder, Result, Sampler, Texture};

#[cfg(feature = "smithay")]
pub mod elements;

/// The typed pipelines generated from `pipelines.ron`.
pub mod shaders {
    include!(concat!(env!("OUT_DIR"), "/pipelines.rs"));
}

use shaders::{border, passes, rounded_window, shadow};

/// A pipeline's instance for a quad: every effect's vertex stage takes the same three
/// inputs (each pipeline has its own type for them).
macro_rules! instance {
    ($pipeline:ident, $quad:expr) => {
        $pipeline::Instance {
            dst: $quad.dst,
            local_offset: $quad.uv_offset,
            local_axes: $quad.uv_axes,
        }
    };
}

/// Corner radii in window pixels. Each is clamped to half the window's shorter side.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Corners {
    pub top_left: f32,
    pub top_right: f32,
    pub bottom_right: f32,
    pub bottom_left: f32,
}

impl Corners {
    /// The same radius at every corner.
    pub fn all(radius: f32) -> Corners {
        Corners {
            top_left: radius,
            top_right: radius,
            bottom_right: radius,
            bottom_left: radius,
        }
    }

    /// In the shaders' order: top-left, top-right, bottom-right, bottom-left.
    fn to_array(self) -> [f32; 4] {
        [
            self.top_left,
            self.top_right,
            self.bottom_right,
            self.bottom_left,
        ]
    }
}

/// How a border is painted. Colours are premultiplied sRGB (like Smithay's), converted into
/// whatever the frame holds (the target's encoding, or the linear path's light).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Paint {
    Solid([f32; 4]),
    /// From `from` to `to` along `direction` (normalized here), across the whole border box.
    Gradient {
        from: [f32; 4],
        to: [f32; 4],
        direction: [f32; 2],
    },
}

/// A border around a window, `width` pixels wide outside it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Border {
    pub width: f32,
    pub paint: Paint,
}

/// A drop shadow: the window's box moved by `offset`, blurred by a Gaussian of standard
/// deviation `sigma` (pixels), in `color` (premultiplied sRGB) where it is darkest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shadow {
    pub offset: [i32; 2],
    pub sigma: f32,
    pub color: [f32; 4],
}

impl Shadow {
    /// How far beyond the box the shadow is drawn: three standard deviations, past which
    /// less than 0.14 % of the Gaussian (well under one level of 255) is left.
    pub fn reach(&self) -> i32 {
        (3.0 * self.sigma.max(0.0)).ceil() as i32
    }

    /// The output rectangle the shadow of a window at `window` covers.
    pub fn bounds(&self, window: Rect) -> Rect {
        let reach = self.reach();
        Rect::new(
            window.x + self.offset[0] - reach,
            window.y + self.offset[1] - reach,
            window.w + 2 * reach,
            window.h + 2 * reach,
        )
    }
}

/// The outer rectangle of a border of `width` around `window`.
pub fn border_bounds(window: Rect, width: f32) -> Rect {
    let w = width.max(0.0).ceil() as i32;
    Rect::new(
        window.x - w,
        window.y - w,
        window.w + 2 * w,
        window.h + 2 * w,
    )
}

/// A custom draw as the effects record it: into the pass the frame chose, told its format
/// and colour encoding.
pub type Draw =
    Box<dyn FnOnce(&mut PassRecorder<'_, passes::Output>, &PassInfo) -> Result<()> + Send>;

/// What the effects need of a frame: vkcompose's and Smithay's frames both have it.
pub trait Canvas {
    /// `dst` (output pixels) in target pixels, with `local` across it.
    fn quad(&mut self, dst: Rect, local: RectF) -> Result<Quad>;
    /// Output rectangles in target pixels, clipped to the output.
    fn target_rects(&mut self, rects: &[Rect]) -> Result<Vec<Rect>>;
    /// Records `draw` when the frame is finished, in order with the frame's other draws.
    fn draw_with(&mut self, draw: Draw) -> Result<()>;
    /// Keeps `value` until the frame's GPU work is done.
    fn keep(&mut self, value: Box<dyn Any + Send>) -> Result<()>;
}

impl Canvas for vkcompose::Frame<'_> {
    fn quad(&mut self, dst: Rect, local: RectF) -> Result<Quad> {
        Ok(vkcompose::Frame::quad(self, dst, local))
    }

    fn target_rects(&mut self, rects: &[Rect]) -> Result<Vec<Rect>> {
        Ok(vkcompose::Frame::target_rects(self, rects))
    }

    fn draw_with(&mut self, draw: Draw) -> Result<()> {
        vkcompose::Frame::draw_with(self, draw);
        Ok(())
    }

    fn keep(&mut self, value: Box<dyn Any + Send>) -> Result<()> {
        vkcompose::Frame::keep(self, value);
        Ok(())
    }
}

/// The three pipelines, built for one attachment format.
struct Built {
    rounded_window: Arc<rounded_window::Pipeline>,
    border: Arc<border::Pipeline>,
    shadow: Arc<shadow::Pipeline>,
}

/// The decorations' pipelines (built per attachment format when first drawn) and the
/// sampler windows are read through.
pub struct Effects {
    device: Device,
    sampler: Sampler,
    built: Mutex<HashMap<vk::Format, Arc<Built>>>,
}

impl Effects {
    pub fn new(device: &Device) -> Result<Effects> {
        Ok(Effects {
            device: device.clone(),
            sampler: Sampler::new(device, Filter::Linear)?,
            built: Mutex::new(HashMap::new()),
        })
    }

    /// The pipelines for `format`, built on first use (a new format costs one build; steady
    /// frames create nothing).
    fn built(&self, format: vk::Format) -> Result<Arc<Built>> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = built.get(&format) {
            return Ok(b.clone());
        }
        let pass = RenderPass::<passes::Output>::new(&self.device, format)?;
        let cache = vk::PipelineCache::null();
        let b = Arc::new(Built {
            rounded_window: Arc::new(rounded_window::Pipeline::new(&self.device, &pass, cache)?),
            border: Arc::new(border::Pipeline::new(&self.device, &pass, cache)?),
            shadow: Arc::new(shadow::Pipeline::new(&self.device, &pass, cache)?),
        });
        built.insert(format, b.clone());
        Ok(b)
    }

    /// Draws `texture` (the whole of it) over `window` with rounded corners, faded by
    /// `alpha`, within `damage` (output pixels). The texels are drawn as stored: content
    /// in the frame's own encoding (sRGB windows on an sRGB output). For colour-managed
    /// content use vkcompose's `Frame::render_texture_rounded`, which decodes.
    pub fn draw_window(
        self: &Arc<Self>,
        canvas: &mut impl Canvas,
        texture: Arc<Texture>,
        window: Rect,
        corners: Corners,
        alpha: f32,
        damage: &[Rect],
    ) -> Result<()> {
        check_alpha(alpha)?;
        let size = [window.w as f32, window.h as f32];
        let quad = canvas.quad(window, local_rect(0.0, 0.0, size))?;
        let Some(rects) = damaged(canvas, window, damage)? else {
            return Ok(());
        };
        let instance = instance!(rounded_window, quad);
        let (effects, sampler) = (self.clone(), self.sampler.clone());
        canvas.keep(Box::new((self.clone(), texture.clone())))?;
        canvas.draw_with(Box::new(move |pass, info| {
            let built = effects.built(info.format)?;
            let push = rounded_window::Push {
                target_size: info.size,
                size,
                radii: corners.to_array(),
                alpha,
            };
            let set = shaders::sets::WindowTexture {
                tex: &texture,
                samp: &sampler,
            };
            pass.draw_clipped(&*built.rounded_window, &push, set, &[instance], &rects)
        }))
    }

    /// Draws `border` around `window` (whose corners it follows), within `damage`. Its
    /// colours are premultiplied sRGB, converted into what the frame holds.
    pub fn draw_border(
        self: &Arc<Self>,
        canvas: &mut impl Canvas,
        window: Rect,
        corners: Corners,
        border: &Border,
        damage: &[Rect],
    ) -> Result<()> {
        if !(border.width.is_finite() && border.width >= 0.0) {
            return Err(Error::InvalidArgument(format!(
                "border width {} is not a size",
                border.width
            )));
        }
        let bounds = border_bounds(window, border.width);
        let reach = (window.x - bounds.x) as f64;
        let local = RectF::new(-reach, -reach, f64::from(bounds.w), f64::from(bounds.h));
        let quad = canvas.quad(bounds, local)?;
        let Some(rects) = damaged(canvas, bounds, damage)? else {
            return Ok(());
        };
        let instance = instance!(border, quad);
        let (from, to, direction) = paint(border.paint);
        let (size, width, effects) = (
            [window.w as f32, window.h as f32],
            border.width,
            self.clone(),
        );
        canvas.keep(Box::new(self.clone()))?;
        canvas.draw_with(Box::new(move |pass, info| {
            let built = effects.built(info.format)?;
            let push = border::Push {
                target_size: info.size,
                size,
                radii: corners.to_array(),
                from_color: in_pass(info, from)?,
                to_color: in_pass(info, to)?,
                direction,
                width,
            };
            pass.draw_clipped(&*built.border, &push, (), &[instance], &rects)
        }))
    }

    /// Draws `shadow` of `window`, within `damage`; draw it before the window. Its colour
    /// is premultiplied sRGB, converted into what the frame holds.
    pub fn draw_shadow(
        self: &Arc<Self>,
        canvas: &mut impl Canvas,
        window: Rect,
        shadow: &Shadow,
        damage: &[Rect],
    ) -> Result<()> {
        if !(shadow.sigma.is_finite() && shadow.sigma >= 0.0) {
            return Err(Error::InvalidArgument(format!(
                "shadow sigma {} is not a size",
                shadow.sigma
            )));
        }
        let bounds = shadow.bounds(window);
        let reach = f64::from(shadow.reach());
        let local = RectF::new(-reach, -reach, f64::from(bounds.w), f64::from(bounds.h));
        let quad = canvas.quad(bounds, local)?;
        let Some(rects) = damaged(canvas, bounds, damage)? else {
            return Ok(());
        };
        let instance = instance!(shadow, quad);
        let (size, color, sigma) = (
            [window.w as f32, window.h as f32],
            shadow.color,
            shadow.sigma,
        );
        let effects = self.clone();
        canvas.keep(Box::new(self.clone()))?;
        canvas.draw_with(Box::new(move |pass, info| {
            let built = effects.built(info.format)?;
            let push = shadow::Push {
                target_size: info.size,
                size,
                color: in_pass(info, color)?,
                sigma,
            };
            pass.draw_clipped(&*built.shadow, &push, (), &[instance], &rects)
        }))
    }
}

/// The damage inside `dst`, in target pixels; `None` when there is none.
fn damaged(canvas: &mut impl Canvas, dst: Rect, damage: &[Rect]) -> Result<Option<Vec<Rect>>> {
    let inside: Vec<Rect> = damage.iter().filter_map(|d| d.intersect(&dst)).collect();
    let rects = canvas.target_rects(&inside)?;
    Ok((!rects.is_empty()).then_some(rects))
}

/// A premultiplied sRGB colour in the encoding of the pass the draw lands in.
fn in_pass(info: &PassInfo, color: [f32; 4]) -> Result<[f32; 4]> {
    Ok(convert_premultiplied(
        &ColorDescription::srgb(),
        &info.description,
        color,
    )?)
}

fn check_alpha(alpha: f32) -> Result<()> {
    if (0.0..=1.0).contains(&alpha) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "alpha {alpha} is outside 0..=1"
        )))
    }
}

fn local_rect(x: f64, y: f64, size: [f32; 2]) -> RectF {
    RectF::new(x, y, f64::from(size[0]), f64::from(size[1]))
}

/// A paint as the border shader's two colours and direction.
fn paint(paint: Paint) -> ([f32; 4], [f32; 4], [f32; 2]) {
    match paint {
        Paint::Solid(color) => (color, color, [1.0, 0.0]),
        Paint::Gradient {
            from,
            to,
            direction: [x, y],
        } => {
            let length = (x * x + y * y).sqrt();
            let direction = if length > 0.0 && length.is_finite() {
                [x / length, y / length]
            } else {
                [1.0, 0.0]
            };
            (from, to, direction)
        }
    }
}
