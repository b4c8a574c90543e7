//! GPU time per frame from timestamp queries: one pair of queries per timeline point,
//! in a fixed pool reused round-robin, read back without waiting once the point passed.

use std::time::Duration;

use ash::vk;

use crate::core::device::Device;
use crate::error::{Result, VkResultExt};

/// Points whose times are kept; older ones are overwritten.
const SLOTS: u32 = 64;

pub(crate) struct GpuTimer {
    device: Device,
    pool: vk::QueryPool,
    period_ns: f64,
    /// Timestamps keep only this many low bits.
    mask: u64,
}

impl GpuTimer {
    /// A timer, or `None` where the graphics queue has no timestamps.
    pub fn new(device: &Device) -> Result<Option<GpuTimer>> {
        let info = device.physical_device().info();
        let family = &info.queue_families[device.queue_family() as usize];
        let bits = family.timestamp_valid_bits;
        if bits == 0 || info.limits.timestamp_period_ns <= 0.0 {
            return Ok(None);
        }
        let create = vk::QueryPoolCreateInfo::default()
            .query_type(vk::QueryType::TIMESTAMP)
            .query_count(SLOTS * 2);
        // SAFETY: a valid create info.
        let pool =
            unsafe { device.raw().create_query_pool(&create, None) }.or_vk("vkCreateQueryPool")?;
        device.count_created();
        // Queries must be reset before first use; resetting on the host would need
        // hostQueryReset, so every pair is reset in the command buffer that writes it.
        Ok(Some(GpuTimer {
            device: device.clone(),
            pool,
            period_ns: f64::from(info.limits.timestamp_period_ns),
            mask: if bits >= 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            },
        }))
    }

    fn first_query(point: u64) -> u32 {
        (point % u64::from(SLOTS)) as u32 * 2
    }

    /// Records the reset and the start timestamp of `point`'s pair.
    pub fn record_start(&self, cmd: vk::CommandBuffer, point: u64) {
        let first = Self::first_query(point);
        // SAFETY: outside a render pass at the start of the command buffer; the pair
        // belongs to the pool.
        unsafe {
            self.device
                .raw()
                .cmd_reset_query_pool(cmd, self.pool, first, 2);
            self.device.raw().cmd_write_timestamp(
                cmd,
                vk::PipelineStageFlags::TOP_OF_PIPE,
                self.pool,
                first,
            );
        }
    }

    /// Records the end timestamp of `point`'s pair.
    pub fn record_end(&self, cmd: vk::CommandBuffer, point: u64) {
        // SAFETY: outside a render pass; the pair was reset earlier in this command buffer.
        unsafe {
            self.device.raw().cmd_write_timestamp(
                cmd,
                vk::PipelineStageFlags::BOTTOM_OF_PIPE,
                self.pool,
                Self::first_query(point) + 1,
            )
        };
    }

    /// The GPU time between the pair's timestamps, if both are available (the point has
    /// passed and its slot was not reused since).
    pub fn elapsed(&self, point: u64) -> Result<Option<Duration>> {
        let mut values = [[0u64; 2]; 2];
        // SAFETY: the pair exists; WITH_AVAILABILITY reports unwritten queries instead of
        // waiting for them.
        let result = unsafe {
            self.device.raw().get_query_pool_results(
                self.pool,
                Self::first_query(point),
                &mut values,
                vk::QueryResultFlags::TYPE_64 | vk::QueryResultFlags::WITH_AVAILABILITY,
            )
        };
        match result {
            Ok(()) | Err(vk::Result::NOT_READY) => {}
            Err(e) => return Err(e).or_vk("vkGetQueryPoolResults"),
        }
        let [[start, start_ready], [end, end_ready]] = values;
        if start_ready == 0 || end_ready == 0 {
            return Ok(None);
        }
        let ticks = end.wrapping_sub(start) & self.mask;
        Ok(Some(Duration::from_nanos(
            (ticks as f64 * self.period_ns) as u64,
        )))
    }
}

impl Drop for GpuTimer {
    fn drop(&mut self) {
        // SAFETY: the renderer drops the timer after waiting for its work.
        unsafe { self.device.raw().destroy_query_pool(self.pool, None) };
    }
}
