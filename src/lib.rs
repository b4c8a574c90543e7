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

mod barrier;
mod buffer;
mod capabilities;
mod device;
pub mod dmabuf;
pub mod drm;
mod error;
pub mod format;
mod frame;
pub mod geometry;
mod graveyard;
mod instance;
mod layer_quirks;
mod memory;
mod physical;
mod pipeline_build;
pub mod pipelines;
mod queue;
mod readback;
mod recorder;
mod render_pass;
mod renderer;
mod sampler;
mod select;
mod semaphore_pool;
mod shm;
#[cfg(feature = "smithay")]
pub mod smithay;
mod staging;
#[cfg(feature = "winit")]
mod surface;
#[cfg(feature = "winit")]
mod swapchain;
pub mod sync;
mod texture;
mod timing;
mod yuv;

pub use ash;
pub use ash::vk;
pub use barrier::{layout_use, record_image_barriers, ImageBarrier};
pub use buffer::Buffer;
pub use capabilities::{Capabilities, DmabufImport, DrmMatching, PathReport, ShmUpload};
pub use device::{AdoptedDevice, Device, DeviceBuilder};
pub use error::{Error, Result};
pub use frame::{Frame, SyncPoint, TextureDraw};
pub use instance::{Instance, InstanceOptions, MessageLog};
pub use layer_quirks::ValidationReport;
pub use memory::{Allocation, AllocatorStats, DedicatedMemory, DedicatedTo, HeapBudget, MemoryUse};
pub use physical::{
    DeviceType, Driver, ExternalSupport, Features, GraphicsFamily, HandleSupport, Limits,
    MemoryHeap, PhysicalDevice, PhysicalDeviceInfo, QueueFamily, Version,
};
pub use queue::{Queue, SemaphorePoint, Submission};
pub use readback::Readback;
pub use recorder::{texel_size, Finished, PassRecorder, ReadbackId, Recorder};
pub use render_pass::RenderPass;
pub use renderer::{Renderer, RendererOptions};
pub use sampler::{Filter, Sampler, YcbcrConversion, YcbcrModel, YcbcrOptions, YcbcrRange};
pub use select::{select_device, uuid_text, DeviceSelector, DEVICE_ENV};
pub use shm::{ShmLayout, ShmPool};
#[cfg(feature = "winit")]
pub use surface::{surface_extensions, Surface};
#[cfg(feature = "winit")]
pub use swapchain::{PresentFrame, PresentMode, Swapchain, SwapchainOptions};
pub use texture::{Texture, TextureDesc};

/// vkcompose's own pipelines, generated at build time from `shaders/` and
/// `pipelines.ron`.
pub mod shaders {
    include!(concat!(env!("OUT_DIR"), "/pipelines.rs"));
}

/// Pipelines from `tests/pipelines.ron`, used by vkcompose's own tests (a uniform-buffer
/// binding, a second render-pass kind). Not part of the API.
#[doc(hidden)]
pub mod test_shaders {
    include!(concat!(env!("OUT_DIR"), "/test_pipelines.rs"));
}
