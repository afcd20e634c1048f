//! Host directories through C callbacks (D19): answers, failures, the
//! re-hash write-back and the ownership of `user_data`.

mod common;

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use agent_oauth::*;
use agent_oauth_core::password::{Argon2Config, Argon2Hasher, PasswordHasher};
use agent_oauth_core::random::OsRandom;
use common::*;

/// The host's data behind `user_data`.
#[derive(Default)]
struct Shop {
    agents: HashMap<String, String>,
    customers: HashMap<String, String>,
    /// What `find_agent` answers instead of looking up, when set.
    agent_answer: Mutex<Option<(c_int, Option<&'static str>)>>,
    rehashed: Mutex<Vec<(i64, String, String)>>,
    lookups: AtomicUsize,
}

fn hash(password: &str, memory_kib: u32) -> String {
    let config = Argon2Config {
        memory_kib,
        iterations: 1,
        parallelism: 1,
    };
    Argon2Hasher::new(config, std::sync::Arc::new(OsRandom))
        .unwrap()
        .hash(password.as_bytes())
        .unwrap()
}

fn shop(agent_hash_memory_kib: u32) -> Shop {
    let mut shop = Shop::default();
    let agent = serde_json::json!({
        "id": 7, "username": AGENT, "password_hash": hash(PASSWORD, agent_hash_memory_kib), "status": "active"
    });
    shop.agents.insert(AGENT.into(), agent.to_string());
    for id in 1..=3 {
        shop.customers
            .insert(format!("DE--{id}"), customer_json(id, true));
    }
    shop
}

unsafe fn shop_of<'a>(user_data: *mut c_void) -> &'a Shop {
    unsafe { &*user_data.cast::<Shop>() }
}

fn answer(out: *mut ao_buffer, json: &str) -> c_int {
    assert_eq!(
        unsafe { ao_buffer_set(out, json.as_ptr().cast(), json.len()) },
        ao_result::Ok
    );
    AO_HOST_OK
}

unsafe extern "C" fn find_agent(
    user_data: *mut c_void,
    username: *const c_char,
    out: *mut ao_buffer,
) -> c_int {
    let shop = unsafe { shop_of(user_data) };
    shop.lookups.fetch_add(1, Ordering::Relaxed);
    let forced = *shop.agent_answer.lock().unwrap();
    if let Some((status, json)) = forced {
        if let Some(json) = json {
            answer(out, json);
        }
        return status;
    }
    let username = unsafe { CStr::from_ptr(username) }.to_str().unwrap();
    match shop.agents.get(username) {
        Some(json) => answer(out, json),
        None => AO_HOST_NOT_FOUND,
    }
}

unsafe extern "C" fn find_customer(
    user_data: *mut c_void,
    reference: *const c_char,
    out: *mut ao_buffer,
) -> c_int {
    let shop = unsafe { shop_of(user_data) };
    let reference = unsafe { CStr::from_ptr(reference) }.to_str().unwrap();
    match shop.customers.get(reference) {
        Some(json) => answer(out, json),
        None => AO_HOST_NOT_FOUND,
    }
}

unsafe extern "C" fn search_customers(
    user_data: *mut c_void,
    q: *const c_char,
    offset: u32,
    limit: u32,
    out: *mut ao_buffer,
) -> c_int {
    let shop = unsafe { shop_of(user_data) };
    let q = unsafe { CStr::from_ptr(q) }
        .to_str()
        .unwrap()
        .to_lowercase();
    let mut all: Vec<serde_json::Value> = shop
        .customers
        .values()
        .map(|j| serde_json::from_str(j).unwrap())
        .filter(|c: &serde_json::Value| c["email"].as_str().unwrap().starts_with(&q))
        .collect();
    all.sort_by_key(|c| c["id_customer"].as_i64());
    let page: Vec<_> = all
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    answer(
        out,
        &serde_json::json!({"customers": page, "total": all.len()}).to_string(),
    )
}

unsafe extern "C" fn update_password_hash(
    user_data: *mut c_void,
    agent_id: i64,
    username: *const c_char,
    new_hash: *const c_char,
) -> c_int {
    let shop = unsafe { shop_of(user_data) };
    let text = |p| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    shop.rehashed
        .lock()
        .unwrap()
        .push((agent_id, text(username), text(new_hash)));
    AO_HOST_OK
}

static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn free_shop(user_data: *mut c_void) {
    drop(unsafe { Box::from_raw(user_data.cast::<Shop>()) });
    FREED.fetch_add(1, Ordering::SeqCst);
}

fn table(shop: &Shop) -> ao_host_directory {
    ao_host_directory {
        user_data: (shop as *const Shop).cast_mut().cast(),
        find_agent: Some(find_agent),
        find_customer: Some(find_customer),
        search_customers: Some(search_customers),
        update_password_hash: Some(update_password_hash),
        free_user_data: None,
    }
}

fn try_login(engine: *const ao_engine, password: &str) -> ao_result {
    let mut out = ptr::null_mut();
    let rc = unsafe {
        ao_engine_agent_login(
            engine,
            c(AGENT).as_ptr(),
            c(password).as_ptr(),
            c(IP).as_ptr(),
            &mut out,
        )
    };
    unsafe { ao_token_response_free(out) };
    rc
}

#[test]
fn host_directory_answers_login_impersonation_and_search() {
    let shop = shop(256);
    let engine = engine_with("", Some(&table(&shop)));
    unsafe { ao_engine_install_scopes(engine, ptr::null_mut()) };
    let agent = login(engine);
    let customer = impersonate(engine, &agent.access, "DE--2");
    let mut claims = ptr::null_mut();
    unsafe {
        assert_eq!(
            ao_engine_verify_strict(engine, c(&customer.access).as_ptr(), &mut claims),
            ao_result::Ok
        );
        let mut act = 0;
        assert_eq!(ao_claims_act_agent_id(claims, &mut act), ao_result::Ok);
        assert_eq!(act, 7);
        ao_claims_free(claims);
        let mut json = ptr::null_mut();
        assert_eq!(
            ao_engine_search_customers(engine, c("CUSTOMER").as_ptr(), 2, 2, &mut json),
            ao_result::Ok
        );
        let page: serde_json::Value = serde_json::from_str(&take(json)).unwrap();
        assert_eq!(page["total"], 3);
        assert_eq!(page["customers"][0]["customer_reference"], "DE--3");
        let mut json: *mut c_char = sentinel();
        assert_eq!(
            ao_engine_find_customer(engine, c("DE--9").as_ptr(), &mut json),
            ao_result::NotFound
        );
        ao_engine_free(engine);
    }
    // The hash had the configured parameters: no write-back.
    assert!(shop.rehashed.lock().unwrap().is_empty());
}

#[test]
fn an_outdated_hash_is_written_back_through_the_host() {
    let shop = shop(512);
    let engine = engine_with("", Some(&table(&shop)));
    unsafe { ao_engine_install_scopes(engine, ptr::null_mut()) };
    login(engine);
    let rehashed = shop.rehashed.lock().unwrap().clone();
    assert_eq!(rehashed.len(), 1);
    assert_eq!((rehashed[0].0, rehashed[0].1.as_str()), (7, AGENT));
    assert!(
        rehashed[0].2.starts_with("$argon2id$v=19$m=256,t=1,p=1$"),
        "{}",
        rehashed[0].2
    );
    unsafe { ao_engine_free(engine) };
}

#[test]
fn failing_or_malformed_callbacks_are_directory_errors_never_4101() {
    let cases: [(c_int, Option<&'static str>, &str); 5] = [
        (AO_HOST_ERROR, None, "find_agent failed with status 2"),
        (7, None, "find_agent failed with status 7"),
        (
            AO_HOST_OK,
            None,
            "find_agent answered AO_HOST_OK without calling ao_buffer_set",
        ),
        (
            AO_HOST_OK,
            Some("{\"id\":1"),
            "find_agent answered malformed JSON",
        ),
        (
            AO_HOST_OK,
            Some(r#"{"id":1,"username":"a","password_hash":"x","status":"gone"}"#),
            "find_agent answered malformed JSON",
        ),
    ];
    for (status, json, message) in cases {
        let shop = shop(256);
        *shop.agent_answer.lock().unwrap() = Some((status, json));
        // Lockout after 2 failures: directory failures must not count.
        let engine = engine_with(
            r#""lockout":{"max_failures":2,"window":900,"block":360}"#,
            Some(&table(&shop)),
        );
        for _ in 0..3 {
            let rc = try_login(engine, PASSWORD);
            assert_eq!(rc, ao_result::Directory, "{message}");
            assert!(
                last_error().starts_with(&format!("Directory error: {message}")),
                "{}",
                last_error()
            );
            assert_eq!(ao_result_http_status(rc as u32), 500);
            assert!(ao_result_glue_code(rc as u32).is_null());
        }
        // Over Glue the same failure is a plain 500.
        let body = format!(
            r#"{{"data":{{"type":"agent-access-tokens","attributes":{{"username":"{AGENT}","password":"x"}}}}}}"#
        );
        let mut out = ptr::null_mut();
        unsafe {
            let rc = ao_engine_handle_glue(
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
            );
            assert_eq!(rc, ao_result::Ok);
            assert_eq!(ao_glue_response_status(out), 500);
            let mut len = 0;
            let bytes = ao_glue_response_body(out, &mut len);
            assert_eq!(
                std::slice::from_raw_parts(bytes, len),
                br#"{"errors":[{"status":500,"detail":"Internal Server Error"}]}"#
            );
            ao_glue_response_free(out);
        }
        // Once the host works again the agent logs in: nothing was counted.
        *shop.agent_answer.lock().unwrap() = None;
        assert_eq!(
            try_login(engine, PASSWORD),
            ao_result::Ok,
            "{message}: {}",
            last_error()
        );
        unsafe { ao_engine_free(engine) };
    }
}

#[test]
fn a_username_with_a_nul_byte_finds_no_agent() {
    let shop = shop(256);
    let engine = engine_with("", Some(&table(&shop)));
    let body = br#"{"data":{"type":"agent-access-tokens","attributes":{"username":"admin\u0000x","password":"change123"}}}"#;
    let mut out = ptr::null_mut();
    unsafe {
        let rc = ao_engine_handle_glue(
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
        );
        assert_eq!(rc, ao_result::Ok);
        assert_eq!(ao_glue_response_status(out), 401);
        ao_glue_response_free(out);
        ao_engine_free(engine);
    }
    assert_eq!(shop.lookups.load(Ordering::Relaxed), 0);
}

#[test]
fn search_without_a_search_callback_is_a_directory_error() {
    let shop = shop(256);
    let mut table = table(&shop);
    table.search_customers = None;
    let engine = engine_with("", Some(&table));
    let mut json: *mut c_char = sentinel();
    unsafe {
        let rc = ao_engine_search_customers(engine, c("").as_ptr(), 0, 0, &mut json);
        assert_eq!(rc, ao_result::Directory);
        assert_eq!(
            last_error(),
            "Directory error: the host directory has no search_customers callback"
        );
        ao_engine_free(engine);
    }
    assert_eq!(json, sentinel());
}

#[test]
fn inconsistent_callback_sets_are_invalid_arguments() {
    let shop = shop(256);
    let json = c(&config(""));
    let mut out: *mut ao_engine = sentinel();
    let mut none = table(&shop);
    none.find_agent = None;
    none.find_customer = None;
    none.search_customers = None;
    none.update_password_hash = None;
    let mut search_only = table(&shop);
    search_only.find_customer = None;
    let mut rehash_only = table(&shop);
    rehash_only.find_agent = None;
    for (t, message) in [
        (
            none,
            "host directory: set find_agent, find_customer or both",
        ),
        (
            search_only,
            "host directory: search_customers needs find_customer",
        ),
        (
            rehash_only,
            "host directory: update_password_hash needs find_agent",
        ),
    ] {
        assert_eq!(
            unsafe { ao_engine_new(json.as_ptr(), &t, &mut out) },
            ao_result::InvalidArgument
        );
        assert_eq!(last_error(), message);
    }
    assert_eq!(out, sentinel());
}

#[test]
fn user_data_is_freed_once_with_the_engine_and_never_on_failure() {
    let before = FREED.load(Ordering::SeqCst);
    let user_data = Box::into_raw(Box::new(shop(256)));
    let mut t = table(unsafe { &*user_data });
    t.free_user_data = Some(free_shop);
    let mut engine: *mut ao_engine = sentinel();
    // A failed ao_engine_new leaves user_data to the host.
    let bad = c(r#"{"database_path":":memory:"}"#);
    assert_eq!(
        unsafe { ao_engine_new(bad.as_ptr(), &t, &mut engine) },
        ao_result::Config
    );
    assert_eq!(FREED.load(Ordering::SeqCst), before);
    let engine = engine_with("", Some(&t));
    unsafe { ao_engine_install_scopes(engine, ptr::null_mut()) };
    login(engine);
    assert_eq!(FREED.load(Ordering::SeqCst), before);
    unsafe { ao_engine_free(engine) };
    assert_eq!(FREED.load(Ordering::SeqCst), before + 1);
}
