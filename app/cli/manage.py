"""freezer-manage: the original's database command, on SQL.

    freezer-manage [-y] [-e] [--config-file PATH] db sync|update|remove|show|update-settings

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
    args = build_parser().parse_args(argv)  # exits 2 on bad usage
    if args.config_file:
        if not os.path.isfile(args.config_file):
            print(f"{PROG}: error: no such config file: {args.config_file}", file=sys.stderr)
            return EXIT_USAGE
        os.environ["FREEZER_API_CONFIG"] = os.path.abspath(args.config_file)
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
