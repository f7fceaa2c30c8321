//! What lets the app open with no network: the service worker (its version follows the release's
//! browser files) and the app shell it keeps, a page that starts the app in the browser (no server render).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::hash::{DefaultHasher, Hash, Hasher};

const SW_TEMPLATE: &str = include_str!("sw.js");

/// The release's version for the service worker: a hash of the browser files the server will send.
pub fn release_version(site_root: &str, pkg_dir: &str) -> String {
    let mut h = DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    for f in ["prospecta.wasm", "prospecta.js", "prospecta.css"] {
        std::fs::read(format!("{site_root}/{pkg_dir}/{f}")).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

pub fn service_worker(version: &str) -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        SW_TEMPLATE.replace("__VERSION__", version),
    )
        .into_response()
}

/// The page the service worker serves for any address while offline; the app renders it in the browser
/// from the data kept on the device.
pub fn app_shell() -> Response {
    Html(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="theme-color" content="#1f4e79"/>
<link rel="stylesheet" href="/pkg/prospecta.css"/>
<link rel="manifest" href="/manifest.webmanifest"/>
<link rel="icon" href="/favicon.svg"/>
<title>Prospecta</title>
<script type="module">
import init, { start_offline } from "/pkg/prospecta.js";
init({ module_or_path: "/pkg/prospecta.wasm" }).then(() => start_offline());
</script>
</head>
<body></body>
</html>"##,
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_release_gets_a_new_service_worker_version() {
        let dir = std::env::temp_dir().join(format!("prospecta-sw-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/prospecta.wasm"), b"release 1").unwrap();
        let root = dir.to_string_lossy().to_string();
        let v1 = release_version(&root, "pkg");
        assert_eq!(v1, release_version(&root, "pkg"), "same files, same version");
        std::fs::write(dir.join("pkg/prospecta.wasm"), b"release 2").unwrap();
        assert_ne!(v1, release_version(&root, "pkg"), "changed files replace the cached shell");
        let _ = std::fs::remove_dir_all(dir);
    }
}
