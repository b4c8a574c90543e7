//! Surviving a lost device. A frame whose error converts to Smithay's
//! `SwapBuffersError::ContextLost` (vkcompose's `Error::DeviceLost` does, as a GLES
//! renderer's lost context does) makes the compositor drop its renderer and target, build
//! a new renderer on the same physical device ([`Recover::rebuild`]), and draw everything
//! again: the new renderer has a new context id, so Smithay's surface state imports every
//! client's current buffer into it on the next frame. Clients see nothing but a full
//! redraw.
//!
//! Nothing here can lose a real device on purpose, so the stdin command `lose-device`
//! asks the tests' fault-injection layer (`tests/fault_layer`, loaded through the loader's
//! environment, its shared object at `$VKCOMPOSE_FAULT_LAYER`) to fail the next queue
//! submission with `VK_ERROR_DEVICE_LOST`, and every call after it, as a lost device
//! does; [`Recover::rebuild`] then tells the layer the GPU was reset before it builds the
//! new device. Without the layer the command is refused.

use std::ffi::{c_char, c_void, CString};

use smithay::backend::renderer::pixman::PixmanRenderer;
use smithay::backend::renderer::RendererSuper;
use smithay::backend::SwapBuffersError;
use vkcompose::smithay::VulkanRenderer;
use vkcompose::{DeviceBuilder, RendererOptions};

/// What the compositor needs of a renderer to survive losing it.
pub trait Recover: RendererSuper + Sized {
    /// The error as Smithay's renderers report theirs.
    fn swap_error(error: Self::Error) -> SwapBuffersError;

    /// A new renderer like this one, on a new device.
    fn rebuild(&self) -> Result<Self, String>;
}

impl Recover for VulkanRenderer {
    fn swap_error(error: vkcompose::Error) -> SwapBuffersError {
        error.into()
    }

    fn rebuild(&self) -> Result<Self, String> {
        if fault_layer().is_some() {
            simulated_reset()?;
        }
        let physical = self.renderer().device().physical_device();
        let device = DeviceBuilder::new(physical)
            .and_then(|builder| builder.build())
            .map_err(|e| format!("a new device {}: {e}", physical.info().name))?;
        let renderer = vkcompose::Renderer::new(&device, &RendererOptions::default())
            .map_err(|e| format!("a new renderer: {e}"))?;
        Ok(VulkanRenderer::new(renderer))
    }
}

impl Recover for PixmanRenderer {
    fn swap_error(error: <Self as RendererSuper>::Error) -> SwapBuffersError {
        error.into()
    }

    fn rebuild(&self) -> Result<Self, String> {
        PixmanRenderer::new().map_err(|e| format!("a new pixman renderer: {e}"))
    }
}

/// Whether `error` means the renderer is gone (and must be rebuilt), with its message.
pub fn lost<R: Recover>(error: R::Error) -> Result<String, String> {
    match R::swap_error(error) {
        SwapBuffersError::ContextLost(e) => Ok(e.to_string()),
        other => Err(other.to_string()),
    }
}

type ArmFn = unsafe extern "C" fn(u64, i32, bool, *const c_char) -> bool;
type DisarmFn = unsafe extern "C" fn() -> bool;

/// The fault layer's shared object, if the loader loaded it into this process.
fn fault_layer() -> Option<*mut c_void> {
    let path = CString::new(std::env::var("VKCOMPOSE_FAULT_LAYER").ok()?).ok()?;
    // SAFETY: RTLD_NOLOAD only finds an object already loaded (by the Vulkan loader); it
    // stays loaded for the process, so the handle is never closed.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    (!handle.is_null()).then_some(handle)
}

fn symbol(name: &str) -> Result<*mut c_void, String> {
    let layer = fault_layer().ok_or("the fault layer is not loaded ($VKCOMPOSE_FAULT_LAYER)")?;
    let name = CString::new(name).map_err(|e| e.to_string())?;
    // SAFETY: looking up a symbol of an open object.
    let f = unsafe { libc::dlsym(layer, name.as_ptr()) };
    if f.is_null() {
        return Err(format!("the fault layer has no {name:?}"));
    }
    Ok(f)
}

/// `lose-device`: the next submission and every call after it fail as on a lost device.
pub fn lose_device() -> Result<(), String> {
    // SAFETY: the layer's control function has this type.
    let arm = unsafe { std::mem::transmute::<*mut c_void, ArmFn>(symbol("vkcompose_fault_arm")?) };
    let submit = c"vkQueueSubmit";
    let lost = vkcompose::vk::Result::ERROR_DEVICE_LOST.as_raw();
    // SAFETY: a NUL-terminated entry point name the layer hooks.
    if unsafe { arm(1, lost, true, submit.as_ptr()) } {
        Ok(())
    } else {
        Err("the fault layer refused to arm".into())
    }
}

/// The GPU "was reset": calls reach the driver again, so a new device can be made.
fn simulated_reset() -> Result<(), String> {
    // SAFETY: the layer's control function has this type.
    let disarm =
        unsafe { std::mem::transmute::<*mut c_void, DisarmFn>(symbol("vkcompose_fault_disarm")?) };
    // SAFETY: no arguments; it only clears the layer's armed state.
    unsafe { disarm() };
    Ok(())
}
