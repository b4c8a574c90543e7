//! Reflection of SPIR-V modules with `spirq` into the language-independent [`Interface`].
//!
//! `spirq` is used rather than `spirv-reflect`: the latter's newest release (0.2.3) is
//! unsound under current Rust (it trips the standard library's UB checks) and aborts on
//! SPIR-V 1.4+, which both shaderc and naga emit for Vulkan 1.2.

use spirq::prelude::{ReflectConfig, Variable};
use spirq::spirv::ExecutionModel;
use spirq::ty::{DescriptorType, ScalarType, StructType, Type};

use crate::model::{
    Binding, Count, DescriptorKind, Interface, InterfaceVar, Member, Scalar, SpecConstant, Stage,
    StructTy, Ty,
};

/// Reflects the entry point named `entry_point` for `stage`.
pub fn reflect(words: &[u32], stage: Stage, entry_point: &str) -> Result<Interface, String> {
    let entry_points = ReflectConfig::new()
        .spv(words)
        .ref_all_rscs(false)
        .combine_img_samplers(true)
        .gen_unique_names(false)
        .reflect()
        .map_err(|e| format!("SPIR-V reflection failed: {e}"))?;
    let entry = entry_points
        .into_iter()
        .find(|ep| stage_of(ep.exec_model) == Some(stage) && ep.name == entry_point)
        .ok_or_else(|| format!("no {} entry point named `{entry_point}`", stage.name()))?;

    let mut interface = Interface {
        stage,
        entry_point: entry.name.clone(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        bindings: Vec::new(),
        push_constants: None,
        spec_constants: Vec::new(),
    };
    for var in &entry.vars {
        add_variable(&mut interface, var)?;
    }
    interface.inputs.sort_by_key(|v| v.location);
    interface.outputs.sort_by_key(|v| v.location);
    interface.bindings.sort_by_key(|b| (b.set, b.binding));
    interface.spec_constants.sort_by_key(|c| c.id);
    Ok(interface)
}

/// Every entry point in the module, as (stage, name).
pub fn entry_points(words: &[u32]) -> Result<Vec<(Stage, String)>, String> {
    let entry_points = ReflectConfig::new()
        .spv(words)
        .reflect()
        .map_err(|e| format!("SPIR-V reflection failed: {e}"))?;
    Ok(entry_points
        .into_iter()
        .filter_map(|ep| Some((stage_of(ep.exec_model)?, ep.name)))
        .collect())
}

fn stage_of(model: ExecutionModel) -> Option<Stage> {
    match model {
        ExecutionModel::Vertex => Some(Stage::Vertex),
        ExecutionModel::Fragment => Some(Stage::Fragment),
        ExecutionModel::GLCompute => Some(Stage::Compute),
        _ => None,
    }
}

fn add_variable(interface: &mut Interface, var: &Variable) -> Result<(), String> {
    match var {
        Variable::Input { name, location, ty } => {
            let name = name
                .clone()
                .unwrap_or_else(|| format!("in{}", location.loc()));
            let ty = convert(ty).map_err(|e| format!("input `{name}`: {e}"))?;
            interface.inputs.push(InterfaceVar {
                location: location.loc(),
                name,
                ty,
            });
        }
        Variable::Output { name, location, ty } => {
            let name = name
                .clone()
                .unwrap_or_else(|| format!("out{}", location.loc()));
            let ty = convert(ty).map_err(|e| format!("output `{name}`: {e}"))?;
            interface.outputs.push(InterfaceVar {
                location: location.loc(),
                name,
                ty,
            });
        }
        Variable::Descriptor {
            name,
            desc_bind,
            desc_ty,
            nbind,
            ..
        } => {
            let name = name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("binding{}", desc_bind.bind()));
            interface.bindings.push(Binding {
                set: desc_bind.set(),
                binding: desc_bind.bind(),
                kind: descriptor_kind(desc_ty)
                    .ok_or_else(|| format!("binding `{name}`: unsupported descriptor type"))?,
                count: match nbind {
                    0 => Count::Runtime,
                    1 => Count::One,
                    n => Count::Array(*n),
                },
                name,
            });
        }
        Variable::PushConstant { name, ty } => {
            let single_value = |ty: &Type| -> Result<StructTy, String> {
                Ok(StructTy {
                    name: "Push".into(),
                    members: vec![Member {
                        name: name.clone().unwrap_or_else(|| "value".into()),
                        offset: 0,
                        ty: convert(ty)?,
                    }],
                })
            };
            let block = match unwrap_block(ty) {
                // naga's wrapper around a non-struct `var<immediate> x: T`: name the
                // member after the variable.
                Type::Struct(s)
                    if s.name.is_none() && s.members.len() == 1 && s.members[0].name.is_none() =>
                {
                    single_value(&s.members[0].ty)?
                }
                Type::Struct(s) => convert_struct(s, name.as_deref().unwrap_or("Push"))?,
                other => single_value(other)?,
            };
            interface.push_constants = Some(block);
        }
        Variable::SpecConstant { name, spec_id, ty } => {
            let name = name.clone().unwrap_or_else(|| format!("constant{spec_id}"));
            let scalar = match ty {
                Type::Scalar(s) => scalar(s)?,
                _ => return Err(format!("specialization constant `{name}` is not a scalar")),
            };
            interface.spec_constants.push(SpecConstant {
                id: *spec_id,
                name,
                scalar,
            });
        }
    }
    Ok(())
}

/// naga wraps a `var<immediate>` of struct type in an unnamed block struct whose single,
/// unnamed member at offset 0 is the declared struct; the declared struct is the block.
fn unwrap_block(ty: &Type) -> &Type {
    match ty {
        Type::Struct(s)
            if s.name.is_none()
                && s.members.len() == 1
                && s.members[0].name.is_none()
                && s.members[0].offset == Some(0)
                && matches!(s.members[0].ty, Type::Struct(_)) =>
        {
            &s.members[0].ty
        }
        other => other,
    }
}

fn descriptor_kind(ty: &DescriptorType) -> Option<DescriptorKind> {
    Some(match ty {
        DescriptorType::Sampler() => DescriptorKind::Sampler,
        DescriptorType::CombinedImageSampler() => DescriptorKind::CombinedImageSampler,
        DescriptorType::SampledImage() => DescriptorKind::SampledImage,
        DescriptorType::StorageImage(_) => DescriptorKind::StorageImage,
        DescriptorType::UniformTexelBuffer() => DescriptorKind::UniformTexelBuffer,
        DescriptorType::StorageTexelBuffer(_) => DescriptorKind::StorageTexelBuffer,
        DescriptorType::UniformBuffer() => DescriptorKind::UniformBuffer,
        DescriptorType::StorageBuffer(_) => DescriptorKind::StorageBuffer,
        DescriptorType::InputAttachment(_) => DescriptorKind::InputAttachment,
        DescriptorType::AccelStruct() => return None,
    })
}

fn scalar(s: &ScalarType) -> Result<Scalar, String> {
    Ok(match s {
        ScalarType::Boolean => Scalar::Bool,
        ScalarType::Integer { bits, is_signed } => match (bits, is_signed) {
            (8, true) => Scalar::I8,
            (8, false) => Scalar::U8,
            (16, true) => Scalar::I16,
            (16, false) => Scalar::U16,
            (32, true) => Scalar::I32,
            (32, false) => Scalar::U32,
            (64, true) => Scalar::I64,
            (64, false) => Scalar::U64,
            _ => return Err(format!("unsupported integer width {bits}")),
        },
        ScalarType::Float { bits: 16 } => Scalar::F16,
        ScalarType::Float { bits: 32 } => Scalar::F32,
        ScalarType::Float { bits: 64 } => Scalar::F64,
        other => return Err(format!("unsupported scalar type {other}")),
    })
}

fn convert(ty: &Type) -> Result<Ty, String> {
    Ok(match ty {
        Type::Scalar(s) => Ty::Scalar(scalar(s)?),
        Type::Vector(v) => Ty::Vector(scalar(&v.scalar_ty)?, v.nscalar),
        Type::Matrix(m) => {
            let element = scalar(&m.vector_ty.scalar_ty)?;
            let rows = m.vector_ty.nscalar;
            let row_major = m.axis_order == Some(spirq::ty::MatrixAxisOrder::RowMajor);
            let natural = element.size() * if row_major { m.nvector } else { rows };
            Ty::Matrix {
                scalar: element,
                rows,
                columns: m.nvector,
                stride: m.stride.map_or(natural, |s| s as u32),
                row_major,
            }
        }
        Type::Array(a) => {
            let element = convert(&a.element_ty)?;
            let len = a
                .nelement
                .ok_or("runtime-sized arrays cannot be host-visible block members here")?;
            Ty::Array {
                stride: a.stride.map_or_else(|| element.size(), |s| s as u32),
                element: Box::new(element),
                len,
            }
        }
        Type::Struct(s) => Ty::Struct(convert_struct(s, "Struct")?),
        other => return Err(format!("unsupported type {other}")),
    })
}

fn convert_struct(s: &StructType, fallback_name: &str) -> Result<StructTy, String> {
    let name = s.name().unwrap_or(fallback_name).to_string();
    let members =
        s.members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let member_name = m.name.clone().unwrap_or_else(|| format!("member{i}"));
                Ok(Member {
                    offset: m.offset.ok_or_else(|| {
                        format!("member `{member_name}` of `{name}` has no offset")
                    })? as u32,
                    ty: convert(&m.ty).map_err(|e| format!("member `{member_name}`: {e}"))?,
                    name: member_name,
                })
            })
            .collect::<Result<_, String>>()?;
    Ok(StructTy { name, members })
}
