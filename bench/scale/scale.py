#!/usr/bin/env python3
"""Cost as the routing table grows: N Ingress hosts (two paths each, three endpoints per Service),
a silo and several client edges as separate processes, then idle throughput, throughput while one
route changes 10 times a second, and write-to-served latency on every edge. Beside it, nginx with
the same server blocks: reload time and failed requests over 10 reloads under load.

Every address is on loopback; every loop is bounded in count and time. See bench/README.md."""

import argparse
import datetime
import json
import os
import pathlib
import re
import resource
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from bench import (BASE_PORT, DOTNET_ENV, REPO, STARTED, Churn, Proc, edge_args, fmt, get, log, median,  # noqa: E402
                   p99, run_wrk, wait_for_quiet_machine, wait_until, write_churn)

NAMESPACE = "bench"
BACKENDS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]   # one nginx listening on three loopback addresses
HOSTS_PER_FILE = 250

# With --trace: the Debug logs that stamp each stage of a route change (see stage_trace).
TRACE_ENV = {f"Logging__LogLevel__{category}": "Debug" for category in (
    "Orleans.Proxy.Silo.RouteSources.Files.FileRouteSource", "Orleans.Proxy.Silo.Publishing.RoutePublisher",
    "Orleans.Proxy.Edge.Routing.CatalogSync")}

# Log lines that mark a stage of a generation: (stage, pattern with the generation as group 1).
SILO_STAGES = [("silo: grains written", r"Generation (\d+): wrote"),
               ("silo: catalog grain stored, delta pushed", r"Catalog generation (\d+) published"),
               ("silo: publication done", r"Published routing generation (\d+)")]
EDGE_STAGES = [("push received", r"Catalog delta \d+ -> (\d+) received"),
               ("grains fetched", r"Generation (\d+): fetched"),
               ("applied (served)", r"Serving routing generation (\d+)"),
               ("served generation reported", r"Reported generation (\d+) served")]


def host_name(i):
    return f"h{i}.scale.local"


def service(name, backend_port, addresses):
    """A Service on port 80 and one EndpointSlice with these addresses on the backend's port."""
    endpoints = "".join(f"""
- addresses: ["{a}"]
  conditions: {{ready: true}}""" for a in addresses)
    return f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {NAMESPACE}
spec:
  ports:
  - name: http
    port: 80
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-1
  namespace: {NAMESPACE}
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
ports:
- name: http
  port: {backend_port}
endpoints:{endpoints}
"""


def write_table(directory, size, backend_port):
    """size Ingresses, each its own host with an Exact and a Prefix path to its own Service of three endpoints."""
    directory.mkdir(parents=True)
    for start in range(0, size, HOSTS_PER_FILE):
        docs = []
        for i in range(start, min(size, start + HOSTS_PER_FILE)):
            docs.append(service(f"s{i}", backend_port, BACKENDS) + f"""---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: i{i}
  namespace: {NAMESPACE}
spec:
  rules:
  - host: {host_name(i)}
    http:
      paths:
      - path: /a
        pathType: Prefix
        backend:
          service:
            name: s{i}
            port:
              number: 80
      - path: /b
        pathType: Exact
        backend:
          service:
            name: s{i}
            port:
              number: 80
""")
        (directory / f"hosts-{start:06d}.yaml").write_text("---\n".join(docs))
    # The churn Ingress routes to Service "web".
    (directory / "web.yaml").write_text(service("web", backend_port, BACKENDS[:1]))
    write_churn(directory / "churn", 0)


def backend(out, port):
    conf = out / "backend.conf"
    listens = "".join(f"        listen {a}:{port} backlog=4096;\n" for a in BACKENDS)
    conf.write_text(f"""worker_processes 1;
daemon off;
pid {out}/backend.pid;
error_log {out}/backend-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server {{
{listens}        location / {{ return 200 "ok\\n"; }}
    }}
}}
""")
    return Proc("backend", ["nginx", "-p", str(out), "-e", f"{out}/backend-error.log", "-c", str(conf)], out)


class CpuShares:
    """CPU seconds per second of wall over a window, per process: where the two cores went while wrk ran.
    wrk's share counts once it has exited (reaped children); the bench's own is its probes and churn writer."""

    def __init__(self, procs):
        self.procs = procs

    def _now(self):
        own, children = os.times(), resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.monotonic(), {**{name: p.cpu_seconds() for name, p in self.procs.items()},
                                  "wrk": children.ru_utime + children.ru_stime, "bench": own.user + own.system}

    def __enter__(self):
        self.began, self.before = self._now()
        return self

    def __exit__(self, *exc):
        ended, after = self._now()
        self.shares = {name: (after[name] - self.before[name]) / (ended - self.began) for name in after}


# What each churn kind writes beside the churn Ingress: (window, n) -> (Services YAML, the Service of path i).
CHURN_SERVICES = {
    "paths": lambda port: None,
    # Each path its own Service: every change adds a backend and removes one.
    "backends": lambda port: lambda window, n: ("".join(service(f"churn-{i}", port, BACKENDS[:1]) + "---\n" for i in window),
                                                lambda i: f"churn-{i}"),
    # One Service whose endpoints change with every write, as in a rollout (two of the three addresses in turn).
    "endpoints": lambda port: lambda window, n: (service("churn-web", port, [BACKENDS[n % 3], BACKENDS[(n + 1) % 3]]) + "---\n",
                                                 lambda i: "churn-web"),
}


def measure_edges(args, size, out, backend_proc):
    backend_port = BASE_PORT
    routes = out / "routes"
    write_table(routes, size, backend_port)
    silo_dll = REPO / "silo/bin/Release/net10.0/Orleans.Proxy.Silo.dll"
    edge_dll = REPO / "edge/bin/Release/net10.0/Orleans.Proxy.Edge.dll"
    cluster = edge_args(0, 0, BASE_PORT + 200, BASE_PORT + 300, f"scale-{size}")[5:]
    env = DOTNET_ENV | (TRACE_ENV if args.trace else {})
    started = time.monotonic()
    silo = Proc("silo", ["dotnet", str(silo_dll), f"--Routes:Directory={routes}", f"--Diagnostics:Port={BASE_PORT + 400}",
                         "--Diagnostics:Address=127.0.0.1", "--Diagnostics:Insecure=true", *cluster], out,
                env=env | dict(kv.split("=", 1) for kv in args.silo_env), cwd=silo_dll.parent)
    edges = []
    for e in range(args.edges):
        port = BASE_PORT + 10 + e
        edges.append((port, Proc(f"edge-{e}", ["dotnet", str(edge_dll), f"--Edge:Id=scale-edge-{e}", "--AccessLog:Enabled=false",
                                                *edge_args(port, port + 100, BASE_PORT + 200, BASE_PORT + 300, f"scale-{size}")],
                                 out, env=env | dict(kv.split("=", 1) for kv in args.edge_env), cwd=edge_dll.parent)))
    last = host_name(size - 1)
    for port, proc in edges:
        wait_until(f"edge {port} serves {last}", lambda port=port: get(port, "/a", last)[0] == 200, args.ready_timeout, proc)
    ready_s = time.monotonic() - started
    time.sleep(2)
    row = {"size": size, "ready_s": ready_s,
           "edge_rss_idle_mb": max(p.memory_mb("VmRSS") for _, p in edges), "silo_rss_idle_mb": silo.memory_mb("VmRSS")}

    class T:   # what run_wrk needs of a target
        port, proc = edges[0][0], edges[0][1]
    scenario = {"host": host_name(0), "path": "/a"}
    # The request path tiers up (JIT) first, for several seconds on two cores: that is start-up, not idle cost.
    run_wrk(args, T, scenario, args.warmup)
    procs = {"silo": silo, **{p.name: p for _, p in edges}, "backend": backend_proc}
    with CpuShares(procs) as idle_cpu:
        idle = run_wrk(args, T, scenario, args.duration)
    # Serving alone grows the heap (the GC's budgets follow the allocation rate): churn's share is what it adds to this.
    row["edge_rss_loaded_mb"] = max(p.memory_mb("VmRSS") for _, p in edges)
    churn_n = 0
    services = CHURN_SERVICES[args.churn_kind](backend_port)
    with Churn(routes, [p for p, _ in edges], churn_n, give_up=10, services=services) as churn:
        # The change path tiers up over its first few dozen changes (JIT on the silo and every edge: 0.3-0.4
        # of a core each for several seconds): measured from a cold start, that was most of the churn's cost.
        time.sleep(args.churn_warmup)
        measured_from = time.monotonic()
        with CpuShares(procs) as churn_cpu:
            busy = run_wrk(args, T, scenario, args.duration)
    churn_ended = time.time()
    latencies = churn.latencies_ms(measured_from)
    row.update({
        "rps_idle": idle["rps"], "rps_churn": busy["rps"], "p99_idle_ms": idle["p99_ms"], "p99_churn_ms": busy["p99_ms"],
        "failed": idle["non2xx"] + idle["socket_errors"] + busy["non2xx"] + busy["socket_errors"],
        "changes": sum(1 for at in churn.written.values() if at >= measured_from), "served_p50_ms": median(latencies), "served_p99_ms": p99(latencies),
        "missed": sum(1 for v in latencies if v == float("inf")),
        "edge_rss_after_mb": max(p.memory_mb("VmRSS") for _, p in edges), "silo_rss_after_mb": silo.memory_mb("VmRSS"),
        "cpu_idle": idle_cpu.shares, "cpu_churn": churn_cpu.shares,
        "edge_cpu_us_per_req_idle": idle["cpu_us_per_req"], "edge_cpu_us_per_req_churn": busy["cpu_us_per_req"],
    })
    for p in reversed(STARTED):
        p.stop()
    STARTED.clear()
    if args.trace:
        row["trace"] = stage_trace(out, silo, [p for _, p in edges], churn_ended - args.duration, churn_ended)
    return row


def log_stamps(path):
    """(epoch seconds, line) for each line of a .NET console log, stamped with its entry's HH:mm:ss.fff."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    stamp = None
    for line in path.read_text(errors="replace").splitlines():
        m = re.match(r"(\d\d):(\d\d):(\d\d\.\d+) ", line)
        if m:
            stamp = datetime.datetime(today.year, today.month, today.day, int(m.group(1)), int(m.group(2)),
                                      tzinfo=datetime.timezone.utc).timestamp() + float(m.group(3))
        elif stamp is not None:
            yield stamp, line


def stage_trace(out, silo, edges, since, until):
    """For the generations published while wrk ran under churn: ms from each generation's publication
    start (its number is that time in microseconds) to each stage, p50 and max over the generations;
    and the silo's file source, from seeing a change to having read and converted the files."""
    stamps = {}
    for proc, stages in [(silo, SILO_STAGES)] + [(e, EDGE_STAGES) for e in edges]:
        prefix = "" if proc is silo else f"{proc.name}: "
        for stage, _ in stages:
            stamps[prefix + stage] = {}   # printed in this order
        for stamp, line in log_stamps(proc.log_path):
            for stage, pattern in stages:
                if m := re.search(pattern, line):
                    stamps[prefix + stage].setdefault(int(m.group(1)), stamp)
    generations = [g for g in stamps["silo: publication done"] if since <= g / 1e6 <= until]
    lines = [f"{len(generations)} generations published under churn; ms after each one's publication started: p50 / max"]
    for stage, by_generation in stamps.items():
        delays = sorted((by_generation[g] - g / 1e6) * 1000 for g in generations if g in by_generation)
        if delays:
            lines.append(f"  {stage:45} {median(delays):7.0f} / {delays[-1]:7.0f}")
    seen, reads = None, []
    for stamp, line in log_stamps(silo.log_path):
        if "changed; reading it after the debounce" in line:
            seen = stamp
        elif re.search(r"Read \d+ route files", line) and seen is not None:
            if since <= stamp <= until:
                reads.append((stamp - seen) * 1000)
            seen = None
    if reads:
        lines.append(f"  silo file source, change seen to files read and converted (50 ms debounce included): {median(reads):.0f} / {max(reads):.0f}")
    text = "\n".join(lines)
    (out / "trace.txt").write_text(text + "\n")
    log(text)
    return text


def nginx_conf(out, port, backend_port, size, extra_locations):
    servers = []
    for i in range(size):
        extra = "".join(f"        location = /r/{k} {{ proxy_pass http://backend; }}\n" for k in range(extra_locations)) if i == 0 else ""
        servers.append(f"""    server {{
        listen 127.0.0.1:{port};
        server_name {host_name(i)};
        location /a {{ proxy_pass http://backend; }}
        location = /b {{ proxy_pass http://backend; }}
{extra}    }}
""")
    conf = out / "nginx.conf"
    conf.write_text(f"""worker_processes auto;
daemon off;
pid {out}/nginx.pid;
error_log {out}/nginx-error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    upstream backend {{
        server 127.0.0.1:{backend_port};
        keepalive 128;
    }}
{''.join(servers)}}}
""")
    return conf


def measure_nginx(args, size, out):
    """10 reloads under load, each adding a location: time until it is served, and failed requests."""
    backend_port, port = BASE_PORT, BASE_PORT + 50
    backend(out, backend_port)
    conf = nginx_conf(out, port, backend_port, size, 0)
    nginx = Proc("nginx", ["nginx", "-p", str(out), "-e", f"{out}/nginx-error.log", "-c", str(conf)], out)
    wait_until("nginx", lambda: get(port, "/a", host_name(size - 1))[0] == 200, 60, nginx)

    class T:
        proc = nginx
    T.port = port
    reload_ms = []
    result = {}

    def load():
        result.update(run_wrk(args, T, {"host": host_name(0), "path": "/a"}, args.duration * 2))
    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.5)
    for k in range(1, 11):
        nginx_conf(out, port, backend_port, size, k)
        began = time.monotonic()
        subprocess.run(["nginx", "-p", str(out), "-e", f"{out}/nginx-error.log", "-c", str(conf), "-s", "reload"], check=True)
        deadline = began + 30
        while get(port, f"/r/{k - 1}", host_name(0))[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.002)
        reload_ms.append((time.monotonic() - began) * 1000)
        time.sleep(max(0.0, args.duration * 2 / 12 - 0.1))
    loader.join()
    for p in reversed(STARTED):
        p.stop()
    STARTED.clear()
    return {"nginx_reload_p50_ms": median(reload_ms), "nginx_reload_max_ms": max(reload_ms),
            "nginx_failed": result.get("non2xx", 0) + result.get("socket_errors", 0), "nginx_rps_reloading": result.get("rps")}


def render(rows, args, load_before):
    settings = "".join(f"; silo {kv}" for kv in args.silo_env) + "".join(f"; edges {kv}" for kv in args.edge_env)
    lines = [f"bench/scale: silo + {args.edges} client edges{settings}, wrk -t{args.threads} -c{args.connections} -d{args.duration}s on one host of edge 0; "
             f"route change 10/s ({args.churn_kind}), served = write to 200 on every edge; unrecorded before: {args.warmup} s of load, {args.churn_warmup} s of churn; load average at start {' '.join(load_before)}"]
    header = (f"{'hosts':>6} {'ready s':>8} {'edge RSS idle->load->churn':>27} {'silo RSS':>9} {'req/s idle':>10} {'churn':>8} {'ratio':>6} "
              f"{'served p50/p99 ms':>18} {'missed':>6} {'failed':>6} | {'nginx reload p50/max ms':>23} {'failed':>6}")
    lines += ["", header, "-" * len(header)]
    for r in rows:
        ratio = r["rps_churn"] / r["rps_idle"] if r["rps_idle"] else None
        lines.append(f"{r['size']:>6} {r['ready_s']:>8.1f} {r['edge_rss_idle_mb']:>8.0f} -> {r['edge_rss_loaded_mb']:>4.0f} -> {r['edge_rss_after_mb']:>4.0f} MB {r['silo_rss_after_mb']:>6.0f} MB "
                     f"{r['rps_idle']:>10.0f} {r['rps_churn']:>8.0f} {fmt(ratio, '>6.2f')} "
                     f"{fmt(r['served_p50_ms'], '>8.0f')}/{fmt(r['served_p99_ms'], '<9.0f')} {r['missed']:>6} {r['failed']:>6} | "
                     f"{fmt(r.get('nginx_reload_p50_ms'), '>11.0f')}/{fmt(r.get('nginx_reload_max_ms'), '<11.0f')} {r.get('nginx_failed', '-'):>6}")
    lines += ["", "CPU seconds per second while wrk ran, idle -> churn (2 cores = 2.0), and edge-0's CPU us per request:"]
    for r in rows:
        shares = "  ".join(f"{name} {r['cpu_idle'][name]:.2f} -> {r['cpu_churn'][name]:.2f}" for name in r["cpu_idle"])
        lines.append(f"{r['size']:>6}  {shares}  | edge-0 {fmt(r['edge_cpu_us_per_req_idle'], '.0f')} -> {fmt(r['edge_cpu_us_per_req_churn'], '.0f')} us/req")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--edges", type=int, default=2, help="client edges (separate processes) beside one silo")
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per measurement")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unrecorded load before the idle measurement")
    parser.add_argument("--churn-warmup", type=int, default=10, help="seconds of churn before the churn measurement (its changes not counted)")
    parser.add_argument("--churn-kind", choices=list(CHURN_SERVICES), default="paths",
                        help="paths: each change adds a path and drops one on a backend already served (the edge's matcher alone); "
                             "backends: each path has a Service of its own, so each change adds a backend and removes one; "
                             "endpoints: the paths' one Service changes its endpoints with each change too, as in a rollout")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ready-timeout", type=int, default=240)
    parser.add_argument("--no-nginx", action="store_true")
    parser.add_argument("--trace", action="store_true", help="Debug logs on the silo and edges; print when each stage of a change happened")
    parser.add_argument("--silo-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the silo only (e.g. DOTNET_gcServer=0), to compare its settings")
    parser.add_argument("--edge-env", action="append", default=[], metavar="KEY=VALUE",
                        help="an environment variable for the edges only, to compare their settings")
    parser.add_argument("--quiet-load", type=float, default=0.5 * (os.cpu_count() or 2))
    parser.add_argument("--quiet-wait", type=int, default=180)
    args = parser.parse_args()
    results = pathlib.Path(__file__).resolve().parent / "results" / datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    load_before = wait_for_quiet_machine(args.quiet_load, args.quiet_wait)
    rows = []
    try:
        for size in args.sizes:
            out = results / f"hosts-{size}"
            out.mkdir(parents=True)
            log(f"{size} hosts: silo + {args.edges} edges")
            row = measure_edges(args, size, out, backend(out, BASE_PORT))
            if not args.no_nginx:
                log(f"{size} hosts: nginx reloads")
                nginx_out = out / "nginx"
                nginx_out.mkdir()
                row.update(measure_nginx(args, size, nginx_out))
            rows.append(row)
            log(json.dumps(row, default=str))
    finally:
        for p in reversed(STARTED):
            p.stop()
    table = render(rows, args, load_before)
    print(table)
    (results / "table.txt").write_text(table + "\n")
    (results / "raw.json").write_text(json.dumps({"args": vars(args), "load_before": load_before, "rows": rows}, indent=1, default=str))


if __name__ == "__main__":
    main()
