//! `prospecta finish-site`: the last step of a release build, after `cargo leptos build --release --split
//! --precompress`. The split loader, which every first visit downloads, names each chunk with a 22-character
//! hash and a comment listing the pages that use it (with ~250 chunks, the hashes alone were half of its 8 KB
//! brotli). This step renames each chunk to the first 8 characters of its hash (48 bits: enough to tell one
//! release's chunk from another's of the same name), drops the comments, and writes the loader's and the
//! manifest's brotli and gzip twins again. The loader keeps its name: its hash still names one content,
//! since this step always turns the same loader into the same text. Running it twice changes nothing.

use std::io::Write;
use std::path::Path;

/// What was changed, for the build's log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Finished {
    pub renamed: usize,
    pub loader_before: usize,
    pub loader_after: usize,
}

/// Characters of a chunk's hash kept in its name.
pub const SHORT_HASH: usize = 8;
/// Characters of the hash cargo-leptos puts in every file name (URL-safe base64 of an MD5).
pub const LONG_HASH: usize = 22;

pub fn finish(pkg: &Path) -> Result<Finished, String> {
    let read_dir = |dir: &Path| -> Result<Vec<String>, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        Ok(entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect())
    };
    let names = read_dir(pkg)?;
    let find = |prefix: &str, suffix: &str| {
        names
            .iter()
            .find(|n| n.starts_with(prefix) && n.ends_with(suffix))
            .cloned()
    };
    let Some(loader) = find("__wasm_split.", ".js") else {
        return Err(format!(
            "{} has no split loader (__wasm_split.*.js): build with `cargo leptos build --release --split --precompress` first",
            pkg.display()
        ));
    };
    let manifest = find("__wasm_split_manifest.", ".json");
    let mut done = Finished::default();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for name in &names {
        if let Some((stem, hash)) = chunk_name(name) {
            let short = format!("{stem}.{}", &hash[..SHORT_HASH]);
            for twin in ["", ".br", ".gz"] {
                let from = pkg.join(format!("{stem}.{hash}.wasm{twin}"));
                if from.exists() {
                    let to = pkg.join(format!("{short}.wasm{twin}"));
                    std::fs::rename(&from, &to)
                        .map_err(|e| format!("cannot rename {} to {}: {e}", from.display(), to.display()))?;
                }
            }
            pairs.push((format!("{stem}.{hash}"), short));
            done.renamed += 1;
        }
    }
    let path = pkg.join(&loader);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    done.loader_before = text.len();
    let text = shorten(&without_comment_lines(&text), &pairs);
    done.loader_after = text.len();
    write_with_twins(&path, &text)?;
    if let Some(manifest) = manifest {
        let path = pkg.join(manifest);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        write_with_twins(&path, &shorten(&text, &pairs))?;
    }
    Ok(done)
}

/// `chunk_12.<22 characters>.wasm` or `split_….<22 characters>.wasm`: the stem and the hash.
fn chunk_name(name: &str) -> Option<(&str, &str)> {
    let (stem, hash) = name.strip_suffix(".wasm")?.rsplit_once('.')?;
    (is_chunk(name) && hash.len() == LONG_HASH && is_base64url(hash)).then_some((stem, hash))
}

/// A code chunk of the split build (not the main module, which `hash.txt` names): the files this step renames.
pub fn is_chunk(name: &str) -> bool {
    (name.starts_with("chunk_") || name.starts_with("split_")) && name.ends_with(".wasm")
}

pub fn is_base64url(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The loader's `/* pages… */` lines: they name, for people, which pages use each chunk.
fn without_comment_lines(js: &str) -> String {
    js.lines()
        .filter(|l| !(l.starts_with("/* ") && l.ends_with(" */")))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn shorten(text: &str, pairs: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (long, short) in pairs {
        out = out.replace(long.as_str(), short);
    }
    out
}

/// The file and its brotli (quality 11) and gzip (best) twins, as the release build writes them.
fn write_with_twins(path: &Path, text: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    std::fs::write(path, text).map_err(fail)?;
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(text.as_bytes()).map_err(fail)?;
    }
    std::fs::write(format!("{}.br", path.display()), br).map_err(fail)?;
    let mut gz = libdeflater::Compressor::new(libdeflater::CompressionLvl::best());
    let mut out = vec![0; gz.gzip_compress_bound(text.len())];
    let n = gz
        .gzip_compress(text.as_bytes(), &mut out)
        .map_err(|e| format!("cannot gzip {}: {e:?}", path.display()))?;
    out.truncate(n);
    std::fs::write(format!("{}.gz", path.display()), out).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "F2OWruuoYhdjILeh6phbpQ";
    const H2: &str = "Zq3KS-0ykY38JysZilNQbQ";

    #[test]
    fn shortens_chunk_names_everywhere_they_are_named_and_drops_the_comments() {
        let dir = std::env::temp_dir().join(format!("prospecta-site-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let loader = format!(
            "import {{ initSync }} from \"./prospecta.js\";\n/* __lead_route_view_1, __sync_route_view_2 */\nconst __chunk_21 = makeLoad(() => fetch(new URL(\"./chunk_21.{H1}.wasm\", import.meta.url)), []);\nexport const l = makeLoad(() => fetch(new URL(\"./split___lead_route_view_1.{H2}.wasm\", import.meta.url)), [__chunk_21]);\n"
        );
        let manifest = format!("{{\"__lead_route_view_1\": [\"chunk_21.{H1}\", \"split___lead_route_view_1.{H2}\"]}}");
        let files = [
            ("__wasm_split.AAAAAAAAAAAAAAAAAAAAAA.js".to_string(), loader.clone()),
            (
                "__wasm_split_manifest.BBBBBBBBBBBBBBBBBBBBBB.json".to_string(),
                manifest,
            ),
            (format!("chunk_21.{H1}.wasm"), "one".to_string()),
            (format!("chunk_21.{H1}.wasm.br"), "one, brotli".to_string()),
            (format!("split___lead_route_view_1.{H2}.wasm"), "two".to_string()),
            ("prospecta.CCCCCCCCCCCCCCCCCCCCCC.wasm".to_string(), "main".to_string()),
        ];
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let done = finish(&dir).unwrap();
        assert_eq!(done.renamed, 2);
        assert!(done.loader_after < done.loader_before);
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
        assert_eq!(read("chunk_21.F2OWruuo.wasm"), "one");
        assert_eq!(read("chunk_21.F2OWruuo.wasm.br"), "one, brotli");
        assert_eq!(read("split___lead_route_view_1.Zq3KS-0y.wasm"), "two");
        assert_eq!(
            read("prospecta.CCCCCCCCCCCCCCCCCCCCCC.wasm"),
            "main",
            "the main module is named in hash.txt"
        );
        let js = read("__wasm_split.AAAAAAAAAAAAAAAAAAAAAA.js");
        assert!(
            js.contains("\"./chunk_21.F2OWruuo.wasm\"") && js.contains("\"./split___lead_route_view_1.Zq3KS-0y.wasm\"")
        );
        assert!(!js.contains("/*") && !js.contains(H1));
        assert!(read("__wasm_split_manifest.BBBBBBBBBBBBBBBBBBBBBB.json").contains("\"chunk_21.F2OWruuo\""));
        // The twins hold the new text.
        let br = std::fs::read(dir.join("__wasm_split.AAAAAAAAAAAAAAAAAAAAAA.js.br")).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), js);
        // A second run finds nothing left to do and leaves the text as it is.
        let again = finish(&dir).unwrap();
        assert_eq!((again.renamed, again.loader_after), (0, done.loader_after));
        assert_eq!(read("__wasm_split.AAAAAAAAAAAAAAAAAAAAAA.js"), js);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_without_a_split_build_is_refused_with_a_reason() {
        let dir = std::env::temp_dir().join(format!("prospecta-site-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = finish(&dir).unwrap_err();
        assert!(e.contains("--split"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
