#!/usr/bin/env python3
"""HTTP client of the configuration-loop benchmark (standard library only).

    client.py push BASE TOKEN DIR [THREADS]    push every node's running config; prints JSON
    client.py latency BASE TOKEN DIR [N]       GET /config-diff for N random nodes, one at a time
                                               over one keep-alive connection; prints JSON with
                                               p50/p99/max in milliseconds
"""

import http.client
import json
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit


def connection(base):
    url = urlsplit(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def nodes(root):
    return json.loads((Path(root) / "inventory" / "nodes.json").read_text())


def push(base, token, root, threads="2"):
    todo = nodes(root)
    lock = threading.Lock()
    failures = []

    def worker():
        conn = connection(base)
        while True:
            with lock:
                if not todo:
                    return
                node = todo.pop()
            body = (Path(root) / "running" / f"{node['name']}.cfg").read_bytes()
            conn.request("POST", f"/api/v1/nodes/{node['id']}/configs", body=body,
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "text/plain"})
            answer = conn.getresponse()
            text = answer.read()
            if answer.status not in (200, 201):
                with lock:
                    failures.append(f"{node['name']}: {answer.status} {text[:200]!r}")

    count = len(todo)
    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    if failures:
        sys.exit("pushes refused:\n" + "\n".join(failures[:10]))
    print(json.dumps({"pushed": count, "seconds": elapsed}))


def latency(base, token, root, n="2000"):
    ids = [node["id"] for node in nodes(root)]
    rng = random.Random(11)
    conn = connection(base)
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(int(n)):
        node = rng.choice(ids)
        started = time.perf_counter()
        conn.request("GET", f"/api/v1/nodes/{node}/config-diff", headers=headers)
        answer = conn.getresponse()
        body = answer.read()
        times.append((time.perf_counter() - started) * 1000)
        if answer.status != 200:
            sys.exit(f"config-diff of {node}: {answer.status} {body[:300]!r}")
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(json.dumps({"requests": len(times), "p50_ms": pick(0.50), "p99_ms": pick(0.99),
                      "max_ms": times[-1]}))


if __name__ == "__main__":
    modes = {"push": push, "latency": latency}
    if len(sys.argv) < 5 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]](*sys.argv[2:])
