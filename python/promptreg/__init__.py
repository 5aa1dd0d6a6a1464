"""Serve prompts pinned by promptreg, with no Git and no network.

``promptreg export --env production --out build/prompts`` writes a bundle:
every version the environment pins (each arm of an A/B split included) and a
``manifest.json``. This package loads such a bundle, verifies every file
against its sha256 before serving anything, assigns A/B arms exactly as
``promptreg pick`` does, and renders exactly as ``promptreg render`` does:
the rules are promptreg-core's Rust code, not a second implementation.

    import promptreg

    reg = promptreg.load("build/prompts")
    prompt = reg.get("support/triage", key=user_id)
    messages = prompt.render(ticket=text)          # strict: unknown or missing variables raise
    span_attributes = prompt.attributes()          # OpenTelemetry GenAI attributes
    log(prompt.outcome("resolved", 1.0))            # for `promptreg score --from FILE.jsonl`

Errors are subclasses of :class:`promptreg.Error`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ._promptreg import (
    BundleError,
    Error,
    IntegrityError,
    InvalidPromptError,
    KeyRequiredError,
    ManifestError,
    Prompt,
    Registry,
    RenderError,
    UnknownPromptError,
    UnsupportedFormatError,
    bucket,
    load,
    open_registry,
)

__all__ = [
    "BundleError",
    "Error",
    "IntegrityError",
    "InvalidPromptError",
    "KeyRequiredError",
    "ManifestError",
    "Prompt",
    "Registry",
    "RenderError",
    "UnknownPromptError",
    "UnsupportedFormatError",
    "bucket",
    "load",
    "open_registry",
    "set_span_attributes",
]


def set_span_attributes(prompt: Prompt, span: Any = None) -> Mapping[str, str]:
    """Sets ``prompt.attributes()`` on ``span``, or on the current
    OpenTelemetry span, and returns them.

    Needs ``opentelemetry-api`` (``pip install promptreg[otel]``); without
    it, raises ``ImportError`` naming the package. Nothing else in promptreg
    imports OpenTelemetry.
    """
    attributes = prompt.attributes()
    if span is None:
        try:
            from opentelemetry import trace
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "promptreg.set_span_attributes needs opentelemetry-api: pip install opentelemetry-api"
            ) from e
        span = trace.get_current_span()
    span.set_attributes(attributes)
    return attributes
