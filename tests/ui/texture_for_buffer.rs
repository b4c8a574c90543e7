// Binding 0 of set `Tint` is a uniform buffer; a texture cannot be bound there.
use vkcompose::test_shaders::sets;
use vkcompose::Texture;

fn bind(texture: &Texture) -> sets::Tint<'_> {
    sets::Tint { tint: texture }
}

fn main() {}
