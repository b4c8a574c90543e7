//! Colour math: transfer functions, primaries and the matrices between them, luminance
//! ranges, tone and gamut mapping, and 3D LUTs, all as plain `f64` arithmetic.
//!
//! This is the bottom of the crate beside `geometry`: nothing here
//! touches Vulkan. Textures and targets carry a [`ColorDescription`] saying how their
//! pixels encode light; the render layer turns a pair of them into the conversion a draw
//! needs, and the shaders receive it as uniforms and specialization constants built
//! here: [`Mat3::to_f32_columns`] for the gamut matrix,
//! [`TransferFunction::spec_constant`] and [`GamutMapping::spec_constant`] for the curves,
//! [`linear_scale`] for the reference-white anchoring, [`Eetf::shader_params`] for tone
//! mapping and [`Lut3d::data`] for a 3D texture. The CPU functions are the references the
//! shaders are tested against.
//!
//! Conventions: matrices are row-major and act on column vectors; linear light is on
//! each description's own scale, which [`ColorDescription::to_nits_scale`] converts to
//! cd/m² (see [`description`] and [`transfer`]).

pub mod adaptation;
pub mod bt1886;
pub mod conversion;
pub mod description;
pub mod error;
pub mod gamut_mapping;
pub mod hdr_metadata;
pub mod hlg;
pub mod luminance;
pub mod lut;
pub mod matrix;
pub mod pq;
pub mod primaries;
pub mod shader_params;
pub mod tonemap;
pub mod transfer;

pub use adaptation::{bradford, BRADFORD_CONE_RESPONSE};
pub use bt1886::Bt1886;
pub use conversion::conversion;
pub use description::{linear_scale, ColorDescription};
pub use error::ColorError;
pub use gamut_mapping::{clip, compress, GamutMapping, COMPRESSION_THRESHOLD};
pub use hdr_metadata::{ContentLightLevels, MasteringDisplay};
pub use hlg::{hlg_inverse_oetf, hlg_oetf, hlg_system_gamma, HlgOotf, HLG_LUMINANCE_WEIGHTS};
pub use luminance::Luminances;
pub use lut::{Lut3d, LUT_SIZES};
pub use matrix::Mat3;
pub use pq::{pq_eotf, pq_from_nits, pq_inverse_eotf, pq_to_nits, PQ_PEAK_NITS};
pub use primaries::{Chromaticity, Primaries};
pub use shader_params::{
    convert_premultiplied, DecodeParams, EncodeOptions, EncodeParams, PQ_BLEND_GAIN,
};
pub use tonemap::{Eetf, EetfParams};
pub use transfer::TransferFunction;
