//! Submission: a batch of command buffers with the semaphores it waits for and signals,
//! put on a [`Queue`] under its lock.

use ash::vk;

use crate::core::queue::Queue;
use crate::core::sync::{Fence, Semaphore, TimelineSemaphore};
use crate::error::{Result, VkResultExt};

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
}
