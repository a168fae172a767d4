//! Validation time of a scene document: `benches/scenes/mixed50.json` (50 layers of every
//! visible kind), parsed from text and validated, and validated from an already parsed JSON
//! value (what the bindings and the server do). Issue 22 asks for under a millisecond.

use criterion::{Criterion, criterion_group, criterion_main};
use streamcomp_core::{LoadOptions, Scene};

fn validate(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/mixed50.json");
    let text = std::fs::read_to_string(path).expect("mixed50.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let opts = LoadOptions::default();
    let mut group = c.benchmark_group("validate");
    group.bench_function("mixed_50/from_json", |b| {
        b.iter(|| Scene::from_json(&text, &opts).expect("valid").layers.len())
    });
    group.bench_function("mixed_50/from_value", |b| {
        b.iter(|| {
            Scene::from_value(value.clone(), &opts)
                .expect("valid")
                .layers
                .len()
        })
    });
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
