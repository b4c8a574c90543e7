//! The resources layer: what the GPU reads and writes, and the bookkeeping around it.
//! Textures and buffers, samplers and YCbCr conversions, the DRM-fourcc format table,
//! the staging ring uploads go through, the graveyard that keeps dropped objects until the
//! GPU is done with them, and GPU timestamps.
//!
//! It may use `core` and the bottom modules (`error`, `geometry`, `drm_types`); it knows
//! nothing of pipelines, dma-bufs or frames.

pub(crate) mod buffer;
pub mod format;
pub(crate) mod graveyard;
pub(crate) mod sampler;
pub(crate) mod staging;
pub(crate) mod texture;
pub(crate) mod timing;
