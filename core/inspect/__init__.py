"""Looking inside trained or untrained networks: recurrent states, gates and gradients through time."""
