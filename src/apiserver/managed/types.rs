//! What server-side apply needs to know about a kind's fields: which objects are
//! structs or maps (and whether they are atomic), which lists are atomic, sets, or
//! associative lists and by which keys.
//!
//! Built-in kinds are compiled once from the OpenAPI definitions kelp publishes (the
//! same `x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`
//! and patch-strategy extensions upstream derives its types from); custom resources
//! from their CRD's structural schema. A field the schema does not know is "deduced"
//! from its value, as upstream does: objects merge key by key, lists are atomic.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// A type in an arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeRef {
    /// In the built-in arena.
    Builtin(usize),
    /// In a custom resource's own arena.
    Own(usize),
    Deduced,
    Scalar,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    Atomic,
    Set,
    /// Associative, by these key fields.
    Map(Vec<String>),
}

#[derive(Debug, Clone)]
pub enum Type {
    /// An object with named fields; `extra` types the fields it does not name.
    Struct {
        fields: HashMap<String, TypeRef>,
        extra: TypeRef,
        atomic: bool,
    },
    /// An object with arbitrary keys.
    Map {
        elem: TypeRef,
        atomic: bool,
    },
    List {
        elem: TypeRef,
        kind: ListKind,
    },
}

/// The types of one kind: its root and the arenas its references point into.
#[derive(Debug, Clone)]
pub struct Schema {
    root: TypeRef,
    own: Vec<Type>,
}

/// How a value is treated at one place in an object.
#[derive(Debug, Clone, Copy)]
pub enum Shape<'a> {
    /// Replaced whole; owned as one leaf.
    Atomic,
    /// An object merged key by key. `members` says whether a newly added object of this
    /// type is a member itself (maps and custom objects are, built-in structs are not:
    /// upstream's Go structs always exist in the old object).
    Fields {
        schema: &'a Schema,
        ty: Option<&'a Type>,
        members: bool,
    },
    Set,
    Assoc {
        schema: &'a Schema,
        elem: TypeRef,
        keys: &'a [String],
    },
}

struct Builtin {
    arena: Vec<Type>,
    roots: HashMap<String, usize>,
}

static BUILTIN: OnceLock<Builtin> = OnceLock::new();

fn builtin() -> &'static Builtin {
    BUILTIN.get_or_init(|| {
        let defs = crate::apiserver::openapi::builtin_definitions();
        let mut c = Compiler {
            defs: &defs,
            arena: Vec::new(),
            by_name: HashMap::new(),
        };
        let names: Vec<String> = defs.keys().cloned().collect();
        for name in &names {
            c.definition(name);
        }
        Builtin {
            arena: c.arena,
            roots: c.by_name,
        }
    })
}

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

impl Schema {
    /// A built-in kind's schema, by its OpenAPI definition name.
    pub fn builtin(definition: &str) -> Option<Schema> {
        let b = builtin();
        let id = *b.roots.get(definition)?;
        Some(Schema {
            root: TypeRef::Builtin(id),
            own: Vec::new(),
        })
    }

    /// A schema that knows nothing: every field deduced.
    pub fn deduced() -> Schema {
        Schema {
            root: TypeRef::Deduced,
            own: Vec::new(),
        }
    }

    /// A custom resource's schema from its CRD version's `openAPIV3Schema`.
    pub fn custom(open_api_v3: &Value) -> Schema {
        let mut own = Vec::new();
        let root = custom_type(open_api_v3, &mut own, true);
        Schema { root, own }
    }

    pub fn root(&self) -> TypeRef {
        self.root
    }

    fn get(&self, r: TypeRef) -> Option<&Type> {
        match r {
            TypeRef::Builtin(i) => builtin().arena.get(i),
            TypeRef::Own(i) => self.own.get(i),
            TypeRef::Deduced | TypeRef::Scalar => None,
        }
    }

    /// The type of field `name` of an object of type `parent`.
    pub fn field(&self, parent: Option<&Type>, name: &str) -> TypeRef {
        match parent {
            Some(Type::Struct { fields, extra, .. }) => fields.get(name).copied().unwrap_or(*extra),
            Some(Type::Map { elem, .. }) => *elem,
            _ => TypeRef::Deduced,
        }
    }

    /// How a value of type `r` is treated; `v` decides deduced types.
    pub fn shape<'a>(&'a self, r: TypeRef, v: &Value) -> Shape<'a> {
        let custom = matches!(r, TypeRef::Own(_)) || self.own_root();
        match (r, self.get(r)) {
            (TypeRef::Scalar, _) => Shape::Atomic,
            (_, Some(Type::Struct { atomic: true, .. }))
            | (_, Some(Type::Map { atomic: true, .. })) => Shape::Atomic,
            (_, Some(t @ Type::Struct { .. })) if v.is_object() => Shape::Fields {
                schema: self,
                ty: Some(t),
                members: custom,
            },
            (_, Some(t @ Type::Map { .. })) if v.is_object() => Shape::Fields {
                schema: self,
                ty: Some(t),
                members: true,
            },
            (_, Some(Type::List { kind, elem })) if v.is_array() => match kind {
                ListKind::Atomic => Shape::Atomic,
                ListKind::Set => Shape::Set,
                ListKind::Map(keys) => Shape::Assoc {
                    schema: self,
                    elem: *elem,
                    keys,
                },
            },
            (TypeRef::Deduced, _) if v.is_object() => Shape::Fields {
                schema: self,
                ty: None,
                members: true,
            },
            _ => Shape::Atomic,
        }
    }

    fn own_root(&self) -> bool {
        matches!(self.root, TypeRef::Own(_))
    }
}

/// Compiles normalized Swagger 2.0 definitions (`$ref: #/definitions/NAME`).
struct Compiler<'d> {
    defs: &'d Map<String, Value>,
    arena: Vec<Type>,
    by_name: HashMap<String, usize>,
}

impl Compiler<'_> {
    fn definition(&mut self, name: &str) -> TypeRef {
        if let Some(id) = self.by_name.get(name) {
            return TypeRef::Builtin(*id);
        }
        let Some(schema) = self.defs.get(name) else {
            return TypeRef::Deduced;
        };
        if !is_object_like(schema) && !is_array(schema) {
            return if is_untyped(schema) {
                TypeRef::Deduced
            } else {
                TypeRef::Scalar
            };
        }
        // reserve the slot first: definitions may refer to themselves (JSONSchemaProps)
        let id = self.arena.len();
        self.arena.push(Type::Map {
            elem: TypeRef::Deduced,
            atomic: false,
        });
        self.by_name.insert(name.to_string(), id);
        let t = self.compile_type(schema);
        self.arena[id] = t;
        TypeRef::Builtin(id)
    }

    fn reference(&mut self, schema: &Value) -> TypeRef {
        if let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
        {
            return self.definition(target);
        }
        if is_object_like(schema) || is_array(schema) {
            let t = self.compile_type(schema);
            self.arena.push(t);
            return TypeRef::Builtin(self.arena.len() - 1);
        }
        if is_untyped(schema) {
            TypeRef::Deduced
        } else {
            TypeRef::Scalar
        }
    }

    fn compile_type(&mut self, schema: &Value) -> Type {
        if is_array(schema) {
            let elem = match schema.get("items") {
                Some(items) => self.reference(items),
                None => TypeRef::Deduced,
            };
            return Type::List {
                elem,
                kind: list_kind(schema),
            };
        }
        let atomic = schema.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic");
        let extra = match schema.get("additionalProperties") {
            Some(Value::Bool(false)) | None => TypeRef::Deduced,
            Some(Value::Bool(true)) => TypeRef::Deduced,
            Some(s) => self.reference(s),
        };
        match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                let mut fields = HashMap::new();
                for (name, prop) in props {
                    let r = self.reference(prop);
                    fields.insert(name.clone(), r);
                }
                Type::Struct {
                    fields,
                    extra,
                    atomic,
                }
            }
            None => Type::Map {
                elem: extra,
                atomic,
            },
        }
    }
}

fn type_of(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

fn is_array(schema: &Value) -> bool {
    type_of(schema) == Some("array")
}

fn is_object_like(schema: &Value) -> bool {
    type_of(schema) == Some("object")
        || schema.get("properties").is_some()
        || schema
            .get("additionalProperties")
            .is_some_and(Value::is_object)
}

fn is_untyped(schema: &Value) -> bool {
    type_of(schema).is_none()
        && schema.get("$ref").is_none()
        && schema.get("x-kubernetes-int-or-string").is_none()
        && schema.get("format").is_none()
}

/// `x-kubernetes-list-type` (with `x-kubernetes-list-map-keys`), else what the patch
/// strategy implies (upstream's conversion: a merge key makes an associative list,
/// `merge` without one a set), else atomic.
fn list_kind(schema: &Value) -> ListKind {
    let keys = || -> Vec<String> {
        schema
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|ks| {
                ks.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => return ListKind::Set,
        Some("map") => return ListKind::Map(keys()),
        Some(_) => return ListKind::Atomic,
        None => {}
    }
    let strategy = schema
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
        .unwrap_or("");
    if strategy.split(',').any(|s| s == "merge") {
        match schema
            .get("x-kubernetes-patch-merge-key")
            .and_then(Value::as_str)
        {
            Some(k) if !k.is_empty() => ListKind::Map(vec![k.to_string()]),
            _ => ListKind::Set,
        }
    } else {
        ListKind::Atomic
    }
}

/// A CRD's structural schema: no `$ref`s; unknown fields are deduced when
/// `x-kubernetes-preserve-unknown-fields` says they are kept.
fn custom_type(schema: &Value, own: &mut Vec<Type>, root: bool) -> TypeRef {
    if schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true)
    {
        return TypeRef::Scalar;
    }
    let preserve = schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    let t = match type_of(schema) {
        Some("array") => {
            let elem = match schema.get("items") {
                Some(items) => custom_type(items, own, false),
                None => TypeRef::Deduced,
            };
            Type::List {
                elem,
                kind: list_kind(schema),
            }
        }
        Some("object") | None
            if root
                || schema.get("properties").is_some()
                || schema.get("additionalProperties").is_some()
                || preserve =>
        {
            let atomic =
                schema.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic");
            let extra = match schema.get("additionalProperties") {
                Some(s @ Value::Object(_)) => custom_type(s, own, false),
                _ => TypeRef::Deduced,
            };
            match schema.get("properties").and_then(Value::as_object) {
                Some(props) => {
                    let mut fields = HashMap::new();
                    for (name, prop) in props {
                        fields.insert(name.clone(), custom_type(prop, own, false));
                    }
                    if root {
                        let meta = Schema::builtin(OBJECT_META)
                            .map(|s| s.root)
                            .unwrap_or(TypeRef::Deduced);
                        fields.insert("metadata".into(), meta);
                        fields.insert("apiVersion".into(), TypeRef::Scalar);
                        fields.insert("kind".into(), TypeRef::Scalar);
                    }
                    Type::Struct {
                        fields,
                        extra,
                        atomic,
                    }
                }
                None if root => {
                    let meta = Schema::builtin(OBJECT_META)
                        .map(|s| s.root)
                        .unwrap_or(TypeRef::Deduced);
                    Type::Struct {
                        fields: HashMap::from([
                            ("metadata".to_string(), meta),
                            ("apiVersion".to_string(), TypeRef::Scalar),
                            ("kind".to_string(), TypeRef::Scalar),
                        ]),
                        extra,
                        atomic,
                    }
                }
                None => Type::Map {
                    elem: extra,
                    atomic,
                },
            }
        }
        Some("object") => return TypeRef::Deduced,
        None => return TypeRef::Deduced,
        Some(_) => return TypeRef::Scalar,
    };
    own.push(t);
    TypeRef::Own(own.len() - 1)
}
