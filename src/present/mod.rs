//! The present layer: windows. A Vulkan surface for a window's handles and the swapchain
//! whose images frames draw into and hand to the presentation engine.
//!
//! It stands on `render` (a swapchain image is a frame's target) and everything below.

pub(crate) mod surface;
pub(crate) mod swapchain;
