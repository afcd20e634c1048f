//! The panic boundary: no Rust panic ever unwinds into C.
//!
//! Every exported body runs in [`call`] (functions returning `ao_result`) or
//! [`value`] (accessors returning a pointer or a number). A panic becomes
//! `AO_RESULT_PANIC` (or NULL, 0, nothing), and its message becomes the
//! calling thread's last error instead of going to stderr; set
//! `AO_DEBUG_PANICS=1` to have it printed as well.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Failure, ao_result, set_last_error};

thread_local! {
    /// How many boundaries are active on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The message (with its location) the hook captured for the innermost boundary.
    static MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn depth() -> u32 {
    DEPTH.try_with(Cell::get).unwrap_or(0)
}

/// Panics inside a boundary are captured silently; any other panic (in a
/// Rust program linking the rlib) goes to the previous hook. In the cdylib
/// and the staticlib the hook belongs to the library's private copy of std.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        let verbose = std::env::var_os("AO_DEBUG_PANICS").is_some();
        panic::set_hook(Box::new(move |info| {
            let inside = depth() > 0;
            if !inside || verbose {
                previous(info);
            }
            if inside {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let text = payload_text(info.payload());
                let _ = MESSAGE.try_with(|m| {
                    *m.borrow_mut() = Some(format!("internal error (panic{location}): {text}"))
                });
            }
        }));
    });
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    install_hook();
    let _ = DEPTH.try_with(|d| d.set(d.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let _ = DEPTH.try_with(|d| d.set(d.get() - 1));
    result.map_err(|payload| {
        MESSAGE
            .try_with(|m| m.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_else(|| payload_text(&*payload))
    })
}

/// The boundary of a function returning `ao_result`. `owner` is the handle
/// the call is made on (NULL if none): a failure's message is recorded for
/// it as the calling thread's last error.
pub(crate) fn call<H>(owner: *const H, f: impl FnOnce() -> Result<(), Failure>) -> ao_result {
    match catch(f) {
        Ok(Ok(())) => ao_result::Ok,
        Ok(Err(failure)) => {
            set_last_error(owner as usize, failure.message);
            failure.code
        }
        Err(message) => {
            set_last_error(owner as usize, message);
            ao_result::Panic
        }
    }
}

/// The boundary of a function returning a plain value: a panic gives the
/// type's neutral value (NULL, 0, nothing) and records its message.
pub(crate) fn value<R: PanicValue>(f: impl FnOnce() -> R) -> R {
    catch(f).unwrap_or_else(|message| {
        set_last_error(0, message);
        R::panic_value()
    })
}

/// What a value-returning exported function gives back after a panic.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

macro_rules! zero_on_panic {
    ($($t:ty),*) => {$(
        impl PanicValue for $t {
            fn panic_value() -> Self {
                0
            }
        }
    )*};
}

zero_on_panic!(u16, i32, i64, u32, usize);

impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}
