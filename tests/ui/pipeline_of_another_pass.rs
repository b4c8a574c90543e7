// The solid pipeline is built for render pass kind `Output`; it cannot be drawn in a
// `Scratch` pass.
use vkcompose::shaders::{solid, Pipelines};
use vkcompose::test_shaders::passes;
use vkcompose::PassRecorder;

fn record(frame: &mut PassRecorder<'_, passes::Scratch>, pipelines: &Pipelines) {
    let _ = frame.draw(&pipelines.solid, &solid::Push::default(), (), &[]);
}

fn main() {}
