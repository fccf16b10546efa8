"""The classroom kit: figures, widgets, the animated fit, exercise checks and notebook check cells.

It imports the library (``gmm_helpers``), never the other way round, and computes no model
quantity itself: every density, responsibility or fit it shows comes from the library.

- ``style``     colours and the projector-friendly matplotlib style
- ``plotting``  drawing primitives: ellipses, a mixture over its points, a density
- ``figures``   the one-notebook figures of the series
- ``widgets``   sliders wired to the drawing functions
- ``animate``   the animated EM fit, written as a GIF
- ``exercises`` the exercises' check functions
- ``testing``   ``check_close`` for notebook check cells
"""
