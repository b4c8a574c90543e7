// Instances must be the pipeline's own `Instance` type.
use vkcompose::shaders::{passes, solid, texture, Pipelines};
use vkcompose::PassRecorder;

fn record(frame: &mut PassRecorder<'_, passes::Output>, pipelines: &Pipelines) {
    let quad = texture::Instance::default();
    let _ = frame.draw(&pipelines.solid, &solid::Push::default(), (), &[quad]);
}

fn main() {}
