//! Builds every policy component (reference and test policies) before the
//! integration tests compile, and generates constants with their paths.

use std::fmt::Write;

fn main() {
    let root = xtask::workspace_root();
    for watched in ["wit", "guest-sdk/src", "guest-sdk/js", "guest-sdk/python", "build/src", "policies", "tests/policies"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let built = match xtask::build_policies(&root, &[]) {
        Ok(built) => built,
        Err(error) => panic!("building the policy components failed: {error:#}"),
    };
    let mut constants = String::new();
    for path in built {
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("component file name");
        let name = stem.to_uppercase().replace('-', "_");
        writeln!(constants, "/// The compiled `{stem}` component.\npub const {name}: &str = {:?};", path.display().to_string())
            .expect("write to a string");
    }
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("components.rs"), constants).expect("write components.rs");
    let root_constant = format!("/// The workspace root.\nconst WORKSPACE_ROOT: &str = {:?};\n", root.display().to_string());
    std::fs::write(out_dir.join("workspace.rs"), root_constant).expect("write workspace.rs");
}
