//! A Vulkan layer that fails calls on request, for vkcompose's fault tests.
//!
//! It intercepts the device-level entry points that can fail (creating and allocating
//! objects, mapping, exporting fds, submitting, waiting) and the destroys that pair with
//! the creates. Armed (`vkcompose_fault_arm`), it makes the Nth intercepted call (of one
//! entry point, or of any) return a chosen `VkResult` without calling down; "sticky" keeps
//! failing every later call too, as a lost device does. It counts every intercepted call
//! and the objects each create made and its destroy removed, so a test sees what an
//! operation called and whether it left anything alive.
//!
//! The test process loads the same shared object with `dlopen` (the loader loaded it by
//! the manifest's path; the same path gives the same handle) and calls the `extern "C"`
//! control functions at the end of this file.
//!
//! Contracts with the loader (its `LoaderLayerInterface` document): interface version 2,
//! `vkNegotiateLoaderLayerInterfaceVersion` exported; the next layer's
//! `vkGetInstanceProcAddr` and `vkGetDeviceProcAddr` come from the `VkLayer*CreateInfo`
//! links in the create infos' `pNext` chains; dispatchable handles start with the loader's
//! dispatch pointer, which keys this layer's per-device tables.

#![allow(clippy::missing_safety_doc)]

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use ash::vk;
use ash::vk::Handle;

// ---------------------------------------------------------------------------------------
// The loader's layer interface (vk_layer.h), which ash does not define.

#[repr(C)]
struct LayerInstanceLink {
    next: *mut LayerInstanceLink,
    next_get_instance_proc_addr: vk::PFN_vkGetInstanceProcAddr,
    next_get_physical_device_proc_addr: *const c_void,
}

#[repr(C)]
struct LayerInstanceCreateInfo {
    s_type: vk::StructureType,
    p_next: *const c_void,
    function: i32,
    layer_info: *mut LayerInstanceLink,
}

#[repr(C)]
struct LayerDeviceLink {
    next: *mut LayerDeviceLink,
    next_get_instance_proc_addr: vk::PFN_vkGetInstanceProcAddr,
    next_get_device_proc_addr: vk::PFN_vkGetDeviceProcAddr,
}

#[repr(C)]
struct LayerDeviceCreateInfo {
    s_type: vk::StructureType,
    p_next: *const c_void,
    function: i32,
    layer_info: *mut LayerDeviceLink,
}

/// `VK_LAYER_LINK_INFO`: the create info carries the chain's next link.
const LAYER_LINK_INFO: i32 = 0;

#[repr(C)]
pub struct NegotiateLayerInterface {
    s_type: i32,
    p_next: *mut c_void,
    loader_layer_interface_version: u32,
    get_instance_proc_addr: Option<vk::PFN_vkGetInstanceProcAddr>,
    get_device_proc_addr: Option<vk::PFN_vkGetDeviceProcAddr>,
    get_physical_device_proc_addr: *const c_void,
}

// ---------------------------------------------------------------------------------------
// State: the chain below each instance and device, what is armed, what was counted.

struct DeviceData {
    get_device_proc_addr: vk::PFN_vkGetDeviceProcAddr,
    /// The next layer's entry point for each hook, in `HOOKS` order.
    next: Vec<vk::PFN_vkVoidFunction>,
    destroy: Option<vk::PFN_vkDestroyDevice>,
}

struct Armed {
    /// Fail the `nth` matching call (1 = the first after arming).
    nth: u64,
    seen: u64,
    result: vk::Result,
    sticky: bool,
    /// Only calls of this hook count; `None`: every fallible hook.
    only: Option<usize>,
    fired: bool,
}

static INSTANCES: Mutex<Vec<(usize, vk::PFN_vkGetInstanceProcAddr)>> = Mutex::new(Vec::new());
static DEVICES: Mutex<Option<HashMap<usize, DeviceData>>> = Mutex::new(None);
static ARMED: Mutex<Option<Armed>> = Mutex::new(None);
static CALLS: [AtomicU64; HOOK_COUNT] = [const { AtomicU64::new(0) }; HOOK_COUNT];
static LIVE: [AtomicI64; HOOK_COUNT] = [const { AtomicI64::new(0) }; HOOK_COUNT];
static FIRED: AtomicU64 = AtomicU64::new(0);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The loader's dispatch pointer at the start of a dispatchable handle.
unsafe fn key_of(raw: u64) -> usize {
    // SAFETY: the caller passes a dispatchable handle (device, queue), a pointer to an
    // object whose first word is the loader's dispatch table pointer.
    unsafe { *(raw as usize as *const usize) }
}

/// Whether this call of `hook` fails, and with what.
fn inject(hook: usize) -> Option<vk::Result> {
    CALLS[hook].fetch_add(1, Ordering::Relaxed);
    let mut armed = lock(&ARMED);
    let armed = armed.as_mut()?;
    if armed.fired && armed.sticky {
        FIRED.fetch_add(1, Ordering::Relaxed);
        return Some(armed.result);
    }
    if armed.fired || armed.only.is_some_and(|only| only != hook) {
        return None;
    }
    armed.seen += 1;
    if armed.seen < armed.nth {
        return None;
    }
    armed.fired = true;
    FIRED.fetch_add(1, Ordering::Relaxed);
    Some(armed.result)
}

/// The next layer's entry point of `hook` for the device or queue `raw`.
unsafe fn next_of(raw: u64, hook: usize) -> vk::PFN_vkVoidFunction {
    // SAFETY: as `key_of`.
    let key = unsafe { key_of(raw) };
    let devices = lock(&DEVICES);
    devices.as_ref()?.get(&key)?.next[hook]
}

// ---------------------------------------------------------------------------------------
// The hooks.

/// How a hook's result is counted: a plain fallible call, a create that makes one object,
/// or a destroy of what hook `pair` made (void, never fails).
macro_rules! hooks {
    ($( $hook:ident = $name:literal : fn($first:ident : $fty:ty $(, $arg:ident : $ty:ty)*) -> $ret:ty => $kind:ident $(($pair:ident))? ;)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy)]
        #[repr(usize)]
        enum Hook { $($hook),* }
        const HOOKS: &[&str] = &[$($name),*];
        const HOOK_COUNT: usize = [$($name),*].len();
        $(
        #[allow(non_snake_case)]
        unsafe extern "system" fn $hook($first: $fty $(, $arg: $ty)*) -> $ret {
            type Next = unsafe extern "system" fn($fty $(, $ty)*) -> $ret;
            let hook = Hook::$hook as usize;
            hook_body!($kind $(($pair))?, hook, Next, $first, ($first $(, $arg)*))
        }
        )*
        /// This layer's entry point called `name`, if it hooks it.
        fn hooked(name: &str) -> vk::PFN_vkVoidFunction {
            $( if name == $name {
                let f: unsafe extern "system" fn($fty $(, $ty)*) -> $ret = $hook;
                // SAFETY: the loader casts it back to its true type by name.
                return Some(unsafe { std::mem::transmute::<_, unsafe extern "system" fn()>(f) });
            } )*
            None
        }
    };
}

macro_rules! hook_body {
    (fallible, $hook:expr, $next:ty, $first:ident, ($($a:ident),*)) => {{
        if let Some(result) = inject($hook) {
            return result;
        }
        // SAFETY: the loader dispatches this hook only for devices made through this layer.
        let Some(next) = (unsafe { next_of($first.as_raw(), $hook) }) else {
            return vk::Result::ERROR_INITIALIZATION_FAILED;
        };
        // SAFETY: the next layer's entry point of this name has this signature.
        let next: $next = unsafe { std::mem::transmute(next) };
        unsafe { next($($a),*) }
    }};
    (create, $hook:expr, $next:ty, $first:ident, ($($a:ident),*)) => {{
        let result = hook_body!(fallible, $hook, $next, $first, ($($a),*));
        if result == vk::Result::SUCCESS {
            LIVE[$hook].fetch_add(1, Ordering::Relaxed);
        }
        result
    }};
    // vkCreateGraphicsPipelines makes `n` objects.
    (pipelines, $hook:expr, $next:ty, $first:ident, ($d:ident, $c:ident, $n:ident, $i:ident, $a:ident, $o:ident)) => {{
        let result = hook_body!(fallible, $hook, $next, $first, ($d, $c, $n, $i, $a, $o));
        if result == vk::Result::SUCCESS {
            LIVE[$hook].fetch_add(i64::from($n), Ordering::Relaxed);
        }
        result
    }};
    (destroy($pair:ident), $hook:expr, $next:ty, $first:ident, ($device:ident, $object:ident, $alloc:ident)) => {{
        CALLS[$hook].fetch_add(1, Ordering::Relaxed);
        if $object != Default::default() {
            LIVE[Hook::$pair as usize].fetch_sub(1, Ordering::Relaxed);
        }
        // SAFETY: as for the fallible hooks.
        if let Some(next) = unsafe { next_of($device.as_raw(), $hook) } {
            let next: $next = unsafe { std::mem::transmute(next) };
            unsafe { next($device, $object, $alloc) }
        }
    }};
}

type Alloc = *const vk::AllocationCallbacks<'static>;

hooks! {
    vkAllocateMemory = "vkAllocateMemory": fn(d: vk::Device, i: *const vk::MemoryAllocateInfo<'static>, a: Alloc, o: *mut vk::DeviceMemory) -> vk::Result => create;
    vkFreeMemory = "vkFreeMemory": fn(d: vk::Device, m: vk::DeviceMemory, a: Alloc) -> () => destroy(vkAllocateMemory);
    vkCreateImage = "vkCreateImage": fn(d: vk::Device, i: *const vk::ImageCreateInfo<'static>, a: Alloc, o: *mut vk::Image) -> vk::Result => create;
    vkDestroyImage = "vkDestroyImage": fn(d: vk::Device, h: vk::Image, a: Alloc) -> () => destroy(vkCreateImage);
    vkCreateBuffer = "vkCreateBuffer": fn(d: vk::Device, i: *const vk::BufferCreateInfo<'static>, a: Alloc, o: *mut vk::Buffer) -> vk::Result => create;
    vkDestroyBuffer = "vkDestroyBuffer": fn(d: vk::Device, h: vk::Buffer, a: Alloc) -> () => destroy(vkCreateBuffer);
    vkCreateImageView = "vkCreateImageView": fn(d: vk::Device, i: *const vk::ImageViewCreateInfo<'static>, a: Alloc, o: *mut vk::ImageView) -> vk::Result => create;
    vkDestroyImageView = "vkDestroyImageView": fn(d: vk::Device, h: vk::ImageView, a: Alloc) -> () => destroy(vkCreateImageView);
    vkCreateSampler = "vkCreateSampler": fn(d: vk::Device, i: *const vk::SamplerCreateInfo<'static>, a: Alloc, o: *mut vk::Sampler) -> vk::Result => create;
    vkDestroySampler = "vkDestroySampler": fn(d: vk::Device, h: vk::Sampler, a: Alloc) -> () => destroy(vkCreateSampler);
    vkCreateFence = "vkCreateFence": fn(d: vk::Device, i: *const vk::FenceCreateInfo<'static>, a: Alloc, o: *mut vk::Fence) -> vk::Result => create;
    vkDestroyFence = "vkDestroyFence": fn(d: vk::Device, h: vk::Fence, a: Alloc) -> () => destroy(vkCreateFence);
    vkCreateSemaphore = "vkCreateSemaphore": fn(d: vk::Device, i: *const vk::SemaphoreCreateInfo<'static>, a: Alloc, o: *mut vk::Semaphore) -> vk::Result => create;
    vkDestroySemaphore = "vkDestroySemaphore": fn(d: vk::Device, h: vk::Semaphore, a: Alloc) -> () => destroy(vkCreateSemaphore);
    vkCreateCommandPool = "vkCreateCommandPool": fn(d: vk::Device, i: *const vk::CommandPoolCreateInfo<'static>, a: Alloc, o: *mut vk::CommandPool) -> vk::Result => create;
    vkDestroyCommandPool = "vkDestroyCommandPool": fn(d: vk::Device, h: vk::CommandPool, a: Alloc) -> () => destroy(vkCreateCommandPool);
    vkCreateDescriptorPool = "vkCreateDescriptorPool": fn(d: vk::Device, i: *const vk::DescriptorPoolCreateInfo<'static>, a: Alloc, o: *mut vk::DescriptorPool) -> vk::Result => create;
    vkDestroyDescriptorPool = "vkDestroyDescriptorPool": fn(d: vk::Device, h: vk::DescriptorPool, a: Alloc) -> () => destroy(vkCreateDescriptorPool);
    vkCreateDescriptorSetLayout = "vkCreateDescriptorSetLayout": fn(d: vk::Device, i: *const vk::DescriptorSetLayoutCreateInfo<'static>, a: Alloc, o: *mut vk::DescriptorSetLayout) -> vk::Result => create;
    vkDestroyDescriptorSetLayout = "vkDestroyDescriptorSetLayout": fn(d: vk::Device, h: vk::DescriptorSetLayout, a: Alloc) -> () => destroy(vkCreateDescriptorSetLayout);
    vkCreatePipelineLayout = "vkCreatePipelineLayout": fn(d: vk::Device, i: *const vk::PipelineLayoutCreateInfo<'static>, a: Alloc, o: *mut vk::PipelineLayout) -> vk::Result => create;
    vkDestroyPipelineLayout = "vkDestroyPipelineLayout": fn(d: vk::Device, h: vk::PipelineLayout, a: Alloc) -> () => destroy(vkCreatePipelineLayout);
    vkCreateShaderModule = "vkCreateShaderModule": fn(d: vk::Device, i: *const vk::ShaderModuleCreateInfo<'static>, a: Alloc, o: *mut vk::ShaderModule) -> vk::Result => create;
    vkDestroyShaderModule = "vkDestroyShaderModule": fn(d: vk::Device, h: vk::ShaderModule, a: Alloc) -> () => destroy(vkCreateShaderModule);
    vkCreateRenderPass = "vkCreateRenderPass": fn(d: vk::Device, i: *const vk::RenderPassCreateInfo<'static>, a: Alloc, o: *mut vk::RenderPass) -> vk::Result => create;
    vkDestroyRenderPass = "vkDestroyRenderPass": fn(d: vk::Device, h: vk::RenderPass, a: Alloc) -> () => destroy(vkCreateRenderPass);
    vkCreateFramebuffer = "vkCreateFramebuffer": fn(d: vk::Device, i: *const vk::FramebufferCreateInfo<'static>, a: Alloc, o: *mut vk::Framebuffer) -> vk::Result => create;
    vkDestroyFramebuffer = "vkDestroyFramebuffer": fn(d: vk::Device, h: vk::Framebuffer, a: Alloc) -> () => destroy(vkCreateFramebuffer);
    vkCreateQueryPool = "vkCreateQueryPool": fn(d: vk::Device, i: *const vk::QueryPoolCreateInfo<'static>, a: Alloc, o: *mut vk::QueryPool) -> vk::Result => create;
    vkDestroyQueryPool = "vkDestroyQueryPool": fn(d: vk::Device, h: vk::QueryPool, a: Alloc) -> () => destroy(vkCreateQueryPool);
    vkCreatePipelineCache = "vkCreatePipelineCache": fn(d: vk::Device, i: *const vk::PipelineCacheCreateInfo<'static>, a: Alloc, o: *mut vk::PipelineCache) -> vk::Result => create;
    vkDestroyPipelineCache = "vkDestroyPipelineCache": fn(d: vk::Device, h: vk::PipelineCache, a: Alloc) -> () => destroy(vkCreatePipelineCache);
    vkCreateSamplerYcbcrConversion = "vkCreateSamplerYcbcrConversion": fn(d: vk::Device, i: *const vk::SamplerYcbcrConversionCreateInfo<'static>, a: Alloc, o: *mut vk::SamplerYcbcrConversion) -> vk::Result => create;
    vkDestroySamplerYcbcrConversion = "vkDestroySamplerYcbcrConversion": fn(d: vk::Device, h: vk::SamplerYcbcrConversion, a: Alloc) -> () => destroy(vkCreateSamplerYcbcrConversion);
    vkDestroyPipeline = "vkDestroyPipeline": fn(d: vk::Device, h: vk::Pipeline, a: Alloc) -> () => destroy(vkCreateGraphicsPipelines);
    vkCreateGraphicsPipelines = "vkCreateGraphicsPipelines": fn(d: vk::Device, c: vk::PipelineCache, n: u32, i: *const vk::GraphicsPipelineCreateInfo<'static>, a: Alloc, o: *mut vk::Pipeline) -> vk::Result => pipelines;
    vkAllocateDescriptorSets = "vkAllocateDescriptorSets": fn(d: vk::Device, i: *const vk::DescriptorSetAllocateInfo<'static>, o: *mut vk::DescriptorSet) -> vk::Result => fallible;
    vkAllocateCommandBuffers = "vkAllocateCommandBuffers": fn(d: vk::Device, i: *const vk::CommandBufferAllocateInfo<'static>, o: *mut vk::CommandBuffer) -> vk::Result => fallible;
    vkBindImageMemory = "vkBindImageMemory": fn(d: vk::Device, h: vk::Image, m: vk::DeviceMemory, off: vk::DeviceSize) -> vk::Result => fallible;
    vkBindBufferMemory = "vkBindBufferMemory": fn(d: vk::Device, h: vk::Buffer, m: vk::DeviceMemory, off: vk::DeviceSize) -> vk::Result => fallible;
    vkMapMemory = "vkMapMemory": fn(d: vk::Device, m: vk::DeviceMemory, off: vk::DeviceSize, size: vk::DeviceSize, f: vk::MemoryMapFlags, o: *mut *mut c_void) -> vk::Result => fallible;
    vkGetMemoryFdKHR = "vkGetMemoryFdKHR": fn(d: vk::Device, i: *const vk::MemoryGetFdInfoKHR<'static>, o: *mut i32) -> vk::Result => fallible;
    vkGetSemaphoreFdKHR = "vkGetSemaphoreFdKHR": fn(d: vk::Device, i: *const vk::SemaphoreGetFdInfoKHR<'static>, o: *mut i32) -> vk::Result => fallible;
    vkImportSemaphoreFdKHR = "vkImportSemaphoreFdKHR": fn(d: vk::Device, i: *const vk::ImportSemaphoreFdInfoKHR<'static>) -> vk::Result => fallible;
    vkBeginCommandBuffer = "vkBeginCommandBuffer": fn(c: vk::CommandBuffer, i: *const vk::CommandBufferBeginInfo<'static>) -> vk::Result => fallible;
    vkEndCommandBuffer = "vkEndCommandBuffer": fn(c: vk::CommandBuffer) -> vk::Result => fallible;
    vkResetCommandPool = "vkResetCommandPool": fn(d: vk::Device, p: vk::CommandPool, f: vk::CommandPoolResetFlags) -> vk::Result => fallible;
    vkResetDescriptorPool = "vkResetDescriptorPool": fn(d: vk::Device, p: vk::DescriptorPool, f: vk::DescriptorPoolResetFlags) -> vk::Result => fallible;
    vkResetFences = "vkResetFences": fn(d: vk::Device, n: u32, f: *const vk::Fence) -> vk::Result => fallible;
    vkQueueSubmit = "vkQueueSubmit": fn(q: vk::Queue, n: u32, s: *const vk::SubmitInfo<'static>, f: vk::Fence) -> vk::Result => fallible;
    vkQueueSubmit2 = "vkQueueSubmit2": fn(q: vk::Queue, n: u32, s: *const vk::SubmitInfo2<'static>, f: vk::Fence) -> vk::Result => fallible;
    vkQueueWaitIdle = "vkQueueWaitIdle": fn(q: vk::Queue) -> vk::Result => fallible;
    vkDeviceWaitIdle = "vkDeviceWaitIdle": fn(d: vk::Device) -> vk::Result => fallible;
    vkWaitForFences = "vkWaitForFences": fn(d: vk::Device, n: u32, f: *const vk::Fence, all: vk::Bool32, t: u64) -> vk::Result => fallible;
    vkGetFenceStatus = "vkGetFenceStatus": fn(d: vk::Device, f: vk::Fence) -> vk::Result => fallible;
    vkWaitSemaphores = "vkWaitSemaphores": fn(d: vk::Device, i: *const vk::SemaphoreWaitInfo<'static>, t: u64) -> vk::Result => fallible;
    vkGetSemaphoreCounterValue = "vkGetSemaphoreCounterValue": fn(d: vk::Device, s: vk::Semaphore, o: *mut u64) -> vk::Result => fallible;
    vkGetQueryPoolResults = "vkGetQueryPoolResults": fn(d: vk::Device, p: vk::QueryPool, first: u32, n: u32, size: usize, data: *mut c_void, stride: vk::DeviceSize, f: vk::QueryResultFlags) -> vk::Result => fallible;
}

// ---------------------------------------------------------------------------------------
// Instance and device creation: walking the chain.

unsafe extern "system" fn create_instance(
    info: *const vk::InstanceCreateInfo<'_>,
    alloc: Alloc,
    out: *mut vk::Instance,
) -> vk::Result {
    // SAFETY: the loader passes a valid create info whose chain holds our link.
    let Some(link) = (unsafe {
        find_link::<LayerInstanceCreateInfo>(
            info.cast(),
            vk::StructureType::LOADER_INSTANCE_CREATE_INFO,
        )
    }) else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    // SAFETY: the link is the loader's, valid for this call; advancing it is how the next
    // layer finds its own.
    let gipa = unsafe {
        let layer_info = (*link).layer_info;
        let gipa = (*layer_info).next_get_instance_proc_addr;
        (*link).layer_info = (*layer_info).next;
        gipa
    };
    let name = c"vkCreateInstance";
    // SAFETY: looking up a global command with a null instance is allowed.
    let Some(next) = (unsafe { gipa(vk::Instance::null(), name.as_ptr()) }) else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    // SAFETY: the entry point of that name has that signature.
    let next: vk::PFN_vkCreateInstance = unsafe { std::mem::transmute(next) };
    let result = unsafe { next(info, alloc, out) };
    if result == vk::Result::SUCCESS {
        // SAFETY: `out` holds the new instance, a dispatchable handle.
        let key = unsafe { key_of((*out).as_raw()) };
        lock(&INSTANCES).push((key, gipa));
    }
    result
}

/// The loader's link structure of `s_type` in a create info's `pNext` chain (the one
/// whose function is `VK_LAYER_LINK_INFO`).
unsafe fn find_link<T>(
    mut next: *const c_void,
    s_type: vk::StructureType,
) -> Option<*mut LayerInstanceCreateInfo> {
    while !next.is_null() {
        // SAFETY: every chain member starts with sType and pNext.
        let base = next as *mut LayerInstanceCreateInfo;
        let (ty, function, p_next) = unsafe { ((*base).s_type, (*base).function, (*base).p_next) };
        if ty == s_type && function == LAYER_LINK_INFO {
            return Some(base);
        }
        next = p_next;
    }
    let _ = std::marker::PhantomData::<T>;
    None
}

unsafe extern "system" fn create_device(
    physical: vk::PhysicalDevice,
    info: *const vk::DeviceCreateInfo<'_>,
    alloc: Alloc,
    out: *mut vk::Device,
) -> vk::Result {
    // SAFETY: as in `create_instance`; the device link has the same header.
    let Some(link) = (unsafe {
        find_link::<LayerDeviceCreateInfo>(
            info.cast(),
            vk::StructureType::LOADER_DEVICE_CREATE_INFO,
        )
    }) else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    let link = link as *mut LayerDeviceCreateInfo;
    // SAFETY: as in `create_instance`.
    let (gipa, gdpa) = unsafe {
        let layer_info = (*link).layer_info;
        let pair = (
            (*layer_info).next_get_instance_proc_addr,
            (*layer_info).next_get_device_proc_addr,
        );
        (*link).layer_info = (*layer_info).next;
        pair
    };
    // SAFETY: vkCreateDevice may be looked up with a null instance.
    let Some(next) = (unsafe { gipa(vk::Instance::null(), c"vkCreateDevice".as_ptr()) }) else {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    };
    let next: vk::PFN_vkCreateDevice = unsafe { std::mem::transmute(next) };
    let result = unsafe { next(physical, info, alloc, out) };
    if result != vk::Result::SUCCESS {
        return result;
    }
    // SAFETY: `out` holds the new device.
    let device = unsafe { *out };
    let lookup = |name: &str| {
        let name = std::ffi::CString::new(name).expect("no NUL in names");
        // SAFETY: looking up device commands of a live device.
        unsafe { gdpa(device, name.as_ptr()) }
    };
    let next = HOOKS.iter().map(|name| lookup(name)).collect();
    let destroy = lookup("vkDestroyDevice").map(|f| {
        // SAFETY: the entry point of that name has that signature.
        unsafe { std::mem::transmute::<_, vk::PFN_vkDestroyDevice>(f) }
    });
    let data = DeviceData {
        get_device_proc_addr: gdpa,
        next,
        destroy,
    };
    // SAFETY: a device is dispatchable.
    let key = unsafe { key_of(device.as_raw()) };
    lock(&DEVICES)
        .get_or_insert_with(HashMap::new)
        .insert(key, data);
    result
}

unsafe extern "system" fn destroy_device(device: vk::Device, alloc: Alloc) {
    if device == vk::Device::null() {
        return;
    }
    // SAFETY: a device is dispatchable.
    let key = unsafe { key_of(device.as_raw()) };
    let data = lock(&DEVICES).as_mut().and_then(|d| d.remove(&key));
    if let Some(destroy) = data.and_then(|d| d.destroy) {
        // SAFETY: the next layer's vkDestroyDevice of this device.
        unsafe { destroy(device, alloc) }
    }
}

unsafe extern "system" fn get_device_proc_addr(
    device: vk::Device,
    name: *const c_char,
) -> vk::PFN_vkVoidFunction {
    // SAFETY: the loader passes a NUL-terminated name.
    let text = unsafe { CStr::from_ptr(name) }.to_str().unwrap_or("");
    if let Some(f) = own_device_command(text) {
        return Some(f);
    }
    if device == vk::Device::null() {
        return None;
    }
    // SAFETY: a device is dispatchable.
    let key = unsafe { key_of(device.as_raw()) };
    let gdpa = lock(&DEVICES).as_ref()?.get(&key)?.get_device_proc_addr;
    // SAFETY: passing the lookup down the chain.
    unsafe { gdpa(device, name) }
}

unsafe extern "system" fn get_instance_proc_addr(
    instance: vk::Instance,
    name: *const c_char,
) -> vk::PFN_vkVoidFunction {
    // SAFETY: the loader passes a NUL-terminated name.
    let text = unsafe { CStr::from_ptr(name) }.to_str().unwrap_or("");
    let own: Option<unsafe extern "system" fn()> = match text {
        // SAFETY (all four): the loader casts each back to its true type by name.
        "vkGetInstanceProcAddr" => Some(unsafe {
            std::mem::transmute::<vk::PFN_vkGetInstanceProcAddr, _>(get_instance_proc_addr)
        }),
        "vkCreateInstance" => Some(unsafe {
            std::mem::transmute::<unsafe extern "system" fn(_, _, _) -> _, _>(
                create_instance
                    as unsafe extern "system" fn(
                        *const vk::InstanceCreateInfo<'_>,
                        Alloc,
                        *mut vk::Instance,
                    ) -> vk::Result,
            )
        }),
        "vkCreateDevice" => Some(unsafe {
            std::mem::transmute::<unsafe extern "system" fn(_, _, _, _) -> _, _>(
                create_device
                    as unsafe extern "system" fn(
                        vk::PhysicalDevice,
                        *const vk::DeviceCreateInfo<'_>,
                        Alloc,
                        *mut vk::Device,
                    ) -> vk::Result,
            )
        }),
        _ => own_device_command(text),
    };
    if own.is_some() {
        return own;
    }
    if instance == vk::Instance::null() {
        return None;
    }
    // SAFETY: an instance is dispatchable.
    let key = unsafe { key_of(instance.as_raw()) };
    let gipa = lock(&INSTANCES)
        .iter()
        .rev()
        .find(|(k, _)| *k == key)
        .map(|(_, g)| *g)?;
    // SAFETY: passing the lookup down the chain.
    unsafe { gipa(instance, name) }
}

/// The device-level commands this layer answers for itself.
fn own_device_command(name: &str) -> vk::PFN_vkVoidFunction {
    match name {
        // SAFETY (both): the loader casts each back to its true type by name.
        "vkGetDeviceProcAddr" => Some(unsafe {
            std::mem::transmute::<vk::PFN_vkGetDeviceProcAddr, _>(get_device_proc_addr)
        }),
        "vkDestroyDevice" => Some(unsafe {
            std::mem::transmute::<unsafe extern "system" fn(vk::Device, Alloc), _>(destroy_device)
        }),
        _ => hooked(name),
    }
}

/// The loader's entry into the layer.
#[no_mangle]
pub unsafe extern "system" fn vkNegotiateLoaderLayerInterfaceVersion(
    interface: *mut NegotiateLayerInterface,
) -> vk::Result {
    if interface.is_null() {
        return vk::Result::ERROR_INITIALIZATION_FAILED;
    }
    // SAFETY: the loader passes its negotiation struct.
    unsafe {
        let interface = &mut *interface;
        interface.loader_layer_interface_version = interface.loader_layer_interface_version.min(2);
        interface.get_instance_proc_addr = Some(get_instance_proc_addr);
        interface.get_device_proc_addr = Some(get_device_proc_addr);
        interface.get_physical_device_proc_addr = std::ptr::null();
    }
    vk::Result::SUCCESS
}

// ---------------------------------------------------------------------------------------
// The test's controls.

fn hook_index(name: *const c_char) -> Option<usize> {
    if name.is_null() {
        return None;
    }
    // SAFETY: the test passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) }.to_str().ok()?;
    HOOKS.iter().position(|h| *h == name)
}

/// Fails the `nth` (1-based) fallible call from now on — of entry point `only`, or of any
/// when it is null — with `result`; with `sticky`, every fallible call after it too.
/// Returns false for an `only` this layer does not hook.
#[no_mangle]
pub unsafe extern "C" fn vkcompose_fault_arm(
    nth: u64,
    result: i32,
    sticky: bool,
    only: *const c_char,
) -> bool {
    let only_index = hook_index(only);
    if !only.is_null() && only_index.is_none() {
        return false;
    }
    *lock(&ARMED) = Some(Armed {
        nth: nth.max(1),
        seen: 0,
        result: vk::Result::from_raw(result),
        sticky,
        only: only_index,
        fired: false,
    });
    true
}

/// Stops failing calls. Returns whether the armed failure fired.
#[no_mangle]
pub extern "C" fn vkcompose_fault_disarm() -> bool {
    lock(&ARMED).take().is_some_and(|a| a.fired)
}

/// Intercepted calls so far: of entry point `name`, or of all when it is null.
#[no_mangle]
pub unsafe extern "C" fn vkcompose_fault_calls(name: *const c_char) -> u64 {
    match hook_index(name) {
        Some(i) => CALLS[i].load(Ordering::Relaxed),
        None => CALLS.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
    }
}

/// Objects alive that the create entry point `name` made (all when null): creates that
/// succeeded minus destroys of non-null handles.
#[no_mangle]
pub unsafe extern "C" fn vkcompose_fault_live(name: *const c_char) -> i64 {
    match hook_index(name) {
        Some(i) => LIVE[i].load(Ordering::Relaxed),
        None => LIVE.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
    }
}

/// How many calls were failed since the layer was loaded.
#[no_mangle]
pub extern "C" fn vkcompose_fault_fired() -> u64 {
    FIRED.load(Ordering::Relaxed)
}

/// Writes `name=count` for every create entry point with objects alive into `buffer`
/// (`size` bytes, NUL-terminated, cut short if it does not fit); returns the length wanted.
#[no_mangle]
pub unsafe extern "C" fn vkcompose_fault_live_report(buffer: *mut c_char, size: usize) -> usize {
    let report: String = HOOKS
        .iter()
        .zip(&LIVE)
        .filter(|(_, live)| live.load(Ordering::Relaxed) != 0)
        .map(|(name, live)| format!("{name}={} ", live.load(Ordering::Relaxed)))
        .collect();
    if !buffer.is_null() && size > 0 {
        let n = report.len().min(size - 1);
        // SAFETY: the caller's buffer holds `size` bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(report.as_ptr().cast(), buffer, n);
            *buffer.add(n) = 0;
        }
    }
    report.len()
}
