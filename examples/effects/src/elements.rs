//! Smithay render elements drawing the effects in a [`VulkanRenderer`] frame, in order with
//! every other element: a compositor puts them into the element list it hands Smithay's
//! damage tracker (the shadow first, then the window, then the border).

use std::sync::Arc;

use smithay::backend::renderer::element::{Element, Id, RenderElement};
use smithay::backend::renderer::utils::CommitCounter;
use smithay::utils::{Buffer, Physical, Point, Rectangle, Scale};
use vkcompose::geometry::{Quad, Rect, RectF};
use vkcompose::smithay::{VulkanFrame, VulkanRenderer, VulkanTexture};
use vkcompose::Result;

use crate::{border_bounds, Border, Canvas, Corners, Draw, Effects, Shadow};

impl Canvas for VulkanFrame<'_, '_> {
    fn quad(&mut self, dst: Rect, local: RectF) -> Result<Quad> {
        VulkanFrame::quad(self, physical(dst), local)
    }

    fn target_rects(&mut self, rects: &[Rect]) -> Result<Vec<Rect>> {
        let rects: Vec<_> = rects.iter().map(|r| physical(*r)).collect();
        VulkanFrame::target_rects(self, &rects)
    }

    fn draw_with(&mut self, draw: Draw) -> Result<()> {
        VulkanFrame::draw_with(self, draw)
    }

    fn keep(&mut self, value: Box<dyn std::any::Any + Send>) -> Result<()> {
        VulkanFrame::keep(self, value)
    }
}

fn physical(r: Rect) -> Rectangle<i32, Physical> {
    Rectangle::new((r.x, r.y).into(), (r.w, r.h).into())
}

fn rect(r: Rectangle<i32, Physical>) -> Rect {
    Rect::new(r.loc.x, r.loc.y, r.size.w, r.size.h)
}

/// What every element here shares: its identity, its commit and the effects.
struct Common {
    id: Id,
    commit: CommitCounter,
    effects: Arc<Effects>,
}

impl Common {
    fn new(effects: &Arc<Effects>, commit: CommitCounter) -> Common {
        Common {
            id: Id::new(),
            commit,
            effects: effects.clone(),
        }
    }
}

/// The whole of an element's area, as buffer coordinates (it has no buffer).
fn unit_src(geometry: Rectangle<i32, Physical>) -> Rectangle<f64, Buffer> {
    Rectangle::from_size((f64::from(geometry.size.w), f64::from(geometry.size.h)).into())
}

/// Where an element drawn at `dst` puts the window it was made for at `window` inside
/// `geometry` (the damage tracker may have moved it).
fn moved(window: Rect, geometry: Rectangle<i32, Physical>, dst: Rectangle<i32, Physical>) -> Rect {
    let delta: Point<i32, Physical> = dst.loc - geometry.loc;
    Rect::new(window.x + delta.x, window.y + delta.y, window.w, window.h)
}

/// Absolute damage from Smithay's (relative to `dst`).
fn absolute(damage: &[Rectangle<i32, Physical>], dst: Rectangle<i32, Physical>) -> Vec<Rect> {
    damage
        .iter()
        .map(|d| Rect::new(d.loc.x + dst.loc.x, d.loc.y + dst.loc.y, d.size.w, d.size.h))
        .collect()
}

/// What every element here offers besides its constructor.
macro_rules! with_id {
    () => {
        /// The element with identity `id`, kept from frame to frame so that Smithay's
        /// damage tracker redraws it only where it changed (a new element is new damage).
        pub fn with_id(mut self, id: Id) -> Self {
            self.common.id = id;
            self
        }
    };
}

macro_rules! element_basics {
    () => {
        fn id(&self) -> &Id {
            &self.common.id
        }

        fn current_commit(&self) -> CommitCounter {
            self.common.commit
        }

        fn src(&self) -> Rectangle<f64, Buffer> {
            unit_src(self.geometry(Scale::from(1.0)))
        }
    };
}

/// A window's texture with rounded corners at `window` (output pixels).
pub struct RoundedWindowElement {
    common: Common,
    texture: VulkanTexture,
    window: Rect,
    corners: Corners,
    alpha: f32,
}

impl RoundedWindowElement {
    with_id!();

    /// `commit` changes whenever the texture's content does (the surface's commit).
    pub fn new(
        effects: &Arc<Effects>,
        texture: VulkanTexture,
        window: Rectangle<i32, Physical>,
        corners: Corners,
        alpha: f32,
        commit: CommitCounter,
    ) -> RoundedWindowElement {
        RoundedWindowElement {
            common: Common::new(effects, commit),
            texture,
            window: rect(window),
            corners,
            alpha,
        }
    }
}

impl Element for RoundedWindowElement {
    element_basics!();

    fn geometry(&self, _scale: Scale<f64>) -> Rectangle<i32, Physical> {
        physical(self.window)
    }
}

impl RenderElement<VulkanRenderer> for RoundedWindowElement {
    fn draw(
        &self,
        frame: &mut VulkanFrame<'_, '_>,
        _src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        _opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<()> {
        let texture = self.texture.texture().clone();
        let window = moved(self.window, physical(self.window), dst);
        let damage = absolute(damage, dst);
        let effects = &self.common.effects;
        effects.draw_window(frame, texture, window, self.corners, self.alpha, &damage)
    }
}

/// A border around a window at `window`.
pub struct BorderElement {
    common: Common,
    window: Rect,
    corners: Corners,
    border: Border,
}

impl BorderElement {
    with_id!();

    /// `commit` changes whenever the border does (colour, width, the window's size).
    pub fn new(
        effects: &Arc<Effects>,
        window: Rectangle<i32, Physical>,
        corners: Corners,
        border: Border,
        commit: CommitCounter,
    ) -> BorderElement {
        BorderElement {
            common: Common::new(effects, commit),
            window: rect(window),
            corners,
            border,
        }
    }
}

impl Element for BorderElement {
    element_basics!();

    fn geometry(&self, _scale: Scale<f64>) -> Rectangle<i32, Physical> {
        physical(border_bounds(self.window, self.border.width))
    }
}

impl RenderElement<VulkanRenderer> for BorderElement {
    fn draw(
        &self,
        frame: &mut VulkanFrame<'_, '_>,
        _src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        _opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<()> {
        let window = moved(self.window, self.geometry(Scale::from(1.0)), dst);
        let damage = absolute(damage, dst);
        let effects = &self.common.effects;
        effects.draw_border(frame, window, self.corners, &self.border, &damage)
    }
}

/// The drop shadow of a window at `window`.
pub struct ShadowElement {
    common: Common,
    window: Rect,
    shadow: Shadow,
}

impl ShadowElement {
    with_id!();

    /// `commit` changes whenever the shadow does.
    pub fn new(
        effects: &Arc<Effects>,
        window: Rectangle<i32, Physical>,
        shadow: Shadow,
        commit: CommitCounter,
    ) -> ShadowElement {
        ShadowElement {
            common: Common::new(effects, commit),
            window: rect(window),
            shadow,
        }
    }
}

impl Element for ShadowElement {
    element_basics!();

    fn geometry(&self, _scale: Scale<f64>) -> Rectangle<i32, Physical> {
        physical(self.shadow.bounds(self.window))
    }
}

impl RenderElement<VulkanRenderer> for ShadowElement {
    fn draw(
        &self,
        frame: &mut VulkanFrame<'_, '_>,
        _src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        _opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<()> {
        let window = moved(self.window, self.geometry(Scale::from(1.0)), dst);
        let damage = absolute(damage, dst);
        let effects = &self.common.effects;
        effects.draw_shadow(frame, window, &self.shadow, &damage)
    }
}

smithay::render_elements! {
    /// Any of the effects' elements, so one element list can hold them all.
    pub DecorationElement<=VulkanRenderer>;
    Shadow=ShadowElement,
    Window=RoundedWindowElement,
    Border=BorderElement,
}
