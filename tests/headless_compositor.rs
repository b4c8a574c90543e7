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
//! - `pq_output_tagged_and_untagged` (`--output-color bt2020-pq`): a client written here
//!   creates a parametric BT.2020/PQ image description through `wp_color_management_v1`,
//!   sets it on its surface and shows a 10-bit XRGB2101010 shm buffer of known values;
//!   weston-simple-shm's window opens beside it, untagged. The screenshot must be a 16-bit
//!   RGBA PNG with a `cICP` chunk of 9/16/0/1 (BT.2020, PQ, RGB, full range). The tagged
//!   window, PQ content on a PQ output of the same primaries, must keep every value within
//!   1/1023. The untagged window and the background are sRGB, which the test converts
//!   itself: the sRGB EOTF, the BT.709 to BT.2020 matrix derived from the chromaticities
//!   (checked against BT.2087's), reference white at 203 cd/m², the ST 2084 inverse EOTF;
//!   every pixel must match within 2/1023 (weston's frame time is solved from one pixel
//!   as in `weston_simple_shm`), so its white border is at PQ(203 cd/m²) = 0.58. Then the
//!   client unsets the description: nothing changes until it commits (while
//!   weston-simple-shm's later frames are drawn), and the commit alone, without a new
//!   buffer or damage, shows its buffer as sRGB.
//! - `hlg_and_scrgb_outputs`: weston-simple-shm on `--output-color bt2020-hlg` (cICP
//!   9/18/0/1; sRGB white at the HLG signal of 203 cd/m² on a 1000 cd/m² display, 0.75,
//!   through BT.2100's OOTF) and `scrgb` (the half floats written as 16-bit BT.2020/PQ with
//!   cICP 9/16/0/1; sRGB white is scRGB 1.0, 80 cd/m²); every pixel within 2/1023.
//! - `color_management_protocol`: what `wp_color_manager_v1` announces (perceptual
//!   intent only; parametric, set_primaries, set_luminances, mastering primaries and the
//!   Windows encodings, not ICC, set_tf_power or extended_target_volume; the named
//!   functions and primaries); the PQ output's description through `get_output` and
//!   `get_information` (BT.2020 chromaticities, named primaries, st2084_pq, luminances
//!   0 to 10 000 with reference 203); a surface feedback's `preferred_changed2` carrying
//!   the output description's identity, and `get_preferred` and
//!   `get_preferred_parametric` returning it; a parametric description with custom
//!   primaries, luminances, mastering metadata and light levels ready under a new
//!   identity; `failed` (`unsupported`) for a white point outside the primaries and for
//!   a mastering peak above the primary volume; and the protocol errors `already_set`,
//!   `invalid_luminance` (luminances and MaxFALL above MaxCLL), `incomplete_set`,
//!   `invalid_tf`, `unsupported_feature` (set_tf_power, create_icc_creator),
//!   `surface_exists`, `render_intent`, `image_description` (a failed description set
//!   on a surface), `no_information` and `not_ready`.
//! - `color_management_needs_vulkan`: with `--renderer pixman` there is no
//!   `wp_color_manager_v1` and `--output-color bt2020-pq` is refused; with Vulkan's
//!   default sRGB output the output's description is compound_power_2_4 (the sRGB curve),
//!   sRGB primaries, 0.2 to 80 cd/m².
//! - `foot_terminal`: `foot` (Debian package `foot`, installed when missing; skipped with
//!   a message if that fails) with a configuration giving it a 300x200 window of a known
//!   background colour and no padding, running `sleep`: the window must show that colour
//!   at (32, 32) (the top row of cells may hold the cursor).
//! - `decorations`: `--decorations` with weston-simple-shm and then foot (when it can be
//!   installed) above it: at the corners of both windows every pixel is what the test
//!   computes from the compositor's fixed look (12-pixel corners, a 4-pixel #e0a030
//!   border, a half-black shadow 8 pixels down with sigma 8): the background, the shadow
//!   (the Gaussian integrated numerically), the window's texel by its coverage and the
//!   border by its ring's coverage (both integrated numerically), each rounded to 8 bits
//!   as the target stores it, within 3 levels (or, where a colour-managed client puts the
//!   frame on the linear path, blended as light and encoded once).
//! - `hostile_clients`: beside weston-simple-shm, linux-dmabuf params with a plane index
//!   out of range, a plane set twice, no plane, two planes for XRGB8888, an offset or rows
//!   past the buffer, a huge size and a pipe each get the protocol error or `failed`; a
//!   wl_shm pool truncated under a buffer in use, an shm buffer wider than the device's
//!   images and 10,000 commits without frame callbacks leave the compositor running and
//!   weston-simple-shm exact.
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

mod common;
#[path = "fault_layer/client.rs"]
mod fault;
mod kernel;
#[path = "../examples/effects/tests/reference/mod.rs"]
mod reference;
mod wayland_wire;

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    os::{
        fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd},
        unix::fs::PermissionsExt,
    },
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::{mpsc, Mutex, OnceLock},
    thread,
    time::{Duration, Instant},
};

use wayland_wire::{Arg, Client, SHM_ARGB8888, SHM_XRGB2101010};

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
        let deadline = Instant::now() + patient(timeout);
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
            .arg(common::manifest_dir().join("Cargo.toml"))
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
        Self::start_with(extra_args, &[])
    }

    /// `start` with these variables added to the compositor's environment.
    fn start_with(extra_args: &[&str], env: &[(String, String)]) -> Self {
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
            .envs(env.iter().map(|(k, v)| (k, v)))
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

    fn running(&mut self) -> bool {
        self.process.running()
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("compositor.log")).unwrap_or_default()
    }

    /// The next stdout line, or a panic (with the compositor's log) after `timeout`
    /// ([`patient`]).
    fn line(&mut self, timeout: Duration, what: &str) -> String {
        let timeout = patient(timeout);
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

    /// Sends one stdin command line.
    fn command(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("compositor stdin");
        stdin.flush().unwrap();
    }

    /// Asks for a screenshot; its path once the compositor says it is written.
    fn screenshot_file(&mut self, name: &str) -> PathBuf {
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
        path
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
    fn finish(self, signal: Option<&str>) -> Image {
        self.finish_as(signal, |path| Image::load(path).unwrap())
    }

    /// Like `finish` for exit PNGs that `load` reads (RGBA8 or RGBA16).
    fn finish_as<I>(mut self, signal: Option<&str>, load: impl Fn(&Path) -> I) -> I {
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
        load(&exit_png)
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

/// `timeout` as this machine needs it: scripts/test-vm's guest (`VKCOMPOSE_GUEST`)
/// emulates its CPU, so lavapipe there builds a frame's pipelines (the linear path's
/// decoding and encoding variants, the blur's) and draws 5 to 20 times slower.
fn patient(timeout: Duration) -> Duration {
    if std::env::var_os("VKCOMPOSE_GUEST").is_some() {
        timeout * 8
    } else {
        timeout
    }
}

/// Screenshots until `check` passes or `timeout` runs out (clients take a moment to draw).
fn screenshot_until<T>(
    compositor: &mut Compositor,
    name: &str,
    timeout: Duration,
    check: impl Fn(&Image) -> Result<T, String>,
) -> (Image, T) {
    screenshot_until_as(
        compositor,
        name,
        timeout,
        |path| Image::load(path).unwrap(),
        check,
    )
}

/// Like `screenshot_until` for images that `load` reads (RGBA8 or RGBA16 PNGs).
fn screenshot_until_as<I, T>(
    compositor: &mut Compositor,
    name: &str,
    timeout: Duration,
    load: impl Fn(&Path) -> I,
    check: impl Fn(&I) -> Result<T, String>,
) -> (I, T) {
    let deadline = Instant::now() + patient(timeout);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let image = load(&compositor.screenshot_file(&format!("{name}-{attempt}.png")));
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

/// foot's background colour and window size under `foot_client`'s configuration.
const FOOT_BACKGROUND: [u8; 3] = [0x8a, 0x2b, 0xe2];
const FOOT_SIZE: (usize, usize) = (300, 200);

/// A `foot` client of `compositor` with a configuration giving it a FOOT_SIZE window of
/// FOOT_BACKGROUND and no padding, running `sleep`.
fn foot_client(compositor: &Compositor) -> Command {
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
        // Long enough for the guest of scripts/test-vm, where foot may take minutes to show
        // beside another client; it is killed when the test ends.
        .args(["sh", "-c", "sleep 900"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[test]
fn foot_terminal() {
    if !ensure_debian_package("/usr/bin/foot", "foot") {
        eprintln!("foot is missing and could not be installed: test skipped");
        return;
    }
    let mut compositor = Compositor::start(VULKAN);
    let command = foot_client(&compositor);
    let [r, g, b] = FOOT_BACKGROUND;
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
    let Some(client) = dmabuf_window(&compositor, memory) else {
        return;
    };
    screenshot_until(
        &mut compositor,
        "dmabuf",
        Duration::from_secs(10),
        |image| {
            check_dmabuf_window(image, FIRST_WINDOW)?;
            check_background(image, &[(FIRST_WINDOW.0, FIRST_WINDOW.1, SIZE.0, SIZE.1)])
        },
    );
    drop(client);
    compositor.finish(None);
}

/// A client showing a toplevel of one dma-buf (`dmabuf_pixel`'s pattern, committed once);
/// `None` (the test skipped) where the renderer imports no XRGB8888 LINEAR dma-buf.
fn dmabuf_window(compositor: &Compositor, memory: BufferMemory) -> Option<Client> {
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    // Without --blur there is no background effect global.
    assert!(!client.has_global("ext_background_effect_manager_v1"));
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let xdg_wm_base = client.bind("xdg_wm_base", 1).expect("xdg_wm_base");
    let Some(dmabuf) = client.bind("zwp_linux_dmabuf_v1", 3) else {
        eprintln!("the renderer imports no dma-buf here (no linux-dmabuf global): test skipped");
        return None;
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
        return None;
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
    client.show(surface, buffer, SIZE);
    Some(client)
}

/// The dma-buf window of `dmabuf_window` with its top-left corner at `origin`, exact.
fn check_dmabuf_window(image: &Image, (ox, oy): (usize, usize)) -> Result<(), String> {
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
    Ok(())
}

/// The device is lost under two running clients: weston-simple-shm (a new buffer every
/// frame) and a dma-buf window committed once. The compositor (with the fault layer in
/// its process, `lose-device` arming it) sees `DeviceLost` from its next frame, rebuilds
/// its renderer on a new device, imports both clients' current buffers again and goes on:
/// the next screenshots show both windows exactly, the animation still running, and no
/// validation error (the exit status).
#[test]
fn device_loss_under_running_clients() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let mut compositor = Compositor::start_with(VULKAN, &fault::environment());
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _simple_shm = Reaped::spawn(command, "weston-simple-shm");
    screenshot_until(
        &mut compositor,
        "shm",
        Duration::from_secs(30),
        check_simple_shm,
    );
    let Some(_dmabuf) = dmabuf_window(&compositor, BufferMemory::Memfd) else {
        return;
    };
    let second = (FIRST_WINDOW.0 + CASCADE_STEP, FIRST_WINDOW.1 + CASCADE_STEP);
    let dmabuf_rect = (second.0, second.1, SIZE.0, SIZE.1);
    let both = |image: &Image| {
        check_dmabuf_window(image, second)?;
        check_simple_shm_below(image, &[FIRST_WINDOW], &[dmabuf_rect]).map(|t| t[0])
    };
    let (_, before) = screenshot_until(&mut compositor, "before", Duration::from_secs(30), both);

    compositor.command("lose-device");
    let armed = compositor.line(Duration::from_secs(10), "lose-device answer");
    assert_eq!(armed, "lose-device armed", "log:\n{}", compositor.log());
    let rebuilt = compositor.line(Duration::from_secs(60), "the rebuilt renderer");
    assert!(
        rebuilt.starts_with("renderer rebuilt after: ") && rebuilt.contains("device was lost"),
        "{rebuilt:?}; log:\n{}",
        compositor.log()
    );
    let (_, after) = screenshot_until(&mut compositor, "after", Duration::from_secs(30), both);
    assert!(
        after > before,
        "weston-simple-shm stopped: frame time {before} then {after}"
    );
    let log = compositor.log();
    assert!(log.contains("the renderer is lost"), "log:\n{log}");
    let last = compositor.finish(None);
    check_dmabuf_window(&last, second).expect("exit PNG");
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
    let deadline = Instant::now() + patient(Duration::from_secs(60));
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
    let deadline = Instant::now() + patient(Duration::from_secs(60));
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

// ---------------------------------------------------------------------------------------
// Colour management: HDR outputs and wp_color_management_v1.

/// An RGBA16 image read from a 16-bit PNG, with its `cICP` chunk's four code points.
struct Image16 {
    width: usize,
    height: usize,
    rgba: Vec<u16>,
    cicp: Option<[u8; 4]>,
}

impl Image16 {
    fn load(path: &Path) -> Result<Self, String> {
        let file = fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reader = png::Decoder::new(BufReader::new(file))
            .read_info()
            .map_err(|e| e.to_string())?;
        let mut bytes = vec![0; reader.output_buffer_size().ok_or("PNG too large")?];
        let info = reader.next_frame(&mut bytes).map_err(|e| e.to_string())?;
        if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Sixteen {
            return Err(format!(
                "PNG is {:?} {:?}, not RGBA16",
                info.color_type, info.bit_depth
            ));
        }
        bytes.truncate(info.buffer_size());
        let cicp = reader.info().coding_independent_code_points.map(|c| {
            [
                c.color_primaries,
                c.transfer_function,
                c.matrix_coefficients,
                u8::from(c.is_video_full_range_image),
            ]
        });
        Ok(Self {
            width: info.width as usize,
            height: info.height as usize,
            // PNG's 16-bit samples are big-endian.
            rgba: bytes
                .chunks_exact(2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .collect(),
            cicp,
        })
    }

    /// The pixel at (x, y), each channel in [0, 1].
    fn pixel(&self, x: usize, y: usize) -> [f64; 4] {
        let i = (y * self.width + x) * 4;
        [0, 1, 2, 3].map(|c| f64::from(self.rgba[i + c]) / 65535.0)
    }

    /// The 10-bit code of each colour channel at (x, y): the compositor writes a 10-bit
    /// output's value v as the nearest 16-bit sample, (v * 65535 + 511) / 1023, whose
    /// nearest 10-bit value is v again.
    fn codes(&self, x: usize, y: usize) -> [u32; 3] {
        let i = (y * self.width + x) * 4;
        [0, 1, 2].map(|c| (u32::from(self.rgba[i + c]) * 1023 + 32767) / 65535)
    }
}

type Mat3 = [[f64; 3]; 3];

fn mat_apply(m: &Mat3, v: [f64; 3]) -> [f64; 3] {
    m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
}

fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut m = [[0.0; 3]; 3];
    for (i, row) in m.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    m
}

fn mat_inverse(m: &Mat3) -> Mat3 {
    // The adjugate over the determinant.
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det: f64 = (0..3).map(|j| m[0][j] * c(0, j)).sum();
    let mut inverse = [[0.0; 3]; 3];
    for (i, row) in inverse.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = c(j, i) / det;
        }
    }
    inverse
}

/// The RGB to XYZ matrix of primaries given as xy chromaticities of red, green, blue and
/// white: the primaries' XYZ at Y = 1 as columns, each scaled so that RGB (1, 1, 1) is the
/// white point at Y = 1.
fn rgb_to_xyz(xy: [[f64; 2]; 4]) -> Mat3 {
    let xyz = |[x, y]: [f64; 2]| [x / y, 1.0, (1.0 - x - y) / y];
    let [r, g, b, w] = xy.map(xyz);
    let columns: Mat3 = [[r[0], g[0], b[0]], [r[1], g[1], b[1]], [r[2], g[2], b[2]]];
    let scale = mat_apply(&mat_inverse(&columns), w);
    columns.map(|row| [0, 1, 2].map(|j| row[j] * scale[j]))
}

const BT709_XY: [[f64; 2]; 4] = [[0.64, 0.33], [0.30, 0.60], [0.15, 0.06], [0.3127, 0.3290]];
const BT2020_XY: [[f64; 2]; 4] = [
    [0.708, 0.292],
    [0.170, 0.797],
    [0.131, 0.046],
    [0.3127, 0.3290],
];

/// Linear BT.709 to linear BT.2020 (both D65, so no adaptation), checked against the
/// rounded matrix of Report ITU-R BT.2087.
fn bt709_to_bt2020() -> Mat3 {
    let m = mat_mul(&mat_inverse(&rgb_to_xyz(BT2020_XY)), &rgb_to_xyz(BT709_XY));
    let bt2087 = [
        [0.6274, 0.3293, 0.0433],
        [0.0691, 0.9195, 0.0114],
        [0.0164, 0.0880, 0.8956],
    ];
    for i in 0..3 {
        for j in 0..3 {
            assert!(
                (m[i][j] - bt2087[i][j]).abs() < 1e-4,
                "{m:?} is not BT.2087's"
            );
        }
    }
    m
}

fn srgb_to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_from_linear(l: f64) -> f64 {
    let l = l.clamp(0.0, 1.0);
    if l <= 0.0031308 {
        l * 12.92
    } else {
        1.055 * l.powf(1.0 / 2.4) - 0.055
    }
}

// SMPTE ST 2084's constants.
const PQ_M1: f64 = 2610.0 / 16384.0;
const PQ_M2: f64 = 2523.0 / 4096.0 * 128.0;
const PQ_C1: f64 = 3424.0 / 4096.0;
const PQ_C2: f64 = 2413.0 / 4096.0 * 32.0;
const PQ_C3: f64 = 2392.0 / 4096.0 * 32.0;

/// ST 2084's inverse EOTF: cd/m² to the PQ signal.
fn pq_from_nits(nits: f64) -> f64 {
    let y = (nits / 10_000.0).clamp(0.0, 1.0).powf(PQ_M1);
    ((PQ_C1 + PQ_C2 * y) / (1.0 + PQ_C3 * y)).powf(PQ_M2)
}

/// ST 2084's EOTF: the PQ signal to cd/m².
fn pq_to_nits(signal: f64) -> f64 {
    let e = signal.clamp(0.0, 1.0).powf(1.0 / PQ_M2);
    10_000.0 * ((e - PQ_C1).max(0.0) / (PQ_C2 - PQ_C3 * e)).powf(1.0 / PQ_M1)
}

// BT.2100 HLG: the OETF's constants, the OOTF's luminance weights (BT.2020's) and the
// system gamma of a 1000 cd/m² display.
const HLG_A: f64 = 0.17883277;
const HLG_B: f64 = 0.28466892;
const HLG_C: f64 = 0.55991073;
const HLG_WEIGHTS: [f64; 3] = [0.2627, 0.6780, 0.0593];
const HLG_GAMMA: f64 = 1.2;
const HLG_PEAK: f64 = 1000.0;

fn hlg_oetf(e: f64) -> f64 {
    let e = e.clamp(0.0, 1.0);
    if e <= 1.0 / 12.0 {
        (3.0 * e).sqrt()
    } else {
        HLG_A * (12.0 * e - HLG_B).ln() + HLG_C
    }
}

fn hlg_inverse_oetf(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.5 {
        v * v / 3.0
    } else {
        (((v - HLG_C) / HLG_A).exp() + HLG_B) / 12.0
    }
}

/// The HLG signal for display light `rgb` (BT.2020, 1.0 = the 1000 cd/m² peak): the
/// inverse OOTF (scene = display / Yd^((gamma - 1) / gamma)), then the OETF.
fn hlg_from_display(rgb: [f64; 3]) -> [f64; 3] {
    let yd: f64 = (0..3).map(|c| HLG_WEIGHTS[c] * rgb[c]).sum();
    let gain = if yd > 0.0 {
        yd.powf((1.0 - HLG_GAMMA) / HLG_GAMMA)
    } else {
        0.0
    };
    rgb.map(|v| hlg_oetf(v * gain))
}

fn hlg_to_display(signal: [f64; 3]) -> [f64; 3] {
    let scene = signal.map(hlg_inverse_oetf);
    let ys: f64 = (0..3).map(|c| HLG_WEIGHTS[c] * scene[c]).sum();
    scene.map(|v| v * ys.powf(HLG_GAMMA - 1.0))
}

/// The reference white of SDR content in PQ and HLG outputs, cd/m² (BT.2408).
const HDR_REFERENCE_WHITE: f64 = 203.0;
/// scRGB's 1.0, which is also its reference white in vkcompose (EGL's definition).
const SCRGB_WHITE: f64 = 80.0;

/// An output encoding as the test computes it: sRGB 8-bit values to the PNG's signal,
/// and back to (unrounded) sRGB values for solving weston-simple-shm's frame time.
struct Encoding {
    name: &'static str,
    cicp: [u8; 4],
    to_bt2020: Mat3,
    from_bt2020: Mat3,
    kind: EncodingKind,
}

#[derive(Clone, Copy)]
enum EncodingKind {
    /// PQ with sRGB white at this many cd/m².
    Pq(f64),
    /// HLG on a 1000 cd/m² display, sRGB white at 203 cd/m².
    Hlg,
}

impl Encoding {
    fn new(name: &'static str, cicp: [u8; 4], kind: EncodingKind) -> Self {
        let to_bt2020 = bt709_to_bt2020();
        Self {
            name,
            cicp,
            from_bt2020: mat_inverse(&to_bt2020),
            to_bt2020,
            kind,
        }
    }

    /// The signal an 8-bit sRGB colour becomes.
    fn encode(&self, srgb: [u8; 3]) -> [f64; 3] {
        self.encode_normalized(srgb.map(|c| f64::from(c) / 255.0))
    }

    /// The signal an sRGB colour (each channel in [0, 1]) becomes.
    fn encode_normalized(&self, srgb: [f64; 3]) -> [f64; 3] {
        let linear = srgb.map(srgb_to_linear);
        let bt2020 = mat_apply(&self.to_bt2020, linear);
        match self.kind {
            EncodingKind::Pq(white) => bt2020.map(|v| pq_from_nits(v * white)),
            EncodingKind::Hlg => {
                hlg_from_display(bt2020.map(|v| v * HDR_REFERENCE_WHITE / HLG_PEAK))
            }
        }
    }

    /// The sRGB values (0 to 255, unrounded) a signal came from.
    fn decode(&self, signal: [f64; 3]) -> [f64; 3] {
        let bt2020 = match self.kind {
            EncodingKind::Pq(white) => signal.map(|s| pq_to_nits(s) / white),
            EncodingKind::Hlg => hlg_to_display(signal).map(|v| v * HLG_PEAK / HDR_REFERENCE_WHITE),
        };
        mat_apply(&self.from_bt2020, bt2020).map(|v| srgb_from_linear(v) * 255.0)
    }
}

/// How far apart two signals are, at most, over the colour channels.
fn signal_error(actual: [f64; 4], expected: [f64; 3]) -> f64 {
    (0..3)
        .map(|c| (actual[c] - expected[c]).abs())
        .fold(0.0, f64::max)
}

/// The tolerance for sRGB content converted by the compositor: two 10-bit steps (one
/// for rounding and the encode pass's quarter-step dither, one for half-float blending).
const CONVERTED_TOLERANCE: f64 = 2.0 / 1023.0;

/// The 24-bit colour of weston-simple-shm's buffer pixel (x, y) at `time16`.
fn simple_shm_rgb(x: usize, y: usize, time16: u32) -> [u8; 3] {
    let inside = SHM_BORDER..SHM_SIZE - SHM_BORDER;
    let value = if inside.contains(&x) && inside.contains(&y) {
        simple_shm_value(x, y, time16)
    } else {
        0xff_ffff // the border, painted white
    };
    [(value >> 16) as u8, (value >> 8) as u8, value as u8]
}

/// weston-simple-shm's frame time / 16 in an HDR screenshot of its window at `origin`:
/// the pixel at the pattern's corner, decoded back to sRGB, gives its 24-bit value to
/// within a level or two per channel; of those candidates, the time whose pattern fits
/// the first rows best wins.
fn solve_simple_shm_time(image: &Image16, origin: (usize, usize), encoding: &Encoding) -> u32 {
    let (ox, oy) = origin;
    let corner = SHM_BORDER;
    let p = image.pixel(ox + corner, oy + corner);
    let estimate = encoding
        .decode([p[0], p[1], p[2]])
        .map(|v| v.round() as i32);
    let fit = |time16: u32| {
        let mut worst: f64 = 0.0;
        for y in SHM_BORDER..SHM_BORDER + 4 {
            for x in (SHM_BORDER..SHM_SIZE - SHM_BORDER).step_by(3) {
                let expected = encoding.encode(simple_shm_rgb(x, y, time16));
                worst = worst.max(signal_error(image.pixel(ox + x, oy + y), expected));
            }
        }
        worst
    };
    let mut best = (f64::MAX, 0);
    for dr in -2..=2 {
        for dg in -2..=2 {
            for db in -2..=2 {
                let [r, g, b] = [estimate[0] + dr, estimate[1] + dg, estimate[2] + db]
                    .map(|c| c.clamp(0, 255) as u32);
                let value = (r << 16) | (g << 8) | b;
                let time16 =
                    (value.wrapping_mul(step_inverse()) & MASK).wrapping_sub(corner as u32) & MASK;
                let error = fit(time16);
                if error < best.0 {
                    best = (error, time16);
                }
            }
        }
    }
    best.1
}

/// Checks weston-simple-shm's window at `origin` in an HDR screenshot: every pixel is
/// its sRGB pattern (at the solved frame time) or border, encoded as `encoding`, within
/// `CONVERTED_TOLERANCE`, and opaque. Returns the frame time / 16 and the largest error.
fn check_simple_shm_hdr(
    image: &Image16,
    origin: (usize, usize),
    encoding: &Encoding,
) -> Result<(u32, f64), String> {
    let time16 = solve_simple_shm_time(image, origin, encoding);
    let (ox, oy) = origin;
    let mut worst: f64 = 0.0;
    for y in 0..SHM_SIZE {
        for x in 0..SHM_SIZE {
            let srgb = simple_shm_rgb(x, y, time16);
            let expected = encoding.encode(srgb);
            let actual = image.pixel(ox + x, oy + y);
            let error = signal_error(actual, expected);
            if error > CONVERTED_TOLERANCE || actual[3] != 1.0 {
                return Err(format!(
                    "{}: weston-simple-shm pixel ({x}, {y}) is {actual:.4?}, expected sRGB \
                     {srgb:?} as {expected:.4?} (frame time {} ms)",
                    encoding.name,
                    time16 * 16
                ));
            }
            worst = worst.max(error);
        }
    }
    Ok((time16, worst))
}

/// Checks that every pixel outside `windows` is the sRGB background encoded as `encoding`;
/// returns the largest error.
fn check_background_hdr(
    image: &Image16,
    windows: &[Rect],
    encoding: &Encoding,
) -> Result<f64, String> {
    let expected = encoding.encode(BACKGROUND);
    let mut worst: f64 = 0.0;
    for y in 0..image.height {
        for x in 0..image.width {
            if windows.iter().any(|&w| contains(w, x, y)) {
                continue;
            }
            let error = signal_error(image.pixel(x, y), expected);
            if error > CONVERTED_TOLERANCE {
                return Err(format!(
                    "{}: background pixel ({x}, {y}) is {:.4?}, expected {expected:.4?}",
                    encoding.name,
                    image.pixel(x, y)
                ));
            }
            worst = worst.max(error);
        }
    }
    Ok(worst)
}

/// The compositor with an HDR output of `--output-color` `color`.
fn hdr_compositor(color: &str) -> Compositor {
    Compositor::start(&[
        "--renderer",
        "vulkan",
        "--validation",
        "--output-color",
        color,
    ])
}

/// The PQ-tagged window: 10-bit values, XRGB2101010 (its two X bits set to a stray 01).
const TAGGED_SIZE: (usize, usize) = (256, 48);

fn tagged_value(x: usize, y: usize) -> [u32; 3] {
    [
        (x * 4 + y % 4) as u32,
        ((x * 28 + y * 13) % 1024) as u32,
        ((x * 37 + y * 101 + 512) % 1024) as u32,
    ]
}

/// The client of the tagged window, with its wl_surface and its
/// wp_color_management_surface_v1.
struct TaggedWindow {
    client: Client,
    surface: u32,
    color_surface: u32,
}

/// A client written here whose toplevel shows the 10-bit pattern of `tagged_value`,
/// tagged BT.2020/PQ through a parametric image description; it stays until dropped.
fn pq_tagged_window(compositor: &Compositor) -> TaggedWindow {
    use wayland_wire::color::{self, *};
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let xdg_wm_base = client.bind("xdg_wm_base", 1).expect("xdg_wm_base");
    let (wl_shm, formats) = client.bind_shm();
    assert!(
        formats.contains(&SHM_XRGB2101010),
        "wl_shm offers no XRGB2101010: {formats:x?}"
    );
    let (manager, _) = color::bind_manager(&mut client, 3);
    let (_, description) = color::parametric(
        &mut client,
        manager,
        &[
            (SET_TF_NAMED, vec![Arg::Uint(TF_ST2084_PQ)]),
            (SET_PRIMARIES_NAMED, vec![Arg::Uint(PRIMARIES_BT2020)]),
        ],
    );
    color::wait_description(&mut client, description).expect("BT.2020/PQ is ready");
    let surface = client.toplevel(wl_compositor, xdg_wm_base).surface;
    let color_surface = client.wire.new_id();
    let args = [Arg::Object(color_surface), Arg::Object(surface)];
    client.send(manager, GET_SURFACE, &args);
    let args = [Arg::Object(description), Arg::Uint(INTENT_PERCEPTUAL)];
    client.send(color_surface, SET_IMAGE_DESCRIPTION, &args);
    client.send(description, 0, &[]); // destroy: set_image_description copies it

    let (w, h) = TAGGED_SIZE;
    let mut bytes = Vec::with_capacity(w * h * 4);
    for y in 0..h {
        for x in 0..w {
            let [r, g, b] = tagged_value(x, y);
            bytes.extend(((0b01 << 30) | (r << 20) | (g << 10) | b).to_le_bytes());
        }
    }
    let memfd = plain_memfd(&bytes);
    let buffer = client.shm_buffer(wl_shm, memfd.as_fd(), TAGGED_SIZE, w * 4, SHM_XRGB2101010);
    // The description applies with this commit, together with the buffer.
    client.show(surface, buffer, TAGGED_SIZE);
    TaggedWindow {
        client,
        surface,
        color_surface,
    }
}

/// Checks the tagged window's buffer after its description was unset: untagged, its
/// 10-bit values are sRGB, converted like weston-simple-shm's. Returns the largest error.
fn check_untagged_buffer(image: &Image16, pq: &Encoding) -> Result<f64, String> {
    let (ox, oy) = FIRST_WINDOW;
    let mut worst: f64 = 0.0;
    for y in 0..TAGGED_SIZE.1 {
        for x in 0..TAGGED_SIZE.0 {
            let srgb = tagged_value(x, y).map(|v| f64::from(v) / 1023.0);
            let expected = pq.encode_normalized(srgb);
            let error = signal_error(image.pixel(ox + x, oy + y), expected);
            if error > CONVERTED_TOLERANCE {
                return Err(format!(
                    "untagged pixel ({x}, {y}) is {:.4?}, expected {expected:.4?}",
                    image.pixel(ox + x, oy + y)
                ));
            }
            worst = worst.max(error);
        }
    }
    Ok(worst)
}

/// The description is double-buffered: `unset_image_description` changes nothing until
/// the surface commits (while weston-simple-shm's frames go on being drawn), then the
/// commit alone, with no new buffer and no damage, shows the buffer as sRGB.
fn check_unset_on_commit(compositor: &mut Compositor, tagged: &mut TaggedWindow, pq: &Encoding) {
    use wayland_wire::color::UNSET_IMAGE_DESCRIPTION;
    let shm_origin = (FIRST_WINDOW.0 + CASCADE_STEP, FIRST_WINDOW.1 + CASCADE_STEP);
    let load = |path: &Path| Image16::load(path).unwrap();
    let first = solve_simple_shm_time(
        &load(&compositor.screenshot_file("pending-0.png")),
        shm_origin,
        pq,
    );
    let client = &mut tagged.client;
    client.send(tagged.color_surface, UNSET_IMAGE_DESCRIPTION, &[]);
    client.roundtrip(|_| {});
    // As long as the other screenshot waits: in scripts/test-vm's guest, under the
    // suite's parallel load, weston-simple-shm's next frame once took over 80 s.
    screenshot_until_as(
        compositor,
        "pending",
        Duration::from_secs(30),
        load,
        |image| {
            let (time16, _) = check_simple_shm_hdr(image, shm_origin, pq)?;
            if time16 <= first {
                return Err(format!(
                    "weston-simple-shm's frame time {} ms did not advance",
                    time16 * 16
                ));
            }
            // A panic, not a retry: the pending state must not show.
            check_tagged(image).expect("the description changed before the commit");
            Ok(())
        },
    );
    client.send(tagged.surface, 6, &[]); // wl_surface.commit
    client.roundtrip(|_| {});
    let (_, error) = screenshot_until_as(
        compositor,
        "unset",
        Duration::from_secs(10),
        load,
        |image| check_untagged_buffer(image, pq),
    );
    eprintln!(
        "unset on commit: the buffer shows as sRGB, largest error {:.2} steps",
        error * 1023.0
    );
}

/// The lowest PQ code inside the PQ volume's implied luminance range (its minimum is
/// 0.005 cd/m^2, code 15.4). Below it vkcompose's linear path is coarser: its blend buffer
/// holds light as half floats with 1.0 = 10 000 cd/m^2, which below 0.61 cd/m^2 are
/// subnormals 0.0006 cd/m^2 apart, several PQ codes there (measured: codes 2 to 15 move
/// by up to 4).
const PQ_VOLUME_MIN_CODE: u32 = 16;
/// The tolerance below that code, in 10-bit steps.
const PQ_BELOW_VOLUME_STEPS: f64 = 4.0;

/// Checks the tagged window at FIRST_WINDOW: PQ content on a PQ output with the same
/// primaries keeps its values, within 1/1023 inside the PQ volume (see
/// `PQ_VOLUME_MIN_CODE` for the codes below). Returns the largest error inside the
/// volume and below it, in 10-bit steps.
fn check_tagged(image: &Image16) -> Result<(f64, f64), String> {
    let (ox, oy) = FIRST_WINDOW;
    let (mut inside, mut below): (f64, f64) = (0.0, 0.0);
    for y in 0..TAGGED_SIZE.1 {
        for x in 0..TAGGED_SIZE.0 {
            let actual = image.pixel(ox + x, oy + y);
            if actual[3] != 1.0 {
                return Err(format!(
                    "tagged pixel ({x}, {y}) is {actual:.5?}, not opaque"
                ));
            }
            let (expected, codes) = (tagged_value(x, y), image.codes(ox + x, oy + y));
            for c in 0..3 {
                let steps = f64::from(codes[c].abs_diff(expected[c]));
                let (worst, tolerance) = if expected[c] >= PQ_VOLUME_MIN_CODE {
                    (&mut inside, 1.0)
                } else {
                    (&mut below, PQ_BELOW_VOLUME_STEPS)
                };
                if steps > tolerance {
                    return Err(format!(
                        "tagged pixel ({x}, {y}) holds the codes {codes:?}, expected {expected:?}"
                    ));
                }
                *worst = worst.max(steps);
            }
        }
    }
    Ok((inside, below))
}

#[test]
fn pq_output_tagged_and_untagged() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let pq = Encoding::new("PQ", [9, 16, 0, 1], EncodingKind::Pq(HDR_REFERENCE_WHITE));
    // sRGB white at 203 cd/m^2: the PQ signal 0.58 (BT.2408's 58 %).
    let white = pq.encode([0xff; 3]);
    assert!(white.iter().all(|w| (w - 0.5807).abs() < 1e-4), "{white:?}");

    let mut compositor = hdr_compositor("bt2020-pq");
    // The tagged window first, at FIRST_WINDOW; weston-simple-shm's one cascade step on,
    // just below it (the tagged window is 48 rows high).
    let mut tagged_window = pq_tagged_window(&compositor);
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _simple_shm = Reaped::spawn(command, "weston-simple-shm");
    let shm_origin = (FIRST_WINDOW.0 + CASCADE_STEP, FIRST_WINDOW.1 + CASCADE_STEP);
    let windows = [
        (FIRST_WINDOW.0, FIRST_WINDOW.1, TAGGED_SIZE.0, TAGGED_SIZE.1),
        (shm_origin.0, shm_origin.1, SHM_SIZE, SHM_SIZE),
    ];
    let load = |path: &Path| Image16::load(path).unwrap();
    let (image, errors) = screenshot_until_as(
        &mut compositor,
        "pq",
        Duration::from_secs(30),
        load,
        |image| {
            if image.cicp != Some(pq.cicp) {
                return Err(format!("cICP {:?}, expected {:?}", image.cicp, pq.cicp));
            }
            let tagged = check_tagged(image)?;
            let (time16, shm) = check_simple_shm_hdr(image, shm_origin, &pq)?;
            let background = check_background_hdr(image, &windows, &pq)?;
            Ok((tagged, time16, shm, background))
        },
    );
    assert_eq!((image.width, image.height), OUTPUT_SIZE);
    let ((tagged, tagged_dark), time16, shm, background) = errors;
    eprintln!(
        "PQ output: largest errors in 10-bit steps: tagged {tagged:.2} (below code \
         {PQ_VOLUME_MIN_CODE}: {tagged_dark:.2}), weston-simple-shm {:.2} (frame time {} ms), \
         background {:.2}",
        shm * 1023.0,
        time16 * 16,
        background * 1023.0
    );
    check_unset_on_commit(&mut compositor, &mut tagged_window, &pq);
    // The exit PNG is the same output, written as the compositor quits.
    let last = compositor.finish_as(None, |path| Image16::load(path).unwrap());
    assert_eq!(last.cicp, Some(pq.cicp), "exit PNG");
    check_untagged_buffer(&last, &pq).expect("exit PNG");
    drop(tagged_window);
}

#[test]
fn hlg_and_scrgb_outputs() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let hlg = Encoding::new("HLG", [9, 18, 0, 1], EncodingKind::Hlg);
    // sRGB white at 203 cd/m^2 on a 1000 cd/m^2 HLG display: BT.2408's 75 % signal.
    let white = hlg.encode([0xff; 3]);
    assert!(white.iter().all(|w| (w - 0.75).abs() < 1e-3), "{white:?}");
    let scrgb = Encoding::new("scRGB", [9, 16, 0, 1], EncodingKind::Pq(SCRGB_WHITE));
    for (option, encoding) in [("bt2020-hlg", hlg), ("scrgb", scrgb)] {
        let mut compositor = hdr_compositor(option);
        let mut command = compositor.client("/usr/bin/weston-simple-shm");
        command.stdout(Stdio::null()).stderr(Stdio::null());
        let _simple_shm = Reaped::spawn(command, "weston-simple-shm");
        let window = (FIRST_WINDOW.0, FIRST_WINDOW.1, SHM_SIZE, SHM_SIZE);
        let load = |path: &Path| Image16::load(path).unwrap();
        let (_, (shm, background)) = screenshot_until_as(
            &mut compositor,
            option,
            Duration::from_secs(30),
            load,
            |image| {
                if image.cicp != Some(encoding.cicp) {
                    return Err(format!(
                        "cICP {:?}, expected {:?}",
                        image.cicp, encoding.cicp
                    ));
                }
                let (_, shm) = check_simple_shm_hdr(image, FIRST_WINDOW, &encoding)?;
                let background = check_background_hdr(image, &[window], &encoding)?;
                Ok((shm, background))
            },
        );
        eprintln!(
            "{option}: largest errors in 10-bit steps: weston-simple-shm {:.2}, background {:.2}",
            shm * 1023.0,
            background * 1023.0
        );
        let last = compositor.finish_as(None, |path| Image16::load(path).unwrap());
        assert_eq!(last.cicp, Some(encoding.cicp), "exit PNG");
    }
}

/// BT.2020's and sRGB's chromaticities times a million, as the info events carry them.
const BT2020_ARGS: [i32; 8] = [
    708000, 292000, 170000, 797000, 131000, 46000, 312700, 329000,
];
const SRGB_ARGS: [i32; 8] = [
    640000, 330000, 300000, 600000, 150000, 60000, 312700, 329000,
];

/// What `get_information` must say of the PQ output's description.
fn pq_output_information() -> wayland_wire::color::Information {
    use wayland_wire::color::*;
    Information {
        primaries: Some(BT2020_ARGS.to_vec()),
        primaries_named: Some(PRIMARIES_BT2020),
        tf_named: Some(TF_ST2084_PQ),
        luminances: Some(vec![0, 10_000, 203]),
        target_primaries: Some(BT2020_ARGS.to_vec()),
        target_luminance: Some(vec![0, 10_000]),
        ..Information::default()
    }
}

/// The announcements of a version 3 manager: only what the compositor can do.
fn check_support(support: &wayland_wire::color::Support) {
    use wayland_wire::color::*;
    assert_eq!(support.intents, [INTENT_PERCEPTUAL], "{support:?}");
    let has = |list: &[u32], v: u32| list.contains(&v);
    for feature in [
        FEATURE_PARAMETRIC,
        FEATURE_SET_PRIMARIES,
        FEATURE_SET_LUMINANCES,
        FEATURE_SET_MASTERING_DISPLAY_PRIMARIES,
        FEATURE_WINDOWS_SCRGB,
        FEATURE_WINDOWS_BT2100,
    ] {
        assert!(has(&support.features, feature), "{support:?}");
    }
    for feature in [
        FEATURE_ICC,
        FEATURE_SET_TF_POWER,
        FEATURE_EXTENDED_TARGET_VOLUME,
    ] {
        assert!(!has(&support.features, feature), "{support:?}");
    }
    for tf in [
        TF_BT1886,
        TF_GAMMA22,
        TF_EXT_LINEAR,
        TF_ST2084_PQ,
        TF_HLG,
        TF_COMPOUND_POWER_2_4,
    ] {
        assert!(has(&support.tfs, tf), "{support:?}");
    }
    // Deprecated since version 2: not to be advertised.
    assert!(!has(&support.tfs, TF_SRGB_DEPRECATED), "{support:?}");
    for primaries in [PRIMARIES_SRGB, PRIMARIES_BT2020, PRIMARIES_DISPLAY_P3] {
        assert!(has(&support.primaries, primaries), "{support:?}");
    }
}

/// The identity a surface feedback's `preferred_changed2` carries.
fn preferred_identity(client: &mut Client, feedback: u32) -> u64 {
    loop {
        let event = client.event();
        if event.object == feedback && event.opcode == wayland_wire::color::PREFERRED_CHANGED2 {
            return (u64::from(event.word(0)) << 32) | u64::from(event.word(1));
        }
    }
}

/// The output's description, the preferred one, a full parametric description and the
/// graceful failures, all on one connection.
fn check_descriptions(client: &mut Client, manager: u32) {
    let (output_identity, surface) = check_output_and_preferred(client, manager);
    check_parametric(client, manager, output_identity, surface);
}

/// The output's description through get_output and a surface feedback's; returns its
/// identity and the surface.
fn check_output_and_preferred(client: &mut Client, manager: u32) -> (u64, u32) {
    use wayland_wire::color::{self, *};
    let wl_output = client.bind("wl_output", 1).expect("wl_output");
    let output = color::object_for(client, manager, GET_OUTPUT, wl_output);
    let description = color::description_from(client, output, OUTPUT_GET_IMAGE_DESCRIPTION);
    let output_identity = color::wait_description(client, description).expect("ready");
    assert_eq!(
        color::information(client, description),
        pq_output_information()
    );

    // Every surface prefers the one output's description, from the start.
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let surface = client.surface(wl_compositor);
    let feedback = color::object_for(client, manager, GET_SURFACE_FEEDBACK, surface);
    assert_eq!(preferred_identity(client, feedback), output_identity);
    for request in [GET_PREFERRED, GET_PREFERRED_PARAMETRIC] {
        let preferred = color::description_from(client, feedback, request);
        assert_eq!(
            color::wait_description(client, preferred),
            Ok(output_identity)
        );
        assert_eq!(
            color::information(client, preferred),
            pq_output_information()
        );
    }
    (output_identity, surface)
}

/// An image description whose white point lies outside its primaries: `failed`.
fn white_outside_description(client: &mut Client, manager: u32) -> u32 {
    use wayland_wire::color::{self, *};
    let white_outside = [0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.05, 0.90];
    let requests = [
        (SET_TF_NAMED, vec![Arg::Uint(TF_ST2084_PQ)]),
        (SET_PRIMARIES, color::chromaticities(white_outside)),
    ];
    color::parametric(client, manager, &requests).1
}

/// A parametric description with every property is ready under a new identity; what
/// vkcompose cannot represent fails, and a failed description cannot be set on `surface`.
fn check_parametric(client: &mut Client, manager: u32, output_identity: u64, surface: u32) {
    use wayland_wire::color::{self, *};
    // Everything a parametric description can carry; each gets a new identity.
    let p3 = [0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290];
    let srgb = [0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290];
    let (_, full) = color::parametric(
        client,
        manager,
        &[
            (SET_TF_NAMED, vec![Arg::Uint(TF_GAMMA22)]),
            (SET_PRIMARIES, color::chromaticities(p3)),
            (
                SET_LUMINANCES,
                vec![Arg::Uint(5000), Arg::Uint(400), Arg::Uint(100)],
            ),
            // sRGB's gamut lies inside Display P3's (blue on its corner).
            (SET_MASTERING_DISPLAY_PRIMARIES, color::chromaticities(srgb)),
            (SET_MASTERING_LUMINANCE, vec![Arg::Uint(1), Arg::Uint(400)]),
            (SET_MAX_CLL, vec![Arg::Uint(350)]),
            (SET_MAX_FALL, vec![Arg::Uint(100)]),
        ],
    );
    let full_identity = color::wait_description(client, full).expect("full description");
    let scrgb = color::description_from(client, manager, CREATE_WINDOWS_SCRGB);
    let scrgb_identity = color::wait_description(client, scrgb).expect("windows scRGB");
    let mut identities = [output_identity, full_identity, scrgb_identity];
    identities.sort();
    assert!(
        identities.windows(2).all(|w| w[0] != w[1]),
        "{identities:?}"
    );

    // What vkcompose cannot represent fails gracefully.
    let outside = white_outside_description(client, manager);
    let (cause, message) = color::wait_description(client, outside).unwrap_err();
    assert_eq!(cause, CAUSE_UNSUPPORTED, "{message}");
    // A 1000 cd/m^2 mastering peak on sRGB's 80 cd/m^2 volume needs extended_target_volume.
    let (_, too_bright) = color::parametric(
        client,
        manager,
        &[
            (SET_TF_NAMED, vec![Arg::Uint(TF_COMPOUND_POWER_2_4)]),
            (SET_PRIMARIES_NAMED, vec![Arg::Uint(PRIMARIES_SRGB)]),
            (
                SET_MASTERING_LUMINANCE,
                vec![Arg::Uint(2000), Arg::Uint(1000)],
            ),
        ],
    );
    let (cause, message) = color::wait_description(client, too_bright).unwrap_err();
    assert_eq!(cause, CAUSE_UNSUPPORTED, "{message}");

    // A failed description cannot be set on a surface.
    let color_surface = color::object_for(client, manager, GET_SURFACE, surface);
    let args = [Arg::Object(too_bright), Arg::Uint(INTENT_PERCEPTUAL)];
    client.send(color_surface, SET_IMAGE_DESCRIPTION, &args);
    let error = client.expect_protocol_error();
    assert_eq!((error.object, error.code), (color_surface, 1), "{error:?}");
}

/// A wl_surface of a newly bound wl_compositor.
fn new_surface(client: &mut Client) -> u32 {
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    client.surface(wl_compositor)
}

/// A ready BT.2020/PQ description made through `manager`.
fn pq_description(client: &mut Client, manager: u32) -> u32 {
    use wayland_wire::color::{self, *};
    let requests = [
        (SET_TF_NAMED, vec![Arg::Uint(TF_ST2084_PQ)]),
        (SET_PRIMARIES_NAMED, vec![Arg::Uint(PRIMARIES_BT2020)]),
    ];
    let (_, description) = color::parametric(client, manager, &requests);
    color::wait_description(client, description).expect("BT.2020/PQ is ready");
    description
}

/// Each protocol error on a connection of its own: `act` makes requests through the
/// manager and returns the object the error must name.
fn check_protocol_errors(connect: &dyn Fn() -> (Client, u32)) {
    check_creator_errors(connect);
    check_object_errors(connect);
}

/// Requests to a parametric creator: opcode and arguments.
type CreatorRequests = Vec<(u16, Vec<Arg<'static>>)>;

/// The parametric creator's protocol errors, each from a creator given some requests and
/// then `create`.
fn check_creator_errors(connect: &dyn Fn() -> (Client, u32)) {
    use wayland_wire::color::{self, *};
    let pq = || (SET_TF_NAMED, vec![Arg::Uint(TF_ST2084_PQ)]);
    let bt2020 = || (SET_PRIMARIES_NAMED, vec![Arg::Uint(PRIMARIES_BT2020)]);
    let creator_errors: [(&str, CreatorRequests, u32); 7] = [
        ("already_set", vec![pq(), pq()], 1),
        (
            "invalid_luminance: max below min",
            vec![(
                SET_LUMINANCES,
                vec![Arg::Uint(1_000_000), Arg::Uint(50), Arg::Uint(80)],
            )],
            5,
        ),
        (
            "invalid_luminance: MaxFALL above MaxCLL",
            vec![
                pq(),
                bt2020(),
                (SET_MAX_CLL, vec![Arg::Uint(100)]),
                (SET_MAX_FALL, vec![Arg::Uint(200)]),
            ],
            5,
        ),
        ("incomplete_set", vec![pq()], 0),
        (
            "invalid_tf: gamma28",
            vec![(SET_TF_NAMED, vec![Arg::Uint(TF_GAMMA28)])],
            3,
        ),
        (
            "invalid_tf: srgb, deprecated in version 3",
            vec![(SET_TF_NAMED, vec![Arg::Uint(TF_SRGB_DEPRECATED)])],
            3,
        ),
        (
            "unsupported_feature: set_tf_power",
            vec![(SET_TF_POWER, vec![Arg::Uint(24_000)])],
            2,
        ),
    ];
    for (name, requests, code) in creator_errors {
        let (mut client, manager) = connect();
        let (creator, _) = color::parametric(&mut client, manager, &requests);
        let error = client.expect_protocol_error();
        assert_eq!(
            (error.object, error.code),
            (creator, code),
            "{name}: {error:?}"
        );
    }
}

/// The protocol errors of the manager, colour surfaces and image descriptions.
fn check_object_errors(connect: &dyn Fn() -> (Client, u32)) {
    use wayland_wire::color::{self, *};
    type Act = fn(&mut Client, u32) -> u32;
    let others: [(&str, Act, u32); 6] = [
        (
            "unsupported_feature: create_icc_creator",
            |client, manager| {
                color::description_from(client, manager, CREATE_ICC_CREATOR);
                manager
            },
            0,
        ),
        (
            "surface_exists",
            |client, manager| {
                let surface = new_surface(client);
                color::object_for(client, manager, GET_SURFACE, surface);
                color::object_for(client, manager, GET_SURFACE, surface);
                manager
            },
            1,
        ),
        (
            "render_intent: relative",
            |client, manager| {
                let description = pq_description(client, manager);
                let surface = new_surface(client);
                let color_surface = color::object_for(client, manager, GET_SURFACE, surface);
                let args = [Arg::Object(description), Arg::Uint(INTENT_RELATIVE)];
                client.send(color_surface, SET_IMAGE_DESCRIPTION, &args);
                color_surface
            },
            0,
        ),
        (
            "inert: the surface is gone",
            |client, manager| {
                let surface = new_surface(client);
                let color_surface = color::object_for(client, manager, GET_SURFACE, surface);
                client.send(surface, 0, &[]); // wl_surface.destroy
                client.send(color_surface, UNSET_IMAGE_DESCRIPTION, &[]);
                color_surface
            },
            2,
        ),
        (
            "no_information: a client's description",
            |client, manager| {
                let description = pq_description(client, manager);
                color::description_from(client, description, GET_INFORMATION);
                description
            },
            1,
        ),
        (
            "not_ready: a failed description",
            |client, manager| {
                let description = white_outside_description(client, manager);
                color::wait_description(client, description).unwrap_err();
                color::description_from(client, description, GET_INFORMATION);
                description
            },
            0,
        ),
    ];
    for (name, act, code) in others {
        let (mut client, manager) = connect();
        let object = act(&mut client, manager);
        let error = client.expect_protocol_error();
        assert_eq!(
            (error.object, error.code),
            (object, code),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn color_management_protocol() {
    let compositor = hdr_compositor("bt2020-pq");
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    let connect = || {
        let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
        let (manager, support) = wayland_wire::color::bind_manager(&mut client, 3);
        check_support(&support);
        (client, manager)
    };
    let (mut client, manager) = connect();
    check_descriptions(&mut client, manager);
    check_protocol_errors(&connect);
    compositor.finish_as(None, |path| Image16::load(path).unwrap());
}

#[test]
fn color_management_needs_vulkan() {
    use wayland_wire::color::{self, *};
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    let compositor = Compositor::start(PIXMAN);
    let client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    assert!(!client.has_global("wp_color_manager_v1"));
    drop(client);
    compositor.finish(None);

    // Smithay's software renderer cannot encode HDR: a usage error, before any socket.
    let mut command = Command::new(compositor_binary());
    command
        .args(PIXMAN)
        .args(["--output-color", "bt2020-pq", "--ignore-stdin"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let status = run_bounded(command, "headless_compositor", Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(2));

    // Vulkan's default output is sRGB; a version 1 manager hears the version 1 names.
    let compositor = Compositor::start(VULKAN);
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    let wl_output = client.bind("wl_output", 1).expect("wl_output");
    for (version, srgb_tf) in [(3, TF_COMPOUND_POWER_2_4), (1, TF_SRGB_DEPRECATED)] {
        let (manager, support) = color::bind_manager(&mut client, version);
        assert!(
            support.tfs.contains(&srgb_tf),
            "version {version}: {support:?}"
        );
        let output = color::object_for(&mut client, manager, GET_OUTPUT, wl_output);
        let description =
            color::description_from(&mut client, output, OUTPUT_GET_IMAGE_DESCRIPTION);
        color::wait_description(&mut client, description).expect("ready");
        let expected = Information {
            primaries: Some(SRGB_ARGS.to_vec()),
            primaries_named: Some(PRIMARIES_SRGB),
            tf_named: Some(srgb_tf),
            luminances: Some(vec![2000, 80, 80]),
            target_primaries: Some(SRGB_ARGS.to_vec()),
            target_luminance: Some(vec![2000, 80]),
            ..Information::default()
        };
        assert_eq!(
            color::information(&mut client, description),
            expected,
            "version {version}"
        );
    }
    drop(client);
    compositor.finish(None);
}

/// The compositor's `--decorations` look (examples/headless_compositor/decorations.rs).
const DECORATION_RADIUS: f64 = 12.0;
const DECORATION_BORDER: (f64, [u8; 3]) = (4.0, [0xe0, 0xa0, 0x30]);
/// The shadow's offset, sigma and alpha (black).
const DECORATION_SHADOW: ((f64, f64), f64, f64) = ((0.0, 8.0), 8.0, 0.5);

/// What the output shows at (x, y) near a decorated window at `window` whose texel there is
/// `texel`, over `under`: the shadow, then the window by its coverage, then the border by
/// its ring's, each rounded to 8 bits as the target stores it.
fn decorated_pixel(
    window: Rect,
    texel: [u8; 3],
    under: [u8; 3],
    (x, y): (usize, usize),
    blending: Blending,
) -> [f64; 3] {
    let (ox, oy, w, h) = (
        window.0 as f64,
        window.1 as f64,
        window.2 as f64,
        window.3 as f64,
    );
    let (lx, ly) = (x as f64 - ox, y as f64 - oy);
    let ((dx, dy), sigma, alpha) = DECORATION_SHADOW;
    let reach = (3.0 * sigma).ceil();
    let in_shadow =
        (lx - dx >= -reach && lx - dx < w + reach) && (ly - dy >= -reach && ly - dy < h + reach);
    let share = if in_shadow {
        reference::gaussian_share(lx - dx + 0.5, w, sigma)
            * reference::gaussian_share(ly - dy + 0.5, h, sigma)
    } else {
        0.0
    };
    // Encoded 8-bit values blend as stored and are rounded after each draw; on the linear
    // path they blend as light in a float buffer, encoded once at the end.
    let (decode, store): (Channel, Channel) = match blending {
        Blending::Encoded => (|c| c, |c| (c * 255.0).round() / 255.0),
        Blending::Linear => (srgb_to_linear, |c| c),
    };
    let value = |c: u8| decode(f64::from(c) / 255.0);
    let mut pixel = under.map(|c| store(value(c) * (1.0 - alpha * share)));
    let radii = [DECORATION_RADIUS; 4];
    let covered = reference::coverage(lx, ly, w, h, radii);
    for (p, t) in pixel.iter_mut().zip(texel) {
        *p = store(value(t) * covered + *p * (1.0 - covered));
    }
    let (width, color) = DECORATION_BORDER;
    let outer = reference::coverage(
        lx + width,
        ly + width,
        w + 2.0 * width,
        h + 2.0 * width,
        radii.map(|r| r + width),
    );
    let ring = (outer - covered).max(0.0);
    for (p, c) in pixel.iter_mut().zip(color) {
        *p = store(value(c) * ring + *p * (1.0 - ring));
    }
    match blending {
        Blending::Encoded => pixel,
        Blending::Linear => pixel.map(srgb_from_linear),
    }
}

/// A function of one colour channel.
type Channel = fn(f64) -> f64;

/// How a frame blends: the sRGB-encoded values (vkcompose's single pass), or light (its
/// linear path, which a colour-managed client such as foot 1.21 puts the whole frame on).
#[derive(Clone, Copy, Debug)]
enum Blending {
    Encoded,
    Linear,
}

/// Checks the pixels around the corners of a decorated window at `window` (from 8 outside
/// to 20 inside each corner), where `texel(x, y)` (window pixels) is what the client shows
/// and only the background lies below: every pixel as one blending model computes it.
fn check_decorated_corners(
    image: &Image,
    window: Rect,
    corners: &[(bool, bool)],
    texel: impl Fn(usize, usize) -> [u8; 3],
) -> Result<(), String> {
    let check = |blending: Blending| -> Result<(), String> {
        let (ox, oy, w, h) = window;
        for &(right, bottom) in corners {
            let xs = if right {
                ox + w - 20..ox + w + 8
            } else {
                ox - 8..ox + 20
            };
            let ys = if bottom {
                oy + h - 20..oy + h + 8
            } else {
                oy - 8..oy + 20
            };
            for y in ys {
                for x in xs.clone() {
                    let inside = (ox..ox + w).contains(&x) && (oy..oy + h).contains(&y);
                    let t = if inside {
                        texel(x - ox, y - oy)
                    } else {
                        [0; 3]
                    };
                    let expected = decorated_pixel(window, t, BACKGROUND, (x, y), blending)
                        .map(|c| (c * 255.0).round() as i32);
                    let got = image.pixel(x, y);
                    if (0..3).any(|c| (i32::from(got[c]) - expected[c]).abs() > 3) {
                        return Err(format!("decorated window at ({ox}, {oy}), {blending:?} blending: pixel ({x}, {y}) is {got:?}, expected {expected:?}"));
                    }
                }
            }
        }
        Ok(())
    };
    check(Blending::Encoded)
        .or_else(|encoded| check(Blending::Linear).map_err(|linear| format!("{encoded}; {linear}")))
}

#[test]
fn decorations() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let mut compositor = Compositor::start(&[VULKAN, &["--decorations"]].concat());
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _shm = Reaped::spawn(command, "weston-simple-shm");
    let shm = (FIRST_WINDOW.0, FIRST_WINDOW.1, SHM_SIZE, SHM_SIZE);
    // Its corners lie in its white border; nothing else is near them.
    let white = |_: usize, _: usize| [0xff; 3];
    let check_shm = |image: &Image| {
        check_decorated_corners(
            image,
            shm,
            &[(false, false), (true, false), (false, true)],
            white,
        )
    };
    let (image, ()) = screenshot_until(
        &mut compositor,
        "decorated-shm",
        Duration::from_secs(30),
        check_shm,
    );
    // The check can fail: undecorated, the corners are square and there is no border.
    let mut square = image.clone();
    for y in shm.1 - 8..shm.1 + 20 {
        for x in shm.0 - 8..shm.0 + 20 {
            let inside = x >= shm.0 && y >= shm.1;
            let p = if inside { [0xff; 3] } else { BACKGROUND };
            let i = (y * square.width + x) * 4;
            square.rgba[i..i + 3].copy_from_slice(&p);
        }
    }
    assert!(check_shm(&square).is_err(), "square corners not detected");

    if !ensure_debian_package("/usr/bin/foot", "foot") {
        eprintln!("foot is missing and could not be installed: its part skipped");
        return;
    }
    let _foot = Reaped::spawn(foot_client(&compositor), "foot");
    let step = FIRST_WINDOW.0 + CASCADE_STEP;
    let foot = (step, step, FOOT_SIZE.0, FOOT_SIZE.1);
    // Its bottom-right corner lies beyond weston-simple-shm's shadow, over the background,
    // where foot shows its background colour.
    let check_foot = |image: &Image| {
        check_decorated_corners(image, foot, &[(true, true)], |_, _| FOOT_BACKGROUND)?;
        check_decorated_corners(image, shm, &[(false, false)], white)
    };
    screenshot_until(
        &mut compositor,
        "decorated-foot",
        Duration::from_secs(45),
        check_foot,
    );
    compositor.finish(None);
}

/// What the compositor did with a hostile client's linux-dmabuf `create`.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// A protocol error of zwp_linux_buffer_params_v1, by code (the connection is closed).
    ProtocolError(u32),
    /// The `failed` event: the buffer is refused.
    Failed,
    Created,
}

// zwp_linux_buffer_params_v1 errors.
const PLANE_IDX: u32 = 1;
const PLANE_SET: u32 = 2;
const INCOMPLETE: u32 = 3;
const INVALID_FORMAT: u32 = 4;
const INVALID_DIMENSIONS: u32 = 5;
const OUT_OF_BOUNDS: u32 = 6;

/// A hostile linux-dmabuf case: what it is, its planes (index, offset, stride, fd), the
/// size it creates, and the answers the protocol allows.
type HostileCase<'a> = (
    &'static str,
    Vec<(u32, u32, u32, BorrowedFd<'a>)>,
    (i32, i32),
    &'static [Verdict],
);

/// One hostile linux-dmabuf client: `planes` (plane index, offset, stride, fd) added to
/// fresh params, then `create` of `size`; what the compositor answered.
fn hostile_dmabuf(
    compositor: &mut Compositor,
    planes: &[(u32, u32, u32, BorrowedFd<'_>)],
    size: (i32, i32),
    format: u32,
) -> Verdict {
    let deadline = Instant::now() + patient(Duration::from_secs(30));
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    let dmabuf = client
        .bind("zwp_linux_dmabuf_v1", 3)
        .expect("zwp_linux_dmabuf_v1");
    client.roundtrip(|_| {});
    let params = client.wire.new_id();
    client.send(dmabuf, 1, &[Arg::Object(params)]); // create_params
    for &(plane, offset, stride, fd) in planes {
        let add = [
            Arg::Uint(plane),
            Arg::Uint(offset),
            Arg::Uint(stride),
            Arg::Uint(0),
            Arg::Uint(0),
        ];
        if client.wire.send_with_fd(params, 1, &add, fd).is_err() {
            break; // already disconnected by a protocol error
        }
    }
    let create = [
        Arg::Int(size.0),
        Arg::Int(size.1),
        Arg::Uint(format),
        Arg::Uint(0),
    ];
    let _ = client.wire.send(params, 2, &create);
    loop {
        let Ok(event) = client.wire.event(deadline) else {
            panic!("no answer to a hostile create; log:\n{}", compositor.log());
        };
        if let Some(error) = event.protocol_error() {
            assert_eq!(
                error.object, params,
                "a protocol error on another object: {error:?}"
            );
            return Verdict::ProtocolError(error.code);
        }
        match (event.object, event.opcode) {
            (o, 0) if o == params => return Verdict::Created,
            (o, 1) if o == params => return Verdict::Failed,
            _ => {}
        }
    }
}

/// A client with wl_compositor, xdg_wm_base and wl_shm, and a configured toplevel.
fn shm_client(compositor: &Compositor) -> (Client, u32, u32) {
    let deadline = Instant::now() + patient(Duration::from_secs(60));
    let mut client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
    let wl_compositor = client.bind("wl_compositor", 4).expect("wl_compositor");
    let xdg_wm_base = client.bind("xdg_wm_base", 1).expect("xdg_wm_base");
    let (wl_shm, _) = client.bind_shm();
    let surface = client.toplevel(wl_compositor, xdg_wm_base).surface;
    (client, surface, wl_shm)
}

/// Attaches `buffer`, damages a corner and commits, without asking for a frame callback.
fn commit_damage(client: &mut Client, surface: u32, buffer: u32) -> std::io::Result<()> {
    client
        .wire
        .send(surface, 1, &[Arg::Object(buffer), Arg::Int(0), Arg::Int(0)])?;
    client.wire.send(
        surface,
        2,
        &[Arg::Int(0), Arg::Int(0), Arg::Int(8), Arg::Int(8)],
    )?;
    client.wire.send(surface, 6, &[])
}

/// Whether the compositor answers a wl_display.sync (false: it ended the connection,
/// with a protocol error or without).
fn answered(client: &mut Client) -> bool {
    let callback = client.wire.new_id();
    if client.wire.send(1, 0, &[Arg::Object(callback)]).is_err() {
        return false;
    }
    let deadline = Instant::now() + patient(Duration::from_secs(30));
    loop {
        match client.wire.event(deadline) {
            Ok(event) if event.object == callback && event.opcode == 0 => return true,
            Ok(event) if event.protocol_error().is_some() => return false,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// Hostile clients beside weston-simple-shm: linux-dmabuf params with a plane index out
/// of range, a plane set twice, no plane, two planes for a one-plane format, an offset
/// past the end of the buffer, a huge size, a pipe instead of a buffer; a wl_shm pool
/// truncated under a buffer in use; 10,000 commits without waiting for frame callbacks.
/// Each gets what the protocol says (the error, or the buffer refused), the compositor
/// keeps running, and weston-simple-shm keeps being drawn exactly.
#[test]
fn hostile_clients() {
    assert!(
        ensure_debian_package("/usr/bin/weston-simple-shm", "weston"),
        "weston-simple-shm is missing and installing Debian's weston failed"
    );
    let mut compositor = Compositor::start(VULKAN);
    let mut command = compositor.client("/usr/bin/weston-simple-shm");
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let mut shm = Reaped::spawn(command, "weston-simple-shm");
    screenshot_until(
        &mut compositor,
        "hostile-before",
        Duration::from_secs(30),
        check_simple_shm,
    );

    let has_dmabuf = {
        let deadline = Instant::now() + patient(Duration::from_secs(30));
        let client = Client::connect(compositor.dir.path(), &compositor.socket, deadline);
        client.has_global("zwp_linux_dmabuf_v1")
    };
    if has_dmabuf {
        let bytes = vec![0u8; 64 * 64 * 4];
        let memfd = plain_memfd(&bytes);
        let fd = memfd.as_fd();
        let (reader, _writer) = std::io::pipe().unwrap();
        let cases: Vec<HostileCase<'_>> = vec![
            (
                "plane index 7",
                vec![(7, 0, 256, fd)],
                (64, 64),
                &[Verdict::ProtocolError(PLANE_IDX)],
            ),
            (
                "plane 0 twice",
                vec![(0, 0, 256, fd), (0, 0, 256, fd)],
                (64, 64),
                &[Verdict::ProtocolError(PLANE_SET)],
            ),
            (
                "no plane",
                vec![],
                (64, 64),
                &[Verdict::ProtocolError(INCOMPLETE)],
            ),
            (
                "two planes for XRGB8888",
                vec![(0, 0, 256, fd), (1, 0, 256, fd)],
                (64, 64),
                &[
                    Verdict::ProtocolError(INCOMPLETE),
                    Verdict::ProtocolError(INVALID_FORMAT),
                    Verdict::Failed,
                ],
            ),
            (
                "offset past the end",
                vec![(0, 64 * 64 * 4, 256, fd)],
                (64, 64),
                &[Verdict::ProtocolError(OUT_OF_BOUNDS), Verdict::Failed],
            ),
            (
                "rows past the end",
                vec![(0, 0, 256, fd)],
                (64, 4096),
                &[Verdict::ProtocolError(OUT_OF_BOUNDS), Verdict::Failed],
            ),
            (
                "a huge size",
                vec![(0, 0, 256, fd)],
                (1 << 30, 1 << 30),
                &[
                    Verdict::ProtocolError(INVALID_DIMENSIONS),
                    Verdict::ProtocolError(OUT_OF_BOUNDS),
                    Verdict::Failed,
                ],
            ),
            (
                "a pipe",
                vec![(0, 0, 256, reader.as_fd())],
                (64, 64),
                &[Verdict::ProtocolError(OUT_OF_BOUNDS), Verdict::Failed],
            ),
        ];
        for (what, planes, size, allowed) in cases {
            let verdict = hostile_dmabuf(&mut compositor, &planes, size, XRGB8888);
            assert!(
                allowed.contains(&verdict),
                "{what}: {verdict:?}, expected one of {allowed:?}"
            );
            assert!(
                compositor.running(),
                "{what}: the compositor exited; log:\n{}",
                compositor.log()
            );
        }
        // DRM_FORMAT_BIG_ENDIAN alone: Smithay 0.7 would format it with drm-fourcc's
        // Debug, which panics on it (the compositor checks it first: dmabuf_guard.rs).
        for format in [0x8000_0000, 0x8000_0000 | XRGB8888, 0] {
            let verdict = hostile_dmabuf(&mut compositor, &[(0, 0, 256, fd)], (64, 64), format);
            assert_eq!(
                verdict,
                Verdict::ProtocolError(INVALID_FORMAT),
                "format {format:#x}"
            );
            assert!(
                compositor.running(),
                "format {format:#x}: the compositor exited; log:\n{}",
                compositor.log()
            );
        }
    } else {
        eprintln!("no linux-dmabuf global here: its hostile clients skipped");
    }

    // A wl_shm pool truncated under a buffer the compositor has, then damaged again: the
    // compositor may end the client (wl_shm's invalid_fd) or keep its last contents; it
    // must not crash.
    let size = (64, 48);
    {
        let (mut client, surface, wl_shm) = shm_client(&compositor);
        let pool_file = plain_memfd(&vec![0x80u8; size.0 * size.1 * 4]);
        let buffer = client.shm_buffer(wl_shm, pool_file.as_fd(), size, size.0 * 4, 1);
        client.show(surface, buffer, size);
        pool_file.set_len(0).unwrap();
        let _ = commit_damage(&mut client, surface, buffer);
        let _ = answered(&mut client);
        assert!(
            compositor.running(),
            "a truncated pool: the compositor exited; log:\n{}",
            compositor.log()
        );
    }
    // A buffer wider than any image the device makes (40,000 x 1: beyond every
    // maxImageDimension2D seen, 16,384 on lavapipe, 32,768 on NVIDIA): refused (not
    // drawn), the client and the compositor go on.
    {
        let (mut client, surface, wl_shm) = shm_client(&compositor);
        let wide = (40_000, 1);
        let pool_file = plain_memfd(&vec![0x40u8; wide.0 * 4]);
        let buffer = client.shm_buffer(wl_shm, pool_file.as_fd(), wide, wide.0 * 4, 1);
        let _ = commit_damage(&mut client, surface, buffer);
        let _ = answered(&mut client);
        assert!(
            compositor.running(),
            "a huge shm buffer: the compositor exited; log:\n{}",
            compositor.log()
        );
    }
    // 10,000 commits of a good buffer without waiting for a frame callback: still served.
    let (mut client, surface, wl_shm) = shm_client(&compositor);
    let pool_file = plain_memfd(&vec![0x80u8; size.0 * size.1 * 4]);
    let buffer = client.shm_buffer(wl_shm, pool_file.as_fd(), size, size.0 * 4, 1);
    for _ in 0..10_000 {
        commit_damage(&mut client, surface, buffer)
            .expect("the compositor ended an impatient client");
    }
    assert!(
        answered(&mut client),
        "no answer after 10,000 commits; log:\n{}",
        compositor.log()
    );
    assert!(
        compositor.running(),
        "the compositor exited; log:\n{}",
        compositor.log()
    );
    // The hostile windows cascade over it (the truncated one may stay mapped with its last
    // contents; the refused one may take a place): their pixels are theirs.
    let hostile = [1, 2, 3].map(|n| {
        let (x, y) = (
            FIRST_WINDOW.0 + n * CASCADE_STEP,
            FIRST_WINDOW.1 + n * CASCADE_STEP,
        );
        (x, y, size.0, size.1)
    });
    let check =
        |image: &Image| check_simple_shm_below(image, &[FIRST_WINDOW], &hostile).map(|t| t[0]);
    screenshot_until(
        &mut compositor,
        "hostile-after",
        Duration::from_secs(30),
        check,
    );
    drop(client);
    assert!(shm.running(), "weston-simple-shm exited");
    compositor.finish(None);
}
