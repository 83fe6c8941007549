"""The programme's own duty line, from configuration, listed among the crisis contacts."""

from __future__ import annotations

from youthapp.content.model import DEFAULT_LANGUAGE, DUTY_LINE_ID, Channel, CrisisContact, DutyLine

_DUTY_LINE_WORDS = {
    "en": {
        "name": "Your programme's duty line",
        "summary": (
            "Talk to the programme's duty worker when something is worrying you or you need "
            "your mentor and cannot reach them. If you are in danger right now, call 999."
        ),
        "label": "Call the duty line",
        "hours_unknown": "Ask your mentor when the duty line is answered.",
    },
    "pl": {
        "name": "Dyżurny telefon programu",
        "summary": (
            "Zadzwoń do dyżurnego pracownika programu, gdy coś cię martwi albo nie możesz "
            "skontaktować się ze swoim mentorem. Jeśli grozi ci niebezpieczeństwo teraz, "
            "dzwoń pod 999."
        ),
        "label": "Zadzwoń na dyżur",
        "hours_unknown": "Zapytaj mentora, w jakich godzinach działa dyżur.",
    },
}


def duty_line_contact(duty_line: DutyLine) -> CrisisContact:
    """The programme's duty line as a crisis contact, listed right after 999."""
    english = _DUTY_LINE_WORDS[DEFAULT_LANGUAGE]
    digits = duty_line.phone.replace(" ", "")
    channel = Channel(
        kind="phone",
        value=duty_line.phone,
        label=english["label"],
        hours=duty_line.hours or english["hours_unknown"],
        always_open=False,
        # Ofcom: 080 numbers and 116 numbers are free from landlines and mobiles.
        cost="free" if digits.startswith(("080", "116")) else "standard_rate",
    )
    translations = {
        lang: {
            "name": words["name"],
            "summary": words["summary"],
            "channels": [
                {"label": words["label"], "hours": duty_line.hours or words["hours_unknown"]}
            ],
        }
        for lang, words in _DUTY_LINE_WORDS.items()
        if lang != DEFAULT_LANGUAGE
    }
    return CrisisContact(
        id=DUTY_LINE_ID,
        name=english["name"],
        summary=english["summary"],
        order=15,
        emergency=False,
        channels=(channel,),
        source_url=None,
        last_reviewed=None,
        from_configuration=True,
        translations=translations,
    )
