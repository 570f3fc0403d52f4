"""Small helpers shared by the handbook's snippets: seeding, toy data and figures.

Each helper is short enough to read in one sitting; a snippet that uses one says so with an
explicit import, so a reader can always find where a function is defined.
"""

from mlsd.seed import seed_everything

__all__ = ["seed_everything"]
