from __future__ import annotations

import pytest

from qmsgap.mapping.terms import TermMatcher

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher()


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("baseline", "Baselines are tagged in Git.", True),
        ("Git tag", "each release gets a git tag named after it", True),
        ("Git tag", "tag the release in Git", False),  # words must be consecutive
        ("qualif*", "The compiler is qualified per ISO 26262-8.", True),
        ("qualif*", "Quality is checked.", False),
        ("tool qualif*", "Tool qualification reports are archived.", True),
        ("OTA", "Updates are deployed over the air (OTA).", True),
        ("user data", "user information is deleted", False),
        ("Änderung", "Jede Änderung wird freigegeben.", True),
        ("", "anything", False),
    ],
)
def test_terms_match_stems_phrases_and_prefixes(matcher, term, text, expected) -> None:
    assert matcher.matches(term, matcher.tokens(text)) is expected


def test_groups_count_when_any_of_their_terms_occurs(matcher) -> None:
    groups = [["tool", "compiler"], ["validation", "qualif*"], ["field", "vehicle"]]
    text = matcher.tokens("The compiler is qualified before use.")
    assert matcher.satisfied(groups, text) == 2
    assert matcher.satisfied([], text) == 0
