//! The test side of tests/fault_layer: loads the layer into the process (its manifest
//! written beside the shared object, the loader told where it is and to enable it) and
//! calls its controls. Included by the tests that use it (`#[path]`), which must call
//! [`layer`] before they create a Vulkan instance.
//!
//! The shared object: `$VKCOMPOSE_FAULT_LAYER` if set (the GPU machine, which has no
//! toolchain); otherwise `vkcompose-fault-layer` is built into the target directory and
//! profile the test runs from.

#![allow(dead_code)]

use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use vkcompose::vk;

type ArmFn = unsafe extern "C" fn(u64, i32, bool, *const c_char) -> bool;
type DisarmFn = unsafe extern "C" fn() -> bool;
type CallsFn = unsafe extern "C" fn(*const c_char) -> u64;
type ReportFn = unsafe extern "C" fn(*mut c_char, usize) -> usize;

/// The layer's control functions, from the shared object the loader loaded.
pub struct Layer {
    arm: ArmFn,
    disarm: DisarmFn,
    calls: CallsFn,
    live_report: ReportFn,
}

impl Layer {
    pub fn arm(&self, nth: u64, result: vk::Result, sticky: bool, only: Option<&str>) {
        let only = only.map(|o| CString::new(o).unwrap());
        let pointer = only.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
        // SAFETY: the layer's control function, with a NUL-terminated name or null.
        assert!(unsafe { (self.arm)(nth, result.as_raw(), sticky, pointer) });
    }

    /// Whether the armed failure fired.
    pub fn disarm(&self) -> bool {
        // SAFETY: the layer's control function.
        unsafe { (self.disarm)() }
    }

    pub fn calls(&self) -> u64 {
        // SAFETY: null asks for every entry point.
        unsafe { (self.calls)(std::ptr::null()) }
    }

    /// Objects alive per create entry point.
    pub fn live_by_kind(&self) -> std::collections::BTreeMap<String, i64> {
        self.live_report()
            .split_whitespace()
            .filter_map(|entry| entry.split_once('='))
            .map(|(name, count)| (name.to_string(), count.parse().unwrap()))
            .collect()
    }

    /// The kinds of which more objects are alive than in `before`, with both counts.
    pub fn grown(
        &self,
        before: &std::collections::BTreeMap<String, i64>,
    ) -> Vec<(String, i64, i64)> {
        self.live_by_kind()
            .into_iter()
            .filter_map(|(kind, now)| {
                let was = before.get(&kind).copied().unwrap_or(0);
                (now > was).then_some((kind, was, now))
            })
            .collect()
    }

    pub fn live_report(&self) -> String {
        let mut buffer = vec![0u8; 4096];
        // SAFETY: the buffer holds its length.
        unsafe { (self.live_report)(buffer.as_mut_ptr().cast(), buffer.len()) };
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(0);
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }
}

/// The layer, loaded once for the process: its manifest written beside a copy of the
/// shared object, the loader told where it is and to enable it, the object opened.
pub fn layer() -> Locked {
    // The layer's arming is the process's: one test at a time uses it.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    Locked {
        _serial: SERIAL.lock().unwrap_or_else(|p| p.into_inner()),
        layer: load_layer(),
    }
}

/// The layer, for one test at a time.
pub struct Locked {
    _serial: std::sync::MutexGuard<'static, ()>,
    layer: &'static Layer,
}

impl std::ops::Deref for Locked {
    type Target = Layer;

    fn deref(&self) -> &Layer {
        self.layer
    }
}

/// The layer's shared object and a directory holding its manifest, made once.
fn installed() -> &'static (PathBuf, PathBuf) {
    static INSTALLED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let library = layer_library();
        let dir =
            std::env::temp_dir().join(format!("vkcompose-fault-layer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = include_str!("VkLayer_vkcompose_fault.json")
            .replace("LIBRARY_PATH", library.to_str().unwrap());
        std::fs::write(dir.join("VkLayer_vkcompose_fault.json"), manifest).unwrap();
        (library, dir)
    })
}

/// The loader's variables that enable the layer, and `VKCOMPOSE_FAULT_LAYER` naming its
/// shared object: set in this process by [`layer`], or given to a child process (the
/// headless compositor, which finds the layer's controls through the last).
pub fn environment() -> Vec<(String, String)> {
    let (library, dir) = installed();
    // The GPU machine's runner sets VK_LAYER_PATH for the validation layer; the loader
    // then ignores VK_ADD_LAYER_PATH's defaults, so the layer joins that list.
    let path = match std::env::var("VK_LAYER_PATH") {
        Ok(paths) => ("VK_LAYER_PATH".into(), format!("{paths}:{}", dir.display())),
        Err(_) => ("VK_ADD_LAYER_PATH".into(), dir.display().to_string()),
    };
    vec![
        path,
        (
            "VK_INSTANCE_LAYERS".into(),
            "VK_LAYER_VKCOMPOSE_fault".into(),
        ),
        (
            "VKCOMPOSE_FAULT_LAYER".into(),
            library.display().to_string(),
        ),
    ]
}

fn load_layer() -> &'static Layer {
    static LAYER: OnceLock<Layer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let (library, _) = installed();
        for (key, value) in environment() {
            // SAFETY (set_var): before any thread of this process loads Vulkan.
            std::env::set_var(key, value);
        }
        let path = CString::new(library.to_str().unwrap()).unwrap();
        // SAFETY: opening a shared object of ours; it stays loaded for the process.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
        assert!(!handle.is_null(), "cannot open {}", library.display());
        let symbol = |name: &str| {
            let name = CString::new(name).unwrap();
            // SAFETY: looking up a symbol of the open object.
            let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
            assert!(!f.is_null(), "the layer has no {name:?}");
            f
        };
        // SAFETY (each): the symbols are the layer's functions of these types.
        unsafe {
            Layer {
                arm: std::mem::transmute::<*mut c_void, ArmFn>(symbol("vkcompose_fault_arm")),
                disarm: std::mem::transmute::<*mut c_void, DisarmFn>(symbol(
                    "vkcompose_fault_disarm",
                )),
                calls: std::mem::transmute::<*mut c_void, CallsFn>(symbol("vkcompose_fault_calls")),
                live_report: std::mem::transmute::<*mut c_void, ReportFn>(symbol(
                    "vkcompose_fault_live_report",
                )),
            }
        }
    })
}

/// The layer's shared object: `$VKCOMPOSE_FAULT_LAYER`, or built into the target directory
/// this test runs from (`<target>/<profile>/deps/faults-*`).
fn layer_library() -> PathBuf {
    if let Some(path) = std::env::var_os("VKCOMPOSE_FAULT_LAYER") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let target = profile_dir.parent().unwrap();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut cargo = std::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()));
    cargo.args(["build", "-q", "-p", "vkcompose-fault-layer"]);
    if release {
        cargo.arg("--release");
    }
    let status = cargo.env("CARGO_TARGET_DIR", target).status().unwrap();
    assert!(status.success(), "building the fault layer failed");
    profile_dir.join("libvkcompose_fault_layer.so")
}
