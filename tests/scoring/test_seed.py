"""The seed article: the product's reference example, end to end."""

from __future__ import annotations

import pytest

from scoring import Analysis, ArticleText, Event, Scorer
from tests.scoring.conftest import seed_paragraphs

NEWS, ANALYSIS = seed_paragraphs()
BODY = f"{NEWS}\n{ANALYSIS}"
TITLES = (
    "Lumen Technologies to buy Alkira for $475 million; raises free cash flow outlook",
    "",
    "Company news",
)


@pytest.fixture(scope="module", params=TITLES, ids=["title", "no-title", "neutral-title"])
def analysis(request: pytest.FixtureRequest, scorer: Scorer) -> Analysis:
    return scorer.analyze(ArticleText(title=request.param, body=BODY))


def test_overall_is_moderately_positive(analysis: Analysis, scorer: Scorer) -> None:
    assert analysis.sentiment.label == "moderately positive"
    assert 0.40 <= analysis.sentiment.score < 0.75
    assert 0.0 < analysis.sentiment.confidence <= 1.0
    assert analysis.model == scorer.model_version


def test_lumn_linked_without_being_given(analysis: Analysis) -> None:
    top = analysis.tickers[0]
    assert top.symbol == "LUMN"
    assert not top.explicit
    assert top.relevance >= 0.7
    assert top.score > 0.15
    assert top.label.endswith("positive")
    assert top.highlights
    for h in top.highlights:
        section = BODY if h.section == "body" else TITLES[0]
        assert section[h.start : h.end] == h.text


def test_no_false_tickers(analysis: Analysis) -> None:
    assert [t.symbol for t in analysis.tickers] == ["LUMN"]
    names = {e.name: e.symbol for e in analysis.entities}
    assert names.get("Alkira", "missing") is None


def _only(events: tuple[Event, ...], kind: str) -> list[Event]:
    return [e for e in events if e.type == kind]


def test_events_exact(analysis: Analysis) -> None:
    assert sorted(e.type for e in analysis.events) == ["acquisition", "earnings", "earnings", "guidance"]
    (deal,) = _only(analysis.events, "acquisition")
    assert deal.symbol == "LUMN"
    assert dict(deal.attributes) == {
        "acquirer": "LUMN",
        "target": "Alkira",
        "target_type": "private",
        "value": 475_000_000,
        "currency": "USD",
        "consideration": "cash",
        "status": "announced",
    }
    revenue, eps = sorted(_only(analysis.events, "earnings"), key=lambda e: str(e.attributes["metric"]))[::-1]
    assert revenue.attributes["metric"] == "revenue"
    assert revenue.attributes["period"] == "Q1"
    assert revenue.attributes["actual"] == 2_900_000_000
    assert revenue.attributes["expected"] == 2_830_000_000
    assert revenue.attributes["surprise_pct"] == pytest.approx(2.47, abs=0.01)
    assert revenue.attributes["result"] == "beat"
    assert revenue.attributes["currency"] == "USD"
    assert eps.attributes["metric"] == "adjusted_eps"
    assert eps.attributes["period"] == "Q1"
    assert eps.attributes["actual"] == pytest.approx(-0.47)
    assert eps.attributes["expected"] == pytest.approx(-0.13)
    assert eps.attributes["result"] == "miss"
    (guidance,) = _only(analysis.events, "guidance")
    assert guidance.symbol == "LUMN"
    assert {
        k: guidance.attributes[k] for k in ("metric", "period", "low", "high", "direction", "currency")
    } == {
        "metric": "free_cash_flow",
        "period": "FY",
        "low": 1_900_000_000,
        "high": 2_100_000_000,
        "direction": "raised",
        "currency": "USD",
    }
    for event in analysis.events:
        assert BODY[event.evidence.start : event.evidence.end] == event.evidence.text
        assert 0.0 < event.confidence <= 1.0


def test_to_dict_is_json_ready(analysis: Analysis) -> None:
    import json

    data = analysis.to_dict()
    assert set(data) == {"model", "sentiment", "tickers", "entities", "events"}
    assert json.loads(json.dumps(data)) == data


def test_explicit_ticker_always_included(scorer: Scorer) -> None:
    result = scorer.analyze(ArticleText(title="", body=NEWS, tickers=("AAPL",)))
    by_symbol = {t.symbol: t for t in result.tickers}
    assert by_symbol["AAPL"].explicit
    assert not by_symbol["LUMN"].explicit
    assert by_symbol["LUMN"].relevance > by_symbol["AAPL"].relevance


def test_deterministic_and_batch_independent(scorer: Scorer) -> None:
    article = ArticleText(title=TITLES[0], body=BODY)
    other = ArticleText(title="Acme shares slump", body="Acme Corp cut its outlook. It expects lower sales.")
    alone = scorer.analyze(article)
    batched = scorer.analyze_many([other, article, other])
    assert batched[1] == alone
    assert scorer.analyze(article) == alone
