//! The `paths` of a document: for each resource the collection, item, all-namespaces
//! and watch paths with upstream's operations (`operationId`, `x-kubernetes-action`,
//! `x-kubernetes-group-version-kind`), rendered as Swagger 2.0 or OpenAPI 3.0.
//!
//! What kubectl reads from them:
//! - `kubectl explain` finds a resource's GVK on an operation of
//!   `/{prefix}/{version}[/namespaces/{namespace}]/{plural}[/{name}]`;
//! - `kubectl apply|create|replace` (`--validate=strict`, the default) leaves field
//!   validation to the server when the PATCH operation of the kind's GVK declares the
//!   `fieldValidation` query parameter (inline, `in: query`);
//! - `kubectl apply` computes a strategic merge patch from the v3 schemas when that PATCH
//!   operation accepts `application/strategic-merge-patch+json` (built-ins, not CRDs).

use serde_json::{Map, Value, json};

use super::builtin::{DELETE_OPTIONS, PATCH, STATUS, WATCH_EVENT};
use super::schema::{V2_PREFIX, V3_PREFIX, gvk};

/// A query or path parameter.
struct Param {
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    unique: bool,
}

const fn q(name: &'static str, ty: &'static str, description: &'static str) -> Param {
    Param {
        name,
        ty,
        description,
        unique: true,
    }
}

const PRETTY: Param = q(
    "pretty",
    "string",
    "If 'true', then the output is pretty printed.",
);
const DRY_RUN: Param = q(
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: All (all dry run stages will be processed).",
);
const FIELD_MANAGER: Param = q(
    "fieldManager",
    "string",
    "A name associated with the actor or entity that is making these changes.",
);
const FIELD_VALIDATION: Param = q(
    "fieldValidation",
    "string",
    "How the server handles unknown and duplicate fields in the request: Ignore, Warn (the default) or Strict (the request fails).",
);
const FORCE: Param = q(
    "force",
    "boolean",
    "Force is going to \"force\" Apply requests: re-acquire conflicting fields owned by other people. Only for apply patches.",
);
const ALLOW_WATCH_BOOKMARKS: Param = q(
    "allowWatchBookmarks",
    "boolean",
    "Requests watch events with type \"BOOKMARK\".",
);
const CONTINUE: Param = q(
    "continue",
    "string",
    "The continue token of a previous list call with a limit, to fetch the next chunk.",
);
const FIELD_SELECTOR: Param = q(
    "fieldSelector",
    "string",
    "A selector to restrict the list of returned objects by their fields.",
);
const LABEL_SELECTOR: Param = q(
    "labelSelector",
    "string",
    "A selector to restrict the list of returned objects by their labels.",
);
const LIMIT: Param = q(
    "limit",
    "integer",
    "The maximum number of responses to return for a list call.",
);
const RESOURCE_VERSION: Param = q(
    "resourceVersion",
    "string",
    "Constrains which resource versions the request may be served from.",
);
const RESOURCE_VERSION_MATCH: Param = q(
    "resourceVersionMatch",
    "string",
    "How resourceVersion is applied to list calls: Exact or NotOlderThan.",
);
const SEND_INITIAL_EVENTS: Param = q(
    "sendInitialEvents",
    "boolean",
    "With watch=true, starts the watch stream with synthetic events for the current state.",
);
const TIMEOUT_SECONDS: Param = q(
    "timeoutSeconds",
    "integer",
    "Timeout for the list/watch call, regardless of any activity or inactivity.",
);
const WATCH: Param = q(
    "watch",
    "boolean",
    "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
);
const GRACE_PERIOD_SECONDS: Param = q(
    "gracePeriodSeconds",
    "integer",
    "The duration in seconds before the object should be deleted; zero means delete immediately.",
);
const IGNORE_STORE_READ_ERROR: Param = q(
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "boolean",
    "Delete a corrupt object that cannot be read from storage. Dangerous.",
);
const ORPHAN_DEPENDENTS: Param = q(
    "orphanDependents",
    "boolean",
    "Deprecated: use propagationPolicy. Whether dependent objects should be orphaned.",
);
const PROPAGATION_POLICY: Param = q(
    "propagationPolicy",
    "string",
    "Whether and how garbage collection is performed: Orphan, Background or Foreground.",
);

const LIST_PARAMS: &[&Param] = &[
    &ALLOW_WATCH_BOOKMARKS,
    &CONTINUE,
    &FIELD_SELECTOR,
    &LABEL_SELECTOR,
    &LIMIT,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
    &WATCH,
];
const WRITE_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION];
const PATCH_PARAMS: &[&Param] = &[&DRY_RUN, &FIELD_MANAGER, &FIELD_VALIDATION, &FORCE];
const DELETE_PARAMS: &[&Param] = &[
    &DRY_RUN,
    &GRACE_PERIOD_SECONDS,
    &IGNORE_STORE_READ_ERROR,
    &ORPHAN_DEPENDENTS,
    &PROPAGATION_POLICY,
];
const DELETE_COLLECTION_PARAMS: &[&Param] = &[
    &CONTINUE,
    &DRY_RUN,
    &FIELD_SELECTOR,
    &GRACE_PERIOD_SECONDS,
    &IGNORE_STORE_READ_ERROR,
    &LABEL_SELECTOR,
    &LIMIT,
    &ORPHAN_DEPENDENTS,
    &PROPAGATION_POLICY,
    &RESOURCE_VERSION,
    &RESOURCE_VERSION_MATCH,
    &SEND_INITIAL_EVENTS,
    &TIMEOUT_SECONDS,
];

const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// One resource or subresource to publish paths for.
pub(super) struct Resource<'a> {
    /// The group-version the path is served under.
    pub(super) group: &'a str,
    pub(super) version: &'a str,
    /// `pods`, or `deployments/scale` for a subresource.
    pub(super) plural: &'a str,
    pub(super) namespaced: bool,
    pub(super) verbs: &'a [String],
    /// The group-version-kind of the request and response bodies (`autoscaling/v1
    /// Scale` for `deployments/scale`).
    pub(super) body_gvk: (&'a str, &'a str, &'a str),
    /// The definition of the body and of its list, if it has one.
    pub(super) definition: &'a str,
    pub(super) list_definition: Option<&'a str>,
    /// The kind the path belongs to (the parent's, for a subresource): names operations.
    pub(super) owner_kind: &'a str,
    /// Whether PATCH accepts strategic merge patches (built-ins: yes; CRDs: no).
    pub(super) strategic_merge: bool,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Format {
    V2,
    V3,
}

enum Body<'a> {
    None,
    /// `*/*`: the object itself.
    Object(&'a str),
    Patch(bool),
    DeleteOptions,
}

struct Op<'a> {
    method: &'static str,
    action: &'static str,
    operation_id: String,
    description: String,
    params: &'static [&'static Param],
    body: Body<'a>,
    /// Response codes with the definition they return.
    responses: &'static [&'static str],
    response: &'a str,
}

/// `rbac.authorization.k8s.io` → `RbacAuthorization`, `` → `Core`: upstream's group
/// part of operation ids.
fn group_camel(group: &str) -> String {
    if group.is_empty() {
        return "Core".into();
    }
    let g = group.strip_suffix(".k8s.io").unwrap_or(group);
    g.split(['.', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Upstream's operation tag: `core_v1`, `rbacAuthorization_v1`.
fn tag(group: &str, version: &str) -> String {
    let mut g = group_camel(group);
    if let Some(f) = g.get_mut(..1) {
        f.make_ascii_lowercase();
    }
    format!("{g}_{version}")
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Adds the paths of one resource to `paths`.
pub(super) fn add(paths: &mut Map<String, Value>, r: &Resource<'_>, format: Format) {
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    let (plural, sub) = match r.plural.split_once('/') {
        Some((p, s)) => (p, Some(s)),
        None => (r.plural, None),
    };
    let has = |v: &str| r.verbs.iter().any(|x| x == v);
    let gv = format!("{}{}", group_camel(r.group), upper_first(r.version));
    let ns = if r.namespaced { "Namespaced" } else { "" };
    let kind = r.owner_kind;
    let scope = if r.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{plural}")
    } else {
        format!("{prefix}/{plural}")
    };
    let name_param = Param {
        name: "name",
        ty: "string",
        description: "name of the object",
        unique: true,
    };
    let namespace_param = Param {
        name: "namespace",
        ty: "string",
        description: "object name and auth scope, such as for teams and projects",
        unique: true,
    };

    let mut emit = |path: String, with_name: bool, ops: Vec<Op<'_>>| {
        if ops.is_empty() {
            return;
        }
        let mut path_params: Vec<&Param> = Vec::new();
        if with_name {
            path_params.push(&name_param);
        }
        if r.namespaced && path.contains("{namespace}") {
            path_params.push(&namespace_param);
        }
        let mut item = Map::new();
        for op in &ops {
            item.insert(op.method.into(), render_op(op, r, format));
        }
        let mut params: Vec<Value> = path_params
            .iter()
            .map(|p| render_param(p, "path", format))
            .collect();
        params.push(render_param(&PRETTY, "query", format));
        item.insert("parameters".into(), Value::Array(params));
        paths.insert(path, Value::Object(item));
    };

    if let Some(sub) = sub {
        let s = upper_first(sub);
        let mut ops = Vec::new();
        if has("get") {
            ops.push(Op {
                method: "get",
                action: "get",
                operation_id: format!("read{gv}{ns}{kind}{s}"),
                description: format!("read {sub} of the specified {kind}"),
                params: &[],
                body: Body::None,
                responses: &["200"],
                response: r.definition,
            });
        }
        if has("create") {
            ops.push(Op {
                method: "post",
                action: "post",
                operation_id: format!("create{gv}{ns}{kind}{s}"),
                description: format!("create {sub} of a {kind}"),
                params: WRITE_PARAMS,
                body: Body::Object(r.definition),
                responses: &["200", "201", "202"],
                response: r.definition,
            });
        }
        if has("update") {
            ops.push(Op {
                method: "put",
                action: "put",
                operation_id: format!("replace{gv}{ns}{kind}{s}"),
                description: format!("replace {sub} of the specified {kind}"),
                params: WRITE_PARAMS,
                body: Body::Object(r.definition),
                responses: &["200", "201"],
                response: r.definition,
            });
        }
        if has("patch") {
            ops.push(Op {
                method: "patch",
                action: "patch",
                operation_id: format!("patch{gv}{ns}{kind}{s}"),
                description: format!("partially update {sub} of the specified {kind}"),
                params: PATCH_PARAMS,
                body: Body::Patch(r.strategic_merge),
                responses: &["200", "201"],
                response: r.definition,
            });
        }
        emit(format!("{scope}/{{name}}/{sub}"), true, ops);
        return;
    }

    let mut ops = Vec::new();
    if has("list") {
        ops.push(Op {
            method: "get",
            action: "list",
            operation_id: format!("list{gv}{ns}{kind}"),
            description: format!("list or watch objects of kind {kind}"),
            params: LIST_PARAMS,
            body: Body::None,
            responses: &["200"],
            response: r.list_definition.unwrap_or(r.definition),
        });
    }
    if has("create") {
        ops.push(Op {
            method: "post",
            action: "post",
            operation_id: format!("create{gv}{ns}{kind}"),
            description: format!("create a {kind}"),
            params: WRITE_PARAMS,
            body: Body::Object(r.definition),
            responses: &["200", "201", "202"],
            response: r.definition,
        });
    }
    if has("deletecollection") {
        ops.push(Op {
            method: "delete",
            action: "deletecollection",
            operation_id: format!("delete{gv}Collection{ns}{kind}"),
            description: format!("delete collection of {kind}"),
            params: DELETE_COLLECTION_PARAMS,
            body: Body::DeleteOptions,
            responses: &["200"],
            response: STATUS,
        });
    }
    emit(scope.clone(), false, ops);

    let mut ops = Vec::new();
    if has("get") {
        ops.push(Op {
            method: "get",
            action: "get",
            operation_id: format!("read{gv}{ns}{kind}"),
            description: format!("read the specified {kind}"),
            params: &[],
            body: Body::None,
            responses: &["200"],
            response: r.definition,
        });
    }
    if has("update") {
        ops.push(Op {
            method: "put",
            action: "put",
            operation_id: format!("replace{gv}{ns}{kind}"),
            description: format!("replace the specified {kind}"),
            params: WRITE_PARAMS,
            body: Body::Object(r.definition),
            responses: &["200", "201"],
            response: r.definition,
        });
    }
    if has("patch") {
        ops.push(Op {
            method: "patch",
            action: "patch",
            operation_id: format!("patch{gv}{ns}{kind}"),
            description: format!("partially update the specified {kind}"),
            params: PATCH_PARAMS,
            body: Body::Patch(r.strategic_merge),
            responses: &["200", "201"],
            response: r.definition,
        });
    }
    if has("delete") {
        ops.push(Op {
            method: "delete",
            action: "delete",
            operation_id: format!("delete{gv}{ns}{kind}"),
            description: format!("delete a {kind}"),
            params: DELETE_PARAMS,
            body: Body::DeleteOptions,
            responses: &["200", "202"],
            response: STATUS,
        });
    }
    emit(format!("{scope}/{{name}}"), true, ops);

    if r.namespaced && has("list") {
        let op = Op {
            method: "get",
            action: "list",
            operation_id: format!("list{gv}{kind}ForAllNamespaces"),
            description: format!("list or watch objects of kind {kind}"),
            params: LIST_PARAMS,
            body: Body::None,
            responses: &["200"],
            response: r.list_definition.unwrap_or(r.definition),
        };
        emit(format!("{prefix}/{plural}"), false, vec![op]);
    }

    if has("watch") {
        let watch_scope = if r.namespaced {
            format!("{prefix}/watch/namespaces/{{namespace}}/{plural}")
        } else {
            format!("{prefix}/watch/{plural}")
        };
        let watch = |action, operation_id, description| Op {
            method: "get",
            action,
            operation_id,
            description,
            params: LIST_PARAMS,
            body: Body::None,
            responses: &["200"],
            response: WATCH_EVENT,
        };
        emit(
            watch_scope.clone(),
            false,
            vec![watch(
                "watchlist",
                format!("watch{gv}{ns}{kind}List"),
                format!(
                    "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
                ),
            )],
        );
        emit(
            format!("{watch_scope}/{{name}}"),
            true,
            vec![watch(
                "watch",
                format!("watch{gv}{ns}{kind}"),
                format!(
                    "watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."
                ),
            )],
        );
        if r.namespaced {
            emit(
                format!("{prefix}/watch/{plural}"),
                false,
                vec![watch(
                    "watchlist",
                    format!("watch{gv}{kind}ListForAllNamespaces"),
                    format!(
                        "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
                    ),
                )],
            );
        }
    }
}

fn schema_ref(definition: &str, format: Format) -> Value {
    let prefix = match format {
        Format::V2 => V2_PREFIX,
        Format::V3 => V3_PREFIX,
    };
    json!({"$ref": format!("{prefix}{definition}")})
}

fn render_param(p: &Param, location: &str, format: Format) -> Value {
    let mut v = json!({
        "name": p.name,
        "in": location,
        "description": p.description,
    });
    if location == "path" {
        v["required"] = true.into();
    }
    let mut ty = json!({"type": p.ty});
    if p.unique {
        ty["uniqueItems"] = true.into();
    }
    match format {
        Format::V2 => {
            let o = v.as_object_mut().expect("object");
            o.extend(ty.as_object().expect("object").clone());
        }
        Format::V3 => v["schema"] = ty,
    }
    v
}

fn render_op(op: &Op<'_>, r: &Resource<'_>, format: Format) -> Value {
    let mut o = Map::new();
    o.insert("description".into(), op.description.clone().into());
    o.insert("operationId".into(), op.operation_id.clone().into());
    o.insert("tags".into(), json!([tag(r.group, r.version)]));
    let mut params: Vec<Value> = op
        .params
        .iter()
        .map(|p| render_param(p, "query", format))
        .collect();
    let body = match &op.body {
        Body::None => None,
        Body::Object(d) => Some((vec!["*/*"], *d)),
        Body::Patch(strategic) => Some((
            PATCH_TYPES
                .iter()
                .copied()
                .filter(|t| *strategic || !t.starts_with("application/strategic"))
                .collect(),
            PATCH,
        )),
        Body::DeleteOptions => Some((vec!["*/*"], DELETE_OPTIONS)),
    };
    let required = !matches!(op.body, Body::DeleteOptions);
    let watch = op.response == WATCH_EVENT;
    let produces: &[&str] = if watch {
        &["application/json", "application/json;stream=watch"]
    } else {
        &["application/json", "application/yaml"]
    };
    let mut responses = Map::new();
    for code in op.responses {
        let description = match *code {
            "200" => "OK",
            "201" => "Created",
            _ => "Accepted",
        };
        let schema = schema_ref(op.response, format);
        let resp = match format {
            Format::V2 => json!({"description": description, "schema": schema}),
            Format::V3 => {
                let content: Map<String, Value> = produces
                    .iter()
                    .map(|t| ((*t).to_owned(), json!({"schema": schema})))
                    .collect();
                json!({"description": description, "content": content})
            }
        };
        responses.insert((*code).into(), resp);
    }
    responses.insert("401".into(), json!({"description": "Unauthorized"}));
    match format {
        Format::V2 => {
            if let Some((types, d)) = &body {
                params.insert(
                    0,
                    json!({"name": "body", "in": "body", "required": required, "schema": schema_ref(d, format)}),
                );
                o.insert("consumes".into(), json!(types));
            } else {
                o.insert("consumes".into(), json!(["*/*"]));
            }
            o.insert("produces".into(), json!(produces));
            o.insert("schemes".into(), json!(["https"]));
        }
        Format::V3 => {
            if let Some((types, d)) = &body {
                let content: Map<String, Value> = types
                    .iter()
                    .map(|t| ((*t).to_owned(), json!({"schema": schema_ref(d, format)})))
                    .collect();
                let mut rb = json!({"content": content});
                if required {
                    rb["required"] = true.into();
                }
                o.insert("requestBody".into(), rb);
            }
        }
    }
    if !params.is_empty() {
        o.insert("parameters".into(), Value::Array(params));
    }
    o.insert("responses".into(), Value::Object(responses));
    o.insert("x-kubernetes-action".into(), op.action.into());
    let (g, v, k) = r.body_gvk;
    o.insert("x-kubernetes-group-version-kind".into(), gvk(g, v, k));
    Value::Object(o)
}
