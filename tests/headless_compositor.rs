//! Real Wayland clients against `examples/headless_compositor/`: their pixels must reach
//! the PNG the compositor writes.
//!
//! - `weston_simple_shm`: Debian's `weston` package (installed with apt-get when
//!   `/usr/bin/weston-simple-shm` is missing) provides `weston-simple-shm`, which draws a
//!   250x250 XRGB8888 buffer: a 20-pixel white border and, inside, a pattern. Where the
//!   pattern lies outside its outer circle, a pixel's 24-bit value is
//!   `(x + time / 16) * 0x080401` (modulo 2^24), so two neighbouring columns differ by
//!   exactly 0x080401, whatever the time. The test checks that for every such pair, then
//!   solves the time from one pixel and checks every pixel of the window against the whole
//!   pattern (the rings depend on y and on the distance from the centre, at time / 32 and
//!   time / 64, which follow from time / 16), the white border, the placement at (32, 32),
//!   and the background everywhere else. A renderer that swapped R and B, dropped the
//!   window, treated the X byte of XRGB as alpha (the client draws a diagonal cross of
//!   zero X bytes to show that) or misplaced it by a pixel fails; the test proves that
//!   by running its own check on an image with R and B swapped and on a blank one. Two
//!   screenshots half a second apart must show a later time: frame callbacks keep coming
//!   and buffers are released (the client aborts when both of its buffers are busy).
//! - `two_windows_cascade`: a second weston-simple-shm opens 48 pixels down and right,
//!   above the first; both windows check out where visible.
//! - `linux_dmabuf_memfd`: a client written here (`tests/wayland_wire`) shares a memfd as
//!   a LINEAR XRGB8888 dma-buf; every pixel must reach the output.
//!   `linux_dmabuf_udmabuf` does the same with a real dma-buf made by `/dev/udmabuf` (in
//!   the guest of `scripts/test-vm`; skipped where the kernel has no udmabuf).
//! - `blur_behind_translucent_window` (`--blur 3`, drawn by
//!   `VulkanFrame::blur_behind`): weston-simple-shm, then a client written here whose
//!   300x200 window of one translucent tint asks `ext-background-effect-v1` to blur behind
//!   all of it, one cascade step down and right, over the pattern. Around that window the
//!   pattern and the background are unchanged, and the tint shows over the background
//!   where nothing else is within reach. Behind it, compared with the plain composite the
//!   test computes (the sharp pattern at the frame time, the tint blended over it), the
//!   local variation must drop to at most a third and the mean colour must stay close.
//!   Half a second later the same holds for the pattern's later frame, and most of the
//!   blurred pixels changed: damage below the blur redraws it.
//! - `background_effect_protocol_errors`: a second effect object for one surface is
//!   `background_effect_exists`, another after `destroy` is fine, and `set_blur_region`
//!   after the surface is gone is `surface_destroyed`. (`linux_dmabuf_memfd` checks that
//!   without `--blur` there is no such global.)
//! - `foot_terminal`: `foot` (Debian package `foot`, installed when missing; skipped with
//!   a message if that fails) with a configuration giving it a 300x200 window of a known
//!   background colour and no padding, running `sleep`: the window must show that colour
//!   at (32, 32) (the top row of cells may hold the cursor).
//!
//! The compositor binary: `$HEADLESS_COMPOSITOR` if set; otherwise the test runs
//! `cargo build --features smithay --example headless_compositor` into the target
//! directory and profile it runs from (found from the test executable's path,
//! `<target>/<profile>/deps/`), and takes `<target>/<profile>/examples/headless_compositor`.
//! That build is a no-op when `cargo test` already built the examples.
//!
//! Every process is killed when the test ends, however it ends (drop guards), and every
//! wait has a deadline.

#![cfg(feature = "smithay")]

mod kernel;
mod wayland_wire;

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    os::{
        fd::{AsFd, FromRawFd, OwnedFd},
        unix::fs::PermissionsExt,
    },
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::{mpsc, Mutex, OnceLock},
    thread,
    time::{Duration, Instant},
};

use wayland_wire::{Arg, Client, SHM_ARGB8888};

/// The compositor's background in every test (`--background`).
const BACKGROUND: [u8; 3] = [0x20, 0x40, 0x60];
/// Where the compositor puts its first toplevel, and how far down and right the next.
const FIRST_WINDOW: (usize, usize) = (32, 32);
const CASCADE_STEP: usize = 48;
const OUTPUT_SIZE: (usize, usize) = (640, 480);

// weston-simple-shm (weston 10): a 250x250 window with a 20-pixel border.
const SHM_SIZE: usize = 250;
const SHM_BORDER: usize = 20;
/// The per-step multiplier of its pattern.
const STEP: u32 = 0x0080401;
const MASK: u32 = 0x00ff_ffff;

/// A child process that is killed and reaped when dropped.
struct Reaped {
    child: Child,
    name: &'static str,
}

impl Reaped {
    fn spawn(mut command: Command, name: &'static str) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self { child, name }
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => return None,
            }
        }
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.running() {
            eprintln!("killing {}", self.name);
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs a command to completion within `timeout`, killing it past that.
fn run_bounded(command: Command, name: &'static str, timeout: Duration) -> Option<ExitStatus> {
    let mut child = Reaped::spawn(command, name);
    let status = child.wait_timeout(timeout);
    if status.is_none() {
        eprintln!("{name} ran past {timeout:?}");
    }
    status
}

/// Installs a Debian package unless `binary` exists; returns whether it exists afterwards.
/// apt-get runs as root (CI) or through `sudo -n`; one install at a time, and apt waits
/// for another process's dpkg lock instead of failing at once.
fn ensure_debian_package(binary: &str, package: &str) -> bool {
    static APT: Mutex<()> = Mutex::new(());
    let _one_at_a_time = APT.lock().unwrap_or_else(|e| e.into_inner());
    if Path::new(binary).exists() {
        return true;
    }
    eprintln!("{binary} is missing: installing Debian's {package}");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let apt = |args: &[&str]| {
        let mut command = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        command
            .args(["-o", "DPkg::Lock::Timeout=120"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null());
        run_bounded(command, "apt-get", Duration::from_secs(600)).is_some_and(|s| s.success())
    };
    let installed = apt(&["install", "-y", "-qq", "--no-install-recommends", package])
        || (apt(&["update", "-qq"])
            && apt(&["install", "-y", "-qq", "--no-install-recommends", package]));
    installed && Path::new(binary).exists()
}

/// The compositor example, built into this test's own target directory and profile.
fn compositor_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("HEADLESS_COMPOSITOR") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("the test executable's path");
        // <target>/<profile>/deps/headless_compositor-<hash>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test runs from <target>/<profile>/deps");
        let target_dir = profile_dir.parent().expect("a target directory");
        let profile = profile_dir.file_name().unwrap().to_string_lossy();
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .args([
                "build",
                "--features",
                "smithay",
                "--example",
                "headless_compositor",
            ])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        match &*profile {
            "debug" => {}
            "release" => {
                cargo.arg("--release");
            }
            other => {
                cargo.args(["--profile", other]);
            }
        }
        let status = run_bounded(cargo, "cargo build", Duration::from_secs(900));
        assert!(
            status.is_some_and(|s| s.success()),
            "building the headless_compositor example failed ({status:?})"
        );
        let binary = profile_dir.join("examples/headless_compositor");
        assert!(binary.exists(), "{} was not built", binary.display());
        binary
    })
}

/// An RGBA8 image read from the compositor's PNG.
#[derive(Clone)]
struct Image {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Image {
    fn load(path: &Path) -> Result<Self, String> {
        let file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reader = png::Decoder::new(BufReader::new(file))
            .read_info()
            .map_err(|e| e.to_string())?;
        let mut rgba = vec![0; reader.output_buffer_size().ok_or("PNG too large")?];
        let info = reader.next_frame(&mut rgba).map_err(|e| e.to_string())?;
        if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
            return Err(format!(
                "PNG is {:?} {:?}, not RGBA8",
                info.color_type, info.bit_depth
            ));
        }
        rgba.truncate(info.buffer_size());
        Ok(Self {
            width: info.width as usize,
            height: info.height as usize,
            rgba,
        })
    }

    fn pixel(&self, x: usize, y: usize) -> [u8; 4] {
        let i = (y * self.width + x) * 4;
        self.rgba[i..i + 4].try_into().unwrap()
    }
}

/// A running compositor, its stdin (commands) and stdout (answers, line by line).
struct Compositor {
    // Field order is drop order: close stdin, then kill, then remove the directory.
    stdin: Option<ChildStdin>,
    process: Reaped,
    lines: mpsc::Receiver<String>,
    socket: String,
    dir: tempfile::TempDir,
}

impl Compositor {
    fn start(extra_args: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("vkcompose-headless-")
            .tempdir()
            .expect("temporary directory");
        // XDG_RUNTIME_DIR must be private to its user.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let [r, g, b] = BACKGROUND;
        let mut command = Command::new(compositor_binary());
        command
            .args(["--socket", "wayland-vkcompose-test"])
            .args(["--size", &format!("{}x{}", OUTPUT_SIZE.0, OUTPUT_SIZE.1)])
            .args(["--background", &format!("{r:02x}{g:02x}{b:02x}")])
            .arg("--output")
            .arg(dir.path().join("exit.png"))
            .args(extra_args)
            .env("XDG_RUNTIME_DIR", dir.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                fs::File::create(dir.path().join("compositor.log")).unwrap(),
            ));
        let mut process = Reaped::spawn(command, "headless_compositor");
        let stdin = process.child.stdin.take();
        let stdout = process.child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut compositor = Self {
            stdin,
            process,
            lines,
            socket: String::new(),
            dir,
        };
        let first = compositor.line(Duration::from_secs(60), "the socket name");
        compositor.socket = first
            .strip_prefix("WAYLAND_DISPLAY=")
            .unwrap_or_else(|| panic!("first line {first:?} is not WAYLAND_DISPLAY=..."))
            .to_string();
        compositor
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("compositor.log")).unwrap_or_default()
    }

    /// The next stdout line, or a panic (with the compositor's log) after `timeout`.
    fn line(&mut self, timeout: Duration, what: &str) -> String {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(e) => panic!(
                "no {what} from the compositor within {timeout:?} ({e}); running: {}; log:\n{}",
                self.process.running(),
                self.log()
            ),
        }
    }

    /// A client command connected to this compositor.
    fn client(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env("WAYLAND_DISPLAY", &self.socket)
            .stdin(Stdio::null());
        command
    }

    /// Asks for a screenshot and reads it once the compositor says it is written.
    fn screenshot(&mut self, name: &str) -> Image {
        let path = self.dir.path().join(name);
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "screenshot {}", path.display()).expect("compositor stdin");
        stdin.flush().unwrap();
        let answer = self.line(Duration::from_secs(30), "screenshot answer");
        assert_eq!(
            answer,
            format!(
                "screenshot {} {}x{}",
                path.display(),
                OUTPUT_SIZE.0,
                OUTPUT_SIZE.1
            ),
            "log:\n{}",
            self.log()
        );
        Image::load(&path).unwrap()
    }

    /// Sends a signal (TERM, USR1), through the syscall: the guest of scripts/test-vm has
    /// no `kill` program.
    fn signal(&self, signal: &str) {
        let number = match signal {
            "TERM" => libc::SIGTERM,
            "USR1" => libc::SIGUSR1,
            other => panic!("no signal {other} here"),
        };
        let pid = self.process.child.id() as libc::pid_t;
        // SAFETY: a plain syscall to our own child, which has not been reaped yet.
        let r = unsafe { libc::kill(pid, number) };
        assert_eq!(r, 0, "kill -{signal}: {}", std::io::Error::last_os_error());
    }

    /// Ends the compositor by closing stdin, or with a signal; checks it writes the exit
    /// PNG, says so, and exits cleanly.
    fn finish(mut self, signal: Option<&str>) -> Image {
        match signal {
            None => drop(self.stdin.take()),
            Some(signal) => self.signal(signal),
        }
        let exit_png = self.dir.path().join("exit.png");
        let last = self.line(Duration::from_secs(30), "exit line");
        assert_eq!(last, format!("exit {}", exit_png.display()));
        let status = self.process.wait_timeout(Duration::from_secs(30));
        assert!(
            status.is_some_and(|s| s.success()),
            "compositor exit status {status:?}; log:\n{}",
            self.log()
        );
        Image::load(&exit_png).unwrap()
    }
}

/// A window's rectangle on the output: x, y, width, height.
type Rect = (usize, usize, usize, usize);

fn contains(rect: Rect, x: usize, y: usize) -> bool {
    (rect.0..rect.0 + rect.2).contains(&x) && (rect.1..rect.1 + rect.3).contains(&y)
}

/// Checks that every pixel outside `windows` is the background.
fn check_background(image: &Image, windows: &[Rect]) -> Result<(), String> {
    let background = [BACKGROUND[0], BACKGROUND[1], BACKGROUND[2], 0xff];
    for y in 0..image.height {
        for x in 0..image.width {
            let inside = windows.iter().any(|&w| contains(w, x, y));
            if !inside && image.pixel(x, y) != background {
                return Err(format!(
                    "background pixel ({x}, {y}) is {:?}, expected {background:?}",
                    image.pixel(x, y)
                ));
            }
        }
    }
    Ok(())
}

/// 0x080401 is odd, so it has an inverse modulo 2^24: the time step from a pixel value.
fn step_inverse() -> u32 {
    // Newton's iteration doubles the correct low bits each round: 1, 2, 4, ... 32.
    let mut inv: u32 = 1;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(STEP.wrapping_mul(inv)));
    }
    assert_eq!(STEP.wrapping_mul(inv), 1);
    inv & MASK
}

/// The 24-bit value weston-simple-shm writes at buffer pixel (x, y) inside its border at
/// frame time `time16 * 16` ms (the pattern only uses time / 16, / 32 and / 64).
fn simple_shm_value(x: usize, y: usize, time16: u32) -> u32 {
    let half = (SHM_BORDER + (SHM_SIZE - 2 * SHM_BORDER) / 2) as i64;
    let outer = half - 8;
    let inner = outer - 32;
    let (dx, dy) = (x as i64 - half, y as i64 - half);
    let r2 = dx * dx + dy * dy;
    let base = if r2 < inner * inner {
        r2 as u32 / 32 + time16 / 4
    } else if r2 < outer * outer {
        y as u32 + time16 / 2
    } else {
        x as u32 + time16
    };
    base.wrapping_mul(STEP) & MASK
}

/// Whether buffer pixel (x, y) lies outside the pattern's outer circle.
fn outside_outer_circle(x: usize, y: usize) -> bool {
    let half = (SHM_BORDER + (SHM_SIZE - 2 * SHM_BORDER) / 2) as i64;
    let (dx, dy) = (x as i64 - half, y as i64 - half);
    dx * dx + dy * dy >= (half - 8) * (half - 8)
}

fn rgb24(p: [u8; 4]) -> u32 {
    (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2])
}

/// Checks a screenshot of one weston-simple-shm window at FIRST_WINDOW; returns the frame
/// time / 16 it shows.
fn check_simple_shm(image: &Image) -> Result<u32, String> {
    check_simple_shm_windows(image, &[FIRST_WINDOW]).map(|times| times[0])
}

/// Checks a screenshot of weston-simple-shm windows with their top-left corners at
/// `origins`, each stacked above those before it; returns the frame time / 16 each shows.
fn check_simple_shm_windows(image: &Image, origins: &[(usize, usize)]) -> Result<Vec<u32>, String> {
    check_simple_shm_below(image, origins, &[])
}

/// Like `check_simple_shm_windows`, with other windows (`above`, unchecked) on top.
fn check_simple_shm_below(
    image: &Image,
    origins: &[(usize, usize)],
    above: &[Rect],
) -> Result<Vec<u32>, String> {
    if (image.width, image.height) != OUTPUT_SIZE {
        return Err(format!("image is {}x{}", image.width, image.height));
    }
    let rects: Vec<Rect> = origins
        .iter()
        .map(|&(x, y)| (x, y, SHM_SIZE, SHM_SIZE))
        .collect();
    let mut times = Vec::new();
    for (i, &(ox, oy)) in origins.iter().enumerate() {
        // Window pixels hidden by a window above are that window's to check.
        let visible = |x: usize, y: usize| {
            !rects[i + 1..]
                .iter()
                .chain(above)
                .any(|&r| contains(r, ox + x, oy + y))
        };
        let at = |x: usize, y: usize| image.pixel(ox + x, oy + y);
        let error = |what: String| format!("window {i} at ({ox}, {oy}): {what}");
        // Every window pixel is opaque: XRGB content, whatever the X byte holds.
        for y in 0..SHM_SIZE {
            for x in 0..SHM_SIZE {
                if visible(x, y) && at(x, y)[3] != 0xff {
                    return Err(error(format!(
                        "pixel ({x}, {y}) is {:?}, not opaque",
                        at(x, y)
                    )));
                }
            }
        }
        // 1. Outside the outer circle, neighbouring columns differ by exactly 0x080401.
        let inside = SHM_BORDER..SHM_SIZE - SHM_BORDER;
        let mut pairs = 0;
        for y in inside.clone() {
            for x in SHM_BORDER..SHM_SIZE - SHM_BORDER - 1 {
                let both = visible(x, y) && visible(x + 1, y);
                if both && outside_outer_circle(x, y) && outside_outer_circle(x + 1, y) {
                    let (a, b) = (rgb24(at(x, y)), rgb24(at(x + 1, y)));
                    if b.wrapping_sub(a) & MASK != STEP {
                        return Err(error(format!(
                            "columns {x} and {} of row {y} hold {a:06x} and {b:06x}: \
                             not {STEP:06x} apart",
                            x + 1
                        )));
                    }
                    pairs += 1;
                }
            }
        }
        if pairs < 1000 {
            return Err(error(format!("only {pairs} neighbouring pairs checked")));
        }
        // 2. One pixel gives the time; every pixel must then match the whole pattern.
        let corner = SHM_BORDER;
        if !visible(corner, corner) {
            return Err(error("the pixel giving the time is hidden".into()));
        }
        let time16 = (rgb24(at(corner, corner)).wrapping_mul(step_inverse()) & MASK)
            .wrapping_sub(corner as u32)
            & MASK;
        for y in 0..SHM_SIZE {
            for x in 0..SHM_SIZE {
                let expected = if inside.contains(&x) && inside.contains(&y) {
                    simple_shm_value(x, y, time16)
                } else {
                    0xff_ffff // the border, painted white
                };
                let actual = rgb24(at(x, y));
                if visible(x, y) && actual != expected {
                    return Err(error(format!(
                        "pixel ({x}, {y}) is {actual:06x}, expected {expected:06x} \
                         (frame time {} ms)",
                        time16 * 16
                    )));
                }
            }
        }
        times.push(time16);
    }
    // 3. Nothing else on the output.
    check_background(image, &[&rects, above].concat())?;
    Ok(times)
}

/// Screenshots until `check` passes or `timeout` runs out (clients take a moment to draw).
fn screenshot_until<T>(
    compositor: &mut Compositor,
    name: &str,
    timeout: Duration,
    check: impl Fn(&Image) -> Result<T, String>,
) -> (Image, T) {
    let deadline = Instant::now() + timeout;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let image = compositor.screenshot(&format!("{name}-{attempt}.png"));
        match check(&image) {
            Ok(value) => return (image, value),
            Err(err) if Instant::now() > deadline => panic!(
                "{name}: after {attempt} screenshots: {err}; compositor log:\n{}",
                compositor.log()
            ),
            Err(_) => thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// vkcompose's renderer with the validation layer on: a validation error makes the
/// compositor's exit status 3, which `Compositor::finish` rejects.
const VULKAN: &[&str] = &["--renderer", "vulkan", "--validation"];
/// Smithay's software renderer: the same checks hold for the reference.
const PIXMAN: &[&str] = &["--renderer", "pixman"];

#[test]
fn weston_simple_shm() {
    simple_shm_through(VULKAN);
}

#[test]
fn weston_simple_shm_pixman() {
    simple_shm_through(PIXMAN);
}

fn simple_shm_through(renderer: &[&str]) {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let started = Instant::now();
    let mut compositor = Compositor::start(renderer);
    let listening = started.elapsed();
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut client = Reaped::spawn(command, "weston-simple-shm");

    let (image, first_time) = screenshot_until(
        &mut compositor,
        "shm",
        Duration::from_secs(30),
        check_simple_shm,
    );
    let shown = started.elapsed();

    // The check can fail: with R and B swapped, or with nothing drawn.
    let mut swapped = image.clone();
    for p in swapped.rgba.chunks_exact_mut(4) {
        p.swap(0, 2);
    }
    assert!(check_simple_shm(&swapped).is_err(), "R/B swap not detected");
    let mut blank = image.clone();
    for p in blank.rgba.chunks_exact_mut(4) {
        p.copy_from_slice(&[BACKGROUND[0], BACKGROUND[1], BACKGROUND[2], 0xff]);
    }
    assert!(
        check_simple_shm(&blank).is_err(),
        "a blank output not detected"
    );

    // The client goes on drawing: frame callbacks come and buffers are released.
    thread::sleep(Duration::from_millis(500));
    let (_, later_time) = screenshot_until(
        &mut compositor,
        "shm-later",
        Duration::from_secs(10),
        check_simple_shm,
    );
    assert!(
        later_time > first_time,
        "the client did not redraw: frame time {} ms, then {} ms",
        first_time * 16,
        later_time * 16
    );
    assert!(client.running(), "weston-simple-shm exited");
    eprintln!(
        "{renderer:?}: compositor listening after {listening:?}, weston-simple-shm checked \
         {shown:?} after start; frame times {} ms, {} ms",
        first_time * 16,
        later_time * 16
    );

    // Closing stdin ends the compositor, which writes its output one last time.
    let last = compositor.finish(None);
    check_simple_shm(&last).expect("exit PNG");
    drop(client);
}

/// Two clients: the second window opens 48 pixels down and right of the first, above it.
/// Both XRGB windows are opaque, so the damage tracker draws only the first one's visible
/// part: the hidden part must not leak through, nor the visible part go missing.
#[test]
fn two_windows_cascade() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let mut compositor = Compositor::start(VULKAN);
    let spawn = |compositor: &Compositor| {
        let mut command = compositor.client("/usr/bin/weston-simple-shm");
        command.stdout(Stdio::null()).stderr(Stdio::null());
        Reaped::spawn(command, "weston-simple-shm")
    };
    let _first = spawn(&compositor);
    screenshot_until(
        &mut compositor,
        "first",
        Duration::from_secs(30),
        check_simple_shm,
    );
    let _second = spawn(&compositor);
    let second_window = (FIRST_WINDOW.0 + CASCADE_STEP, FIRST_WINDOW.1 + CASCADE_STEP);
    let (_, times) = screenshot_until(&mut compositor, "both", Duration::from_secs(30), |image| {
        check_simple_shm_windows(image, &[FIRST_WINDOW, second_window])
    });
    eprintln!(
        "two windows: frame times {} ms, {} ms",
        times[0] * 16,
        times[1] * 16
    );
    compositor.finish(None);
}

/// `foot --version`'s major and minor version ((0, 0) if it cannot be read).
fn foot_version() -> (u32, u32) {
    let output = Command::new("/usr/bin/foot").arg("--version").output();
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let text = text.unwrap_or_default();
    let version = text.split_whitespace().nth(2).unwrap_or("");
    let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

#[test]
fn foot_terminal() {
    if !ensure_debian_package("/usr/bin/foot", "foot") {
        eprintln!("foot is missing and could not be installed: test skipped");
        return;
    }
    const FOOT_BACKGROUND: [u8; 3] = [0x8a, 0x2b, 0xe2];
    const FOOT_SIZE: (usize, usize) = (300, 200);
    let mut compositor = Compositor::start(VULKAN);
    let config = compositor.dir.path().join("foot.ini");
    let [r, g, b] = FOOT_BACKGROUND;
    fs::write(
        &config,
        format!(
            "[main]\ninitial-window-size-pixels={}x{}\npad=0x0\n{}\
             [colors]\nbackground={r:02x}{g:02x}{b:02x}\nforeground=ffffff\nalpha=1.0\n\
             [cursor]\nblink=no\n",
            FOOT_SIZE.0,
            FOOT_SIZE.1,
            // Since 1.15 foot snaps its window to whole cells unless told not to (the
            // guest of scripts/test-vm has 1.21); older ones reject the key.
            if foot_version() >= (1, 15) {
                "resize-by-cells=no\n"
            } else {
                ""
            }
        ),
    )
    .unwrap();
    let mut command = compositor.client("/usr/bin/foot");
    command
        .arg("--config")
        .arg(&config)
        .args(["sh", "-c", "sleep 60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let _foot = Reaped::spawn(command, "foot");

    let check = |image: &Image| -> Result<(), String> {
        let (ox, oy) = FIRST_WINDOW;
        let expected = [r, g, b, 0xff];
        let mut other = 0;
        for y in 0..FOOT_SIZE.1 {
            for x in 0..FOOT_SIZE.0 {
                let p = image.pixel(ox + x, oy + y);
                // The first row of cells holds the cursor; below it, only background.
                if p != expected {
                    if y >= 20 {
                        return Err(format!(
                            "foot pixel ({x}, {y}) is {p:?}, expected {expected:?}"
                        ));
                    }
                    other += 1;
                }
            }
        }
        if other > 20 * 20 {
            return Err(format!(
                "{other} pixels of the top row of cells are not background"
            ));
        }
        check_background(image, &[(ox, oy, FOOT_SIZE.0, FOOT_SIZE.1)])
    };
    screenshot_until(&mut compositor, "foot", Duration::from_secs(45), check);
    eprintln!("foot shown {:?} after start", started.elapsed());

    // SIGUSR1 writes the --output PNG and the compositor goes on.
    compositor.signal("USR1");
    let exit_png = compositor.dir.path().join("exit.png");
    let answer = compositor.line(Duration::from_secs(30), "SIGUSR1 screenshot");
    let (w, h) = OUTPUT_SIZE;
    assert_eq!(answer, format!("screenshot {} {w}x{h}", exit_png.display()));
    check(&Image::load(&exit_png).unwrap()).expect("SIGUSR1 PNG");
    fs::remove_file(&exit_png).unwrap();

    // SIGTERM ends the compositor the same way; the exit PNG still shows foot.
    let last = compositor.finish(Some("TERM"));
    check(&last).expect("exit PNG");
}

/// The pixel a test buffer holds at (x, y): XRGB8888 with a stray X byte, which the
/// compositor must ignore.
fn dmabuf_pixel(x: usize, y: usize) -> [u8; 4] {
    let (r, g, b) = (
        (x * 255 / 95) as u8,
        (y * 255 / 63) as u8,
        ((x ^ y) * 4) as u8,
    );
    [b, g, r, (x * y) as u8] // little-endian XRGB: B, G, R, X
}

/// A client the test writes itself (`tests/wayland_wire`), since no packaged client makes
/// dma-bufs without a GPU: it shares a memfd as a LINEAR XRGB8888 "dma-buf" through
/// linux-dmabuf's `create` (the compositor answers after asking the renderer, which maps
/// and copies it where the driver has no dma-buf import, as lavapipe), shows it in a
/// toplevel and waits for its frame callback; the output must then show every pixel.
#[test]
fn linux_dmabuf_memfd() {
    linux_dmabuf_client(BufferMemory::Memfd);
}

/// The same with a real dma-buf: the memfd sealed and turned into a dma-buf by
/// `/dev/udmabuf`, which the renderer imports without a copy where the driver imports
/// dma-bufs (Mesa 25 lavapipe in the guest of `scripts/test-vm`). Skipped where the kernel
/// has no udmabuf; inside the guest that fails instead.
#[test]
fn linux_dmabuf_udmabuf() {
    if !std::path::Path::new("/dev/udmabuf").exists() {
        assert!(
            std::env::var_os("VKCOMPOSE_GUEST").is_none(),
            "the guest must have /dev/udmabuf"
        );
        eprintln!("no /dev/udmabuf here (scripts/test-vm runs it): test skipped");
        return;
    }
    linux_dmabuf_client(BufferMemory::Udmabuf);
}

#[derive(Clone, Copy, PartialEq)]
enum BufferMemory {
    Memfd,
    Udmabuf,
}

const XRGB8888: u32 = 0x3432_5258; // fourcc 'XR24'
const LINEAR: u64 = 0;
const SIZE: (usize, usize) = (96, 64);
const STRIDE: usize = SIZE.0 * 4 + 32; // padded rows, as GPU buffers often have

fn linux_dmabuf_client(memory: BufferMemory) {
    let mut compositor = Compositor::start(VULKAN);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    // Without --blur there is no background effect global.
    assert!(!client.has_global("ext_background_effect_manager_v1"));
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let xdg_wm_base = client.bind("xdg_wm_base", 1).expect("xdg_wm_base");
    let Some(dmabuf) = client.bind("zwp_linux_dmabuf_v1", 3) else {
        eprintln!("the renderer imports no dma-buf here (no linux-dmabuf global): test skipped");
        return;
    };
    let mut modifiers = Vec::new();
    client.roundtrip(|event| {
        if event.object == dmabuf && event.opcode == 1 {
            let modifier = (u64::from(event.word(1)) << 32) | u64::from(event.word(2));
            modifiers.push((event.word(0), modifier));
        }
    });
    if !modifiers.contains(&(XRGB8888, LINEAR)) {
        eprintln!(
            "XRGB8888 LINEAR is not among the dma-buf formats ({modifiers:x?}): test skipped"
        );
        return;
    }

    // A toplevel, configured.
    let surface = client.toplevel(wl_compositor, xdg_wm_base).surface;

    // The "dma-buf": a memfd holding padded XRGB8888 rows.
    let mut bytes = vec![0xaa_u8; STRIDE * SIZE.1];
    for y in 0..SIZE.1 {
        for x in 0..SIZE.0 {
            bytes[y * STRIDE + x * 4..][..4].copy_from_slice(&dmabuf_pixel(x, y));
        }
    }
    let memfd = match memory {
        BufferMemory::Memfd => plain_memfd(&bytes),
        BufferMemory::Udmabuf => udmabuf(&bytes),
    };

    let params = client.wire.new_id();
    client.send(dmabuf, 1, &[Arg::Object(params)]); // create_params
    let add = [
        Arg::Uint(0), // plane
        Arg::Uint(0), // offset
        Arg::Uint(STRIDE as u32),
        Arg::Uint((LINEAR >> 32) as u32),
        Arg::Uint(LINEAR as u32),
    ];
    client
        .wire
        .send_with_fd(params, 1, &add, memfd.as_fd())
        .unwrap();
    let create = [
        Arg::Int(SIZE.0 as i32),
        Arg::Int(SIZE.1 as i32),
        Arg::Uint(XRGB8888),
        Arg::Uint(0),
    ];
    client.send(params, 2, &create);
    let buffer = loop {
        let event = client.event();
        match (event.object, event.opcode) {
            (o, 0) if o == params => break event.word(0),
            (o, 1) if o == params => panic!(
                "the compositor refused the buffer; log:\n{}",
                compositor.log()
            ),
            _ => {}
        }
    };

    // Show it and wait until a frame with it is drawn.
    client.show(surface, buffer, SIZE);

    let (ox, oy) = FIRST_WINDOW;
    screenshot_until(
        &mut compositor,
        "dmabuf",
        Duration::from_secs(10),
        |image| {
            for y in 0..SIZE.1 {
                for x in 0..SIZE.0 {
                    let [b, g, r, _] = dmabuf_pixel(x, y);
                    let actual = image.pixel(ox + x, oy + y);
                    if actual != [r, g, b, 0xff] {
                        return Err(format!(
                            "buffer pixel ({x}, {y}) is {actual:?}, expected {:?}",
                            [r, g, b, 0xff]
                        ));
                    }
                }
            }
            check_background(image, &[(ox, oy, SIZE.0, SIZE.1)])
        },
    );
    drop(client);
    compositor.finish(None);
}

fn plain_memfd(bytes: &[u8]) -> fs::File {
    // SAFETY: the name is a NUL-terminated string; the flags are valid.
    let fd = unsafe { libc::memfd_create(c"vkcompose-test-dmabuf".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    // SAFETY: memfd_create just returned this fd, and nothing else owns it.
    let memfd = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    (&memfd).write_all(bytes).unwrap();
    memfd
}

/// A dma-buf over a sealed memfd holding `bytes` (padded to whole pages, as udmabuf needs).
fn udmabuf(bytes: &[u8]) -> fs::File {
    let memfd = kernel::sealed_memfd(bytes.len().div_ceil(kernel::PAGE) * kernel::PAGE, bytes);
    fs::File::from(kernel::udmabuf(&memfd))
}

/// The compositor with background blur: three dual Kawase passes.
const BLUR: &[&str] = &["--renderer", "vulkan", "--validation", "--blur", "3"];
/// The translucent window of the blur test: 300x200 of one faint premultiplied tint
/// (R, G, B, A), which the whole window asks to have blurred behind it.
const TINTED_SIZE: (usize, usize) = (300, 200);
const TINT: [u8; 4] = [0x40, 0x20, 0x00, 0x40];
/// ext_background_effect_manager_v1's error `background_effect_exists`, capability `blur`,
/// and ext_background_effect_surface_v1's error `surface_destroyed`.
const BACKGROUND_EFFECT_EXISTS: u32 = 0;
const CAPABILITY_BLUR: u32 = 1;
const SURFACE_DESTROYED: u32 = 0;

/// Binds ext_background_effect_manager_v1 and checks that it offers blur.
fn bind_background_effect(client: &mut Client) -> u32 {
    let manager = client
        .bind("ext_background_effect_manager_v1", 1)
        .expect("ext_background_effect_manager_v1 (the compositor runs with --blur)");
    let mut capabilities = None;
    client.roundtrip(|event| {
        if event.object == manager && event.opcode == 0 {
            capabilities = Some(event.word(0));
        }
    });
    assert_eq!(
        capabilities,
        Some(CAPABILITY_BLUR),
        "capabilities: blur only"
    );
    manager
}

/// A client written here (`tests/wayland_wire`) whose toplevel shows one translucent tint
/// and asks ext-background-effect-v1 to blur behind all of it; it stays until dropped.
fn tinted_blurred_window(compositor: &Compositor) -> Client {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let wl_shm = client.bind("wl_shm", 1).expect("wl_shm");
    let xdg_wm_base = client.bind("xdg_wm_base", 1).expect("xdg_wm_base");
    let manager = bind_background_effect(&mut client);
    let surface = client.toplevel(wl_compositor, xdg_wm_base).surface;

    let effect = client.wire.new_id();
    client.send(manager, 1, &[Arg::Object(effect), Arg::Object(surface)]); // get_background_effect
    let (w, h) = TINTED_SIZE;
    let region = client.region(wl_compositor, &[(0, 0, w as i32, h as i32)]);
    client.send(effect, 1, &[Arg::Object(region)]); // set_blur_region
    client.send(region, 0, &[]); // wl_region.destroy: the blur region is a copy

    let [r, g, b, a] = TINT;
    let memfd = plain_memfd(&[b, g, r, a].repeat(w * h)); // ARGB8888, little-endian
    let buffer = client.shm_buffer(wl_shm, memfd.as_fd(), TINTED_SIZE, w * 4, SHM_ARGB8888);
    // The blur region applies with this commit, together with the buffer.
    client.show(surface, buffer, TINTED_SIZE);
    client
}

/// The tint blended over `below` (premultiplied: tint + (1 - alpha) * below), per channel.
fn tinted(below: [f64; 3]) -> [f64; 3] {
    let keep = 1.0 - f64::from(TINT[3]) / 255.0;
    [0, 1, 2].map(|c| f64::from(TINT[c]) + keep * below[c])
}

fn rgb_f64(value: u32) -> [f64; 3] {
    [16, 8, 0].map(|shift| f64::from((value >> shift) & 0xff))
}

/// Where the tinted window is: the second toplevel, one cascade step from the first.
fn tinted_rect() -> Rect {
    let (x, y) = (FIRST_WINDOW.0 + CASCADE_STEP, FIRST_WINDOW.1 + CASCADE_STEP);
    (x, y, TINTED_SIZE.0, TINTED_SIZE.1)
}

/// Checks what the blur must leave alone: weston-simple-shm's window is unchanged outside
/// the tinted window, the background is the background elsewhere, and the tinted window
/// shows its tint over the background where nothing else is within any blur's reach (its
/// right edge, about 100 pixels from weston-simple-shm's window). Returns the frame time
/// / 16 weston-simple-shm shows.
fn check_around_blur(image: &Image) -> Result<u32, String> {
    let tinted_window = tinted_rect();
    let time16 = check_simple_shm_below(image, &[FIRST_WINDOW], &[tinted_window])?[0];
    let (tx, ty, tw, th) = tinted_window;
    let background = BACKGROUND.map(f64::from);
    let expected = tinted(background);
    for y in ty..ty + th {
        for x in tx + tw - 4..tx + tw {
            let p = image.pixel(x, y);
            if (0..3).any(|c| (f64::from(p[c]) - expected[c]).abs() > 1.5) {
                return Err(format!(
                    "tinted window pixel ({x}, {y}) over the background is {p:?}, expected \
                     about {expected:?}"
                ));
            }
        }
    }
    Ok(time16)
}

/// The inner part of the blurred area over weston-simple-shm's pattern: from the tinted
/// window's top-left corner (left and above it the same pattern goes on, so a blur reads
/// more of it there) to 40 pixels before the pattern's white border on the right and at
/// the bottom, so that the border's brightness stays outside any reasonable reach.
fn blurred_pattern_rect() -> Rect {
    let (tx, ty, _, _) = tinted_rect();
    let end = (
        FIRST_WINDOW.0 + SHM_SIZE - SHM_BORDER - 40,
        FIRST_WINDOW.1 + SHM_SIZE - SHM_BORDER - 40,
    );
    (tx, ty, end.0 - tx, end.1 - ty)
}

/// Sums the absolute differences between horizontal and vertical neighbours within `rect`,
/// per pixel, over the three channels of `pixel(x, y)`.
fn local_variation(rect: Rect, pixel: impl Fn(usize, usize) -> [f64; 3]) -> f64 {
    let (rx, ry, rw, rh) = rect;
    let mut sum = 0.0;
    for y in ry..ry + rh - 1 {
        for x in rx..rx + rw - 1 {
            let (p, right, down) = (pixel(x, y), pixel(x + 1, y), pixel(x, y + 1));
            sum += (0..3)
                .map(|c| (p[c] - right[c]).abs() + (p[c] - down[c]).abs())
                .sum::<f64>();
        }
    }
    sum / ((rw - 1) * (rh - 1)) as f64
}

/// Checks that the tinted window shows weston-simple-shm's pattern blurred behind it, not
/// the plain composite (the sharp pattern with the tint blended over it), in the inner
/// part of the blurred area: the composite the test computes from the pattern at frame
/// time `time16 * 16` ms (checked around the window) is the reference. Blurred, the local
/// variation must be at most a third of the composite's (3 dual Kawase passes bring it to
/// about a tenth on this pattern, and even a 1.5-pixel Gaussian halves it); the mean
/// colour must stay within 2 + 1/20 of the pattern's contrast there of the composite's
/// (blurring keeps the mean, bar what crosses the area's edges; 3 passes move it by under
/// 3 levels here).
fn check_blurred(image: &Image, time16: u32) -> Result<(), String> {
    let rect = blurred_pattern_rect();
    let (rx, ry, rw, rh) = rect;
    let composite = |x: usize, y: usize| {
        tinted(rgb_f64(simple_shm_value(
            x - FIRST_WINDOW.0,
            y - FIRST_WINDOW.1,
            time16,
        )))
    };
    let actual = |x: usize, y: usize| {
        let p = image.pixel(x, y);
        [0, 1, 2].map(|c| f64::from(p[c]))
    };
    let sharp = local_variation(rect, composite);
    let blurred = local_variation(rect, actual);
    if blurred > sharp / 3.0 {
        return Err(format!(
            "not blurred: the local variation in {rect:?} is {blurred:.1} per pixel, the plain \
             composite's {sharp:.1}"
        ));
    }
    let n = (rw * rh) as f64;
    for c in 0..3 {
        let (mut expected, mut shown) = (0.0, 0.0);
        let (mut low, mut high) = (f64::MAX, f64::MIN);
        for y in ry..ry + rh {
            for x in rx..rx + rw {
                let e = composite(x, y)[c];
                expected += e / n;
                shown += actual(x, y)[c] / n;
                low = low.min(e);
                high = high.max(e);
            }
        }
        let tolerance = 2.0 + (high - low) / 20.0;
        if (shown - expected).abs() > tolerance {
            return Err(format!(
                "channel {c}: the blurred mean in {rect:?} is {shown:.1}, the composite's \
                 {expected:.1} (tolerance {tolerance:.1})"
            ));
        }
    }
    eprintln!("blur in {rect:?}: local variation {blurred:.1} per pixel, sharp {sharp:.1}");
    Ok(())
}

/// weston-simple-shm, then a translucent window over it asking for blur: behind that
/// window the pattern must be blurred (and tinted), around it unchanged. Half a second
/// later the pattern has moved on, and so has the blur: damage below a blurred region
/// redraws the blur.
#[test]
fn blur_behind_translucent_window() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let mut compositor = Compositor::start(BLUR);
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _simple_shm = Reaped::spawn(command, "weston-simple-shm");
    screenshot_until(
        &mut compositor,
        "shm",
        Duration::from_secs(30),
        check_simple_shm,
    );
    let tinted_client = tinted_blurred_window(&compositor);

    let (first, first_time) = screenshot_until(
        &mut compositor,
        "blur",
        Duration::from_secs(10),
        check_around_blur,
    );
    check_blurred(&first, first_time).unwrap_or_else(|e| panic!("{e}"));

    thread::sleep(Duration::from_millis(500));
    let (later, later_time) = screenshot_until(
        &mut compositor,
        "blur-later",
        Duration::from_secs(10),
        |image| {
            let time16 = check_around_blur(image)?;
            if time16 < first_time + 4 {
                return Err(format!("frame time {} ms, not later", time16 * 16));
            }
            Ok(time16)
        },
    );
    check_blurred(&later, later_time).unwrap_or_else(|e| panic!("later frame: {e}"));
    let (rx, ry, rw, rh) = blurred_pattern_rect();
    let changed = (ry..ry + rh)
        .flat_map(|y| (rx..rx + rw).map(move |x| (x, y)))
        .filter(|&(x, y)| first.pixel(x, y) != later.pixel(x, y))
        .count();
    assert!(
        changed * 2 > rw * rh,
        "only {changed} of {} blurred pixels changed from frame time {} ms to {} ms",
        rw * rh,
        first_time * 16,
        later_time * 16
    );
    drop(tinted_client);
    compositor.finish(None);
}

/// ext-background-effect-v1's errors: a second effect object for a surface is
/// `background_effect_exists` (after `destroy` another may be made), and
/// `set_blur_region` once the surface is gone is `surface_destroyed`.
#[test]
fn background_effect_protocol_errors() {
    let compositor = Compositor::start(BLUR);
    let deadline = Instant::now() + Duration::from_secs(60);
    let connect = || {
        let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
        let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
        let manager = bind_background_effect(&mut client);
        let surface = client.surface(wl_compositor);
        (client, manager, surface)
    };
    let get_effect = |client: &mut Client, manager: u32, surface: u32| {
        let effect = client.wire.new_id();
        client.send(manager, 1, &[Arg::Object(effect), Arg::Object(surface)]);
        effect
    };

    let (mut client, manager, surface) = connect();
    get_effect(&mut client, manager, surface);
    client.roundtrip(|_| {});
    get_effect(&mut client, manager, surface);
    let error = client.expect_protocol_error();
    assert_eq!(
        (error.object, error.code),
        (manager, BACKGROUND_EFFECT_EXISTS),
        "{error:?}"
    );

    let (mut client, manager, surface) = connect();
    let effect = get_effect(&mut client, manager, surface);
    client.send(effect, 0, &[]); // destroy
    let effect = get_effect(&mut client, manager, surface);
    client.send(effect, 1, &[Arg::Object(0)]); // set_blur_region(null): no blur
    client.roundtrip(|_| {});
    client.send(surface, 0, &[]); // wl_surface.destroy: the effect object is inert
    client.send(effect, 1, &[Arg::Object(0)]);
    let error = client.expect_protocol_error();
    assert_eq!(
        (error.object, error.code),
        (effect, SURFACE_DESTROYED),
        "{error:?}"
    );
    drop(client);
    compositor.finish(None);
}
