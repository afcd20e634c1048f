//! Host directories (D19): PHP callables that find agents and customers in
//! the shop's own tables.
//!
//! The callables belong to a PHP `Engine` object (D20), while the Rust engine
//! may be shared by every `Engine` object of the process. So the Rust engine
//! is built with one [`HostDirectory`] that asks the callables of the PHP
//! object whose method is running: each method enters a [`Scope`] that makes
//! its object's callables current on this thread. With no callable set, the
//! engine's own database answers.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{OnceLock, Weak};

use agent_oauth_core::directory::{
    Agent, AgentDirectory, Customer, CustomerDirectory, CustomerPage, CustomerSearch,
};
use agent_oauth_core::{Error, Result};
use ext_php_rs::{
    convert::{FromZval, IntoZvalDyn},
    flags::DataType,
    types::Zval,
    zend::ExecutorGlobals,
};
use serde::de::DeserializeOwned;

use crate::convert::{self, EmptyArray};
use crate::exceptions;
use crate::shared::CoreEngine;

/// A PHP callable argument (`callable` in the signature, so PHP itself
/// raises the `TypeError`), kept by reference count.
pub struct Callable(Zval);

impl<'a> FromZval<'a> for Callable {
    const TYPE: DataType = DataType::Callable;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        zval.is_callable().then(|| Callable(zval.shallow_clone()))
    }
}

/// The callables of one PHP `Engine` object.
#[derive(Default)]
pub struct Callables {
    agents: Option<Zval>,
    customers: Option<Zval>,
    search: Option<Zval>,
}

impl Callables {
    pub fn set_agents(&mut self, find_by_username: Callable) {
        self.agents = Some(find_by_username.0);
    }

    pub fn set_customers(&mut self, find_by_reference: Callable, search: Option<Callable>) {
        self.customers = Some(find_by_reference.0);
        self.search = search.map(|s| s.0);
    }

    pub fn clear(&mut self) {
        *self = Callables::default();
    }
}

/// Callables shared by an `Engine` object and the plugin objects built on it.
pub type SharedCallables = Rc<RefCell<Callables>>;

thread_local! {
    static CURRENT: RefCell<Option<SharedCallables>> = const { RefCell::new(None) };
    /// True while a host callable runs: it must not call back into the
    /// engine (D19), which could recurse without end.
    static IN_CALLABLE: Cell<bool> = const { Cell::new(false) };
}

/// True while a host callable runs on this thread.
pub fn in_callable() -> bool {
    IN_CALLABLE.with(Cell::get)
}

/// Makes an object's callables current for one engine call; restores the
/// previous ones when dropped.
pub struct Scope {
    previous: Option<SharedCallables>,
}

impl Scope {
    pub fn enter(callables: &SharedCallables) -> Scope {
        let previous = CURRENT.with(|c| c.replace(Some(callables.clone())));
        Scope { previous }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
        exceptions::forget_callable_failure();
    }
}

/// Which callable a directory call needs.
#[derive(Clone, Copy)]
enum Role {
    Agents,
    Customers,
    Search,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Agents => "agent directory",
            Role::Customers => "customer directory",
            Role::Search => "customer search",
        }
    }
}

/// The current object's callable for `role`, cloned so that no borrow is
/// held while PHP code runs. `None`: the object set no directory.
fn current(role: Role) -> Option<Zval> {
    CURRENT.with(|c| {
        let current = c.borrow();
        let callables = current.as_ref()?.borrow();
        let callable = match role {
            Role::Agents => callables.agents.as_ref(),
            Role::Customers => callables.customers.as_ref(),
            Role::Search => callables.search.as_ref(),
        };
        callable.map(Zval::shallow_clone)
    })
}

/// True when the current object set a customer directory (with or without search).
fn has_customer_directory() -> bool {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|callables| callables.borrow().customers.is_some())
    })
}

/// Calls a host callable and reads its answer: `null` is "not found", an
/// array is decoded as `T`. A throw or any other answer is a directory
/// error (D19), never a failed login; a thrown exception is kept to become
/// the `previous` of the exception the engine call ends with.
fn call<T: DeserializeOwned>(
    callable: &Zval,
    role: Role,
    args: Vec<&dyn IntoZvalDyn>,
) -> Result<Option<T>> {
    IN_CALLABLE.with(|c| c.set(true));
    let answer = callable.try_call(args);
    IN_CALLABLE.with(|c| c.set(false));
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            let thrown = ExecutorGlobals::take_exception();
            let detail = match &thrown {
                Some(object) => {
                    let class = object.get_class_name().unwrap_or_default();
                    let message = object
                        .try_call_method("getMessage", vec![])
                        .ok()
                        .and_then(|m| m.str().map(str::to_owned))
                        .unwrap_or_default();
                    format!("threw {class}: {message}")
                }
                None => format!("failed: {e}"),
            };
            exceptions::keep_callable_failure(thrown);
            return Err(Error::Directory(format!(
                "the {} callable {detail}",
                role.name()
            )));
        }
    };
    if answer.is_null() {
        return Ok(None);
    }
    let Some(array) = answer.array() else {
        return Err(Error::Directory(format!(
            "the {} callable must return an array or null, not {}",
            role.name(),
            answer.get_type()
        )));
    };
    let json = convert::array_to_json(array, EmptyArray::List).map_err(|e| {
        Error::Directory(format!(
            "the {} callable returned an unusable array: {e}",
            role.name()
        ))
    })?;
    // A record is a map; serde would also read a list by field position.
    if !json.is_object() {
        return Err(Error::Directory(format!(
            "the {} callable must return an array with string keys (a record), not a list",
            role.name()
        )));
    }
    serde_json::from_value(json).map(Some).map_err(|e| {
        Error::Directory(format!(
            "the {} callable returned a malformed record: {e}",
            role.name()
        ))
    })
}

/// The directory every Rust engine of this extension is built with.
#[derive(Default)]
pub struct HostDirectory {
    /// The engine this directory belongs to, whose own database answers when
    /// no callable is set. Weak: the engine owns the directory.
    engine: OnceLock<Weak<CoreEngine>>,
}

impl HostDirectory {
    pub fn attach(&self, engine: Weak<CoreEngine>) {
        let _ = self.engine.set(engine);
    }

    fn engine(&self) -> Result<std::sync::Arc<CoreEngine>> {
        self.engine
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(|| Error::Internal("the engine is being dropped".into()))
    }
}

impl AgentDirectory for HostDirectory {
    fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        match current(Role::Agents) {
            Some(callable) => call(&callable, Role::Agents, vec![&username]),
            None => self.engine()?.engine.store().find_by_username(username),
        }
    }

    fn update_password_hash(&self, agent: &Agent, new_hash: &str) -> Result<bool> {
        match current(Role::Agents) {
            // D19: no write-back into the host's tables.
            Some(_) => Ok(false),
            None => self
                .engine()?
                .engine
                .store()
                .update_password_hash(agent, new_hash),
        }
    }
}

impl CustomerDirectory for HostDirectory {
    fn find_by_reference(&self, customer_reference: &str) -> Result<Option<Customer>> {
        match current(Role::Customers) {
            Some(callable) => call(&callable, Role::Customers, vec![&customer_reference]),
            None => self
                .engine()?
                .engine
                .store()
                .find_by_reference(customer_reference),
        }
    }

    fn search(&self, query: &CustomerSearch) -> Result<CustomerPage> {
        match current(Role::Search) {
            Some(callable) => {
                let (offset, limit) = (i64::from(query.offset), i64::from(query.limit));
                let args: Vec<&dyn IntoZvalDyn> = vec![&query.q, &offset, &limit];
                call(&callable, Role::Search, args)?.ok_or_else(|| {
                    Error::Directory("the customer search callable returned null".into())
                })
            }
            // Customers from the host but a search of the engine's own table
            // would answer with other people.
            None if has_customer_directory() => Err(Error::Directory(
                "customer search needs the second callable of setCustomerDirectory()".into(),
            )),
            None => self.engine()?.engine.store().search(query),
        }
    }
}
