//! The demo: composes a desktop scene headless with [`Renderer`] and writes each frame as
//! a PNG. Frame 0 draws everything; each later frame changes one part of one window's
//! buffer, uploads only that part and redraws only the output pixels it shows in, as a
//! compositor does with damage.
//!
//! The built-in scene has overlapping windows in ARGB8888, XRGB8888 (with a padded
//! stride), ABGR8888, RGB565, ABGR2101010 and ABGR16161616F buffers, translucent bodies, a
//! declared-opaque title bar, one window turned by a transform, one scaled up with linear
//! filtering, one cropped by a source rectangle, one faded to 60%, and solid rectangles (a
//! panel, a dock, a translucent selection) over them.
//!
//! ```text
//! scripts/demo -- --size 1920x1080 --frames 10 --output out
//! cargo run --example compose -- [--size WIDTHxHEIGHT] [--frames N] [--output DIR]
//!                                [--scene FILE.ron]
//! ```
//!
//! Each frame prints its kind, how many draws it made, the CPU time from the first call
//! that records it to `finish` returning, and the GPU time from timestamp queries.
//!
//! Scenes are RON files; `examples/scenes/default.ron` is the built-in one, and its
//! comments describe every field.

#[path = "headless_compositor/output_color.rs"]
mod output_color;
#[path = "scene/mod.rs"]
mod scene;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use output_color::{write_screenshot, OutputColor, Pixels};
use scene::{
    draw_scene, load_scene, make_window_buffers, output_damage, painter, place_scene, Animation,
    Placed, WindowBuffer,
};
use vkcompose::color::{convert_premultiplied, ColorDescription};
use vkcompose::geometry::{Rect, Transform};
use vkcompose::{Device, Instance, Renderer, RendererOptions, Texture};

const USAGE: &str = "\
usage: compose [--size WIDTHxHEIGHT] [--frames N] [--output DIR] [--scene FILE.ron]
               [--output-color srgb|bt2020-pq|bt2020-hlg|scrgb]
  --size          output size (default: the scene's, 1280x800 for the built-in scene)
  --frames        frames to render: one full, then partial-damage ones (default 6)
  --output        directory for frame-000.png, frame-001.png, ... (default compose-out)
  --scene         scene file (default: the built-in examples/scenes/default.ron)
  --output-color  how the output encodes light (default srgb: 8-bit PNGs); bt2020-pq and
                  bt2020-hlg write 16-bit PNGs with a cICP chunk, scrgb PQ-encoded ones";

/// How long a frame may take before the demo gives up on the GPU.
const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Options

struct Options {
    /// `None`: the scene's own size.
    size: Option<(u32, u32)>,
    frames: u32,
    output: PathBuf,
    scene: Option<PathBuf>,
    color: OutputColor,
}

enum Command {
    Run(Options),
    Help,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        size: None,
        frames: 6,
        output: PathBuf::from("compose-out"),
        scene: None,
        color: OutputColor::Srgb,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--size" => options.size = Some(scene::parse_size(&value("--size")?)?),
            "--frames" => {
                let text = value("--frames")?;
                options.frames = match text.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => {
                        return Err(format!(
                            "--frames needs a number of at least 1, not `{text}`"
                        ))
                    }
                };
            }
            "--output" => options.output = value("--output")?.into(),
            "--scene" => options.scene = Some(value("--scene")?.into()),
            "--output-color" => {
                let name = value("--output-color")?;
                options.color = OutputColor::parse(&name).ok_or_else(|| {
                    format!("--output-color is srgb, bt2020-pq, bt2020-hlg or scrgb, not `{name}`")
                })?;
            }
            "--help" | "-h" => return Ok(Command::Help),
            // `scripts/demo -- ARGS` hands cargo one `--` more than it eats.
            "--" => {}
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Command::Run(options))
}

// ---------------------------------------------------------------------------------------
// Frames

struct FrameReport {
    full: bool,
    draws: usize,
    cpu: Duration,
    gpu: Option<Duration>,
}

/// Frame `index`'s damage in output pixels: everything for frame 0; after that, where the
/// animated window's buffer changed, with its new contents painted (before the clock
/// starts: the client draws its buffer, not the compositor) and returned for upload.
fn next_damage<'p>(
    placed: &'p Placed,
    buffers: &mut [WindowBuffer],
    output: Rect,
    index: u32,
    frames: u32,
) -> (Vec<Rect>, Option<&'p Animation>) {
    let Some(animation) = placed.animation.as_ref().filter(|_| index > 0) else {
        let whole = if index == 0 { vec![output] } else { Vec::new() };
        return (whole, None);
    };
    let progress = index as f32 / (frames - 1) as f32;
    let pixels = &mut buffers[animation.window].pixels;
    painter(placed, animation.window, progress).paint(pixels, animation.damage);
    let window = &placed.windows[animation.window];
    let damage = output_damage(window, animation.damage)
        .into_iter()
        .collect();
    (damage, Some(animation))
}

/// Renders frame `index` of `frames` and waits for it.
fn render_frame(
    renderer: &mut Renderer,
    target: &Texture,
    placed: &Placed,
    buffers: &mut [WindowBuffer],
    index: u32,
    frames: u32,
) -> Result<FrameReport, Box<dyn Error>> {
    let output = Rect::new(0, 0, target.width() as i32, target.height() as i32);
    let (damage, upload) = next_damage(placed, buffers, output, index, frames);

    let started = Instant::now();
    if let Some(animation) = upload {
        let buffer = &buffers[animation.window];
        let stride = placed.windows[animation.window].stride;
        renderer.update_memory(&buffer.texture, &buffer.pixels, stride, &[animation.damage])?;
    }
    let mut frame = renderer.render(target, Transform::Normal)?;
    frame.clear(placed.background, &damage)?;
    let draws = draw_scene(&mut frame, placed, buffers, &damage)?;
    let point = frame.finish()?;
    let cpu = started.elapsed();

    if !point.wait(FRAME_TIMEOUT)? {
        return Err(format!("frame {index} did not complete within {FRAME_TIMEOUT:?}").into());
    }
    Ok(FrameReport {
        full: index == 0,
        draws,
        cpu,
        gpu: renderer.gpu_time(&point)?,
    })
}

/// Reads the whole target back in its own format and writes it to `path` as the output's
/// encoding asks (see `output_color`).
fn write_png(
    renderer: &mut Renderer,
    target: &Texture,
    color: OutputColor,
    path: &Path,
) -> Result<(), Box<dyn Error>> {
    let (width, height) = (target.width(), target.height());
    let whole = Rect::new(0, 0, width as i32, height as i32);
    let format = target.fourcc().ok_or("the target has no DRM format")?;
    let readback = renderer.copy_framebuffer(target, whole, format)?;
    let pixels = Pixels {
        data: readback.bytes()?,
        format,
        width: width as usize,
        height: height as usize,
        flipped: false,
    };
    Ok(write_screenshot(path, &pixels, color)?)
}

/// The scene gives its background and solid colours in sRGB, and a core frame takes them
/// in the target's encoding: re-encoded here for the output's.
fn encode_scene_colors(placed: &mut Placed, color: OutputColor) -> Result<(), Box<dyn Error>> {
    let (from, to) = (ColorDescription::srgb(), color.description());
    placed.background = convert_premultiplied(&from, &to, placed.background)?;
    for solid in &mut placed.solids {
        solid.color = convert_premultiplied(&from, &to, solid.color)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reporting

fn millis(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn report_frame(index: u32, report: &FrameReport, path: &Path) {
    let kind = if report.full { "full" } else { "partial" };
    let gpu = report.gpu.map_or("n/a".to_string(), millis);
    println!(
        "frame {index}: {kind}, {} draws, cpu {}, gpu {gpu}, wrote {}",
        report.draws,
        millis(report.cpu),
        path.display()
    );
}

fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2),
    }
}

fn report_summary(device: &str, reports: &[FrameReport]) {
    let partial: Vec<&FrameReport> = reports.iter().filter(|r| !r.full).collect();
    if partial.is_empty() {
        println!("{device}: no partial frames");
        return;
    }
    let cpu = median(partial.iter().map(|r| r.cpu).collect());
    let gpu = median(partial.iter().filter_map(|r| r.gpu).collect());
    let show = |d: Option<Duration>| d.map_or("n/a".to_string(), millis);
    println!(
        "{device}: median of {} partial frames: cpu {}, gpu {}",
        partial.len(),
        show(cpu),
        show(gpu)
    );
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
            eprintln!("compose: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("compose: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let scene = load_scene(options.scene.as_deref())?;
    let (width, height) = options.size.unwrap_or(scene.size);
    let mut placed = place_scene(&scene, width, height)?;
    encode_scene_colors(&mut placed, options.color)?;

    let instance = Instance::new(&Default::default())?;
    let device = Device::new(&instance)?;
    let mut renderer = Renderer::new(&device, &RendererOptions::default())?;
    let mut buffers = make_window_buffers(&mut renderer, &placed)?;
    let target = renderer.create_target(width, height, options.color.target_formats()[0])?;
    target.set_color_description(options.color.description())?;
    // The imports go to the GPU now, so that frame 0's times are the frame's own.
    renderer.flush()?;

    std::fs::create_dir_all(&options.output)
        .map_err(|e| format!("cannot create {}: {e}", options.output.display()))?;
    let mut reports = Vec::new();
    for index in 0..options.frames {
        let report = render_frame(
            &mut renderer,
            &target,
            &placed,
            &mut buffers,
            index,
            options.frames,
        )?;
        let path = options.output.join(format!("frame-{index:03}.png"));
        write_png(&mut renderer, &target, options.color, &path)?;
        report_frame(index, &report, &path);
        reports.push(report);
    }
    report_summary(device.name(), &reports);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::scene::{f16_bits, load_scene, place_scene, PixelFormat, PIXEL_FORMATS};
    use vkcompose::format::format_info;

    #[test]
    fn half_floats() {
        assert_eq!(f16_bits(0.0), 0);
        assert_eq!(f16_bits(-0.0), 0x8000);
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(0.5), 0x3800);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(65520.0), 0x7c00);
        assert_eq!(f16_bits(2f32.powi(-14)), 0x0400);
        assert_eq!(f16_bits(2f32.powi(-24)), 0x0001);
        assert_eq!(f16_bits(2f32.powi(-26)), 0);
        assert_eq!(
            f16_bits(1.0 + 2f32.powi(-11)),
            0x3c00,
            "a tie rounds to even"
        );
        assert_eq!(f16_bits(f32::NAN) & 0x7e00, 0x7e00);
    }

    #[test]
    fn pixel_formats_match_the_renderer_table() {
        for format in PIXEL_FORMATS {
            let info = format_info(format.fourcc).expect("mapped");
            assert_eq!(
                info.bytes_per_pixel as usize,
                format.bytes_per_pixel(),
                "{}",
                format.name
            );
            assert_eq!(info.has_alpha, format.has_alpha(), "{}", format.name);
        }
    }

    #[test]
    fn byte_order_follows_the_fourcc() {
        let mut pixel = [0; 4];
        PixelFormat::by_name("ARGB8888")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(pixel, [0, 0, 255, 255]);
        PixelFormat::by_name("abgr8888")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(pixel, [255, 0, 0, 255]);
        let mut pixel = [0; 2];
        PixelFormat::by_name("RGB565")
            .unwrap()
            .encode([1.0, 0.0, 0.0, 1.0], &mut pixel);
        assert_eq!(u16::from_le_bytes(pixel), 0xf800);
    }

    #[test]
    fn the_default_scene_loads() {
        let scene = load_scene(None).unwrap();
        assert!(place_scene(&scene, 1920, 1080).is_ok());
    }

    #[test]
    fn the_hdr_scene_tags_its_video_pq() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenes/hdr.ron");
        let scene = load_scene(Some(&path)).unwrap();
        let placed = place_scene(&scene, 640, 400).unwrap();
        let video = placed.windows.iter().find(|w| w.name == "video").unwrap();
        assert_eq!(video.color, vkcompose::color::ColorDescription::bt2020_pq());
        assert!(super::scene::color_by_name("bt2020-pg").is_err());
    }
}
