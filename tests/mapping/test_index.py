from __future__ import annotations

from pathlib import Path

import pytest

from qmsgap.mapping.cache import CachingEmbedder, EmbeddingCache
from qmsgap.mapping.index import CorpusIndex, LexicalIndex

pytestmark = pytest.mark.unit


@pytest.fixture
def documents(make_document):
    return [
        make_document(
            "cm.md",
            [
                (("4 Baselines",), "A baseline is created for every software release and tagged."),
                (("5 Audits",), "Configuration audits check the baseline against the release."),
            ],
            title="Configuration Management Procedure",
        ),
        make_document(
            "cal.pdf",
            [(("3 Calibration",), "Gauges are calibrated every year by an accredited lab.")],
            title="Calibration Procedure",
            pages=True,
        ),
    ]


def test_dense_search_finds_the_passage_that_shares_words(documents, fake_embedder) -> None:
    index = CorpusIndex.build(documents, fake_embedder)
    query = fake_embedder.embed_batch(["gauges calibrated accredited lab"])
    hits = index.dense_search(query, k=3)[0]
    best_row = hits[0][0]
    assert index.passages[best_row].document_path == "cal.pdf"
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_passages_are_embedded_with_their_context_header(documents, fake_embedder) -> None:
    index = CorpusIndex.build(documents, fake_embedder)
    texts = fake_embedder.calls[0]
    assert texts[0].startswith("Calibration Procedure > 3 Calibration\nGauges")
    assert index.stats.embedded == 3


def test_saved_index_is_reused_and_only_new_passages_are_embedded(
    documents, fake_embedder, make_document, tmp_path: Path
) -> None:
    directory = tmp_path / "idx"
    CorpusIndex.build(documents, fake_embedder, directory=directory)
    assert (directory / "dense.faiss").is_file()
    fake_embedder.calls.clear()
    again = CorpusIndex.build(documents, fake_embedder, directory=directory)
    assert fake_embedder.calls == []
    assert again.stats.loaded_from_disk and again.stats.reused == 3

    added = make_document("new.md", [(("1 Scope",), "Open source licences are reviewed.")])
    grown = CorpusIndex.build([*documents, added], fake_embedder, directory=directory)
    assert fake_embedder.calls == [["new > 1 Scope\nOpen source licences are reviewed."]]
    assert grown.dense.size == 4

    shrunk = CorpusIndex.build(documents[:1], fake_embedder, directory=directory)
    assert shrunk.stats.removed == 2 and shrunk.dense.size == 2


def test_a_damaged_saved_index_is_rebuilt(documents, fake_embedder, tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    CorpusIndex.build(documents, fake_embedder, directory=directory)
    (directory / "dense.faiss").write_bytes(b"garbage")
    cached = CachingEmbedder(fake_embedder, EmbeddingCache(None))
    rebuilt = CorpusIndex.build(documents, cached, directory=directory)
    assert not rebuilt.stats.loaded_from_disk and rebuilt.dense.size == 3


def test_lexical_scores_use_stems_and_ignore_unknown_words() -> None:
    lexical = LexicalIndex(["Baselines are tagged in Git.", "Gauges are calibrated."])
    scores = lexical.scores("baseline tagging")
    assert scores[0] > 0 and scores[1] == 0
    assert not lexical.scores("zzzz unknownword").any()
    assert LexicalIndex([]).scores("anything").shape == (0,)
