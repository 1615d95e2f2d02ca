import sys

from memento.cli import main

sys.exit(main())
