// A frame is consumed by `finish`: drawing into it afterwards, outside any frame, is refused.
use vkcompose::geometry::{Rect, Transform};
use vkcompose::{Renderer, Texture};

fn record(renderer: &mut Renderer, target: &Texture) {
    let mut frame = renderer.render(target, Transform::Normal).unwrap();
    let all = Rect::new(0, 0, 8, 8);
    frame.clear([0.0; 4], &[all]).unwrap();
    let _ = frame.finish();
    let _ = frame.draw_solid(all, &[all], [1.0; 4]);
}

fn main() {}
