//! A downstream crate's shader and manifest errors read as vkcompose's own: `path:line:col`
//! relative to the crate, in its own files. The generation its build script runs is run
//! here, from a copy of this crate's `shaders/` and `pipelines.ron` with one error put into
//! each, with the working directory at the copy's root as cargo sets it for a build script.

use std::path::PathBuf;

#[test]
fn errors_name_the_crates_own_files_at_line_and_column() {
    // Cargo's run-time value first: checkouts sharing a target directory (CI's clone beside
    // a working tree) can reuse a binary built in the other.
    let crate_dir: PathBuf = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), Into::into);
    let copy =
        std::env::temp_dir().join(format!("vkcompose-effects-broken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(copy.join("shaders")).unwrap();
    for file in ["decorations.wgsl", "shadow.frag"] {
        std::fs::copy(
            crate_dir.join("shaders").join(file),
            copy.join("shaders").join(file),
        )
        .unwrap();
    }
    // An undefined name in the vertex stage, and a pipeline naming a file that is not there.
    let wgsl = std::fs::read_to_string(crate_dir.join("shaders/decorations.wgsl")).unwrap();
    let broken = "    let pixel = dst.xy + corner * dst.zw;";
    assert!(wgsl.contains(broken));
    let wgsl = wgsl.replace(broken, "    let pixel = dst.xy + corner * no_such_size;");
    std::fs::write(copy.join("shaders/decorations.wgsl"), &wgsl).unwrap();
    let manifest = std::fs::read_to_string(crate_dir.join("pipelines.ron")).unwrap();
    let manifest = manifest.replace("fragment: \"shadow.frag\"", "fragment: \"no_shadow.frag\"");
    std::fs::write(copy.join("pipelines.ron"), &manifest).unwrap();

    std::env::set_current_dir(&copy).unwrap();
    let failure = vkcompose_codegen::Builder::new("shaders", "pipelines.ron")
        .runtime_path("::vkcompose::pipelines")
        .out_dir(copy.join("out"))
        .cache(false)
        .generate()
        .expect_err("the broken copy must not build");
    let messages: Vec<String> = failure
        .diagnostics
        .errors()
        .map(|d| d.to_string())
        .collect();
    eprintln!("{}", messages.join("\n"));
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let wgsl_line = line_of(&wgsl, "no_such_size");
    let column = wgsl
        .lines()
        .nth(wgsl_line - 1)
        .unwrap()
        .find("no_such_size")
        .unwrap()
        + 1;
    let expected = format!("shaders/decorations.wgsl:{wgsl_line}:{column}: error");
    assert!(
        messages.iter().any(|m| m.starts_with(&expected)),
        "no `{expected}` in {messages:?}"
    );
    let ron_line = line_of(&manifest, "no_shadow.frag");
    let expected = format!("pipelines.ron:{ron_line}:");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with(&expected) && m.contains("no_shadow.frag")),
        "no `{expected}` naming the missing file in {messages:?}"
    );
    let _ = std::fs::remove_dir_all(&copy);
}
