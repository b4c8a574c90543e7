//! File descriptors for the tests that share client-like memory. Apart from `common`
//! (which the effects crate's tests include too, without libc).

/// A memfd holding `bytes` (the tests' stand-in for a client's buffer memory).
pub fn memfd(bytes: &[u8]) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: a plain syscall with a valid name; the result is checked.
    let raw = unsafe { libc::memfd_create(c"vkcompose-test".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(raw >= 0, "memfd_create failed");
    // SAFETY: a fresh fd we own.
    let mut file = std::fs::File::from(unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) });
    std::io::Write::write_all(&mut file, bytes).unwrap();
    file.into()
}
