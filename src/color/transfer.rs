//! The transfer functions a surface's or an output's pixels can be encoded with, and
//! their curves in both directions.
//!
//! # Linear light
//!
//! [`TransferFunction::to_linear`] returns light on each function's own scale:
//!
//! | function | encoded | linear |
//! | --- | --- | --- |
//! | `Srgb`, `Gamma22`, `Gamma24`, `Linear` | `[0, 1]` | `[0, 1]`, 1.0 = the display's white |
//! | `Bt1886` | `[0, 1]` | `[Lb/Lw, 1]`, 1.0 = the display's white `Lw` |
//! | `Pq` | `[0, 1]` | `[0, 1]`, **absolute**: 1.0 = 10 000 cd/m² |
//! | `Hlg` | `[0, 1]` | `[0, 1]` *scene* light (the inverse OETF; the OOTF needs RGB) |
//! | `ExtendedLinear` | any | the same value; 1.0 = 80 cd/m² for scRGB |
//!
//! Every function but `ExtendedLinear` clamps its input to its nominal range, as
//! `wp_color_management_v1` recommends for out-of-range values. NaN stays NaN.
//!
//! How a description's luminances turn these into cd/m² is
//! [`ColorDescription::to_nits_scale`](super::description::ColorDescription::to_nits_scale).

use super::bt1886::Bt1886;
use super::hlg::{hlg_inverse_oetf, hlg_oetf};
use super::luminance::Luminances;
use super::pq::{pq_eotf, pq_inverse_eotf};

/// A transfer function: how encoded pixel values relate to linear light.
///
/// The declaration order is the numbering of [`TransferFunction::spec_constant`]; new
/// variants go at the end so that compiled shaders keep their meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TransferFunction {
    /// IEC 61966-2-1 sRGB: a linear toe below 0.04045 and a 2.4 power with offset above.
    #[default]
    Srgb,
    /// A pure 2.2 power (BT.470 System M; `wp_color_manager_v1` `gamma22`).
    Gamma22,
    /// ITU-R BT.1886: a 2.4 power lifted to the display's black level. The display's
    /// white and black come from the description's luminances (`max`, `min`);
    /// [`TransferFunction::to_linear`] alone assumes the display `bt1886` implies in the
    /// protocol (BT.2035's, 0.01 to 100 cd/m²).
    Bt1886,
    /// A pure 2.4 power: BT.1886 on a display with a zero black level.
    Gamma24,
    /// SMPTE ST 2084 perceptual quantizer, absolute: 1.0 = 10 000 cd/m².
    Pq,
    /// BT.2100 hybrid log-gamma; per channel only the OETF and its inverse.
    Hlg,
    /// Linear light in `[0, 1]` (H.273 transfer characteristics 8).
    Linear,
    /// Linear light over all real numbers (`ext_linear`; scRGB uses it with
    /// 1.0 = 80 cd/m², negative values and values above 1 reaching outside sRGB).
    ExtendedLinear,
}

impl TransferFunction {
    /// The luminances a named transfer function implies when the client sets none
    /// (the `transfer_function` enum's and `set_luminances`' descriptions):
    /// [`Luminances::PQ`] for `Pq`, [`Luminances::HLG`] for `Hlg`, [`Luminances::BT1886`]
    /// for `Bt1886`, and [`Luminances::DEFAULT`] for the rest. The protocol gives `ext_linear` no defaults
    /// of its own, so `ExtendedLinear` gets the general ones too; the scRGB description
    /// uses [`Luminances::SCRGB`] instead.
    pub const fn default_luminances(self) -> Luminances {
        match self {
            TransferFunction::Pq => Luminances::PQ,
            TransferFunction::Hlg => Luminances::HLG,
            TransferFunction::Bt1886 => Luminances::BT1886,
            _ => Luminances::DEFAULT,
        }
    }

    /// Every transfer function, in [`TransferFunction::spec_constant`] order.
    pub const ALL: [TransferFunction; 8] = [
        TransferFunction::Srgb,
        TransferFunction::Gamma22,
        TransferFunction::Bt1886,
        TransferFunction::Gamma24,
        TransferFunction::Pq,
        TransferFunction::Hlg,
        TransferFunction::Linear,
        TransferFunction::ExtendedLinear,
    ];

    /// A small stable number for a shader specialization constant that selects the
    /// curve: `Srgb` 0, `Gamma22` 1, `Bt1886` 2, `Gamma24` 3, `Pq` 4, `Hlg` 5,
    /// `Linear` 6, `ExtendedLinear` 7. The numbers never change; shaders switch on them.
    pub const fn spec_constant(self) -> u32 {
        self as u32
    }

    /// The transfer function with the given [`TransferFunction::spec_constant`].
    pub const fn from_spec_constant(value: u32) -> Option<TransferFunction> {
        if (value as usize) < TransferFunction::ALL.len() {
            Some(TransferFunction::ALL[value as usize])
        } else {
            None
        }
    }

    /// The EOTF (for `Hlg` the inverse OETF): an encoded value to linear light on this
    /// function's scale (see the module's table). `Bt1886` assumes the default display
    /// of [`Luminances::BT1886`]; use
    /// [`ColorDescription::to_linear`](super::description::ColorDescription::to_linear)
    /// for a described display.
    pub fn to_linear(self, encoded: f64) -> f64 {
        let nominal = encoded.clamp(0.0, 1.0);
        match self {
            TransferFunction::Srgb => srgb_to_linear(nominal),
            TransferFunction::Gamma22 => nominal.powf(2.2),
            TransferFunction::Bt1886 => default_bt1886().to_linear(nominal),
            TransferFunction::Gamma24 => nominal.powf(2.4),
            TransferFunction::Pq => pq_eotf(nominal),
            TransferFunction::Hlg => hlg_inverse_oetf(nominal),
            TransferFunction::Linear => nominal,
            TransferFunction::ExtendedLinear => encoded,
        }
    }

    /// The inverse of [`TransferFunction::to_linear`]: linear light on this function's
    /// scale to an encoded value (for `Hlg` the OETF).
    pub fn from_linear(self, linear: f64) -> f64 {
        let nominal = linear.clamp(0.0, 1.0);
        match self {
            TransferFunction::Srgb => srgb_from_linear(nominal),
            TransferFunction::Gamma22 => nominal.powf(1.0 / 2.2),
            TransferFunction::Bt1886 => default_bt1886().from_linear(nominal),
            TransferFunction::Gamma24 => nominal.powf(1.0 / 2.4),
            TransferFunction::Pq => pq_inverse_eotf(nominal),
            TransferFunction::Hlg => hlg_oetf(nominal),
            TransferFunction::Linear => nominal,
            TransferFunction::ExtendedLinear => linear,
        }
    }

    /// Whether encoded values outside `[0, 1]` are meaningful (only `ExtendedLinear`),
    /// so that a target needs a floating-point format to hold them.
    pub const fn is_extended(self) -> bool {
        matches!(self, TransferFunction::ExtendedLinear)
    }

    /// Whether linear light is absolute (only `Pq`, whose 1.0 is 10 000 cd/m²) rather
    /// than relative to the display's white.
    pub const fn is_absolute(self) -> bool {
        matches!(self, TransferFunction::Pq)
    }
}

fn default_bt1886() -> Bt1886 {
    Bt1886::from_luminances(&Luminances::BT1886)
}

/// IEC 61966-2-1's decoding: linear below the 0.04045 threshold, where a pure power
/// would have an infinite slope at zero.
fn srgb_to_linear(encoded: f64) -> f64 {
    if encoded <= 0.04045 {
        encoded / 12.92
    } else {
        ((encoded + 0.055) / 1.055).powf(2.4)
    }
}

/// IEC 61966-2-1's encoding, the inverse of [`srgb_to_linear`].
fn srgb_from_linear(linear: f64) -> f64 {
    if linear <= 0.003_130_8 {
        linear * 12.92
    } else {
        1.055 * linear.powf(1.0 / 2.4) - 0.055
    }
}
