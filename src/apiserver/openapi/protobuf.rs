//! The Swagger 2.0 document in the protobuf encoding of gnostic's `openapi.v2.Document`
//! (`github.com/google/gnostic-models/openapiv2/OpenAPIv2.proto`).
//!
//! client-go's `OpenAPISchema()` asks `/openapi/v2` for
//! `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and parses the answer
//! as protobuf, with no JSON fallback: kubectl's v2 uses (client-side validation where
//! the server's `fieldValidation` support cannot be established, e.g. for `kind: List`
//! files; `explain --output=plaintext-openapiv2`; patches when v3 fails) need this form.
//!
//! Only what kelp's documents use is encoded; unknown keys are skipped. Vendor
//! extensions (`x-…`) travel as gnostic's `Any{yaml}`: their JSON text, which is YAML.
//! Repeated fields concatenate and embedded messages merge when a field repeats, so a
//! document's custom-resource part can be appended to the built-in part.

use serde_json::{Map, Value};

/// A protobuf writer.
#[derive(Default)]
pub(super) struct W(pub(super) Vec<u8>);

impl W {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire));
    }

    pub(super) fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes(field, s.as_bytes());
        }
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn boolean(&mut self, field: u32, b: bool, always: bool) {
        if b || always {
            self.key(field, 0);
            self.varint(u64::from(b));
        }
    }

    fn int64(&mut self, field: u32, v: i64) {
        if v != 0 {
            self.key(field, 0);
            self.varint(v as u64);
        }
    }

    fn double(&mut self, field: u32, v: f64) {
        if v != 0.0 {
            self.key(field, 1);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
    }

    pub(super) fn message(&mut self, field: u32, f: impl FnOnce(&mut W)) {
        let mut child = W::default();
        f(&mut child);
        self.bytes(field, &child.0);
    }

    /// gnostic's `Any`: `{yaml = 2}` holding the value's JSON text.
    fn any(&mut self, field: u32, v: &Value) {
        self.message(field, |w| w.string(2, &v.to_string()));
    }

    /// A `NamedAny` per `x-` key of `o`.
    fn extensions(&mut self, field: u32, o: &Map<String, Value>) {
        for (k, v) in o.iter().filter(|(k, _)| k.starts_with("x-")) {
            self.message(field, |w| {
                w.string(1, k);
                w.any(2, v);
            });
        }
    }
}

fn str_of<'a>(o: &'a Map<String, Value>, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

/// `openapi.v2.Schema`.
pub(super) fn schema(w: &mut W, v: &Value) {
    let Some(o) = v.as_object() else {
        return;
    };
    w.string(1, str_of(o, "$ref"));
    w.string(2, str_of(o, "format"));
    w.string(3, str_of(o, "title"));
    w.string(4, str_of(o, "description"));
    if let Some(d) = o.get("default") {
        w.any(5, d);
    }
    let num = |k: &str| o.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let int = |k: &str| o.get(k).and_then(Value::as_i64).unwrap_or(0);
    let flag = |k: &str| o.get(k).and_then(Value::as_bool).unwrap_or(false);
    w.double(6, num("multipleOf"));
    w.double(7, num("maximum"));
    w.boolean(8, flag("exclusiveMaximum"), false);
    w.double(9, num("minimum"));
    w.boolean(10, flag("exclusiveMinimum"), false);
    w.int64(11, int("maxLength"));
    w.int64(12, int("minLength"));
    w.string(13, str_of(o, "pattern"));
    w.int64(14, int("maxItems"));
    w.int64(15, int("minItems"));
    w.boolean(16, flag("uniqueItems"), false);
    w.int64(17, int("maxProperties"));
    w.int64(18, int("minProperties"));
    for r in strings(o.get("required")) {
        w.string(19, r);
    }
    if let Some(Value::Array(e)) = o.get("enum") {
        for v in e {
            w.any(20, v);
        }
    }
    match o.get("additionalProperties") {
        Some(Value::Bool(b)) => w.message(21, |w| w.boolean(2, *b, true)),
        Some(s @ Value::Object(_)) => w.message(21, |w| w.message(1, |w| schema(w, s))),
        _ => {}
    }
    if o.contains_key("type") {
        w.message(22, |w| strings(o.get("type")).for_each(|t| w.string(1, t)));
    }
    match o.get("items") {
        Some(s @ Value::Object(_)) => w.message(23, |w| w.message(1, |w| schema(w, s))),
        Some(Value::Array(a)) => w.message(23, |w| {
            for s in a {
                w.message(1, |w| schema(w, s));
            }
        }),
        _ => {}
    }
    if let Some(Value::Array(a)) = o.get("allOf") {
        for s in a {
            w.message(24, |w| schema(w, s));
        }
    }
    if let Some(Value::Object(props)) = o.get("properties") {
        w.message(25, |w| {
            for (name, s) in props {
                w.message(1, |w| {
                    w.string(1, name);
                    w.message(2, |w| schema(w, s));
                });
            }
        });
    }
    w.string(26, str_of(o, "discriminator"));
    w.boolean(27, flag("readOnly"), false);
    if let Some(Value::Object(d)) = o.get("externalDocs") {
        w.message(29, |w| {
            w.string(1, str_of(d, "description"));
            w.string(2, str_of(d, "url"));
        });
    }
    if let Some(e) = o.get("example") {
        w.any(30, e);
    }
    w.extensions(31, o);
}

/// `Definitions.additional_properties` entries (`NamedSchema`) for `names`.
pub(super) fn definitions<'a>(w: &mut W, defs: impl IntoIterator<Item = (&'a str, &'a Value)>) {
    for (name, s) in defs {
        w.message(1, |w| {
            w.string(1, name);
            w.message(2, |w| schema(w, s));
        });
    }
}

/// `Paths.path` entries (`NamedPathItem`).
pub(super) fn paths(w: &mut W, paths: &Map<String, Value>) {
    for (name, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        w.message(2, |w| {
            w.string(1, name);
            w.message(2, |w| path_item(w, item));
        });
    }
}

fn path_item(w: &mut W, o: &Map<String, Value>) {
    w.string(1, str_of(o, "$ref"));
    for (field, method) in [
        (2, "get"),
        (3, "put"),
        (4, "post"),
        (5, "delete"),
        (6, "options"),
        (7, "head"),
        (8, "patch"),
    ] {
        if let Some(Value::Object(op)) = o.get(method) {
            w.message(field, |w| operation(w, op));
        }
    }
    parameters(w, 9, o.get("parameters"));
    w.extensions(10, o);
}

fn operation(w: &mut W, o: &Map<String, Value>) {
    strings(o.get("tags")).for_each(|t| w.string(1, t));
    w.string(2, str_of(o, "summary"));
    w.string(3, str_of(o, "description"));
    w.string(5, str_of(o, "operationId"));
    strings(o.get("produces")).for_each(|t| w.string(6, t));
    strings(o.get("consumes")).for_each(|t| w.string(7, t));
    parameters(w, 8, o.get("parameters"));
    if let Some(Value::Object(rs)) = o.get("responses") {
        w.message(9, |w| {
            for (code, r) in rs {
                let Some(r) = r.as_object() else { continue };
                w.message(1, |w| {
                    w.string(1, code);
                    // ResponseValue.response = 1: Response.
                    w.message(2, |w| {
                        w.message(1, |w| {
                            w.string(1, str_of(r, "description"));
                            if let Some(s) = r.get("schema") {
                                // SchemaItem.schema = 1.
                                w.message(2, |w| w.message(1, |w| schema(w, s)));
                            }
                            w.extensions(5, r);
                        })
                    });
                });
            }
        });
    }
    strings(o.get("schemes")).for_each(|t| w.string(10, t));
    w.boolean(
        11,
        o.get("deprecated").and_then(Value::as_bool) == Some(true),
        false,
    );
    w.extensions(13, o);
}

/// `ParametersItem`s: `{parameter = 1: Parameter}`, with Parameter =
/// `{body_parameter = 1 | non_body_parameter = 2}` and NonBodyParameter =
/// `{header = 1 | form_data = 2 | query = 3 | path = 4}` sub-schemas.
fn parameters(w: &mut W, field: u32, v: Option<&Value>) {
    let Some(Value::Array(ps)) = v else {
        return;
    };
    for p in ps.iter().filter_map(Value::as_object) {
        w.message(field, |w| {
            if let Some(r) = p.get("$ref").and_then(Value::as_str) {
                w.message(2, |w| w.string(1, r));
                return;
            }
            w.message(1, |w| {
                let location = str_of(p, "in");
                let required = p.get("required").and_then(Value::as_bool) == Some(true);
                if location == "body" {
                    w.message(1, |w| {
                        w.string(1, str_of(p, "description"));
                        w.string(2, str_of(p, "name"));
                        w.string(3, location);
                        w.boolean(4, required, false);
                        if let Some(s) = p.get("schema") {
                            w.message(5, |w| schema(w, s));
                        }
                        w.extensions(6, p);
                    });
                    return;
                }
                // The sub-schemas share fields 1-4; `type` and `uniqueItems` sit at
                // 6/20 (query, formData) or 5/19 (header, path).
                let (sub, ty, unique, ext) = match location {
                    "query" => (3, 6, 20, 23),
                    "path" => (4, 5, 19, 22),
                    "header" => (1, 5, 19, 22),
                    _ => (2, 6, 20, 23),
                };
                w.message(2, |w| {
                    w.message(sub, |w| {
                        w.boolean(1, required, false);
                        w.string(2, location);
                        w.string(3, str_of(p, "description"));
                        w.string(4, str_of(p, "name"));
                        w.string(ty, str_of(p, "type"));
                        w.boolean(
                            unique,
                            p.get("uniqueItems").and_then(Value::as_bool) == Some(true),
                            false,
                        );
                        w.extensions(ext, p);
                    })
                });
            });
        });
    }
}
