"""Input limits that hold whatever the model: NUL characters Postgres cannot store."""

from orderdesk_shared.limits import nul_paths


def test_every_nul_character_is_found_at_its_path_in_values_and_keys():
    document = {"note": [{"text": "fine"}, {"text": "a\x00b"}], "x\x00": 1, "deep": {"list": [["\x00"]]}}
    assert nul_paths(document) == [("deep", "list", 0, 0), ("note", 1, "text"), ("x\x00",)]
    assert nul_paths({"text": "no NUL here", "n": 0, "b": None}) == []
