//! The one error type of the runtime: a variant per failure a caller can act on.

use ash::vk;

use crate::drm_types::{HandleKind, Modifier, Purpose};

/// Everything that can go wrong in vkcompose's runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the Vulkan loader could not be loaded: {0}")]
    Loading(#[from] ash::LoadingError),
    #[error("the Khronos validation layer was requested but is not installed (Debian: vulkan-validationlayers)")]
    ValidationLayerMissing,
    #[error("Vulkan {found} is older than the 1.2 vkcompose needs")]
    VersionTooOld { found: String },
    #[error("no suitable Vulkan device: {0}")]
    NoDevice(String),
    #[error("out of {0} memory")]
    OutOfMemory(&'static str),
    #[error("the Vulkan device was lost")]
    DeviceLost,
    #[error("no memory type with {wanted:?} among the types {allowed:#b} allows")]
    NoMemoryType {
        allowed: u32,
        wanted: vk::MemoryPropertyFlags,
    },
    #[error("{call} failed: {result}")]
    Vulkan {
        call: &'static str,
        result: vk::Result,
    },
    #[error("bad colour description: {0}")]
    Color(#[from] crate::color::ColorError),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("{device} lacks {what}")]
    Unsupported { device: String, what: String },
    #[error("bad device selector {text:?}: {why}")]
    BadSelector { text: String, why: String },
    #[error(transparent)]
    Drm(#[from] crate::drm_types::DrmError),
    #[error(transparent)]
    NoMatchingDevice(#[from] crate::drm_types::NoMatch),
    #[error("memory allocation failed: {0}")]
    Allocation(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{device} cannot use {fourcc} as a {what}")]
    UnsupportedFormat {
        device: String,
        fourcc: String,
        what: &'static str,
    },
    #[error("bad buffer: {0}")]
    BadBuffer(String),
    #[error(
        "{device} cannot use {fourcc} with modifier {modifier} from {} as a {purpose}: {}",
        match .kind { HandleKind::OpaqueFd => "an opaque fd", HandleKind::DmaBuf => "a dma-buf" },
        supported_modifiers(.supported)
    )]
    UnsupportedModifier {
        device: String,
        /// The format's name (`ARGB8888`).
        fourcc: String,
        modifier: Modifier,
        kind: HandleKind,
        purpose: Purpose,
        /// What the device does support for that format, kind and purpose.
        supported: Vec<Modifier>,
    },
    #[error("the texture belongs to another renderer (or none); textures are used by the renderer that made them")]
    ForeignTexture,
    #[error("{0}")]
    OutsideFrame(&'static str),
    /// The window system would not give a window's or display's handle.
    #[cfg(feature = "winit")]
    #[error("the window's handle is unavailable: {0}")]
    WindowHandle(#[from] raw_window_handle::HandleError),
    #[error("the instance was created without {0}, which presenting to this window needs; create it with InstanceOptions::presenting_to")]
    SurfaceExtensionMissing(String),
    #[error("the device was created without VK_KHR_swapchain; build it with DeviceBuilder::present_to to present")]
    PresentationDisabled,
    /// The surface is gone for good (its window was destroyed); make a new one.
    #[error("the window's Vulkan surface was lost (was the window destroyed?)")]
    SurfaceLost,
}

/// The end of [`Error::UnsupportedModifier`]'s message: what would have worked.
fn supported_modifiers(supported: &[Modifier]) -> String {
    if supported.is_empty() {
        return "it supports no modifier for that".into();
    }
    let names: Vec<String> = supported.iter().map(Modifier::to_string).collect();
    format!(
        "the modifiers it supports for that are {}",
        names.join(", ")
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the name of the failing call to a raw `VkResult`.
pub(crate) trait VkResultExt<T> {
    fn or_vk(self, call: &'static str) -> Result<T>;
}

impl<T> VkResultExt<T> for std::result::Result<T, vk::Result> {
    fn or_vk(self, call: &'static str) -> Result<T> {
        self.map_err(|result| match result {
            vk::Result::ERROR_OUT_OF_DEVICE_MEMORY => Error::OutOfMemory("device"),
            vk::Result::ERROR_OUT_OF_HOST_MEMORY => Error::OutOfMemory("host"),
            vk::Result::ERROR_DEVICE_LOST => Error::DeviceLost,
            vk::Result::ERROR_SURFACE_LOST_KHR => Error::SurfaceLost,
            result => Error::Vulkan { call, result },
        })
    }
}
