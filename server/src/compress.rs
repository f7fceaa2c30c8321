//! Pages, server-function answers and other text, gzip-compressed as they are sent.
//!
//! Pages render completely before they are sent (`SsrMode::Async`) and server functions answer whole values,
//! so an answer is collected and compressed in one call, by a compressor each worker thread keeps (libdeflate,
//! level 1). Against tower-http's streaming gzip (a new miniz_oxide state per answer) compression costs the
//! lead list 11% of its throughput instead of 15%, and the page is 3.9 KB instead of 4.4 (docs/performance.md). Brotli stays for the static files, compressed
//! once by the release build. Never compressed: the live event stream, which must flow event by event,
//! images and files that are compressed already, and answers too large to hold (sent as they come, whole).

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use std::cell::RefCell;

/// Answers longer than this are passed on as they are (none of ours is: a sync page is about 300 KB).
pub const MAX_COMPRESSED: usize = 8 * 1024 * 1024;
/// Shorter answers are not worth a gzip header.
const MIN_COMPRESSED: usize = 64;

thread_local! {
    static GZIP: RefCell<Option<libdeflater::Compressor>> = const { RefCell::new(None) };
}

pub async fn compress(req: Request, next: Next) -> Response {
    let wants = req.method() != Method::HEAD && accepts_gzip(req.headers());
    let res = next.run(req).await;
    if !wants || !compressible(res.status(), res.headers()) {
        return res;
    }
    let (mut parts, mut body) = res.into_parts();
    let mut held: Vec<Bytes> = Vec::new();
    let mut len = 0;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            // The handler failed half-way: pass on what came and the failure, as without compression.
            Err(e) => {
                return rest_as_is(
                    parts,
                    held,
                    Body::from_stream(futures::stream::iter([Err::<Bytes, _>(e)])),
                )
            }
        };
        match frame.into_data() {
            Ok(data) => {
                len += data.len();
                held.push(data);
                if len > MAX_COMPRESSED {
                    return rest_as_is(parts, held, body);
                }
            }
            // Trailers (none of ours sends them) are not worth a second path: send everything plain.
            Err(_) => return rest_as_is(parts, held, body),
        }
    }
    // One piece (a rendered page) is used as it is; several are joined once.
    let plain = match held.len() {
        1 => held.swap_remove(0),
        _ => Bytes::from(held.concat()),
    };
    if plain.len() < MIN_COMPRESSED {
        return Response::from_parts(parts, Body::from(plain));
    }
    let Some(gz) = gzip(&plain) else {
        return Response::from_parts(parts, Body::from(plain));
    };
    let h = &mut parts.headers;
    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.remove(header::ACCEPT_RANGES);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(gz.len()));
    Response::from_parts(parts, Body::from(gz))
}

/// The answer as it was: what was already read, then the rest of the body.
fn rest_as_is(mut parts: axum::http::response::Parts, held: Vec<Bytes>, rest: Body) -> Response {
    use futures::StreamExt;
    parts.headers.remove(header::CONTENT_LENGTH);
    let head = futures::stream::iter(held.into_iter().map(Ok::<_, axum::Error>));
    Response::from_parts(parts, Body::from_stream(head.chain(rest.into_data_stream())))
}

/// gzip at libdeflate's fastest level, with this thread's compressor.
fn gzip(plain: &[u8]) -> Option<Vec<u8>> {
    GZIP.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            // Level 1: libdeflate's 0 stores the bytes uncompressed.
            *slot = Some(libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).ok()?));
        }
        let c = slot.as_mut()?;
        let mut out = vec![0; c.gzip_compress_bound(plain.len())];
        let n = c.gzip_compress(plain, &mut out).ok()?;
        out.truncate(n);
        Some(out)
    })
}

/// Text that is not compressed yet, and not the live event stream.
fn compressible(status: StatusCode, h: &HeaderMap) -> bool {
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational()
        || h.contains_key(header::CONTENT_ENCODING)
        || h.contains_key(header::CONTENT_RANGE)
    {
        return false;
    }
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            let t = t.trim_start().to_ascii_lowercase();
            (t.starts_with("text/") && !t.starts_with("text/event-stream"))
                || t.contains("json")
                || t.contains("javascript")
                || t.contains("xml")
        })
}

/// Whether `Accept-Encoding` allows gzip: named (or `*`) with a quality above zero.
pub fn accepts_gzip(h: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in h.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut pieces = item.split(';');
            let name = pieces.next().unwrap_or("").trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .next()
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(q > 0.0);
            } else if name == "*" {
                any = Some(q > 0.0);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        accepts_gzip(&h)
    }

    #[test]
    fn reads_accept_encoding_as_browsers_and_tools_write_it() {
        assert!(accept("gzip, deflate, br, zstd"));
        assert!(accept("br;q=1.0, gzip;q=0.8, *;q=0.1"));
        assert!(accept("GZIP"));
        assert!(accept("*"));
        assert!(!accept("br, zstd"));
        assert!(!accept("gzip;q=0"));
        assert!(!accept("gzip; q=0.000, *"));
        assert!(!accept("identity"));
        assert!(!accept("*;q=0"));
        assert!(!accept("gzip;q=nonsense"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn compresses_text_but_not_streams_or_encoded_answers() {
        let typed = |t: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_str(t).unwrap());
            h
        };
        assert!(compressible(StatusCode::OK, &typed("text/html; charset=utf-8")));
        assert!(compressible(StatusCode::BAD_REQUEST, &typed("application/json")));
        assert!(!compressible(StatusCode::OK, &typed("text/event-stream")));
        assert!(!compressible(StatusCode::OK, &typed("image/png")));
        assert!(!compressible(StatusCode::NOT_MODIFIED, &typed("text/html")));
        let mut done = typed("text/html");
        done.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        assert!(!compressible(StatusCode::OK, &done));
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let page = "<tr><td>García</td><td>Cafetería</td></tr>".repeat(500);
        let gz = gzip(page.as_bytes()).unwrap();
        assert!(gz.len() < page.len() / 10, "{}", gz.len());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut back).unwrap();
        assert_eq!(back, page);
    }

    async fn fetch(body: Body, accept: &str) -> (HeaderMap, Vec<u8>) {
        use tower::ServiceExt;
        let body = std::sync::Arc::new(std::sync::Mutex::new(Some(body)));
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(move || {
                    let b = body.lock().unwrap().take().unwrap_or_default();
                    async move { ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], b) }
                }),
            )
            .layer(axum::middleware::from_fn(compress));
        let req = Request::get("/")
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .unwrap();
        let res = app.oneshot(req).await.unwrap();
        let headers = res.headers().clone();
        (headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
    }

    #[tokio::test]
    async fn an_answer_too_long_to_hold_arrives_whole_and_plain() {
        let chunk = Bytes::from(vec![b'a'; 1024 * 1024]);
        let chunks = (0..9).map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
        let (h, body) = fetch(Body::from_stream(futures::stream::iter(chunks)), "gzip").await;
        assert!(!h.contains_key(header::CONTENT_ENCODING));
        assert_eq!(body.len(), 9 * 1024 * 1024);
        assert!(body.iter().all(|&b| b == b'a'));
    }

    #[tokio::test]
    async fn an_answer_in_pieces_is_compressed_whole_unless_the_client_refuses_gzip() {
        use std::io::Read;
        let pieces = || futures::stream::iter((0..50).map(|i| Ok::<_, std::io::Error>(format!("<p>row {i}</p>"))));
        let (h, body) = fetch(Body::from_stream(pieces()), "br, gzip").await;
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        assert_eq!(h[header::CONTENT_LENGTH], body.len().to_string().as_str());
        let mut text = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("<p>row 0</p><p>row 1</p>") && text.ends_with("<p>row 49</p>"));
        let (h, body) = fetch(Body::from_stream(pieces()), "gzip;q=0, br").await;
        assert!(!h.contains_key(header::CONTENT_ENCODING));
        assert!(String::from_utf8(body).unwrap().ends_with("<p>row 49</p>"));
    }
}
