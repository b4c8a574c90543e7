//! The render layer: the [`Renderer`](crate::Renderer) facade over the parts it owns (the
//! gpu, the dma-buf part, what frames draw with), the public methods written on it (shm,
//! dma-bufs, readback), and frames: the draws of one target, recorded into command
//! buffers at their end.
//!
//! It may use every layer below it: `dmabuf`, `gpu`, `pipelines` and the generated shaders,
//! `resources`, `core`, and the bottom modules. Only `smithay` and `present` stand on it.

mod dmabuf;
pub(crate) mod drawing;
pub(crate) mod frame;
pub(crate) mod lut;
pub(crate) mod readback;
pub(crate) mod renderer;
mod shm;
