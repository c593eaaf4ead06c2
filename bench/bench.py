#!/usr/bin/env python3
"""Side-by-side proxy benchmark on 127.0.0.1: the backend alone, nginx, HAProxy, raw YARP and the edge.

Started by bench/run (which installs and builds first). Every target runs for the whole run; each
round measures every (scenario, target) pair once, in a rotated order, so every target sees the same
machine noise. The table shows medians over rounds. Raw results go to bench/results/<timestamp>/.
"""
import argparse
import datetime
import http.client
import json
import os
import pathlib
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
HOST = "bench.local"
CHURN_HOST = "churn.local"
CHURN_WINDOW = 20          # paths kept in the churn file, so a change stays probe-able for 2 s
BASE_PORT = 18080          # backend; proxies follow; diagnostics and silos at +100, +200, ...
# Log lines with milliseconds, to follow a route change through the silo and the edge.
DOTNET_ENV = {"Logging__Console__TimestampFormat": "HH:mm:ss.fff "}


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- processes

STARTED = []   # every process this run started, stopped in reverse order at the end


class Proc:
    """A process this run started, in a process group of its own so that stopping it stops its workers."""

    def __init__(self, name, argv, out_dir, env=None, cwd=None):
        self.name = name
        self.log_path = out_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=full_env,
                                      cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid
        STARTED.append(self)

    def alive(self):
        return self.popen.poll() is None

    def tree(self):
        """This process and its descendants (nginx workers)."""
        children = {}
        for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):
                continue
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(children.get(pid, []))
        return pids

    def memory_mb(self, field):
        """Sum of a /proc/PID/status field (VmHWM: peak RSS, VmRSS: current) over the process tree."""
        total = 0
        for pid in self.tree():
            try:
                for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def cpu_seconds(self):
        """User + system CPU time of the process tree so far: per request, the cost that machine noise barely moves."""
        total = 0
        for pid in self.tree():
            try:
                fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.popen.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait()
        self._log.close()


def get(port, path="/", host=HOST, timeout=2.0, connection=None, with_headers=False):
    """(status, body[, headers]) of one GET on 127.0.0.1; status 0 when it cannot connect."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        body = response.read()
        return (response.status, body, response.getheaders()) if with_headers else (response.status, body)
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        return (0, str(e).encode(), []) if with_headers else (0, str(e).encode())
    finally:
        if connection is None:
            conn.close()


def wait_until(what, check, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise SystemExit(f"{what}: {proc.name} exited; see {proc.log_path}")
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what}: not ready after {timeout} s" + (f"; see {proc.log_path}" if proc else ""))


# ---------------------------------------------------------------- targets

class Target:
    """One thing wrk is pointed at. proc is the proxy process whose peak RSS is reported."""

    def __init__(self, name, port, proc, is_edge=False, diag_port=None, extra=None):
        self.name, self.port, self.proc, self.is_edge, self.diag_port = name, port, proc, is_edge, diag_port
        self.extra = extra or []   # other processes of this target (the separate silo)
        self.routes_dir = None
        self.idle_rss_mb = None


def nginx_backend(out, port):
    conf = out / "nginx-backend.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {out}/nginx-backend.pid;
error_log {out}/nginx-backend-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")
    return Proc("backend", ["nginx", "-p", str(out), "-e", f"{out}/nginx-backend-error.log", "-c", str(conf)], out)


def nginx_proxy(out, port, backend_port):
    conf = out / "nginx-proxy.conf"
    conf.write_text(f"""
worker_processes auto;
daemon off;
pid {out}/nginx-proxy.pid;
error_log {out}/nginx-proxy-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive 128;
    }}
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
""")
    return Proc("nginx", ["nginx", "-p", str(out), "-e", f"{out}/nginx-proxy-error.log", "-c", str(conf)], out)


def haproxy(out, port, backend_port):
    conf = out / "haproxy.cfg"
    conf.write_text(f"""
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    http-reuse safe
    server backend 127.0.0.1:{backend_port}
""")
    return Proc("haproxy", ["haproxy", "-db", "-f", str(conf)], out)


def write_routes(directory, scenarios, backend_port):
    """The route files of every scenario, each in a sub-folder, with the backend port filled in."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for scenario in scenarios:
        source = scenario.get("routes_dir")
        if source is None:
            continue
        target = directory / scenario["name"]
        target.mkdir()
        for file in sorted(source.glob("*.y*ml")):
            (target / file.name).write_text(file.read_text().replace("{{BACKEND_PORT}}", str(backend_port)))
    write_churn(directory / "churn", 0)


def churn_text(n, services=None):
    """services(window, n): the Service and EndpointSlice YAML to write beside the Ingress and the Service name of
    each path, so a change can alter backends too; without it every path goes to the Service "web"."""
    window = range(max(0, n - CHURN_WINDOW + 1), n + 1)
    backends, service_of = services(window, n) if services else ("", lambda i: "web")
    paths = "".join(f"""
      - path: /v/{i}
        pathType: Exact
        backend:
          service:
            name: {service_of(i)}
            port:
              number: 80""" for i in window)
    return backends + f"""# Rewritten 10x/s during the churn scenario: each write adds /v/N and drops the oldest path.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: churn
  namespace: bench
spec:
  rules:
  - host: {CHURN_HOST}
    http:
      paths:{paths}
"""


def write_churn(directory, n, services=None):
    """Atomic replace, as kubectl and most editors write: the watcher never reads half a file."""
    directory.mkdir(exist_ok=True)
    tmp = directory / ".churn.tmp"
    tmp.write_text(churn_text(n, services))
    os.replace(tmp, directory / "churn.yaml")


def edge_args(port, diag_port, silo_port, gateway_port, cluster_id):
    return [f"--Edge:Port={port}", "--Edge:Address=127.0.0.1", f"--Diagnostics:Port={diag_port}",
            "--Diagnostics:Address=127.0.0.1", "--Diagnostics:Insecure=true",
            f"--Cluster:SiloPort={silo_port}", f"--Cluster:PrimarySiloPort={silo_port}",
            f"--Cluster:GatewayPort={gateway_port}", f"--Cluster:ClusterId={cluster_id}", f"--Cluster:ServiceId={cluster_id}"]


def start_targets(args, out, scenarios):
    backend_port = BASE_PORT
    backend = nginx_backend(out, backend_port)
    wait_until("backend", lambda: get(backend_port)[0] == 200, 10, backend)

    embedded_dll = REPO / "embedded/bin/Release/net10.0/Orleans.Proxy.Embedded.dll"
    raw_dll = BENCH / "RawYarp/bin/Release/net10.0/RawYarp.dll"
    # Only what is measured runs: an idle silo's timers are noise in the others' tail latency.
    def wanted(name):
        return not args.targets or name in args.targets or name == "raw-yarp"

    targets = [Target("backend", backend_port, backend)] if wanted("backend") else []
    if wanted("nginx"):
        targets.append(Target("nginx", BASE_PORT + 1, nginx_proxy(out, BASE_PORT + 1, backend_port)))
    if wanted("haproxy"):
        targets.append(Target("haproxy", BASE_PORT + 2, haproxy(out, BASE_PORT + 2, backend_port)))
    targets.append(Target("raw-yarp", BASE_PORT + 3, Proc("raw-yarp", ["dotnet", str(raw_dll), f"--urls=http://127.0.0.1:{BASE_PORT + 3}",
                                                                     f"--Backend=http://127.0.0.1:{backend_port}", f"--Host={HOST}"], out, cwd=raw_dll.parent)))

    # Embedded edge (and variants: the same edge with other environment variables or another build).
    edges = [("edge", {}, embedded_dll)] + [(name, env, dll) for name, env, dll in args.edge_variant]
    for i, (name, env, dll) in enumerate(edges):
        if not wanted(name):
            continue
        port = BASE_PORT + 4 + i
        routes = out / f"routes-{name}"
        write_routes(routes, scenarios, backend_port)
        proc = Proc(name, ["dotnet", str(dll), f"--Routes:Directory={routes}",
                           *edge_args(port, port + 100, port + 200, port + 300, f"bench-{name}")], out, env=DOTNET_ENV | env, cwd=pathlib.Path(dll).parent)
        target = Target(name, port, proc, is_edge=True, diag_port=port + 100)
        target.routes_dir = routes
        targets.append(target)

    for t in targets:
        wait_until(t.name, lambda t=t: get(t.port)[0] == 200, 90, t.proc)
    if wanted("edge-client"):
        targets.append(client_edge(out, scenarios, backend_port, BASE_PORT + 4 + len(edges)))
    for t in targets:
        if t.is_edge:
            # Idle: routes loaded, no load yet; the settle lets start-up garbage go.
            time.sleep(2)
            t.idle_rss_mb = t.proc.memory_mb("VmRSS")
    return targets


def client_edge(out, scenarios, backend_port, port):
    """The edge as an Orleans client of a separate silo process."""
    edge_dll = REPO / "edge/bin/Release/net10.0/Orleans.Proxy.Edge.dll"
    silo_dll = REPO / "silo/bin/Release/net10.0/Orleans.Proxy.Silo.dll"
    routes = out / "routes-edge-client"
    write_routes(routes, scenarios, backend_port)
    silo = Proc("silo", ["dotnet", str(silo_dll), f"--Routes:Directory={routes}", f"--Diagnostics:Port={port + 400}",
                         "--Diagnostics:Address=127.0.0.1", "--Diagnostics:Insecure=true",
                         *edge_args(port, port + 100, port + 200, port + 300, "bench-client")[5:]], out, env=DOTNET_ENV, cwd=silo_dll.parent)
    client = Proc("edge-client", ["dotnet", str(edge_dll), *edge_args(port, port + 100, port + 200, port + 300, "bench-client")],
                  out, env=DOTNET_ENV, cwd=edge_dll.parent)
    target = Target("edge-client", port, client, is_edge=True, diag_port=port + 100, extra=[silo])
    target.routes_dir = routes
    wait_until(target.name, lambda: get(port)[0] == 200, 90, client)
    return target


# ---------------------------------------------------------------- measurement

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text):
    def number(pattern, default=None):
        m = re.search(pattern, text)
        return m.group(1) if m else default

    def latency(pct):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else None

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "rps": float(number(r"Requests/sec:\s+([\d.]+)", "0")),
        "requests": int(number(r"(\d+) requests in", "0")),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "non2xx": int(number(r"Non-2xx or 3xx responses: (\d+)", "0")),
        "socket_errors": sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
    }


def run_wrk(args, target, scenario, duration):
    cpu_before = target.proc.cpu_seconds()
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
           "-H", f"Host: {scenario.get('host', HOST)}"]
    for header in scenario.get("headers", []):
        cmd += ["-H", header]
    if scenario.get("lua"):
        cmd += ["-s", str(scenario["dir"] / scenario["lua"])]
    cmd.append(f"http://127.0.0.1:{target.port}{scenario.get('path', '/')}")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    result = parse_wrk(out.stdout)
    result["cpu_us_per_req"] = (target.proc.cpu_seconds() - cpu_before) * 1e6 / result["requests"] if result["requests"] else None
    result["wrk"] = out.stdout + out.stderr
    return result


class Churn:
    """Rewrites the churn route file 10x/s and probes each change on every port until it is served there.
    A change not served within give_up seconds counts as infinitely late."""

    def __init__(self, routes_dir, ports, start_n, give_up=1.5 * CHURN_WINDOW / 10, services=None):
        self.routes_dir, self.ports, self.n, self.give_up, self.services = routes_dir, ports, start_n, give_up, services
        self.written = {}                       # n -> monotonic time of the write
        self.seen = {p: {} for p in ports}      # port -> n -> seconds from write to first 200
        self.stop_flag = threading.Event()
        self.changed = threading.Condition()    # a write wakes the probes: no polling while nothing is pending
        self.threads = [threading.Thread(target=self._write, daemon=True)] + \
                       [threading.Thread(target=self._probe, args=(p,), daemon=True) for p in ports]

    @property
    def visible(self):
        """Seconds from write to served, per change, on the first port."""
        return self.seen[self.ports[0]]

    def latencies_ms(self, written_since=float("-inf")):
        """Write-to-served per change and port, for the changes written at or after written_since (monotonic)."""
        return [v * 1000 for seen in self.seen.values() for n, v in seen.items() if self.written[n] >= written_since]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        with self.changed:
            self.changed.notify_all()
        for t in self.threads:
            t.join()

    def _write(self):
        next_at = time.monotonic()
        while not self.stop_flag.is_set():
            self.n += 1
            started = time.monotonic()
            write_churn(self.routes_dir / "churn", self.n, self.services)
            with self.changed:
                self.written[self.n] = started
                self.changed.notify_all()
            next_at += 0.1
            self.stop_flag.wait(max(0.0, next_at - time.monotonic()))

    def _probe(self, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        seen = self.seen[port]
        pending = None
        while not self.stop_flag.is_set() or pending is not None:
            if pending is None:
                with self.changed:
                    waiting = sorted(n for n in self.written if n not in seen)
                    if not waiting:
                        if self.stop_flag.is_set():
                            break
                        self.changed.wait(0.1)
                        continue
                pending = waiting[0]
            status, _ = get(port, f"/v/{pending}", CHURN_HOST, connection=conn)
            if status == 0:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if status == 200:
                seen[pending] = time.monotonic() - self.written[pending]
                pending = None
            elif time.monotonic() - self.written[pending] > self.give_up:
                seen[pending] = float("inf")
                pending = None
            else:
                # The probes are not what is measured: polling every 5 ms (not 2) leaves more of the machine to wrk and the edges.
                time.sleep(0.005)
        conn.close()


def served_generations(log_path, since, until):
    """Seconds from the route source publishing a generation (its number is the publish time in
    microseconds) to this edge logging that it serves it, for the generations served in [since, until]."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    delays, stamp = [], None
    for line in log_path.read_text(errors="replace").splitlines():
        m = re.match(r"(\d\d):(\d\d):(\d\d\.\d+) ", line)
        if m:
            h, mi, sec = int(m.group(1)), int(m.group(2)), float(m.group(3))
            stamp = datetime.datetime(today.year, today.month, today.day, h, mi, tzinfo=datetime.timezone.utc).timestamp() + sec
            continue
        m = re.search(r"Serving routing generation (\d+)", line)
        if m and stamp is not None and since <= stamp <= until:
            delays.append(stamp - int(m.group(1)) / 1e6)
    return delays


def grain_calls(target):
    """Grain calls this edge has made so far, per interface, from /diag/grain-calls; None if the edge has no such endpoint."""
    status, body = get(target.diag_port, "/diag/grain-calls", host="127.0.0.1")
    if status != 200:
        return None
    return json.loads(body)


def scenario_availability(targets, scenario):
    """A pluggable scenario runs on the edges that accepted its routes and pass its checks; {edge: why not} for the others."""
    refused = {}
    for t in targets:
        if not t.is_edge:
            continue
        refused[t.name] = edge_refusal(t, scenario)
    return {name: reason for name, reason in refused.items() if reason}


def edge_refusal(t, scenario):
    status, body = get(t.diag_port, "/diag/rejections", host="127.0.0.1")
    rejections = json.loads(body) if status == 200 else []
    for name in scenario.get("objects", []):
        for r in rejections:
            if r.get("object", "").endswith(name):
                return f"rejects {r['object']} {r.get('field')}: {r.get('reason')}"
    for check in scenario.get("checks", []) + [{"host": scenario.get("host", HOST), "path": scenario.get("path", "/"), "status": 200}]:
        wanted = check.get("status")
        for _ in range(check.get("repeat", 1)):   # e.g. until a limit's burst is used up
            status, _, headers = get(t.port, check.get("path", "/"), check["host"], with_headers=True)
            if wanted is None or status in (wanted if isinstance(wanted, list) else [wanted]):
                break
        if wanted is not None and status not in (wanted if isinstance(wanted, list) else [wanted]):
            return f"answers {status} for {check['host']}{check.get('path', '/')}, not {wanted}: {check.get('why', '')}"
        if "header" in check and not any(k.lower() == check["header"].lower() and check["contains"] in v for k, v in headers):
            return f"no {check['header']} with {check['contains']} for {check['host']}: {check.get('why', '')}"
    return None


def load_scenarios(names):
    scenarios = []
    for file in sorted((BENCH / "scenarios").glob("*/scenario.json")):
        s = json.loads(file.read_text())
        s["name"] = file.parent.name
        s["dir"] = file.parent
        if (file.parent / "routes").is_dir():
            s["routes_dir"] = file.parent / "routes"
            s["objects"] = re.findall(r"(?m)^  name: (\S+)\n  namespace: (\S+)", "\n".join(p.read_text() for p in s["routes_dir"].glob("*.y*ml")))
            s["objects"] = [f"{ns}/{n}" for n, ns in s["objects"]]
        scenarios.append(s)
    scenarios.sort(key=lambda s: (s.get("order", 99), s["name"]))
    if names:
        scenarios = [s for s in scenarios if s["name"] in names]
    return scenarios


def wait_for_quiet_machine(threshold, seconds):
    """The 1-minute load average after waiting (bounded) for it to fall below the threshold."""
    deadline = time.time() + seconds
    load = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    while float(load[0]) >= threshold and time.time() < deadline:
        log(f"load average {load[0]} >= {threshold:.1f}: waiting for a quiet machine ({deadline - time.time():.0f} s left)")
        time.sleep(10)
        load = pathlib.Path("/proc/loadavg").read_text().split()[:3]
    if float(load[0]) >= threshold:
        log(f"WARNING: measuring on a loaded machine (load average {load[0]}): ratios may point the wrong way")
    return load


def spread(values):
    """'min-max' of the per-round values: how far apart the rounds were."""
    values = [v for v in values if v is not None]
    return f"{min(values):.0f}-{max(values):.0f}" if values else "-"


def ratio_spread(values):
    values = [v for v in values if v is not None]
    return f"{min(values):.2f}-{max(values):.2f}" if values else "-"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def p99(values):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]


def fmt(value, spec):
    """Formatted, or a dash of the same width."""
    if value is None:
        width = "".join(c for c in spec.split(".")[0] if c.isdigit())
        return format("-", f">{width}") if width else "-"
    return format(value, spec)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load per target and scenario before round 1")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1 leaves the second core to the proxy)")
    parser.add_argument("--scenarios", nargs="*", help="names of bench/scenarios/* to run (default: all)")
    parser.add_argument("--targets", nargs="*", help="names of targets to measure (default: all)")
    parser.add_argument("--quiet-load", type=float, default=0.5 * (os.cpu_count() or 2),
                        help="wait until the 1-minute load average is below this before measuring (a loaded machine can turn ratios around)")
    parser.add_argument("--quiet-wait", type=int, default=180, help="seconds to wait for a quiet machine before measuring anyway (and saying so)")
    parser.add_argument("--edge-variant", action="append", default=[], metavar="NAME:KEY=VALUE,...",
                        help="an extra embedded edge with these environment variables (dll=PATH: another build), to compare settings in the same run")
    args = parser.parse_args()
    variants = []
    for spec in args.edge_variant:
        name, _, settings = spec.partition(":")
        env = dict(kv.split("=", 1) for kv in settings.split(",") if kv)
        dll = env.pop("dll", str(REPO / "embedded/bin/Release/net10.0/Orleans.Proxy.Embedded.dll"))
        variants.append((name, env, dll))
    args.edge_variant = variants

    out = BENCH / "results" / datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True)
    scenarios = load_scenarios(args.scenarios)
    load_before = wait_for_quiet_machine(args.quiet_load, args.quiet_wait)
    log(f"results in {out}; load average {' '.join(load_before)}; {os.cpu_count()} cores")

    try:
        targets = start_targets(args, out, load_scenarios(None))
        unavailable = {}   # scenario -> {edge: why it does not run there}
        for s in scenarios:
            refused = scenario_availability(targets, s) if s.get("routes_dir") else {}
            for name, reason in refused.items():
                log(f"scenario {s['name']} not run on {name}: {reason}")
            unavailable[s["name"]] = refused

        def pairs(s):
            # "baseline": a target that runs an edge-only scenario's load (its wrk script too) as the reference for its ratios.
            return [t for t in targets if (s.get("targets", "all") == "all" or t.is_edge or t.name == s.get("baseline"))
                    and t.name not in unavailable[s["name"]]]

        runnable = [s for s in scenarios if any(t.is_edge for t in pairs(s))]

        def load(s, t):
            # Raw YARP serves one host: the baseline gets the scenario's load, wrk script included, under that host.
            return s | {"host": HOST} if t.name == s.get("baseline") else s

        log("warm-up")
        churn_n = 0
        for s in runnable:
            for t in pairs(s):
                if s.get("churn"):
                    # The change path tiers up (JIT) over its first few dozen changes: that is start-up, not churn.
                    with Churn(t.routes_dir, [t.port], churn_n) as churn:
                        run_wrk(args, t, s, args.warmup)
                    churn_n = churn.n
                else:
                    run_wrk(args, t, load(s, t), args.warmup)

        results = []   # one dict per measurement
        for rnd in range(args.rounds):
            for s in runnable:
                ts = pairs(s)
                shift = rnd % len(ts)
                for t in ts[shift:] + ts[:shift]:
                    before = grain_calls(t) if t.is_edge and s.get("grain_calls") else None
                    if s.get("churn"):
                        since = time.time()
                        with Churn(t.routes_dir, [t.port], churn_n) as churn:
                            r = run_wrk(args, t, s, args.duration)
                        churn_n = churn.n
                        r["visibility_ms"] = [v * 1000 for v in churn.visible.values()]
                        r["publish_to_serve_ms"] = [v * 1000 for v in served_generations(t.proc.log_path, since, time.time() + 1)]
                        r["changes"] = len(churn.written)
                    else:
                        r = run_wrk(args, t, load(s, t), args.duration)
                    if before is not None:
                        after = grain_calls(t)
                        r["grain_calls"] = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) - before.get(k, 0)}
                    r.update(round=rnd, scenario=s["name"], target=t.name, load=pathlib.Path("/proc/loadavg").read_text().split()[0])
                    results.append(r)
                    extra = f", {len(r['visibility_ms'])} changes, max visibility {max(r['visibility_ms'], default=0):.0f} ms" if "visibility_ms" in r else ""
                    log(f"round {rnd + 1} {s['name']:<16} {t.name:<12} {r['rps']:>9.0f} req/s {fmt(r['cpu_us_per_req'], '.0f')} CPU-us/req p50 {fmt(r['p50_ms'], '.2f')} ms "
                        f"p99 {fmt(r['p99_ms'], '.2f')} ms failed {r['non2xx'] + r['socket_errors']}{extra}")

        peak = {t.name: t.proc.memory_mb("VmHWM") for t in targets}
        peak.update({p.name: p.memory_mb("VmHWM") for t in targets for p in t.extra})
        idle = {t.name: t.idle_rss_mb for t in targets if t.is_edge}
        load_after = pathlib.Path("/proc/loadavg").read_text().split()[:3]
        uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        table = render(args, scenarios, runnable, unavailable, targets, results, peak, idle, load_before, uptime)
        print(table)
        (out / "table.txt").write_text(table + "\n")
        (out / "raw.json").write_text(json.dumps({"args": vars(args) | {"edge_variant": [list(v) for v in args.edge_variant]},
                                                  "load_before": load_before, "load_after": load_after, "uptime": uptime,
                                                  "peak_rss_mb": peak, "idle_rss_mb": idle, "not_run": unavailable,
                                                  "results": results}, indent=1, default=str))
        log(f"raw results: {out}/raw.json")
    finally:
        for p in reversed(STARTED):
            p.stop()


def render(args, scenarios, runnable, unavailable, targets, results, peak, idle, load_before, uptime):
    def of(s, t):
        return [r for r in results if r["scenario"] == s and r["target"] == t]

    def per_round_ratio(s, t, ref_s, ref_t, key="rps"):
        return median(round_ratios(s, t, ref_s, ref_t, key))

    def round_ratios(s, t, ref_s, ref_t, key="rps"):
        ratios = []
        for rnd in range(args.rounds):
            a = [r[key] for r in of(s, t) if r["round"] == rnd]
            b = [r[key] for r in of(ref_s, ref_t) if r["round"] == rnd]
            if a and b and a[0] and b[0]:
                ratios.append(a[0] / b[0])
        return ratios

    quiet = float(load_before[0]) < args.quiet_load
    lines = [f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds, medians over rounds (spread: min-max over rounds); "
             f"load average at start {' '.join(load_before)} ({'quiet' if quiet else 'LOADED: ratios may point the wrong way'}); {uptime}", ""]
    header = (f"{'scenario':<16} {'target':<12} {'req/s':>9} {'spread':>13} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6} {'peak RSS':>9} {'CPU us/req':>10} "
              f"{'/raw-yarp':>9} {'spread':>9} {'/nginx':>7} {'raw-yarp CPU/this':>17}  notes")
    lines += [header, "-" * len(header)]
    for s in runnable:
        names = {r["target"] for r in results if r["scenario"] == s["name"]}
        # The raw YARP and nginx references of an edge-only scenario are their plain keep-alive figures.
        ref = s["name"] if any(r["target"] == "raw-yarp" for r in of(s["name"], "raw-yarp")) else "plain"
        ref_nginx = s["name"] if of(s["name"], "nginx") else "plain"
        for t in targets:
            if t.name not in names:
                continue
            rs = of(s["name"], t.name)
            notes = []
            if "visibility_ms" in rs[0]:
                vis = [v for r in rs for v in r["visibility_ms"]]
                served = [v for r in rs for v in r.get("publish_to_serve_ms", [])]
                notes.append(f"{sum(r['changes'] for r in rs)} route changes, write-to-served p99 {fmt(p99(vis), '.0f')} ms "
                             f"(max {fmt(max(vis, default=None), '.0f')}); publish-to-served p99 {fmt(p99(served), '.0f')} ms over {len(served)} generations")
            calls = [r.get("grain_calls") for r in rs if "grain_calls" in r]
            if calls:
                total = sum(sum(c.values()) for c in calls)
                requests = sum(r["requests"] for r in rs)
                notes.append(f"grain calls {total} in {requests} requests ({', '.join(sorted({k for c in calls for k in c})) or 'none'})")
            elif s.get("grain_calls") and t.is_edge:
                notes.append("grain calls: n/a (edge has no /diag/grain-calls)")
            if ref != s["name"] and t.is_edge:
                notes.append("ratios vs plain")
            elif s.get("baseline") == t.name:
                notes.append("the same load (wrk script included) through raw YARP: the reference for this scenario's ratios")
            elif s.get("baseline") and t.is_edge:
                notes.append(f"vs raw YARP's plain: {fmt(per_round_ratio(s['name'], t.name, 'plain', 'raw-yarp'), '.2f')}")
            failed = sum(r["non2xx"] + r["socket_errors"] for r in rs)
            ratios_raw = round_ratios(s["name"], t.name, ref, "raw-yarp") if t.is_edge else []
            ratio_raw = median(ratios_raw) if ratios_raw else None
            ratio_nginx = per_round_ratio(s["name"], t.name, ref_nginx, "nginx") if t.is_edge else None
            # Requests per CPU second relative to raw YARP (1.00 = as cheap per request): steadier than req/s on a shared machine.
            cpu_ratio = per_round_ratio(ref, "raw-yarp", s["name"], t.name, "cpu_us_per_req") if t.is_edge else None
            lines.append(f"{s['name']:<16} {t.name:<12} {median([r['rps'] for r in rs]):>9.0f} {spread([r['rps'] for r in rs]):>13} {fmt(median([r['p50_ms'] for r in rs]), '>7.2f')} "
                         f"{fmt(median([r['p99_ms'] for r in rs]), '>7.2f')} {failed:>6} {peak.get(t.name, 0):>6.0f} MB "
                         f"{fmt(median([r['cpu_us_per_req'] for r in rs]), '>10.0f')} "
                         f"{fmt(ratio_raw, '>9.2f')} {ratio_spread(ratios_raw):>9} {fmt(ratio_nginx, '>7.2f')} {fmt(cpu_ratio, '>17.2f')}  {'; '.join(notes)}")
    lines.append("")
    for name, refused in unavailable.items():
        for edge, reason in refused.items():
            lines.append(f"scenario {name} not run on {edge}: {reason}")
    lines.append("edge idle RSS (routes loaded, before load): " + ", ".join(f"{k} {v:.0f} MB" for k, v in idle.items()) + " (target < 150 MB)")
    if "silo" in peak:
        lines.append(f"separate silo peak RSS: {peak['silo']:.0f} MB (not counted in edge-client)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
