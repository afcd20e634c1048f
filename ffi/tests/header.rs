//! The committed header is exactly what cbindgen generates from the sources.
//!
//! build.rs always writes a fresh generation to `OUT_DIR`; outside CI it also
//! refreshes `include/agent_oauth.h` (commit it). With `CI` set it leaves the
//! committed file alone, so this test catches a header that was not
//! regenerated and committed after an API change.

#[test]
fn header_matches_fresh_cbindgen_generation() {
    let fresh = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/agent_oauth.h"))
        .expect("build.rs generates the header into OUT_DIR");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../include/agent_oauth.h"
    ))
    .expect("include/agent_oauth.h");
    if fresh != committed {
        let line = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .map_or(fresh.lines().count().min(committed.lines().count()), |i| i);
        panic!(
            "include/agent_oauth.h differs from a fresh cbindgen generation (first at line {}); \
             run `cargo build -p agent-oauth-ffi` without CI set and commit the header",
            line + 1
        );
    }
}
