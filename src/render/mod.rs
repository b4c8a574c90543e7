//! The render layer: the [`Renderer`](crate::Renderer) facade and the parts it owns (shm
//! uploads, readback, the submission every frame and upload goes through), and frames: the
//! draws of one target, recorded into command buffers at their end.
//!
//! It may use every layer below it: `dmabuf`, `pipelines` and the generated shaders,
//! `resources`, `core`, and the bottom modules. Only `smithay` and `present` stand on it.

pub(crate) mod frame;
pub(crate) mod readback;
pub(crate) mod renderer;
pub(crate) mod shm;
