//! The Linux side of dmabufs: fd facts, read-only mappings, and the dma-buf ioctls for CPU
//! access and implicit synchronization.

// Placeholders until the helpers land (signatures agreed).
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    ReadWrite,
}

pub(crate) struct Mapping {
    len: usize,
}

impl Mapping {
    pub(crate) fn map(_fd: BorrowedFd<'_>, _offset: u64, len: usize) -> io::Result<Mapping> {
        Ok(Mapping { len })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        let _ = self.len;
        &[]
    }
}

pub(crate) fn cpu_access(_fd: BorrowedFd<'_>, _access: Access, _begin: bool) -> io::Result<bool> {
    Ok(false)
}

pub(crate) fn export_sync_file(
    _fd: BorrowedFd<'_>,
    _access: Access,
) -> io::Result<Option<OwnedFd>> {
    Ok(None)
}

pub(crate) fn import_sync_file(
    _fd: BorrowedFd<'_>,
    _access: Access,
    _sync_file: BorrowedFd<'_>,
) -> io::Result<bool> {
    Ok(false)
}

pub(crate) fn poll_ready(
    _fd: BorrowedFd<'_>,
    _access: Access,
    _timeout: Duration,
) -> io::Result<bool> {
    Ok(true)
}
