"""Serde rules of single types read on their own: PromptTemplate's required field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from checkpoint.model import PromptLayer, SessionPolicy

POLICY = {"model": "m", "provider": {"type": "openai"}, "execution_mode": "standard"}


@pytest.mark.parametrize("template", [{}, {"title": "t"}, {"entries": []}])
def test_prompt_template_without_sections_is_refused(template: dict[str, object]) -> None:
    """serde's ``PromptTemplate`` requires ``sections``: its absence names the field."""
    doc = {**POLICY, "prompt": {"template": template}}
    with pytest.raises(ValidationError) as caught:
        SessionPolicy.model_validate(doc)
    ((error,),) = [caught.value.errors()]
    assert error["type"] == "missing" and error["loc"] == ("prompt", "template", "sections")
    with pytest.raises(ValidationError, match=r"template\.sections\n  Field required"):
        PromptLayer.model_validate_json('{"template": {"title": "t"}}')


@pytest.mark.parametrize(
    ("template", "loc"),
    [([], ("template",)), ({"sections": {}}, ("template", "sections")),
     ({"sections": [1]}, ("template", "sections", 0))],
)
def test_prompt_template_of_the_wrong_shape_is_refused(template: object, loc: tuple) -> None:
    """A template is an object whose ``sections`` is an array of section objects."""
    with pytest.raises(ValidationError) as caught:
        PromptLayer.model_validate({"template": template})
    assert caught.value.errors()[0]["loc"] == loc


def test_prompt_template_with_sections_is_kept_as_written() -> None:
    """Beyond what serde requires, the template stays opaque: keys and their order kept."""
    text = '{"template":{"z":1,"sections":[{"entries":[{"kind":"text","content":"x"}]}]}}'
    assert PromptLayer.model_validate_json(text).model_dump_json() == text
    assert PromptLayer.model_validate_json('{"template":null}').template is None
