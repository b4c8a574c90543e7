//! The shader interface model: what reflection finds in a SPIR-V module, independent of the
//! language it was written in. Everything after reflection (checks, code generation) reads
//! only this.

use std::fmt;

/// A pipeline stage a shader module can be an entry point for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Vertex,
    Fragment,
    Compute,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Vertex => "vertex",
            Stage::Fragment => "fragment",
            Stage::Compute => "compute",
        }
    }
}

/// A scalar type that can cross the host/shader boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    Bool,
    I8,
    U8,
    I16,
    U16,
    F16,
    I32,
    U32,
    F32,
    I64,
    U64,
    F64,
}

impl Scalar {
    pub fn size(self) -> u32 {
        match self {
            Scalar::Bool | Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 | Scalar::F16 => 2,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
        }
    }

    /// The Rust type the generated code uses for this scalar. Booleans are 32-bit in every
    /// host-visible SPIR-V layout, so they are `u32` on the Rust side.
    pub fn rust(self) -> &'static str {
        match self {
            Scalar::Bool | Scalar::U32 => "u32",
            Scalar::I8 => "i8",
            Scalar::U8 => "u8",
            Scalar::I16 => "i16",
            Scalar::U16 | Scalar::F16 => "u16",
            Scalar::I32 => "i32",
            Scalar::F32 => "f32",
            Scalar::I64 => "i64",
            Scalar::U64 => "u64",
            Scalar::F64 => "f64",
        }
    }

    /// The GLSL-style name used in messages.
    pub fn glsl(self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::I8 => "int8_t",
            Scalar::U8 => "uint8_t",
            Scalar::I16 => "int16_t",
            Scalar::U16 => "uint16_t",
            Scalar::F16 => "float16_t",
            Scalar::I32 => "int",
            Scalar::U32 => "uint",
            Scalar::F32 => "float",
            Scalar::I64 => "int64_t",
            Scalar::U64 => "uint64_t",
            Scalar::F64 => "double",
        }
    }
}

/// A data type with its explicit SPIR-V layout (offsets and strides as decorated).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Scalar(Scalar),
    Vector(Scalar, u32),
    /// `rows x columns`; `stride` separates columns (column-major) or rows (row-major).
    Matrix {
        scalar: Scalar,
        rows: u32,
        columns: u32,
        stride: u32,
        row_major: bool,
    },
    Array {
        element: Box<Ty>,
        len: u32,
        stride: u32,
    },
    Struct(StructTy),
}

/// A struct with explicit member offsets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StructTy {
    pub name: String,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    pub name: String,
    pub offset: u32,
    pub ty: Ty,
}

impl Ty {
    /// Bytes the value occupies, from its first byte to the end of its last member.
    pub fn size(&self) -> u32 {
        match self {
            Ty::Scalar(s) => s.size(),
            Ty::Vector(s, n) => s.size() * n,
            Ty::Matrix {
                scalar,
                rows,
                columns,
                stride,
                row_major,
            } => {
                let (count, width) = if *row_major {
                    (*rows, *columns)
                } else {
                    (*columns, *rows)
                };
                stride * (count - 1) + scalar.size() * width
            }
            Ty::Array { stride, len, .. } => stride * len,
            Ty::Struct(s) => s.size(),
        }
    }

    /// Whether two types have the same shape and layout, ignoring names.
    pub fn same_layout(&self, other: &Ty) -> bool {
        match (self, other) {
            (Ty::Struct(a), Ty::Struct(b)) => {
                a.members.len() == b.members.len()
                    && a.members
                        .iter()
                        .zip(&b.members)
                        .all(|(x, y)| x.offset == y.offset && x.ty.same_layout(&y.ty))
            }
            (
                Ty::Array {
                    element: a,
                    len: la,
                    stride: sa,
                },
                Ty::Array {
                    element: b,
                    len: lb,
                    stride: sb,
                },
            ) => la == lb && sa == sb && a.same_layout(b),
            _ => self == other,
        }
    }
}

impl StructTy {
    pub fn size(&self) -> u32 {
        self.members
            .iter()
            .map(|m| m.offset + m.ty.size())
            .max()
            .unwrap_or(0)
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Scalar(s) => f.write_str(s.glsl()),
            Ty::Vector(s, n) => {
                let prefix = match s {
                    Scalar::F32 => "",
                    Scalar::F64 => "d",
                    Scalar::I32 => "i",
                    Scalar::U32 => "u",
                    Scalar::Bool => "b",
                    _ => return write!(f, "vec{n}<{}>", s.glsl()),
                };
                write!(f, "{prefix}vec{n}")
            }
            Ty::Matrix {
                scalar,
                rows,
                columns,
                ..
            } => {
                let prefix = if *scalar == Scalar::F64 { "d" } else { "" };
                write!(f, "{prefix}mat{columns}x{rows}")
            }
            Ty::Array { element, len, .. } => write!(f, "{element}[{len}]"),
            Ty::Struct(s) => write!(f, "struct {}", s.name),
        }
    }
}

/// A stage input or output at a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceVar {
    pub location: u32,
    pub name: String,
    pub ty: Ty,
}

/// What a descriptor binding holds, as `VkDescriptorType` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DescriptorKind {
    Sampler,
    CombinedImageSampler,
    SampledImage,
    StorageImage,
    UniformTexelBuffer,
    StorageTexelBuffer,
    UniformBuffer,
    StorageBuffer,
    InputAttachment,
}

impl DescriptorKind {
    pub fn describe(self) -> &'static str {
        match self {
            DescriptorKind::Sampler => "sampler",
            DescriptorKind::CombinedImageSampler => "combined image sampler",
            DescriptorKind::SampledImage => "sampled image",
            DescriptorKind::StorageImage => "storage image",
            DescriptorKind::UniformTexelBuffer => "uniform texel buffer",
            DescriptorKind::StorageTexelBuffer => "storage texel buffer",
            DescriptorKind::UniformBuffer => "uniform buffer",
            DescriptorKind::StorageBuffer => "storage buffer",
            DescriptorKind::InputAttachment => "input attachment",
        }
    }

    /// The `ash::vk::DescriptorType` constant name.
    pub fn vk_name(self) -> &'static str {
        match self {
            DescriptorKind::Sampler => "SAMPLER",
            DescriptorKind::CombinedImageSampler => "COMBINED_IMAGE_SAMPLER",
            DescriptorKind::SampledImage => "SAMPLED_IMAGE",
            DescriptorKind::StorageImage => "STORAGE_IMAGE",
            DescriptorKind::UniformTexelBuffer => "UNIFORM_TEXEL_BUFFER",
            DescriptorKind::StorageTexelBuffer => "STORAGE_TEXEL_BUFFER",
            DescriptorKind::UniformBuffer => "UNIFORM_BUFFER",
            DescriptorKind::StorageBuffer => "STORAGE_BUFFER",
            DescriptorKind::InputAttachment => "INPUT_ATTACHMENT",
        }
    }
}

/// How many descriptors a binding holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    One,
    Array(u32),
    /// A runtime-sized array (descriptor indexing).
    Runtime,
}

/// One descriptor binding a shader declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub set: u32,
    pub binding: u32,
    pub name: String,
    pub kind: DescriptorKind,
    pub count: Count,
}

/// A specialization constant (`layout(constant_id = N)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecConstant {
    pub id: u32,
    pub name: String,
    pub scalar: Scalar,
}

/// Everything the rest of the pipeline needs to know about one entry point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub stage: Stage,
    pub entry_point: String,
    pub inputs: Vec<InterfaceVar>,
    pub outputs: Vec<InterfaceVar>,
    pub bindings: Vec<Binding>,
    pub push_constants: Option<StructTy>,
    pub spec_constants: Vec<SpecConstant>,
}
