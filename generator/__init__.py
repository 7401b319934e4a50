"""litreview: a static literature-review site generator (the `litreview` command).

The pipeline lives in `build`, the command line in `cli`; see DESIGN.md for the module map.
Importing the package does nothing else.
"""
