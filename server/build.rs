//! Compiles `proto/recguard/v1/sidecar.proto` (with protox, in Rust: no
//! protoc needed) into the gRPC service's messages, server and client, and
//! keeps its descriptors for the JSON mapping (`src/grpc.rs`).

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["recguard/v1/sidecar.proto"], ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("sidecar_descriptors.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure().build_transport(false).compile_fds(descriptors)?;
    Ok(())
}
