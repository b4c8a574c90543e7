//! Swapchains on a real X server: Xvfb, with lavapipe presenting through its X11 WSI.
//!
//! The demo scene is presented into a winit window and the X server's screen is read back
//! with `xwd`; the window's pixels must be the ones the same scene gives rendered headless
//! into an offscreen target, and the ones the test computes for the background and the
//! opaque solids. Then: a resize (told and untold), both present modes, a window without
//! area, a frame dropped unpresented, and a swapchain dropped with frames in flight — each
//! with the validation layer on and clean. Also the window example, run as a program.
//!
//! The test installs what it needs when missing (Debian packages, as root or via sudo):
//! `xvfb`, `x11-apps` (for `xwd`) and the X11 libraries winit loads at run time.

#![cfg(feature = "winit")]

mod common;
#[path = "../examples/scene/mod.rs"]
mod scene;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, Transform};
use vkcompose::{
    ash, vk, DeviceBuilder, DeviceSelector, Instance, InstanceOptions, PresentMode, Renderer,
    RendererOptions, Surface, Swapchain, SwapchainOptions,
};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::platform::pump_events::EventLoopExtPumpEvents;
use winit::platform::x11::EventLoopBuilderExtX11;
use winit::window::{Window, WindowAttributes, WindowId};

/// Debian packages the test needs: the X server, `xwd`, and what winit's X11 backend
/// loads at run time (Mesa's X11 WSI libraries come with mesa-vulkan-drivers).
const PACKAGES: &[&str] = &[
    "xvfb",
    "x11-apps",
    "libx11-xcb1",
    "libxcursor1",
    "libxi6",
    "libxrandr2",
    "libxkbcommon-x11-0",
];

/// The screen: larger than every window the test opens.
const SCREEN: (u32, u32) = (800, 600);

/// How far a screenshot's channel may be from the headless render's (both come from the
/// same device and format, so they should be equal; one step allows for X's conversion).
const TOLERANCE: u8 = 1;

// ---------------------------------------------------------------------------------------
// Setup: packages and the X server

/// Whether `package` is installed (`dpkg -s` also succeeds for one removed but with its
/// configuration files left).
fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", package])
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.stdout == b"install ok installed")
}

/// Installs the missing packages with apt-get (as root, or through sudo).
fn install_missing() {
    let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return;
    }
    eprintln!("window test: installing {}", missing.join(" "));
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let apt = |args: &[&str]| {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    // A fresh machine's package lists may be stale or empty: update and try again.
    let done = apt(&install) || (apt(&["update", "-qq"]) && apt(&install));
    assert!(done, "could not install {}", missing.join(" "));
}

/// An Xvfb server on a display number it picks itself, killed when dropped (also when the
/// test fails).
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let screen = format!("{}x{}x24", SCREEN.0, SCREEN.1);
        // -displayfd: the server takes the first free display number and writes it on fd 1.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &screen,
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let number = line.trim();
        if read.is_err() || number.parse::<u32>().is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Xvfb did not report a display number (got {line:?})");
        }
        Xvfb {
            display: format!(":{number}"),
            child,
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// Screenshots: `xwd -root`, parsed here

/// The screen's pixels as 0xRRGGBB.
struct Screenshot {
    width: usize,
    height: usize,
    pixels: Vec<u32>,
}

impl Screenshot {
    fn take(display: &str) -> Screenshot {
        let output = Command::new("xwd")
            .args(["-root", "-silent", "-display", display])
            .output()
            .expect("xwd runs");
        assert!(
            output.status.success(),
            "xwd failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        parse_xwd(&output.stdout)
    }

    fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let p = self.pixels[y * self.width + x];
        [(p >> 16) as u8, (p >> 8) as u8, p as u8]
    }
}

/// XWD: a header of big-endian 32-bit fields (its own size first), the window name, the
/// colormap (12 bytes an entry), then `height` rows of `bytes_per_line`.
fn parse_xwd(data: &[u8]) -> Screenshot {
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().unwrap());
    assert!(
        data.len() >= 100 && field(1) == 7,
        "not an XWD version 7 file"
    );
    let (header, format, width, height) = (field(0), field(2), field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line) = (field(7), field(11), field(12));
    let masks = [field(14), field(15), field(16)];
    let colors = field(19);
    assert_eq!(format, 2, "expected a ZPixmap");
    assert_eq!(bits_per_pixel, 32, "expected 32-bit pixels");
    let start = (header + colors * 12) as usize;
    let (width, height, stride) = (width as usize, height as usize, bytes_per_line as usize);
    assert!(data.len() >= start + stride * height, "truncated XWD");
    let pixels = (0..height)
        .flat_map(|y| (0..width).map(move |x| start + y * stride + x * 4))
        .map(|at| {
            let bytes: [u8; 4] = data[at..at + 4].try_into().unwrap();
            let word = if byte_order == 0 {
                u32::from_le_bytes(bytes)
            } else {
                u32::from_be_bytes(bytes)
            };
            let [r, g, b] = masks.map(|m| (word & m) >> m.trailing_zeros() & 0xff);
            (r << 16) | (g << 8) | b
        })
        .collect();
    Screenshot {
        width,
        height,
        pixels,
    }
}

// ---------------------------------------------------------------------------------------
// winit, pumped by the test

/// Creates windows when asked and records resizes.
#[derive(Default)]
struct Windows {
    create: Option<WindowAttributes>,
    created: Option<Arc<Window>>,
    resized: Vec<(WindowId, PhysicalSize<u32>)>,
}

impl ApplicationHandler for Windows {
    fn resumed(&mut self, _: &ActiveEventLoop) {}

    fn window_event(&mut self, _: &ActiveEventLoop, id: WindowId, event: WindowEvent) {
        if let WindowEvent::Resized(size) = event {
            self.resized.push((id, size));
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(attributes) = self.create.take() {
            let window = event_loop.create_window(attributes).expect("a window");
            self.created = Some(Arc::new(window));
        }
    }
}

struct Ui {
    event_loop: EventLoop<()>,
    windows: Windows,
}

impl Ui {
    fn new() -> Ui {
        let event_loop = EventLoop::builder()
            .with_x11()
            .with_any_thread(true)
            .build()
            .expect("a winit event loop on Xvfb");
        Ui {
            event_loop,
            windows: Windows::default(),
        }
    }

    fn pump(&mut self) {
        let timeout = Some(Duration::from_millis(20));
        let _ = self.event_loop.pump_app_events(timeout, &mut self.windows);
    }

    fn open(&mut self, width: u32, height: u32) -> Arc<Window> {
        self.windows.create = Some(
            Window::default_attributes()
                .with_title("vkcompose test")
                .with_inner_size(PhysicalSize::new(width, height)),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.windows.created.is_none() {
            assert!(Instant::now() < deadline, "no window within 10 s");
            self.pump();
        }
        let window = self.windows.created.take().expect("checked");
        // Let the server map it before anything is drawn.
        self.wait_for_size(&window, (width, height));
        window
    }

    /// Pumps events until the X server reports `size` for `window`.
    fn wait_for_size(&mut self, window: &Window, size: (u32, u32)) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.pump();
            let now = window.inner_size();
            if (now.width, now.height) == size {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the window is {now:?}, not {size:?}, after 10 s"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Rendering the scene, windowed and headless

struct Gpu {
    renderer: Renderer,
    scene: scene::Scene,
    buffers: Vec<scene::WindowBuffer>,
}

/// Paints the animated bar at `progress` and uploads it (the bar is in buffer pixels, so
/// the output size the scene is placed at does not matter).
fn animate(gpu: &mut Gpu, progress: f32) {
    let (w, h) = gpu.scene.size;
    let placed = scene::place_scene(&gpu.scene, w, h).expect("the scene places");
    scene::animate(&mut gpu.renderer, &placed, &mut gpu.buffers, progress).expect("animate");
}

/// Draws and presents `frames` frames of the scene at `progress`; waits for the last.
/// Returns the images' size.
fn present_scene(
    gpu: &mut Gpu,
    swapchain: &mut Swapchain,
    progress: f32,
    frames: u32,
) -> (u32, u32) {
    let mut presented = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while presented < frames {
        assert!(
            Instant::now() < deadline,
            "could not present {frames} frames in 20 s"
        );
        animate(gpu, progress);
        let Gpu {
            renderer,
            buffers,
            scene: the_scene,
            ..
        } = gpu;
        let Some(mut frame) = swapchain
            .begin_frame(renderer, Transform::Normal)
            .expect("begin_frame")
        else {
            continue;
        };
        let (w, h) = frame.output_size();
        let placed = scene::place_scene(the_scene, w as u32, h as u32).expect("placed");
        scene::draw_all(&mut frame, &placed, buffers).expect("draw");
        let point = frame.present().expect("present");
        presented += 1;
        if presented == frames {
            assert!(point.wait(Duration::from_secs(10)).expect("wait"));
        }
    }
    swapchain.extent().expect("images after presenting")
}

/// The scene rendered headless into an offscreen ARGB8888 target (the swapchain's
/// format), read back as 0xRRGGBB.
fn headless(gpu: &mut Gpu, size: (u32, u32), progress: f32) -> Vec<u32> {
    let fourcc = DrmFourcc::Argb8888;
    animate(gpu, progress);
    let placed = scene::place_scene(&gpu.scene, size.0, size.1).expect("placed");
    let target = gpu
        .renderer
        .create_target(size.0, size.1, fourcc)
        .expect("target");
    let mut frame = gpu
        .renderer
        .render(&target, Transform::Normal)
        .expect("frame");
    scene::draw_all(&mut frame, &placed, &gpu.buffers).expect("draw");
    frame.finish().expect("finish");
    let whole = Rect::new(0, 0, size.0 as i32, size.1 as i32);
    let readback = gpu
        .renderer
        .copy_framebuffer(&target, whole, fourcc)
        .expect("readback");
    readback
        .bytes()
        .expect("bytes")
        .chunks_exact(4)
        .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]) & 0xff_ffff)
        .collect()
}

/// Pixels the test knows without rendering: the background where nothing is drawn, and
/// the middle of every opaque solid (drawn last, so on top): (x, y, rgb).
fn known_pixels(gpu: &Gpu, size: (u32, u32)) -> Vec<(usize, usize, [u8; 3])> {
    let placed = scene::place_scene(&gpu.scene, size.0, size.1).expect("places");
    let rgb = |c: [f32; 4]| {
        let [r, g, b, _] = common::to_unorm(c);
        [r, g, b]
    };
    let mut known: Vec<_> = placed
        .solids
        .iter()
        .filter(|s| s.color[3] == 1.0 && !s.rect.is_empty())
        .map(|s| {
            let x = (s.rect.x + s.rect.w / 2) as usize;
            let y = (s.rect.y + s.rect.h / 2) as usize;
            (x, y, rgb(s.color))
        })
        .collect();
    let covered = |x: i32, y: i32| {
        let point = Rect::new(x, y, 1, 1);
        let rects = placed.windows.iter().map(|w| w.dst);
        rects
            .chain(placed.solids.iter().map(|s| s.rect))
            .any(|r| r.intersect(&point).is_some())
    };
    let free = (0..size.1 as i32)
        .step_by(7)
        .flat_map(|y| (0..size.0 as i32).step_by(7).map(move |x| (x, y)))
        .find(|&(x, y)| !covered(x, y))
        .expect("some background shows");
    known.push((free.0 as usize, free.1 as usize, rgb(placed.background)));
    assert!(known.len() >= 3, "the scene has opaque solids to check");
    known
}

/// What the window should show: the headless render, and the pixels known without it.
struct Expected {
    size: (usize, usize),
    pixels: Vec<u32>,
    known: Vec<(usize, usize, [u8; 3])>,
}

fn rgb_of(p: u32) -> [u8; 3] {
    [(p >> 16) as u8, (p >> 8) as u8, p as u8]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= TOLERANCE)
}

/// How the screen's window area at `origin` differs from `expected`; `None` if it does not.
fn differences(shot: &Screenshot, origin: (usize, usize), expected: &Expected) -> Option<String> {
    let (width, height) = expected.size;
    if origin.0 + width > shot.width || origin.1 + height > shot.height {
        return Some("the window is off screen".into());
    }
    let on_screen = |x: usize, y: usize| shot.rgb(origin.0 + x, origin.1 + y);
    let differing: Vec<(usize, usize)> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .filter(|&(x, y)| !close(on_screen(x, y), rgb_of(expected.pixels[y * width + x])))
        .collect();
    let wrong_known: Vec<String> = expected
        .known
        .iter()
        .filter(|&&(x, y, rgb)| !close(on_screen(x, y), rgb))
        .map(|&(x, y, rgb)| format!("({x}, {y}) is {:?}, not {rgb:?}", on_screen(x, y)))
        .collect();
    if differing.is_empty() && wrong_known.is_empty() {
        return None;
    }
    let first = differing.first().map_or(String::new(), |&(x, y)| {
        let headless = rgb_of(expected.pixels[y * width + x]);
        format!(
            "; first ({x}, {y}): screen {:?}, headless {headless:?}",
            on_screen(x, y)
        )
    });
    Some(format!(
        "{} of {} pixels differ from the headless render{first}; known pixels wrong: {wrong_known:?}",
        differing.len(),
        width * height
    ))
}

/// The window's pixels on screen equal the headless render of the scene at `progress`,
/// and the known ones.
fn assert_on_screen(s: &mut Session, progress: f32, what: &str) {
    let size = s.swapchain.extent().expect("images");
    let expected = Expected {
        size: (size.0 as usize, size.1 as usize),
        pixels: headless(&mut s.gpu, size, progress),
        known: known_pixels(&s.gpu, size),
    };
    let at = s
        .window
        .inner_position()
        .expect("the window's position on X11");
    let origin = (at.x as usize, at.y as usize);
    // Presentation reaches the server asynchronously: look again for a while.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let shot = Screenshot::take(&s.xvfb.display);
        let Some(problem) = differences(&shot, origin, &expected) else {
            return;
        };
        assert!(Instant::now() < deadline, "{what}: {problem}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The present modes the surface offers, asked of Vulkan directly.
fn offered_modes(
    instance: &Instance,
    gpu_physical: vk::PhysicalDevice,
    surface: &Surface,
) -> Vec<vk::PresentModeKHR> {
    let fns = ash::khr::surface::Instance::new(instance.entry(), instance.raw());
    // SAFETY: test code; the surface and the physical device belong to `instance`.
    unsafe { fns.get_physical_device_surface_present_modes(gpu_physical, surface.raw()) }
        .expect("present modes")
}

// ---------------------------------------------------------------------------------------
// The window example, as a program

/// Builds the window example with this test's profile, features and target directory,
/// and returns its path; `$WINDOW_EXAMPLE` names one built already (the guest of
/// scripts/test-vm has no cargo).
fn build_window_example() -> PathBuf {
    if let Some(path) = std::env::var_os("WINDOW_EXAMPLE") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test's path");
    // <target>/<profile>/deps/window-<hash>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("profile dir");
    let target_dir = profile_dir.parent().expect("target dir");
    let mut features = vec!["winit"];
    if cfg!(feature = "smithay") {
        features.push("smithay");
    }
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "--example", "window", "--features"])
        .arg(features.join(","))
        .arg("--manifest-path")
        .arg(common::manifest_dir().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    if profile_dir.ends_with("release") {
        cargo.arg("--release");
    }
    let status = cargo.status().expect("cargo runs");
    assert!(status.success(), "building the window example failed");
    profile_dir.join("examples").join("window")
}

/// Runs the example for `frames` frames and returns what it printed.
fn run_window_example(example: &PathBuf, display: &str, mode: &str, frames: u32) -> String {
    let output = Command::new(example)
        .args(["--frames", &frames.to_string(), "--size", "320x200"])
        .args(["--present-mode", mode, "--validation"])
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the window example with {mode} failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

// ---------------------------------------------------------------------------------------

/// Everything the checks share. Fields drop in order: swapchain, GPU objects, window,
/// event loop, X server.
struct Session {
    swapchain: Swapchain,
    gpu: Gpu,
    device: vkcompose::Device,
    instance: Instance,
    window: Arc<Window>,
    ui: Ui,
    xvfb: Xvfb,
}

impl Session {
    /// Xvfb, a 400x250 window, a validating instance, a presenting device and renderer with
    /// the scene's buffers, and a FIFO swapchain.
    fn start() -> Session {
        install_missing();
        let xvfb = Xvfb::start();
        // winit's X11 backend connects to $DISPLAY. The file has one test, so no other
        // thread reads the environment meanwhile.
        std::env::set_var("DISPLAY", &xvfb.display);
        let mut ui = Ui::new();
        let options = InstanceOptions {
            validation: true,
            ..Default::default()
        };
        let options = options
            .presenting_to(&ui.event_loop)
            .expect("surface extensions");
        let instance = Instance::new(&options).expect("a validating instance that can present");
        let window = ui.open(400, 250);
        let surface = Surface::new(&instance, window.clone()).expect("surface");
        let physical = vkcompose::select_device(&instance, &DeviceSelector::Best).expect("device");
        let device = DeviceBuilder::new(&physical)
            .and_then(|b| b.present_to(&surface))
            .and_then(|b| b.build())
            .expect("a device presenting to the window");
        assert!(device.can_present());
        let mut gpu = Gpu::new(&device);
        animate(&mut gpu, 0.0);
        let options = SwapchainOptions {
            width: 400,
            height: 250,
            present_mode: PresentMode::Fifo,
        };
        let swapchain = Swapchain::new(&gpu.renderer, surface, &options).expect("swapchain");
        Session {
            swapchain,
            gpu,
            device,
            instance,
            window,
            ui,
            xvfb,
        }
    }

    fn present(&mut self, progress: f32, frames: u32) -> (u32, u32) {
        present_scene(&mut self.gpu, &mut self.swapchain, progress, frames)
    }

    fn resize_window(&mut self, width: u32, height: u32) {
        let _ = self
            .window
            .request_inner_size(PhysicalSize::new(width, height));
        self.ui.wait_for_size(&self.window, (width, height));
    }

    fn assert_clean(&self) {
        common::assert_validation_clean(&self.instance);
    }
}

impl Gpu {
    fn new(device: &vkcompose::Device) -> Gpu {
        let mut renderer = Renderer::new(device, &RendererOptions::default()).expect("renderer");
        let scene = scene::load_scene(None).expect("scene");
        let (w, h) = scene.size;
        let placed = scene::place_scene(&scene, w, h).expect("placed");
        let buffers = scene::make_window_buffers(&mut renderer, &placed).expect("buffers");
        Gpu {
            renderer,
            scene,
            buffers,
        }
    }
}

/// The scene with FIFO, the swapchain's defaults checked.
fn check_fifo(s: &mut Session) {
    assert_eq!(
        s.swapchain.fourcc(),
        DrmFourcc::Argb8888,
        "lavapipe's X11 surface offers B8G8R8A8_UNORM"
    );
    assert_eq!(s.swapchain.present_mode(), PresentMode::Fifo);
    assert_eq!(s.present(0.5, 3), (400, 250));
    assert_on_screen(s, 0.5, "FIFO at 400x250");
    s.assert_clean();
}

/// Once every image has been drawn, a frame creates no Vulkan object: acquire semaphores
/// go round, and the images' framebuffers are cached.
fn check_steady_state(s: &mut Session) {
    s.present(0.5, 10);
    let (objects, allocations) = (s.device.objects_created(), s.device.allocations_made());
    s.present(0.5, 30);
    assert_eq!(
        s.device.objects_created(),
        objects,
        "objects created by steady frames"
    );
    assert_eq!(
        s.device.allocations_made(),
        allocations,
        "allocations by steady frames"
    );
}

/// A resize the swapchain is told of, then one it is not: the window system reports the
/// old images suboptimal or out of date, and the swapchain is rebuilt at the window's size.
fn check_resizes(s: &mut Session) {
    let generation = s.swapchain.generation();
    s.resize_window(480, 300);
    s.swapchain.resize(480, 300);
    assert_eq!(
        s.present(0.75, 3),
        (480, 300),
        "the swapchain follows the resize"
    );
    assert!(
        s.swapchain.generation() > generation,
        "rebuilt for the new size"
    );
    assert_on_screen(s, 0.75, "FIFO after resizing to 480x300");

    s.resize_window(360, 240);
    let size = s.present(0.25, 4);
    assert_eq!(
        size,
        (360, 240),
        "rebuilt at the window's size without resize()"
    );
    assert_on_screen(s, 0.25, "after an untold resize to 360x240");
    s.swapchain.resize(360, 240);
    s.assert_clean();
}

/// MAILBOX where the surface offers it (asked of Vulkan here), else FIFO; returns which.
fn check_mailbox(s: &mut Session) -> PresentMode {
    let offered = offered_modes(&s.instance, s.device.physical(), s.swapchain.surface());
    let expected = if offered.contains(&vk::PresentModeKHR::MAILBOX) {
        PresentMode::Mailbox
    } else {
        PresentMode::Fifo
    };
    s.swapchain.set_present_mode(PresentMode::Mailbox);
    s.present(1.0, 5);
    eprintln!(
        "window test: the surface offers {offered:?}; asking for Mailbox gave {:?}",
        s.swapchain.present_mode()
    );
    assert_eq!(s.swapchain.present_mode(), expected);
    assert_on_screen(s, 1.0, "Mailbox at 360x240");
    s.assert_clean();
    expected
}

/// A zero size gives no frame and no error; a frame dropped unpresented is finished and
/// the swapchain rebuilt.
fn check_no_area_and_unpresented(s: &mut Session) {
    s.swapchain.resize(0, 0);
    let frame = s
        .swapchain
        .begin_frame(&mut s.gpu.renderer, Transform::Normal);
    assert!(frame.expect("a window without area is no error").is_none());
    assert_eq!(s.swapchain.extent(), None);
    s.swapchain.resize(360, 240);
    assert_eq!(s.present(0.5, 1), (360, 240));

    let generation = s.swapchain.generation();
    let frame = s
        .swapchain
        .begin_frame(&mut s.gpu.renderer, Transform::Normal);
    drop(frame.expect("begin").expect("an image"));
    assert_eq!(s.present(0.5, 2), (360, 240));
    assert!(
        s.swapchain.generation() > generation,
        "rebuilt after an unpresented frame"
    );
    s.assert_clean();
}

/// A second window's swapchain, made with MAILBOX, dropped with its frames in flight.
fn check_dropped_in_flight(s: &mut Session, mailbox: PresentMode) {
    let window = s.ui.open(200, 120);
    let surface = Surface::new(&s.instance, window.clone()).expect("second surface");
    let options = SwapchainOptions {
        width: 200,
        height: 120,
        present_mode: PresentMode::Mailbox,
    };
    let mut other = Swapchain::new(&s.gpu.renderer, surface, &options).expect("swapchain");
    assert_eq!(other.present_mode(), mailbox);
    let placed = scene::place_scene(&s.gpu.scene, 200, 120).expect("placed");
    for _ in 0..3 {
        let Gpu {
            renderer, buffers, ..
        } = &mut s.gpu;
        if let Some(mut frame) = other
            .begin_frame(renderer, Transform::Normal)
            .expect("begin")
        {
            scene::draw_all(&mut frame, &placed, buffers).expect("draw");
            frame.present().expect("present");
        }
    }
    drop(other);
    s.assert_clean();
}

/// The example, built and run as a program in both modes: it presents its frames at its
/// size and exits 0, which it does only without validation errors.
fn check_example(display: &str, mailbox: PresentMode) {
    let example = build_window_example();
    for (mode, expected) in [("fifo", PresentMode::Fifo), ("mailbox", mailbox)] {
        let printed = run_window_example(&example, display, mode, 30);
        assert!(printed.contains("presented 30 frames"), "{mode}: {printed}");
        let wanted = format!("present mode {expected:?} (asked");
        assert!(printed.contains(&wanted), "{mode}: {printed}");
        assert!(printed.contains("swapchain 320x200;"), "{mode}: {printed}");
    }
}

/// One test: winit allows one event loop per process.
#[test]
fn swapchains_present_the_headless_scene_on_xvfb() {
    let mut session = Session::start();
    check_fifo(&mut session);
    check_steady_state(&mut session);
    check_resizes(&mut session);
    let mailbox = check_mailbox(&mut session);
    check_no_area_and_unpresented(&mut session);
    check_dropped_in_flight(&mut session, mailbox);
    let Session {
        swapchain,
        gpu,
        device,
        instance,
        window,
        ui,
        xvfb,
    } = session;
    // Tearing down the swapchain, renderer and device reports its own errors, if any.
    drop((swapchain, gpu, device, window, ui));
    common::assert_validation_clean(&instance);
    check_example(&xvfb.display, mailbox);
}
