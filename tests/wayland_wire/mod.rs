//! Just enough of the Wayland wire protocol, client side, for a test to drive a compositor
//! through requests no packaged client on a GPU-less machine makes (linux-dmabuf with a
//! memfd standing in for a LINEAR dma-buf). Messages are built by hand: a header of the
//! object id and (size << 16 | opcode), then 32-bit arguments; strings are length-prefixed,
//! NUL-terminated and padded to 4 bytes; file descriptors travel beside the bytes as
//! SCM_RIGHTS. Blocking reads with deadlines; no event queue beyond a byte buffer.

#![allow(dead_code)]

use std::{
    io::{self, Read, Write},
    os::{
        fd::{AsRawFd, BorrowedFd},
        unix::net::UnixStream,
    },
    path::Path,
    time::Instant,
};

/// The display object every connection starts with.
pub const DISPLAY: u32 = 1;

/// One request argument.
pub enum Arg<'a> {
    Uint(u32),
    Int(i32),
    Str(&'a str),
    /// An object id (also a new_id of a typed interface).
    Object(u32),
}

/// One event: the object it is for, its opcode and its raw argument bytes.
#[derive(Debug)]
pub struct Event {
    pub object: u32,
    pub opcode: u16,
    pub args: Vec<u8>,
}

impl Event {
    /// The `i`-th 32-bit word of the arguments.
    pub fn word(&self, i: usize) -> u32 {
        u32::from_ne_bytes(self.args[i * 4..i * 4 + 4].try_into().unwrap())
    }

    /// The string starting at word `i` (wl_registry.global's interface, errors' messages).
    pub fn string(&self, i: usize) -> String {
        let len = self.word(i) as usize;
        let bytes = &self.args[(i + 1) * 4..(i + 1) * 4 + len.saturating_sub(1)];
        String::from_utf8_lossy(bytes).into_owned()
    }
}

pub struct Connection {
    stream: UnixStream,
    next_id: u32,
    incoming: Vec<u8>,
}

impl Connection {
    pub fn connect(runtime_dir: &Path, socket: &str) -> io::Result<Self> {
        Ok(Self {
            stream: UnixStream::connect(runtime_dir.join(socket))?,
            next_id: DISPLAY + 1,
            incoming: Vec::new(),
        })
    }

    /// A fresh client-side object id.
    pub fn new_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn encode(object: u32, opcode: u16, args: &[Arg]) -> Vec<u8> {
        let mut body = Vec::new();
        for arg in args {
            match arg {
                Arg::Uint(v) | Arg::Object(v) => body.extend(v.to_ne_bytes()),
                Arg::Int(v) => body.extend(v.to_ne_bytes()),
                Arg::Str(s) => {
                    body.extend((s.len() as u32 + 1).to_ne_bytes());
                    body.extend(s.as_bytes());
                    body.push(0);
                    while body.len() % 4 != 0 {
                        body.push(0);
                    }
                }
            }
        }
        let size = (8 + body.len()) as u32;
        let mut message = Vec::with_capacity(size as usize);
        message.extend(object.to_ne_bytes());
        message.extend(((size << 16) | u32::from(opcode)).to_ne_bytes());
        message.extend(body);
        message
    }

    pub fn send(&mut self, object: u32, opcode: u16, args: &[Arg]) -> io::Result<()> {
        self.stream.write_all(&Self::encode(object, opcode, args))
    }

    /// Sends a request whose one fd argument is `fd` (fds are not in the byte stream).
    pub fn send_with_fd(
        &mut self,
        object: u32,
        opcode: u16,
        args: &[Arg],
        fd: BorrowedFd<'_>,
    ) -> io::Result<()> {
        let message = Self::encode(object, opcode, args);
        let raw_fd = fd.as_raw_fd();
        // Room for one cmsghdr carrying one int, aligned as the kernel wants it.
        let mut control = [0u64; 4];
        let mut iov = libc::iovec {
            iov_base: message.as_ptr() as *mut libc::c_void,
            iov_len: message.len(),
        };
        // SAFETY: msghdr is plain data; zeroed is a valid empty header, filled in below.
        let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
        header.msg_iov = &mut iov;
        header.msg_iovlen = 1;
        header.msg_control = control.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE only computes a size.
        header.msg_controllen =
            unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) } as usize;
        assert!(header.msg_controllen <= std::mem::size_of_val(&control));
        // SAFETY: msg_control points at `control`, large enough (asserted) and aligned for
        // cmsghdr, so CMSG_FIRSTHDR returns a pointer into it that may be written.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&header);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), raw_fd);
        }
        // SAFETY: `header` points at `iov` (over `message`) and `control`, both alive for
        // the call; the fd is borrowed, so it stays open while the kernel duplicates it.
        let sent = unsafe { libc::sendmsg(self.stream.as_raw_fd(), &header, libc::MSG_NOSIGNAL) };
        match sent {
            n if n < 0 => Err(io::Error::last_os_error()),
            n if n as usize != message.len() => Err(io::Error::other("short sendmsg")),
            _ => Ok(()),
        }
    }

    /// The next event, waiting at most until `deadline`.
    pub fn event(&mut self, deadline: Instant) -> io::Result<Event> {
        loop {
            if self.incoming.len() >= 8 {
                let word =
                    |i: usize| u32::from_ne_bytes(self.incoming[i..i + 4].try_into().unwrap());
                let (object, size_opcode) = (word(0), word(4));
                let size = (size_opcode >> 16) as usize;
                if size < 8 {
                    return Err(io::Error::other(format!("event of size {size}")));
                }
                if self.incoming.len() >= size {
                    let args = self.incoming[8..size].to_vec();
                    self.incoming.drain(..size);
                    return Ok(Event {
                        object,
                        opcode: (size_opcode & 0xffff) as u16,
                        args,
                    });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no event before the deadline",
                ));
            }
            self.stream.set_read_timeout(Some(left))?;
            let mut buffer = [0u8; 4096];
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "compositor hung up",
                    ))
                }
                Ok(n) => self.incoming.extend_from_slice(&buffer[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return Err(e),
            }
        }
    }
}
