"""What the app needs to run on a Galera cluster (docs/cluster.md): every table has a
primary key (Galera replicates rows by key; wsrep_mode=REQUIRED_PRIMARY_KEY refuses the
rest), every table is InnoDB (the only engine it replicates), and no statement it refuses
or does not replicate (LOCK TABLES, GET_LOCK) is ever sent. The cluster proof
(bench/cluster/) runs the migrations and the fleet on a real cluster with those modes on."""
import os
import re

from sqlalchemy import create_engine, inspect, text

from app.extensions import db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFUSED = re.compile(r"\b(LOCK\s+TABLES?|UNLOCK\s+TABLES|GET_LOCK|RELEASE_LOCK|"
                     r"FLUSH\s+TABLES\s+WITH\s+READ\s+LOCK)\b", re.I)
# a table's engine in SQL (upper case, as DDL is written) or in SQLAlchemy's spelling
SQL_ENGINE = re.compile(r"\bENGINE\s*=\s*['\"]?(?!InnoDB\b)\w+")
# SQLAlchemy's spelling of a table's engine
OTHER_ENGINE = re.compile(r"\b(mysql|mariadb)_engine\s*=\s*['\"](?!InnoDB['\"])", re.I)


def test_every_model_table_has_a_primary_key(app):
    missing = [t.name for t in db.metadata.sorted_tables if not t.primary_key.columns]
    assert missing == []


def test_every_migrated_table_has_a_primary_key_and_is_innodb(database_url):
    engine = create_engine(database_url)
    try:
        found = inspect(engine)
        tables = found.get_table_names()
        assert "alembic_version" in tables and "jobs" in tables
        missing = [t for t in tables if not found.get_pk_constraint(t)["constrained_columns"]]
        assert missing == []
        if engine.dialect.name in ("mysql", "mariadb"):
            with engine.connect() as conn:
                engines = dict(conn.execute(text(
                    "SELECT table_name, engine FROM information_schema.tables "
                    "WHERE table_schema = DATABASE()")).all())
            assert {t: e for t, e in engines.items() if e != "InnoDB"} == {}
    finally:
        engine.dispose()


def test_no_statement_galera_refuses_is_in_the_code_or_the_migrations():
    offenders = []
    for folder in ("app", "migrations"):
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as fh:
                    for number, line in enumerate(fh, 1):
                        if any(p.search(line) for p in (REFUSED, SQL_ENGINE, OTHER_ENGINE)):
                            offenders.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_refused_pattern_finds_what_it_should():
    assert REFUSED.search("conn.execute(text('LOCK TABLES jobs WRITE'))")
    assert REFUSED.search("SELECT GET_LOCK('migrate', 10)")
    assert OTHER_ENGINE.search("sa.Table('t', meta, mysql_engine='MyISAM')")
    assert OTHER_ENGINE.search("mysql_engine='InnoDB'") is None
    assert SQL_ENGINE.search("CREATE TABLE t (id int) ENGINE=MyISAM")
    assert SQL_ENGINE.search("CREATE TABLE t (id int) ENGINE=InnoDB") is None
    assert SQL_ENGINE.search("engine = db.engine") is None
