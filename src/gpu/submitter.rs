//! The one place that assigns points on a renderer's timeline. Every submission (a frame,
//! a batch of uploads, a wait-only batch) goes through [`Submitter`], which gives it the
//! next point, puts pending uploads in front of it, and keeps what the work uses (its
//! recorder, staging space, textures, the pool's semaphores) until that point is reached.
//! Nothing outside this module computes a point: others ask for [`Submitter::next_point`]
//! (what the next submission will signal) or get the point a submission was given.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::core::device::Device;
use crate::core::semaphore_pool::SemaphorePool;
use crate::core::submit::{binary_waits, SemaphorePoint, Submission};
use crate::core::sync::{Semaphore, TimelineSemaphore};
use crate::error::{Error, Result};
use crate::pipelines::recorder::Recorder;
use crate::resources::graveyard::Graveyard;
use crate::resources::staging::{StagingRing, Timeline};
use crate::resources::texture::Texture;

/// Recorders per ring: frames (or upload batches) in flight before the next waits for the
/// oldest.
pub(crate) const IN_FLIGHT: usize = 3;

/// What a submission holds until its point passes, besides its recorder.
#[derive(Default)]
pub(crate) struct Held<'a> {
    /// Textures it reads or writes: kept alive (their drop deferred) until the point.
    pub textures: Vec<&'a Texture>,
    /// Semaphores of the pool it waits on (consumed imports): reused after the point.
    pub waits: Vec<Semaphore>,
}

/// A renderer's timeline and the work queued on it.
pub(crate) struct Submitter {
    device: Device,
    timeline: Arc<TimelineSemaphore>,
    /// The last point given to a submission.
    last: u64,
    staging: StagingRing,
    /// Upload commands for the next submission.
    uploads: Option<Recorder>,
    /// Frame recorders and upload recorders, each used round-robin, with the point their
    /// work was submitted at: every recorder takes the same kind of work, so once each
    /// has been used once nothing more is created.
    frame_ring: RecorderRing,
    upload_ring: RecorderRing,
    /// Objects dropped while the GPU may still use them.
    graveyard: Arc<Graveyard>,
    /// Binary semaphores for sync_file exports and imports, reused once their point passed.
    semaphores: SemaphorePool,
}

impl Submitter {
    pub(crate) fn new(device: &Device, staging_size: u64) -> Result<Submitter> {
        let timeline = Arc::new(TimelineSemaphore::new(device, 0)?);
        Ok(Submitter {
            device: device.clone(),
            graveyard: Graveyard::new(timeline.clone()),
            semaphores: SemaphorePool::new(device, timeline.clone(), IN_FLIGHT),
            timeline,
            last: 0,
            staging: StagingRing::new(device, staging_size)?,
            uploads: None,
            frame_ring: RecorderRing::default(),
            upload_ring: RecorderRing::default(),
        })
    }

    pub(crate) fn timeline(&self) -> &Arc<TimelineSemaphore> {
        &self.timeline
    }

    pub(crate) fn graveyard(&self) -> &Arc<Graveyard> {
        &self.graveyard
    }

    pub(crate) fn semaphores(&mut self) -> &mut SemaphorePool {
        &mut self.semaphores
    }

    /// The point the next submission (pending uploads included) will signal: what work
    /// recorded now is held until.
    pub(crate) fn next_point(&self) -> u64 {
        self.last + 1
    }

    /// Keeps `texture` alive until the pending uploads that use it have completed.
    pub(crate) fn hold_for_uploads(&self, texture: &Texture) {
        texture.mark_used(&self.graveyard, self.next_point());
    }

    /// A frame recorder ready to record.
    pub(crate) fn take_recorder(&mut self) -> Result<Recorder> {
        self.collect()?;
        self.frame_ring.take(&self.device, &self.timeline)
    }

    /// Gives back a frame recorder that will not be submitted (recording failed); it is
    /// reset when next taken.
    pub(crate) fn return_unsubmitted(&mut self, recorder: Recorder) {
        self.frame_ring.give_back(recorder, 0);
    }

    /// Frees what completed work no longer needs.
    fn collect(&mut self) -> Result<()> {
        let completed = self.timeline.value()?;
        self.staging.reclaim(completed);
        self.graveyard.collect()
    }

    /// Submits `recorder` (after any pending uploads) as the next point, waiting for
    /// `waits` and `held.waits` (binary semaphores, before any stage) and signalling every
    /// one of `signals`; `held` is kept until the point. Returns the point.
    pub(crate) fn submit(
        &mut self,
        mut recorder: Recorder,
        waits: &[&Semaphore],
        signals: &[&Semaphore],
        held: Held<'_>,
    ) -> Result<u64> {
        let mut uploads = self.uploads.take();
        let before = match uploads
            .as_mut()
            .map(|u| u.end().map(|()| u.command_buffer()))
        {
            Some(Err(e)) => {
                // Not submitted: both go back to be reset when next taken (what the lost
                // uploads wrote is undefined; see `abandon`).
                self.abandon(recorder, uploads);
                return Err(e);
            }
            Some(Ok(cmd)) => Some(cmd),
            None => None,
        };
        let point = self.take_point();
        let waits: Vec<&Semaphore> = waits.iter().copied().chain(&held.waits).collect();
        if let Err(e) = recorder.submit(before, &waits, &self.timeline, point, signals) {
            // A failed vkQueueSubmit leaves every semaphore and resource as it was, so the
            // point was never queued: it goes back, or every later wait would hang on it.
            self.last -= 1;
            self.abandon(recorder, uploads);
            return Err(e);
        }
        self.frame_ring.give_back(recorder, point);
        if let Some(u) = uploads {
            self.upload_ring.give_back(u, point);
        }
        self.hold(held, point);
        Ok(point)
    }

    /// Gives back recorders whose work was not submitted, to be reset when next taken.
    /// The textures their commands uploaded into keep undefined contents until written
    /// again.
    fn abandon(&mut self, recorder: Recorder, uploads: Option<Recorder>) {
        self.frame_ring.give_back(recorder, 0);
        if let Some(u) = uploads {
            self.upload_ring.give_back(u, 0);
        }
    }

    /// Submits a batch of no commands that only waits for `waits` and `held.waits`, as the
    /// next point: work
    /// that failed before its submission still consumes the semaphores it was given, so
    /// that their owners can reuse them once the point is reached.
    pub(crate) fn submit_waits_only(
        &mut self,
        waits: &[&Semaphore],
        held: Held<'_>,
    ) -> Result<u64> {
        let point = self.take_point();
        let waits: Vec<&Semaphore> = waits.iter().copied().chain(&held.waits).collect();
        let wait_points = binary_waits(&waits);
        let signals = [SemaphorePoint::Timeline(&self.timeline, point)];
        let result = self.device.graphics_queue().submit(&Submission {
            waits: &wait_points,
            signals: &signals,
            ..Default::default()
        });
        if let Err(e) = self.device.note(result) {
            // Never queued (see `submit`): the point goes back, and what it held is held
            // until the last point that was.
            self.last -= 1;
            self.hold(held, self.last);
            return Err(e);
        }
        self.hold(held, point);
        Ok(point)
    }

    /// The recorder collecting upload commands for the next submission.
    pub(crate) fn uploads(&mut self) -> Result<&mut Recorder> {
        if self.uploads.is_none() {
            self.collect()?;
            let recorder = self.upload_ring.take(&self.device, &self.timeline)?;
            self.uploads = Some(recorder);
        }
        Ok(self.uploads.as_mut().expect("set above"))
    }

    /// Submits pending uploads on their own; returns the last point given.
    pub(crate) fn flush(&mut self) -> Result<u64> {
        self.flush_signalling_all(&[])?;
        Ok(self.last)
    }

    /// Submits pending uploads on their own, also signalling `signal` (a binary semaphore
    /// that is unsignaled, with no signal pending). Returns the point they were given.
    pub(crate) fn flush_signalling(&mut self, signal: &Semaphore) -> Result<u64> {
        if self.uploads.is_none() {
            return Err(Error::InvalidArgument("no uploads to submit".into()));
        }
        self.flush_signalling_all(&[signal])?;
        Ok(self.last)
    }

    fn flush_signalling_all(&mut self, signals: &[&Semaphore]) -> Result<()> {
        let Some(mut uploads) = self.uploads.take() else {
            return Ok(());
        };
        let point = self.take_point();
        let result = uploads.submit(None, &[], &self.timeline, point, signals);
        if result.is_err() {
            // Never queued (see `submit`): the point goes back.
            self.last -= 1;
        }
        self.upload_ring
            .give_back(uploads, if result.is_ok() { point } else { 0 });
        result
    }

    /// Waits until everything submitted so far has completed, and frees what it held.
    pub(crate) fn wait_idle(&mut self) -> Result<()> {
        self.flush()?;
        self.timeline.wait(self.last, Duration::MAX)?;
        self.collect()
    }

    /// The staging ring, and the timeline as it sees it (able to flush uploads when the
    /// ring is full).
    pub(crate) fn staging_parts(&mut self) -> (&mut StagingRing, StagingTimeline<'_>) {
        let Submitter {
            staging,
            timeline,
            last,
            uploads,
            upload_ring,
            ..
        } = self;
        let submitter = StagingTimeline {
            timeline,
            last,
            uploads,
            upload_ring,
        };
        (staging, submitter)
    }

    /// The next point, now given to a submission.
    fn take_point(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    fn hold(&mut self, held: Held<'_>, point: u64) {
        for texture in held.textures {
            texture.mark_used(&self.graveyard, point);
        }
        self.semaphores.recycle_waits(held.waits, point);
    }
}

impl Drop for Submitter {
    fn drop(&mut self) {
        if self.device.is_lost() {
            // Nothing runs on a lost device any more (vkDeviceWaitIdle returns at once
            // there), so everything waiting for a point may go now.
            // SAFETY: a plain wait on the device; its result does not matter.
            let _ = unsafe { self.device.raw().device_wait_idle() };
            self.graveyard.destroy_all();
            return;
        }
        let _ = self.wait_idle();
        let _ = self.graveyard.collect();
    }
}

/// Recorders used in turn.
#[derive(Default)]
struct RecorderRing {
    /// Oldest submission first.
    idle: VecDeque<(Recorder, u64)>,
    /// How many exist (idle or recording).
    count: usize,
}

impl RecorderRing {
    /// The oldest recorder once its work has completed, or a new one while fewer than
    /// `IN_FLIGHT` exist.
    fn take(&mut self, device: &Device, timeline: &TimelineSemaphore) -> Result<Recorder> {
        if self.count < IN_FLIGHT {
            self.count += 1;
            return Recorder::new(device).inspect_err(|_| self.count -= 1);
        }
        let (mut recorder, point) = self
            .idle
            .pop_front()
            .ok_or_else(|| Error::InvalidArgument("every recorder is in use".into()))?;
        // A failed wait or reset keeps the recorder for the next take.
        if let Err(e) = timeline
            .wait(point, Duration::MAX)
            .and_then(|_| recorder.reset())
        {
            self.idle.push_front((recorder, point));
            return Err(e);
        }
        Ok(recorder)
    }

    fn give_back(&mut self, recorder: Recorder, point: u64) {
        self.idle.push_back((recorder, point));
    }
}

/// The submitter's timeline as the staging ring sees it.
pub(crate) struct StagingTimeline<'a> {
    timeline: &'a Arc<TimelineSemaphore>,
    last: &'a mut u64,
    uploads: &'a mut Option<Recorder>,
    upload_ring: &'a mut RecorderRing,
}

impl Timeline for StagingTimeline<'_> {
    fn completed(&self) -> Result<u64> {
        self.timeline.value()
    }

    fn wait(&self, point: u64) -> Result<()> {
        self.timeline.wait(point, Duration::MAX).map(|_| ())
    }

    fn pending_point(&self) -> u64 {
        *self.last + 1
    }

    fn flush(&mut self) -> Result<()> {
        if let Some(mut uploads) = self.uploads.take() {
            *self.last += 1;
            let point = *self.last;
            let result = uploads.submit(None, &[], self.timeline, point, &[]);
            if result.is_err() {
                // Never queued (see `Submitter::submit`): the point goes back.
                *self.last -= 1;
            }
            self.upload_ring
                .give_back(uploads, if result.is_ok() { point } else { 0 });
            result?;
        }
        Ok(())
    }
}
