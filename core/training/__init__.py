"""Training: the config, the worker process that trains, the parent-side engine, monitors and history buffers.

Parent side: ``engine.TrainingEngine.start(graph, data_recipe, config, run_dir)`` returns a ``TrainingRun``
whose psygnal signals (``batch_ended``, ``epoch_ended``, ``gradients``, ``feature_maps``, ``weights``,
``confusion``, ``checkpointed``, ``log``, ``phase``, ``finished``, ``failed``) are emitted from a reader
thread; ``stop``/``pause``/``resume``/``kill`` control it. Child side: ``worker.run_job`` (also callable
in-process) builds the model, trains with ``callbacks`` and ``monitors`` and writes the run folder
(``checkpoint.RunFolder``: ``checkpoint-weights.npz``, ``optimizer.npz``, ``history.npz``, ``state.json``,
``final.weights.h5``, ``weights.npz`` by layer name). ``distributed`` holds the multi-worker loop, ``cli``
the ``layerbench train`` command.

TensorFlow and Keras are imported only inside functions (DESIGN.md §2.2); the worker imports them in the child.
"""
