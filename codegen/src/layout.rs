//! Host-side layout of SPIR-V blocks: each reflected struct becomes a `#[repr(C)]` Rust
//! struct whose fields sit at exactly the reflected offsets, with the gaps as explicit
//! `[u8; N]` padding fields (so the struct is `Pod` and every byte is accounted for).

use std::collections::BTreeMap;

use crate::model::{Scalar, StructTy, Ty};

/// A Rust field of a generated struct.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub offset: u32,
    pub rust: RustTy,
    /// The shader-side declaration, for documentation; `None` for padding.
    pub shader: Option<String>,
}

/// A Rust type as the generator writes it.
#[derive(Clone, Debug, PartialEq)]
pub enum RustTy {
    Scalar(Scalar),
    Bytes(u32),
    Array(Box<RustTy>, u32),
    Named(String, u32, u32),
}

impl RustTy {
    pub fn size(&self) -> u32 {
        match self {
            RustTy::Scalar(s) => s.size(),
            RustTy::Bytes(n) => *n,
            RustTy::Array(e, n) => e.size() * n,
            RustTy::Named(_, size, _) => *size,
        }
    }

    pub fn align(&self) -> u32 {
        match self {
            RustTy::Scalar(s) => s.size(),
            RustTy::Bytes(_) => 1,
            RustTy::Array(e, _) => e.align(),
            RustTy::Named(_, _, align) => *align,
        }
    }
}

/// A generated struct: its fields and its size (a multiple of its alignment).
#[derive(Clone, Debug, PartialEq)]
pub struct HostStruct {
    pub name: String,
    pub fields: Vec<Field>,
    pub size: u32,
    pub align: u32,
}

/// Lays out `ty` as a host struct of at least `min_size` bytes (arrays of structs need the
/// element padded to the array stride). Nested structs are appended to `nested` first.
pub fn host_struct(
    name: &str,
    ty: &StructTy,
    min_size: u32,
    nested: &mut Vec<HostStruct>,
) -> Result<HostStruct, String> {
    let mut strides = BTreeMap::new();
    array_strides(ty, &mut strides);
    layout_struct(name, ty, min_size, &strides, nested)
}

/// The widest array stride each nested struct is used with. A struct used both alone and
/// as an array element is one Rust type, padded to that stride everywhere.
fn array_strides(ty: &StructTy, strides: &mut BTreeMap<String, u32>) {
    for member in &ty.members {
        let mut inner = &member.ty;
        while let Ty::Array {
            element, stride, ..
        } = inner
        {
            if let Ty::Struct(s) = element.as_ref() {
                let widest = strides.entry(crate::names::type_name(&s.name)).or_insert(0);
                *widest = (*widest).max(*stride);
            }
            inner = element;
        }
        if let Ty::Struct(s) = inner {
            array_strides(s, strides);
        }
    }
}

fn layout_struct(
    name: &str,
    ty: &StructTy,
    min_size: u32,
    strides: &BTreeMap<String, u32>,
    nested: &mut Vec<HostStruct>,
) -> Result<HostStruct, String> {
    let mut fields = Vec::new();
    let mut cursor = 0;
    let mut members: Vec<_> = ty.members.iter().collect();
    members.sort_by_key(|m| m.offset);
    for member in members {
        if member.offset < cursor {
            return Err(format!(
                "member `{}` at offset {} overlaps the previous member, which ends at {cursor}",
                member.name, member.offset
            ));
        }
        pad(&mut fields, &mut cursor, member.offset);
        let rust = rust_ty(&member.ty, strides, nested)?;
        if member.offset % rust.align() != 0 {
            return Err(format!(
                "member `{}` at offset {} is not aligned to {} bytes as its Rust type needs",
                member.name,
                member.offset,
                rust.align()
            ));
        }
        cursor = member.offset + rust.size();
        fields.push(Field {
            name: member.name.clone(),
            offset: member.offset,
            shader: Some(format!("{} {}", member.ty, member.name)),
            rust,
        });
    }
    let align = fields.iter().map(|f| f.rust.align()).max().unwrap_or(1);
    let size = round_up(cursor.max(min_size), align);
    pad(&mut fields, &mut cursor, size);
    Ok(HostStruct {
        name: name.to_string(),
        fields,
        size,
        align,
    })
}

fn pad(fields: &mut Vec<Field>, cursor: &mut u32, to: u32) {
    if to > *cursor {
        let index = fields.iter().filter(|f| f.shader.is_none()).count();
        fields.push(Field {
            name: format!("_pad{index}"),
            offset: *cursor,
            rust: RustTy::Bytes(to - *cursor),
            shader: None,
        });
        *cursor = to;
    }
}

fn round_up(value: u32, align: u32) -> u32 {
    value.div_ceil(align) * align
}

/// The Rust type for a member. Vectors and matrices are arrays; a column (or row) with a
/// stride wider than its elements gets the padding elements too (a `mat3` with 16-byte
/// columns is `[[f32; 4]; 3]`, the fourth element of each column unused).
fn rust_ty(
    ty: &Ty,
    strides: &BTreeMap<String, u32>,
    nested: &mut Vec<HostStruct>,
) -> Result<RustTy, String> {
    Ok(match ty {
        Ty::Scalar(s) => RustTy::Scalar(*s),
        Ty::Vector(s, n) => RustTy::Array(Box::new(RustTy::Scalar(*s)), *n),
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
            if stride % scalar.size() != 0 || *stride < width * scalar.size() {
                return Err(format!(
                    "matrix stride {stride} cannot hold {width} elements"
                ));
            }
            let padded = stride / scalar.size();
            RustTy::Array(
                Box::new(RustTy::Array(Box::new(RustTy::Scalar(*scalar)), padded)),
                count,
            )
        }
        Ty::Array {
            element,
            len,
            stride,
        } => {
            let element = match element.as_ref() {
                Ty::Struct(s) => named(s, *stride, strides, nested)?,
                Ty::Scalar(s) | Ty::Vector(s, _) if *stride > element.size() => {
                    if stride % s.size() != 0 {
                        return Err(format!(
                            "array stride {stride} is not a multiple of its element"
                        ));
                    }
                    RustTy::Array(Box::new(RustTy::Scalar(*s)), stride / s.size())
                }
                other => rust_ty(other, strides, nested)?,
            };
            if element.size() != *stride {
                return Err(format!(
                    "array stride {stride} differs from its element's size {}",
                    element.size()
                ));
            }
            RustTy::Array(Box::new(element), *len)
        }
        Ty::Struct(s) => named(s, 0, strides, nested)?,
    })
}

fn named(
    s: &StructTy,
    min_size: u32,
    strides: &BTreeMap<String, u32>,
    nested: &mut Vec<HostStruct>,
) -> Result<RustTy, String> {
    let name = crate::names::type_name(&s.name);
    let min_size = min_size.max(strides.get(&name).copied().unwrap_or(0));
    let host = layout_struct(&name, s, min_size, strides, nested)?;
    match nested.iter().find(|h| h.name == name) {
        Some(existing) if existing != &host => {
            return Err(format!(
                "struct `{}` is used with two different layouts; give them different names",
                s.name
            ))
        }
        Some(_) => {}
        None => nested.push(host.clone()),
    }
    Ok(RustTy::Named(name, host.size, host.align))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Member;

    fn member(name: &str, offset: u32, ty: Ty) -> Member {
        Member {
            name: name.into(),
            offset,
            ty,
        }
    }

    #[test]
    fn gaps_become_padding_fields() {
        let block = StructTy {
            name: "Push".into(),
            members: vec![
                member("alpha", 0, Ty::Scalar(Scalar::F32)),
                member("color", 16, Ty::Vector(Scalar::F32, 4)),
            ],
        };
        let host = host_struct("Push", &block, 0, &mut Vec::new()).unwrap();
        let names: Vec<_> = host
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.rust.size()))
            .collect();
        assert_eq!(
            names,
            [("alpha", 0, 4), ("_pad0", 4, 12), ("color", 16, 16)]
        );
        assert_eq!(host.size, 32);
    }

    #[test]
    fn mat3_columns_carry_their_padding() {
        let mat3 = Ty::Matrix {
            scalar: Scalar::F32,
            rows: 3,
            columns: 3,
            stride: 16,
            row_major: false,
        };
        let rust = rust_ty(&mat3, &BTreeMap::new(), &mut Vec::new()).unwrap();
        assert_eq!(rust.size(), 48);
    }
}
