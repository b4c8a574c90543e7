//! The kernel side of real dma-bufs, for tests that run where the kernel has them (the
//! guest of `scripts/test-vm`): udmabuf (a sealed memfd turned into a dma-buf, the way
//! shm-backed clients make them), vgem (a DRM driver with GEM buffers, PRIME export and
//! fences that stay pending until signalled), the dma-buf sync ioctls and sync_file facts.
//!
//! Written from the kernel's uapi headers (`linux/udmabuf.h`, `drm/drm.h`, `drm/vgem_drm.h`,
//! `linux/dma-buf.h`, `linux/sync_file.h`) independently of vkcompose's own ioctl code, so
//! that the tests check vkcompose against the kernel, not against itself.

#![allow(dead_code)]

use std::ffi::c_void;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::Duration;

const IOC_WRITE: u64 = 1;
const IOC_READ: u64 = 2;

const fn ioc(dir: u64, kind: u8, nr: u8, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((kind as u64) << 8) | nr as u64
}

/// Runs an ioctl whose argument is `arg`; `EINTR` is retried.
fn ioctl<T>(fd: BorrowedFd<'_>, request: u64, arg: &mut T) -> io::Result<()> {
    loop {
        // SAFETY: `arg` is a live, exclusively borrowed value of the struct `request` names.
        let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg as *mut T as *mut c_void) };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

pub const PAGE: usize = 4096;

/// Whether this machine has real dma-bufs to test with. Inside the guest
/// (`VKCOMPOSE_GUEST` set by `scripts/test-vm`) their absence is a failure, not a skip.
pub fn available(test: &str) -> bool {
    let here = Path::new("/dev/udmabuf").exists() && Path::new("/dev/dri/card0").exists();
    if !here {
        assert!(
            std::env::var_os("VKCOMPOSE_GUEST").is_none(),
            "{test}: the guest must have /dev/udmabuf and vgem's /dev/dri/card0"
        );
        eprintln!(
            "{test}: skipped: no /dev/udmabuf or /dev/dri/card0 here (scripts/test-vm runs it)"
        );
    }
    here
}

// ---- memfd and udmabuf -----------------------------------------------------------------------

/// A memfd of `len` bytes holding `bytes` at its start, sealed against shrinking (what
/// udmabuf requires: the pages cannot go away under the dma-buf).
pub fn sealed_memfd(len: usize, bytes: &[u8]) -> OwnedFd {
    assert!(bytes.len() <= len);
    // SAFETY: a NUL-terminated name and valid flags.
    let fd = unsafe {
        libc::memfd_create(
            c"vkcompose-test".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    assert!(fd >= 0, "memfd_create: {}", io::Error::last_os_error());
    // SAFETY: memfd_create returned a new fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let file = File::from(fd);
    file.set_len(len as u64).expect("ftruncate");
    std::os::unix::fs::FileExt::write_all_at(&file, bytes, 0).expect("write");
    // SAFETY: fcntl on an fd this function owns.
    let r = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, libc::F_SEAL_SHRINK) };
    assert_eq!(r, 0, "F_ADD_SEALS: {}", io::Error::last_os_error());
    file.into()
}

/// `struct udmabuf_create`.
#[repr(C)]
struct UdmabufCreate {
    memfd: u32,
    flags: u32,
    offset: u64,
    size: u64,
}
const UDMABUF_FLAGS_CLOEXEC: u32 = 1;
const UDMABUF_CREATE: u64 = ioc(IOC_WRITE, b'u', 0x42, size_of::<UdmabufCreate>());

/// A dma-buf over the whole of `memfd` (its size must be a multiple of the page size).
pub fn udmabuf(memfd: &OwnedFd) -> OwnedFd {
    let len = File::from(memfd.try_clone().unwrap())
        .metadata()
        .unwrap()
        .len();
    let dev = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/udmabuf")
        .expect("/dev/udmabuf");
    let mut create = UdmabufCreate {
        memfd: memfd.as_raw_fd() as u32,
        flags: UDMABUF_FLAGS_CLOEXEC,
        offset: 0,
        size: len,
    };
    // UDMABUF_CREATE returns the new fd rather than 0.
    // SAFETY: `create` is the ioctl's argument struct.
    let fd = unsafe { libc::ioctl(dev.as_raw_fd(), UDMABUF_CREATE as _, &mut create) };
    assert!(fd >= 0, "UDMABUF_CREATE: {}", io::Error::last_os_error());
    // SAFETY: the ioctl returned a new dma-buf fd that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

// ---- vgem ------------------------------------------------------------------------------------

/// `struct drm_mode_create_dumb`.
#[repr(C)]
#[derive(Default)]
struct CreateDumb {
    height: u32,
    width: u32,
    bpp: u32,
    flags: u32,
    handle: u32,
    pitch: u32,
    size: u64,
}
/// `struct drm_prime_handle`.
#[repr(C)]
struct PrimeHandle {
    handle: u32,
    flags: u32,
    fd: i32,
}
/// `struct drm_vgem_fence_attach`.
#[repr(C)]
struct FenceAttach {
    handle: u32,
    flags: u32,
    out_fence: u32,
    pad: u32,
}
/// `struct drm_vgem_fence_signal`.
#[repr(C)]
struct FenceSignal {
    fence: u32,
    flags: u32,
}
const DRM_COMMAND_BASE: u8 = 0x40;
const DRM_IOCTL_MODE_CREATE_DUMB: u64 =
    ioc(IOC_READ | IOC_WRITE, b'd', 0xb2, size_of::<CreateDumb>());
const DRM_IOCTL_PRIME_HANDLE_TO_FD: u64 =
    ioc(IOC_READ | IOC_WRITE, b'd', 0x2d, size_of::<PrimeHandle>());
const DRM_IOCTL_VGEM_FENCE_ATTACH: u64 = ioc(
    IOC_READ | IOC_WRITE,
    b'd',
    DRM_COMMAND_BASE + 1,
    size_of::<FenceAttach>(),
);
const DRM_IOCTL_VGEM_FENCE_SIGNAL: u64 = ioc(
    IOC_WRITE,
    b'd',
    DRM_COMMAND_BASE + 2,
    size_of::<FenceSignal>(),
);
const VGEM_FENCE_WRITE: u32 = 1;
const DRM_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
const DRM_RDWR: u32 = libc::O_RDWR as u32;

/// The vgem device (`/dev/dri/card0` in the guest).
pub struct Vgem {
    card: File,
}

/// A vgem dumb buffer: its GEM handle, its row pitch and its dma-buf.
pub struct VgemBuffer {
    pub handle: u32,
    pub pitch: u32,
    pub size: u64,
    pub dmabuf: OwnedFd,
}

/// A pending vgem fence, signalled by [`Vgem::signal`] (or by vgem itself after 10 s).
#[derive(Clone, Copy, Debug)]
pub struct VgemFence(u32);

impl Vgem {
    pub fn open() -> Vgem {
        let card = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/dri/card0")
            .expect("/dev/dri/card0");
        Vgem { card }
    }

    /// A `width` x `height` buffer of 32-bit pixels, exported with PRIME as a dma-buf that
    /// can be mapped for writing.
    pub fn dumb_buffer(&self, width: u32, height: u32) -> VgemBuffer {
        let mut create = CreateDumb {
            width,
            height,
            bpp: 32,
            ..Default::default()
        };
        ioctl(self.card.as_fd(), DRM_IOCTL_MODE_CREATE_DUMB, &mut create).expect("CREATE_DUMB");
        let mut prime = PrimeHandle {
            handle: create.handle,
            flags: DRM_CLOEXEC | DRM_RDWR,
            fd: -1,
        };
        ioctl(self.card.as_fd(), DRM_IOCTL_PRIME_HANDLE_TO_FD, &mut prime).expect("PRIME");
        VgemBuffer {
            handle: create.handle,
            pitch: create.pitch,
            size: create.size,
            // SAFETY: PRIME_HANDLE_TO_FD returned a new fd that nothing else owns.
            dmabuf: unsafe { OwnedFd::from_raw_fd(prime.fd) },
        }
    }

    /// Attaches a pending write fence to `buffer`: readers of its dma-buf must wait for it.
    pub fn attach_write_fence(&self, buffer: &VgemBuffer) -> VgemFence {
        let mut attach = FenceAttach {
            handle: buffer.handle,
            flags: VGEM_FENCE_WRITE,
            out_fence: 0,
            pad: 0,
        };
        ioctl(self.card.as_fd(), DRM_IOCTL_VGEM_FENCE_ATTACH, &mut attach).expect("FENCE_ATTACH");
        VgemFence(attach.out_fence)
    }

    pub fn signal(&self, fence: VgemFence) {
        let mut signal = FenceSignal {
            fence: fence.0,
            flags: 0,
        };
        ioctl(self.card.as_fd(), DRM_IOCTL_VGEM_FENCE_SIGNAL, &mut signal).expect("FENCE_SIGNAL");
    }

    pub fn try_clone(&self) -> Vgem {
        Vgem {
            card: self.card.try_clone().unwrap(),
        }
    }
}

// ---- dma-buf ioctls and mappings -------------------------------------------------------------

#[repr(C)]
struct SyncFileArg {
    flags: u32,
    fd: i32,
}
#[repr(C)]
struct DmaBufSync {
    flags: u64,
}
pub const SYNC_READ: u32 = 1;
pub const SYNC_WRITE: u32 = 2;
const DMA_BUF_SYNC_END: u64 = 4;
const DMA_BUF_IOCTL_SYNC: u64 = ioc(IOC_WRITE, b'b', 0, size_of::<DmaBufSync>());
const DMA_BUF_IOCTL_EXPORT_SYNC_FILE: u64 =
    ioc(IOC_READ | IOC_WRITE, b'b', 2, size_of::<SyncFileArg>());
const DMA_BUF_IOCTL_IMPORT_SYNC_FILE: u64 = ioc(IOC_WRITE, b'b', 3, size_of::<SyncFileArg>());

/// The fences a user of the buffer with `access` (SYNC_READ: a reader, who waits for
/// writers) must wait for, as one sync_file.
pub fn export_sync_file(dmabuf: BorrowedFd<'_>, access: u32) -> OwnedFd {
    let mut arg = SyncFileArg {
        flags: access,
        fd: -1,
    };
    ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &mut arg).expect("EXPORT_SYNC_FILE");
    // SAFETY: the ioctl returned a new sync_file fd that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(arg.fd) }
}

pub fn import_sync_file(dmabuf: BorrowedFd<'_>, access: u32, file: BorrowedFd<'_>) {
    let mut arg = SyncFileArg {
        flags: access,
        fd: file.as_raw_fd(),
    };
    ioctl(dmabuf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &mut arg).expect("IMPORT_SYNC_FILE");
}

/// Whether `fd` (a dma-buf or a sync_file) polls ready for `events` within `timeout`.
pub fn poll(fd: BorrowedFd<'_>, events: i16, timeout: Duration) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) };
    assert!(r >= 0, "poll: {}", io::Error::last_os_error());
    r == 1
}

/// `struct sync_file_info` (without its fence array).
#[repr(C)]
struct SyncFileInfo {
    name: [u8; 32],
    status: i32,
    flags: u32,
    num_fences: u32,
    pad: u32,
    sync_fence_info: u64,
}
const SYNC_IOC_FILE_INFO: u64 = ioc(IOC_READ | IOC_WRITE, b'>', 4, size_of::<SyncFileInfo>());

/// `struct sync_fence_info`.
#[repr(C)]
#[derive(Clone, Copy)]
struct SyncFenceInfo {
    obj_name: [u8; 32],
    driver_name: [u8; 32],
    status: i32,
    flags: u32,
    timestamp_ns: u64,
}

/// One fence of a sync_file: its driver and timeline names, and whether it signalled
/// (1), is pending (0) or failed (< 0).
#[derive(Clone, Debug, PartialEq)]
pub struct FenceInfo {
    pub driver: String,
    pub timeline: String,
    pub status: i32,
}

fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The fences a sync_file holds, or an error where `fd` is not a sync_file: what tells a
/// real sync_file from any other fd.
pub fn sync_file_fences(fd: BorrowedFd<'_>) -> io::Result<Vec<FenceInfo>> {
    let mut info = SyncFileInfo {
        name: [0; 32],
        status: 0,
        flags: 0,
        num_fences: 0,
        pad: 0,
        sync_fence_info: 0,
    };
    ioctl(fd, SYNC_IOC_FILE_INFO, &mut info)?;
    let empty = SyncFenceInfo {
        obj_name: [0; 32],
        driver_name: [0; 32],
        status: 0,
        flags: 0,
        timestamp_ns: 0,
    };
    let mut fences = vec![empty; info.num_fences as usize];
    info.sync_fence_info = fences.as_mut_ptr() as u64;
    ioctl(fd, SYNC_IOC_FILE_INFO, &mut info)?;
    Ok(fences
        .iter()
        .map(|f| FenceInfo {
            driver: c_text(&f.driver_name),
            timeline: c_text(&f.obj_name),
            status: f.status,
        })
        .collect())
}

/// A shared read-write mapping of a dma-buf (or memfd), CPU access bracketed with
/// `DMA_BUF_IOCTL_SYNC` where the fd has it.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    pub fn new(fd: BorrowedFd<'_>, len: usize) -> Mapping {
        // SAFETY: a fresh shared mapping of `len` bytes of a file we hold open.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        assert_ne!(
            ptr,
            libc::MAP_FAILED,
            "mmap: {}",
            io::Error::last_os_error()
        );
        Mapping {
            ptr: ptr.cast(),
            len,
        }
    }

    /// Runs `f` on the bytes between the kernel's begin and end of CPU access.
    pub fn with<T>(&mut self, fd: BorrowedFd<'_>, f: impl FnOnce(&mut [u8]) -> T) -> T {
        let rw = u64::from(SYNC_READ | SYNC_WRITE);
        let _ = ioctl(fd, DMA_BUF_IOCTL_SYNC, &mut DmaBufSync { flags: rw });
        // SAFETY: the mapping is `len` bytes, live until drop, and borrowed exclusively.
        let result = f(unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) });
        let end = rw | DMA_BUF_SYNC_END;
        let _ = ioctl(fd, DMA_BUF_IOCTL_SYNC, &mut DmaBufSync { flags: end });
        result
    }
}

impl Mapping {
    /// The bytes without the kernel's CPU-access bracket: what a buffer's producer does
    /// while its own fence on the buffer is pending (the bracket would wait for that
    /// fence).
    pub fn unsynced<T>(&mut self, f: impl FnOnce(&mut [u8]) -> T) -> T {
        // SAFETY: the mapping is `len` bytes, live until drop, and borrowed exclusively.
        f(unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) })
    }
}

// SAFETY: the mapping is plain shared memory; `with` borrows it exclusively.
unsafe impl Send for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
