"""Skills in the agentskills.io format: folders with a ``SKILL.md`` an agent loads on demand.

A ``SKILL.md`` starts with front matter (``name``: lower-case-with-dashes,
equal to the folder name; ``description``: what it does and when to use it),
followed by the instructions. :class:`SkillManager` finds and checks skills;
:class:`aimu_core.agents.SkillAgent` offers their catalog to a model and
activates one when the model asks. A skill's ``scripts/*.py|*.sh`` can run as
tools (:mod:`aimu_core.skills.scripts`), in-process or served over MCP.
"""

from .frontmatter import parse_front_matter, split_front_matter
from .manager import DEFAULT_SKILL_DIRS, SkillManager
from .scripts import SkillScript, run_script, script_tools, skill_scripts
from .skill import Skill, load_skill

__all__ = [
    "DEFAULT_SKILL_DIRS",
    "Skill",
    "SkillManager",
    "SkillScript",
    "load_skill",
    "parse_front_matter",
    "run_script",
    "script_tools",
    "skill_scripts",
    "split_front_matter",
]
