"""The re-index command against moto: records stored with `str.lower()` index values and guards get folded ones."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.catalog import get_type
from chalicelib.exceptions import ValidationError
from chalicelib.filters import parse_filters
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.items import guard_key, record_key
from chalicelib.tenancy import Tenant
from tests.integration.records_api import select_ids, update_record
from tests.integration.records_helpers import WrappedClient, scan
from tools.reindex import main, reindex


def stored_the_old_way(tenant: Tenant, record_id: str) -> None:
    """Put a sku back as the service stored it before the fold: `code_ci` and the guard key lower-cased."""
    store = RecordsStore()
    item = store.get(record_key(tenant, "skus", record_id))
    assert item is not None
    code = item["code"]["S"]
    store.update(record_key(tenant, "skus", record_id), "SET code_ci = :ci", values={":ci": {"S": code.lower()}})
    folded = guard_key(tenant, "skus", "code", code)
    store.delete(folded)
    store.put({"pk": folded["pk"], "sk": {"S": code.lower()}, "record_id": {"S": record_id}})


def guards(tenant: Tenant) -> dict[str, str]:
    """Guard key -> the record holding it, for the tenant's sku codes."""
    pk = guard_key(tenant, "skus", "code", "x")["pk"]["S"]
    return {sk: item["record_id"]["S"] for (key, sk), item in scan().items() if key == pk}


def code_index(tenant: Tenant, record_id: str) -> str:
    return str(scan()[(f"{tenant.key}#skus", record_id)]["code_ci"]["S"])


def starting_with(tenant: Tenant, prefix: str) -> list[str]:
    return select_ids(tenant, "skus", list(parse_filters(get_type("skus").filterable(),
                                                         {"code_start": prefix}).conditions))


@pytest.fixture
def old_skus(records: Any, tenant: Tenant) -> dict[str, str]:
    """The reported skus and a German and an ASCII one, stored the old way: code -> id."""
    ids = {code: records.sku(code).id for code in ("ΑΣΒ-1", "ΑΣ-2", "Straße", "ABC")}
    for record_id in ids.values():
        stored_the_old_way(tenant, record_id)
    return ids


def test_reindex_dry_run_counts_what_changes_and_writes_nothing(old_skus: dict[str, str], tenant: Tenant) -> None:
    # Given skus stored the old way, of which ΑΣ-2 (ας-2) and Straße (straße) fold differently now
    before = scan()
    # When the re-index runs dry
    report = reindex(RecordsStore(), dry_run=True, page_size=2)
    # Then it counts two index values and two guards, and the table is as it was
    assert (report.rewritten["code"], report.guards_moved, report.conflicts) == (2, 2, [])
    assert report.records == 5 and report.items == 5 + 4  # the skus, their shipping category, their guards
    assert scan() == before


def test_reindex_folds_index_values_and_guards_so_the_reported_prefix_finds_both(old_skus: dict[str, str],
                                                                                  records: Any, tenant: Tenant) -> None:
    # Given skus stored the old way: the index misses ΑΣ-2 for ας, and Ασ-2 is not taken
    assert starting_with(tenant, "ΑΣ") == [old_skus["ΑΣΒ-1"]]
    # When the re-index runs
    report = reindex(RecordsStore(), page_size=2)
    # Then the changed index values and guards are folded, the old guards are gone
    assert (report.rewritten["code"], report.guards_moved, report.conflicts) == (2, 2, [])
    assert code_index(tenant, old_skus["ΑΣ-2"]) == "ασ-2" and code_index(tenant, old_skus["Straße"]) == "strasse"
    assert guards(tenant) == {"ασβ-1": old_skus["ΑΣΒ-1"], "ασ-2": old_skus["ΑΣ-2"], "strasse": old_skus["Straße"],
                              "abc": old_skus["ABC"]}
    # And the prefix selects both reported skus, and the codes that fold alike are taken
    assert sorted(starting_with(tenant, "ας")) == sorted([old_skus["ΑΣΒ-1"], old_skus["ΑΣ-2"]])
    for code in ("Ασ-2", "STRASSE"):
        with pytest.raises(ValidationError):
            records.sku(code)


def test_reindex_run_again_reads_and_writes_nothing_more(old_skus: dict[str, str], tenant: Tenant) -> None:
    # Given a table re-indexed once
    reindex(RecordsStore())
    after = scan()
    # When the re-index runs again
    client = WrappedClient(RecordsStore().client)
    report = reindex(RecordsStore(client=client))
    # Then it finds nothing to do and writes nothing
    assert (sum(report.rewritten.values()), report.guards_moved, report.conflicts) == (0, 0, [])
    assert not {"put_item", "update_item", "delete_item", "transact_write_items"} & set(client.calls)
    assert scan() == after


def test_reindex_reports_values_that_now_fold_alike_and_leaves_them(records: Any, tenant: Tenant) -> None:
    # Given ΑΣ-9 stored the old way (ας-9) and Ασ-9 (ασ-9) accepted beside it; ß and ſſ (both ss now), old too
    first = records.sku("ΑΣ-9").id
    stored_the_old_way(tenant, first)
    second = records.sku("Ασ-9").id
    for code in ("ß", "ſſ"):
        stored_the_old_way(tenant, records.sku(code).id)
    # When the re-index runs dry, then for real
    dry, done = reindex(RecordsStore(), dry_run=True), reindex(RecordsStore())
    # Then both runs report each pair, naming the record that keeps the folded value
    for report in (dry, done):
        assert len(report.conflicts) == 2 and report.guards_moved == 1
        assert any(first in line and second in line and "'ασ-9'" in line for line in report.conflicts)
        assert any("'ss'" in line for line in report.conflicts)
    # And the loser keeps its old guard while its index value is folded (indexes need not be unique)
    assert guards(tenant)["ας-9"] == first and guards(tenant)["ασ-9"] == second
    assert code_index(tenant, first) == "ασ-9"


def test_reindex_leaves_a_record_changed_meanwhile_to_the_service(old_skus: dict[str, str], tenant: Tenant) -> None:
    # Given ΑΣ-2, stored the old way, renamed by the service while the re-index reads it
    class RenamingClient(WrappedClient):
        def update_item(self, **kwargs: Any) -> Any:
            if not self.calls["update_item"]:
                update_record(tenant, "skus", old_skus["ΑΣ-2"], {"code": "ΑΣ-22"}, {})
            self.calls["update_item"] += 1
            return self._client.update_item(**kwargs)

    # When the re-index writes its index value
    report = reindex(RecordsStore(client=RenamingClient(RecordsStore().client)))
    # Then that write is skipped, and the service's folded value stays
    assert report.changed_meanwhile == 1 and code_index(tenant, old_skus["ΑΣ-2"]) == "ασ-22"


def test_reindex_command_prints_its_counts_and_fails_on_conflicts(records: Any, tenant: Tenant,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # Given one sku stored the old way and one that now folds like it
    stored_the_old_way(tenant, records.sku("ΑΣ-9").id)
    records.sku("Ασ-9")
    # When the command runs dry
    status = main(["--table", RecordsStore().table, "--dry-run"])
    # Then it prints the counts and the conflict, and exits 1
    out = capsys.readouterr().out
    assert status == 1
    assert "dry run, nothing written" in out and "code_ci to rewrite: 1" in out and "conflicts" in out
