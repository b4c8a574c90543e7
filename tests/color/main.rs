//! The colour math (`vkcompose::color`) against the standards' formulas, written out again
//! in `reference`, and against Little CMS: transfer functions, primaries conversions,
//! descriptions and their validation, tone and gamut mapping, 3D LUTs. CPU only: the
//! shaders that use these numbers are tested against them elsewhere.

mod description;
mod lut;
mod matrix;
mod primaries;
mod reference;
mod tonemap;
mod transfer;
