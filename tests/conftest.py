"""Suite-wide settings.

Hypothesis runs derandomized by default, so a CI run is reproducible (the same examples every
time); ``HYPOTHESIS_PROFILE=explore pytest`` searches new examples, as a developer should
now and then.
"""

import os

from hypothesis import settings

settings.register_profile("reproducible", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))
