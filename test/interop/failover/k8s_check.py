#!/usr/bin/python3
"""Checks dist/k8s/hermod-pair.yaml without a cluster: every document parses and has what the pair
needs (two replicas of one StatefulSet sharing one ReadWriteMany claim, a readiness probe on the
port the configuration listens on, the Service selecting the pods), and the configuration in the
ConfigMap, completed with a pod's name as the container does it, is one `hermod --check-config`
accepts with a lease-file locker on the shared volume.
Usage: k8s_check.py MANIFEST HERMOD_BINARY   (exit 0: fine; otherwise the reason on stderr)"""
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import yaml


def fail(why):
    print("k8s_check: " + why, file=sys.stderr)
    sys.exit(1)


def main():
    manifest, hermod = sys.argv[1], sys.argv[2]
    with open(manifest) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in d:
                fail("a document without %s" % key)
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ("ConfigMap", "PersistentVolumeClaim", "Service", "StatefulSet"):
        if kind not in by_kind:
            fail("no " + kind)
    sts = by_kind["StatefulSet"][0]
    spec = sts["spec"]
    if spec.get("replicas") != 2:
        fail("the StatefulSet does not run two pods")
    labels = spec["template"]["metadata"]["labels"]
    if spec["selector"]["matchLabels"] != labels:
        fail("the StatefulSet's selector does not match its pods")
    for svc in by_kind["Service"]:
        if svc["spec"]["selector"] != labels:
            fail("Service %s does not select the pods" % svc["metadata"]["name"])
    pvc = by_kind["PersistentVolumeClaim"][0]
    if "ReadWriteMany" not in pvc["spec"]["accessModes"]:
        fail("the store's claim is not ReadWriteMany")
    pod = spec["template"]["spec"]
    vols = {v["name"]: v for v in pod["volumes"]}
    c = pod["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    store_vol = [n for n, v in vols.items()
                 if v.get("persistentVolumeClaim", {}).get("claimName") == pvc["metadata"]["name"]]
    if len(store_vol) != 1 or store_vol[0] not in mounts:
        fail("the shared claim is not mounted")
    shared = mounts[store_vol[0]]
    cm = by_kind["ConfigMap"][0]
    cfg_vol = [n for n, v in vols.items() if v.get("configMap", {}).get("name") == cm["metadata"]["name"]]
    if len(cfg_vol) != 1 or cfg_vol[0] not in mounts:
        fail("the ConfigMap is not mounted")
    script = " ".join(c["args"])
    if mounts[cfg_vol[0]] + "/hermod.xml" not in script or "$POD_NAME" not in script:
        fail("the container does not complete the ConfigMap's configuration with its pod name")
    xml = cm["data"]["hermod.xml"].replace("@POD@", sts["metadata"]["name"] + "-0")
    ns = {"a": "http://activemq.apache.org/schema/core"}
    root = ET.fromstring(xml)
    bdb = root.find("a:persistenceAdapter/a:bdb", ns)
    if bdb is None or bdb.find("a:locker/a:lease-file-locker", ns) is None:
        fail("the configuration has no lease-file locker")
    if not bdb.get("directory", "").startswith(shared + "/"):
        fail("the store is not on the shared volume (%s)" % shared)
    data_dir = root.get("dataDirectory", "")
    if not any(data_dir.startswith(p + "/") for p in mounts.values()):
        fail("dataDirectory %s is not on a mounted volume" % data_dir)
    probe = c["readinessProbe"]["tcpSocket"]["port"]
    uris = [t.get("uri") for t in root.iter("{%s}transportConnector" % ns["a"])]
    if not any(u.endswith(":%d" % probe) for u in uris):
        fail("the readiness probe's port %d is not a connector's (%s)" % (probe, uris))
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as t:
        t.write(xml)
        t.flush()
        r = subprocess.run([hermod, "--check-config", t.name], capture_output=True, text=True)
        if r.returncode != 0:
            fail("hermod --check-config refuses the pod's configuration:\n" + r.stderr)


if __name__ == "__main__":
    main()
