//! Window surfaces (`VkSurfaceKHR`): what a window system gives Vulkan to present into,
//! made from any window that hands out raw-window-handle 0.6 handles (a winit 0.30
//! `Window`). Also what the instance and the device need before one can be made: the
//! window system's surface extensions, and a graphics queue family able to present.

use std::any::Any;
use std::ffi::{c_char, CStr};
use std::sync::Arc;

use ash::{khr, vk};
use raw_window_handle::{HasDisplayHandle, HasWindowHandle, RawDisplayHandle};

use crate::core::device::DeviceBuilder;
use crate::core::instance::{Instance, InstanceOptions};
use crate::core::physical::PhysicalDevice;
use crate::error::{Error, Result, VkResultExt};

/// A window's Vulkan surface. It keeps the window alive, and is destroyed before it.
pub struct Surface {
    instance: Instance,
    fns: khr::surface::Instance,
    raw: vk::SurfaceKHR,
    /// The window's handles must stay valid as long as the surface: holding the window
    /// itself is what makes [`Surface::new`] safe.
    _window: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for Surface {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Surface").field("raw", &self.raw).finish()
    }
}

/// The instance extensions presenting to `display` needs (`VK_KHR_surface` and the
/// window system's own, such as `VK_KHR_xcb_surface` or `VK_KHR_wayland_surface`).
pub fn surface_extensions(display: &impl HasDisplayHandle) -> Result<Vec<&'static CStr>> {
    let raw = display.display_handle()?.as_raw();
    Ok(required_extensions(raw)?
        .iter()
        // SAFETY: ash-window returns pointers to its `'static`, NUL-terminated extension
        // name constants.
        .map(|&name| unsafe { CStr::from_ptr(name) })
        .collect())
}

fn required_extensions(display: RawDisplayHandle) -> Result<&'static [*const c_char]> {
    ash_window::enumerate_required_extensions(display).map_err(|_| Error::Unsupported {
        device: "vkcompose's window support".into(),
        what: format!("surfaces for {} displays", display_kind(display)),
    })
}

fn display_kind(display: RawDisplayHandle) -> &'static str {
    match display {
        RawDisplayHandle::Xlib(_) => "Xlib",
        RawDisplayHandle::Xcb(_) => "XCB",
        RawDisplayHandle::Wayland(_) => "Wayland",
        RawDisplayHandle::Windows(_) => "Windows",
        RawDisplayHandle::AppKit(_) => "AppKit",
        RawDisplayHandle::UiKit(_) => "UIKit",
        RawDisplayHandle::Android(_) => "Android",
        _ => "these",
    }
}

impl InstanceOptions {
    /// These options plus the surface extensions presenting to `display` needs (a winit
    /// `EventLoop`, `ActiveEventLoop` or `Window`).
    pub fn presenting_to(mut self, display: &impl HasDisplayHandle) -> Result<InstanceOptions> {
        for name in surface_extensions(display)? {
            if !self.extensions.contains(&name) {
                self.extensions.push(name);
            }
        }
        Ok(self)
    }
}

impl Surface {
    /// The surface of `window`, which the surface keeps alive. The instance must have
    /// been created with the window system's surface extensions
    /// ([`InstanceOptions::presenting_to`]).
    pub fn new<W>(instance: &Instance, window: Arc<W>) -> Result<Surface>
    where
        W: HasWindowHandle + HasDisplayHandle + Send + Sync + 'static,
    {
        let display = window.display_handle()?.as_raw();
        let window_handle = window.window_handle()?.as_raw();
        let missing: Vec<String> = required_extensions(display)?
            .iter()
            // SAFETY: as in `surface_extensions`.
            .map(|&name| unsafe { CStr::from_ptr(name) })
            .filter(|name| !instance.has_extension(name))
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        if !missing.is_empty() {
            return Err(Error::SurfaceExtensionMissing(missing.join(" and ")));
        }
        // SAFETY: both handles come from `window`, which the surface holds, so they stay
        // valid until the surface is destroyed; the instance has the extensions they need
        // (checked above).
        let raw = unsafe {
            ash_window::create_surface(
                instance.entry(),
                instance.raw(),
                display,
                window_handle,
                None,
            )
        }
        .or_vk("vkCreate*SurfaceKHR")?;
        Ok(Surface {
            instance: instance.clone(),
            fns: khr::surface::Instance::new(instance.entry(), instance.raw()),
            raw,
            _window: window,
        })
    }

    pub fn raw(&self) -> vk::SurfaceKHR {
        self.raw
    }

    /// Whether queue family `family` of `physical` can present to this surface.
    pub fn supports_family(&self, physical: &PhysicalDevice, family: u32) -> Result<bool> {
        self.check_instance(physical)?;
        // SAFETY: the surface and the physical device belong to the same instance.
        unsafe {
            self.fns
                .get_physical_device_surface_support(physical.raw, family, self.raw)
        }
        .or_vk("vkGetPhysicalDeviceSurfaceSupportKHR")
    }

    /// The surface's size limits, image counts, transforms and usages on `physical` now.
    pub fn capabilities(&self, physical: &PhysicalDevice) -> Result<vk::SurfaceCapabilitiesKHR> {
        self.check_instance(physical)?;
        // SAFETY: as in `supports_family`.
        unsafe {
            self.fns
                .get_physical_device_surface_capabilities(physical.raw, self.raw)
        }
        .or_vk("vkGetPhysicalDeviceSurfaceCapabilitiesKHR")
    }

    /// The formats and color spaces `physical` can present to the surface.
    pub fn formats(&self, physical: &PhysicalDevice) -> Result<Vec<vk::SurfaceFormatKHR>> {
        self.check_instance(physical)?;
        // SAFETY: as in `supports_family`.
        unsafe {
            self.fns
                .get_physical_device_surface_formats(physical.raw, self.raw)
        }
        .or_vk("vkGetPhysicalDeviceSurfaceFormatsKHR")
    }

    /// The present modes `physical` offers for the surface.
    pub fn present_modes(&self, physical: &PhysicalDevice) -> Result<Vec<vk::PresentModeKHR>> {
        self.check_instance(physical)?;
        // SAFETY: as in `supports_family`.
        unsafe {
            self.fns
                .get_physical_device_surface_present_modes(physical.raw, self.raw)
        }
        .or_vk("vkGetPhysicalDeviceSurfacePresentModesKHR")
    }

    /// Passing another instance's physical device to a surface query is invalid usage.
    fn check_instance(&self, physical: &PhysicalDevice) -> Result<()> {
        let same = physical.instance().raw().handle() == self.instance.raw().handle();
        if same {
            Ok(())
        } else {
            Err(Error::InvalidArgument(
                "the surface and the device belong to different Vulkan instances".into(),
            ))
        }
    }
}

impl Drop for Surface {
    fn drop(&mut self) {
        // SAFETY: swapchains hold their surface, so none made from it is left; the
        // instance (held here) is still alive, and the window (dropped after) too.
        unsafe { self.fns.destroy_surface(self.raw, None) };
    }
}

impl DeviceBuilder {
    /// Enables `VK_KHR_swapchain` so that the device can present to `surface`, keeping the
    /// chosen graphics queue family when it can present there and otherwise switching to
    /// the first graphics family that can. Fails naming what the device lacks.
    pub fn present_to(self, surface: &Surface) -> Result<DeviceBuilder> {
        let physical = self.physical().clone();
        if !physical.info().has_extension(khr::swapchain::NAME) {
            return Err(Error::Unsupported {
                device: physical.name().to_string(),
                what: "VK_KHR_swapchain".into(),
            });
        }
        let chosen = self.chosen_graphics_family();
        if surface.supports_family(&physical, chosen.index())? {
            return Ok(self.with_presentation());
        }
        for family in physical.graphics_families() {
            if surface.supports_family(&physical, family.index())? {
                return Ok(self.graphics_family(family).with_presentation());
            }
        }
        Err(Error::Unsupported {
            device: physical.name().to_string(),
            what: "a graphics queue family that can present to this window".into(),
        })
    }
}
