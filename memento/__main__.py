import sys

from memento.console import main

sys.exit(main())
