from pulumi.runtime import rpc

from infra.offline.convert import SECRET, UNKNOWN, plain


def test_secrets_are_masked_wherever_they_sit():
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    assert plain({"a": [1, secret], "b": secret}) == {"a": [1, SECRET], "b": SECRET}


def test_unknowns_are_marked():
    assert plain({"id": rpc.UNKNOWN}) == {"id": UNKNOWN}


def test_whole_numbers_arrive_as_doubles_and_leave_as_ints():
    assert plain({"n": 50.0, "f": 0.9, "big": 2.0**60}) == {"n": 50, "f": 0.9, "big": 2.0**60}


def test_resource_references_become_their_urn():
    ref = {
        rpc._special_sig_key: rpc._special_resource_sig,
        "urn": "urn:pulumi:s::p::t::n",
        "id": "x",
    }
    assert plain({"r": ref}) == {"r": "urn:pulumi:s::p::t::n"}
