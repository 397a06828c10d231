"""A linear-chain CRF decoded from python-crfsuite's weights, without its Tagger.

Why not `pycrfsuite.Tagger.tag`: it takes one Python list of feature strings per token,
and building and handing over those strings was most of pre-annotation's time with the
model (15-34k words/s, the rules alone 150k+). Here the caller sums weight rows it cached
per word type into an emission matrix (tokens x labels), and the dynamic programming runs
in hmmlearn's compiled Viterbi and scaled forward-backward: a CRF's chain is an HMM whose
"probabilities" are exp(weights), and crfsuite's 1-d CRF has no start or end transitions
(uniform start). The path equals crfsuite's up to exact floating-point ties; the marginals
are crfsuite's up to rounding (tests/test_learn.py compares both on a trained model).

hmmlearn's `_hmmc` is the compiled core its own models call; it is used directly because
its public models insist on normalised probabilities (pyproject pins the minor version).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
from hmmlearn import _hmmc

from annotate.preannotate import cache as artifacts

# Bumped when the cached layout of the weights changes.
CACHE_FORMAT = 1


class LinearChain:
    """Labels, attribute ids, state weights (attributes x labels) and transitions."""

    def __init__(
        self, labels: list[str], attributes: dict[str, int], state: np.ndarray, trans: np.ndarray
    ) -> None:
        self.labels = labels
        self.attributes = attributes
        self.state = state
        self.trans = trans
        self.outside = labels.index("O") if "O" in labels else -1
        self._start = np.ones(len(labels))
        self._exp_trans = np.exp(trans)

    @classmethod
    def load(cls, model_file: Path) -> LinearChain:
        """The weights of a crfsuite model file: from the compiled cache when it has them
        (keyed by the file's bytes), else read through pycrfsuite's dump (about 0.4 s for a
        model of all CoNLL train) and cached."""
        folder = artifacts.cache_dir()
        data = model_file.read_bytes()
        key = hashlib.sha256(f"{CACHE_FORMAT}\0{sys.version}\0".encode() + data).hexdigest()
        path = folder / f"crf-{key[:32]}.marshal" if folder is not None else None
        tables = artifacts.load(path) if path is not None else None
        if isinstance(tables, dict) and tables.get("format") == CACHE_FORMAT:
            labels, names = tables["labels"], tables["attributes"]
            width = len(labels)
            return cls(
                labels,
                dict(zip(names, range(len(names)), strict=True)),
                np.frombuffer(tables["state"]).reshape(len(names), width),
                np.frombuffer(tables["trans"]).reshape(width, width),
            )
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(model_file))
        chain = cls.from_tagger(tagger)
        tagger.close()
        if path is not None:
            artifacts.save(
                path,
                {
                    "format": CACHE_FORMAT,
                    "labels": chain.labels,
                    "attributes": list(chain.attributes),
                    "state": chain.state.tobytes(),
                    "trans": chain.trans.tobytes(),
                },
            )
        return chain

    @classmethod
    def from_tagger(cls, tagger: Any) -> LinearChain:
        """Read the weights of an opened `pycrfsuite.Tagger` (its `info()` dump)."""
        info = tagger.info()
        labels = [lab for lab, _i in sorted(info.labels.items(), key=lambda kv: int(kv[1]))]
        index = {lab: i for i, lab in enumerate(labels)}
        attributes: dict[str, int] = {}
        rows: list[tuple[int, int, float]] = []
        for (attr, label), weight in info.state_features.items():
            rows.append((attributes.setdefault(attr, len(attributes)), index[label], weight))
        state = np.zeros((len(attributes), len(labels)))
        for a, y, w in rows:
            state[a, y] = w
        trans = np.zeros((len(labels), len(labels)))
        for (src, dst), weight in info.transitions.items():
            trans[index[src], index[dst]] = weight
        return cls(labels, attributes, state, trans)

    def vector(self, features: list[str]) -> np.ndarray:
        """The summed state weights of some attributes (those the model never kept: 0)."""
        ids = [self.attributes[f] for f in features if f in self.attributes]
        if not ids:
            return np.zeros(len(self.labels))
        return self.state[ids].sum(axis=0)

    def viterbi(self, emissions: np.ndarray) -> np.ndarray:
        """The best label id per token."""
        if not len(emissions):
            return np.zeros(0, dtype=np.int64)
        return _hmmc.viterbi(self._start, self._exp_trans, emissions)[1]

    def marginals(self, emissions: np.ndarray, positions: list[int], ys: list[int]) -> np.ndarray:
        """P(label ys[i] at token positions[i] | the whole text), by forward-backward."""
        if not positions:
            return np.zeros(0)
        # per-token shifts cancel in the normalisation; they keep exp() in range
        frame = np.exp(emissions - emissions.max(axis=1, keepdims=True))
        _logp, fwd, scaling = _hmmc.forward_scaling(self._start, self._exp_trans, frame)
        bwd = _hmmc.backward_scaling(self._start, self._exp_trans, frame, scaling)
        pos = np.asarray(positions)
        joint = fwd[pos] * bwd[pos]
        return joint[np.arange(len(pos)), np.asarray(ys)] / joint.sum(axis=1)
