//! Recording draws: [`PassRecorder::draw`] and its relatives, whose signatures are what
//! make a misused pipeline fail to compile, and the descriptor sets they write.

use ash::vk;

use super::desc::*;
use super::raw::{Pipeline, RawPipeline};
use crate::core::device::Device;
use crate::error::{Error, Result};
use crate::geometry::Rect;
use crate::pipelines::recorder::{BoundState, PassRecorder};

impl<P: RenderPassKind> PassRecorder<'_, P> {
    /// Draws `instances` with a pipeline whose inputs are all per instance (or none):
    /// `vertices` (from the manifest) vertices each. The types of `push`, `sets` and
    /// `instances`, and the render pass, are the pipeline's own: anything else does not
    /// compile.
    pub fn draw<'s, Pl>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: Pl::Sets<'s>,
        instances: &[Pl::Instance],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = P, Vertex = ()>,
    {
        let vertices = pipeline.raw().desc.vertices;
        self.record(pipeline, push, &sets, &[], vertices, instances)
    }

    /// [`PassRecorder::draw`] clipped to `rects` (pixels of the pass's target): drawn once
    /// per rectangle under a scissor of it, so nothing outside them changes whatever the
    /// pipeline's shaders write. Empty rectangles and parts outside the target are
    /// skipped; the scissor is the whole target again afterwards.
    pub fn draw_clipped<'s, Pl>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: Pl::Sets<'s>,
        instances: &[Pl::Instance],
        rects: &[Rect],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = P, Vertex = ()>,
    {
        let vertices = pipeline.raw().desc.vertices;
        let extent = self.extent();
        let whole = Rect::new(0, 0, extent.width as i32, extent.height as i32);
        let mut result = Ok(());
        for clipped in rects.iter().filter_map(|r| r.intersect(&whole)) {
            self.set_scissor(vk::Rect2D {
                offset: vk::Offset2D {
                    x: clipped.x,
                    y: clipped.y,
                },
                extent: vk::Extent2D {
                    width: clipped.w as u32,
                    height: clipped.h as u32,
                },
            });
            result = self.record(pipeline, push, &sets, &[], vertices, instances);
            if result.is_err() {
                break;
            }
        }
        self.set_scissor(extent.into());
        result
    }

    /// Draws with per-vertex inputs too: `vertices.len()` vertices per instance.
    pub fn draw_vertices<'s, Pl>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: Pl::Sets<'s>,
        vertices: &[Pl::Vertex],
        instances: &[Pl::Instance],
    ) -> Result<()>
    where
        Pl: Pipeline<Pass = P>,
    {
        let count = u32::try_from(vertices.len())
            .map_err(|_| Error::InvalidArgument("too many vertices".into()))?;
        self.record(
            pipeline,
            push,
            &sets,
            bytemuck::cast_slice(vertices),
            count,
            instances,
        )
    }

    fn record<Pl: Pipeline<Pass = P>>(
        &mut self,
        pipeline: &Pl,
        push: &Pl::Push,
        sets: &Pl::Sets<'_>,
        vertex_bytes: &[u8],
        vertex_count: u32,
        instances: &[Pl::Instance],
    ) -> Result<()> {
        let raw = pipeline.raw();
        if raw.format != self.format() {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}` was built for a {:?} render pass; this pass renders in {:?} (build it for the frame's format)",
                raw.desc.name,
                raw.format,
                self.format()
            )));
        }
        let variant = pipeline.variant_index();
        let Some(&variant_handle) = raw.variants.get(variant) else {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}` has no variant {variant}",
                raw.desc.name
            )));
        };
        let instance_count = u32::try_from(instances.len())
            .map_err(|_| Error::InvalidArgument("too many instances".into()))?;
        if instance_count == 0 || vertex_count == 0 {
            return Ok(());
        }
        // Everything that can fail happens before the first command is recorded.
        let descriptor_sets = self.descriptor_sets::<Pl>(raw, sets)?;
        let vertex_buffer = match vertex_bytes.is_empty() {
            true => None,
            false => Some(self.recorder.vertex_data(vertex_bytes, 16)?),
        };
        let instance_buffer = self.instance_data(raw, bytemuck::cast_slice(instances))?;

        let (device, cmd) = (self.recorder.device().raw(), self.recorder.command_buffer());
        // SAFETY: recording inside the render pass the pipeline was built for (the type
        // system guarantees the kind; `begin_pass` checked the format), and `self.bound` is
        // what the pass's earlier draws left bound.
        let mut commands = unsafe { DrawCommands::new(device, cmd, raw, &mut self.bound) };
        commands.bind_pipeline(variant_handle);
        commands.bind_sets(descriptor_sets.as_slice());
        commands.push_constants(bytemuck::bytes_of(push));
        let first_instance = commands.bind_buffers(vertex_buffer, instance_buffer);
        commands.draw(vertex_count, instance_count, first_instance);
        Ok(())
    }

    /// `instances` in the vertex arena: the buffer and the first instance of the draw in
    /// it, or `None` for a pipeline without per-instance inputs. Instance data lies at a
    /// multiple of its stride, so one binding per arena chunk serves every draw and each
    /// draw starts at its own first instance.
    fn instance_data(
        &mut self,
        raw: &RawPipeline,
        instances: &[u8],
    ) -> Result<Option<(vk::Buffer, u32)>> {
        if instances.is_empty() {
            return Ok(None);
        }
        let stride = u64::from(raw.desc.instance_stride.max(1));
        let (buffer, offset) = self.recorder.vertex_data(instances, stride)?;
        let first_instance = u32::try_from(offset / stride)
            .map_err(|_| Error::InvalidArgument("instance data too large".into()))?;
        Ok(Some((buffer, first_instance)))
    }

    fn descriptor_sets<Pl: Pipeline<Pass = P>>(
        &mut self,
        raw: &RawPipeline,
        sets: &Pl::Sets<'_>,
    ) -> Result<DrawSets> {
        let mut written = DrawSets::default();
        for (index, slot) in raw.desc.sets.iter().enumerate() {
            let mut writer = SetWriter::reusing(self.recorder.take_writer_storage());
            sets.write(index, &mut writer);
            let set = match writer.error.take() {
                Some(error) => Err(error),
                None => self.written_set(raw, slot, &writer),
            };
            self.recorder.give_writer_storage(writer.into_storage());
            written.push(set?)?;
        }
        Ok(written)
    }

    /// The set `writer` describes for `slot`: written once per recording for the same
    /// resources in the same layout (a frame drawing one texture many times writes its
    /// set once). Looked up without allocating: on frames of many small draws this is
    /// most of the CPU cost after the driver's.
    fn written_set(
        &mut self,
        raw: &RawPipeline,
        slot: &SetSlot,
        writer: &SetWriter<'_>,
    ) -> Result<vk::DescriptorSet> {
        let layout = raw.set_layouts[slot.set as usize];
        let mut key = self.recorder.take_key_storage();
        set_key(layout, writer, &mut key);
        let set = match self.recorder.cached_set(&key) {
            Some(set) => Ok(set),
            None => self.write_new_set(layout, slot, writer, &key),
        };
        self.recorder.give_key_storage(key);
        set
    }

    fn write_new_set(
        &mut self,
        layout: vk::DescriptorSetLayout,
        slot: &SetSlot,
        writer: &SetWriter<'_>,
        key: &[u64],
    ) -> Result<vk::DescriptorSet> {
        let variable = runtime_count(slot, writer)?;
        let set = self.recorder.descriptor_set(layout, variable)?;
        update_set(self.recorder.device(), set, writer);
        self.recorder.cache_set(key.to_vec(), set);
        Ok(set)
    }
}

/// The sets of one draw, at most [`MAX_SETS`], without a heap allocation.
#[derive(Default)]
struct DrawSets {
    sets: [vk::DescriptorSet; MAX_SETS],
    len: usize,
}

/// The most descriptor sets a draw binds (the largest tuple the `SetList` trait takes).
const MAX_SETS: usize = 4;

impl DrawSets {
    fn push(&mut self, set: vk::DescriptorSet) -> Result<()> {
        let slot = self.sets.get_mut(self.len).ok_or_else(|| {
            Error::InvalidArgument(format!("a draw binds at most {MAX_SETS} sets"))
        })?;
        *slot = set;
        self.len += 1;
        Ok(())
    }

    fn as_slice(&self) -> &[vk::DescriptorSet] {
        &self.sets[..self.len]
    }
}

/// The commands of one draw. State already bound by the previous draw of the pass is not
/// bound again: on a frame of many small draws the driver calls are most of the CPU cost.
struct DrawCommands<'a> {
    device: &'a ash::Device,
    cmd: vk::CommandBuffer,
    pipeline: &'a RawPipeline,
    bound: &'a mut BoundState,
}

impl<'a> DrawCommands<'a> {
    /// # Safety
    /// `cmd` is recording inside a render pass of the kind and format `pipeline` was built
    /// for, and `bound` is what earlier draws of that pass left bound in it.
    unsafe fn new(
        device: &'a ash::Device,
        cmd: vk::CommandBuffer,
        pipeline: &'a RawPipeline,
        bound: &'a mut BoundState,
    ) -> DrawCommands<'a> {
        DrawCommands {
            device,
            cmd,
            pipeline,
            bound,
        }
    }

    /// Binds `variant` of the pipeline; under a new layout, nothing bound before counts.
    fn bind_pipeline(&mut self, variant: vk::Pipeline) {
        if self.bound.pipeline != variant {
            // SAFETY: inside the pipeline's render pass (`DrawCommands::new`).
            unsafe {
                self.device
                    .cmd_bind_pipeline(self.cmd, vk::PipelineBindPoint::GRAPHICS, variant)
            };
            self.bound.pipeline = variant;
        }
        if self.bound.layout != self.pipeline.layout {
            self.bound.layout = self.pipeline.layout;
            self.bound.sets.clear();
            self.bound.push.clear();
        }
    }

    /// Binds `sets`, one per set of the pipeline's description, at their set numbers.
    fn bind_sets(&mut self, sets: &[vk::DescriptorSet]) {
        let layout = self.pipeline.layout;
        for (slot, set) in self.pipeline.desc.sets.iter().zip(sets) {
            let index = slot.set as usize;
            if self.bound.sets.get(index) == Some(set) {
                continue;
            }
            // SAFETY: inside the pipeline's render pass (`DrawCommands::new`); the set was
            // written for this slot's layout.
            unsafe {
                self.device.cmd_bind_descriptor_sets(
                    self.cmd,
                    vk::PipelineBindPoint::GRAPHICS,
                    layout,
                    slot.set,
                    &[*set],
                    &[],
                )
            };
            if self.bound.sets.len() <= index {
                self.bound.sets.resize(index + 1, vk::DescriptorSet::null());
            }
            self.bound.sets[index] = *set;
        }
    }

    /// Pushes `bytes`, the pipeline's whole push-constant block, through each of its
    /// updates (one per range of stages).
    fn push_constants(&mut self, bytes: &[u8]) {
        if self.bound.push == bytes {
            return;
        }
        for update in self.pipeline.desc.push_updates {
            let range = update.offset as usize..(update.offset + update.size) as usize;
            // SAFETY: inside the pipeline's render pass (`DrawCommands::new`); the update's
            // range lies in the pipeline's own push-constant ranges.
            unsafe {
                self.device.cmd_push_constants(
                    self.cmd,
                    self.pipeline.layout,
                    update.stages.0,
                    update.offset,
                    &bytes[range],
                )
            };
        }
        self.bound.push.clear();
        self.bound.push.extend_from_slice(bytes);
    }

    /// Binds the vertex data (buffer, offset) at binding 0 and the instance data at
    /// binding 1; the draw's first instance, which selects its own instances in the latter.
    fn bind_buffers(
        &mut self,
        vertices: Option<(vk::Buffer, u64)>,
        instances: Option<(vk::Buffer, u32)>,
    ) -> u32 {
        if let Some((buffer, offset)) = vertices {
            // SAFETY: inside the pipeline's render pass (`DrawCommands::new`); the buffer is
            // a vertex buffer of the recording.
            unsafe {
                self.device
                    .cmd_bind_vertex_buffers(self.cmd, 0, &[buffer], &[offset])
            };
        }
        let Some((buffer, first_instance)) = instances else {
            return 0;
        };
        if self.bound.instance_buffer != buffer {
            // SAFETY: inside the pipeline's render pass (`DrawCommands::new`); the buffer is
            // a vertex buffer of the recording.
            unsafe {
                self.device
                    .cmd_bind_vertex_buffers(self.cmd, 1, &[buffer], &[0])
            };
            self.bound.instance_buffer = buffer;
        }
        first_instance
    }

    fn draw(&mut self, vertex_count: u32, instance_count: u32, first_instance: u32) {
        // SAFETY: inside the pipeline's render pass (`DrawCommands::new`), with its
        // pipeline, sets, push constants and buffers bound.
        unsafe {
            self.device
                .cmd_draw(self.cmd, vertex_count, instance_count, 0, first_instance)
        };
    }
}

/// How many descriptors the set's runtime-sized array gets, if it has one: as many as the
/// draw writes (at least one, as Vulkan requires a non-empty allocation to be useful).
fn runtime_count(slot: &SetSlot, writer: &SetWriter<'_>) -> Result<Option<u32>> {
    let Some(binding) = slot
        .bindings
        .iter()
        .find(|b| b.count == BindingCount::Runtime)
    else {
        return Ok(None);
    };
    let written = writer
        .entries
        .iter()
        .filter(|(b, _, _)| *b == binding.binding)
        .map(|(_, _, range)| range.len())
        .sum::<usize>();
    let max = crate::pipelines::build::MAX_RUNTIME_DESCRIPTORS as usize;
    if written > max {
        return Err(Error::InvalidArgument(format!(
            "{written} descriptors in one runtime-sized array; at most {max}"
        )));
    }
    Ok(Some(written.max(1) as u32))
}

/// What identifies a written set: its layout and every handle written into it, into
/// `key` (cleared first).
fn set_key(layout: vk::DescriptorSetLayout, writer: &SetWriter<'_>, key: &mut Vec<u64>) {
    use ash::vk::Handle;
    key.clear();
    key.push(layout.as_raw());
    for (binding, kind, range) in &writer.entries {
        key.push(u64::from(*binding) << 32 | kind.as_raw() as u32 as u64);
        for info in writer.infos_of(range) {
            match info {
                DescriptorInfo::Image(i) => key.extend([
                    i.image_view.as_raw(),
                    i.sampler.as_raw(),
                    i.image_layout.as_raw() as u32 as u64,
                ]),
                DescriptorInfo::Buffer(b) => key.extend([b.buffer.as_raw(), b.offset, b.range]),
            }
        }
    }
}

fn update_set(device: &Device, set: vk::DescriptorSet, writer: &SetWriter<'_>) {
    let (images, buffers): (Vec<_>, Vec<_>) = writer
        .entries
        .iter()
        .map(|(_, _, range)| split_infos(writer.infos_of(range)))
        .unzip();
    let writes: Vec<vk::WriteDescriptorSet> = writer
        .entries
        .iter()
        .enumerate()
        .filter(|(_, (_, _, range))| !range.is_empty())
        .map(|(i, (binding, kind, _))| {
            let write = vk::WriteDescriptorSet::default()
                .dst_set(set)
                .dst_binding(*binding)
                .descriptor_type(*kind);
            if images[i].is_empty() {
                write.buffer_info(&buffers[i])
            } else {
                write.image_info(&images[i])
            }
        })
        .collect();
    // SAFETY: the set was just allocated with the layout these bindings come from, and the
    // resources are borrowed by the caller for the recorder's lifetime.
    unsafe { device.raw().update_descriptor_sets(&writes, &[]) };
}

/// The image and the buffer descriptors of one binding, as `VkWriteDescriptorSet` takes them.
fn split_infos(
    infos: &[DescriptorInfo],
) -> (Vec<vk::DescriptorImageInfo>, Vec<vk::DescriptorBufferInfo>) {
    let mut images = Vec::new();
    let mut buffers = Vec::new();
    for info in infos {
        match info {
            DescriptorInfo::Image(image) => images.push(*image),
            DescriptorInfo::Buffer(buffer) => buffers.push(*buffer),
        }
    }
    (images, buffers)
}
