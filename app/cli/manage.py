"""freezer-manage: the original's database command, on SQL, and moving data in and out.

    freezer-manage [-y] [-e] [--config-file PATH] db sync|update|remove|show|update-settings
    freezer-manage export FILE [--project P]        the store as a JSON-lines file (store_file.py)
    freezer-manage import FILE [--dry-run]           that file into this database
    freezer-manage import --from URL [--token T] [--dry-run]   from a running Freezer API
                                                     (source_import.py)

Options go before `db`, as in the original. Exit status: 0 done, 1 failed (database
unreachable, migration error), 2 wrong usage, 3 not confirmed (nothing was changed)."""
import argparse
import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_DECLINED = 0, 1, 2, 3
COMMANDS = ("sync", "update", "remove", "show", "update-settings")
PROG = "freezer-manage"


class Declined(Exception):
    """The operator did not confirm a destructive step."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Create, upgrade, show or remove the Freezer database schema.",
        epilog="Options go before `db`: freezer-manage -y -e db sync. The database is "
               "DATABASE_URL (or SQLALCHEMY_DATABASE_URI in the FREEZER_API_CONFIG file).")
    parser.add_argument("-y", "--yes", action="store_true",
                        help="answer yes to every prompt (remove, erase)")
    parser.add_argument("-e", "--erase", action="store_true",
                        help="with sync/update: drop every table first, then build afresh")
    parser.add_argument("--config-file", metavar="PATH",
                        help="a Python config file read on top of the environment "
                             "(same as FREEZER_API_CONFIG)")
    groups = parser.add_subparsers(dest="group", metavar="db", required=True)
    db_parser = groups.add_parser("db", help="database commands",
                                  description="sync/update: upgrade to the newest migration; "
                                  "remove: drop the tables (asks); show: tables and revision; "
                                  "update-settings: nothing to set on SQL.")
    db_parser.add_argument("command", choices=COMMANDS)
    export_parser = groups.add_parser(
        "export", help="write the store to a JSON-lines file",
        description="Every document and account (password and token hashes), run history, "
                    "settings, notification tables and audit trail, streamed to FILE "
                    "(written beside it, then renamed: never half a file).")
    export_parser.add_argument("file", metavar="FILE")
    export_parser.add_argument("--project", metavar="PROJECT_ID",
                               help="only this project's documents, accounts and tables")
    import_parser = groups.add_parser(
        "import", help="read a store file, or a running Freezer API, into this database",
        description="FILE: a file of `freezer-manage export`, in one transaction (bad input "
                    "writes nothing). --from URL: every client, action, job, session and "
                    "backup through a Freezer API (v1 or v2), with --token / OS_TOKEN or "
                    "Keystone credentials from OS_* variables, written a page at a time "
                    "(a failing source leaves whole documents; a rerun completes the "
                    "import). Rerunning either is safe.")
    import_parser.add_argument("file", metavar="FILE", nargs="?")
    import_parser.add_argument("--from", dest="source", metavar="URL",
                               help="the Freezer API to read from (its root URL)")
    import_parser.add_argument("--token", help="a token for the source (default OS_TOKEN)")
    import_parser.add_argument("--api", choices=("v1", "v2"),
                               help="read the source through this version (default: v2 when "
                                    "its GET / lists it, else v1)")
    import_parser.add_argument("--page-size", type=int, default=1000, metavar="N",
                               help="--from: documents asked for per request (default 1000)")
    import_parser.add_argument("--dry-run", action="store_true",
                               help="say what would change, write nothing")
    return parser


def misplaced_options(argv) -> list[str]:
    """Options written after `db` (the seed's "Wrong Example")."""
    if "db" not in argv:
        return []
    after = argv[argv.index("db") + 1:]
    return [a for a in after if a.startswith("-") and a not in ("-h", "--help")]


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    misplaced = misplaced_options(argv)
    if misplaced:
        rest = [a for a in argv if a not in misplaced]
        print(f"{PROG}: error: options go before `db`: {PROG} {' '.join(misplaced + rest)}\n"
              f"(you wrote: {PROG} {' '.join(argv)})", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on bad usage
    if args.group == "import" and (args.file is None) == (args.source is None):
        parser.error("import takes a FILE or --from URL (one of them)")
    if args.config_file:
        if not os.path.isfile(args.config_file):
            print(f"{PROG}: error: no such config file: {args.config_file}", file=sys.stderr)
            return EXIT_USAGE
        os.environ["FREEZER_API_CONFIG"] = os.path.abspath(args.config_file)
    if args.group != "db":
        return run_transfer(args)
    if args.command == "update-settings":
        print("Nothing to set: update-settings pushed Elasticsearch index settings; "
              "the SQL database has none.")
        return EXIT_OK
    try:
        return run(args)
    except Declined as exc:
        print(f"{exc}: nothing was changed.", file=sys.stderr)
        return EXIT_DECLINED
    except Exception as exc:  # noqa: BLE001 - any failure is reported and exits 1
        print(f"{PROG}: {args.command} failed: {_describe(exc)}", file=sys.stderr)
        return EXIT_FAILED


def run(args) -> int:
    from flask_migrate import upgrade

    from .. import create_app
    from ..extensions import db

    app = create_app()
    with app.app_context():
        engine = db.engine
        if args.command in ("sync", "update"):
            if args.erase:
                tables = our_tables(engine)
                if tables:
                    confirm(f"Erase: drop {len(tables)} tables ({', '.join(tables)}) and every "
                            "document in them before syncing?", args.yes)
                    drop(engine, tables)
                    print(f"Erased {len(tables)} tables.")
            upgrade()
            print(f"Database at revision {current_revision(engine)} (the newest).")
        elif args.command == "remove":
            tables = our_tables(engine)
            if not tables:
                print("No tables found: nothing to remove.")
                return EXIT_OK
            confirm(f"Drop {len(tables)} tables ({', '.join(tables)}) and every document "
                    "in them?", args.yes)
            drop(engine, tables)
            print(f"Removed {len(tables)} tables.")
        elif args.command == "show":
            show(engine)
    return EXIT_OK


def run_transfer(args) -> int:
    """export / import: exit 0 done, 1 failed (nothing written by the failed step)."""
    from .. import create_app
    from ..extensions import db
    from .store_file import StoreFileError

    try:
        app = create_app()
        with app.app_context():
            if args.group == "export":
                return _export(db.engine, args)
            if args.source:
                from .source_import import run_source_import
                return run_source_import(app, args)
            return _import_file(db.engine, args)
    except StoreFileError as exc:
        print(f"{PROG}: {args.group} failed: {exc}; nothing was written.", file=sys.stderr)
    except OSError as exc:
        print(f"{PROG}: {args.group} failed: {exc}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - any failure is reported and exits 1
        print(f"{PROG}: {args.group} failed: {_describe(exc)}; nothing was written.",
              file=sys.stderr)
    return EXIT_FAILED


def _newest_schema(engine) -> str:
    from flask import current_app

    from ..ops.health import expected_heads
    from .store_file import StoreFileError
    newest = ",".join(sorted(expected_heads(current_app)))
    here = current_revision(engine)
    if here != newest:
        raise StoreFileError(f"the database is at revision {here} (newest: {newest}): "
                             f"run `{PROG} db sync` first")
    return newest


def _export(engine, args) -> int:
    from .store_file import export
    schema = _newest_schema(engine)
    target = os.path.abspath(args.file)
    partial = f"{target}.partial"
    try:
        with open(partial, "w", encoding="utf-8") as out:
            counts = export(engine, out, schema, project=args.project)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    summary = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    print(f"Exported {sum(counts.values())} rows to {args.file} ({summary or 'empty store'}).")
    return EXIT_OK


def _import_file(engine, args) -> int:
    from .store_file import import_lines
    schema = _newest_schema(engine)
    with open(args.file, encoding="utf-8") as lines, engine.connect() as conn:
        with conn.begin() as transaction:
            counts = import_lines(conn, lines, schema)
            if args.dry_run:
                transaction.rollback()
    verb = "Would import" if args.dry_run else "Imported"
    print(f"{verb} {args.file}:")
    for name, c in counts.items():
        print(f"  {name:<18} new {c['new']}, updated {c['updated']}, unchanged "
              f"{c['unchanged']}, kept (newer here) {c['kept']}")
    if not counts:
        print("  (no rows)")
    return EXIT_OK


def confirm(question: str, assume_yes: bool) -> None:
    """Ask on stdin; only y/yes goes on. No answer (closed stdin, EOF) is a no."""
    if assume_yes:
        return
    print(f"{question} [y/N] ", end="", flush=True)
    try:
        answer = sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):
        answer = ""
    if not answer:
        print()
        raise Declined("No answer (stdin closed; use -y to answer yes)")
    if answer.strip().lower() not in ("y", "yes"):
        raise Declined("Not confirmed")


def our_tables(engine) -> list[str]:
    """Tables of this application present in the database (its models' and alembic's);
    anything else in the database is left alone."""
    from sqlalchemy import inspect

    from .. import models  # noqa: F401  (every model's table in the metadata)
    from ..extensions import db
    ours = set(db.metadata.tables) | {"alembic_version"}
    return sorted(name for name in inspect(engine).get_table_names() if name in ours)


def drop(engine, tables) -> None:
    from sqlalchemy import MetaData
    present = MetaData()
    present.reflect(bind=engine, only=tables)
    present.drop_all(bind=engine)  # in foreign-key order


def current_revision(engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(heads) or None


def show(engine) -> None:
    from flask import current_app
    from sqlalchemy import func, select, table

    from ..ops.health import expected_heads
    print(f"Database: {engine.url.render_as_string(hide_password=True)}")
    revision = current_revision(engine)
    newest = ",".join(sorted(expected_heads(current_app)))
    if revision is None:
        print(f"Revision: none (newest: {newest}; run `{PROG} db sync`)")
    else:
        state = "up to date" if revision == newest else f"newest: {newest}"
        print(f"Revision: {revision} ({state})")
    tables = our_tables(engine)
    if not tables:
        print("No tables found.")
        return
    print(f"Tables ({len(tables)}):")
    with engine.connect() as conn:
        for name in tables:
            rows = conn.execute(select(func.count()).select_from(table(name))).scalar()
            print(f"  {name:<24} {rows} rows")


def _describe(exc) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0][:300] if text else type(orig).__name__


if __name__ == "__main__":
    sys.exit(main())
