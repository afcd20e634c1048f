//! Paging rules of the agent customer search (Spryker's, D14).

use crate::directory::CustomerSearch;
use crate::error::{Error, Result};

/// The message of invalid paging, as Glue's validator words it (D14).
pub const INVALID_PAGING: &str = "Pagination parameters are invalid.";

/// The paging of a search request (D14), the one rule Glue, C and PHP
/// apply: `offset` and `limit` count only when both are present; a limit of
/// 0 is invalid ([`Error::InvalidRequest`] with [`INVALID_PAGING`]).
pub fn paging(offset: Option<u64>, limit: Option<u64>) -> Result<Option<(u64, u64)>> {
    match (offset, limit) {
        (Some(_), Some(0)) => Err(Error::InvalidRequest(INVALID_PAGING.into())),
        (Some(offset), Some(limit)) => Ok(Some((offset, limit))),
        _ => Ok(None),
    }
}

/// [`paging`] from the raw query values of a Glue request: each value that
/// is present must be a non-negative integer, else the paging is invalid.
pub fn parse_paging(offset: Option<&str>, limit: Option<&str>) -> Result<Option<(u64, u64)>> {
    let number = |v: Option<&str>| {
        v.map(|v| {
            v.parse::<u64>()
                .map_err(|_| Error::InvalidRequest(INVALID_PAGING.into()))
        })
        .transpose()
    };
    let (offset, limit) = (number(offset)?, number(limit)?);
    if limit == Some(0) {
        return Err(Error::InvalidRequest(INVALID_PAGING.into()));
    }
    paging(offset, limit)
}

/// Rows per page when the request names none.
pub const DEFAULT_LIMIT: u32 = 10;
/// The largest page; larger requests are clamped to it.
pub const MAX_LIMIT: u32 = 100;

/// Builds a search from a query and optional paging. As Spryker, `offset` and
/// `limit` count only together; the limit is clamped to 1..=[`MAX_LIMIT`] and
/// the offset rounded down to a page boundary.
pub fn page(q: &str, paging: Option<(u64, u64)>) -> CustomerSearch {
    let (offset, limit) = window(paging);
    CustomerSearch {
        q: q.to_owned(),
        offset: u32::try_from(offset).unwrap_or(u32::MAX - u32::MAX % limit as u32),
        limit: limit as u32,
    }
}

/// The `(offset, limit)` a request's paging selects (D14): the limit
/// clamped to 1..=[`MAX_LIMIT`], the offset rounded down to a page
/// boundary; without paging the first [`DEFAULT_LIMIT`] rows. Every paged
/// list of the engine (the agent customer search, a customer's
/// impersonation sessions) pages by it.
pub fn window(paging: Option<(u64, u64)>) -> (u64, u64) {
    match paging {
        Some((offset, limit)) => {
            let limit = limit.clamp(1, u64::from(MAX_LIMIT));
            (offset - offset % limit, limit)
        }
        None => (0, u64::from(DEFAULT_LIMIT)),
    }
}

/// Lower-cases a query or a stored value for prefix matching. Unicode-aware,
/// unlike SQLite's ASCII-only `LIKE`, and character by character: a prefix
/// ending in `Σ` must fold to `σ`, not to the word-final `ς` that
/// `str::to_lowercase` would choose.
pub fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// True when `customer` matches query `q` by Spryker's rule: case-insensitive
/// prefix of e-mail, first or last name, or equal reference. Host directories
/// that search in memory can use it.
pub fn matches(customer: &crate::directory::Customer, q: &str) -> bool {
    let q = fold(q);
    fold(&customer.email).starts_with(&q)
        || fold(&customer.first_name).starts_with(&q)
        || fold(&customer.last_name).starts_with(&q)
        || fold(&customer.customer_reference) == q
}
