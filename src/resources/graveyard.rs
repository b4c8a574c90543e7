//! Deferred destruction: objects dropped while submitted (or still unsubmitted) work uses
//! them are destroyed once the renderer's timeline passes that work's point, never by
//! waiting for the queue.

use std::sync::{Arc, Mutex};

use crate::core::sync::TimelineSemaphore;
use crate::error::Result;

type Destroy = Box<dyn FnOnce() + Send>;

/// The renderer's list of objects waiting for a timeline point.
pub(crate) struct Graveyard {
    pub timeline: Arc<TimelineSemaphore>,
    dead: Mutex<Vec<(u64, Destroy)>>,
}

impl Graveyard {
    pub fn new(timeline: Arc<TimelineSemaphore>) -> Arc<Graveyard> {
        Arc::new(Graveyard {
            timeline,
            dead: Mutex::new(Vec::new()),
        })
    }

    /// Runs `destroy` now when `point` has passed, else once it has.
    pub fn bury(&self, point: u64, destroy: Destroy) {
        if self.timeline.value().is_ok_and(|done| done >= point) {
            destroy();
        } else {
            self.lock().push((point, destroy));
        }
    }

    /// Destroys everything whose point has passed.
    pub fn collect(&self) -> Result<()> {
        let done = self.timeline.value()?;
        let ready: Vec<Destroy> = {
            let mut dead = self.lock();
            let (ready, waiting): (Vec<_>, Vec<_>) =
                dead.drain(..).partition(|(point, _)| *point <= done);
            *dead = waiting;
            ready.into_iter().map(|(_, destroy)| destroy).collect()
        };
        ready.into_iter().for_each(|destroy| destroy());
        Ok(())
    }

    /// Destroys everything now, whatever its point: for a lost device, where no work runs.
    pub fn destroy_all(&self) {
        let all: Vec<(u64, Destroy)> = self.lock().drain(..).collect();
        all.into_iter().for_each(|(_, destroy)| destroy());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Destroy)>> {
        self.dead.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Graveyard {
    fn drop(&mut self) {
        // The last owner is gone: the renderer waited for its work when it was dropped.
        for (_, destroy) in self.lock().drain(..) {
            destroy();
        }
    }
}
