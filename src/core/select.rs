//! Choosing the physical device: by DRM node, UUID, index, name or "best", with an
//! environment variable that overrides what the program asked for (so a user on a hybrid
//! laptop can point any vkcompose program at the other GPU).

use std::fmt;

use crate::core::capabilities::Capabilities;
use crate::core::drm::{match_node, DrmNode, Sysfs};
use crate::core::instance::Instance;
use crate::core::physical::PhysicalDevice;
use crate::error::{Error, Result};

/// The environment variable that overrides every selection: `best`, an index (`1`), a UUID
/// (32 hex digits, dashes allowed), a DRM node path (`/dev/dri/renderD129`) or
/// `name:<substring>`.
pub const DEVICE_ENV: &str = "VKCOMPOSE_DEVICE";

/// Which physical device to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceSelector {
    /// Discrete over integrated over virtual over CPU, among devices that meet the baseline.
    Best,
    /// The n-th device in `vkEnumeratePhysicalDevices` order.
    Index(usize),
    /// `VkPhysicalDeviceIDProperties::deviceUUID`.
    Uuid([u8; 16]),
    /// The device behind a DRM node (primary or render).
    Drm(DrmNode),
    /// The first device whose name contains this text (case-insensitive).
    Name(String),
}

impl DeviceSelector {
    /// Parses the [`DEVICE_ENV`] syntax.
    pub fn parse(text: &str) -> Result<DeviceSelector> {
        let text = text.trim();
        let bad = |why: &str| Error::BadSelector {
            text: text.to_string(),
            why: why.to_string(),
        };
        if text.eq_ignore_ascii_case("best") || text.is_empty() {
            return Ok(DeviceSelector::Best);
        }
        if let Some(name) = text.strip_prefix("name:") {
            return Ok(DeviceSelector::Name(name.to_string()));
        }
        if text.starts_with('/') {
            return Ok(DeviceSelector::Drm(DrmNode::from_path(text)?));
        }
        if let Ok(index) = text.parse::<usize>() {
            return Ok(DeviceSelector::Index(index));
        }
        let hex = text.strip_prefix("uuid:").unwrap_or(text).replace('-', "");
        parse_uuid(&hex).map(DeviceSelector::Uuid).ok_or_else(|| {
            bad("expected best, an index, a UUID of 32 hex digits, a /dev/dri path or name:<text>")
        })
    }

    /// The selector in [`DEVICE_ENV`], if set.
    pub fn from_env() -> Result<Option<DeviceSelector>> {
        match std::env::var(DEVICE_ENV) {
            Ok(text) => DeviceSelector::parse(&text).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Picks a device among `devices`. Every selector but `Best` takes the device it names
    /// even when it is below the baseline; device creation then says what it lacks.
    pub fn pick(&self, devices: &[PhysicalDevice], sysfs: &Sysfs) -> Result<PhysicalDevice> {
        let found = match self {
            DeviceSelector::Best => return best(devices),
            DeviceSelector::Index(i) => devices.get(*i),
            DeviceSelector::Uuid(uuid) => devices.iter().find(|d| d.info().device_uuid == *uuid),
            DeviceSelector::Name(name) => {
                let name = name.to_lowercase();
                devices
                    .iter()
                    .find(|d| d.name().to_lowercase().contains(&name))
            }
            DeviceSelector::Drm(node) => {
                let locations: Vec<_> = devices.iter().map(|d| d.info().location()).collect();
                let (index, how) = match_node(node, &locations, sysfs)?;
                tracing::info!("{node} is {} (matched by {how:?})", devices[index].name());
                devices.get(index)
            }
        };
        found
            .cloned()
            .ok_or_else(|| Error::NoDevice(format!("{self} matches none of: {}", list(devices))))
    }
}

impl fmt::Display for DeviceSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSelector::Best => f.write_str("the best device"),
            DeviceSelector::Index(i) => write!(f, "device index {i}"),
            DeviceSelector::Uuid(uuid) => write!(f, "UUID {}", uuid_text(uuid)),
            DeviceSelector::Drm(node) => write!(f, "{node}"),
            DeviceSelector::Name(name) => write!(f, "a name containing {name:?}"),
        }
    }
}

/// Selects with `selector`, unless [`DEVICE_ENV`] overrides it.
pub fn select_device(instance: &Instance, selector: &DeviceSelector) -> Result<PhysicalDevice> {
    let devices = PhysicalDevice::enumerate(instance)?;
    let selector = match DeviceSelector::from_env()? {
        Some(chosen) => {
            tracing::info!("{DEVICE_ENV} selects {chosen}");
            chosen
        }
        None => selector.clone(),
    };
    selector.pick(&devices, &Sysfs::system())
}

/// A device's UUID as 32 lowercase hex digits.
pub fn uuid_text(uuid: &[u8; 16]) -> String {
    uuid.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_uuid(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut uuid = [0u8; 16];
    for (i, byte) in uuid.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(uuid)
}

fn best(devices: &[PhysicalDevice]) -> Result<PhysicalDevice> {
    let mut rejected = Vec::new();
    let usable = devices.iter().filter(|d| match usable(d) {
        Ok(()) => true,
        Err(why) => {
            rejected.push(why.to_string());
            false
        }
    });
    // `max_by_key` keeps the last of equals; reverse so the first listed wins ties.
    let chosen = usable
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .max_by_key(|d| d.info().device_type);
    match chosen {
        Some(device) => Ok(device.clone()),
        None if devices.is_empty() => Err(Error::NoDevice(
            "the Vulkan loader reports no devices (is a Vulkan driver installed?)".into(),
        )),
        None => Err(Error::NoDevice(rejected.join("; "))),
    }
}

fn usable(device: &PhysicalDevice) -> Result<()> {
    Capabilities::detect(device.info())?;
    if device.graphics_families().is_empty() {
        return Err(Error::Unsupported {
            device: device.name().to_string(),
            what: "a graphics queue".into(),
        });
    }
    Ok(())
}

fn list(devices: &[PhysicalDevice]) -> String {
    if devices.is_empty() {
        return "no devices".into();
    }
    devices
        .iter()
        .map(|d| {
            let info = d.info();
            format!(
                "[{}] {} (UUID {})",
                info.index,
                info.name,
                uuid_text(&info.device_uuid)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_selector_form() {
        assert_eq!(DeviceSelector::parse("best").unwrap(), DeviceSelector::Best);
        assert_eq!(
            DeviceSelector::parse(" 2 ").unwrap(),
            DeviceSelector::Index(2)
        );
        assert_eq!(
            DeviceSelector::parse("name:NVIDIA").unwrap(),
            DeviceSelector::Name("NVIDIA".into())
        );
        let uuid = DeviceSelector::parse("uuid:00112233-4455-6677-8899-aabbccddeeff").unwrap();
        assert_eq!(
            uuid,
            DeviceSelector::Uuid([
                0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                0xee, 0xff
            ])
        );
        assert_eq!(uuid_text(&[0xab; 16]), "abababababababababababababababab");
    }

    #[test]
    fn rejects_garbage_with_the_text_and_the_syntax() {
        let err = DeviceSelector::parse("fastest").unwrap_err().to_string();
        assert!(err.contains("fastest") && err.contains("name:"), "{err}");
        let err = DeviceSelector::parse("uuid:12zz").unwrap_err().to_string();
        assert!(err.contains("12zz"), "{err}");
        // A path that is no DRM node is an error about that path, not a silent fallback.
        let err = DeviceSelector::parse("/no/such/node")
            .unwrap_err()
            .to_string();
        assert!(err.contains("/no/such/node"), "{err}");
    }
}
