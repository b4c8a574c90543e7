//! The numbers the linear path's shaders take (push constants), computed from colour
//! descriptions: [`DecodeParams`] for a draw of one source into the blend buffer,
//! [`EncodeParams`] for the pass that encodes the blend buffer into the target.
//!
//! The blend buffer holds premultiplied light in the output's primaries on the output's
//! own linear scale (what the output's EOTF would give: 1.0 is its white, or 10 000
//! cd/m² for PQ), times a gain ([`PQ_BLEND_GAIN`] for PQ outputs in half floats, else 1),
//! so encoding is the gain divided out, then the inverse EOTF after tone and gamut mapping.

use super::bt1886::Bt1886;
use super::conversion::conversion;
use super::description::{linear_scale, ColorDescription};
use super::error::ColorError;
use super::gamut_mapping::GamutMapping;
use super::hlg::hlg_system_gamma;
use super::matrix::Mat3;
use super::tonemap::Eetf;
use super::transfer::TransferFunction;

/// The blend buffer's units per unit of a PQ output's linear scale, when it holds half
/// floats: on PQ's own scale (1.0 = 10 000 cd/m²) its darkest 10-bit levels (4e-5 cd/m²
/// and up) are half floats' subnormals, which drivers may flush to zero; 2^14 lifts every
/// level into the normal range (exactly: a power of two) and leaves 10 000 cd/m² at
/// 16 384, a quarter of the largest half float. Every 10-bit PQ level then round-trips.
pub const PQ_BLEND_GAIN: f64 = 16384.0;

/// A source's draw into the blend buffer: its transfer function (the shader variant),
/// the matrix from its linear light to the output's (gamut conversion with white-point
/// adaptation, and the reference-white scale), and its transfer function's parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecodeParams {
    pub transfer: TransferFunction,
    /// The matrix's columns, std140-padded.
    pub to_output: [[f32; 4]; 3],
    pub transfer_params: [f32; 4],
}

impl DecodeParams {
    /// No conversion: texels as stored (a draw through the decoding shader into a target
    /// of the texture's own description).
    pub fn identity() -> DecodeParams {
        DecodeParams {
            transfer: TransferFunction::Linear,
            to_output: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 1.0, 0.0],
            ],
            transfer_params: [0.0; 4],
        }
    }

    /// Whether decoding is sRGB's EOTF alone: the identity matrix (same primaries and
    /// luminance scale), what an sRGB view's hardware decoding does.
    pub fn is_plain_srgb(&self) -> bool {
        let identity = (0..3).all(|c| {
            (0..3).all(|r| (self.to_output[c][r] - f32::from(u8::from(c == r))).abs() < 1e-6)
        });
        self.transfer == TransferFunction::Srgb && identity
    }

    pub fn new(
        source: &ColorDescription,
        output: &ColorDescription,
    ) -> Result<DecodeParams, ColorError> {
        let gamut = conversion(&source.primaries, &output.primaries)?;
        let scale = linear_scale(source, output);
        let to_output = Mat3::diagonal([scale; 3]) * gamut;
        Ok(DecodeParams {
            transfer: source.transfer,
            to_output: to_output.to_f32_columns(),
            transfer_params: transfer_params(source),
        })
    }

    /// The same decoding into a blend buffer of `gain` units per unit of the output's
    /// linear scale.
    pub fn with_gain(mut self, gain: f64) -> DecodeParams {
        for column in &mut self.to_output {
            for value in &mut column[..3] {
                *value = (f64::from(*value) * gain) as f32;
            }
        }
        self
    }
}

/// What `decode_transfer` and `encode_transfer` (shaders/include/color.glsl) need besides
/// the function: BT.1886's `(a, b)` for the description's black and white in x and y,
/// HLG's system gamma for its peak in z.
pub fn transfer_params(description: &ColorDescription) -> [f32; 4] {
    match description.transfer {
        TransferFunction::Bt1886 => {
            let (a, b) = Bt1886::from_luminances(&description.luminances).coefficients();
            [a as f32, b as f32, 0.0, 0.0]
        }
        TransferFunction::Hlg => {
            let gamma = hlg_system_gamma(description.luminances.max);
            [0.0, 0.0, gamma as f32, 0.0]
        }
        _ => [0.0; 4],
    }
}

/// How the encode pass treats the blend buffer beyond the output's description.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncodeOptions {
    /// A colour transform applied first, to linear light in the output's primaries
    /// (night light, colour-blindness filters); `None` is the identity.
    pub ctm: Option<Mat3>,
    pub gamut_mapping: GamutMapping,
    /// Dither when the target holds fewer bits per channel than the blend buffer.
    pub dither: bool,
}

impl Default for EncodeOptions {
    fn default() -> EncodeOptions {
        EncodeOptions {
            ctm: None,
            gamut_mapping: GamutMapping::Clip,
            dither: true,
        }
    }
}

/// The encode pass's push constants but the target size, in the shader's order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncodeParams {
    pub transfer: TransferFunction,
    pub ctm: [[f32; 4]; 3],
    pub eetf: [[f32; 4]; 2],
    pub transfer_params: [f32; 4],
    pub mapping: [f32; 4],
    /// The reciprocal of the blend buffer's gain (see [`DecodeParams::with_gain`]).
    pub from_blend: f32,
    /// Whether the pass maps tone, compresses gamut or applies a LUT: the shader's variant
    /// with those stages (`MAPPED`), which plain encodings skip.
    pub mapped: bool,
}

impl EncodeParams {
    /// The encoding of light on `output`'s linear scale whose brightest is
    /// `content_peak_nits` (after the draws' reference-white scaling), into a target of
    /// `target_bits` per channel, with a LUT of `lut_size` (0: none), from a blend buffer
    /// of `blend_gain` units per unit of that scale.
    pub fn new(
        output: &ColorDescription,
        content_peak_nits: f64,
        options: &EncodeOptions,
        target_bits: u32,
        lut_size: u32,
        blend_gain: f64,
    ) -> Result<EncodeParams, ColorError> {
        let eetf = output_eetf(output, content_peak_nits)?;
        let [eetf0, mut eetf1] = eetf.shader_params().to_vec4s();
        eetf1[3] = output.to_nits_scale() as f32;
        let weights = output.primaries.luminance_weights()?;
        let mut transfer_params = transfer_params(output);
        transfer_params[3] = dither_amplitude(options.dither, target_bits) as f32;
        let ctm = options.ctm.unwrap_or(Mat3::IDENTITY);
        if !ctm.is_finite() {
            return Err(ColorError::NotFinite {
                what: "colour transform",
            });
        }
        Ok(EncodeParams {
            transfer: output.transfer,
            ctm: ctm.to_f32_columns(),
            eetf: [eetf0, eetf1],
            transfer_params,
            mapping: [
                options.gamut_mapping.spec_constant() as f32,
                lut_size as f32,
                weights[0] as f32,
                weights[1] as f32,
            ],
            from_blend: (1.0 / blend_gain) as f32,
            mapped: !eetf.is_pass_through()
                || options.gamut_mapping != GamutMapping::Clip
                || lut_size > 0,
        })
    }
}

/// Tone mapping from the content's range to the output's: BT.2390's EETF from black to
/// the content's peak onto black to the output's target peak, with the knee no lower than
/// the output's reference white (which then stays where the draws put it). A pass-through
/// when the content fits. Black is 0 on both sides: the blend buffer's zero is the
/// output's black whatever its luminance, so there is no black level to lift.
pub fn output_eetf(output: &ColorDescription, content_peak_nits: f64) -> Result<Eetf, ColorError> {
    let (_, max) = output.target_luminance_range();
    let peak = content_peak_nits.max(max);
    let eetf = Eetf::new(0.0, peak, 0.0, max)?;
    Ok(eetf.with_knee_at_least(output.luminances.reference))
}

/// Ordered dither of a quarter step either way, in encoded units: enough to break up
/// the bands of smooth gradients, and too little to move a value that lies on a level
/// (content of the target's own depth passes unchanged). None for float targets
/// (`target_bits` 16 or more).
fn dither_amplitude(dither: bool, target_bits: u32) -> f64 {
    if !dither || target_bits >= 16 || target_bits == 0 {
        return 0.0;
    }
    0.5 / f64::from((1u32 << target_bits) - 1)
}

/// A premultiplied colour encoded for `from` re-encoded for `to` (the same light, with
/// reference white on reference white): what a solid colour given in sRGB (as Smithay's
/// are) becomes for an HDR target. Identical descriptions return it unchanged.
pub fn convert_premultiplied(
    from: &ColorDescription,
    to: &ColorDescription,
    color: [f32; 4],
) -> Result<[f32; 4], ColorError> {
    if from.same_encoding(to) {
        return Ok(color);
    }
    let a = f64::from(color[3]);
    if a <= 0.0 {
        return Ok([0.0; 4]);
    }
    let encoded = [color[0], color[1], color[2]].map(|c| f64::from(c) / a);
    let gamut = conversion(&from.primaries, &to.primaries)?;
    let scale = linear_scale(from, to);
    let linear = (Mat3::diagonal([scale; 3]) * gamut).apply(from.decode(encoded));
    let out = to.encode(linear);
    Ok([
        (out[0] * a) as f32,
        (out[1] * a) as f32,
        (out[2] * a) as f32,
        color[3],
    ])
}
