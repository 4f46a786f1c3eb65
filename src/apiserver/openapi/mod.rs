//! The OpenAPI documents the API server publishes, generated from k8s-openapi's Rust
//! types (their `schemars::JsonSchema` impls), not written by hand:
//!
//! - `GET /openapi/v3`: the discovery document,
//!   `{"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=HEX"},…}}`
//!   ([`OpenApi::v3_root`]);
//! - `GET /openapi/v3/api/v1`, `/openapi/v3/apis/G/V`: one OpenAPI 3.0 document per
//!   group-version ([`OpenApi::v3_group_version`]), with the resources' `paths` and the
//!   `components.schemas` of every type reachable from them;
//! - `GET /openapi/v2`: one Swagger 2.0 document for everything ([`OpenApi::v2`]).
//!
//! kubectl needs them: `apply`/`create` validate against them (and skip client-side
//! validation when the PATCH operation declares `fieldValidation`), `apply` computes its
//! strategic merge patches from the schemas' `x-kubernetes-patch-*` extensions, and
//! `explain` prints the schemas' descriptions.
//!
//! The module is pure: [`OpenApi::new`] renders every document to bytes once (the
//! schemas are large; nothing but the bytes and the small meta/v1 subset custom
//! resources need is kept) and the server hands the bytes out.
//!
//! Definition names and shapes follow upstream (`io.k8s.api.core.v1.Pod`, GVKs in
//! `x-kubernetes-group-version-kind`, IntOrString/Quantity as kube-openapi writes them,
//! `$ref` siblings wrapped in `allOf` in v3); the list/map/patch extensions k8s-openapi
//! drops come from [`listmeta`].

mod builtin;
mod listmeta;
mod paths;
mod protobuf;
mod schema;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

pub use builtin::{BUILTIN_KINDS, BuiltinKind, builtin_kind};
use builtin::{DELETE_OPTIONS, LIST_META, META_ROOTS, OBJECT_META, PATCH, STATUS, WATCH_EVENT};
use paths::{Format, Resource};
use schema::{Definitions, SchemaSet, V2_PREFIX};

/// The Kubernetes version the documents' `info` claims.
const INFO_VERSION: &str = super::KUBERNETES_VERSION;

/// Subresources whose bodies are API objects and get paths; the others (log, exec,
/// attach, portforward, proxy) stream or tunnel and are left out.
const BODY_SUBRESOURCES: &[&str] = &[
    "approval",
    "binding",
    "ephemeralcontainers",
    "eviction",
    "finalize",
    "resize",
    "scale",
    "status",
    "token",
];

/// One resource (or subresource: `plural` = `deployments/scale`) the server serves, as
/// its discovery document lists it. For a subresource `kind` is the body's kind
/// (`Scale`, `Eviction`, or the parent's own kind for `status`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedKind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

/// The normalized definitions of every built-in kind and of meta/v1, as the documents
/// publish them (server-side apply compiles its field types from these).
pub fn builtin_definitions() -> Map<String, Value> {
    let mut generator = schema::generator();
    for root in META_ROOTS {
        root(&mut generator);
    }
    for b in BUILTIN_KINDS {
        (b.subschema)(&mut generator);
    }
    let mut defs = generator.take_definitions(false);
    schema::normalize(&mut defs);
    defs
}

/// The rendered OpenAPI documents.
pub struct OpenApi {
    /// Group-version path (`api/v1`, `apis/apps/v1`) → (document, hash).
    v3: BTreeMap<String, (Vec<u8>, String)>,
    /// Paths of `v3` made from built-in kinds (custom resources may not join them).
    builtin_paths: BTreeSet<String>,
    v3_root: Vec<u8>,
    v2: Vec<u8>,
    /// `v2` as gnostic protobuf: the built-in part, then the custom part.
    v2_protobuf: Vec<u8>,
    v2_protobuf_builtin_len: usize,
    /// Where custom resources' paths and definitions go in `v2` (offsets in the
    /// built-in-only layout), whether a comma must precede them, and how long the
    /// current custom parts are.
    v2_paths_at: usize,
    v2_defs_at: usize,
    v2_paths_comma: bool,
    v2_defs_comma: bool,
    v2_custom_paths_len: usize,
    v2_custom_defs_len: usize,
    /// The meta/v1 definitions a custom resource's document needs.
    meta: Definitions,
    custom: Vec<Custom>,
}

/// A custom resource added with [`OpenApi::with_custom`].
struct Custom {
    group: String,
    version: String,
    kind: String,
    plural: String,
    namespaced: bool,
    definition: String,
    list_definition: String,
    schema: Value,
    list: Value,
}

/// A resource resolved to its definitions.
struct Resolved<'a> {
    served: &'a ServedKind,
    body: (String, String, String),
    owner_kind: String,
    definition: String,
    list_definition: Option<String>,
}

impl OpenApi {
    /// Renders the documents for `kinds`. Kinds that are not built in (custom
    /// resources) and subresources without an object body are skipped.
    pub fn new(kinds: &[ServedKind]) -> OpenApi {
        let mut generator = schema::generator();
        for root in META_ROOTS {
            root(&mut generator);
        }
        let mut resolved: Vec<Resolved<'_>> = Vec::new();
        for served in kinds {
            let Some(r) = resolve(served, kinds) else {
                tracing::debug!(
                    group = %served.group, version = %served.version, kind = %served.kind,
                    plural = %served.plural, "no OpenAPI schema for this resource"
                );
                continue;
            };
            resolved.push(r);
        }
        for r in &resolved {
            let (g, v, k) = &r.body;
            if let Some(b) = builtin_kind(g, v, k) {
                (b.subschema)(&mut generator);
            }
        }
        let mut defs = generator.take_definitions(false);
        drop(generator);
        schema::normalize(&mut defs);

        // Lists, and the group-version-kind extensions.
        let mut gvks: BTreeMap<String, BTreeSet<(String, String, String)>> = BTreeMap::new();
        for r in &resolved {
            let (g, v, k) = &r.body;
            gvks.entry(r.definition.clone())
                .or_default()
                .insert((g.clone(), v.clone(), k.clone()));
            if let Some(list) = &r.list_definition {
                let kind_plural = r.served.plural.as_str();
                defs.insert(list.clone(), list_schema(&r.definition, k, kind_plural));
                gvks.entry(list.clone()).or_default().insert((
                    g.clone(),
                    v.clone(),
                    format!("{k}List"),
                ));
            }
        }
        let mut gvs: BTreeSet<(String, String)> = resolved
            .iter()
            .map(|r| (r.served.group.clone(), r.served.version.clone()))
            .collect();
        gvs.insert((String::new(), "v1".into()));
        for (def, kind) in [
            (DELETE_OPTIONS, "DeleteOptions"),
            (WATCH_EVENT, "WatchEvent"),
        ] {
            let set = gvks.entry(def.into()).or_default();
            for (g, v) in &gvs {
                set.insert((g.clone(), v.clone(), kind.into()));
            }
        }
        gvks.entry(STATUS.into()).or_default().insert((
            String::new(),
            "v1".into(),
            "Status".into(),
        ));
        for (def, set) in &gvks {
            if let Some(o) = defs.get_mut(def).and_then(Value::as_object_mut) {
                let list: Vec<Value> = set.iter().map(|(g, v, k)| schema::gvk(g, v, k)).collect();
                o.insert("x-kubernetes-group-version-kind".into(), Value::Array(list));
            }
        }

        // One v3 document per group-version.
        let meta_roots = [
            DELETE_OPTIONS,
            LIST_META,
            OBJECT_META,
            PATCH,
            STATUS,
            WATCH_EVENT,
        ];
        let mut by_gv: BTreeMap<String, Vec<&Resolved<'_>>> = BTreeMap::new();
        for r in &resolved {
            by_gv
                .entry(gv_path(&r.served.group, &r.served.version))
                .or_default()
                .push(r);
        }
        let mut v3 = BTreeMap::new();
        let mut all_names = BTreeSet::new();
        for (path, rs) in &by_gv {
            let mut names = BTreeSet::new();
            let roots = rs
                .iter()
                .flat_map(|r| {
                    std::iter::once(r.definition.as_str()).chain(r.list_definition.as_deref())
                })
                .chain(meta_roots);
            schema::closure(&defs, roots, &mut names);
            let mut paths = Map::new();
            for r in rs {
                paths::add(&mut paths, &resource(r), Format::V3);
            }
            let doc = render_v3(
                &paths,
                SchemaSet {
                    sources: vec![&defs],
                    names: &names,
                    v3: true,
                },
            );
            all_names.extend(names);
            let hash = hash(&doc);
            v3.insert(path.clone(), (doc, hash));
        }
        let builtin_paths = v3.keys().cloned().collect();

        // The v2 document.
        let mut paths = Map::new();
        for r in &resolved {
            paths::add(&mut paths, &resource(r), Format::V2);
        }
        schema::closure(&defs, meta_roots, &mut all_names);
        let mut v2 = Vec::new();
        v2.extend_from_slice(br#"{"swagger":"2.0","info":"#);
        serde_json::to_writer(&mut v2, &info()).expect("serializing to memory");
        v2.extend_from_slice(br#","paths":"#);
        serde_json::to_writer(&mut v2, &paths).expect("serializing to memory");
        v2.pop();
        let v2_paths_comma = v2.last() != Some(&b'{');
        let v2_paths_at = v2.len();
        v2.extend_from_slice(br#"},"definitions":"#);
        let set = SchemaSet {
            sources: vec![&defs],
            names: &all_names,
            v3: false,
        };
        serde_json::to_writer(&mut v2, &set).expect("serializing to memory");
        v2.pop();
        let v2_defs_comma = v2.last() != Some(&b'{');
        let v2_defs_at = v2.len();
        v2.extend_from_slice(b"}}");
        v2.shrink_to_fit();
        let mut pb = protobuf::W::default();
        protobuf_head(&mut pb);
        pb.message(8, |w| protobuf::paths(w, &paths));
        drop(paths);
        pb.message(9, |w| {
            let named = all_names
                .iter()
                .filter_map(|n| defs.get(n).map(|d| (n.as_str(), d)));
            protobuf::definitions(w, named);
        });
        let mut v2_protobuf = pb.0;
        v2_protobuf.shrink_to_fit();
        let v2_protobuf_builtin_len = v2_protobuf.len();

        let mut meta_names = BTreeSet::new();
        schema::closure(&defs, meta_roots, &mut meta_names);
        let meta: Definitions = meta_names
            .iter()
            .filter_map(|n| defs.get(n).map(|d| (n.clone(), d.clone())))
            .collect();
        drop(defs);

        let mut api = OpenApi {
            v3,
            builtin_paths,
            v3_root: Vec::new(),
            v2,
            v2_protobuf,
            v2_protobuf_builtin_len,
            v2_paths_at,
            v2_defs_at,
            v2_paths_comma,
            v2_defs_comma,
            v2_custom_paths_len: 0,
            v2_custom_defs_len: 0,
            meta,
            custom: Vec::new(),
        };
        api.render_root();
        api
    }

    /// Adds (or replaces) a custom resource: `schema` is the CRD version's structural
    /// `openAPIV3Schema`. Its group-version gets a v3 document of its own, and `v2` and
    /// the root are re-rendered. A group-version already served by built-in kinds is
    /// left alone (CRDs may not join built-in groups).
    pub fn with_custom(
        mut self,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
        schema: Value,
    ) -> OpenApi {
        let path = gv_path(group, version);
        if self.builtin_paths.contains(&path) {
            tracing::warn!(%group, %version, %kind, "custom resource in a built-in group-version: not published");
            return self;
        }
        let definition = format!("{}.{version}.{kind}", reverse_domain(group));
        let mut schema = match schema {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        schema.entry("type").or_insert_with(|| "object".into());
        let props = schema
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = props {
            let standard = standard_properties();
            for key in ["apiVersion", "kind", "metadata"] {
                props.insert(key.into(), standard[key].clone());
            }
        }
        schema.insert(
            "x-kubernetes-group-version-kind".into(),
            json!([schema::gvk(group, version, kind)]),
        );
        let mut list = list_schema(&definition, kind, plural);
        list["x-kubernetes-group-version-kind"] =
            json!([schema::gvk(group, version, &format!("{kind}List"))]);
        self.custom
            .retain(|c| !(c.group == group && c.version == version && c.kind == kind));
        self.custom.push(Custom {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            list_definition: format!("{definition}List"),
            definition,
            schema: Value::Object(schema),
            list,
        });
        self.render_custom(group, version);
        self.render_root();
        self
    }

    /// `GET /openapi/v3`.
    pub fn v3_root(&self) -> &[u8] {
        &self.v3_root
    }

    /// `GET /openapi/v3/{path}` for `path` = `api/v1` or `apis/{group}/{version}` (a
    /// leading `/` is ignored; strip the `?hash=` query first).
    pub fn v3_group_version(&self, path: &str) -> Option<&[u8]> {
        self.v3
            .get(path.trim_start_matches('/'))
            .map(|(d, _)| d.as_slice())
    }

    /// The hash the root document advertises for `path`: a request whose `?hash=`
    /// equals it may be answered with `Cache-Control: public, immutable`.
    pub fn v3_hash(&self, path: &str) -> Option<&str> {
        self.v3
            .get(path.trim_start_matches('/'))
            .map(|(_, h)| h.as_str())
    }

    /// The group-version paths that have a v3 document.
    pub fn v3_paths(&self) -> impl Iterator<Item = &str> {
        self.v3.keys().map(String::as_str)
    }

    /// `GET /openapi/v2` (JSON, for `Accept: application/json`).
    pub fn v2(&self) -> &[u8] {
        &self.v2
    }

    /// `GET /openapi/v2` as [`V2_PROTOBUF_CONTENT_TYPE`], which client-go (kubectl)
    /// asks for and requires.
    pub fn v2_protobuf(&self) -> &[u8] {
        &self.v2_protobuf
    }

    /// The bytes held: all documents together.
    pub fn size(&self) -> usize {
        self.v3_root.len()
            + self.v2.len()
            + self.v2_protobuf.len()
            + self.v3.values().map(|(d, _)| d.len()).sum::<usize>()
    }

    fn render_root(&mut self) {
        let paths: BTreeMap<&str, Value> = self
            .v3
            .iter()
            .map(|(p, (_, h))| {
                (
                    p.as_str(),
                    json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={h}")}),
                )
            })
            .collect();
        self.v3_root =
            serde_json::to_vec(&json!({ "paths": paths })).expect("serializing to memory");
    }

    /// Re-renders the v3 document of one custom group-version and the custom parts of v2.
    fn render_custom(&mut self, group: &str, version: &str) {
        let mut defs = Definitions::new();
        let mut paths = Map::new();
        for c in self
            .custom
            .iter()
            .filter(|c| c.group == group && c.version == version)
        {
            defs.insert(c.definition.clone(), c.schema.clone());
            defs.insert(c.list_definition.clone(), c.list.clone());
            paths::add(&mut paths, &custom_resource(c), Format::V3);
        }
        let mut names: BTreeSet<String> = defs.keys().cloned().collect();
        names.extend(self.meta.keys().cloned());
        let doc = render_v3(
            &paths,
            SchemaSet {
                sources: vec![&defs, &self.meta],
                names: &names,
                v3: true,
            },
        );
        let hash = hash(&doc);
        self.v3.insert(gv_path(group, version), (doc, hash));

        // v2: every custom resource's paths and definitions, spliced in after the
        // built-in ones.
        let mut paths = Map::new();
        let mut defs = Definitions::new();
        for c in &self.custom {
            paths::add(&mut paths, &custom_resource(c), Format::V2);
            let mut s = c.schema.clone();
            schema::to_v2(&mut s);
            defs.insert(c.definition.clone(), s);
            defs.insert(c.list_definition.clone(), c.list.clone());
        }
        // The members of an object, without its braces, after a comma if `comma`.
        let fragment = |v: &Map<String, Value>, comma: bool| -> Vec<u8> {
            let mut b = serde_json::to_vec(v).expect("serializing to memory");
            if b.len() <= 2 {
                return Vec::new();
            }
            b.pop();
            if comma {
                b[0] = b',';
            } else {
                b.remove(0);
            }
            b
        };
        self.v2_protobuf.truncate(self.v2_protobuf_builtin_len);
        let mut pb = protobuf::W(std::mem::take(&mut self.v2_protobuf));
        pb.message(8, |w| protobuf::paths(w, &paths));
        pb.message(9, |w| {
            protobuf::definitions(w, defs.iter().map(|(n, d)| (n.as_str(), d)))
        });
        self.v2_protobuf = pb.0;
        let p = fragment(&paths, self.v2_paths_comma);
        let d = fragment(&defs, self.v2_defs_comma);
        let at = self.v2_paths_at;
        self.v2
            .splice(at..at + self.v2_custom_paths_len, p.iter().copied());
        let shift = p.len();
        self.v2_custom_paths_len = p.len();
        let at = self.v2_defs_at + shift;
        self.v2
            .splice(at..at + self.v2_custom_defs_len, d.iter().copied());
        self.v2_custom_defs_len = d.len();
    }
}

/// The content type of [`OpenApi::v2_protobuf`], as client-go's `Accept` header names it.
pub const V2_PROTOBUF_CONTENT_TYPE: &str =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// `openapi.v2.Document` fields `swagger = 1` and `info = 2` (`title = 1`, `version = 2`).
fn protobuf_head(w: &mut protobuf::W) {
    w.string(1, "2.0");
    w.message(2, |w| {
        w.string(1, "Kubernetes");
        w.string(2, INFO_VERSION);
    });
}

/// `api/v1` or `apis/{group}/{version}`.
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `stable.example.com` → `com.example.stable`: upstream's CRD definition prefix.
fn reverse_domain(group: &str) -> String {
    group.split('.').rev().collect::<Vec<_>>().join(".")
}

fn info() -> Value {
    json!({"title": "Kubernetes", "version": INFO_VERSION})
}

fn render_v3(paths: &Map<String, Value>, schemas: SchemaSet<'_>) -> Vec<u8> {
    #[derive(Serialize)]
    struct Components<'a> {
        schemas: SchemaSet<'a>,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        openapi: &'static str,
        info: Value,
        paths: &'a Map<String, Value>,
        components: Components<'a>,
    }
    let mut doc = serde_json::to_vec(&Doc {
        openapi: "3.0.0",
        info: info(),
        paths,
        components: Components { schemas },
    })
    .expect("serializing to memory");
    doc.shrink_to_fit();
    doc
}

/// FNV-1a (128 bits) of a document, in upper-case hex.
fn hash(bytes: &[u8]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    let h = bytes
        .iter()
        .fold(OFFSET, |h, b| (h ^ u128::from(*b)).wrapping_mul(PRIME));
    format!("{h:032X}")
}

const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// `apiVersion`, `kind` and `metadata` as every object has them.
fn standard_properties() -> Value {
    json!({
        "apiVersion": {"type": "string", "description": API_VERSION_DESCRIPTION},
        "kind": {"type": "string", "description": KIND_DESCRIPTION},
        "metadata": {
            "$ref": format!("{V2_PREFIX}{OBJECT_META}"),
            "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        },
    })
}

/// The `{Kind}List` definition (k8s-openapi has a generic `List<T>` without a schema).
fn list_schema(definition: &str, kind: &str, plural: &str) -> Value {
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string", "description": API_VERSION_DESCRIPTION},
            "items": {
                "description": format!("List of {plural}."),
                "type": "array",
                "items": {"$ref": format!("{V2_PREFIX}{definition}")},
            },
            "kind": {"type": "string", "description": KIND_DESCRIPTION},
            "metadata": {
                "$ref": format!("{V2_PREFIX}{LIST_META}"),
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
    })
}

/// Finds the built-in type of a served resource (for a subresource: of its body).
fn resolve<'a>(served: &'a ServedKind, all: &[ServedKind]) -> Option<Resolved<'a>> {
    let (g, v) = (served.group.as_str(), served.version.as_str());
    let Some((base, sub)) = served.plural.split_once('/') else {
        let b = builtin_kind(g, v, &served.kind)?;
        return Some(Resolved {
            served,
            body: (g.into(), v.into(), served.kind.clone()),
            owner_kind: served.kind.clone(),
            definition: b.definition().into_owned(),
            list_definition: b.list_definition(),
        });
    };
    if !BODY_SUBRESOURCES.contains(&sub) {
        return None;
    }
    let parent = all
        .iter()
        .find(|p| p.group == served.group && p.version == served.version && p.plural == base)?;
    builtin_kind(g, v, &parent.kind)?;
    // The body: the parent's own kind (status), or a kind of another group-version
    // (autoscaling/v1 Scale, policy/v1 Eviction, authentication.k8s.io/v1 TokenRequest).
    let b = builtin_kind(g, v, &served.kind).or_else(|| {
        BUILTIN_KINDS
            .iter()
            .find(|b| !b.listable && b.kind == served.kind)
    })?;
    Some(Resolved {
        served,
        body: (b.group.into(), b.version.into(), b.kind.into()),
        owner_kind: parent.kind.clone(),
        definition: b.definition().into_owned(),
        list_definition: None,
    })
}

fn resource<'a>(r: &'a Resolved<'_>) -> Resource<'a> {
    Resource {
        group: &r.served.group,
        version: &r.served.version,
        plural: &r.served.plural,
        namespaced: r.served.namespaced,
        verbs: &r.served.verbs,
        body_gvk: (&r.body.0, &r.body.1, &r.body.2),
        definition: &r.definition,
        list_definition: r.list_definition.as_deref(),
        owner_kind: &r.owner_kind,
        strategic_merge: true,
    }
}

const CUSTOM_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn custom_resource(c: &Custom) -> Resource<'_> {
    static VERBS: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| CUSTOM_VERBS.iter().map(|v| (*v).to_owned()).collect());
    Resource {
        group: &c.group,
        version: &c.version,
        plural: &c.plural,
        namespaced: c.namespaced,
        verbs: &VERBS,
        body_gvk: (&c.group, &c.version, &c.kind),
        definition: &c.definition,
        list_definition: Some(&c.list_definition),
        owner_kind: &c.kind,
        strategic_merge: false,
    }
}
