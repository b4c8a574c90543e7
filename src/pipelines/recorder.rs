//! One-shot command recording: uploads, clears, render passes with typed draws, and
//! readbacks, submitted together and waited on. The renderer's frames (issue 4) build on
//! this; here it is what tests and the demo use to drive generated pipelines.

use std::marker::PhantomData;
use std::time::Duration;

use ash::vk;

use crate::core::barrier::color_range;
use crate::core::device::Device;
use crate::core::submit::Submission;
use crate::core::sync::Fence;
use crate::error::{Error, Result, VkResultExt};
use crate::pipelines::render_pass::RenderPass;
use crate::pipelines::RenderPassKind;
use crate::resources::buffer::Buffer;
use crate::resources::texture::{buffer_image_copy, Texture};

/// Bytes per texel of the formats the recorder can upload and read back.
pub fn texel_size(format: vk::Format) -> Option<u32> {
    Some(match format {
        vk::Format::R8_UNORM => 1,
        vk::Format::R8G8_UNORM
        | vk::Format::R5G6B5_UNORM_PACK16
        | vk::Format::B5G6R5_UNORM_PACK16 => 2,
        vk::Format::R8G8B8A8_UNORM
        | vk::Format::R8G8B8A8_SRGB
        | vk::Format::B8G8R8A8_UNORM
        | vk::Format::B8G8R8A8_SRGB
        | vk::Format::A2R10G10B10_UNORM_PACK32
        | vk::Format::A2B10G10R10_UNORM_PACK32 => 4,
        vk::Format::R16G16B16A16_SFLOAT => 8,
        _ => return None,
    })
}

/// Where a readback's bytes will be once the recorder has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadbackId(usize);

/// Records commands into one command buffer, then submits them and waits.
pub struct Recorder {
    device: Device,
    pool: vk::CommandPool,
    cmd: vk::CommandBuffer,
    /// Buffers the recorded commands read or write, kept until the GPU is done.
    staging: Vec<Buffer>,
    readbacks: Vec<Buffer>,
    descriptor_pools: Vec<vk::DescriptorPool>,
    /// The pool sets are allocated from now.
    pool_at: usize,
    /// Sets written since the last reset, by layout and contents.
    written_sets: std::collections::HashMap<Vec<u64>, vk::DescriptorSet, SetKeyHasher>,
    /// Space draws describe their sets in, kept between draws so that they allocate none.
    writer_storage: crate::pipelines::desc::WriterStorage,
    key_storage: Vec<u64>,
    /// Per-draw vertex and instance data: chunks filled in order, kept across resets.
    arenas: Vec<Buffer>,
    /// The chunk being filled and how much of it is used.
    arena_at: (usize, u64),
    scratch: Scratch,
}

/// Vectors of 32-bit words for a recording's scratch work; their contents mean nothing
/// between uses, only their capacity is kept.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) words: [Vec<u32>; 3],
}

/// The finished work's readbacks.
pub struct Finished {
    readbacks: Vec<Buffer>,
}

impl Finished {
    /// The bytes of a readback: rows of `width * texel_size` bytes, tightly packed.
    pub fn bytes(&self, id: ReadbackId) -> &[u8] {
        self.readbacks[id.0].bytes()
    }
}

const ARENA_CHUNK: u64 = 256 * 1024;

impl Recorder {
    pub fn new(device: &Device) -> Result<Recorder> {
        let raw = device.raw();
        let info = vk::CommandPoolCreateInfo::default()
            .queue_family_index(device.queue_family())
            .flags(vk::CommandPoolCreateFlags::TRANSIENT);
        // SAFETY: a valid create info for this device.
        let pool = unsafe { raw.create_command_pool(&info, None) }.or_vk("vkCreateCommandPool")?;
        device.count_created();
        let mut recorder = Recorder {
            device: device.clone(),
            pool,
            cmd: vk::CommandBuffer::null(),
            staging: Vec::new(),
            readbacks: Vec::new(),
            descriptor_pools: Vec::new(),
            pool_at: 0,
            written_sets: std::collections::HashMap::default(),
            writer_storage: Default::default(),
            key_storage: Vec::new(),
            arenas: Vec::new(),
            arena_at: (0, 0),
            scratch: Scratch::default(),
        };
        let allocate = vk::CommandBufferAllocateInfo::default()
            .command_pool(pool)
            .level(vk::CommandBufferLevel::PRIMARY)
            .command_buffer_count(1);
        // SAFETY: the pool belongs to this device; `recorder` frees it on error.
        recorder.cmd = unsafe { raw.allocate_command_buffers(&allocate) }
            .or_vk("vkAllocateCommandBuffers")?[0];
        recorder.begin()?;
        Ok(recorder)
    }

    fn begin(&mut self) -> Result<()> {
        let begin = vk::CommandBufferBeginInfo::default()
            .flags(vk::CommandBufferUsageFlags::ONE_TIME_SUBMIT);
        // SAFETY: the command buffer is in the initial state (fresh or reset).
        unsafe { self.device.raw().begin_command_buffer(self.cmd, &begin) }
            .or_vk("vkBeginCommandBuffer")
    }

    /// Makes a recorder whose submitted work has completed record again, keeping its
    /// command pool, descriptor pools and vertex arena: nothing is created.
    pub(crate) fn reset(&mut self) -> Result<()> {
        let raw = self.device.raw();
        // SAFETY: the caller waited for the submitted work, so nothing allocated from the
        // pools is in use.
        unsafe {
            raw.reset_command_pool(self.pool, vk::CommandPoolResetFlags::empty())
                .or_vk("vkResetCommandPool")?;
            for &pool in &self.descriptor_pools {
                raw.reset_descriptor_pool(pool, vk::DescriptorPoolResetFlags::empty())
                    .or_vk("vkResetDescriptorPool")?;
            }
        }
        self.arena_at = (0, 0);
        self.pool_at = 0;
        self.written_sets.clear();
        self.staging.clear();
        self.readbacks.clear();
        self.begin()
    }

    /// Ends recording and submits, signalling `timeline` at `point`, without waiting.
    pub(crate) fn submit(
        &mut self,
        before: Option<vk::CommandBuffer>,
        waits: &[&crate::core::sync::Semaphore],
        timeline: &crate::core::sync::TimelineSemaphore,
        point: u64,
        signals: &[&crate::core::sync::Semaphore],
    ) -> Result<()> {
        self.device.require_alive()?;
        self.end()?;
        let mut buffers = Vec::with_capacity(2);
        buffers.extend(before);
        buffers.push(self.cmd);
        let mut signal_points = vec![crate::core::submit::SemaphorePoint::Timeline(
            timeline, point,
        )];
        signal_points.extend(
            signals
                .iter()
                .map(|&s| crate::core::submit::SemaphorePoint::Binary(s)),
        );
        let waits = crate::core::submit::binary_waits(waits);
        let result = self.device.graphics_queue().submit(&Submission {
            command_buffers: &buffers,
            waits: &waits,
            signals: &signal_points,
            ..Default::default()
        });
        self.device.note(result)
    }

    /// Ends recording (for a recorder whose commands another submission carries).
    pub(crate) fn end(&mut self) -> Result<()> {
        // SAFETY: the command buffer is recording and no render pass is open (passes end
        // when their recorder drops, which the borrow checker forces before this).
        unsafe { self.device.raw().end_command_buffer(self.cmd) }.or_vk("vkEndCommandBuffer")
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The raw command buffer, for callers recording their own commands in between.
    pub fn command_buffer(&self) -> vk::CommandBuffer {
        self.cmd
    }

    /// Copies tightly packed texels into the whole texture and leaves it ready to sample.
    pub fn upload(&mut self, texture: &Texture, data: &[u8]) -> Result<()> {
        let expected = whole_image_bytes(texture, "upload")?;
        if data.len() as u64 != expected {
            return Err(Error::InvalidArgument(format!(
                "a {}x{} {:?} texture takes {expected} bytes of tightly packed texels, got {}",
                texture.width(),
                texture.height(),
                texture.format(),
                data.len()
            )));
        }
        texture.require_usage(vk::ImageUsageFlags::TRANSFER_DST, "an upload target")?;
        let staging = Buffer::with_data(&self.device, data, vk::BufferUsageFlags::TRANSFER_SRC)?;
        self.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        let region = whole_image_copy(texture);
        // SAFETY: the buffer holds the whole image's texels and both are kept alive until
        // the work completes (the buffer here, the texture by the caller's borrow contract).
        unsafe {
            self.device.raw().cmd_copy_buffer_to_image(
                self.cmd,
                staging.raw(),
                texture.image(),
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &[region],
            )
        };
        self.staging.push(staging);
        if texture.usage().contains(vk::ImageUsageFlags::SAMPLED) {
            self.transition(texture, vk::ImageLayout::SHADER_READ_ONLY_OPTIMAL);
        }
        Ok(())
    }

    /// Fills the whole texture with `color` (in the format's own encoding).
    pub fn clear(&mut self, texture: &Texture, color: [f32; 4]) -> Result<()> {
        texture.require_usage(vk::ImageUsageFlags::TRANSFER_DST, "a clear target")?;
        self.transition(texture, vk::ImageLayout::TRANSFER_DST_OPTIMAL);
        // SAFETY: the image is in TRANSFER_DST_OPTIMAL after the barrier above.
        unsafe {
            self.device.raw().cmd_clear_color_image(
                self.cmd,
                texture.image(),
                vk::ImageLayout::TRANSFER_DST_OPTIMAL,
                &vk::ClearColorValue { float32: color },
                &[color_range()],
            )
        };
        Ok(())
    }

    /// Copies the whole texture into a host buffer, readable from [`Finished::bytes`].
    pub fn read_back(&mut self, texture: &Texture) -> Result<ReadbackId> {
        let bytes = whole_image_bytes(texture, "read back")?;
        texture.require_usage(vk::ImageUsageFlags::TRANSFER_SRC, "a readback source")?;
        let buffer = Buffer::new(&self.device, bytes, vk::BufferUsageFlags::TRANSFER_DST)?;
        self.transition(texture, vk::ImageLayout::TRANSFER_SRC_OPTIMAL);
        // SAFETY: the buffer is large enough for the whole image and kept until completion.
        unsafe {
            self.device.raw().cmd_copy_image_to_buffer(
                self.cmd,
                texture.image(),
                vk::ImageLayout::TRANSFER_SRC_OPTIMAL,
                buffer.raw(),
                &[whole_image_copy(texture)],
            )
        };
        self.readbacks.push(buffer);
        Ok(ReadbackId(self.readbacks.len() - 1))
    }

    /// Begins render pass `pass` on `target`; draws go through the returned recorder, and
    /// the pass ends when it is dropped.
    pub fn begin_pass<'r, P: RenderPassKind>(
        &'r mut self,
        pass: &RenderPass<P>,
        target: &'r Texture,
        clear: [f32; 4],
    ) -> Result<PassRecorder<'r, P>> {
        if target.format() != pass.format() {
            return Err(Error::InvalidArgument(format!(
                "render pass for {:?} cannot draw into a {:?} target",
                pass.format(),
                target.format()
            )));
        }
        target.require_usage(vk::ImageUsageFlags::COLOR_ATTACHMENT, "a render target")?;
        let framebuffer = target.framebuffer(pass.raw())?;
        self.begin_pass_with(pass, target, framebuffer, clear)
    }

    /// Begins `pass` on `target` through a framebuffer the caller keeps (the renderer's
    /// cache); the target's format and usage were checked by the caller.
    pub(crate) fn begin_pass_with<'r, P: RenderPassKind>(
        &'r mut self,
        pass: &RenderPass<P>,
        target: &'r Texture,
        framebuffer: vk::Framebuffer,
        clear: [f32; 4],
    ) -> Result<PassRecorder<'r, P>> {
        self.transition(target, vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL);
        let extent = vk::Extent2D {
            width: target.width(),
            height: target.height(),
        };
        let clear_values = [vk::ClearValue {
            color: vk::ClearColorValue { float32: clear },
        }];
        let begin = vk::RenderPassBeginInfo::default()
            .render_pass(pass.raw())
            .framebuffer(framebuffer)
            .render_area(extent.into())
            .clear_values(&clear_values);
        let raw = self.device.raw();
        // SAFETY: the framebuffer matches the render pass and the target is in the layout
        // the pass expects; viewport and scissor are the pipelines' dynamic state.
        unsafe {
            raw.cmd_begin_render_pass(self.cmd, &begin, vk::SubpassContents::INLINE);
            raw.cmd_set_viewport(
                self.cmd,
                0,
                &[vk::Viewport {
                    x: 0.0,
                    y: 0.0,
                    width: extent.width as f32,
                    height: extent.height as f32,
                    min_depth: 0.0,
                    max_depth: 1.0,
                }],
            );
            raw.cmd_set_scissor(self.cmd, 0, &[extent.into()]);
        }
        Ok(PassRecorder {
            recorder: self,
            target,
            format: pass.format(),
            extent,
            bound: BoundState::default(),
            _kind: PhantomData,
        })
    }

    /// Submits everything recorded and waits for it.
    pub fn finish(mut self) -> Result<Finished> {
        self.end()?;
        let fence = Fence::new(&self.device, false)?;
        self.device.graphics_queue().submit(&Submission {
            command_buffers: &[self.cmd],
            fence: Some(&fence),
            ..Default::default()
        })?;
        fence.wait(Duration::MAX)?;
        Ok(Finished {
            readbacks: std::mem::take(&mut self.readbacks),
        })
    }

    /// Moves `texture` to `layout` with a full barrier. Coarse but always correct; the
    /// renderer's frames use precise stages.
    pub(crate) fn transition(&mut self, texture: &Texture, layout: vk::ImageLayout) {
        let barrier = vk::ImageMemoryBarrier::default()
            .old_layout(texture.layout())
            .new_layout(layout)
            .src_access_mask(vk::AccessFlags::MEMORY_WRITE)
            .dst_access_mask(vk::AccessFlags::MEMORY_READ | vk::AccessFlags::MEMORY_WRITE)
            .src_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
            .dst_queue_family_index(vk::QUEUE_FAMILY_IGNORED)
            .image(texture.image())
            .subresource_range(color_range());
        // SAFETY: recording outside a render pass (passes borrow the recorder mutably).
        unsafe {
            self.device.raw().cmd_pipeline_barrier(
                self.cmd,
                vk::PipelineStageFlags::ALL_COMMANDS,
                vk::PipelineStageFlags::ALL_COMMANDS,
                vk::DependencyFlags::empty(),
                &[],
                &[],
                &[barrier],
            )
        };
        texture.record_layout(layout);
    }

    /// Space for `data` in a host-visible vertex buffer, at a multiple of `align`:
    /// (buffer, offset). Chunks are kept across resets, so a steady stream of frames
    /// allocates nothing.
    pub(crate) fn vertex_data(&mut self, data: &[u8], align: u64) -> Result<(vk::Buffer, u64)> {
        self.arena_data(&[data], align)
    }

    /// Space for `parts`, one after the other in one buffer, at a multiple of `align`:
    /// (buffer, offset). The arena's buffers are vertex and storage buffers both, so a
    /// draw's instances and its shaders' data come from the same chunks.
    pub(crate) fn arena_data(&mut self, parts: &[&[u8]], align: u64) -> Result<(vk::Buffer, u64)> {
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let (mut index, used) = self.arena_at;
        let mut start = used.div_ceil(align) * align;
        while self
            .arenas
            .get(index)
            .is_some_and(|b| start + len > b.size())
        {
            index += 1;
            start = 0;
        }
        if index == self.arenas.len() {
            let buffer = Buffer::new(
                &self.device,
                len.max(ARENA_CHUNK),
                vk::BufferUsageFlags::VERTEX_BUFFER | vk::BufferUsageFlags::STORAGE_BUFFER,
            )?;
            self.arenas.push(buffer);
        }
        let buffer = &mut self.arenas[index];
        let mut at = start as usize;
        for part in parts {
            buffer.bytes_mut()[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        self.arena_at = (index, start + len);
        Ok((buffer.raw(), start))
    }

    /// Word vectors a frame's recording borrows for scratch work (a tiled draw's lists),
    /// kept here between recordings so that steady frames allocate nothing.
    pub(crate) fn take_scratch(&mut self) -> Scratch {
        std::mem::take(&mut self.scratch)
    }

    pub(crate) fn give_scratch(&mut self, scratch: Scratch) {
        self.scratch = scratch;
    }

    /// The set already written with these contents in this recording.
    pub(crate) fn take_writer_storage(&mut self) -> crate::pipelines::desc::WriterStorage {
        std::mem::take(&mut self.writer_storage)
    }

    pub(crate) fn give_writer_storage(&mut self, storage: crate::pipelines::desc::WriterStorage) {
        self.writer_storage = storage;
    }

    pub(crate) fn take_key_storage(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.key_storage)
    }

    pub(crate) fn give_key_storage(&mut self, key: Vec<u64>) {
        self.key_storage = key;
    }

    pub(crate) fn cached_set(&self, key: &[u64]) -> Option<vk::DescriptorSet> {
        self.written_sets.get(key).copied()
    }

    pub(crate) fn cache_set(&mut self, key: Vec<u64>, set: vk::DescriptorSet) {
        self.written_sets.insert(key, set);
    }

    /// A descriptor set of `layout`, from the recorder's pools; `variable` is the count of
    /// its runtime-sized array, if it has one.
    pub(crate) fn descriptor_set(
        &mut self,
        layout: vk::DescriptorSetLayout,
        variable: Option<u32>,
    ) -> Result<vk::DescriptorSet> {
        // Pools are kept across resets: fill them in order, create one only past the last.
        while let Some(&pool) = self.descriptor_pools.get(self.pool_at) {
            match self.allocate_set(pool, layout, variable) {
                Err(vk::Result::ERROR_OUT_OF_POOL_MEMORY | vk::Result::ERROR_FRAGMENTED_POOL) => {
                    self.pool_at += 1;
                }
                other => return other.or_vk("vkAllocateDescriptorSets"),
            }
        }
        let pool = self.new_descriptor_pool()?;
        self.allocate_set(pool, layout, variable)
            .or_vk("vkAllocateDescriptorSets")
    }

    fn allocate_set(
        &self,
        pool: vk::DescriptorPool,
        layout: vk::DescriptorSetLayout,
        variable: Option<u32>,
    ) -> std::result::Result<vk::DescriptorSet, vk::Result> {
        let layouts = [layout];
        let counts = [variable.unwrap_or(0)];
        let mut variable_info = vk::DescriptorSetVariableDescriptorCountAllocateInfo::default()
            .descriptor_counts(&counts);
        let mut info = vk::DescriptorSetAllocateInfo::default()
            .descriptor_pool(pool)
            .set_layouts(&layouts);
        if variable.is_some() {
            info = info.push_next(&mut variable_info);
        }
        // SAFETY: pool and layout belong to this device; a variable count is given only for
        // layouts whose last binding is variable-sized.
        unsafe { self.device.raw().allocate_descriptor_sets(&info) }.map(|sets| sets[0])
    }

    fn new_descriptor_pool(&mut self) -> Result<vk::DescriptorPool> {
        let kinds = [
            vk::DescriptorType::COMBINED_IMAGE_SAMPLER,
            vk::DescriptorType::SAMPLED_IMAGE,
            vk::DescriptorType::SAMPLER,
            vk::DescriptorType::STORAGE_IMAGE,
            vk::DescriptorType::UNIFORM_BUFFER,
            vk::DescriptorType::STORAGE_BUFFER,
        ];
        let sizes: Vec<vk::DescriptorPoolSize> = kinds
            .iter()
            .map(|&ty| vk::DescriptorPoolSize {
                ty,
                // Room for a full runtime-sized array besides ordinary sets.
                descriptor_count: (256 + crate::pipelines::build::MAX_RUNTIME_DESCRIPTORS)
                    * descriptors_per_binding(ty),
            })
            .collect();
        let info = vk::DescriptorPoolCreateInfo::default()
            .max_sets(256)
            .pool_sizes(&sizes);
        // SAFETY: a valid create info for this device.
        let pool = unsafe { self.device.raw().create_descriptor_pool(&info, None) }
            .or_vk("vkCreateDescriptorPool")?;
        self.device.count_created();
        self.descriptor_pools.push(pool);
        Ok(pool)
    }
}

/// Pool descriptors one binding of kind `ty` may consume: a combined image sampler with a
/// YCbCr conversion takes `combinedImageSamplerDescriptorCount` of them, at most 3 (one per
/// plane), so those pools are sized for the worst case.
fn descriptors_per_binding(ty: vk::DescriptorType) -> u32 {
    match ty {
        vk::DescriptorType::COMBINED_IMAGE_SAMPLER => 3,
        _ => 1,
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let raw = self.device.raw();
        // SAFETY: `finish` waited for the work, or nothing was submitted; the pool frees its
        // command buffer.
        unsafe {
            for &pool in &self.descriptor_pools {
                raw.destroy_descriptor_pool(pool, None);
            }
            raw.destroy_command_pool(self.pool, None);
        }
    }
}

/// Bytes of the whole texture, tightly packed; an error for formats the recorder cannot
/// copy (`what` says which operation, for the message).
fn whole_image_bytes(texture: &Texture, what: &str) -> Result<u64> {
    let size = texel_size(texture.format()).ok_or_else(|| {
        Error::InvalidArgument(format!("cannot {what} {:?} texels", texture.format()))
    })?;
    Ok(u64::from(texture.width()) * u64::from(texture.height()) * u64::from(size))
}

fn whole_image_copy(texture: &Texture) -> vk::BufferImageCopy {
    buffer_image_copy(0, 0, (0, 0, texture.width(), texture.height()))
}

/// Recording inside a render pass of kind `P`: only pipelines built for `P` can draw here
/// (see [`PassRecorder::draw`] in `pipelines`).
pub struct PassRecorder<'r, P: RenderPassKind> {
    pub(crate) recorder: &'r mut Recorder,
    target: &'r Texture,
    /// The render pass's attachment format (a target's sRGB view may differ from it):
    /// only pipelines built for it may draw.
    format: vk::Format,
    extent: vk::Extent2D,
    /// What the last draw left bound.
    pub(crate) bound: BoundState,
    _kind: PhantomData<fn() -> P>,
}

impl<P: RenderPassKind> PassRecorder<'_, P> {
    /// `parts`, one after the other, in a storage buffer this recording holds until its
    /// work is done: the buffer to bind (up to the end of `parts`) and the byte offset (a
    /// multiple of 16) where `parts` start in it.
    pub(crate) fn storage_data(
        &mut self,
        parts: &[&[u8]],
    ) -> Result<(crate::pipelines::StorageBuffer<'static>, u64)> {
        let (raw, offset) = self.recorder.arena_data(parts, 16)?;
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        Ok((
            crate::pipelines::StorageBuffer::recorded(raw, offset + len),
            offset,
        ))
    }

    /// The size of the pass's target, as the quad shaders take it.
    pub(crate) fn target_size(&self) -> [f32; 2] {
        [self.extent.width as f32, self.extent.height as f32]
    }

    /// The format of the pass's target.
    pub(crate) fn target_format(&self) -> ash::vk::Format {
        self.target.format()
    }

    /// How the pass's target encodes colour (its colour description).
    pub(crate) fn target_description(&self) -> crate::color::ColorDescription {
        self.target.color_description()
    }

    /// The format the pass renders in, which a pipeline drawn in it must be built for.
    pub fn format(&self) -> ash::vk::Format {
        self.format
    }
}

/// The pipeline state bound in the command buffer, to skip binding it again.
#[derive(Default)]
pub(crate) struct BoundState {
    pub pipeline: vk::Pipeline,
    pub layout: vk::PipelineLayout,
    pub sets: Vec<vk::DescriptorSet>,
    pub push: Vec<u8>,
    pub instance_buffer: vk::Buffer,
}

impl<P: RenderPassKind> PassRecorder<'_, P> {
    /// `vkCmdClearAttachments` inside the pass.
    pub(crate) fn clear_attachments(
        &mut self,
        attachments: &[vk::ClearAttachment],
        rects: &[vk::ClearRect],
    ) {
        if rects.is_empty() {
            return;
        }
        // SAFETY: inside the pass; the caller clipped the rects to the target.
        unsafe {
            self.recorder
                .device
                .raw()
                .cmd_clear_attachments(self.recorder.cmd, attachments, rects)
        };
    }

    /// Limits the following draws to `scissor` (the pipelines' dynamic state).
    pub(crate) fn set_scissor(&mut self, scissor: vk::Rect2D) {
        // SAFETY: recording inside the render pass; scissor is dynamic in every pipeline.
        unsafe {
            self.recorder
                .device
                .raw()
                .cmd_set_scissor(self.recorder.cmd, 0, &[scissor])
        };
    }

    /// The target's size in pixels.
    pub fn extent(&self) -> vk::Extent2D {
        self.extent
    }
}

impl<P: RenderPassKind> Drop for PassRecorder<'_, P> {
    fn drop(&mut self) {
        // SAFETY: the pass was begun by `begin_pass` and is ended exactly once here.
        unsafe {
            self.recorder
                .device
                .raw()
                .cmd_end_render_pass(self.recorder.cmd)
        };
        self.target
            .record_layout(vk::ImageLayout::COLOR_ATTACHMENT_OPTIMAL);
    }
}

/// Hashes set keys (handles and small numbers, not attacker-chosen) by multiply-rotate:
/// a lookup per draw, where SipHash's cost shows.
type SetKeyHasher = std::hash::BuildHasherDefault<KeyHasher>;

#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
}
