//! Turning shader and manifest names into Rust identifiers.

/// `snake_case` for fields and modules: `uvOrigin` -> `uv_origin`, `in.dst` -> `in_dst`.
pub fn field_name(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            previous_lower = false;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `CamelCase` for types: `light_data` -> `LightData`.
pub fn type_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// An identifier token, raw (`r#type`) where the name is a Rust keyword.
pub fn ident(name: &str) -> proc_macro2::Ident {
    match syn::parse_str::<proc_macro2::Ident>(name) {
        Ok(ident) if syn::parse_str::<syn::Ident>(name).is_ok() => ident,
        _ => proc_macro2::Ident::new_raw(name, proc_macro2::Span::call_site()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert() {
        assert_eq!(field_name("uvOrigin"), "uv_origin");
        assert_eq!(field_name("target_size"), "target_size");
        assert_eq!(type_name("light_data"), "LightData");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("alpha").to_string(), "alpha");
    }
}
