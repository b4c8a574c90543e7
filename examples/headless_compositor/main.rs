//! A minimal headless Wayland compositor on Smithay 0.7: real clients connect to its
//! socket, and their windows are composited into an offscreen image that is written out
//! as a PNG. There is no display device; one virtual `wl_output` stands for the image.
//!
//! ```sh
//! export SHADERC_LIB_DIR=$HOME/.cache/vkcompose/shaderc-0.10.1   # see README
//! cargo run --features smithay --example headless_compositor -- --size 1280x720
//! # first line on stdout: WAYLAND_DISPLAY=wayland-1
//! WAYLAND_DISPLAY=wayland-1 weston-simple-shm &   # Debian package `weston`
//! WAYLAND_DISPLAY=wayland-1 foot &                # a terminal; needs fonts
//! # with a GPU that exports dmabufs (not lavapipe):
//! WAYLAND_DISPLAY=wayland-1 weston-simple-dmabuf-egl
//! ```
//!
//! Options:
//!
//! - `--socket NAME`: the socket name under `$XDG_RUNTIME_DIR` (default: the first free
//!   `wayland-N`).
//! - `--size WxH`: the virtual output's mode, in pixels (default 1280x720).
//! - `--output PATH`: where the PNG is written on SIGUSR1 and on exit (default
//!   `headless.png`).
//! - `--background RRGGBB`: the colour behind the windows (default `204060`).
//! - `--renderer vulkan|pixman`: vkcompose's `VulkanRenderer` (the default) or Smithay's
//!   software renderer, to compare.
//! - `--device SELECTOR`: the Vulkan device (as `cargo run --example info` lists them;
//!   default: the best one).
//! - `--validation`: the Khronos validation layer on; any validation error makes the exit
//!   status 3 (and is printed on stderr).
//! - `--ignore-stdin`: do not read commands from stdin (for running in the background,
//!   where stdin is often `/dev/null` and would end the compositor at once).
//! - `--blur PASSES`: advertise `ext_background_effect_manager_v1` (capability `blur`) and
//!   blur what lies behind each toplevel's blur region with `PASSES` (1 to 8) passes of
//!   dual Kawase (see "Background blur" below). Without it the global is not advertised.
//!   With `--renderer pixman` the protocol is advertised and followed but nothing is
//!   blurred (Smithay's software renderer has no blur).
//! - `--output-color srgb|bt2020-pq|bt2020-hlg|scrgb`: how the output image encodes
//!   light (default `srgb`): its format, its colour description, and the PNG screenshots
//!   are written as (8-bit sRGB, or 16-bit with a `cICP` chunk; see `output_color.rs`).
//!   Anything but `srgb` needs `--renderer vulkan`.
//! - `--decorations`: every toplevel gets rounded corners, a border and a drop shadow,
//!   drawn by the typed pipelines of the `vkcompose-effects` crate (`examples/effects`;
//!   see `decorations.rs` for the look). Vulkan only; ignored with `--renderer pixman`.
//!
//! Protocol on stdin and stdout, one line each:
//!
//! - stdout, first line: `WAYLAND_DISPLAY=<socket name>` once the socket listens.
//! - stdin `screenshot PATH`: render what is pending and write the output to `PATH`;
//!   answered on stdout by `screenshot PATH WxH` once the file is complete (or
//!   `error screenshot PATH: reason`). `screenshot` alone writes `--output`.
//! - stdin `quit`, or the end of stdin: write `--output` and exit. SIGTERM and SIGINT do
//!   the same; SIGUSR1 writes `--output` and goes on (answered like a `screenshot`).
//! - stdin `lose-device` (tests only): the fault-injection layer, when loaded, makes the
//!   next frame find the device lost (answered `lose-device armed`, or `error
//!   lose-device: reason`); the compositor then builds a new renderer, draws every
//!   client's current buffer again and says `renderer rebuilt after: reason` (see
//!   `device_loss.rs`).
//! - stdout `exit PATH` is the last line, after the final PNG is written.
//!
//! Windows: every new toplevel is mapped at (32, 32) plus 48 pixels down and right per
//! toplevel mapped before it, wrapping back to (32, 32) where it would start past half
//! the output. Toplevels choose their own size (the configure carries none) and are told
//! to use server-side decorations, which this compositor does not draw.
//!
//! Frames: a client commit marks the output dirty; a dirty output is rendered at most
//! every 16 ms through Smithay's `OutputDamageTracker` (only damaged regions are redrawn
//! into the persistent target), then every window gets its frame callbacks. A buffer is
//! released when the client attaches the next one (Smithay's surface state keeps the
//! current one), so clients double-buffer as on any compositor.
//!
//! Background blur (`--blur`): a client asks for it with `ext-background-effect-v1`,
//! `get_background_effect` for a surface (a second one for the same surface is the
//! `background_effect_exists` error) and `set_blur_region`, double-buffered state that
//! Smithay's compositor cache applies on the surface's commit (a null region, or
//! destroying the effect object, removes the blur on the next commit; `set_blur_region`
//! after the surface is gone is the `surface_destroyed` error). Only a toplevel's own
//! surface is blurred behind, not its subsurfaces or popups. Each such window gets a
//! blur element just below its surface elements: its geometry is the blur region's
//! bounding box (clipped to the surface and the output), and it draws the blur within the
//! region's rectangles only. Damage is conservative: whenever any surface commits or a
//! window is mapped or unmapped, every blur element reports its whole region as damage on
//! the next frame, so the damage tracker redraws everything below it there and the blur
//! is computed again from that. (A change below within the blur's reach is covered, and so
//! is a partial redraw from above, which would otherwise leave the blur reading its own
//! previous output at the edges of the damage.) The blur also reads up to its reach
//! outside the region, where the target holds this frame's drawing inside the damage and
//! the previous frame elsewhere, so a window above that overlaps that margin can bleed
//! into the blur's edge. A compositor tracking damage itself would grow it with
//! `vkcompose::Blur::grow_damage` instead.
//!
//! Colour management (`--renderer vulkan` only): `wp_color_manager_v1` is advertised
//! (see `color_management.rs` for what it supports). Before each frame every window
//! surface's texture gets its surface's current image description (untagged surfaces
//! are sRGB) and the target has the output's, so vkcompose converts each surface into the
//! output's encoding (its linear path: sRGB white lands at the output's reference white,
//! 203 cd/m² in PQ and HLG). A commit that changes only a surface's description damages
//! nothing, so such a change redraws the whole output.

mod color_management;
mod decorations;
mod device_loss;
mod dmabuf_guard;
mod output_color;

use std::{
    collections::VecDeque,
    fs::File,
    io::{self, BufRead, Read, Write},
    os::fd::{FromRawFd, OwnedFd},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use vkcompose::{
    color::ColorDescription,
    select_device,
    smithay::{VulkanFrame, VulkanRenderer},
    DeviceBuilder, DeviceSelector, Instance, InstanceOptions, RendererOptions,
};

use color_management::ColorManagementState;
use decorations::{Decoration, DecorationRenderer, Decorations};
use device_loss::Recover;
use output_color::{OutputColor, Pixels};

use smithay::{
    backend::{
        allocator::dmabuf::Dmabuf,
        renderer::{
            damage::{Error as DamageTrackerError, OutputDamageTracker},
            element::{
                render_elements, surface::WaylandSurfaceRenderElement, AsRenderElements, Element,
                Id, RenderElement,
            },
            pixman::PixmanRenderer,
            utils::{
                on_commit_buffer_handler, with_renderer_surface_state, CommitCounter, DamageSet,
                RendererSurfaceStateUserData,
            },
            Color32F, ExportMem, ImportAll, ImportDma, ImportMemWl, Offscreen, Renderer,
            RendererSuper, Texture, TextureMapping,
        },
    },
    delegate_compositor, delegate_data_device, delegate_output, delegate_seat, delegate_shm,
    delegate_xdg_decoration, delegate_xdg_shell,
    desktop::{PopupKind, PopupManager, Space, Window},
    input::{keyboard::XkbConfig, Seat, SeatHandler, SeatState},
    output::{Mode, Output, PhysicalProperties, Subpixel},
    reexports::{
        calloop::{
            channel::{self, Channel},
            generic::Generic,
            EventLoop, Interest, LoopHandle, PostAction,
        },
        wayland_protocols::{
            ext::background_effect::v1::server::{
                ext_background_effect_manager_v1::{
                    self, Capability as BackgroundEffectCapability, ExtBackgroundEffectManagerV1,
                },
                ext_background_effect_surface_v1::{self, ExtBackgroundEffectSurfaceV1},
            },
            xdg::decoration::zv1::server::zxdg_toplevel_decoration_v1::Mode as DecorationMode,
        },
        wayland_server::{
            backend::{ClientData, ClientId, DisconnectReason},
            protocol::{wl_buffer::WlBuffer, wl_seat::WlSeat, wl_surface::WlSurface},
            Client, DataInit, Dispatch, Display, DisplayHandle, GlobalDispatch, New, Resource,
            Weak,
        },
    },
    utils::{
        Buffer as BufferCoords, Logical, Physical, Point, Rectangle, Scale, Serial, Size,
        Transform, SERIAL_COUNTER,
    },
    wayland::{
        buffer::BufferHandler,
        compositor::{
            get_parent, get_region_attributes, is_sync_subsurface, with_states, Cacheable,
            CompositorClientState, CompositorHandler, CompositorState, RectangleKind,
            RegionAttributes,
        },
        dmabuf::{DmabufGlobal, DmabufHandler, DmabufState, ImportNotifier},
        output::{OutputHandler, OutputManagerState},
        selection::{
            data_device::{
                ClientDndGrabHandler, DataDeviceHandler, DataDeviceState, ServerDndGrabHandler,
            },
            SelectionHandler,
        },
        shell::xdg::{
            decoration::{XdgDecorationHandler, XdgDecorationState},
            PopupSurface, PositionerState, ToplevelSurface, XdgShellHandler, XdgShellState,
        },
        shm::{ShmHandler, ShmState},
        socket::ListeningSocketSource,
    },
};

/// Where the first toplevel goes, and how far each next one moves down and right.
const FIRST_WINDOW: (i32, i32) = (32, 32);
const CASCADE_STEP: i32 = 48;
/// The shortest time between two rendered frames (about 60 Hz).
const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// The dual Kawase passes `--blur` accepts: each halves the resolution once more.
const BLUR_PASSES: std::ops::RangeInclusive<u32> = 1..=8;
/// The sample offset of every blur pass, in pixels of the level it reads.
const BLUR_OFFSET: f32 = 1.0;
/// The protocol has no corner radius: blur regions are plain rectangles.
const BLUR_CORNER_RADIUS: f32 = 0.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RendererKind {
    /// vkcompose's `VulkanRenderer`.
    Vulkan,
    /// Smithay's software renderer, for comparison.
    Pixman,
}

struct Options {
    socket: Option<String>,
    size: (i32, i32),
    output: PathBuf,
    background: [u8; 3],
    renderer: RendererKind,
    device: DeviceSelector,
    validation: bool,
    read_stdin: bool,
    /// `--blur PASSES`: background blur with this many dual Kawase passes.
    blur: Option<u32>,
    output_color: OutputColor,
    decorations: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: headless_compositor [--socket NAME] [--size WxH] [--output PATH] \
         [--background RRGGBB] [--renderer vulkan|pixman] [--device SELECTOR] [--validation] \
         [--ignore-stdin] [--blur PASSES] [--output-color srgb|bt2020-pq|bt2020-hlg|scrgb] \
         [--decorations]"
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut options = Options {
        socket: None,
        size: (1280, 720),
        output: PathBuf::from("headless.png"),
        background: [0x20, 0x40, 0x60],
        renderer: RendererKind::Vulkan,
        device: DeviceSelector::Best,
        validation: false,
        read_stdin: true,
        blur: None,
        output_color: OutputColor::Srgb,
        decorations: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--socket" => options.socket = Some(value()),
            "--size" => {
                let v = value();
                let parsed = v
                    .split_once('x')
                    .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
                match parsed {
                    Some((w, h)) if w > 0 && h > 0 => options.size = (w, h),
                    _ => usage(),
                }
            }
            "--output" => options.output = PathBuf::from(value()),
            "--background" => {
                let v = value();
                let rgb = u32::from_str_radix(v.trim_start_matches('#'), 16);
                match rgb {
                    Ok(rgb) if v.trim_start_matches('#').len() == 6 => {
                        let [_, r, g, b] = rgb.to_be_bytes();
                        options.background = [r, g, b];
                    }
                    _ => usage(),
                }
            }
            "--renderer" => {
                options.renderer = match value().as_str() {
                    "vulkan" => RendererKind::Vulkan,
                    "pixman" => RendererKind::Pixman,
                    _ => usage(),
                }
            }
            "--device" => {
                options.device = DeviceSelector::parse(&value()).unwrap_or_else(|e| {
                    eprintln!("headless_compositor: --device: {e}");
                    usage()
                })
            }
            "--validation" => options.validation = true,
            "--ignore-stdin" => options.read_stdin = false,
            "--blur" => match value().parse() {
                Ok(passes) if BLUR_PASSES.contains(&passes) => options.blur = Some(passes),
                _ => usage(),
            },
            "--output-color" => {
                options.output_color = OutputColor::parse(&value()).unwrap_or_else(|| usage())
            }
            "--decorations" => options.decorations = true,
            _ => usage(),
        }
    }
    if options.renderer == RendererKind::Pixman && options.output_color != OutputColor::Srgb {
        eprintln!("headless_compositor: --output-color other than srgb needs --renderer vulkan");
        usage();
    }
    options
}

/// What the stdin reader thread and the signal handler ask of the event loop.
#[derive(Debug)]
enum Command {
    Screenshot(Option<PathBuf>),
    /// A test's: lose the device through the fault layer (see `device_loss.rs`).
    LoseDevice,
    Quit,
}

/// The Wayland side of the compositor: protocol state, windows, and what the render loop
/// has to do next. It knows nothing of the renderer, so the protocol handlers are written
/// once; dmabuf imports are queued here and checked by the renderer in the loop.
struct State {
    compositor_state: CompositorState,
    xdg_shell_state: XdgShellState,
    _xdg_decoration_state: XdgDecorationState,
    shm_state: ShmState,
    dmabuf_state: DmabufState,
    data_device_state: DataDeviceState,
    seat_state: SeatState<State>,
    seat: Seat<State>,
    _output_manager: OutputManagerState,
    space: Space<Window>,
    popups: PopupManager,
    output: Output,
    /// Toplevels mapped so far: the next one's cascade position.
    mapped_toplevels: i32,
    /// The newest toplevel, to get the keyboard when it first shows a buffer.
    focus_pending: Option<WlSurface>,
    /// Something changed since the last rendered frame.
    dirty: bool,
    /// Dmabufs a client made, waiting for the renderer to say whether it can use them.
    pending_dmabufs: VecDeque<(Dmabuf, ImportNotifier)>,
    /// Screenshot requests and quit, in order.
    commands: VecDeque<Command>,
    /// `--blur PASSES`, which also advertises ext-background-effect-v1.
    blur_passes: Option<u32>,
    /// The commit of every blur element: bumped by every surface commit and every window
    /// mapped or unmapped, so each blur is drawn again over its whole region (see the
    /// module documentation).
    blur_commit: CommitCounter,
    /// wp_color_management_v1's records (the global exists for the Vulkan renderer only).
    color_management: ColorManagementState,
    /// `--decorations`: the effects drawing them.
    decorations: Option<Decorations>,
}

impl State {
    fn window_for_root(&self, root: &WlSurface) -> Option<&Window> {
        self.space
            .elements()
            .find(|w| w.toplevel().is_some_and(|t| t.wl_surface() == root))
    }

    fn cascade_position(&mut self) -> (i32, i32) {
        let size = self
            .output
            .current_mode()
            .map(|m| m.size)
            .unwrap_or_default();
        let steps_x = (size.w / 2 - FIRST_WINDOW.0).max(0) / CASCADE_STEP + 1;
        let steps_y = (size.h / 2 - FIRST_WINDOW.1).max(0) / CASCADE_STEP + 1;
        let n = self.mapped_toplevels % steps_x.min(steps_y);
        self.mapped_toplevels += 1;
        (
            FIRST_WINDOW.0 + n * CASCADE_STEP,
            FIRST_WINDOW.1 + n * CASCADE_STEP,
        )
    }
}

/// Per-client data the compositor protocol needs.
#[derive(Default)]
struct ClientState {
    compositor_state: CompositorClientState,
}

impl ClientData for ClientState {
    fn initialized(&self, _client_id: ClientId) {}
    fn disconnected(&self, _client_id: ClientId, _reason: DisconnectReason) {}
}

impl CompositorHandler for State {
    fn compositor_state(&mut self) -> &mut CompositorState {
        &mut self.compositor_state
    }

    fn client_compositor_state<'a>(&self, client: &'a Client) -> &'a CompositorClientState {
        &client
            .get_data::<ClientState>()
            .expect("every client is inserted with ClientState")
            .compositor_state
    }

    fn commit(&mut self, surface: &WlSurface) {
        // Smithay's renderer surface state takes the new buffer (releasing the old one)
        // and accumulates damage for the render elements.
        on_commit_buffer_handler::<Self>(surface);
        if !is_sync_subsurface(surface) {
            let mut root = surface.clone();
            while let Some(parent) = get_parent(&root) {
                root = parent;
            }
            if let Some(window) = self.window_for_root(&root) {
                window.on_commit();
            }
            // The newest window gets the keyboard (if the seat has one) once it shows a
            // buffer: sooner, and some clients (foot 1.13) crash on an `enter` for a
            // surface they have not configured yet.
            let mapped = with_renderer_surface_state(surface, |s| s.buffer().is_some());
            if self.focus_pending.as_ref() == Some(surface) && mapped == Some(true) {
                self.focus_pending = None;
                if let Some(keyboard) = self.seat.get_keyboard() {
                    keyboard.set_focus(self, Some(surface.clone()), SERIAL_COUNTER.next_serial());
                }
            }
        }
        // A toplevel's first commit carries no buffer and asks for the initial configure.
        if let Some(window) = self.window_for_root(surface) {
            let toplevel = window.toplevel().expect("only xdg toplevels are mapped");
            if !toplevel.is_initial_configure_sent() {
                toplevel.send_configure();
            }
        }
        self.popups.commit(surface);
        if let Some(PopupKind::Xdg(popup)) = self.popups.find_popup(surface) {
            if !popup.is_initial_configure_sent() {
                // Cannot fail: the initial configure of a popup is always allowed.
                let _ = popup.send_configure();
            }
        }
        self.blur_commit.increment();
        self.dirty = true;
    }
}

impl BufferHandler for State {
    fn buffer_destroyed(&mut self, _buffer: &WlBuffer) {}
}

impl ShmHandler for State {
    fn shm_state(&self) -> &ShmState {
        &self.shm_state
    }
}

impl DmabufHandler for State {
    fn dmabuf_state(&mut self) -> &mut DmabufState {
        &mut self.dmabuf_state
    }

    fn dmabuf_imported(
        &mut self,
        _global: &DmabufGlobal,
        dmabuf: Dmabuf,
        notifier: ImportNotifier,
    ) {
        // The renderer lives outside State; the loop answers right after this dispatch.
        self.pending_dmabufs.push_back((dmabuf, notifier));
    }
}

impl XdgShellHandler for State {
    fn xdg_shell_state(&mut self) -> &mut XdgShellState {
        &mut self.xdg_shell_state
    }

    fn new_toplevel(&mut self, surface: ToplevelSurface) {
        surface.with_pending_state(|state| {
            state
                .states
                .set(smithay::reexports::wayland_protocols::xdg::shell::server::xdg_toplevel::State::Activated);
        });
        self.focus_pending = Some(surface.wl_surface().clone());
        let position = self.cascade_position();
        self.space
            .map_element(Window::new_wayland_window(surface), position, true);
        self.blur_commit.increment();
        self.dirty = true;
    }

    fn toplevel_destroyed(&mut self, surface: ToplevelSurface) {
        let window = self
            .space
            .elements()
            .find(|w| w.toplevel() == Some(&surface))
            .cloned();
        if let Some(window) = window {
            self.space.unmap_elem(&window);
        }
        self.blur_commit.increment();
        self.dirty = true;
    }

    fn new_popup(&mut self, surface: PopupSurface, _positioner: PositionerState) {
        // The positioner's geometry is already the popup's pending state; the initial
        // configure goes out on its first commit.
        if let Err(err) = self.popups.track_popup(PopupKind::Xdg(surface)) {
            eprintln!("headless_compositor: popup of a dead surface: {err:?}");
        }
    }

    fn reposition_request(
        &mut self,
        surface: PopupSurface,
        positioner: PositionerState,
        token: u32,
    ) {
        surface.with_pending_state(|state| {
            state.geometry = positioner.get_geometry();
            state.positioner = positioner;
        });
        surface.send_repositioned(token);
    }

    fn grab(&mut self, _surface: PopupSurface, _seat: WlSeat, _serial: Serial) {
        // No input devices, so no grabs.
    }
}

impl XdgDecorationHandler for State {
    // Always server-side: the compositor draws no decorations, so clients stay plain
    // rectangles of their own content (predictable positions for tests).
    fn new_decoration(&mut self, toplevel: ToplevelSurface) {
        toplevel
            .with_pending_state(|state| state.decoration_mode = Some(DecorationMode::ServerSide));
    }

    fn request_mode(&mut self, toplevel: ToplevelSurface, _mode: DecorationMode) {
        self.new_decoration(toplevel.clone());
        if toplevel.is_initial_configure_sent() {
            toplevel.send_pending_configure();
        }
    }

    fn unset_mode(&mut self, toplevel: ToplevelSurface) {
        self.request_mode(toplevel, DecorationMode::ServerSide);
    }
}

impl SeatHandler for State {
    type KeyboardFocus = WlSurface;
    type PointerFocus = WlSurface;
    type TouchFocus = WlSurface;

    fn seat_state(&mut self) -> &mut SeatState<Self> {
        &mut self.seat_state
    }
}

impl OutputHandler for State {}

// A data device manager with no clipboard of its own: foot, for one, refuses to start
// without the global.
impl SelectionHandler for State {
    type SelectionUserData = ();
}

impl DataDeviceHandler for State {
    fn data_device_state(&self) -> &DataDeviceState {
        &self.data_device_state
    }
}

impl ClientDndGrabHandler for State {}
impl ServerDndGrabHandler for State {}

/// ext-background-effect-v1's blur region: double-buffered surface state in Smithay's
/// compositor cache, so it is applied on the surface's commit (and follows sync
/// subsurfaces' parents like every other cached state). Surface-local, as the client sent
/// it; clipped to the surface when drawn.
#[derive(Clone, Debug, Default)]
struct BlurRegion(Option<RegionAttributes>);

impl Cacheable for BlurRegion {
    fn commit(&mut self, _dh: &DisplayHandle) -> Self {
        // The pending region stays until the client sets another.
        self.clone()
    }

    fn merge_into(self, into: &mut Self, _dh: &DisplayHandle) {
        *into = self;
    }
}

/// Marks a surface that has an `ext_background_effect_surface_v1` (at most one each).
#[derive(Debug, Default)]
struct HasBackgroundEffect(AtomicBool);

/// The user data of an `ext_background_effect_surface_v1`: its surface, which may be gone.
struct BackgroundEffect(Weak<WlSurface>);

impl GlobalDispatch<ExtBackgroundEffectManagerV1, ()> for State {
    fn bind(
        _state: &mut Self,
        _dh: &DisplayHandle,
        _client: &Client,
        resource: New<ExtBackgroundEffectManagerV1>,
        _global_data: &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        let manager = data_init.init(resource, ());
        manager.capabilities(BackgroundEffectCapability::Blur);
    }
}

impl Dispatch<ExtBackgroundEffectManagerV1, ()> for State {
    fn request(
        _state: &mut Self,
        _client: &Client,
        manager: &ExtBackgroundEffectManagerV1,
        request: ext_background_effect_manager_v1::Request,
        _data: &(),
        _dh: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        match request {
            ext_background_effect_manager_v1::Request::GetBackgroundEffect { id, surface } => {
                let exists = with_states(&surface, |states| {
                    states
                        .data_map
                        .get_or_insert_threadsafe(HasBackgroundEffect::default)
                        .0
                        .swap(true, Ordering::Relaxed)
                });
                if exists {
                    manager.post_error(
                        ext_background_effect_manager_v1::Error::BackgroundEffectExists,
                        "the surface already has a background effect object",
                    );
                } else {
                    data_init.init(id, BackgroundEffect(surface.downgrade()));
                }
            }
            // Effect objects made through it live on.
            ext_background_effect_manager_v1::Request::Destroy => {}
            _ => unreachable!("ext_background_effect_manager_v1 version 1 has no other request"),
        }
    }
}

impl Dispatch<ExtBackgroundEffectSurfaceV1, BackgroundEffect> for State {
    fn request(
        _state: &mut Self,
        _client: &Client,
        effect: &ExtBackgroundEffectSurfaceV1,
        request: ext_background_effect_surface_v1::Request,
        data: &BackgroundEffect,
        _dh: &DisplayHandle,
        _data_init: &mut DataInit<'_, Self>,
    ) {
        // After its surface is destroyed the object is inert.
        let surface = data.0.upgrade().ok();
        match request {
            ext_background_effect_surface_v1::Request::SetBlurRegion { region } => {
                let Some(surface) = surface else {
                    effect.post_error(
                        ext_background_effect_surface_v1::Error::SurfaceDestroyed,
                        "the surface of this background effect has been destroyed",
                    );
                    return;
                };
                // Copy semantics: the client may destroy the region right away.
                let region = region.as_ref().map(get_region_attributes);
                with_states(&surface, |states| {
                    *states.cached_state.get::<BlurRegion>().pending() = BlurRegion(region);
                });
            }
            ext_background_effect_surface_v1::Request::Destroy => {
                // The blur goes on the surface's next commit; another object may be made.
                if let Some(surface) = surface {
                    with_states(&surface, |states| {
                        *states.cached_state.get::<BlurRegion>().pending() = BlurRegion(None);
                        if let Some(has) = states.data_map.get::<HasBackgroundEffect>() {
                            has.0.store(false, Ordering::Relaxed);
                        }
                    });
                }
            }
            _ => unreachable!("ext_background_effect_surface_v1 version 1 has no other request"),
        }
    }
}

delegate_compositor!(State);
delegate_shm!(State);
delegate_xdg_shell!(State);
delegate_xdg_decoration!(State);
delegate_seat!(State);
delegate_data_device!(State);
delegate_output!(State);

/// Blocks SIGINT, SIGTERM and SIGUSR1 for this thread (and every thread started after)
/// and returns a signalfd that reads them, so the event loop sees signals as plain
/// readable data instead of running code in a signal handler.
fn signal_fd() -> io::Result<File> {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before any other use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable sigset_t and the signal numbers are valid.
    unsafe {
        libc::sigemptyset(&mut set);
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGUSR1] {
            libc::sigaddset(&mut set, signal);
        }
    }
    // SAFETY: `set` is initialised; a null old-set pointer is allowed.
    let err = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if err != 0 {
        return Err(io::Error::from_raw_os_error(err));
    }
    // SAFETY: -1 asks for a new fd; `set` is initialised; the flags are valid.
    let fd = unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: signalfd just returned this fd, and nothing else owns it.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Reads stdin on a thread of its own (a blocking read is the simple, portable way) and
/// forwards each command line to the event loop; the end of stdin means quit.
fn stdin_commands() -> Channel<Command> {
    let (sender, channel) = channel::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let line = line.trim();
            let command = match line.split_once(' ') {
                _ if line == "screenshot" => Command::Screenshot(None),
                Some(("screenshot", path)) => Command::Screenshot(Some(PathBuf::from(path.trim()))),
                _ if line == "quit" => Command::Quit,
                _ if line == "lose-device" => Command::LoseDevice,
                _ if line.is_empty() => continue,
                _ => {
                    eprintln!(
                        "headless_compositor: unknown command {line:?} (screenshot [PATH] | quit)"
                    );
                    continue;
                }
            };
            if sender.send(command).is_err() {
                return;
            }
        }
        let _ = sender.send(Command::Quit);
    });
    channel
}

/// What the compositor needs of a renderer to manage colour: client textures and the
/// target tagged with their colour descriptions. Smithay's software renderer has no
/// colour management: without it there is no wp_color_manager_v1 and only sRGB output.
trait ColorRenderer: Renderer {
    /// Whether it converts between descriptions (and advertises wp_color_manager_v1).
    const MANAGES_COLOR: bool;

    /// Tags a client texture with its surface's description.
    fn set_texture_description(
        texture: &Self::TextureId,
        description: ColorDescription,
    ) -> Result<(), Self::Error>;

    /// Sets the description frames drawn into `framebuffer` encode into.
    fn set_target_description(
        framebuffer: &Self::Framebuffer<'_>,
        description: ColorDescription,
    ) -> Result<(), Self::Error>;
}

impl ColorRenderer for VulkanRenderer {
    const MANAGES_COLOR: bool = true;

    fn set_texture_description(
        texture: &vkcompose::smithay::VulkanTexture,
        description: ColorDescription,
    ) -> Result<(), vkcompose::Error> {
        // Called for every surface before every frame: skip validating what is set.
        if texture.color_description() == description {
            return Ok(());
        }
        texture.set_color_description(description)
    }

    fn set_target_description(
        framebuffer: &vkcompose::smithay::VulkanFramebuffer<'_>,
        description: ColorDescription,
    ) -> Result<(), vkcompose::Error> {
        framebuffer.set_color_description(description)
    }
}

impl ColorRenderer for PixmanRenderer {
    const MANAGES_COLOR: bool = false;

    fn set_texture_description(
        _texture: &<Self as RendererSuper>::TextureId,
        _description: ColorDescription,
    ) -> Result<(), <Self as RendererSuper>::Error> {
        Ok(())
    }

    fn set_target_description(
        _framebuffer: &<Self as RendererSuper>::Framebuffer<'_>,
        _description: ColorDescription,
    ) -> Result<(), <Self as RendererSuper>::Error> {
        // Only an sRGB output is allowed with this renderer (see parse_options).
        Ok(())
    }
}

/// Gives the texture of every window surface its surface's current image description
/// (Smithay's surface state has no colour, and a texture Smithay makes for a new buffer
/// starts as sRGB, so this runs before every frame, after the elements imported the
/// buffers). Returns whether some surface's description changed since it was last
/// drawn.
fn tag_surface_textures<R>(renderer: &R, state: &State) -> bool
where
    R: ColorRenderer,
    R::TextureId: Clone + 'static,
{
    let context = renderer.context_id();
    let mut changed = false;
    for window in state.space.elements() {
        window.with_surfaces(|_, states| {
            let (identity, description) = color_management::surface_description(states);
            changed |= color_management::description_changed(states, identity);
            let Some(surface_state) = states.data_map.get::<RendererSurfaceStateUserData>() else {
                return;
            };
            let surface_state = surface_state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(texture) = surface_state.texture::<R::TextureId>(context.clone()) {
                if let Err(err) = R::set_texture_description(texture, description) {
                    eprintln!("headless_compositor: surface colour description: {err}");
                }
            }
        });
    }
    changed
}

/// What the compositor needs of a renderer to blur behind windows.
trait BlurRenderer: Renderer {
    /// Whether it blurs at all; without, blur regions are ignored (no blur elements).
    const BLURS: bool;

    /// Draws the blurred content of the target behind `dst` into `dst`, within `damage`
    /// (disjoint, relative to `dst`), with `passes` dual Kawase passes.
    fn blur(
        frame: &mut Self::Frame<'_, '_>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        passes: u32,
    ) -> Result<(), Self::Error>;
}

impl BlurRenderer for VulkanRenderer {
    const BLURS: bool = true;

    fn blur(
        frame: &mut VulkanFrame<'_, '_>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        passes: u32,
    ) -> Result<(), vkcompose::Error> {
        draw_blur(frame, dst, damage, BLUR_CORNER_RADIUS, passes, BLUR_OFFSET)
    }
}

/// Blurs what `frame`'s target holds behind `dst` (drawn earlier in the frame, and the
/// previous frame outside its damage) with `passes` dual Kawase passes sampling at
/// `offset`, and draws the result into `dst` within `damage` (relative to `dst`), clipped
/// to a rounded rectangle of `corner_radius`.
fn draw_blur(
    frame: &mut VulkanFrame<'_, '_>,
    dst: Rectangle<i32, Physical>,
    damage: &[Rectangle<i32, Physical>],
    corner_radius: f32,
    passes: u32,
    offset: f32,
) -> Result<(), vkcompose::Error> {
    let blur = vkcompose::Blur::new(passes, offset);
    frame.blur_behind(dst, damage, corner_radius, 1.0, &blur)
}

impl BlurRenderer for PixmanRenderer {
    const BLURS: bool = false;

    fn blur(
        _frame: &mut <Self as RendererSuper>::Frame<'_, '_>,
        _dst: Rectangle<i32, Physical>,
        _damage: &[Rectangle<i32, Physical>],
        _passes: u32,
    ) -> Result<(), <Self as RendererSuper>::Error> {
        unreachable!("no blur elements are made for a renderer that does not blur")
    }
}

/// The per-window identity of its blur element, kept in the window's user data so the
/// damage tracker follows it from frame to frame.
struct BlurElementId(Id);

/// Draws the blur behind a window's blur region; placed just below the window's surfaces.
struct BlurElement {
    id: Id,
    commit: CommitCounter,
    /// The bounding box of the region on the output.
    geometry: Rectangle<i32, Physical>,
    /// The region: disjoint rectangles relative to `geometry`.
    region: Vec<Rectangle<i32, Physical>>,
    passes: u32,
}

impl BlurElement {
    /// The blur element of `window`, whose surface origin is at `origin` on the output,
    /// if its toplevel surface has a blur region that shows on `output_size`.
    fn of_window(
        window: &Window,
        origin: Point<i32, Logical>,
        scale: Scale<f64>,
        output_size: Size<i32, Physical>,
        passes: u32,
        commit: CommitCounter,
    ) -> Option<Self> {
        let surface = window.toplevel()?.wl_surface();
        let size = with_renderer_surface_state(surface, |s| s.surface_size()).flatten()?;
        let region = with_states(surface, |states| {
            states.cached_state.get::<BlurRegion>().current().0.clone()
        })?;
        let output = Rectangle::from_size(output_size);
        let rects: Vec<Rectangle<i32, Physical>> = surface_region(&region, size)
            .into_iter()
            .filter_map(|mut rect| {
                rect.loc += origin;
                rect.to_physical_precise_round(scale).intersection(output)
            })
            .collect();
        let geometry = rects.iter().copied().reduce(Rectangle::merge)?;
        let id = window
            .user_data()
            .get_or_insert(|| BlurElementId(Id::new()))
            .0
            .clone();
        Some(Self {
            id,
            commit,
            geometry,
            region: rects
                .into_iter()
                .map(|mut rect| {
                    rect.loc -= geometry.loc;
                    rect
                })
                .collect(),
            passes,
        })
    }
}

/// A wl_region's rectangles, added and subtracted in order, clipped to a surface of
/// `size`: disjoint rectangles in surface coordinates.
fn surface_region(
    region: &RegionAttributes,
    size: Size<i32, Logical>,
) -> Vec<Rectangle<i32, Logical>> {
    let surface = Rectangle::from_size(size);
    let mut rects: Vec<Rectangle<i32, Logical>> = Vec::new();
    for (kind, rect) in &region.rects {
        let Some(rect) = rect.intersection(surface) else {
            continue;
        };
        match kind {
            RectangleKind::Add => {
                let new = rect.subtract_rects(rects.iter().copied());
                rects.extend(new);
            }
            RectangleKind::Subtract => {
                rects = Rectangle::subtract_rects_many_in_place(rects, [rect]);
            }
        }
    }
    rects
}

impl Element for BlurElement {
    fn id(&self) -> &Id {
        &self.id
    }

    fn current_commit(&self) -> CommitCounter {
        self.commit
    }

    fn src(&self) -> Rectangle<f64, BufferCoords> {
        Rectangle::from_size(Size::from((
            f64::from(self.geometry.size.w),
            f64::from(self.geometry.size.h),
        )))
    }

    fn geometry(&self, _scale: Scale<f64>) -> Rectangle<i32, Physical> {
        self.geometry
    }

    /// Any commit since the last frame: the whole region (see the module documentation).
    fn damage_since(
        &self,
        _scale: Scale<f64>,
        commit: Option<CommitCounter>,
    ) -> DamageSet<i32, Physical> {
        if commit == Some(self.commit) {
            DamageSet::default()
        } else {
            DamageSet::from_slice(&self.region)
        }
    }

    // No opaque regions: what is below must be drawn first, for the blur to read it.
}

impl<R: BlurRenderer> RenderElement<R> for BlurElement {
    fn draw(
        &self,
        frame: &mut R::Frame<'_, '_>,
        _src: Rectangle<f64, BufferCoords>,
        dst: Rectangle<i32, Physical>,
        damage: &[Rectangle<i32, Physical>],
        _opaque_regions: &[Rectangle<i32, Physical>],
    ) -> Result<(), R::Error> {
        // The damage tracker's damage covers the bounding box; draw only the region.
        let clipped: Vec<_> = damage
            .iter()
            .flat_map(|d| self.region.iter().filter_map(|r| r.intersection(*d)))
            .collect();
        if clipped.is_empty() {
            return Ok(());
        }
        R::blur(frame, dst, &clipped, self.passes)
    }
}

render_elements! {
    /// What the output is drawn from, front to back: each window's surfaces, then its
    /// blur element (if any) just below them, then the next window down.
    OutputElement<R> where R: ImportAll + BlurRenderer + DecorationRenderer;
    Surface = WaylandSurfaceRenderElement<R>,
    Blur = BlurElement,
    Decoration = Decoration,
}

/// The output's render elements, front to back.
fn output_elements<R>(renderer: &mut R, state: &State) -> Vec<OutputElement<R>>
where
    R: ImportAll + BlurRenderer + DecorationRenderer,
    R::TextureId: Clone + Texture + 'static,
{
    let output = &state.output;
    let Some(output_geometry) = state.space.output_geometry(output) else {
        return Vec::new();
    };
    let scale = Scale::from(output.current_scale().fractional_scale());
    let output_size = output_geometry.size.to_physical_precise_round(scale);
    let blur_passes = state.blur_passes.filter(|_| R::BLURS);
    let mut elements = Vec::new();
    for window in state.space.elements().rev() {
        let (Some(bbox), Some(location)) = (
            state.space.element_bbox(window),
            state.space.element_location(window),
        ) else {
            continue;
        };
        if !bbox.overlaps(output_geometry) {
            continue;
        }
        // Where the toplevel surface's origin is on the output (the window's geometry may
        // start inside its surface, past client-side shadows).
        let origin = location - window.geometry().loc - output_geometry.loc;
        let surfaces = AsRenderElements::<R>::render_elements::<OutputElement<R>>(
            window,
            renderer,
            origin.to_physical_precise_round(scale),
            scale,
            1.0,
        );
        let decorated = match &state.decorations {
            Some(decorations) if R::DECORATES => R::decorate(
                renderer,
                decorations,
                window,
                origin.to_physical_precise_round(scale),
            ),
            _ => None,
        };
        // Smithay's element of the toplevel surface gives way to the rounded one, and the
        // shadow goes below everything of the window (its blur included).
        let mut below = None;
        match decorated {
            None => elements.extend(surfaces),
            Some(decorated) => {
                let own = decorated.surface.id().clone();
                elements.push(OutputElement::Decoration(decorated.above));
                elements.extend(surfaces.into_iter().filter(|e| e.id() != &own));
                elements.push(OutputElement::Decoration(decorated.surface));
                below = Some(OutputElement::Decoration(decorated.below));
            }
        }
        if let Some(passes) = blur_passes {
            elements.extend(
                BlurElement::of_window(
                    window,
                    origin,
                    scale,
                    output_size,
                    passes,
                    state.blur_commit,
                )
                .map(OutputElement::Blur),
            );
        }
        elements.extend(below);
    }
    elements
}

/// The render side: a renderer of any Smithay kind and the offscreen image it draws into.
struct OffscreenOutput<R, T> {
    renderer: R,
    target: T,
    damage_tracker: OutputDamageTracker,
    size: (i32, i32),
    background: Color32F,
    /// How the target encodes light (its format is the first of its formats that the
    /// renderer can render into).
    color: OutputColor,
    /// Whether the target holds a complete frame (age 1 for the damage tracker).
    rendered_once: bool,
    last_frame: Option<Instant>,
    start: Instant,
}

impl<R, T> OffscreenOutput<R, T>
where
    R: BlurRenderer
        + DecorationRenderer
        + ColorRenderer
        + ImportAll
        + ImportDma
        + ImportMemWl
        + ExportMem
        + Offscreen<T>
        + Recover,
    R::TextureId: Clone + Texture + 'static,
{
    fn new(
        mut renderer: R,
        output: &Output,
        size: (i32, i32),
        background: [u8; 3],
        color: OutputColor,
    ) -> Result<Self, String> {
        let target = create_target(&mut renderer, size, color)?;
        // Smithay's clear colour is sRGB; vkcompose encodes it for the target.
        let [r, g, b] = background.map(|c| f32::from(c) / 255.0);
        Ok(Self {
            renderer,
            target,
            damage_tracker: OutputDamageTracker::from_output(output),
            size,
            background: Color32F::new(r, g, b, 1.0),
            color,
            rendered_once: false,
            last_frame: None,
            start: Instant::now(),
        })
    }

    /// After the renderer was lost (`why`): a new renderer and target, the surfaces'
    /// buffers imported into it and everything drawn again (see `device_loss.rs`).
    fn recover(&mut self, state: &mut State, why: &str) -> Result<(), String> {
        eprintln!("headless_compositor: the renderer is lost ({why}); building a new one");
        let mut renderer = self.renderer.rebuild()?;
        let target = create_target(&mut renderer, self.size, self.color)?;
        // The old target, then the old renderer: a lost device's objects drop at once.
        self.target = target;
        self.renderer = renderer;
        self.damage_tracker = OutputDamageTracker::from_output(&state.output);
        self.rendered_once = false;
        // What was made for the old device goes with it.
        if state.decorations.is_some() {
            state.decorations = Some(Decorations::default());
        }
        state.dirty = true;
        self.render(state)
            .map_err(|e| format!("the new renderer failed too: {e}"))?;
        say(&format!("renderer rebuilt after: {why}"));
        Ok(())
    }

    /// Tells clients whether their dmabufs can be used, by importing each once.
    fn answer_dmabufs(&mut self, state: &mut State) {
        while let Some((dmabuf, notifier)) = state.pending_dmabufs.pop_front() {
            match self.renderer.import_dmabuf(&dmabuf, None) {
                Ok(_) => {
                    let _ = notifier.successful::<State>();
                }
                Err(err) => {
                    eprintln!("headless_compositor: dmabuf import failed: {err}");
                    notifier.failed();
                }
            }
        }
    }

    /// Renders the damaged part of the output, then sends every window its frame callback.
    fn render(&mut self, state: &mut State) -> Result<(), FrameError> {
        let elements = output_elements(&mut self.renderer, state);
        // A changed description changes pixels no damage covers: redraw everything.
        let recolored = R::MANAGES_COLOR && tag_surface_textures(&self.renderer, state);
        let age = usize::from(self.rendered_once && !recolored);
        let mut framebuffer = self
            .renderer
            .bind(&mut self.target)
            .map_err(|e| FrameError::of::<R>("bind", e))?;
        let result = self
            .damage_tracker
            .render_output(
                &mut self.renderer,
                &mut framebuffer,
                age,
                &elements,
                self.background,
            )
            .map_err(|e| match e {
                DamageTrackerError::Rendering(e) => FrameError::of::<R>("render", e),
                other => FrameError::Failed(format!("render: {other:?}")),
            })?;
        let sync = result.sync;
        drop(framebuffer);
        // Frame callbacks go out once the frame is drawn: a client's next commit releases
        // the buffer just drawn, which must not race the GPU still reading it (and with
        // no scan-out there is nothing to overlap the wait with).
        self.renderer
            .wait(&sync)
            .map_err(|e| FrameError::of::<R>("wait", e))?;
        self.rendered_once = true;
        self.last_frame = Some(Instant::now());
        state.dirty = false;

        let time = self.start.elapsed();
        let output = &state.output;
        for window in state.space.elements() {
            window.send_frame(output, time, Some(Duration::ZERO), |_, _| {
                Some(output.clone())
            });
        }
        Ok(())
    }

    /// Reads the whole output back and writes it as a PNG (see `output_color.rs`);
    /// returns its size.
    fn screenshot(&mut self, path: &Path) -> Result<(u32, u32), String> {
        let (w, h) = self.size;
        let framebuffer = self
            .renderer
            .bind(&mut self.target)
            .map_err(|e| format!("bind: {e}"))?;
        let region = Rectangle::from_size(Size::from((w, h)));
        // The formats the target may have; the first the renderer reads back wins (for
        // sRGB, both 8-bit orders convert to RGBA by moving bytes).
        let mut mapping = Err("no format tried".to_string());
        for &format in self.color.target_formats() {
            mapping = self
                .renderer
                .copy_framebuffer(&framebuffer, region, format)
                .map(|mapping| (mapping, format))
                .map_err(|e| format!("copy_framebuffer: {e}"));
            if mapping.is_ok() {
                break;
            }
        }
        let (mapping, requested) = mapping?;
        drop(framebuffer);
        let format = Texture::format(&mapping).unwrap_or(requested);
        let flipped = mapping.flipped();
        let data = self
            .renderer
            .map_texture(&mapping)
            .map_err(|e| format!("map_texture: {e}"))?;
        let pixels = Pixels {
            data,
            format,
            width: w as usize,
            height: h as usize,
            flipped,
        };
        output_color::write_screenshot(path, &pixels, self.color)?;
        Ok((w as u32, h as u32))
    }
}

/// Why a frame was not drawn.
#[derive(Debug)]
enum FrameError {
    /// The renderer is gone (Smithay's `ContextLost`): rebuild it.
    Lost(String),
    Failed(String),
}

impl FrameError {
    fn of<R: Recover>(what: &str, error: R::Error) -> FrameError {
        match device_loss::lost::<R>(error) {
            Ok(why) => FrameError::Lost(format!("{what}: {why}")),
            Err(message) => FrameError::Failed(format!("{what}: {message}")),
        }
    }
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Lost(why) => write!(f, "lost: {why}"),
            FrameError::Failed(why) => f.write_str(why),
        }
    }
}

/// The offscreen target of `size` for `color` (the first of its formats the renderer can
/// render into), with the colour description it encodes into.
fn create_target<R, T>(renderer: &mut R, size: (i32, i32), color: OutputColor) -> Result<T, String>
where
    R: ColorRenderer + Offscreen<T>,
{
    let buffer_size = Size::from(size);
    let mut target = Err(format!("no format for {color:?}"));
    for &format in color.target_formats() {
        target = renderer
            .create_buffer(format, buffer_size)
            .map_err(|e| format!("offscreen {format:?} target {}x{}: {e}", size.0, size.1));
        if target.is_ok() {
            break;
        }
    }
    let mut target = target?;
    // The description stays with the target: set once, it holds for every frame.
    let framebuffer = renderer
        .bind(&mut target)
        .map_err(|e| format!("bind: {e}"))?;
    R::set_target_description(&framebuffer, color.description())
        .map_err(|e| format!("output colour description: {e}"))?;
    drop(framebuffer);
    Ok(target)
}

/// Everything the event loop's callbacks reach.
struct LoopData<R, T> {
    display: Display<State>,
    state: State,
    output: OffscreenOutput<R, T>,
    default_png: PathBuf,
    quit: bool,
}

fn say(line: &str) {
    let mut stdout = io::stdout().lock();
    // A closed stdout only loses the messages; the compositor goes on.
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn run<R, T>(renderer: R, options: Options, signals: File) -> Result<(), String>
where
    R: BlurRenderer
        + DecorationRenderer
        + ColorRenderer
        + ImportAll
        + ImportDma
        + ImportMemWl
        + ExportMem
        + Offscreen<T>
        + Recover
        + 'static,
    R::TextureId: Clone + Texture + 'static,
    T: 'static,
{
    let mut event_loop: EventLoop<LoopData<R, T>> =
        EventLoop::try_new().map_err(|e| format!("event loop: {e}"))?;
    let mut display: Display<State> = Display::new().map_err(|e| format!("display: {e}"))?;
    let dh = display.handle();

    let output = virtual_output(&dh, options.size);
    let render = OffscreenOutput::new(
        renderer,
        &output,
        options.size,
        options.background,
        options.output_color,
    )?;
    let state = new_state(&dh, &render.renderer, output, &options);

    let handle: LoopHandle<LoopData<R, T>> = event_loop.handle();
    let socket_name = insert_client_sources(&handle, &mut display, options.socket.as_deref())?;
    insert_command_sources(&handle, signals, options.read_stdin)?;

    let mut data = LoopData {
        display,
        state,
        output: render,
        default_png: options.output,
        quit: false,
    };
    say(&format!("WAYLAND_DISPLAY={socket_name}"));

    while !data.quit {
        // Sleep until the next frame may be rendered if one is due, else until an event.
        let timeout = match (data.state.dirty, data.output.last_frame) {
            (true, Some(last)) => Some(FRAME_INTERVAL.saturating_sub(last.elapsed())),
            (true, None) => Some(Duration::ZERO),
            (false, _) => None,
        };
        event_loop
            .dispatch(timeout, &mut data)
            .map_err(|e| format!("event loop: {e}"))?;
        step(&mut data)?;
    }
    Ok(())
}

/// The one virtual output, of `size` pixels at 60 Hz, and its wl_output global.
fn virtual_output(dh: &DisplayHandle, size: (i32, i32)) -> Output {
    let output = Output::new(
        "HEADLESS-1".to_string(),
        PhysicalProperties {
            size: (0, 0).into(),
            subpixel: Subpixel::Unknown,
            make: "vkcompose".into(),
            model: "headless".into(),
        },
    );
    let mode = Mode {
        size: size.into(),
        refresh: 60_000,
    };
    output.change_current_state(
        Some(mode),
        Some(Transform::Normal),
        None,
        Some((0, 0).into()),
    );
    output.set_preferred(mode);
    // The global lives as long as the display: the output is never removed.
    let _global = output.create_global::<State>(dh);
    output
}

/// The protocol state and every global but wl_output, for clients of `renderer`.
fn new_state<R: ColorRenderer + ImportDma + ImportMemWl>(
    dh: &DisplayHandle,
    renderer: &R,
    output: Output,
    options: &Options,
) -> State {
    let mut space = Space::default();
    space.map_output(&output, (0, 0));

    let shm_formats: Vec<_> = renderer.shm_formats().collect();
    let mut dmabuf_state = DmabufState::new();
    let dmabuf_formats = renderer.dmabuf_formats();
    if dmabuf_formats.iter().next().is_some() {
        dmabuf_state.create_global::<State>(dh, dmabuf_formats);
    } else {
        eprintln!(
            "headless_compositor: the renderer imports no dmabuf format; no linux-dmabuf global"
        );
    }

    let mut seat_state = SeatState::new();
    let mut seat = seat_state.new_wl_seat(dh, "seat0");
    seat.add_pointer();
    // A keyboard needs an XKB keymap (xkb-data); clients work without one.
    if let Err(err) = seat.add_keyboard(XkbConfig::default(), 400, 25) {
        eprintln!("headless_compositor: no keyboard ({err})");
    }

    if options.blur.is_some() {
        dh.create_global::<State, ExtBackgroundEffectManagerV1, ()>(1, ());
    }
    if R::MANAGES_COLOR {
        ColorManagementState::create_global(dh);
    }
    State {
        compositor_state: CompositorState::new::<State>(dh),
        xdg_shell_state: XdgShellState::new::<State>(dh),
        _xdg_decoration_state: XdgDecorationState::new::<State>(dh),
        shm_state: ShmState::new::<State>(dh, shm_formats),
        dmabuf_state,
        data_device_state: DataDeviceState::new::<State>(dh),
        seat_state,
        seat,
        _output_manager: OutputManagerState::new_with_xdg_output::<State>(dh),
        space,
        popups: PopupManager::default(),
        output,
        mapped_toplevels: 0,
        focus_pending: None,
        dirty: true,
        pending_dmabufs: VecDeque::new(),
        commands: VecDeque::new(),
        blur_passes: options.blur,
        decorations: options.decorations.then(Decorations::default),
        blur_commit: CommitCounter::default(),
        color_management: ColorManagementState::new(options.output_color.description()),
    }
}

/// Listens on the socket (`name`, or the first free `wayland-N`) and dispatches the
/// clients' requests; returns the socket's name.
fn insert_client_sources<R: 'static, T: 'static>(
    handle: &LoopHandle<'static, LoopData<R, T>>,
    display: &mut Display<State>,
    name: Option<&str>,
) -> Result<String, String> {
    let socket = match name {
        Some(name) => ListeningSocketSource::with_name(name),
        None => ListeningSocketSource::new_auto(),
    }
    .map_err(|e| format!("socket: {e}"))?;
    let socket_name = socket.socket_name().to_string_lossy().into_owned();
    handle
        .insert_source(socket, |stream, _, data| {
            if let Err(err) = data
                .display
                .handle()
                .insert_client(stream, Arc::new(ClientState::default()))
            {
                eprintln!("headless_compositor: client refused: {err}");
            }
        })
        .map_err(|e| format!("socket source: {e}"))?;

    let poll_fd = display
        .backend()
        .poll_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("display fd: {e}"))?;
    handle
        .insert_source(
            Generic::new(poll_fd, Interest::READ, calloop_mode()),
            |_, _, data| {
                data.display
                    .dispatch_clients(&mut data.state)
                    .map_err(io::Error::other)?;
                Ok(PostAction::Continue)
            },
        )
        .map_err(|e| format!("display source: {e}"))?;
    Ok(socket_name)
}

/// Turns signals (from `signals`, a signalfd) and, if `read_stdin`, stdin lines into
/// commands.
fn insert_command_sources<R: 'static, T: 'static>(
    handle: &LoopHandle<'static, LoopData<R, T>>,
    signals: File,
    read_stdin: bool,
) -> Result<(), String> {
    handle
        .insert_source(
            Generic::new(signals, Interest::READ, calloop_mode()),
            |_, file, data| {
                // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
                let mut info = [0u8; 128];
                // `Read` for `&File` needs no mutable access, so the fd stays registered as is.
                let mut file: &File = file;
                while file
                    .read(&mut info)
                    .map(|n| n == info.len())
                    .unwrap_or(false)
                {
                    let signal = u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32;
                    data.state.commands.push_back(match signal {
                        libc::SIGUSR1 => Command::Screenshot(None),
                        _ => Command::Quit,
                    });
                }
                Ok(PostAction::Continue)
            },
        )
        .map_err(|e| format!("signal source: {e}"))?;

    if read_stdin {
        handle
            .insert_source(stdin_commands(), |event, _, data| {
                if let channel::Event::Msg(command) = event {
                    data.state.commands.push_back(command);
                }
            })
            .map_err(|e| format!("stdin source: {e}"))?;
    }
    Ok(())
}

fn calloop_mode() -> smithay::reexports::calloop::Mode {
    smithay::reexports::calloop::Mode::Level
}

/// One turn of the loop after the events: answer dmabufs, render when due, run commands.
fn step<R, T>(data: &mut LoopData<R, T>) -> Result<(), String>
where
    R: BlurRenderer
        + DecorationRenderer
        + ColorRenderer
        + ImportAll
        + ImportDma
        + ImportMemWl
        + ExportMem
        + Offscreen<T>
        + Recover,
    R::TextureId: Clone + Texture + 'static,
{
    let LoopData {
        display,
        state,
        output,
        default_png,
        quit,
    } = data;
    output.answer_dmabufs(state);
    state.color_management.send_pending_information();
    state.space.refresh();
    state.popups.cleanup();

    let due = output
        .last_frame
        .is_none_or(|last| last.elapsed() >= FRAME_INTERVAL);
    if state.dirty && (due || !state.commands.is_empty()) {
        match output.render(state) {
            Ok(()) => {}
            Err(FrameError::Lost(why)) => output.recover(state, &why)?,
            Err(failed) => return Err(failed.to_string()),
        }
    }
    while let Some(command) = state.commands.pop_front() {
        let path = match &command {
            Command::Screenshot(Some(path)) => path.clone(),
            Command::Screenshot(None) | Command::Quit => default_png.clone(),
            Command::LoseDevice => {
                match device_loss::lose_device() {
                    Ok(()) => say("lose-device armed"),
                    Err(e) => say(&format!("error lose-device: {e}")),
                }
                // The next frame submits, and finds the device lost.
                state.dirty = true;
                continue;
            }
        };
        match output.screenshot(&path) {
            Ok((w, h)) if matches!(command, Command::Screenshot(_)) => {
                say(&format!("screenshot {} {w}x{h}", path.display()))
            }
            Ok(_) => {}
            Err(err) => say(&format!("error screenshot {}: {err}", path.display())),
        }
        if matches!(command, Command::Quit) {
            say(&format!("exit {}", path.display()));
            *quit = true;
            break;
        }
    }
    display.flush_clients().map_err(|e| format!("flush: {e}"))?;
    Ok(())
}

/// Runs the compositor on vkcompose's renderer; with `--validation`, validation errors
/// (counted until the renderer is gone) make the exit status 3.
fn run_vulkan(options: Options, signals: File) -> Result<(), String> {
    let instance = Instance::new(&InstanceOptions {
        validation: options.validation,
        ..Default::default()
    })
    .map_err(|e| format!("Vulkan instance: {e}"))?;
    let physical = select_device(&instance, &options.device).map_err(|e| format!("device: {e}"))?;
    let device = DeviceBuilder::new(&physical)
        .and_then(|builder| builder.build())
        .map_err(|e| format!("device {}: {e}", physical.info().name))?;
    eprintln!(
        "headless_compositor: rendering with vkcompose on {}",
        device.name()
    );
    let renderer = vkcompose::Renderer::new(&device, &RendererOptions::default())
        .map_err(|e| format!("renderer: {e}"))?;
    let result = run(VulkanRenderer::new(renderer), options, signals);
    drop(device);
    // Known false positives (driver bugs the instance detects) do not count.
    let report = instance.validation_report();
    if !report.is_clean() {
        eprintln!(
            "headless_compositor: {} validation errors:\n{}",
            report.count(),
            report.errors.join("\n")
        );
        std::process::exit(3);
    }
    result
}

fn main() {
    let options = parse_options();
    // First of all: the Vulkan driver starts threads of its own (lavapipe does), and a
    // thread that does not block SIGTERM would take the signal and die of it.
    let signals = signal_fd().unwrap_or_else(|e| {
        eprintln!("headless_compositor: signalfd: {e}");
        std::process::exit(1);
    });
    let result = match options.renderer {
        RendererKind::Vulkan => run_vulkan(options, signals),
        RendererKind::Pixman => PixmanRenderer::new()
            .map_err(|e| format!("pixman renderer: {e}"))
            .and_then(|renderer| run(renderer, options, signals)),
    };
    if let Err(err) = result {
        eprintln!("headless_compositor: {err}");
        std::process::exit(1);
    }
}
