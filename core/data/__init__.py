"""Datasets: offline toy and generated sets, keras.datasets through Keras's cache, the user's own files.

A *recipe* (``core.data.recipe.DataRecipe``) is a JSON-able description of where the data comes from and how
it is prepared; ``core.data.load.load_dataset`` turns it into NumPy arrays split into train/validation/test.
Nothing here imports TensorFlow at module level, so the editor can preview data without it.
"""
