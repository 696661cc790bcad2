"""Run the sandbox APIs from the command line.

    python -m sandbox serve --seed 7 --scale 1000 [--port 0] [--as-of 2025-07-01]
        [--systems hubspot,google_ads,fx] [--crm salesforce]
        [--faults "rate_limit_every=5,bad_records=null_id+future_date"] [--env-file sandbox.json]

``--systems`` gives the organisation only some of the registered source systems (default: every
one but a single CRM; see ``World``): only their APIs are served. ``--crm salesforce`` renders
the world's CRM through Salesforce instead of HubSpot. Prints the base URL of every served API and,
with ``--env-file``, writes a JSON file with the base URLs, the (fresh, random) credentials and
the world (seed, scale, systems) so that a demo or a pipeline run can read them. Runs until
SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

from sandbox.faults import FaultPlan
from sandbox.server import SandboxServer
from sandbox.world import World, parse_systems


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a world until interrupted")
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--scale", type=int, default=1_000)
    serve.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    serve.add_argument("--end", type=date.fromisoformat, default=date(2025, 7, 1))
    serve.add_argument("--as-of", type=date.fromisoformat, default=None)
    serve.add_argument(
        "--systems", type=parse_systems, default=None,
        help="the world's source systems, comma-separated (default: every registered one)",
    )  # fmt: skip
    serve.add_argument(
        "--crm", default=None,
        help="the CRM that renders the world's CRM records: hubspot (default) or salesforce",
    )  # fmt: skip
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0: a free port")
    serve.add_argument("--faults", default="", help='e.g. "rate_limit_every=5,new_property=1"')
    serve.add_argument("--env-file", type=Path, default=None, help="write URLs + credentials")
    return parser


def serve(args: argparse.Namespace) -> int:
    world = World(
        seed=args.seed,
        scale=args.scale,
        start=args.start,
        end=args.end,
        as_of=args.as_of,
        systems=args.systems,
        crm=args.crm,
    )
    plan = FaultPlan.parse(args.faults)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with SandboxServer(world, faults=plan, host=args.host, port=args.port) as sandbox:
        print(f"sandbox warmed up (search indexes) in {sandbox.warm_up():.1f} s", flush=True)
        if args.env_file is not None:
            payload = {
                "url": sandbox.url,
                "base_urls": sandbox.base_urls,
                "credentials": sandbox.credentials,
                "world": {
                    "seed": world.seed,
                    "scale": world.scale,
                    "today": world.today.isoformat(),
                    "systems": list(world.system_names),
                },
                "faults": args.faults,
            }
            args.env_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = args.env_file.with_suffix(args.env_file.suffix + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds secrets
            with os.fdopen(fd, "w") as fh:
                json.dump(payload, fh, indent=2)
            tmp.replace(args.env_file)
        print(
            f"sandbox serving seed={world.seed} scale={world.scale} today={world.today}"
            f" systems={','.join(world.system_names)}"
        )
        for name, url in sandbox.base_urls.items():
            print(f"  {name:<14} {url}")
        sys.stdout.flush()
        stop.wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
