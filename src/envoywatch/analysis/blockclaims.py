"""Find self-reports of being blocked ("he blocked me", «меня заблокировали», 我被拉黑了) in post text.

Pure functions, no models: a claim needs a block verb whose patient is the writer
(me, my account, we), in a past or present state, not negated and not a wish or a threat.
"I blocked them", "police blocked the road", "block this account" and blockchain are not claims.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from envoywatch.analysis.patterns import compile_guarded

MAX_SCAN = 5_000  # characters of one post scanned: a claim sits near the start of a reply

_F = re.IGNORECASE | re.UNICODE
_MENTION = re.compile(r"@([A-Za-z0-9_][A-Za-z0-9_.\-]{0,49})")
_SENT_SPLIT = re.compile(r"(?<=[.!?。！？\n])\s*")

# --- English --------------------------------------------------------------------------
_EN_VERB = r"(?:blocked|banned|blacklisted|muted\s+and\s+blocked)"
_EN = [
    # "(he|they|the embassy|@x) (has|just|also) blocked me"
    rf"\b{_EN_VERB}\s+(?:me|my\s+(?:account|profile)|us)\b",
    # "I (have|was|got|am|'ve been) blocked", "I'm blocked", "we all got blocked"
    rf"\b(?:i|we)(?:\s+all|\s+too|\s+also|\s+just|\s+now)?(?:'m|'ve\s+been|\s+am|\s+was|\s+were|\s+got|\s+have\s+been|\s+had\s+been|\s+'ve\s+been|\s+just\s+got)"
    rf"(?:\s+(?:just|also|now|officially|finally|too))?\s+{_EN_VERB}\b",
    # "my account (was|got|has been) blocked"
    rf"\bmy\s+(?:account|profile|handle)\s+(?:was|got|has\s+been|is)\s+(?:now\s+)?{_EN_VERB}\b",
    # reply that starts with the verb: "Blocked me within five minutes", "Was blocked for this reply"
    rf"^\W*(?:(?:just|got|was|been|also|me\s+too,?|same(?:\s+here)?,?)\s+)*{_EN_VERB}\b(?!\s+(?:the|a|an|this|that|his|her|their|its|them|him)\b)",
    r"\b(?:i'm|i\s+am|we're|we\s+are)\s+(?:now\s+)?(?:on|in)\s+(?:their|his|her|the\s+\w+'s|the)\s+(?:block\s*list|blacklist)",
]
_EN_NEG = re.compile(
    r"\b(?:not|never|n't|didn't|hasn't|haven't|won't|wouldn't|if|unless|when\s+will|will|gonna|might|may|to\s+be|should|could)\b[\w\s',]{0,20}$",
    _F,
)

# --- Russian --------------------------------------------------------------------------
_RU_VERB = (
    r"(?:за)?(?:блокировал[аио]?|блокнул[аио]?|блочил[аио]?|банил[аио]?|банили|блочили|блокировали)"
)
_RU_PAST = rf"(?:за{_RU_VERB.removeprefix('(?:за)?')}|забанил[аио]?|забанили|заблочил[аио]?|заблочили|заблокал[аио]?)"
_RU_LIST = r"(?:чс|ч\.с\.|ч[её]рн(?:ый|ом)\s+спис(?:ок|ке|ку)|бан[е]?|блок[е]?|игнор[е]?|блэклист[е]?)"
_RU = [
    rf"\bменя\s+(?:\w+\s+){{0,3}}?{_RU_PAST}",
    rf"{_RU_PAST}\s+(?:\w+\s+){{0,2}}?(?:меня|мой\s+акк\w*|нас)\b",
    r"\b(?:я|мы)\s+(?:\w+\s+){0,2}?(?:заблокирован[аоы]?|забанен[аоы]?|в\s+блоке|в\s+бане|в\s+чс)",
    rf"\b(?:я|мы|меня|нас)\s+(?:\w+\s+){{0,3}}?(?:попал[аи]?|оказал(?:ся|ась|ись)|угодил[аи]?|улетел[аи]?|отправил[аи]?|кинул[аи]?|добавил[аи]?|внес(?:ли|ла)?)\s+(?:\w+\s+){{0,2}}?(?:в|во)\s+{_RU_LIST}",
    rf"^\W*(?:\w+\s+){{0,2}}?(?:попал[аи]?|кинули|отправили|добавили|внесли|улетел[аи]?|оказал(?:ся|ась|ись))\s+(?:\w+\s+){{0,2}}?в\s+{_RU_LIST}",
    r"\bмой\s+(?:акк\w*|профиль)\s+(?:\w+\s+){0,3}?(?:заблокирова\w*|забанил\w*|забанен\w*|заблочил\w*)",
    r"(?:^|[.!?]\s*)\W*(?:тоже\s+|уже\s+|и\s+)?(?:заблокировали|забанили|заблочили)\b(?!\s+(?:его|её|ее|их|этот|эту|это|дорогу|резолюцию))",
    r"\b(?:у\s+меня|получил[аи]?)\s+(?:\w+\s+){0,2}?(?:блок|бан)\b",
]
_RU_NEG = re.compile(
    r"(?:\bне|\bни|\bесли|\bпусть|\bпока\s+не|\bскоро|\bсейчас|\bчтобы|\bможет|\bнадо|\bнужно)\b[\w\s,]{0,12}$",
    _F,
)

# --- Kazakh (Cyrillic, and Latin as many write it) ------------------------------------
_KK_STEM = r"(?:бұғатта|бугатта|блокта|блоктa|банда|bugatta|buğatta|blokta|banda)"
_KK_PAST = r"(?:п\s+тастады|п\s+тастапты|п\s+тастаған|ды|дыңыз|дың|дыңдар|пты|ған|p\s+tastady|p\s+tastapty|dy|dyńyz|dynyz|pty)"
_KK = [
    rf"(?:мені|бізді|meni|bizdi)\s+(?:\w+\s+){{0,3}}?{_KK_STEM}{_KK_PAST}",
    r"(?:бұғатталдым|бұғатталдық|бұғатталып\s+қалдым|блокталдым|блокталып\s+қалдым|bugattaldym|blоktaldym|bloktaldym)",
    r"(?:мені|бізді|meni|bizdi)\s+(?:\w+\s+){0,2}?(?:блокқа|бұғатқа|банға|қара\s+тізімге|blokqa|qara\s+tizimge)\s+(?:салды|салыпты|салған|салып\s+тастады|салып\s+тастапты|енгізді|енгізіпті|кіргізді|қосты|қосып\s+тастады|saldy|salyp\s+tastady|engizdi)",
    r"(?:мен|біз|men|biz)\s+(?:\w+\s+){0,2}?(?:блоктамын|блоктамыз|бұғаттамын|блокқа\s+түстім|бұғатқа\s+түстім|қара\s+тізімге\s+(?:түстім|ендім|кірдім)|bloktamyn)",
    r"^\W*(?:блоктамын|блоктамыз|блокқа\s+түстім|бұғатқа\s+түстім)",
]
_KK_NEG = re.compile(r"(?:жоқ|емес|сін|сын|са|се|бұғаттай\s+берсін)\b", _F)

# --- Chinese --------------------------------------------------------------------------
_ZH_VERB = r"(?:拉黑|屏蔽|封禁|block|拉入黑名单|加入黑名单|关进小黑屋)"
_ZH = [
    rf"被[^，。！？,.!?]{{0,16}}?{_ZH_VERB}",
    rf"把(?:我|我们|俺)[^，。！？,.!?]{{0,4}}?{_ZH_VERB}",
    rf"{_ZH_VERB}了(?:我|我们|俺)",
    r"(?:我|我们|俺)[^，。！？,.!?]{0,3}?(?:进了|上了|在)[^，。！？,.!?]{0,8}?(?:黑名单|小黑屋)",
    r"又被拉黑一个",
]
_ZH_NEG = re.compile(r"(?:没|沒|不|未|别|別|会|會|要|如果|就怕|可能|应该|應該)[^，。！？]{0,3}$")
_ZH_THIRD = re.compile(r"(?:他|她|它|你|他们|她们|这人|那人)[也都又]?$")

_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "en": [re.compile(p, _F | re.MULTILINE) for p in _EN],
    "ru": [re.compile(p, _F | re.MULTILINE) for p in _RU],
    "kk": [re.compile(p, _F | re.MULTILINE) for p in _KK],
    "zh": [re.compile(p, _F) for p in _ZH],
}
_NEG = {"en": _EN_NEG, "ru": _RU_NEG, "kk": None, "zh": _ZH_NEG}
# Every pattern above needs one of these stems (a block verb, list or ban word); a post with
# none of them, nearly every post, is passed after one search instead of 23 pattern scans.
_ANY_STEM = compile_guarded(
    r"блок|блоч|бан|чс|ч\.с|черн|игнор|блэк|block|bann|blacklist|бұғат|бугат|bugat|buğat|blok|blоk|band"
    r"|тізім|tizim|拉黑|屏蔽|封禁|黑名单|小黑屋",
    _F,
)

_SCREENSHOT = re.compile(
    r"screen\s*shot|screen\s*cap|\bscreen\b|\bproof\s+(?:below|attached)|see\s+(?:the\s+)?(?:pic|image|photo)"
    r"|скрин\w*|скриншот\w*|снимок\s+экрана|см\.?\s+фото|на\s+фото|фото\s+прилага\w*"
    r"|скриншот\w*|skrin\w*|суретте|суретін|截图|截屏|截圖|有图|附图|图为证|見圖|见图",
    _F,
)
_ADDRESSEE = re.compile(
    r"\b(?:you|he|she|they|the\s+(?:ambassador|embassy|envoy|diplomat|consulate))\b"
    r"|\b(?:вы|ты|он|она|они|посол\w*|посольств\w*|дипломат\w*|консульств\w*)\b"
    r"|(?:сіз|сен|ол|олар|елші\w*|елшілік\w*)"
    r"|(?:你|您|他|她|大使|使馆|大使馆|外交官)",
    _F,
)
_TO_LATIN = str.maketrans({"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i"})
_MIXED_WORD = re.compile(r"\b(?=\w*[a-zA-Z])(?=\w*[аеорсхуі])\w+\b")
_LOOKALIKE_CYR = re.compile("[аеорсхуі]")  # a text without any has no mixed word: one quick scan


@dataclass(frozen=True, slots=True)
class BlockClaim:
    """One self-report of being blocked, with the phrase that shows it."""

    evidence: str
    lang: str
    blocked_by: str | None = None
    screenshot: bool | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "blocked_by": self.blocked_by,
            "screenshot": self.screenshot,
            "evidence": self.evidence,
            "lang": self.lang,
        }


def _latinize(m: re.Match[str]) -> str:
    """Cyrillic look-alikes typed inside a Latin-script word ("blоktady" with a Cyrillic о)."""
    word = m.group(0)
    latin = sum(c.isascii() for c in word)
    return word.translate(_TO_LATIN) if latin > len(word) / 2 else word


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_SCAN]
    if _LOOKALIKE_CYR.search(text):
        text = _MIXED_WORD.sub(_latinize, text)
    return text.replace("ё", "е").replace("Ё", "Е")


def _negated(lang: str, text: str, start: int) -> bool:
    before = text[max(0, start - 40) : start]
    before = _SENT_SPLIT.split(before)[-1]
    if lang == "kk":
        return False
    neg = _NEG.get(lang)
    if neg is not None and neg.search(before):
        return True
    return False


def _inner_negated(lang: str, match: str, before: str) -> bool:
    """Negation or a third-person patient inside or right before the matched phrase."""
    if lang == "ru":
        return bool(re.search(r"\b(?:не|ни|пока\s+не)\b", match, _F))
    if lang == "en":
        return bool(re.search(r"\b(?:not|never)\b|n't\b", match, _F))
    if lang == "zh" and match.startswith("被"):
        return bool(_ZH_THIRD.search(before[-4:]) or "谁" in before)
    return False


def _kk_negated(match: str) -> bool:
    """Kazakh negates and wishes with suffixes and particles inside the matched phrase."""
    return bool(re.search(r"(?:маған\s+жоқ|ған\s+жоқ|ды\s+ма|ма\?|май|мей|бай|пай|сын)$", match))


def _scan(text: str, lang: str) -> re.Match[str] | None:
    for pat in _PATTERNS[lang]:
        for m in pat.finditer(text):
            if _negated(lang, text, m.start()):
                continue
            if _inner_negated(lang, m.group(0), text[max(0, m.start() - 6) : m.start()]):
                continue
            if lang == "kk" and (_kk_negated(m.group(0)) or _KK_NEG.search(text[m.end() : m.end() + 5] or "")):
                continue
            return m
    return None


def _langs_to_try(lang: str | None) -> list[str]:
    """The stated language first, then the others: replies mix scripts and languages freely."""
    order = ["ru", "kk", "en", "zh"]
    if lang in order:
        order.remove(lang)
        order.insert(0, lang)
    return order


def _blocked_by(text: str, m: re.Match[str], parent_account: str | None) -> str | None:
    window = text[max(0, m.start() - 60) : m.end() + 60]
    mentions = _MENTION.findall(window)
    if mentions:
        return mentions[0]
    if parent_account and _ADDRESSEE.search(text[max(0, m.start() - 40) : m.end() + 10]):
        return parent_account
    return None


def find_block_claim(
    text: str, lang: str | None = None, parent_account: str | None = None
) -> BlockClaim | None:
    """Return the first self-report of being blocked in `text`, or None."""
    clean = _clean(text)
    if not clean.strip() or not _ANY_STEM.search(clean):
        return None
    for code in _langs_to_try(lang):
        m = _scan(clean, code)
        if m is None:
            continue
        shot = True if _SCREENSHOT.search(clean) else None
        return BlockClaim(
            evidence=m.group(0).strip(),
            lang=code,
            blocked_by=_blocked_by(clean, m, parent_account),
            screenshot=shot,
        )
    return None


def is_block_claim(text: str, lang: str | None = None) -> bool:
    """True when `text` reports that its writer was blocked."""
    return find_block_claim(text, lang) is not None
