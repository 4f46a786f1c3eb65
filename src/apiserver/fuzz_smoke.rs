//! A randomized smoke over request decoding and patch application: thousands of
//! mutated bodies (flipped, inserted, deleted and truncated bytes, and values swapped
//! for others of any type) must each give an answer or an error, never a panic.
//!
//! This is the quick, deterministic companion of the coverage-guided targets in
//! `fuzz/` (cargo-fuzz, run by `fuzz/run.sh`): it runs with the unit tests, on every
//! target including aarch64. The seed is fixed so a failure reproduces; set
//! `KELP_FUZZ_SEED` to explore others and `KELP_FUZZ_ROUNDS` for longer runs.

use std::sync::Arc;

use serde_json::{Value, json};

use super::managed::{self, Manager, Operation, Schema, Scope};
use super::patch::{self, BuiltinSchema};

struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("KELP_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x6b656c70);
        Rng(seed | 1)
    }
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn rounds() -> usize {
    std::env::var("KELP_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400)
}

/// Byte-level mutations of `seed`.
fn mutate_bytes(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(b.len() + 1);
                let pool = b"{}[]\":,0123456789-.eE\\ntrufalsn$/";
                b.insert(i, pool[rng.below(pool.len())]);
            }
            2 if !b.is_empty() => {
                let i = rng.below(b.len());
                b.remove(i);
            }
            3 => {
                let n = rng.below(b.len() + 1);
                b.truncate(n);
            }
            _ => {
                let i = rng.below(b.len() + 1);
                b.insert(i, rng.next() as u8);
            }
        }
    }
    b
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.below(100) as i64 - 50),
        3 => json!(["", "a", "web", "TCP", "$patch", "replace", "delete"][rng.below(7)]),
        4 => json!(1.5),
        5 => Value::Array(
            (0..rng.below(3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = [
                "name",
                "image",
                "port",
                "containerPort",
                "protocol",
                "$patch",
                "x",
            ];
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(3) {
                m.insert(
                    keys[rng.below(keys.len())].into(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
    }
}

/// Replaces a random node of `v` with a random value.
fn mutate_value(rng: &mut Rng, v: &mut Value) {
    let mut node = v;
    loop {
        let children = match node {
            Value::Object(m) if !m.is_empty() => m.len(),
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => 0,
        };
        if children == 0 || rng.below(3) == 0 {
            *node = random_value(rng, 0);
            return;
        }
        let i = rng.below(children);
        node = match node {
            Value::Object(m) => m.values_mut().nth(i).expect("in range"),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a"]},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                 "env": [{"name": "A", "value": "1"}]}]}}},
    })
}

#[test]
fn patches_never_panic_on_mutated_bodies() {
    let mut rng = Rng::new();
    let doc = deployment();
    let schema = BuiltinSchema::for_kind("apps", "Deployment").expect("built in");
    let seeds: [&[u8]; 4] = [
        br#"{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"web","image":"x"}]}}}}"#,
        br#"{"metadata":{"$setElementOrder/finalizers":["b","a"],"finalizers":["b"]},"spec":{"template":{"spec":{"$retainKeys":["containers"],"containers":[{"name":"web","$patch":"delete"}]}}}}"#,
        br#"[{"op":"replace","path":"/spec/replicas","value":4},{"op":"move","from":"/metadata/labels","path":"/spec/x"},{"op":"test","path":"/kind","value":"Deployment"}]"#,
        br#"{"spec":{"template":{"spec":{"containers":[{"name":"web","$deleteFromPrimitiveList/args":["a"],"env":[{"name":"A","$patch":"replace"}]}]}}}}"#,
    ];
    for _ in 0..rounds() {
        let seed = seeds[rng.below(seeds.len())];
        let body = mutate_bytes(&mut rng, seed);
        let _ = patch::json_patch(&doc, &body);
        let _ = patch::merge_patch(&doc, &body);
        let _ = patch::strategic_merge_patch(&doc, &body, schema);
        // and structurally mutated patches that still parse
        if let Ok(mut v) = serde_json::from_slice::<Value>(seed) {
            mutate_value(&mut rng, &mut v);
            let bytes = serde_json::to_vec(&v).expect("serializes");
            let _ = patch::json_patch(&doc, &bytes);
            let _ = patch::merge_patch(&doc, &bytes);
            let _ = patch::strategic_merge_patch(&doc, &bytes, schema);
        }
    }
}

#[test]
fn request_decoding_never_panics_on_mutated_bodies() {
    let mut rng = Rng::new();
    let protobuf_seed: &[u8] = include_bytes!("protobuf/tests/testdata/create-configmap.bin");
    let json_seed = serde_json::to_vec(&deployment()).expect("serializes");
    for _ in 0..rounds() * 4 {
        let pb = mutate_bytes(&mut rng, protobuf_seed);
        let _ = super::protobuf::decode_to_json(&pb);
        let js = mutate_bytes(&mut rng, &json_seed);
        let _ = crate::api::json::duplicate_fields(&js);
        let _ = serde_yaml::from_slice::<Value>(&js);
        let sel = mutate_bytes(&mut rng, b"app=web,tier in (a,b),!x,env notin (p),k!=v");
        let text = String::from_utf8_lossy(&sel);
        let _ = crate::api::Selector::parse(&text);
        let fields = mutate_bytes(
            &mut rng,
            br"metadata.name=a,spec.nodeName!=b\,c,status.phase==x",
        );
        let _ = crate::api::FieldSelector::parse(&String::from_utf8_lossy(&fields));
    }
}

#[test]
fn server_side_apply_never_panics_on_mutated_configurations() {
    let mut rng = Rng::new();
    let schema = Arc::new(Schema::builtin("io.k8s.api.apps.v1.Deployment").expect("built in"));
    let m = |name: &str, operation| Manager {
        name: name.into(),
        operation,
        api_version: "apps/v1".into(),
        subresource: None,
        time: "2026-12-03T00:00:00Z".into(),
        scope: Scope::AllButStatus,
        schema: schema.clone(),
    };
    let applier = m("a", Operation::Apply);
    let other = m("b", Operation::Apply);
    let updater = m("u", Operation::Update);
    let mut live = managed::apply(&applier, None, &deployment(), false).expect("seed applies");
    for _ in 0..rounds() {
        let mut cfg = deployment();
        mutate_value(&mut rng, &mut cfg);
        let who = if rng.below(2) == 0 { &applier } else { &other };
        if let Ok(next) = managed::apply(who, Some(&live), &cfg, rng.below(2) == 0) {
            live = next;
        }
        let mut updated = live.clone();
        mutate_value(&mut rng, &mut updated);
        if updated.is_object() && updated["metadata"].is_object() {
            managed::track_update(&updater, Some(&live), &mut updated);
            live = updated;
        }
    }
}

#[test]
fn structural_schemas_never_panic_on_mutated_objects() {
    let mut rng = Rng::new();
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
        "required": ["size"], "properties": {
            "size": {"type": "integer", "minimum": 0, "format": "int32"},
            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 3, "default": "x"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["port"], "items": {"type": "object",
                "properties": {"port": {"type": "integer"}}}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "free": {"x-kubernetes-preserve-unknown-fields": true}}}}});
    for _ in 0..rounds() {
        let mut obj = json!({"spec": {"size": 1, "ports": [{"port": 1}], "tags": ["a"]}});
        mutate_value(&mut rng, &mut obj);
        let _ = super::structural::prune(&schema, &mut obj);
        super::structural::default(&schema, &mut obj);
        let _ = super::structural::validate(&schema, &obj);
        let m = Manager {
            name: "a".into(),
            operation: Operation::Apply,
            api_version: "example.com/v1".into(),
            subresource: None,
            time: "t".into(),
            scope: Scope::Whole,
            schema: Arc::new(Schema::custom(&schema)),
        };
        if let Ok(live) = managed::apply(&m, None, &obj, false) {
            let mut next = live.clone();
            mutate_value(&mut rng, &mut next);
            let _ = managed::apply(&m, Some(&live), &next, true);
        }
    }
}
