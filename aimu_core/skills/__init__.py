"""Skills in the agentskills.io format: folders with a ``SKILL.md`` an agent loads on demand.

A ``SKILL.md`` starts with front matter (``name``: lower-case-with-dashes,
equal to the folder name; ``description``: what it does and when to use it),
followed by the instructions. :class:`SkillManager` finds and checks skills;
:class:`aimu_core.agents.SkillAgent` offers their catalog to a model and
activates one when the model asks.
"""

from .frontmatter import parse_front_matter, split_front_matter
from .manager import DEFAULT_SKILL_DIRS, SkillManager
from .skill import Skill, load_skill

__all__ = [
    "DEFAULT_SKILL_DIRS",
    "Skill",
    "SkillManager",
    "load_skill",
    "parse_front_matter",
    "split_front_matter",
]
