//! Dmabufs: buffers shared with other processes and devices by fd. A [`Dmabuf`] describes
//! one (format, modifier, size, planes); it is validated against the device's
//! [`ModifierTable`] before any Vulkan call, then imported as a texture (zero-copy where
//! the driver can, else copied), rendered into, or allocated here and exported.

pub mod desc;
pub(crate) mod linux;
pub mod modifiers;
pub mod planes;

pub use cache::DmabufPath;
pub use desc::{Dmabuf, DmabufBuilder, DmabufPlane, ValidatedLayout, ValidatedPlane};
pub use linux::open_fd_count;
pub use modifiers::{
    DriverModifier, ImageAnswer, ImageQuery, ModifierQueries, ModifierSupport, ModifierTable,
    Tiling,
};
pub use planes::{fourcc_name, plane_layout, PlaneInfo, PlaneLayout};

pub use crate::drm_types::{HandleKind, Modifier, Purpose};

mod buffer;
pub(crate) mod cache;
mod export;
pub(crate) mod handover;
mod hostmap;
mod image;
pub(crate) mod implicit;
mod import;

pub(crate) use import::Dmabufs;
