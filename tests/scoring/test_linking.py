"""Entity linking against a realistic table: names, cashtags, exchange tags, common words, coreference."""

from __future__ import annotations

import pytest

from scoring import ArticleText, Scorer


def _symbols(scorer: Scorer, body: str, title: str = "") -> list[str]:
    return sorted(t.symbol for t in scorer.analyze(ArticleText(title=title, body=body)).tickers)


@pytest.mark.parametrize(
    "body",
    [
        "The target for inflation is 2%, the central bank said.",
        "Investors hope to close the gap with peers. The block of shares was sold.",
        "Tourists need a visa to enter. The ball is in the regulators' court.",
        "Target prices rose across the sector.",
        "Gap widened between winners and losers. Block trades dominated the session.",
        "Apple pie sales rose.",
    ],
)
def test_common_words_do_not_link(scorer: Scorer, body: str) -> None:
    assert _symbols(scorer, body) == []


@pytest.mark.parametrize(
    ("body", "symbol"),
    [
        ("Target said comparable sales fell 3%.", "TGT"),
        ("Shares of Target Corporation rose after results.", "TGT"),
        ("Visa Inc. reported higher payment volumes.", "V"),
        ("Apple shares rose 2% after the launch.", "AAPL"),
        ("Microsoft unveiled new AI tools on Tuesday.", "MSFT"),
        ("$LUMN jumped in early trading.", "LUMN"),
        ("Lumen Technologies (NYSE: LUMN) said demand was strong.", "LUMN"),
        ("Block, Inc. posted record gross profit.", "XYZ"),
    ],
)
def test_links(scorer: Scorer, body: str, symbol: str) -> None:
    assert symbol in _symbols(scorer, body)


@pytest.mark.parametrize(
    ("body", "symbol"),
    [
        # Names whose apostrophe is part of the name, straight or typographic, possessive or not.
        ("Kohl's suspended its dividend.", "KSS"),
        ("Kohl’s posted a wider loss.", "KSS"),
        ("Kohl's's margins shrank.", "KSS"),
        ("Kroger's results beat estimates.", "KR"),
    ],
)
def test_names_with_an_apostrophe_link(scorer: Scorer, body: str, symbol: str) -> None:
    assert _symbols(scorer, body) == [symbol]


def test_a_name_without_its_apostrophe_is_another_name(scorer: Scorer) -> None:
    assert _symbols(scorer, "Helmut Kohl led Germany for 16 years.") == []


def test_lowercase_name_does_not_link(scorer: Scorer) -> None:
    assert _symbols(scorer, "we like the apple and the microsoft of the world.") == []


def test_coreference_attaches_to_last_company(scorer: Scorer) -> None:
    body = (
        "Lumen Technologies reported results on Tuesday. The company said demand for fiber was strong. "
        "It also raised its outlook."
    )
    result = scorer.analyze(ArticleText(title="", body=body))
    (lumen,) = result.tickers
    assert lumen.symbol == "LUMN"
    assert len(lumen.highlights) == 3
    (guidance,) = result.events
    assert guidance.type == "guidance"
    assert guidance.symbol == "LUMN"


def test_unknown_organisation_is_an_entity(scorer: Scorer) -> None:
    body = "Microsoft agreed to buy startup Zorblax for $90 million."
    result = scorer.analyze(ArticleText(title="", body=body))
    entities = {e.name: e.symbol for e in result.entities}
    assert entities["Zorblax"] is None
    assert "MSFT" in entities.values()


def test_target_dependent_ticker_scores(scorer: Scorer) -> None:
    body = "Walmart shares jumped after strong results, while Target slumped on a weak forecast."
    result = scorer.analyze(ArticleText(title="", body=body))
    by_symbol = {t.symbol: t for t in result.tickers}
    assert by_symbol["WMT"].score > 0.15
    assert by_symbol["TGT"].score < -0.15


def test_relevance_orders_subject_first(scorer: Scorer) -> None:
    body = (
        "Nvidia reported record data-center revenue. Nvidia said demand for its chips remains strong. "
        "The company expects growth to continue. Rival Intel was not mentioned in the guidance."
    )
    result = scorer.analyze(ArticleText(title="Nvidia posts record quarter", body=body))
    assert result.tickers[0].symbol == "NVDA"
    assert result.tickers[0].relevance > result.tickers[-1].relevance
