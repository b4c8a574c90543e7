// The colour math the linear path's shaders share: transfer functions in both directions,
// HLG's system gamma, the BT.2390 EETF, gamut compression. Each function mirrors one of
// `src/color/` (the CPU reference the shaders are tested against); the numbers that
// depend on a description (matrices, BT.1886's coefficients, HLG's gamma, the EETF's
// knee) are computed there and arrive as push constants.
//
// GLSL shaders `#include` it; WGSL ones (texture_decode.wgsl) take it with
// `// #include "color.glsl"`, which the codegen translates to WGSL through naga: keep it
// to constants and functions naga's GLSL frontend reads (no bindings, no entry point).
//
// Transfer functions are numbered as `TransferFunction::spec_constant` numbers them.
const uint TF_SRGB = 0u;
const uint TF_GAMMA22 = 1u;
const uint TF_BT1886 = 2u;
const uint TF_GAMMA24 = 3u;
const uint TF_PQ = 4u;
const uint TF_HLG = 5u;
const uint TF_LINEAR = 6u;
const uint TF_EXT_LINEAR = 7u;

// BT.2100's luminance weights of BT.2020 RGB, for HLG's system gamma.
const vec3 HLG_WEIGHTS = vec3(0.2627, 0.6780, 0.0593);

vec3 srgb_to_linear(vec3 v) {
    return mix(v / 12.92, pow((v + 0.055) / 1.055, vec3(2.4)), step(vec3(0.04045), v));
}

vec3 srgb_from_linear(vec3 l) {
    return mix(l * 12.92, 1.055 * pow(l, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), l));
}

// SMPTE ST 2084: signal to light, 1.0 = 10 000 cd/m^2.
const float PQ_M1 = 2610.0 / 16384.0;
const float PQ_M2 = 2523.0 / 4096.0 * 128.0;
const float PQ_C1 = 3424.0 / 4096.0;
const float PQ_C2 = 2413.0 / 4096.0 * 32.0;
const float PQ_C3 = 2392.0 / 4096.0 * 32.0;

vec3 pq_to_linear(vec3 e) {
    vec3 p = pow(e, vec3(1.0 / PQ_M2));
    return pow(max(p - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * p), vec3(1.0 / PQ_M1));
}

vec3 pq_from_linear(vec3 l) {
    vec3 p = pow(l, vec3(PQ_M1));
    return pow((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p), vec3(PQ_M2));
}

// BT.2100 HLG: the OETF's inverse gives scene light in [0, 1].
const float HLG_A = 0.17883277;
const float HLG_B = 0.28466892; // 1 - 4a
const float HLG_C = 0.55991073; // 0.5 - a ln(4a)

vec3 hlg_inverse_oetf(vec3 e) {
    vec3 low = e * e / 3.0;
    vec3 high = (exp((e - HLG_C) / HLG_A) + HLG_B) / 12.0;
    return mix(low, high, step(vec3(0.5), e));
}

vec3 hlg_oetf(vec3 l) {
    vec3 low = sqrt(3.0 * l);
    vec3 high = HLG_A * log(max(12.0 * l - HLG_B, 1e-6)) + HLG_C;
    return mix(low, high, step(vec3(1.0 / 12.0), l));
}

// Signal to linear light on the function's own scale (1.0 = the display's white; PQ:
// 10 000 cd/m^2; HLG: the display's peak, after the OOTF). `params`: BT.1886's (a, b) in
// xy, HLG's system gamma in z.
vec3 decode_transfer(uint tf, vec3 e, vec4 params) {
    if (tf == TF_EXT_LINEAR) {
        return e;
    }
    e = clamp(e, 0.0, 1.0);
    if (tf == TF_SRGB) {
        return srgb_to_linear(e);
    } else if (tf == TF_GAMMA22) {
        return pow(e, vec3(2.2));
    } else if (tf == TF_BT1886) {
        return params.x * pow(max(e + params.y, 0.0), vec3(2.4));
    } else if (tf == TF_GAMMA24) {
        return pow(e, vec3(2.4));
    } else if (tf == TF_PQ) {
        return pq_to_linear(e);
    } else if (tf == TF_HLG) {
        vec3 scene = hlg_inverse_oetf(e);
        float ys = dot(HLG_WEIGHTS, scene);
        return scene * pow(max(ys, 1e-6), params.z - 1.0);
    }
    return e;
}

// The inverse of `decode_transfer`.
vec3 encode_transfer(uint tf, vec3 l, vec4 params) {
    if (tf == TF_EXT_LINEAR) {
        return l;
    }
    l = clamp(l, 0.0, 1.0);
    if (tf == TF_SRGB) {
        return srgb_from_linear(l);
    } else if (tf == TF_GAMMA22) {
        return pow(l, vec3(1.0 / 2.2));
    } else if (tf == TF_BT1886) {
        return clamp(pow(l / params.x, vec3(1.0 / 2.4)) - params.y, 0.0, 1.0);
    } else if (tf == TF_GAMMA24) {
        return pow(l, vec3(1.0 / 2.4));
    } else if (tf == TF_PQ) {
        return pq_from_linear(l);
    } else if (tf == TF_HLG) {
        float yd = dot(HLG_WEIGHTS, l);
        vec3 scene = l * pow(max(yd, 1e-6), (1.0 - params.z) / params.z);
        return hlg_oetf(clamp(scene, 0.0, 1.0));
    }
    return l;
}

// BT.2390's EETF on a PQ signal; `a` = (source black, source range, knee start, maximum)
// and `b` = (minimum, knee tangent, pass-through, -) as `color::Eetf::shader_params` lays
// them out (normalised PQ over the source's range).
float eetf_pq(float pq, vec4 a, vec4 b) {
    if (b.z > 0.5) {
        return pq;
    }
    float e1 = clamp((pq - a.x) / a.y, 0.0, 1.0);
    float e2 = e1;
    if (e1 > a.z) {
        float t = (e1 - a.z) / (1.0 - a.z);
        float t2 = t * t;
        float t3 = t2 * t;
        e2 = (2.0 * t3 - 3.0 * t2 + 1.0) * a.z + (t3 - 2.0 * t2 + t) * b.y
            + (-2.0 * t3 + 3.0 * t2) * a.w;
    }
    float lifted = e2 + b.x * pow(1.0 - e2, 4.0);
    return clamp(lifted, b.x, a.w) * a.y + a.x;
}

// `color::compress`: the chroma of `rgb` compressed toward its grey (luminance from
// `weights`) so that it lands inside [0, 1], starting at 80 % of the way to the boundary.
vec3 compress_gamut(vec3 rgb, vec3 weights) {
    const float t = 0.8;
    float y = dot(weights, rgb);
    float grey = clamp(y, 0.0, 1.0);
    vec3 offset = rgb - y;
    float room = 1e30;
    for (int i = 0; i < 3; i++) {
        if (offset[i] < 0.0) {
            room = min(room, grey / -offset[i]);
        } else if (offset[i] > 0.0) {
            room = min(room, (1.0 - grey) / offset[i]);
        }
    }
    if (room >= 1e30 || room <= 0.0) {
        return vec3(grey);
    }
    float distance = 1.0 / room;
    float compressed = distance;
    if (distance > t) {
        float excess = distance - t;
        compressed = t + excess / (1.0 + excess / (1.0 - t));
    }
    return clamp(grey + offset * (compressed * room), 0.0, 1.0);
}
