// The border's push constants given to the shadow's pipeline.
use std::sync::Arc;

use vkcompose_effects::shaders::{border, shadow};

fn draw(frame: &mut vkcompose::Frame<'_>, pipeline: Arc<shadow::Pipeline>, quad: shadow::Instance) {
    let push = border::Push::default();
    let _ = frame.draw_owned::<shadow::Pipeline, ()>(pipeline, push, (), |_| (), &[quad], &[]);
}

fn main() {}
