//! Just enough of the Wayland wire protocol, client side, for a test to drive a compositor
//! through requests no packaged client on a GPU-less machine makes (linux-dmabuf with a
//! memfd standing in for a LINEAR dma-buf, ext-background-effect-v1, wp-color-management-v1
//! and 10-bit shm buffers). Messages are built by
//! hand: a header of the object id and (size << 16 | opcode), then 32-bit arguments;
//! strings are length-prefixed, NUL-terminated and padded to 4 bytes; file descriptors
//! travel beside the bytes as SCM_RIGHTS. Blocking reads with deadlines; no event queue
//! beyond a byte buffer.
//!
//! [`Client`] builds on [`Connection`] what every test client does: the registry's
//! globals, binding them, round trips, an xdg toplevel, wl_shm buffers and showing a
//! buffer until its frame callback; [`color`] the requests and events of
//! wp-color-management-v1. Its helpers panic on a protocol error or a missed deadline, as
//! a test wants.

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
    /// An object id (also a new_id of a typed interface); 0 is null.
    Object(u32),
}

/// wl_shm's ARGB8888 format code (the DRM fourcc is only used for the other formats).
pub const SHM_ARGB8888: u32 = 0;
/// wl_shm's XRGB2101010: the DRM fourcc `XR30`.
pub const SHM_XRGB2101010: u32 = u32::from_le_bytes(*b"XR30");

/// A `wl_display.error`: the object, the interface's error code, the message.
#[derive(Debug, PartialEq)]
pub struct ProtocolError {
    pub object: u32,
    pub code: u32,
    pub message: String,
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

    /// Every argument as a 32-bit word (for events of plain integers).
    pub fn words(&self) -> Vec<u32> {
        (0..self.args.len() / 4).map(|i| self.word(i)).collect()
    }

    /// The string starting at word `i` (wl_registry.global's interface, errors' messages).
    pub fn string(&self, i: usize) -> String {
        let len = self.word(i) as usize;
        let bytes = &self.args[(i + 1) * 4..(i + 1) * 4 + len.saturating_sub(1)];
        String::from_utf8_lossy(bytes).into_owned()
    }

    /// The protocol error this event carries, if it is `wl_display.error`.
    pub fn protocol_error(&self) -> Option<ProtocolError> {
        (self.object == DISPLAY && self.opcode == 0).then(|| ProtocolError {
            object: self.word(0),
            code: self.word(1),
            message: self.string(2),
        })
    }
}

/// Fails the test on a protocol error.
pub fn check_protocol_error(event: &Event) {
    if let Some(error) = event.protocol_error() {
        panic!(
            "protocol error on object {}, code {}: {}",
            error.object, error.code, error.message
        );
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

/// A global the registry announced.
pub struct Global {
    pub name: u32,
    pub interface: String,
    pub version: u32,
}

/// An xdg toplevel's objects.
pub struct Toplevel {
    pub surface: u32,
    pub xdg_surface: u32,
    pub toplevel: u32,
}

/// A connection, its registry and the globals it announced; every wait ends at `deadline`.
pub struct Client {
    pub wire: Connection,
    pub deadline: Instant,
    registry: u32,
    pub globals: Vec<Global>,
}

impl Client {
    /// Connects and reads the registry's globals.
    pub fn connect(runtime_dir: &Path, socket: &str, deadline: Instant) -> Self {
        let mut wire = Connection::connect(runtime_dir, socket).expect("connect to the compositor");
        let registry = wire.new_id();
        wire.send(DISPLAY, 1, &[Arg::Object(registry)]).unwrap(); // get_registry
        let mut client = Self {
            wire,
            deadline,
            registry,
            globals: Vec::new(),
        };
        let mut globals = Vec::new();
        client.roundtrip(|event| {
            if event.object == registry && event.opcode == 0 {
                let words = (event.word(1) as usize).div_ceil(4);
                globals.push(Global {
                    name: event.word(0),
                    interface: event.string(1),
                    version: event.word(2 + words),
                });
            }
        });
        client.globals = globals;
        client
    }

    pub fn has_global(&self, interface: &str) -> bool {
        self.globals.iter().any(|g| g.interface == interface)
    }

    /// Binds `interface` at `version`; None if no such global.
    pub fn bind(&mut self, interface: &str, version: u32) -> Option<u32> {
        let name = self.globals.iter().find(|g| g.interface == interface)?.name;
        let id = self.wire.new_id();
        let args = [
            Arg::Uint(name),
            Arg::Str(interface),
            Arg::Uint(version),
            Arg::Object(id),
        ];
        self.wire.send(self.registry, 0, &args).unwrap();
        Some(id)
    }

    /// Sends a request, failing the test if the connection is gone.
    pub fn send(&mut self, object: u32, opcode: u16, args: &[Arg]) {
        self.wire.send(object, opcode, args).unwrap();
    }

    /// The next event; a protocol error or the deadline fails the test.
    pub fn event(&mut self) -> Event {
        let event = self.wire.event(self.deadline).expect("an event");
        check_protocol_error(&event);
        event
    }

    /// Sends wl_display.sync and hands every event before its answer to `handle`; a
    /// protocol error fails the test.
    pub fn roundtrip(&mut self, mut handle: impl FnMut(&Event)) {
        let callback = self.sync();
        loop {
            let event = self.event();
            if event.object == callback && event.opcode == 0 {
                return;
            }
            handle(&event);
        }
    }

    /// Sends wl_display.sync and expects a protocol error before its answer (the
    /// compositor then closes the connection).
    pub fn expect_protocol_error(&mut self) -> ProtocolError {
        let callback = self.wire.new_id();
        match self.wire.send(DISPLAY, 0, &[Arg::Object(callback)]) {
            // The compositor may have posted the error and closed the connection before
            // the sync was written: the error is still there to read.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            sent => sent.unwrap(),
        }
        loop {
            let event = self.wire.event(self.deadline).expect("a protocol error");
            if let Some(error) = event.protocol_error() {
                return error;
            }
            assert!(
                !(event.object == callback && event.opcode == 0),
                "the compositor answered the sync without a protocol error"
            );
        }
    }

    fn sync(&mut self) -> u32 {
        let callback = self.wire.new_id();
        self.send(DISPLAY, 0, &[Arg::Object(callback)]);
        callback
    }

    /// A wl_surface of `wl_compositor`.
    pub fn surface(&mut self, wl_compositor: u32) -> u32 {
        let surface = self.wire.new_id();
        self.send(wl_compositor, 0, &[Arg::Object(surface)]); // create_surface
        surface
    }

    /// A toplevel of a new surface, its initial configure acknowledged (pings answered
    /// on the way), ready for a buffer.
    pub fn toplevel(&mut self, wl_compositor: u32, xdg_wm_base: u32) -> Toplevel {
        let surface = self.surface(wl_compositor);
        let xdg_surface = self.wire.new_id();
        let args = [Arg::Object(xdg_surface), Arg::Object(surface)];
        self.send(xdg_wm_base, 2, &args); // get_xdg_surface
        let toplevel = self.wire.new_id();
        self.send(xdg_surface, 1, &[Arg::Object(toplevel)]); // get_toplevel
        self.send(surface, 6, &[]); // commit
        let serial = loop {
            let event = self.event();
            match (event.object, event.opcode) {
                (o, 0) if o == xdg_surface => break event.word(0), // configure
                (o, 0) if o == xdg_wm_base => {
                    self.send(xdg_wm_base, 3, &[Arg::Uint(event.word(0))]) // ping: pong
                }
                _ => {}
            }
        };
        self.send(xdg_surface, 4, &[Arg::Uint(serial)]); // ack_configure
        Toplevel {
            surface,
            xdg_surface,
            toplevel,
        }
    }

    /// A wl_buffer over all of `fd` (`stride * height` bytes) through a wl_shm pool.
    pub fn shm_buffer(
        &mut self,
        wl_shm: u32,
        fd: BorrowedFd<'_>,
        (width, height): (usize, usize),
        stride: usize,
        format: u32,
    ) -> u32 {
        let pool = self.wire.new_id();
        let size = (stride * height) as i32;
        self.wire
            .send_with_fd(wl_shm, 0, &[Arg::Object(pool), Arg::Int(size)], fd) // create_pool
            .unwrap();
        let buffer = self.wire.new_id();
        let args = [
            Arg::Object(buffer),
            Arg::Int(0), // offset
            Arg::Int(width as i32),
            Arg::Int(height as i32),
            Arg::Int(stride as i32),
            Arg::Uint(format),
        ];
        self.send(pool, 0, &args); // create_buffer
        self.send(pool, 1, &[]); // destroy: the buffer keeps the memory
        buffer
    }

    /// Binds wl_shm and reads the formats it announces.
    pub fn bind_shm(&mut self) -> (u32, Vec<u32>) {
        let wl_shm = self.bind("wl_shm", 1).expect("wl_shm");
        let mut formats = Vec::new();
        self.roundtrip(|event| {
            if event.object == wl_shm && event.opcode == 0 {
                formats.push(event.word(0)); // format
            }
        });
        (wl_shm, formats)
    }

    /// A wl_region of `wl_compositor` holding `rects` (x, y, width, height).
    pub fn region(&mut self, wl_compositor: u32, rects: &[(i32, i32, i32, i32)]) -> u32 {
        let region = self.wire.new_id();
        self.send(wl_compositor, 1, &[Arg::Object(region)]); // create_region
        for &(x, y, w, h) in rects {
            let args = [Arg::Int(x), Arg::Int(y), Arg::Int(w), Arg::Int(h)];
            self.send(region, 1, &args); // add
        }
        region
    }

    /// Attaches `buffer` whole (`size`), commits, and waits for the frame callback.
    pub fn show(&mut self, surface: u32, buffer: u32, (width, height): (usize, usize)) {
        self.send(surface, 1, &[Arg::Object(buffer), Arg::Int(0), Arg::Int(0)]); // attach
        let damage = [
            Arg::Int(0),
            Arg::Int(0),
            Arg::Int(width as i32),
            Arg::Int(height as i32),
        ];
        self.send(surface, 2, &damage);
        let frame = self.wire.new_id();
        self.send(surface, 3, &[Arg::Object(frame)]);
        self.send(surface, 6, &[]); // commit
        loop {
            let event = self.event();
            if event.object == frame && event.opcode == 0 {
                return;
            }
        }
    }
}

/// wp-color-management-v1 (staging, version 3), client side: request opcodes, the
/// manager's announcements, image descriptions and their information.
pub mod color {
    use super::{Arg, Client};

    // wp_color_manager_v1 requests.
    pub const GET_OUTPUT: u16 = 1;
    pub const GET_SURFACE: u16 = 2;
    pub const GET_SURFACE_FEEDBACK: u16 = 3;
    pub const CREATE_ICC_CREATOR: u16 = 4;
    pub const CREATE_PARAMETRIC_CREATOR: u16 = 5;
    pub const CREATE_WINDOWS_SCRGB: u16 = 6;
    // wp_color_management_output_v1 requests.
    pub const OUTPUT_GET_IMAGE_DESCRIPTION: u16 = 1;
    // wp_color_management_surface_v1 requests.
    pub const SET_IMAGE_DESCRIPTION: u16 = 1;
    pub const UNSET_IMAGE_DESCRIPTION: u16 = 2;
    // wp_color_management_surface_feedback_v1 requests and events.
    pub const GET_PREFERRED: u16 = 1;
    pub const GET_PREFERRED_PARAMETRIC: u16 = 2;
    pub const PREFERRED_CHANGED2: u16 = 1;
    // wp_image_description_creator_params_v1 requests.
    pub const CREATE: u16 = 0;
    pub const SET_TF_NAMED: u16 = 1;
    pub const SET_TF_POWER: u16 = 2;
    pub const SET_PRIMARIES_NAMED: u16 = 3;
    pub const SET_PRIMARIES: u16 = 4;
    pub const SET_LUMINANCES: u16 = 5;
    pub const SET_MASTERING_DISPLAY_PRIMARIES: u16 = 6;
    pub const SET_MASTERING_LUMINANCE: u16 = 7;
    pub const SET_MAX_CLL: u16 = 8;
    pub const SET_MAX_FALL: u16 = 9;
    // wp_image_description_v1 requests.
    pub const GET_INFORMATION: u16 = 1;

    // Enums of wp_color_manager_v1.
    pub const INTENT_PERCEPTUAL: u32 = 0;
    pub const INTENT_RELATIVE: u32 = 1;
    pub const FEATURE_ICC: u32 = 0;
    pub const FEATURE_PARAMETRIC: u32 = 1;
    pub const FEATURE_SET_PRIMARIES: u32 = 2;
    pub const FEATURE_SET_TF_POWER: u32 = 3;
    pub const FEATURE_SET_LUMINANCES: u32 = 4;
    pub const FEATURE_SET_MASTERING_DISPLAY_PRIMARIES: u32 = 5;
    pub const FEATURE_EXTENDED_TARGET_VOLUME: u32 = 6;
    pub const FEATURE_WINDOWS_SCRGB: u32 = 7;
    pub const FEATURE_WINDOWS_BT2100: u32 = 8;
    pub const PRIMARIES_SRGB: u32 = 1;
    pub const PRIMARIES_BT2020: u32 = 6;
    pub const PRIMARIES_DISPLAY_P3: u32 = 9;
    pub const TF_BT1886: u32 = 1;
    pub const TF_GAMMA22: u32 = 2;
    pub const TF_GAMMA28: u32 = 3;
    pub const TF_EXT_LINEAR: u32 = 5;
    pub const TF_SRGB_DEPRECATED: u32 = 9;
    pub const TF_ST2084_PQ: u32 = 11;
    pub const TF_HLG: u32 = 13;
    pub const TF_COMPOUND_POWER_2_4: u32 = 14;
    /// wp_image_description_v1.cause `unsupported`.
    pub const CAUSE_UNSUPPORTED: u32 = 1;

    /// What a wp_color_manager_v1 announced on binding.
    #[derive(Debug, Default)]
    pub struct Support {
        pub intents: Vec<u32>,
        pub features: Vec<u32>,
        pub tfs: Vec<u32>,
        pub primaries: Vec<u32>,
    }

    /// Binds wp_color_manager_v1 at `version` and reads its announcements up to `done`.
    pub fn bind_manager(client: &mut Client, version: u32) -> (u32, Support) {
        let manager = client
            .bind("wp_color_manager_v1", version)
            .expect("a wp_color_manager_v1 global");
        let mut support = Support::default();
        loop {
            let event = client.event();
            if event.object != manager {
                continue;
            }
            match event.opcode {
                0 => support.intents.push(event.word(0)),
                1 => support.features.push(event.word(0)),
                2 => support.tfs.push(event.word(0)),
                3 => support.primaries.push(event.word(0)),
                4 => return (manager, support), // done
                other => panic!("wp_color_manager_v1 event {other}"),
            }
        }
    }

    /// How an image description turned out: `ready2`'s identity (or version 1's `ready`),
    /// or `failed`'s cause and message.
    pub fn wait_description(client: &mut Client, description: u32) -> Result<u64, (u32, String)> {
        loop {
            let event = client.event();
            if event.object != description {
                continue;
            }
            return match event.opcode {
                0 => Err((event.word(0), event.string(1))), // failed
                1 => Ok(u64::from(event.word(0))),          // ready
                2 => Ok((u64::from(event.word(0)) << 32) | u64::from(event.word(1))), // ready2
                other => panic!("wp_image_description_v1 event {other}"),
            };
        }
    }

    /// A parametric creator given `requests` (opcode, arguments), then `create`: the
    /// creator's and the new image description's ids (its outcome still to be read with
    /// [`wait_description`]).
    pub fn parametric(
        client: &mut Client,
        manager: u32,
        requests: &[(u16, Vec<Arg>)],
    ) -> (u32, u32) {
        let creator = client.wire.new_id();
        client.send(manager, CREATE_PARAMETRIC_CREATOR, &[Arg::Object(creator)]);
        for (opcode, args) in requests {
            client.send(creator, *opcode, args);
        }
        let description = client.wire.new_id();
        client.send(creator, CREATE, &[Arg::Object(description)]);
        (creator, description)
    }

    /// A new object of `manager`'s request `opcode` for `surface` (get_surface,
    /// get_surface_feedback) or a wl_output (get_output).
    pub fn object_for(client: &mut Client, manager: u32, opcode: u16, target: u32) -> u32 {
        let object = client.wire.new_id();
        client.send(manager, opcode, &[Arg::Object(object), Arg::Object(target)]);
        object
    }

    /// A new image description from `object`'s request `opcode` (get_image_description,
    /// get_preferred, create_windows_scrgb, ...), whose one argument is its id.
    pub fn description_from(client: &mut Client, object: u32, opcode: u16) -> u32 {
        let description = client.wire.new_id();
        client.send(object, opcode, &[Arg::Object(description)]);
        description
    }

    /// The eight chromaticity arguments (times a million) of `set_primaries`.
    pub fn chromaticities(xy: [f64; 8]) -> Vec<Arg<'static>> {
        xy.iter()
            .map(|v| Arg::Int((v * 1_000_000.0).round() as i32))
            .collect()
    }

    /// The events of a wp_image_description_info_v1, by name, each with its arguments.
    #[derive(Debug, Default, PartialEq)]
    pub struct Information {
        pub primaries: Option<Vec<i32>>,
        pub primaries_named: Option<u32>,
        pub tf_power: Option<u32>,
        pub tf_named: Option<u32>,
        pub luminances: Option<Vec<u32>>,
        pub target_primaries: Option<Vec<i32>>,
        pub target_luminance: Option<Vec<u32>>,
        pub target_max_cll: Option<u32>,
        pub target_max_fall: Option<u32>,
    }

    /// Sends get_information for `description` and reads the events up to `done`; an
    /// event sent twice fails the test (the protocol says each comes once).
    pub fn information(client: &mut Client, description: u32) -> Information {
        let info = client.wire.new_id();
        client.send(description, GET_INFORMATION, &[Arg::Object(info)]);
        let mut information = Information::default();
        fn once<T>(slot: &mut Option<T>, value: T, what: &str) {
            assert!(slot.is_none(), "{what} sent twice");
            *slot = Some(value);
        }
        loop {
            let event = client.event();
            if event.object != info {
                continue;
            }
            let ints = || event.words().into_iter().map(|w| w as i32).collect();
            let i = &mut information;
            match event.opcode {
                0 => return information, // done
                2 => once(&mut i.primaries, ints(), "primaries"),
                3 => once(&mut i.primaries_named, event.word(0), "primaries_named"),
                4 => once(&mut i.tf_power, event.word(0), "tf_power"),
                5 => once(&mut i.tf_named, event.word(0), "tf_named"),
                6 => once(&mut i.luminances, event.words(), "luminances"),
                7 => once(&mut i.target_primaries, ints(), "target_primaries"),
                8 => once(&mut i.target_luminance, event.words(), "target_luminance"),
                9 => once(&mut i.target_max_cll, event.word(0), "target_max_cll"),
                10 => once(&mut i.target_max_fall, event.word(0), "target_max_fall"),
                other => panic!("wp_image_description_info_v1 event {other}"),
            }
        }
    }
}
