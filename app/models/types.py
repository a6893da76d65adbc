"""Column types that behave the same on SQLite and MySQL/MariaDB."""
import json

import orjson

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

_MYSQL = ("mysql", "mariadb")


def IdString(length=255):
    """An identifier column: compared byte for byte (utf8mb4_bin) on MySQL, as ids are
    case-sensitive; SQLite compares text exactly by default."""
    t = String(length)
    for name in _MYSQL:
        t = t.with_variant(mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), name)
    return t


def PrimaryKey():
    t = BigInteger()
    return t.with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER


def Timestamp():
    """Datetime with microseconds on MySQL (DATETIME defaults to whole seconds)."""
    t = DateTime()
    for name in _MYSQL:
        t = t.with_variant(mysql.DATETIME(fsp=6), name)
    return t


def dumps(value) -> str:
    """Compact JSON text of a document, keys in their order, non-ASCII as is: orjson (ten
    times json's speed), or json for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JSONText(TypeDecorator):
    """A JSON document kept as text: key order and spelling survive exactly as written
    (MySQL's JSON type would reorder keys), and both engines' JSON functions read it."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in _MYSQL:
            return dialect.type_descriptor(mysql.LONGTEXT(charset="utf8mb4", collation="utf8mb4_bin"))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return json.loads(value)  # not orjson: it reads integers beyond 64 bits as floats
