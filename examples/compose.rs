//! The demo: renders a small scene headless through the generated pipelines and writes a
//! PNG. Overlapping windows with alpha, one rotated through its texture coordinates, one
//! faded, solid rectangles.
//!
//! ```text
//! cargo run --example compose -- [--size WIDTHxHEIGHT] [--output PATH]
//! ```

use std::time::Instant;

use vkcompose::pipelines::SampledTexture;
use vkcompose::shaders::{passes, sets, solid, texture, Pipelines};
use vkcompose::{
    vk, Device, Filter, Instance, Recorder, RenderPass, Sampler, Texture, TextureDesc,
};

struct Options {
    width: u32,
    height: u32,
    output: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        width: 640,
        height: 400,
        output: "compose.png".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--size" => {
                let value = args.next().ok_or("--size needs WIDTHxHEIGHT")?;
                let (w, h) = value.split_once('x').ok_or("--size needs WIDTHxHEIGHT")?;
                options.width = w.parse().map_err(|_| format!("bad width `{w}`"))?;
                options.height = h.parse().map_err(|_| format!("bad height `{h}`"))?;
                if options.width == 0
                    || options.height == 0
                    || options.width > 8192
                    || options.height > 8192
                {
                    return Err("--size must be between 1x1 and 8192x8192".into());
                }
            }
            "--output" => options.output = args.next().ok_or("--output needs a path")?,
            "--help" | "-h" => {
                return Err("usage: compose [--size WIDTHxHEIGHT] [--output PATH]".into())
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(options)
}

/// A window's content: a premultiplied gradient with a checker pattern and a title bar.
fn window_pixels(width: u32, height: u32, tint: [f32; 3], opacity: f32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let checker = if (x / 16 + y / 16) % 2 == 0 { 1.0 } else { 0.8 };
            let title = y < height / 8;
            let shade = if title {
                0.35
            } else {
                checker * (0.55 + 0.45 * x as f32 / width as f32)
            };
            let a = if title { 1.0 } else { opacity };
            let rgb = tint.map(|c| c * shade * a);
            pixels.extend(rgb.iter().chain([&a]).map(|c| (c * 255.0).round() as u8));
        }
    }
    pixels
}

fn window_texture(
    device: &Device,
    recorder: &mut Recorder,
    size: (u32, u32),
    tint: [f32; 3],
    opacity: f32,
) -> Result<Texture, vkcompose::Error> {
    let texture = Texture::new(
        device,
        TextureDesc {
            width: size.0,
            height: size.1,
            format: vk::Format::R8G8B8A8_UNORM,
            usage: vk::ImageUsageFlags::SAMPLED | vk::ImageUsageFlags::TRANSFER_DST,
            has_alpha: true,
            ..Default::default()
        },
    )?;
    recorder.upload(&texture, &window_pixels(size.0, size.1, tint, opacity))?;
    Ok(texture)
}

/// A quad showing the whole texture at `dst`, upright.
fn upright(dst: [f32; 4], alpha: f32) -> texture::Instance {
    texture::Instance {
        dst,
        uv_offset: [0.0, 0.0],
        uv_axes: [1.0, 0.0, 0.0, 1.0],
        alpha,
    }
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("compose: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let instance = Instance::new(&Default::default())?;
    let device = Device::new(&instance)?;
    let format = vk::Format::R8G8B8A8_UNORM;
    let pass = RenderPass::<passes::Output>::new(&device, format)?;
    let pipelines = Pipelines::new(&device, &pass, vk::PipelineCache::null())?;
    let sampler = Sampler::new(&device, Filter::Linear)?;
    let setup = started.elapsed();

    let (w, h) = (options.width as f32, options.height as f32);
    let target = Texture::new(
        &device,
        TextureDesc {
            width: options.width,
            height: options.height,
            format,
            usage: vk::ImageUsageFlags::COLOR_ATTACHMENT
                | vk::ImageUsageFlags::TRANSFER_SRC
                | vk::ImageUsageFlags::TRANSFER_DST,
            has_alpha: true,
            ..Default::default()
        },
    )?;
    let recording = Instant::now();
    let mut recorder = Recorder::new(&device)?;
    let terminal = window_texture(&device, &mut recorder, (256, 160), [0.3, 0.6, 1.0], 0.85)?;
    let editor = window_texture(&device, &mut recorder, (200, 200), [1.0, 0.7, 0.3], 1.0)?;
    let push = texture::Push {
        target_size: [w, h],
    };
    {
        let mut frame = recorder.begin_pass(&pass, &target, [0.0; 4])?;
        let solid_push = solid::Push {
            target_size: [w, h],
        };
        let panels = [
            // Desktop background and a top panel.
            solid::Instance {
                dst: [0.0, 0.0, w, h],
                color: [0.08, 0.09, 0.12, 1.0],
            },
            solid::Instance {
                dst: [0.0, 0.0, w, 24.0],
                color: [0.16, 0.17, 0.22, 1.0],
            },
        ];
        frame.draw(&pipelines.solid, &solid_push, (), &panels)?;
        let editor_set = sets::Textured {
            tex: SampledTexture {
                texture: &editor,
                sampler: &sampler,
            },
        };
        let terminal_set = sets::Textured {
            tex: SampledTexture {
                texture: &terminal,
                sampler: &sampler,
            },
        };
        // The editor, upright, and a copy rotated by 90 degrees through its texture
        // coordinates, faded to half opacity.
        let rotated = texture::Instance {
            dst: [w * 0.62, h * 0.18, h * 0.45, h * 0.45],
            uv_offset: [0.0, 1.0],
            uv_axes: [0.0, -1.0, 1.0, 0.0],
            alpha: 0.5,
        };
        frame.draw(
            &pipelines.texture,
            &push,
            editor_set,
            &[
                upright([w * 0.08, h * 0.12, w * 0.34, h * 0.55], 1.0),
                rotated,
            ],
        )?;
        // The translucent terminal over both.
        frame.draw(
            &pipelines.texture,
            &push,
            terminal_set,
            &[upright([w * 0.3, h * 0.4, w * 0.42, h * 0.5], 1.0)],
        )?;
        // A translucent selection rectangle (premultiplied).
        frame.draw(
            &pipelines.solid,
            &solid_push,
            (),
            &[solid::Instance {
                dst: [w * 0.2, h * 0.7, w * 0.3, h * 0.15],
                color: [0.1, 0.2, 0.4, 0.4],
            }],
        )?;
    }
    let readback = recorder.read_back(&target)?;
    let finished = recorder.finish()?;
    let frame_time = recording.elapsed();

    let file = std::fs::File::create(&options.output)
        .map_err(|e| format!("cannot create {}: {e}", options.output))?;
    let mut encoder =
        png::Encoder::new(std::io::BufWriter::new(file), options.width, options.height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()?
        .write_image_data(finished.bytes(readback))?;
    println!(
        "{}: {}x{} on {} (setup {:.1} ms, upload + draw + readback {:.1} ms)",
        options.output,
        options.width,
        options.height,
        device.name(),
        setup.as_secs_f64() * 1e3,
        frame_time.as_secs_f64() * 1e3
    );
    Ok(())
}
