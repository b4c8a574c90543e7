// A frame borrows its renderer mutably: a second frame (or an upload) cannot begin until
// the first is finished, so no draw can land between frames.
use vkcompose::geometry::Transform;
use vkcompose::{Renderer, Texture};

fn record(renderer: &mut Renderer, a: &Texture, b: &Texture) {
    let first = renderer.render(a, Transform::Normal).unwrap();
    let second = renderer.render(b, Transform::Normal).unwrap();
    let _ = first.finish();
    let _ = second.finish();
}

fn main() {}
