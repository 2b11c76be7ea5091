// Shared set-up for the data targets: the built-in schema and a small registry, built once.
use pilu::base::diag::{Diagnostics, Sources};
use pilu::inputs::registry::Registry;
use pilu::inputs::schema::Schema;
use std::sync::OnceLock;

pub struct World {
    pub schema: Schema,
    pub registry: Registry,
}

pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pilu-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data")).expect("temp dir");
        std::fs::write(dir.join("data/entities.toml"), ENTITIES).expect("write registry");
        let mut sources = Sources::new(&dir);
        let mut diags = Diagnostics::default();
        let schema = Schema::load(&dir, &mut sources, &mut diags);
        let registry = Registry::load(&dir, &schema, &mut sources, &mut diags);
        assert!(!diags.has_errors(), "fuzz world must load cleanly");
        World { schema, registry }
    })
}

const ENTITIES: &str = r#"
[[entities]]
code = "520300"
name = "市医保局"
kind = "bureau_city"
[[entities]]
code = "520399"
name = "县医保局"
kind = "bureau_county"
parent = "520300"
[[entities]]
code = "H52039900001"
name = "县人民医院"
kind = "medical_institution"
level = "level2"
parent = "520399"
[[entities]]
code = "P52039900002"
name = "药店"
kind = "retail_pharmacy"
parent = "520399"
disclosure = "delegated_county"
"#;
