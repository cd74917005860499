"""The published sentiment scale, as served."""

from __future__ import annotations

import httpx

from core.scale import SCALE
from tests.schema.conftest import data_of, gql


async def test_sentiment_scale(client: httpx.AsyncClient) -> None:
    query = "{ sentimentScale { label min max minInclusive maxInclusive polarity } }"
    bands = data_of(await gql(client, query))["sentimentScale"]
    assert [b["label"] for b in bands] == [b.label for b in SCALE]
    moderate = bands[5]
    assert moderate == {
        "label": "moderately positive",
        "min": 0.4,
        "max": 0.75,
        "minInclusive": True,
        "maxInclusive": False,
        "polarity": "POSITIVE",
    }
