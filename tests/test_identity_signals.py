"""The identity machinery on hand-made pairs: pinyin, similarity signals, ID neighbours."""

import numpy as np
import polars as pl
import pytest

from loan_audit.pipeline.vocab.values import name
from loan_audit.rules._common import make_id
from loan_audit.rules._identity.blocking import candidate_pairs, id_neighbours, name_groups, person_keys
from loan_audit.rules._identity.names import name_key, pinyin_of, place_key, town_key
from loan_audit.rules._identity.scoring import name_signals


def signals(a: str, b: str) -> dict:
    return name_signals(pl.DataFrame({"name_a": [a], "name_b": [b]})).row(0, named=True)


def normalised(raw: str) -> str:
    return pl.select(name_key(name(pl.lit(raw)))).item()


def test_homophones_sound_alike_and_are_similar():
    s = signals("张伟", "张玮")
    assert (s["same_sound"], s["similar"], s["signals"]) == (True, True, ["same_sound"])
    assert (s["pinyin_a"], s["pinyin_similarity"], s["char_similarity"]) == ("zhang wei", 100.0, 50.0)


@pytest.mark.parametrize(("a", "b", "pair"), [("王芳", "玉芳", "王/玉"), ("李未", "李末", "未/末"), ("岳己", "岳已", "己/已")])
def test_similar_shapes_are_similar(a, b, pair):
    s = signals(a, b)
    assert (s["similar_shape"], s["shape_pairs"], s["similar"], s["same_sound"]) == (True, [pair], True, False)


@pytest.mark.parametrize(("a", "b"), [("排麻干", "排干"), ("张伟", "张伟伟"), ("岳麻诺", "岳麻诺当")])
def test_one_character_added_or_dropped_is_similar(a, b):
    s = signals(a, b)
    assert s["one_char_added_or_dropped"] and s["similar"] and s["edit_distance"] == 1


@pytest.mark.parametrize(("a", "b"), [("张建国", "张建军"), ("岳麻干", "岳麻诺"), ("李英", "李杨")])
def test_an_unrelated_substitution_is_how_siblings_differ_not_similar(a, b):
    s = signals(a, b)
    assert not s["similar"] and s["edit_distance"] == 1


def test_surnames_read_their_own_way():
    assert signals("曾伟", "增伟")["same_sound"]  # 曾 as a surname is zeng
    assert not signals("曾伟", "层伟")["same_sound"]  # …not ceng
    assert signals("单明", "善明")["same_sound"]  # 单 shan
    assert pinyin_of(pl.Series(["仇和", "朴乐", "缪长"])).sort("name").to_dict(as_series=False) == {
        "name": ["仇和", "朴乐", "缪长"], "pinyin": ["qiu he", "piao le", "miao chang"]}


def test_given_name_heteronyms_count_either_reading():
    assert signals("张乐", "张悦")["same_sound"]  # 乐 le / yue
    assert signals("王长", "王常")["same_sound"]  # 长 chang / zhang


def test_archaic_readings_do_not_make_names_sound_alike():
    assert not signals("王芳", "于芳")["same_sound"]  # pypinyin lists 王 yu


def test_dialect_near_sounds_are_evidence_only():
    s = signals("刘明", "牛明")
    assert s["near_sound"] and s["signals"] == ["near_sound"] and not s["similar"]


def test_middle_dot_variants_and_widths_are_one_name():
    forms = ["木然·麻诺", "木然・麻诺", "木然•麻诺", "木然‧麻诺", "木然.麻诺", "木然．麻诺", "木然麻诺", " 木然 麻诺\u200b"]
    assert {normalised(f) for f in forms} == {"木然麻诺"}
    assert normalised("ＡＬＩ木") == normalised("ALI木") == "ALI木"


def test_ids_one_digit_apart_and_adjacent_transpositions():
    base = make_id("19800112", "012")
    digit = make_id("19800112", "018")
    swap_seq = make_id("19800112", "021")
    swap_day = make_id("19800121", "012")
    far = make_id("19800112", "210")
    found = id_neighbours(pl.DataFrame({"id": [base, digit, swap_seq, swap_day, far], "town": "章凤"}))
    pairs = {tuple(sorted((r["id_a"], r["id_b"]))): r["id_signal"] for r in found.iter_rows(named=True)}
    assert pairs[tuple(sorted((base, digit)))] == "digit:17"
    assert pairs[tuple(sorted((base, swap_seq)))] == "swap:16-17"
    assert pairs[tuple(sorted((base, swap_day)))] == "swap:13-14"
    assert tuple(sorted((base, far))) not in pairs
    assert all(a < b for a, b in pairs)


def test_the_check_character_alone_does_not_make_neighbours():
    body = make_id()[:17]
    assert id_neighbours(pl.DataFrame({"id": [body + "1", body + "X"], "town": "章凤"})).height == 0


def test_id_neighbours_stay_within_a_township():
    ids = [make_id(seq="012"), make_id(seq="018")]
    assert id_neighbours(pl.DataFrame({"id": ids, "town": ["章凤", "陇把"]})).height == 0


def test_candidate_pairs_block_by_village_and_birth_date():
    persons = pl.DataFrame({
        "id_number": [make_id("19800101", "001"), make_id("19800101", "555"), make_id("19800101", "777"),
                      make_id("19810101", "999")],
        "place": ["章凤/迭撒", "章凤/迭撒", "章凤/广山", "章凤/迭撒"],
        "town": ["章凤"] * 4,
        "birth_date": pl.Series(["1980-01-01"] * 3 + ["1981-01-01"]).str.to_date(),
        "name_key": ["排麻干"] * 4,
    })
    found = candidate_pairs(persons)
    assert found.select("id_a", "id_b", "same_day_village", "id_signal").rows() == [
        (make_id("19800101", "001"), make_id("19800101", "555"), True, None)]


def test_place_key_reads_the_bank_spelling_as_the_roster_village():
    keys = pl.select(place_key(pl.lit("章凤镇"), pl.Series(["迭撒村委会", "迭撒村", "迭撒"]))).to_series()
    assert keys.unique().to_list() == ["章凤/迭撒"]


def test_candidate_pairs_need_names_that_can_be_similar():
    """Born the same day in one village, but 排麻干 and 岳麻诺 can never be similar."""
    persons = pl.DataFrame({
        "id_number": [make_id("19800101", "001"), make_id("19800101", "555"), make_id("19800101", "003")],
        "place": ["章凤/迭撒"] * 3,
        "town": ["章凤"] * 3,
        "birth_date": pl.Series(["1980-01-01"] * 3).str.to_date(),
        "name_key": ["排麻干", "岳麻诺", "排麻甘"],
    })
    found = candidate_pairs(persons)
    assert sorted(found.select("id_a", "id_b").rows()) == [(make_id("19800101", "001"), make_id("19800101", "003"))]
    assert found["id_signal"].to_list() == ["digit:17"]


def test_name_groups_hold_every_similar_pair_together():
    """Every pair `similar` calls similar shares a group; unrelated names do not."""
    names = ["张伟", "张玮", "章伟", "王小明", "玉小明", "小明", "排麻干", "排·麻干", "岳麻诺", "曾伟", "李四", "木然麻诺"]
    keys = pl.select(name_key(pl.Series(names))).to_series()
    groups = dict(name_groups(keys).iter_rows())
    pairs = pl.DataFrame([(a, b) for a in keys for b in keys if a < b], schema=["name_a", "name_b"], orient="row")
    scored = name_signals(pairs)
    for row in scored.filter("similar").iter_rows(named=True):
        assert groups[row["name_a"]] == groups[row["name_b"]], row
    assert groups["张伟"] == groups["章伟"] == groups["张玮"]
    assert groups["王小明"] == groups["玉小明"] == groups["小明"]
    assert groups["排麻干"] != groups["岳麻诺"] and groups["李四"] != groups["张伟"]


def test_person_keys_place_every_row_in_any_roster_order():
    """Places are keyed per run of rows of one village: interleaved villages, a blank
    village and a roster not in village order still get each row's own place."""
    from tests.conftest import run_rows

    places = [("章凤镇", "迭撒村委会"), ("陇把镇", "吕良村委会"), ("章凤镇", "迭撒村委会"), ("章凤镇", ""),
              ("章凤镇", "迭撒村委会"), ("章凤", "迭撒村")]
    roster = [{"id_number": make_id(seq=f"{i:03d}"), "household_id": f"H{i}", "name": f"岳麻{n}",
               "township": t, "village": v} for i, ((t, v), n) in enumerate(zip(places, "干诺退当腊锐"), 1)]
    ctx = run_rows(roster=roster).context
    got = person_keys(ctx).sort("id_number")
    want = ctx.roster.sort("id_number").select(
        town_key(pl.col("township")).alias("town"), place_key(pl.col("township"), pl.col("village")).alias("place"))
    assert got.select(pl.col("town", "place").cast(pl.Utf8)).equals(want)
    assert got.get_column("place").cast(pl.Utf8).to_list()[:3] == ["章凤/迭撒", "陇把/吕良", "章凤/迭撒"]


def test_components_name_each_component_by_its_least_node():
    from loan_audit.rules._identity.blocking import _components

    # a chain given from its far end (many rounds of label propagation), a triangle, a node alone
    a = np.array([5, 4, 3, 2, 7, 8])
    b = np.array([4, 3, 2, 1, 8, 6])
    assert _components(10, a, b).tolist() == [0, 1, 1, 1, 1, 1, 6, 6, 6, 9]
    assert _components(3, np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == [0, 1, 2]


def test_components_agree_with_a_breadth_first_search():
    from loan_audit.rules._identity.blocking import _components

    rng = np.random.default_rng(3)
    n = 2_000
    a, b = rng.integers(0, n, 1_500), rng.integers(0, n, 1_500)
    neighbours = {i: set() for i in range(n)}
    for x, y in zip(a.tolist(), b.tolist()):
        neighbours[x].add(y)
        neighbours[y].add(x)
    want = [-1] * n
    for start in range(n):
        if want[start] < 0:
            seen, todo = {start}, [start]
            while todo:
                for m in neighbours[todo.pop()] - seen:
                    seen.add(m)
                    todo.append(m)
            for m in seen:
                want[m] = min(seen)
    assert _components(n, a, b).tolist() == want
