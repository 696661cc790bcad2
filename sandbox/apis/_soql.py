"""The subset of SOQL the sandbox Salesforce API answers (see ``/tmp/sf/spec.md``).

::

    SELECT <Field>[, <Field>]* FROM <Object>
      [WHERE <Field> <op> <literal> [AND <Field> <op> <literal>]*]
      [ORDER BY <Field> [ASC|DESC][, <Field> [ASC|DESC]]*]
      [LIMIT <n>]

``op`` is one of ``= != < <= > >=``; a literal is a SOQL datetime (``2025-01-02T03:04:05Z``,
``...05.000Z``, ``...05+00:00``, ``...05-0800``), a date (``2025-01-02``), a number, a quoted
string (``'it\\'s'``), ``true``, ``false`` or ``null``. Keywords are case-insensitive.

:func:`parse` turns a statement into a :class:`Query` or raises :class:`SoqlError` with
Salesforce's error code (``MALFORMED_QUERY``) and a message in Salesforce's shape (the statement,
a caret under the offending token, ``ERROR at Row:1:Column:<n>`` and the reason). Checking the
object and the fields against a describe (``INVALID_TYPE``, ``INVALID_FIELD``) is the caller's:
:func:`error_at` builds those messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

KEYWORDS = frozenset({"select", "from", "where", "and", "order", "by", "asc", "desc", "limit"})
#: SOQL words outside the subset: named in the error, as Salesforce names an unexpected token
UNSUPPORTED = frozenset(
    {"or", "not", "in", "like", "includes", "excludes", "group", "having", "offset", "nulls",
     "with", "using", "typeof", "for", "update", "fields", "count", "scope"}
)  # fmt: skip
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


class SoqlError(ValueError):
    """A statement Salesforce would refuse: ``code`` is its errorCode."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Literal:
    kind: str  # datetime | date | number | string | boolean | null
    value: object  # datetime (UTC) | date | float | str | bool | None
    text: str  # as written
    pos: int  # 0-based offset in the statement


@dataclass(frozen=True)
class Condition:
    field: str  # as written
    op: str
    literal: Literal
    pos: int


@dataclass(frozen=True)
class Query:
    text: str
    fields: tuple[tuple[str, int], ...]  # (name as written, offset)
    sobject: str
    sobject_pos: int
    where: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool, int], ...]  # (name as written, descending, offset)
    limit: int | None


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[,()*:])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


def error_at(text: str, pos: int, reason: str) -> str:
    """Salesforce's message shape: the statement, a caret, the row and column, the reason."""
    line_start = text.rfind("\n", 0, pos) + 1
    row = text.count("\n", 0, pos) + 1
    column = pos - line_start + 1
    line_end = text.find("\n", pos)
    line = text[line_start : None if line_end < 0 else line_end]
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{reason}"


def _malformed(text: str, pos: int, reason: str) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", error_at(text, pos, reason))


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _malformed(text, pos, f"line 1:{pos} no viable alternative at character "
                             f"'{text[pos]}'")  # fmt: skip
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("eof", "", len(text)))
    return out


def parse_datetime_literal(text: str) -> datetime:
    """A SOQL datetime literal as a UTC instant."""
    raw = text
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    elif raw[-5] in "+-" and raw[-3] != ":":
        raw = raw[:-2] + ":" + raw[-2:]
    return datetime.fromisoformat(raw).astimezone(UTC)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def next(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def unexpected(self, tok: _Tok | None = None) -> SoqlError:
        tok = tok or self.tok
        shown = "<EOF>" if tok.kind == "eof" else tok.text
        return _malformed(self.text, tok.pos, f"unexpected token: '{shown}'")

    def keyword(self, word: str) -> _Tok:
        if self.tok.word != word:
            raise self.unexpected()
        return self.next()

    def field(self) -> _Tok:
        tok = self.tok
        if tok.kind != "name" or tok.word in KEYWORDS or tok.word in UNSUPPORTED:
            raise self.unexpected()
        if "." in tok.text:
            raise _malformed(
                self.text, tok.pos, "the sandbox does not follow relationships: "
                f"'{tok.text}' (select the reference field's Id instead)",
            )  # fmt: skip
        self.next()
        if self.tok.kind == "punct" and self.tok.text == "(":
            raise _malformed(self.text, tok.pos, f"unexpected token: '{tok.text}('")
        return tok

    def literal(self) -> Literal:
        tok = self.next()
        text = tok.text
        try:
            if tok.kind == "datetime":
                return Literal("datetime", parse_datetime_literal(text), text, tok.pos)
            if tok.kind == "date":
                return Literal("date", date.fromisoformat(text), text, tok.pos)
        except ValueError:
            raise _malformed(
                self.text, tok.pos, f"invalid date or datetime literal: {text}"
            ) from None
        if tok.kind == "number":
            return Literal("number", float(text), text, tok.pos)
        if tok.kind == "string":
            body = text[1:-1]
            value = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)
            return Literal("string", value, text, tok.pos)
        if tok.kind == "name" and tok.word in ("true", "false"):
            return Literal("boolean", tok.word == "true", text, tok.pos)
        if tok.kind == "name" and tok.word == "null":
            return Literal("null", None, text, tok.pos)
        raise self.unexpected(tok)

    def parse(self) -> Query:
        self.keyword("select")
        fields = [self.field()]
        while self.tok.kind == "punct" and self.tok.text == ",":
            self.next()
            fields.append(self.field())
        self.keyword("from")
        obj = self.tok
        if obj.kind != "name" or obj.word in KEYWORDS or "." in obj.text:
            raise self.unexpected()
        self.next()
        where: list[Condition] = []
        if self.tok.word == "where":
            self.next()
            while True:
                name = self.field()
                op = self.next()
                if op.kind != "op" or op.text == "<>":
                    raise self.unexpected(op)
                lit = self.literal()
                if lit.kind == "null" and op.text not in ("=", "!="):
                    raise _malformed(self.text, lit.pos, "unexpected token: 'null'")
                where.append(Condition(name.text, op.text, lit, name.pos))
                if self.tok.word != "and":
                    break
                self.next()
        order: list[tuple[str, bool, int]] = []
        if self.tok.word == "order":
            self.next()
            self.keyword("by")
            while True:
                name = self.field()
                desc = False
                if self.tok.word in ("asc", "desc"):
                    desc = self.next().word == "desc"
                order.append((name.text, desc, name.pos))
                if not (self.tok.kind == "punct" and self.tok.text == ","):
                    break
                self.next()
        limit = None
        if self.tok.word == "limit":
            self.next()
            tok = self.next()
            if tok.kind != "number" or not tok.text.isdigit():
                raise self.unexpected(tok)
            limit = int(tok.text)
        if self.tok.kind != "eof":
            raise self.unexpected()
        seen: set[str] = set()
        for f in fields:
            if f.text.lower() in seen:
                raise _malformed(self.text, f.pos, f"duplicate field selected: {f.text}")
            seen.add(f.text.lower())
        return Query(
            text=self.text,
            fields=tuple((f.text, f.pos) for f in fields),
            sobject=obj.text,
            sobject_pos=obj.pos,
            where=tuple(where),
            order_by=tuple(order),
            limit=limit,
        )


def parse(text: str) -> Query:
    """Parse one statement of the subset; :class:`SoqlError` (MALFORMED_QUERY) otherwise."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "A query string must be provided.")
    return _Parser(text).parse()


# --- values as the API writes them ----------------------------------------------------------


def sf_datetime(dt: datetime | None) -> str | None:
    """Salesforce REST's instants: ``2025-01-02T03:04:05.000+0000``."""
    if dt is None:
        return None
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def sf_date(d: date | None) -> str | None:
    return None if d is None else d.isoformat()
