"""The published sentiment scale, as served: seven contiguous bands over [-1, 1]."""

from __future__ import annotations

import itertools

import httpx

from core.scale import LABELS, label_of


async def test_scale_is_the_published_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/meta/sentiment-scale")
    assert response.status_code == 200
    scale = response.json()
    assert (scale["min"], scale["max"]) == (-1.0, 1.0)
    bands = scale["bands"]
    assert tuple(b["label"] for b in bands) == LABELS
    assert all(a["max"] == b["min"] for a, b in itertools.pairwise(bands))
    assert all(a["max_inclusive"] != b["min_inclusive"] for a, b in itertools.pairwise(bands))
    moderately_positive = next(b for b in bands if b["label"] == label_of(0.68))
    assert moderately_positive["min"] <= 0.68 < moderately_positive["max"]
