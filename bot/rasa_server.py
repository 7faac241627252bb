"""``python -m bot.rasa_server run …``: Rasa's own command line with its HTTP API hardened.

- Authentication is a JWT in the ``Authorization`` header (``bot.rasa_api``), signed with
  FUSION_RASA_TOKEN, which this launcher hands to Rasa itself so that the secret never
  appears on a command line; Rasa's query-string token (``--auth-token``) is not used.
  The token is checked by ``bot.rasa_api.claims`` in place of sanic-jwt's check: HS256
  only, ``exp`` required and at most a few minutes ahead, 401 for anything else.
- The endpoints that load, replace, delete, train or test a model answer 403: a crafted
  model runs code when Rasa loads it (CVE-2024-49375), and the model is ours to deploy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from bot.rasa_api import ALGORITHM, claims, token_claims

# (method, path prefix) refused on the Rasa server
REFUSED = (("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train"),
           ("POST", "/model/test"))  # fmt: skip


def refused(method: str, path: str) -> bool:
    return any(method == m and (path == p or path.startswith(p + "/")) for m, p in REFUSED)


def hardened(create_app: Callable[..., Any]) -> Callable[..., Any]:
    """Rasa's ``create_app`` with a first middleware that refuses the model endpoints."""
    from sanic import response

    def create(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)

        async def refuse_model_changes(request: Any) -> Any:
            if refused(request.method, request.path):
                return response.json(
                    {"status": "failure", "reason": "Forbidden",
                     "message": "models are deployed with the server, not through its API"},
                    status=403,
                )  # fmt: skip
            return None

        app.register_middleware(refuse_model_changes, "request")
        return app

    return create


def strict_authentication() -> type:
    """sanic-jwt's ``Authentication`` (which Rasa's ``requires_auth`` asks) with our check.

    sanic-jwt verified the signature but took a token without ``exp`` or one valid until
    2100, and let ``alg: none`` or undecodable bytes escape as a 500. Here a request is
    authenticated when ``bot.rasa_api.claims`` accepts its ``Authorization`` header; a token
    it refuses is a ``DecodeError``, which sanic-jwt's own endpoints answer with 401 too."""
    from jwt.exceptions import DecodeError
    from sanic_jwt import Authentication

    class StrictAuthentication(Authentication):  # type: ignore[misc]
        async def is_authenticated(self, request: Any) -> bool:
            return self._claims(request) is not None

        async def extract_payload(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            return self._claims(request) or {}

        async def _decode(self, token: Any, *args: Any, **kwargs: Any) -> Any:
            found = token_claims(token, self.config.secret()) if isinstance(token, str) else None
            if found is None:
                raise DecodeError("Auth required.")
            return found

        def _get_token_from_headers(self, request: Any, refresh_token: Any) -> Any:
            header = request.headers.get(self.config.authorization_header())
            return None if header is None else str(header).removeprefix("Bearer ")

        def _claims(self, request: Any) -> dict[str, Any] | None:
            return claims(request.headers.get("Authorization"), self.config.secret())

    return StrictAuthentication


def validating_once(remote_action: type) -> Callable[..., bool]:
    """A ``RemoteAction._validate_action_result`` that checks Rasa's response schema once.

    Rasa calls ``jsonschema.validate`` on every action server answer, which first checks
    the schema itself against the 2020-12 meta-schema: py-spy put that at half the CPU a
    turn costs the Rasa server (P8), time every other conversation waits. The schema is
    Rasa's constant, so its validator is built once; answers are checked as before, and a
    wrong one raises the same ``ValidationError``."""
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for

    schema = remote_action.action_response_format_spec()  # type: ignore[attr-defined]
    kind = validator_for(schema)
    kind.check_schema(schema)
    validator = kind(schema)

    def validate(_: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as exc:
            exc.message += ". Failed to validate Action server response from API"
            raise
        return True

    return validate


def parsing_in_a_thread(parse_message: Callable[..., Any]) -> Callable[..., Any]:
    """``MessageProcessor.parse_message`` with the model's NLU run in a worker thread.

    Rasa runs the NLU graph (tokeniser, featurisers, DIET) on its event loop: while one long
    message is read, every other conversation of the server waits (P8). Here the graph runs
    in the loop's default executor, so a short message is read beside a long one, on the
    other core. The graph's components only read their trained state when they process a
    message. With an HTTP interpreter (no NLU in this process) nothing changes."""
    import asyncio

    from rasa.shared.core.trackers import DialogueStateTracker

    async def parse(
        self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
    ) -> Any:
        if self.http_interpreter:
            return await parse_message(self, message, tracker, only_output_properties)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        parsed = await asyncio.get_running_loop().run_in_executor(
            None, self._parse_message_with_graph, message, tracker, only_output_properties
        )
        self._update_full_retrieval_intent(parsed)
        self._check_for_unseen_features(parsed)
        return parsed

    return parse


def strict_jwt(initialize: Any) -> Callable[..., Any]:
    """sanic-jwt's ``Initialize``, as Rasa's ``create_app`` calls it, with our check."""
    authentication = strict_authentication()

    def initialize_strictly(*args: Any, **kwargs: Any) -> Any:
        return initialize(*args, **{**kwargs, "authentication_class": authentication})

    return initialize_strictly


def main(argv: list[str]) -> None:
    import rasa.server
    from rasa.__main__ import main as rasa_main
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor

    secret = os.environ.get("FUSION_RASA_TOKEN", "").strip()
    if not secret:
        raise SystemExit("FUSION_RASA_TOKEN must be set: Rasa's HTTP API needs it")
    rasa.server.create_app = hardened(rasa.server.create_app)
    rasa.server.Initialize = strict_jwt(rasa.server.Initialize)
    RemoteAction._validate_action_result = validating_once(RemoteAction)  # type: ignore[method-assign]
    MessageProcessor.parse_message = parsing_in_a_thread(MessageProcessor.parse_message)  # type: ignore[method-assign]
    sys.argv = ["rasa", *argv, "--jwt-secret", secret, "--jwt-method", ALGORITHM]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
