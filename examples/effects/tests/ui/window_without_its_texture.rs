// The rounded window's pipeline drawn without the window texture its shader samples.
use std::sync::Arc;

use vkcompose_effects::shaders::rounded_window;

fn draw(
    frame: &mut vkcompose::Frame<'_>,
    pipeline: Arc<rounded_window::Pipeline>,
    push: rounded_window::Push,
    quad: rounded_window::Instance,
) {
    let _ = frame.draw_owned(pipeline, push, (), |_: &()| (), &[quad], &[]);
}

fn main() {}
