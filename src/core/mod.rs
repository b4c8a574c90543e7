//! The core layer: Vulkan from the loader to a working device. The instance and its
//! validation messages, physical devices and what they can do ([`Capabilities`] and the
//! paths they imply), DRM nodes and choosing a device by them, the logical device and its
//! queue, synchronisation objects (fences, semaphores, sync_files and their pool), image
//! barriers and device memory.
//!
//! It may use only `error`, `geometry` and `drm_types` below it; everything above
//! (resources, pipelines, dma-bufs, rendering) stands on it.
//!
//! [`Capabilities`]: crate::Capabilities

pub(crate) mod allocator;
pub(crate) mod barrier;
pub(crate) mod capabilities;
pub(crate) mod device;
pub mod drm;
pub(crate) mod instance;
pub(crate) mod layer_quirks;
pub(crate) mod memory;
pub(crate) mod physical;
pub(crate) mod queue;
pub(crate) mod select;
pub(crate) mod semaphore_pool;
pub(crate) mod submit;
pub mod sync;
