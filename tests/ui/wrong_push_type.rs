// The texture pipeline's push constants are `texture::Push`; the solid pipeline's `Push`
// has the same fields but is another type, so it is refused.
use vkcompose::shaders::{passes, sets, solid, Pipelines};
use vkcompose::PassRecorder;

fn record(frame: &mut PassRecorder<'_, passes::Output>, pipelines: &Pipelines, set: sets::Textured<'_>) {
    let push = solid::Push { target_size: [64.0, 64.0] };
    let _ = frame.draw(&pipelines.texture, &push, set, &[]);
}

fn main() {}
