//! Hybrid log-gamma (ITU-R BT.2100 HLG, ARIB STD-B67): a relative, scene-referred
//! encoding whose OETF is square-root below and logarithmic above, and whose OOTF maps
//! scene light to a display of a given peak with a system gamma that depends on it.

use super::error::ColorError;

// BT.2100's HLG constants: `a` is chosen so that the two halves of the OETF meet with a
// continuous slope at E = 1/12 (signal 0.5).
const A: f64 = 0.178_832_77;
const B: f64 = 1.0 - 4.0 * A;
/// `c = 0.5 − a·ln(4a)`, computed rather than rounded so the halves meet exactly.
fn c() -> f64 {
    0.5 - A * (4.0 * A).ln()
}

/// BT.2100's luminance weights for HLG's OOTF: the BT.2020 primaries' `Y` row.
pub const HLG_LUMINANCE_WEIGHTS: [f64; 3] = [0.2627, 0.6780, 0.0593];

/// The HLG OETF: scene-linear light `E` in `[0, 1]` to signal `E'` in `[0, 1]`.
/// Inputs outside `[0, 1]` are clamped.
pub fn hlg_oetf(scene: f64) -> f64 {
    let e = scene.clamp(0.0, 1.0);
    if e <= 1.0 / 12.0 {
        (3.0 * e).sqrt()
    } else {
        A * (12.0 * e - B).ln() + c()
    }
}

/// The inverse HLG OETF: signal `E'` in `[0, 1]` to scene-linear light in `[0, 1]`.
/// Signals outside `[0, 1]` are clamped.
pub fn hlg_inverse_oetf(encoded: f64) -> f64 {
    let e = encoded.clamp(0.0, 1.0);
    if e <= 0.5 {
        e * e / 3.0
    } else {
        (((e - c()) / A).exp() + B) / 12.0
    }
}

/// The HLG system gamma for a display of peak luminance `peak_nits`:
/// `γ = 1.2 + 0.42·log10(Lw / 1000)` (BT.2100 Table 5 note). BT.2100 states it for peaks
/// of 400 to 2000 cd/m²; it is applied as is outside that range. NaN for a peak that is
/// not positive; [`HlgOotf::new`] refuses such peaks.
pub fn hlg_system_gamma(peak_nits: f64) -> f64 {
    1.2 + 0.42 * (peak_nits / 1000.0).log10()
}

/// The HLG OOTF for one display peak: `F_D = Y_S^(γ−1) · E` on each channel, with `Y_S`
/// the scene luminance. Display light is relative to the peak (1.0 = `peak_nits`); the
/// black-level lift of BT.2100's HLG EOTF is not applied (a zero black level).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HlgOotf {
    peak_nits: f64,
    gamma: f64,
}

impl HlgOotf {
    /// The OOTF for a display whose peak is `peak_nits` cd/m². A peak that is not finite
    /// is [`ColorError::NotFinite`]; one at or below zero is
    /// [`ColorError::LuminanceOrder`] with a minimum of 0.
    pub fn new(peak_nits: f64) -> Result<HlgOotf, ColorError> {
        if !peak_nits.is_finite() {
            return Err(ColorError::NotFinite {
                what: "HLG display peak",
            });
        }
        if peak_nits <= 0.0 {
            return Err(ColorError::LuminanceOrder {
                min: 0.0,
                max: peak_nits,
            });
        }
        Ok(HlgOotf {
            peak_nits,
            gamma: hlg_system_gamma(peak_nits),
        })
    }

    /// The display peak this OOTF maps to, in cd/m².
    pub fn peak_nits(&self) -> f64 {
        self.peak_nits
    }

    /// The system gamma `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Scene-linear RGB (the inverse OETF's output) to display-linear RGB relative to
    /// the peak.
    pub fn scene_to_display(&self, scene: [f64; 3]) -> [f64; 3] {
        let ys = luminance(scene);
        if ys <= 0.0 {
            return [0.0; 3];
        }
        let gain = ys.powf(self.gamma - 1.0);
        scene.map(|e| e * gain)
    }

    /// Display-linear RGB relative to the peak back to scene-linear RGB: the display
    /// luminance is `Y_D = Y_S^γ`, so the gain to undo is `Y_D^((γ−1)/γ)`.
    pub fn display_to_scene(&self, display: [f64; 3]) -> [f64; 3] {
        let yd = luminance(display);
        if yd <= 0.0 {
            return [0.0; 3];
        }
        let gain = yd.powf((1.0 - self.gamma) / self.gamma);
        display.map(|f| f * gain)
    }

    /// An HLG signal triple to display-linear RGB relative to the peak: the inverse OETF
    /// on each channel, then the OOTF.
    pub fn signal_to_display(&self, signal: [f64; 3]) -> [f64; 3] {
        self.scene_to_display(signal.map(hlg_inverse_oetf))
    }

    /// Display-linear RGB relative to the peak to an HLG signal triple: the inverse
    /// OOTF, then the OETF on each channel (which clamps to the signal range).
    pub fn display_to_signal(&self, display: [f64; 3]) -> [f64; 3] {
        self.display_to_scene(display).map(hlg_oetf)
    }
}

fn luminance(rgb: [f64; 3]) -> f64 {
    let w = HLG_LUMINANCE_WEIGHTS;
    w[0] * rgb[0] + w[1] * rgb[1] + w[2] * rgb[2]
}
