//! Definitions: generated from k8s-openapi's `JsonSchema` impls, normalized to what
//! upstream publishes, and rendered as Swagger 2.0 or OpenAPI 3.0 schemas.
//!
//! The intermediate form is a map from upstream definition name to a schema whose
//! `$ref`s read `#/definitions/NAME` and whose `$ref`s may have siblings (a field's
//! description), which is exactly Swagger 2.0 as upstream writes it. [`V3`] rewrites
//! that on the fly into OpenAPI 3.0: `#/components/schemas/NAME`, and a `$ref` with
//! siblings wrapped as `allOf: [{$ref}]` (OpenAPI 3.0 ignores `$ref` siblings).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::schemars::SchemaGenerator;
use k8s_openapi::schemars::generate::SchemaSettings;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::listmeta;

pub(super) type Definitions = Map<String, Value>;

pub(super) const V2_PREFIX: &str = "#/definitions/";
pub(super) const V3_PREFIX: &str = "#/components/schemas/";

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const APIEXT: &str = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";

/// A generator whose `$ref`s point at `#/definitions/` and that applies no transforms.
pub(super) fn generator() -> SchemaGenerator {
    SchemaSettings::draft07()
        .with(|s| {
            s.definitions_path = "/definitions".into();
            s.meta_schema = None;
            s.transforms.clear();
        })
        .into_generator()
}

/// Rewrites the definitions schemars produced into upstream's Swagger 2.0 forms and
/// adds the list/map/patch extensions of [`listmeta`].
pub(super) fn normalize(defs: &mut Definitions) {
    for (name, schema) in defs.iter_mut() {
        let description = schema.get("description").cloned();
        let mut replace = |mut v: Value| {
            if let (Some(d), Some(o)) = (&description, v.as_object_mut()) {
                o.insert("description".into(), d.clone());
            }
            *schema = v;
        };
        match name.as_str() {
            // Upstream: `type: string, format: int-or-string` (v2); the v3 form is in
            // `v3_override`. k8s-openapi writes `x-kubernetes-int-or-string: true`, the
            // CRD structural-schema spelling, which kube-openapi does not use here.
            INT_OR_STRING => replace(json!({"type": "string", "format": "int-or-string"})),
            QUANTITY => replace(json!({"type": "string"})),
            // "Any JSON": upstream gives no type. k8s-openapi gives `type: object` or a
            // `oneOf`, which Swagger 2.0 does not have.
            n if n.strip_prefix(APIEXT).is_some_and(|k| {
                matches!(
                    k,
                    "JSON"
                        | "JSONSchemaPropsOrArray"
                        | "JSONSchemaPropsOrBool"
                        | "JSONSchemaPropsOrStringArray"
                )
            }) =>
            {
                replace(json!({}))
            }
            _ => {}
        }
    }
    for (name, fields) in listmeta::FIELDS {
        let Some(props) = defs
            .get_mut(*name)
            .and_then(|d| d.get_mut("properties"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for meta in *fields {
            let Some(prop) = props.get_mut(meta.field).and_then(Value::as_object_mut) else {
                continue;
            };
            let mut set = |key: &str, v: &str| {
                if !v.is_empty() {
                    prop.insert(key.into(), Value::String(v.into()));
                }
            };
            set("x-kubernetes-list-type", meta.list_type);
            set("x-kubernetes-map-type", meta.map_type);
            set("x-kubernetes-patch-merge-key", meta.patch_merge_key);
            set("x-kubernetes-patch-strategy", meta.patch_strategy);
            if !meta.list_map_keys.is_empty() {
                prop.insert(
                    "x-kubernetes-list-map-keys".into(),
                    json!(meta.list_map_keys),
                );
            }
        }
    }
    for name in listmeta::ATOMIC_STRUCTS {
        if let Some(d) = defs.get_mut(*name).and_then(Value::as_object_mut) {
            d.insert("x-kubernetes-map-type".into(), "atomic".into());
        }
    }
}

/// The OpenAPI 3.0 form of a definition, where it differs from the Swagger 2.0 one:
/// kube-openapi's `OpenAPIV3OneOfTypes`.
fn v3_override(name: &str, schema: &Value) -> Option<Value> {
    let one_of = match name {
        INT_OR_STRING => json!([{"type": "integer"}, {"type": "string"}]),
        QUANTITY => json!([{"type": "string"}, {"type": "number"}]),
        _ => return None,
    };
    let mut v = json!({"oneOf": one_of});
    if let Some(f) = schema.get("format") {
        v["format"] = f.clone();
    }
    if let Some(d) = schema.get("description") {
        v["description"] = d.clone();
    }
    Some(v)
}

/// The definition name a `$ref` schema points at.
fn ref_target(v: &Value) -> Option<&str> {
    v.as_object()?
        .get("$ref")?
        .as_str()?
        .strip_prefix(V2_PREFIX)
}

/// Adds to `out` every definition reachable from `roots` through `$ref`s.
pub(super) fn closure<'a>(
    defs: &'a Definitions,
    roots: impl IntoIterator<Item = &'a str>,
    out: &mut BTreeSet<String>,
) {
    fn walk<'a>(v: &'a Value, stack: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(t) = ref_target(v) {
                    stack.push(t);
                }
                o.values().for_each(|c| walk(c, stack));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, stack)),
            _ => {}
        }
    }
    let mut stack: Vec<&str> = roots.into_iter().collect();
    while let Some(name) = stack.pop() {
        if out.contains(name) {
            continue;
        }
        let Some(schema) = defs.get(name) else {
            continue;
        };
        out.insert(name.to_owned());
        walk(schema, &mut stack);
    }
}

/// Every `$ref` target anywhere in `v` (tests and checks).
#[cfg(test)]
pub(super) fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(s)) = o.get("$ref") {
                out.push(s.clone());
            }
            o.values().for_each(|c| refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| refs(c, out)),
        _ => {}
    }
}

/// Serializes an intermediate schema as OpenAPI 3.0.
pub(super) struct V3<'a>(pub(super) &'a Value);

impl Serialize for V3<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(o) => {
                let target = ref_target(self.0);
                let mut m = s.serialize_map(None)?;
                if let Some(t) = target {
                    let r = format!("{V3_PREFIX}{t}");
                    if o.len() == 1 {
                        m.serialize_entry("$ref", &r)?;
                        return m.end();
                    }
                    m.serialize_entry("allOf", &[json!({ "$ref": r })])?;
                }
                for (k, v) in o {
                    if target.is_some() && k == "$ref" {
                        continue;
                    }
                    m.serialize_entry(k, &V3(v))?;
                }
                m.end()
            }
            Value::Array(a) => {
                let mut q = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    q.serialize_element(&V3(v))?;
                }
                q.end()
            }
            v => v.serialize(s),
        }
    }
}

/// The `definitions` / `components.schemas` object of a document: the named subset of
/// one or more definition maps (earlier maps win), in name order.
pub(super) struct SchemaSet<'a> {
    pub(super) sources: Vec<&'a Definitions>,
    pub(super) names: &'a BTreeSet<String>,
    pub(super) v3: bool,
}

impl Serialize for SchemaSet<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for name in self.names {
            let Some(schema) = self.sources.iter().find_map(|d| d.get(name)) else {
                continue;
            };
            if !self.v3 {
                m.serialize_entry(name, schema)?;
            } else if let Some(o) = v3_override(name, schema) {
                m.serialize_entry(name, &o)?;
            } else {
                m.serialize_entry(name, &V3(schema))?;
            }
        }
        m.end()
    }
}

/// Drops what Swagger 2.0 schemas cannot say (a CRD's structural schema is OpenAPI 3.0:
/// `nullable`, `oneOf`, `anyOf`, `not`, and JSON-schema keywords Swagger lacks), as
/// upstream does when it publishes CRDs in v2.
pub(super) fn to_v2(v: &mut Value) {
    let Value::Object(o) = v else {
        return;
    };
    for k in [
        "nullable",
        "oneOf",
        "anyOf",
        "not",
        "additionalItems",
        "dependencies",
        "definitions",
        "patternProperties",
        "$schema",
        "id",
    ] {
        o.remove(k);
    }
    if let Some(Value::Object(ps)) = o.get_mut("properties") {
        ps.values_mut().for_each(to_v2);
    }
    match o.get_mut("items") {
        Some(Value::Array(a)) => a.iter_mut().for_each(to_v2),
        Some(s) => to_v2(s),
        None => {}
    }
    if let Some(Value::Array(a)) = o.get_mut("allOf") {
        a.iter_mut().for_each(to_v2);
    }
    if let Some(s @ Value::Object(_)) = o.get_mut("additionalProperties") {
        to_v2(s);
    }
}

/// A group-version-kind as the `x-kubernetes-group-version-kind` extension spells it.
pub(super) fn gvk(group: &str, version: &str, kind: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("group", group);
    m.insert("kind", kind);
    m.insert("version", version);
    json!(m)
}
