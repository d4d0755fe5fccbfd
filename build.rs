//! Compiles the GResource bundle into the binary and the GSettings schema into OUT_DIR,
//! so `cargo run` and `cargo test` work without meson or an install.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    glib_build_tools::compile_resources(
        &["data/resources"],
        "data/resources/resources.gresource.xml",
        "hangar.gresource",
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let schemas = out.join("schemas");
    std::fs::create_dir_all(&schemas).expect("create schema dir");
    std::fs::copy(
        "data/io.github.hangar.Hangar.gschema.xml",
        schemas.join("io.github.hangar.Hangar.gschema.xml"),
    )
    .expect("copy schema");
    let status = Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&schemas)
        .status()
        .expect("glib-compile-schemas (package libglib2.0-bin) must be installed");
    assert!(status.success(), "glib-compile-schemas failed");
    println!("cargo:rerun-if-changed=data/io.github.hangar.Hangar.gschema.xml");
    println!("cargo:rerun-if-changed=data/demo/demo-node.xml");
    println!("cargo:rerun-if-changed=data/icons");
}
