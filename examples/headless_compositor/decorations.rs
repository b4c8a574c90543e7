//! `--decorations`: every toplevel gets rounded corners, a border and a drop shadow. The
//! border and the shadow are the typed pipelines of `examples/effects` (a crate of its own,
//! as a compositor's effects would be). The toplevel's own surface is drawn with rounded
//! corners by vkcompose's `render_texture_rounded` instead of Smithay's surface element
//! (it decodes colour-managed surfaces, which the effects' own rounded window, drawing
//! texels as stored, does not); its subsurfaces and popups as usual.
//!
//! The look is fixed (tests/headless_compositor.rs computes the same pixels): corners of
//! [`CORNER_RADIUS`], a [`BORDER`] around the surface, and a [`SHADOW`] below it.

use std::sync::{Arc, OnceLock};

use smithay::backend::renderer::element::{Element, Id, Kind, RenderElement, UnderlyingStorage};
use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::utils::{with_renderer_surface_state, CommitCounter, DamageSet};
use smithay::backend::renderer::{Renderer, RendererSuper};
use smithay::desktop::Window;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::{Buffer, Physical, Point, Rectangle, Scale, Transform};
use vkcompose::geometry::CornerRadii;
use vkcompose::smithay::{VulkanFrame, VulkanRenderer, VulkanTexture};
use vkcompose_effects::elements::{BorderElement, DecorationElement, ShadowElement};
use vkcompose_effects::{Border, Corners, Effects, Paint, Shadow};

/// Every corner's radius, in output pixels.
pub const CORNER_RADIUS: f32 = 12.0;
/// A 4-pixel opaque border of #e0a030.
pub const BORDER: Border = Border {
    width: 4.0,
    paint: Paint::Solid([
        0xe0 as f32 / 255.0,
        0xa0 as f32 / 255.0,
        0x30 as f32 / 255.0,
        1.0,
    ]),
};
/// Half-transparent black, 8 pixels down, blurred with a standard deviation of 8 pixels.
pub const SHADOW: Shadow = Shadow {
    offset: [0, 8],
    sigma: 8.0,
    color: [0.0, 0.0, 0.0, 0.5],
};

/// The effects, made on first use from the renderer's device.
#[derive(Default)]
pub struct Decorations {
    effects: OnceLock<Arc<Effects>>,
}

impl Decorations {
    fn effects(&self, renderer: &VulkanRenderer) -> Option<&Arc<Effects>> {
        if self.effects.get().is_none() {
            match Effects::new(renderer.renderer().device()) {
                Ok(effects) => {
                    let _ = self.effects.set(Arc::new(effects));
                }
                Err(e) => {
                    eprintln!("headless_compositor: --decorations: {e}");
                    return None;
                }
            }
        }
        self.effects.get()
    }
}

/// The identities of a window's border and shadow elements, kept in its user data so the
/// damage tracker follows them from frame to frame.
struct DecorationIds {
    border: Id,
    shadow: Id,
}

/// A decoration as an element of any renderer's list (only the Vulkan renderer makes them):
/// one of the effects' elements, or the toplevel's surface with rounded corners.
pub enum Decoration {
    Effect(DecorationElement),
    Surface(RoundedSurface),
}

/// A toplevel's surface drawn with rounded corners.
pub struct RoundedSurface {
    id: Id,
    commit: CommitCounter,
    texture: VulkanTexture,
    geometry: Rectangle<i32, Physical>,
    transform: Transform,
}

/// A toplevel's decorations, front to back around its surface's other elements.
pub struct WindowDecorations {
    /// The border, above everything of the window.
    pub above: Decoration,
    /// The toplevel's own surface, rounded: in place of Smithay's element for it.
    pub surface: Decoration,
    /// The shadow, below everything of the window.
    pub below: Decoration,
}

/// What the compositor needs of a renderer to decorate windows.
pub trait DecorationRenderer: Renderer + Sized {
    /// Whether it decorates at all; without, `--decorations` changes nothing.
    const DECORATES: bool;

    /// The decorations of `window`, whose toplevel surface lies at `origin`; `None` while
    /// its surface has no texture yet.
    fn decorate(
        renderer: &mut Self,
        decorations: &Decorations,
        window: &Window,
        origin: Point<i32, Physical>,
    ) -> Option<WindowDecorations>;

    fn draw_decoration(
        frame: &mut Self::Frame<'_, '_>,
        element: &Decoration,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), Self::Error>;
}

impl DecorationRenderer for VulkanRenderer {
    const DECORATES: bool = true;

    fn decorate(
        renderer: &mut VulkanRenderer,
        decorations: &Decorations,
        window: &Window,
        origin: Point<i32, Physical>,
    ) -> Option<WindowDecorations> {
        let surface = window.toplevel()?.wl_surface().clone();
        let SurfaceTexture {
            texture,
            size,
            commit,
            transform,
        } = surface_texture(renderer, &surface)?;
        let effects = decorations.effects(renderer)?.clone();
        let rect = Rectangle::new(origin, size);
        let ids = window.user_data().get_or_insert(|| DecorationIds {
            border: Id::new(),
            shadow: Id::new(),
        });
        let corners = Corners::all(CORNER_RADIUS);
        let rounded = RoundedSurface {
            id: Id::from_wayland_resource(&surface),
            commit,
            texture,
            geometry: rect,
            transform,
        };
        let unchanged = CommitCounter::default();
        let border = BorderElement::new(&effects, rect, corners, BORDER, unchanged)
            .with_id(ids.border.clone());
        let shadow =
            ShadowElement::new(&effects, rect, SHADOW, unchanged).with_id(ids.shadow.clone());
        Some(WindowDecorations {
            above: Decoration::Effect(border.into()),
            surface: Decoration::Surface(rounded),
            below: Decoration::Effect(shadow.into()),
        })
    }

    fn draw_decoration(
        frame: &mut VulkanFrame<'_, '_>,
        element: &Decoration,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), vkcompose::Error> {
        match element {
            Decoration::Effect(effect) => RenderElement::<VulkanRenderer>::draw(
                effect,
                frame,
                src,
                dst,
                damage,
                opaque_regions,
            ),
            Decoration::Surface(surface) => {
                let corners = CornerRadii::all(CORNER_RADIUS);
                let texture = &surface.texture;
                frame.render_texture_rounded(
                    texture,
                    src,
                    dst,
                    damage,
                    surface.transform,
                    1.0,
                    corners,
                )
            }
        }
    }
}

/// What a toplevel surface draws from: its current texture, its size in output pixels
/// (scale 1), its commit and its buffer transform.
struct SurfaceTexture {
    texture: VulkanTexture,
    size: smithay::utils::Size<i32, Physical>,
    commit: CommitCounter,
    transform: Transform,
}

fn surface_texture(renderer: &VulkanRenderer, surface: &WlSurface) -> Option<SurfaceTexture> {
    let context = renderer.context_id();
    with_renderer_surface_state(surface, |state| {
        let size = state.surface_size()?;
        Some(SurfaceTexture {
            texture: state.texture::<VulkanTexture>(context)?.clone(),
            size: (size.w, size.h).into(),
            commit: state.current_commit(),
            transform: state.buffer_transform(),
        })
    })
    .flatten()
}

impl DecorationRenderer for PixmanRenderer {
    const DECORATES: bool = false;

    fn decorate(
        _renderer: &mut Self,
        _decorations: &Decorations,
        _window: &Window,
        _origin: Point<i32, Physical>,
    ) -> Option<WindowDecorations> {
        None
    }

    fn draw_decoration(
        _frame: &mut <Self as RendererSuper>::Frame<'_, '_>,
        _element: &Decoration,
        _src: Rectangle<f64, Buffer>,
        _dst: Rectangle<i32, Physical>,
        _damage: &[Rectangle<i32, Physical>],
        _opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), <Self as RendererSuper>::Error> {
        unreachable!("no decorations are made for a renderer that does not decorate")
    }
}

impl Element for Decoration {
    fn id(&self) -> &Id {
        match self {
            Decoration::Effect(e) => e.id(),
            Decoration::Surface(s) => &s.id,
        }
    }

    fn current_commit(&self) -> CommitCounter {
        match self {
            Decoration::Effect(e) => e.current_commit(),
            Decoration::Surface(s) => s.commit,
        }
    }

    fn src(&self) -> Rectangle<f64, Buffer> {
        match self {
            Decoration::Effect(e) => e.src(),
            Decoration::Surface(s) => {
                let texture = s.texture.texture();
                let size = (f64::from(texture.width()), f64::from(texture.height()));
                Rectangle::from_size(size.into())
            }
        }
    }

    fn transform(&self) -> Transform {
        match self {
            Decoration::Effect(e) => e.transform(),
            Decoration::Surface(s) => s.transform,
        }
    }

    fn geometry(&self, scale: Scale<f64>) -> Rectangle<i32, Physical> {
        match self {
            Decoration::Effect(e) => e.geometry(scale),
            Decoration::Surface(s) => s.geometry,
        }
    }

    fn damage_since(
        &self,
        scale: Scale<f64>,
        commit: Option<CommitCounter>,
    ) -> DamageSet<i32, Physical> {
        match self {
            Decoration::Effect(e) => e.damage_since(scale, commit),
            // A new commit redraws the whole surface (its damage is not tracked here).
            Decoration::Surface(s) if commit == Some(s.commit) => DamageSet::default(),
            Decoration::Surface(s) => {
                DamageSet::from_slice(&[Rectangle::from_size(s.geometry.size)])
            }
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Decoration::Effect(e) => e.kind(),
            Decoration::Surface(_) => Kind::Unspecified,
        }
    }
}

impl<R: DecorationRenderer> RenderElement<R> for Decoration {
    fn draw(
        &self,
        frame: &mut R::Frame<'_, '_>,
        src: Rectangle<f64, Buffer>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), R::Error> {
        R::draw_decoration(frame, self, src, dst, damage, opaque_regions)
    }

    fn underlying_storage(&self, _renderer: &mut R) -> Option<UnderlyingStorage<'_>> {
        None
    }
}
