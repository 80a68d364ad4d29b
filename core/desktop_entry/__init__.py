"""Start-menu entries and the ``.layerbench`` file type: what the desktop needs, as files we write ourselves."""
