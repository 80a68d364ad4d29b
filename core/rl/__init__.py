"""Reinforcement learning: environments, exact solutions of small MDPs, and agents that learn while streaming.

How a panel drives it (nothing here imports Qt; TensorFlow, Keras and gymnasium load inside functions):

- ``envs.CATALOG`` lists the environments; ``envs.describe(id, options)`` gives spaces as plain data;
  ``networks.check_network(graph, env, role)`` refuses a graph that does not fit (both numbers named), and
  ``networks.fit_to_env(template_data(envs.template_for(agent)), env)`` sizes a template for a new project.
- ``mdp.load_mdp`` + ``mdp.value_iteration``/``policy_iteration`` solve FrozenLake, Taxi and CliffWalking
  exactly; ``grid.grid_view`` turns a solution (or a learned Q-table) into values and arrows per cell.
- ``config.RLConfig`` is one run (environment, agent and hyper-parameters, graph, seed, frames, evaluation).
  ``runner.start_rl(engine, config, run_dir)`` runs it in the training engine's worker process and returns an
  ``RLRun`` whose signals (``episode_ended``, ``rl_gradients``, ``q_table``, ``frame``, ``evaluated``,
  ``rl_finished``, plus the engine's ``gradients``, ``phase``, ``finished``, ``failed``) are emitted from its
  reader thread; ``stop()``/``pause()`` work as for any run. ``RLRun.history`` holds the curves.
- After a run, ``play.restore_agent(config, finished.weights_path)`` gives the agent back; ``play.play``
  returns one greedy episode's frames, ``play.evaluate`` the mean and spread of greedy returns.
"""
