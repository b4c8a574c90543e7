//! Recording draws: [`PassRecorder::draw`] and its relatives, whose signatures are what
//! make a misused pipeline fail to compile, and the descriptor sets they write.

use ash::vk;

use super::desc::*;
use super::raw::{Pipeline, RawPipeline};
use crate::core::device::Device;
use crate::error::{Error, Result};
use crate::pipelines::recorder::PassRecorder;

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
        let variant = pipeline.variant_index();
        if variant >= raw.variants.len() {
            return Err(Error::InvalidArgument(format!(
                "pipeline `{}` has no variant {variant}",
                raw.desc.name
            )));
        }
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
        let instance_bytes: &[u8] = bytemuck::cast_slice(instances);
        let stride = u64::from(raw.desc.instance_stride.max(1));
        // Instance data lies at a multiple of its stride, so one binding per arena chunk
        // serves every draw and each draw starts at its own first instance.
        let instance_buffer = match instance_bytes.is_empty() {
            true => None,
            false => Some(self.recorder.vertex_data(instance_bytes, stride)?),
        };

        let device = self.recorder.device().clone();
        let cmd = self.recorder.command_buffer();
        let d = device.raw();
        let push_bytes = bytemuck::bytes_of(push);
        let pipeline_handle = raw.variants[variant];
        // State already bound by the previous draw is not bound again: on a frame of many
        // small draws the driver calls are most of the CPU cost.
        let bound = &mut self.bound;
        // SAFETY: recording inside the render pass the pipeline was built for (the type
        // system guarantees the kind; `begin_pass` checked the format); sets, buffers and
        // push ranges come from the pipeline's own description.
        unsafe {
            if bound.pipeline != pipeline_handle {
                d.cmd_bind_pipeline(cmd, vk::PipelineBindPoint::GRAPHICS, pipeline_handle);
                bound.pipeline = pipeline_handle;
            }
            if bound.layout != raw.layout {
                bound.layout = raw.layout;
                bound.sets.clear();
                bound.push.clear();
            }
            for (slot, set) in raw.desc.sets.iter().zip(&descriptor_sets) {
                let index = slot.set as usize;
                if bound.sets.get(index) != Some(set) {
                    d.cmd_bind_descriptor_sets(
                        cmd,
                        vk::PipelineBindPoint::GRAPHICS,
                        raw.layout,
                        slot.set,
                        &[*set],
                        &[],
                    );
                    if bound.sets.len() <= index {
                        bound.sets.resize(index + 1, vk::DescriptorSet::null());
                    }
                    bound.sets[index] = *set;
                }
            }
            if bound.push != push_bytes {
                for update in raw.desc.push_updates {
                    let range = update.offset as usize..(update.offset + update.size) as usize;
                    d.cmd_push_constants(
                        cmd,
                        raw.layout,
                        update.stages.0,
                        update.offset,
                        &push_bytes[range],
                    );
                }
                bound.push.clear();
                bound.push.extend_from_slice(push_bytes);
            }
            if let Some((buffer, offset)) = vertex_buffer {
                d.cmd_bind_vertex_buffers(cmd, 0, &[buffer], &[offset]);
            }
            let mut first_instance = 0;
            if let Some((buffer, offset)) = instance_buffer {
                if bound.instance_buffer != buffer {
                    d.cmd_bind_vertex_buffers(cmd, 1, &[buffer], &[0]);
                    bound.instance_buffer = buffer;
                }
                first_instance = u32::try_from(offset / stride)
                    .map_err(|_| Error::InvalidArgument("instance data too large".into()))?;
            }
            d.cmd_draw(cmd, vertex_count, instance_count, 0, first_instance);
        }
        Ok(())
    }

    fn descriptor_sets<Pl: Pipeline<Pass = P>>(
        &mut self,
        raw: &RawPipeline,
        sets: &Pl::Sets<'_>,
    ) -> Result<Vec<vk::DescriptorSet>> {
        let mut written = Vec::new();
        for (index, slot) in raw.desc.sets.iter().enumerate() {
            let mut writer = SetWriter::default();
            sets.write(index, &mut writer);
            if let Some(error) = writer.error {
                return Err(error);
            }
            let layout = raw.set_layouts[slot.set as usize];
            // The same resources in the same layout already have a set in this recording:
            // a frame drawing one texture many times writes its set once.
            let key = set_key(layout, &writer);
            let set = match self.recorder.cached_set(&key) {
                Some(set) => set,
                None => {
                    let variable = runtime_count(slot, &writer)?;
                    let set = self.recorder.descriptor_set(layout, variable)?;
                    update_set(self.recorder.device(), set, &writer);
                    self.recorder.cache_set(key, set);
                    set
                }
            };
            written.push(set);
        }
        Ok(written)
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
        .map(|(_, _, infos)| infos.len())
        .sum::<usize>();
    let max = crate::pipelines::build::MAX_RUNTIME_DESCRIPTORS as usize;
    if written > max {
        return Err(Error::InvalidArgument(format!(
            "{written} descriptors in one runtime-sized array; at most {max}"
        )));
    }
    Ok(Some(written.max(1) as u32))
}

/// What identifies a written set: its layout and every handle written into it.
fn set_key(layout: vk::DescriptorSetLayout, writer: &SetWriter<'_>) -> Vec<u64> {
    use ash::vk::Handle;
    let mut key = vec![layout.as_raw()];
    for (binding, kind, infos) in &writer.entries {
        key.push(u64::from(*binding) << 32 | kind.as_raw() as u32 as u64);
        for info in infos {
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
    key
}

fn update_set(device: &Device, set: vk::DescriptorSet, writer: &SetWriter<'_>) {
    let (images, buffers): (Vec<_>, Vec<_>) = writer
        .entries
        .iter()
        .map(|(_, _, infos)| split_infos(infos))
        .unzip();
    let writes: Vec<vk::WriteDescriptorSet> = writer
        .entries
        .iter()
        .enumerate()
        .filter(|(_, (_, _, infos))| !infos.is_empty())
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
