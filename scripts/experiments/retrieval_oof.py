"""Out-of-fold retrieval experiments on the sample gold set (not part of the product).

Two ideas for raising evidence recall@5 that were measured and NOT shipped (eval/README.md,
"Experiments that were not shipped", gives the numbers and why):

    .venv/bin/python scripts/experiments/retrieval_oof.py rerank
    .venv/bin/python scripts/experiments/retrieval_oof.py finetune --epochs 2 --lr 3e-5

- ``rerank``: a learned reranker (logistic regression or gradient boosting) over ~20 generic
  features of each (practice, candidate passage) pair, trained to predict "this passage holds
  gold evidence of this practice".
- ``finetune``: the bundled MiniLM fine-tuned with MultipleNegativesRankingLoss on (practice
  query, gold passage, hard negative) triples, then used as the engine's embedder.

Both are scored the honest way: five folds grouped by ASQMS process, so a practice is ranked by
a model that saw neither its labels nor those of its sibling practices. The metric is the
evaluation's passage-level recall@5 (``qmsgap eval``: "recall@5, evidence widened to passages"),
computed here with the same hit rule (:func:`qmsgap.eval.spans.hits`).
"""

from __future__ import annotations

import argparse
import math
import random
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qmsgap.clauses import ReferenceRouter, load_catalog, load_crosswalks
from qmsgap.clauses.models import Catalog
from qmsgap.eval.runner import EvaluationRunner
from qmsgap.eval.spans import GoldSpan, LocatedGold, hits
from qmsgap.ingest.models import ParsedDocument
from qmsgap.mapping.cache import EmbeddingCache
from qmsgap.mapping.embedders import Embedder
from qmsgap.mapping.engine import MappingEngine
from qmsgap.mapping.features import _DEFERRAL, FeatureExtractor
from qmsgap.mapping.index import CorpusIndex
from qmsgap.mapping.queries import PracticeQueries, catalog_queries
from qmsgap.mapping.retrieval import PracticeRetrieval, Retriever
from qmsgap.settings import Settings, get_settings

FOLDS = 5
DEPTH = 5


class Run:
    """One retrieval pass over the sample corpus with one embedder."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        documents: Sequence[ParsedDocument],
        engine: MappingEngine,
    ) -> None:
        router = ReferenceRouter(catalog, tuple(load_crosswalks(catalog.id, settings)))
        self.engine = engine
        self.index = CorpusIndex.build(documents, engine.embedder)
        self.queries = catalog_queries(catalog)
        retriever = Retriever(
            self.index,
            engine.embedder,
            citation_router=router,
            aspect_min_score=engine.calibration.aspect_min_score,
        )
        self.found: dict[str, PracticeRetrieval] = {
            r.queries.id: r for r in retriever.run(self.queries)
        }

    def found_spans(self, spans: Sequence[GoldSpan], row: int) -> set[int]:
        """Indices of the ``spans`` that the passage at ``row`` hits."""
        item = self.index.passages[row]
        p = item.passage
        return {i for i, s in enumerate(spans) if hits(item.document_path, p.start, p.end, s)}

    def relevant(self, spans: Sequence[GoldSpan], row: int) -> bool:
        return bool(self.found_spans(spans, row))

    def recall(self, spans: Sequence[GoldSpan], rows: Sequence[int]) -> float:
        """Passage-level recall@DEPTH of ``rows`` (best first) against ``spans``."""
        found: set[int] = set().union(*(self.found_spans(spans, row) for row in rows[:DEPTH]))
        return len(found) / len(spans)

    def engine_recall(self, located: LocatedGold) -> dict[str, float]:
        return {
            pid: self.recall(spans, [c.row for c in self.found[pid].candidates])
            for pid, spans in located.spans.items()
            if spans
        }


def folds_by_process(queries: Sequence[PracticeQueries]) -> list[set[str]]:
    """FOLDS groups of practice ids; the practices of one process share a fold."""
    from sklearn.model_selection import GroupKFold

    ids = [q.id for q in queries]
    groups = [q.clause.id for q in queries]
    return [{ids[i] for i in test} for _, test in GroupKFold(FOLDS).split(ids, groups=groups)]


def pair_features(run: Run) -> dict[str, list[tuple[int, dict[str, float]]]]:
    """Per practice, each candidate's row and generic features (no document or practice ids)."""
    extractor = FeatureExtractor(run.index, 0.45)
    texts = list(dict.fromkeys(q for pq in run.queries for q in pq.dense))
    row_of = {t: i for i, t in enumerate(texts)}
    sims = np.asarray(
        run.engine.embedder.embed_batch(texts)
        @ run.index.vectors(list(range(len(run.index.passages)))).T
    )
    per_practice = np.stack([sims[[row_of[q] for q in pq.dense]].max(axis=0) for pq in run.queries])
    ordered = np.sort(per_practice, axis=0)
    rank_of_practice = np.argsort(np.argsort(-per_practice, axis=0), axis=0)
    out: dict[str, list[tuple[int, dict[str, float]]]] = {}
    for i, pq in enumerate(run.queries):
        candidates = run.found[pq.id].candidates
        dense_rank = {c.row: r for r, c in enumerate(sorted(candidates, key=lambda c: -c.dense))}
        lexical_rank = {
            c.row: r for r, c in enumerate(sorted(candidates, key=lambda c: -c.lexical))
        }
        groups = pq.practice.evidence_terms
        rows = []
        for position, c in enumerate(candidates):
            item = run.index.passages[c.row]
            tokens = extractor.tokens(c.row)
            own = per_practice[i, c.row]
            other = ordered[-2, c.row] if own >= ordered[-1, c.row] else ordered[-1, c.row]
            features = {
                "position": float(position),
                "fused": c.fused,
                "dense": c.dense,
                "lexical": c.lexical,
                "dense_rank": math.log1p(dense_rank[c.row]),
                "lexical_rank": math.log1p(lexical_rank[c.row]),
                "concepts": extractor.matcher.satisfied(groups, tokens) / len(groups)
                if groups
                else 0.0,
                "keywords": sum(1 for k in pq.keywords if extractor.matcher.matches(k, tokens))
                / max(1, len(pq.keywords)),
                "bonus": c.bonus,
                "boilerplate": float(item.boilerplate),
                "exclusivity": float(own - other),
                "practice_rank": math.log1p(float(rank_of_practice[i, c.row])),
                "length": math.log(max(1, item.passage.end - item.passage.start)),
                "deferral": float(bool(_DEFERRAL.search(item.passage.text))),
                **{
                    f"kind_{k.value}": float(item.document_kind == k)
                    for k in type(item.document_kind)
                },
            }
            rows.append((c.row, features))
        out[pq.id] = rows
    return out


def rerank(run: Run, located: LocatedGold, folds: list[set[str]], model: str) -> dict[str, float]:
    """Out-of-fold recall@DEPTH after reranking each practice's candidates."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pairs = pair_features(run)
    names = sorted(next(iter(pairs.values()))[0][1])

    def matrix(ids: Sequence[str]) -> tuple[Any, Any]:
        x = [[f[n] for n in names] for pid in ids for _, f in pairs[pid]]
        y = [run.relevant(located.spans.get(pid, ()), row) for pid in ids for row, _ in pairs[pid]]
        return np.array(x), np.array(y)

    make: Callable[[], Any] = (
        (lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)))
        if model == "logistic"
        else (lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05))
    )
    out: dict[str, float] = {}
    for test in folds:
        train = [pid for pid in pairs if pid not in test]
        fitted = make().fit(*matrix(train))
        for pid in test:
            spans = located.spans.get(pid, ())
            if not spans:
                continue
            x, _ = matrix([pid])
            scores = fitted.predict_proba(x)[:, 1]
            ranked = [pairs[pid][j][0] for j in np.argsort(-scores)]
            out[pid] = run.recall(spans, ranked)
    return out


class _Tuned:
    """A fine-tuned sentence-transformers model as an Embedder."""

    def __init__(self, model: Any, tag: str) -> None:
        self.model = model
        self.model_id = f"finetuned:{tag}"

    def embed_batch(self, texts: Sequence[str]) -> Any:
        vectors = self.model.encode(list(texts), batch_size=32, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def finetune(
    base: Run,
    located: LocatedGold,
    folds: list[set[str]],
    *,
    make_run: Callable[[Embedder, Path], Run],
    epochs: int,
    lr: float,
) -> dict[str, float]:
    """Out-of-fold recall@DEPTH with a model fine-tuned on the other folds' gold passages."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from qmsgap.model_files import resolve_model_path

    torch.manual_seed(0)
    rng = random.Random(0)  # noqa: S311 (sampling negatives, not secrets)
    out: dict[str, float] = {}
    for number, test in enumerate(folds):
        started = time.perf_counter()
        triples = []
        for pq in base.queries:
            if pq.id in test:
                continue
            spans = located.spans.get(pq.id, ())
            candidates = base.found[pq.id].candidates
            negatives = [c.row for c in candidates[:15] if not base.relevant(spans, c.row)]
            for c in candidates:
                if not base.relevant(spans, c.row):
                    continue
                for anchor in pq.dense[:2]:
                    negative = (
                        rng.choice(negatives)
                        if negatives
                        else rng.randrange(len(base.index.passages))
                    )
                    triples.append(
                        (
                            anchor,
                            base.index.passages[c.row].passage.text,
                            base.index.passages[negative].passage.text,
                        )
                    )
        model = SentenceTransformer(
            str(resolve_model_path(None)), device="cpu", local_files_only=True
        )
        model.max_seq_length = 256
        loss = MultipleNegativesRankingLoss(model)
        optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
        model.train()
        for _ in range(epochs):
            rng.shuffle(triples)
            for b in range(0, len(triples), 16):
                batch = triples[b : b + 16]
                features = [model.tokenize([t[i] for t in batch]) for i in range(3)]
                loss(features, None).backward()
                optimiser.step()
                optimiser.zero_grad()
        model.eval()
        with tempfile.TemporaryDirectory() as tmp:
            tuned = make_run(_Tuned(model, f"fold{number}-{time.time()}"), Path(tmp))
            scores = tuned.engine_recall(located)
        fold_scores = {pid: scores[pid] for pid in test if pid in scores}
        out.update(fold_scores)
        print(
            f"fold {number}: {len(triples)} training triples, {len(fold_scores)} test practices, "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("experiment", choices=["rerank", "finetune"])
    parser.add_argument("--model", choices=["logistic", "boosting"], default="logistic")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-5)
    args = parser.parse_args()

    settings = get_settings()
    catalog = load_catalog("asqms", settings)
    runner = EvaluationRunner(settings=settings, systems={}, catalog=catalog)
    _, corpus, located = runner.load_sample()
    base = Run(settings, catalog, corpus.documents, MappingEngine(settings))
    folds = folds_by_process(base.queries)

    def make_run(embedder: Embedder, tmp: Path) -> Run:
        engine = MappingEngine(settings, embedder=embedder, cache=EmbeddingCache(tmp / "e.sqlite3"))
        return Run(settings, catalog, corpus.documents, engine)

    if args.experiment == "rerank":
        new = rerank(base, located, folds, args.model)
    else:
        new = finetune(base, located, folds, make_run=make_run, epochs=args.epochs, lr=args.lr)
    old = base.engine_recall(located)
    report(old, new, folds)


def report(old: Mapping[str, float], new: Mapping[str, float], folds: list[set[str]]) -> None:
    for number, test in enumerate(folds):
        ids = [pid for pid in test if pid in new]
        print(
            f"fold {number}: engine {np.mean([old[p] for p in ids]):.3f}  "
            f"experiment {np.mean([new[p] for p in ids]):.3f}  ({len(ids)} practices)"
        )
    ids = list(new)
    print(
        f"all folds: engine {np.mean([old[p] for p in ids]):.3f}  "
        f"experiment {np.mean([new[p] for p in ids]):.3f}  ({len(ids)} practices)"
    )


if __name__ == "__main__":
    main()
