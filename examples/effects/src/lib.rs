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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use vkcompose::geometry::{Quad, Rect, RectF};
use vkcompose::pipelines::{Pipeline, RenderPass};
use vkcompose::{vk, Device, Error, Filter, Result, Sampler, Texture};

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

/// How a border is painted. Colours are premultiplied, in the target's encoding.
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
/// deviation `sigma` (pixels), in `color` (premultiplied) where it is darkest.
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

/// What the effects need of a frame: vkcompose's and Smithay's frames both have it.
pub trait Canvas {
    /// The attachment format the frame draws in now.
    fn format(&mut self) -> Result<vk::Format>;
    /// The size of the pass it draws in now, untransformed.
    fn target_size(&mut self) -> Result<[f32; 2]>;
    /// `dst` (output pixels) in target pixels, with `local` across it.
    fn quad(&mut self, dst: Rect, local: RectF) -> Result<Quad>;
    /// Draws `instance` with `pipeline` inside `dst`, limited to `damage` (output pixels).
    #[allow(clippy::too_many_arguments)]
    fn draw<Pl, R>(
        &mut self,
        pipeline: Arc<Pl>,
        push: Pl::Push,
        resources: R,
        sets: for<'a> fn(&'a R) -> Pl::Sets<'a>,
        instance: Pl::Instance,
        dst: Rect,
        damage: &[Rect],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = passes::Output, Vertex = ()> + Send + Sync + 'static,
        R: Send + Sync + 'static;
}

impl Canvas for vkcompose::Frame<'_> {
    fn format(&mut self) -> Result<vk::Format> {
        Ok(vkcompose::Frame::format(self))
    }

    fn target_size(&mut self) -> Result<[f32; 2]> {
        Ok(vkcompose::Frame::target_size(self))
    }

    fn quad(&mut self, dst: Rect, local: RectF) -> Result<Quad> {
        Ok(vkcompose::Frame::quad(self, dst, local))
    }

    fn draw<Pl, R>(
        &mut self,
        pipeline: Arc<Pl>,
        push: Pl::Push,
        resources: R,
        sets: for<'a> fn(&'a R) -> Pl::Sets<'a>,
        instance: Pl::Instance,
        dst: Rect,
        damage: &[Rect],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = passes::Output, Vertex = ()> + Send + Sync + 'static,
        R: Send + Sync + 'static,
    {
        let inside: Vec<Rect> = damage.iter().filter_map(|d| d.intersect(&dst)).collect();
        let damage = self.target_rects(&inside);
        self.draw_owned(pipeline, push, resources, sets, &[instance], &damage)
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
    /// `alpha`, within `damage` (output pixels).
    pub fn draw_window(
        &self,
        canvas: &mut impl Canvas,
        texture: Arc<Texture>,
        window: Rect,
        corners: Corners,
        alpha: f32,
        damage: &[Rect],
    ) -> Result<()> {
        check_alpha(alpha)?;
        let built = self.built(canvas.format()?)?;
        let size = [window.w as f32, window.h as f32];
        let quad = canvas.quad(window, local_rect(0.0, 0.0, size))?;
        let push = rounded_window::Push {
            target_size: canvas.target_size()?,
            size,
            radii: corners.to_array(),
            alpha,
        };
        let resources = (texture, self.sampler.clone());
        canvas.draw(
            built.rounded_window.clone(),
            push,
            resources,
            |(tex, samp)| shaders::sets::WindowTexture { tex, samp },
            instance!(rounded_window, quad),
            window,
            damage,
        )
    }

    /// Draws `border` around `window` (whose corners it follows), within `damage`.
    pub fn draw_border(
        &self,
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
        let built = self.built(canvas.format()?)?;
        let bounds = border_bounds(window, border.width);
        let reach = (window.x - bounds.x) as f64;
        let size = [window.w as f32, window.h as f32];
        let local = RectF::new(-reach, -reach, f64::from(bounds.w), f64::from(bounds.h));
        let quad = canvas.quad(bounds, local)?;
        let (from_color, to_color, direction) = paint(border.paint);
        let push = border::Push {
            target_size: canvas.target_size()?,
            size,
            radii: corners.to_array(),
            from_color,
            to_color,
            direction,
            width: border.width,
        };
        let (resources, sets) = ((), |_: &()| ());
        canvas.draw::<border::Pipeline, ()>(
            built.border.clone(),
            push,
            resources,
            sets,
            instance!(border, quad),
            bounds,
            damage,
        )
    }

    /// Draws `shadow` of `window`, within `damage`; draw it before the window.
    pub fn draw_shadow(
        &self,
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
        let built = self.built(canvas.format()?)?;
        let bounds = shadow.bounds(window);
        let reach = f64::from(shadow.reach());
        let local = RectF::new(-reach, -reach, f64::from(bounds.w), f64::from(bounds.h));
        let quad = canvas.quad(bounds, local)?;
        let push = shadow::Push {
            target_size: canvas.target_size()?,
            size: [window.w as f32, window.h as f32],
            color: shadow.color,
            sigma: shadow.sigma,
        };
        let (resources, sets) = ((), |_: &()| ());
        canvas.draw::<shadow::Pipeline, ()>(
            built.shadow.clone(),
            push,
            resources,
            sets,
            instance!(shadow, quad),
            bounds,
            damage,
        )
    }
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
