//! Implicit synchronization: dma-bufs carry kernel fences that other users of the buffer
//! wait on. Before the CPU or GPU reads or writes a buffer, its pending fences are waited
//! for; after the GPU wrote it (or read it), the work's own fence is attached. Where the
//! kernel lacks the ioctls or the driver cannot share sync_files, the waits happen on the
//! CPU instead, and a log line says so once.

use std::os::fd::BorrowedFd;
use std::sync::Once;
use std::time::Duration;

use super::linux::{self, Access};
use crate::core::device::Device;
use crate::core::sync::SyncFile;
use crate::error::Result;

/// How long a buffer's producer may keep it busy before the wait gives up and goes on
/// (a stuck client must not hang the compositor).
const FENCE_TIMEOUT: Duration = Duration::from_secs(1);

/// Waits, before the CPU reads a mapped buffer, for its pending writes (the kernel's CPU
/// access bracket also flushes caches); `poll()` where the ioctl is missing.
pub(crate) fn before_cpu_read(fd: BorrowedFd<'_>) -> Result<()> {
    if linux::cpu_access(fd, Access::Read, true)? {
        return Ok(());
    }
    note_once(&NO_CPU_SYNC, "DMA_BUF_IOCTL_SYNC is unavailable (old kernel, or not a dma-buf): mapped buffers are polled for readiness before copying");
    linux::poll_ready(fd, Access::Read, FENCE_TIMEOUT)?;
    Ok(())
}

/// Ends the CPU access [`before_cpu_read`] began.
pub(crate) fn after_cpu_read(fd: BorrowedFd<'_>) {
    if let Err(e) = linux::cpu_access(fd, Access::Read, false) {
        tracing::debug!("ending CPU access to a dma-buf failed: {e}");
    }
}

/// The pending fences a submission that accesses the buffer behind `fd` must wait on, as
/// a sync_file to import into a wait semaphore. None when there is nothing to wait for on
/// the GPU: the fences have signalled already (the common case, a client that finished
/// drawing before it committed), or import is impossible and they were waited for here,
/// on the CPU.
pub(crate) fn before_gpu_access(
    device: &Device,
    fd: BorrowedFd<'_>,
    access: Access,
) -> Result<Option<SyncFile>> {
    let Some(file) = linux::export_sync_file(fd, access)? else {
        note_once(&NO_EXPORT_IOCTL, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE is unavailable: dma-bufs are polled for readiness before use");
        linux::poll_ready(fd, access, FENCE_TIMEOUT)?;
        return Ok(None);
    };
    let file = SyncFile::from_fd(file);
    // A poll that does not block: a signalled fence costs no semaphore and no wait.
    if file.wait(Duration::ZERO)? {
        return Ok(None);
    }
    if device.capabilities().sync_file.import {
        return Ok(Some(file));
    }
    note_once(&NO_SEMAPHORE_IMPORT, "the driver cannot import sync_files: a dma-buf's fences are waited for on the CPU before use");
    file.wait(FENCE_TIMEOUT)?;
    Ok(None)
}

/// Attaches `done` (a sync_file that signals when the work on the buffer completes) to
/// the buffer behind `fd` as a fence of `access`. Returns false when it could not be: the
/// caller must then wait for the work on the CPU before the buffer goes back.
pub(crate) fn after_gpu_access(
    fd: BorrowedFd<'_>,
    access: Access,
    done: Option<&SyncFile>,
) -> Result<bool> {
    let Some(fence) = done.and_then(SyncFile::fd) else {
        note_once(&NO_SEMAPHORE_EXPORT, "the driver cannot export sync_files: work on dma-bufs is waited for on the CPU before they go back");
        return Ok(false);
    };
    use std::os::fd::AsFd;
    if !linux::import_sync_file(fd, access, fence.as_fd())? {
        note_once(&NO_IMPORT_IOCTL, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE is unavailable: work on dma-bufs is waited for on the CPU before they go back");
        return Ok(false);
    }
    Ok(true)
}

static NO_CPU_SYNC: Once = Once::new();
static NO_SEMAPHORE_IMPORT: Once = Once::new();
static NO_EXPORT_IOCTL: Once = Once::new();
static NO_SEMAPHORE_EXPORT: Once = Once::new();
static NO_IMPORT_IOCTL: Once = Once::new();

fn note_once(once: &'static Once, message: &'static str) {
    once.call_once(|| tracing::info!("implicit sync fallback: {message}"));
}
