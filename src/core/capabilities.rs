//! Capabilities: for every path the renderer has, whether the device takes the fast path or
//! the fallback. Computed once per device from what it reported; every later decision
//! consults this value instead of re-checking extensions, and device creation enables
//! exactly the extensions and features it names.

use std::ffi::CStr;
use std::fmt;

use ash::{ext, khr, vk};

use crate::core::physical::{Features, HandleSupport, PhysicalDeviceInfo, Version};
use crate::error::{Error, Result};

/// What the renderer will do on one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub api_version: Version,
    pub dmabuf_import: DmabufImport,
    /// `VK_EXT_image_drm_format_modifier`: explicit modifiers; without it only LINEAR
    /// buffers can be shared.
    pub drm_modifiers: bool,
    /// Device memory exported and imported as opaque fds (`VK_KHR_external_memory_fd`).
    pub opaque_fd_memory: HandleSupport,
    pub shm_upload: ShmUpload,
    /// Binary semaphores exported to and imported from sync_files.
    pub sync_file: HandleSupport,
    /// Semaphores (binary and timeline) shared as opaque fds.
    pub opaque_fd_semaphore: HandleSupport,
    /// `vkCmdPipelineBarrier2` and friends; otherwise Vulkan 1.0 barriers.
    pub synchronization2: bool,
    /// Sampling multi-planar (YUV) formats through `VkSamplerYcbcrConversion`.
    pub ycbcr_conversion: bool,
    /// `VK_QUEUE_FAMILY_FOREIGN_EXT` for buffers from other drivers; otherwise
    /// `VK_QUEUE_FAMILY_EXTERNAL`.
    pub queue_family_foreign: bool,
    /// The extension through which a high-priority queue can be requested.
    pub global_priority: Option<&'static CStr>,
    /// `VK_EXT_memory_budget`: live usage and budget per heap.
    pub memory_budget: bool,
    /// All textures of a frame in one descriptor array (one draw per frame).
    pub descriptor_indexing: bool,
    pub drm_matching: DrmMatching,
}

/// How dmabufs become textures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmabufImport {
    /// `VK_EXT_external_memory_dma_buf`: the buffer's memory is imported, no copy.
    Native,
    /// No dma-buf import, but `VK_EXT_external_memory_host`: a LINEAR dma-buf is mapped,
    /// the mapping imported as host memory, and the GPU copies it into a texture (no CPU
    /// copy). A buffer whose mapping the driver refuses is copied on the CPU instead.
    HostMapping,
    /// Linear dmabufs are mapped and copied into a texture on the CPU.
    MmapCopy,
}

impl DmabufImport {
    /// The path of a device without dma-buf import: the mapping imported as host memory
    /// where shm pools can be, else the CPU copy.
    pub(crate) fn without_native(shm_upload: ShmUpload) -> DmabufImport {
        match shm_upload {
            ShmUpload::HostPointer { .. } => DmabufImport::HostMapping,
            ShmUpload::StagingCopy => DmabufImport::MmapCopy,
        }
    }
}

/// How shm buffers reach the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShmUpload {
    /// `VK_EXT_external_memory_host`: the shm pool is imported and copied on the GPU.
    HostPointer { alignment: u64 },
    /// Damaged rectangles are copied into a staging ring first.
    StagingCopy,
}

/// How a DRM node finds its Vulkan device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrmMatching {
    /// `VK_EXT_physical_device_drm` reports the node numbers (PCI address as a backup).
    DrmProperties,
    /// Only `VK_EXT_pci_bus_info`: the node's PCI address from sysfs.
    PciBus,
    /// Neither: a node cannot be matched; choose by index, UUID or type instead.
    Unavailable,
}

/// One line of the capability report: an area, the path taken and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathReport {
    pub area: &'static str,
    pub fast: bool,
    pub path: String,
}

impl Capabilities {
    /// The capabilities of a device, or an error naming the device and what it lacks when
    /// it is below vkcompose's baseline (Vulkan 1.2 with timeline semaphores).
    pub fn detect(info: &PhysicalDeviceInfo) -> Result<Capabilities> {
        require_baseline(&info.name, info.api_version, &info.features)?;
        let has = |name: &CStr| info.has_extension(name);
        let external = &info.external;
        let features = &info.features;
        let semaphore_fd = has(khr::external_semaphore_fd::NAME);
        let memory_fd = has(khr::external_memory_fd::NAME);
        let shm_upload = match info.limits.min_imported_host_pointer_alignment {
            Some(alignment) if has(ext::external_memory_host::NAME) => {
                ShmUpload::HostPointer { alignment }
            }
            _ => ShmUpload::StagingCopy,
        };
        Ok(Capabilities {
            api_version: info.api_version,
            dmabuf_import: if memory_fd && has(ext::external_memory_dma_buf::NAME) {
                DmabufImport::Native
            } else if info.driver.id == vk::DriverId::NVIDIA_PROPRIETARY {
                // NVIDIA 580 fails importing a mapped file's pages as host memory with
                // OUT_OF_DEVICE_MEMORY, and every later memory allocation of the device
                // then fails too (seen on the H200): never try.
                DmabufImport::MmapCopy
            } else {
                DmabufImport::without_native(shm_upload)
            },
            drm_modifiers: has(ext::image_drm_format_modifier::NAME),
            opaque_fd_memory: if memory_fd {
                external.opaque_fd_memory
            } else {
                HandleSupport::default()
            },
            shm_upload,
            sync_file: only_if(semaphore_fd, external.sync_fd_semaphore),
            opaque_fd_semaphore: only_if(semaphore_fd, external.opaque_fd_semaphore),
            synchronization2: features.synchronization2
                && (info.api_version.0 >= vk::API_VERSION_1_3 || has(khr::synchronization2::NAME)),
            ycbcr_conversion: features.sampler_ycbcr_conversion,
            queue_family_foreign: has(ext::queue_family_foreign::NAME),
            global_priority: [khr::global_priority::NAME, ext::global_priority::NAME]
                .into_iter()
                .find(|&name| has(name)),
            memory_budget: has(ext::memory_budget::NAME),
            descriptor_indexing: features.descriptor_indexing,
            drm_matching: if has(ext::physical_device_drm::NAME) {
                DrmMatching::DrmProperties
            } else if has(ext::pci_bus_info::NAME) {
                DrmMatching::PciBus
            } else {
                DrmMatching::Unavailable
            },
        })
    }

    /// The capabilities of a device the caller created with `extensions` and `features`
    /// enabled: only what the device supports *and* the caller enabled. Errors when the
    /// caller left out the baseline.
    pub fn of_adopted(
        info: &PhysicalDeviceInfo,
        extensions: &[&CStr],
        features: &Features,
    ) -> Result<Capabilities> {
        let mut enabled = info.clone();
        enabled
            .extensions
            .retain(|e| extensions.iter().any(|x| x.to_str() == Ok(e.as_str())));
        // Property-only extensions need no enabling; keep them for DRM matching.
        for name in [ext::physical_device_drm::NAME, ext::pci_bus_info::NAME] {
            if info.has_extension(name) {
                enabled
                    .extensions
                    .insert(name.to_string_lossy().into_owned());
            }
        }
        enabled.features = Features {
            timeline_semaphore: info.features.timeline_semaphore && features.timeline_semaphore,
            synchronization2: info.features.synchronization2 && features.synchronization2,
            sampler_ycbcr_conversion: info.features.sampler_ycbcr_conversion
                && features.sampler_ycbcr_conversion,
            descriptor_indexing: info.features.descriptor_indexing && features.descriptor_indexing,
        };
        if !enabled.features.timeline_semaphore && info.features.timeline_semaphore {
            return Err(Error::Unsupported {
                device: info.name.clone(),
                what: "the timelineSemaphore feature, which the adopted device was created without; enable it in VkPhysicalDeviceVulkan12Features".into(),
            });
        }
        Capabilities::detect(&enabled)
    }

    /// The device extensions these capabilities use: exactly what device creation enables.
    pub fn device_extensions(&self) -> Vec<&'static CStr> {
        let mut names = Vec::new();
        let mut add = |on: bool, name: &'static CStr| {
            if on && !names.contains(&name) {
                names.push(name);
            }
        };
        let any = |h: HandleSupport| h.export || h.import;
        let dmabuf = self.dmabuf_import == DmabufImport::Native;
        add(
            dmabuf || any(self.opaque_fd_memory),
            khr::external_memory_fd::NAME,
        );
        add(dmabuf, ext::external_memory_dma_buf::NAME);
        add(self.drm_modifiers, ext::image_drm_format_modifier::NAME);
        add(
            matches!(self.shm_upload, ShmUpload::HostPointer { .. }),
            ext::external_memory_host::NAME,
        );
        add(
            any(self.sync_file) || any(self.opaque_fd_semaphore),
            khr::external_semaphore_fd::NAME,
        );
        add(
            self.synchronization2 && self.api_version.0 < vk::API_VERSION_1_3,
            khr::synchronization2::NAME,
        );
        add(self.queue_family_foreign, ext::queue_family_foreign::NAME);
        if let Some(name) = self.global_priority {
            add(true, name);
        }
        add(self.memory_budget, ext::memory_budget::NAME);
        names
    }

    /// These capabilities with dma-buf import left out: `VK_EXT_external_memory_dma_buf` is
    /// not enabled and dma-bufs take the path of drivers without it.
    pub(crate) fn without_dmabuf_import(mut self) -> Capabilities {
        if self.dmabuf_import == DmabufImport::Native {
            self.dmabuf_import = DmabufImport::without_native(self.shm_upload);
        }
        self
    }

    /// The features device creation turns on (timeline semaphores always).
    pub fn features(&self) -> Features {
        Features {
            timeline_semaphore: true,
            synchronization2: self.synchronization2,
            sampler_ycbcr_conversion: self.ycbcr_conversion,
            descriptor_indexing: self.descriptor_indexing,
        }
    }

    /// The queue family that stands for "another driver or API" in ownership transfers.
    pub fn foreign_queue_family(&self) -> u32 {
        if self.queue_family_foreign {
            vk::QUEUE_FAMILY_FOREIGN_EXT
        } else {
            vk::QUEUE_FAMILY_EXTERNAL
        }
    }

    /// Every path and what this device does for it, for logs and `examples/info`.
    pub fn paths(&self) -> Vec<PathReport> {
        vec![
            self.dmabuf_import_report(),
            PathReport::either(
                "DRM format modifiers",
                self.drm_modifiers,
                "explicit modifiers (VK_EXT_image_drm_format_modifier)",
                "LINEAR only (no VK_EXT_image_drm_format_modifier)",
            ),
            PathReport::handles(
                "opaque-fd memory",
                self.opaque_fd_memory,
                "VK_KHR_external_memory_fd",
            ),
            self.shm_upload_report(),
            self.sync_file_report(),
            PathReport::handles(
                "opaque-fd semaphores",
                self.opaque_fd_semaphore,
                "VK_KHR_external_semaphore_fd",
            ),
            PathReport::either(
                "timeline semaphores",
                true,
                "one timeline per renderer (Vulkan 1.2 core)",
                "",
            ),
            PathReport::either(
                "synchronization2",
                self.synchronization2,
                "vkCmdPipelineBarrier2",
                "Vulkan 1.0 barriers",
            ),
            PathReport::either(
                "YCbCr conversion",
                self.ycbcr_conversion,
                "multi-planar formats sampled through VkSamplerYcbcrConversion",
                "multi-planar formats unsupported",
            ),
            PathReport::either(
                "foreign queue family",
                self.queue_family_foreign,
                "VK_QUEUE_FAMILY_FOREIGN_EXT",
                "VK_QUEUE_FAMILY_EXTERNAL (no VK_EXT_queue_family_foreign)",
            ),
            self.queue_priority_report(),
            PathReport::either(
                "memory budget",
                self.memory_budget,
                "live usage and budget (VK_EXT_memory_budget)",
                "heap sizes only (no VK_EXT_memory_budget)",
            ),
            PathReport::either(
                "texture binding",
                self.descriptor_indexing,
                "one descriptor array per frame (descriptor indexing)",
                "one descriptor set per texture",
            ),
            self.drm_matching_report(),
        ]
    }

    /// How dma-bufs become textures: imported, or mapped and copied on the GPU or the CPU.
    fn dmabuf_import_report(&self) -> PathReport {
        PathReport {
            area: "dmabuf import",
            fast: self.dmabuf_import == DmabufImport::Native,
            path: match self.dmabuf_import {
                DmabufImport::Native => "imported (VK_EXT_external_memory_dma_buf)",
                DmabufImport::HostMapping => "linear buffers mapped, imported as host memory and copied on the GPU (no VK_EXT_external_memory_dma_buf; VK_EXT_external_memory_host); on the CPU where the driver refuses a mapping",
                DmabufImport::MmapCopy => "linear buffers mapped and copied on the CPU (no VK_EXT_external_memory_dma_buf, and no VK_EXT_external_memory_host or a driver whose import of mapped files breaks the device: NVIDIA)",
            }
            .to_string(),
        }
    }

    /// How shm pools reach the GPU, with the import alignment when they are imported.
    fn shm_upload_report(&self) -> PathReport {
        let (fast, path) = match self.shm_upload {
            ShmUpload::HostPointer { alignment } => (
                true,
                format!("pool imported as host memory, copied on the GPU (VK_EXT_external_memory_host, {alignment}-byte alignment)"),
            ),
            ShmUpload::StagingCopy => (
                false,
                "damage copied through a staging ring (no VK_EXT_external_memory_host)".to_string(),
            ),
        };
        PathReport {
            area: "shm upload",
            fast,
            path,
        }
    }

    /// Binary semaphores shared as sync_files. Where they are shared neither way, the report
    /// says what takes their place (a CPU wait), not only "unavailable".
    fn sync_file_report(&self) -> PathReport {
        if self.sync_file == HandleSupport::default() {
            PathReport::either(
                "sync_file",
                false,
                "",
                "unavailable: completion is waited for on the CPU",
            )
        } else {
            PathReport::handles("sync_file", self.sync_file, "semaphore")
        }
    }

    /// The queue priority, naming the extension it was requested through.
    fn queue_priority_report(&self) -> PathReport {
        let priority = self.global_priority.map(CStr::to_string_lossy);
        PathReport::either(
            "queue priority",
            priority.is_some(),
            &format!("high priority requested ({})", priority.unwrap_or_default()),
            "default priority (no global priority extension)",
        )
    }

    /// How a DRM node finds this device.
    fn drm_matching_report(&self) -> PathReport {
        PathReport {
            area: "DRM node matching",
            fast: self.drm_matching == DrmMatching::DrmProperties,
            path: match self.drm_matching {
                DrmMatching::DrmProperties => "node numbers (VK_EXT_physical_device_drm)",
                DrmMatching::PciBus => "PCI bus address (VK_EXT_pci_bus_info)",
                DrmMatching::Unavailable => "impossible: select by index, UUID or type",
            }
            .to_string(),
        }
    }

    /// Logs every fallback once, at device creation.
    pub(crate) fn log(&self, device: &str) {
        for path in self.paths() {
            if path.fast {
                tracing::debug!("{device}: {}: {}", path.area, path.path);
            } else {
                tracing::info!("{device}: {}: fallback: {}", path.area, path.path);
            }
        }
    }
}

impl PathReport {
    /// A path with a fast variant and a fallback: `fast_path` is reported when `fast`.
    fn either(area: &'static str, fast: bool, fast_path: &str, fallback: &str) -> PathReport {
        PathReport {
            area,
            fast,
            path: if fast { fast_path } else { fallback }.to_string(),
        }
    }

    /// A kind of handle shared with other drivers (`what`): fast only when it can be both
    /// exported and imported.
    fn handles(area: &'static str, support: HandleSupport, what: &str) -> PathReport {
        PathReport {
            area,
            fast: support.both(),
            path: match (support.export, support.import) {
                (true, true) => format!("{what} export and import"),
                (true, false) => format!("{what} export only"),
                (false, true) => format!("{what} import only"),
                (false, false) => "unavailable".to_string(),
            },
        }
    }
}

impl fmt::Display for PathReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.fast { "fast    " } else { "fallback" };
        write!(f, "{kind}  {:<22} {}", self.area, self.path)
    }
}

fn only_if(extension: bool, support: HandleSupport) -> HandleSupport {
    if extension {
        support
    } else {
        HandleSupport::default()
    }
}

/// Vulkan 1.2 makes timeline semaphores mandatory, so there is no fence-only fallback to
/// allow: a device without them is below the baseline.
fn require_baseline(device: &str, version: Version, features: &Features) -> Result<()> {
    if version.0 < vk::API_VERSION_1_2 {
        return Err(Error::Unsupported {
            device: device.to_string(),
            what: format!("Vulkan 1.2 (it offers {version})"),
        });
    }
    if !features.timeline_semaphore {
        return Err(Error::Unsupported {
            device: device.to_string(),
            what: "the timelineSemaphore feature (Vulkan 1.2)".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::physical::{DeviceType, Driver, ExternalSupport, Limits};

    /// A device offering `extensions`, with every feature, on Vulkan 1.3.
    fn device(extensions: &[&CStr]) -> PhysicalDeviceInfo {
        let both = HandleSupport {
            export: true,
            import: true,
        };
        PhysicalDeviceInfo {
            index: 0,
            name: "Test GPU".into(),
            device_type: DeviceType::Discrete,
            vendor_id: 0,
            device_id: 0,
            api_version: Version(vk::API_VERSION_1_3),
            driver: Driver {
                id: vk::DriverId::MESA_RADV,
                name: String::new(),
                info: String::new(),
                version: 0,
            },
            device_uuid: [0; 16],
            driver_uuid: [0; 16],
            pci: None,
            drm: None,
            extensions: extensions
                .iter()
                .map(|e| e.to_string_lossy().into_owned())
                .collect(),
            limits: Limits {
                max_image_dimension_2d: 16384,
                max_push_constants_size: 128,
                max_sampler_anisotropy: 16.0,
                non_coherent_atom_size: 64,
                optimal_buffer_copy_row_pitch_alignment: 1,
                timestamp_period_ns: 1.0,
                min_imported_host_pointer_alignment: Some(4096),
            },
            memory_heaps: Vec::new(),
            queue_families: Vec::new(),
            features: Features {
                timeline_semaphore: true,
                synchronization2: true,
                sampler_ycbcr_conversion: true,
                descriptor_indexing: true,
            },
            external: ExternalSupport {
                opaque_fd_memory: both,
                opaque_fd_semaphore: both,
                sync_fd_semaphore: both,
            },
        }
    }

    #[test]
    fn a_bare_device_takes_every_fallback_and_enables_nothing() {
        let caps = Capabilities::detect(&device(&[])).unwrap();
        assert_eq!(caps.dmabuf_import, DmabufImport::MmapCopy);
        assert_eq!(caps.shm_upload, ShmUpload::StagingCopy);
        assert_eq!(caps.sync_file, HandleSupport::default());
        assert_eq!(caps.drm_matching, DrmMatching::Unavailable);
        assert_eq!(caps.foreign_queue_family(), vk::QUEUE_FAMILY_EXTERNAL);
        assert!(caps.device_extensions().is_empty());
        // Core 1.3 features still apply.
        assert!(caps.synchronization2 && caps.descriptor_indexing);
    }

    #[test]
    fn dmabuf_import_needs_both_fd_extensions() {
        let only_dmabuf = device(&[ext::external_memory_dma_buf::NAME]);
        assert_eq!(
            Capabilities::detect(&only_dmabuf).unwrap().dmabuf_import,
            DmabufImport::MmapCopy
        );
        let both = device(&[
            ext::external_memory_dma_buf::NAME,
            khr::external_memory_fd::NAME,
        ]);
        let caps = Capabilities::detect(&both).unwrap();
        assert_eq!(caps.dmabuf_import, DmabufImport::Native);
        let enabled = caps.device_extensions();
        assert!(enabled.contains(&ext::external_memory_dma_buf::NAME));
        assert!(enabled.contains(&khr::external_memory_fd::NAME));
    }

    #[test]
    fn without_dmabuf_import_host_pointer_import_maps_and_copies_on_the_gpu() {
        let host = device(&[
            ext::external_memory_host::NAME,
            khr::external_memory_fd::NAME,
        ]);
        let caps = Capabilities::detect(&host).unwrap();
        assert_eq!(caps.dmabuf_import, DmabufImport::HostMapping);
        let enabled = caps.device_extensions();
        assert!(enabled.contains(&ext::external_memory_host::NAME));
        assert!(!enabled.contains(&ext::external_memory_dma_buf::NAME));
        let dmabuf = caps.paths().into_iter().find(|p| p.area == "dmabuf import");
        let dmabuf = dmabuf.unwrap();
        assert!(
            !dmabuf.fast && dmabuf.path.contains("host memory"),
            "{dmabuf}"
        );
    }

    #[test]
    fn dmabuf_import_can_be_left_out() {
        let all = device(&[
            ext::external_memory_dma_buf::NAME,
            khr::external_memory_fd::NAME,
            ext::external_memory_host::NAME,
        ]);
        let caps = Capabilities::detect(&all).unwrap().without_dmabuf_import();
        assert_eq!(caps.dmabuf_import, DmabufImport::HostMapping);
        let enabled = caps.device_extensions();
        assert!(!enabled.contains(&ext::external_memory_dma_buf::NAME));
        // Opaque fds still need the fd extension.
        assert!(enabled.contains(&khr::external_memory_fd::NAME));
        let no_host = device(&[
            ext::external_memory_dma_buf::NAME,
            khr::external_memory_fd::NAME,
        ]);
        let caps = Capabilities::detect(&no_host)
            .unwrap()
            .without_dmabuf_import();
        assert_eq!(caps.dmabuf_import, DmabufImport::MmapCopy);
    }

    #[test]
    fn drm_matching_prefers_node_numbers_then_pci() {
        let pci = device(&[ext::pci_bus_info::NAME]);
        assert_eq!(
            Capabilities::detect(&pci).unwrap().drm_matching,
            DrmMatching::PciBus
        );
        let both = device(&[ext::pci_bus_info::NAME, ext::physical_device_drm::NAME]);
        let caps = Capabilities::detect(&both).unwrap();
        assert_eq!(caps.drm_matching, DrmMatching::DrmProperties);
        // Property-only extensions are never enabled.
        assert!(caps.device_extensions().is_empty());
    }

    #[test]
    fn synchronization2_before_1_3_needs_the_khr_extension() {
        let mut old = device(&[]);
        old.api_version = Version(vk::API_VERSION_1_2);
        assert!(!Capabilities::detect(&old).unwrap().synchronization2);
        old.extensions
            .insert(khr::synchronization2::NAME.to_string_lossy().into_owned());
        let caps = Capabilities::detect(&old).unwrap();
        assert!(caps.synchronization2);
        assert!(caps
            .device_extensions()
            .contains(&khr::synchronization2::NAME));
    }

    #[test]
    fn below_the_baseline_is_an_error_naming_device_and_requirement() {
        let mut old = device(&[]);
        old.api_version = Version(vk::API_VERSION_1_1);
        let err = Capabilities::detect(&old).unwrap_err().to_string();
        assert!(
            err.contains("Test GPU") && err.contains("Vulkan 1.2"),
            "{err}"
        );
        let mut no_timeline = device(&[]);
        no_timeline.features.timeline_semaphore = false;
        let err = Capabilities::detect(&no_timeline).unwrap_err().to_string();
        assert!(
            err.contains("Test GPU") && err.contains("timelineSemaphore"),
            "{err}"
        );
    }

    #[test]
    fn an_adopted_device_gets_only_what_its_creator_enabled() {
        let info = device(&[
            ext::external_memory_host::NAME,
            khr::external_semaphore_fd::NAME,
            ext::physical_device_drm::NAME,
        ]);
        let enabled = Features {
            timeline_semaphore: true,
            ..Features::default()
        };
        let caps =
            Capabilities::of_adopted(&info, &[ext::external_memory_host::NAME], &enabled).unwrap();
        assert_eq!(caps.shm_upload, ShmUpload::HostPointer { alignment: 4096 });
        assert_eq!(caps.sync_file, HandleSupport::default());
        assert!(!caps.synchronization2 && !caps.descriptor_indexing);
        assert_eq!(caps.drm_matching, DrmMatching::DrmProperties);
        let err = Capabilities::of_adopted(&info, &[], &Features::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Test GPU") && err.contains("timelineSemaphore"),
            "{err}"
        );
    }

    #[test]
    fn the_report_has_one_line_per_area_and_says_fallback() {
        let caps = Capabilities::detect(&device(&[])).unwrap();
        let paths = caps.paths();
        assert_eq!(paths.len(), 14);
        let dmabuf = paths.iter().find(|p| p.area == "dmabuf import").unwrap();
        assert!(!dmabuf.fast);
        assert!(dmabuf.to_string().starts_with("fallback"), "{dmabuf}");
    }
}
