// Shared by the quad vertex shaders. A quad is a 4-vertex triangle strip whose corners come
// from gl_VertexIndex, so no vertex buffer is bound: all per-quad data is per instance.

// Corner `index` of the unit square: 0 (0,0), 1 (1,0), 2 (0,1), 3 (1,1).
vec2 quad_corner(int index) {
    return vec2(float(index & 1), float((index >> 1) & 1));
}

// Target pixels to Vulkan clip space, where (-1, -1) is the top-left corner.
vec4 pixel_to_clip(vec2 pixel, vec2 target_size) {
    return vec4(pixel / target_size * 2.0 - 1.0, 0.0, 1.0);
}
