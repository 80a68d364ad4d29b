"""``python -m desktop [PROJECT]`` starts the GUI."""

from desktop.app import main

raise SystemExit(main())
