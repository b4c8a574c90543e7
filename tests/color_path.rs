//! The linear path (colour management) on a real device, validation and synchronization
//! validation on: blending in linear light, sRGB round trips, SDR content in a PQ output,
//! tone mapping of PQ content on an sRGB output, damage-only frames, steady frames and bad
//! descriptions. Expected values are computed here from the standards' formulas.

mod common;
// The colour tests' references, written out from the standards (the file allows its own
// dead code): the transfer functions and BT.2390's EETF.
#[path = "color/reference.rs"]
mod reference;

use common::{
    assert_validation_clean, import_rgba as import, read_rgba as read,
    sync_validated_renderer as renderer, whole,
};
use reference::{srgb_eotf, srgb_oetf, st2084_eotf_nits, st2084_inverse_eotf_nits};
use vkcompose::color::{
    ColorDescription, ColorError, EncodeOptions, Luminances, Lut3d, MasteringDisplay, Mat3,
    Primaries, TransferFunction,
};
use vkcompose::format::DrmFourcc;
use vkcompose::geometry::{Rect, RectF, Transform};
use vkcompose::{Error, Filter, Frame, Renderer, Texture, TextureDraw};

type Rgba = [u8; 4];

/// Reads an ABGR2101010 target back as 10-bit [r, g, b].
fn read_10bit(renderer: &mut Renderer, texture: &Texture, region: Rect) -> Vec<[u32; 3]> {
    let readback = renderer
        .copy_framebuffer(texture, region, DrmFourcc::Abgr2101010)
        .unwrap();
    let bytes = readback.bytes().unwrap();
    bytes
        .chunks(4)
        .map(|c| {
            let word = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            [word & 0x3ff, (word >> 10) & 0x3ff, (word >> 20) & 0x3ff]
        })
        .collect()
}

/// A `width` x 1 ABGR2101010 target described as `description` (a PQ or HLG output).
fn ten_bit_target(renderer: &mut Renderer, width: u32, description: ColorDescription) -> Texture {
    let target = renderer
        .create_target(width, 1, DrmFourcc::Abgr2101010)
        .unwrap();
    target.set_color_description(description).unwrap();
    target
}

fn draw<'a>(size: (u32, u32), dst: Rect, damage: &'a [Rect], alpha: f32) -> TextureDraw<'a> {
    TextureDraw {
        src: RectF::new(0.0, 0.0, f64::from(size.0), f64::from(size.1)),
        dst,
        damage,
        opaque: &[],
        transform: Transform::Normal,
        alpha,
        filter: Filter::Nearest,
    }
}

/// The two ways an sRGB frame blends in linear light: the float blend buffer and its
/// encode pass (taken here by asking for a colour transform, even the identity), and the
/// target's sRGB view (the hardware's encoding, allowed one level of rounding).
const PATHS: [(&str, Option<Mat3>, u8); 2] = [
    ("blend buffer", Some(Mat3::IDENTITY), 0),
    ("sRGB view", None, 1),
];

/// `pixels` (opaque R, G, B, A bytes) imported as XRGB8888 memory: a source without alpha,
/// which the sRGB-view path samples through its own sRGB view (the hardware decodes).
fn import_xrgb(renderer: &mut Renderer, pixels: &[Rgba], width: u32) -> Texture {
    let bytes: Vec<u8> = pixels.iter().flat_map(|p| [p[2], p[1], p[0], 0]).collect();
    let layout = vkcompose::ShmLayout {
        fourcc: DrmFourcc::Xrgb8888,
        width,
        height: pixels.len() as u32 / width,
        stride: width * 4,
    };
    renderer.import_memory(&bytes, layout).unwrap()
}

/// Both kinds of source: with alpha (the shader divides alpha out and decodes) and
/// without (on the sRGB-view path, the hardware decodes).
fn sources(renderer: &mut Renderer, pixels: &[Rgba], width: u32) -> [(&'static str, Texture); 2] {
    [
        ("ABGR8888", import(renderer, pixels, width)),
        ("XRGB8888", import_xrgb(renderer, pixels, width)),
    ]
}

fn linear_frame<'r>(
    renderer: &'r mut Renderer,
    target: &'r Texture,
    ctm: Option<Mat3>,
) -> Frame<'r> {
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    frame.set_linear_blending(true);
    // Undithered: the dither may move a value this close to a half step either way.
    let options = EncodeOptions {
        ctm,
        dither: false,
        ..Default::default()
    };
    frame.set_encode_options(options).unwrap();
    frame
}

#[test]
fn half_white_over_black_blends_to_srgb_188_in_linear_light() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(4, 2, DrmFourcc::Xrgb8888).unwrap();
    let all = [whole(4, 2)];
    let expected = (srgb_oetf(0.5) * 255.0).round() as u8;
    assert_eq!(expected, 188);
    let cases = sources(&mut renderer, &[[255, 255, 255, 255]; 4], 2);
    for ((path, ctm, tolerance), (kind, white)) in PATHS
        .into_iter()
        .flat_map(|p| cases.iter().map(move |c| (p, c)))
    {
        let mut frame = linear_frame(&mut renderer, &target, ctm);
        frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
        // Left half: a texture at alpha 0.5; right half: a solid half-transparent white.
        let dst = Rect::new(0, 0, 2, 2);
        frame
            .render_texture_from_to(white, &draw((2, 2), dst, &all, 0.5))
            .unwrap();
        frame
            .draw_solid(Rect::new(2, 0, 2, 2), &all, [0.5, 0.5, 0.5, 0.5])
            .unwrap();
        finish_and_wait(frame);
        for (i, pixel) in read(&mut renderer, &target, whole(4, 2)).iter().enumerate() {
            for c in &pixel[..3] {
                let off = c.abs_diff(expected);
                assert!(
                    off <= tolerance,
                    "{path}, {kind}, pixel {i}: {pixel:?}, not 188"
                );
            }
        }
    }
    assert_validation_clean(&instance);
}

/// One quad of [`opaque_and_translucent_quads_keep_their_order_in_linear_light`]: the
/// source's colour (unpremultiplied, encoded), its texel alpha, the draw's alpha, and the
/// columns it covers.
#[derive(Clone, Copy)]
struct Layer {
    color: [u8; 3],
    texel_alpha: u8,
    alpha: f32,
    /// First and one past the last column.
    columns: (i32, i32),
}

/// What the layers give, blended in linear light here: each source's encoded colour
/// decoded, premultiplied by its alpha, blended over what is beneath, and encoded.
fn blended_in_linear_light(layers: &[Layer], width: i32) -> Vec<[u8; 3]> {
    (0..width)
        .map(|x| {
            let mut linear = [0.0f64; 3];
            for layer in layers
                .iter()
                .filter(|l| (l.columns.0..l.columns.1).contains(&x))
            {
                let a = f64::from(layer.texel_alpha) / 255.0 * f64::from(layer.alpha);
                for (c, v) in linear.iter_mut().enumerate() {
                    let source = srgb_eotf(f64::from(layer.color[c]) / 255.0);
                    *v = source * a + *v * (1.0 - a);
                }
            }
            linear.map(|v| (srgb_oetf(v) * 255.0).round() as u8)
        })
        .collect()
}

/// Opaque quads replace what is beneath in the linear path instead of blending over it
/// (cheaper, same pixels); overlapping opaque and translucent quads, one frame of draws
/// from both kinds of source, keep their order and their linear-light blending.
#[test]
fn opaque_and_translucent_quads_keep_their_order_in_linear_light() {
    let (instance, mut renderer) = renderer();
    let layer = |color, texel_alpha, alpha, columns| Layer {
        color,
        texel_alpha,
        alpha,
        columns,
    };
    let layers = [
        layer([200, 40, 90], 255, 1.0, (0, 5)),
        layer([255, 128, 0], 128, 1.0, (1, 6)),
        layer([20, 220, 160], 255, 1.0, (2, 4)),
        layer([200, 40, 90], 255, 0.5, (3, 7)),
        layer([20, 220, 160], 255, 1.0, (6, 8)),
        layer([255, 128, 0], 128, 1.0, (7, 8)),
    ];
    let texture = |renderer: &mut Renderer, l: &Layer| match l.texel_alpha {
        255 => import_xrgb(renderer, &[[l.color[0], l.color[1], l.color[2], 255]], 1),
        a => {
            let premultiplied = l.color.map(|c| (u32::from(c) * u32::from(a) / 255) as u8);
            let [r, g, b] = premultiplied;
            import(renderer, &[[r, g, b, a]], 1)
        }
    };
    let textures: Vec<Texture> = layers.iter().map(|l| texture(&mut renderer, l)).collect();
    // The translucent source's stored colour is premultiplied and rounded down: expect
    // what it holds.
    let stored = |l: &Layer| match l.texel_alpha {
        255 => l.color,
        a => l.color.map(|c| {
            let premultiplied = u32::from(c) * u32::from(a) / 255;
            (f64::from(premultiplied) * 255.0 / f64::from(a))
                .round()
                .min(255.0) as u8
        }),
    };
    let drawn: Vec<Layer> = layers
        .iter()
        .map(|l| Layer {
            color: stored(l),
            ..*l
        })
        .collect();
    let expected = blended_in_linear_light(&drawn, 8);
    let target = renderer.create_target(8, 1, DrmFourcc::Xrgb8888).unwrap();
    let all = [whole(8, 1)];
    for (path, ctm, _) in PATHS {
        let mut frame = linear_frame(&mut renderer, &target, ctm);
        frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
        for (l, texture) in layers.iter().zip(&textures) {
            let dst = Rect::new(l.columns.0, 0, l.columns.1 - l.columns.0, 1);
            let draw = TextureDraw {
                src: RectF::new(0.0, 0.0, 1.0, 1.0),
                ..draw((1, 1), dst, &all, l.alpha)
            };
            frame.render_texture_from_to(texture, &draw).unwrap();
        }
        finish_and_wait(frame);
        let out = read(&mut renderer, &target, all[0]);
        for (x, (got, want)) in out.iter().zip(&expected).enumerate() {
            let off = (0..3).map(|c| got[c].abs_diff(want[c])).max().unwrap();
            assert!(off <= 1, "{path}, column {x}: {got:?}, expected {want:?}");
        }
    }
    assert_validation_clean(&instance);
}

/// One quad of [`a_deep_stack_of_layers_across_tiles_blends_in_order`]: a source of one
/// premultiplied texel stretched over `rect`, drawn at `alpha`.
#[derive(Clone, Copy)]
struct Stacked {
    rect: Rect,
    texel: Rgba,
    alpha: f32,
}

/// What [`Stacked`] layers give at pixel (x, y) over black, blended in linear light here.
fn stack_at(layers: &[Stacked], x: i32, y: i32) -> [u8; 3] {
    let mut linear = [0.0f64; 3];
    let inside = |r: &Rect| (r.x..r.x + r.w).contains(&x) && (r.y..r.y + r.h).contains(&y);
    for layer in layers.iter().filter(|l| inside(&l.rect)) {
        let texel_alpha = f64::from(layer.texel[3]) / 255.0;
        let a = texel_alpha * f64::from(layer.alpha);
        for (c, v) in linear.iter_mut().enumerate() {
            let encoded = f64::from(layer.texel[c]) / 255.0 / texel_alpha;
            *v = srgb_eotf(encoded.min(1.0)) * a + *v * (1.0 - a);
        }
    }
    linear.map(|v| (srgb_oetf(v) * 255.0).round() as u8)
}

/// Sixty overlapping quads, translucent and opaque (with and without alpha), at odd
/// offsets across many 32-pixel tiles (where the device draws such frames by tiles,
/// composited in the shader): every pixel is its stack blended in order in linear light.
/// From sixty textures, and from twelve each drawn by five of the quads (so a tile's list
/// names one texture from quads far apart in the stack).
#[test]
fn a_deep_stack_of_layers_across_tiles_blends_in_order() {
    let (instance, mut renderer) = renderer();
    let (width, height) = (150u32, 100u32);
    let mut seed = 0x2545_f491_u32;
    let mut next = |n: u32| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) % n
    };
    let layers: Vec<Stacked> = (0..60)
        .map(|i| {
            let rect = Rect::new(
                next(140) as i32 - 20,
                next(90) as i32 - 20,
                20 + next(80) as i32,
                20 + next(60) as i32,
            );
            let a = if i % 4 == 0 {
                255
            } else {
                40 + next(200) as u8
            };
            let texel = [0, 1, 2].map(|_| (next(256) * u32::from(a) / 255) as u8);
            let alpha = if i % 3 == 0 { 0.6 } else { 1.0 };
            Stacked {
                rect,
                texel: [texel[0], texel[1], texel[2], a],
                alpha,
            }
        })
        .collect();
    let target = renderer
        .create_target(width, height, DrmFourcc::Xrgb8888)
        .unwrap();
    for sources in [60, 12] {
        let layers: Vec<Stacked> = (0..layers.len())
            .map(|i| Stacked {
                texel: layers[i % sources].texel,
                ..layers[i]
            })
            .collect();
        let textures: Vec<Texture> = (0..sources)
            .map(|i| match i % 8 {
                // Opaque (i % 4 == 0) and without alpha, which a quad-by-quad draw may draw
                // unblended.
                0 => import_xrgb(&mut renderer, &[layers[i].texel], 1),
                _ => import(&mut renderer, &[layers[i].texel], 1),
            })
            .collect();
        deep_stack_frames(&mut renderer, &target, &layers, &textures);
    }
    assert_validation_clean(&instance);
}

/// Draws `layers` (layer i from `textures[i % textures.len()]`) over black into `target`
/// through the blend buffer and the sRGB view, and compares every pixel with
/// [`stack_at`]'s.
fn deep_stack_frames(
    renderer: &mut Renderer,
    target: &Texture,
    layers: &[Stacked],
    textures: &[Texture],
) {
    let (width, height) = (target.width(), target.height());
    let all = [whole(width, height)];
    let sources = textures.len();
    // The blend buffer rounds once at the end; the sRGB view, where drawn quad by quad,
    // rounds every layer to 8 bits.
    for (path, ctm, tolerance) in [
        ("blend buffer", Some(Mat3::IDENTITY), 1),
        ("sRGB view", None, 2),
    ] {
        let mut frame = linear_frame(renderer, target, ctm);
        frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
        for (layer, texture) in layers.iter().zip(textures.iter().cycle()) {
            let draw = TextureDraw {
                src: RectF::new(0.0, 0.0, 1.0, 1.0),
                ..draw((1, 1), layer.rect, &all, layer.alpha)
            };
            frame.render_texture_from_to(texture, &draw).unwrap();
        }
        finish_and_wait(frame);
        let out = read(renderer, target, all[0]);
        for (i, got) in out.iter().enumerate() {
            let (x, y) = ((i as u32 % width) as i32, (i as u32 / width) as i32);
            let want = stack_at(layers, x, y);
            let off = (0..3).map(|c| got[c].abs_diff(want[c])).max().unwrap();
            assert!(
                off <= tolerance,
                "{path}, {sources} sources, pixel ({x}, {y}): {got:?}, expected {want:?}"
            );
        }
    }
}

#[test]
fn every_srgb_level_round_trips_exactly_through_the_linear_path() {
    let (instance, mut renderer) = renderer();
    let pixels: Vec<Rgba> = (0..256u32)
        .map(|x| [x as u8, (255 - x) as u8, (x * 7 % 256) as u8, 255])
        .collect();
    let cases = sources(&mut renderer, &pixels, 256);
    let target = renderer.create_target(256, 1, DrmFourcc::Xrgb8888).unwrap();
    let all = [whole(256, 1)];
    for ((path, ctm, _), (kind, source)) in PATHS
        .into_iter()
        .flat_map(|p| cases.iter().map(move |c| (p, c)))
    {
        let mut frame = linear_frame(&mut renderer, &target, ctm);
        frame
            .render_texture_from_to(source, &draw((256, 1), all[0], &all, 1.0))
            .unwrap();
        finish_and_wait(frame);
        let out = read(&mut renderer, &target, all[0]);
        for (x, (got, want)) in out.iter().zip(&pixels).enumerate() {
            assert_eq!(got[..3], want[..3], "{path}, {kind}: level {x}");
        }
    }
    assert_validation_clean(&instance);
}

#[test]
fn sdr_white_in_a_pq_output_sits_at_203_nits() {
    let (instance, mut renderer) = renderer();
    let target = ten_bit_target(&mut renderer, 2, ColorDescription::bt2020_pq());
    // sRGB white, and sRGB grey 128 beside it.
    let source = import(
        &mut renderer,
        &[[255, 255, 255, 255], [128, 128, 128, 255]],
        2,
    );
    let all = [whole(2, 1)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&source, &draw((2, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let out = read_10bit(&mut renderer, &target, all[0]);
    let white = st2084_inverse_eotf_nits(203.0);
    assert!((white - 0.58).abs() < 0.001, "PQ of 203 cd/m^2 is {white}");
    // Grey is achromatic, so the primaries change nothing: 203 cd/m^2 times its light.
    let grey = st2084_inverse_eotf_nits(203.0 * srgb_eotf(128.0 / 255.0));
    for (pixel, expected) in out.iter().zip([white, grey]) {
        for c in pixel {
            let want = expected * 1023.0;
            assert!(
                (f64::from(*c) - want).abs() <= 1.0,
                "{pixel:?} against {want}"
            );
        }
    }
    assert_validation_clean(&instance);
}

#[test]
fn pq_content_on_an_srgb_output_takes_the_linear_path_and_is_tone_mapped() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(3, 1, DrmFourcc::Xrgb8888).unwrap();
    // PQ signals of 0, 203 and 10 000 cd/m^2 (grey), through an 8-bit texture.
    let levels =
        [0.0, 203.0, 10_000.0].map(|n| (st2084_inverse_eotf_nits(n) * 255.0).round() as u8);
    let pixels: Vec<Rgba> = levels.iter().map(|&l| [l, l, l, 255]).collect();
    let source = import(&mut renderer, &pixels, 3);
    source
        .set_color_description(ColorDescription::bt2020_pq())
        .unwrap();
    let all = [whole(3, 1)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&source, &draw((3, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let out = read(&mut renderer, &target, all[0]);
    // Black stays black; PQ reference white (the level nearest 203 cd/m^2) lands near
    // sRGB white; the brightest light is mapped onto the output's peak, not beyond.
    assert!(out[0][0] <= 1, "{:?}", out[0]);
    let nits = st2084_eotf_nits(f64::from(levels[1]) / 255.0);
    let reference = (srgb_oetf((nits / 203.0).min(1.0)) * 255.0).round();
    assert!(
        (f64::from(out[1][0]) - reference).abs() <= 2.0,
        "{:?} against {reference}",
        out[1]
    );
    assert_eq!(out[2][..3], [255, 255, 255]);
    assert_validation_clean(&instance);
}

/// PQ content of the full 10 000 cd/m^2 on a PQ display of 1000 cd/m^2 (its mastering
/// volume) is tone mapped by BT.2390's EETF (as tests/color/reference.rs writes it out),
/// within 2/1023 in PQ: light below the knee is unchanged, nothing exceeds the display's
/// peak, and levels between the knee and 10 000 cd/m^2 are compressed, not clipped (the
/// test checks that clipping would miss some level by more than its tolerance). On an sRGB
/// output the knee is reference white, which is the peak, so there the EETF is a clip.
#[test]
fn pq_content_on_a_dimmer_pq_display_is_tone_mapped_by_bt_2390() {
    let (instance, mut renderer) = renderer();
    let mut output = ColorDescription::bt2020_pq();
    output.mastering = Some(MasteringDisplay {
        primaries: Primaries::BT2020,
        min_luminance: 0.0,
        max_luminance: 1000.0,
    });
    let levels: [u8; 8] = [0, 64, 128, 150, 170, 190, 220, 255];
    let target = ten_bit_target(&mut renderer, levels.len() as u32, output);
    let pixels: Vec<Rgba> = levels.iter().map(|&l| [l, l, l, 255]).collect();
    let source = import(&mut renderer, &pixels, levels.len() as u32);
    source
        .set_color_description(ColorDescription::bt2020_pq())
        .unwrap();
    let all = [whole(levels.len() as u32, 1)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&source, &draw((levels.len() as u32, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let out = read_10bit(&mut renderer, &target, all[0]);
    let mut clip_misses = 0;
    for (pixel, &level) in out.iter().zip(&levels) {
        let nits = st2084_eotf_nits(f64::from(level) / 255.0);
        let mapped = reference::bt2390_eetf_nits_in_target(nits, 0.0, 10_000.0, 0.0, 1000.0);
        let want = st2084_inverse_eotf_nits(mapped) * 1023.0;
        if (st2084_inverse_eotf_nits(nits.min(1000.0)) * 1023.0 - want).abs() > 2.0 {
            clip_misses += 1;
        }
        for c in pixel {
            assert!(
                (f64::from(*c) - want).abs() <= 2.0,
                "level {level} ({nits:.1} cd/m^2): {pixel:?} against {want:.2}"
            );
        }
    }
    assert!(
        clip_misses >= 2,
        "clipping would pass: the levels test no tone mapping"
    );
    assert_validation_clean(&instance);
}

/// HDR metadata that cannot change an SDR source's light (a mastering display brighter
/// than its encoding's white) leaves it matching an sRGB output of the same encoding: the
/// frame is drawn directly, where white at half alpha over black stores 128, not the
/// linear path's 188.
#[test]
fn hdr_metadata_on_an_sdr_source_keeps_the_frame_direct() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(2, 2, DrmFourcc::Xrgb8888).unwrap();
    let white = import(&mut renderer, &[[255, 255, 255, 255]; 4], 2);
    let mut tagged = ColorDescription::srgb();
    tagged.mastering = Some(MasteringDisplay {
        primaries: Primaries::BT709,
        min_luminance: 0.2,
        max_luminance: 1000.0,
    });
    white.set_color_description(tagged).unwrap();
    let all = [whole(2, 2)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
    frame
        .render_texture_from_to(&white, &draw((2, 2), all[0], &all, 0.5))
        .unwrap();
    finish_and_wait(frame);
    for pixel in read(&mut renderer, &target, all[0]) {
        assert!(
            pixel[..3].iter().all(|c| c.abs_diff(128) <= 1),
            "{pixel:?}: not drawn directly"
        );
    }
    assert_validation_clean(&instance);
}

#[test]
fn damage_only_linear_frames_equal_full_redraws() {
    let (instance, mut renderer) = renderer();
    let pixels: Vec<Rgba> = (0..64u32)
        .map(|i| {
            let a = if i % 3 == 0 { 128 } else { 255 };
            let c = |k: u32| ((i * k + 31) % 256 * a / 255) as u8;
            [c(37), c(91), c(53), a as u8]
        })
        .collect();
    let source = import(&mut renderer, &pixels, 8);
    let all = [whole(16, 16)];
    for (path, ctm, _) in PATHS {
        let partial = renderer.create_target(16, 16, DrmFourcc::Xrgb8888).unwrap();
        let full = renderer.create_target(16, 16, DrmFourcc::Xrgb8888).unwrap();
        let scene = |renderer: &mut Renderer, target: &Texture, damage: &[Rect], x: i32| {
            let mut frame = linear_frame(renderer, target, ctm);
            frame.clear([0.2, 0.3, 0.4, 1.0], damage).unwrap();
            let dst = Rect::new(x, 4, 8, 8);
            frame
                .render_texture_from_to(&source, &draw((8, 8), dst, damage, 0.75))
                .unwrap();
            finish_and_wait(frame);
        };
        scene(&mut renderer, &partial, &all, 2);
        // The window moves right by 4: only the rectangle it left and entered is damaged.
        scene(&mut renderer, &partial, &[Rect::new(2, 4, 12, 8)], 6);
        scene(&mut renderer, &full, &all, 6);
        let (a, b) = (
            read(&mut renderer, &partial, all[0]),
            read(&mut renderer, &full, all[0]),
        );
        assert_eq!(a, b, "{path}");
    }
    assert_validation_clean(&instance);
}

#[test]
fn steady_linear_frames_create_no_vulkan_objects() {
    let (instance, mut renderer) = renderer();
    let source = import(&mut renderer, &[[200, 100, 50, 255]; 16], 4);
    source
        .set_color_description(ColorDescription::display_p3())
        .unwrap();
    let target = renderer.create_target(32, 32, DrmFourcc::Xrgb8888).unwrap();
    let all = [whole(32, 32)];
    let device = renderer.device().clone();
    let frame = |renderer: &mut Renderer| {
        let mut frame = renderer.render(&target, Transform::Normal).unwrap();
        frame.clear([0.0, 0.0, 0.0, 1.0], &all).unwrap();
        let dst = Rect::new(4, 4, 16, 16);
        frame
            .render_texture_from_to(&source, &draw((4, 4), dst, &all, 1.0))
            .unwrap();
        frame.finish().unwrap()
    };
    let before = device.objects_created();
    frame(&mut renderer).wait(std::time::Duration::MAX).unwrap();
    let first = device.objects_created() - before;
    assert!(first > 0, "the first frame builds the linear path");
    // Warm-up: the recorders of the ring each make their descriptor pool once.
    for _ in 0..6 {
        frame(&mut renderer);
    }
    let (objects, allocations) = (device.objects_created(), device.allocations_made());
    let mut last = None;
    for _ in 0..30 {
        last = Some(frame(&mut renderer));
    }
    last.unwrap().wait(std::time::Duration::MAX).unwrap();
    assert_eq!(
        device.objects_created(),
        objects,
        "objects in steady frames"
    );
    assert_eq!(
        device.allocations_made(),
        allocations,
        "allocations in steady frames"
    );
    assert_validation_clean(&instance);
}

#[test]
fn bad_colour_descriptions_are_typed_errors_and_change_nothing() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(4, 4, DrmFourcc::Xrgb8888).unwrap();
    let mut nan = ColorDescription::srgb();
    nan.luminances = Luminances {
        min: 0.2,
        max: f64::NAN,
        reference: 80.0,
    };
    assert!(matches!(
        target.set_color_description(nan),
        Err(Error::Color(ColorError::NotFinite { .. }))
    ));
    let mut inverted = ColorDescription::srgb();
    inverted.luminances = Luminances {
        min: 100.0,
        max: 50.0,
        reference: 80.0,
    };
    assert!(matches!(
        target.set_color_description(inverted),
        Err(Error::Color(ColorError::LuminanceOrder { .. }))
    ));
    let mut outside = ColorDescription::srgb();
    outside.primaries = Primaries {
        white: vkcompose::color::Chromaticity::new(0.9, 0.05),
        ..Primaries::BT709
    };
    assert!(target.set_color_description(outside).is_err());
    assert_eq!(target.color_description(), ColorDescription::srgb());
    assert_eq!(target.color_description().transfer, TransferFunction::Srgb);
    assert_validation_clean(&instance);
}

/// Renders `pixels` (an sRGB row) through the linear path into a 10-bit sRGB target,
/// with `lut` if given, undithered.
fn render_row_10bit(
    renderer: &mut Renderer,
    pixels: &[Rgba],
    lut: Option<&Texture>,
) -> Vec<[u32; 3]> {
    let width = pixels.len() as u32;
    let source = import(renderer, pixels, width);
    let target = renderer
        .create_target(width, 1, DrmFourcc::Abgr2101010)
        .unwrap();
    let all = [whole(width, 1)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame.set_linear_blending(true);
    frame
        .set_encode_options(EncodeOptions {
            dither: false,
            ..Default::default()
        })
        .unwrap();
    if let Some(lut) = lut {
        frame.set_output_lut(lut).unwrap();
    }
    frame
        .render_texture_from_to(&source, &draw((width, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    read_10bit(renderer, &target, all[0])
}

/// Every 8-bit level on one channel each, and mixed colours.
fn test_row() -> Vec<Rgba> {
    (0..256u32)
        .map(|x| [x as u8, (x * 3 % 256) as u8, (255 - x) as u8, 255])
        .collect()
}

#[test]
fn an_identity_lut_changes_no_pixel_by_more_than_one_10_bit_step() {
    let (instance, mut renderer) = renderer();
    let lut = renderer.create_lut(&Lut3d::identity(17).unwrap()).unwrap();
    let row = test_row();
    let plain = render_row_10bit(&mut renderer, &row, None);
    let through = render_row_10bit(&mut renderer, &row, Some(&lut));
    for (x, (a, b)) in plain.iter().zip(&through).enumerate() {
        for c in 0..3 {
            assert!(a[c].abs_diff(b[c]) <= 1, "pixel {x}: {a:?} and {b:?}");
        }
    }
    assert_validation_clean(&instance);
}

/// A 33^3 LUT from Little CMS (linear sRGB to linear Display P3, matrix-shaper profiles)
/// gives what Little CMS gives for each pixel, within 2/1023.
#[test]
fn a_lut_from_little_cms_gives_little_cms_results() {
    use lcms2::{CIExyY, CIExyYTRIPLE, Intent, PixelFormat, Profile, ToneCurve};
    let profile = |p: &Primaries| {
        let xy = |c: vkcompose::color::Chromaticity| CIExyY {
            x: c.x,
            y: c.y,
            Y: 1.0,
        };
        let triple = CIExyYTRIPLE {
            Red: xy(p.red),
            Green: xy(p.green),
            Blue: xy(p.blue),
        };
        let linear = ToneCurve::new(1.0);
        Profile::new_rgb(&xy(p.white), &triple, &[&linear, &linear, &linear]).unwrap()
    };
    let transform: lcms2::Transform<[f64; 3], [f64; 3]> = lcms2::Transform::new(
        &profile(&Primaries::BT709),
        PixelFormat::RGB_DBL,
        &profile(&Primaries::DISPLAY_P3),
        PixelFormat::RGB_DBL,
        Intent::RelativeColorimetric,
    )
    .unwrap();
    let convert = |rgb: &[[f64; 3]]| {
        let mut out = vec![[0.0; 3]; rgb.len()];
        transform.transform_pixels(rgb, &mut out);
        out
    };
    let n = 33;
    let grid: Vec<[f64; 3]> = (0..n * n * n)
        .map(|i| [i % n, i / n % n, i / (n * n)].map(|k| k as f64 / (n - 1) as f64))
        .collect();
    let entries: Vec<[f32; 3]> = convert(&grid)
        .iter()
        .map(|c| c.map(|v| v.clamp(0.0, 1.0) as f32))
        .collect();
    let (instance, mut renderer) = renderer();
    let lut = renderer
        .create_lut(&Lut3d::new(n, entries).unwrap())
        .unwrap();
    let row = test_row();
    let out = render_row_10bit(&mut renderer, &row, Some(&lut));
    let linear: Vec<[f64; 3]> = row
        .iter()
        .map(|p| [p[0], p[1], p[2]].map(|v| srgb_eotf(f64::from(v) / 255.0)))
        .collect();
    for (x, (got, want)) in out.iter().zip(convert(&linear)).enumerate() {
        for c in 0..3 {
            let want = srgb_oetf(want[c].clamp(0.0, 1.0)) * 1023.0;
            let diff = (f64::from(got[c]) - want).abs();
            assert!(
                diff <= 2.0,
                "pixel {x} channel {c}: {} against {want:.2}",
                got[c]
            );
        }
    }
    assert_validation_clean(&instance);
}

/// A curved LUT (each entry a different power of its coordinates) is interpolated on the
/// GPU as the CPU reference's tetrahedral interpolation does it, within 1/1023 after
/// encoding.
#[test]
fn a_curved_lut_is_interpolated_tetrahedrally() {
    let n = 9;
    let entries: Vec<[f32; 3]> = (0..n * n * n)
        .map(|i| {
            let [r, g, b] = [i % n, i / n % n, i / (n * n)].map(|k| k as f32 / (n - 1) as f32);
            [r * r, (g * 0.7 + b * 0.3).sqrt(), b * b * b * 0.5 + r * 0.5]
        })
        .collect();
    let table = Lut3d::new(n, entries).unwrap();
    let (instance, mut renderer) = renderer();
    let lut = renderer.create_lut(&table).unwrap();
    let row = test_row();
    let out = render_row_10bit(&mut renderer, &row, Some(&lut));
    for (x, (got, pixel)) in out.iter().zip(&row).enumerate() {
        let linear = [pixel[0], pixel[1], pixel[2]].map(|v| srgb_eotf(f64::from(v) / 255.0));
        let want = table.sample_tetrahedral(linear);
        for c in 0..3 {
            let want = srgb_oetf(want[c].clamp(0.0, 1.0)) * 1023.0;
            let diff = (f64::from(got[c]) - want).abs();
            assert!(
                diff <= 1.5,
                "pixel {x} channel {c}: {} against {want:.2}",
                got[c]
            );
        }
    }
    assert_validation_clean(&instance);
}

#[test]
fn a_texture_that_is_no_lut_is_refused() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(4, 4, DrmFourcc::Xrgb8888).unwrap();
    let not_a_lut = import(&mut renderer, &[[0, 0, 0, 255]; 16], 4);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    assert!(matches!(
        frame.set_output_lut(&not_a_lut),
        Err(Error::InvalidArgument(_))
    ));
    frame.finish().unwrap();
    assert!(Lut3d::new(4, vec![[0.0; 3]; 10]).is_err());
    assert_validation_clean(&instance);
}

/// sRGB white in an HLG output (peak 1000 cd/m^2) sits at reference white, 203 cd/m^2:
/// HLG's 75 % signal (BT.2408), computed here through BT.2100's inverse OOTF and OETF.
#[test]
fn sdr_white_in_an_hlg_output_is_the_75_percent_signal() {
    let (instance, mut renderer) = renderer();
    let target = ten_bit_target(&mut renderer, 2, ColorDescription::bt2020_hlg());
    let source = import(&mut renderer, &[[255, 255, 255, 255]; 2], 2);
    let all = [whole(2, 1)];
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .render_texture_from_to(&source, &draw((2, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let gamma = 1.2;
    let scene = (203.0_f64 / 1000.0).powf(1.0 / gamma);
    let (a, b): (f64, f64) = (0.17883277, 1.0 - 4.0 * 0.17883277);
    let c = 0.5 - a * (4.0 * a).ln();
    let signal = a * (12.0 * scene - b).ln() + c;
    assert!((signal - 0.75).abs() < 0.002, "{signal}");
    for pixel in read_10bit(&mut renderer, &target, all[0]) {
        for v in pixel {
            assert!((f64::from(v) - signal * 1023.0).abs() <= 1.0, "{pixel:?}");
        }
    }
    assert_validation_clean(&instance);
}

/// The caller's colour transform applies to linear light before encoding: a matrix that
/// moves red into blue shows a red window blue.
#[test]
fn the_colour_transform_applies_in_linear_light() {
    let (instance, mut renderer) = renderer();
    let target = renderer.create_target(2, 1, DrmFourcc::Xrgb8888).unwrap();
    let source = import(&mut renderer, &[[255, 0, 0, 255], [128, 0, 0, 255]], 2);
    let all = [whole(2, 1)];
    let red_to_blue = Mat3([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    frame
        .set_encode_options(EncodeOptions {
            ctm: Some(red_to_blue),
            dither: false,
            ..Default::default()
        })
        .unwrap();
    frame.set_linear_blending(true);
    frame
        .render_texture_from_to(&source, &draw((2, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let out = read(&mut renderer, &target, all[0]);
    assert_eq!(out[0][..3], [0, 0, 255]);
    assert_eq!(out[1][..3], [0, 0, 128]);
    let mut frame = renderer.render(&target, Transform::Normal).unwrap();
    let nan = Mat3([[f64::NAN; 3]; 3]);
    let bad = EncodeOptions {
        ctm: Some(nan),
        ..Default::default()
    };
    assert!(matches!(
        frame.set_encode_options(bad),
        Err(Error::Color(_))
    ));
    frame.finish().unwrap();
    assert_validation_clean(&instance);
}

/// `pixels` (an sRGB row) drawn through the linear path (undithered) into a target of
/// `fourcc` described by `output`; the target's bytes.
fn render_row_into(
    renderer: &mut Renderer,
    pixels: &[Rgba],
    fourcc: DrmFourcc,
    output: ColorDescription,
) -> Vec<u8> {
    let width = pixels.len() as u32;
    let source = import(renderer, pixels, width);
    let target = renderer.create_target(width, 1, fourcc).unwrap();
    target.set_color_description(output).unwrap();
    let all = [whole(width, 1)];
    let mut frame = linear_frame(renderer, &target, None);
    frame
        .render_texture_from_to(&source, &draw((width, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let readback = renderer.copy_framebuffer(&target, all[0], fourcc).unwrap();
    readback.bytes().unwrap().to_vec()
}

/// IEEE half-precision bits as a number (normal and subnormal values; no NaN here).
fn f16_value(bits: u16) -> f64 {
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => mantissa * 2f64.powi(-24),
        e => (1.0 + mantissa / 1024.0) * 2f64.powi(e - 15),
    };
    if bits & 0x8000 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// ITU-R BT.1886's inverse EOTF for a display of white `lw` and black `lb` cd/m^2, written
/// out again: the signal of `nits`, clamped to [0, 1].
fn bt1886_signal(nits: f64, lw: f64, lb: f64) -> f64 {
    let (w, b) = (lw.powf(1.0 / 2.4), lb.powf(1.0 / 2.4));
    let a = (w - b).powf(2.4);
    let offset = b / (w - b);
    ((nits.max(0.0) / a).powf(1.0 / 2.4) - offset).clamp(0.0, 1.0)
}

/// The outputs besides 8-bit sRGB and 10-bit PQ: every 8-bit sRGB grey level, encoded
/// into XRGB2101010 sRGB (the same signal at 10 bits), ABGR16161616F scRGB (linear light,
/// 1.0 at the shared 80 cd/m^2 reference white) and XRGB8888 BT.709 / BT.1886 (the
/// default 80 cd/m^2 white and 0.2 cd/m^2 black), against the formulas written out here.
#[test]
fn every_output_encodes_srgb_content_by_its_formula() {
    let (instance, mut renderer) = renderer();
    let greys: Vec<Rgba> = (0..=255u8).map(|v| [v, v, v, 255]).collect();
    let level = |v: usize| v as f64 / 255.0;

    let bytes = render_row_into(
        &mut renderer,
        &greys,
        DrmFourcc::Xrgb2101010,
        ColorDescription::srgb(),
    );
    for (v, px) in bytes.chunks_exact(4).enumerate() {
        let word = u32::from_le_bytes([px[0], px[1], px[2], px[3]]);
        let want = srgb_oetf(srgb_eotf(level(v))) * 1023.0;
        for got in [word >> 20, word >> 10, word].map(|c| f64::from(c & 0x3ff)) {
            assert!(
                (got - want).abs() <= 1.0,
                "XRGB2101010 level {v}: {got}, want {want:.2}"
            );
        }
    }

    let bytes = render_row_into(
        &mut renderer,
        &greys,
        DrmFourcc::Abgr16161616f,
        ColorDescription::scrgb(),
    );
    for (v, px) in bytes.chunks_exact(8).enumerate() {
        let want = srgb_eotf(level(v));
        for c in 0..3 {
            let got = f16_value(u16::from_le_bytes([px[2 * c], px[2 * c + 1]]));
            let close = (got - want).abs() <= want * 2e-3 + 1e-4;
            assert!(close, "scRGB level {v}: {got}, want {want:.5}");
        }
        assert_eq!(f16_value(u16::from_le_bytes([px[6], px[7]])), 1.0);
    }

    let bytes = render_row_into(
        &mut renderer,
        &greys,
        DrmFourcc::Xrgb8888,
        ColorDescription::bt709_bt1886(),
    );
    for (v, px) in bytes.chunks_exact(4).enumerate() {
        // sRGB's reference white (80 cd/m^2) lands on BT.1886's (100, BT.2035's display).
        let want = bt1886_signal(srgb_eotf(level(v)) * 100.0, 100.0, 0.01) * 255.0;
        for got in px[..3].iter().map(|&c| f64::from(c)) {
            assert!(
                (got - want).abs() <= 1.0,
                "BT.1886 level {v}: {got}, want {want:.2}"
            );
        }
    }
    assert_validation_clean(&instance);
}

/// Light in cd/m^2 of signal `e` under each source transfer function, from its defining
/// formula written out again, for a grey (R = G = B) on the protocol's default luminances:
/// sRGB and gamma 2.2 at 80 cd/m^2, BT.1886 on a 0.01 to 100 cd/m^2 display, PQ, and HLG on
/// a 1000 cd/m^2 display (system gamma 1.2 there, applied to a grey's own luminance).
fn source_nits(transfer: TransferFunction, e: f64) -> f64 {
    match transfer {
        TransferFunction::Srgb => 80.0 * srgb_eotf(e),
        TransferFunction::Gamma22 => 80.0 * e.powf(2.2),
        TransferFunction::Bt1886 => {
            let (white, black) = (100f64.powf(1.0 / 2.4), 0.01f64.powf(1.0 / 2.4));
            let a = (white - black).powf(2.4);
            let b = black / (white - black);
            a * (e + b).max(0.0).powf(2.4)
        }
        TransferFunction::Pq => st2084_eotf_nits(e),
        TransferFunction::Hlg => {
            let (a, b, c) = (0.17883277, 1.0 - 4.0 * 0.17883277, 0.55991073);
            let scene = if e <= 0.5 {
                e * e / 3.0
            } else {
                ((e - c) / a).exp() / 12.0 + b / 12.0
            };
            1000.0 * scene.powf(1.2)
        }
        other => panic!("no formula for {other:?} here"),
    }
}

/// Every source transfer function is decoded by its formula: greys at every 8-bit level,
/// tagged with each function (BT.2020 for PQ and HLG), drawn into an extended-linear
/// BT.2020 float target whose 1.0 is 10 000 cd/m^2 and whose reference white is 203 (so
/// nothing is tone mapped): each pixel is the source's light with its reference white
/// moved onto 203 cd/m^2, over 10 000.
#[test]
fn every_source_transfer_function_decodes_by_its_formula() {
    let (instance, mut renderer) = renderer();
    let width = 256;
    let greys: Vec<Rgba> = (0..=255u8).map(|v| [v, v, v, 255]).collect();
    let output = ColorDescription::new(
        TransferFunction::ExtendedLinear,
        Primaries::BT2020,
        Luminances::new(0.0, 10000.0, 203.0).unwrap(),
        None,
        None,
    )
    .unwrap();
    let sources = [
        (TransferFunction::Srgb, Primaries::BT709, 80.0),
        (TransferFunction::Gamma22, Primaries::BT709, 80.0),
        (TransferFunction::Bt1886, Primaries::BT709, 100.0),
        (TransferFunction::Pq, Primaries::BT2020, 203.0),
        (TransferFunction::Hlg, Primaries::BT2020, 203.0),
    ];
    let target = renderer
        .create_target(width, 1, DrmFourcc::Abgr16161616f)
        .unwrap();
    target.set_color_description(output).unwrap();
    let all = [whole(width, 1)];
    for (transfer, primaries, reference) in sources {
        let source = import(&mut renderer, &greys, width);
        let mut description = ColorDescription::srgb();
        description.transfer = transfer;
        description.primaries = primaries;
        description.luminances = transfer.default_luminances();
        source.set_color_description(description).unwrap();
        let mut frame = linear_frame(&mut renderer, &target, None);
        frame.clear([0.0; 4], &all).unwrap();
        frame
            .render_texture_from_to(&source, &draw((width, 1), all[0], &all, 1.0))
            .unwrap();
        finish_and_wait(frame);
        let readback = renderer
            .copy_framebuffer(&target, all[0], DrmFourcc::Abgr16161616f)
            .unwrap();
        for (v, px) in readback.bytes().unwrap().chunks_exact(8).enumerate() {
            let nits = source_nits(transfer, v as f64 / 255.0) * 203.0 / reference;
            let want = nits / 10000.0;
            for c in 0..3 {
                let got = f16_value(u16::from_le_bytes([px[2 * c], px[2 * c + 1]]));
                let close = (got - want).abs() <= want * 3e-3 + 2e-7;
                // Below half floats' smallest normal (2^-14) the target holds subnormals,
                // which a driver may flush to zero (Mesa 25's lavapipe does).
                let flushed = want < 2f64.powi(-14) && got == 0.0;
                assert!(
                    close || flushed,
                    "{transfer:?} level {v}: {got:.7}, want {want:.7}"
                );
            }
        }
    }
    assert_validation_clean(&instance);
}

/// PQ content in a PQ output through the float blend buffer: every 10-bit level comes
/// back as itself within one step, the darkest included (on PQ's scale, 1.0 = 10 000
/// cd/m^2, they would be half-float subnormals, which drivers may flush to zero: PQ
/// outputs blend in half floats with a gain of 2^14, or in 32-bit floats when the frame
/// reads the buffer back; [`a_pq_output_keeps_its_pixels_across_both_blend_buffers`]).
#[test]
fn every_pq_level_round_trips_through_the_blend_buffer() {
    let (instance, mut renderer) = renderer();
    let width = 1024u32;
    let bytes: Vec<u8> = (0..width)
        .flat_map(|v| (v | v << 10 | v << 20 | 3 << 30).to_le_bytes())
        .collect();
    let layout = vkcompose::ShmLayout {
        fourcc: DrmFourcc::Abgr2101010,
        width,
        height: 1,
        stride: width * 4,
    };
    let source = renderer.import_memory(&bytes, layout).unwrap();
    source
        .set_color_description(ColorDescription::bt2020_pq())
        .unwrap();
    let target = ten_bit_target(&mut renderer, width, ColorDescription::bt2020_pq());
    let all = [whole(width, 1)];
    let mut frame = linear_frame(&mut renderer, &target, None);
    frame
        .render_texture_from_to(&source, &draw((width, 1), all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
    let pixels = read_10bit(&mut renderer, &target, all[0]);
    for (v, px) in pixels.iter().enumerate() {
        let error = px.iter().map(|&c| c.abs_diff(v as u32)).max().unwrap();
        assert!(error <= 1, "PQ level {v} came back as {px:?}");
    }
    assert_validation_clean(&instance);
}

/// A PQ output's frames switch blend buffers with what they do: half floats with a gain,
/// or, for a frame that captures (a blur's first step), 32-bit floats on PQ's own scale.
/// Its pixels stay the same across the switch, and a damage-only frame after it (which
/// starts again from the target, the buffer's light being on another scale) equals the
/// full redraw before it.
#[test]
fn a_pq_output_keeps_its_pixels_across_both_blend_buffers() {
    let (instance, mut renderer) = renderer();
    let width = 64u32;
    let pixels: Vec<Rgba> = (0..width)
        .map(|x| {
            [
                (x * 4) as u8,
                (255 - x * 4) as u8,
                (x * 13 % 256) as u8,
                255,
            ]
        })
        .collect();
    let source = import(&mut renderer, &pixels, width);
    let target = ten_bit_target(&mut renderer, width, ColorDescription::bt2020_pq());
    let all = [whole(width, 1)];
    let mut frames: Vec<Vec<[u32; 3]>> = Vec::new();
    // Full, full with a capture, then only columns 8..16 redrawn.
    for (capture, damage) in [
        (false, all[0]),
        (true, all[0]),
        (false, Rect::new(8, 0, 8, 1)),
    ] {
        let mut frame = linear_frame(&mut renderer, &target, None);
        let damage = [damage];
        frame
            .render_texture_from_to(&source, &draw((width, 1), all[0], &damage, 1.0))
            .unwrap();
        if capture {
            frame.capture(Rect::new(0, 0, 4, 1)).unwrap();
        }
        finish_and_wait(frame);
        frames.push(read_10bit(&mut renderer, &target, all[0]));
    }
    // Not black, not flat: a ramp of 64 distinct colours, under SDR white's PQ level.
    let distinct: std::collections::BTreeSet<[u32; 3]> = frames[0].iter().copied().collect();
    assert!(distinct.len() > 60, "{:?}", frames[0]);
    let sdr_white = st2084_inverse_eotf_nits(203.0) * 1023.0;
    assert!(frames[0]
        .iter()
        .flatten()
        .all(|&c| f64::from(c) < sdr_white + 1.0));
    for (i, frame) in frames.iter().enumerate().skip(1) {
        for (x, (got, want)) in frame.iter().zip(&frames[0]).enumerate() {
            let off = (0..3).map(|c| got[c].abs_diff(want[c])).max().unwrap();
            assert!(
                off <= 1,
                "frame {i}, column {x}: {got:?}, first frame {want:?}"
            );
        }
    }
    assert_validation_clean(&instance);
}

/// Submits `frame` and waits until the GPU has drawn it.
fn finish_and_wait(frame: Frame<'_>) {
    let point = frame.finish().unwrap();
    point.wait(std::time::Duration::MAX).unwrap();
}

/// Draws all of `source` over all of `target`, same size, with `options`, and waits.
fn draw_over_all_of(
    renderer: &mut Renderer,
    source: &Texture,
    target: &Texture,
    options: EncodeOptions,
) {
    let size = (target.width(), target.height());
    let all = [whole(size.0, size.1)];
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    frame.set_encode_options(options).unwrap();
    frame
        .render_texture_from_to(source, &draw(size, all[0], &all, 1.0))
        .unwrap();
    finish_and_wait(frame);
}

/// Gamut compression, written out again: the chroma of `rgb` (its offset from its grey,
/// by the output's luminance weights) scaled so that the relative distance `d` to the
/// gamut boundary along it becomes `d` up to 0.8 and `0.8 + e / (1 + e / 0.2)` beyond
/// (`e = d - 0.8`), so nothing reaches past the boundary.
fn compress_written_out(rgb: [f64; 3], weights: [f64; 3]) -> [f64; 3] {
    let y: f64 = (0..3).map(|i| weights[i] * rgb[i]).sum();
    let grey = y.clamp(0.0, 1.0);
    let offset = rgb.map(|c| c - y);
    let mut room = f64::INFINITY;
    for d in offset {
        if d < 0.0 {
            room = room.min(grey / -d);
        } else if d > 0.0 {
            room = room.min((1.0 - grey) / d);
        }
    }
    if room.is_infinite() {
        return [grey; 3];
    }
    let distance = 1.0 / room;
    let compressed = if distance > 0.8 {
        let e = distance - 0.8;
        0.8 + e / (1.0 + e / 0.2)
    } else {
        distance
    };
    offset.map(|d| (grey + d * compressed * room).clamp(0.0, 1.0))
}

/// Display P3 colours (saturated primaries and secondaries, a skin tone, grey) on an sRGB
/// output with `GamutMapping::Compress`: each pixel is the compression written out above
/// applied to the colour converted into sRGB's primaries, encoded, within one 10-bit step;
/// the saturated ones differ visibly from plain clipping.
#[test]
fn gamut_compression_on_the_gpu_follows_its_formula() {
    let (instance, mut renderer) = renderer();
    let pixels: Vec<Rgba> = vec![
        [255, 0, 0, 255],
        [0, 255, 0, 255],
        [0, 0, 255, 255],
        [255, 255, 0, 255],
        [30, 200, 220, 255],
        [200, 120, 40, 255],
        [128, 128, 128, 255],
    ];
    let width = pixels.len() as u32;
    let source = import(&mut renderer, &pixels, width);
    source
        .set_color_description(ColorDescription::display_p3())
        .unwrap();
    let target = renderer
        .create_target(width, 1, DrmFourcc::Abgr2101010)
        .unwrap();
    let options = EncodeOptions {
        gamut_mapping: vkcompose::color::GamutMapping::Compress,
        dither: false,
        ..Default::default()
    };
    draw_over_all_of(&mut renderer, &source, &target, options);
    let got = read_10bit(&mut renderer, &target, whole(width, 1));
    let to_srgb = vkcompose::color::conversion(&Primaries::DISPLAY_P3, &Primaries::BT709).unwrap();
    let weights = [0.2126, 0.7152, 0.0722];
    let mut compressed_visibly = 0;
    for (px, got) in pixels.iter().zip(&got) {
        let linear = to_srgb.apply([0, 1, 2].map(|i| srgb_eotf(f64::from(px[i]) / 255.0)));
        let want = compress_written_out(linear, weights).map(|c| srgb_oetf(c) * 1023.0);
        let clipped = linear.map(|c| srgb_oetf(c.clamp(0.0, 1.0)) * 1023.0);
        for c in 0..3 {
            let g = f64::from(got[c]);
            assert!(
                (g - want[c]).abs() <= 1.0,
                "{px:?} channel {c}: {g}, want {:.2} (clipped: {:.2})",
                want[c],
                clipped[c]
            );
        }
        if (0..3).any(|c| (want[c] - clipped[c]).abs() > 8.0) {
            compressed_visibly += 1;
        }
    }
    assert!(
        compressed_visibly >= 3,
        "only {compressed_visibly} colours differ from clipping"
    );
    assert_validation_clean(&instance);
}

/// The encode pass's ordered dither on an 8-bit output: light a third of a step above
/// sRGB level 100 stays 100 everywhere undithered; dithered, 100 and 101 both appear and
/// nothing else; light exactly on level 100 stays 100 dithered too (content of the
/// target's own depth passes unchanged).
#[test]
fn dithering_breaks_up_a_level_and_leaves_exact_levels_alone() {
    let (instance, mut renderer) = renderer();
    let (width, height) = (16u32, 16u32);
    let count = (width * height) as usize;
    for (level, dither, allowed) in [
        (100.33, false, &[100u8][..]),
        (100.33, true, &[100, 101][..]),
        (100.0, true, &[100][..]),
    ] {
        // scRGB light (1.0 = sRGB white) that sRGB encodes to `level` / 255.
        let light = srgb_eotf(level / 255.0) as f32;
        let half = vkcompose::format::f16_bits(light).to_le_bytes();
        let one = vkcompose::format::f16_bits(1.0).to_le_bytes();
        let texel = [half, half, half, one].concat();
        let bytes = texel.repeat(count);
        let layout = vkcompose::ShmLayout {
            fourcc: DrmFourcc::Abgr16161616f,
            width,
            height,
            stride: width * 8,
        };
        let source = renderer.import_memory(&bytes, layout).unwrap();
        source
            .set_color_description(ColorDescription::scrgb())
            .unwrap();
        let target = renderer
            .create_target(width, height, DrmFourcc::Abgr8888)
            .unwrap();
        let options = EncodeOptions {
            dither,
            ..Default::default()
        };
        draw_over_all_of(&mut renderer, &source, &target, options);
        let seen: std::collections::BTreeSet<u8> =
            read(&mut renderer, &target, whole(width, height))
                .iter()
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
        let seen: Vec<u8> = seen.into_iter().collect();
        assert_eq!(seen, allowed, "level {level}, dither {dither}");
    }
    assert_validation_clean(&instance);
}
