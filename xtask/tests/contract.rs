//! The contract's generated types are what `wit/` gives: regenerates them and
//! fails naming any checked-in file that differs.

#[test]
fn the_generated_contract_types_are_current() {
    let root = xtask::workspace_root();
    let stale = xtask::contract::run(&root, true).expect("the WIT parses");
    assert!(stale.is_empty(), "out of date with wit/: {stale:?}; run `cargo run -p xtask -- contract`");
}
