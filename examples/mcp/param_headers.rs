//! Arguments mirrored in headers (revision 2026-07-28, SEP-2243): a tool's
//! input schema marks a property with `"x-mcp-header": "Name"`, and the
//! client sends its value in `Mcp-Param-Name` too, so that a proxy can
//! route on it without reading the body. The server must refuse a request
//! whose header and body disagree (`-32020`, 400): otherwise the proxy
//! routed on one value and the tool ran on another.
//!
//! A value that is not plain visible ASCII travels as
//! `=?base64?<standard base64>?=`; anything else is taken literally.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::protocol::{HEADER_MISMATCH, RpcError};

/// The one value of header `name`, decoded: `Ok(None)` when it is absent,
/// `-32020` when it is sent twice (a proxy may read the other copy) or is
/// neither plain visible ASCII nor a valid `=?base64?...?=` of UTF-8.
pub(crate) fn mirrored_value(headers: &HeaderMap, name: &str) -> Result<Option<String>, RpcError> {
    let mut values = headers.get_all(name).iter();
    let (value, again) = (values.next(), values.next());
    if again.is_some() {
        return Err(RpcError::new(
            HEADER_MISMATCH,
            format!("header {name} is sent more than once"),
        ));
    }
    let Some(value) = value else {
        return Ok(None);
    };
    decode(value.as_bytes()).map(Some).ok_or_else(|| {
        RpcError::new(
            HEADER_MISMATCH,
            format!(
                "header {name} must be visible ASCII, or `=?base64?...?=` of UTF-8 for other text"
            ),
        )
    })
}

/// Checks every mirrored argument of a call of the tool `descriptor`
/// describes against its header.
pub(crate) fn check(
    descriptor: &Value,
    params: &Value,
    headers: &HeaderMap,
) -> Result<(), RpcError> {
    let Some(properties) = descriptor["inputSchema"]["properties"].as_object() else {
        return Ok(());
    };
    let arguments = params.get("arguments");
    for (name, schema) in properties {
        let Some(suffix) = schema.get("x-mcp-header").and_then(Value::as_str) else {
            continue;
        };
        let header_name = format!("mcp-param-{}", suffix.to_ascii_lowercase());
        let body = arguments
            .and_then(|arguments| arguments.get(name))
            .filter(|value| !value.is_null());
        let header = mirrored_value(headers, &header_name)?;
        let mismatch = |why: String| RpcError::new(HEADER_MISMATCH, why);
        match (body, header) {
            (None, None) => {}
            (Some(_), None) => {
                return Err(mismatch(format!(
                    "argument `{name}` is in the body but its header Mcp-Param-{suffix} is missing"
                )));
            }
            (None, Some(_)) => {
                return Err(mismatch(format!(
                    "header Mcp-Param-{suffix} is sent but argument `{name}` is not in the body"
                )));
            }
            (Some(body), Some(header)) => {
                let body = match body {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                if header != body {
                    return Err(mismatch(format!(
                        "header Mcp-Param-{suffix} does not match argument `{name}`"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// A header's value: the text a `=?base64?...?=` wrapper holds (`None`
/// when it is not strict, padded standard base64 of UTF-8), else the value
/// itself when it is visible ASCII (`None` otherwise: other text must be
/// wrapped, or an intermediary reading Latin-1 would see something else).
fn decode(value: &[u8]) -> Option<String> {
    let Some(encoded) = value
        .strip_prefix(b"=?base64?")
        .and_then(|rest| rest.strip_suffix(b"?="))
    else {
        let visible = value.iter().all(|byte| (0x20..=0x7e).contains(byte));
        return visible.then(|| String::from_utf8_lossy(value).into_owned());
    };
    String::from_utf8(base64(encoded)?).ok()
}

/// Strict standard base64 (RFC 4648 §4): padded to a multiple of four, no
/// characters outside the alphabet, no bits left over.
fn base64(encoded: &[u8]) -> Option<Vec<u8>> {
    fn sextet(byte: u8) -> Option<u32> {
        Some(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    if !encoded.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(encoded.len() / 4 * 3);
    let quads = encoded.chunks_exact(4);
    let last = quads.len().saturating_sub(1);
    for (index, quad) in quads.enumerate() {
        let padding = quad.iter().rev().take_while(|&&byte| byte == b'=').count();
        if padding > 2 || (padding > 0 && index != last) {
            return None;
        }
        let mut bits = 0u32;
        for &byte in &quad[..4 - padding] {
            bits = bits << 6 | sextet(byte)?;
        }
        bits <<= 6 * padding as u32;
        let bytes = bits.to_be_bytes();
        let kept = 3 - padding;
        // Bits the padding says are unused must be zero (RFC 4648 §3.5).
        if bytes[1 + kept..].iter().any(|&byte| byte != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..1 + kept]);
    }
    Some(out)
}
