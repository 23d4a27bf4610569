"""SoundFonts, FluidSynth render workers, effect beds, mix and master."""
