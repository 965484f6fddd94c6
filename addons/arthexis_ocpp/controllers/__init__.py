from . import main
from . import transfer
