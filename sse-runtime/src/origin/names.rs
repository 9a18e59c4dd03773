//! What a request says of where it comes from (`Origin`) and which host it
//! was sent to (`Host`, and its target's authority), read without guessing:
//! a header given twice is not picked from.

use http::{HeaderMap, Request, header};

/// Every name the request gives the host it reached: its `Host` header and
/// its target's authority (absolute-form, or HTTP/2's `:authority`), or
/// why the request cannot be read: two `Host` headers (RFC 9112 §3.2 makes
/// it invalid), or one that is not text.
/// Read per request, so without allocating: at most two names.
pub(super) fn host_names<B>(request: &Request<B>) -> Result<[Option<&str>; 2], &'static str> {
    let mut values = request.headers().get_all(header::HOST).iter();
    let header = match (values.next(), values.next()) {
        (_, Some(_)) => return Err("the request has more than one Host header"),
        (Some(value), None) => Some(
            value
                .to_str()
                .map_err(|_| "the Host header is not readable")?,
        ),
        (None, None) => None,
    };
    let target = request
        .uri()
        .authority()
        .map(|authority| authority.as_str());
    Ok([header, target])
}

pub(super) enum Origin<'a> {
    Absent,
    Unreadable,
    Present(&'a str),
}

pub(super) fn origin(headers: &HeaderMap) -> Origin<'_> {
    let mut values = headers.get_all(header::ORIGIN).iter();
    match (values.next(), values.next()) {
        (None, _) => Origin::Absent,
        (Some(value), None) => value.to_str().map_or(Origin::Unreadable, Origin::Present),
        // Browsers send one; two is not a browser, and not to be guessed.
        (Some(_), Some(_)) => Origin::Unreadable,
    }
}
