//! What lets the app open with no network: the service worker (its version follows the release's
//! browser files) and the app shell it keeps, a page that starts the app in the browser (no server render).

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::hash::{DefaultHasher, Hash, Hasher};

const SW_TEMPLATE: &str = include_str!("sw.js");

/// One release's browser files: every file in the package folder (the main wasm and js, the css, and the
/// code-split chunks that later pages load), the names the page links to, and a version that changes
/// whenever any file does.
pub struct Release {
    pub version: String,
    /// What the service worker keeps at once: the files every page needs.
    pub core: Vec<String>,
    /// The chunks of pages and of the offline engine, kept once a page is idle.
    pub later: Vec<String>,
    pub names: BrowserFiles,
}

/// The main files as the build named them. With cargo-leptos' `hash-files` each name carries a hash of its
/// content, listed in `hash.txt` beside the server binary ("js: <hash>", "wasm: …", "css: …", "split: …").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserFiles {
    pub hashed: bool,
    pub js: String,
    pub wasm: String,
    pub css: String,
    pub split_loader: Option<String>,
}

impl BrowserFiles {
    pub fn new(pkg_dir: &str, output_name: &str, hashes: Option<&str>) -> BrowserFiles {
        let hash = |kind: &str| {
            hashes?.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim() == kind)
                    .map(|(_, h)| h.trim().to_string())
            })
        };
        let hashed = ["js", "wasm", "css"].iter().all(|k| hash(k).is_some());
        let name = |kind: &str| match hash(kind).filter(|_| hashed) {
            Some(h) => format!("/{pkg_dir}/{output_name}.{h}.{kind}"),
            None => format!("/{pkg_dir}/{output_name}.{kind}"),
        };
        BrowserFiles {
            hashed,
            js: name("js"),
            wasm: name("wasm"),
            css: name("css"),
            split_loader: None,
        }
    }
}

/// Whether a file's name carries a content hash (cargo-leptos writes 22 characters of URL-safe base64
/// between the stem and the extension; `finish-site` shortens a chunk's to 8), so that its content never
/// changes under that name.
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let parts: Vec<&str> = name.split('.').collect();
    let chunk = crate::site::is_chunk(name);
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|p| {
            (p.len() == crate::site::LONG_HASH || (chunk && p.len() == crate::site::SHORT_HASH))
                && crate::site::is_base64url(p)
        })
}

impl Release {
    /// The release the server was built with: its package folder, and the hash list beside the binary.
    pub fn for_site(options: &leptos::prelude::LeptosOptions) -> Release {
        let hashes = std::env::current_exe()
            .ok()
            .and_then(|exe| std::fs::read_to_string(exe.with_file_name(&*options.hash_file)).ok());
        Release::read(
            &options.site_root,
            &options.site_pkg_dir,
            &options.output_name,
            hashes.as_deref(),
        )
    }

    pub fn read(site_root: &str, pkg_dir: &str, output_name: &str, hashes: Option<&str>) -> Release {
        let dir = std::path::Path::new(site_root).join(pkg_dir);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        // Type declarations (`.d.ts`, hashed as `.d.<hash>.ts`) are not for browsers; precompressed twins
        // are the same file.
        // The split manifest is read by the server only.
        names.retain(|n| {
            !n.ends_with(".ts") && !n.starts_with("__wasm_split_manifest") && !n.ends_with(".br") && !n.ends_with(".gz")
        });
        names.sort();
        let mut h = DefaultHasher::new();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        for n in &names {
            n.hash(&mut h);
            std::fs::read(dir.join(n)).unwrap_or_default().hash(&mut h);
        }
        let mut files = BrowserFiles::new(pkg_dir, output_name, hashes);
        // A build hashed by a tool that wrote no list (or files since replaced) is served by its plain names.
        if files.hashed
            && ![&files.js, &files.wasm, &files.css]
                .iter()
                .all(|f| names.iter().any(|n| f.ends_with(&format!("/{n}"))))
        {
            files = BrowserFiles::new(pkg_dir, output_name, None);
        }
        let addresses = names.iter().map(|n| format!("/{pkg_dir}/{n}"));
        let (core, later): (Vec<String>, Vec<String>) = addresses.partition(|a| {
            [&files.js, &files.wasm, &files.css].contains(&a) || a.starts_with(&format!("/{pkg_dir}/__wasm_split"))
        });
        files.split_loader = core
            .iter()
            .find(|a| a.starts_with(&format!("/{pkg_dir}/__wasm_split.")) && a.ends_with(".js"))
            .cloned();
        Release {
            version: format!("{:016x}", h.finish()),
            core,
            later,
            names: files,
        }
    }
}

pub fn service_worker(release: &Release) -> Response {
    let list = |files: &[String]| serde_json::to_string(files).unwrap_or_else(|_| "[]".into());
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SW_TEMPLATE
            .replace("__VERSION__", &release.version)
            .replace("[\"__CORE__\"]", &list(&release.core))
            .replace("[\"__LATER__\"]", &list(&release.later))
            .replace("__HASHED__", if release.names.hashed { "true" } else { "false" }),
    )
        .into_response()
}

/// The page the service worker serves for any address while offline; the app renders it in the browser
/// from the data kept on the device. Its one inline script carries a nonce of its own, named by its policy;
/// the service worker keeps the answer whole, headers included, so the two still match offline.
pub fn app_shell(files: &BrowserFiles) -> Response {
    let nonce = crate::guard::nonce();
    let page = APP_SHELL
        .replace("__NONCE__", &nonce)
        .replace("__JS__", &files.js)
        .replace("__WASM__", &files.wasm)
        .replace("__CSS__", &files.css);
    let policy = app::content_security_policy(&nonce);
    (
        [
            (header::CACHE_CONTROL, "no-cache".to_string()),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        Html(page),
    )
        .into_response()
}

const APP_SHELL: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="theme-color" content="#1f4e79"/>
<link rel="stylesheet" href="__CSS__"/>
<link rel="manifest" href="/manifest.webmanifest"/>
<link rel="icon" href="/favicon.svg"/>
<title>Prospecta</title>
<script type="module" nonce="__NONCE__">
import init, { start_offline } from "__JS__";
init({ module_or_path: "__WASM__" }).then(() => start_offline());
</script>
</head>
<body></body>
</html>"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_release_gets_a_new_service_worker_version_and_keeps_the_core_first_then_every_chunk() {
        let dir = std::env::temp_dir().join(format!("prospecta-sw-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/prospecta.wasm"), b"release 1").unwrap();
        std::fs::write(dir.join("pkg/prospecta.js"), b"loader").unwrap();
        std::fs::write(dir.join("pkg/prospecta.css"), b"style").unwrap();
        std::fs::write(dir.join("pkg/chunk_7.wasm"), b"lazy page").unwrap();
        std::fs::write(dir.join("pkg/chunk_7.wasm.br"), b"twin").unwrap();
        std::fs::write(dir.join("pkg/prospecta.d.ts"), b"types").unwrap();
        let root = dir.to_string_lossy().to_string();
        let r1 = Release::read(&root, "pkg", "prospecta", None);
        assert_eq!(
            r1.core,
            vec!["/pkg/prospecta.css", "/pkg/prospecta.js", "/pkg/prospecta.wasm"]
        );
        assert_eq!(r1.later, vec!["/pkg/chunk_7.wasm"]);
        assert!(!r1.names.hashed);
        assert_eq!(
            r1.version,
            Release::read(&root, "pkg", "prospecta", None).version,
            "same files, same version"
        );
        let sw = service_worker(&r1);
        assert!(sw.status().is_success());
        std::fs::write(dir.join("pkg/chunk_7.wasm"), b"lazy page, changed").unwrap();
        assert_ne!(
            r1.version,
            Release::read(&root, "pkg", "prospecta", None).version,
            "a changed chunk replaces the cached shell"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn hashed_names_come_from_the_build_list_and_only_when_the_files_are_there() {
        let dir = std::env::temp_dir().join(format!("prospecta-hashed-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let (js, wasm, css, split) = (
            "AAAAAAAAAAAAAAAAAAAAAA",
            "BBBBBBBBBBBBBBBBBBBBBB",
            "CCCCCCCCCCCCCCCCCCCCCC",
            "DDDDDDDDDDDDDDDDDDDDDD",
        );
        for f in [
            format!("prospecta.{js}.js"),
            format!("prospecta.{wasm}.wasm"),
            format!("prospecta.{css}.css"),
            format!("__wasm_split.{split}.js"),
            "chunk_1.EEEEEEEEEEEEEEEEEEEEEE.wasm".into(),
        ] {
            std::fs::write(dir.join("pkg").join(f), b"x").unwrap();
        }
        let list = format!("js: {js}\nwasm: {wasm}\ncss: {css}\nsplit: {split}\n");
        let root = dir.to_string_lossy().to_string();
        let r = Release::read(&root, "pkg", "prospecta", Some(&list));
        assert!(r.names.hashed);
        assert_eq!(r.names.js, format!("/pkg/prospecta.{js}.js"));
        assert_eq!(r.names.css, format!("/pkg/prospecta.{css}.css"));
        assert_eq!(r.names.split_loader, Some(format!("/pkg/__wasm_split.{split}.js")));
        assert_eq!(r.later, vec!["/pkg/chunk_1.EEEEEEEEEEEEEEEEEEEEEE.wasm"]);
        assert!(r.core.iter().chain(&r.later).all(|f| is_hashed(f)), "{:?}", r.core);
        let stale = Release::read(
            &root,
            "pkg",
            "prospecta",
            Some("js: ZZZZZZZZZZZZZZZZZZZZZZ\nwasm: 1\ncss: 2"),
        );
        assert!(!stale.names.hashed, "a list that names missing files is not believed");
        assert!(
            !is_hashed("/pkg/prospecta.js") && !is_hashed("/pkg/snippets/x/inline0.js") && !is_hashed("/favicon.svg")
        );
        // Chunks as `finish-site` names them; a short part elsewhere is not a hash.
        assert!(is_hashed("/pkg/chunk_21.F2OWruuo.wasm") && is_hashed("/pkg/split___lead_route_view_1.Zq3KS-0y.wasm"));
        assert!(!is_hashed("/icons/icon.maskable.png") && !is_hashed("/pkg/prospecta.F2OWruuo.js"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
