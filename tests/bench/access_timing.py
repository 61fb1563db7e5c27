#!/usr/bin/env python3
"""Does `POST /api/results/access` take longer for a verified contact than for a
stranger? (Issue 12, finding 6: the token write and the SES call on the request
path told who is a contact, under the same 202.)

Starts one moto server and two local gateways on it, the one built before the
mail queue (BEFORE) and the current one (AFTER), registers Bergen with a
verified contact, then sends PAIRS interleaved pairs of requests to each
gateway: the contact's address and a stranger's, in alternating order, each
from its own loopback address (127.0.0.x) so that the per-address limit of 20
an hour is never reached. Prints the medians in milliseconds as a Markdown
table and as JSON.

  python3 tests/bench/access_timing.py --before-gateway OLD/local-gateway \
      --before-admin OLD/survey-admin [--after-gateway target/debug/local-gateway] [--pairs 40]

OLD is a debug build of commit b582139, the last before the queue; `make bench`
builds it once into target/before-queue.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, path, timeout=60):
    until = time.time() + timeout
    while time.time() < until:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"nothing answered on port {port}{path} within {timeout} s")


def timed_access(port, source, email):
    """One request from `source`; returns (status, milliseconds)."""
    body = json.dumps({"survey_id": "local", "unit": "4601", "email": email})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    conn.connect()
    started = time.perf_counter()
    conn.request("POST", "/api/results/access", body, {"content-type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before-gateway", required=True)
    parser.add_argument("--before-admin", required=True)
    parser.add_argument("--after-gateway", default=os.path.join(ROOT, "target/debug/local-gateway"))
    parser.add_argument("--after-admin", default=os.path.join(ROOT, "target/debug/survey-admin"))
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--json", help="also write the medians to this file (make bench)")
    args = parser.parse_args()

    logs = tempfile.mkdtemp(prefix="access-timing-")
    moto_port = free_port()
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}", AWS_REGION="eu-north-1",
               AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", RUST_LOG="warn")
    children = []
    try:
        moto = subprocess.Popen([os.path.join(ROOT, ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children.append(moto)
        wait_for(moto_port, "/moto-api/")
        contact = "kontakt@bergen.example.org"
        # The old tool writes the contact in the format both versions read.
        subprocess.run([args.before_admin, "setup", "--seed-local"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.before_admin, "registration", "add", "--survey", "local", "--unit", "4601",
                        "--contact", f"Kari Kontakt <{contact}>"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.after_admin, "setup"], env=env, check=True, stdout=subprocess.DEVNULL)

        ports = {}
        for name, binary in [("before", args.before_gateway), ("after", args.after_gateway)]:
            port = free_port()
            log = open(os.path.join(logs, f"{name}.log"), "w")
            # STATIC_DIR: a gateway built in a worktree since removed would look for its site there.
            gateway_env = dict(env, PORT=str(port), SITE_URL=f"http://127.0.0.1:{port}",
                               STATIC_DIR=os.path.join(ROOT, "static-site"))
            children.append(subprocess.Popen([binary], env=gateway_env, stdout=log, stderr=log))
            wait_for(port, "/api/health")
            ports[name] = port

        times = {(g, k): [] for g in ports for k in ("contact", "stranger")}
        statuses = set()
        source = 2
        for i in range(args.pairs):
            for gateway in (["before", "after"] if i % 2 == 0 else ["after", "before"]):
                kinds = [("contact", contact), ("stranger", f"fremmed-{i}@example.org")]
                for kind, email in (kinds if i % 2 == 0 else kinds[::-1]):
                    status, ms = timed_access(ports[gateway], f"127.0.{source // 250}.{source % 250 + 2}", email)
                    source += 1
                    statuses.add(status)
                    times[(gateway, kind)].append(ms)
        if statuses != {202}:
            sys.exit(f"every request must be answered 202, got {sorted(statuses)}")

        medians = {f"{g}_{k}": round(statistics.median(v), 2) for (g, k), v in times.items()}
        for g in ports:
            medians[f"{g}_difference"] = round(medians[f"{g}_contact"] - medians[f"{g}_stranger"], 2)
        print("| build | contact, median ms | stranger, median ms | contact − stranger |")
        print("|---|---|---|---|")
        for g in ports:
            print(f"| {g} | {medians[f'{g}_contact']} | {medians[f'{g}_stranger']} | {medians[f'{g}_difference']} |")
        result = {"pairs": args.pairs, **medians}
        print(json.dumps(result))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f)
    finally:
        for child in children[::-1]:
            child.terminate()
        for child in children:
            child.wait()


if __name__ == "__main__":
    main()
