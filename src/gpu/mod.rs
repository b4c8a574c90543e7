//! The gpu layer: what every part of a renderer shares. [`Gpu`] is the device, the
//! renderer's identity (which textures are its own), its format table, and the
//! [`Submitter`](submitter::Submitter) through which all work reaches the queue and gets
//! its timeline point; shm uploads (`upload`) stand on it, and so do the dma-buf import
//! and export above it.
//!
//! It may use `pipelines` (the recorder), `resources`, `core` and the bottom modules.

pub(crate) mod shm_layout;
pub(crate) mod submitter;
pub(crate) mod upload;

use crate::core::device::Device;
use crate::error::{Error, Result};
use crate::resources::format::{format_info, DrmFourcc, FormatInfo, FormatSupport, FormatTable};
use crate::resources::texture::Texture;
use submitter::Submitter;

/// The device, identity, formats and submission of one renderer.
pub(crate) struct Gpu {
    device: Device,
    id: u64,
    formats: FormatTable,
    submitter: Submitter,
}

impl Gpu {
    pub(crate) fn new(device: &Device, id: u64, staging_size: u64) -> Result<Gpu> {
        Ok(Gpu {
            device: device.clone(),
            id,
            formats: FormatTable::probe(device),
            submitter: Submitter::new(device, staging_size)?,
        })
    }

    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    /// The renderer's identity, which its textures carry as their owner.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn formats(&self) -> &FormatTable {
        &self.formats
    }

    pub(crate) fn submitter(&mut self) -> &mut Submitter {
        &mut self.submitter
    }

    pub(crate) fn submitter_ref(&self) -> &Submitter {
        &self.submitter
    }

    /// An error unless the texture was made by (or adopted into) this renderer.
    pub(crate) fn require_own(&self, texture: &Texture) -> Result<()> {
        if texture.owner() == self.id {
            Ok(())
        } else {
            Err(Error::ForeignTexture)
        }
    }

    /// The largest width or height of a 2D image on this device.
    pub(crate) fn max_extent(&self) -> u32 {
        self.device
            .physical_device()
            .info()
            .limits
            .max_image_dimension_2d
    }

    pub(crate) fn check_size(&self, width: u32, height: u32) -> Result<()> {
        shm_layout::check_extent(width, height, self.max_extent())
    }

    pub(crate) fn target_format(&self, fourcc: DrmFourcc) -> Result<&'static FormatInfo> {
        self.usable_format(fourcc, FormatSupport::target, "render target")
    }

    pub(crate) fn shm_format(&self, fourcc: DrmFourcc) -> Result<&'static FormatInfo> {
        self.usable_format(fourcc, FormatSupport::shm, "shm texture")
    }

    /// The table entry of `fourcc` if the device supports it for `what` (as `usable` says).
    fn usable_format(
        &self,
        fourcc: DrmFourcc,
        usable: fn(&FormatSupport) -> bool,
        what: &'static str,
    ) -> Result<&'static FormatInfo> {
        let supported = self.formats.support(fourcc).is_some_and(|s| usable(&s));
        match format_info(fourcc) {
            Some(info) if supported => Ok(info),
            _ => Err(self.unsupported(fourcc, what)),
        }
    }

    /// The error for a format this device cannot use as `what`.
    pub(crate) fn unsupported(&self, fourcc: DrmFourcc, what: &'static str) -> Error {
        Error::UnsupportedFormat {
            device: self.device.name().to_string(),
            fourcc: crate::drm_types::fourcc_code(fourcc as u32),
            what,
        }
    }
}
