"""The official Kubernetes Python client against a running kelp server.

Usage: python3 client_smoke.py KUBECONFIG NAMESPACE

Exercises what Python programs commonly do through the generated client (typed
CRUD, selectors, pagination, watch, JSON patch, the scale subresource, custom
resources, error statuses) and exits non-zero with a message on the first
difference from upstream behaviour. Uses Debian's python3-kubernetes (22.6).
"""

import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_status(code, reason, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ApiException as e:
        check(e.status == code, f"{fn.__name__}: status {e.status}, want {code}: {e.body}")
        check(reason in (e.body or ""), f"{fn.__name__}: reason {reason} not in {e.body}")
        return
    raise AssertionError(f"{fn.__name__} succeeded; want {code} {reason}")


def poll(what, fn, deadline=30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def main():
    kubeconfig, ns = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)

    version = client.VersionApi().get_code()
    check(version.major == "1" and version.minor == "33", f"version {version}")

    core = client.CoreV1Api()
    apps = client.AppsV1Api()

    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    names = [n.metadata.name for n in core.list_namespace().items]
    check(ns in names and "kube-system" in names, f"namespaces {names}")

    # typed create/read, labels, generated fields
    for i in range(5):
        cm = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(
                name=f"cm-{i}", labels={"app": "demo", "parity": str(i % 2)}
            ),
            data={"i": str(i)},
        )
        created = core.create_namespaced_config_map(ns, cm)
        check(created.metadata.uid and created.metadata.resource_version, "uid/rv set")
        check(created.metadata.creation_timestamp is not None, "creationTimestamp parsed")
    got = core.read_namespaced_config_map("cm-3", ns)
    check(got.data == {"i": "3"}, f"read {got.data}")

    # selectors and pagination
    odd = core.list_namespaced_config_map(ns, label_selector="app=demo,parity=1")
    check(sorted(c.metadata.name for c in odd.items) == ["cm-1", "cm-3"], "label selector")
    by_name = core.list_namespaced_config_map(ns, field_selector="metadata.name=cm-4")
    check([c.metadata.name for c in by_name.items] == ["cm-4"], "field selector")
    seen, token = [], None
    while True:
        page = core.list_namespaced_config_map(ns, limit=2, _continue=token)
        seen += [c.metadata.name for c in page.items]
        token = page.metadata._continue
        if not token:
            break
        check(len(page.items) == 2, "full pages before the last")
    check(seen == [f"cm-{i}" for i in range(5)], f"pages {seen}")

    # watch from a list's resourceVersion sees later changes, in order
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    events = []

    def watcher():
        w = watch.Watch()
        for ev in w.stream(
            core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=20
        ):
            events.append((ev["type"], ev["object"].metadata.name))
            if len(events) == 3:
                w.stop()

    t = threading.Thread(target=watcher)
    t.start()
    # the watch starts at rv: whenever it connects, it sees every change after it
    core.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="late"), data={"a": "1"})
    )
    # client 22.6 sends every patch as application/json-patch+json
    core.patch_namespaced_config_map(
        "late", ns, [{"op": "replace", "path": "/data/a", "value": "2"}]
    )
    core.delete_namespaced_config_map("late", ns)
    t.join(30)
    check(
        events == [("ADDED", "late"), ("MODIFIED", "late"), ("DELETED", "late")],
        f"watch events {events}",
    )

    # error statuses as upstream shapes them
    expect_status(404, "NotFound", core.read_namespaced_config_map, "missing", ns)
    expect_status(
        409,
        "AlreadyExists",
        core.create_namespaced_config_map,
        ns,
        client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm-0")),
    )
    expect_status(
        422,
        "Invalid",
        core.create_namespaced_config_map,
        ns,
        client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Not_Valid")),
    )
    stale = core.read_namespaced_config_map("cm-0", ns)
    core.replace_namespaced_config_map("cm-0", ns, stale)
    expect_status(409, "Conflict", core.replace_namespaced_config_map, "cm-0", ns, stale)

    # a Deployment, its defaults and its scale subresource
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "web"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "web"}),
                spec=client.V1PodSpec(
                    containers=[client.V1Container(name="web", image="nginx:1.27")]
                ),
            ),
        ),
    )
    apps.create_namespaced_deployment(ns, dep)
    d = apps.read_namespaced_deployment("web", ns)
    check(d.spec.strategy.type == "RollingUpdate", f"strategy {d.spec.strategy}")
    check(d.spec.template.spec.restart_policy == "Always", "pod template defaults")
    check(d.metadata.generation == 1, f"generation {d.metadata.generation}")
    apps.patch_namespaced_deployment_scale(
        "web", ns, [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    )
    scale = apps.read_namespaced_deployment_scale("web", ns)
    check(scale.spec.replicas == 3, f"scale {scale.spec.replicas}")
    check(apps.read_namespaced_deployment("web", ns).metadata.generation == 2, "generation bump")

    # a CustomResourceDefinition and its custom objects
    ext = client.ApiextensionsV1Api()
    group = f"{ns}.example.com"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {
                                        "size": {"type": "integer", "default": 1}
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    ext.create_custom_resource_definition(crd)

    def established():
        c = ext.read_custom_resource_definition(f"widgets.{group}")
        conds = c.status.conditions or []
        return any(x.type == "Established" and x.status == "True" for x in conds)

    poll("the CRD to be established", established)
    custom = client.CustomObjectsApi()
    custom.create_namespaced_custom_object(
        group, "v1", ns, "widgets",
        {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {}},
    )
    w = custom.get_namespaced_custom_object(group, "v1", ns, "widgets", "w1")
    check(w["spec"]["size"] == 1, f"defaulted {w['spec']}")
    items = custom.list_namespaced_custom_object(group, "v1", ns, "widgets")["items"]
    check([i["metadata"]["name"] for i in items] == ["w1"], "custom list")
    ext.delete_custom_resource_definition(f"widgets.{group}")

    # deletecollection by selector, then the namespace
    core.delete_collection_namespaced_config_map(ns, label_selector="parity=0")
    left = sorted(c.metadata.name for c in core.list_namespaced_config_map(ns).items)
    check("cm-0" not in left and "cm-1" in left, f"after deletecollection {left}")
    core.delete_namespace(ns)

    def namespace_gone():
        try:
            core.read_namespace(ns)
            return False
        except ApiException as e:
            return e.status == 404

    poll("the namespace to go", namespace_gone)
    print("python client: ok")


if __name__ == "__main__":
    main()
