//! The linear path (colour management): a frame whose sources do not all share the
//! target's colour description, or that asks for linear blending, draws its target's
//! passes into the target's float blend buffer instead, each source decoded into the
//! output's linear light, and then encodes the touched part of the blend buffer into the
//! target (tone mapping, gamut mapping, the inverse EOTF, dither).
//!
//! Everything is decided at `finish`, when all of the frame's draws are known: draws were
//! collected in the target's pixels either way, so the same operations record into the
//! blend buffer. Copies become decoding draws of the same quads; clears and solid colours
//! (given in the target's encoding) are decoded on the CPU; captures blit the blend
//! buffer's linear light into the capture texture, whose description says so.

use std::sync::Arc;

use ash::vk;

use super::tiles::TiledDraw;
use super::{Op, Segment, Src};
use crate::color::TransferFunction;
use crate::color::{
    ColorDescription, DecodeParams, EncodeOptions, EncodeParams, Luminances, PQ_BLEND_GAIN,
};
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::pipelines::recorder::{PassRecorder, Recorder};
use crate::pipelines::SampledTexture;
use crate::render::drawing::Drawing;
use crate::resources::sampler::Filter;
use crate::resources::texture::{BlendBuffer, Texture};
use crate::shaders::{
    encode, encode_mapped, passes, sets, solid, texture, texture_decode, texture_decode_opaque,
    texture_decode_rounded, texture_indexed, texture_indexed_decode, texture_ycbcr_decode,
};

/// What a frame asks of the linear path beyond its sources' descriptions.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LinearRequest<'f> {
    /// Blend in linear light even when every source matches the target.
    pub forced: bool,
    pub encode: EncodeOptions,
    /// The caller's 3D LUT ([`crate::Renderer::create_lut`]).
    pub lut: Option<&'f Texture>,
}

/// A frame taking the linear path: where its target's passes draw, and how to encode.
pub(crate) struct LinearPlan<'f> {
    /// The target's blend buffer, or `None` when the frame draws through the target's sRGB
    /// view instead (every source SDR, an sRGB output, nothing for the encode pass to do:
    /// the hardware encodes on write and decodes for blending).
    blend: Option<Arc<Texture>>,
    /// The format of the passes' attachment: the blend buffer's, or the sRGB view's.
    pass_format: vk::Format,
    /// The blend buffer does not hold what the target shows: the frame first decodes the
    /// target into it.
    pub initialize: bool,
    target_description: ColorDescription,
    /// The decoding of each source description the frame draws, by fingerprint (looked up
    /// per draw without the description's lock).
    decodes: Vec<(u64, DecodeParams)>,
    encode: EncodeParams,
    /// Where the encode pass writes (target pixels).
    encode_rects: Vec<Rect>,
    peak_nits: f64,
    target_format: vk::Format,
    lut: Option<&'f Texture>,
    /// The blend buffer's units per unit of the output's linear scale.
    gain: f64,
}

/// Above this many touched rectangles the encode pass covers their bounding box instead.
const MAX_ENCODE_RECTS: usize = 16;

/// Whether the frame takes the linear path, and if so its plan. Frames drawn directly
/// leave the target's blend buffer out of date.
pub(crate) fn plan<'f>(
    drawing: &mut Drawing,
    segments: &[Segment<'_>],
    instances: &[texture::Instance],
    request: &LinearRequest<'f>,
    owner: u64,
) -> Result<Option<LinearPlan<'f>>> {
    let target: &Texture = &segments[0].target;
    let output = target.color_description();
    let on_target = || target_segments(segments);
    let mismatched = on_target()
        .flat_map(|s| s.ops.iter())
        .flat_map(drawn_sources)
        .any(|t| !matches_target(t, target, &output));
    if !(mismatched || request.forced) {
        if let Some(buffer) = target.blend_buffer().as_mut() {
            buffer.current = false;
        }
        return Ok(None);
    }
    let (blend_format, gain) = blend_layout(drawing, segments, &output);
    let (decodes, peak_nits) = source_decodes(segments, &output, gain)?;
    let bits = bits_per_channel(target.format());
    let lut_size = request.lut.map_or(0, |lut| lut.height());
    let encode = EncodeParams::new(&output, peak_nits, &request.encode, bits, lut_size, gain)?;
    let plan = LinearPlan {
        blend: None,
        pass_format: blend_format,
        initialize: false,
        target_description: output,
        decodes,
        encode,
        encode_rects: Vec::new(),
        peak_nits,
        target_format: target.format(),
        lut: request.lut,
        gain,
    };
    if let Some(format) = srgb_view_format(segments, request, &plan) {
        drawing.build_decode(format)?;
        build_op_decodes(drawing, segments, format)?;
        if let Some(buffer) = target.blend_buffer().as_mut() {
            buffer.current = false;
        }
        return Ok(Some(LinearPlan {
            pass_format: format,
            ..plan
        }));
    }
    drawing.build_linear_path(target.format(), blend_format, plan.encode.mapped)?;
    build_op_decodes(drawing, segments, blend_format)?;
    let (blend, initialize, previous_peak) =
        blend_buffer(drawing, target, (blend_format, gain), owner)?;
    let full = Rect::new(0, 0, target.width() as i32, target.height() as i32);
    let encode_rects = if previous_peak != Some(peak_nits) {
        vec![full]
    } else {
        touched_rects(on_target().flat_map(|s| s.ops.iter()), instances, full)
    };
    for capture in captures(on_target()) {
        capture.set_color_description(linear_twin(&output))?;
    }
    Ok(Some(LinearPlan {
        blend: Some(blend),
        initialize,
        encode_rects,
        ..plan
    }))
}

/// The blend buffer's format and gain (its units per unit of the output's linear scale)
/// for a frame into `output`: half floats, but for PQ outputs, whose darkest levels are
/// subnormal half floats on PQ's own scale: there half floats with [`PQ_BLEND_GAIN`]
/// (a quarter of the bytes of 32-bit floats, which the H200 blends at a sixth of the rate),
/// unless the frame reads the buffer back (captures and blurs copy its values, custom
/// draws are told its scale), which then takes 32-bit floats on the output's scale where
/// the device blends them.
fn blend_layout(
    drawing: &Drawing,
    segments: &[Segment<'_>],
    output: &ColorDescription,
) -> (vk::Format, f64) {
    use crate::render::drawing::{BLEND_FORMAT, DEEP_BLEND_FORMAT};
    if output.transfer != TransferFunction::Pq {
        return (BLEND_FORMAT, 1.0);
    }
    let reads_back = target_segments(segments)
        .flat_map(|s| s.ops.iter())
        .any(|op| matches!(op, Op::Capture { .. } | Op::Kawase(_) | Op::Custom(_)));
    match (reads_back, drawing.deep_blend()) {
        (false, _) => (BLEND_FORMAT, PQ_BLEND_GAIN),
        (true, true) => (DEEP_BLEND_FORMAT, 1.0),
        (true, false) => (BLEND_FORMAT, 1.0),
    }
}

/// The decoding of every source description the target's passes draw, and the content's
/// peak in cd/m^2 of the output (at least the output's own peak).
fn source_decodes(
    segments: &[Segment<'_>],
    output: &ColorDescription,
    gain: f64,
) -> Result<(Vec<(u64, DecodeParams)>, f64)> {
    let mut decodes: Vec<(u64, DecodeParams)> = Vec::new();
    let mut peak_nits = output.target_luminance_range().1;
    let sources = target_segments(segments)
        .flat_map(|s| s.ops.iter())
        .flat_map(drawn_sources);
    for source in sources {
        let fingerprint = source.color_fingerprint();
        if decodes.iter().any(|(f, _)| *f == fingerprint) {
            continue;
        }
        let description = source.color_description();
        let params = DecodeParams::new(&description, output)?.with_gain(gain);
        decodes.push((fingerprint, params));
        peak_nits = peak_nits.max(peak_in_output(&description, output));
    }
    Ok((decodes, peak_nits))
}

/// The sRGB twin format to draw the frame through, when the encode pass would have
/// nothing to do but sRGB's inverse EOTF: an sRGB output with an sRGB view, no content
/// above its peak, no CTM, LUT or gamut compression, no source deeper than the target
/// when dithering, and no pass that reads or writes the target outside the decoding
/// draws (captures, blurs, custom draws).
fn srgb_view_format(
    segments: &[Segment<'_>],
    request: &LinearRequest<'_>,
    plan: &LinearPlan<'_>,
) -> Option<vk::Format> {
    let target: &Texture = &segments[0].target;
    let output = &plan.target_description;
    // The hardware's sRGB encoding rounds; sources deeper than the target need the
    // encode pass's dither.
    let needs_dither = request.encode.dither
        && target_segments(segments)
            .flat_map(|s| s.ops.iter())
            .flat_map(drawn_sources)
            .any(|t| bits_per_channel(t.format()) > bits_per_channel(target.format()));
    let plain_encode = request.lut.is_none()
        && request.encode.ctm.is_none()
        && request.encode.gamut_mapping == crate::color::GamutMapping::Clip
        && !needs_dither;
    let plain_ops = target_segments(segments)
        .flat_map(|s| s.ops.iter())
        .all(|op| !matches!(op, Op::Capture { .. } | Op::Kawase(_) | Op::Custom(_)));
    let usable = target.has_srgb_view()
        && output.same_encoding(&ColorDescription::srgb())
        && plan.peak_nits <= output.target_luminance_range().1
        && plain_encode
        && plain_ops;
    usable
        .then(|| crate::resources::format::srgb_twin(target.format()))
        .flatten()
}

impl LinearPlan<'_> {
    /// The blend buffer, when the frame draws into one.
    pub(crate) fn blend(&self) -> Option<&Texture> {
        self.blend.as_deref()
    }

    /// What the target's passes draw into: the blend buffer, or the target itself
    /// (through its sRGB view).
    pub(crate) fn destination<'a>(&'a self, target: &'a Texture) -> &'a Texture {
        self.blend().unwrap_or(target)
    }

    /// The framebuffer of [`LinearPlan::destination`] for the passes of `pass`.
    fn framebuffer(&self, target: &Texture, pass: vk::RenderPass) -> Result<vk::Framebuffer> {
        match self.blend() {
            Some(blend) => blend.framebuffer(pass),
            None => target.srgb_framebuffer(pass)?.ok_or_else(|| {
                Error::InvalidArgument("the target has no sRGB view to draw through".into())
            }),
        }
    }

    /// Records that the blend buffer now holds what the target shows (after the frame's
    /// submission).
    pub(crate) fn mark_current(&self, target: &Texture) {
        if self.blend.is_none() {
            return;
        }
        if let Some(buffer) = target.blend_buffer().as_mut() {
            buffer.current = true;
            buffer.peak_nits = self.peak_nits;
        }
    }

    /// The planned decoding of `texture`; an error if its description changed (on another
    /// thread) since the frame was planned.
    fn decode_of(&self, texture: &Texture) -> Result<&DecodeParams> {
        let fingerprint = texture.color_fingerprint();
        self.decodes
            .iter()
            .find(|(f, _)| *f == fingerprint)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "a texture's colour description changed while its frame was finishing".into(),
                )
            })
    }
}

/// The passes drawing into the frame's own target (the first, and those resuming it
/// after offscreen groups).
fn target_segments<'s, 'f>(
    segments: &'s [Segment<'f>],
) -> impl Iterator<Item = &'s Segment<'f>> + 's {
    let target: &Texture = &segments[0].target;
    segments.iter().filter(move |s| s.target.is(target))
}

/// The sources an operation decodes: textures drawn or copied, not the frame's own
/// intermediates (captures and blur levels, already in the blend buffer's light).
fn drawn_sources<'s, 'f: 's>(op: &'s Op<'f>) -> impl Iterator<Item = &'s Texture> + 's {
    let (one, many): (Option<&Texture>, &[(Src<'f>, Filter)]) = match op {
        Op::Texture { texture, .. } | Op::Yuv { texture, .. } => (Some(texture), &[]),
        Op::Copy(copy) => (Some(&copy.texture), &[]),
        Op::Rounded(rounded) => (Some(&rounded.texture), &[]),
        Op::Indexed { textures, .. } => (None, textures),
        _ => (None, &[]),
    };
    one.into_iter().chain(many.iter().map(|(t, _)| &**t))
}

/// Whether `source` decodes to what the target holds without conversion: the same
/// fingerprint (read without a lock: the common case, every draw of every frame), or an
/// equivalent encoding whose content the output's volume holds.
fn matches_target(source: &Texture, target: &Texture, output: &ColorDescription) -> bool {
    if source.color_fingerprint() == target.color_fingerprint() {
        return true;
    }
    let source = source.color_description();
    source.same_encoding(output) && fits_output(&source, output)
}

/// Whether `source`'s content, of `output`'s encoding, needs no tone mapping into it: its
/// brightest light lies within the output's target volume. That light is the content's
/// peak, and never more than the encoding's white but in extended linear (scRGB). A PQ
/// output's encoding is always 0 to 10 000 cd/m^2, so a dimmer PQ display is described by
/// its target (mastering) volume alone, and PQ content beyond that volume must be mapped;
/// an SDR source's metadata cannot make its light brighter than its white.
fn fits_output(source: &ColorDescription, output: &ColorDescription) -> bool {
    let mut peak = peak_in_output(source, output);
    if output.transfer != TransferFunction::ExtendedLinear {
        peak = peak.min(output.luminances.max);
    }
    peak <= output.target_luminance_range().1
}

/// Builds the decoding pipelines the target's passes need besides the plain ones, into
/// passes of `format`: one per YUV texture's conversion, and the rounded draws'.
fn build_op_decodes(
    drawing: &mut Drawing,
    segments: &[Segment<'_>],
    format: vk::Format,
) -> Result<()> {
    for op in target_segments(segments).flat_map(|s| s.ops.iter()) {
        match op {
            Op::Yuv { texture, .. } => {
                let sampler = texture.ycbcr().expect("YUV ops hold YUV textures");
                drawing.build_yuv_decode_pipeline(format, sampler)?;
            }
            Op::Rounded(_) => drawing.build_rounded(format)?,
            _ => {}
        }
    }
    Ok(())
}

/// The brightest light of content in `source`, in cd/m^2 of the output after the draws'
/// reference-white scaling.
fn peak_in_output(source: &ColorDescription, output: &ColorDescription) -> f64 {
    source.content_peak_nits() * output.luminances.reference / source.luminances.reference
}

/// The target's blend buffer (made, or remade at a new size, when needed), whether it
/// must be initialised from the target, and the peak its last encoding used.
fn blend_buffer(
    drawing: &Drawing,
    target: &Texture,
    (format, gain): (vk::Format, f64),
    owner: u64,
) -> Result<(Arc<Texture>, bool, Option<f64>)> {
    let mut slot = target.blend_buffer();
    let size = (target.width(), target.height());
    let fits = slot.as_ref().is_some_and(|b| {
        (b.texture.width(), b.texture.height()) == size && b.texture.format() == format
    });
    if !fits {
        let texture = drawing.new_blend_buffer(size, format, owner)?;
        *slot = Some(BlendBuffer {
            texture,
            current: false,
            peak_nits: 0.0,
            gain,
        });
    }
    let buffer = slot.as_mut().expect("made or kept above");
    if buffer.gain != gain {
        // Its light is on another scale: start again from the target.
        buffer.current = false;
        buffer.gain = gain;
    }
    let answer = (
        buffer.texture.clone(),
        !buffer.current,
        buffer.current.then_some(buffer.peak_nits),
    );
    // Until the frame is submitted whole.
    buffer.current = false;
    Ok(answer)
}

/// The target rectangles the operations change, or their bounding box when there are
/// many; the whole target for operations without a known extent (custom draws).
fn touched_rects<'s>(
    ops: impl Iterator<Item = &'s Op<'s>>,
    frame_instances: &[texture::Instance],
    full: Rect,
) -> Vec<Rect> {
    let mut rects = Vec::new();
    for op in ops {
        match op {
            Op::Clear { rects: r, .. } => rects.extend_from_slice(r),
            Op::Solid(instances) => rects.extend(instances.iter().map(|i| rect_of(i.dst))),
            Op::Texture { instances, .. } => {
                let instances = &frame_instances[instances.clone()];
                rects.extend(instances.iter().map(|i| rect_of(i.dst)))
            }
            Op::Copy(copy) => rects.extend(copy.instances.iter().map(|i| rect_of(i.dst))),
            Op::Indexed { instances, .. } => rects.extend(instances.iter().map(|i| rect_of(i.dst))),
            Op::Yuv { instances, .. } => rects.extend(instances.iter().map(|i| rect_of(i.dst))),
            Op::Rounded(r) => rects.extend(r.instances.iter().map(|i| rect_of(i.dst))),
            Op::Kawase(kawase) => rects.extend(kawase.quads().iter().map(|q| rect_of(q.dst))),
            Op::Capture { .. } => {}
            Op::Custom(_) => return vec![full],
        }
    }
    let rects: Vec<Rect> = rects.iter().filter_map(|r| r.intersect(&full)).collect();
    if rects.len() <= MAX_ENCODE_RECTS {
        return rects;
    }
    let (x0, y0) = (
        rects.iter().map(|r| r.x).min(),
        rects.iter().map(|r| r.y).min(),
    );
    let (x1, y1) = (
        rects.iter().map(|r| r.right()).max(),
        rects.iter().map(|r| r.bottom()).max(),
    );
    match (x0, y0, x1, y1) {
        (Some(x0), Some(y0), Some(x1), Some(y1)) => vec![Rect::new(x0, y0, x1 - x0, y1 - y0)],
        _ => Vec::new(),
    }
}

/// The whole-pixel rectangle covering an instance's `dst` (x, y, width, height).
fn rect_of(dst: [f32; 4]) -> Rect {
    let (x0, y0) = (dst[0].floor() as i32, dst[1].floor() as i32);
    let (x1, y1) = (
        (dst[0] + dst[2]).ceil() as i32,
        (dst[1] + dst[3]).ceil() as i32,
    );
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// The textures the frame captures from its target.
fn captures<'s>(
    segments: impl Iterator<Item = &'s Segment<'s>>,
) -> impl Iterator<Item = &'s Arc<Texture>> {
    segments
        .flat_map(|s| s.ops.iter())
        .filter_map(|op| match op {
            Op::Capture { into, .. } => Some(into),
            _ => None,
        })
}

/// What a capture of the blend buffer holds: linear light in the output's primaries, on
/// the output's linear scale, clipped to [0, 1] by the capture's format.
fn linear_twin(output: &ColorDescription) -> ColorDescription {
    let scale = output.to_nits_scale();
    ColorDescription {
        transfer: TransferFunction::Linear,
        primaries: output.primaries,
        luminances: Luminances {
            min: 0.0,
            max: scale,
            reference: output.luminances.reference,
        },
        mastering: None,
        content_light: None,
    }
}

/// A premultiplied colour in the target's encoding, decoded into the blend buffer's light.
/// `gain`: the blend buffer's units per unit of the description's linear scale.
fn decode_color(description: &ColorDescription, color: [f32; 4], gain: f64) -> [f32; 4] {
    let a = f64::from(color[3]);
    if a <= 0.0 {
        return [0.0; 4];
    }
    let encoded = [color[0], color[1], color[2]].map(|c| f64::from(c) / a);
    let linear = description.decode(encoded).map(|c| c * gain * a);
    [
        linear[0] as f32,
        linear[1] as f32,
        linear[2] as f32,
        color[3],
    ]
}

/// The variant of a generated pipeline module (`texture_decode`, `texture_ycbcr_decode`,
/// `encode`: each declares one variant per transfer function, named alike) for
/// `transfer`.
macro_rules! transfer_variant {
    ($module:ident, $transfer:expr) => {{
        use $module::Variant as V;
        match $transfer {
            TransferFunction::Srgb => V::Srgb,
            TransferFunction::Gamma22 => V::Gamma22,
            TransferFunction::Bt1886 => V::Bt1886,
            TransferFunction::Gamma24 => V::Gamma24,
            TransferFunction::Pq => V::Pq,
            TransferFunction::Hlg => V::Hlg,
            TransferFunction::Linear => V::Linear,
            TransferFunction::ExtendedLinear => V::ExtLinear,
        }
    }};
}

/// Draws `instances` of `texture` (`how`: its filter, and whether it blends) into the
/// linear path's pass: sampled through its sRGB view with the plain texture pipelines where
/// the hardware's decoding is the whole conversion, decoded by the shader otherwise.
fn draw_source(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    texture: &Texture,
    (filter, blend): (Filter, bool),
    instances: &[texture::Instance],
) -> Result<()> {
    match hardware_decoded(plan, texture, blend)? {
        true => {
            let tex = SampledTexture::srgb_decoded(texture, drawing.sampler(filter))
                .expect("checked by hardware_decoded");
            let push = texture::Push {
                target_size: pass.target_size(),
            };
            let pipelines = &drawing.built_output(plan.pass_format).pipelines;
            super::draw_texture(pass, pipelines, tex, blend, &push, instances)
        }
        false => draw_decoded(pass, drawing, plan, texture, (filter, blend), instances),
    }
}

/// Whether the hardware's sRGB decoding alone converts `texture` into the pass: the frame
/// draws through the target's sRGB view, the texture has an sRGB view to sample, its
/// description decodes with sRGB's EOTF and nothing else, and every texel drawn is opaque
/// (no alpha channel, or a region the caller said is opaque). Translucent texels are
/// premultiplied in the encoded values, which must be divided out before decoding: the
/// shader's job.
fn hardware_decoded(plan: &LinearPlan<'_>, texture: &Texture, blend: bool) -> Result<bool> {
    if plan.blend.is_some() || texture.srgb_sampled_view().is_none() {
        return Ok(false);
    }
    if blend && texture.has_alpha() {
        return Ok(false);
    }
    Ok(plan.decode_of(texture)?.is_plain_srgb())
}

/// Draws `instances` of `texture` decoded into the pass (`how`: its filter, and whether
/// it blends or replaces what is beneath).
fn draw_decoded(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    texture: &Texture,
    (filter, blend): (Filter, bool),
    instances: &[texture::Instance],
) -> Result<()> {
    let params = plan.decode_of(texture)?;
    let decode = drawing.decode_pipelines(plan.pass_format);
    let push = decode_push(pass.target_size(), params, super::rounded::NO_MASK);
    let set = sets::TextureAndSampler {
        tex: texture,
        samp: drawing.sampler(filter),
    };
    // The decoding pipeline's instances are the texture pipeline's, field for field.
    let instances: &[texture_decode::Instance] = bytemuck::cast_slice(instances);
    if blend {
        let variant = transfer_variant!(texture_decode, params.transfer);
        pass.draw(&decode.blended.variant(variant), &push, set, instances)
    } else {
        let variant = transfer_variant!(texture_decode_opaque, params.transfer);
        pass.draw(&decode.opaque.variant(variant), &push, set, instances)
    }
}

/// Draws `instances` of a YUV texture decoded into the pass, through its conversion's
/// decoding pipeline (the conversion yields the encoded R'G'B' the description decodes).
fn draw_yuv_decoded(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    texture: &Texture,
    instances: &[texture::Instance],
) -> Result<()> {
    let params = plan.decode_of(texture)?;
    let sampler = texture.ycbcr().expect("YUV ops hold YUV textures");
    let decode = drawing
        .yuv_ref()
        .decode_pipeline(plan.pass_format, sampler)
        .expect("built by the plan");
    // texture_decode.wgsl declares texture_decode.frag's push constants and instances
    // member for member, so the structs are the same field for field.
    let push = ycbcr_push(decode_push(
        pass.target_size(),
        params,
        super::rounded::NO_MASK,
    ));
    let instances: &[texture_ycbcr_decode::Instance] = bytemuck::cast_slice(instances);
    let set = sets::YcbcrTextured { tex: texture };
    let variant = decode.variant(transfer_variant!(texture_ycbcr_decode, params.transfer));
    pass.draw(&variant, &push, set, instances)
}

/// Bits per channel of a target format, for the dither's step: 16 for float formats.
fn bits_per_channel(format: vk::Format) -> u32 {
    match format {
        vk::Format::R16G16B16A16_SFLOAT | vk::Format::R16G16B16A16_UNORM => 16,
        vk::Format::A2R10G10B10_UNORM_PACK32
        | vk::Format::A2B10G10R10_UNORM_PACK32
        | vk::Format::G10X6_B10X6R10X6_2PLANE_420_UNORM_3PACK16 => 10,
        vk::Format::R5G6B5_UNORM_PACK16 | vk::Format::B5G6R5_UNORM_PACK16 => 5,
        vk::Format::R4G4B4A4_UNORM_PACK16 | vk::Format::B4G4R4A4_UNORM_PACK16 => 4,
        _ => 8,
    }
}

impl LinearPlan<'_> {
    /// The caller's LUT, if any.
    pub(crate) fn lut(&self) -> Option<&Texture> {
        self.lut
    }

    fn target_format(&self) -> vk::Format {
        self.target_format
    }
}

/// Records one of the frame's target passes into the blend buffer (the operations
/// outside a render pass, captures, around the render passes as on the direct path).
pub(crate) fn record_segment(
    drawing: &Drawing,
    recorder: &mut Recorder,
    segment: &Segment<'_>,
    customs: &mut [Option<super::CustomDraw<'_>>],
    plan: &LinearPlan<'_>,
    instances: &[texture::Instance],
) -> Result<()> {
    let target: &Texture = &segment.target;
    let destination = plan.destination(target);
    let output = drawing.built_output(plan.pass_format);
    let framebuffer = plan.framebuffer(target, output.pass.raw())?;
    let mut ops = segment.ops.iter().peekable();
    while ops.peek().is_some() {
        // Copies are drawn here, decoded: only captures leave the pass.
        while let Some(op) = ops.next_if(|op| matches!(op, Op::Capture { .. })) {
            if let Op::Capture { region, into } = op {
                record_capture(recorder, destination, *region, into);
            }
        }
        if ops.peek().is_none() {
            break;
        }
        let mut pass =
            recorder.begin_pass_with(&output.pass, destination, framebuffer, [0.0; 4])?;
        while let Some(op) = ops.next_if(|op| !matches!(op, Op::Capture { .. })) {
            record_op(&mut pass, drawing, plan, op, customs, instances)?;
        }
    }
    Ok(())
}

/// Records one operation of a target pass into the open pass on the blend buffer.
fn record_op(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    op: &Op<'_>,
    customs: &mut [Option<super::CustomDraw<'_>>],
    frame_instances: &[texture::Instance],
) -> Result<()> {
    let output = plan.target_description;
    match op {
        Op::Clear { color, rects } => {
            super::clear_rects(pass, decode_color(&output, *color, plan.gain), rects);
            Ok(())
        }
        Op::Solid(instances) => {
            let decoded: Vec<solid::Instance> = instances
                .iter()
                .map(|i| solid::Instance {
                    color: decode_color(&output, i.color, plan.gain),
                    ..*i
                })
                .collect();
            let push = solid::Push {
                target_size: pass.target_size(),
            };
            let pipelines = &drawing.built_output(plan.pass_format).pipelines;
            pass.draw(&pipelines.solid, &push, (), &decoded)
        }
        Op::Texture {
            texture,
            filter,
            blend,
            instances,
        } => {
            let instances = &frame_instances[instances.clone()];
            draw_source(pass, drawing, plan, texture, (*filter, *blend), instances)
        }
        Op::Copy(copy) => {
            let (texture, instances) = (&copy.texture, &copy.instances);
            // A copy replaces what is beneath: drawn so, unblended.
            let how = (Filter::Nearest, false);
            draw_source(pass, drawing, plan, texture, how, instances)
        }
        Op::Indexed {
            textures,
            instances,
        } => draw_indexed_decoded(pass, drawing, plan, textures, instances),
        Op::Kawase(kawase) => kawase.record(pass, drawing, drawing.built_output(plan.pass_format)),
        Op::Custom(index) => match customs[*index].take() {
            Some(draw) => {
                let info = super::custom::PassInfo {
                    format: plan.pass_format,
                    size: pass.target_size(),
                    description: linear_twin(&output),
                    linear: true,
                };
                draw(pass, &info)
            }
            None => Ok(()),
        },
        Op::Yuv { texture, instances } => draw_yuv_decoded(pass, drawing, plan, texture, instances),
        Op::Rounded(rounded) => draw_rounded(pass, drawing, Some(plan), rounded),
        Op::Capture { .. } => unreachable!("recorded outside the pass"),
    }
}

/// A texture-array draw as runs of decoding draws, one per run of one texture, in order.
fn draw_indexed_decoded(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    textures: &[(Src<'_>, Filter)],
    instances: &[texture_indexed::Instance],
) -> Result<()> {
    // Deep enough, by tiles; all hardware-decoded: still one draw, through the textures'
    // sRGB views; plain sRGB sources, one draw decoded by the shader. Otherwise every run
    // goes through the decoding shader, blending, so that consecutive draws keep one
    // pipeline (alternating with the texture pipeline, or with the unblended decoding
    // pipeline for opaque quads, measured twice the CPU time and no less GPU time).
    if draw_indexed_tiled(pass, drawing, plan, textures, instances)? {
        return Ok(());
    }
    let mut hardware = true;
    for (texture, _) in textures {
        hardware &= hardware_decoded(plan, texture, true)?;
    }
    if hardware {
        let output = drawing.built_output(plan.pass_format);
        return super::draw_indexed(pass, drawing, output, textures, instances, true);
    }
    if draw_indexed_srgb_decoded(pass, drawing, plan, textures, instances)? {
        return Ok(());
    }
    let mut run: Vec<texture::Instance> = Vec::new();
    for (range, index) in runs(instances, |i| i.texture_index) {
        run.clear();
        run.extend(instances[range].iter().map(|i| texture::Instance {
            dst: i.dst,
            uv_offset: i.uv_offset,
            uv_axes: i.uv_axes,
            alpha: i.alpha,
        }));
        let (texture, filter) = &textures[index as usize];
        draw_decoded(pass, drawing, plan, texture, (*filter, true), &run)?;
    }
    Ok(())
}

/// Draws a texture array of sRGB sources that share one decoding by tiles
/// (`texture_tiled_decode`), where the device has the pipeline and the quads lie deep
/// enough for it to pay; false, drawing nothing, otherwise.
fn draw_indexed_tiled(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    textures: &[(Src<'_>, Filter)],
    instances: &[texture_indexed::Instance],
) -> Result<bool> {
    let output = drawing.built_output(plan.pass_format);
    let (Some(pipeline), Some(((first, _), rest))) = (
        output.pipelines.texture_tiled_decode.as_ref(),
        textures.split_first(),
    ) else {
        return Ok(false);
    };
    let decode = plan.decode_of(first)?;
    let mut shared = decode.transfer == TransferFunction::Srgb;
    for (texture, _) in rest {
        shared &= plan.decode_of(texture)? == decode;
    }
    if !shared {
        return Ok(false);
    }
    let list = super::array_elements(drawing, textures, false);
    let draw = TiledDraw {
        textures: &list,
        instances,
        to_output: decode.to_output,
    };
    super::tiles::draw_tiled(pass, pipeline, &draw, min_tiled_depth(plan))
}

/// Draws a texture array of plain sRGB sources, translucent ones among them, as one draw
/// into the target's sRGB view or into a blend buffer of the sources' primaries and scale
/// (`texture_indexed_decode`: the shader decodes every texel as `texture_decode` does,
/// whose matrix is then the identity); false, drawing nothing, for other frames or where
/// the pipeline is not built.
fn draw_indexed_srgb_decoded(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: &LinearPlan<'_>,
    textures: &[(Src<'_>, Filter)],
    instances: &[texture_indexed::Instance],
) -> Result<bool> {
    let output = drawing.built_output(plan.pass_format);
    let Some(pipeline) = output.pipelines.texture_indexed_decode.as_ref() else {
        return Ok(false);
    };
    for (texture, _) in textures {
        if !plan.decode_of(texture)?.is_plain_srgb() {
            return Ok(false);
        }
    }
    let list = super::array_elements(drawing, textures, false);
    let set = sets::TextureArray { textures: &list };
    let push = texture_indexed_decode::Push {
        target_size: pass.target_size(),
    };
    // The same vertex stage, so the same instances field for field.
    let instances: &[texture_indexed_decode::Instance] = bytemuck::cast_slice(instances);
    pass.draw(pipeline, &push, set, instances)?;
    Ok(true)
}

/// How deep a texture-array draw's quads must lie on average for drawing it by tiles to
/// pay. Measured on the H200: a desktop 2.7 layers deep took 0.53 ms by tiles and 0.47 ms
/// quad by quad through the target's sRGB view, whose blending costs the same per layer,
/// but 1.32 ms against 1.60 into the float blend buffer, which blends at half the rate; the
/// 1000-quad frame, 32 layers, takes a seventh of the time by tiles either way.
fn min_tiled_depth(plan: &LinearPlan<'_>) -> f64 {
    if plan.blend().is_some() {
        1.5
    } else {
        4.0
    }
}

/// The runs of consecutive `items` of one `key`, in order: each run's range and key.
fn runs<'i, T, K: PartialEq + Copy>(
    items: &'i [T],
    key: impl Fn(&T) -> K + 'i,
) -> impl Iterator<Item = (std::ops::Range<usize>, K)> + 'i {
    let mut start = 0;
    std::iter::from_fn(move || {
        let first = key(items.get(start)?);
        let len = items[start..]
            .iter()
            .take_while(|i| key(i) == first)
            .count();
        let range = start..start + len;
        start += len;
        Some((range, first))
    })
}

/// Decodes the whole target into the blend buffer, before the frame's first draw, when
/// the blend buffer does not hold what the target shows.
pub(crate) fn record_initialize(
    drawing: &Drawing,
    recorder: &mut Recorder,
    target: &Texture,
    plan: &LinearPlan<'_>,
) -> Result<()> {
    let Some(blend) = plan.blend() else {
        return Ok(());
    };
    let output = drawing.built_output(plan.pass_format);
    let framebuffer = blend.framebuffer(output.pass.raw())?;
    // A target never written holds undefined values (NaN, for float formats, which
    // blending would carry through every draw over it): nothing to start from either.
    let sampleable = target.usage().contains(vk::ImageUsageFlags::SAMPLED)
        && target.layout() != vk::ImageLayout::UNDEFINED;
    if sampleable {
        recorder.transition(target, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
    }
    let mut pass = recorder.begin_pass_with(&output.pass, blend, framebuffer, [0.0; 4])?;
    let whole = Rect::new(0, 0, blend.width() as i32, blend.height() as i32);
    if !sampleable {
        // Nothing to start from: the frame starts from transparent black.
        super::clear_rects(&mut pass, [0.0; 4], &[whole]);
        return Ok(());
    }
    let instance = texture_decode::Instance {
        dst: [0.0, 0.0, whole.w as f32, whole.h as f32],
        uv_offset: [0.0, 0.0],
        uv_axes: [1.0, 0.0, 0.0, 1.0],
        alpha: 1.0,
    };
    let description = plan.target_description;
    let params = DecodeParams::new(&description, &description)?.with_gain(plan.gain);
    // Replacing, not blending: the whole buffer is written, so it needs no clear first.
    let decode = &drawing.decode_pipelines(plan.pass_format).opaque;
    let push = decode_push(pass.target_size(), &params, super::rounded::NO_MASK);
    let set = sets::TextureAndSampler {
        tex: target,
        samp: drawing.sampler(Filter::Nearest),
    };
    let variant = decode.variant(transfer_variant!(texture_decode_opaque, params.transfer));
    pass.draw(&variant, &push, set, &[instance])
}

/// Encodes the touched part of the blend buffer into the target.
pub(crate) fn record_encode(
    drawing: &Drawing,
    recorder: &mut Recorder,
    target: &Texture,
    plan: &LinearPlan<'_>,
) -> Result<()> {
    let Some(blend) = plan.blend() else {
        return Ok(());
    };
    if plan.encode_rects.is_empty() {
        return Ok(());
    }
    recorder.transition(blend, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
    let output = drawing.built_output(target.format());
    let framebuffer = target.framebuffer(output.pass.raw())?;
    let mut pass = recorder.begin_pass_with(&output.pass, target, framebuffer, [0.0; 4])?;
    let encode = drawing.encode_pipelines(plan.target_format());
    let p = &plan.encode;
    let push = encode::Push {
        target_size: pass.target_size(),
        from_blend: p.from_blend,
        padding: 0.0,
        ctm_0: p.ctm[0],
        ctm_1: p.ctm[1],
        ctm_2: p.ctm[2],
        eetf_0: p.eetf[0],
        eetf_1: p.eetf[1],
        transfer_params: p.transfer_params,
        mapping: p.mapping,
    };
    let sampled = SampledTexture::new(blend, drawing.sampler(Filter::Nearest));
    // Without a LUT the shader never reads `lut`; the blend buffer stands in.
    let lut = plan.lut.map_or(sampled, |texture| {
        SampledTexture::new(texture, drawing.sampler(Filter::Linear))
    });
    let set = sets::EncodeSources {
        blend: sampled,
        lut,
    };
    let instances: Vec<encode::Instance> = plan
        .encode_rects
        .iter()
        .map(|r| encode::Instance {
            dst: [r.x as f32, r.y as f32, r.w as f32, r.h as f32],
            uv_offset: [0.0; 2],
            uv_axes: [0.0; 4],
            alpha: 1.0,
        })
        .collect();
    if p.mapped {
        let mapped = encode.mapped.as_ref().expect("built by the plan");
        let variant = mapped.variant(transfer_variant!(encode_mapped, p.transfer));
        pass.draw(&variant, &push, set, &instances)
    } else {
        let variant = encode.plain.variant(transfer_variant!(encode, p.transfer));
        pass.draw(&variant, &push, set, &instances)
    }
}

pub(super) fn decode_push(
    target_size: [f32; 2],
    params: &DecodeParams,
    mask: super::rounded::Mask,
) -> texture_decode::Push {
    texture_decode::Push {
        target_size,
        padding: [0.0; 2],
        to_output_0: params.to_output[0],
        to_output_1: params.to_output[1],
        to_output_2: params.to_output[2],
        transfer_params: params.transfer_params,
        clip: mask.clip,
        radii: mask.radii,
    }
}

/// The YCbCr decode's push constants: texture_decode.frag declares the WGSL shader's
/// members but the mask, which YUV draws do not take.
fn ycbcr_push(push: texture_decode::Push) -> texture_ycbcr_decode::Push {
    texture_ycbcr_decode::Push {
        target_size: push.target_size,
        padding: push.padding,
        to_output_0: push.to_output_0,
        to_output_1: push.to_output_1,
        to_output_2: push.to_output_2,
        transfer_params: push.transfer_params,
    }
}

/// The rounded decode's push constants: the same shader's block as `texture_decode`'s
/// (the codegen types them apart because the variants' modules differ), so the same bytes.
fn rounded_push(push: texture_decode::Push) -> texture_decode_rounded::Push {
    bytemuck::cast(push)
}

/// Draws a rounded texture op: decoded into the linear path's pass by `plan`, or (no
/// plan) as stored into the target, through the identity decode (`Linear`, no matrix).
pub(super) fn draw_rounded(
    pass: &mut PassRecorder<'_, passes::Output>,
    drawing: &Drawing,
    plan: Option<&LinearPlan<'_>>,
    op: &super::rounded::RoundedOp<'_>,
) -> Result<()> {
    let (params, format) = match plan {
        Some(plan) => (*plan.decode_of(&op.texture)?, plan.pass_format),
        None => (DecodeParams::identity(), pass.format()),
    };
    let rounded = drawing.rounded_pipeline(format);
    let push = rounded_push(decode_push(pass.target_size(), &params, op.mask));
    let set = sets::TextureAndSampler {
        tex: &op.texture,
        samp: drawing.sampler(op.filter),
    };
    let instances: &[texture_decode_rounded::Instance] = bytemuck::cast_slice(&op.instances);
    let variant = rounded.variant(transfer_variant!(texture_decode_rounded, params.transfer));
    pass.draw(&variant, &push, set, instances)
}

/// A capture on the linear path: `region` of the blend buffer blitted into `into`
/// (the blit converts the float light into the capture's format).
fn record_capture(recorder: &mut Recorder, blend: &Texture, region: Rect, into: &Texture) {
    recorder.transition(blend, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
    recorder.transition(into, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
    let layers = crate::resources::texture::color_layers();
    let corner = |x: i32, y: i32| vk::Offset3D { x, y, z: 0 };
    let blit = vk::ImageBlit {
        src_subresource: layers,
        src_offsets: [
            corner(region.x, region.y),
            vk::Offset3D {
                x: region.right(),
                y: region.bottom(),
                z: 1,
            },
        ],
        dst_subresource: layers,
        dst_offsets: [
            corner(0, 0),
            vk::Offset3D {
                x: region.w,
                y: region.h,
                z: 1,
            },
        ],
    };
    // SAFETY: both images are in the transfer layouts recorded just above; the region lies
    // inside the blend buffer (the target's size, checked by `Frame::capture`) and `into`
    // has its size; float sources and colour-attachment formats support blits.
    unsafe {
        recorder.device().raw().cmd_blit_image(
            recorder.command_buffer(),
            blend.image(),
            vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
            into.image(),
            vk::ImageLayout::TRANSFER_DST_OPTIMAL,
            &[blit],
            vk::Filter::NEAREST,
        )
    };
    recorder.transition(into, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
}
