//! # vkcompose
//!
//! A Vulkan renderer for Wayland compositors whose shaders are compiled, validated and
//! reflected at build time: `pipelines.ron` and `shaders/` become the typed modules in
//! [`shaders`], and a draw that misuses a pipeline does not compile.
//!
//! ```no_run
//! use vkcompose::shaders::{passes, sets, solid, texture, Pipelines};
//! # fn main() -> Result<(), vkcompose::Error> {
//! let instance = vkcompose::Instance::new(&Default::default())?;
//! let device = vkcompose::Device::new(&instance)?;
//! let format = vkcompose::vk::Format::R8G8B8A8_UNORM;
//! let pass = vkcompose::RenderPass::<passes::Output>::new(&device, format)?;
//! let pipelines = Pipelines::new(&device, &pass, vkcompose::vk::PipelineCache::null())?;
//! # Ok(()) }
//! ```

pub mod color;
mod core;
pub mod dmabuf;
mod drm_types;
mod error;
pub mod geometry;
mod gpu;
pub mod pipelines;
#[cfg(feature = "winit")]
mod present;
mod render;
mod resources;
#[cfg(feature = "smithay")]
pub mod smithay;

pub use crate::core::{drm, sync};
pub use crate::resources::format;

pub use crate::core::allocator::{AllocatorStats, HeapBudget};
pub use crate::core::barrier::{layout_use, record_image_barriers, ImageBarrier};
pub use crate::core::capabilities::{
    Capabilities, DmabufImport, DrmMatching, PathReport, ShmUpload,
};
pub use crate::core::device::{AdoptedDevice, Device, DeviceBuilder};
pub use crate::core::instance::{Instance, InstanceOptions, MessageLog};
pub use crate::core::layer_quirks::ValidationReport;
pub use crate::core::memory::{Allocation, DedicatedMemory, DedicatedTo, MemoryUse};
pub use crate::core::physical::{
    DeviceType, Driver, ExternalSupport, Features, GraphicsFamily, HandleSupport, Limits,
    MemoryHeap, PhysicalDevice, PhysicalDeviceInfo, QueueFamily, Version,
};
pub use crate::core::queue::Queue;
pub use crate::core::select::{select_device, uuid_text, DeviceSelector, DEVICE_ENV};
pub use crate::core::submit::{SemaphorePoint, Submission};
pub use crate::gpu::shm_layout::{ShmCopy, ShmLayout};
pub use crate::gpu::upload::ShmPool;
pub use crate::pipelines::recorder::{texel_size, Finished, PassRecorder, ReadbackId, Recorder};
pub use crate::pipelines::render_pass::RenderPass;
#[cfg(feature = "winit")]
pub use crate::present::surface::{surface_extensions, Surface};
#[cfg(feature = "winit")]
pub use crate::present::swapchain::{PresentFrame, PresentMode, Swapchain, SwapchainOptions};
pub use crate::render::frame::{
    Blur, Frame, Offscreen, PassInfo, PassTexture, SyncPoint, TextureDraw, MAX_BLUR_PASSES,
};
pub use crate::render::readback::Readback;
pub use crate::render::renderer::{Renderer, RendererOptions};
pub use crate::resources::buffer::Buffer;
pub use crate::resources::sampler::{
    Filter, Sampler, YcbcrConversion, YcbcrModel, YcbcrOptions, YcbcrRange,
};
pub use crate::resources::texture::{Texture, TextureDesc};
pub use ash;
pub use ash::vk;
pub use error::{Error, Result};

/// vkcompose's own pipelines, generated from `shaders/` and `pipelines.ron` by
/// vkcompose-codegen and shipped with the crate (`scripts/regenerate-shaders` writes them;
/// CI checks they equal a fresh generation).
pub mod shaders {
    include!("pipelines/generated/shipped/pipelines.rs");
}

/// Pipelines from `tests/pipelines.ron`, used by vkcompose's own tests (a uniform-buffer
/// binding, a second render-pass kind). Not part of the API.
#[doc(hidden)]
pub mod test_shaders {
    include!("pipelines/generated/tests/pipelines.rs");
}
