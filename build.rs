//! Embeds the built-in themes and table definitions, so `pilu init` and `pilu build` work on a
//! site that has neither, with no network and no checkout of this repository. The repository's
//! own `themes/` and `data/tables/` are the single source of these defaults.
use std::{env, fs, path::Path};

fn collect(dir: &Path, base: &Path, out: &mut Vec<String>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, base, out);
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    // (read when the script runs, not when it was compiled: checkouts sharing a target folder
    // share the compiled script, and `env!` would embed the files of the one that built it)
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR is set by cargo");
    let root = Path::new(&manifest);
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for sub in ["themes", "data/tables"] {
        let dir = root.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        collect(&dir, root, &mut files);
        for rel in files {
            let abs = root.join(&rel);
            println!("cargo:rerun-if-changed={}", abs.display());
            code.push_str(&format!("    ({rel:?}, include_bytes!({:?})),\n", abs.display().to_string()));
        }
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR is set by cargo")).join("embedded.rs");
    fs::write(out, code).expect("write embedded.rs");
}
