"""``torch.nn.functional``: the same functions as ``neurocanvas.core.functional``.

PyTorch tutorials write ``import torch.nn.functional as F``; both paths name one module's
functions, so ``nn.functional.relu is functional.relu``.
"""

from neurocanvas.core.functional import *  # noqa: F403
from neurocanvas.core.functional import __all__ as __all__  # noqa: PLE0604
