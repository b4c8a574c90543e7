//! The staging ring: one persistently mapped upload buffer that shm damage is copied into
//! before the GPU copies it into textures. Space is handed out in submission order and
//! taken back when the renderer's timeline passes the point of the submission that read
//! it, so a steady stream of updates allocates nothing and never waits for the queue to go
//! idle.

use std::collections::VecDeque;

use ash::vk;

use crate::core::device::Device;
use crate::error::Result;
use crate::resources::buffer::Buffer;

/// A region handed out: where to write and where the GPU copy reads from.
pub(crate) struct StagingSlice<'a> {
    pub buffer: vk::Buffer,
    pub offset: u64,
    pub bytes: &'a mut [u8],
}

pub(crate) struct StagingRing {
    buffer: Buffer,
    /// Next free byte.
    head: u64,
    /// Regions still read by submitted (or not yet submitted) work, oldest first:
    /// (start, end, timeline point that frees them).
    in_flight: VecDeque<(u64, u64, u64)>,
    /// Smaller rings replaced by a larger one, freed when their point passes.
    retired: Vec<(Buffer, u64)>,
}

/// What the ring cannot do on its own: learn whether a point has passed, and get a point
/// submitted so that it can pass.
pub(crate) trait Timeline {
    fn completed(&self) -> Result<u64>;
    /// Blocks until `point` has passed; `point` has been submitted.
    fn wait(&self, point: u64) -> Result<()>;
    /// The point of work not yet submitted (the next submission's).
    fn pending_point(&self) -> u64;
    /// Submits what is pending so that its point can pass.
    fn flush(&mut self) -> Result<()>;
}

impl StagingRing {
    pub fn new(device: &Device, capacity: u64) -> Result<StagingRing> {
        Ok(StagingRing {
            buffer: Buffer::new(device, capacity, vk::BufferUsageFlags::TRANSFER_SRC)?,
            head: 0,
            in_flight: VecDeque::new(),
            retired: Vec::new(),
        })
    }

    pub fn capacity(&self) -> u64 {
        self.buffer.size()
    }

    /// `len` bytes aligned to `align`, freed when `point` passes. Waits for the oldest
    /// region's point (flushing pending work first) only when the ring is full; grows the
    /// ring when `len` is larger than it.
    pub fn allocate(
        &mut self,
        device: &Device,
        len: u64,
        align: u64,
        timeline: &mut dyn Timeline,
    ) -> Result<StagingSlice<'_>> {
        self.reclaim(timeline.completed()?);
        if len > self.capacity() {
            self.grow(device, len, timeline.pending_point())?;
        }
        let start = loop {
            if let Some(start) = self.find_space(len, align) {
                break start;
            }
            self.wait_for_oldest(timeline)?;
        };
        let end = start + len;
        self.head = end;
        self.in_flight
            .push_back((start, end, timeline.pending_point()));
        let buffer = self.buffer.raw();
        Ok(StagingSlice {
            buffer,
            offset: start,
            bytes: &mut self.buffer.bytes_mut()[start as usize..end as usize],
        })
    }

    /// Frees every region whose point has passed.
    pub fn reclaim(&mut self, completed: u64) {
        while self
            .in_flight
            .front()
            .is_some_and(|&(_, _, point)| point <= completed)
        {
            self.in_flight.pop_front();
        }
        if self.in_flight.is_empty() {
            self.head = 0;
        }
        self.retired.retain(|&(_, point)| point > completed);
    }

    /// Where `len` bytes fit between the head and the oldest in-flight region, wrapping to
    /// the start when the end has no room.
    fn find_space(&self, len: u64, align: u64) -> Option<u64> {
        let capacity = self.capacity();
        let aligned = self.head.div_ceil(align) * align;
        let Some(&(tail, _, _)) = self.in_flight.front() else {
            return (len <= capacity).then_some(0);
        };
        if aligned >= tail {
            // Free space runs from the head to the end, then from 0 to the tail.
            if aligned + len <= capacity {
                return Some(aligned);
            }
            return (len <= tail).then_some(0);
        }
        (aligned + len <= tail).then_some(aligned)
    }

    fn wait_for_oldest(&mut self, timeline: &mut dyn Timeline) -> Result<()> {
        let Some(&(_, _, point)) = self.in_flight.front() else {
            return Ok(());
        };
        if point >= timeline.pending_point() {
            timeline.flush()?;
        }
        timeline.wait(point)?;
        self.reclaim(point);
        Ok(())
    }

    /// Replaces the buffer with one of at least `len` bytes; the old one is kept until
    /// everything that reads it has completed.
    fn grow(&mut self, device: &Device, len: u64, pending: u64) -> Result<()> {
        let capacity = len.next_power_of_two();
        let old = std::mem::replace(
            &mut self.buffer,
            Buffer::new(device, capacity, vk::BufferUsageFlags::TRANSFER_SRC)?,
        );
        let last = self
            .in_flight
            .back()
            .map_or(0, |&(_, _, point)| point)
            .max(pending);
        self.retired.push((old, last));
        self.in_flight.clear();
        self.head = 0;
        tracing::debug!("staging ring grown to {capacity} bytes");
        Ok(())
    }
}
