"""`cockpit guidance check` on the s demo bank (seed 11) with fixed seeds: every planted story is found at
its node with its kind and driver, nothing new appears at an untouched node, and the same seeds plant and
find the same stories again."""

import pytest

from cockpit.ops import guidance_check, planting
from seed.demo import bank as demo_bank


@pytest.fixture(scope="module")
def bank_s11(tmp_path_factory, bank):
    path = tmp_path_factory.mktemp("bank_s11") / "warehouse.duckdb"
    demo_bank.build(path, "s", 11)
    return path


@pytest.fixture(scope="module")
def checked(bank_s11):
    return guidance_check.run(bank_s11, [1, 2])


def test_every_kind_is_planted_and_found(checked):
    kinds = {s.kind for s in checked.stories}
    assert kinds == set(planting.KINDS)
    missed = [s for s, f in zip(checked.stories, checked.found) if not f]
    assert not missed, missed
    report = guidance_check.lines(checked)
    for kind in planting.KINDS:
        row = next(r for r in report if r.startswith(kind))
        assert row.split()[3] == "100%", row


def test_no_new_insight_at_an_untouched_node(checked):
    assert checked.false_alarms == []
    assert guidance_check.lines(checked)[-1] == "false alarms at untouched nodes: 0"
    for _kind, key, story in checked.new:  # every new insight is at a node a story touched
        assert story is not None and str(key[1]) in story.touched


def test_planted_sizes_change_the_data_as_stated(bank_s11, checked):
    import duckdb

    story = next(s for s in checked.stories if s.kind == "drop")
    con = duckdb.connect(str(bank_s11), read_only=True)
    n = con.execute(
        "select count(*) from events e join org_closure c on c.descendant_id = e.org_id "
        "where c.ancestor_id = ? and e.stage = ? and e.event_date between cast(? as date) "
        "and cast(? as date) + 6",
        [story.org_id, story.key[3], story.week, story.week],
    ).fetchone()[0]
    con.close()
    assert n > 0 and 0.5 <= story.size <= 1.0  # the share removed from that many events


def test_the_same_seed_plants_and_finds_the_same_stories(bank_s11, checked):
    again = guidance_check.run(bank_s11, [1])
    first = list(checked.stories[: len(again.stories)])
    assert again.stories == first
    assert again.found == checked.found[: len(first)]


def test_the_command_refuses_wrong_input_in_one_line(tmp_path, capsys, bank):
    from cockpit.ops import cli

    assert cli.main(["guidance", "check", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert cli.main(["guidance", "check", "--db", str(bank / "warehouse.duckdb"), "--trials", "0"]) == 2
    assert "--trials must be at least 1" in capsys.readouterr().err
