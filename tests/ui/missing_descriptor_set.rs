// The texture pipeline binds set 0 (`sets::Textured`); a draw without it is refused.
use vkcompose::shaders::{passes, texture, Pipelines};
use vkcompose::PassRecorder;

fn record(frame: &mut PassRecorder<'_, passes::Output>, pipelines: &Pipelines) {
    let _ = frame.draw(&pipelines.texture, &texture::Push::default(), (), &[]);
}

fn main() {}
