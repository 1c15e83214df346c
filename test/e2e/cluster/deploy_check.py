#!/usr/bin/env python3
"""Checks that the Kubernetes manifests in deploy/ agree with the binaries.

  deploy_check.py DEPLOY_DIR CONCORDD            check; exit 1 listing every problem
  deploy_check.py DEPLOY_DIR CONCORDD --self-test  also prove the check catches a
                                                 changed port, label, env name,
                                                 probe path or timing

What must agree: container ports and probe ports/paths with `concordd --help`
(the default listen addresses and the /healthz, /readyz paths it documents);
labels and selectors across the StatefulSet, the three Services, the PDB, the
anti-affinity term and the peer selector; RBAC (ServiceAccount, Role,
RoleBinding) with the pod spec; every CONCORD_* variable is one concordd reads
(its --help lists them); the ConfigMaps and their keys exist; the preStop
sleep covers two readiness periods and, with concordd's shutdown grace and
drain timeout, fits in terminationGracePeriodSeconds; the Containerfile
exposes the same ports.
"""

import copy
import os
import re
import subprocess
import sys

import yaml

APP_LABEL = "app.kubernetes.io/name"


def load(deploy_dir):
    """All objects of the kustomization, by (kind, name), plus extra files."""
    kust_path = os.path.join(deploy_dir, "kustomization.yaml")
    with open(kust_path) as f:
        kust = yaml.safe_load(f)
    objects = []
    for name in sorted(os.listdir(deploy_dir)):
        if not name.endswith((".yaml", ".yml")) or name == "kustomization.yaml":
            continue
        with open(os.path.join(deploy_dir, name)) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    doc["__file__"] = name
                    objects.append(doc)
    generated = {}
    for gen in kust.get("configMapGenerator", []):
        data = {}
        for entry in gen.get("files", []):
            key, _, path = entry.partition("=")
            if not path:
                key, path = os.path.basename(entry), entry
            with open(os.path.join(deploy_dir, path)) as f:
                data[key] = f.read()
        for entry in gen.get("literals", []):
            key, _, value = entry.partition("=")
            data[key] = value
        generated[gen["name"]] = data
    with open(os.path.join(deploy_dir, "Containerfile")) as f:
        containerfile = f.read()
    return {"kustomization": kust, "objects": objects, "generated": generated,
            "containerfile": containerfile, "files": sorted(os.listdir(deploy_dir))}


def concordd_facts(concordd):
    """Env names, default listen ports and documented paths from --help."""
    out = subprocess.run([concordd, "--help"], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        raise SystemExit(f"{concordd} --help exited {out.returncode}")
    envs = set(re.findall(r"\[env (CONCORD_[A-Z0-9_]+)\]", text))
    flags = set(re.findall(r"(--[a-z][a-z0-9-]+)", text))
    ports = {}
    for flag, key in (("--user-addr", "user"), ("--mesh-addr", "mesh"), ("--http-addr", "http")):
        m = re.search(re.escape(flag) + r" TEXT=[^\s]*:(\d+)", text)
        if m:
            ports[key] = int(m.group(1))
    durations = {}
    for flag in ("--shutdown-grace", "--drain-timeout"):
        m = re.search(re.escape(flag) + r" TEXT=(\S+)", text)
        if m:
            durations[flag] = m.group(1)
    return {"envs": envs, "flags": flags, "ports": ports, "help": text, "durations": durations}


def seconds(text, what, errors):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", str(text).strip())
    if not m:
        errors.append(f"{what}: cannot read duration {text!r}")
        return 0.0
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    return float(m.group(1)) * scale


def subset(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check(bundle, facts):
    errors = []
    err = errors.append
    by_kind = {}
    for obj in bundle["objects"]:
        by_kind.setdefault(obj.get("kind"), {})[obj.get("metadata", {}).get("name")] = obj

    kust = bundle["kustomization"]
    listed = set(kust.get("resources", []))
    for name in bundle["files"]:
        if name.endswith((".yaml", ".yml")) and name != "kustomization.yaml" and name not in listed:
            err(f"kustomization.yaml: {name} is not among resources")
    for name in listed:
        if name not in bundle["files"]:
            err(f"kustomization.yaml: resource {name} does not exist")

    sts_all = by_kind.get("StatefulSet", {})
    if "coordinator" not in sts_all:
        err("StatefulSet coordinator: missing")
        return errors
    sts = sts_all["coordinator"]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    pod_labels = spec["template"]["metadata"].get("labels", {})
    if APP_LABEL not in pod_labels:
        err(f"StatefulSet: pod template lacks the {APP_LABEL} label")
    if not subset(spec.get("selector", {}).get("matchLabels", {}), pod_labels):
        err("StatefulSet: selector.matchLabels does not match the pod template labels")
    if spec.get("replicas") != 3:
        err(f"StatefulSet: replicas {spec.get('replicas')}, want 3")
    if spec.get("podManagementPolicy") != "OrderedReady":
        err("StatefulSet: podManagementPolicy must be OrderedReady")

    containers = [c for c in pod.get("containers", []) if c.get("name") == "concordd"]
    if len(containers) != 1:
        err("StatefulSet: want exactly one container named concordd")
        return errors
    c = containers[0]
    named_ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    for key, want in facts["ports"].items():
        if named_ports.get(key) != want:
            err(f"StatefulSet: containerPort {key} is {named_ports.get(key)}, concordd listens "
                f"on {want} (--{key}-addr default)")
    if set(named_ports) != set(facts["ports"]):
        err(f"StatefulSet: container ports {sorted(named_ports)}, want {sorted(facts['ports'])}")

    def port_number(port):
        return named_ports.get(port) if isinstance(port, str) else port

    # Probes.
    probe_paths = {"startupProbe": "/healthz", "livenessProbe": "/healthz",
                   "readinessProbe": "/readyz"}
    for probe, path in probe_paths.items():
        p = c.get(probe)
        if not p or "httpGet" not in p:
            err(f"StatefulSet: {probe} must be an httpGet probe")
            continue
        if p["httpGet"].get("path") != path:
            err(f"StatefulSet: {probe} path {p['httpGet'].get('path')}, want {path}")
        if path not in facts["help"]:
            err(f"concordd --help does not document {path}")
        if port_number(p["httpGet"].get("port")) != facts["ports"].get("http"):
            err(f"StatefulSet: {probe} port {p['httpGet'].get('port')} is not the HTTP port "
                f"{facts['ports'].get('http')}")

    # Environment.
    configmaps = dict(by_kind.get("ConfigMap", {}))
    env = {}
    for ref in c.get("envFrom", []):
        name = ref.get("configMapRef", {}).get("name")
        if name not in configmaps:
            err(f"StatefulSet: envFrom ConfigMap {name} does not exist")
            continue
        env.update(configmaps[name].get("data", {}))
    for e in c.get("env", []):
        env[e["name"]] = e.get("value", "<from " + next(iter(e.get("valueFrom", {"?": 0}))) + ">")
    for name in sorted(env):
        if name.startswith("CONCORD_") and name not in facts["envs"]:
            err(f"env {name}: concordd does not read it (not in --help)")
    for name, value in env.items():
        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", str(value)):
            defined = [e["name"] for e in c.get("env", [])]
            if ref not in defined or defined.index(ref) >= defined.index(name):
                err(f"env {name}: $({ref}) is not defined before it in the container's env")
    for key, flag in (("user", "CONCORD_USER_ADDR"), ("mesh", "CONCORD_MESH_ADDR"),
                      ("http", "CONCORD_HTTP_ADDR")):
        if flag in env and not str(env[flag]).endswith(f":{named_ports.get(key)}"):
            err(f"env {flag}={env[flag]} disagrees with containerPort {key} "
                f"{named_ports.get(key)}")
    peers = str(env.get("CONCORD_PEERS", ""))
    if peers.startswith("k8s:"):
        params = dict(kv.split("=", 1) for kv in peers[4:].split(",") if "=" in kv)
        sel = dict(kv.split("=", 1) for kv in params.get("selector", "").split(";") if "=" in kv)
        if not subset(sel, pod_labels):
            err(f"CONCORD_PEERS selector {params.get('selector')} does not match the pods")
        if params.get("port") != str(named_ports.get("mesh")):
            err(f"CONCORD_PEERS port {params.get('port')} is not the mesh port")
    elif peers.startswith("dns:"):
        _, host, port = peers.split(":", 2)
        if host.split(".")[0] != spec.get("serviceName"):
            err(f"CONCORD_PEERS {peers}: not the headless service {spec.get('serviceName')}")
        if port != str(named_ports.get("mesh")):
            err(f"CONCORD_PEERS {peers}: port is not the mesh port")

    # Volumes: ConfigMaps exist; the policy file is mounted.
    generated = bundle["generated"]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    for name in mounts:
        if name not in volumes:
            err(f"volumeMount {name}: no such volume")
    policy = env.get("CONCORD_POLICY")
    if not policy:
        err("CONCORD_POLICY: not set")
    else:
        found = False
        for vname, path in mounts.items():
            v = volumes.get(vname, {})
            cm = v.get("configMap", {}).get("name")
            if cm and os.path.dirname(policy) == path.rstrip("/"):
                keys = set(generated.get(cm, {})) | set(configmaps.get(cm, {}).get("data", {}))
                if cm not in generated and cm not in configmaps:
                    err(f"volume {vname}: ConfigMap {cm} does not exist")
                elif os.path.basename(policy) not in keys:
                    err(f"CONCORD_POLICY {policy}: ConfigMap {cm} has no key "
                        f"{os.path.basename(policy)}")
                found = True
        if not found:
            err(f"CONCORD_POLICY {policy}: no ConfigMap volume is mounted at its directory")

    # Security and resources.
    psc = pod.get("securityContext", {})
    csc = c.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        err("StatefulSet: securityContext.runAsNonRoot must be true")
    if csc.get("readOnlyRootFilesystem") is not True:
        err("StatefulSet: container readOnlyRootFilesystem must be true")
    if csc.get("allowPrivilegeEscalation") is not False:
        err("StatefulSet: allowPrivilegeEscalation must be false")
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(res.get(part, {})):
            err(f"StatefulSet: resources.{part} needs cpu and memory")

    # Anti-affinity.
    terms = (pod.get("affinity", {}).get("podAntiAffinity", {})
             .get("preferredDuringSchedulingIgnoredDuringExecution", []))
    if not terms:
        err("StatefulSet: preferred pod anti-affinity missing")
    for t in terms:
        if not subset(t["podAffinityTerm"].get("labelSelector", {}).get("matchLabels", {}),
                      pod_labels):
            err("StatefulSet: anti-affinity labelSelector does not match the pods")

    # Shutdown timing.
    readiness = c.get("readinessProbe", {})
    period = readiness.get("periodSeconds", 10)
    pre = c.get("lifecycle", {}).get("preStop", {})
    pre_seconds = None
    if "sleep" in pre:
        pre_seconds = pre["sleep"].get("seconds")
    elif "exec" in pre:
        cmd = pre["exec"].get("command", [])
        if len(cmd) == 2 and cmd[0].endswith("sleep") and cmd[1].isdigit():
            pre_seconds = int(cmd[1])
    if pre_seconds is None:
        err("StatefulSet: preStop must sleep (exec sleep N or sleep.seconds)")
        pre_seconds = 0
    if pre_seconds < 2 * period:
        err(f"preStop sleep {pre_seconds}s is under two readiness periods ({2 * period}s)")
    grace = seconds(env.get("CONCORD_SHUTDOWN_GRACE", facts["durations"].get("--shutdown-grace",
                                                                              "10s")),
                    "CONCORD_SHUTDOWN_GRACE", errors)
    drain = seconds(env.get("CONCORD_DRAIN_TIMEOUT", facts["durations"].get("--drain-timeout",
                                                                            "5s")),
                    "CONCORD_DRAIN_TIMEOUT", errors)
    tgps = pod.get("terminationGracePeriodSeconds", 30)
    if pre_seconds + grace + drain >= tgps:
        err(f"preStop {pre_seconds}s + shutdown grace {grace:g}s + drain {drain:g}s must stay "
            f"under terminationGracePeriodSeconds {tgps}")

    # Services.
    services = by_kind.get("Service", {})
    want_services = {
        "coordinator": {"publish": True, "headless": False, "ports": {"user", "mesh"}},
        "coordinator-ready": {"publish": False, "headless": False, "ports": {"user", "mesh"}},
        "coordinator-headless": {"publish": True, "headless": True, "ports": {"mesh"}},
    }
    for name, want in want_services.items():
        svc = services.get(name)
        if svc is None:
            err(f"Service {name}: missing")
            continue
        s = svc["spec"]
        if not subset(s.get("selector", {}), pod_labels):
            err(f"Service {name}: selector {s.get('selector')} does not match the pod labels")
        if bool(s.get("publishNotReadyAddresses", False)) != want["publish"]:
            err(f"Service {name}: publishNotReadyAddresses must be {want['publish']}")
        if (s.get("clusterIP") == "None") != want["headless"]:
            err(f"Service {name}: clusterIP None must be {want['headless']}")
        seen = set()
        for p in s.get("ports", []):
            target = port_number(p.get("targetPort", p.get("port")))
            if target not in named_ports.values():
                err(f"Service {name}: port {p.get('name')} targets {p.get('targetPort')}, "
                    f"which the container does not expose")
            for key, num in named_ports.items():
                if target == num:
                    seen.add(key)
                    if p.get("port") != num:
                        err(f"Service {name}: port {p.get('name')} is {p.get('port')}, want "
                            f"{num} (clients dial the same port as the pod)")
        if not want["ports"] <= seen:
            err(f"Service {name}: want ports {sorted(want['ports'])}, has {sorted(seen)}")
    if spec.get("serviceName") != "coordinator-headless":
        err("StatefulSet: serviceName must be the headless service coordinator-headless")

    # PDB.
    pdbs = by_kind.get("PodDisruptionBudget", {})
    if "coordinator" not in pdbs:
        err("PodDisruptionBudget coordinator: missing")
    else:
        p = pdbs["coordinator"]["spec"]
        if p.get("maxUnavailable") != 1:
            err("PodDisruptionBudget: maxUnavailable must be 1")
        if not subset(p.get("selector", {}).get("matchLabels", {}), pod_labels):
            err("PodDisruptionBudget: selector does not match the pods")

    # RBAC.
    sa = pod.get("serviceAccountName")
    if sa not in by_kind.get("ServiceAccount", {}):
        err(f"ServiceAccount {sa}: missing")
    bindings = [b for b in by_kind.get("RoleBinding", {}).values()
                if any(s.get("kind") == "ServiceAccount" and s.get("name") == sa
                       for s in b.get("subjects", []))]
    if not bindings:
        err(f"RoleBinding for ServiceAccount {sa}: missing")
    for b in bindings:
        role = by_kind.get("Role", {}).get(b["roleRef"]["name"])
        if b["roleRef"].get("kind") != "Role" or role is None:
            err(f"RoleBinding {b['metadata']['name']}: Role {b['roleRef']['name']} missing")
            continue
        ok = any("pods" in r.get("resources", []) and "" in r.get("apiGroups", [])
                 and {"get", "list", "watch"} <= set(r.get("verbs", []))
                 for r in role.get("rules", []))
        if not ok:
            err(f"Role {role['metadata']['name']}: must allow get, list, watch on pods")
        extra = [r for r in role.get("rules", []) if set(r.get("verbs", [])) - {"get", "list",
                                                                                 "watch"}]
        if extra:
            err(f"Role {role['metadata']['name']}: grants more than reading pods")

    # Containerfile.
    cf = bundle["containerfile"]
    exposed = set(int(p) for line in re.findall(r"^EXPOSE (.+)$", cf, re.M)
                  for p in line.split())
    if exposed != set(named_ports.values()):
        err(f"Containerfile: EXPOSE {sorted(exposed)}, want {sorted(named_ports.values())}")
    for binary in ("concordd", "concord", "concord-init"):
        if not re.search(rf"ninja [^\n]*\b{re.escape(binary)}\b", cf):
            err(f"Containerfile: does not build {binary}")
    if not re.search(r"^FROM debian:bookworm", cf, re.M):
        err("Containerfile: want Debian 12 (bookworm) stages")
    if not re.search(r"^USER \d+", cf, re.M):
        err("Containerfile: the runtime stage must run as a numeric non-root USER")
    return errors


def mutations():
    """(description, function changing a bundle) pairs the check must catch."""

    def sts(b):
        return next(o for o in b["objects"] if o.get("kind") == "StatefulSet")

    def container(b):
        return sts(b)["spec"]["template"]["spec"]["containers"][0]

    def service(b, name):
        return next(o for o in b["objects"]
                    if o.get("kind") == "Service" and o["metadata"]["name"] == name)

    def obj(b, kind):
        return next(o for o in b["objects"] if o.get("kind") == kind)

    def set_port(b, name, value):
        for p in container(b)["ports"]:
            if p["name"] == name:
                p["containerPort"] = value

    def configmap(b):
        return next(o for o in b["objects"] if o.get("kind") == "ConfigMap")

    return [
        ("user containerPort changed", lambda b: set_port(b, "user", 1314)),
        ("mesh containerPort changed", lambda b: set_port(b, "mesh", 7778)),
        ("http containerPort changed", lambda b: set_port(b, "http", 9103)),
        ("pod label changed", lambda b: sts(b)["spec"]["template"]["metadata"]["labels"]
         .update({APP_LABEL: "coordinatr"})),
        ("coordinator-ready selector changed",
         lambda b: service(b, "coordinator-ready")["spec"].update(
             {"selector": {APP_LABEL: "other"}})),
        ("PDB selector changed", lambda b: obj(b, "PodDisruptionBudget")["spec"].update(
            {"selector": {"matchLabels": {APP_LABEL: "other"}}})),
        ("service port changed", lambda b: service(b, "coordinator")["spec"]["ports"][0]
         .update({"port": 443})),
        ("service targetPort unknown", lambda b: service(b, "coordinator")["spec"]["ports"][1]
         .update({"targetPort": "grpc"})),
        ("readiness path changed", lambda b: container(b)["readinessProbe"]["httpGet"]
         .update({"path": "/ready"})),
        ("liveness on the readiness endpoint", lambda b: container(b)["livenessProbe"]["httpGet"]
         .update({"path": "/readyz"})),
        ("env name misspelled", lambda b: configmap(b)["data"].update(
            {"CONCORD_STOER": "file:///x"})),
        ("coordinator-ready publishes not-ready pods",
         lambda b: service(b, "coordinator-ready")["spec"].update(
             {"publishNotReadyAddresses": True})),
        ("preStop longer than the grace period",
         lambda b: sts(b)["spec"]["template"]["spec"].update(
             {"terminationGracePeriodSeconds": 12})),
        ("preStop shorter than two probe periods",
         lambda b: container(b)["lifecycle"]["preStop"]["exec"].update(
             {"command": ["/bin/sleep", "3"]})),
        ("Role loses list", lambda b: obj(b, "Role")["rules"][0].update(
            {"verbs": ["get", "watch"]})),
        ("ServiceAccount renamed", lambda b: obj(b, "ServiceAccount")["metadata"].update(
            {"name": "coordinator-sa"})),
        ("Containerfile exposes another port",
         lambda b: b.update({"containerfile": b["containerfile"].replace("EXPOSE 1313",
                                                                         "EXPOSE 1314")})),
    ]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bundle = load(args[0])
    facts = concordd_facts(args[1])
    if not facts["ports"] or not facts["envs"]:
        print("cannot read ports or env names from concordd --help", file=sys.stderr)
        return 1
    errors = check(bundle, facts)
    for e in errors:
        print(f"deploy: {e}")
    failed = 1 if errors else 0
    print(f"deploy manifests: {len(bundle['objects'])} objects, "
          f"{'OK' if not errors else f'{len(errors)} problem(s)'}")
    if "--self-test" in sys.argv and not errors:
        caught = 0
        for desc, mutate in mutations():
            changed = copy.deepcopy(bundle)
            mutate(changed)
            found = check(changed, facts)
            if found:
                caught += 1
                print(f"self-test: caught '{desc}': {found[0]}")
            else:
                print(f"self-test: NOT caught '{desc}'")
                failed = 1
        print(f"self-test: {caught} of {len(mutations())} changes caught")
    return failed


if __name__ == "__main__":
    sys.exit(main())
