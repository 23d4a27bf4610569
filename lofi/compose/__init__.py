"""Songs from the learned models: arrangement and MIDI."""
