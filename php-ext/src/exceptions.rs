//! The exception hierarchy, and the one function that maps a core error to
//! it ([`from_core`]).
//!
//! The classes are plain internal classes registered with `ClassBuilder` at
//! module startup, with no Rust object behind them, so PHP code can catch,
//! construct and extend them like any `\Exception`. Each carries the Glue
//! code and HTTP status of its failure in protected properties, read through
//! `getGlueCode()` and `getHttpStatus()`; a subclass re-declares the
//! defaults, and [`from_core`] writes the values of the actual error.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::{Mutex, OnceLock};

use agent_oauth_core::Error;
use ext_php_rs::{
    args::ArgInfoTables,
    boxed::ZBox,
    builders::{ClassBuilder, ClassProperty, FunctionBuilder},
    convert::IntoZval,
    exception::PhpException,
    flags::{DataType, MethodFlags, PropertyFlags},
    types::{ZendObject, Zval},
    zend::{ClassEntry, ExecuteData, ExecutorGlobals, ce, run_handler},
};

/// The address of a class entry registered at startup; `&ClassEntry` is not
/// `Sync`, so the cell keeps the address.
struct CePtr(usize);

/// The exception classes, in registration order (parents first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Base,
    AuthenticationFailed,
    InvalidAccessToken,
    AgentOnly,
    CustomerOnly,
    ImpersonationFailed,
    TooManyAttempts,
    RefreshFailed,
    InvalidRequest,
    Configuration,
    Internal,
    Directory,
    Overloaded,
}

/// Name, parent and the core error each class stands for, whose Glue code
/// and HTTP status (decided in core, never restated here) are the class's
/// defaults.
struct Spec {
    class: Class,
    name: &'static str,
    parent: Option<Class>,
    typical: fn() -> Error,
}

impl Spec {
    fn glue(&self) -> Option<&'static str> {
        (self.typical)().glue_code()
    }

    fn status(&self) -> i64 {
        i64::from((self.typical)().http_status())
    }
}

const SPECS: [Spec; 13] = [
    spec(Class::Base, "Exception", None, || {
        Error::Internal(String::new())
    }),
    spec(
        Class::AuthenticationFailed,
        "AuthenticationFailedException",
        Some(Class::Base),
        || Error::AuthenticationFailed,
    ),
    spec(
        Class::InvalidAccessToken,
        "InvalidAccessTokenException",
        Some(Class::Base),
        || Error::InvalidAccessToken,
    ),
    spec(
        Class::AgentOnly,
        "AgentOnlyException",
        Some(Class::Base),
        || Error::AgentOnly,
    ),
    spec(
        Class::CustomerOnly,
        "CustomerOnlyException",
        Some(Class::Base),
        || Error::CustomerOnly,
    ),
    spec(
        Class::ImpersonationFailed,
        "ImpersonationFailedException",
        Some(Class::Base),
        || Error::ImpersonationFailed,
    ),
    spec(
        Class::TooManyAttempts,
        "TooManyAttemptsException",
        Some(Class::Base),
        || Error::TooManyAttempts { retry_after: 0 },
    ),
    spec(
        Class::RefreshFailed,
        "RefreshFailedException",
        Some(Class::Base),
        || Error::RefreshFailed,
    ),
    spec(
        Class::InvalidRequest,
        "InvalidRequestException",
        Some(Class::Base),
        || Error::InvalidRequest(String::new()),
    ),
    spec(
        Class::Configuration,
        "ConfigurationException",
        Some(Class::Base),
        || Error::Config(String::new()),
    ),
    spec(
        Class::Internal,
        "InternalException",
        Some(Class::Base),
        || Error::Internal(String::new()),
    ),
    spec(
        Class::Directory,
        "DirectoryException",
        Some(Class::Internal),
        || Error::Directory(String::new()),
    ),
    spec(
        Class::Overloaded,
        "OverloadedException",
        Some(Class::Base),
        || Error::Overloaded,
    ),
];

const fn spec(
    class: Class,
    name: &'static str,
    parent: Option<Class>,
    typical: fn() -> Error,
) -> Spec {
    Spec {
        class,
        name,
        parent,
        typical,
    }
}

const NAMESPACE: &str = "AgentOauth\\";

static ENTRIES: [OnceLock<CePtr>; SPECS.len()] = [const { OnceLock::new() }; SPECS.len()];

/// The argument-info tables of hand-registered methods must live as long as
/// the process. They are `!Send`, hence the wrapper; only MINIT touches them.
struct Parked(#[allow(dead_code)] ArgInfoTables);
// SAFETY: written once during module startup, on the thread that loads the
// module, and never read from Rust afterwards.
unsafe impl Send for Parked {}
static ARG_INFO: Mutex<Vec<Parked>> = Mutex::new(Vec::new());

/// The class entry of `class`. Registered at startup, before any PHP code runs.
pub fn class_entry(class: Class) -> &'static ClassEntry {
    let cell = &ENTRIES[class as usize];
    // SAFETY: set once at module startup to a class entry that lives as long
    // as the process; startup fails (and the module does not load) otherwise.
    unsafe {
        &*(cell
            .get()
            .expect("exception classes are registered at startup")
            .0 as *const ClassEntry)
    }
}

fn base_entry() -> &'static ClassEntry {
    class_entry(Class::Base)
}

fn internal_entry() -> &'static ClassEntry {
    class_entry(Class::Internal)
}

fn property(
    name: &str,
    default: impl FnOnce() -> ext_php_rs::error::Result<Zval> + 'static,
) -> ClassProperty {
    ClassProperty {
        name: name.into(),
        flags: PropertyFlags::Protected,
        default: Some(Box::new(default)),
        docs: &[],
        ty: None,
        nullable: false,
        readonly: false,
        default_stub: None,
    }
}

/// A property default of an internal class must not be refcounted: strings
/// are interned.
fn glue_default(glue: Option<&'static str>) -> ext_php_rs::error::Result<Zval> {
    let mut z = Zval::new();
    match glue {
        Some(code) => z.set_interned_string(code, true)?,
        None => z.set_null(),
    }
    Ok(z)
}

/// Reads a property of `$this` inside one of the classes' own methods, where
/// the protected properties are in scope.
fn this_property(ex: &mut ExecuteData, name: &str) -> Option<Zval> {
    ex.get_self()
        .and_then(|o| o.get_property::<&Zval>(name).ok())
        .map(Zval::shallow_clone)
}

extern "C" fn get_glue_code(ex: &mut ExecuteData, retval: &mut Zval) {
    run_handler(AssertUnwindSafe(|| {
        if ex.parser().parse().is_err() {
            return; // ArgumentCountError is thrown already.
        }
        match this_property(ex, "glueCode").as_ref().and_then(Zval::str) {
            Some(code) => {
                let _ = retval.set_string(code, false);
            }
            None => retval.set_null(),
        }
    }));
}

extern "C" fn get_http_status(ex: &mut ExecuteData, retval: &mut Zval) {
    run_handler(AssertUnwindSafe(|| {
        if ex.parser().parse().is_err() {
            return;
        }
        let status = this_property(ex, "httpStatus").and_then(|z| z.long());
        retval.set_long(status.unwrap_or(500));
    }));
}

extern "C" fn get_retry_after(ex: &mut ExecuteData, retval: &mut Zval) {
    run_handler(AssertUnwindSafe(|| {
        if ex.parser().parse().is_err() {
            return;
        }
        let seconds = this_property(ex, "retryAfter").and_then(|z| z.long());
        retval.set_long(seconds.unwrap_or(0));
    }));
}

fn park(arg_info: ArgInfoTables) {
    ARG_INFO
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Parked(arg_info));
}

/// Stores the registered entry of each class; `registration` takes a plain
/// function, hence one per class.
macro_rules! registration {
    ($class:expr) => {
        |entry: &'static mut ClassEntry, arg_info: ArgInfoTables| {
            let _ = ENTRIES[$class as usize].set(CePtr(std::ptr::from_mut(entry) as usize));
            park(arg_info);
        }
    };
}

fn registration_of(class: Class) -> fn(&'static mut ClassEntry, ArgInfoTables) {
    match class {
        Class::Base => registration!(Class::Base),
        Class::AuthenticationFailed => registration!(Class::AuthenticationFailed),
        Class::InvalidAccessToken => registration!(Class::InvalidAccessToken),
        Class::AgentOnly => registration!(Class::AgentOnly),
        Class::CustomerOnly => registration!(Class::CustomerOnly),
        Class::ImpersonationFailed => registration!(Class::ImpersonationFailed),
        Class::TooManyAttempts => registration!(Class::TooManyAttempts),
        Class::RefreshFailed => registration!(Class::RefreshFailed),
        Class::InvalidRequest => registration!(Class::InvalidRequest),
        Class::Configuration => registration!(Class::Configuration),
        Class::Internal => registration!(Class::Internal),
        Class::Directory => registration!(Class::Directory),
        Class::Overloaded => registration!(Class::Overloaded),
    }
}

/// Registers every class. Runs in MINIT, before any PHP code.
pub fn register() -> ext_php_rs::error::Result<()> {
    for spec in &SPECS {
        let (glue, status) = (spec.glue(), spec.status());
        let name = format!("{NAMESPACE}{}", spec.name);
        let mut builder = match spec.parent {
            None => ClassBuilder::new(name).extends((ce::exception, "\\Exception")),
            Some(Class::Internal) => {
                ClassBuilder::new(name).extends((internal_entry, "\\AgentOauth\\InternalException"))
            }
            Some(_) => ClassBuilder::new(name).extends((base_entry, "\\AgentOauth\\Exception")),
        };
        builder = builder
            .property(property("glueCode", move || glue_default(glue)))
            .property(property("httpStatus", move || status.into_zval(true)));
        if spec.class == Class::Base {
            builder = builder
                .method(
                    FunctionBuilder::new("getGlueCode", get_glue_code).returns(
                        DataType::String,
                        false,
                        true,
                    ),
                    MethodFlags::Public,
                )
                .method(
                    FunctionBuilder::new("getHttpStatus", get_http_status).returns(
                        DataType::Long,
                        false,
                        false,
                    ),
                    MethodFlags::Public,
                );
        }
        if spec.class == Class::TooManyAttempts {
            builder = builder
                .property(property("retryAfter", || 0i64.into_zval(true)))
                .method(
                    FunctionBuilder::new("getRetryAfter", get_retry_after).returns(
                        DataType::Long,
                        false,
                        false,
                    ),
                    MethodFlags::Public,
                );
        }
        builder
            .registration(registration_of(spec.class))
            .register()?;
    }
    Ok(())
}

thread_local! {
    /// The exception a host callable threw during the current engine call,
    /// attached as `previous` to the exception that call ends with.
    static CALLABLE_FAILURE: RefCell<Option<ZBox<ZendObject>>> = const { RefCell::new(None) };
}

/// Keeps the exception a host callable threw, until [`from_core`] or
/// [`forget_callable_failure`] takes it.
pub fn keep_callable_failure(exception: Option<ZBox<ZendObject>>) {
    CALLABLE_FAILURE.with(|slot| *slot.borrow_mut() = exception);
}

/// Drops a kept callable exception that no error claimed (the core went on
/// without the directory's answer). Runs before PHP frees the request.
pub fn forget_callable_failure() {
    let kept = CALLABLE_FAILURE.with(|slot| slot.borrow_mut().take());
    drop(kept);
}

/// The exception class of each core error. Everything the core does not
/// classify as a request failure is internal.
fn class_of(error: &Error) -> Class {
    match error {
        Error::AuthenticationFailed => Class::AuthenticationFailed,
        Error::TooManyAttempts { .. } => Class::TooManyAttempts,
        Error::InvalidAccessToken | Error::InvalidAgentAccessToken | Error::MissingAccessToken => {
            Class::InvalidAccessToken
        }
        Error::AgentOnly => Class::AgentOnly,
        Error::CustomerOnly => Class::CustomerOnly,
        Error::ImpersonationFailed => Class::ImpersonationFailed,
        Error::RefreshFailed => Class::RefreshFailed,
        Error::InvalidRequest(_) => Class::InvalidRequest,
        Error::Config(_) => Class::Configuration,
        Error::Directory(_) => Class::Directory,
        Error::Overloaded => Class::Overloaded,
        _ => Class::Internal,
    }
}

/// The one mapping from a core error to a PHP exception: the class by the
/// error, message, Glue code and HTTP status from the core, `getCode()` the
/// Glue code as an integer (0 for internal errors), and for a failing host
/// callable its own exception as `previous`.
pub fn from_core(error: Error) -> PhpException {
    let class = class_of(&error);
    let previous = match class {
        Class::Directory => CALLABLE_FAILURE.with(|slot| slot.borrow_mut().take()),
        _ => None,
    };
    let retry_after = match error {
        Error::TooManyAttempts { retry_after } => Some(retry_after),
        _ => None,
    };
    throwable(
        class,
        &error.to_string(),
        error.glue_code(),
        i64::from(error.http_status()),
        retry_after,
        previous,
    )
}

/// A `TypeError` with this message, for argument shapes that ext-php-rs cannot
/// check by itself (headers, nested arrays).
pub fn type_error(message: impl Into<String>) -> PhpException {
    PhpException::new(message.into(), 0, ce::type_error())
}

fn throwable(
    class: Class,
    message: &str,
    glue: Option<&str>,
    status: i64,
    retry_after: Option<u64>,
    previous: Option<ZBox<ZendObject>>,
) -> PhpException {
    let entry = class_entry(class);
    let build = || -> ext_php_rs::error::Result<Zval> {
        let mut object = ZendObject::new(entry);
        let previous = match previous {
            Some(p) => p.into_zval(false)?,
            None => Zval::null(),
        };
        let code: i64 = glue.and_then(|g| g.parse().ok()).unwrap_or(0);
        object.try_call_method("__construct", vec![&message, &code, &previous])?;
        // The properties are protected: write them in the class's own scope,
        // as zend_update_property() does.
        let saved = {
            let mut globals = ExecutorGlobals::get_mut();
            std::mem::replace(
                &mut globals.fake_scope,
                std::ptr::from_ref(entry).cast_mut(),
            )
        };
        let mut written = object.set_property("httpStatus", status);
        if written.is_ok() {
            written = match glue {
                Some(glue) => object.set_property("glueCode", glue),
                None => object.set_property("glueCode", Zval::null()),
            };
        }
        if let (Ok(()), Some(seconds)) = (&written, retry_after) {
            written = object.set_property("retryAfter", i64::try_from(seconds).unwrap_or(i64::MAX));
        }
        ExecutorGlobals::get_mut().fake_scope = saved;
        written?;
        object.into_zval(false)
    };
    match build() {
        // With an object attached, the message, code and class given here are unused.
        Ok(object) => PhpException::new(String::new(), 0, entry).with_object(object),
        Err(e) => PhpException::new(
            format!("{message} (the exception object could not be built: {e})"),
            0,
            entry,
        ),
    }
}
