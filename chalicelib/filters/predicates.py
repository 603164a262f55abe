"""The predicate table: every Ransack predicate as data read by parse, evaluate and compile.

A predicate is an atomic `test` between the attribute and each operand, optionally negated per
operand, quantified over a list of operands (`any` ORs, `all` ANDs), optionally ORed with
"attribute IS NULL". A NULL attribute satisfies no comparison, negated or not (SQL semantics).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Test = Literal["eq", "lt", "lteq", "gt", "gteq", "like", "null", "blank", "jcont"]
Quantifier = Literal["one", "any", "all"]
# How a `like` operand becomes a pattern: "raw" is a LIKE pattern, the others are literal text.
Pattern = Literal["", "raw", "start", "end", "cont"]
Shape = Literal["scalar", "list", "flag", "object"]

SCALAR = frozenset({"string", "integer", "float", "boolean", "datetime"})
ORDERED = frozenset({"string", "integer", "float", "datetime"})
TEXT = frozenset({"string"})
ANY_TYPE = SCALAR | {"object", "array"}
OBJECT = frozenset({"object"})
BOOLEAN = frozenset({"boolean"})


@dataclass(frozen=True)
class Predicate:
    name: str
    test: Test
    types: frozenset[str]  # attribute types the predicate applies to
    negated: bool = False
    quantifier: Quantifier = "one"
    or_null: bool = False
    pattern: Pattern = ""
    # The value is a boolean flag; `false` inverts the predicate (`x_null=false` is "x is not null").
    flag: bool = False
    operand: bool | None = None  # the fixed operand of `true`/`false`

    @property
    def shape(self) -> Shape:
        """What the filter value must look like."""
        if self.flag:
            return "flag"
        if self.quantifier != "one":
            return "list"
        return "object" if self.test == "jcont" else "scalar"


def _quantified(stem: str, test: Test, types: frozenset[str], pattern: Pattern = "") -> list[Predicate]:
    """`stem`, `stem_any`, `stem_all`."""
    return [
        Predicate(stem, test, types, pattern=pattern),
        Predicate(f"{stem}_any", test, types, quantifier="any", pattern=pattern),
        Predicate(f"{stem}_all", test, types, quantifier="all", pattern=pattern),
    ]


def _negated(stem: str, pattern: Pattern, quantifiers: tuple[Quantifier, ...]) -> list[Predicate]:
    """The `like` negations of a pattern family, one per quantifier."""
    suffix = {"one": "", "any": "_any", "all": "_all"}
    return [Predicate(f"{stem}{suffix[q]}", "like", TEXT, negated=True, quantifier=q, pattern=pattern)
            for q in quantifiers]


_ROWS: list[Predicate] = [
    # equality and membership (`in` is eq_any, `not_in` is not_eq_all, as Arel renders them)
    Predicate("eq", "eq", SCALAR),
    Predicate("eq_or_null", "eq", SCALAR, or_null=True),
    Predicate("not_eq", "eq", SCALAR, negated=True),
    Predicate("not_eq_or_null", "eq", SCALAR, negated=True, or_null=True),
    Predicate("not_eq_all", "eq", SCALAR, negated=True, quantifier="all"),
    Predicate("in", "eq", SCALAR, quantifier="any"),
    Predicate("in_or_null", "eq", SCALAR, quantifier="any", or_null=True),
    Predicate("not_in", "eq", SCALAR, negated=True, quantifier="all"),
    Predicate("not_in_or_null", "eq", SCALAR, negated=True, quantifier="all", or_null=True),
    # order
    *_quantified("lt", "lt", ORDERED),
    *_quantified("lteq", "lteq", ORDERED),
    *_quantified("gt", "gt", ORDERED),
    *_quantified("gteq", "gteq", ORDERED),
    # presence
    Predicate("null", "null", ANY_TYPE, flag=True),
    Predicate("not_null", "null", ANY_TYPE, negated=True, flag=True),
    Predicate("blank", "blank", ANY_TYPE, flag=True),
    Predicate("present", "blank", ANY_TYPE, negated=True, flag=True),
    # boolean: `x_true=false` is Arel's `x != TRUE`, which a NULL does not satisfy
    Predicate("true", "eq", BOOLEAN, flag=True, operand=True),
    Predicate("false", "eq", BOOLEAN, flag=True, operand=False),
    # patterns, case-insensitive as Arel's `matches` on PostgreSQL (ILIKE)
    *_quantified("matches", "like", TEXT, "raw"),
    *_negated("does_not_match", "raw", ("one", "any", "all")),
    *_quantified("start", "like", TEXT, "start"),
    *_negated("not_start", "start", ("one", "any", "all")),
    *_quantified("end", "like", TEXT, "end"),
    *_negated("not_end", "end", ("one", "any", "all")),
    *_quantified("cont", "like", TEXT, "cont"),
    *_negated("not_cont", "cont", ("one", "all")),
    # JSON containment, PostgreSQL's jsonb `@>`
    Predicate("jcont", "jcont", OBJECT),
]

PREDICATES: dict[str, Predicate] = {p.name: p for p in _ROWS}
# Longest first, so `code_not_eq` is (code, not_eq) and never (code_not, eq).
BY_SUFFIX_LENGTH: tuple[Predicate, ...] = tuple(sorted(_ROWS, key=lambda p: -len(p.name)))
