//! Binary semaphores recycled across submissions (part of the sync layer): the ones a
//! frame's sync_file is exported from, and the ones sync_files are imported into for a
//! submission to wait on (a dma-buf's pending writes, a foreign fence). Steady frames then
//! create none.
//!
//! Reuse follows the spec's rules for binary semaphores. A semaphore goes back into use
//! only once the timeline point of the submission that last used it has passed, so that no
//! queue operation refers to it any more (an import requires that,
//! VUID-vkImportSemaphoreFdKHR-semaphore-01142; a signal requires the semaphore unsignalled
//! with no signal or wait pending). Both uses leave it that way: exporting a sync_file has
//! copy transference, which unsignals the semaphore as a wait would, and a wait on a
//! temporary import consumes the imported payload and restores the permanent one (never
//! signalled). A semaphore that was signalled but whose export failed is not returned: its
//! owner drops it.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::core::device::Device;
use crate::core::sync::{Semaphore, SemaphoreHandle, SyncFile, TimelineSemaphore};
use crate::error::{Error, Result};

/// The renderer's recycled binary semaphores.
pub(crate) struct SemaphorePool {
    device: Device,
    timeline: Arc<TimelineSemaphore>,
    /// Exportable as sync_files, signalled by frames.
    signal: Recycled,
    /// Plain, for temporary sync_file imports.
    wait: Recycled,
}

/// Semaphores of one kind, oldest use first.
struct Recycled {
    idle: VecDeque<(Semaphore, u64)>,
    /// How many were made (a few may have been dropped since, on error paths).
    count: usize,
    /// How many are made before any is reused: the frames one renderer has in flight, so
    /// that a stream of frames using one each stops creating after the first few however
    /// the GPU keeps pace.
    reserve: usize,
}

impl SemaphorePool {
    /// `reserve` is how many submissions the renderer has in flight at most.
    pub fn new(device: &Device, timeline: Arc<TimelineSemaphore>, reserve: usize) -> Self {
        let recycled = || Recycled {
            idle: VecDeque::new(),
            count: 0,
            reserve,
        };
        SemaphorePool {
            device: device.clone(),
            timeline,
            signal: recycled(),
            wait: recycled(),
        }
    }

    /// An unsignalled semaphore with nothing pending that can be exported as a sync_file
    /// once a submission signals it. An `Unsupported` error where the driver cannot.
    pub fn take_signal(&mut self) -> Result<Semaphore> {
        let completed = self.timeline.value()?;
        let device = &self.device;
        self.signal.take(completed, || {
            Semaphore::exportable(device, SemaphoreHandle::SyncFd)
        })
    }

    /// A semaphore whose next wait waits for `file` (a temporary import: the wait
    /// consumes it). An `Unsupported` error where the driver cannot import sync_files;
    /// `file` is closed on every error.
    pub fn import(&mut self, file: SyncFile) -> Result<Semaphore> {
        if !self.device.capabilities().sync_file.import {
            return Err(Error::Unsupported {
                device: self.device.name().to_string(),
                what: "import of sync_file semaphores (VK_KHR_external_semaphore_fd with SYNC_FD)"
                    .into(),
            });
        }
        let completed = self.timeline.value()?;
        let device = &self.device;
        let semaphore = self.wait.take(completed, || Semaphore::new(device))?;
        match semaphore.import_sync_file(file) {
            Ok(()) => Ok(semaphore),
            Err(e) => {
                // A failed import leaves the semaphore as it was: unused, reusable at once.
                self.wait.give_back(semaphore, 0);
                Err(e)
            }
        }
    }

    /// Returns a semaphore from [`SemaphorePool::take_signal`] that the submission at
    /// `point` signalled and whose signal was exported since (or that no submission
    /// signalled).
    pub fn recycle_signal(&mut self, semaphore: Semaphore, point: u64) {
        self.signal.give_back(semaphore, point);
    }

    /// Returns semaphores from [`SemaphorePool::import`] that the submission at `point`
    /// waited on.
    pub fn recycle_waits(&mut self, semaphores: impl IntoIterator<Item = Semaphore>, point: u64) {
        for semaphore in semaphores {
            self.wait.give_back(semaphore, point);
        }
    }
}

impl Recycled {
    /// The oldest idle semaphore once its point has passed, or a new one: while fewer than
    /// `reserve` exist, and whenever none is free (never waiting for one).
    fn take(
        &mut self,
        completed: u64,
        create: impl FnOnce() -> Result<Semaphore>,
    ) -> Result<Semaphore> {
        let oldest_done = self.idle.front().is_some_and(|(_, p)| *p <= completed);
        if oldest_done && self.count >= self.reserve {
            let (semaphore, _) = self.idle.pop_front().expect("checked above");
            return Ok(semaphore);
        }
        let semaphore = create()?;
        self.count += 1;
        Ok(semaphore)
    }

    fn give_back(&mut self, semaphore: Semaphore, point: u64) {
        // Points only grow, so pushing at the back keeps the oldest use first; a semaphore
        // no submission used (point 0) goes first, ready at once.
        if point == 0 {
            self.idle.push_front((semaphore, 0));
        } else {
            self.idle.push_back((semaphore, point));
        }
    }
}
