"""Whole conversations in customers' own words, driven over REST against the real product.

A conversation file (``dialogues/fr.yml``, ``held_out/en.yml``…) is a YAML list; each
conversation says:

```yaml
- name: le colis est en retard, elle demande où il en est   # unique in its file
  flow: order_status            # one of FLOWS: the README's "What customers can say"
  tags: [typos, no_accents]     # optional, from TAGS
  setup:                        # optional: what the shop and others did before
    name: Léa Martin            # the customer's name (default: one per language)
    profile_language: fr        # the shop's language for them (default: the file's)
    purchases:                  # the shop's purchase events, in this order
      - order: CMD-48213        # as the shop writes it; unique within a set
        items: [Lampe de chevet]
        total: 59.90            # default 40
        days_ago: 2             # when it was bought (default 0)
        status: shipped         # placed (default), shipped, delivered, cancelled, refunded
    co_buyers:                  # other customers' baskets (for recommendations)
      - [Lampe de chevet, Ampoule LED]
    ideas: [Un rayon vrac]      # published ideas by other customers (for votes)
    leaderboard: [Chloé Dubois] # other customers who joined the leaderboard
    review: {order: CMD-48213, rating: 5, text: Très belle lampe}  # left earlier, pending
    said: [j'accepte vos nouvelles]  # said earlier in the chat, not checked
  turns:
    - user: ou en est ma commande 48213 svp      # what the customer types
      expect: [CMD-48213, route]                 # all of these in the answer
    - click: "4"                                 # or a button of the last answer, by title
      expect_any: [merci, thanks]                # at least one of these
      expect_re: "\\b30 points\\b"               # a regular expression
      expect_not: [Pardon]                       # none of these
    - user: bonjour ?
      silent: true                               # no answer at all (the bot stepped back)
    - user: CMD-48213
      when: "quelle commande"                    # only if the last answer asks for it (a
                                                 # question the assistant may rightly skip)
    - user: lier mon compte
      capture: {code: "\\b(\\d{6})\\b"}          # {code} in later turns
    - user: mon code c'est {code}
      anonymous: true                            # from another app, no customer token
  goal:                                          # what the customer came for, read back
    review: {order: CMD-48213, rating: 4}        # from the admin API (see GOALS)
    told: ["{points} points"]                    # the bot said it, figures from the API
```

Answers are compared case-insensitively, with Unicode compatibility forms folded (a
non-breaking space is a space, ’ is '), so that expectations are about meaning, not
typography. ``run`` plays one conversation and returns its ``Outcome``: the first turn that
went wrong, the goal's verdict and the whole transcript.
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import as_customer
from tests.product import Fusion, admin, shop_event, user_messages

HERE = Path(__file__).parent
DIALOGUES = HERE / "dialogues"
HELD_OUT = HERE / "held_out"

# The README's table "What customers can say", one name per row (and the rows of the
# second table), plus the language switch and help that every conversation may use.
FLOWS = (
    "order_status", "points", "badges", "coupons", "progress", "why_no_points", "review",
    "idea", "browse_ideas", "vote", "opt_in", "opt_out", "export", "join_club",
    "report_problem", "referral", "share", "leaderboard", "recommendations", "delete",
    "handoff", "link_account", "language_switch", "help",
)  # fmt: skip
TAGS = (
    "interruption",  # a question in the middle of a form, then going on
    "correction",  # "non, pas celle-là": the customer corrects what they said
    "language_switch",  # the language changes in the middle of the conversation
    "typos", "no_accents", "lowercase", "emoji", "long",  # the way customers type
    "anonymous",  # part of it without a customer token
    "buttons",  # the customer clicks the buttons offered
    "cancel",  # the customer gives up a form or a request
)  # fmt: skip
STATUSES = {"placed": None, "shipped": "shipment", "delivered": "delivery",
            "cancelled": "cancellation", "refunded": "refund"}  # fmt: skip
DEFAULT_NAMES = {"fr": "Léa Martin", "en": "Emma Stone"}
OTHER_NAMES = ("Chloé Dubois", "Hugo Bernard", "Inès Petit", "Tom Leroy", "Zoé Moreau")

_CONVERSATION_KEYS = {"name", "flow", "tags", "setup", "turns", "goal", "note"}
_SETUP_KEYS = {"name", "profile_language", "purchases", "co_buyers", "ideas", "leaderboard",
               "review", "said"}  # fmt: skip
_PURCHASE_KEYS = {"order", "items", "total", "days_ago", "status"}
_TURN_KEYS = {"user", "click", "when", "anonymous", "expect", "expect_any", "expect_re",
              "expect_not", "silent", "capture", "note"}  # fmt: skip


class DialogueFileError(ValueError):
    """A conversation file that does not say what the driver can play."""


# --- the format -------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchase:
    order: str
    items: tuple[str, ...]
    total: float = 40.0
    days_ago: int = 0
    status: str = "placed"


@dataclass(frozen=True)
class Setup:
    name: str
    profile_language: str
    purchases: tuple[Purchase, ...] = ()
    co_buyers: tuple[tuple[str, ...], ...] = ()
    ideas: tuple[str, ...] = ()
    leaderboard: tuple[str, ...] = ()
    review: Mapping[str, Any] | None = None
    said: tuple[str, ...] = ()


@dataclass(frozen=True)
class Turn:
    line: int
    user: str | None = None
    click: str | None = None
    anonymous: bool = False
    expect: tuple[str, ...] = ()
    expect_any: tuple[str, ...] = ()
    expect_re: str | None = None
    expect_not: tuple[str, ...] = ()
    silent: bool = False
    capture: Mapping[str, str] = field(default_factory=dict)
    when: str | None = None  # said only if the last answer asks for it (matches this regex)


@dataclass(frozen=True)
class Conversation:
    name: str
    flow: str
    language: str
    source: Path
    line: int
    setup: Setup
    turns: tuple[Turn, ...]
    goal: Mapping[str, Any]
    tags: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{_relative(self.source)}:{self.line}"

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", _ascii(_fold(self.name))).strip("-")
        return f"{self.language}-{slug}"

    @property
    def orders(self) -> list[str]:
        return [purchase.order for purchase in self.setup.purchases]


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line (1-based) under ``__line__``."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return dict(mapping)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def language_of_file(path: Path) -> str:
    """``fr.yml``, ``known_failures_en.yml``: the language is the name's last part."""
    language = path.stem.rsplit("_", 1)[-1]
    if language not in DEFAULT_NAMES:
        raise DialogueFileError(f"{path}: the file name must end with _fr or _en (or be fr/en)")
    return language


def load(path: Path) -> list[Conversation]:
    """The conversations of one file, checked: unknown keys, flows or tags are errors."""
    language = language_of_file(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except yaml.YAMLError as exc:  # a ": " or " #" in an unquoted text, say
        raise DialogueFileError(f"{_relative(path)} is not valid YAML: {exc}") from None
    if not isinstance(data, list):
        raise DialogueFileError(f"{path}: a list of conversations is expected")
    conversations = [_conversation(path, language, raw) for raw in data]
    ids = [c.id for c in conversations]
    if duplicates := {c.name for c in conversations if ids.count(c.id) > 1}:
        raise DialogueFileError(f"{path}: conversation names used twice: {sorted(duplicates)}")
    return conversations


def load_all(paths: Iterable[Path]) -> list[Conversation]:
    """Conversations of several files played against one product: order ids must not be
    shared (an order belongs to one customer)."""
    conversations = [c for path in paths for c in load(path)]
    seen: dict[str, str] = {}
    for conversation in conversations:
        for order in conversation.orders:
            if order.upper() in seen:
                first = seen[order.upper()]
                raise DialogueFileError(f"{conversation.where}: order {order} is bought in {first}")
            seen[order.upper()] = conversation.where
    return conversations


def _conversation(path: Path, language: str, raw: Any) -> Conversation:
    where = f"{_relative(path)}:{raw.get('__line__', '?') if isinstance(raw, dict) else '?'}"
    if not isinstance(raw, dict):
        raise DialogueFileError(f"{where}: a conversation is a mapping")
    _known(raw, _CONVERSATION_KEYS, where)
    for key in ("name", "flow", "turns", "goal"):
        if not raw.get(key):
            raise DialogueFileError(f"{where}: '{key}' is missing")
    if raw["flow"] not in FLOWS:
        raise DialogueFileError(f"{where}: unknown flow {raw['flow']!r} (one of {FLOWS})")
    tags = tuple(raw.get("tags") or ())
    if unknown := [tag for tag in tags if tag not in TAGS]:
        raise DialogueFileError(f"{where}: unknown tags {unknown} (from {TAGS})")
    goal = _plain(raw["goal"])
    if unknown := [key for key in goal if key not in GOALS]:
        raise DialogueFileError(f"{where}: unknown goal {unknown} (from {sorted(GOALS)})")
    return Conversation(
        name=str(raw["name"]), flow=raw["flow"], language=language, source=path,
        line=raw["__line__"], setup=_setup(raw.get("setup") or {}, language, where),
        turns=tuple(_turn(turn, where) for turn in raw["turns"]), goal=goal, tags=tags,
    )  # fmt: skip


def _setup(raw: dict[str, Any], language: str, where: str) -> Setup:
    _known(raw, _SETUP_KEYS, where)
    purchases = []
    for bought in raw.get("purchases") or ():
        _known(bought, _PURCHASE_KEYS, where)
        if bought.get("status", "placed") not in STATUSES:
            raise DialogueFileError(f"{where}: unknown status {bought['status']!r}")
        purchases.append(Purchase(
            order=str(bought["order"]), items=tuple(bought.get("items") or ("Article",)),
            total=float(bought.get("total", 40.0)), days_ago=int(bought.get("days_ago", 0)),
            status=bought.get("status", "placed"),
        ))  # fmt: skip
    review = raw.get("review")
    return Setup(
        name=raw.get("name", DEFAULT_NAMES[language]),
        profile_language=raw.get("profile_language", language),
        purchases=tuple(purchases),
        co_buyers=tuple(tuple(basket) for basket in raw.get("co_buyers") or ()),
        ideas=tuple(raw.get("ideas") or ()), leaderboard=tuple(raw.get("leaderboard") or ()),
        review=_plain(review) if review else None,
        said=tuple(raw.get("said") or ()),
    )  # fmt: skip


def _turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise DialogueFileError(f"{where}: a turn is a mapping with 'user' or 'click'")
    _known(raw, _TURN_KEYS, f"{where} (turn at line {raw.get('__line__')})")
    if ("user" in raw) == ("click" in raw):
        raise DialogueFileError(f"{where}: line {raw['__line__']}: 'user' or 'click', not both")
    for pattern in (raw.get("expect_re"), raw.get("when")):
        if pattern:
            re.compile(pattern)
    return Turn(
        line=raw["__line__"],
        user=None if raw.get("user") is None else str(raw["user"]),
        click=None if raw.get("click") is None else str(raw["click"]),
        anonymous=bool(raw.get("anonymous")), expect=_strings(raw.get("expect")),
        expect_any=_strings(raw.get("expect_any")), expect_re=raw.get("expect_re"),
        expect_not=_strings(raw.get("expect_not")), silent=bool(raw.get("silent")),
        capture=_plain(raw.get("capture") or {}), when=raw.get("when"),
    )  # fmt: skip


def _plain(value: Any) -> Any:
    """``value`` without the ``__line__`` keys the loader added."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (str(value),) if isinstance(value, str | int | float) else tuple(map(str, value))


def _known(raw: Mapping[str, Any], keys: set[str], where: str) -> None:
    if unknown := set(raw) - keys - {"__line__"}:
        raise DialogueFileError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(keys)})")


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(HERE.parent.parent))
    except ValueError:
        return str(path)


def fold(text: str) -> str:
    """What answers and expectations are compared as: compatibility forms, one kind of
    apostrophe and quote, case folded (accents are kept: "ete" is not "été")."""
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return text.replace("’", "'").replace("«", '"').replace("»", '"').casefold()


# --- playing a conversation --------------------------------------------------------------


@dataclass
class Outcome:
    conversation: Conversation
    customer: str
    transcript: list[str] = field(default_factory=list)
    failure: str | None = None  # the first turn (or setup step) that went wrong
    goal_failures: list[str] = field(default_factory=list)
    turns_played: int = 0

    @property
    def success(self) -> bool:
        return self.failure is None and not self.goal_failures

    def report(self) -> str:
        c = self.conversation
        lines = [f"{c.where} [{c.language}] {c.name} (flow {c.flow}, customer {self.customer})"]
        lines += [f"  {line}" for line in self.transcript]
        if self.failure:
            lines.append(f"✗ {self.failure}")
        lines += [f"✗ goal: {failure}" for failure in self.goal_failures]
        if self.success:
            lines.append("✓ every answer as expected, goal reached")
        return "\n".join(lines)


class Step(AssertionError):
    """A turn or setup step that did not go as the conversation expects."""


def run(fusion: Fusion, conversation: Conversation) -> Outcome:
    """Plays ``conversation`` as a new customer; stops at the first unexpected answer (the
    customer would not go on as written) and checks the goal only when every turn went as
    expected."""
    customer = f"dlg-{uuid.uuid4().hex[:10]}"
    outcome = Outcome(conversation, customer)
    player = _Player(fusion, conversation, customer, outcome.transcript)
    try:
        player.set_up()
    except Exception as exc:  # a refused event too: shown with the transcript
        outcome.failure = f"setup: {_problem(exc)}"
        return outcome
    for number, turn in enumerate(conversation.turns, 1):
        try:
            player.play(turn)
        except Exception as exc:  # a server error too: shown with the transcript
            where = f"{_relative(conversation.source)}:{turn.line}"
            outcome.failure = f"turn {number} ({where}): {_problem(exc)}"
            return outcome
        outcome.turns_played = number
    try:
        outcome.goal_failures = check_goal(fusion, conversation, customer, player)
    except Exception as exc:  # the admin API failing: said so
        outcome.goal_failures = [f"could not be read: {_problem(exc)}"]
    return outcome


def _problem(exc: Exception) -> str:
    return str(exc) if isinstance(exc, Step) else f"{type(exc).__name__}: {exc}"


class _Player:
    def __init__(self, fusion: Fusion, conversation: Conversation, customer: str,
                 transcript: list[str]) -> None:  # fmt: skip
        self.fusion = fusion
        self.conversation = conversation
        self.customer = customer
        self.transcript = transcript
        self.anonymous_sender = f"app-{uuid.uuid4().hex}"
        self.captured: dict[str, str] = {}
        self.last: list[dict[str, Any]] = []
        self.said_by_bot: list[str] = []
        # each conversation's items are its own (recommendations are by sku)
        self.sku_salt = uuid.uuid4().hex[:6]

    # setup

    def set_up(self) -> None:
        setup, language = self.conversation.setup, self.conversation.language
        for n, basket in enumerate(setup.co_buyers):
            other = f"{self.customer}-co{n}"
            self.buy(other, Purchase(f"{other}-order", basket), OTHER_NAMES[n % 5], language)
        for purchase in setup.purchases:
            self.buy(self.customer, purchase, setup.name, setup.profile_language)
        for n, title in enumerate(setup.ideas):
            self.publish_idea(f"{self.customer}-idea{n}", title)
        for n, name in enumerate(setup.leaderboard):
            self.join_leaderboard(f"{self.customer}-lb{n}", name)
        if setup.review:
            self.leave_review(setup.review)
        for text in setup.said:
            self.transcript.append(f"[setup] customer> {text}")
            for message in self.fusion.messages(text, headers=as_customer(self.customer)):
                self.transcript.append(f"[setup]      bot> {_shown(message)}")

    def buy(self, customer: str, purchase: Purchase, name: str, language: str) -> None:
        at = datetime.now(timezone.utc) - timedelta(days=purchase.days_ago)
        each = round(purchase.total / len(purchase.items), 2)
        lines = [{"sku": self.sku(item), "name": item, "quantity": 1, "price": each}
                 for item in purchase.items]  # fmt: skip
        order = {"id": purchase.order, "total": purchase.total, "currency": "EUR",
                 "items": lines}  # fmt: skip
        who = {"id": customer, "name": name, "language": language}
        shop_event(self.fusion, {"id": f"buy-{purchase.order}", "type": "purchase",
                                 "occurred_at": at.isoformat(), "customer": who,
                                 "order": order})  # fmt: skip
        if kind := STATUSES[purchase.status]:
            later = min(at + timedelta(days=1), datetime.now(timezone.utc))
            if kind in ("delivery", "refund"):  # shipped first
                shop_event(self.fusion, {"id": f"ship-{purchase.order}", "type": "shipment",
                                         "occurred_at": later.isoformat(), "customer": who,
                                         "order": order})  # fmt: skip
            shop_event(self.fusion, {"id": f"{kind}-{purchase.order}", "type": kind,
                                     "occurred_at": later.isoformat(), "customer": who,
                                     "order": order})  # fmt: skip
        if customer == self.customer:
            days = f", {purchase.days_ago} day(s) ago" if purchase.days_ago else ""
            self.transcript.append(
                f"[setup] bought {purchase.order} ({', '.join(purchase.items)}) "
                f"{purchase.total:.2f} €{days}, {purchase.status}"
            )

    def sku(self, item: str) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", _ascii(item)).strip("-")[:40].upper()
        return f"{slug}-{self.sku_salt}"

    def chat_as(self, customer: str, texts: Iterable[str]) -> list[str]:
        answers = []
        for text in texts:
            said = self.fusion.messages(text, headers=as_customer(customer))
            answers.append("\n".join(m.get("text", "") for m in said))
        return answers

    def publish_idea(self, author: str, title: str) -> None:
        language = self.conversation.language
        self.buy(author, Purchase(f"{author}-order", ("Article",)), OTHER_NAMES[0], language)
        # set-up goes by the buttons' payloads: what is tested is the conversation, not this
        description = ("Ce serait vraiment pratique pour tout le monde." if language == "fr"
                       else "It would be really handy for everyone.")  # fmt: skip
        answers = self.chat_as(author, ["/submit_idea", title, description])
        queue = admin(self.fusion, "GET", "/api/v1/contributions?kind=idea").json()
        theirs = [c for c in queue["contributions"] if c["customer_id"] == author]
        if not theirs:
            raise Step(f"the idea «{title}» of another customer was not recorded: {answers}")
        moderation = f"/api/v1/contributions/{theirs[0]['id']}/moderation"
        moderated = admin(self.fusion, "POST", moderation, json={"decision": "approve"})
        if moderated.status_code != 200:
            raise Step(f"approving «{title}»: {moderated.status_code} {moderated.text}")
        self.transcript.append(f"[setup] another customer's idea «{title}» is published")

    def join_leaderboard(self, other: str, name: str) -> None:
        language = self.conversation.language
        self.buy(other, Purchase(f"{other}-order", ("Article",), total=80), name, language)
        answers = self.chat_as(other, ["/leaderboard", "/affirm"])
        profile = admin(self.fusion, "GET", f"/api/v1/customers/{other}/export").json()
        if not profile["profile"]["leaderboard_name"]:
            raise Step(f"{name} could not join the leaderboard: {answers}")
        self.transcript.append(f"[setup] {name} is on the leaderboard")

    def leave_review(self, review: Mapping[str, Any]) -> None:
        language = self.conversation.language
        texts = [
            "/leave_review",
            str(review["order"]),
            str(review.get("rating", 5)),
            str(review.get("text", "Très bien" if language == "fr" else "Very good")),
        ]
        answers = self.chat_as(self.customer, texts)
        export = admin(self.fusion, "GET", f"/api/v1/customers/{self.customer}/export").json()
        if not [c for c in export["contributions"] if c["kind"] == "review"]:
            said = list(zip(texts, answers, strict=True))
            raise Step(f"the earlier review was not recorded: {said}")
        self.transcript.append(
            f"[setup] earlier in the chat they reviewed {review['order']} (pending moderation)"
        )

    # turns

    def play(self, turn: Turn) -> None:
        if turn.when is not None:
            asked = "\n".join(_shown(m) for m in self.last)
            if not re.search(_fold(turn.when), _fold(asked), re.S):
                unsaid = turn.user if turn.click is None else f"[clicks «{turn.click}»]"
                self.transcript.append(f"(not asked /{turn.when}/, so not said: {unsaid})")
                return
        if turn.click is not None:
            text = self.payload_of(turn.click)
            shown = f"[clicks «{turn.click}» → {text}]"
        else:
            text = self.fill(turn.user or "")
            shown = text
        who = "customer (no token)" if turn.anonymous else "customer"
        self.transcript.append(f"{who}> {shown}")
        if turn.anonymous:
            answer = self.fusion.messages(text, sender=self.anonymous_sender)
        else:
            answer = self.fusion.messages(text, headers=as_customer(self.customer))
        self.last = answer
        for message in answer or [{"text": "(no answer)"}]:
            self.transcript.append(f"     bot> {_shown(message)}")
        said = "\n".join(m.get("text", "") for m in answer)
        self.said_by_bot.append(said)
        self.expect(turn, said)
        for name, pattern in turn.capture.items():
            found = re.search(pattern, said)
            if not found:
                raise Step(f"nothing to capture as {{{name}}} with /{pattern}/")
            self.captured[name] = found.group(1) if found.groups() else found.group(0)

    def expect(self, turn: Turn, said: str) -> None:
        folded = _fold(said)
        if turn.silent:
            if said.strip():
                raise Step("expected no answer (the assistant steps back)")
            return
        if not said.strip():
            raise Step("no answer at all")
        missing = [e for e in turn.expect if _fold(self.fill(e)) not in folded]
        if missing:
            raise Step(f"expected {missing} in the answer")
        if turn.expect_any and not any(_fold(self.fill(e)) in folded for e in turn.expect_any):
            raise Step(f"expected one of {list(turn.expect_any)} in the answer")
        if turn.expect_re and not re.search(_fold(self.fill(turn.expect_re)), folded, re.S):
            raise Step(f"expected /{turn.expect_re}/ in the answer")
        unwanted = [e for e in turn.expect_not if _fold(self.fill(e)) in folded]
        if unwanted:
            raise Step(f"did not expect {unwanted} in the answer")

    def payload_of(self, title: str) -> str:
        buttons = [b for m in self.last for b in m.get("buttons") or ()]
        for button in buttons:
            if _fold(title) in _fold(str(button.get("title", ""))):
                return str(button["payload"])
        offered = [b.get("title") for b in buttons]
        raise Step(f"no button «{title}» in the last answer (buttons: {offered})")

    def fill(self, text: str) -> str:
        for name, value in self.captured.items():
            text = text.replace(f"{{{name}}}", value)
        return text


def _shown(message: Mapping[str, Any]) -> str:
    text = str(message.get("text") or "")
    if buttons := message.get("buttons"):
        text += "  [" + " | ".join(str(b.get("title")) for b in buttons) + "]"
    if message.get("image"):
        text += f"  (image {message['image']})"
    return text or repr(dict(message))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# --- the goal: what the customer came for, read back from the product -------------------


GoalCheck = Callable[[Any, "GoalContext"], list[str]]


@dataclass
class GoalContext:
    fusion: Fusion
    conversation: Conversation
    customer: str
    player: _Player
    _export: dict[str, Any] | None = None

    def export(self) -> dict[str, Any]:
        if self._export is None:
            response = admin(self.fusion, "GET", f"/api/v1/customers/{self.customer}/export")
            self._export = response.json() if response.status_code == 200 else {}
        return self._export

    def summary(self) -> dict[str, Any]:
        response = admin(self.fusion, "GET", f"/api/v1/customers/{self.customer}")
        return response.json() if response.status_code == 200 else {}

    @property
    def bot_said(self) -> str:
        return _fold("\n".join(self.player.said_by_bot))


def check_goal(fusion: Fusion, conversation: Conversation, customer: str,
               player: _Player) -> list[str]:  # fmt: skip
    """What did not come true of the conversation's goal (nothing: the goal is reached)."""
    context = GoalContext(fusion, conversation, customer, player)
    failures = []
    for name, expected in conversation.goal.items():
        failures += [f"{name}: {failure}" for failure in GOALS[name](expected, context)]
    return failures


def _order_forms(order_id: str) -> set[str]:
    """The forms the README says name one order: ``#48213``, ``cmd 48213``, ``CMD-48213``."""
    bare = order_id.strip().lstrip("#").upper()
    digits = "".join(ch for ch in bare if ch.isdigit())
    return {bare, bare.replace(" ", "-")} | ({digits, f"CMD-{digits}"} if digits else set())


def _names_order(value: str | None, order_id: str) -> bool:
    return bool(value) and bool(_order_forms(str(value)) & _order_forms(order_id))


def _contributions(context: GoalContext, kind: str) -> list[dict[str, Any]]:
    return [c for c in context.export().get("contributions", []) if c["kind"] == kind]


def goal_review(expected: Mapping[str, Any] | bool, context: GoalContext) -> list[str]:
    """``review: {order: CMD-1, rating: 4, about: lampe}``: one review of theirs (not the
    setup's) names that order (in one of its documented forms), is about ``about`` (by name,
    or attached to the order holding it) and has that rating; ``review: false``: none."""
    reviews = [c for c in _contributions(context, "review")
               if not _setup_review(c, context.conversation)]  # fmt: skip
    if expected is False:
        return [f"a review was recorded: {reviews}"] if reviews else []
    want = dict(expected) if isinstance(expected, Mapping) else {}
    items = context.export().get("order_items", [])
    matching = [
        r for r in reviews
        if ("order" not in want or _names_order(r["order_id"], want["order"]))
        and ("about" not in want or _about(r, str(want["about"]), items))
        and ("rating" not in want or r["rating"] == int(want["rating"]))
    ]  # fmt: skip
    if matching:
        return []
    shown = [{k: r[k] for k in ("order_id", "sku", "title", "rating", "body")} for r in reviews]
    return [f"no review with {want}; reviews recorded: {shown or 'none'}"]


def _about(review: Mapping[str, Any], about: str, items: Iterable[Mapping[str, Any]]) -> bool:
    """The review names ``about`` (its subject as typed, an item's sku), or the order it is
    attached to holds an item called so (accents aside: "theiere" is the "Théière")."""
    named = [str(review.get(key) or "") for key in ("title", "sku", "order_id")]
    named += [item["name"] for item in items if item["order_id"] == review.get("order_id")]
    return any(_ascii(_fold(about)) in _ascii(_fold(text)) for text in named)


def _setup_review(contribution: Mapping[str, Any], conversation: Conversation) -> bool:
    review = conversation.setup.review
    return bool(review) and contribution.get("body") == review.get("text")  # type: ignore[union-attr]


def goal_idea(expected: Mapping[str, Any] | bool, context: GoalContext) -> list[str]:
    """``idea: {title: "vrac"}``: an idea of theirs whose title contains that; ``idea: false``:
    none was recorded."""
    ideas = _contributions(context, "idea")
    if expected is False:
        return [f"an idea was recorded: {ideas}"] if ideas else []
    want = _fold(str(expected.get("title", ""))) if isinstance(expected, Mapping) else ""
    if any(want in _fold(str(i["title"] or "")) for i in ideas):
        return []
    return [f"no idea titled like «{want}»; ideas: {[i['title'] for i in ideas] or 'none'}"]


def goal_problem(expected: Mapping[str, Any] | bool, context: GoalContext) -> list[str]:
    """``problem: {order: CMD-1, kind: broken}``: a problem report for that order (and kind)
    was recorded; ``problem: false``: none was."""
    reports = [e["payload"] for e in context.export().get("events", [])
               if e["type"] == "problem_report"]  # fmt: skip
    if expected is False:
        return [f"a problem report was recorded: {reports}"] if reports else []
    want = dict(expected) if isinstance(expected, Mapping) else {}
    for report in reports:
        if "order" in want and not _names_order(report.get("order_id"), want["order"]):
            continue
        if "kind" in want and report.get("kind") != want["kind"]:
            continue
        return []
    return [f"no problem report with {want}; reports: {reports or 'none'}"]


def goal_consent(expected: bool, context: GoalContext) -> list[str]:
    """``consent: true|false``: the customer's latest word on promotional messages."""
    consent = context.summary().get("consent")
    return [] if consent is bool(expected) else [f"consent is {consent}"]


def goal_club(expected: bool, context: GoalContext) -> list[str]:
    """``club: true``: they joined the club (a club_join event)."""
    joined = any(e["type"] == "club_join" for e in context.export().get("events", []))
    return [] if joined is bool(expected) else [f"club member: {joined}"]


def goal_leaderboard(expected: bool, context: GoalContext) -> list[str]:
    """``leaderboard: true|false``: they appear on the leaderboard (or not)."""
    name = (context.export().get("profile") or {}).get("leaderboard_name")
    return [] if bool(name) is bool(expected) else [f"leaderboard name: {name!r}"]


def goal_handoff(expected: bool, context: GoalContext) -> list[str]:
    """``handoff: true``: an open request for a person is waiting for staff."""
    handoffs = admin(context.fusion, "GET", "/api/v1/handoffs?status=open").json()["handoffs"]
    mine = [h for h in handoffs if h["customer_id"] == context.customer]
    return [] if bool(mine) is bool(expected) else [f"open handoffs: {mine}"]


def goal_vote(expected: bool, context: GoalContext) -> list[str]:
    """``vote: true``: their vote for an idea is counted."""
    votes = context.export().get("votes", [])
    return [] if bool(votes) is bool(expected) else [f"votes: {votes}"]


def goal_erased(expected: bool, context: GoalContext) -> list[str]:
    """``erased: true``: the customer's data is gone (the export answers 404), and so is their
    conversation's history within 30 s; ``erased: false``: still there."""
    status = admin(context.fusion, "GET", f"/api/v1/customers/{context.customer}/export")
    if not expected:
        return [] if status.status_code == 200 else [f"export answers {status.status_code}"]
    if status.status_code != 404:
        return [f"the export still answers {status.status_code}"]
    deadline = time.monotonic() + 30
    while user_messages(context.fusion, context.customer) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = user_messages(context.fusion, context.customer)
    return [f"the conversation's history is still kept: {left}"] if left else []


def goal_linked(expected: bool, context: GoalContext) -> list[str]:
    """``linked: true``: the conversation held without a token (another app) is linked to
    their account."""
    links = context.export().get("linked_conversations", [])
    linked = any(link.get("sender_id") != context.customer for link in links)
    return [] if linked is bool(expected) else [f"linked conversations: {links}"]


def goal_language(expected: str, context: GoalContext) -> list[str]:
    """``language: en``: the language kept in their profile (for the next session)."""
    language = (context.export().get("profile") or {}).get("language")
    return [] if language == expected else [f"profile language is {language!r}"]


def goal_link_code(expected: bool, context: GoalContext) -> list[str]:
    """``link_code: true``: a linking code of theirs exists and the bot showed it."""
    codes = [c["code"] for c in context.export().get("link_codes", [])]
    shown = [code for code in codes if code in context.bot_said]
    return [] if bool(shown) is bool(expected) else [f"codes {codes}, shown: {shown}"]


def _values(context: GoalContext) -> dict[str, list[str]]:
    """What ``{points}``, ``{coupons}``… stand for in ``told`` and ``said``, read from the
    product at the end of the conversation."""
    summary = context.summary()
    export = context.export()
    codes = {c["kind"]: c["code"] for c in export.get("personal_codes", [])}
    return {
        "points": [str(summary.get("points"))],
        "coupons": [c["code"] for c in summary.get("coupons", [])] or ["(no coupon)"],
        "referral_code": [codes.get("referral", "(no referral code)")],
        "share_code": [codes.get("share", "(no share code)")],
        "link_code": [c["code"] for c in export.get("link_codes", [])][-1:] or ["(no code)"],
        "orders": [o["id"] for o in export.get("orders", [])] or ["(no order)"],
    }


def goal_told(expected: Iterable[str] | str, context: GoalContext) -> list[str]:
    """``told: ["{points} points", "{coupons}"]``: the assistant said each of these at some
    point, with ``{points}`` (their balance), ``{coupons}`` (each active coupon's code),
    ``{referral_code}``, ``{share_code}``, ``{link_code}`` and ``{orders}`` (each order id)
    read from the product."""
    values = _values(context)
    failures = []
    for pattern in [expected] if isinstance(expected, str) else expected:
        for text in _expand(pattern, values):
            if _fold(text) not in context.bot_said:
                failures.append(f"the assistant never said «{text}»")
    return failures


def goal_said(expected: Iterable[str] | str, context: GoalContext) -> list[str]:
    """``said: [regex]``: the assistant's answers, all turns together, match each regular
    expression (``{points}``… as in ``told``, taken literally)."""
    values = {name: [re.escape(v) for v in options] for name, options in _values(context).items()}
    failures = []
    for pattern in [expected] if isinstance(expected, str) else expected:
        for regex in _expand(pattern, values):
            if not re.search(_fold(regex), context.bot_said, re.S):
                failures.append(f"no answer matched /{regex}/")
    return failures


def _expand(pattern: str, values: Mapping[str, list[str]]) -> list[str]:
    texts = [pattern]
    for name, options in values.items():
        if f"{{{name}}}" in pattern:
            texts = [t.replace(f"{{{name}}}", option) for t in texts for option in options]
    return texts


GOALS: dict[str, GoalCheck] = {
    "review": goal_review, "idea": goal_idea, "problem": goal_problem,
    "consent": goal_consent, "club": goal_club, "leaderboard": goal_leaderboard,
    "handoff": goal_handoff, "vote": goal_vote, "erased": goal_erased, "linked": goal_linked,
    "language": goal_language, "link_code": goal_link_code, "told": goal_told,
    "said": goal_said,
}  # fmt: skip
