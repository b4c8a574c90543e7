//! Tone mapping with the EETF of Report ITU-R BT.2390 (section 5.4): content mastered
//! for one luminance range shown on a display with a smaller one. It works on PQ signal
//! values, where equal steps look equally large, normalised to the source's range.

use super::error::ColorError;
use super::luminance::check_finite;
use super::pq::{pq_from_nits, pq_to_nits};

/// BT.2390's EETF for one source range (the mastering display's or the content's black
/// and peak) and one target range (the output's), all in cd/m².
///
/// In the source's normalised PQ space `E1 = (PQ(L) − PQ(Lb)) / (PQ(Lw) − PQ(Lb))`:
/// values below the knee start `KS = 1.5·maxLum − 0.5` pass unchanged; above it a
/// Hermite spline bends them onto the target's normalised peak `maxLum`, which the
/// source's peak reaches exactly; then `E3 = E2 + minLum·(1 − E2)^4` lifts (or lowers)
/// black onto the target's. Source light outside the source range is clamped into it.
///
/// One addition to BT.2390: its black-level term is still positive at the knee's end,
/// so with a raised target black the source peak would land up to
/// `minLum·(1 − maxLum)^4` (in normalised PQ) above the target peak. `E3` is clamped to
/// `[minLum, maxLum]`, the target range, so the display is never asked for light it
/// lacks; the curve stays monotonic and elsewhere equals the report's.
///
/// When the target range contains the source range the EETF passes light through
/// exactly, unclamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eetf {
    source_black_pq: f64,
    source_range_pq: f64,
    knee_start: f64,
    knee_tangent: f64,
    max_lum: f64,
    min_lum: f64,
    pass_through: bool,
}

/// The EETF's parameters for a shader, in the order of two `vec4`s
/// (see [`EetfParams::to_vec4s`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EetfParams {
    /// `PQ(Lb)` of the source black.
    pub source_black_pq: f32,
    /// `PQ(Lw) − PQ(Lb)`: the source range in PQ.
    pub source_range_pq: f32,
    /// `KS`: the normalised value where the knee starts.
    pub knee_start: f32,
    /// The target's normalised peak, where the source peak lands and the upper clamp.
    pub max_lum: f32,
    /// The target's normalised black, `b` of the black-level term and the lower clamp.
    pub min_lum: f32,
    /// The spline's starting tangent over the knee, in units of the knee's width.
    pub knee_tangent: f32,
    /// 1.0 when the EETF is a pass-through and the shader should skip it, else 0.0.
    pub pass_through: f32,
}

impl EetfParams {
    /// `[source_black_pq, source_range_pq, knee_start, max_lum]` and
    /// `[min_lum, knee_tangent, pass_through, 0]`, for a std140 block.
    pub fn to_vec4s(&self) -> [[f32; 4]; 2] {
        [
            [
                self.source_black_pq,
                self.source_range_pq,
                self.knee_start,
                self.max_lum,
            ],
            [self.min_lum, self.knee_tangent, self.pass_through, 0.0],
        ]
    }
}

impl Eetf {
    /// The EETF from `source_min..source_max` to `target_min..target_max` cd/m². Each
    /// range must be finite with `0 <= min < max`.
    pub fn new(
        source_min: f64,
        source_max: f64,
        target_min: f64,
        target_max: f64,
    ) -> Result<Eetf, ColorError> {
        check_range(source_min, source_max)?;
        check_range(target_min, target_max)?;
        let black = pq_from_nits(source_min);
        let range = pq_from_nits(source_max) - black;
        let normalise = |nits: f64| (pq_from_nits(nits) - black) / range;
        let (min_lum, max_lum) = (normalise(target_min), normalise(target_max));
        let knee_start = (1.5 * max_lum - 0.5).max(0.0);
        Ok(Eetf {
            source_black_pq: black,
            source_range_pq: range,
            knee_start,
            knee_tangent: knee_tangent(knee_start, max_lum),
            max_lum,
            min_lum,
            pass_through: target_min <= source_min && target_max >= source_max,
        })
    }

    /// The same curve with its knee starting no lower than `nits` (cd/m², held at the
    /// target's peak at most): light up to there passes unchanged. The linear path keeps
    /// reference white below the knee this way, so that it stays on the output's
    /// reference white; on an output whose reference white is its peak (SDR) the light
    /// above it is then clipped rather than rolled off.
    pub fn with_knee_at_least(mut self, nits: f64) -> Eetf {
        if self.pass_through {
            return self;
        }
        let floor = ((pq_from_nits(nits) - self.source_black_pq) / self.source_range_pq)
            .clamp(0.0, self.max_lum);
        if floor > self.knee_start {
            self.knee_start = floor;
            self.knee_tangent = knee_tangent(floor, self.max_lum);
        }
        self
    }

    /// Whether the EETF leaves all light as it is (the target contains the source).
    pub fn is_pass_through(&self) -> bool {
        self.pass_through
    }

    /// Maps a PQ signal value (absolute) to the tone-mapped PQ signal value.
    pub fn apply_pq(&self, pq: f64) -> f64 {
        if self.pass_through {
            return pq;
        }
        let e1 = ((pq - self.source_black_pq) / self.source_range_pq).clamp(0.0, 1.0);
        let e2 = if e1 > self.knee_start {
            self.knee(e1)
        } else {
            e1
        };
        let lifted = e2 + self.min_lum * (1.0 - e2).powi(4);
        let e3 = lifted.clamp(self.min_lum, self.max_lum);
        e3 * self.source_range_pq + self.source_black_pq
    }

    /// Maps an absolute luminance in cd/m² to the tone-mapped luminance in cd/m².
    pub fn apply_nits(&self, nits: f64) -> f64 {
        if self.pass_through {
            return nits;
        }
        pq_to_nits(self.apply_pq(pq_from_nits(nits)))
    }

    /// The Hermite spline from `(KS, KS)` with the tangent [`knee_tangent`] to
    /// `(1, maxLum)` with a flat end.
    fn knee(&self, e1: f64) -> f64 {
        let width = 1.0 - self.knee_start;
        let t = (e1 - self.knee_start) / width;
        let (t2, t3) = (t * t, t * t * t);
        (2.0 * t3 - 3.0 * t2 + 1.0) * self.knee_start
            + (t3 - 2.0 * t2 + t) * self.knee_tangent
            + (-2.0 * t3 + 3.0 * t2) * self.max_lum
    }

    /// The parameters a shader needs to evaluate the same curve.
    pub fn shader_params(&self) -> EetfParams {
        EetfParams {
            source_black_pq: self.source_black_pq as f32,
            source_range_pq: self.source_range_pq as f32,
            knee_start: self.knee_start as f32,
            max_lum: self.max_lum as f32,
            min_lum: self.min_lum as f32,
            knee_tangent: self.knee_tangent as f32,
            pass_through: if self.pass_through { 1.0 } else { 0.0 },
        }
    }
}

/// BT.2390's tangent at the knee is `1 − KS` (slope 1, continuing the identity below).
/// When the target peak is so low that `KS` would be negative and is held at 0, that
/// tangent would overshoot `maxLum` and the curve would fall again; the tangent is then
/// capped at `3·(maxLum − KS)`, the largest that keeps a Hermite spline with a flat end
/// monotonic. In BT.2390's own range (`maxLum >= 1/3`) the two are equal.
fn knee_tangent(knee_start: f64, max_lum: f64) -> f64 {
    (1.0 - knee_start).min(3.0 * (max_lum - knee_start))
}

fn check_range(min: f64, max: f64) -> Result<(), ColorError> {
    check_finite(min, "tone mapping minimum luminance")?;
    check_finite(max, "tone mapping maximum luminance")?;
    if min < 0.0 {
        return Err(ColorError::NegativeLuminance {
            what: "tone mapping minimum",
            value: min,
        });
    }
    if max <= min {
        return Err(ColorError::LuminanceOrder { min, max });
    }
    Ok(())
}
