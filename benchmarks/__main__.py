"""``python -m benchmarks``: tracklog vs ``mlflow server``, side by side. See docs/performance.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from benchmarks import benchvenv
from benchmarks.databases import BACKENDS
from benchmarks.report import markdown, render
from benchmarks.runner import Options, Runner
from benchmarks.scales import SCALES
from benchmarks.servers import SERVER_NAMES, ServerFailed
from benchmarks.workloads import WORKLOADS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--scale", choices=sorted(SCALES), default="quick",
                   help="workload sizes: quick (CI smoke), default (docs), large (manual, long)")
    p.add_argument("--backend", choices=BACKENDS, default="sqlite",
                   help="backend store of both servers (postgres: throw-away databases on 127.0.0.1:5432)")
    p.add_argument("--only", choices=SERVER_NAMES, help="benchmark one server only (no ratios)")
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    p.add_argument("--skip", default="", help="comma-separated workloads to leave out")
    p.add_argument("--repeat", type=int, help="repetitions (default: 1 for quick, 3 otherwise)")
    p.add_argument("--json", type=Path, metavar="OUT.json", help="also write the results as JSON")
    p.add_argument("--markdown", type=Path, metavar="OUT.md", help="also write the table as Markdown")
    p.add_argument("--client-python", type=Path,
                   help="python with the official mlflow client (default: the bench venv's)")
    p.add_argument("--mlflow-venv", type=Path, default=benchvenv.DEFAULT_PATH,
                   help="virtualenv holding mlflow (created and reused; default: .bench/mlflow-venv)")
    p.add_argument("--mlflow-no-jobs", action="store_true",
                   help="start mlflow with MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false (no background job runner)")
    p.add_argument("--populate", choices=("rest", "bulk"), default="rest",
                   help="how the search and history data sets are grown: rest (every run and point through "
                        "the API) or bulk (one template through the API, then SQL copies; SQLite only)")
    p.add_argument("--no-import-time", action="store_true", help="skip the client import-time figure")
    p.add_argument("--workdir", type=Path, help="where databases, artifacts and logs go (default: .bench/run-*)")
    p.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    return p


def _workloads(args: argparse.Namespace) -> tuple[str, ...]:
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    skipped = {w.strip() for w in args.skip.split(",") if w.strip()}
    unknown = [w for w in [*chosen, *skipped] if w not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    return tuple(w for w in chosen if w not in skipped)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ui"]:  # the browser benchmark of the web UI (benchmarks/ui_bench.py)
        from benchmarks import ui_bench

        return ui_bench.main(argv[1:])
    args = parser().parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    options = Options(
        scale=SCALES[args.scale].with_repeat(args.repeat),
        backend=args.backend,
        servers=(args.only,) if args.only else SERVER_NAMES,
        workloads=_workloads(args),
        client_python=args.client_python.absolute() if args.client_python else None,
        mlflow_venv=args.mlflow_venv.absolute(),
        workdir=args.workdir.absolute() if args.workdir else None,
        keep=args.keep,
        import_time=not args.no_import_time,
        mlflow_jobs=not args.mlflow_no_jobs,
        populate=args.populate,
    )
    if args.populate == "bulk" and args.backend != "sqlite":
        raise SystemExit("--populate bulk works on --backend sqlite only")
    progress = Console(stderr=True)
    try:
        results = Runner(options, progress).run()
    except KeyboardInterrupt:
        progress.print("[red]interrupted[/red]: servers stopped, databases dropped")
        return 130
    except ServerFailed as exc:
        progress.print(f"[red]server failed to start[/red]: {exc}")
        return 1
    render(results, Console(width=max(160, Console().width)))
    if args.json:
        results.write_json(args.json)
        progress.print(f"JSON written to {args.json}")
    if args.markdown:
        args.markdown.write_text(markdown(results))
        progress.print(f"Markdown written to {args.markdown}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
