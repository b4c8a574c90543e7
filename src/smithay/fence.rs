//! Smithay's `Fence` on vkcompose's timeline: a frame's point, and its sync_file where the
//! driver exports one.

use std::fmt;
use std::os::fd::OwnedFd;
use std::time::Duration;

use smithay::backend::renderer::sync::{Fence, Interrupted, SyncPoint};

use crate::core::sync::SyncFile;
use crate::error::{Error, Result};

/// A submitted frame's completion.
pub struct VulkanFence {
    point: crate::SyncPoint,
    /// Signalled with the frame, for KMS and clients; only where the driver exports
    /// sync_files.
    sync_file: Option<SyncFile>,
}

impl VulkanFence {
    pub(super) fn new(point: crate::SyncPoint, sync_file: Option<SyncFile>) -> VulkanFence {
        VulkanFence { point, sync_file }
    }

    /// The point on the renderer's timeline.
    pub fn point(&self) -> &crate::SyncPoint {
        &self.point
    }
}

impl fmt::Debug for VulkanFence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VulkanFence")
            .field("point", &self.point.value())
            .field("sync_file", &self.sync_file.is_some())
            .finish()
    }
}

/// How long one timeline wait blocks before it is retried: a frame may legitimately take
/// long (a huge output on a slow device); a lost device ends the wait with an error.
const WAIT_SLICE: Duration = Duration::from_secs(1);

impl Fence for VulkanFence {
    fn is_signaled(&self) -> bool {
        // A lost device never signals; reporting it done lets callers go on to the error
        // their next call returns.
        self.point.is_reached().unwrap_or(true)
    }

    fn wait(&self) -> std::result::Result<(), Interrupted> {
        loop {
            match self.point.wait(WAIT_SLICE) {
                Ok(true) => return Ok(()),
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!("waiting for frame {}: {e}", self.point.value());
                    return Err(Interrupted);
                }
            }
        }
    }

    fn is_exportable(&self) -> bool {
        self.sync_file.as_ref().is_some_and(|f| f.fd().is_some())
    }

    fn export(&self) -> Option<OwnedFd> {
        let fd = self.sync_file.as_ref()?.fd()?;
        fd.try_clone()
            .inspect_err(|e| tracing::warn!("duplicating a frame's sync_file: {e}"))
            .ok()
    }
}

/// Blocks until `sync` is reached.
pub(super) fn wait_on_cpu(sync: &SyncPoint) -> Result<()> {
    sync.wait()
        .map_err(|_| Error::InvalidArgument("the wait for a sync point was interrupted".into()))
}
