"""The analysis engine from outside: `manage.py analyse_text` and the functions the dashboards will call."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from insight.analysis import MAX_CHARS, Sentiment, detect_language, text_keywords, text_sentiment

DATA = Path(__file__).resolve().parent / "data"


def analyse(*lines: str, lang: str = "auto") -> list[str]:
    """What the command prints for these lines, one output line per input line."""
    out = io.StringIO()
    call_command("analyse_text", "--lang", lang, stdin=io.StringIO("".join(f"{line}\n" for line in lines)), stdout=out)
    return out.getvalue().splitlines()


def labelled(name: str) -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t")
            rows.append((label, text))
    return rows


@pytest.mark.parametrize("name", ["labelled_de.tsv", "labelled_en.tsv"])
def test_labelled_customer_sentences_are_at_least_80_percent_right(name):
    """The hand-labelled support and forum sentences of each language get >= 80 % correct labels (auto-detected)."""
    rows = labelled(name)
    assert len(rows) >= 40
    assert {label for label, _ in rows} == {"positive", "neutral", "negative"}
    printed = analyse(*(text for _, text in rows))
    assert len(printed) == len(rows)
    wrong = [(text, expected, got) for (expected, text), got in zip(rows, printed) if got.split("\t")[0] != expected]
    assert len(rows) - len(wrong) >= 0.8 * len(rows), wrong


def test_output_is_label_tab_score_with_three_decimals():
    """Every line is `label<TAB>score`, the score in [-1, 1] with exactly three decimals."""
    for line in analyse("Das ist sehr gut!", "This is awful.", "Wie ändere ich mein Passwort?"):
        label, score = line.split("\t")
        assert label in {"positive", "neutral", "negative"}
        assert len(score.split(".")[1]) == 3
        assert -1.0 <= float(score) <= 1.0
    assert analyse("Das ist sehr gut!", "This is awful.", "Wie ändere ich mein Passwort?")[2] == "neutral\t0.000"


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("Das ist gut.", "Das ist nicht gut."),
        ("Der Support ist hilfreich.", "Der Support ist nicht hilfreich."),
        ("Das neue Design gefällt mir.", "Das neue Design gefällt mir nicht."),
        ("Der Login funktioniert.", "Der Login funktioniert leider nicht."),
        ("This is good.", "This is not good."),
        ("The answer was helpful.", "The answer wasn't helpful."),
    ],
)
def test_negation_turns_a_positive_text_negative(plain, negated):
    """ "nicht"/"not" before or (German verb-second) after the word turns its mood."""
    assert text_sentiment(plain).label == "positive"
    assert text_sentiment(negated).label == "negative"


@pytest.mark.parametrize(
    ("plain", "negated"),
    [
        ("Das ist schlecht.", "Das ist nicht schlecht."),
        ("Das ist ein Problem.", "Kein Problem."),
        ("This is bad.", "This is not bad."),
        ("That is a problem.", "No problem."),
    ],
)
def test_negation_turns_a_negative_text_positive(plain, negated):
    """ "nicht schlecht", "kein Problem", "not bad", "no problem" are positive."""
    assert text_sentiment(plain).label == "negative"
    assert text_sentiment(negated).label == "positive"


@pytest.mark.parametrize(
    "text", ["Nie wieder!", "Nie wieder bestelle ich hier.", "Never again.", "Never again will I buy here."]
)
def test_never_again_is_negative(text):
    """ "nie wieder"/"never again" carry no mood word and are still a complaint."""
    assert text_sentiment(text).label == "negative"


@pytest.mark.parametrize(
    ("plain", "intensified"),
    [
        ("Das ist gut.", "Das ist sehr gut."),
        ("Die Seite ist langsam.", "Die Seite ist extrem langsam."),
        ("Der Support ist freundlich.", "Der Support ist wirklich freundlich."),
        ("The forum is good.", "The forum is really good."),
        ("The page is slow.", "The page is extremely slow."),
    ],
)
def test_intensifiers_strengthen_the_mood(plain, intensified):
    """ "sehr", "extrem", "wirklich", "really", "extremely" move the score further from 0, same label."""
    weak, strong = text_sentiment(plain), text_sentiment(intensified)
    assert weak.label == strong.label != "neutral"
    assert abs(strong.score) > abs(weak.score)


def test_a_clause_after_but_weighs_more():
    """ "gut, aber langsam" leans negative, "langsam, aber gut" positive (VADER's "but" rule in German too)."""
    assert text_sentiment("Die App ist gut, aber sehr langsam.").label == "negative"
    assert text_sentiment("Die App ist langsam, aber sehr gut.").label == "positive"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Login geht nicht", "de"),
        ("Rechnung falsch", "de"),
        ("Wo ist meine Rechnung?", "de"),
        ("Danke für die Hilfe!", "de"),
        ("Passwort vergessen", "de"),
        ("I can't log in", "en"),
        ("Where is my invoice?", "en"),
        ("Thanks for the help!", "en"),
        ("Password reset does not work", "en"),
        ("Merci beaucoup pour votre aide, je suis très content.", None),
        ("Grazie mille per il vostro aiuto.", None),
        ("¿Dónde está mi factura?", None),
    ],
)
def test_language_of_short_texts(text, lang):
    """Short German and English support texts are recognised; other languages are not analysed."""
    assert detect_language(text) == lang


def test_other_languages_are_labelled_neutral_with_auto_but_analysed_when_forced():
    """An unsupported language is neutral under auto; --lang forces the lexicon of one language."""
    assert analyse("C'est vraiment nul, je suis très déçu.") == ["neutral\t0.000"]
    assert analyse("schlecht", lang="de")[0].startswith("negative\t")
    assert analyse("bad", lang="en")[0].startswith("negative\t")


def test_keywords_are_lemmatised_without_stop_words():
    """ "Rechnung" and "Rechnungen" are one keyword; stop words and very short words are dropped."""
    assert text_keywords("Die Rechnung ist falsch, und die Rechnungen vom März fehlen auch.", lang="de") == [
        "rechnung",
        "falsch",
        "märz",
        "fehlen",
    ]
    assert text_keywords("My invoices are wrong and the invoice for March shows a double payment.", lang="en") == [
        "invoice",
        "wrong",
        "march",
        "double",
        "payment",
    ]


def test_keywords_of_one_topic_agree_across_texts_and_detection():
    """Two members writing "Rechnungen" and "Rechnung" end up under the same topic with auto-detection."""
    first = text_keywords("Meine Rechnungen kommen nicht an.")
    second = text_keywords("Wo finde ich die Rechnung?")
    assert "rechnung" in first
    assert "rechnung" in second


def test_keywords_of_noise_and_unknown_languages_are_empty():
    assert text_keywords("") == []
    assert text_keywords("\x00\x01\x02 0xdeadbeef 1234 5678") == []
    assert text_keywords("Où est ma facture, s'il vous plaît?") == []


def test_bad_input_is_neutral_never_an_error():
    """Empty and blank lines, control bytes, digits, emoji-only, a huge line and unknown languages: neutral."""
    lines = [
        "",
        "   \t  ",
        "\x00\x01\x02\x03\x1b[31m",
        "1234 5678 9012",
        "🙂🙂🙂",
        "x" * 2_000_000,
        "QmFzZTY0IGdhcmJhZ2UgdGhhdCBpcyBub3QgYSB0ZXh0Cg==",
        "Dit is een Nederlandse zin over mijn factuur.",
    ]
    assert analyse(*lines) == ["neutral\t0.000"] * len(lines)


def test_invalid_utf8_on_real_stdin_is_neutral_and_the_next_line_still_counts():
    """Bytes that are not UTF-8 do not stop the command; the lines after them are analysed."""
    raw = b"\xff\xfe\x00\x81\x9f\n\xc3\x28 invalid\nDas ist sehr gut.\n"
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    out = io.StringIO()
    call_command("analyse_text", stdin=stdin, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["neutral\t0.000", "neutral\t0.000"]
    assert lines[2].startswith("positive\t")
    assert len(lines) == 3


def test_a_huge_line_is_capped_and_judged_by_its_beginning():
    """Only the first MAX_CHARS characters are read: a long text's mood is that of its start."""
    text = "Das ist wirklich sehr gut. " + "Rechnung " * 200_000 + "Katastrophe, schlecht, furchtbar."
    assert len(text) > 100 * MAX_CHARS
    assert analyse(text, lang="de")[0].startswith("positive\t")


def test_the_command_and_the_function_share_one_code_path():
    """The command prints exactly what text_sentiment returns (the dashboard's path)."""
    texts = ["Kein Problem, danke!", "I can't log in since yesterday.", "Wie kündige ich?"]
    expected = [f"{s.label}\t{s.score:.3f}" for s in map(text_sentiment, texts)]
    assert analyse(*texts) == expected


class FixedAnalyser:
    """A stand-in for a company's own model: says English and positive for everything."""

    def language(self, text):
        return "en"

    def sentiment(self, text, lang):
        return Sentiment("positive", 0.5)

    def keywords(self, text, lang):
        return ["fixed"]


def test_insight_analyser_setting_plugs_in_another_model():
    """INSIGHT_ANALYSER names the class behind the command and the functions."""
    with override_settings(INSIGHT_ANALYSER="tests.insight.test_analysis.FixedAnalyser"):
        assert analyse("Das ist schlecht.", "Bonjour") == ["positive\t0.500", "positive\t0.500"]
        assert text_keywords("irgendwas") == ["fixed"]
        # Noise never reaches the model.
        assert analyse("") == ["neutral\t0.000"]
    assert analyse("Das ist schlecht.")[0].startswith("negative\t")
