"""Two languages: Vietnamese (the default, and the language the code's messages are written in) and English.

The language is the one a person picked (the switch in the header keeps it in the session and, once
signed in, in User.language); until they pick one, the one their browser asks for (Accept-Language);
else Vietnamese. Dates read dd/mm/yyyy in both (see clock.vn_date).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import Babel, LazyString, get_locale, gettext
from flask_login import current_user

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT = "vi"

babel = Babel()


def current_language() -> str:
    """The language of this request: the person's choice, else the browser's, else Vietnamese (also
    outside a request: the scheduler's mails)."""
    if not has_request_context():
        return DEFAULT
    if request.path.startswith("/api/") and "Accept-Language" in request.headers:
        # An API client says its language per request (RFC 9110 §12.5.4); unknown ones fall back below.
        asked = request.accept_languages.best_match(list(LANGUAGES))
        if asked:
            return asked
    saved = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
    if saved in LANGUAGES:  # set only by the person's own choice
        return saved
    picked = session.get("language")
    if picked in LANGUAGES:
        return picked
    return browser_language() or DEFAULT


def browser_language() -> str | None:
    """The first of our languages the request's Accept-Language asks for, by its quality; a regional
    tag counts for its language ("vi-VN" is Vietnamese, even before "en;q=0.8", which Werkzeug's
    best_match would pick as the only exact match)."""
    for value, quality in request.accept_languages:
        primary = value.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return None


def init_app(app: Flask) -> None:
    """Catalogues in tracker/translations; `lang` in every template for <html lang>."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))
    babel.init_app(app, locale_selector=current_language, default_translation_directories="translations")
    app.jinja_env.globals.update(current_language=current_language, LANGUAGES=LANGUAGES,
                                 page_language=lambda: str(get_locale() or DEFAULT), labels_in_language=labels_in_language,
                                 N_=N_, vocab=label, vocab_of=labels_of)
    app.add_template_filter(number, "num")


def number(value: float | None, places: int = 2) -> str:
    """A figure as the page's language writes it (35.500 and 90,6 in Vietnamese; 35,500 and 90.6 in
    English), at most `places` decimals; "—" for none. By hand: Babel's patterns cost a page of 500."""
    if value is None:
        return "—"
    text = f"{round(value, places):,.{places}f}"
    if places:
        text = text.rstrip("0").rstrip(".")
    if str(get_locale() or DEFAULT) == "vi":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return text


def labels_in_language() -> Callable[[str], str]:
    """A gettext for one page's repeated labels (a category, a kind of deadline on each of 100 rows): each
    label translated once per render. Its result is plain text, escaped as usual; only for our labels."""
    cache: dict[str, str] = {}

    def translate(label: str) -> str:
        if label not in cache:
            cache[label] = label_text(label)
        return cache[label]
    return translate


def labels_of(labels: Mapping[str, str]) -> dict[str, str]:
    """A vocabulary's labels in the page's language, by key: a page translates them once, then looks them up."""
    return {key: label(text) for key, text in labels.items()}


def N_(message: str) -> str:
    """Mark a label for the catalogue without translating it here: vocabularies stay plain Vietnamese
    strings (exports and the API use them as they are); pages translate them as they show them."""
    _VOCABULARY.add(message)
    return message


# Every label marked with N_ (at import, in the vocabularies' dicts): the only texts label() translates.
_VOCABULARY: set[str] = set()
_log = logging.getLogger(__name__)


def label(text: str, **variables: object) -> str:
    """The one door to the catalogue for non-literal text: a vocabulary label (marked with N_) in the
    page's language, as plain text (escaped like any data). Data never reaches gettext: anything else
    is refused (an error under test or debug, else logged and returned untranslated)."""
    text = str(text)
    if text not in _VOCABULARY:
        if has_app_context() and (current_app.testing or current_app.debug):
            raise ValueError(f"not a vocabulary label: {text[:60]!r}")
        _log.warning("label() refused a text that is not a vocabulary label")
        return text % variables if variables else text
    return str(gettext(text, **variables))  # the one non-literal gettext (test_hostile's AST check)


label_text = label  # labels_in_language names its argument `label`


def lazy_label(text: str) -> LazyString:
    """label() evaluated when shown (form choices built at import); refuses non-labels at once."""
    if text not in _VOCABULARY:
        raise ValueError(f"not a vocabulary label: {text[:60]!r}")
    return LazyString(label, text)
