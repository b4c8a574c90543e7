//! Queues. Vulkan requires submissions to a queue to be externally synchronized; every
//! submission (`core::submit`) goes through the queue's mutex.

use std::sync::{Mutex, MutexGuard};

use ash::vk;

use crate::error::{Result, VkResultExt};

/// One device queue.
pub struct Queue {
    pub(super) device: ash::Device,
    raw: Mutex<vk::Queue>,
    family: u32,
    index: u32,
}

impl Queue {
    pub(crate) fn new(device: &ash::Device, family: u32, index: u32) -> Queue {
        // SAFETY: the device was created with `index + 1` queues of `family`.
        let raw = unsafe { device.get_device_queue(family, index) };
        Queue {
            device: device.clone(),
            raw: Mutex::new(raw),
            family,
            index,
        }
    }

    pub fn family(&self) -> u32 {
        self.family
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    /// Waits until the queue has finished everything submitted to it.
    pub fn wait_idle(&self) -> Result<()> {
        let queue = self.lock();
        // SAFETY: the mutex synchronizes the queue.
        unsafe { self.device.queue_wait_idle(*queue) }.or_vk("vkQueueWaitIdle")
    }

    /// Runs `f` with the raw queue while holding the queue's lock: the way to submit or
    /// present on it directly without racing vkcompose's own submissions.
    pub fn with_raw<R>(&self, f: impl FnOnce(vk::Queue) -> R) -> R {
        let queue = self.lock();
        f(*queue)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, vk::Queue> {
        // A panic while holding the lock leaves the queue itself fine; the handle is Copy.
        self.raw.lock().unwrap_or_else(|poisoned| {
            tracing::warn!("a thread panicked while submitting; the queue is still usable");
            poisoned.into_inner()
        })
    }
}
