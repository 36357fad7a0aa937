//! `max_results` / `page_token` paging of the Unity Catalog list APIs.
//!
//! Without `max_results` and `page_token` a list returns everything on one page, as the platform
//! documents for unpaginated calls. Otherwise pages hold at most the fixture's `page_size` items,
//! and `next_page_token` is absent on the last page. Page tokens are opaque to clients: each one
//! is base64url JSON naming the listing, the offset of the next item and the page number.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::api::PlatformError;
use crate::fixture::{MAX_PAGE_SIZE, UnityCatalogFixture};

/// The paging parameters of one list request.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageRequest {
    max_results: Option<u32>,
    page_token: Option<String>,
}

/// One page of a listing.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_page_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageToken {
    listing: String,
    offset: usize,
    page: u64,
}

impl PageRequest {
    /// Parses `max_results` and `page_token`; empty values count as absent.
    ///
    /// NOTE: the platform's messages for an invalid `max_results` or `page_token` are not
    /// documented. Its `<= 1000` bound on `max_results` is documented for schemas and applied
    /// here to every list.
    pub(crate) fn parse(
        max_results: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<Self, PlatformError> {
        let max_results = match max_results.filter(|value| !value.is_empty()) {
            None => None,
            Some(text) => Some(parse_max_results(text)?),
        };
        Ok(Self {
            max_results,
            page_token: page_token
                .filter(|token| !token.is_empty())
                .map(str::to_owned),
        })
    }
}

fn parse_max_results(text: &str) -> Result<u32, PlatformError> {
    let invalid = || {
        PlatformError::invalid_parameter(format!(
            "Invalid max_results {text:?}: it must be an integer from 0 to {MAX_PAGE_SIZE}."
        ))
    };
    let value: i64 = text.parse().map_err(|_| invalid())?;
    u32::try_from(value)
        .ok()
        .filter(|value| *value <= MAX_PAGE_SIZE)
        .ok_or_else(invalid)
}

/// Cuts one page out of `items`, which must come in the same order on every call. `listing`
/// names the listing, so that a token from another listing is rejected.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    listing: &str,
    request: &PageRequest,
    settings: &UnityCatalogFixture,
) -> Result<Page<T>, PlatformError> {
    if request.max_results.is_none() && request.page_token.is_none() {
        return Ok(Page {
            items,
            next_page_token: None,
        });
    }
    let (offset, page) = match &request.page_token {
        Some(token) => decode_token(token, listing, items.len())?,
        None => (0, 1),
    };
    let page_size = match request.max_results {
        None | Some(0) => settings.page_size,
        Some(requested) => requested.min(settings.page_size),
    };
    let next_token = |offset| encode_token(listing, offset, page + 1);
    let every = u64::from(settings.empty_page_every);
    if every >= 2 && page % every == 0 && offset < items.len() {
        return Ok(Page {
            items: Vec::new(),
            next_page_token: Some(next_token(offset)),
        });
    }
    let end = offset
        .saturating_add(usize::try_from(page_size).unwrap_or(usize::MAX))
        .min(items.len());
    let next_page_token = (end < items.len()).then(|| next_token(end));
    let items = items.into_iter().skip(offset).take(end - offset).collect();
    Ok(Page {
        items,
        next_page_token,
    })
}

fn encode_token(listing: &str, offset: usize, page: u64) -> String {
    let token = PageToken {
        listing: listing.to_owned(),
        offset,
        page,
    };
    let json = serde_json::to_vec(&token).expect("a struct of strings and integers serializes");
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_token(token: &str, listing: &str, len: usize) -> Result<(usize, u64), PlatformError> {
    let invalid = || {
        PlatformError::invalid_parameter(
            "Invalid page_token: pass the next_page_token of the previous page of the same \
             listing unchanged."
                .to_owned(),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let decoded: PageToken = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if decoded.listing != listing || decoded.offset > len || decoded.page < 2 {
        return Err(invalid());
    }
    Ok((decoded.offset, decoded.page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(page_size: u32, empty_page_every: u32) -> UnityCatalogFixture {
        UnityCatalogFixture {
            page_size,
            empty_page_every,
            ..UnityCatalogFixture::default()
        }
    }

    fn request(max_results: &str, token: Option<&str>) -> PageRequest {
        PageRequest::parse(Some(max_results), token).expect("valid paging parameters")
    }

    #[test]
    fn unpaginated_request_returns_everything() {
        let page =
            paginate(vec![1, 2, 3], "l", &PageRequest::default(), &settings(2, 0)).expect("page");
        assert_eq!(page.items, [1, 2, 3]);
        assert!(page.next_page_token.is_none());
    }

    #[test]
    fn page_size_caps_max_results() {
        let page =
            paginate(vec![1, 2, 3], "l", &request("0", None), &settings(2, 0)).expect("page");
        assert_eq!(page.items, [1, 2]);
        let page =
            paginate(vec![1, 2, 3], "l", &request("500", None), &settings(2, 0)).expect("page");
        assert_eq!(page.items, [1, 2]);
    }

    #[test]
    fn token_continues_and_last_page_has_none() {
        let first = paginate(vec![1, 2, 3], "l", &request("2", None), &settings(50, 0))
            .expect("first page");
        let token = first.next_page_token.expect("token after the first page");
        let second = paginate(
            vec![1, 2, 3],
            "l",
            &request("2", Some(&token)),
            &settings(50, 0),
        )
        .expect("second page");
        assert_eq!(second.items, [3]);
        assert!(second.next_page_token.is_none());
    }

    #[test]
    fn every_second_page_is_empty_when_configured() {
        let first =
            paginate(vec![1, 2], "l", &request("1", None), &settings(50, 2)).expect("first page");
        let token = first.next_page_token.expect("token");
        let second = paginate(
            vec![1, 2],
            "l",
            &request("1", Some(&token)),
            &settings(50, 2),
        )
        .expect("page");
        assert!(second.items.is_empty());
        assert!(second.next_page_token.is_some());
    }

    #[test]
    fn token_of_another_listing_is_rejected() {
        let token = encode_token("catalogs", 1, 2);
        let error = paginate(
            vec![1, 2],
            "schemas:main",
            &request("1", Some(&token)),
            &settings(50, 0),
        )
        .expect_err("foreign token");
        assert!(format!("{error:?}").contains("page_token"));
    }

    #[test]
    fn out_of_range_max_results_is_rejected() {
        for value in ["-1", "1001", "ten", "1.5"] {
            assert!(
                PageRequest::parse(Some(value), None).is_err(),
                "max_results={value} was accepted"
            );
        }
        assert!(PageRequest::parse(Some("1000"), None).is_ok());
    }
}
