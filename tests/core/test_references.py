"""Human references: INC-000001, …, one counter per prefix, no gaps from rollbacks, no
duplicates under concurrency."""

import threading

import pytest
from django.db import connection, transaction

from core.models import ReferenceCounter, allocate_reference


class Boom(Exception):
    pass


def test_format_and_increment(db):
    assert allocate_reference("INC") == "INC-000001"
    assert allocate_reference("INC") == "INC-000002"
    assert allocate_reference("INC") == "INC-000003"
    assert ReferenceCounter.objects.get(prefix="INC").last_value == 3


def test_prefixes_count_independently(db):
    assert allocate_reference("INC") == "INC-000001"
    assert allocate_reference("INC") == "INC-000002"
    assert allocate_reference("PRB") == "PRB-000001"
    assert allocate_reference("INC") == "INC-000003"
    assert allocate_reference("PRB") == "PRB-000002"
    assert dict(ReferenceCounter.objects.values_list("prefix", "last_value")) == {"INC": 3, "PRB": 2}


def test_width(db):
    assert allocate_reference("CHG", width=4) == "CHG-0001"
    assert allocate_reference("CHG", width=8) == "CHG-00000002"


def test_number_wider_than_the_width_is_not_truncated(db):
    ReferenceCounter.objects.create(prefix="INC", last_value=999_999)
    assert allocate_reference("INC") == "INC-1000000"


def test_rolled_back_transaction_gives_its_number_back(db):
    assert allocate_reference("INC") == "INC-000001"
    with pytest.raises(Boom), transaction.atomic():
        assert allocate_reference("INC") == "INC-000002"
        raise Boom
    assert allocate_reference("INC") == "INC-000002"


def test_rolled_back_first_allocation_leaves_no_counter(db):
    with pytest.raises(Boom), transaction.atomic():
        assert allocate_reference("KB") == "KB-000001"
        raise Boom
    assert not ReferenceCounter.objects.filter(prefix="KB").exists()
    assert allocate_reference("KB") == "KB-000001"


def test_models_get_their_reference_on_first_save(db):
    from catalog.models import Service, Vendor

    first, second = Service.objects.create(name="Mail"), Service.objects.create(name="VPN")
    vendor = Vendor.objects.create(name="Acme")
    assert (first.reference, second.reference, vendor.reference) == ("SVC-000001", "SVC-000002", "VND-000001")
    first.name = "E-mail"
    first.save()
    first.refresh_from_db()
    assert first.reference == "SVC-000001"
    assert allocate_reference("SVC") == "SVC-000003"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_allocations_are_distinct_and_consecutive():
    threads_count, per_thread = 8, 25
    barrier = threading.Barrier(threads_count)
    results: list[list[str]] = [[] for _ in range(threads_count)]
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(per_thread):
                results[index].append(allocate_reference("CON"))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an allocation hung"
    assert errors == []

    allocated = [ref for per in results for ref in per]
    assert len(allocated) == threads_count * per_thread
    assert len(set(allocated)) == len(allocated), "a reference was handed out twice"
    assert sorted(allocated) == [f"CON-{n:06d}" for n in range(1, threads_count * per_thread + 1)]
    for per in results:
        assert per == sorted(per), "each caller sees its own numbers increase"
    assert ReferenceCounter.objects.get(prefix="CON").last_value == threads_count * per_thread
