//! Queues and submission. Vulkan requires submissions to a queue to be externally
//! synchronized; every submission here goes through the queue's mutex.

use std::sync::{Mutex, MutexGuard};

use ash::vk;

use crate::core::sync::{Fence, Semaphore, TimelineSemaphore};
use crate::error::{Result, VkResultExt};

/// One device queue.
pub struct Queue {
    device: ash::Device,
    raw: Mutex<vk::Queue>,
    family: u32,
    index: u32,
}

/// A semaphore operation in a submission: a binary semaphore, or a timeline at a value.
#[derive(Clone, Copy)]
pub enum SemaphorePoint<'a> {
    Binary(&'a Semaphore),
    Timeline(&'a TimelineSemaphore, u64),
}

/// Waits on binary semaphores, by every stage: what frames and their empty stand-ins wait
/// for.
pub(crate) fn binary_waits<'a>(
    semaphores: &[&'a Semaphore],
) -> Vec<(SemaphorePoint<'a>, vk::PipelineStageFlags)> {
    semaphores
        .iter()
        .map(|&s| {
            (
                SemaphorePoint::Binary(s),
                vk::PipelineStageFlags::ALL_COMMANDS,
            )
        })
        .collect()
}

/// One batch of work.
#[derive(Clone, Copy, Default)]
pub struct Submission<'a> {
    pub command_buffers: &'a [vk::CommandBuffer],
    /// Each semaphore waited on, and the stages that wait for it.
    pub waits: &'a [(SemaphorePoint<'a>, vk::PipelineStageFlags)],
    pub signals: &'a [SemaphorePoint<'a>],
    pub fence: Option<&'a Fence>,
}

impl SemaphorePoint<'_> {
    /// The handle and the value (ignored by Vulkan for binary semaphores).
    fn raw(self) -> (vk::Semaphore, u64) {
        match self {
            SemaphorePoint::Binary(s) => (s.raw(), 0),
            SemaphorePoint::Timeline(s, value) => (s.raw(), value),
        }
    }
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

    /// Submits one batch.
    pub fn submit(&self, submission: &Submission<'_>) -> Result<()> {
        let (wait_semaphores, wait_values): (Vec<_>, Vec<_>) =
            submission.waits.iter().map(|(p, _)| p.raw()).unzip();
        let wait_stages: Vec<_> = submission.waits.iter().map(|(_, s)| *s).collect();
        let (signal_semaphores, signal_values): (Vec<_>, Vec<_>) =
            submission.signals.iter().map(|p| p.raw()).unzip();
        let mut timeline = vk::TimelineSemaphoreSubmitInfo::default()
            .wait_semaphore_values(&wait_values)
            .signal_semaphore_values(&signal_values);
        let info = vk::SubmitInfo::default()
            .command_buffers(submission.command_buffers)
            .wait_semaphores(&wait_semaphores)
            .wait_dst_stage_mask(&wait_stages)
            .signal_semaphores(&signal_semaphores)
            .push_next(&mut timeline);
        let fence = submission.fence.map_or(vk::Fence::null(), Fence::raw);
        if let Some(f) = submission.fence {
            f.mark_submitted()?;
        }
        let queue = self.lock();
        // SAFETY: the mutex synchronizes the queue; every array outlives the call; the fence
        // is unsignalled and not pending (checked by `mark_submitted`).
        let result = unsafe { self.device.queue_submit(*queue, &[info], fence) };
        drop(queue);
        if result.is_err() {
            if let Some(f) = submission.fence {
                f.unmark_submitted();
            }
        }
        result.or_vk("vkQueueSubmit")
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

    fn lock(&self) -> MutexGuard<'_, vk::Queue> {
        // A panic while holding the lock leaves the queue itself fine; the handle is Copy.
        self.raw.lock().unwrap_or_else(|poisoned| {
            tracing::warn!("a thread panicked while submitting; the queue is still usable");
            poisoned.into_inner()
        })
    }
}
