//! The pipelines layer: the runtime the generated code (`crate::shaders`) stands on. The
//! descriptions the generated modules fill in and the [`Pipeline`] trait they implement
//! (`runtime`), building layouts and pipelines from those descriptions (`build`), render
//! passes, the command recorder whose typed `draw` makes misuse a compile error, and the
//! pipelines of YUV textures, which are built per YCbCr conversion.
//!
//! It may use `resources`, `core` and the bottom modules. Generated code refers to this
//! module as `rt`.

pub(crate) mod build;
pub(crate) mod recorder;
pub(crate) mod render_pass;
mod runtime;
pub(crate) mod yuv;

pub use runtime::*;
