from . import test_release_channels
from . import test_release_version
from . import test_release_workflow
