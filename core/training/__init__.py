"""Training: the config, the worker process that trains, the parent-side engine, monitors and history buffers.

TensorFlow and Keras are imported only inside functions (DESIGN.md §2.2); the worker imports them in the child.
"""
