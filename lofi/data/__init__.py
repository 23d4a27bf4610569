"""Reading MIDI and MusicXML into Pieces, and the cached corpora."""
