"""The filter language (Ransack-style keys, as Commerce Layer takes them): parse, evaluate, compile for DynamoDB.

`parse_filters` turns `{"<attr>_<predicate>": value}` into a `FilterSet`; `matches` is the reference
semantics; `compile_conditions` gives the FilterExpression for what DynamoDB evaluates exactly and
leaves the rest to `matches`.
"""
from chalicelib.filters.compile import Expression, compile_conditions
from chalicelib.filters.evaluate import matches
from chalicelib.filters.exceptions import FilterError, FilterValueError, UnknownFilterError
from chalicelib.filters.model import Condition, FilterSet
from chalicelib.filters.parse import parse_filters, split_key
from chalicelib.filters.predicates import PREDICATES

__all__ = [
    "PREDICATES",
    "Condition",
    "Expression",
    "FilterError",
    "FilterSet",
    "FilterValueError",
    "UnknownFilterError",
    "compile_conditions",
    "matches",
    "parse_filters",
    "split_key",
]
