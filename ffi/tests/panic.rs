//! The panic boundary: a panic inside the engine becomes `AO_RESULT_PANIC`
//! with a message, leaves out-parameters alone, and the engine stays usable.

mod common;

use std::ptr;
use std::sync::Arc;

use agent_oauth::*;
use agent_oauth_core::directory::{Agent, AgentDirectory};
use agent_oauth_core::password::Argon2Config;
use agent_oauth_core::{Engine, Result};
use common::*;

/// A directory with a bug.
struct Panicking;

impl AgentDirectory for Panicking {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        panic!("deliberate panic looking up {username}");
    }
}

fn engine() -> *mut ao_engine {
    let core = Engine::builder()
        .private_key_path(KEY_PATH)
        .database_path(":memory:")
        .argon2(Argon2Config {
            memory_kib: 256,
            iterations: 1,
            parallelism: 1,
        })
        .agent_directory(Arc::new(Panicking))
        .build()
        .unwrap();
    ao_engine::from_core(core)
}

#[test]
fn a_panic_in_the_engine_is_the_panic_code_with_its_message() {
    let engine = engine();
    let mut out: *mut ao_token_response = sentinel();
    let rc = unsafe {
        ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(PASSWORD).as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        )
    };
    assert_eq!(rc, ao_result::Panic);
    assert_eq!(out, sentinel());
    let message = borrowed(unsafe { ao_engine_last_error(engine) }).unwrap();
    assert!(
        message.starts_with("internal error (panic at ffi/tests/panic.rs:"),
        "{message}"
    );
    assert!(
        message.ends_with("deliberate panic looking up admin@spryker.com"),
        "{message}"
    );
    assert_eq!(ao_result_http_status(rc as u32), 500);
    assert!(ao_result_glue_code(rc as u32).is_null());

    // The engine still works.
    let mut pem = ptr::null_mut();
    assert_eq!(
        unsafe { ao_engine_public_key_pem(engine, &mut pem) },
        ao_result::Ok
    );
    take(pem);
    unsafe { ao_engine_free(engine) };
}

#[test]
fn a_panic_under_the_glue_handler_is_the_panic_code() {
    let engine = engine();
    let body = format!(
        r#"{{"data":{{"type":"agent-access-tokens","attributes":{{"username":"{AGENT}","password":"x"}}}}}}"#
    );
    let mut out: *mut ao_glue_response = sentinel();
    let rc = unsafe {
        ao_engine_handle_glue(
            engine,
            c("POST").as_ptr(),
            c("/agent-access-tokens").as_ptr(),
            ptr::null(),
            ptr::null(),
            ptr::null(),
            0,
            body.as_ptr(),
            body.len(),
            c(IP).as_ptr(),
            &mut out,
        )
    };
    assert_eq!(rc, ao_result::Panic);
    assert_eq!(out, sentinel());
    assert!(last_error().contains("deliberate panic"));
    unsafe { ao_engine_free(engine) };
}

#[test]
fn panics_on_many_threads_stay_on_their_threads() {
    let engine = engine();
    let address = engine as usize;
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let engine = address as *const ao_engine;
                for _ in 0..10 {
                    let mut out: *mut ao_token_response = sentinel();
                    let rc = unsafe {
                        ao_engine_agent_login(
                            engine,
                            c(AGENT).as_ptr(),
                            c("x").as_ptr(),
                            c(IP).as_ptr(),
                            &mut out,
                        )
                    };
                    assert_eq!(rc, ao_result::Panic);
                    assert!(last_error().contains("deliberate panic"));
                    // A failure that is not a panic replaces it.
                    let rc =
                        unsafe { ao_engine_verify(engine, c("x").as_ptr(), &mut ptr::null_mut()) };
                    assert_eq!(rc, ao_result::InvalidAccessToken);
                    assert_eq!(last_error(), "Invalid access token.");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    unsafe { ao_engine_free(engine) };
}
