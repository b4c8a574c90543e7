//! The demo scene of `compose`, live in a window: the same windows and solids, composed
//! by [`Renderer`] into a [`Swapchain`] of a winit window every frame, with the progress
//! bar animated and the scene re-placed when the window is resized.
//!
//! ```text
//! cargo run --release --features winit --example window -- [--size WIDTHxHEIGHT]
//!     [--present-mode fifo|mailbox] [--frames N] [--scene FILE.ron] [--validation]
//! ```
//!
//! At the end it prints how many frames it presented and how fast, the present mode in
//! use and the swapchain's size. With `--validation` (or `VKCOMPOSE_VALIDATION=1`) it
//! exits with status 1 if the validation layer reported an error.

#[path = "scene/mod.rs"]
mod scene;

use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use scene::{Placed, Scene, WindowBuffer};
use vkcompose::geometry::Transform;
use vkcompose::{
    select_device, DeviceBuilder, DeviceSelector, Instance, InstanceOptions, PresentMode, Renderer,
    RendererOptions, Surface, Swapchain, SwapchainOptions,
};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{StartCause, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Window, WindowId};

const USAGE: &str = "\
usage: window [--size WIDTHxHEIGHT] [--present-mode fifo|mailbox] [--frames N]
              [--scene FILE.ron] [--validation]
  --size          the window's size in pixels (default: the scene's, 1280x800 built in)
  --present-mode  fifo (default) or mailbox (fifo where the window system lacks it)
  --frames        exit after presenting N frames (default: run until closed)
  --scene         scene file (default: the built-in examples/scenes/default.ron)
  --validation    the Khronos validation layer; exit with status 1 on any error";

/// One sweep of the animated progress bar.
const ANIMATION_PERIOD: Duration = Duration::from_secs(3);

/// How long to wait before trying again when there was no image to draw into.
const RETRY: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------------------
// Options

struct Options {
    size: Option<(u32, u32)>,
    present_mode: PresentMode,
    frames: Option<u32>,
    scene: Option<PathBuf>,
    validation: bool,
}

enum Command {
    Run(Options),
    Help,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        size: None,
        present_mode: PresentMode::Fifo,
        frames: None,
        scene: None,
        validation: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--size" => options.size = Some(scene::parse_size(&value("--size")?)?),
            "--present-mode" => options.present_mode = parse_mode(&value("--present-mode")?)?,
            "--frames" => options.frames = Some(parse_frames(&value("--frames")?)?),
            "--scene" => options.scene = Some(value("--scene")?.into()),
            "--validation" => options.validation = true,
            "--help" | "-h" => return Ok(Command::Help),
            "--" => {}
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Command::Run(options))
}

fn parse_mode(text: &str) -> Result<PresentMode, String> {
    match text {
        "fifo" => Ok(PresentMode::Fifo),
        "mailbox" => Ok(PresentMode::Mailbox),
        _ => Err(format!(
            "--present-mode takes fifo or mailbox, not `{text}`"
        )),
    }
}

fn parse_frames(text: &str) -> Result<u32, String> {
    match text.parse() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "--frames needs a number of at least 1, not `{text}`"
        )),
    }
}

// ---------------------------------------------------------------------------------------
// The window and everything drawn into it

/// What exists while the window is open. Fields drop in order: the swapchain (which
/// waits for its frames) before the renderer, the window last (the surface holds it too).
struct Shown {
    swapchain: Swapchain,
    buffers: Vec<WindowBuffer>,
    renderer: Renderer,
    instance: Instance,
    window: Arc<Window>,
    scene: Scene,
    placed: Placed,
    /// The output size `placed` was placed for.
    placed_for: (i32, i32),
}

impl Shown {
    fn new(event_loop: &ActiveEventLoop, options: &Options) -> Result<Shown, Box<dyn Error>> {
        let scene = scene::load_scene(options.scene.as_deref())?;
        let (width, height) = options.size.unwrap_or(scene.size);
        let attributes = Window::default_attributes()
            .with_title("vkcompose")
            .with_inner_size(PhysicalSize::new(width, height));
        let window = Arc::new(event_loop.create_window(attributes)?);
        let instance = Instance::new(
            &InstanceOptions {
                validation: options.validation,
                ..Default::default()
            }
            .presenting_to(event_loop)?,
        )?;
        let surface = Surface::new(&instance, window.clone())?;
        let physical = select_device(&instance, &DeviceSelector::Best)?;
        let device = DeviceBuilder::new(&physical)?
            .present_to(&surface)?
            .build()?;
        let mut renderer = Renderer::new(&device, &RendererOptions::default())?;
        let size = window.inner_size();
        let swapchain = Swapchain::new(
            &renderer,
            surface,
            &SwapchainOptions {
                width: size.width,
                height: size.height,
                present_mode: options.present_mode,
            },
        )?;
        let placed = scene::place_scene(&scene, size.width.max(1), size.height.max(1))?;
        let buffers = scene::make_window_buffers(&mut renderer, &placed)?;
        Ok(Shown {
            swapchain,
            buffers,
            renderer,
            instance,
            window,
            scene,
            placed,
            placed_for: (size.width as i32, size.height as i32),
        })
    }

    /// Draws and presents one frame; false when there was no image to draw into.
    fn draw(&mut self, progress: f32) -> Result<bool, Box<dyn Error>> {
        let Shown {
            swapchain,
            buffers,
            renderer,
            scene,
            placed,
            placed_for,
            ..
        } = self;
        scene::animate(renderer, placed, buffers, progress)?;
        let Some(mut frame) = swapchain.begin_frame(renderer, Transform::Normal)? else {
            return Ok(false);
        };
        // The images can differ from the size last asked for (the window system decides).
        let size = frame.output_size();
        if size != *placed_for {
            *placed = scene::place_scene(scene, size.0 as u32, size.1 as u32)?;
            *placed_for = size;
        }
        scene::draw_all(&mut frame, placed, buffers)?;
        frame.present()?;
        Ok(true)
    }
}

// ---------------------------------------------------------------------------------------
// The event loop

struct App {
    options: Options,
    shown: Option<Shown>,
    started: Instant,
    presented: u32,
    /// After a frame with no image: when to try again.
    retry_at: Option<Instant>,
    error: Option<Box<dyn Error>>,
    /// What to report at the end, kept from the swapchain before it goes.
    summary: Option<Summary>,
}

struct Summary {
    mode: PresentMode,
    extent: Option<(u32, u32)>,
    swapchains: u64,
    /// Kept for its validation messages, which include the teardown's.
    instance: Instance,
}

impl App {
    fn fail(&mut self, event_loop: &ActiveEventLoop, error: Box<dyn Error>) {
        self.error = Some(error);
        event_loop.exit();
    }

    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        let Some(shown) = self.shown.as_mut() else {
            return;
        };
        let elapsed = self.started.elapsed().as_secs_f32();
        let progress = (elapsed / ANIMATION_PERIOD.as_secs_f32()).fract();
        match shown.draw(progress) {
            Ok(true) => self.presented += 1,
            Ok(false) => self.retry_at = Some(Instant::now() + RETRY),
            Err(e) => return self.fail(event_loop, e),
        }
        if self.options.frames.is_some_and(|n| self.presented >= n) {
            event_loop.exit();
        }
    }

    /// Keeps what the summary needs and closes the window (dropping the swapchain first).
    fn close(&mut self) {
        let Some(shown) = self.shown.take() else {
            return;
        };
        self.summary = Some(Summary {
            mode: shown.swapchain.present_mode(),
            extent: shown.swapchain.extent(),
            swapchains: shown.swapchain.generation(),
            instance: shown.instance.clone(),
        });
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.shown.is_some() {
            return;
        }
        match Shown::new(event_loop, &self.options) {
            Ok(shown) => {
                shown.window.request_redraw();
                self.shown = Some(shown);
                self.started = Instant::now();
            }
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn new_events(&mut self, _event_loop: &ActiveEventLoop, cause: StartCause) {
        if let StartCause::ResumeTimeReached { .. } = cause {
            self.retry_at = None;
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                if let Some(shown) = self.shown.as_mut() {
                    shown.swapchain.resize(size.width, size.height);
                }
                self.retry_at = None;
            }
            WindowEvent::RedrawRequested => self.redraw(event_loop),
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        match (self.retry_at, &self.shown) {
            (Some(at), _) => event_loop.set_control_flow(ControlFlow::WaitUntil(at)),
            (None, Some(shown)) => {
                event_loop.set_control_flow(ControlFlow::Poll);
                shown.window.request_redraw();
            }
            (None, None) => {}
        }
    }

    fn exiting(&mut self, _event_loop: &ActiveEventLoop) {
        self.close();
    }
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
            eprintln!("window: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    match run(options) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("window: {error}");
            std::process::exit(1);
        }
    }
}

/// Runs until the window closes or the frames are done; false when validation failed.
fn run(options: Options) -> Result<bool, Box<dyn Error>> {
    let event_loop = EventLoop::new()?;
    let asked = options.present_mode;
    let mut app = App {
        options,
        shown: None,
        started: Instant::now(),
        presented: 0,
        retry_at: None,
        error: None,
        summary: None,
    };
    event_loop.run_app(&mut app)?;
    app.close();
    if let Some(error) = app.error {
        return Err(error);
    }
    let Some(summary) = app.summary else {
        return Err("the window was never shown".into());
    };
    report(&summary, asked, app.presented, app.started.elapsed());
    let report = summary.instance.validation_report();
    if summary.instance.validation_enabled() && !report.is_clean() {
        eprintln!("window: {} validation errors:", report.count());
        report.errors.iter().for_each(|e| eprintln!("  {e}"));
        return Ok(false);
    }
    Ok(true)
}

fn report(summary: &Summary, asked: PresentMode, presented: u32, elapsed: Duration) {
    let fps = f64::from(presented) / elapsed.as_secs_f64().max(1e-9);
    let extent = summary
        .extent
        .map_or("none".to_string(), |(w, h)| format!("{w}x{h}"));
    println!(
        "window: presented {presented} frames in {:.2} s ({fps:.1} fps); present mode {:?} (asked {asked:?}); swapchain {extent}; {} swapchains made",
        elapsed.as_secs_f64(),
        summary.mode,
        summary.swapchains,
    );
}
