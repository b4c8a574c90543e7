//! Validation messages that are known to be false, and how a run tells them apart.
//!
//! Only messages whose cause is a driver bug seen by a query at run time are forgiven,
//! never by driver name or version: when a fixed driver answers the query correctly, the
//! messages count again.
//!
//! - Mesa 25.0's lavapipe ignores `VkDrmFormatModifierPropertiesList2EXT` (it fills only
//!   `VkDrmFormatModifierPropertiesListEXT`), while validation layer 1.4.309 reads the
//!   format features of DRM-modifier images from the second list on Vulkan 1.3 devices.
//!   Every view of such an image then "has no supported format features"
//!   (VUID-VkImageViewCreateInfo-None-02273) and every blended draw into one lacks
//!   COLOR_ATTACHMENT_BLEND (VUID-vkCmdDraw-blendEnable-04727), and every blit from one
//!   "has VkFormatFeatureFlags2(0)". The first list reports all those features for the
//!   same modifier.

use std::sync::OnceLock;

use ash::vk;

/// What the layer reported, less the known false positives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// The real errors (at most the last 64 messages are kept; older ones are counted in
    /// `unseen`).
    pub errors: Vec<String>,
    /// Errors older than the kept messages, which are counted as real.
    pub unseen: usize,
    /// Messages forgiven as known false positives.
    pub forgiven: usize,
}

impl ValidationReport {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.unseen == 0
    }

    /// How many errors count.
    pub fn count(&self) -> usize {
        self.errors.len() + self.unseen
    }
}

const MODIFIER_LIST2_MESSAGES: [&str; 3] = [
    "with tiling VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT has no supported format features",
    "do not contain VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BLEND_BIT",
    "tiling VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT which have VkFormatFeatureFlags2 (VkFormatFeatureFlags2(0))",
];

impl ValidationReport {
    /// The report of the `kept` error messages (`total` counted in all), less those
    /// `quirks` forgives.
    pub(crate) fn new(kept: Vec<String>, total: usize, quirks: &Quirks) -> ValidationReport {
        let unseen = total.saturating_sub(kept.len());
        let (forgiven, errors): (Vec<String>, Vec<String>) =
            kept.into_iter().partition(|m| quirks.forgives(m));
        ValidationReport {
            errors,
            unseen,
            forgiven: forgiven.len(),
        }
    }
}

/// Driver bugs seen on the instance's devices.
#[derive(Debug, Default)]
pub(crate) struct Quirks {
    modifier_list2_unfilled: bool,
}

pub(crate) type QuirkCell = OnceLock<Quirks>;

impl Quirks {
    /// Queries every physical device of `raw` for the bugs this module knows.
    pub(crate) fn probe(raw: &ash::Instance) -> Quirks {
        // SAFETY: a live instance.
        let devices = unsafe { raw.enumerate_physical_devices() }.unwrap_or_default();
        let modifier_list2_unfilled = devices
            .iter()
            .any(|&d| has_modifier_extension(raw, d) && list2_unfilled(raw, d));
        Quirks {
            modifier_list2_unfilled,
        }
    }

    /// Whether `message` is a validation error known to be false on these devices.
    pub(crate) fn forgives(&self, message: &str) -> bool {
        MODIFIER_LIST2_MESSAGES.iter().any(|m| message.contains(m)) && self.modifier_list2_unfilled
    }
}

fn has_modifier_extension(instance: &ash::Instance, physical: vk::PhysicalDevice) -> bool {
    // SAFETY: a physical device of this instance.
    let extensions = unsafe { instance.enumerate_device_extension_properties(physical) };
    extensions
        .unwrap_or_default()
        .iter()
        .any(|e| e.extension_name_as_c_str() == Ok(ash::ext::image_drm_format_modifier::NAME))
}

/// Whether the driver reports modifier features in the first list and leaves the second
/// untouched (a sentinel it would overwrite stays).
fn list2_unfilled(instance: &ash::Instance, physical: vk::PhysicalDevice) -> bool {
    let format = vk::Format::B8G8R8A8_UNORM;
    let query = |properties: &mut vk::FormatProperties2<'_>| {
        // SAFETY: the chained list belongs to an extension the device has, with room for
        // the count it states.
        unsafe { instance.get_physical_device_format_properties2(physical, format, properties) }
    };
    let mut first = [vk::DrmFormatModifierPropertiesEXT::default(); 16];
    let count = {
        let mut list = vk::DrmFormatModifierPropertiesListEXT::default()
            .drm_format_modifier_properties(&mut first);
        query(&mut vk::FormatProperties2::default().push_next(&mut list));
        list.drm_format_modifier_count.min(16) as usize
    };
    let first_has_features = first[..count]
        .iter()
        .any(|m| !m.drm_format_modifier_tiling_features.is_empty());
    let mut second = [vk::DrmFormatModifierProperties2EXT {
        drm_format_modifier: u64::MAX,
        ..Default::default()
    }; 16];
    {
        let mut list = vk::DrmFormatModifierPropertiesList2EXT::default()
            .drm_format_modifier_properties(&mut second);
        query(&mut vk::FormatProperties2::default().push_next(&mut list));
    }
    first_has_features && second.iter().all(|m| m.drm_format_modifier == u64::MAX)
}
