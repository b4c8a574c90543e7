//! Synchronization primitives: fences, binary and timeline semaphores, and their export to
//! and import from file descriptors (sync_files and opaque fds) where the driver can.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ash::vk;

use crate::core::device::Device;
use crate::error::{Error, Result, VkResultExt};

/// A fence: the CPU waits for a submission.
pub struct Fence {
    device: Device,
    raw: vk::Fence,
    /// Set when a submission will signal it, so that drop knows whether waiting can end.
    pending: AtomicBool,
}

/// A binary semaphore: orders one submission after another (or after a sync_file).
pub struct Semaphore {
    device: Device,
    raw: vk::Semaphore,
    /// The handle type it can be exported as; exporting another is invalid usage.
    export: Option<SemaphoreHandle>,
}

/// A timeline semaphore: a 64-bit counter that submissions and the CPU advance and wait on.
pub struct TimelineSemaphore {
    device: Device,
    raw: vk::Semaphore,
    exportable: bool,
}

/// A Linux sync_file: a fence another process, driver or the kernel can wait on.
/// `None` inside means "already signalled" (Vulkan exports and accepts -1 for that).
#[derive(Debug)]
pub struct SyncFile(Option<OwnedFd>);

/// How a semaphore is shared through a file descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemaphoreHandle {
    /// A driver-private fd, meaningful only to the same driver (another device, process).
    OpaqueFd,
    /// A kernel sync_file; binary semaphores only, exported with a signal pending.
    SyncFd,
}

impl SemaphoreHandle {
    fn flags(self) -> vk::ExternalSemaphoreHandleTypeFlags {
        match self {
            SemaphoreHandle::OpaqueFd => vk::ExternalSemaphoreHandleTypeFlags::OPAQUE_FD,
            SemaphoreHandle::SyncFd => vk::ExternalSemaphoreHandleTypeFlags::SYNC_FD,
        }
    }

    fn name(self) -> &'static str {
        match self {
            SemaphoreHandle::OpaqueFd => "opaque-fd semaphores",
            SemaphoreHandle::SyncFd => "sync_file semaphores",
        }
    }
}

impl Fence {
    pub fn new(device: &Device, signaled: bool) -> Result<Fence> {
        let flags = if signaled {
            vk::FenceCreateFlags::SIGNALED
        } else {
            vk::FenceCreateFlags::empty()
        };
        let info = vk::FenceCreateInfo::default().flags(flags);
        // SAFETY: a valid create info.
        let raw = unsafe { device.raw().create_fence(&info, None) }.or_vk("vkCreateFence")?;
        device.count_created();
        Ok(Fence {
            device: device.clone(),
            raw,
            pending: AtomicBool::new(false),
        })
    }

    /// Waits up to `timeout`; `Ok(false)` when it passed first.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        self.device.require_alive()?;
        // SAFETY: the fence belongs to this device.
        let result = unsafe {
            self.device
                .raw()
                .wait_for_fences(&[self.raw], true, nanos(timeout))
        };
        self.device
            .note(timed_out_is_false(result, "vkWaitForFences"))
    }

    pub fn is_signaled(&self) -> Result<bool> {
        self.device.require_alive()?;
        // SAFETY: the fence belongs to this device.
        let result = unsafe { self.device.raw().get_fence_status(self.raw) };
        self.device.note(result.or_vk("vkGetFenceStatus"))
    }

    /// Unsignals the fence for reuse. The caller must not reset a fence a pending
    /// submission will signal; waiting first makes that so.
    pub fn reset(&self) -> Result<()> {
        if !self.is_signaled()? {
            return Err(Error::InvalidArgument(
                "resetting a fence that is not signalled could race a pending submission; wait first".into(),
            ));
        }
        // SAFETY: signalled, so no pending submission refers to it.
        unsafe { self.device.raw().reset_fences(&[self.raw]) }.or_vk("vkResetFences")?;
        self.pending.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Called by the queue when a submission will signal the fence. An unsignalled fence
    /// cannot be submitted twice.
    pub(crate) fn mark_submitted(&self) -> Result<()> {
        if self.pending.swap(true, Ordering::SeqCst) || self.is_signaled()? {
            return Err(Error::InvalidArgument(
                "a fence can be submitted only when unsignalled and not already pending; reset it first".into(),
            ));
        }
        Ok(())
    }

    pub(crate) fn unmark_submitted(&self) {
        self.pending.store(false, Ordering::SeqCst);
    }

    pub fn raw(&self) -> vk::Fence {
        self.raw
    }
}

impl Drop for Fence {
    fn drop(&mut self) {
        // A fence still pending must outlive its submission; waiting is the only safe way
        // out when the owner drops it early.
        if self.pending.load(Ordering::SeqCst) {
            let _ = self.wait(Duration::MAX);
        }
        // SAFETY: signalled (or the device is lost), so no queue operation uses it.
        unsafe { self.device.raw().destroy_fence(self.raw, None) };
    }
}

impl Semaphore {
    pub fn new(device: &Device) -> Result<Semaphore> {
        Self::create(device, None)
    }

    /// A semaphore that can later be exported as `handle`.
    pub fn exportable(device: &Device, handle: SemaphoreHandle) -> Result<Semaphore> {
        require(device, handle, Direction::Export)?;
        Self::create(device, Some(handle))
    }

    fn create(device: &Device, export: Option<SemaphoreHandle>) -> Result<Semaphore> {
        let mut export_info = vk::ExportSemaphoreCreateInfo::default()
            .handle_types(export.map(SemaphoreHandle::flags).unwrap_or_default());
        let mut info = vk::SemaphoreCreateInfo::default();
        if export.is_some() {
            info = info.push_next(&mut export_info);
        }
        // SAFETY: a valid create info; the export handle type was checked as supported.
        let raw =
            unsafe { device.raw().create_semaphore(&info, None) }.or_vk("vkCreateSemaphore")?;
        device.count_created();
        Ok(Semaphore {
            device: device.clone(),
            raw,
            export,
        })
    }

    /// Exports the semaphore's payload as a sync_file. The semaphore must have a signal
    /// submitted (or have signalled); like a wait, this unsignals it.
    pub fn export_sync_file(&self) -> Result<SyncFile> {
        self.require_exportable(SemaphoreHandle::SyncFd)?;
        let fd = export_fd(&self.device, self.raw, SemaphoreHandle::SyncFd)?;
        Ok(SyncFile(fd))
    }

    /// Exports an opaque fd that shares this semaphore (the same object, not a snapshot).
    pub fn export_opaque_fd(&self) -> Result<OwnedFd> {
        self.require_exportable(SemaphoreHandle::OpaqueFd)?;
        export_fd(&self.device, self.raw, SemaphoreHandle::OpaqueFd)?
            .ok_or_else(|| Error::InvalidArgument("the driver exported no fd".into()))
    }

    fn require_exportable(&self, handle: SemaphoreHandle) -> Result<()> {
        if self.export == Some(handle) {
            return Ok(());
        }
        Err(Error::InvalidArgument(format!(
            "this semaphore was not created exportable as {}; use Semaphore::exportable",
            handle.name()
        )))
    }

    /// Makes the next wait on this semaphore wait for `file` (a temporary import: after
    /// that wait the semaphore is its old self again). Consumes the file. An fd that is no
    /// sync_file is refused here (the driver would take it as invalid usage).
    pub fn import_sync_file(&self, file: SyncFile) -> Result<()> {
        if let Some(fd) = &file.0 {
            require_sync_file(fd.as_fd())?;
        }
        let fd = file.0.map_or(-1, IntoRawFd::into_raw_fd);
        import_fd(&self.device, self.raw, SemaphoreHandle::SyncFd, fd, true)
    }

    /// Makes this semaphore share the payload behind `fd` (permanently).
    pub fn import_opaque_fd(&self, fd: OwnedFd) -> Result<()> {
        import_fd(
            &self.device,
            self.raw,
            SemaphoreHandle::OpaqueFd,
            fd.into_raw_fd(),
            false,
        )
    }

    pub fn raw(&self) -> vk::Semaphore {
        self.raw
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        destroy_when_idle(&self.device, self.raw);
    }
}

/// Submissions that still use a semaphore must finish before it is destroyed, and the
/// semaphore does not say when that is: wait for the queues. The renderer drops its
/// semaphores once their timeline point has passed, where this wait costs nothing.
fn destroy_when_idle(device: &Device, semaphore: vk::Semaphore) {
    let _ = device.wait_idle();
    // SAFETY: the queues are idle, so no pending operation refers to the semaphore.
    unsafe { device.raw().destroy_semaphore(semaphore, None) };
}

impl TimelineSemaphore {
    pub fn new(device: &Device, initial: u64) -> Result<TimelineSemaphore> {
        Self::create(device, initial, false)
    }

    /// A timeline that can be exported as an opaque fd (sync_files cannot carry timelines).
    pub fn exportable(device: &Device, initial: u64) -> Result<TimelineSemaphore> {
        require(device, SemaphoreHandle::OpaqueFd, Direction::Export)?;
        Self::create(device, initial, true)
    }

    fn create(device: &Device, initial: u64, export: bool) -> Result<TimelineSemaphore> {
        let mut kind = vk::SemaphoreTypeCreateInfo::default()
            .semaphore_type(vk::SemaphoreType::TIMELINE)
            .initial_value(initial);
        let mut export_info = vk::ExportSemaphoreCreateInfo::default()
            .handle_types(vk::ExternalSemaphoreHandleTypeFlags::OPAQUE_FD);
        let mut info = vk::SemaphoreCreateInfo::default().push_next(&mut kind);
        if export {
            info = info.push_next(&mut export_info);
        }
        // SAFETY: timeline semaphores are enabled on every device (baseline).
        let raw =
            unsafe { device.raw().create_semaphore(&info, None) }.or_vk("vkCreateSemaphore")?;
        device.count_created();
        Ok(TimelineSemaphore {
            device: device.clone(),
            raw,
            exportable: export,
        })
    }

    /// The counter's current value.
    pub fn value(&self) -> Result<u64> {
        self.device.require_alive()?;
        // SAFETY: a timeline semaphore of this device.
        let result = unsafe { self.device.raw().get_semaphore_counter_value(self.raw) };
        self.device.note(result.or_vk("vkGetSemaphoreCounterValue"))
    }

    /// Sets the counter from the CPU. `value` must be greater than the current value and
    /// than any pending signal; a smaller one is refused here rather than reaching the
    /// driver as invalid usage.
    pub fn signal(&self, value: u64) -> Result<()> {
        let current = self.value()?;
        if value <= current {
            return Err(Error::InvalidArgument(format!(
                "a timeline signal must raise the value: {value} <= current {current}"
            )));
        }
        let info = vk::SemaphoreSignalInfo::default()
            .semaphore(self.raw)
            .value(value);
        // SAFETY: checked above that the value increases.
        unsafe { self.device.raw().signal_semaphore(&info) }.or_vk("vkSignalSemaphore")
    }

    /// Waits until the counter reaches `value`, up to `timeout`; `Ok(false)` on timeout.
    pub fn wait(&self, value: u64, timeout: Duration) -> Result<bool> {
        let semaphores = [self.raw];
        let values = [value];
        let info = vk::SemaphoreWaitInfo::default()
            .semaphores(&semaphores)
            .values(&values);
        self.device.require_alive()?;
        // SAFETY: a timeline semaphore of this device; the arrays outlive the call.
        let result = unsafe { self.device.raw().wait_semaphores(&info, nanos(timeout)) };
        self.device
            .note(timed_out_is_false(result, "vkWaitSemaphores"))
    }

    pub fn export_opaque_fd(&self) -> Result<OwnedFd> {
        if !self.exportable {
            return Err(Error::InvalidArgument(
                "this timeline was not created exportable; use TimelineSemaphore::exportable"
                    .into(),
            ));
        }
        export_fd(&self.device, self.raw, SemaphoreHandle::OpaqueFd)?
            .ok_or_else(|| Error::InvalidArgument("the driver exported no fd".into()))
    }

    /// A timeline sharing the payload behind `fd`, exported by another device of the same
    /// driver (or another process).
    pub fn import_opaque_fd(device: &Device, fd: OwnedFd) -> Result<TimelineSemaphore> {
        require(device, SemaphoreHandle::OpaqueFd, Direction::Import)?;
        let semaphore = Self::create(device, 0, false)?;
        import_fd(
            device,
            semaphore.raw,
            SemaphoreHandle::OpaqueFd,
            fd.into_raw_fd(),
            false,
        )?;
        Ok(semaphore)
    }

    pub fn raw(&self) -> vk::Semaphore {
        self.raw
    }
}

impl Drop for TimelineSemaphore {
    fn drop(&mut self) {
        destroy_when_idle(&self.device, self.raw);
    }
}

impl SyncFile {
    /// Takes ownership of a sync_file fd (as received from the kernel or a client).
    pub fn from_fd(fd: OwnedFd) -> SyncFile {
        SyncFile(Some(fd))
    }

    /// A sync_file that is already signalled.
    pub fn signaled() -> SyncFile {
        SyncFile(None)
    }

    pub fn fd(&self) -> Option<&OwnedFd> {
        self.0.as_ref()
    }

    pub fn into_fd(self) -> Option<OwnedFd> {
        self.0
    }

    /// Waits on the CPU until the fence signals, up to `timeout`; `Ok(false)` on timeout.
    pub fn wait(&self, timeout: Duration) -> Result<bool> {
        let Some(fd) = &self.0 else { return Ok(true) };
        let mut poll = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready < 0 {
            return Err(Error::Io(std::io::Error::last_os_error()));
        }
        Ok(ready > 0)
    }
}

/// `struct sync_file_info` of `linux/sync_file.h`, asked for without its fence list.
#[repr(C)]
struct SyncFileInfo {
    name: [u8; 32],
    status: i32,
    flags: u32,
    num_fences: u32,
    pad: u32,
    sync_fence_info: u64,
}

/// `_IOWR('>', 4, struct sync_file_info)`: read and write (3) in bits 30-31, the size in
/// 16-29, the type in 8-15, the number in 0-7.
const SYNC_IOC_FILE_INFO: u64 =
    (3 << 30) | ((size_of::<SyncFileInfo>() as u64) << 16) | ((b'>' as u64) << 8) | 4;

/// An `InvalidArgument` error unless `fd` is a sync_file: only the sync_file driver
/// answers `SYNC_IOC_FILE_INFO` (anything else says ENOTTY or EINVAL).
fn require_sync_file(fd: BorrowedFd<'_>) -> Result<()> {
    // SAFETY: plain old data; all zeroes (no fence list asked for) is a valid argument.
    let mut info: SyncFileInfo = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `info` is the live argument struct the request encodes the size of; with
        // `num_fences` 0 the kernel writes only into it.
        let result = unsafe {
            libc::ioctl(
                fd.as_raw_fd(),
                SYNC_IOC_FILE_INFO as _,
                (&raw mut info).cast::<libc::c_void>(),
            )
        };
        if result == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINTR) {
            return Err(Error::InvalidArgument(format!(
                "fd {} is not a sync_file ({error})",
                fd.as_raw_fd()
            )));
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Export,
    Import,
}

/// An error naming the device and what it lacks unless it can move `handle` that way.
fn require(device: &Device, handle: SemaphoreHandle, direction: Direction) -> Result<()> {
    let caps = device.capabilities();
    let support = match handle {
        SemaphoreHandle::OpaqueFd => caps.opaque_fd_semaphore,
        SemaphoreHandle::SyncFd => caps.sync_file,
    };
    let (ok, verb) = match direction {
        Direction::Export => (support.export, "export"),
        Direction::Import => (support.import, "import"),
    };
    if ok {
        return Ok(());
    }
    Err(Error::Unsupported {
        device: device.name().to_string(),
        what: format!(
            "{verb} of {} (VK_KHR_external_semaphore_fd with that handle type)",
            handle.name()
        ),
    })
}

fn export_fd(
    device: &Device,
    semaphore: vk::Semaphore,
    handle: SemaphoreHandle,
) -> Result<Option<OwnedFd>> {
    require(device, handle, Direction::Export)?;
    let loader = device.semaphore_fd()?;
    let info = vk::SemaphoreGetFdInfoKHR::default()
        .semaphore(semaphore)
        .handle_type(handle.flags());
    // SAFETY: the semaphore was created exportable as `handle` (`exportable` is the only
    // constructor that allows it, and the driver rejects others with an error code).
    let fd = unsafe { loader.get_semaphore_fd(&info) }.or_vk("vkGetSemaphoreFdKHR")?;
    // SAFETY: a successful export hands us a new fd (or -1 for a signalled sync_file).
    Ok((fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// On success the driver owns `fd`; on failure it is closed here.
fn import_fd(
    device: &Device,
    semaphore: vk::Semaphore,
    handle: SemaphoreHandle,
    fd: i32,
    temporary: bool,
) -> Result<()> {
    let close = || {
        if fd >= 0 {
            // SAFETY: the import failed, so the fd is still ours and nothing else owns it.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    };
    let loader = require(device, handle, Direction::Import)
        .and_then(|()| device.semaphore_fd())
        .inspect_err(|_| close())?;
    let flags = if temporary {
        vk::SemaphoreImportFlags::TEMPORARY
    } else {
        vk::SemaphoreImportFlags::empty()
    };
    let info = vk::ImportSemaphoreFdInfoKHR::default()
        .semaphore(semaphore)
        .handle_type(handle.flags())
        .flags(flags)
        .fd(fd);
    // SAFETY: sync_fd imports are temporary as the spec requires; the fd is owned by us and
    // passes to the driver on success.
    unsafe { loader.import_semaphore_fd(&info) }
        .or_vk("vkImportSemaphoreFdKHR")
        .inspect_err(|_| close())
}

fn nanos(timeout: Duration) -> u64 {
    timeout.as_nanos().min(u128::from(u64::MAX)) as u64
}

fn timed_out_is_false(result: ash::prelude::VkResult<()>, call: &'static str) -> Result<bool> {
    match result {
        Ok(()) => Ok(true),
        Err(vk::Result::TIMEOUT) => Ok(false),
        Err(e) => Err(e).or_vk(call),
    }
}
