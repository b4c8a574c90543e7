//! The pipelines layer: the runtime the generated code (`crate::shaders`) stands on. The
//! descriptions the generated modules fill in and the [`Pipeline`] trait they implement
//! (`desc`), their Vulkan objects (`raw`), recording draws with them (`draw`), building layouts and pipelines from those descriptions (`build`), render
//! passes, the command recorder whose typed `draw` makes misuse a compile error, and the
//! pipelines of YUV textures, which are built per YCbCr conversion.
//!
//! It may use `resources`, `core` and the bottom modules. Generated code refers to this
//! module as `rt`.

pub(crate) mod build;
mod desc;
mod draw;
mod raw;
pub(crate) mod recorder;
pub(crate) mod render_pass;
pub(crate) mod yuv;

// What generated code names through `rt::`.
pub use ash::vk;
pub use bytemuck;
pub use desc::*;
pub use raw::{Pipeline, RawPipeline, VariantOf};
pub use recorder::PassRecorder;
pub use render_pass::RenderPass;

pub use crate::core::device::Device;
pub use crate::error::Error;
pub use crate::resources::buffer::Buffer;
pub use crate::resources::sampler::Sampler;
pub use crate::resources::texture::Texture;
