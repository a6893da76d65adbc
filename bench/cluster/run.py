"""`make cluster`: start the topology (bench/cluster/topology.py), print where it is, keep it
up until Ctrl-C, SIGTERM or --for seconds, then stop everything and remove its temp dir.

    python -m bench.cluster.run            # until Ctrl-C
    python -m bench.cluster.run --for 60   # a minute
"""
import argparse
import signal
import sys
import time

from .topology import Topology, missing


def prepare() -> bool:
    """False (and why, on stderr) when a program is missing; else SIGTERM and SIGHUP are
    made to unwind like Ctrl-C, so the finally blocks stop every child."""
    why = missing()
    if why:
        print(f"cannot build the cluster: {why}", file=sys.stderr)
        return False

    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--for", dest="seconds", type=float, help="stop after this long")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--logs", help="copy the logs and configs here at the end")
    args = parser.parse_args(argv)
    if not prepare():
        return 2
    try:
        with Topology(workers=args.workers, keep_logs=args.logs) as topology:
            print(f"curl {topology.api_url}/readyz    (Ctrl-C stops everything)", flush=True)
            deadline = time.monotonic() + args.seconds if args.seconds else None
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    print("stopped; nothing left behind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
