//! The Linux side of dmabufs: fd facts, read-only mappings, and the dma-buf ioctls for CPU
//! access and implicit synchronization.
//!
//! The ioctls come from the kernel's `include/uapi/linux/dma-buf.h`. Kernels or files
//! that lack one answer `ENOTTY` (or `EINVAL`); those answers become `false`/`None` here
//! so that callers fall back instead of failing: memfds standing in for linear dmabufs
//! take every fallback.

// The mappings and ioctls serve the mmap-copy import and the export paths, which are
// written on their own branches; until those land, only the tests here use them.
#![cfg_attr(not(test), allow(dead_code))]

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

/// How the CPU means to touch a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    /// `DMA_BUF_SYNC_READ`, `_WRITE` or `_RW`.
    fn sync_flags(self) -> u64 {
        match self {
            Access::Read => DMA_BUF_SYNC_READ,
            Access::Write => DMA_BUF_SYNC_WRITE,
            Access::ReadWrite => DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE,
        }
    }
}

const DMA_BUF_SYNC_READ: u64 = 1;
const DMA_BUF_SYNC_WRITE: u64 = 2;
const DMA_BUF_SYNC_START: u64 = 0;
const DMA_BUF_SYNC_END: u64 = 4;

/// `struct dma_buf_sync`.
#[repr(C)]
struct DmaBufSync {
    flags: u64,
}

/// `struct dma_buf_export_sync_file` and `struct dma_buf_import_sync_file`: the same
/// fields, one a result and one an argument.
#[repr(C)]
struct DmaBufSyncFile {
    flags: u32,
    fd: i32,
}

const IOC_WRITE: u64 = 1;
const IOC_READ: u64 = 2;

/// An ioctl request number as `_IOC` in `asm-generic/ioctl.h` encodes it: direction in
/// bits 30-31, argument size in 16-29, type in 8-15, number in 0-7.
const fn ioc(dir: u64, kind: u8, nr: u8, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((kind as u64) << 8) | nr as u64
}

/// `_IOW('b', 0, struct dma_buf_sync)`.
const DMA_BUF_IOCTL_SYNC: u64 = ioc(IOC_WRITE, b'b', 0, size_of::<DmaBufSync>());
/// `_IOWR('b', 2, struct dma_buf_export_sync_file)`.
const DMA_BUF_IOCTL_EXPORT_SYNC_FILE: u64 =
    ioc(IOC_READ | IOC_WRITE, b'b', 2, size_of::<DmaBufSyncFile>());
/// `_IOW('b', 3, struct dma_buf_import_sync_file)`.
const DMA_BUF_IOCTL_IMPORT_SYNC_FILE: u64 = ioc(IOC_WRITE, b'b', 3, size_of::<DmaBufSyncFile>());

/// The size of the file `fd` refers to, from `lseek(SEEK_END)` (what the kernel offers for
/// dma-bufs), with the file position put back where it was. Another thread seeking the
/// same open file at the same time would race; nothing in vkcompose reads by position.
pub(crate) fn fd_size(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let raw = fd.as_raw_fd();
    let seek = |offset: libc::off_t, whence: libc::c_int| {
        // SAFETY: lseek on a borrowed, open fd touches no memory.
        let position = unsafe { libc::lseek(raw, offset, whence) };
        if position < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(position)
        }
    };
    let current = seek(0, libc::SEEK_CUR)?;
    let end = seek(0, libc::SEEK_END)?;
    seek(current, libc::SEEK_SET)?;
    Ok(end as u64)
}

/// Whether `fd` is an open file descriptor: `EBADF` when it is not. `BorrowedFd` promises
/// it is, but a caller may have closed the number behind its owner's back.
pub(crate) fn check_open(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFD reads the descriptor's flags and touches no memory.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The file `fd` refers to, as (device, inode): two fds with the same id are the same
/// buffer even when they are different numbers (a dup, or the same dma-buf sent twice).
pub(crate) fn file_id(fd: BorrowedFd<'_>) -> io::Result<(u64, u64)> {
    let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat fills the stat buffer it is given, which is large enough.
    if unsafe { libc::fstat(fd.as_raw_fd(), stat.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded, so it initialized the buffer.
    let stat = unsafe { stat.assume_init() };
    Ok((stat.st_dev, stat.st_ino))
}

/// A read-only view of `len` bytes of an fd from `offset` on, unmapped on drop.
#[derive(Debug)]
pub(crate) struct Mapping {
    /// Where the mapping starts: `offset` rounded down to a page.
    base: NonNull<c_void>,
    /// Bytes mapped from `base`.
    mapped: usize,
    /// From `base` to the first requested byte.
    skip: usize,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by this value alone; reading it from any
// thread is as safe as from the one that made it.
unsafe impl Send for Mapping {}
// SAFETY: as above: `&Mapping` only hands out shared byte slices.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from `offset` on, shared and read-only. Fails for an empty
    /// range, a range past the end of the file where its size is known (touching those
    /// pages would raise SIGBUS), and files that cannot be mapped (pipes).
    pub(crate) fn new(fd: BorrowedFd<'_>, offset: u64, len: usize) -> io::Result<Mapping> {
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        if len == 0 {
            return Err(invalid("cannot map 0 bytes".into()));
        }
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| invalid(format!("{len} bytes at offset {offset} overflow")))?;
        if let Ok(size) = fd_size(fd) {
            if end > size {
                return Err(invalid(format!(
                    "bytes {offset}..{end} lie past the end of the {size}-byte file"
                )));
            }
        }
        let page = page_size();
        let skip = (offset % page) as usize;
        let start = libc::off_t::try_from(offset - skip as u64)
            .map_err(|_| invalid(format!("offset {offset} is too large to map")))?;
        let mapped = len
            .checked_add(skip)
            .ok_or_else(|| invalid(format!("{len} bytes are too many to map")))?;
        // SAFETY: a new mapping chosen by the kernel, of an open fd; it aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                start,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(base).ok_or_else(|| invalid("mmap returned null".into()))?;
        Ok(Mapping {
            base,
            mapped,
            skip,
            len,
        })
    }

    /// Exactly the requested bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `skip + len` bytes from `base` are mapped readable until drop. The
        // producer may write to the buffer meanwhile (it should not while it is ours);
        // then the bytes read may be torn, but every value is a valid u8.
        unsafe {
            std::slice::from_raw_parts(self.base.as_ptr().cast::<u8>().add(self.skip), self.len)
        }
    }
}

impl Mapping {
    /// The mapped pages: their page-aligned start, and the length rounded up to whole
    /// pages, which is what the kernel maps (bytes of the last page past the file's end
    /// read as zero). What a host-memory import of the mapping covers.
    pub(crate) fn pages(&self) -> (NonNull<u8>, usize) {
        let page = page_size() as usize;
        (self.base.cast(), self.mapped.div_ceil(page) * page)
    }

    /// Bytes from the start of [`Mapping::pages`] to the first requested byte.
    pub(crate) fn skip(&self) -> usize {
        self.skip
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: exactly the range mmap returned, unmapped once; no slice of it outlives
        // `self`.
        unsafe { libc::munmap(self.base.as_ptr(), self.mapped) };
    }
}

pub(crate) fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant of the system.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    // Every Linux has a page size; 4096 is the smallest there is.
    u64::try_from(size).unwrap_or(4096).max(1)
}

/// Brackets CPU access to a dma-buf (`DMA_BUF_IOCTL_SYNC`, `begin` for START, else END)
/// so that caches are kept coherent. `Ok(false)` when `fd` is no dma-buf or the kernel
/// lacks the ioctl: then there is nothing to bracket.
pub(crate) fn cpu_access(fd: BorrowedFd<'_>, access: Access, begin: bool) -> io::Result<bool> {
    let phase = if begin {
        DMA_BUF_SYNC_START
    } else {
        DMA_BUF_SYNC_END
    };
    let mut arg = DmaBufSync {
        flags: access.sync_flags() | phase,
    };
    dma_buf_ioctl(fd, DMA_BUF_IOCTL_SYNC, (&raw mut arg).cast())
}

/// The fences a CPU access of kind `access` would wait for, as a sync_file
/// (`DMA_BUF_IOCTL_EXPORT_SYNC_FILE`, Linux 6.0): readers wait for writers, writers for
/// everyone. `None` when `fd` is no dma-buf or the kernel lacks the ioctl.
pub(crate) fn export_sync_file(fd: BorrowedFd<'_>, access: Access) -> io::Result<Option<OwnedFd>> {
    let mut arg = DmaBufSyncFile {
        flags: access.sync_flags() as u32,
        fd: -1,
    };
    if !dma_buf_ioctl(fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, (&raw mut arg).cast())? {
        return Ok(None);
    }
    if arg.fd < 0 {
        return Err(io::Error::other("the kernel exported no sync_file fd"));
    }
    // SAFETY: the kernel just created this fd for us; nothing else owns it.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(arg.fd) }))
}

/// Adds `sync_file`'s fence to the buffer's implicit fences
/// (`DMA_BUF_IOCTL_IMPORT_SYNC_FILE`, Linux 6.0): as a write when `access` writes, so that
/// later readers wait for it. `false` when `fd` is no dma-buf or the kernel lacks the ioctl.
pub(crate) fn import_sync_file(
    fd: BorrowedFd<'_>,
    access: Access,
    sync_file: BorrowedFd<'_>,
) -> io::Result<bool> {
    let mut arg = DmaBufSyncFile {
        flags: access.sync_flags() as u32,
        fd: sync_file.as_raw_fd(),
    };
    dma_buf_ioctl(fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, (&raw mut arg).cast())
}

/// One dma-buf ioctl, retried when interrupted; `Ok(false)` when not supported.
fn dma_buf_ioctl(fd: BorrowedFd<'_>, request: u64, arg: *mut c_void) -> io::Result<bool> {
    loop {
        // SAFETY: `arg` points to the live argument struct `request` encodes the size
        // of, which the kernel reads and (for EXPORT) writes.
        if unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) } == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR | libc::EAGAIN) => continue,
            Some(libc::ENOTTY | libc::EINVAL) => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// Waits up to `timeout` until a CPU access of kind `access` would not wait for the GPU:
/// `poll` on a dma-buf is ready for reading once its writers are done and for writing
/// once everyone is. `true` when ready (files that are no dma-buf are ready at once, or
/// report an error or hangup, which would not block either); `false` on timeout.
pub(crate) fn poll_ready(
    fd: BorrowedFd<'_>,
    access: Access,
    timeout: Duration,
) -> io::Result<bool> {
    let events = match access {
        Access::Read => libc::POLLIN,
        Access::Write | Access::ReadWrite => libc::POLLOUT,
    };
    // A timeout too long to add to now means waiting for ever.
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let mut pollfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events,
            revents: 0,
        };
        let wait = deadline.map_or(-1, |d| {
            poll_millis(d.saturating_duration_since(Instant::now()))
        });
        // SAFETY: one pollfd, alive for the call.
        let ready = unsafe { libc::poll(&raw mut pollfd, 1, wait) };
        if ready < 0 {
            let error = io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(error);
        }
        if ready == 0 {
            return Ok(false);
        }
        if pollfd.revents & libc::POLLNVAL != 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        return Ok(pollfd.revents & (events | libc::POLLERR | libc::POLLHUP) != 0);
    }
}

/// `poll`'s timeout: milliseconds rounded up (so that a short wait does not become a
/// busy loop), at most `i32::MAX`.
fn poll_millis(time: Duration) -> i32 {
    let millis = time.as_nanos().div_ceil(1_000_000);
    i32::try_from(millis).unwrap_or(i32::MAX)
}

/// The number of open file descriptors of this process (the entries of `/proc/self/fd`,
/// less the one that reads them): tests use it to show that nothing leaks fds.
pub fn open_fd_count() -> io::Result<usize> {
    let entries = std::fs::read_dir("/proc/self/fd")?.count();
    Ok(entries.saturating_sub(1))
}

/// Held by unit tests that count this process's fds or open many at once, so that they
/// do not disturb each other's counts.
#[cfg(test)]
pub(crate) static FD_COUNT_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
pub(crate) mod test_fds {
    //! Fds for tests: memfds that stand in for linear dmabufs, and pipes.

    use std::io::Write;
    use std::os::fd::{FromRawFd, OwnedFd};

    /// An anonymous file of `len` bytes, each `pattern(index)`.
    pub(crate) fn memfd(len: usize, pattern: impl Fn(usize) -> u8) -> OwnedFd {
        // SAFETY: a NUL-terminated name; memfd_create returns a new fd or -1.
        let raw = unsafe { libc::memfd_create(c"vkcompose-test".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(
            raw >= 0,
            "memfd_create: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: a new fd nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let bytes: Vec<u8> = (0..len).map(pattern).collect();
        let mut file = std::fs::File::from(fd);
        file.write_all(&bytes).unwrap();
        OwnedFd::from(file)
    }

    /// A pipe as (read end, write end).
    pub(crate) fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: pipe2 writes two fds into the array.
        let result = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(result, 0, "pipe2: {}", std::io::Error::last_os_error());
        // SAFETY: two new fds nothing else owns.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    /// A number that is no open fd and never will be: above the kernel's hard limit on fd
    /// numbers (`fs.nr_open` is at most 2^30), so no other test can be handed it.
    pub(crate) const NEVER_OPEN: i32 = i32::MAX - 1;
}

#[cfg(test)]
mod tests {
    use super::test_fds::{memfd, pipe, NEVER_OPEN};
    use super::*;
    use std::io::{Seek, SeekFrom, Write};
    use std::os::fd::AsFd;

    fn position(fd: &OwnedFd) -> u64 {
        // SAFETY: reads the position of an open fd.
        unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_CUR) as u64 }
    }

    #[test]
    fn ioctl_numbers_match_the_kernel_headers() {
        assert_eq!(DMA_BUF_IOCTL_SYNC, 0x4008_6200);
        assert_eq!(DMA_BUF_IOCTL_EXPORT_SYNC_FILE, 0xc008_6202);
        assert_eq!(DMA_BUF_IOCTL_IMPORT_SYNC_FILE, 0x4008_6203);
    }

    #[test]
    fn fd_size_reports_the_end_and_keeps_the_position() {
        let fd = memfd(10_000, |_| 0);
        let mut file = std::fs::File::from(fd.try_clone().unwrap());
        file.seek(SeekFrom::Start(123)).unwrap();
        assert_eq!(fd_size(fd.as_fd()).unwrap(), 10_000);
        assert_eq!(position(&fd), 123);
        file.write_all(&[1; 10]).unwrap();
        assert_eq!(position(&fd), 133, "writes continue where they were");
    }

    #[test]
    fn fd_size_of_a_pipe_is_an_error() {
        let (read, _write) = pipe();
        let error = fd_size(read.as_fd()).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ESPIPE));
    }

    #[test]
    fn check_open_tells_open_from_closed_numbers() {
        let fd = memfd(1, |_| 0);
        check_open(fd.as_fd()).unwrap();
        // SAFETY: only asked about, never used for I/O or closed.
        let closed = unsafe { BorrowedFd::borrow_raw(NEVER_OPEN) };
        let error = check_open(closed).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn file_id_is_the_same_for_dups_and_differs_between_files() {
        let a = memfd(1, |_| 0);
        let dup = a.try_clone().unwrap();
        let b = memfd(1, |_| 0);
        let id = file_id(a.as_fd()).unwrap();
        assert_eq!(file_id(dup.as_fd()).unwrap(), id);
        assert_ne!(file_id(b.as_fd()).unwrap(), id);
    }

    #[test]
    fn a_mapping_shows_exactly_the_requested_bytes() {
        let pattern = |i: usize| (i % 251) as u8;
        let len = 3 * page_size() as usize;
        let fd = memfd(len, pattern);
        for (offset, count) in [(0, 1), (4097, 100), (100, len - 100), (len - 1, 1)] {
            let mapping = Mapping::new(fd.as_fd(), offset as u64, count).unwrap();
            let expected: Vec<u8> = (offset..offset + count).map(pattern).collect();
            assert_eq!(mapping.bytes(), expected, "offset {offset}, {count} bytes");
        }
    }

    #[test]
    fn a_mapping_refuses_empty_out_of_range_and_unmappable() {
        let fd = memfd(100, |_| 0);
        let refused = [(0, 0), (0, 101), (100, 1), (u64::MAX, 1)];
        for (offset, len) in refused {
            let error = Mapping::new(fd.as_fd(), offset, len).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{offset} {len}");
        }
        let (read, _write) = pipe();
        assert!(Mapping::new(read.as_fd(), 0, 1).is_err());
    }

    #[test]
    fn a_mapping_outlives_its_fd_and_is_shareable() {
        fn shareable<T: Send + Sync>(_: &T) {}
        let fd = memfd(10, |i| i as u8);
        let mapping = Mapping::new(fd.as_fd(), 2, 3).unwrap();
        drop(fd);
        shareable(&mapping);
        let bytes = std::thread::scope(|s| s.spawn(|| mapping.bytes().to_vec()).join().unwrap());
        assert_eq!(bytes, [2, 3, 4]);
    }

    #[test]
    fn dma_buf_ioctls_on_other_files_report_unsupported() {
        let fd = memfd(4096, |_| 0);
        let (read, write) = pipe();
        for file in [fd.as_fd(), read.as_fd(), write.as_fd()] {
            for access in [Access::Read, Access::Write, Access::ReadWrite] {
                assert!(!cpu_access(file, access, true).unwrap());
                assert!(!cpu_access(file, access, false).unwrap());
                assert!(export_sync_file(file, access).unwrap().is_none());
                assert!(!import_sync_file(file, access, read.as_fd()).unwrap());
            }
        }
    }

    #[test]
    fn poll_ready_waits_for_the_direction_asked() {
        let fd = memfd(1, |_| 0);
        assert!(poll_ready(fd.as_fd(), Access::Read, Duration::ZERO).unwrap());
        assert!(poll_ready(fd.as_fd(), Access::ReadWrite, Duration::MAX).unwrap());
        let (read, write) = pipe();
        let short = Duration::from_millis(20);
        let start = Instant::now();
        assert!(!poll_ready(read.as_fd(), Access::Read, short).unwrap());
        assert!(start.elapsed() >= short);
        assert!(poll_ready(write.as_fd(), Access::Write, short).unwrap());
        std::fs::File::from(write.try_clone().unwrap())
            .write_all(b"x")
            .unwrap();
        assert!(poll_ready(read.as_fd(), Access::Read, short).unwrap());
    }

    #[test]
    fn poll_millis_rounds_up_and_saturates() {
        assert_eq!(poll_millis(Duration::ZERO), 0);
        assert_eq!(poll_millis(Duration::from_nanos(1)), 1);
        assert_eq!(poll_millis(Duration::from_micros(1500)), 2);
        assert_eq!(poll_millis(Duration::from_secs(u64::MAX)), i32::MAX);
    }

    #[test]
    fn open_fd_count_follows_opened_and_closed_fds() {
        let _lock = FD_COUNT_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let before = open_fd_count().unwrap();
        assert!(before >= 3, "stdin, stdout and stderr at least: {before}");
        let fds: Vec<OwnedFd> = (0..100).map(|_| memfd(0, |_| 0)).collect();
        let with = open_fd_count().unwrap();
        drop(fds);
        let after = open_fd_count().unwrap();
        // Other tests open and close a few fds meanwhile; 100 stands out of that noise.
        assert!(with >= before + 80, "{before} -> {with}");
        assert!(after + 80 <= with, "{with} -> {after}");
    }
}
