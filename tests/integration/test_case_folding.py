"""One case fold over HTTP on moto: the list route, a cleanup preview and unique codes agree.

The list route filters every record of the partition in Python; a preview reads the case-folded
code index for `_start` and `_eq`. Both must select what the pure evaluator selects.
"""
from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chalicelib.catalog import get_type
from chalicelib.filters import matches, parse_filters
from chalicelib.tenancy import Tenant
from chalicelib.text import fold
from tests.factories import headers, resource_body
from tests.integration.conftest import RecordFactory
from tests.integration.test_http_api import bearer, error

ORG = "FoldOrg001"
_orgs = itertools.count()


def listed_codes(client: Client, key: str, value: str, org: str = ORG) -> set[str]:
    path = f"/api/skus?{quote(f'filter[q][{key}]')}={quote(value, safe='')}&page%5Bsize%5D=25"
    response = client.http.get(path, headers=headers(bearer(org=org)))
    assert response.status_code == 200, response.body
    return {sku["attributes"]["code"] for sku in json.loads(response.body)["data"]}


def previewed_codes(client: Client, key: str, value: str, org: str = ORG) -> set[str]:
    body = resource_body("cleanup_previews", {"resource_type": "skus", "filters": {key: value}})
    response = client.http.post("/api/cleanup_previews", headers=headers(bearer(org=org)), body=body)
    assert response.status_code == 201, response.body
    attributes = json.loads(response.body)["data"]["attributes"]
    assert attributes["records_count"] == len(attributes["sample"])  # every match is in the sample here
    return {entry["code"] for entry in attributes["sample"]}


def create_sku(client: Client, category: str, code: str) -> Any:
    return client.http.post("/api/skus", headers=headers(bearer(org=ORG)), body=resource_body(
        "skus", {"code": code, "name": code}, relationships={"shipping_category": ("shipping_categories", category)}))


@pytest.fixture
def category(client: Client) -> str:
    response = client.http.post("/api/shipping_categories", headers=headers(bearer(org=ORG)),
                                body=resource_body("shipping_categories", {"name": "Default"}))
    return str(json.loads(response.body)["data"]["id"])


@pytest.mark.parametrize("prefix", ["ΑΣ", "ας", "Ασ", "ασ"])
def test_a_greek_prefix_lists_and_previews_both_reported_skus(client: Client, prefix: str) -> None:
    # Given the reported skus: ΑΣΒ-1 (the sigma inside a word) and ΑΣ-2 (at the end of one)
    factory = RecordFactory(Tenant(ORG, "test"))
    factory.sku("ΑΣΒ-1")
    factory.sku("ΑΣ-2")
    factory.sku("ΑΒ-3")
    # When a list and a cleanup preview filter on the prefix, in capitals or with a final sigma
    # Then both find both skus
    assert listed_codes(client, "code_start", prefix) == {"ΑΣΒ-1", "ΑΣ-2"}
    assert previewed_codes(client, "code_start", prefix) == {"ΑΣΒ-1", "ΑΣ-2"}


@pytest.mark.parametrize("first, second", [("ΑΣ-9", "Ασ-9"), ("Straße", "STRASSE"), ("İZMİR", "i\u0307zmi\u0307r")])
def test_a_code_that_folds_like_a_taken_one_is_refused(client: Client, category: str, first: str,
                                                       second: str) -> None:
    # Given a sku coded `first`
    assert create_sku(client, category, first).status_code == 201
    # When another sku takes a code that differs only in case (or ß against ss)
    response = create_sku(client, category, second)
    # Then it is refused on its code, as any taken code is
    assert response.status_code == 422, response.body
    assert error(response)["source"] == {"pointer": "/data/attributes/code"}
    assert error(response)["detail"] == "code has already been taken"


def test_codes_that_only_look_alike_are_both_accepted(client: Client, category: str) -> None:
    # Given a sku coded with a dotless ı, and one with a plain i (no Turkish-specific rule)
    # Then both exist: they fold apart
    assert create_sku(client, category, "KIRMIZI").status_code == 201
    assert create_sku(client, category, "kırmızı").status_code == 201


# Greek, Turkish and German letters and combining marks, drawn often (a sigma's fold depended on
# its neighbours), and any other character of any script (no lone surrogate, no NUL: the request
# parser may refuse those).
SPECIAL = st.sampled_from("ΑΣΒσςαβΐΰᾳİIıißẞSsé\u0301\u0307\u0345-")
GREEK = st.sampled_from("ΑΣΒσςαβ")
CHARACTERS = st.one_of(GREEK, GREEK, SPECIAL,
                       st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


def texts(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    # Joined lists: st.text() would merge the alphabets into one and lose the weighting.
    return st.lists(CHARACTERS, min_size=min_size, max_size=max_size).map("".join)


CASE_CHANGES = (str, str.upper, str.lower, str.casefold, str.swapcase, str.title)


@st.composite
def recased(draw: st.DrawFn, text: str) -> str:
    """`text` with a case change drawn for each character."""
    return "".join(draw(st.sampled_from(CASE_CHANGES))(char) for char in text)


@st.composite
def operands(draw: st.DrawFn, codes: list[str]) -> str:
    """Mostly a piece of one of the codes in another case; sometimes any text."""
    code = draw(st.sampled_from(codes))
    cut = draw(st.integers(0, len(code)))
    piece = draw(st.sampled_from([code[:cut], code[:cut], code[cut:], code[cut // 2:cut], code]))
    return draw(st.one_of(recased(piece), recased(piece), texts(1, 4)))


@st.composite
def selections(draw: st.DrawFn) -> tuple[list[str], str, str]:
    codes = draw(st.lists(texts(1, 6), min_size=1, max_size=4, unique_by=fold))
    value = draw(operands(codes).filter(lambda v: v.strip()))  # a blank operand is refused
    return codes, f"code_{draw(st.sampled_from(['start', 'end', 'cont', 'eq']))}", value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(selections())
@example((["ΑΣΒ-1", "ΑΣ-2"], "code_start", "ΑΣ"))  # the reported case: the index missed ΑΣΒ-1
@example((["ΑΣΒ-1", "ΑΣ-2"], "code_start", "ας"))
@example((["ΑΣΒ-1", "ΑΣ-2"], "code_eq", "ΑΣ-2"))
@example((["Straße", "STRASSE-2"], "code_start", "STRAẞ"))
@example((["İZMİR", "IZMIR-2"], "code_end", "i\u0307r"))
def test_list_preview_and_evaluator_select_the_same_skus(client: Client, selection: tuple[list[str], str, str]) -> None:
    # Given skus with codes of any script, in an organization of their own
    codes, key, value = selection
    org = f"Fold{next(_orgs):06d}"
    factory = RecordFactory(Tenant(org, "test"))
    for code in codes:
        factory.sku(code)
    # When a list and a cleanup preview filter the codes with `_start`, `_end`, `_cont` or `_eq`
    listed, previewed = listed_codes(client, key, value, org), previewed_codes(client, key, value, org)
    # Then both select exactly what the pure evaluator selects
    conditions = parse_filters(get_type("skus").filterable(), {key: value})
    expected = {code for code in codes if matches(conditions, {"code": code})}
    assert listed == previewed == expected
