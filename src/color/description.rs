//! A colour description: everything needed to turn a surface's or an output's pixel
//! values into light and back, the `wp_image_description_v1` of a parametric creator.
//!
//! # Linear light and luminance
//!
//! [`ColorDescription::decode`] gives display-linear RGB on the description's own scale,
//! and [`ColorDescription::to_nits_scale`] says how many cd/m² 1.0 on that scale is:
//!
//! - `Pq`: absolute, 1.0 = 10 000 cd/m² (the luminances' min and max are ST 2084's).
//! - `Hlg`: the OOTF's output for a display of peak `luminances.max`, 1.0 = that peak
//!   (1000 cd/m² by default, where reference white, HLG signal 0.75, is 203 cd/m²).
//! - every other function: 1.0 = `luminances.max`, the top of the primary colour volume
//!   (for scRGB 80 cd/m²). With the default luminances that is also reference white,
//!   but a client may put reference white below the maximum (or above it).
//!
//! [`linear_scale`] then anchors two descriptions at reference white, as the protocol
//! asks of compositors: content at its `reference` luminance lands on the output's.
//! It is a pure gain; black levels are left to tone mapping.

use super::bt1886::Bt1886;
use super::error::ColorError;
use super::hdr_metadata::{ContentLightLevels, MasteringDisplay};
use super::hlg::HlgOotf;
use super::luminance::Luminances;
use super::pq::PQ_PEAK_NITS;
use super::primaries::Primaries;
use super::transfer::TransferFunction;

/// How a surface's or an output's pixels encode colour: transfer function, primaries,
/// luminances, and optional HDR metadata. Build one with [`ColorDescription::new`] or a
/// named constructor; the default is sRGB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColorDescription {
    pub transfer: TransferFunction,
    pub primaries: Primaries,
    pub luminances: Luminances,
    pub mastering: Option<MasteringDisplay>,
    pub content_light: Option<ContentLightLevels>,
}

impl ColorDescription {
    /// A validated description. For `Pq` the luminances' `min` and `max` are replaced by
    /// ST 2084's 0 and 10 000 cd/m², as `set_luminances` says they are ignored there (a
    /// PQ display's own range belongs in `mastering`); `reference` is kept.
    pub fn new(
        transfer: TransferFunction,
        primaries: Primaries,
        luminances: Luminances,
        mastering: Option<MasteringDisplay>,
        content_light: Option<ContentLightLevels>,
    ) -> Result<ColorDescription, ColorError> {
        let luminances = match transfer {
            TransferFunction::Pq => Luminances {
                reference: luminances.reference,
                ..Luminances::PQ
            },
            _ => luminances,
        };
        let description = ColorDescription {
            transfer,
            primaries,
            luminances,
            mastering,
            content_light,
        };
        description.validate()?;
        Ok(description)
    }

    const fn named(transfer: TransferFunction, primaries: Primaries) -> ColorDescription {
        ColorDescription {
            transfer,
            primaries,
            luminances: transfer.default_luminances(),
            mastering: None,
            content_light: None,
        }
    }

    /// sRGB: the sRGB curve, BT.709 primaries, 0.2 to 80 cd/m² with white at 80.
    pub const fn srgb() -> ColorDescription {
        ColorDescription::named(TransferFunction::Srgb, Primaries::BT709)
    }

    /// BT.2100 PQ: BT.2020 primaries, 0 to 10 000 cd/m², reference white 203 cd/m².
    pub const fn bt2020_pq() -> ColorDescription {
        ColorDescription::named(TransferFunction::Pq, Primaries::BT2020)
    }

    /// BT.2100 HLG: BT.2020 primaries, a 1000 cd/m² display, reference white 203 cd/m².
    pub const fn bt2020_hlg() -> ColorDescription {
        ColorDescription::named(TransferFunction::Hlg, Primaries::BT2020)
    }

    /// scRGB: extended linear BT.709, 1.0 = 80 cd/m² (see [`Luminances::SCRGB`]).
    pub const fn scrgb() -> ColorDescription {
        ColorDescription {
            luminances: Luminances::SCRGB,
            ..ColorDescription::named(TransferFunction::ExtendedLinear, Primaries::BT709)
        }
    }

    /// Display P3: the sRGB curve on Display P3 (D65) primaries, the default luminances.
    pub const fn display_p3() -> ColorDescription {
        ColorDescription::named(TransferFunction::Srgb, Primaries::DISPLAY_P3)
    }

    /// BT.709 video on a BT.1886 display of the default luminances.
    pub const fn bt709_bt1886() -> ColorDescription {
        ColorDescription::named(TransferFunction::Bt1886, Primaries::BT709)
    }

    /// Checks the primaries, the luminances, the mastering display, and the content
    /// light levels against the target volume's luminance range.
    pub fn validate(&self) -> Result<(), ColorError> {
        self.primaries.validate()?;
        self.luminances.validate()?;
        if let Some(mastering) = &self.mastering {
            mastering.validate()?;
        }
        if let Some(levels) = &self.content_light {
            let (min, max) = self.target_luminance_range();
            levels.validate(min, max)?;
        }
        Ok(())
    }

    /// The target colour volume's luminance range in cd/m²: the mastering display's if
    /// there is one, else the primary volume's (as the protocol assumes).
    pub fn target_luminance_range(&self) -> (f64, f64) {
        match &self.mastering {
            Some(m) => (m.min_luminance, m.max_luminance),
            None => (self.luminances.min, self.luminances.max),
        }
    }

    /// The target colour volume's primaries: the mastering display's if there is one,
    /// else the encoding's own.
    pub fn target_primaries(&self) -> Primaries {
        self.mastering.map_or(self.primaries, |m| m.primaries)
    }

    /// The brightest light the content is expected to hold, in cd/m²: MaxCLL when
    /// known, else the target volume's maximum. The source peak for tone mapping.
    pub fn content_peak_nits(&self) -> f64 {
        match self.content_light {
            Some(levels) if levels.max_cll > 0.0 => levels.max_cll,
            _ => self.target_luminance_range().1,
        }
    }

    /// Whether pixels in `self` mean the same light as the same pixels in `other`, so a
    /// draw from one into the other needs no conversion: the same transfer function and
    /// primaries, and the same luminances where the decoding or the reference-white
    /// anchoring use them (`reference` for PQ; `max` and `reference` otherwise, and
    /// `min` too for BT.1886's black lift). HDR metadata only steers tone mapping, so it
    /// is not compared. Conservative: equal values, not equal ratios.
    pub fn same_encoding(&self, other: &ColorDescription) -> bool {
        if self.transfer != other.transfer || self.primaries != other.primaries {
            return false;
        }
        let (a, b) = (&self.luminances, &other.luminances);
        match self.transfer {
            TransferFunction::Pq => a.reference == b.reference,
            TransferFunction::Bt1886 => a == b,
            _ => a.max == b.max && a.reference == b.reference,
        }
    }

    /// One channel's EOTF on this description's scale: like
    /// [`TransferFunction::to_linear`], with BT.1886 using this description's `min` and
    /// `max` as the display's black and white. For HLG this is scene light; use
    /// [`ColorDescription::decode`] for display light.
    pub fn to_linear(&self, encoded: f64) -> f64 {
        match self.transfer {
            TransferFunction::Bt1886 => {
                Bt1886::from_luminances(&self.luminances).to_linear(encoded)
            }
            transfer => transfer.to_linear(encoded),
        }
    }

    /// The inverse of [`ColorDescription::to_linear`].
    pub fn from_linear(&self, linear: f64) -> f64 {
        match self.transfer {
            TransferFunction::Bt1886 => {
                Bt1886::from_luminances(&self.luminances).from_linear(linear)
            }
            transfer => transfer.from_linear(linear),
        }
    }

    /// Encoded RGB to display-linear RGB on this description's scale (see the module
    /// documentation). For HLG the OOTF for a display of peak `luminances.max` follows
    /// the inverse OETF. The description must be valid; an invalid HLG peak gives NaN.
    pub fn decode(&self, encoded: [f64; 3]) -> [f64; 3] {
        match self.transfer {
            TransferFunction::Hlg => match HlgOotf::new(self.luminances.max) {
                Ok(ootf) => ootf.signal_to_display(encoded),
                Err(_) => [f64::NAN; 3],
            },
            _ => encoded.map(|e| self.to_linear(e)),
        }
    }

    /// Display-linear RGB on this description's scale to encoded RGB: the inverse of
    /// [`ColorDescription::decode`].
    pub fn encode(&self, linear: [f64; 3]) -> [f64; 3] {
        match self.transfer {
            TransferFunction::Hlg => match HlgOotf::new(self.luminances.max) {
                Ok(ootf) => ootf.display_to_signal(linear),
                Err(_) => [f64::NAN; 3],
            },
            _ => linear.map(|l| self.from_linear(l)),
        }
    }

    /// How many cd/m² the value 1.0 of [`ColorDescription::decode`]'s output is:
    /// 10 000 for PQ, `luminances.max` for every other transfer function.
    pub fn to_nits_scale(&self) -> f64 {
        match self.transfer {
            TransferFunction::Pq => PQ_PEAK_NITS,
            _ => self.luminances.max,
        }
    }

    /// The reciprocal of [`ColorDescription::to_nits_scale`]: cd/m² to this
    /// description's linear scale.
    pub fn from_nits_scale(&self) -> f64 {
        1.0 / self.to_nits_scale()
    }

    /// A 64-bit digest of every field: equal descriptions have equal fingerprints, so a
    /// renderer can compare a texture's with its target's per draw without a lock (a
    /// difference still needs [`ColorDescription::same_encoding`]).
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        format!("{self:?}").hash(&mut hasher);
        hasher.finish()
    }

    /// Where reference white sits on this description's linear scale.
    pub fn reference_linear(&self) -> f64 {
        self.luminances.reference * self.from_nits_scale()
    }
}

impl Default for ColorDescription {
    fn default() -> ColorDescription {
        ColorDescription::srgb()
    }
}

/// The gain from `from`'s display-linear scale to `to`'s that puts `from`'s reference
/// white on `to`'s: `to.reference_linear() / from.reference_linear()`. Multiply decoded,
/// gamut-converted light by it before tone mapping and encoding for `to`. Exactly 1.0
/// when both descriptions put reference white at the same linear value.
pub fn linear_scale(from: &ColorDescription, to: &ColorDescription) -> f64 {
    let (from_reference, to_reference) = (from.reference_linear(), to.reference_linear());
    if from_reference == to_reference {
        return 1.0;
    }
    to_reference / from_reference
}
