"""Sandbox benchmarks: time and peak memory to generate and to serve worlds of growing size.

Each measurement runs in a fresh child process so that its peak RSS is its own.

    python benchmarks/sandbox_bench.py --scales 10000,100000,1000000

Generating walks every company of the world (people, touches, stage changes, deals) and every
ad day; serving pages through all HubSpot contacts and all Marketo activities over HTTP from a
real sandbox server. Results are printed as a table and written to artifacts/bench/sandbox.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, peak_rss_mb, run_child, write_results  # noqa: E402


def measure_generate(scale: int, seed: int) -> dict:
    from sandbox.world import World

    world = World(seed=seed, scale=scale)
    started = time.perf_counter()
    people = touches = deals = 0
    now = world.now
    for bundle in world.bundles():
        for person in bundle.people:
            if person.created_at < now:
                people += 1
                touches += sum(1 for t in person.touches if t.at < now)
        deals += bundle.deal is not None and bundle.deal.created_at < now
    ad_days = sum(1 for _ in world.all_ad_days())
    seconds = time.perf_counter() - started
    return {
        "step": "generate",
        "scale": scale,
        "people": people,
        "touchpoints": touches,
        "deals": deals,
        "ad_days": ad_days,
        "seconds": round(seconds, 1),
        "people_per_s": round(people / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def measure_serve(scale: int, seed: int, max_records: int = 0) -> dict:
    """Warm the sandbox (its search index), then page HubSpot contacts over HTTP: all of them,
    or the first `max_records` when given (throughput measured on that sample)."""
    import requests

    from sandbox.server import SandboxServer
    from sandbox.world import World

    with SandboxServer(World(seed=seed, scale=scale)) as sandbox:
        warm_up = sandbox.warm_up()
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {sandbox.credentials['hubspot']['api_key']}"
        url = f"{sandbox.base_urls['hubspot']}/crm/v3/objects/contacts"
        params = {"limit": 100, "properties": "email,lifecyclestage,createdate"}
        started = time.perf_counter()
        contacts = 0
        while not max_records or contacts < max_records:
            page = session.get(url, params=params, timeout=60).json()
            contacts += len(page["results"])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                break
            params["after"] = after
        seconds = time.perf_counter() - started
    return {
        "step": "serve hubspot contacts",
        "scale": scale,
        "warm_up_s": round(warm_up, 1),
        "records": contacts,
        "complete": not max_records or contacts < max_records,
        "seconds": round(seconds, 1),
        "records_per_s": round(contacts / seconds),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--steps", default="generate,serve")
    parser.add_argument("--max-records", type=int, default=0, help="serve: page this many")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, scale = args.child.split(":")
        if step == "serve":
            print(json.dumps(measure_serve(int(scale), args.seed, args.max_records)))
        else:
            print(json.dumps(measure_generate(int(scale), args.seed)))
        return
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        for step in args.steps.split(","):
            child = ["--child", f"{step}:{scale}", "--seed", str(args.seed)]
            result = run_child(Path(__file__), [*child, "--max-records", str(args.max_records)])
            print(json.dumps(result), flush=True)
            results.append(result)
    print(f"written to {write_results('sandbox', results).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
