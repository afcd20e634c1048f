//! Conversions between PHP values and the core's types. JSON values are the
//! go-between for the records the core already (de)serializes: the
//! configuration (D10), directory records (D19), audit events, JWKS.

use agent_oauth_core::token::AccessClaims;
use agent_oauth_core::{Config, Error, TokenResponse};
use ext_php_rs::{
    boxed::ZBox,
    exception::PhpResult,
    flags::DataType,
    types::{ArrayKey, ZendHashTable, Zval},
};
use serde_json::{Map, Number, Value};

use crate::exceptions;

/// Arrays nested deeper than this are refused (PHP arrays can even contain
/// themselves through references).
const MAX_DEPTH: usize = 64;

/// How an empty PHP array reads: `[]` is both an empty list and an empty map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyArray {
    List,
    Object,
}

/// A PHP array as JSON: a list (keys 0, 1, ... in order) becomes an array,
/// any other array an object. Objects, resources, non-finite floats and
/// strings that are not UTF-8 are refused; the message names the place.
pub fn array_to_json(array: &ZendHashTable, empty: EmptyArray) -> Result<Value, String> {
    array_at(array, empty, "", 0)
}

fn to_json_at(value: &Zval, empty: EmptyArray, at: &str, depth: usize) -> Result<Value, String> {
    let value = value.dereference();
    let place = || match at {
        "" => "the value".to_owned(),
        _ => format!("`{at}`"),
    };
    Ok(match value.get_type() {
        DataType::Null => Value::Null,
        DataType::True => Value::Bool(true),
        DataType::False => Value::Bool(false),
        DataType::Long => Value::from(value.long().unwrap_or_default()),
        DataType::Double => {
            let f = value.double().unwrap_or_default();
            Value::Number(
                Number::from_f64(f).ok_or_else(|| format!("{} is not a finite number", place()))?,
            )
        }
        DataType::String => match value.str() {
            Some(s) => Value::String(s.to_owned()),
            None => return Err(format!("{} is not a UTF-8 string", place())),
        },
        DataType::Array => match value.array() {
            Some(array) => array_at(array, empty, at, depth + 1)?,
            None => Value::Null,
        },
        other => return Err(format!("{} has the unsupported type {other}", place())),
    })
}

fn array_at(
    array: &ZendHashTable,
    empty: EmptyArray,
    at: &str,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!("`{at}` is nested too deeply"));
    }
    if array.is_empty() {
        return Ok(match empty {
            EmptyArray::List => Value::Array(Vec::new()),
            EmptyArray::Object => Value::Object(Map::new()),
        });
    }
    let child = |key: &str| match at {
        "" => key.to_owned(),
        _ => format!("{at}.{key}"),
    };
    if array.has_sequential_keys() {
        return array
            .values()
            .enumerate()
            .map(|(i, v)| to_json_at(v, empty, &child(&i.to_string()), depth))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let mut map = Map::new();
    for (key, v) in array.iter() {
        let key = match key {
            ArrayKey::Long(i) => i.to_string(),
            other => {
                String::try_from(other).map_err(|_| format!("a key of `{at}` is not UTF-8"))?
            }
        };
        let converted = to_json_at(v, empty, &child(&key), depth)?;
        map.insert(key, converted);
    }
    Ok(Value::Object(map))
}

/// A JSON value as a PHP value: objects become arrays with their keys in order.
pub fn from_json(value: &Value) -> PhpResult<Zval> {
    let mut z = Zval::new();
    match value {
        Value::Null => z.set_null(),
        Value::Bool(b) => z.set_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => z.set_long(i),
            None => z.set_double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => z.set_string(s, false)?,
        Value::Array(items) => {
            let mut array = ZendHashTable::with_capacity(len_u32(items.len()));
            for item in items {
                array.push(from_json(item)?)?;
            }
            z.set_hashtable(array);
        }
        Value::Object(map) => z.set_hashtable(object_to_array(map)?),
    }
    Ok(z)
}

/// A JSON object as an ordered PHP array.
pub fn object_to_array(map: &Map<String, Value>) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = ZendHashTable::with_capacity(len_u32(map.len()));
    for (key, value) in map {
        array.insert(key.as_str(), from_json(value)?)?;
    }
    Ok(array)
}

/// Anything the core serializes to a JSON object or array, as a PHP array.
pub fn serialized(value: &impl serde::Serialize) -> PhpResult<ZBox<ZendHashTable>> {
    let internal =
        |what: String| exceptions::from_core(Error::Internal(format!("serialization: {what}")));
    match serde_json::to_value(value).map_err(|e| internal(e.to_string()))? {
        Value::Object(map) => object_to_array(&map),
        Value::Array(items) => {
            let mut array = ZendHashTable::with_capacity(len_u32(items.len()));
            for item in &items {
                array.push(from_json(item)?)?;
            }
            Ok(array)
        }
        other => Err(internal(format!(
            "expected an object or an array, not {other}"
        ))),
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The engine configuration from a PHP array with the keys of the core's
/// schema (D10), through JSON, so every rule of `Config::from_json` applies.
pub fn config(array: &ZendHashTable) -> Result<Config, Error> {
    let json = array_to_json(array, EmptyArray::Object)
        .map_err(|e| Error::Config(format!("invalid configuration: {e}")))?;
    Config::from_json(&json.to_string())
}

/// A token response as `token_type, expires_in, access_token, refresh_token`.
pub fn token_response(t: &TokenResponse) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = ZendHashTable::with_capacity(4);
    array.insert("token_type", t.token_type)?;
    array.insert("expires_in", t.expires_in)?;
    array.insert("access_token", t.access_token.as_str())?;
    array.insert("refresh_token", t.refresh_token.as_str())?;
    Ok(array)
}

/// Verified claims in token order (`aud, jti, iat, nbf, exp, sub, scopes,
/// act`; `act` is null but for impersonation tokens), followed by what the
/// core reads from them: `kind` (`agent`, `impersonation`, `customer`) and
/// `agent_id` (the agent, or the acting agent of an impersonation).
pub fn claims(c: &AccessClaims) -> PhpResult<ZBox<ZendHashTable>> {
    let mut array = serialized(c)?;
    // A PHP array keeps its keys fixed: `act` is there, null, when absent.
    if c.act.is_none() {
        array.insert("act", Zval::null())?;
    }
    array.insert("kind", serialized_scalar(&c.kind())?)?;
    array.insert("agent_id", c.agent_id())?;
    Ok(array)
}

/// A value the core serializes to a JSON scalar, as a PHP value.
fn serialized_scalar(value: &impl serde::Serialize) -> PhpResult<Zval> {
    let json = serde_json::to_value(value)
        .map_err(|e| exceptions::from_core(Error::Internal(format!("serialization: {e}"))))?;
    from_json(&json)
}

/// Request headers from either a list of `[name, value]` pairs or a map of
/// `name => value` (or `name => [value, ...]`), in order.
pub fn headers(array: &ZendHashTable) -> PhpResult<Vec<(String, String)>> {
    let bad = || {
        exceptions::type_error(
            "headers must be a list of [name, value] pairs or an array of name => value (or name => list of values), with string names and values",
        )
    };
    let text = |z: &Zval| z.dereference().str().map(str::to_owned);
    let mut out = Vec::with_capacity(array.len());
    for (key, value) in array.iter() {
        let value = value.dereference();
        match key {
            ArrayKey::Long(_) => {
                let pair = value.array().filter(|p| p.len() == 2).ok_or_else(bad)?;
                let name = pair.get_index(0).and_then(text).ok_or_else(bad)?;
                let val = pair.get_index(1).and_then(text).ok_or_else(bad)?;
                out.push((name, val));
            }
            key => {
                let name = String::try_from(key).map_err(|_| bad())?;
                match value.array() {
                    Some(values) => {
                        for v in values.values() {
                            out.push((name.clone(), text(v).ok_or_else(bad)?));
                        }
                    }
                    None => out.push((name, text(value).ok_or_else(bad)?)),
                }
            }
        }
    }
    Ok(out)
}
