"""SessionPolicy, its parts, and the config subset a store persists (spec §2, §0.1.4, §0.1.10)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
)
from pydantic_core import PydanticCustomError

from ._serde import (
    SORTED_KEYS,
    U16,
    U64,
    ForbidExtraModel,
    SerdeModel,
    Usize,
    canonical_json,
    skip_empty,
    skip_none,
)

UNCONFIGURED_PROVIDER = "unconfigured"


def _validate_provider(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise PydanticCustomError("provider", "provider must be an object with a `type` key")
    if type(value.get("type")) is not str:
        raise PydanticCustomError("provider", "provider needs a string `type` (its kind)")
    return canonical_json(value)  # type: ignore[no-any-return]


ProviderConfig: TypeAlias = Annotated[
    dict[str, Any],
    PlainValidator(_validate_provider),
    PlainSerializer(canonical_json, return_type=Any),
]
"""``ProviderHandle``: ``{"type": kind, ...config}``, opaque, keys sorted (spec §0.1.1, §0.1.10).

It can hold credentials (``api_key``); see ``redact_policy`` before a policy leaves a worker.
"""


class RollingHistory(ForbidExtraModel):
    """``{"kind":"rolling_history"}``: a unit struct, so other keys are refused (spec §0.1.6)."""

    kind: Literal["rolling_history"] = "rolling_history"


class ObservationalMemory(SerdeModel):
    """``{"kind":"observational_memory", …}``: unknown keys ignored; bps defaults to 5000."""

    kind: Literal["observational_memory"] = "observational_memory"
    observation_message_tokens: Usize
    observation_buffer_tokens: Usize
    observation_block_after_tokens: Usize
    observation_max_tokens_per_batch: Usize
    previous_observer_tokens: Usize
    reflection_observation_tokens: Usize
    reflection_buffer_activation_bps: U16 = 5000
    reflection_block_after_tokens: Usize


StandardContextApproach: TypeAlias = Annotated[
    RollingHistory | ObservationalMemory, Field(discriminator="kind")
]


PromptSlot: TypeAlias = Literal[
    "intro", "execution", "guidance", "project_instructions", "runtime_context", "environment"
]
"""``enum PromptSlot`` (snake_case)."""

ToolAvailability: TypeAlias = Literal["off", "searchable", "callable", "showcased"]


class PromptContributionGate(SerdeModel):
    """``{tools (skipped when empty), minimum_availability (default "off")}``."""

    tools: list[str] = skip_empty(list)
    minimum_availability: ToolAvailability = "off"

    def is_empty(self) -> bool:
        return not self.tools


def _is_empty_gate(gate: Any) -> bool:
    return isinstance(gate, PromptContributionGate) and gate.is_empty()


class PromptContribution(SerdeModel):
    """A slot contribution; ``gate`` is dropped when its ``tools`` list is empty (spec §0.1.8)."""

    slot: PromptSlot
    title: str | None = skip_none()
    priority: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] = 0
    gate: PromptContributionGate = Field(
        default_factory=PromptContributionGate, exclude_if=_is_empty_gate
    )
    content: str


class PromptSlotLayer(SerdeModel):
    """``{reset (default false, always written), contributions (skipped when empty)}``."""

    reset: bool = False
    contributions: list[PromptContribution] = skip_empty(list)


class _PromptTemplateShape(SerdeModel):
    """What serde requires of ``PromptTemplate``: ``sections``, an array of section objects
    (their ``title`` and ``entries`` are optional, spec §2). Only checked, never kept."""

    sections: list[dict[str, Any]]


def _check_template(value: Any) -> dict[str, Any]:
    """Refuse what serde refuses (no ``sections``: ``missing`` at ``…template.sections``), then
    keep the template as written: opaque, key order kept."""
    _PromptTemplateShape.__pydantic_validator__.validate_python(value)
    return canonical_json(value, sort=False)  # type: ignore[no-any-return]


def _dump_template(value: Any) -> Any:
    return canonical_json(value, sort=False)


PromptTemplate: TypeAlias = Annotated[
    dict[str, Any],
    PlainValidator(_check_template),
    PlainSerializer(_dump_template, return_type=Any),
]
"""``PromptTemplate``: checked for what serde requires, otherwise kept opaque (spec §2)."""


class PromptLayer(SerdeModel):
    """Prompt overrides. The template is kept opaque; slots are written sorted (spec §0.1.7)."""

    template: PromptTemplate | None = skip_none()
    """``Option<PromptTemplate>``, skipped when None; ``null`` reads as None."""
    slots: Annotated[dict[PromptSlot, PromptSlotLayer], SORTED_KEYS] = skip_empty(dict)

    def is_empty(self) -> bool:
        """``PromptLayer::is_empty``: no template and no slots; then the policy omits it."""
        return self.template is None and not self.slots


def _prompt_is_empty(prompt: Any) -> bool:
    return isinstance(prompt, PromptLayer) and prompt.is_empty()


class SessionPolicy(SerdeModel):
    """Resolved model, provider and mode. Options without skip are written as ``null``."""

    model: str
    provider: ProviderConfig
    max_context_tokens: Usize | None = None
    model_variant: str | None = None
    session_id: str | None = None
    """The run session id; a child session sets it to its own id."""
    autonomous: bool = False
    max_turns: Usize | None = None
    execution_mode: str
    standard_context_approach: StandardContextApproach | None = skip_none()
    """Read as None when the key is missing from a policy object (spec §0.1.4)."""
    prompt: PromptLayer = Field(default_factory=PromptLayer, exclude_if=_prompt_is_empty)

    @classmethod
    def default(cls) -> SessionPolicy:
        """``SessionPolicy::default()``: what a state without a ``policy`` key gets."""
        return cls(
            model="",
            provider={"type": UNCONFIGURED_PROVIDER},
            execution_mode="standard",
            standard_context_approach=RollingHistory(),
        )

    def provider_kind(self) -> str:
        """``provider.kind()``: the provider's ``type``."""
        return str(self.provider["type"])

    def normalize_for_execution_mode(self) -> None:
        """Drop ``standard_context_approach`` unless the mode is ``standard``."""
        if self.execution_mode != "standard":
            self.standard_context_approach = None


class PersistedSessionConfig(SerdeModel):
    """The policy subset a store persists in its head; never credentials."""

    provider_id: str
    configured_model: str
    context_window: U64
    execution_mode: str
    standard_context_approach: StandardContextApproach | None = skip_none()
    model_variant: str | None = skip_none()

    @classmethod
    def from_policy(cls, policy: SessionPolicy) -> PersistedSessionConfig:
        return cls(
            provider_id=policy.provider_kind(),
            configured_model=policy.model,
            context_window=policy.max_context_tokens or 0,
            execution_mode=policy.execution_mode,
            standard_context_approach=policy.standard_context_approach,
            model_variant=policy.model_variant,
        )

