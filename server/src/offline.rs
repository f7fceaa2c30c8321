//! What lets the app open with no network: the service worker (its version follows the release's
//! browser files) and the app shell it keeps, a page that starts the app in the browser (no server render).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::hash::{DefaultHasher, Hash, Hasher};

const SW_TEMPLATE: &str = include_str!("sw.js");

/// One release's browser files: every file in the package folder (the main wasm and js, the css, and the
/// code-split chunks that later pages load) and a version that changes whenever any of them does.
pub struct Release {
    pub version: String,
    pub files: Vec<String>,
}

impl Release {
    pub fn read(site_root: &str, pkg_dir: &str) -> Release {
        let dir = std::path::Path::new(site_root).join(pkg_dir);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        // Type declarations are not served to browsers; precompressed twins are the same file.
        names.retain(|n| !n.ends_with(".d.ts") && !n.ends_with(".br") && !n.ends_with(".gz"));
        names.sort();
        let mut h = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        for n in &names {
            n.hash(&mut h);
            std::fs::read(dir.join(n)).unwrap_or_default().hash(&mut h);
        }
        Release { version: format!("{:016x}", h.finish()), files: names.iter().map(|n| format!("/{pkg_dir}/{n}")).collect() }
    }
}

pub fn service_worker(release: &Release) -> Response {
    let files = serde_json::to_string(&release.files).unwrap_or_else(|_| "[]".into());
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        SW_TEMPLATE.replace("__VERSION__", &release.version).replace("[\"__FILES__\"]", &files),
    )
        .into_response()
}

/// The page the service worker serves for any address while offline; the app renders it in the browser
/// from the data kept on the device. Its one inline script carries a nonce of its own, named by its policy;
/// the service worker keeps the answer whole, headers included, so the two still match offline.
pub fn app_shell() -> Response {
    let nonce = crate::guard::nonce();
    let page = APP_SHELL.replace("__NONCE__", &nonce);
    let policy = app::content_security_policy(&nonce);
    ([(header::CACHE_CONTROL, "no-cache".to_string()), (header::CONTENT_SECURITY_POLICY, policy)], Html(page)).into_response()
}

const APP_SHELL: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="theme-color" content="#1f4e79"/>
<link rel="stylesheet" href="/pkg/prospecta.css"/>
<link rel="manifest" href="/manifest.webmanifest"/>
<link rel="icon" href="/favicon.svg"/>
<title>Prospecta</title>
<script type="module" nonce="__NONCE__">
import init, { start_offline } from "/pkg/prospecta.js";
init({ module_or_path: "/pkg/prospecta.wasm" }).then(() => start_offline());
</script>
</head>
<body></body>
</html>"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_release_gets_a_new_service_worker_version_and_caches_every_chunk() {
        let dir = std::env::temp_dir().join(format!("prospecta-sw-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/prospecta.wasm"), b"release 1").unwrap();
        std::fs::write(dir.join("pkg/chunk_7.wasm"), b"lazy page").unwrap();
        std::fs::write(dir.join("pkg/prospecta.d.ts"), b"types").unwrap();
        let root = dir.to_string_lossy().to_string();
        let r1 = Release::read(&root, "pkg");
        assert_eq!(r1.files, vec!["/pkg/chunk_7.wasm", "/pkg/prospecta.wasm"]);
        assert_eq!(r1.version, Release::read(&root, "pkg").version, "same files, same version");
        let sw = service_worker(&r1);
        assert!(sw.status().is_success());
        std::fs::write(dir.join("pkg/chunk_7.wasm"), b"lazy page, changed").unwrap();
        assert_ne!(r1.version, Release::read(&root, "pkg").version, "a changed chunk replaces the cached shell");
        let _ = std::fs::remove_dir_all(dir);
    }
}
