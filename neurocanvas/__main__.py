import sys

from neurocanvas.launcher import main

sys.exit(main())
