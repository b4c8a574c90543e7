#version 450
// Samples the quad's own element of the frame's texture array. Formats without alpha need
// no variant here: their views already read alpha as one.
#extension GL_EXT_nonuniform_qualifier : require

layout(set = 0, binding = 0) uniform sampler2D textures[];

layout(location = 0) in vec2 uv;
layout(location = 1) flat in float alpha;
layout(location = 2) flat in uint texture_index;

layout(location = 0) out vec4 color;

void main() {
    color = texture(textures[nonuniformEXT(texture_index)], uv) * alpha;
}
