"""shared.reading.vocab: names and parents of IPTC Subject Codes and Media Topics from vendored
data."""

from __future__ import annotations

import json
from importlib import resources

from hypothesis import given
from hypothesis import strategies as st

from shared.core.model import Subject
from shared.reading import vocab
from shared.reading.vocab import MEDIATOPIC, SUBJECT, VocabEntry, enrich, lookup, name_of, parents


def subj(code: str, name: str | None = None) -> Subject:
    return Subject(scheme=SUBJECT, code=code, name=name)


def medtop(code: str, name: str | None = None) -> Subject:
    return Subject(scheme=MEDIATOPIC, code=code, name=name)


ECONOMY = subj("04000000", "economy, business and finance")
FINANCIAL_SERVICE = subj("04006000", "financial and business service")
BANKING = subj("04006002", "banking")


# ── the vendored data ────────────────────────────────────────────────────────────────────────


def test_both_vocabularies_ship_with_the_package_and_hold_every_top_level_concept():
    tops = [f"{n:02d}000000" for n in range(1, 18)]
    for scheme, file in vocab.FILES.items():
        data = json.loads(resources.files("shared.reading.vocab").joinpath(file).read_text("utf-8"))
        assert len(data) > 1300
        assert [code for code, (_, parent) in data.items() if parent is None] == tops
        assert all(parent is None or parent in data for _, parent in data.values()), scheme


def test_every_subject_code_matter_is_named():
    data = json.loads(
        resources.files("shared.reading.vocab").joinpath("subjectcode.json").read_text()
    )
    matters = [code for code in data if code.endswith("000") and not code.endswith("000000")]
    assert len(matters) == 390
    assert all(data[code][0] and data[code][1] == code[:2] + "000000" for code in matters)


def test_the_vocabulary_is_read_once_per_process():
    vocab._table.cache_clear()
    lookup(SUBJECT, "04000000")
    lookup(SUBJECT, "15000000")
    assert vocab._table.cache_info().misses == 1


# ── lookup and name_of ───────────────────────────────────────────────────────────────────────


def test_top_level_subject_codes_have_their_iptc_names_and_no_parent():
    assert lookup(SUBJECT, "04000000") == VocabEntry("economy, business and finance", None)
    assert lookup(SUBJECT, "15000000") == VocabEntry("sport", None)
    assert name_of(SUBJECT, "16000000") == "unrest, conflicts and war"


def test_subject_code_details_name_their_matter_as_parent():
    assert lookup(SUBJECT, "04006002") == VocabEntry("banking", "04006000")
    assert lookup(SUBJECT, "04006000") == VocabEntry("financial and business service", "04000000")
    assert name_of(SUBJECT, "15054000") == "soccer"


def test_retired_subject_codes_are_named_without_the_deprecated_suffix():
    assert lookup(SUBJECT, "01018001") == VocabEntry("institution", "01018000")


def test_media_topics_have_their_iptc_names_and_broader_topic():
    assert lookup(MEDIATOPIC, "04000000") == VocabEntry("economy, business and finance", None)
    assert lookup(MEDIATOPIC, "20000002") == VocabEntry("arts and entertainment", "01000000")
    assert lookup(MEDIATOPIC, "20000139") == VocabEntry(
        "accident and emergency incident", "03000000"
    )
    assert name_of(MEDIATOPIC, "16000000") == "conflict, war and peace"


def test_retired_media_topics_are_still_known():
    assert lookup(MEDIATOPIC, "20000030") == VocabEntry("music theatre", "20000029")


def test_qcode_prefixes_and_surrounding_spaces_are_tolerated_in_lookups():
    assert name_of(SUBJECT, " subj:04006002 ") == "banking"
    assert name_of(MEDIATOPIC, "medtop:20000002") == "arts and entertainment"


def test_unknown_codes_and_schemes_have_no_entry():
    assert lookup(SUBJECT, "04999000") is None
    assert lookup(MEDIATOPIC, "29999999") is None
    assert lookup("dpa-category", "04000000") is None
    assert lookup(SUBJECT, "") is None
    assert lookup(SUBJECT, None) is None
    assert name_of("ap-category", "s") is None


def test_names_exist_in_english_only():
    assert name_of(SUBJECT, "15000000", language="en-GB") == "sport"
    assert name_of(SUBJECT, "15000000", language="EN-us") == "sport"
    assert name_of(SUBJECT, "15000000", language="ru") is None


# ── parents ──────────────────────────────────────────────────────────────────────────────────


def test_a_subject_code_detail_has_its_matter_and_subject_as_parents():
    assert parents(SUBJECT, "04006002") == [FINANCIAL_SERVICE, ECONOMY]
    assert parents(SUBJECT, "04006000") == [ECONOMY]
    assert parents(SUBJECT, "04000000") == []


def test_subject_code_parents_follow_from_the_digits_even_when_the_data_lacks_them():
    assert parents(SUBJECT, "04099001") == [subj("04099000"), ECONOMY]
    assert parents(SUBJECT, "99001000") == [subj("99000000")]


def test_media_topic_parents_follow_the_broader_links_up_to_the_top():
    assert parents(MEDIATOPIC, "20000135") == [
        medtop("20000134", "sentencing (criminal)"),
        medtop("20000111", "trial (court)"),
        medtop("20000107", "court"),
        medtop("20000106", "judiciary"),
        medtop("02000000", "crime, law and justice"),
    ]
    assert parents(MEDIATOPIC, "20000139") == [
        medtop("03000000", "disaster, accident and emergency incident")
    ]


def test_unknown_codes_and_other_schemes_have_no_parents():
    assert parents(MEDIATOPIC, "29999999") == []
    assert parents(SUBJECT, "not-a-code") == []
    assert parents(SUBJECT, "0400600") == []
    assert parents(SUBJECT, "０４００６００２") == []  # fullwidth digits are not a code
    assert parents("category", "04006002") == []
    assert parents(SUBJECT, None) == []


# ── enrich ───────────────────────────────────────────────────────────────────────────────────


def test_enrich_names_a_bare_code_and_appends_its_parents_after_it():
    assert enrich([subj("04006002"), medtop("20000210")]) == [
        BANKING,
        FINANCIAL_SERVICE,
        ECONOMY,
        medtop("20000210", "agriculture"),
        medtop("20000209", "products and services"),
        medtop("04000000", "economy, business and finance"),
    ]


def test_enrich_keeps_the_name_the_source_gives():
    given = [subj("04006002", "Banken"), subj("04000000", "Wirtschaft")]
    assert enrich(given) == [
        subj("04006002", "Banken"),
        FINANCIAL_SERVICE,
        subj("04000000", "Wirtschaft"),
    ]


def test_enrich_leaves_a_parent_the_source_lists_later_in_its_own_place():
    assert enrich([subj("04006002"), Subject("dpa-category", "wi"), subj("04000000")]) == [
        BANKING,
        FINANCIAL_SERVICE,
        Subject("dpa-category", "wi"),
        ECONOMY,
    ]


def test_enrich_drops_duplicates_keeping_the_first_place_and_the_given_name():
    given = [subj("04006002"), subj("04006002", "Bankwesen"), subj("04006002"), FINANCIAL_SERVICE]
    assert enrich(given) == [subj("04006002", "Bankwesen"), ECONOMY, FINANCIAL_SERVICE]


def test_enrich_does_not_repeat_a_parent_shared_by_two_subjects():
    assert enrich([subj("04006002"), subj("04006001")]) == [
        BANKING,
        FINANCIAL_SERVICE,
        ECONOMY,
        subj("04006001", "accountancy and auditing"),
    ]


def test_enrich_keeps_unknown_codes_and_other_schemes_as_given():
    given = [
        Subject("ap-category", "s", "Sports"),
        Subject("category", None, "Politik"),
        Subject("category", None, "Politik"),
        medtop("29999999"),
        subj("04099001"),
    ]
    assert enrich(given) == [
        Subject("ap-category", "s", "Sports"),
        Subject("category", None, "Politik"),
        medtop("29999999"),
        subj("04099001"),
        subj("04099000"),
        ECONOMY,
    ]


def test_enrich_of_nothing_is_nothing():
    assert enrich([]) == []
    assert enrich(()) == []


CODES = st.one_of(
    st.sampled_from(["04006002", "04000000", "20000210", "20000135", "15054000", "99999999"]),
    st.text(max_size=12),
    st.none(),
)
SUBJECTS = st.builds(
    Subject,
    scheme=st.sampled_from([SUBJECT, MEDIATOPIC, "category"]),
    code=CODES,
    name=st.one_of(st.none(), st.text(max_size=8)),
)


@given(st.lists(SUBJECTS, max_size=8))
def test_enrich_never_loses_or_repeats_a_subject_and_is_idempotent(subjects):
    out = enrich(subjects)
    keys = [vocab._key(s) for s in out]
    assert len(keys) == len(set(keys))
    assert {vocab._key(s) for s in subjects} <= set(keys)
    assert enrich(out) == out
